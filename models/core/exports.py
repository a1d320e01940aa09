"""The files people download: CSV and Excel written so that a value from the data can never
become a live formula in a spreadsheet (CSV injection, OWASP).

The rule, in one place (``FORMULA_START``): a TEXT cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a single quote in front (``=1+1`` -> ``'=1+1``), which
spreadsheets show as text and never evaluate. Numeric columns are left alone: ``-4.31`` in a
number column stays the number -4.31. The rule reads only the text, never guesses whether a text
looks like a number: a text cell ``-4.31`` (or a phone number ``+86 ...``) is prefixed too, as
OWASP says; the desk's own figures are numeric columns, so only text that came in as text is
touched. Nested columns (lists, structs) are left to the writer that flattens them (their text
starts with ``[``, ``{`` or ``"``).

Every download goes through ``safe_frame`` (ui/kit.py's CSV and Excel downloads, the SQL
page's CSV, the route plan's CSV); the Excel writer in addition turns off xlsxwriter's
conversions of text to formulas, links and numbers, so a cell is text because it was text.
Parquet downloads stay raw: Parquet is typed data for programs, not a sheet a person opens.
"""

from __future__ import annotations

import io

import polars as pl

# A text cell starting with one of these is read as a formula (or its start) by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

_STARTS = "^[" + "".join({"-": r"\-", "\t": r"\t", "\r": r"\r"}.get(c, c)
                         for c in FORMULA_START) + "]"
_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


def neutralise(value: object) -> object:
    """``value`` with a quote in front when it is text starting like a formula; anything
    else (numbers, None, ...) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [name for name, dtype in frame.schema.items() if isinstance(dtype, _TEXT_TYPES)]


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell and column name neutralised (see the module doc); other
    columns as they are. Categorical and enum columns come back as plain text."""
    safe = frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(_STARTS))
        .then(pl.lit(QUOTE) + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in _text_columns(frame))
    # a header is a cell too (the SQL page's column names are the query's aliases)
    return safe.rename({name: str(neutralise(name)) for name in safe.columns
                        if name.startswith(FORMULA_START)})


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """``frame`` as CSV, UTF-8 with a BOM (so Excel reads Chinese names right), neutralised."""
    return safe_frame(frame).write_csv().encode("utf-8-sig")


# xlsxwriter by default writes text starting with '=' as a formula, 'http://...' as a link
# and '12' as a number; a cell of the data is written as what it is instead.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}


def xlsx_bytes(sheets: dict[str, pl.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per frame, neutralised (sheet names cut to Excel's 31
    characters; callers give names Excel accepts, see commissions.sheet_name)."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS) as workbook:
        for sheet, frame in sheets.items():
            safe_frame(frame).write_excel(workbook, worksheet=sheet[:31])
    return buffer.getvalue()


# --- headers in the reader's language ---------------------------------------------------------

def headed(frame: pl.DataFrame, headers: dict[str, str], keys: bool = False) -> pl.DataFrame:
    """``frame`` with its columns renamed to ``headers`` (column key -> header in the user's
    language, from the caller's ``*_headers(lang)``), or as it is with ``keys`` (the stable
    English column keys analysts' scripts read). Columns without a header keep their key; two
    columns never end up with the same name (a clash keeps the key)."""
    if keys:
        return frame
    renames: dict[str, str] = {}
    taken = set(frame.columns)
    for name in frame.columns:
        header = headers.get(name)
        if header and header != name and header not in taken:
            renames[name] = header
            taken.add(header)
    return frame.rename(renames)
