"""The planner (models/engines/planner.py) on the built demo warehouse: what is due, a week and a
day for a demo rep, scopes, the naive comparison, the exports and the `salesdesk plan` command."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import icalendar
import polars as pl
import pytest

from models.core.scoping import ALL_DATA, Scope
from models.core.warehouse import get_warehouse
from models.engines import geo, planner
from models.pipeline import cli
from models.queries import published_plans

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


def test_the_due_list_says_why_and_how_often(wh, busiest, week):
    due = planner.due_list(wh, ALL_DATA, busiest, week)
    raw = wh.query("select customer_id, policy_tier, lifecycle_stage from fct_visits_due "
                   "where maintainer_rep_id = $r and next_visit_due_date <= $last",
                   {"r": busiest, "last": week[-1]})
    assert sorted(due["customer_id"]) == sorted(
        raw.filter(pl.col("lifecycle_stage") != "churned")["customer_id"])
    for row in due.iter_rows(named=True):
        room = row["due_index"] + planner.S_DAYS_APART <= 4
        assert row["visits"] == (2 if row["policy_tier"] == "S" and room else 1)
        assert f"every {row['visit_interval_days']} days" in row["why"]
        assert ("must visit" in row["why"]) == bool(row["is_must_visit"])
        assert row["is_must_visit"] == (row["tier"] in ("S", "A"))
        assert week[row["due_index"]] == row["due_day"] >= min(row["next_visit_due_date"],
                                                              week[0])
    day = planner.due_list(wh, ALL_DATA, busiest, [week[0]])
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
    assert planner.due_list(wh, rep, other, week).is_empty()


def test_exports(week_plan, tmp_path):
    rp = week_plan
    frame = pl.read_csv(io.BytesIO(planner.to_csv(rp)[3:]))  # after the BOM
    assert frame.height == rp.visits.height
    assert frame.columns == planner.CSV_COLUMNS
    assert frame["amap"].str.starts_with("https://uri.amap.com/navigation?to=").all()
    assert frame["baidu"].str.starts_with("https://api.map.baidu.com/direction?").all()
    assert frame["navigation"].to_list() == frame[geo.default_map_app()].to_list()
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
    assert sheet.startswith("<!doctype html>")
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in sheet
    assert "@page{size:A4" in sheet
    assert sheet.count("<div class='stop'>") == rp.visits.height  # one block per stop
    assert sheet.count("class='main nav-amap' href='https://uri.amap.com/navigation?") \
        == rp.visits.height
    for name in rp.visits["customer_name"].head(5):
        assert name in sheet

    paths = planner.write_exports(rp, tmp_path)
    assert [p.suffix for p in paths] == [".csv", ".ics", ".html"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_navigation_links_convert_to_the_apps_datum(monkeypatch):
    assert planner.geo_uri(36.5, 117.25) == "geo:36.500000,117.250000"
    glat, glon = geo.wgs84_to_gcj02(36.5, 117.25)
    monkeypatch.delenv(geo.ENV_COORDINATES, raising=False)
    amap = planner.nav_link(36.5, 117.25, "Shop", app="amap")
    assert amap.startswith(f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},Shop")
    blat, blon = geo.gcj02_to_bd09(glat, glon)
    baidu = planner.nav_link(36.5, 117.25, "Shop", app="baidu")
    assert f"destination=latlng:{blat:.6f},{blon:.6f}|name:Shop" in baidu
    # a customer file already in GCJ-02 is not converted again
    monkeypatch.setenv(geo.ENV_COORDINATES, "gcj02")
    assert planner.nav_link(36.5, 117.25, "Shop", app="amap").startswith(
        "https://uri.amap.com/navigation?to=117.250000,36.500000,Shop")
    monkeypatch.setenv(geo.ENV_COORDINATES, "bd09")
    with pytest.raises(planner.UserError, match="SALESDESK_COORDINATES"):
        planner.nav_link(36.5, 117.25, "Shop")


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


# --- the week's rules on fixtures (no warehouse) ---------------------------------------------

MONDAY = date(2026, 12, 7)
WEEK = planner.week_days(MONDAY)
FIXTURE_BASE = planner.RepBase("R1", "Rep One", "East", 36.66, 117.02, 480, 1080, "rep file")


def due_row(cid: str, tier: str, due: date, km_east: float, km_north: float = 0.0,
            stage: str = "mature", priority: int = 2, minutes: int = 30) -> dict:
    lat = FIXTURE_BASE.lat + km_north / 111.2
    lon = FIXTURE_BASE.lon + km_east / 89.3
    interval = {"S": 3, "A": 7, "B": 14, "C": 28}[tier]
    return {"customer_id": cid, "customer_name": f"Shop {cid}", "district": "D",
            "address": f"{cid} Road", "latitude": lat, "longitude": lon, "tier": tier,
            "policy_tier": tier, "lifecycle_stage": stage,
            "is_must_visit": tier in ("S", "A"), "onsite_visits_required": 2 if tier == "S"
            else 1, "planned_minutes": minutes, "visit_window_start_min": 510,
            "visit_window_end_min": 1050, "visit_window_start": "08:30",
            "visit_window_end": "17:30", "last_onsite_visit_date": due - timedelta(interval),
            "next_visit_due_date": due, "visit_interval_days": interval, "priority": priority,
            "quadrant": {1: "quick_win", 2: "develop", 3: "maintain", 4: "reduce"}[priority],
            "rep_due_rank": 1}


def test_a_customer_due_on_wednesday_is_planned_on_or_after_wednesday():
    rows = [due_row("WED", "A", WEEK[2], 1.0), due_row("THU", "A", WEEK[3], -1.0),
            due_row("OLD", "A", MONDAY - timedelta(days=10), 2.0),
            due_row("S1", "S", WEEK[1], 0.5, 1.0)]
    due = planner.shape_due(pl.DataFrame(rows), WEEK)
    assert dict(zip(due["customer_id"], due["due_day"])) == {
        "WED": WEEK[2], "THU": WEEK[3], "OLD": WEEK[0], "S1": WEEK[1]}
    assert dict(zip(due["customer_id"], due["visits"]))["S1"] == 2
    assert "due Wed 09 Dec" in dict(zip(due["customer_id"], due["why"]))["WED"]
    assert "10 days overdue" in dict(zip(due["customer_id"], due["why"]))["OLD"]
    rp = planner.plan_due(due, FIXTURE_BASE, WEEK, time_limit_s=LIMIT)
    placed = rp.visits.group_by("customer_id").agg("date")
    days = dict(zip(placed["customer_id"], placed["date"].to_list()))
    assert rp.unplanned.is_empty()
    assert min(days["WED"]) >= WEEK[2] and min(days["THU"]) >= WEEK[3]
    s_days = sorted(days["S1"])
    assert len(s_days) == 2 and s_days[0] >= WEEK[1] and (s_days[1] - s_days[0]).days >= 2


def test_an_s_customer_due_on_thursday_is_visited_once_that_week():
    due = planner.shape_due(pl.DataFrame([due_row("S4", "S", WEEK[3], 1.0)]), WEEK)
    assert due["visits"].to_list() == [1] and due["due_day"].to_list() == [WEEK[3]]


def test_churned_customers_are_win_back_visits_only_on_request():
    rows = [due_row("LIVE", "B", WEEK[0], 1.0),
            due_row("GONE", "C", MONDAY - timedelta(days=890), 2.0, stage="churned"),
            due_row("GONEA", "A", WEEK[0], 3.0, stage="churned")]
    default = planner.shape_due(pl.DataFrame(rows), WEEK)
    assert default["customer_id"].to_list() == ["LIVE"]
    rp = planner.plan_due(default, FIXTURE_BASE, WEEK, time_limit_s=LIMIT)
    assert set(rp.visits["customer_id"]) == {"LIVE"}
    asked = planner.shape_due(pl.DataFrame(rows), WEEK, win_back=True)
    won = {r["customer_id"]: r for r in asked.iter_rows(named=True)}
    assert set(won) == {"LIVE", "GONE", "GONEA"}
    for cid in ("GONE", "GONEA"):
        assert won[cid]["is_win_back"] and not won[cid]["is_must_visit"]
        assert "win-back visit: churned" in won[cid]["why"]
    assert "optional, develop priority, tier B" in won["LIVE"]["why"]
    # optional stops are ranked by priority quadrant and tier
    ranked = planner.shape_due(pl.DataFrame([
        due_row("QB", "B", WEEK[0], 1.0, priority=1), due_row("RC", "C", WEEK[0], 1.0,
                                                                  priority=4),
        due_row("QC", "C", WEEK[0], 1.0, priority=1)]), WEEK)
    value = dict(zip(ranked["customer_id"], ranked["value"]))
    assert value["QB"] > value["QC"] > value["RC"]


def test_forty_visits_use_all_five_days_within_the_balance_tolerance():
    rng = __import__("numpy").random.default_rng(5)
    rows = [due_row(f"V{i:02d}", "A", WEEK[0], float(rng.uniform(-6, 6)),
                    float(rng.uniform(-5, 5))) for i in range(40)]
    due = planner.shape_due(pl.DataFrame(rows), WEEK)
    rp = planner.plan_due(due, FIXTURE_BASE, WEEK, time_limit_s=4.0)
    assert rp.unplanned.is_empty() and rp.visits.height == 40
    hours = [h for h in rp.days["day_hours"].to_list()]
    assert all(h > 0 for h in hours)  # all five days used
    assert max(hours) / min(hours) <= 1.3
    assert rp.balance is not None and rp.balance.met
    assert rp.balance.days_after == pytest.approx([h * 60 for h in hours], abs=1.0)
    assert "balance:" in planner.summary(rp)
    unbalanced = planner.plan_due(due, FIXTURE_BASE, WEEK, time_limit_s=1.0, balance=False)
    assert unbalanced.balance is None


def test_a_published_plan_is_what_the_rep_sees(tmp_path):
    rows = [due_row(f"P{i}", "A", WEEK[i % 5], float(i % 3), float(i // 3)) for i in range(8)]
    rows[0]["phone"] = "+86 531 8888 0000"
    due = planner.shape_due(pl.DataFrame(rows), WEEK)
    rp = planner.plan_due(due, FIXTURE_BASE, WEEK, time_limit_s=LIMIT)
    assert published_plans.latest("R1", WEEK[0], tmp_path) is None
    first = published_plans.publish(rp, "mona@example.com", "b1", tmp_path,
                                    now=datetime(2026, 12, 5, 9, 30))
    assert first.version == 1 and first.published_by == "mona@example.com"
    assert first.published_at == datetime(2026, 12, 5, 9, 30)
    assert first.visits["customer_id"].to_list() == rp.visits["customer_id"].to_list()
    assert first.visits["date"].to_list() == rp.visits["date"].to_list()
    assert first.visits["navigation"].to_list() == rp.visits["navigation"].to_list()
    call = dict(zip(first.visits["customer_id"], first.visits["call"]))
    assert call["P0"] == "tel:+8653188880000"
    sheet = planner.to_html(first)
    assert "href='tel:+8653188880000'" in sheet
    # a second publication replaces it for the rep; the first stays in the history
    again = planner.plan_due(due.head(4), FIXTURE_BASE, WEEK, time_limit_s=LIMIT)
    published_plans.publish(again, "lee@example.com", "b2", tmp_path)
    now = published_plans.latest("R1", WEEK[0], tmp_path)
    assert now.version == 2 and now.visits.height == again.visits.height
    assert published_plans.history("R1", WEEK[0], tmp_path)["published_by"].to_list() == [
        "mona@example.com", "lee@example.com"]
    lines = (tmp_path / "plans" / "R1" / f"{WEEK[0]:%Y-%m-%d}.jsonl").read_text().splitlines()
    assert len(lines) == 2
    with pytest.raises(planner.UserError, match="signed-in"):
        published_plans.publish(rp, "", None, tmp_path)


def test_compliance_against_the_published_plan(wh, busiest, week, tmp_path):
    rp = planner.plan_route(wh, ALL_DATA, busiest, week, time_limit_s=LIMIT)
    plan = published_plans.publish(rp, "mona@example.com", wh.build_id, tmp_path)
    table = published_plans.compliance(wh, ALL_DATA, plan)
    assert table["date"].to_list() == week
    assert table["planned"].to_list() == [
        rp.visits.filter(pl.col("date") == d).height for d in week]
    assert (table["done_as_planned"] + table["done_another_day"] + table["not_done"]
            == table["planned"]).all()
    done = wh.query("select customer_id, visit_date from fct_visits where rep_id = $r and "
                    "is_onsite and visit_date between $a and $b",
                    {"r": busiest, "a": week[0], "b": week[-1]})
    pairs = set(done.iter_rows())
    expected = [sum(1 for c in rp.visits.filter(pl.col("date") == d)["customer_id"]
                    if (c, d) in pairs) for d in week]
    assert table["done_as_planned"].to_list() == expected
