"""Scoring page under AppTest (app.py, then switch_page) and in chromium.

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
from tests.apptest_util import APP, default_month, metrics, open_page, sql

PAGE = "pages/scoring.py"
TIER_METRICS = {"S (key account) customers": "S", "A customers": "A", "B customers": "B",
                "C customers": "C"}


def open_scoring(monkeypatch, home: Path, filters: Filters | None = None) -> AppTest:
    return open_page(monkeypatch, home, PAGE, "Scoring", filters)


def tier_counts(at: AppTest) -> dict[str, int]:
    shown = metrics(at)
    return {tier: int(shown[label].replace(",", "")) for label, tier in TIER_METRICS.items()}


def chart(at: AppTest, index: int) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def expected_tiers(home: Path, month: date, where: str = "true", params: list | None = None,
                   ) -> dict[str, int]:
    rows = sql(home, f"""
        select t.tier, count(*)
        from fct_customer_tiers as t join dim_customers as d on d.customer_id = t.customer_id
        where t.month_start = ? and {where}
        group by t.tier""", [month, *(params or [])])
    return {tier: dict(rows).get(tier, 0) for tier in "SABC"}


def test_known_answer_grades_4_a_6_b_10_c(monkeypatch, known_answer_home):
    at = open_scoring(monkeypatch, known_answer_home)
    assert tier_counts(at) == {"S": 0, "A": 4, "B": 6, "C": 10}
    assert metrics(at)["Customers"] == "20"
    # the boundaries on the Pareto curve: the top 4 hold 80 %, the top 10 hold 95 %
    pareto = chart(at, 0)
    assert pareto["layout"]["title"]["text"].startswith("Pareto curve")
    notes = [a["text"] for a in pareto["layout"]["annotations"]]
    assert notes == ["A | B: top 4 = 80.0 %", "B | C: top 10 = 95.0 %"]
    # the tier table: the customers in rank order, the top 4 A
    table = at.dataframe[0].value
    assert list(table["customer_id"][:5]) == ["C01", "C02", "C03", "C04", "C05"]
    assert list(table["tier"]).count("A") == 4
    assert table["cum_share"].iloc[-1] == pytest.approx(1.0)
    # February had the same proportions: nobody moved
    assert metrics(at)["Same tier"] == "20"
    # no visits in this lake: no priority matrix (no service-need axis), a message instead
    from models.queries.visits import NO_VISITS

    assert any(i.value.startswith(NO_VISITS) for i in at.info)
    assert "scoring_priority_table" not in [d.key for d in at.dataframe]
    # the checklist lists the 10 C customers (no prospects here)
    checklist = next(d for d in at.dataframe if d.key == "scoring_checklist").value
    assert sorted(checklist["customer_id"]) == [f"C{i:02d}" for i in range(11, 21)]


def test_figures_match_the_warehouse(monkeypatch, built_home):
    month = default_month(built_home)
    at = open_scoring(monkeypatch, built_home)
    expected = expected_tiers(built_home, month)
    assert tier_counts(at) == expected
    assert sum(expected.values()) > 50
    # the tier table is ranked by average monthly revenue
    top = sql(built_home, """
        select customer_id from fct_customer_tiers where month_start = ?
        order by avg_monthly_revenue desc, customer_id limit 3""", [month])
    assert list(at.dataframe[0].value["customer_id"][:3]) == [r[0] for r in top]
    # priority quadrants
    quadrants = dict(sql(built_home,
                         "select quadrant, count(*) from fct_customer_scores group by 1"))
    shown = metrics(at)
    assert int(shown["1 · Quick win"]) == quadrants.get("quick_win", 0)
    assert int(shown["4 · Reduce or drop"]) == quadrants.get("reduce", 0)
    value_cut, need_cut = sql(built_home,
                              "select max(value_cut), max(need_cut) from fct_customer_scores")[0]
    matrix = chart(at, 2)
    shapes = matrix["layout"]["shapes"]
    assert {round(s["y0"], 2) for s in shapes if s["y0"] == s["y1"]} == {float(value_cut)}
    assert {round(s["x0"], 2) for s in shapes if s["x0"] == s["x1"]} == {float(need_cut)}
    # the checklist holds exactly the potential candidates
    candidates = sql(built_home, "select count(*) from fct_customer_scores "
                                 "where is_potential_candidate")[0][0]
    assert len(at.dataframe[2].value) == candidates > 0


def test_migration_between_two_chosen_months(monkeypatch, built_home):
    month = default_month(built_home)
    earlier = date(month.year - 1, month.month, 1)
    at = open_scoring(monkeypatch, built_home)
    at.selectbox(key="migration_from").set_value(earlier).run()
    assert not at.exception
    (same, up, down, new), = sql(built_home, """
        select
            count(*) filter (where b.tier = a.tier),
            count(*) filter (where b.tier <> a.tier and
                (case a.tier when 'S' then 4 when 'A' then 3 when 'B' then 2 else 1 end) >
                (case b.tier when 'S' then 4 when 'A' then 3 when 'B' then 2 else 1 end)),
            count(*) filter (where b.tier <> a.tier and
                (case a.tier when 'S' then 4 when 'A' then 3 when 'B' then 2 else 1 end) <
                (case b.tier when 'S' then 4 when 'A' then 3 when 'B' then 2 else 1 end)),
            count(*) filter (where b.tier is null)
        from (select * from fct_customer_tiers where month_start = ?) as a
        full join (select * from fct_customer_tiers where month_start = ?) as b
            on a.customer_id = b.customer_id""", [month, earlier])
    shown = metrics(at)
    assert (int(shown["Same tier"]), int(shown["Moved up"]), int(shown["Moved down"]),
            int(shown["New"])) == (same, up, down, new)
    assert up + down > 0
    heat = chart(at, 1)
    assert f"{earlier:%b %Y} (rows)" in heat["layout"]["title"]["text"]


def test_a_region_filter_changes_the_figures(monkeypatch, built_home):
    month = default_month(built_home)
    everyone = expected_tiers(built_home, month)
    region = sql(built_home, "select region from dim_customers group by 1 "
                             "order by count(*) desc, region limit 1")[0][0]
    expected = expected_tiers(built_home, month, "d.region = ?", [region])
    at = open_scoring(monkeypatch, built_home, Filters(month=month, region=region))
    assert tier_counts(at) == expected
    assert expected != everyone and sum(expected.values()) > 0
    table = at.dataframe[0].value
    assert set(table["region"]) == {region}
    assert region in at.caption[0].value


def test_a_manager_sees_only_their_region(monkeypatch, built_home, tmp_path):
    month = default_month(built_home)
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text('[[user]]\nemail = "mona@example.com"\nrole = "manager"\n'
                         'region = "城北片区"\n')
    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    monkeypatch.setenv("SALESDESK_ALLOWLIST", str(allowlist))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "test-only", "client_id": "test",
                          "client_secret": "test-only",
                          "server_metadata_url": "https://login.example.com/.well-known/x"}
    at.user = {"is_logged_in": True, "email": "mona@example.com"}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert tier_counts(at) == expected_tiers(built_home, month, "d.region = '城北片区'")
    assert set(at.dataframe[0].value["region"]) == {"城北片区"}


def test_filters_without_customers_show_the_empty_message(monkeypatch, built_home):
    month = default_month(built_home)
    empty = sql(built_home, """
        with combos as (
            select r.region, c.channel
            from (select distinct region from dim_customers) as r
            cross join (select distinct channel from dim_customers) as c
        )
        select combos.region, combos.channel
        from combos
        left join dim_customers as d on d.region = combos.region and d.channel = combos.channel
        group by all having count(d.customer_id) = 0
        order by 1, 2 limit 1""")
    assert empty, "every region has every channel: pick another empty combination"
    region, channel = empty[0]
    at = open_scoring(monkeypatch, built_home, Filters(month=month, region=region,
                                                       channel=channel))
    assert any("No data for these filters" in i.value for i in at.info)
    assert not at.metric and not at.dataframe


def settled(page) -> None:
    """Wait until the app has drawn and no script run is in progress. Unlike
    browser_util.wait_until_done, a "File change. Rerun" notice (a source file edited while the
    server runs) does not count as a run in progress."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_timeout(500)
    page.wait_for_function(
        """() => {
            const status = document.querySelector('[data-testid="stStatusWidget"]');
            return !status || !/running|stop/i.test(status.innerText);
        }""", timeout=60_000)


@pytest.mark.browser
def test_scoring_in_chromium_filter_then_row_opens_the_card(served_app, browser_session,
                                                             built_home):
    from tests.browser_util import screenshot

    month = default_month(built_home)
    region = sql(built_home, "select region from dim_customers group by 1 "
                             "order by count(*) desc, region limit 1")[0][0]
    everyone = sum(expected_tiers(built_home, month).values())
    in_region = sum(expected_tiers(built_home, month, "d.region = ?", [region]).values())
    top = sql(built_home, """
        select t.customer_id
        from fct_customer_tiers as t join dim_customers as d on d.customer_id = t.customer_id
        where t.month_start = ? and d.region = ?
        order by t.avg_monthly_revenue desc, t.customer_id limit 1""", [month, region])[0][0]
    page = browser_session.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(served_app)
        nav = page.locator('[data-testid="stSidebarNav"] a')
        # app.py's navigation (not the pages folder a fresh server lists before app.py ran)
        nav.filter(has_text="Customer card").first.wait_for(timeout=60_000)
        nav.filter(has_text="Scoring").first.click()
        settled(page)
        page.locator(".st-key-pareto_chart .main-svg").first.wait_for(timeout=30_000)
        customers = page.locator('[data-testid="stMetric"]').filter(has_text="Customers").last
        assert customers.inner_text().split()[-1] == f"{everyone:,}"
        screenshot(page, "scoring")

        # the sidebar's region filter changes the figures
        page.locator(".st-key-filter_region").click()
        page.get_by_role("option", name=region, exact=True).click()
        settled(page)
        page.wait_for_function(
            """(want) => {
                const shown = [...document.querySelectorAll('[data-testid="stMetric"]')]
                    .filter((m) => m.innerText.includes('Customers'));
                return shown.length > 0 && shown[shown.length - 1].innerText.trim().endsWith(want);
            }""", arg=f"{in_region:,}", timeout=30_000)
        assert in_region != everyone

        # a row of the tier table opens the customer's card
        page.get_by_role("heading", name="Tier table").first.wait_for(timeout=30_000)
        grid = page.locator(".st-key-scoring_tier_table [data-testid='stDataFrame']")
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        box = grid.bounding_box()
        assert box is not None
        # glide-data-grid draws on a canvas: click the row-marker column of the first row
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
        page.wait_for_url("**/customer?customer=*", timeout=30_000)
        settled(page)
        assert f"customer={top}" in page.url
        page.get_by_text(top).first.wait_for(timeout=30_000)
        screenshot(page, "scoring_to_customer_card")

        # back on Scoring, the earlier selection does not send the manager to the card again
        nav.filter(has_text="Scoring").first.click()
        settled(page)
        page.get_by_role("heading", name="Tier table").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert page.url.rstrip("/").endswith("/scoring")
    finally:
        page.close()


# --- the page's rules as plain functions -----------------------------------------------------

def _ranked(rows: list[tuple[str, str, float, bool]]):
    import polars as pl

    frame = pl.DataFrame(rows, schema=["customer_id", "tier", "avg_monthly_revenue",
                                       "is_key_account"], orient="row")
    total = frame["avg_monthly_revenue"].sum()
    return frame.with_columns(
        pl.int_range(1, frame.height + 1).alias("selection_rank"),
        (pl.col("avg_monthly_revenue").cum_sum() / total).alias("cum_share"),
        pl.col("customer_id").alias("customer_name"))


def test_pareto_boundaries_follow_the_tiers_not_a_flagged_key_account():
    from models.queries import scoring

    frame = _ranked([("X", "S", 50.0, False), ("Y", "A", 30.0, False), ("Z", "B", 15.0, False),
                     ("K", "S", 4.0, True), ("W", "C", 1.0, False)])
    result = scoring.pareto(frame)
    assert [(b.label, b.customers, round(b.share, 2)) for b in result.boundaries] == [
        ("S | A", 1, 0.5), ("A | B", 2, 0.8), ("B | C", 3, 0.95)]
    assert dict(zip(result.counts["tier"], result.counts["customers"])) == {
        "S": 2, "A": 1, "B": 1, "C": 1}


def test_pareto_without_lower_customers_draws_no_boundary():
    from models.queries import scoring

    result = scoring.pareto(_ranked([("X", "A", 10.0, False), ("Y", "A", 5.0, False)]))
    assert result.boundaries == [] and result.count("A") == 2 and result.count("S") == 0


def test_migration_matrix_and_summary():
    import polars as pl

    from models.queries import scoring

    moves = pl.DataFrame({"from_tier": ["A", "B", "C", "none", "B"],
                          "to_tier": ["A", "A", "B", "C", "none"],
                          "customers": [5, 2, 3, 4, 1]})
    assert scoring.migration_summary(moves) == {"up": 5, "down": 0, "same": 5, "new": 4,
                                                "gone": 1}
    matrix = scoring.migration_matrix(moves)
    assert matrix.columns == ["from_tier", "S", "A", "B", "C", "none"]
    assert matrix.filter(pl.col("from_tier") == "B").row(0) == ("B", 0, 2, 0, 0, 1)
    assert int(matrix.select(pl.exclude("from_tier")).sum_horizontal().sum()) == 15
