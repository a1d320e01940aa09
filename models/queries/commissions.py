"""Commissions (SPEC 9): the queries of the commissions page, the Excel export and the what-if.

The rules live in dbt (``int_commission_credits``, ``fct_commission_lines``,
``rpt_commission_statements``, ``rpt_commission_team_statements``); this module reads those
marts through ``filters.read``, so the user's scope applies: a manager sees the lines and
statements of the region's reps and house account, a rep only their own.

The what-if re-prices the commission lines of a period under an edited plan (rates by price
band, the developer's shares of split accounts, the accelerator and the quota rule) in an
in-memory DuckDB database. It never writes to the warehouse.

It runs the build's own pricing SQL, never a copy: the arithmetic and the rounding are two dbt
macros (``macros/commissions/price_commission_lines.sql``) that ``int_commission_credits`` and
``fct_commission_lines`` call, and so does the ephemeral model ``int_commission_lines_repriced``,
which applies them to the relations ``whatif_lines``/``whatif_rates``/``whatif_plan``. dbt
compiles that model with every build (an ephemeral model is compiled, never run) and the
compiled SQL is in the build's ``manifest.json``; ``whatif_sql`` reads it from the build the
what-if reads its lines from, so a rule change reaches the marts and the what-if together and an
unchanged plan reproduces the actual commission to the cent.

Why not run the dbt models on a scratch copy with the edited plan seed: that is a dbt
invocation (seconds of start-up and parsing, and a rebuild of the credits of every order line)
per what-if, where the compiled SQL re-prices a year of a region in a fraction of a second and
costs the build nothing (no extra ``dbt compile``).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from models.core import exports
from models.core.errors import UserError
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import translate
from models.core.clock import add_months
from models.queries.filters import read

BANDS = ("high", "mid", "low", "unbanded")
ROLES = ("developer", "maintainer", "sole", "house")


# --- unassigned customers ----------------------------------------------------------------------

def unassigned_customers(wh: Warehouse, scope: Scope) -> pl.DataFrame:
    """The customers without a maintainer that ``scope`` may see (a manager: the region's; a
    rep: none), biggest first: their orders go to the house account (reason 'unassigned')."""
    return read(wh, "select customer_id, customer_name, region, channel, tier, "
                    "last_order_date, revenue_12m from dim_customers "
                    "where maintainer_rep_id is null "
                    "order by revenue_12m desc nulls last, customer_id", scope)


# --- statements and the lines behind each figure ----------------------------------------------

@dataclass(frozen=True)
class Figure:
    """A figure of a statement and the commission lines behind it.

    ``where`` selects the lines (a fixed condition on ``fct_commission_lines``), and the sum of
    their ``line_column`` is the figure, exactly.
    """

    key: str          # the statement's column
    label: str
    where: str
    line_column: str
    is_commission: bool  # money paid (else revenue, the base)


FIGURES: tuple[Figure, ...] = (
    Figure("credited_revenue_developer", "Credited revenue as developer",
           "credit_role = 'developer'", "credited_revenue", False),
    Figure("credited_revenue_maintainer", "Credited revenue as maintainer",
           "credit_role = 'maintainer'", "credited_revenue", False),
    Figure("credited_revenue_sole", "Credited revenue as sole rep",
           "credit_role = 'sole'", "credited_revenue", False),
    Figure("credited_revenue_house", "Revenue to the house account",
           "credit_role = 'house'", "credited_revenue", False),
    Figure("returned_revenue", "Returns (credited revenue)", "is_return", "credited_revenue",
           False),
    Figure("accelerated_revenue", "Revenue above the quota line", "accelerated_revenue <> 0",
           "accelerated_revenue", False),
    Figure("base_commission", "Base commission", "not is_return", "base_commission", True),
    Figure("accelerator_commission", "Accelerator", "not is_return and accelerator_commission <> 0",
           "accelerator_commission", True),
    Figure("clawback_commission", "Clawbacks (returns)", "is_return", "commission_amount", True),
    Figure("total_commission", "Total commission", "true", "commission_amount", True),
)
FIGURES_BY_KEY = {f.key: f for f in FIGURES}

# The columns of a drill-down: what a rep needs to check a figure line by line.
LINE_COLUMNS = (
    "order_date", "order_id", "line_number", "customer_id", "customer_name", "sku",
    "product_name", "price_band", "quantity", "order_revenue", "credit_role", "share",
    "credited_revenue", "plan_version", "rate", "base_commission", "accelerated_revenue",
    "accelerator_applied", "accelerator_commission", "commission_amount", "is_return",
    "is_first_order_month", "house_reason", "account_rep_id",
)
_LINE_SELECT = ", ".join(LINE_COLUMNS)
_LINE_ORDER = "order by order_date, order_id, line_number, account_role"


def months(wh: Warehouse, scope: Scope) -> list[date]:
    """Months with a statement the user may see, newest first."""
    frame = read(wh, "select distinct month_start from rpt_commission_statements "
                     "order by month_start desc", scope)
    return frame["month_start"].to_list()


def statements(wh: Warehouse, scope: Scope, month: date) -> pl.DataFrame:
    """Every statement of the month the user may see (the team table and the rep picker)."""
    return read(wh, "select * from rpt_commission_statements where month_start = $month "
                    "order by region, is_house, rep_name, rep_id", scope, {"month": month})


def statement(wh: Warehouse, scope: Scope, rep_id: str, month: date) -> dict[str, Any] | None:
    """One rep's statement of a month, or None."""
    frame = read(wh, "select * from rpt_commission_statements "
                     "where rep_id = $rep_id and month_start = $month", scope,
                 {"rep_id": rep_id, "month": month})
    return frame.row(0, named=True) if frame.height else None


def statement_lines(wh: Warehouse, scope: Scope, rep_id: str, month: date) -> pl.DataFrame:
    """Every commission line of a rep's month, with a flag ``in_<figure>`` per statement figure
    telling whether the line is behind it (one query for the whole drill-down)."""
    flags = ", ".join(f"coalesce({f.where}, false) as in_{f.key}" for f in FIGURES)
    return read(wh, f"select {_LINE_SELECT}, {flags} from fct_commission_lines "
                    f"where rep_id = $rep_id and month_start = $month {_LINE_ORDER}", scope,
                {"rep_id": rep_id, "month": month})


def lines_behind(lines: pl.DataFrame, figure: str) -> pl.DataFrame:
    """The lines of ``statement_lines`` behind one figure (their ``line_column`` sums to it)."""
    if figure not in FIGURES_BY_KEY:
        raise ValueError(f"unknown statement figure {figure!r}")
    return lines.filter(pl.col(f"in_{figure}")).select(LINE_COLUMNS)


def figure_lines(wh: Warehouse, scope: Scope, rep_id: str, month: date, figure: str,
                 ) -> pl.DataFrame:
    """The commission lines behind one figure of a statement (their sum is the figure)."""
    return lines_behind(statement_lines(wh, scope, rep_id, month), figure)


def rep_lines(wh: Warehouse, scope: Scope, month: date, rep_id: str | None = None,
              ) -> pl.DataFrame:
    """All commission lines of a month (of one rep, or of every rep the user may see)."""
    return read(wh, "select rep_id, rep_name, region, " + _LINE_SELECT +
                " from fct_commission_lines where month_start = $month "
                "and ($rep_id is null or rep_id = $rep_id) "
                "order by region, rep_id, order_date, order_id, line_number, account_role",
                scope, {"month": month, "rep_id": rep_id})


def team_statements(wh: Warehouse, scope: Scope, month: date) -> pl.DataFrame:
    """The team rollup of the month: one row per region and manager."""
    return read(wh, "select * from rpt_commission_team_statements where month_start = $month "
                    "order by region, manager_name", scope, {"month": month})


def split_accounts(wh: Warehouse, scope: Scope, month: date, rep_id: str | None = None,
                   ) -> pl.DataFrame:
    """Group-purchase accounts split between a developer and a maintainer in the month, the two
    side by side (of the accounts where ``rep_id`` is one of them, when given). A side the user
    may not see (another region's rep, another rep) is empty."""
    return read(wh, """
        with split as (
            select * from fct_commission_lines
            where month_start = $month and is_split_account
        ),
        chosen as (
            select distinct customer_id from split where $rep_id is null or rep_id = $rep_id
        )
        select
            customer_id,
            max(customer_name) as customer_name,
            sum(case when account_role = 'developer' then order_revenue else 0 end)
                as order_revenue,
            max(case when account_role = 'developer' then rep_id end) as developer_rep_id,
            max(case when account_role = 'developer' then rep_name end) as developer_name,
            sum(case when account_role = 'developer' then credited_revenue else 0 end)
                as developer_credited_revenue,
            sum(case when account_role = 'developer' then commission_amount else 0 end)
                as developer_commission,
            max(case when account_role = 'maintainer' then rep_id end) as maintainer_rep_id,
            max(case when account_role = 'maintainer' then rep_name end) as maintainer_name,
            sum(case when account_role = 'maintainer' then credited_revenue else 0 end)
                as maintainer_credited_revenue,
            sum(case when account_role = 'maintainer' then commission_amount else 0 end)
                as maintainer_commission,
            bool_or(is_first_order_month) as has_first_order_month
        from split
        where customer_id in (select customer_id from chosen)
        group by customer_id
        order by order_revenue desc, customer_id
    """, scope, {"month": month, "rep_id": rep_id})


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(rep_id: str, rep_name: str | None) -> str:
    """An Excel sheet name for a rep: 'R0006 王超', at most 31 characters, no []:*?/\\ and
    no apostrophe at either end (Excel refuses those names)."""
    return _SHEET_BAD.sub(" ", f"{rep_id} {rep_name or ''}")[:31].strip(" '") or "Rep"


def statements_sheet_name(lang: str, keys: bool = True) -> str:
    """The name of the statements sheet: 'Statements' (the key), or in ``lang``."""
    return "Statements" if keys else sheet_name_text(translate(lang, "Statements"))


def sheet_name_text(text: str) -> str:
    """``text`` as a name Excel accepts (at most 31 characters, none of []:*?/\\)."""
    return _SHEET_BAD.sub(" ", text)[:31].strip(" '") or "Sheet"


def export_sheets(wh: Warehouse, scope: Scope, month: date, rep_id: str | None = None,
                  lang: str = "en", keys: bool = True) -> dict[str, pl.DataFrame]:
    """The month's statements, then one sheet per rep with the rep's commission lines (of one rep,
    or of every rep the user may see). Money as numbers. Written by exports.xlsx_bytes, which
    quotes text that starts like a formula.

    With ``keys`` (the default for scripts) the headers are the stable column keys
    (``customer_name``) and the first sheet is 'Statements'; without, the sheet name and the
    headers are in ``lang`` (a page's download: 提成表, 客户名称 ...)."""
    chosen = statements(wh, scope, month)
    if rep_id is not None:
        chosen = chosen.filter(pl.col("rep_id") == rep_id)
    lines = rep_lines(wh, scope, month, rep_id)
    statement_head = statement_headers(lang)
    line_head = line_headers(lang)
    sheets = {statements_sheet_name(lang, keys):
              exports.headed(_plain_numbers(chosen), statement_head, keys)}
    for row in chosen.iter_rows(named=True):
        mine = lines.filter(pl.col("rep_id") == row["rep_id"]).drop("rep_id", "rep_name",
                                                                       "region")
        sheets[sheet_name(row["rep_id"], row["rep_name"])] = exports.headed(
            _plain_numbers(mine), line_head, keys)
    return sheets


# --- the headers people read (pages' grids and the downloads) ----------------------------------

def figure_labels(lang: str) -> dict[str, str]:
    """The label of each statement figure (``FIGURES``) in ``lang``."""
    return {
        "credited_revenue_developer": translate(lang, "Credited revenue as developer"),
        "credited_revenue_maintainer": translate(lang, "Credited revenue as maintainer"),
        "credited_revenue_sole": translate(lang, "Credited revenue as sole rep"),
        "credited_revenue_house": translate(lang, "Revenue to the house account"),
        "returned_revenue": translate(lang, "Returns (credited revenue)"),
        "accelerated_revenue": translate(lang, "Revenue above the quota line"),
        "base_commission": translate(lang, "Base commission"),
        "accelerator_commission": translate(lang, "Accelerator"),
        "clawback_commission": translate(lang, "Clawbacks (returns)"),
        "total_commission": translate(lang, "Total commission"),
    }


def line_headers(lang: str) -> dict[str, str]:
    """Column key -> header in ``lang`` of a commission line (``LINE_COLUMNS``)."""
    return {
        "order_date": translate(lang, "Date"),
        "order_id": translate(lang, "Order"),
        "line_number": translate(lang, "Line"),
        "customer_id": translate(lang, "Customer ID"),
        "customer_name": translate(lang, "Customer"),
        "sku": "SKU",
        "product_name": translate(lang, "Product"),
        "price_band": translate(lang, "Price band"),
        "quantity": translate(lang, "Quantity"),
        "order_revenue": translate(lang, "Order line revenue"),
        "credit_role": translate(lang, "Credited as"),
        "account_role": translate(lang, "Account role"),
        "share": translate(lang, "Share"),
        "credited_revenue": translate(lang, "Credited revenue"),
        "plan_version": translate(lang, "Plan"),
        "rate": translate(lang, "Rate"),
        "base_commission": translate(lang, "Base commission"),
        "accelerated_revenue": translate(lang, "Above quota"),
        "accelerator_applied": translate(lang, "Accelerator"),
        "accelerator_commission": translate(lang, "Accelerator extra"),
        "commission_amount": translate(lang, "Commission"),
        "is_return": translate(lang, "Return"),
        "is_first_order_month": translate(lang, "First-order month"),
        "house_reason": translate(lang, "House because"),
        "account_rep_id": translate(lang, "Account's rep"),
    }


def statement_headers(lang: str) -> dict[str, str]:
    """Column key -> header in ``lang`` of a statement (``rpt_commission_statements``)."""
    figures = figure_labels(lang)
    return {
        **figures,
        "rep_id": translate(lang, "Rep ID"),
        "month_start": translate(lang, "Month"),
        "rep_name": translate(lang, "Rep"),
        "region": translate(lang, "Region"),
        "manager_rep_id": translate(lang, "Manager ID"),
        "is_house": translate(lang, "House account"),
        "plan_version": translate(lang, "Plan"),
        "commission_lines": translate(lang, "Commission lines"),
        "customers": translate(lang, "Customers"),
        "credited_revenue": translate(lang, "Credited revenue"),
        "sales_quota": translate(lang, "Quota"),
        "quota_line": translate(lang, "Quota line"),
        "quota_attainment": translate(lang, "Of quota"),
        "commission_developer": translate(lang, "Commission as developer"),
        "commission_maintainer": translate(lang, "Commission as maintainer"),
        "commission_sole": translate(lang, "Commission as sole rep"),
        "commission_house": translate(lang, "Commission to the house"),
    }


def _plain_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimal columns as floats (what a spreadsheet holds); every figure is already rounded."""
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


# --- the what-if -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """A commission plan to re-price with (one plan for the whole period)."""

    rates: tuple[tuple[str, Decimal], ...]  # (price band, rate): a band not listed keeps its rate
    developer_share: Decimal
    first_order_developer_share: Decimal
    accelerator: Decimal
    quota_threshold: Decimal
    version: str = ""

    def __post_init__(self) -> None:
        for band, rate in self.rates:
            if band not in BANDS:
                raise UserError(f"Unknown price band {band!r}: use one of {', '.join(BANDS)}.")
            if rate < 0 or rate > 1:
                raise UserError(f"The rate of band {band} must be between 0 and 1 (0.03 = 3 %).")
        for label, share in (("developer share", self.developer_share),
                             ("first-order developer share", self.first_order_developer_share)):
            if share < 0 or share > 1:
                raise UserError(f"The {label} must be between 0 and 1.")
        if self.accelerator < 1:
            raise UserError("The accelerator must be at least 1 (1 = no accelerator).")
        if self.quota_threshold < 0:
            raise UserError("The quota threshold cannot be negative.")

    def rate(self, band: str) -> Decimal | None:
        return dict(self.rates).get(band)

    def with_rates(self, rates: dict[str, Any]) -> Plan:
        return replace(self, rates=tuple((b, _dec(r)) for b, r in rates.items()), version="")

    def scaled(self, factor: Any) -> Plan:
        """Every rate times ``factor`` (for 'what if rates were doubled')."""
        return replace(self, rates=tuple((b, _dec(r) * _dec(factor)) for b, r in self.rates),
                       version="")

    @property
    def maintainer_share(self) -> Decimal:
        return 1 - self.developer_share


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def plan_in_force(wh: Warehouse, scope: Scope, month: date) -> Plan | None:
    """The plan the commission lines of ``month`` were priced with (bands with lines only);
    None when no plan version covers the month (its lines say no_plan)."""
    frame = read(wh, """
        select
            plan_version, price_band, max(rate) as rate,
            max(plan_developer_share) as developer_share,
            max(plan_first_order_developer_share) as first_order_developer_share,
            max(plan_accelerator) as accelerator,
            max(plan_quota_threshold) as quota_threshold
        from fct_commission_lines
        where month_start = $month
            and no_commission_reason is null
        group by plan_version, price_band
        order by plan_version, price_band
    """, scope, {"month": month})
    if frame.is_empty():
        return None
    first = frame.row(0, named=True)
    order = {b: i for i, b in enumerate(BANDS)}
    rates = sorted(zip(frame["price_band"], frame["rate"]), key=lambda br: order.get(br[0], 9))
    return Plan(rates=tuple(rates), developer_share=first["developer_share"],
                first_order_developer_share=first["first_order_developer_share"],
                accelerator=first["accelerator"], quota_threshold=first["quota_threshold"],
                version=first["plan_version"])


def plan_versions(wh: Warehouse, scope: Scope, start: date, end: date) -> list[str]:
    """The plan versions in force over the months ``start``..``end``."""
    frame = read(wh, "select distinct plan_version from fct_commission_lines "
                     "where month_start between $start and $end "
                     "and plan_version is not null order by 1", scope,
                 {"start": start.replace(day=1), "end": end.replace(day=1)})
    return frame["plan_version"].to_list()


# What the re-pricing needs of each line (whole rep-months: the accelerator's running total).
WHATIF_COLUMNS = (
    "order_id", "line_number", "account_role", "rep_id", "rep_name", "region", "is_house",
    "month_start", "order_date", "price_band", "order_revenue", "is_split_account",
    "is_first_order_month", "share", "rate", "credited_revenue", "base_commission",
    "sales_quota", "accelerated_revenue", "accelerator_commission", "commission_amount",
)


def whatif_lines(wh: Warehouse, scope: Scope, start: date, end: date,
                 region: str | None = None, rep_id: str | None = None) -> pl.DataFrame:
    """The commission lines of the months ``start``..``end`` (of a region or a rep) to re-price.

    Whole months of whole reps: a rep's lines all carry the rep's region, so filtering by region
    or rep never cuts a rep-month in two. Lines no plan version covers (no_plan) are left out:
    they earn nothing under the actual plan, so re-pricing them compares nothing.
    """
    if end < start:
        raise UserError("The what-if period ends before it starts.")
    return read(wh, f"select {', '.join(WHATIF_COLUMNS)} from fct_commission_lines "
                    "where month_start between $start and $end "
                    "and no_commission_reason is null "
                    "and ($region is null or region = $region) "
                    "and ($rep_id is null or rep_id = $rep_id)", scope,
                {"start": start.replace(day=1), "end": end.replace(day=1), "region": region,
                 "rep_id": rep_id})


# The dbt model whose compiled SQL is the what-if (ephemeral: compiled with every build, run here).
WHATIF_MODEL = "int_commission_lines_repriced"


def whatif_sql(wh: Warehouse) -> str:
    """The what-if's SQL as compiled by the build ``wh`` reads (its dbt manifest): the pricing
    macros of the build, over the relations whatif_lines, whatif_rates and whatif_plan."""
    path = wh.current_file()
    if path is None:
        raise UserError("There is no warehouse yet: load data and build it (salesdesk build, "
                        "or the Data page).")
    manifest = path.parent / f"{path.name.removesuffix('.duckdb')}.dbt" / "target" / \
        "manifest.json"
    try:
        stat = manifest.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = None
    sql = _compiled_model(str(manifest), version, WHATIF_MODEL)
    if sql is None:
        raise UserError(
            f"The commission what-if runs the pricing SQL that dbt compiles with each build, "
            f"and the current build {path.name.removesuffix('.duckdb')} has none (no model "
            f"{WHATIF_MODEL} in {manifest}): it was made by an older version. Build again "
            f"(salesdesk build, or the Data page) and retry.")
    return sql


@lru_cache(maxsize=4)
def _compiled_model(manifest: str, version: tuple[int, int] | None, name: str) -> str | None:
    """A model's compiled SQL from a dbt manifest (cached per file version), or None."""
    if version is None:
        return None
    try:
        nodes = json.loads(Path(manifest).read_text(encoding="utf-8")).get("nodes") or {}
    except (OSError, ValueError):
        return None
    for node in nodes.values():
        if node.get("resource_type") == "model" and node.get("name") == name:
            return node.get("compiled_code") or None
    return None


_COMPARE_SQL = """
select
    region,
    rep_id,
    max(rep_name) as rep_name,
    bool_or(is_house) as is_house,
    count(*) as commission_lines,
    cast(sum(credited_revenue) as decimal(18, 4)) as actual_credited_revenue,
    cast(sum(whatif_credited_revenue) as decimal(18, 4)) as whatif_credited_revenue,
    cast(sum(commission_amount) as decimal(18, 2)) as actual_commission,
    cast(sum(whatif_commission) as decimal(18, 2)) as whatif_commission,
    cast(sum(whatif_commission) - sum(commission_amount) as decimal(18, 2)) as difference
from repriced
group by region, rep_id
order by region, is_house, rep_name, rep_id
"""


@dataclass(frozen=True)
class WhatIf:
    """Actual against what-if, per rep (or house account), over the re-priced lines."""

    per_rep: pl.DataFrame  # region, rep_id, rep_name, is_house, ..., actual/whatif, difference
    lines: int
    actual_total: Decimal
    whatif_total: Decimal
    seconds: float

    @property
    def difference(self) -> Decimal:
        return self.whatif_total - self.actual_total


def _run_priced(wh: Warehouse, lines: pl.DataFrame, plan: Plan, select: str) -> pl.DataFrame:
    """``select`` (reading ``repriced``) over ``lines`` re-priced by the build's what-if SQL, in
    an in-memory DuckDB database."""
    missing = set(WHATIF_COLUMNS) - set(lines.columns)
    if missing:
        raise ValueError(f"the what-if needs the columns {sorted(missing)}")
    sql = whatif_sql(wh)
    with duckdb.connect(":memory:") as con:
        con.register("whatif_lines", lines)
        con.register("whatif_rates", _rates_frame(plan))
        con.register("whatif_plan", _plan_frame(plan))
        return con.sql(f"with repriced as (\n{sql}\n)\n{select}").pl()


def reprice(wh: Warehouse, lines: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The lines (from ``whatif_lines``) with their what-if share, rate, credited revenue,
    base, accelerator and commission (``whatif_*`` columns) beside the actual ones."""
    return _run_priced(wh, lines, plan, "select * from repriced")


def _rates_frame(plan: Plan) -> pl.DataFrame:
    return pl.DataFrame({"price_band": [b for b, _ in plan.rates],
                         "rate": [r for _, r in plan.rates]},
                        schema={"price_band": pl.String, "rate": pl.Decimal(9, 4)})


def _plan_frame(plan: Plan) -> pl.DataFrame:
    return pl.DataFrame({"developer_share": [plan.developer_share],
                         "first_order_developer_share": [plan.first_order_developer_share],
                         "accelerator": [plan.accelerator],
                         "quota_threshold": [plan.quota_threshold]},
                        schema={k: pl.Decimal(9, 4) for k in (
                            "developer_share", "first_order_developer_share", "accelerator",
                            "quota_threshold")})


def compare(wh: Warehouse, lines: pl.DataFrame, plan: Plan) -> WhatIf:
    """Re-price ``lines`` (from ``whatif_lines`` of the build ``wh`` reads) under ``plan``;
    actual against what-if per rep."""
    started = time.perf_counter()
    per_rep = _run_priced(wh, lines, plan, _COMPARE_SQL)
    actual = per_rep["actual_commission"].sum() if per_rep.height else Decimal("0")
    whatif = per_rep["whatif_commission"].sum() if per_rep.height else Decimal("0")
    return WhatIf(per_rep=per_rep, lines=lines.height, actual_total=_dec(actual),
                  whatif_total=_dec(whatif), seconds=time.perf_counter() - started)


def run_whatif(wh: Warehouse, scope: Scope, start: date, end: date, plan: Plan,
               region: str | None = None, rep_id: str | None = None) -> WhatIf:
    """``compare`` on the lines of a period read from the warehouse (read-only), with the
    what-if SQL of the same build."""
    pinned = wh.pin()
    return compare(pinned, whatif_lines(pinned, scope, start, end, region, rep_id), plan)


def year_ending(month: date) -> tuple[date, date]:
    """The 12 months ending with ``month``: (first month, last month)."""
    return add_months(month.replace(day=1), -11), month.replace(day=1)
