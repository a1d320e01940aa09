"""Whose revenue it is: "as booked" or "current book", and the rep who took the order.

A customer's maintainer, developer and region are effective-dated (dbt model
``int_customer_assignments``: each load of the customers file, or its ``assigned_from`` column,
starts a period). Revenue can then be credited two ways, and they differ only for customers
whose assignment changed:

- **as booked** (``booked``): each order line counts for the rep and region that had the
  customer on the order date. The default for revenue history (what a region or rep sold).
- **current book** (``current``): every order line counts for the rep and region that have the
  customer today. The default for who looks after the customer now (books, alerts, visits).

The mart ``fct_revenue_attribution`` holds both (one row per month, customer, assignment in
force and order-taking rep). The sidebar's region and rep filters apply to the chosen view:
as booked, "region East" means the lines booked in East; in the current book, the customers in
East today. Channel and tier filters always mean the customer (``Filters.customer_sql``).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from models.core.clock import add_months
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import translate
from models.queries.filters import Filters, read_filtered

VIEWS = ("booked", "current")
# revenue history is shown as booked, who looks after the customer now in the current book
DEFAULT_VIEW = "booked"

_COLUMNS = {"booked": ("booked_region", "booked_maintainer_rep_id"),
            "current": ("current_region", "current_maintainer_rep_id")}


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, not {view!r}")
    return view


def view_label(view: str, lang: str = "en") -> str:
    """The name of ``view`` in ``lang``."""
    return {"booked": translate(lang, "As booked"),
            "current": translate(lang, "Current book")}[check_view(view)]


def view_help(view: str, lang: str = "en") -> str:
    """What ``view`` means, in ``lang``."""
    return {"booked": translate(lang, "Each order counts for the rep and region that had the "
                                      "customer on the order date (a customer moved mid-year "
                                      "counts for its old rep and region before the move)."),
            "current": translate(lang, "Every order counts for the rep and region that have the "
                                       "customer today, earlier months included."),
            }[check_view(view)]


VIEW_LABELS = {view: view_label(view) for view in VIEWS}
VIEW_HELP = {view: view_help(view) for view in VIEWS}


def describe(view: str, lang: str = "en") -> str:
    """What a figure in ``view`` means, for the caption under it, in ``lang``."""
    return translate(lang, "{view}: {meaning}", view=view_label(view, lang),
                     meaning=view_help(view, lang))


def assignment_sql(view: str) -> str:
    """The conditions on ``fct_revenue_attribution`` that apply the filters' region and rep
    (``$f_region``, ``$f_rep_id``) in ``view``, and the rest of the filters to the customer."""
    region, rep = _COLUMNS[check_view(view)]
    return (f"($f_region is null or {region} = $f_region) "
            f"and ($f_rep_id is null or {rep} = $f_rep_id)")


def _where(filters: Filters, view: str) -> str:
    return (f"customer_id in ({filters.customer_sql(assignment=False)}) "
            f"and {assignment_sql(view)}")


def monthly_revenue(wh: Warehouse, scope: Scope, filters: Filters, first: date, last: date,
                    view: str = DEFAULT_VIEW) -> pl.DataFrame:
    """Revenue and gross profit per month (month_start) of the filters in ``view``."""
    sql = f"""
        select month_start,
               cast(sum(revenue) as double) as revenue,
               cast(sum(gross_profit) as double) as gross_profit
        from fct_revenue_attribution
        where month_start between $first and $last
          and {_where(filters, view)}
        group by month_start
        order by month_start
    """
    return read_filtered(wh, sql, scope, filters, {"first": first, "last": last})


def revenue_by_region(wh: Warehouse, scope: Scope, filters: Filters, first: date,
                      last: date) -> pl.DataFrame:
    """Per region, revenue of the months ``first``..``last``: ``booked`` (the lines booked in
    the region) and ``current`` (the region's customers of today), and ``difference``. The
    filters' region and rep are left out (every region is listed); channel and tier apply."""
    sql = f"""
        with lines as (
            select booked_region, current_region, revenue
            from fct_revenue_attribution
            where month_start between $first and $last
              and customer_id in ({filters.customer_sql(assignment=False)})
        ),
        by_region as (
            select booked_region as region, revenue as booked, 0 as current from lines
            union all
            select current_region as region, 0 as booked, revenue as current from lines
        )
        select region,
               cast(sum(booked) as double) as booked,
               cast(sum(current) as double) as current
        from by_region
        group by region
    """
    frame = read_filtered(wh, sql, scope, filters, {"first": first, "last": last})
    return (frame.with_columns((pl.col("booked") - pl.col("current")).alias("difference"))
            .sort(["booked", "region"], descending=[True, False], nulls_last=True))


def revenue_by_rep(wh: Warehouse, scope: Scope, filters: Filters, first: date,
                   last: date) -> pl.DataFrame:
    """Per rep, revenue of the months ``first``..``last`` three ways: ``booked`` (customers
    the rep served on the order dates), ``current`` (the rep's customers of today) and
    ``taken`` (orders the rep took: the order line's rep). rep_id null: unassigned customers
    (booked, current) or order lines that name no rep (taken). With rep_name and the rep's
    region. The filters' region and rep are left out; channel and tier apply."""
    sql = f"""
        with lines as (
            select booked_maintainer_rep_id, current_maintainer_rep_id, order_rep_id, revenue
            from fct_revenue_attribution
            where month_start between $first and $last
              and customer_id in ({filters.customer_sql(assignment=False)})
        ),
        by_rep as (
            select booked_maintainer_rep_id as rep_id, revenue as booked, 0 as current,
                   0 as taken from lines
            union all
            select current_maintainer_rep_id, 0, revenue, 0 from lines
            union all
            select order_rep_id, 0, 0, revenue from lines
        )
        select by_rep.rep_id,
               max(reps.rep_name) as rep_name,
               max(reps.region) as region,
               cast(sum(booked) as double) as booked,
               cast(sum(current) as double) as current,
               cast(sum(taken) as double) as taken
        from by_rep
        left join dim_reps as reps on reps.rep_id = by_rep.rep_id
        group by by_rep.rep_id
    """
    frame = read_filtered(wh, sql, scope, filters, {"first": first, "last": last})
    return frame.sort(["booked", "rep_id"], descending=[True, False], nulls_last=True)


def region_growth(wh: Warehouse, scope: Scope, filters: Filters,
                  view: str = DEFAULT_VIEW) -> pl.DataFrame:
    """Growth by region in ``view``, as the Growth page's contribution: the last 3 months up to
    the filters' month against the 3 before (``fct_customer_growth``'s windows). Columns:
    region, previous_3_revenue, trailing_3_revenue, change, customers (with revenue in the six
    months), share_of_change (of the selection's change; null when that is zero). Largest gain
    first. The filters' region and rep apply in ``view``."""
    region = _COLUMNS[check_view(view)][0]
    month = filters.month
    sql = f"""
        select {region} as region,
               cast(sum(case when month_start >= $trailing_first then revenue else 0 end)
                    as double) as trailing_3_revenue,
               cast(sum(case when month_start < $trailing_first then revenue else 0 end)
                    as double) as previous_3_revenue,
               count(distinct customer_id) as customers
        from fct_revenue_attribution
        where month_start between $previous_first and $f_month
          and {_where(filters, view)}
        group by {region}
    """
    frame = read_filtered(wh, sql, scope, filters, {
        "trailing_first": add_months(month, -2), "previous_first": add_months(month, -5)})
    frame = frame.with_columns(
        pl.col("region").fill_null("(none)"),
        (pl.col("trailing_3_revenue") - pl.col("previous_3_revenue")).alias("change"))
    total = float(frame["change"].sum()) if frame.height else 0.0
    return (frame.with_columns(
        (pl.col("change") / total if total else pl.lit(None, pl.Float64)).alias("share_of_change"))
        .select("region", "previous_3_revenue", "trailing_3_revenue", "change", "customers",
                "share_of_change")
        .sort(["change", "region"], descending=[True, False], nulls_last=True))
