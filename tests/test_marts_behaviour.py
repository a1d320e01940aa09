"""The customer and visit marts on the built scale-0.05 demo warehouse: believable distributions
and the promises the pages rely on (one row per customer, every stage and quadrant present, due
visits, far check-ins, concentrated rep books). Reads the session build; builds nothing."""

from __future__ import annotations

import polars as pl
import pytest

from models.core.warehouse import Warehouse

STAGES = {"prospect", "new", "growing", "mature", "declining", "churned"}
QUADRANTS = {"quick_win": 1, "develop": 2, "maintain": 3, "reduce": 4}
ALERT_TYPES = {"long_no_purchase", "tier_drop", "visit_overdue", "recent_complaint"}


@pytest.fixture(scope="module")
def wh(built_home) -> Warehouse:
    warehouse = Warehouse(built_home)
    yield warehouse
    warehouse.close()


def test_dim_customers_has_one_row_per_staged_customer(wh):
    counts = wh.query(
        "select count(*) as n_rows, count(distinct customer_id) as n_customers, "
        "(select count(*) from staging.stg_sales_lake__customers) as n_staged from dim_customers"
    ).row(0, named=True)
    assert counts["n_rows"] == counts["n_customers"] == counts["n_staged"] > 0
    current = wh.query(
        "select d.lifecycle_stage as dim_stage, l.lifecycle_stage as lifecycle_stage "
        "from dim_customers as d inner join fct_customer_lifecycle as l "
        "on d.customer_id = l.customer_id and l.is_as_of_month"
    )
    assert current.height == wh.scalar("select count(*) from dim_customers where has_activity")
    assert (current["dim_stage"] == current["lifecycle_stage"]).all()


def test_every_lifecycle_stage_appears(wh):
    history = set(wh.query("select distinct lifecycle_stage from fct_customer_lifecycle")
                  ["lifecycle_stage"].to_list())
    assert STAGES - {"prospect"} <= history <= STAGES
    now = wh.query("select lifecycle_stage, count(*) as n from dim_customers "
                   "where lifecycle_stage is not null group by 1")
    assert now.height >= 4, now
    # no single stage swallows the customer base
    assert now["n"].max() < now["n"].sum() * 0.75


def test_stages_agree_with_their_rules(wh):
    rows = wh.query(
        "select lifecycle_stage, days_since_last_order, first_order_date, trailing_3_growth "
        "from fct_customer_lifecycle"
    )
    churned = rows.filter(pl.col("lifecycle_stage") == "churned")
    assert churned["days_since_last_order"].min() >= 90
    prospects = rows.filter(pl.col("lifecycle_stage") == "prospect")
    assert prospects["first_order_date"].null_count() == prospects.height
    active = rows.filter(pl.col("lifecycle_stage").is_in(["new", "growing", "mature"]))
    assert active["days_since_last_order"].max() < 45
    mature = rows.filter(pl.col("lifecycle_stage") == "mature")
    assert mature["trailing_3_growth"].drop_nulls().abs().max() < 0.10


def test_alerts_are_open_and_counted_in_dim_customers(wh):
    alerts = wh.query("select customer_id, alert_type, severity, since_date, as_of_date "
                      "from fct_customer_alerts")
    assert alerts.height > 0
    assert set(alerts["alert_type"].to_list()) <= ALERT_TYPES
    assert len(set(alerts["alert_type"].to_list())) >= 3
    assert (alerts["since_date"] <= alerts["as_of_date"]).all()
    per_customer = wh.query(
        "select d.open_alert_count, coalesce(a.n, 0) as n from dim_customers as d left join "
        "(select customer_id, count(*) as n from fct_customer_alerts group by 1) as a "
        "on d.customer_id = a.customer_id"
    )
    assert (per_customer["open_alert_count"] == per_customer["n"]).all()


def test_sa_overdue_is_one_set_of_customers_on_every_page(wh):
    """The Overview counts visit_overdue alerts; the Visits page counts is_sa_overdue among the
    due customers: the same customers."""
    alerts = set(wh.query("select customer_id from fct_customer_alerts "
                          "where alert_type = 'visit_overdue'")["customer_id"].to_list())
    due = set(wh.query("select customer_id from fct_visits_due "
                       "where is_due and is_sa_overdue")["customer_id"].to_list())
    assert alerts and alerts == due


def test_long_no_purchase_waits_for_the_floor_for_daily_buyers(wh):
    rows = wh.query("""
        select d.days_since_last_order, d.median_order_gap_days
        from fct_customer_alerts as a join dim_customers as d using (customer_id)
        where a.alert_type = 'long_no_purchase'""")
    assert rows.height > 0
    assert (rows["days_since_last_order"] > 14).all()  # long_no_purchase_min_days
    # the demo's frequent buyers exist: without the floor some would be alerted
    (frequent,) = wh.query("""
        select count(*) from dim_customers
        where median_order_gap_days * 1.5 < days_since_last_order
          and days_since_last_order <= 14 and lifecycle_stage not in ('prospect', 'churned')
    """).row(0)
    assert frequent > 0


def test_every_priority_quadrant_appears_with_its_number(wh):
    scores = wh.query("select quadrant, priority, evaluation_score, service_need_hours, "
                      "value_cut, need_cut from fct_customer_scores")
    assert set(scores["quadrant"].to_list()) == set(QUADRANTS)
    for quadrant, priority in QUADRANTS.items():
        assert set(scores.filter(pl.col("quadrant") == quadrant)["priority"].to_list()) == {priority}
    # median cuts: about half the customers on each side of each cut
    high_value = (scores["evaluation_score"] > scores["value_cut"]).mean()
    assert 0.4 <= high_value <= 0.6
    assert scores["evaluation_score"].min() >= 0 and scores["evaluation_score"].max() <= 100


def test_dimension_scores_are_percentiles_within_region(wh):
    spread = wh.query(
        "select region, min(sales_contribution_score) as low, max(sales_contribution_score) "
        "as high, count(*) as n from fct_customer_scores group by region"
    ).filter(pl.col("n") >= 5)
    assert spread.height > 0
    # the biggest customer of a region scores about 100, the smallest about 0 (ties share
    # the middle of their ranks, so customers tied at zero revenue score a little above 0)
    assert (spread["high"] >= 90).all() and (spread["low"] <= 15).all()


def test_potential_checklist_counts_its_yes_answers(wh):
    rows = wh.query(
        "select potential_score, is_potential_candidate, "
        "(case when own_growth_good then 1 else 0 end) + "
        "(case when scale_above_region_median then 1 else 0 end) + "
        "(case when has_credit_headroom then 1 else 0 end) + "
        "(case when has_cross_sell_room then 1 else 0 end) + "
        "(case when fits_core_band then 1 else 0 end) + "
        "(case when competitive_position then 1 else 0 end) + "
        "(case when relationship_good then 1 else 0 end) as yes_answers, "
        "own_growth_good_source from fct_customer_scores"
    )
    assert (rows["potential_score"] == rows["yes_answers"]).all()
    candidates = rows.filter(pl.col("is_potential_candidate"))
    assert candidates.height > 0 and candidates["potential_score"].n_unique() >= 3
    # the demo has no assessments: every answer comes from data
    assert set(rows["own_growth_good_source"].to_list()) == {"data"}


def test_visits_due_lists_overdue_customers_for_route_planning(wh):
    listed = wh.query("select customer_id, tier, policy_tier, is_must_visit, days_overdue, "
                      "next_visit_due_date, as_of_date, planned_minutes, latitude, "
                      "rep_due_rank, is_due from fct_visits_due")
    due = listed.filter(pl.col("is_due"))
    assert due.height > 0
    assert (due["next_visit_due_date"] <= due["as_of_date"]).all()
    assert due["days_overdue"].min() >= 0
    # the rest fall due within the planning horizon (visit_due_horizon_days, 27)
    ahead = listed.filter(~pl.col("is_due"))
    assert ahead.height > 0
    assert ((ahead["next_visit_due_date"] - ahead["as_of_date"]).dt.total_days()
            .is_between(1, 27)).all()
    assert (ahead["days_overdue"] < 0).all()
    assert due.filter(pl.col("is_must_visit"))["tier"].is_in(["S", "A"]).all()
    assert due["planned_minutes"].null_count() == 0
    dim_due = wh.scalar("select count(*) from dim_customers where is_visit_due")
    assert dim_due == due.height


def test_weekly_compliance_scales_the_policy_to_a_week(wh):
    weekly = wh.query("select policy_tier, min(required_visits) as low, "
                      "max(required_visits) as high, avg(case when is_compliant then 1.0 "
                      "else 0.0 end) as compliant from fct_visit_compliance group by 1")
    required = dict(zip(weekly["policy_tier"], weekly["low"]))
    assert required.get("S", 2) == 2 and required.get("C", 0.25) == 0.25
    assert (weekly["low"] == weekly["high"]).all()
    # reps under-visit in the demo, but most customer-weeks are not a total miss
    assert 0.2 < weekly["compliant"].mean() < 0.95


def test_rep_books_are_concentrated_and_checkins_are_sometimes_far(wh):
    books = wh.query("select rep_id, customers, pareto_customers, far_checkins_12m, "
                     "far_checkin_share, coverage_rate "
                     "from rpt_rep_books")
    staffed = books.filter(pl.col("customers") >= 3)
    assert staffed.height > 0
    assert (staffed["pareto_customers"] < staffed["customers"]).all()
    assert (staffed["pareto_customers"] >= 1).all()
    assert books["far_checkins_12m"].sum() > 0
    assert books["far_checkin_share"].drop_nulls().max() < 0.5
    assert books["customers"].sum() == wh.scalar("select count(*) from dim_customers")


def test_a_phone_visit_is_not_a_far_checkin(wh):
    """A visit without check-in coordinates (every phone visit) has no distance and is never
    far; the haversine macro used to give such visits the antipodal 20,015 km."""
    phone = wh.query("select checkin_distance_km, is_far_checkin from fct_visits "
                     "where not is_onsite")
    assert phone.height > 0
    assert phone["checkin_distance_km"].null_count() == phone.height
    assert not phone["is_far_checkin"].any()
    assert wh.scalar("select max(checkin_distance_km) from fct_visits") < 100
    assert wh.scalar("select count(*) from fct_visits where is_far_checkin is null") == 0
