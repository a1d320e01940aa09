"""The planner (models/planner.py) on the built demo warehouse: what is due, a week and a day
for a demo rep, scopes, the naive comparison, the exports and the `salesdesk plan` command."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import icalendar
import polars as pl
import pytest

from models import cli, planner
from models.access import ALL_DATA, Scope
from models.warehouse import get_warehouse

LIMIT = 0.5


@pytest.fixture(scope="module")
def wh(built_home):
    return get_warehouse(built_home)


@pytest.fixture(scope="module")
def busiest(wh) -> str:
    """The demo rep with the most due visits (ties: the lowest id)."""
    reps = planner.reps(wh, ALL_DATA).sort(["due_visits", "rep_id"], descending=[True, False])
    assert reps["due_visits"][0] >= 3
    return reps["rep_id"][0]


@pytest.fixture(scope="module")
def week(wh) -> list[date]:
    return planner.week_days(planner.as_of_date(wh, ALL_DATA))


@pytest.fixture(scope="module")
def week_plan(wh, busiest, week) -> planner.RoutePlan:
    return planner.plan_route(wh, ALL_DATA, busiest, week, time_limit_s=LIMIT)


def test_week_days_are_monday_to_friday():
    days = planner.week_days(date(2026, 11, 26))  # a Thursday
    assert days[0] == date(2026, 11, 23) and days[-1] == date(2026, 11, 27)
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4]
    assert planner.default_day(date(2026, 11, 28)) == date(2026, 11, 30)  # Saturday -> Monday
    assert planner.default_day(date(2026, 11, 26)) == date(2026, 11, 26)
    assert planner.default_week(date(2026, 11, 24)) == date(2026, 11, 30)  # Tuesday -> next
    assert planner.default_week(date(2026, 11, 30)) == date(2026, 11, 30)


def test_the_due_list_says_why_and_how_often(wh, busiest):
    due = planner.due_list(wh, ALL_DATA, busiest, week=True)
    raw = wh.query("select customer_id, policy_tier, days_overdue from fct_visits_due "
                   "where maintainer_rep_id = $r", {"r": busiest})
    assert sorted(due["customer_id"]) == sorted(raw["customer_id"])
    for row in due.iter_rows(named=True):
        assert row["visits"] == (2 if row["policy_tier"] == "S" else 1)
        assert f"every {row['visit_interval_days']} days" in row["why"]
        assert ("must visit" in row["why"]) == bool(row["is_must_visit"])
        assert row["is_must_visit"] == (row["tier"] in ("S", "A"))
    day = planner.due_list(wh, ALL_DATA, busiest, week=False)
    assert set(day["visits"].to_list()) == {1}


def test_a_week_for_a_demo_rep(week_plan, week):
    rp = week_plan
    due = rp.due
    assert rp.dates == week and rp.days.height == 5
    # every due visit is planned or reported with a reason
    planned = rp.visits.group_by("customer_id").len()
    counts = dict(zip(planned["customer_id"], planned["len"]))
    left = rp.unplanned.group_by("customer_id").len()
    left_counts = dict(zip(left["customer_id"], left["len"]))
    for row in due.iter_rows(named=True):
        assert counts.get(row["customer_id"], 0) + left_counts.get(row["customer_id"], 0) \
            == row["visits"], row["customer_id"]
    assert rp.optimised.visits == rp.visits.height > 0
    assert all(r for r in rp.unplanned["reason"])
    # inside the customers' hours and the workday, in order, without overlaps
    windows = {r["customer_id"]: (r["visit_window_start_min"], r["visit_window_end_min"])
               for r in due.iter_rows(named=True)}
    for _, stops in rp.visits.group_by("date"):
        stops = stops.sort("seq")
        assert stops["seq"].to_list() == list(range(1, stops.height + 1))
        last = rp.rep.workday_start_min
        for s in stops.iter_rows(named=True):
            start, end = windows[s["customer_id"]]
            assert s["arrival_min"] >= last - 1e-6
            assert start - 1e-6 <= s["start_min"] and s["departure_min"] <= end + 1e-6
            assert s["departure_min"] - s["start_min"] == pytest.approx(s["visit_minutes"])
            last = s["departure_min"]
        assert last <= rp.rep.workday_end_min
    # S customers: two visits on days at least 2 apart
    s_days = rp.visits.filter(pl.col("tier") == "S").group_by("customer_id").agg("date")
    for dates in s_days["date"].to_list():
        if len(dates) == 2:
            assert abs((dates[1] - dates[0]).days) >= planner.S_DAYS_APART
    # the totals add up, and the naive order drives at least as far
    assert rp.optimised.km == pytest.approx(rp.days["km"].sum(), abs=0.1 * rp.days.height)
    assert rp.optimised.km == pytest.approx(rp.visits["km"].sum() + sum(
        d.legs_km[-1] for d in rp.plan.days if d.stop_ids), abs=0.05)
    assert rp.naive.km >= rp.optimised.km - 1e-3
    assert rp.km_saved == pytest.approx(rp.naive.km - rp.optimised.km)


def test_the_base_and_workday_come_from_the_rep_file(wh, busiest, week_plan):
    rep = wh.query("select * from dim_reps where rep_id = $r", {"r": busiest}).row(0, named=True)
    assert rep["base_latitude"] is not None  # the demo reps have a base
    assert week_plan.rep.base_source == "rep file"
    assert (week_plan.rep.lat, week_plan.rep.lon) == pytest.approx(
        (rep["base_latitude"], rep["base_longitude"]))
    assert (week_plan.rep.workday_start_min, week_plan.rep.workday_end_min) == (
        rep["workday_start_min"], rep["workday_end_min"])


def test_a_day_plan(wh, busiest, week):
    rp = planner.plan_route(wh, ALL_DATA, busiest, [week[1]], time_limit_s=LIMIT)
    assert not rp.is_week and rp.days.height == 1
    assert set(rp.visits["date"].to_list()) <= {week[1]}
    assert rp.visits["customer_id"].n_unique() == rp.visits.height  # once each on a day
    assert rp.name == f"route-{busiest}-{week[1]:%Y-%m-%d}"


def test_scopes_limit_whom_one_can_plan_for(wh, busiest, week):
    everyone = planner.reps(wh, ALL_DATA)
    region = everyone.filter(pl.col("rep_id") == busiest)["region"][0]
    manager = Scope("manager", region=region)
    theirs = planner.reps(wh, manager)
    assert set(theirs["region"]) == {region}
    assert busiest in set(theirs["rep_id"])
    other = everyone.filter(pl.col("region") != region)["rep_id"][0]
    with pytest.raises(planner.NoRoute, match="not among the reps"):
        planner.plan_route(wh, manager, other, week, time_limit_s=LIMIT)
    rep = Scope("rep", rep_id=busiest)
    assert planner.reps(wh, rep)["rep_id"].to_list() == [busiest]
    assert planner.due_list(wh, rep, other).is_empty()


def test_exports(week_plan, tmp_path):
    rp = week_plan
    frame = pl.read_csv(io.BytesIO(planner.to_csv(rp)[3:]))  # after the BOM
    assert frame.height == rp.visits.height
    assert frame.columns == planner.CSV_COLUMNS
    assert frame["navigation"].str.starts_with(
        "https://www.openstreetmap.org/directions?").all()
    assert frame["geo"].str.starts_with("geo:").all()

    calendar = icalendar.Calendar.from_ical(planner.to_ics(rp))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == rp.visits.height
    first = rp.visits.row(0, named=True)
    event = events[0]
    assert str(event["summary"]).startswith(f"1. Visit {first['customer_name']}")
    start = event.decoded("dtstart")
    assert isinstance(start, datetime)
    assert start == datetime.combine(first["date"], datetime.min.time()) + timedelta(
        minutes=round(first["start_min"]))
    assert event.decoded("dtend") > start
    assert len({str(e["uid"]) for e in events}) == len(events)

    sheet = planner.to_html(rp)
    assert sheet.startswith("<!doctype html>") and sheet.count("<table") >= 1
    for name in rp.visits["customer_name"].head(5):
        assert name in sheet

    paths = planner.write_exports(rp, tmp_path)
    assert [p.suffix for p in paths] == [".csv", ".ics", ".html"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_navigation_links():
    assert planner.geo_uri(36.5, 117.25) == "geo:36.500000,117.250000"
    link = planner.nav_link(36.5, 117.25, 36.6, 117.0)
    assert link.endswith("route=36.600000%2C117.000000%3B36.500000%2C117.250000")


def test_the_plan_command_writes_the_exports(built_home, busiest, week, tmp_path, monkeypatch,
                                             capsys):
    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    out = tmp_path / "out"
    code = cli.main(["plan", "--rep", busiest, "--week", f"{week[2]:%Y-%m-%d}", "--out",
                     str(out), "--time-limit", str(LIMIT)])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"({busiest})" in printed and "visits" in printed
    name = f"route-{busiest}-week-{week[0]:%Y-%m-%d}"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.{ext}" for ext in ("csv", "ics", "html"))
    events = list(icalendar.Calendar.from_ical((out / f"{name}.ics").read_bytes())
                  .walk("VEVENT"))
    assert events
    assert cli.main(["plan", "--rep", "NOBODY", "--week", "2026-11-23"]) == 2
    assert "not among the reps" in capsys.readouterr().err
