"""What every manager page shares: the sign-in guard, the warehouse, the sidebar filters, money
formatting, data shown as text, downloads, the empty message and links to a customer's card.

Data is text, never markup: Streamlit renders the bodies of title, header, subheader,
markdown, caption, info/warning/error/success and the labels of metrics, expanders, tabs and
widgets as Markdown (links, images, colours, emoji, LaTeX), and Plotly renders its titles, tick
labels and hover text as a little HTML (links). So every value from the data that reaches one of
those goes through ``md`` (Markdown) or ``plot_text`` (Plotly); tables (st.dataframe) and
selectbox options are plain text already. Downloads go through models/core/exports.py.

On a phone (``is_narrow``: the browser's User-Agent, else a rep's role) every grid of a page a rep
opens (``grid``, ``customer_table``) shows at most PHONE_MAX_COLUMNS columns and its links as
buttons; every Plotly chart goes through ``chart`` (no mode bar).

Not a page: it lives outside pages/ so Streamlit does not list it. Pages import it as
``from ui import kit``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from models import i18n as formats
from models.core import exports, identity, scoping
from models.core.errors import UserError
from models.core.identity import User
from models.core.warehouse import NoWarehouse, Warehouse, get_warehouse
from models.i18n.messages import error_text
from models.pipeline.build import history
from models.queries import attribution
from models.queries.filters import TIERS, FilterOptions, Filters, filter_options
from ui.i18n import label, lang, month_label, nt, t

FILTERS_KEY = "salesdesk_filters"   # the Filters the sidebar chose (set by app.py)
CUSTOMER_KEY = "salesdesk_customer"  # the customer the card shows
WAREHOUSE_KEY = "salesdesk_warehouse"  # the build this run reads (a Snapshot, see pin_warehouse)
BUILD_SLOT_KEY = "salesdesk_build_slot"  # the sidebar's place for the build id (app.py)
CARD_PAGE = "pages/customer.py"
ALL = "All"
# Plotly charts without the mode bar: on a phone it covers the chart's title.
PLOTLY_CONFIG = {"displayModeBar": False}
# The phone layout (see is_narrow): a grid on a phone shows at most PHONE_MAX_COLUMNS columns
# and its links as buttons.
NARROW_KEY = "salesdesk_narrow"  # True/False: a layout chosen for this session (tests set it)
PHONE_MAX_COLUMNS = 4


# --- guard and warehouse ---------------------------------------------------------------------

def require_user(roles: frozenset[str] | None = None) -> User:
    """The signed-in user, or stop the page with an error (see tests/test_page_sql.py: a page
    opened without app.py's sign-in must not render)."""
    user = identity.session_user(st.session_state)
    if user is None:
        st.error(t("Please sign in: open the app from its start page."))
        st.stop()
    if roles is not None and user.role not in roles:
        st.error(t("This page is not available to your role. Ask an admin if you need it."))
        st.stop()
    return user


def pin_warehouse() -> None:
    """Fix the build this run reads (app.py calls it first in every run): every query of the
    run, the sidebar's included, reads that build, even when a new one is swapped in meanwhile."""
    try:
        st.session_state[WAREHOUSE_KEY] = get_warehouse().pin()
    except NoWarehouse:
        st.session_state.pop(WAREHOUSE_KEY, None)


def show_build() -> None:
    """Say in the sidebar which build this run reads (app.py draws the place; the Data page
    calls this again after it swapped a new build in)."""
    slot = st.session_state.get(BUILD_SLOT_KEY)
    if slot is None:
        return
    pinned = st.session_state.get(WAREHOUSE_KEY)
    if pinned is None:
        slot.caption(t("No warehouse build yet: load data on the Data page."))
        return
    record = next((b for b in reversed(history()) if b.get("build_id") == pinned.build_id), {})
    finished = record.get("finished_at", "")
    warnings = len(record.get("warnings") or [])
    when = finished[:16].replace("T", " ")
    if record.get("as_of_date"):
        text = t("Warehouse build `{build}`  \nfinished {when} UTC, as of {as_of}",
                 build=pinned.build_id, when=when, as_of=record["as_of_date"])
    else:
        text = t("Warehouse build `{build}`  \nfinished {when} UTC", build=pinned.build_id,
                 when=when)
    if warnings:
        text += "  \n:orange[" + nt("with {n} warning: see the Data page",
                                    "with {n} warnings: see the Data page", warnings) + "]"
    slot.caption(text)


def warehouse() -> Warehouse:
    """The build this run reads, or stop with a message when there is none yet."""
    wh = st.session_state.get(WAREHOUSE_KEY)
    if wh is None:  # a page run without app.py (a test): pin here
        try:
            wh = get_warehouse().pin()
        except NoWarehouse:
            st.info(t("There is no warehouse yet: the data team loads data and builds it on "
                      "the Data page."))
            st.stop()
    return wh


# --- the one cached read ----------------------------------------------------------------------

T = TypeVar("T")
CACHE_TTL_S = 600


def cached(fn: Callable[..., T], *args: Any, wh: Warehouse | None = None, **kwargs: Any) -> T:
    """``fn(wh, *args, **kwargs)`` through ``st.cache_data``: how every page reads data.

    ``fn`` is a read of ``models`` taking the warehouse first (``growth.customer_growth``);
    ``wh`` defaults to the build this run reads (``warehouse()``). The cache key is the build
    id, the signed-in user's scope, the function's full name and the arguments, so a new build
    is never answered from an older one, nor one user's scope from another's (also when the
    scope is not an argument of ``fn``).
    """
    return cached_later(fn, *args, wh=wh, **kwargs)()


def cached_later(fn: Callable[..., T], *args: Any, wh: Warehouse | None = None,
                 **kwargs: Any) -> Callable[[], T]:
    """``cached`` run later (a download's deferred data): the build, the scope and the
    arguments are fixed now, while the page runs; the callable reads (or finds it cached)."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    if not fn.__module__.startswith("models.") or "<" in fn.__qualname__:
        # A page's own functions all live in one module ("__main__"): their names would collide.
        raise TypeError(f"cached() reads through a module-level function of models/, not {name}")
    wh = wh if wh is not None else warehouse()
    build_id, scope = wh.build_id, require_user().scope
    return lambda: _cached_read(build_id, scope, name, args, kwargs, _fn=fn, _wh=wh)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _cached_read(build_id: str | None, scope: scoping.Scope, name: str, args: tuple,
                 kwargs: dict, *, _fn: Callable[..., Any], _wh: Warehouse) -> Any:
    # Streamlit hashes every argument but the underscored ones: the key is the build, the
    # scope, the function's name and its arguments.
    return _fn(_wh, *args, **kwargs)


def options(user: User) -> FilterOptions:
    return cached(filter_options, user.scope)


# --- filters ---------------------------------------------------------------------------------

def option_labels(options: Any, format_code: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's ``format_func`` for ``options``: each option's label worked out now, in this
    run's language (``format_code(option)``; ALL as "All"). Streamlit (AppTest too) may call a
    format_func after the run, outside the session, where ``t()`` would answer in English: so
    a format_func that translates must be made with this."""
    labels = {option: t("All") if option == ALL else format_code(option) for option in options}
    return lambda option: labels.get(option, str(option))


def filter_sidebar(user: User) -> Filters | None:
    """Render the shared filters in the sidebar (app.py calls this before a manager page runs)
    and keep the choice in the session. None when there is no warehouse or no data yet."""
    try:
        opts = options(user) if st.session_state.get(WAREHOUSE_KEY) else None
    except UserError:
        opts = None
    if opts is None or opts.default_month is None:
        st.session_state.pop(FILTERS_KEY, None)
        return None
    with st.sidebar:
        st.markdown("#### " + t("Filters"))
        month = st.selectbox(t("Month"), opts.months, index=opts.months.index(opts.default_month)
                             if opts.default_month in opts.months else 0,
                             format_func=option_labels(opts.months, month_label),
                             key="filter_month",
                             help=t("The month the pages report on. The current month is "
                                    "partial until its last day, so the last complete month is "
                                    "the default."))
        regions = [ALL, *opts.regions]
        region = st.selectbox(t("Region"), regions, key="filter_region",
                              format_func=option_labels(regions, str),
                              disabled=len(opts.regions) <= 1 and user.scope.is_restricted)
        reps = opts.reps
        if region != ALL:
            reps = reps.filter(pl.col("region") == region)
        rep_labels = {r: f"{n} ({r})" for r, n in zip(reps["rep_id"], reps["rep_name"])}
        rep = st.selectbox(t("Rep"), [ALL, *rep_labels], key="filter_rep",
                           format_func=option_labels([ALL, *rep_labels], rep_labels.get))
        channel = st.selectbox(t("Channel"), [ALL, *opts.channels], key="filter_channel",
                               format_func=option_labels([ALL, *opts.channels],
                                                         lambda c: label("channel", c)))
        tier = st.selectbox(t("Tier"), [ALL, *TIERS], key="filter_tier",
                            format_func=option_labels([ALL, *TIERS],
                                                      lambda tier: label("tier", tier)),
                            help=t("The customer's tier in the chosen month."))
    chosen = Filters(month=month,
                     region=None if region == ALL else region,
                     rep_id=None if rep == ALL else rep,
                     channel=None if channel == ALL else channel,
                     tier=None if tier == ALL else tier)
    st.session_state[FILTERS_KEY] = chosen
    return chosen


def describe_filters(filters: Filters) -> str:
    """``Filters.describe`` in this language: 'Nov 2026 · North · tier S' / '2026年11月 · ...'.
    Data values (region) as they are: pass the result through ``md``."""
    parts = [month_label(filters.month)]
    if filters.region:
        parts.append(filters.region)
    if filters.channel:
        parts.append(label("channel", filters.channel))
    if filters.rep_id:
        parts.append(t("rep {rep_id}", rep_id=filters.rep_id))
    if filters.tier:
        parts.append(t("tier {tier}", tier=filters.tier))
    return " · ".join(parts)


def describe_scope(scope: scoping.Scope) -> str:
    """``Scope.describe`` in this language: what the signed-in user may see."""
    if scope.role == "manager":
        return t("region {region}", region=scope.region)
    if scope.role == "rep":
        return t("rep {rep_id}", rep_id=scope.rep_id)
    return t("all data")


def user_label(user: User) -> str:
    """``User.label`` in this language: 'Name (manager, North)', the role as its label."""
    who = user.name or user.email
    # lower case in English, as the sentence reads ("Kim (admin)"); labels.po's are capitalised
    role = {"admin": t("admin"), "analyst": t("analyst"), "manager": t("manager"),
            "rep": t("rep")}.get(user.role, user.role)
    if user.role == "manager":
        return t("{who} ({role}, {region})", who=who, role=role, region=user.region)
    if user.role == "rep":
        return t("{who} ({role}, {rep_id})", who=who, role=role, rep_id=user.rep_id)
    return t("{who} ({role})", who=who, role=role)


def current_filters(user: User) -> Filters:
    """The sidebar's filters; the defaults when the page runs without app.py's sidebar."""
    chosen = st.session_state.get(FILTERS_KEY)
    if isinstance(chosen, Filters):
        return chosen
    defaults = options(user).default_filters()
    if defaults is None:
        st.info(t("The warehouse has no customer months yet: load sales and build."))
        st.stop()
    return defaults


# --- formatting ------------------------------------------------------------------------------

def money(value: Any, decimals: int = 0) -> str:
    """¥1,234,567 (negative: -¥1,234); an en dash for no value (models.i18n.money otherwise)."""
    if value is None:
        return "–"
    return formats.money(value, lang(), decimals=decimals)


def money_short(value: Any) -> str:
    """A headline figure: ¥5,782.98万 in Chinese, ¥57.83M in English (models.i18n.money_short);
    show the exact ``money`` beside it (help, table)."""
    if value is None:
        return "–"
    return formats.money_short(value, lang())


def headline_money(value: Any) -> str:
    """A headline figure (a metric's value): ¥5,782.98万 in Chinese (``money_short``), the whole
    yuan in English (¥57,829,812); put the exact ``money`` in the metric's help or a table."""
    if value is None:
        return "–"
    return money_short(value) if lang() != "en" else money(value)


def month_name(month: date) -> str:
    """A month without its year, for a delta against the month before: 'Sep' / '9月'."""
    return f"{month:%b}" if lang() == "en" else f"{month.month}月"


def month_span(first: date, last: date) -> str:
    """A run of months: 'Nov 2026', 'Jan-Nov 2026' / '2026年11月', '2026年1月-11月'."""
    if first == last:
        return month_label(first)
    if lang() == "en":
        return f"{first:%b}-{month_label(last)}" if first.year == last.year else \
            f"{month_label(first)}-{month_label(last)}"
    if first.year == last.year:
        return f"{month_label(first)}-{last.month}月"
    return f"{month_label(first)}-{month_label(last)}"


def pct(value: Any, decimals: int = 1) -> str:
    """A share as a percentage (0.123 -> 12.3 %); an en dash for no value."""
    if value is None:
        return "–"
    return f"{float(value) * 100:.{decimals}f} %"


def money_column(label: str, decimals: int = 2) -> Any:
    """A grid's money column: ¥1,234.50 and -¥4.31 (models.i18n.MONEY_GRID: the sign before
    the ¥, which a printf format cannot write), ``decimals`` after the point."""
    return st.column_config.NumberColumn(label, **{**formats.MONEY_GRID,
                                                   "step": 10.0 ** -decimals})


def with_labels(frame: pl.DataFrame, kinds: dict[str, str]) -> pl.DataFrame:
    """``frame`` with a display column ``<column>_label`` per code column of ``kinds`` (column
    -> kind of code, as ``label``): the codes stay, their labels in this language beside."""
    return frame.with_columns(
        pl.col(column).cast(pl.String).replace_strict(
            {code: label(kind, code) for code in frame[column].drop_nulls().unique().to_list()},
            default=None, return_dtype=pl.String).alias(f"{column}_label")
        for column, kind in kinds.items())


def month_grid_format() -> str:
    """A grid's DateColumn format for a month: 'Nov 2026' / '2026年11月'."""
    return "MMM YYYY" if lang() == "en" else "YYYY年M月"


def pct_column(label: str) -> Any:
    return st.column_config.NumberColumn(label, format="percent")


# --- data as text ---------------------------------------------------------------------------

# What Markdown (CommonMark + GFM + Streamlit's math and directives) reads as syntax: a
# backslash before each makes it a literal character.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&=])")
_ZERO_WIDTH_SPACE = "\u200b"


def md(value: Any) -> str:
    """``value`` as Markdown text that shows exactly its characters: no link, image, HTML,
    heading, list, emphasis, LaTeX, colour or emoji (``![x](http://...)`` shows as typed).

    An exception shows its message in the session's language (the parts its raiser marked for
    the catalogue, ``models.i18n.messages.N_``; the rest as written).

    Markdown specials are backslash-escaped; a colon is followed by a zero-width space, which
    stops emoji and icon shortcodes (``:smile:``, ``:material/x:``), colour directives
    (``:red[...]``) and bare ``http://`` links (the ``.`` escape stops ``www.`` ones); line
    breaks become Markdown line breaks inside the one paragraph (blank lines dropped), so a
    line cannot start a heading, list, quote, table or code block. The one escape for every
    value from the data (and every message that may echo it) that Streamlit renders as
    Markdown."""
    if isinstance(value, BaseException):
        value = error_text(value, lang())
    text = "–" if value is None else str(value)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = text.replace(":", ":" + _ZERO_WIDTH_SPACE)
    text = re.sub(r"[\t\v\f]", " ", text)
    return re.sub(r"\s*[\r\n]\s*", "  \n", text.strip())


def plot_text(value: Any) -> Any:
    """A value from the data for a Plotly title, axis category, text or hover: HTML-escaped
    (Plotly renders ``<a href>``, ``<b>`` and entities in them); a list element by element;
    a polars text column at once; numbers and None as they are."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, (list, tuple)):
        return [plot_text(v) for v in value]
    if isinstance(value, pl.Series) and value.dtype == pl.String:
        # html.escape(quote=False), vectorised: & first, then < and >
        return (value.str.replace_all("&", "&amp;", literal=True)
                .str.replace_all("<", "&lt;", literal=True)
                .str.replace_all(">", "&gt;", literal=True))
    return value


# --- phone layout ----------------------------------------------------------------------------

def is_narrow() -> bool:
    """Whether to lay the page out for a phone: what the browser says it is (a phone's browser
    puts "Mobi" in its User-Agent, as MDN recommends to test), else the role (a rep works from a
    phone). Read from the request, so the first run already has the answer: asking the browser
    for its width would answer with a rerun, and a rerun that arrives after a click in the
    navigation takes the user back to the page they left."""
    known = st.session_state.get(NARROW_KEY)
    if isinstance(known, bool):
        return known
    agent = user_agent()
    if agent:
        return "Mobi" in agent
    user = identity.session_user(st.session_state)
    return user is not None and user.role == "rep"


def user_agent() -> str:
    """The browser's User-Agent header ("" without a browser, as under AppTest)."""
    try:
        agent = st.context.headers.get("User-Agent")
    except Exception:  # noqa: BLE001 - no request behind this run
        return ""
    return agent if isinstance(agent, str) else ""


def _is_link(config: Any) -> bool:
    return isinstance(config, dict) and (config.get("type_config") or {}).get("type") == "link"


def phone_frame(frame: pl.DataFrame, column_config: dict | None = None,
                phone_columns: list[str] | None = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """What a grid shows on a phone: ``phone_columns`` (else the first columns the grid shows)
    up to PHONE_MAX_COLUMNS, never a link column (a tapped cell is selected, not opened); and
    the link columns, name -> config, to show as buttons instead."""
    config = column_config or {}
    links = {name: cfg for name, cfg in config.items()
             if _is_link(cfg) and name in frame.columns}
    visible = [c for c in frame.columns if not (c in config and config[c] is None)
               and c not in links]
    chosen = [c for c in (phone_columns or visible) if c in visible][:PHONE_MAX_COLUMNS]
    return frame.select(chosen), links


def link_buttons(frame: pl.DataFrame, links: dict[str, Any], label_column: str | None) -> None:
    """The links of a grid as buttons, one row of buttons per row (labels as text)."""
    for row in frame.iter_rows(named=True):
        with st.container(horizontal=True):
            for name, cfg in links.items():
                url = row.get(name)
                if not url:
                    continue
                text = (cfg.get("type_config") or {}).get("display_text") or cfg.get("label") \
                    or name
                who = f"{row[label_column]}: " if label_column and row.get(label_column) else ""
                st.link_button(md(f"{who}{text}"), str(url), icon=":material/open_in_new:")


def grid(frame: Any, *, phone_columns: list[str] | None = None, link_label: str | None = None,
         **kwargs: Any) -> Any:
    """st.dataframe for every page a rep may open: on a phone (``is_narrow``) at most
    PHONE_MAX_COLUMNS columns (``phone_columns``, else the first shown) and each link column as
    buttons below the grid, labelled by ``link_label``'s value; otherwise the whole grid."""
    if isinstance(frame, pl.DataFrame) and is_narrow():
        shown_frame, links = phone_frame(frame, kwargs.get("column_config"), phone_columns)
        kwargs.pop("column_order", None)
        event = st.dataframe(shown_frame, **kwargs)
        if links:
            link_buttons(frame, links, link_label)
        return event
    return st.dataframe(frame, **kwargs)


def chart(figure: Any, **kwargs: Any) -> Any:
    """st.plotly_chart with the page kit's config (no mode bar): the one way pages draw a
    Plotly chart (tests/test_phone_layout.py checks that no page calls st.plotly_chart)."""
    return st.plotly_chart(figure, config=PLOTLY_CONFIG, **kwargs)


# --- output ----------------------------------------------------------------------------------

def shown(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` for st.dataframe: Decimal columns as floats (the grid shows them rounded by
    its column format; Decimal objects make the conversion to the browser's format slow).
    Downloads keep the exact values."""
    decimals = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)]
    return frame.with_columns(pl.col(decimals).cast(pl.Float64)) if decimals else frame


def no_visits_text() -> str:
    """``models.queries.visits.NO_VISITS`` in this language: why the visit figures are off."""
    return t("No visits have been loaded: visit compliance, the visits due and the visit alerts "
             "are off, and the priority matrix has no service-need axis, until a visits file is "
             "loaded on the Data page.")


def empty(message: str | None = None) -> None:
    """The empty state (``message`` already in the session's language)."""
    st.info(message if message is not None else
            t("No data for these filters. Widen the filters in the sidebar."),
            icon=":material/filter_alt_off:")


def download(frame: pl.DataFrame, name: str, label: str | None = None,
             key: str | None = None) -> None:
    """A CSV download of what a table shows (Decimal columns as plain numbers; text cells
    that start like a formula neutralised, see models/core/exports.py).

    The file is written when the button is clicked, not on every run of the page."""
    st.download_button(label if label is not None else t("Download CSV"),
                       lambda: exports.csv_bytes(frame),
                       file_name=f"{name}.csv", mime="text/csv", icon=":material/download:",
                       key=key or f"dl_{name}")


def download_excel(sheets: dict[str, pl.DataFrame] | Callable[[], dict[str, pl.DataFrame]],
                   name: str, label: str | None = None, key: str | None = None) -> None:
    """An .xlsx download with one sheet per frame, written when the button is clicked (a
    workbook of a month's lines takes seconds to write). ``sheets`` may be a function that
    returns them, so that their query also runs only on a click."""
    st.download_button(label if label is not None else t("Download Excel"),
                       lambda: exports.xlsx_bytes(sheets() if callable(sheets)
                                                         else sheets),
                       file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table_view:", key=key or f"dlx_{name}")


def open_customer(customer_id: str) -> None:
    """Go to the customer card of ``customer_id``."""
    st.session_state[CUSTOMER_KEY] = customer_id
    st.switch_page(CARD_PAGE, query_params={"customer": customer_id})


def selected_customer() -> str | None:
    """The customer the card should show: the link's query parameter, else the last chosen."""
    from_link = st.query_params.get("customer")
    if from_link:
        st.session_state[CUSTOMER_KEY] = from_link
        return from_link
    return st.session_state.get(CUSTOMER_KEY)


def customer_table(frame: pl.DataFrame, key: str, column_config: dict | None = None,
                   height: int | None = None,
                   phone_columns: list[str] | None = None) -> str | None:
    """A dataframe whose rows can be selected; selecting a row opens that customer's card (on a
    phone too: a tap selects the row). A phone shows the few columns of ``grid``.

    ``frame`` needs a ``customer_id`` column. Returns nothing useful: a selection navigates.
    """
    event = grid(shown(frame), key=key, on_select="rerun", selection_mode="single-row",
                 hide_index=True, column_config=column_config,
                 height=height if height is not None else "auto", phone_columns=phone_columns)
    rows = event.selection.rows if event is not None else []
    if rows:
        open_customer(frame["customer_id"][rows[0]])
    return None


def spinner(text: str | None = None):
    return st.spinner(text if text is not None else t("Loading ..."), show_time=False)


def attribution_view(key: str, label: str | None = None,
                     default: str = attribution.DEFAULT_VIEW) -> str:
    """The "as booked / current book" toggle (``models.queries.attribution``); returns the view."""
    return st.radio(label if label is not None else t("Credit revenue"), list(attribution.VIEWS),
                    index=list(attribution.VIEWS).index(default),
                    format_func=option_labels(attribution.VIEWS, attribution_label),
                    horizontal=True, key=key,
                    help=" ".join(t("{view}: {meaning}", view=attribution_label(v),
                                    meaning=attribution_help(v)) for v in attribution.VIEWS))


def attribution_label(view: str) -> str:
    """The name of an attribution view (``models.queries.attribution.VIEWS``) in this language."""
    names = {"booked": t("As booked"), "current": t("Current book")}
    return names.get(view, view)


def attribution_help(view: str) -> str:
    """What a figure in an attribution view means, in this language."""
    meanings = {
        "booked": t("Each order counts for the rep and region that had the customer on the "
                    "order date (a customer moved mid-year counts for its old rep and region "
                    "before the move)."),
        "current": t("Every order counts for the rep and region that have the customer today, "
                     "earlier months included."),
    }
    return meanings.get(view, attribution.VIEW_HELP.get(view, view))


def attribution_describe(view: str) -> str:
    """``models.queries.attribution.describe`` in this language: the caption under a figure."""
    attribution.check_view(view)
    return t("{view}: {meaning}", view=attribution_label(view), meaning=attribution_help(view))
