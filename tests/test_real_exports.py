"""Builds of lakes shaped like a first real ERP export (tests/exportlakes.py), through
models.pipeline.build for real: history older than the commission plan, as-of following the data,
loud data health, an all-rejected entity, an unassigned customer, a customer with no orders, no
visits file, and money marts that equal the order lines to the cent."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from models.core import clock, settings
from models.core.scoping import ALL_DATA
from models.core.warehouse import Warehouse
from models.pipeline import build, cli
from models.queries import commissions, datadesk
from ui import kit
from tests.exportlakes import HISTORY_END, write_dead_products_lake, write_history_lake

NO_PLAN = ("301 order lines in 60 months (2015-01 to 2019-12) have no commission plan version "
           "in force: the plan (seed commission_plan.csv) covers from 2020-01-01. They get no "
           "commission (reason no_plan); everything else is built. Add a plan version for "
           "those months to pay commission on them.")
AS_OF = ("as of 2019-12-30, the latest order date: the data ends more than 31 days before "
         "today (2026-11-18)")


@pytest.fixture(scope="module")
def history_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("history")
    write_history_lake(settings.lake_dir(home))
    return home


@pytest.fixture(scope="module")
def history_build(history_home) -> build.BuildResult:
    return build.run_build(history_home)


def query(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.current_link(home)), read_only=True)
    try:
        con.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")  # as the app reads it
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_history_older_than_the_plan_builds_with_warnings(history_home, history_build):
    result = history_build
    assert result.status == "success_with_warnings", result.failures
    assert result.ok and build.current_build_id(history_home) == result.build_id
    assert build.is_up_to_date(history_home)
    assert NO_PLAN in result.warnings
    record = build.history(history_home)[-1]
    assert record["status"] == "success_with_warnings" and NO_PLAN in record["warnings"]
    # the lines before the plan: no plan, no rate, commission 0, reason no_plan
    assert query(history_home, """
        select no_commission_reason, count(*), count(plan_version), count(rate),
               sum(commission_amount)
        from fct_commission_lines group by 1""") == [("no_plan", 301, 0, 0, Decimal("0.00"))]
    # everything else is built: tiers for every customer-month with orders
    assert query(history_home, "select count(*) from fct_customer_tiers")[0][0] == 4 * 60
    assert "With 4 warning(s):" in str(result)


def test_no_plan_lines_next_to_priced_lines_stay_strict(history_home):
    """The data tests that guard money ran on the build (reconcile, statements) and passed."""
    current = build.current_build_id(history_home)
    results = json.loads((settings.warehouse_dir(history_home) / f"{current}.dbt" / "target"
                          / build.BUILD_RESULTS).read_text())["results"]
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results
                if r["unique_id"].startswith("test.")}
    guards = [name for name in statuses if name.startswith((
        "commission_lines_reconcile_with_order_lines", "commission_statements_equal_their_lines",
        "not_null_fct_commission_lines_rate", "not_null_fct_commission_lines_plan_version",
        "money_total_matches_order_lines"))]
    assert len(guards) >= 8, guards
    assert {statuses[name] for name in guards} == {"pass"}


def test_as_of_follows_the_data(history_home, history_build, monkeypatch):
    assert history_build.as_of_date == HISTORY_END.isoformat()
    assert history_build.as_of_note == AS_OF
    assert build.history(history_home)[-1]["as_of_note"] == AS_OF
    assert query(history_home, "select max(as_of_date) from dim_customers")[0][0] == HISTORY_END
    # recent data: today; a given date wins; the recency is a var
    monkeypatch.setenv(clock.ENV, "2020-01-30")
    assert build.choose_as_of_date(None, history_home) == (
        {"as_of_date": "2020-01-30"}, "as of 2020-01-30, today")
    monkeypatch.setenv(clock.ENV, "2020-02-05")
    assert build.with_as_of_date(None, history_home) == {"as_of_date": "2019-12-30"}
    assert build.with_as_of_date({"as_of_recent_days": 60}, history_home)["as_of_date"] == \
        "2020-02-05"
    assert build.choose_as_of_date({"as_of_date": "2018-06-30"}, history_home) == (
        {"as_of_date": "2018-06-30"}, "as of 2018-06-30, as set for this build")


def test_data_health_is_recorded_and_loud(history_home, history_build):
    health = build.history(history_home)[-1]["data_health"]
    assert health["products"] == {"loaded": 5, "staged": 4, "rejected": 1, "superseded": 0,
                                  "top_rules": [["missing_required", 1]]}
    assert health["sales"] == {"loaded": 304, "staged": 301, "rejected": 3, "superseded": 0,
                               "top_rules": [["unknown_sku", 3]]}
    assert health["visits"]["loaded"] == 0
    assert history_build.warnings[0] == (
        "products: 1 of 5 rows rejected (20.0%, above 5%): unit_cost missing (1). The Data page "
        "lists them with their values.")
    # sales: 3 of 304 (1 %) stays under the threshold; a lower threshold flags it
    assert not any(w.startswith("sales:") for w in history_build.warnings)
    flagged = build.data_warnings(Path(history_build.warehouse_file), health,
                                  {"rejected_share_warning": 0.005})
    assert flagged[1].startswith("sales: 3 of 304 rows rejected (1.0%, above 0%): unknown_sku (3)")
    frame = datadesk.health_frame(datadesk.current_build_record(history_home))
    assert frame.filter(frame["entity"] == "products").row(0) == (
        "products", 5, 4, 1, 0.2, "missing_required (1)")


def test_salesdesk_status_shows_the_health(history_home, history_build, monkeypatch, capsys):
    monkeypatch.setenv("SALESDESK_HOME", str(history_home))
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "success_with_warnings" in out
    assert f"Build {history_build.build_id}: success_with_warnings, {AS_OF}." in out
    assert "  products              5 /          4 /        1; missing_required 1" in out
    assert "4 warning(s):" in out and NO_PLAN in out


def test_unassigned_customer_goes_to_the_house_and_is_listed(history_home, history_build):
    assert "1 customer has no maintainer: their orders go to the house account of their region " \
           "(reason unassigned); the Commissions page lists them." in history_build.warnings
    assert query(history_home, "select count(*) from staging.stg_sales_lake__rejected_rows "
                               "where entity = 'customers'")[0][0] == 0
    assert query(history_home, """
        select rep_id, house_reason, account_rep_id, count(*), sum(credited_revenue)
        from fct_commission_lines where customer_id = 'C4' group by all""") == [
        ("HOUSE-East", "unassigned", None, 60, Decimal("3233.7900"))]
    listed = commissions.unassigned_customers(Warehouse(history_home), ALL_DATA)
    assert listed["customer_id"].to_list() == ["C4"]


def test_customer_without_orders_is_a_tier_c_prospect(history_home, history_build):
    assert query(history_home, "select tier, lifecycle_stage, has_activity from dim_customers "
                               "where customer_id = 'C5'") == [("C", "prospect", False)]
    assert query(history_home, "select count(*) from dim_customers where tier is null")[0][0] == 0


def test_money_marts_equal_the_order_lines_to_the_cent(history_home, history_build):
    lines = query(history_home, "select sum(revenue) from staging.stg_sales_lake__sales")[0][0]
    totals = query(history_home, """
        select grain, sum(revenue) from fct_customer_contribution group by 1 order by 1""")
    assert totals == [("month", lines), ("quarter", lines), ("year", lines)]
    assert query(history_home, "select sum(revenue) from fct_customer_growth")[0][0] == lines
    assert query(history_home, "select sum(credited_revenue) from fct_commission_lines")[0][0] \
        == lines


def test_no_visits_is_a_state(history_home, history_build):
    assert history_build.warnings[-1] == (
        "No visits have been loaded: visit compliance, visit alerts and the service-need axis "
        "of the priority matrix are off until they are.")
    assert query(history_home, "select count(*) from fct_customer_alerts "
                               "where alert_type = 'visit_overdue'")[0][0] == 0
    assert query(history_home, """
        select bool_or(has_visit_data), count(quadrant), count(priority), count(service_need_hours)
        from fct_customer_scores""") == [(False, 0, 0, 0)]


def test_all_products_rejected_fails_the_build_and_says_why(tmp_path):
    write_dead_products_lake(settings.lake_dir(tmp_path))
    result = build.run_build(tmp_path)
    assert result.status == "failed" and not result.ok
    assert result.failures == [
        "all 4 products rejected: unit_cost missing; so all 200 order lines: unknown_sku. "
        "Nothing can be built on them: correct the file(s) and load them again (the Data page "
        "lists every rejected row with its values); the current warehouse is unchanged."]
    assert build.current_build_id(tmp_path) is None
    record = build.history(tmp_path)[-1]
    assert record["status"] == "failed" and record["failures"] == result.failures
    assert record["data_health"]["products"]["staged"] == 0


# --- what the pages show on such a build ------------------------------------------------------

def test_pages_show_the_health_the_unassigned_and_no_visits(monkeypatch, history_home,
                                                             history_build):
    from streamlit.testing.v1 import AppTest

    from models.queries.visits import NO_VISITS
    from tests.apptest_util import APP, open_page

    monkeypatch.setenv("SALESDESK_HOME", str(history_home))
    at = AppTest.from_file(APP, default_timeout=60).run()  # the admin's home page: Data
    assert not at.exception, at.exception
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "as of 2019-12-30" in sidebar and "with 4 warnings: see the Data page" in sidebar
    warnings = [w.value for w in at.warning if w not in at.sidebar.warning]
    assert kit.md(NO_PLAN) in warnings, warnings  # shown as text (escaped for Markdown)
    assert any(f"built, with warnings; {kit.md(AS_OF)}." in c.value for c in at.caption)
    # the rebuild can set the as-of date (empty: follow the data)
    assert at.date_input(key="rebuild_as_of").value is None

    at = open_page(monkeypatch, history_home, "pages/visits.py", "Visits")
    assert [i.value for i in at.info] == [NO_VISITS]
    at = open_page(monkeypatch, history_home, "pages/overview.py", "Overview")
    assert NO_VISITS in [i.value for i in at.info]
    at = open_page(monkeypatch, history_home, "pages/scoring.py", "Scoring")
    assert any(i.value.startswith(NO_VISITS) for i in at.info)

    at = open_page(monkeypatch, history_home, "pages/commissions.py", "Commissions")
    assert "Unassigned customers" in [s.value for s in at.subheader]
    listed = next(d.value for d in at.dataframe if "customer_name" in d.value.columns
                  and "last_order_date" in d.value.columns)
    assert list(listed["customer_id"]) == ["C4"]
