"""The Visits page's figures (SPEC 7): compliance with the visit policy by rep and by tier, the
customers due or overdue for an onsite visit, visits per day and far check-ins.

Compliance is the mart's customer-week judgement (``fct_visit_compliance``: the policy of the
customer's tier, from the ``visit_policy`` seed) summed over the selected customers' weeks of the
filters' month; the rep is the customer's maintaining rep, as in ``fct_rep_visit_compliance``.
Every query goes through ``filters.read_filtered`` (the user's scope applies there).
"""

from __future__ import annotations

import polars as pl

from models.core.clock import add_months
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import translate
from models.queries.filters import TIERS, Filters, read_filtered


def no_visits(lang: str = "en") -> str:
    """What the pages say while no visits file has been loaded, in ``lang``."""
    return translate(lang, "No visits have been loaded: visit compliance, the visits due and the "
                           "visit alerts are off, and the priority matrix has no service-need "
                           "axis, until a visits file is loaded on the Data page.")


NO_VISITS = no_visits("en")


def visits_loaded(wh: Warehouse) -> bool:
    """Whether the warehouse has any visit at all (a state of the lake, not of the user's
    scope): without visits, zeros would read as "never visited", so pages say so instead."""
    return bool(wh.scalar("select count(*) > 0 from fct_visits"))


def compliance_weeks(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The selected customers' weeks whose Monday falls in the filters' month: required and done
    onsite visits and whether the week met the policy."""
    sql = f"""
        select
            c.customer_id,
            c.week_start,
            c.is_complete_week,
            c.maintainer_rep_id as rep_id,
            d.maintainer_rep_name as rep_name,
            c.tier,
            c.policy_tier,
            cast(c.required_visits as double) as required_visits,
            c.done_visits,
            c.is_compliant
        from fct_visit_compliance as c
        inner join dim_customers as d on d.customer_id = c.customer_id
        where c.month_start = $f_month
          and c.customer_id in ({filters.customer_sql()})
    """
    return read_filtered(wh, sql, scope, filters)


def compliance_by(weeks: pl.DataFrame, by: str) -> pl.DataFrame:
    """``compliance_weeks()`` summed by ``by`` ('rep' or 'tier'): customers, required and done
    onsite visits, fulfilment_rate (done / required), compliant_week_share, and
    overdue_customers (not compliant in the month's last week)."""
    keys = {"rep": ["rep_id", "rep_name"], "tier": ["policy_tier"]}[by]
    last_week = weeks.group_by(keys).agg(pl.col("week_start").max().alias("_last_week"))
    frame = weeks.join(last_week, on=keys, how="left")
    out = frame.group_by(keys).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("required_visits").sum(),
        pl.col("done_visits").sum().cast(pl.Int64),
        pl.col("is_compliant").cast(pl.Float64).mean().alias("compliant_week_share"),
        pl.col("customer_id").filter((pl.col("week_start") == pl.col("_last_week"))
                                     & ~pl.col("is_compliant")).n_unique()
        .alias("overdue_customers"),
    ).with_columns(
        pl.when(pl.col("required_visits") > 0)
        .then(pl.col("done_visits") / pl.col("required_visits"))
        .alias("fulfilment_rate")
    ).select(*keys, "customers", "required_visits", "done_visits", "fulfilment_rate",
             "compliant_week_share", "overdue_customers")
    if by == "tier":
        order = {t: i for i, t in enumerate([*TIERS, "prospect"])}
        return (out.with_columns(pl.col("policy_tier").replace_strict(order, default=99)
                                 .alias("_o")).sort("_o").drop("_o"))
    return out.sort(["fulfilment_rate", "rep_id"], nulls_last=True)


TREND_MONTHS = 6


def compliance_trend(wh: Warehouse, scope: Scope, filters: Filters,
                     months: int = TREND_MONTHS) -> pl.DataFrame:
    """Weeks on policy per rep and month over the ``months`` months ending with the filters'
    month (the selected customers): rep_id, rep_name, month_start, customer_weeks,
    compliant_week_share."""
    sql = f"""
        select
            c.maintainer_rep_id as rep_id,
            d.maintainer_rep_name as rep_name,
            c.month_start,
            count(*) as customer_weeks,
            avg(case when c.is_compliant then 1.0 else 0.0 end) as compliant_week_share
        from fct_visit_compliance as c
        inner join dim_customers as d on d.customer_id = c.customer_id
        where c.month_start between $first and $f_month
          and c.customer_id in ({filters.customer_sql()})
        group by 1, 2, 3
        order by 2, 1, 3
    """
    first = add_months(filters.month, -(months - 1))
    return read_filtered(wh, sql, scope, filters, {"first": first})


def overdue(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The selected customers due or overdue for an onsite visit on the build's as-of date
    (``fct_visits_due``): must-visit (S and A) first, then the most days overdue."""
    sql = f"""
        select
            v.customer_id,
            v.customer_name,
            v.tier,
            v.policy_tier,
            v.lifecycle_stage,
            v.maintainer_rep_id,
            d.maintainer_rep_name,
            v.last_onsite_visit_date,
            v.visit_interval_days,
            v.next_visit_due_date,
            v.days_overdue,
            v.is_must_visit,
            v.is_sa_overdue,
            v.as_of_date
        from fct_visits_due as v
        inner join dim_customers as d on d.customer_id = v.customer_id
        where v.is_due and v.customer_id in ({filters.customer_sql()})
        order by v.is_must_visit desc, v.days_overdue desc, v.customer_id
    """
    return read_filtered(wh, sql, scope, filters)


def month_visits(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """Every visit to the selected customers in the filters' month (``fct_visits``)."""
    sql = f"""
        select
            visit_id,
            visit_date,
            rep_id,
            rep_name,
            customer_id,
            customer_name,
            is_onsite,
            outcome,
            cast(duration_min as double) as duration_min,
            cast(checkin_distance_km as double) as checkin_distance_km,
            coalesce(is_far_checkin, false) as is_far_checkin
        from fct_visits
        where month_start = $f_month
          and customer_id in ({filters.customer_sql()})
    """
    return read_filtered(wh, sql, scope, filters)


def visits_per_day(visits: pl.DataFrame) -> pl.DataFrame:
    """visit_date, onsite, phone, visits: the month's visits by day (days with visits)."""
    return (visits.group_by("visit_date").agg(
        pl.col("is_onsite").sum().cast(pl.Int64).alias("onsite"),
        (~pl.col("is_onsite")).sum().cast(pl.Int64).alias("phone"),
        pl.len().cast(pl.Int64).alias("visits"),
    ).sort("visit_date"))


def rep_activity(visits: pl.DataFrame) -> pl.DataFrame:
    """Per visiting rep in the month: visits, onsite visits, working days (days with a visit),
    visits per working day, average minutes, share of visits with an order, far check-ins."""
    return (visits.group_by("rep_id", "rep_name").agg(
        pl.len().cast(pl.Int64).alias("visits"),
        pl.col("is_onsite").sum().cast(pl.Int64).alias("onsite_visits"),
        pl.col("visit_date").n_unique().alias("working_days"),
        pl.col("duration_min").mean().alias("avg_minutes"),
        (pl.col("outcome") == "order").cast(pl.Float64).mean().alias("order_share"),
        pl.col("is_far_checkin").sum().cast(pl.Int64).alias("far_checkins"),
    ).with_columns((pl.col("visits") / pl.col("working_days")).alias("visits_per_day"))
        .sort(["visits", "rep_id"], descending=[True, False]))


def far_checkins(visits: pl.DataFrame) -> pl.DataFrame:
    """The month's onsite check-ins farther from the customer than the build's
    ``checkin_max_km`` (the mart's flag), farthest first."""
    return (visits.filter(pl.col("is_far_checkin"))
            .select("visit_date", "rep_id", "rep_name", "customer_id", "customer_name",
                    "checkin_distance_km", "outcome", "visit_id")
            .sort(["checkin_distance_km", "visit_id"], descending=[True, False]))
