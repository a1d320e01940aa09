"""The customer card: one customer's file, 24 months of revenue and gross profit, tier and
lifecycle history, evaluation dimensions, visits, open alerts and reps.

Every query reads marts through ``filters.read`` / ``read_filtered`` under the user's scope, so
a customer outside the scope is not found, exactly like an unknown one: ``load_card`` returns
None and the page shows nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from models.core.clock import add_months
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import label
from models.queries.filters import Filters, read, read_filtered
from models.queries.overview import ALERT_TYPES, SEVERITY_ORDER
from models.queries.scoring import CHECKLIST as SCORING_CHECKLIST
from models.queries.scoring import checklist_labels

HISTORY_MONTHS = 24
TOP_SKUS = 5

# fct_customer_scores' dimension scores (0-100) -> their score_dimension code (labelled with
# models.i18n.label("score_dimension", code, lang)).
DIMENSIONS = {
    "sales_contribution_score": "sales_contribution",
    "profit_contribution_score": "profit_contribution",
    "growth_contribution_score": "growth_contribution",
    "loyalty_score": "loyalty",
    "cooperation_score": "cooperation",
    "service_cost_score": "service_cost",
    "satisfaction_score": "satisfaction",
}

# The potential checklist (SPEC 6) of fct_customer_scores: the columns, named as on Scoring.
CHECKLIST = tuple(code for code, _ in SCORING_CHECKLIST)


def customer_choices(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The customers the filters keep (customer_id, customer_name, region), by name."""
    sql = f"""
        select customer_id, customer_name, region
        from dim_customers
        where customer_id in ({filters.customer_sql()})
        order by customer_name, customer_id
    """
    return read_filtered(wh, sql, scope, filters)


@dataclass(frozen=True)
class CustomerCard:
    """Everything the card shows about one customer."""

    customer_id: str
    file: dict[str, Any]          # the dim_customers row
    months: pl.DataFrame          # month_start, revenue, gross_profit, tier, lifecycle_stage, ...
    scores: dict[str, Any] | None  # the fct_customer_scores row (None before any activity)
    visits: pl.DataFrame          # newest first
    alerts: pl.DataFrame
    maintainer_book: dict[str, Any] | None  # rpt_rep_books row of the maintaining rep
    order_lines: pl.DataFrame | None = None  # fct_customer_order_lines rows

    @property
    def name(self) -> str:
        return str(self.file.get("customer_name") or self.customer_id)

    def category_mix(self) -> pl.DataFrame:
        """category, revenue, share of the purchase window's revenue (largest first)."""
        lines = self._window_lines()
        if lines.is_empty():
            return pl.DataFrame(schema={"category": pl.String, "revenue": pl.Float64,
                                        "share": pl.Float64})
        mix = lines.group_by("category").agg(pl.col("revenue").sum())
        total = mix["revenue"].sum()
        return (mix.with_columns((pl.col("revenue") / total if total else pl.lit(None))
                                 .cast(pl.Float64).alias("share"))
                .sort(["revenue", "category"], descending=[True, False]))

    def top_skus(self, n: int = TOP_SKUS) -> pl.DataFrame:
        """The ``n`` products with the most revenue in the purchase window."""
        lines = self._window_lines()
        if lines.is_empty():
            return pl.DataFrame(schema={"sku": pl.String, "product_name": pl.String,
                                        "category": pl.String, "quantity": pl.Float64,
                                        "revenue": pl.Float64, "orders": pl.UInt32})
        return (lines.group_by("sku", "product_name", "category")
                .agg(pl.col("quantity").sum(), pl.col("revenue").sum(),
                     pl.col("order_id").n_unique().alias("orders"))
                .sort(["revenue", "sku"], descending=[True, False]).head(n))

    def last_order(self) -> pl.DataFrame:
        """The lines of the customer's last order."""
        if self.order_lines is None or self.order_lines.is_empty():
            return pl.DataFrame(schema={"order_id": pl.String, "order_date": pl.Date,
                                        "line_number": pl.Int64, "sku": pl.String,
                                        "product_name": pl.String, "quantity": pl.Float64,
                                        "revenue": pl.Float64})
        return (self.order_lines.filter(pl.col("is_last_order"))
                .select("order_id", "order_date", "line_number", "sku", "product_name",
                        "quantity", "revenue").sort("line_number"))

    def _window_lines(self) -> pl.DataFrame:
        if self.order_lines is None:
            return pl.DataFrame()
        return self.order_lines.filter(pl.col("is_in_purchase_window"))

    def dimension_scores(self, lang: str = "en") -> pl.DataFrame:
        """dimension (its name in ``lang``), score (0-100) of the seven evaluation dimensions;
        empty without scores."""
        if self.scores is None:
            return pl.DataFrame(schema={"dimension": pl.String, "score": pl.Float64})
        return pl.DataFrame({
            "dimension": [label("score_dimension", code, lang) for code in DIMENSIONS.values()],
            "score": [None if self.scores.get(c) is None else float(self.scores[c])
                      for c in DIMENSIONS],
        }, schema={"dimension": pl.String, "score": pl.Float64})

    def checklist(self, lang: str = "en") -> pl.DataFrame:
        """criterion (its name in ``lang``), met, source (the code data or assessment) of the
        potential checklist."""
        if self.scores is None:
            return pl.DataFrame(schema={"criterion": pl.String, "met": pl.Boolean,
                                        "source": pl.String})
        return pl.DataFrame({
            "criterion": list(checklist_labels(lang).values()),
            "met": [self.scores.get(c) for c in CHECKLIST],
            "source": [self.scores.get(f"{c}_source") for c in CHECKLIST],
        }, schema={"criterion": pl.String, "met": pl.Boolean, "source": pl.String})


def history_months(last: date, n: int = HISTORY_MONTHS) -> list[date]:
    """The ``n`` months ending with ``last`` (first days), oldest first."""
    return [add_months(last, i - n + 1) for i in range(n)]


def load_card(wh: Warehouse, scope: Scope, customer_id: str, last_month: date,
              ) -> CustomerCard | None:
    """The card of ``customer_id`` with history up to ``last_month``; None when the customer
    is unknown or outside the scope."""
    found = read(wh, "select * from dim_customers where customer_id = $customer_id", scope,
                 {"customer_id": customer_id})
    if found.is_empty():
        return None
    file = found.row(0, named=True)
    months = history_months(last_month)
    params = {"customer_id": customer_id, "first": months[0], "last": months[-1]}

    history = read(wh, """
        select l.month_start,
               cast(coalesce(c.revenue, 0) as double) as revenue,
               cast(coalesce(c.gross_profit, 0) as double) as gross_profit,
               cast(coalesce(c.net_contribution, 0) as double) as net_contribution,
               c.onsite_visits,
               c.phone_visits,
               l.tier,
               l.previous_tier,
               l.tier_move,
               l.lifecycle_stage
        from fct_customer_lifecycle as l
        left join fct_customer_contribution as c
          on c.customer_id = l.customer_id
         and c.grain = 'month'
         and c.period_start = l.month_start
        where l.customer_id = $customer_id
          and l.month_start between $first and $last
    """, scope, params)
    spine = pl.DataFrame({"month_start": months}, schema={"month_start": pl.Date})
    history = (spine.join(history, on="month_start", how="left")
               .with_columns(pl.col("revenue", "gross_profit", "net_contribution")
                             .fill_null(0.0),
                             pl.col("onsite_visits", "phone_visits").fill_null(0))
               .sort("month_start"))

    scores = read(wh, "select * from fct_customer_scores where customer_id = $customer_id",
                  scope, {"customer_id": customer_id})
    visits = read(wh, """
        select visit_date, started_at, rep_id, rep_name,
               case when is_onsite then 'onsite' else 'phone' end as visit_type,
               duration_min, purpose, outcome, relationship_level, notes, next_step,
               follow_up_date,
               cast(checkin_distance_km as double) as checkin_distance_km, is_far_checkin,
               visit_id
        from fct_visits
        where customer_id = $customer_id
          and visit_date between $first and $to_date
        order by started_at desc, visit_id
    """, scope, {"customer_id": customer_id, "first": months[0],
                 "to_date": file.get("as_of_date") or add_months(months[-1], 1)})
    alerts = read(wh, """
        select alert_type, severity, since_date, detail
        from fct_customer_alerts
        where customer_id = $customer_id
    """, scope, {"customer_id": customer_id})
    alerts = (alerts
              .with_columns(pl.col("alert_type").replace_strict(ALERT_TYPES, default=None,
                                                                return_dtype=pl.String)
                            .fill_null(pl.col("alert_type")).alias("alert"))
              .sort([pl.col("severity").replace_strict(SEVERITY_ORDER, default=9),
                     "since_date"])
              .select("alert", "severity", "since_date", "detail", "alert_type"))
    order_lines = read(wh, """
        select order_id, line_number, sku, product_name, category, order_date,
               cast(quantity as double) as quantity, cast(revenue as double) as revenue,
               is_in_purchase_window, is_last_order
        from fct_customer_order_lines
        where customer_id = $customer_id
    """, scope, {"customer_id": customer_id})
    book = None
    if file.get("maintainer_rep_id"):
        books = read(wh, """
            select rep_id, rep_name, region, customers, cast(revenue_12m as double) as revenue_12m,
                   coverage_rate, pareto_customers
            from rpt_rep_books where rep_id = $rep_id
        """, scope, {"rep_id": file["maintainer_rep_id"]})
        book = books.row(0, named=True) if len(books) else None
    return CustomerCard(
        customer_id=customer_id,
        file=file,
        months=history,
        scores=scores.row(0, named=True) if len(scores) else None,
        visits=visits,
        alerts=alerts,
        maintainer_book=book,
        order_lines=order_lines,
    )
