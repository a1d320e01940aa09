"""The Growth page's figures (SPEC 5): top growers and decliners, growth contribution by region
and channel, the lifecycle stages month by month, and the customers at risk.

Growth is the mart's: the last 3 months against the 3 before (``fct_customer_growth``), as of
the filters' month. Stages and alerts come from ``fct_customer_lifecycle``, whose thresholds are
dbt vars. Every query goes through ``filters.read_filtered`` (the user's scope applies there).
"""

from __future__ import annotations

import polars as pl

from models.core.clock import add_months
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import label
from models.queries.filters import TIERS, Filters, read_filtered

# The lifecycle stages (fct_customer_lifecycle's accepted values) in funnel order.
STAGES = ("prospect", "new", "growing", "mature", "declining", "churned")
DIMENSIONS = {"region": "Region", "channel": "Channel"}


def customer_growth(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """One row per selected customer with a growth row in the filters' month: revenue of the
    last 3 months and the 3 before, the change and growth rate, year-over-year growth and the
    customer's part of the company's growth."""
    sql = f"""
        select
            g.customer_id,
            d.customer_name,
            d.region,
            d.channel,
            d.maintainer_rep_name,
            t.tier,
            cast(g.revenue as double) as revenue,
            cast(g.trailing_3_revenue as double) as trailing_3_revenue,
            cast(g.previous_3_revenue as double) as previous_3_revenue,
            cast(g.trailing_3_change as double) as trailing_3_change,
            cast(g.trailing_3_growth as double) as trailing_3_growth,
            cast(g.yoy_growth as double) as yoy_growth,
            cast(g.growth_contribution as double) as growth_contribution,
            cast(g.company_trailing_3_growth as double) as company_trailing_3_growth,
            g.is_above_company_rate
        from fct_customer_growth as g
        inner join dim_customers as d on d.customer_id = g.customer_id
        left join fct_customer_tiers as t
            on t.customer_id = g.customer_id and t.month_start = g.month_start
        where g.month_start = $f_month
          and g.customer_id in ({filters.customer_sql()})
    """
    return read_filtered(wh, sql, scope, filters)


def top_movers(frame: pl.DataFrame, n: int = 10) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(growers, decliners): the ``n`` customers whose last 3 months rose most against the 3
    before, and the ``n`` that fell most (by amount; ties by customer id)."""
    growers = (frame.filter(pl.col("trailing_3_change") > 0)
               .sort(["trailing_3_change", "customer_id"], descending=[True, False]).head(n))
    decliners = (frame.filter(pl.col("trailing_3_change") < 0)
                 .sort(["trailing_3_change", "customer_id"]).head(n))
    return growers, decliners


def contribution_by(frame: pl.DataFrame, dimension: str) -> pl.DataFrame:
    """The selection's change (last 3 months against the 3 before) split by ``dimension``
    (region or channel): previous_3_revenue, trailing_3_revenue, change, and share_of_change
    (the group's change / the selection's change; empty when that is zero). Largest gain first.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {sorted(DIMENSIONS)}")
    grouped = (
        frame.with_columns(pl.col(dimension).fill_null("(none)"))
        .group_by(dimension)
        .agg(
            pl.col("previous_3_revenue").sum(),
            pl.col("trailing_3_revenue").sum(),
            pl.col("trailing_3_change").sum().alias("change"),
            pl.len().alias("customers"),
        )
    )
    total = float(grouped["change"].sum()) if grouped.height else 0.0
    return grouped.with_columns(
        (pl.col("change") / total if total else pl.lit(None, pl.Float64)).alias("share_of_change")
    ).sort(["change", dimension], descending=[True, False])


def lifecycle_by_month(wh: Warehouse, scope: Scope, filters: Filters, months: int = 12,
                       ) -> pl.DataFrame:
    """Customers per lifecycle stage per month, for the ``months`` months up to the filters'
    month: month_start, lifecycle_stage, customers (every stage of every month, 0 when none)."""
    first = add_months(filters.month, -(months - 1))
    sql = f"""
        select month_start, lifecycle_stage, count(*) as customers
        from fct_customer_lifecycle
        where month_start between $first_month and $f_month
          and customer_id in ({filters.customer_sql()})
        group by all
    """
    counts = read_filtered(wh, sql, scope, filters, {"first_month": first})
    if counts.height == 0:
        return counts.with_columns(pl.col("customers").cast(pl.Int64))
    month_list = sorted(counts["month_start"].unique().to_list())
    grid = pl.DataFrame({"month_start": month_list}).join(
        pl.DataFrame({"lifecycle_stage": list(STAGES)}), how="cross")
    return (grid.join(counts.with_columns(pl.col("customers").cast(pl.Int64)),
                      on=["month_start", "lifecycle_stage"], how="left")
            .with_columns(pl.col("customers").fill_null(0)))


def at_risk(wh: Warehouse, scope: Scope, filters: Filters, lang: str = "en") -> pl.DataFrame:
    """Customers at risk in the filters' month: declining, over their usual gap between orders
    ("long time no purchase"), or dropped a tier; not yet churned. Biggest tier first, then the
    revenue of the 3 months before (what is at stake). ``reasons`` says why, in ``lang`` (the
    labels of the lifecycle stage and alert types)."""
    sql = f"""
        select
            l.customer_id,
            d.customer_name,
            d.region,
            d.maintainer_rep_name,
            l.tier,
            l.previous_tier,
            l.lifecycle_stage,
            l.last_order_date,
            l.days_since_last_order,
            cast(l.median_order_gap_days as double) as median_order_gap_days,
            cast(l.trailing_3_revenue as double) as trailing_3_revenue,
            cast(l.previous_3_revenue as double) as previous_3_revenue,
            cast(l.trailing_3_growth as double) as trailing_3_growth,
            l.lifecycle_stage = 'declining' as is_declining,
            l.is_long_no_purchase,
            l.is_tier_drop
        from fct_customer_lifecycle as l
        inner join dim_customers as d on d.customer_id = l.customer_id
        where l.month_start = $f_month
          and l.lifecycle_stage <> 'churned'
          and (l.lifecycle_stage = 'declining' or l.is_long_no_purchase or l.is_tier_drop)
          and l.customer_id in ({filters.customer_sql()})
    """
    frame = read_filtered(wh, sql, scope, filters)
    reasons = pl.concat_str(
        [pl.when(pl.col("is_declining")).then(pl.lit(label("lifecycle_stage", "declining", lang))),
         pl.when(pl.col("is_long_no_purchase")).then(
             pl.lit(label("alert_type", "long_no_purchase", lang))),
         pl.when(pl.col("is_tier_drop")).then(
             pl.lit(label("alert_type", "tier_drop", lang) + " ") + pl.col("previous_tier").fill_null("") + pl.lit("→")
             + pl.col("tier").fill_null(""))],
        separator=", ", ignore_nulls=True)
    order = {t: i for i, t in enumerate(TIERS)}
    return (frame.with_columns(reasons.alias("reasons"),
                               pl.col("tier").replace_strict(order, default=len(TIERS))
                               .alias("_tier_order"))
            .sort(["_tier_order", "previous_3_revenue", "customer_id"],
                  descending=[False, True, False], nulls_last=True)
            .drop("_tier_order"))
