"""Route planning from the marts: a rep's due visits for a day or a week, solved as a routing
problem (``models.engines.routing``), compared with the naive order, and exported.

Rules (SPEC 8):

- **What is due**: every visit of ``fct_visits_due`` for the rep's customers that falls due on
  or before a planned day (next due date <= the day), each placed on or after its due day (a
  visit already due may take any day). S and A customers are must-visits; B, C and prospects
  are optional stops, valued by their priority quadrant (quick win 4, develop 3, maintain 2,
  reduce 1) plus their tier (B 1, C and prospect 0.5), plus 1 when overdue by more than a whole
  visit interval. Churned customers are not planned unless the manager asks for win-back
  visits; then they are optional stops labelled "win-back".
- **How often**: on a week, an S customer is visited ``onsite_visits_required`` times (2) on
  days at least ``S_DAYS_APART`` (2) apart when its due day leaves room for both (else once);
  everyone else once. On a single day, once.
- **Balanced days** (on by default for a week): ``routing.solve_balanced`` evens the days'
  lengths (longest <= 1.3 x the shortest used day, every day used when there are enough
  visits) at a bounded extra travel; the plan reports both.
- **How long**: ``planned_minutes`` of the customer's policy tier (the ``visit_policy`` seed).
- **When**: inside the customer's visit window and the rep's workday, Monday to Friday.
- **From where**: the rep's base and workday (``dim_reps``: ``base_latitude``,
  ``base_longitude``, ``workday_start_min``, ``workday_end_min``). A rep without base
  coordinates starts from the centroid of their customers; a rep without a workday gets the
  project default (``default_workday_start``/``_end`` in ``dbt_project.yml``).
- **Naive order**, for comparison: the same visits on the same days, taken in the order they
  fell due (most overdue first), with the same travel model.

Every read goes through ``models.queries.filters.read`` under the user's scope: a manager plans only
for the reps of the region, a rep only for themselves.
"""

from __future__ import annotations

import html
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from models.core import exports, settings
from models.core.errors import UserError
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.engines import geo, routing
from models.i18n import day_label, translate
from models.i18n import translate as words  # for a msgid given in a variable
from models.queries.filters import read

S_DAYS_APART = 2
WORKDAYS_PER_WEEK = 5
DAY_TIME_LIMIT_S = 2.0
WEEK_TIME_LIMIT_S = 6.0
QUADRANT_VALUE = {1: 4.0, 2: 3.0, 3: 2.0, 4: 1.0}  # priority quadrant -> optional stop value
DEFAULT_QUADRANT_VALUE = 2.0


class NoRoute(UserError):
    """Nothing to plan: an unknown rep, a rep with no due visits."""


# --- the rep ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RepBase:
    rep_id: str
    rep_name: str
    region: str | None
    lat: float
    lon: float
    workday_start_min: int
    workday_end_min: int
    base_source: str  # "rep file" or "centroid of the rep's customers"


def _dbt_var(name: str, default: str) -> str:
    """A var of dbt_project.yml as text (the project's defaults live there, not in code)."""
    try:
        value = settings.dbt_project_vars().get(name)
    except OSError:
        return default
    return default if value is None else str(value)


def _hhmm(value: str) -> int:
    hours, minutes = value.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def default_workday() -> tuple[int, int]:
    return (_hhmm(_dbt_var("default_workday_start", "08:00")),
            _hhmm(_dbt_var("default_workday_end", "18:00")))


def reps(wh: Warehouse, scope: Scope) -> pl.DataFrame:
    """The reps the user may plan for (with customers): rep_id, rep_name, region, customers,
    due_visits."""
    return read(wh, """
        select
            books.rep_id,
            books.rep_name,
            books.region,
            books.customers,
            coalesce(due.due_visits, 0) as due_visits
        from rpt_rep_books as books
        left join (
            select maintainer_rep_id, count(*) as due_visits
            from fct_visits_due
            where is_due
            group by maintainer_rep_id
        ) as due
            on books.rep_id = due.maintainer_rep_id
        where books.customers > 0
        order by books.region, books.rep_name, books.rep_id
    """, scope)


def as_of_date(wh: Warehouse, scope: Scope) -> date | None:
    return read(wh, "select max(as_of_date) as as_of from dim_customers", scope)["as_of"][0]


def rep_base(wh: Warehouse, scope: Scope, rep_id: str) -> RepBase:
    """Where the rep's days start and end, and their workday (see the module docstring)."""
    rep = read(wh, "select * from dim_reps where rep_id = $rep_id", scope,
               {"rep_id": rep_id})
    if rep.is_empty():
        raise NoRoute(f"Rep {rep_id} is not among the reps you can plan for.")
    row = rep.row(0, named=True)
    start, end = default_workday()
    if row.get("workday_start_min") is not None and row.get("workday_end_min") is not None:
        start, end = int(row["workday_start_min"]), int(row["workday_end_min"])
    lat, lon = row.get("base_latitude"), row.get("base_longitude")
    source = "rep file"
    if lat is None or lon is None:
        centre = read(wh, """
            select avg(latitude) as lat, avg(longitude) as lon
            from dim_customers
            where maintainer_rep_id = $rep_id and latitude is not null
                and longitude is not null
        """, scope, {"rep_id": rep_id})
        lat, lon = centre["lat"][0], centre["lon"][0]
        source = "centroid of the rep's customers"
        if lat is None:
            raise NoRoute(f"Rep {rep_id} has no base and none of their customers has "
                          "coordinates, so there is nowhere to start a route from.")
    return RepBase(rep_id=rep_id, rep_name=row.get("rep_name") or rep_id,
                   region=row.get("region"), lat=float(lat), lon=float(lon),
                   workday_start_min=start, workday_end_min=end, base_source=source)


# --- what is due -----------------------------------------------------------------------------

DUE_COLUMNS = ["customer_id", "customer_name", "district", "address", "latitude", "longitude",
               "phone", "tier", "policy_tier", "lifecycle_stage", "is_must_visit",
               "is_win_back", "visits", "planned_minutes", "visit_window_start_min",
               "visit_window_end_min", "visit_window_start", "visit_window_end",
               "last_onsite_visit_date", "next_visit_due_date", "due_day", "due_index",
               "days_overdue", "visit_interval_days", "priority", "quadrant", "value",
               "rep_due_rank", "why"]
TIER_VALUE = {"S": 2.0, "A": 1.5, "B": 1.0, "C": 0.5, "prospect": 0.5}
CHURNED = "churned"


def _why(row: dict, first_day: date, win_back: bool) -> str:
    tier = row["policy_tier"]
    every = row["visit_interval_days"]
    if row["last_onsite_visit_date"] is None:
        since = "never visited on site"
    else:
        since = f"last onsite visit {row['last_onsite_visit_date']:%Y-%m-%d}"
    due = row["next_visit_due_date"]
    overdue = (first_day - due).days if due is not None else 0
    if overdue > 0:
        late = f"{overdue} day{'s' if overdue != 1 else ''} overdue"
    elif overdue == 0:
        late = f"due {first_day:%a %d %b}"
    else:
        late = f"due {due:%a %d %b}"
    label = "prospect" if tier == "prospect" else f"tier {tier}"
    if win_back:
        churn_days = _dbt_var("churn_days", "90")
        kind = (f"win-back visit: churned, no order for {churn_days} days or more; "
                f"{(row['quadrant'] or 'no').replace('_', ' ')} priority")
    elif row["is_must_visit"]:
        kind = "must visit"
    else:
        kind = (f"optional, {(row['quadrant'] or 'no').replace('_', ' ')} priority, "
                f"{label}")
    return f"{label}, every {every} days: {since}, {late} ({kind})"


def _due_rows(wh: Warehouse, scope: Scope, rep_id: str, last_day: date) -> pl.DataFrame:
    return read(wh, """
        select *
        from fct_visits_due
        where maintainer_rep_id = $rep_id and next_visit_due_date <= $last_day
        order by rep_due_rank, customer_id
    """, scope, {"rep_id": rep_id, "last_day": last_day})


def due_list(wh: Warehouse, scope: Scope, rep_id: str, dates: list[date],
             win_back: bool = False) -> pl.DataFrame:
    """The rep's visits falling due on or before a day of ``dates`` (see the module
    docstring): why each is due, from which day, how many visits and the stop value. Churned
    customers only with ``win_back``."""
    if not dates:
        raise NoRoute("Pick a day or a week to plan.")
    dates = sorted(dates)
    frame = _due_rows(wh, scope, rep_id, dates[-1])
    return shape_due(frame, dates, win_back)


def churned_due(wh: Warehouse, scope: Scope, rep_id: str, dates: list[date]) -> int:
    """How many churned customers fall due in ``dates`` (left out unless win-back)."""
    frame = _due_rows(wh, scope, rep_id, max(dates))
    return 0 if frame.is_empty() else int((frame["lifecycle_stage"] == CHURNED).sum())


def shape_due(frame: pl.DataFrame, dates: list[date], win_back: bool = False) -> pl.DataFrame:
    """The rows of ``fct_visits_due`` as the planner takes them (a plain function of the
    rows, so the rules can be tested on fixtures)."""
    if frame.is_empty():
        return pl.DataFrame(schema={c: pl.Utf8 for c in DUE_COLUMNS})
    week = len(dates) > 1
    rows = []
    for row in frame.iter_rows(named=True):
        churned = row.get("lifecycle_stage") == CHURNED
        if churned and not win_back:
            continue
        due = row["next_visit_due_date"]
        if due is not None and due > dates[-1]:
            continue
        index = next((i for i, d in enumerate(dates) if due is None or d >= due), 0)
        visits = 1
        if week and row["policy_tier"] == "S":
            wanted = max(1, int(row["onsite_visits_required"] or 1))
            room = 1 + (len(dates) - 1 - index) // S_DAYS_APART  # visits that fit apart
            visits = max(1, min(wanted, room))
        overdue = (dates[0] - due).days if due is not None else 0
        value = (QUADRANT_VALUE.get(row["priority"], DEFAULT_QUADRANT_VALUE)
                 + TIER_VALUE.get(row["policy_tier"], 0.0))
        if overdue > (row["visit_interval_days"] or 0):
            value += 1.0
        must = bool(row["is_must_visit"]) and not churned
        rows.append({**row, "phone": row.get("phone"), "is_must_visit": must,
                     "is_win_back": churned, "visits": visits, "value": value,
                     "due_day": dates[index], "due_index": index, "days_overdue": overdue,
                     "why": _why({**row, "is_must_visit": must}, dates[0], churned)})
    if not rows:
        return pl.DataFrame(schema={c: pl.Utf8 for c in DUE_COLUMNS})
    shaped = pl.DataFrame(rows, infer_schema_length=None)
    for column in DUE_COLUMNS:
        if column not in shaped.columns:
            shaped = shaped.with_columns(pl.lit(None).alias(column))
    return shaped.select(DUE_COLUMNS)


# --- days ------------------------------------------------------------------------------------

def week_days(any_day: date, workdays: int = WORKDAYS_PER_WEEK) -> list[date]:
    """Monday to Friday of the week holding ``any_day``."""
    monday = any_day - timedelta(days=any_day.weekday())
    return [monday + timedelta(days=i) for i in range(workdays)]


def default_week(as_of: date) -> date:
    """The Monday of the week to plan: the as-of date when it is a Monday, else the next one
    (the days of the current week are partly gone)."""
    return as_of + timedelta(days=(7 - as_of.weekday()) % 7)


def default_day(as_of: date) -> date:
    """The as-of date, or the next Monday when it falls on a weekend."""
    return as_of if as_of.weekday() < 5 else as_of + timedelta(days=7 - as_of.weekday())


# --- the plan --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    visits: int
    km: float
    travel_hours: float
    day_hours: float  # leaving the base to coming back, summed over days


class NamedPlan:
    """What a fresh and a published plan share: a rep, its dates, and the file name of their
    exports."""

    rep: RepBase
    dates: list[date]

    @property
    def is_week(self) -> bool:
        return len(self.dates) > 1

    @property
    def name(self) -> str:
        span = (f"week-{self.dates[0]:%Y-%m-%d}" if self.is_week
                else f"{self.dates[0]:%Y-%m-%d}")
        return f"route-{self.rep.rep_id}-{span}"


@dataclass
class RoutePlan(NamedPlan):
    rep: RepBase
    dates: list[date]
    due: pl.DataFrame
    plan: routing.Plan
    visits: pl.DataFrame       # one row per planned visit, in order
    unplanned: pl.DataFrame    # customer_id, customer_name, tier, must visit, reason
    days: pl.DataFrame         # one row per day: visits, km, travel and day hours
    optimised: Totals
    naive: Totals
    built_at: datetime = field(default_factory=datetime.now)
    balance: routing.Balance | None = None

    @property
    def km_saved(self) -> float:
        return self.naive.km - self.optimised.km

    @property
    def hours_saved(self) -> float:
        return self.naive.day_hours - self.optimised.day_hours



def build_problem(due: pl.DataFrame, base: RepBase, dates: list[date],
                  time_limit_s: float, seed: int = 1) -> routing.RouteProblem:
    """Stops (copies for customers visited more than once), days and the days-apart rule."""
    stops, apart = [], {}
    for row in due.iter_rows(named=True):
        window = None
        if row["visit_window_start_min"] is not None and row["visit_window_end_min"] is not None:
            window = (float(row["visit_window_start_min"]), float(row["visit_window_end_min"]))
        first = int(row.get("due_index") or 0)
        for copy in range(int(row["visits"])):
            start = min(first + copy * S_DAYS_APART, len(dates) - 1)
            allowed = tuple(range(start, len(dates))) if start > 0 else None
            stops.append(routing.Stop(
                id=row["customer_id"], lat=row["latitude"], lon=row["longitude"],
                service_min=float(row["planned_minutes"] or 0), window=window,
                required=bool(row["is_must_visit"]), priority=float(row["value"]),
                days=allowed))
        if int(row["visits"]) > 1:
            apart[row["customer_id"]] = S_DAYS_APART
    days = [routing.Day(start_min=base.workday_start_min, end_min=base.workday_end_min,
                        label=d.isoformat()) for d in dates]
    return routing.RouteProblem(
        depot=routing.Depot(lat=base.lat, lon=base.lon, name=f"{base.rep_name} base"),
        stops=stops, days=days, min_days_apart=apart, time_limit_s=time_limit_s, seed=seed)


def clock(minutes: float | None) -> str:
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return ""
    m = int(round(minutes))
    return f"{m // 60:02d}:{m % 60:02d}"


def nav_link(lat: float, lon: float, name: str = "", app: str | None = None,
             datum: str | None = None) -> str:
    """Driving directions to the point in ``app`` (default: the deployment's,
    ``SALESDESK_MAP_APP``), converted from the customer file's datum
    (``SALESDESK_COORDINATES``) to what the app takes (GCJ-02, BD-09 for Baidu)."""
    return geo.nav_uri(app or geo.default_map_app(), lat, lon, name,
                       datum or geo.source_datum())


def with_navigation(visits: pl.DataFrame, app: str | None = None,
                    datum: str | None = None) -> pl.DataFrame:
    """``visits`` with a link per map app (amap, baidu, apple, google) and ``navigation``, the
    link of ``app``; a ``call`` tel: link when the customer has a phone number."""
    if visits.is_empty():
        return visits
    app = app or geo.default_map_app()
    datum = datum or geo.source_datum()
    links: dict[str, list[str]] = {a: [] for a in geo.MAP_APPS}
    calls: list[str | None] = []
    phones = (visits["phone"].to_list() if "phone" in visits.columns
              else [None] * visits.height)
    for lat, lon, name, phone in zip(visits["latitude"], visits["longitude"],
                                     visits["customer_name"], phones):
        for a, uri in geo.nav_links(lat, lon, str(name or ""), datum).items():
            links[a].append(uri)
        calls.append(call_link(phone))
    return visits.with_columns(
        *[pl.Series(a, links[a], dtype=pl.Utf8) for a in geo.MAP_APPS],
        pl.Series("navigation", links[app], dtype=pl.Utf8),
        pl.Series("call", calls, dtype=pl.Utf8))


def call_link(phone: str | None) -> str | None:
    """A tel: link dialling the digits (and a leading +) of ``phone``; None without digits."""
    digits = re.sub(r"[^0-9+]", "", str(phone or ""))
    return f"tel:{digits}" if digits else None


def geo_uri(lat: float, lon: float) -> str:
    """A geo: URI (RFC 5870), which phone map apps open."""
    return f"geo:{lat:.6f},{lon:.6f}"


def _naive_day(problem: routing.RouteProblem, day: routing.DayPlan, rank: dict[str, tuple],
               ) -> tuple[float, float, float]:
    """(km, travel minutes, day minutes) of the day's visits in due order."""
    if not day.stop_ids:
        return 0.0, 0.0, 0.0
    order = sorted(day.stop_index, key=lambda i: rank[problem.stops[i].id])
    depot = problem.depot
    points = [(depot.lat, depot.lon)] + [(problem.stops[i].lat, problem.stops[i].lon)
                                         for i in order] + [(depot.lat, depot.lon)]
    km_matrix = routing.road_km_matrix([p[0] for p in points], [p[1] for p in points],
                                       problem.road_factor)
    # in the solver's units (metres, seconds), so that the same order gives the same figures
    raw_km = [float(km_matrix[a, a + 1]) for a in range(len(points) - 1)]
    legs_km = [round(k * 1000) / 1000 for k in raw_km]
    legs_min = [round(float(routing.travel_minutes(k, problem.speed_kmh)) * 60) / 60
                for k in raw_km]
    first = problem.stops[order[0]]
    leave = problem.days[day.day].start_min
    if first.window is not None:  # leave in time for the first visit, not earlier
        leave = max(leave, first.window[0] - legs_min[0])
    clock = leave
    for i, leg in zip(order, legs_min):
        stop = problem.stops[i]
        clock += leg
        if stop.window is not None:
            clock = max(clock, stop.window[0])
        clock += stop.service_min
    clock += legs_min[-1]
    return sum(legs_km), sum(legs_min), clock - leave


def plan_route(wh: Warehouse, scope: Scope, rep_id: str, dates: list[date],
               time_limit_s: float | None = None, seed: int = 1,
               progress: Callable[[str], None] | None = None, win_back: bool = False,
               balance: bool = True, lang: str = "en") -> RoutePlan:
    """Plan the rep's due visits over ``dates`` (one day, or the days of a week); a week's
    days are balanced unless ``balance`` is False. Progress is told in ``lang``."""
    say = progress or (lambda message: None)
    if not dates:
        raise NoRoute("Pick a day or a week to plan.")
    dates = sorted(dates)
    say(translate(lang, "Reading the rep's base and due visits ..."))
    base = rep_base(wh, scope, rep_id)
    due = due_list(wh, scope, rep_id, dates, win_back=win_back)
    if due.is_empty():
        raise NoRoute(f"{base.rep_name} ({rep_id}) has no customers due for a visit by "
                      f"{dates[-1]:%Y-%m-%d}.")
    return plan_due(due, base, dates, time_limit_s, seed, say, balance, lang)


def plan_due(due: pl.DataFrame, base: RepBase, dates: list[date],
             time_limit_s: float | None = None, seed: int = 1,
             progress: Callable[[str], None] | None = None,
             balance: bool = True, lang: str = "en") -> RoutePlan:
    """Plan a shaped due list (``due_list``/``shape_due``) from ``base`` over ``dates``."""
    say = progress or (lambda message: None)
    limit = time_limit_s if time_limit_s is not None else (
        WEEK_TIME_LIMIT_S if len(dates) > 1 else DAY_TIME_LIMIT_S)
    problem = build_problem(due, base, dates, limit, seed)
    say(translate(lang, "Solving {visits} visits over {days} day(s) (at most {limit} s) ...",
                  visits=len(problem.stops), days=len(dates), limit=f"{limit:.0f}"))
    started = time.perf_counter()
    balanced = None
    if balance and len(dates) > 1:
        plan, balanced = routing.solve_balanced(problem)
    else:
        plan = routing.solve(problem)
    say(translate(lang, "Solved in {seconds} s; comparing with the naive order ...",
                  seconds=f"{time.perf_counter() - started:.1f}"))
    rp = _assemble(base, dates, due, problem, plan)
    rp.balance = balanced
    return rp


def _assemble(base: RepBase, dates: list[date], due: pl.DataFrame,
              problem: routing.RouteProblem, plan: routing.Plan) -> RoutePlan:
    info = {r["customer_id"]: r for r in due.iter_rows(named=True)}
    rank = {r["customer_id"]: (-(r["days_overdue"] or 0), r["rep_due_rank"] or 0,
                               r["customer_id"]) for r in due.iter_rows(named=True)}
    rows, day_rows = [], []
    naive_km = naive_travel = naive_day = 0.0
    for day in plan.days:
        when = dates[day.day]
        for seq, (i, sid) in enumerate(zip(day.stop_index, day.stop_ids), start=1):
            r = info[sid]
            lat, lon = r["latitude"], r["longitude"]
            rows.append({
                "date": when, "day": f"{when:%a %d %b}", "seq": seq, "customer_id": sid,
                "customer_name": r["customer_name"], "tier": r["tier"],
                "must_visit": bool(r["is_must_visit"]), "address": r["address"],
                "district": r["district"],
                "window": f"{r['visit_window_start'] or ''}-{r['visit_window_end'] or ''}",
                "arrival": clock(day.arrivals_min[seq - 1]),
                "start": clock(day.starts_min[seq - 1]),
                "departure": clock(day.departures_min[seq - 1]),
                "arrival_min": day.arrivals_min[seq - 1],
                "start_min": day.starts_min[seq - 1],
                "departure_min": day.departures_min[seq - 1],
                "visit_minutes": problem.stops[i].service_min,
                "travel_minutes": round(day.legs_min[seq - 1], 1),
                "km": round(day.legs_km[seq - 1] or 0.0, 2),
                "latitude": lat, "longitude": lon,
                "why": r["why"], "phone": r.get("phone"),
                "win_back": bool(r.get("is_win_back")),
                "geo": geo_uri(lat, lon),
            })
        km, travel, length = _naive_day(problem, day, rank)
        naive_km, naive_travel, naive_day = naive_km + km, naive_travel + travel, naive_day + length
        day_rows.append({
            "date": when, "day": f"{when:%a %d %b}", "visits": len(day.stop_ids),
            "leave": clock(day.start_min) if day.stop_ids else "",
            "back": clock(day.end_min) if day.stop_ids else "",
            "km": round(day.distance_km or 0.0, 1),
            "travel_hours": round(day.travel_min / 60, 2),
            "visit_hours": round(day.service_min / 60, 2),
            "wait_hours": round(day.wait_min / 60, 2),
            "day_hours": round(day.hours, 2),
            "naive_km": round(km, 1), "naive_day_hours": round(length / 60, 2),
        })
    visits = with_navigation(pl.DataFrame(
        rows, schema_overrides={"date": pl.Date, "phone": pl.Utf8},
        infer_schema_length=None)) \
        if rows else pl.DataFrame(schema={"date": pl.Date, "day": pl.Utf8, "seq": pl.Int64,
                                          "customer_id": pl.Utf8, "customer_name": pl.Utf8,
                                          "latitude": pl.Float64, "longitude": pl.Float64})
    seen: set[tuple[str, str]] = set()
    unplanned_rows = []
    for sid, reason in plan.unplanned:
        if (sid, reason) in seen:
            continue
        seen.add((sid, reason))
        r = info.get(sid, {})
        unplanned_rows.append({"customer_id": sid, "customer_name": r.get("customer_name"),
                               "tier": r.get("tier"), "must_visit": bool(r.get("is_must_visit")),
                               "reason": reason})
    unplanned = pl.DataFrame(unplanned_rows, schema={
        "customer_id": pl.Utf8, "customer_name": pl.Utf8, "tier": pl.Utf8,
        "must_visit": pl.Boolean, "reason": pl.Utf8})
    optimised = Totals(plan.planned_visits, plan.distance_km or 0.0, plan.travel_min / 60,
                       sum(d.hours for d in plan.days))
    naive = Totals(plan.planned_visits, naive_km, naive_travel / 60, naive_day / 60)
    return RoutePlan(rep=base, dates=dates, due=due, plan=plan, visits=visits,
                     unplanned=unplanned, days=pl.DataFrame(day_rows), optimised=optimised,
                     naive=naive)


# --- exports ---------------------------------------------------------------------------------

CSV_COLUMNS = ["date", "seq", "customer_id", "customer_name", "tier", "must_visit", "address",
               "window", "arrival", "start", "departure", "visit_minutes", "travel_minutes",
               "km", "latitude", "longitude", "why", "navigation", "amap", "baidu", "geo"]


def csv_headers(lang: str) -> dict[str, str]:
    """Column key -> header in ``lang`` of the route plan's CSV (``CSV_COLUMNS``)."""
    return {
        "date": translate(lang, "Date"),
        "seq": translate(lang, "Stop"),
        "customer_id": translate(lang, "Customer ID"),
        "customer_name": translate(lang, "Customer"),
        "tier": translate(lang, "Tier"),
        "must_visit": translate(lang, "Must visit"),
        "address": translate(lang, "Address"),
        "window": translate(lang, "Customer hours"),
        "arrival": translate(lang, "Arrive"),
        "start": translate(lang, "Visit from"),
        "departure": translate(lang, "Leave"),
        "visit_minutes": translate(lang, "Visit minutes"),
        "travel_minutes": translate(lang, "Drive minutes"),
        "km": "km",
        "latitude": translate(lang, "Latitude"),
        "longitude": translate(lang, "Longitude"),
        "why": translate(lang, "Why due"),
        "navigation": translate(lang, "Directions"),
        "amap": geo.MAP_APPS.get("amap", "amap"),
        "baidu": geo.MAP_APPS.get("baidu", "baidu"),
        "geo": "geo",
    }


def to_csv(rp: RoutePlan, lang: str = "en", keys: bool = True) -> bytes:
    """The planned visits as CSV (UTF-8 with BOM, which Excel opens correctly; text that
    starts like a formula quoted, see models/core/exports.py). With ``keys`` (the default for
    scripts) the headers are the stable column keys, else they are in ``lang``."""
    if rp.visits.is_empty():
        frame = pl.DataFrame(schema={c: pl.Utf8 for c in CSV_COLUMNS})
    else:
        frame = rp.visits.select(CSV_COLUMNS)
    return exports.csv_bytes(exports.headed(frame, csv_headers(lang), keys))


def _at(day: date, minutes: float) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=round(minutes))


def to_ics(rp: RoutePlan, lang: str = "en") -> bytes:
    """An iCalendar file with one event per visit (local times, as the rep's phone shows them).

    Text properties (summary, location, description) are escaped per RFC 5545 by icalendar's
    vText (backslash, semicolon, comma and line breaks), so a name cannot end a property or
    start another event; tests/test_planner.py reads a hostile name back. The events' words
    (summary, description) are in ``lang``."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//salesdesk//route plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", translate(lang, "Visits of {rep}", rep=rp.rep.rep_name))
    stamp = rp.built_at.replace(microsecond=0)
    for row in rp.visits.iter_rows(named=True):
        event = Event()
        event.add("uid", f"{row['date']:%Y%m%d}-{row['seq']:03d}-{row['customer_id']}-"
                         f"{rp.rep.rep_id}@salesdesk")
        event.add("dtstamp", stamp)
        event.add("dtstart", _at(row["date"], row["start_min"]))
        event.add("dtend", _at(row["date"], row["departure_min"]))
        event.add("summary", translate(lang, "{seq}. Visit {customer} ({tier})", seq=row["seq"],
                                       customer=row["customer_name"], tier=row["tier"] or "-"))
        if row["address"]:
            event.add("location", row["address"])
        event.add("geo", (float(row["latitude"]), float(row["longitude"])))
        event.add("description", translate(
            lang, "{why}\nArrive {arrival}, customer hours {window}\nDirections: {link}",
            why=row["why"], arrival=row["arrival"], window=row["window"],
            link=row["navigation"]))
        event.add("url", row["navigation"])
        cal.add_component(event)
    return cal.to_ical()


DAY_SHEET_CSS = """
:root{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC",sans-serif;
  font-size:18px;line-height:1.45;color:#111}
body{margin:0 auto;padding:12px;max-width:720px}
h1{font-size:1.4rem;margin:.4em 0}h2{font-size:1.25rem;margin:1.2em 0 .4em;
  border-bottom:2px solid #333}
.stop{border:1px solid #bbb;border-radius:10px;padding:10px 12px;margin:10px 0;
  break-inside:avoid;page-break-inside:avoid}
.stop h3{font-size:1.15rem;margin:0 0 4px}.seq{display:inline-block;min-width:1.8em;
  font-weight:bold}
.meta,.why{font-size:.95rem;color:#333}.why{margin-top:4px}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
.actions a{display:inline-block;padding:10px 14px;border-radius:8px;text-decoration:none;
  border:1px solid #1f6feb;color:#1f6feb;font-size:1rem;min-height:24px}
.actions a.main{background:#1f6feb;color:#fff;font-weight:bold}
.actions a.call{border-color:#1a7f37;color:#1a7f37}
.notes{border-top:1px dashed #999;margin-top:8px;min-height:2.5em;font-size:.9rem;color:#666}
@page{size:A4;margin:12mm}
@media print{:root{font-size:11pt}body{max-width:none;padding:0}
  .actions a{border:none;padding:0 6px 0 0;color:#000}.actions a.main{background:none;color:#000}
  section{page-break-after:always}section:last-of-type{page-break-after:auto}}
"""


def to_html(rp: RoutePlan, app: str | None = None, lang: str = "en") -> str:
    """The day sheet a rep takes on the road: made for a phone (viewport, large type, one
    block per stop with tap-to-navigate in the default map app and the others, tap-to-call
    when the customer has a phone number) and printable on A4; its words in ``lang``. Every
    data value is escaped."""
    esc = html.escape

    def t(msgid: str, **params: object) -> str:   # the sheet's words, data values escaped
        return words(lang, msgid, **{k: esc(str(v)) for k, v in params.items()})

    app = app or geo.default_map_app()
    visits = with_navigation(rp.visits, app) if not rp.visits.is_empty() else rp.visits
    parts = [
        f"<!doctype html><html lang='{esc(lang)}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(rp.name)}</title>",
        f"<style>{DAY_SHEET_CSS}</style></head><body>",
        "<h1>" + t("Visits of {rep} ({rep_id})", rep=rp.rep.rep_name,
                    rep_id=rp.rep.rep_id) + "</h1>",
        "<p class='meta'>" + t(
            "Start and end: {base} ({lat}, {lon}). Workday {start}-{end}. {visits} visits, "
            "{km} km, {hours} h driving.", base=rp.rep.base_source, lat=f"{rp.rep.lat:.5f}",
            lon=f"{rp.rep.lon:.5f}", start=clock(rp.rep.workday_start_min),
            end=clock(rp.rep.workday_end_min), visits=rp.optimised.visits,
            km=f"{rp.optimised.km:.1f}", hours=f"{rp.optimised.travel_hours:.1f}") + "</p>",
    ]
    others = [a for a in geo.MAP_APPS if a != app]
    for day in rp.days.iter_rows(named=True):
        stops = visits.filter(pl.col("date") == day["date"]) if not visits.is_empty() \
            else visits
        heading = day_label(day["date"], lang) if lang != "en" else str(day["day"])
        parts.append(f"<section><h2>{esc(heading)}</h2>")
        if stops.is_empty():
            parts.append("<p>" + t("No visits planned.") + "</p></section>")
            continue
        parts.append("<p class='meta'>" + t(
            "Leave {leave}, back {back}: {visits} visits, {km} km, {hours} h driving.",
            leave=day["leave"], back=day["back"], visits=day["visits"], km=f"{day['km']:.1f}",
            hours=f"{day['travel_hours']:.1f}") + "</p>")
        for s in stops.iter_rows(named=True):
            name = esc(str(s["customer_name"] or ""))
            links = [f"<a class='main nav-{esc(app)}' href='{esc(s[app])}'>"
                     + t("Navigate ({app})", app=geo.MAP_APPS[app]) + "</a>"]
            links += [f"<a class='nav-{esc(a)}' href='{esc(s[a])}'>{esc(geo.MAP_APPS[a])}</a>"
                      for a in others]
            if s.get("call"):
                links.append(f"<a class='call' href='{esc(s['call'])}'>"
                             + t("Call {phone}", phone=s.get("phone") or "") + "</a>")
            parts.append(
                f"<div class='stop'><h3><span class='seq'>{s['seq']}.</span>{name}</h3>"
                "<div class='meta'>" + t(
                    "{customer_id} · tier {tier} · arrive {arrival}, visit {start}-{end} · "
                    "open {window}", customer_id=s["customer_id"], tier=s["tier"] or "-",
                    arrival=s["arrival"], start=s["start"], end=s["departure"],
                    window=s["window"]) + "</div>"
                f"<div class='meta'>{esc(str(s['address'] or ''))}</div>"
                f"<div class='why'>{esc(str(s['why'] or ''))}</div>"
                f"<div class='actions'>{''.join(links)}</div>"
                "<div class='notes'>" + t("Notes:") + "</div></div>")
        parts.append("</section>")
    if not rp.unplanned.is_empty():
        parts.append("<h2>" + t("Not planned") + "</h2><ul>")
        for u in rp.unplanned.iter_rows(named=True):
            parts.append(f"<li>{esc(str(u['customer_id']))} "
                         f"{esc(str(u['customer_name'] or ''))}: {esc(str(u['reason']))}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_exports(rp: RoutePlan, out_dir: Path, lang: str = "en",
                  keys: bool = True) -> list[Path]:
    """CSV, .ics and the HTML day sheet into ``out_dir``, in ``lang`` (the CSV's headers the
    column keys with ``keys``); the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{rp.name}.csv", out_dir / f"{rp.name}.ics",
             out_dir / f"{rp.name}.html"]
    paths[0].write_bytes(to_csv(rp, lang, keys))
    paths[1].write_bytes(to_ics(rp, lang))
    paths[2].write_text(to_html(rp, lang=lang), encoding="utf-8")
    return paths


def summary(rp: RoutePlan) -> str:
    """A few lines for the command line."""
    lines = [f"{rp.rep.rep_name} ({rp.rep.rep_id}), {rp.dates[0]:%Y-%m-%d}"
             + (f" to {rp.dates[-1]:%Y-%m-%d}" if rp.is_week else "")
             + f": {rp.optimised.visits} visits, {rp.optimised.km:.1f} km, "
               f"{rp.optimised.travel_hours:.1f} h driving; the naive order "
               f"{rp.naive.km:.1f} km, {rp.naive.day_hours - rp.optimised.day_hours:.1f} h "
               f"longer. Solved in {rp.plan.solve_seconds:.1f} s."]
    for day in rp.days.iter_rows(named=True):
        lines.append(f"  {day['day']}: {day['visits']} visits, {day['km']:.1f} km, "
                     f"{day['leave'] or '-'} to {day['back'] or '-'}")
    if rp.balance is not None:
        b = rp.balance
        lines.append(f"  balance: {b.note}; days {', '.join(f'{m / 60:.1f}' for m in b.days_after)} h"
                     f" (before {', '.join(f'{m / 60:.1f}' for m in b.days_before)} h); "
                     f"extra travel {b.extra_travel_min:+.0f} min")
    if not rp.unplanned.is_empty():
        lines.append(f"  not planned: {rp.unplanned.height} "
                     f"({int(rp.unplanned['must_visit'].sum())} must-visit)")
    return "\n".join(lines)
