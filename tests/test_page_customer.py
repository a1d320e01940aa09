"""The Customer card page under Streamlit's AppTest, on the built demo warehouse: what the card
shows is computed again here straight from the warehouse file with duckdb; a customer outside
the user's scope, or unknown, shows nothing of it.

(AppTest runs a switched-to page without app.py's sidebar: the tests put the sidebar's filters
into the session, see tests/apptest_util.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.i18n import label
from models.core.clock import add_months
from models.queries.filters import Filters
from ui import kit
from tests.apptest_util import default_month
from tests.apptest_util import sql as warehouse_sql
from tests.test_page_sql import app


@pytest.fixture()
def manager_list(tmp_path) -> Path:
    path = tmp_path / "allowlist.toml"
    path.write_text('[[user]]\nemail = "mona@example.com"\nrole = "manager"\nregion = "城北片区"\n')
    return path


def busiest_customer(home: Path, region: str | None = None) -> str:
    """The customer with the most visits (of a region)."""
    (customer_id,), = warehouse_sql(home, """
        select customer_id from fct_visits where ? is null or region = ?
        group by customer_id order by count(*) desc, customer_id limit 1""", [region, region])
    return customer_id


def card(monkeypatch, home: Path, customer_id: str | None = None, *,
         filters: Filters | None = None, at: AppTest | None = None) -> AppTest:
    """The card page; ``customer_id`` opened the way another page's link opens it."""
    at = at or app(monkeypatch, home)
    if filters is not None:
        at.session_state[kit.FILTERS_KEY] = filters
    if customer_id is not None:
        at.query_params["customer"] = customer_id
    at.switch_page("pages/customer.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Customer card"]
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, title_start: str) -> dict:
    """The one chart whose title starts with ``title_start``."""
    (found,) = [c for c in charts(at) if c["layout"]["title"]["text"].startswith(title_start)]
    return found


def test_the_card_shows_the_customer_from_the_warehouse(monkeypatch, built_home):
    customer_id = busiest_customer(built_home)
    month = default_month(built_home)
    at = card(monkeypatch, built_home)
    assert "Choose a customer" in at.info[0].value and not at.header
    at.selectbox(key="card_customer").set_value(customer_id).run()
    assert not at.exception, at.exception
    assert at.query_params.get("customer") in (customer_id, [customer_id])

    (name, tier, stage, revenue_12m, alerts, developer, maintainer), = warehouse_sql(
        built_home, """
        select customer_name, tier, lifecycle_stage, revenue_12m, open_alert_count,
               developer_rep_name, maintainer_rep_name
        from dim_customers where customer_id = ?""", [customer_id])
    assert at.header[0].value == kit.md(f"{name} ({customer_id})")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Tier"] == tier
    assert shown["Lifecycle stage"] == label("lifecycle_stage", stage, "en")
    assert shown["Revenue, 12 months"] == kit.money(revenue_12m)
    assert shown["Open alerts"] == f"{alerts:,}"
    reps = " ".join(m.value for m in at.markdown)
    assert f"**{kit.md(maintainer)}**" in reps
    if developer:
        assert f"**{kit.md(developer)}**" in reps

    # 24 months of revenue and gross profit ending with the chosen month
    first = add_months(month, -23)
    rows = warehouse_sql(built_home, """
        select period_start, revenue, gross_profit from fct_customer_contribution
        where customer_id = ? and grain = 'month' and period_start between ? and ?""",
                         [customer_id, first, month])
    revenue_chart = charts(at)[0]
    bars, line = revenue_chart["data"]
    assert len(bars["x"]) == 24 and bars["x"][0].startswith(first.isoformat())
    assert sum(bars["y"]) == pytest.approx(sum(float(r) for _, r, _ in rows))
    assert sum(line["y"]) == pytest.approx(sum(float(g) for _, _, g in rows))

    # the evaluation radar holds the seven dimension scores
    radar = chart(at, "Evaluation dimensions")["data"][0]
    (sales_score,), = warehouse_sql(built_home, "select sales_contribution_score from "
                                                "fct_customer_scores where customer_id = ?",
                                    [customer_id])
    assert radar["theta"][0] == "Sales contribution"
    assert radar["r"][0] == pytest.approx(float(sales_score))
    assert len(radar["r"]) == 8  # seven dimensions, closed

    # the visits since the first month, all of them in the table, with outcomes
    (visits,), = warehouse_sql(built_home, "select count(*) from fct_visits where "
                                           "customer_id = ? and visit_date >= ?",
                               [customer_id, first])
    visit_chart = chart(at, "Visits since")
    assert sum(len(trace["x"]) for trace in visit_chart["data"]) == visits > 0
    tables = [d.value for d in at.dataframe]
    visit_table = next(t for t in tables if "outcome" in t.columns)
    assert len(visit_table) == visits
    downloads = [d.label for d in at.get("download_button")]
    assert "Download visits" in downloads


def test_a_link_opens_the_card_and_the_filters_narrow_the_choice(monkeypatch, built_home):
    month = default_month(built_home)
    customer_id = busiest_customer(built_home, "城东片区")
    at = card(monkeypatch, built_home, customer_id, filters=Filters(month=month, region="城东片区"))
    assert kit.md(f"({customer_id})") in at.header[0].value
    east = {c for (c,) in warehouse_sql(built_home, "select customer_id from dim_customers "
                                                    "where region = '城东片区'")}
    assert set(at.selectbox(key="card_customer").options) == {
        at.selectbox(key="card_customer").format_func(c) for c in east}

    # choosing another customer in the box replaces the one of the link
    other = sorted(east - {customer_id})[0]
    at.selectbox(key="card_customer").set_value(other).run()
    assert not at.exception
    assert kit.md(f"({other})") in at.header[0].value


def test_filters_without_customers_show_the_empty_message(monkeypatch, built_home):
    books = warehouse_sql(built_home, "select maintainer_rep_id, list(distinct region) "
                                      "from dim_customers where maintainer_rep_id is not null "
                                      "group by 1 order by 1")
    regions = {r for (r,) in warehouse_sql(built_home, "select distinct region from "
                                                       "dim_customers")}
    rep_id, own = books[0]
    at = card(monkeypatch, built_home, filters=Filters(
        month=default_month(built_home), region=sorted(regions - set(own))[0], rep_id=rep_id))
    assert "No customers for these filters" in at.info[0].value
    assert not at.selectbox and not at.header


def test_an_unknown_customer_shows_nothing(monkeypatch, built_home):
    at = card(monkeypatch, built_home, "NO-SUCH-CUSTOMER")
    assert kit.md("no customer 'NO-SUCH-CUSTOMER'") in at.warning[0].value
    assert not at.header and not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_a_manager_sees_only_the_customers_of_the_region(monkeypatch, built_home, manager_list):
    at = app(monkeypatch, built_home, email="mona@example.com", allowlist=manager_list)
    south = busiest_customer(built_home, "城南片区")
    at = card(monkeypatch, built_home, south, at=at)
    assert kit.md(f"no customer '{south}'") in at.warning[0].value
    assert not at.header and not at.metric and not at.dataframe and not at.get("plotly_chart")

    north = busiest_customer(built_home, "城北片区")
    at.query_params["customer"] = north
    at.run()
    assert not at.exception and kit.md(f"({north})") in at.header[0].value
    north_ids = {c for (c,) in warehouse_sql(built_home, "select customer_id from dim_customers "
                                                         "where region = '城北片区'")}
    offered = set(at.selectbox(key="card_customer").options)
    assert offered == {at.selectbox(key="card_customer").format_func(c) for c in north_ids}


def test_the_card_shows_contact_what_they_buy_and_visit_notes(monkeypatch, built_home):
    (customer_id, note), = warehouse_sql(built_home, """
        select v.customer_id, v.notes from fct_visits v
        join dim_customers c using (customer_id)
        where v.outcome = 'complaint' and v.notes is not null and c.phone is not null
          and exists (select 1 from fct_customer_order_lines o
                      where o.customer_id = v.customer_id and o.is_in_purchase_window)
        order by v.started_at desc, v.visit_id limit 1""")
    contact, phone = warehouse_sql(built_home, "select contact_name, phone from dim_customers "
                                               "where customer_id = ?", [customer_id])[0]
    at = card(monkeypatch, built_home, customer_id)
    shown = "\n".join(m.value for m in at.markdown)
    assert f"Contact: {kit.md(contact)} · {kit.md(phone)}" in shown
    assert f"tel:{phone}" in [b.proto.url for b in at.get("link_button")]
    assert kit.md(note) in shown  # the complaint's note, as text
    mix = {c: s for c, s in warehouse_sql(built_home, """
        select category, sum(revenue) / sum(sum(revenue)) over () from fct_customer_order_lines
        where customer_id = ? and is_in_purchase_window group by category""", [customer_id])}
    mix_chart = chart(at, "Category mix")
    bars = dict(zip(mix_chart["data"][0]["y"], mix_chart["data"][0]["x"]))
    assert bars.keys() == mix.keys()
    assert all(abs(bars[k] - float(mix[k])) < 1e-9 for k in mix)
    # the toolbar does not cover the titles on a phone
    assert all(json.loads(c.proto.config)["displayModeBar"] is False
               for c in at.get("plotly_chart"))
