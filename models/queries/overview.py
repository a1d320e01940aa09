"""The Overview page's figures: revenue against the same period a year earlier, customer counts
by lifecycle stage, the tier mix, visit compliance and the open alerts.

Every query reads marts through ``filters.read_filtered`` (the user's scope applies there) and
narrows the customers with ``Filters.customer_sql()``.

Like with like: revenue is summed from the monthly rows of ``fct_revenue_attribution`` (a region
or rep filter taken as booked or in the current book, ``models.queries.attribution``), so the
month, the quarter to date and the year to date end at the chosen month, and the year-ago
figure covers exactly the same calendar months one year earlier. A year-ago period that begins
before the warehouse's first month has no comparison (None) rather than a misleading one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from models.core.clock import add_months
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.queries import attribution
from models.queries.filters import (
    TIERS,
    Filters,
    month_end,
    read,
    read_filtered,
)

ALERT_TYPES = {
    "long_no_purchase": "Long time no purchase",
    "tier_drop": "Tier drop",
    "visit_overdue": "S/A visit overdue",
    "recent_complaint": "Recent complaint",
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
ACTIVE_STAGES = ("new", "growing", "mature", "declining")


# --- revenue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodRevenue:
    """Revenue and gross profit of a run of months against the same months a year earlier."""

    label: str            # "Oct 2026", "Q4 2026 to date", "2026 to date"
    first_month: date
    last_month: date
    revenue: float
    gross_profit: float
    prior_revenue: float | None  # None when the year-ago months are not all in the warehouse
    prior_gross_profit: float | None
    is_partial: bool      # the last month is the as-of month, still running

    @property
    def prior_label(self) -> str:
        first, last = add_months(self.first_month, -12), add_months(self.last_month, -12)
        if first == last:
            return first.strftime("%b %Y")
        return f"{first.strftime('%b')}-{last.strftime('%b %Y')}"

    @property
    def change(self) -> float | None:
        """Revenue against the year-ago months as a ratio (0.1 = +10 %); None without a base."""
        if self.prior_revenue is None or self.prior_revenue == 0:
            return None
        return self.revenue / self.prior_revenue - 1


@dataclass(frozen=True)
class RevenueSummary:
    periods: list[PeriodRevenue]   # month, quarter to date, year to date
    first_month: date | None       # the warehouse's first month (scope-wide)
    as_of_date: date | None

    def frame(self) -> pl.DataFrame:
        """The summary as a table (for the download)."""
        return pl.DataFrame({
            "period": [p.label for p in self.periods],
            "first_month": [p.first_month for p in self.periods],
            "last_month": [p.last_month for p in self.periods],
            "revenue": [p.revenue for p in self.periods],
            "gross_profit": [p.gross_profit for p in self.periods],
            "year_ago_period": [p.prior_label for p in self.periods],
            "year_ago_revenue": [p.prior_revenue for p in self.periods],
            "year_ago_gross_profit": [p.prior_gross_profit for p in self.periods],
            "revenue_change": [p.change for p in self.periods],
        }, schema_overrides={"year_ago_revenue": pl.Float64, "year_ago_gross_profit": pl.Float64,
                             "revenue_change": pl.Float64})


def quarter_start(month: date) -> date:
    return date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def monthly_revenue(wh: Warehouse, scope: Scope, filters: Filters, first: date,
                    last: date, view: str = attribution.DEFAULT_VIEW) -> pl.DataFrame:
    """Revenue and gross profit per month (month_start) of the filters, the region and rep
    taken in ``view`` (``attribution``: as booked or the current book)."""
    return attribution.monthly_revenue(wh, scope, filters, first, last, view)


def revenue_summary(wh: Warehouse, scope: Scope, filters: Filters,
                    view: str = attribution.DEFAULT_VIEW) -> RevenueSummary:
    """The chosen month, its quarter to date and its year to date against a year earlier; a
    region or rep filter is applied in ``view`` (as booked by default: what the region or rep
    sold then, so a customer that moved does not restate its history)."""
    month = filters.month
    bounds = read(wh, """
        select min(period_start) as first_month, max(as_of_date) as as_of_date
        from fct_customer_contribution
        cross join (select max(as_of_date) as as_of_date from dim_customers) as build
        where grain = 'month'
    """, scope)
    first_month = bounds["first_month"][0] if len(bounds) else None
    as_of = bounds["as_of_date"][0] if len(bounds) else None
    months = monthly_revenue(wh, scope, filters, date(month.year - 1, 1, 1), month, view)
    by_month = {m: (r, g) for m, r, g in months.iter_rows()}
    is_partial = as_of is not None and month <= as_of < month_end(month)

    def period(label: str, first: date) -> PeriodRevenue:
        span = _months_between(first, month)
        revenue = sum(by_month.get(m, (0.0, 0.0))[0] for m in span)
        profit = sum(by_month.get(m, (0.0, 0.0))[1] for m in span)
        prior_span = [add_months(m, -12) for m in span]
        known = first_month is not None and prior_span[0] >= first_month
        prior = sum(by_month.get(m, (0.0, 0.0))[0] for m in prior_span) if known else None
        prior_profit = (sum(by_month.get(m, (0.0, 0.0))[1] for m in prior_span)
                        if known else None)
        return PeriodRevenue(label, first, month, revenue, profit, prior, prior_profit,
                             is_partial)

    quarter = quarter_start(month)
    periods = [
        period(month.strftime("%b %Y"), month),
        period(f"Q{(month.month - 1) // 3 + 1} {month.year} to date", quarter),
        period(f"{month.year} to date", date(month.year, 1, 1)),
    ]
    return RevenueSummary(periods, first_month, as_of)


def _months_between(first: date, last: date) -> list[date]:
    months, m = [], first
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    return months


# --- customers -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerCounts:
    """Customers by lifecycle stage in a month and the month before."""

    month: date
    by_stage: dict[str, int]
    previous_by_stage: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())

    def count(self, kind: str, previous: bool = False) -> int:
        """'active' (not churned, not a prospect) or a lifecycle stage."""
        stages = self.previous_by_stage if previous else self.by_stage
        if kind == "active":
            return sum(stages.get(s, 0) for s in ACTIVE_STAGES)
        return stages.get(kind, 0)


def customer_counts(wh: Warehouse, scope: Scope, filters: Filters) -> CustomerCounts:
    """Customers of the filters by lifecycle stage as of the chosen month and the month before."""
    previous = add_months(filters.month, -1)
    sql = f"""
        select month_start, lifecycle_stage, count(*) as customers
        from fct_customer_lifecycle
        where month_start in ($f_month, $previous)
          and customer_id in ({filters.customer_sql()})
        group by month_start, lifecycle_stage
    """
    frame = read_filtered(wh, sql, scope, filters, {"previous": previous})
    now: dict[str, int] = {}
    before: dict[str, int] = {}
    for month, stage, n in frame.iter_rows():
        (now if month == filters.month else before)[stage] = int(n)
    return CustomerCounts(filters.month, now, before)


# --- tiers -----------------------------------------------------------------------------------

def tier_mix(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """Per tier (S, A, B, C, all four) in the chosen month: customers, the month's revenue and
    the shares of both. Empty when no customer of the filters has a tier that month."""
    sql = f"""
        select t.tier,
               count(*) as customers,
               cast(coalesce(sum(c.revenue), 0) as double) as revenue
        from fct_customer_tiers as t
        left join fct_customer_contribution as c
          on c.customer_id = t.customer_id
         and c.grain = 'month'
         and c.period_start = t.month_start
        where t.month_start = $f_month
          and t.customer_id in ({filters.customer_sql()})
        group by t.tier
    """
    frame = read_filtered(wh, sql, scope, filters)
    if frame.is_empty():
        return frame
    tiers = pl.DataFrame({"tier": list(TIERS)})
    frame = tiers.join(frame, on="tier", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64), pl.col("revenue").fill_null(0.0))
    total_customers = frame["customers"].sum()
    total_revenue = frame["revenue"].sum()
    return frame.with_columns(
        (pl.col("customers") / total_customers).alias("customer_share"),
        (pl.col("revenue") / total_revenue if total_revenue else pl.lit(None, pl.Float64))
        .alias("revenue_share"),
    )


# --- visits ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisitCompliance:
    """Onsite visits required by the visit policy against those made, in the chosen month's
    weeks (weeks whose Monday falls in it), for the filtered customers."""

    required_visits: float
    done_visits: int
    customer_weeks: int
    compliant_customer_weeks: int
    by_tier: pl.DataFrame  # policy_tier, required_visits, done_visits, customer_weeks, ...

    @property
    def fulfilment_rate(self) -> float | None:
        return self.done_visits / self.required_visits if self.required_visits else None

    @property
    def compliant_week_share(self) -> float | None:
        return (self.compliant_customer_weeks / self.customer_weeks
                if self.customer_weeks else None)


def visit_compliance(wh: Warehouse, scope: Scope, filters: Filters) -> VisitCompliance | None:
    """None when the month has no compliance weeks (the mart keeps the last 12 months)."""
    sql = f"""
        select policy_tier,
               cast(sum(required_visits) as double) as required_visits,
               cast(sum(done_visits) as bigint) as done_visits,
               count(*) as customer_weeks,
               cast(sum(case when is_compliant then 1 else 0 end) as bigint)
                   as compliant_customer_weeks
        from fct_visit_compliance
        where month_start = $f_month
          and customer_id in ({filters.customer_sql()})
        group by policy_tier
    """
    frame = read_filtered(wh, sql, scope, filters)
    if frame.is_empty():
        return None
    order = {t: i for i, t in enumerate((*TIERS, "prospect"))}
    frame = frame.sort(pl.col("policy_tier").replace_strict(order, default=99)).with_columns(
        (pl.col("done_visits") / pl.col("required_visits")).alias("fulfilment_rate"),
        (pl.col("compliant_customer_weeks") / pl.col("customer_weeks"))
        .alias("compliant_week_share"),
    )
    return VisitCompliance(
        required_visits=float(frame["required_visits"].sum()),
        done_visits=int(frame["done_visits"].sum()),
        customer_weeks=int(frame["customer_weeks"].sum()),
        compliant_customer_weeks=int(frame["compliant_customer_weeks"].sum()),
        by_tier=frame,
    )


# --- alerts ----------------------------------------------------------------------------------

def alerts(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The open alerts (as of the build's as-of date) of the filtered customers, most severe
    and oldest first, with the customer's name, region and maintaining rep."""
    sql = f"""
        select a.customer_id,
               d.customer_name,
               d.region,
               d.maintainer_rep_name,
               a.alert_type,
               a.severity,
               a.since_date,
               a.detail,
               a.tier,
               a.lifecycle_stage,
               d.last_order_date,
               cast(d.revenue_12m as double) as revenue_12m
        from fct_customer_alerts as a
        join dim_customers as d on d.customer_id = a.customer_id
        where a.customer_id in ({filters.customer_sql()})
    """
    frame = read_filtered(wh, sql, scope, filters)
    return (frame
            .with_columns(pl.col("alert_type").replace_strict(ALERT_TYPES, default=None,
                                                              return_dtype=pl.String)
                          .fill_null(pl.col("alert_type")).alias("alert"))
            .sort([pl.col("severity").replace_strict(SEVERITY_ORDER, default=9),
                   "since_date", "customer_id"])
            .select("customer_id", "customer_name", "alert", "severity", "since_date", "detail",
                    "tier", "lifecycle_stage", "region", "maintainer_rep_name",
                    "last_order_date", "revenue_12m", "alert_type"))
