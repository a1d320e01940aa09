"""The Overview page under Streamlit's AppTest, on the built demo warehouse: the figures it
shows are computed again here straight from the warehouse file with duckdb.

AppTest runs a page it switched to without app.py (a ``pages/`` folder makes it run the page
file directly), so app.py's sidebar is not drawn there; the tests put the filters the sidebar
would choose into the session (``kit.FILTERS_KEY``) instead. A manager lands on the Overview
through app.py on the first run (with the default filters). The sidebar itself is driven in
the browser test (tests/test_browser_pages.py).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.core.clock import add_months
from models.queries.filters import Filters
from ui import kit
from tests.apptest_util import default_month, sql
from tests.test_page_sql import app


@pytest.fixture()
def manager_list(tmp_path) -> Path:
    path = tmp_path / "allowlist.toml"
    path.write_text('[[user]]\nemail = "mona@example.com"\nrole = "manager"\nregion = "城北片区"\n')
    return path


def revenue(home: Path, first: date, last: date, where: str = "true",
            params: list | None = None) -> float:
    (value,), = sql(home, f"""
        select coalesce(sum(c.revenue), 0) from fct_customer_contribution c
        join dim_customers d using (customer_id)
        where c.grain = 'month' and c.period_start between ? and ? and {where}""",
                              [first, last, *(params or [])])
    return float(value)


def stage_counts(home: Path, month: date, where: str = "true",
                 params: list | None = None) -> dict[str, int]:
    rows = sql(home, f"""
        select l.lifecycle_stage, count(*) from fct_customer_lifecycle l
        join dim_customers d using (customer_id)
        where l.month_start = ? and {where} group by 1""", [month, *(params or [])])
    return {stage: n for stage, n in rows}


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def overview(monkeypatch, home: Path, filters: Filters | None = None) -> AppTest:
    at = app(monkeypatch, home)
    if filters is not None:
        at.session_state[kit.FILTERS_KEY] = filters
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Overview"]
    return at


def test_overview_shows_the_warehouse_figures(monkeypatch, built_home):
    month = default_month(built_home)
    at = overview(monkeypatch, built_home)
    shown = metrics(at)
    label = month.strftime("%b %Y")

    # revenue: the month and the year to date against the same months a year earlier
    this_month = revenue(built_home, month, month)
    year_ago = revenue(built_home, add_months(month, -12), add_months(month, -12))
    value, delta = shown[f"Revenue {label}"]
    assert value == kit.money(this_month)
    assert delta == f"{(this_month / year_ago - 1) * 100:+.1f} % vs " \
                    f"{add_months(month, -12):%b %Y}"
    ytd = revenue(built_home, date(month.year, 1, 1), month)
    ytd_before = revenue(built_home, date(month.year - 1, 1, 1), add_months(month, -12))
    value, delta = shown[f"Revenue {month.year} to date"]
    assert value == kit.money(ytd)
    assert delta.startswith(f"{(ytd / ytd_before - 1) * 100:+.1f} % vs Jan-")
    quarter = date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
    qtd = revenue(built_home, quarter, month)
    assert shown[f"Revenue Q{(month.month - 1) // 3 + 1} {month.year} to date"][0] == \
        kit.money(qtd)

    # customers by lifecycle stage, with the change against the month before
    now = stage_counts(built_home, month)
    before = stage_counts(built_home, add_months(month, -1))
    active = sum(now.get(s, 0) for s in ("new", "growing", "mature", "declining"))
    assert shown["Active"][0] == f"{active:,}"
    assert shown["Churned"] == (f"{now.get('churned', 0):,}",
                                f"{now.get('churned', 0) - before.get('churned', 0):+,} vs "
                                f"{add_months(month, -1):%b}")
    assert shown["Declining"][0] == f"{now.get('declining', 0):,}"
    assert shown["New"][0] == f"{now.get('new', 0):,}"

    # the tier mix chart counts the month's tiers
    tiers = dict(sql(built_home, "select tier, count(*) from fct_customer_tiers "
                                           "where month_start = ? group by 1", [month]))
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = spec["data"][0]
    assert bars["x"] == ["S", "A", "B", "C"]
    assert bars["y"] == [tiers.get(t, 0) for t in "SABC"]

    # visit compliance of the month's weeks
    (done, required), = sql(built_home, "select sum(done_visits), "
                                                  "sum(required_visits) from "
                                                  "fct_visit_compliance where month_start = ?",
                                      [month])
    assert shown["Visits made / required"][0] == kit.pct(float(done) / float(required), 0)

    # every open alert is listed, most severe first, and can be downloaded
    (alert_count,), = sql(built_home, "select count(*) from fct_customer_alerts")
    table = at.dataframe[0].value
    assert len(table) == alert_count > 0
    severities = list(table["severity"])
    assert severities == sorted(severities, key=["high", "medium", "low"].index)
    assert "Download alerts" in [d.label for d in at.get("download_button")]


def test_a_filter_changes_the_figures(monkeypatch, built_home):
    month = default_month(built_home)
    label = f"Revenue {month:%b %Y}"
    everyone = metrics(overview(monkeypatch, built_home))
    east = metrics(overview(monkeypatch, built_home, Filters(month=month, region="城东片区")))
    expected = revenue(built_home, month, month, "d.region = ?", ["城东片区"])
    assert east[label][0] == kit.money(expected)
    assert east[label][0] != everyone[label][0]
    now = stage_counts(built_home, month, "d.region = ?", ["城东片区"])
    assert east["Churned"][0] == f"{now.get('churned', 0):,}"

    # another month: its own figures, compared with its own year-ago month
    earlier = add_months(month, -2)
    at = overview(monkeypatch, built_home, Filters(month=earlier))
    value, delta = metrics(at)[f"Revenue {earlier:%b %Y}"]
    assert value == kit.money(revenue(built_home, earlier, earlier))
    assert delta.endswith(f"vs {add_months(earlier, -12):%b %Y}")


def test_filters_without_customers_show_the_empty_message(monkeypatch, built_home):
    # a rep and a region where the rep maintains no customer
    books = sql(built_home, "select maintainer_rep_id, list(distinct region) "
                                      "from dim_customers where maintainer_rep_id is not null "
                                      "group by 1 order by 1")
    regions = {r for (r,) in sql(built_home, "select distinct region from "
                                                       "dim_customers")}
    rep_id, own = books[0]
    region = sorted(regions - set(own))[0]
    at = overview(monkeypatch, built_home,
                  Filters(month=default_month(built_home), region=region, rep_id=rep_id))
    assert "No data for these filters" in at.info[0].value
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_a_north_manager_sees_north_figures_only(monkeypatch, built_home, manager_list):
    month = default_month(built_home)
    at = app(monkeypatch, built_home, email="mona@example.com", allowlist=manager_list)
    assert [t.value for t in at.title] == ["Overview"]  # a manager's start page, via app.py
    shown = metrics(at)
    north = revenue(built_home, month, month, "d.region = ?", ["城北片区"])
    assert shown[f"Revenue {month:%b %Y}"][0] == kit.money(north)
    assert north != revenue(built_home, month, month)
    now = stage_counts(built_home, month, "d.region = ?", ["城北片区"])
    active = sum(now.get(s, 0) for s in ("new", "growing", "mature", "declining"))
    assert shown["Active"][0] == f"{active:,}"
    table = at.dataframe[0].value
    (north_alerts,), = sql(built_home, """
        select count(*) from fct_customer_alerts a join dim_customers d using (customer_id)
        where d.region = '城北片区'""")
    assert len(table) == north_alerts
    assert set(table["region"]) <= {"城北片区"}


def test_choosing_an_alert_opens_the_customer_card(monkeypatch, built_home):
    at = overview(monkeypatch, built_home)
    table = at.dataframe[0].value
    customer_id = table["customer_id"].iloc[-1]
    at.selectbox(key="overview_alert_customer").set_value(customer_id)
    at.button(key="overview_open_card").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Customer card"]
    assert at.query_params.get("customer") in (customer_id, [customer_id])
    assert kit.md(f"({customer_id})") in at.header[0].value
