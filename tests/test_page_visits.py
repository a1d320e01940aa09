"""Visits page under AppTest (app.py, then switch_page) on the built demo warehouse.

Figures are checked against plain SQL on the warehouse file, not through models/. AppTest runs a
switched-to page without app.py (so without the sidebar), so the tests choose filters by putting
the Filters the sidebar would store into the session (``kit.FILTERS_KEY``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.queries.filters import Filters
from tests.apptest_util import default_month, metrics, open_page, sql

PAGE = "pages/visits.py"


def open_visits(monkeypatch, home: Path, filters: Filters | None = None) -> AppTest:
    return open_page(monkeypatch, home, PAGE, "Visits", filters)


def table_with(at: AppTest, *columns: str):
    """The first dataframe shown with all of ``columns``."""
    for element in at.dataframe:
        frame = element.value
        if set(columns) <= set(frame.columns):
            return frame
    raise AssertionError(f"no table with columns {columns}")


def chart(at: AppTest, title_start: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def test_visit_figures_match_the_warehouse(monkeypatch, built_home):
    month = default_month(built_home)
    at = open_visits(monkeypatch, built_home)
    # compliance by rep: the same figures as the per-rep mart
    mart = {rep: (float(req), int(done), customers) for rep, req, done, customers in sql(
        built_home, """
        select rep_id, required_visits, done_visits, customers
        from fct_rep_visit_compliance where month_start = ? and customers > 0""", [month])}
    by_rep = table_with(at, "rep_id", "required_visits", "fulfilment_rate")
    shown = {row.rep_id: (float(row.required_visits), int(row.done_visits), int(row.customers))
             for row in by_rep.itertuples()}
    assert shown == mart and len(mart) > 3
    required = sum(v[0] for v in mart.values())
    done = sum(v[1] for v in mart.values())
    assert metrics(at)["Onsite visits made / required"] == f"{done:,} / {required:,.0f}"
    # by tier adds up to the same
    by_tier = table_with(at, "policy_tier", "required_visits")
    assert by_tier["done_visits"].sum() == done
    # in the policy's order, shown by their labels (prospect: Prospect)
    assert list(by_tier["policy_tier"]) == [t for t in ["S", "A", "B", "C", "Prospect"]
                                            if t in set(by_tier["policy_tier"])]
    # due or overdue: fct_visits_due, must-visit first, then the most days overdue
    due = sql(built_home, """
        select customer_id from fct_visits_due
        where is_due
        order by is_must_visit desc, days_overdue desc, customer_id""")
    assert metrics(at)["Due or overdue now"] == f"{len(due):,}"
    overdue = table_with(at, "customer_id", "days_overdue")
    assert list(overdue["customer_id"]) == [r[0] for r in due]
    # visits per day and far check-ins of the month
    (onsite, phone, far), = sql(built_home, """
        select count(*) filter (where is_onsite), count(*) filter (where not is_onsite),
               count(*) filter (where is_far_checkin)
        from fct_visits where month_start = ?""", [month])
    daily = chart(at, "Visits per day")["data"]
    totals = {trace["name"]: sum(trace["y"]) for trace in daily}
    assert totals == {"On site": onsite, "Phone": phone} and onsite > 0  # visit_type labels
    assert metrics(at)[f"Far check-ins in {month:%b %Y}"] == f"{far:,}"
    activity = table_with(at, "visits_per_day", "working_days")
    assert activity["visits"].sum() == onsite + phone
    if far:
        far_table = table_with(at, "checkin_distance_km", "visit_id")
        assert len(far_table) == far
        assert list(far_table["checkin_distance_km"]) == sorted(far_table["checkin_distance_km"],
                                                                reverse=True)


def test_a_tier_filter_changes_the_figures(monkeypatch, built_home):
    month = default_month(built_home)
    everyone = open_visits(monkeypatch, built_home)
    at = open_visits(monkeypatch, built_home, Filters(month=month, tier="A"))
    due = sql(built_home, """
        select count(*) from fct_visits_due
        where is_due and customer_id in (select customer_id from fct_customer_tiers
                              where month_start = ? and tier = 'A')""", [month])[0][0]
    assert metrics(at)["Due or overdue now"] == f"{due:,}"
    assert metrics(at)["Due or overdue now"] != metrics(everyone)["Due or overdue now"]
    (required,), = sql(built_home, """
        select sum(c.required_visits) from fct_visit_compliance as c
        where c.month_start = ? and c.customer_id in (
            select customer_id from fct_customer_tiers where month_start = ? and tier = 'A')""",
                       [month, month])
    by_rep = table_with(at, "rep_id", "required_visits", "fulfilment_rate")
    assert by_rep["required_visits"].sum() == pytest.approx(float(required))


def test_filters_without_customers_show_the_empty_message(monkeypatch, built_home):
    month = default_month(built_home)
    region, channel = sql(built_home, """
        with combos as (
            select r.region, c.channel
            from (select distinct region from dim_customers) as r
            cross join (select distinct channel from dim_customers) as c
        )
        select combos.region, combos.channel
        from combos
        left join dim_customers as d on d.region = combos.region and d.channel = combos.channel
        group by all having count(d.customer_id) = 0
        order by 1, 2 limit 1""")[0]
    at = open_visits(monkeypatch, built_home, Filters(month=month, region=region,
                                                      channel=channel))
    assert any("No data for these filters" in i.value for i in at.info)
    assert not at.metric and not at.dataframe


def test_compliance_counts_overdue_customers_in_the_last_week():
    import polars as pl

    from models.queries import visits

    weeks = pl.DataFrame({
        "customer_id": ["a", "a", "b", "b"], "rep_id": ["R1"] * 4, "rep_name": ["Ann"] * 4,
        "policy_tier": ["A", "A", "C", "C"],
        "week_start": [date(2026, 10, 5), date(2026, 10, 12)] * 2,
        "required_visits": [1.0, 1.0, 0.25, 0.25], "done_visits": [1, 0, 0, 1],
        "is_compliant": [True, False, False, True]})
    by_rep = visits.compliance_by(weeks, "rep").row(0, named=True)
    assert by_rep["customers"] == 2 and by_rep["overdue_customers"] == 1
    assert by_rep["fulfilment_rate"] == pytest.approx(2 / 2.5)
    assert by_rep["compliant_week_share"] == pytest.approx(0.5)
    by_tier = visits.compliance_by(weeks, "tier")
    assert list(by_tier["policy_tier"]) == ["A", "C"]
    assert list(by_tier["overdue_customers"]) == [1, 0]
