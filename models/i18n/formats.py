"""Money, numbers and dates as a Chinese or an English reader expects them.

One function per kind of figure, used by pages, charts and exports alike:

- ``money``: ``¥1,234.50``; negative ``-¥4.31`` (the minus before the currency sign, in both
  languages). Rounded half up to the fen, as invoices are, not half to even.
- ``money_short`` for headline figures: zh ``¥5,782.98万`` from 1万 (10,000) and ``¥1.23亿``
  from 1亿 (100,000,000); en ``¥12.3K`` from 1,000, ``¥57.83M`` from 1,000,000 and ``¥1.20B``
  from 1,000,000,000. Below the first threshold it is ``money``. A figure that rounds up to the
  next unit takes that unit (99,999,999 is ``¥1.00亿``, never ``¥10,000.00万``). Show the
  exact ``money`` figure beside it (hover, table).
- ``month_label``: ``2026年11月`` / ``Nov 2026``; ``day_label``: ``2026-11-30`` /
  ``30 Nov 2026``. Month names are spelled here, not taken from the C library's locale.
- ``number`` and ``percent`` with thousands separators.

Grids (``st.dataframe`` / ``st.column_config.NumberColumn`` in Streamlit 1.67, which formats
in the browser): a printf format such as ``"¥%,.2f"`` writes ``¥-4.31`` (sprintf-js puts the sign
after any prefix), and ``"accounting"`` writes ``(4.31)``. The ``"yen"`` preset is
``Intl.NumberFormat(navigator.languages, {style: "currency", currency: "JPY",
currencyDisplay: "narrowSymbol"})`` with as many decimals as the column's ``step`` has: with
``step=0.01`` it writes ``-¥4.31`` and ``¥1,234.50`` for a zh-CN and an en browser alike (JPY and
CNY share the narrow symbol ¥), and the cell stays a number, so the grid still sorts by it.
(Checked in headless chromium with a zh-CN and an en-US browser: ``"yen"`` with ``step=0.01``
showed ``-¥4.31``, ``"¥%,.2f"`` showed ``¥-4.31``.) ``MONEY_GRID`` holds those two options:
``NumberColumn(title, **MONEY_GRID)``. A browser set to a language that writes the symbol after
the figure (de-DE: ``-4,31 ¥``) gets its own convention. Exports and charts use ``money``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from models.i18n.catalogue import normalise_lang

CURRENCY = "¥"
MISSING = "—"

# Options of a money NumberColumn in a grid: -¥4.31, ¥1,234.50 (see the module's docstring).
MONEY_GRID: dict[str, object] = {"format": "yen", "step": 0.01}

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# (threshold, divisor, suffix, decimals), largest first.
_SHORT_UNITS = {
    "zh-CN": ((Decimal(10) ** 8, Decimal(10) ** 8, "亿", 2),
              (Decimal(10) ** 4, Decimal(10) ** 4, "万", 2)),
    "en": ((Decimal(10) ** 9, Decimal(10) ** 9, "B", 2),
           (Decimal(10) ** 6, Decimal(10) ** 6, "M", 2),
           (Decimal(10) ** 3, Decimal(10) ** 3, "K", 1)),
}


def _decimal(value: object) -> Decimal | None:
    """A finite Decimal of a figure, or None for a missing one (None, NaN, empty)."""
    if value is None or value == "":
        return None
    try:
        # str() of a float is its shortest exact repr: 0.1 -> "0.1", not 0.1000000000000000055...
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _round(number: Decimal, decimals: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _grouped(number: Decimal, decimals: int) -> str:
    """``1234.5`` -> ``1,234.50`` (absolute value; the caller writes the sign)."""
    return f"{abs(_round(number, decimals)):,.{decimals}f}"


def _signed(number: Decimal, body: str) -> str:
    # "-" only when the rounded figure is not zero: -0.001 shows as ¥0.00, not -¥0.00.
    return f"-{body}" if number < 0 and any(ch in "123456789" for ch in body) else body


def money(value: object, lang: str = "en", decimals: int = 2) -> str:
    """``¥1,234.50`` / ``-¥4.31`` (same in both languages); ``—`` for a missing figure."""
    number = _decimal(value)
    if number is None:
        return MISSING
    return _signed(number, f"{CURRENCY}{_grouped(number, decimals)}")


def money_short(value: object, lang: str = "en") -> str:
    """A headline figure: zh ``¥5,782.98万`` / ``¥1.23亿``, en ``¥57.83M`` / ``¥12.3K``."""
    number = _decimal(value)
    if number is None:
        return MISSING
    units = _SHORT_UNITS[normalise_lang(lang)]
    magnitude = abs(number)
    for index, (threshold, divisor, suffix, decimals) in enumerate(units):
        # Compare after rounding in the next smaller unit, so that a figure showing as 10,000.00万
        # is written 1.00亿 instead.
        if index + 1 < len(units):
            _, smaller_div, _, smaller_dec = units[index + 1]
            reaches = _round(magnitude / smaller_div, smaller_dec) * smaller_div >= threshold
        else:
            reaches = _round(magnitude, 2) >= threshold
        if reaches:
            body = f"{CURRENCY}{_grouped(magnitude / divisor, decimals)}{suffix}"
            return _signed(number, body)
    return money(number, lang)


def number(value: object, lang: str = "en", decimals: int = 0) -> str:
    """``12,345`` / ``-1,234.5`` (separators the same in both languages); ``—`` when missing."""
    figure = _decimal(value)
    if figure is None:
        return MISSING
    return _signed(figure, _grouped(figure, decimals))


def percent(ratio: object, lang: str = "en", decimals: int = 1) -> str:
    """A ratio as a percentage: ``0.123`` -> ``12.3%``; ``—`` when missing."""
    figure = _decimal(ratio)
    if figure is None:
        return MISSING
    return _signed(figure, f"{_grouped(figure * 100, decimals)}%")


def _as_date(value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def month_label(value: dt.date | dt.datetime | str | None, lang: str = "en") -> str:
    """``2026年11月`` / ``Nov 2026``."""
    if value is None:
        return MISSING
    day = _as_date(value)
    if normalise_lang(lang) == "zh-CN":
        return f"{day.year}年{day.month}月"
    return f"{MONTHS_EN[day.month - 1]} {day.year}"


def day_label(value: dt.date | dt.datetime | str | None, lang: str = "en") -> str:
    """``2026-11-30`` / ``30 Nov 2026``."""
    if value is None:
        return MISSING
    day = _as_date(value)
    if normalise_lang(lang) == "zh-CN":
        return day.isoformat()
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
