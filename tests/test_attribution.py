"""Attribution at the time of the order, on a hand-written export (tests/fixtures/moved_customer):
customer C1 (Harbour Hotel) is Li Wei's (R1) in East in the first customers file and Zhao Min's
(R2) in West in the second. C2 stays with Sun Hao (R3) in East, C3 with R2 in West.

Orders, one a month Jan-Oct 2026: C1 1,000 (June's on the 30th, July's on the 1st), C2 300,
C3 500. So by region, as booked: East 1,300 and West 500 a month to June, East 300 and West
1,500 from July; in the current book East 300 and West 1,500 every month.

Two lakes give the same answer: the files loaded through ``salesdesk ingest`` (the second
customers file says ``assigned_from`` 2026-07-01), and the same rows written as lake files whose
second customers load has no assigned_from and was loaded on 2026-07-01 (the load date rule).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from models.core import settings
from models.core.scoping import ALL_DATA, Scope
from models.core.warehouse import Warehouse
from models.pipeline import build
from models.pipeline.ingest import ingest_paths
from models.queries import attribution, growth, overview
from models.queries.filters import Filters
from tests.lakefiles import write_lake_file

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "moved_customer"
MONTHS = [date(2026, m, 1) for m in range(1, 11)]


def _csv_rows(name: str) -> list[dict]:
    """The rows of a fixture file, empty cells as None and whole numbers as int."""
    with open(FIXTURE / name, newline="", encoding="utf-8") as f:
        return [{k: (None if v == "" else int(v) if v.isdigit() else v) for k, v in row.items()}
                for row in csv.DictReader(f)]


def _ingested(home: Path) -> None:
    ingest_paths([FIXTURE / n for n in ("reps.csv", "products.csv", "customers_2026-01.csv",
                                        "sales.csv")], base=home)
    ingest_paths([FIXTURE / "customers_2026-07.csv"], base=home)


def _lake_files(home: Path) -> None:
    """The same rows as lake files; the second customers load without assigned_from, loaded on
    2026-07-01 (so it takes effect on its load date)."""
    lake = settings.lake_dir(home)
    loaded = "2026-01-10 08:00:00"
    for entity, name in (("reps", "reps.csv"), ("products", "products.csv"),
                         ("customers", "customers_2026-01.csv"), ("sales", "sales.csv")):
        write_lake_file(lake, entity, _csv_rows(name), load_id=f"{entity}-1", loaded_at=loaded)
    second = [dict(row, assigned_from=None) for row in _csv_rows("customers_2026-07.csv")]
    write_lake_file(lake, "customers", second, load_id="customers-2",
                    loaded_at="2026-07-01 02:00:00")


@pytest.fixture(scope="module", params=["ingested_with_assigned_from", "load_date"])
def home(request, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp(request.param)
    (_ingested if request.param.startswith("ingested") else _lake_files)(home)
    result = build.run_build(home, unit_tests=request.param == "load_date")
    assert result.ok, result.failures
    return home


@pytest.fixture(scope="module")
def wh(home) -> Warehouse:
    return Warehouse(base=home)


def query(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.current_link(home)), read_only=True)
    try:
        con.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")  # as the app reads it
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_assignment_periods(home):
    rows = query(home, """
        select customer_id, assignment_number, valid_from, valid_to, maintainer_rep_id, region,
               effective_by, is_current
        from intermediate.int_customer_assignments order by 1, 2""")
    moved_by = "assigned_from" if "ingested" in home.name else "load_date"
    assert rows == [
        ("C1", 1, None, date(2026, 6, 30), "R1", "East", "first_load", False),
        ("C1", 2, date(2026, 7, 1), None, "R2", "West", moved_by, True),
        ("C2", 1, None, None, "R3", "East", "first_load", True),
        ("C3", 1, None, None, "R2", "West", "first_load", True),
    ]


def test_region_by_month_in_both_views(home):
    rows = query(home, """
        select month_start,
               sum(case when booked_region = 'East' then revenue else 0 end),
               sum(case when booked_region = 'West' then revenue else 0 end),
               sum(case when current_region = 'East' then revenue else 0 end),
               sum(case when current_region = 'West' then revenue else 0 end)
        from fct_revenue_attribution group by 1 order by 1""")
    expected = [(m, 1300, 500, 300, 1500) if m.month <= 6 else (m, 300, 1500, 300, 1500)
                for m in MONTHS]
    assert [(m, *map(int, v)) for m, *v in rows] == expected


def test_moved_customer_is_credited_to_the_rep_of_the_month(home):
    booked = query(home, """
        select month_start, booked_maintainer_rep_id, current_maintainer_rep_id, revenue
        from fct_revenue_attribution where customer_id = 'C1' order by 1""")
    assert [(m, b, c, int(r)) for m, b, c, r in booked] == [
        (m, "R1" if m.month <= 6 else "R2", "R2", 1000) for m in MONTHS]
    # commissions follow the assignment in force: June 30 is R1's (East), July 1 R2's (West)
    commissions = query(home, """
        select month_start, rep_id, region, customer_region, sum(credited_revenue),
               sum(commission_amount)
        from fct_commission_lines where customer_id = 'C1' group by all order by 1""")
    assert [(m, rep, region, cr, int(rev)) for m, rep, region, cr, rev, _ in commissions] == [
        (m, *(("R1", "East", "East") if m.month <= 6 else ("R2", "West", "West")), 1000)
        for m in MONTHS]
    # high band, 3 % of 1,000 each month (no quotas: no accelerator)
    assert {c for *_, c in commissions} == {30}


def test_overview_revenue_of_a_region_as_booked_and_in_the_current_book(wh):
    east = Filters(month=date(2026, 9, 1), region="East")
    booked = overview.revenue_summary(wh, ALL_DATA, east, view="booked").periods
    current = overview.revenue_summary(wh, ALL_DATA, east, view="current").periods
    # Sep 2026, Q3 to date (Jul-Sep), 2026 to date (Jan-Sep)
    assert [p.revenue for p in booked] == [300.0, 900.0, 6 * 1300.0 + 3 * 300.0]
    assert [p.revenue for p in current] == [300.0, 900.0, 9 * 300.0]
    west_rep = Filters(month=date(2026, 9, 1), rep_id="R2")
    assert overview.revenue_summary(wh, ALL_DATA, west_rep, view="booked").periods[2].revenue \
        == 6 * 500.0 + 3 * 1500.0
    assert overview.revenue_summary(wh, ALL_DATA, west_rep, view="current").periods[2].revenue \
        == 9 * 1500.0
    # unfiltered, both views are the company's revenue
    everyone = Filters(month=date(2026, 9, 1))
    assert overview.revenue_summary(wh, ALL_DATA, everyone, view="booked").periods[2].revenue \
        == overview.revenue_summary(wh, ALL_DATA, everyone, view="current").periods[2].revenue \
        == 9 * 1800.0


def test_revenue_by_region_and_by_rep_side_by_side(wh):
    filters = Filters(month=date(2026, 10, 1))
    regions = attribution.revenue_by_region(wh, ALL_DATA, filters, date(2026, 1, 1),
                                            date(2026, 10, 1))
    assert regions.rows() == [("East", 9000.0, 3000.0, 6000.0), ("West", 9000.0, 15000.0, -6000.0)]
    reps = attribution.revenue_by_rep(wh, ALL_DATA, filters, date(2026, 1, 1), date(2026, 10, 1))
    by_rep = {r["rep_id"]: (r["booked"], r["current"], r["taken"]) for r in reps.iter_rows(named=True)}
    # taken: C1's orders by R1 to June, R2 after; C2's by R3 except March (R1); C3's by R2
    # except January (no rep on the line)
    assert by_rep == {
        "R1": (6000.0, 0.0, 6300.0),
        "R2": (9000.0, 15000.0, 8500.0),
        "R3": (3000.0, 3000.0, 2700.0),
        None: (0.0, 0.0, 500.0),
    }
    assert reps.filter(reps["rep_id"] == "R2")["rep_name"].to_list() == ["Zhao Min"]


def test_growth_by_region_in_both_views(wh):
    filters = Filters(month=date(2026, 9, 1))  # Jul-Sep against Apr-Jun
    booked = attribution.region_growth(wh, ALL_DATA, filters, "booked")
    assert booked.select("region", "previous_3_revenue", "trailing_3_revenue", "change",
                         "share_of_change").rows() == [
        ("West", 1500.0, 4500.0, 3000.0, None), ("East", 3900.0, 900.0, -3000.0, None)]
    current = attribution.region_growth(wh, ALL_DATA, filters, "current")
    assert current.select("region", "previous_3_revenue", "trailing_3_revenue",
                          "change").rows() == [
        ("East", 900.0, 900.0, 0.0), ("West", 4500.0, 4500.0, 0.0)]
    # the customer-based growth mart agrees with the current book
    frame = growth.customer_growth(wh, ALL_DATA, filters)
    parts = growth.contribution_by(frame, "region")
    assert sorted(parts.select("region", "trailing_3_revenue").rows()) == [
        ("East", 900.0), ("West", 4500.0)]


def test_a_manager_sees_the_booked_history_of_the_regions_customers(wh):
    west = Scope("manager", region="West")
    filters = Filters(month=date(2026, 9, 1), region="West")
    # C1 and C3 are West's customers today; as booked, West sold C1's revenue from July only
    assert overview.revenue_summary(wh, west, filters, view="booked").periods[2].revenue \
        == 9 * 500.0 + 3 * 1000.0
    assert overview.revenue_summary(wh, west, filters, view="current").periods[2].revenue \
        == 9 * 1500.0


def _table(at, column: str):
    """The one table on the page with ``column``."""
    (table,) = [d.value for d in at.dataframe if column in d.value.columns]
    return table


def test_overview_page_says_which_view_it_shows(monkeypatch, home):
    from tests.apptest_util import open_page

    east = Filters(month=date(2026, 9, 1), region="East")
    at = open_page(monkeypatch, home, "pages/overview.py", "Overview", filters=east)
    toggle = at.radio(key="overview_revenue_view")
    assert toggle.value == "booked"
    assert any("taken As booked" in c.value for c in at.caption), [c.value for c in at.caption]
    assert {m.label: m.value for m in at.metric}["Revenue 2026 to date"] == "¥8,700"
    toggle.set_value("current").run()
    assert not at.exception
    assert any("taken Current book" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Revenue 2026 to date"] == "¥2,700"
    # the side-by-side tables, Jan-Sep: every region and rep, both views and the orders taken
    by_region = _table(at, "difference")
    assert by_region.to_dict("list") == {"region": ["East", "West"], "booked": [8700.0, 7500.0],
                                         "current": [2700.0, 13500.0],
                                         "difference": [6000.0, -6000.0]}
    by_rep = _table(at, "taken")
    taken = dict(zip(by_rep["rep_id"].fillna("(none)"), by_rep["taken"]))
    assert taken == {"R2": 7000.0, "R1": 6300.0, "R3": 2400.0, "(none)": 500.0}


def test_growth_page_region_split_follows_the_toggle(monkeypatch, home):
    from tests.apptest_util import open_page

    at = open_page(monkeypatch, home, "pages/growth.py", "Growth",
                   filters=Filters(month=date(2026, 9, 1)))
    assert at.radio(key="growth_region_view").value == "booked"
    table = _table(at, "share_of_change")
    assert dict(zip(table["region"], table["change"])) == {"West": 3000.0, "East": -3000.0}
    at.radio(key="growth_region_view").set_value("current").run()
    assert not at.exception
    table = _table(at, "share_of_change")
    assert dict(zip(table["region"], table["change"])) == {"East": 0.0, "West": 0.0}
    assert any("Current book" in c.value for c in at.caption)
