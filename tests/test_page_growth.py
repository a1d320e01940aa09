"""Growth page under AppTest (app.py, then switch_page) on the built demo warehouse.

Figures are checked against plain SQL on the warehouse file, not through models/. AppTest runs a
switched-to page without app.py (so without the sidebar), so the tests choose filters by putting
the Filters the sidebar would store into the session (``kit.FILTERS_KEY``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.i18n import label, money_short
from models.queries.filters import Filters
from models.queries.growth import STAGES
from ui import kit
from tests.apptest_util import default_month, metrics, open_page, sql

PAGE = "pages/growth.py"


def open_growth(monkeypatch, home: Path, filters: Filters | None = None) -> AppTest:
    return open_page(monkeypatch, home, PAGE, "Growth", filters)


def table(at: AppTest, key: str):
    return next(d for d in at.dataframe if d.proto.id.endswith(f"-{key}")).value


def chart(at: AppTest, title_start: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def money(value) -> str:
    return f"¥{float(value):,.0f}"


def test_growth_figures_match_the_warehouse(monkeypatch, built_home):
    month = default_month(built_home)
    at = open_growth(monkeypatch, built_home)
    (after, before), = sql(built_home, """
        select sum(trailing_3_revenue), sum(previous_3_revenue)
        from fct_customer_growth where month_start = ?""", [month])
    # a headline figure, short (¥8.79M); the exact one in its help
    headline = next(m for m in at.metric if m.label == "Revenue, last 3 months")
    assert headline.value == money_short(after, "en")
    assert f"Exactly {money(after)};" in headline.proto.help
    # top growers and decliners: by the change of the last 3 months against the 3 before
    growers = sql(built_home, """
        select customer_id from fct_customer_growth
        where month_start = ? and trailing_3_change > 0
        order by trailing_3_change desc, customer_id limit 10""", [month])
    decliners = sql(built_home, """
        select customer_id from fct_customer_growth
        where month_start = ? and trailing_3_change < 0
        order by trailing_3_change, customer_id limit 10""", [month])
    assert list(table(at, "growth_growers")["customer_id"]) == [r[0] for r in growers]
    assert list(table(at, "growth_decliners")["customer_id"]) == [r[0] for r in decliners]
    # the waterfall starts at the 3 months before, steps by region, ends at the last 3 months;
    # the regions as booked (the page's default), from the unrounded order lines: the demo's
    # customers never moved, so they are the customers' regions of fct_customer_growth, whose
    # per-customer changes are rounded to the cent (a few cents apart over a region)
    by_region = dict(sql(built_home, """
        select booked_region,
               sum(case when month_start > ? - interval 3 month then revenue else -revenue end)
        from fct_revenue_attribution
        where month_start between ? - interval 5 month and ?
        group by 1""", [month, month, month]))
    by_customer_region = dict(sql(built_home, """
        select d.region, sum(g.trailing_3_change)
        from fct_customer_growth as g join dim_customers as d on d.customer_id = g.customer_id
        where g.month_start = ? group by 1""", [month]))
    waterfall = chart(at, "Revenue change by region")["data"][0]
    steps = dict(zip(waterfall["x"][1:-1], waterfall["y"][1:-1]))
    assert steps.keys() == by_region.keys() == by_customer_region.keys()
    for region, change in by_region.items():
        assert steps[region] == pytest.approx(float(change), abs=0.01)
        assert steps[region] == pytest.approx(float(by_customer_region[region]), abs=0.5)
    (booked_after, booked_before), = sql(built_home, """
        select sum(case when month_start > ? - interval 3 month then revenue else 0 end),
               sum(case when month_start > ? - interval 3 month then 0 else revenue end)
        from fct_revenue_attribution
        where month_start between ? - interval 5 month and ?""", [month] * 4)
    assert waterfall["y"][0] == pytest.approx(float(booked_before), abs=0.01)
    assert waterfall["y"][-1] == pytest.approx(float(booked_after), abs=0.01)
    assert waterfall["y"][0] == pytest.approx(float(before), abs=0.5)
    assert waterfall["y"][-1] == pytest.approx(float(after), abs=0.5)
    # lifecycle: the stage counts of the chosen month
    stages = dict(sql(built_home, """
        select lifecycle_stage, count(*) from fct_customer_lifecycle
        where month_start = ? group by 1""", [month]))
    funnel = chart(at, "Customers by lifecycle stage")["data"]
    # the legend names the stages by their labels (Growing, ...); the marts keep the codes
    shown = {code: trace["y"][-1] for trace in funnel for code in STAGES
             if trace["name"] == label("lifecycle_stage", code, "en")}
    assert {k: v for k, v in shown.items() if v} == stages
    # at risk: declining, long time no purchase or tier drop; not churned
    risk = sql(built_home, """
        select count(*) from fct_customer_lifecycle
        where month_start = ? and lifecycle_stage <> 'churned'
          and (lifecycle_stage = 'declining' or is_long_no_purchase or is_tier_drop)""",
               [month])[0][0]
    assert len(table(at, "growth_at_risk")) == risk > 0


def test_growth_split_by_channel(monkeypatch, built_home):
    at = open_growth(monkeypatch, built_home)
    at.radio(key="growth_dimension").set_value("channel").run()
    assert not at.exception
    # the channels by their labels (Retail store ...), as text for Plotly
    channels = {kit.plot_text(label("channel", r[0], "en")) for r in sql(
        built_home, "select distinct channel from dim_customers where has_activity")}
    waterfall = chart(at, "Revenue change by channel")["data"][0]
    assert set(waterfall["x"][1:-1]) <= channels and len(waterfall["x"]) > 3


def test_a_channel_filter_changes_the_figures(monkeypatch, built_home):
    month = default_month(built_home)
    channel = sql(built_home, "select channel from dim_customers group by 1 "
                              "order by count(*) desc, channel limit 1")[0][0]
    everyone = open_growth(monkeypatch, built_home)
    at = open_growth(monkeypatch, built_home, Filters(month=month, channel=channel))
    after = sql(built_home, """
        select sum(g.trailing_3_revenue)
        from fct_customer_growth as g join dim_customers as d on d.customer_id = g.customer_id
        where g.month_start = ? and d.channel = ?""", [month, channel])[0][0]
    assert metrics(at)["Revenue, last 3 months"] == money_short(after, "en")
    assert metrics(at)["Revenue, last 3 months"] != metrics(everyone)["Revenue, last 3 months"]
    assert set(table(at, "growth_at_risk")["customer_id"]) <= {
        r[0] for r in sql(built_home, "select customer_id from dim_customers where channel = ?",
                          [channel])}


def test_filters_without_customers_show_the_empty_message(monkeypatch, built_home):
    month = default_month(built_home)
    rep, other_region = sql(built_home, """
        with combos as (
            select p.rep_id, r.region
            from (select distinct maintainer_rep_id as rep_id from dim_customers) as p
            cross join (select distinct region from dim_customers) as r
        )
        select combos.rep_id, combos.region
        from combos
        left join dim_customers as d
            on d.maintainer_rep_id = combos.rep_id and d.region = combos.region
        group by all having count(d.customer_id) = 0
        order by 1, 2 limit 1""")[0]
    at = open_growth(monkeypatch, built_home, Filters(month=month, rep_id=rep,
                                                      region=other_region))
    assert any("No data for these filters" in i.value for i in at.info)
    assert not at.metric and not at.dataframe


def test_contribution_shares_add_up_and_movers_leave_out_the_unchanged():
    import polars as pl

    from models.queries import growth

    frame = pl.DataFrame({
        "customer_id": ["a", "b", "c", "d"], "region": ["N", "N", "S", None],
        "channel": ["x", "y", "x", "y"],
        "previous_3_revenue": [100.0, 50.0, 80.0, 10.0],
        "trailing_3_revenue": [160.0, 50.0, 60.0, 30.0],
        "trailing_3_change": [60.0, 0.0, -20.0, 20.0]})
    parts = growth.contribution_by(frame, "region")
    assert dict(zip(parts["region"], parts["change"])) == {"N": 60.0, "S": -20.0,
                                                            "(none)": 20.0}
    assert parts["share_of_change"].sum() == pytest.approx(1.0)
    assert parts["region"][0] == "N"
    growers, decliners = growth.top_movers(frame, n=1)
    assert list(growers["customer_id"]) == ["a"] and list(decliners["customer_id"]) == ["c"]
    with pytest.raises(ValueError):
        growth.contribution_by(frame, "district")
