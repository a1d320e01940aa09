"""Route planning core: a rep's day or week as a vehicle routing problem with time windows.

A small typed API that the planner, the page, the CLI and the benchmarks call::

    problem = RouteProblem(
        depot=Depot(lat=36.66, lon=117.02),
        stops=[Stop(id="C0001", lat=36.67, lon=117.05, service_min=30, window=(510, 1050),
                    required=True, priority=3.0), ...],
        days=[Day(start_min=480, end_min=1080)],   # one per planned day
        travel_min=None,     # optional (n+1)x(n+1) minutes, depot first; else haversine
        min_days_apart={},   # stop id -> min days between its visits
        time_limit_s=1.0,
    )
    plan = solve(problem)

Solved with PyVRP 0.14 (MIT; iterated local search), chosen by measurement (see
``bench/routing.py``). The solver takes integers: travel in seconds, distances in metres.

- **Days** are vehicles: one vehicle type per day with that day's shift (``start_min`` ..
  ``end_min``, minutes after midnight) and its own travel matrix, in which the stops that may
  not take that day are unreachable. So a visit restricted to some days (``Stop.days``) can only
  land on one of them.
- **Visit frequency**: a customer visited twice is given as two stops with the same id (copies).
  ``min_days_apart[id] = d`` keeps their days at least ``d`` apart: the copies start on
  separate spans of the days; a plan that still breaks the rule (spans may overlap) pins the
  copies to days that keep it and searches again from there.
- **Required and optional stops**: the search first plans the required stops alone (half the
  time when there are optional ones), as hard constraints; when they cannot all fit, it
  searches again with every stop as a prize-collecting client, the required ones carrying a
  prize larger than anything their visit can cost, so that what fits is kept and the rest
  named. Then the optional stops are added around that plan, each worth ``priority x
  optional_value_min`` minutes of travel, so the most valuable are taken when time allows and
  a required stop is never given up for an optional one. Stops that cannot be planned are
  reported with a reason: no coordinates, longer than a day, outside every window (the
  customer's hours miss every workday, or cannot be reached within them), no allowed day,
  did not fit.
- **Travel**: haversine distance x ``road_factor`` at ``speed_kmh``, unless a ``travel_min``
  matrix is given (road times from an external router, or a benchmark's distances); then
  ``distance_km`` may be given too, else distances are estimated from coordinates when known.
  The objective is total travel time, plus ``Day.fixed_cost_min`` for each day used.
- **Deterministic for a seed**: each search stops after ``max_iterations`` iterations, or when
  it has not improved for ``patience`` iterations, or at the time limit, whichever is first;
  ``workers`` searches (default 1) with seeds ``seed, seed + 1, ...`` run side by side in
  threads and the best plan wins (ties: the lower seed). The same problem and seed give the
  same plan whenever the searches stop on iterations (small problems converge long before the
  limit; any problem does with ``max_iterations`` and a generous time limit); a time limit that
  cuts a search short depends on how busy the machine is. On a 2-core machine a second worker
  did not pay: PyVRP's search loop runs partly in Python, two threads made at most 1.5 times
  the iterations of one (fewer on a busy machine) and found no better tours.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_KM = 6371.0088
ROAD_FACTOR = 1.3  # road distance / straight-line distance (SPEC 8)
SPEED_KMH = 30.0   # average speed in town, stops included (SPEC 8)
OPTIONAL_VALUE_MIN = 30.0  # minutes of travel an optional stop of priority 1 is worth
OPEN = np.iinfo(np.int64).max  # no time window (PyVRP's default; skips time-window work)
OPEN_MIN = 10**7  # a day ending this late (minutes) has no end
UNREACHABLE_S = 10 * 24 * 3600  # at least this travel time to a stop on a day it may not take

# Reasons a stop is not planned (Plan.unplanned); each starts with a stable phrase.
NO_COORDINATES = "no coordinates"
LONGER_THAN_DAY = "longer than a day"
OUTSIDE_WINDOWS = "outside every window"
NO_ALLOWED_DAY = "no allowed day"
DID_NOT_FIT = "did not fit"


class RoutingError(ValueError):
    """A problem that cannot be given to the solver (bad matrix, no days)."""


@dataclass(frozen=True)
class Depot:
    """Where every day starts and ends (the rep's base)."""

    lat: float | None = None
    lon: float | None = None
    name: str = "base"


@dataclass(frozen=True)
class Stop:
    """One visit. Several stops with the same id are copies (visits on different days).

    ``window``: (from, until) in minutes after midnight; the visit starts and ends inside it.
    ``days``: the indices into ``RouteProblem.days`` this visit may take (None: any).
    ``priority``: the value of an optional stop (higher first); required stops ignore it.
    ``demand``: load units (the benchmarks' capacities); 0 for sales visits.
    """

    id: str
    lat: float | None = None
    lon: float | None = None
    service_min: float = 0.0
    window: tuple[float, float] | None = None
    required: bool = True
    priority: float = 1.0
    days: tuple[int, ...] | None = None
    demand: int = 0


@dataclass(frozen=True)
class Day:
    """One planned day: the workday in minutes after midnight.

    ``fixed_cost_min``: what using the day costs, in travel minutes (a large value minimises
    the number of days used first, as vehicle-count benchmarks do). ``capacity``: load limit.
    ``max_duration_min``: the longest the day may be, leaving the base to coming back (None:
    the workday); ``solve_balanced`` sets it to even the week out.
    """

    start_min: float
    end_min: float
    label: str = ""
    fixed_cost_min: float = 0.0
    capacity: int | None = None
    max_duration_min: float | None = None


@dataclass
class RouteProblem:
    depot: Depot
    stops: Sequence[Stop]
    days: Sequence[Day]
    travel_min: Sequence[Sequence[float]] | np.ndarray | None = None
    min_days_apart: dict[str, int] = field(default_factory=dict)
    time_limit_s: float = 1.0
    seed: int = 1
    workers: int = 1
    max_iterations: int | None = None
    patience: int | None = None  # iterations without improvement before a search stops
    distance_km: Sequence[Sequence[float]] | np.ndarray | None = None
    road_factor: float = ROAD_FACTOR
    speed_kmh: float = SPEED_KMH
    optional_value_min: float = OPTIONAL_VALUE_MIN
    params: SolverParams | None = None  # None: PARAMS


@dataclass(frozen=True)
class DayPlan:
    """One day's route: the stops in visiting order with their times (minutes after midnight).

    ``arrivals_min``: when the rep gets there; ``starts_min``: when the visit starts (later when
    the rep is early for the customer's window); ``departures_min``: when the rep leaves.
    ``legs_min``/``legs_km``: travel to each stop, then back to the base (one more than stops).
    """

    day: int
    label: str
    stop_ids: list[str]
    stop_index: list[int]  # positions in RouteProblem.stops
    arrivals_min: list[float]
    starts_min: list[float]
    departures_min: list[float]
    legs_min: list[float]
    legs_km: list[float | None]
    start_min: float
    end_min: float
    travel_min: float
    distance_km: float | None
    service_min: float
    wait_min: float

    @property
    def hours(self) -> float:
        """From leaving the base to coming back."""
        return (self.end_min - self.start_min) / 60 if self.stop_ids else 0.0


@dataclass(frozen=True)
class Plan:
    days: list[DayPlan]
    unplanned: list[tuple[str, str]]
    objective: float  # travel minutes, plus day costs
    solve_seconds: float
    feasible: bool = True
    iterations: int = 0

    @property
    def travel_min(self) -> float:
        return sum(d.travel_min for d in self.days)

    @property
    def distance_km(self) -> float | None:
        values = [d.distance_km for d in self.days if d.stop_ids]
        if any(v is None for v in values):
            return None
        return float(sum(values))

    @property
    def planned_visits(self) -> int:
        return sum(len(d.stop_ids) for d in self.days)

    @property
    def days_used(self) -> int:
        return sum(1 for d in self.days if d.stop_ids)


# --- travel ----------------------------------------------------------------------------------

def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray,
                 ) -> np.ndarray:
    """Great-circle distance in km (arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def road_km_matrix(lats: Sequence[float], lons: Sequence[float],
                   road_factor: float = ROAD_FACTOR) -> np.ndarray:
    """Road distance estimate between every pair of points: haversine x road factor."""
    lat = np.asarray(lats, dtype=float)
    lon = np.asarray(lons, dtype=float)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * road_factor


def travel_minutes(km: float | np.ndarray, speed_kmh: float = SPEED_KMH) -> float | np.ndarray:
    return km / speed_kmh * 60.0


def _has_coordinates(lat: float | None, lon: float | None) -> bool:
    return (lat is not None and lon is not None and math.isfinite(lat) and math.isfinite(lon)
            and -90 <= lat <= 90 and -180 <= lon <= 180)


def _clock(minutes: float) -> str:
    m = int(round(minutes))
    return f"{m // 60:02d}:{m % 60:02d}"


# --- the model given to PyVRP ----------------------------------------------------------------

@dataclass
class _Prepared:
    """What solve() feeds PyVRP: the plannable stops, their matrices and allowed days."""

    problem: RouteProblem
    keep: list[int]                     # positions in problem.stops given to the solver
    travel_s: np.ndarray                # (m+1)^2 over depot + kept stops, seconds
    metres: np.ndarray | None           # (m+1)^2 metres, when known
    allowed: list[set[int]]             # per kept stop: day indices it may take
    unplanned: list[tuple[int, str]]    # (position in problem.stops, reason)
    reachable: list[set[int]]           # ``allowed`` before any narrowing


def _matrix(values, size: int, name: str) -> np.ndarray:
    matrix = np.asarray(values, dtype=float)
    if matrix.shape != (size, size):
        raise RoutingError(f"{name} must be {size}x{size} (the depot first, then each stop); "
                           f"got {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise RoutingError(f"{name} holds negative or missing values")
    return matrix


def _prepare(problem: RouteProblem) -> _Prepared:
    stops = list(problem.stops)
    n_days = len(problem.days)
    if n_days == 0:
        raise RoutingError("a route problem needs at least one day")
    for d in problem.days:
        if d.end_min <= d.start_min:
            raise RoutingError(f"a day must end after it starts ({_clock(d.start_min)} - "
                               f"{_clock(d.end_min)})")
    size = len(stops) + 1
    if problem.travel_min is not None:
        minutes = _matrix(problem.travel_min, size, "travel_min")
        km = (_matrix(problem.distance_km, size, "distance_km")
              if problem.distance_km is not None else None)
        located = [True] * len(stops)
    else:
        located = [_has_coordinates(s.lat, s.lon) for s in stops]
        if not _has_coordinates(problem.depot.lat, problem.depot.lon):
            raise RoutingError("the base (depot) has no coordinates")
        lats = [problem.depot.lat] + [s.lat if ok else problem.depot.lat
                                      for s, ok in zip(stops, located)]
        lons = [problem.depot.lon] + [s.lon if ok else problem.depot.lon
                                      for s, ok in zip(stops, located)]
        km = road_km_matrix(lats, lons, problem.road_factor)
        minutes = travel_minutes(km, problem.speed_kmh)
    if km is None and problem.travel_min is not None:
        # Estimate distances from coordinates when every point has them.
        points = [(problem.depot.lat, problem.depot.lon)] + [(s.lat, s.lon) for s in stops]
        if all(_has_coordinates(a, b) for a, b in points):
            km = road_km_matrix([p[0] for p in points], [p[1] for p in points],
                                problem.road_factor)

    longest_day = max(d.end_min - d.start_min for d in problem.days)
    keep: list[int] = []
    allowed: list[set[int]] = []
    unplanned: list[tuple[int, str]] = []
    for i, stop in enumerate(stops):
        days = set(range(n_days)) if stop.days is None else {
            d for d in stop.days if 0 <= d < n_days}
        if not located[i]:
            unplanned.append((i, f"{NO_COORDINATES}: the customer has no latitude/longitude"))
            continue
        if stop.service_min > longest_day:
            unplanned.append((i, f"{LONGER_THAN_DAY}: a {stop.service_min:.0f}-minute visit "
                                 f"does not fit in a {longest_day:.0f}-minute workday"))
            continue
        if not days:
            unplanned.append((i, f"{NO_ALLOWED_DAY}: none of the planned days is allowed "
                                 "for this visit"))
            continue
        out_s, back_s = minutes[0, i + 1], minutes[i + 1, 0]
        reachable = set()
        for d in days:
            day = problem.days[d]
            earliest = day.start_min + out_s
            latest = day.end_min - back_s - stop.service_min
            if stop.window is not None:
                earliest = max(earliest, stop.window[0])
                latest = min(latest, stop.window[1] - stop.service_min)
            if earliest <= latest + 1e-9:
                reachable.add(d)
        if not reachable:
            if stop.window is not None and stop.window[1] - stop.window[0] < stop.service_min:
                why = (f"{OUTSIDE_WINDOWS}: the {stop.service_min:.0f}-minute visit is longer "
                       f"than the customer's hours {_clock(stop.window[0])}-"
                       f"{_clock(stop.window[1])}")
            elif stop.window is not None:
                why = (f"{OUTSIDE_WINDOWS}: the customer's hours {_clock(stop.window[0])}-"
                       f"{_clock(stop.window[1])} do not leave time for the visit within any "
                       "workday (with travel from and back to the base)")
            else:
                why = (f"{LONGER_THAN_DAY}: travel from the base and back with the visit does "
                       "not fit in any workday")
            unplanned.append((i, why))
            continue
        keep.append(i)
        allowed.append(reachable)

    index = [0] + [i + 1 for i in keep]
    travel_s = np.rint(minutes[np.ix_(index, index)] * 60.0).astype(np.int64)
    metres = (np.rint(km[np.ix_(index, index)] * 1000.0).astype(np.int64)
              if km is not None else None)
    return _Prepared(problem, keep, travel_s, metres, allowed, unplanned,
                     [set(a) for a in allowed])


def _initial_spans(prep: _Prepared) -> None:
    """Copies of a stop with a days-apart rule start on separate spans of the days."""
    problem = prep.problem
    n_days = len(problem.days)
    by_id: dict[str, list[int]] = {}
    for k, i in enumerate(prep.keep):
        by_id.setdefault(problem.stops[i].id, []).append(k)
    for stop_id, gap in problem.min_days_apart.items():
        copies = by_id.get(stop_id, [])
        if len(copies) < 2 or gap <= 0:
            continue
        count = len(copies)
        for j, k in enumerate(copies):
            lo, hi = j * gap, n_days - 1 - (count - 1 - j) * gap
            span = set(range(lo, hi + 1)) if lo <= hi else {min(j * gap, n_days - 1)}
            narrowed = prep.allowed[k] & span
            prep.allowed[k] = narrowed or prep.allowed[k]


def _build_data(prep: _Prepared, allowed: list[set[int]], hard: bool,
                skip: frozenset[int] = frozenset()):
    import pyvrp

    problem = prep.problem
    stops = [problem.stops[i] for i in prep.keep]
    m = len(stops)
    travel = prep.travel_s
    locations = [pyvrp.Location(x=0.0, y=0.0, name="depot")]
    for s in stops:
        locations.append(pyvrp.Location(x=float(s.lon or 0.0), y=float(s.lat or 0.0), name=s.id))
    optional_prizes = sum(int(round(max(s.priority, 0.0) * problem.optional_value_min * 60))
                          for s in stops if not s.required)
    fixed = [int(round(d.fixed_cost_min * 60)) for d in problem.days]
    biggest = int(travel.max()) if travel.size else 0
    # Leaving a required stop out must never pay: its prize beats any detour (2 x the longest
    # leg), every optional prize it could push out and the cost of opening a day.
    required_prize = 2 * (2 * biggest + optional_prizes + sum(fixed) + 1)
    unreachable = max(UNREACHABLE_S, 10 * biggest)  # travel to a stop on a day it may not take
    capacity_needed = any(s.demand for s in stops) or any(d.capacity for d in problem.days)
    clients = []
    for k, s in enumerate(stops):
        early = int(round(s.window[0] * 60)) if s.window is not None else 0
        late = (int(round((s.window[1] - s.service_min) * 60)) if s.window is not None
                else OPEN)
        prize = required_prize if s.required else int(round(max(s.priority, 0.0)
                                                            * problem.optional_value_min * 60))
        if k in skip:  # not part of this search: unreachable on every day (below), no prize
            prize = 0
        clients.append(pyvrp.Client(
            location=len(clients) + 1, delivery=[int(s.demand)] if capacity_needed else [],
            service_duration=int(round(s.service_min * 60)), tw_early=early, tw_late=late,
            prize=prize, required=s.required and hard and k not in skip, name=s.id))
    depot = pyvrp.Depot(location=0)
    vehicle_types, distances, durations = [], [], []
    for d, day in enumerate(problem.days):
        forbidden = [k + 1 for k in range(m) if d not in allowed[k] or k in skip]
        dist = travel.copy()
        if forbidden:
            dist[forbidden, :] = unreachable
            dist[:, forbidden] = unreachable
            np.fill_diagonal(dist, 0)
        distances.append(dist)
        durations.append(dist)
        cap = [int(day.capacity) if day.capacity else sum(s.demand for s in stops) + 1]
        vehicle_types.append(pyvrp.VehicleType(
            num_available=1, capacity=cap if capacity_needed else [],
            start_depot=0, end_depot=0, fixed_cost=fixed[d],
            tw_early=int(round(day.start_min * 60)),
            tw_late=int(round(day.end_min * 60)) if day.end_min < OPEN_MIN else OPEN,
            shift_duration=(int(round(day.max_duration_min * 60))
                            if day.max_duration_min is not None else OPEN),
            unit_distance_cost=1, unit_duration_cost=0, profile=d, name=str(d)))
    return pyvrp.ProblemData(locations, clients, [depot], vehicle_types, distances, durations)


@dataclass(frozen=True)
class SolverParams:
    """How each PyVRP search is run. ``history_length``: late-acceptance history (None:
    PyVRP's default); ``patience_per_stop``/``min_patience``: stop a search after
    max(min_patience, patience_per_stop x stops) iterations without improvement (None: run to
    the time limit, as PyVRP does by default)."""

    name: str
    history_length: int | None = None
    patience_per_stop: int | None = None
    min_patience: int = 0


# Candidates, measured by bench/routing.py: chosen on the bundled TSPLIB instances, reported on
# instances not used for choosing. PYVRP_DEFAULTS is plain ``pyvrp.solve`` with a time limit.
PYVRP_DEFAULTS = SolverParams("pyvrp-defaults")
SHORT_HISTORY = SolverParams("history-50-patience", history_length=50, patience_per_stop=20,
                             min_patience=150)
PATIENCE_ONLY = SolverParams("defaults-patience", patience_per_stop=20, min_patience=150)
CANDIDATES = (PYVRP_DEFAULTS, SHORT_HISTORY, PATIENCE_ONLY)
# The short history (50) with a patience stop was chosen on the bundled set (mean gap 0.10 %
# at 1 s) but did worse than PyVRP's defaults on held-out instances (1.68 % against 1.05 % on
# four TSPLIB instances of 100-130 nodes, issue 18): a parameter is kept only when it is not
# worse than PyVRP's defaults on the held-out set, so the defaults are used (see
# bench/routing.py, `held-out` rows, for the figures of each run).
PARAMS = PYVRP_DEFAULTS


def _stop_criterion(problem: RouteProblem, size: int, deadline: float,
                    params: SolverParams | None = None):
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

    params = params or PARAMS
    criteria = [MaxRuntime(max(0.01, deadline - time.perf_counter()))]
    if problem.patience is not None:
        criteria.append(NoImprovement(problem.patience))
    elif params.patience_per_stop is not None:
        criteria.append(NoImprovement(max(params.min_patience,
                                          params.patience_per_stop * size)))
    if problem.max_iterations is not None:
        criteria.append(MaxIterations(problem.max_iterations))
    return MultipleCriteria(criteria) if len(criteria) > 1 else criteria[0]


def _params(params: SolverParams | None = None):
    import pyvrp

    params = params or PARAMS
    if params.history_length is None:
        return pyvrp.SolveParams()
    return pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(
        history_length=params.history_length))


def _warm_start(data, allowed: list[set[int]], solution, skip: frozenset[int]):
    """The routes of ``solution`` (another ProblemData of the same stops) as a start for
    ``data``, without the visits now on a day they may not take."""
    import pyvrp

    routes = []
    for route in solution.routes():
        day = route.vehicle_type()
        visits = [k for k in _visits(route) if day in allowed[k] and k not in skip]
        if visits:
            routes.append(pyvrp.Route(data, visits, day))
    return pyvrp.Solution(data, routes)


def _search(prep: _Prepared, allowed: list[set[int]], deadline: float, hard: bool = True,
            start=None, skip: frozenset[int] = frozenset()):
    """Run ``workers`` seeded searches side by side; the best result (ties: lower seed).

    ``start``: a solution to continue from (its visits on forbidden days are taken out)."""
    import pyvrp

    problem = prep.problem
    data = _build_data(prep, allowed, hard, skip)
    initial = _warm_start(data, allowed, start, skip) if start is not None else None
    workers = max(1, min(problem.workers, os.cpu_count() or 1))
    results: list = [None] * workers

    def run(w: int) -> None:
        results[w] = pyvrp.solve(data, _stop_criterion(problem, len(prep.keep), deadline,
                                                       problem.params),
                                 seed=problem.seed + w, collect_stats=False, display=False,
                                 params=_params(problem.params), initial_solution=initial)

    if workers == 1:
        run(0)
    else:  # PyVRP's search releases the GIL for most of its work
        threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    best = min(range(workers), key=lambda w: (not results[w].is_feasible(),
                                              results[w].cost(), w))
    iterations = sum(r.num_iterations for r in results)
    return data, results[best].best, iterations


def _visits(route) -> list[int]:
    """The kept-stop indices a route visits, in order."""
    return [a.idx for a in route.schedule() if a.is_client()]


def _copies(prep: _Prepared) -> dict[str, list[int]]:
    """Stop id -> kept indices of its copies, for ids with a days-apart rule."""
    by_id: dict[str, list[int]] = {}
    for k, i in enumerate(prep.keep):
        sid = prep.problem.stops[i].id
        if sid in prep.problem.min_days_apart:
            by_id.setdefault(sid, []).append(k)
    return by_id


def _violations(prep: _Prepared, solution, every: bool = False,
                ) -> dict[str, list[tuple[int, int]]]:
    """Stop ids whose copies break their days-apart rule: id -> [(kept index, day)] (with
    ``every``, all ids with a rule and planned copies)."""
    problem = prep.problem
    day_of: dict[int, int] = {}
    for route in solution.routes():
        for client in _visits(route):
            day_of[client] = route.vehicle_type()
    by_id: dict[str, list[tuple[int, int]]] = {}
    for k, i in enumerate(prep.keep):
        sid = problem.stops[i].id
        if sid in problem.min_days_apart and k in day_of:
            by_id.setdefault(sid, []).append((k, day_of[k]))
    broken = {}
    for sid, placed in by_id.items():
        days = sorted(d for _, d in placed)
        if every or any(b - a < problem.min_days_apart[sid] for a, b in zip(days, days[1:])):
            broken[sid] = placed
    return broken


def _pin(prep: _Prepared, allowed: list[set[int]], placed: list[tuple[int, int]], gap: int,
         ) -> None:
    """Pin copies to days ``gap`` apart among the days each may take, moving them as little
    as possible from where the search put them (ties: earlier days). No such days: unchanged
    (the later copies are then left out with a reason)."""
    import itertools

    options = [sorted(prep.reachable[k]) for k, _ in placed]
    best = None
    for days in itertools.product(*options):
        ordered = sorted(days)
        if any(b - a < gap for a, b in zip(ordered, ordered[1:])):
            continue
        moved = sum(abs(d - now) for d, (_, now) in zip(days, placed))
        if best is None or (moved, days) < best:
            best = (moved, days)
    if best is not None:
        for (k, _), day in zip(placed, best[1]):
            allowed[k] = {day}


def solve(problem: RouteProblem) -> Plan:
    """Plan the stops over the days; see the module docstring for the rules."""
    started = time.perf_counter()
    deadline = started + problem.time_limit_s
    prep = _prepare(problem)
    unplanned = [(problem.stops[i].id, why) for i, why in prep.unplanned]
    if not prep.keep:
        empty = [_day_plan(prep, d, None, None) for d in range(len(problem.days))]
        return Plan(empty, unplanned, 0.0, time.perf_counter() - started)

    _initial_spans(prep)
    allowed = [set(a) for a in prep.allowed]
    required = [problem.stops[i].required for i in prep.keep]
    has_optional = not all(required)
    has_copies = any(len(v) > 1 for v in _copies(prep).values())
    hard = True  # required stops as hard constraints first: the search is faster that way

    def attempt(until: float, start=None, skip: frozenset[int] = frozenset()):
        nonlocal hard
        found = _search(prep, allowed, until, hard, start, skip)
        if hard and not found[1].is_feasible():
            # Not every required stop fits: search again with all of them as prizes, so the
            # plan keeps what fits and names the rest.
            hard = False
            rest = max(until - time.perf_counter(), 0.3 * problem.time_limit_s)
            again = _search(prep, allowed, time.perf_counter() + rest, hard, found[1], skip)
            return again[0], again[1], found[2] + again[2]
        return found

    # Stage 1: the required stops alone (half the time when there are optional ones), with
    # the days-apart rule checked and repaired (a third of that time kept for repairs).
    stage_end = started + (0.5 if has_optional else 1.0) * problem.time_limit_s
    optional = frozenset(k for k, r in enumerate(required) if not r)
    first = started + (0.67 if has_copies else 1.0) * (stage_end - started)
    solution, iterations = None, 0
    if any(required):
        data, solution, iterations = attempt(first, skip=optional)
    for round_ in range(2 if solution is not None else 0):  # repair broken days-apart rules
        broken = _violations(prep, solution)
        if not broken:
            break
        if round_ == 1:  # second time: pin every copy with a rule, so none can slip again
            broken = _violations(prep, solution, every=True)
        for sid, placed in broken.items():
            _pin(prep, allowed, placed, problem.min_days_apart[sid])
        # continue from the plan found, with those copies pinned to days that keep the rule
        remaining = max((stage_end - time.perf_counter()) / (2 - round_),
                        0.1 * problem.time_limit_s)
        data, solution, more = attempt(time.perf_counter() + remaining, solution, optional)
        iterations += more

    if has_optional:
        # Stage 2: add the optional stops around the required ones. The required stops that
        # did not fit stay out, the copies with a rule stay on their days; starting from the
        # stage-1 plan, which is feasible, the search can only keep or improve it.
        if solution is not None:
            for sid, placed in _violations(prep, solution, every=True).items():
                _pin(prep, allowed, placed, problem.min_days_apart[sid])
        planned = ({k for route in solution.routes() for k in _visits(route)}
                   if solution is not None else set())
        left_out = frozenset(k for k, r in enumerate(required) if r and k not in planned)
        hard = True
        until = max(deadline, time.perf_counter() + 0.2 * problem.time_limit_s)
        data, solution, more = attempt(until, solution, left_out)
        iterations += more
    broken = _violations(prep, solution)

    routes = {route.vehicle_type(): route for route in solution.routes()}
    dropped: set[int] = set()
    for sid, placed in broken.items():  # still broken: drop the later copies
        placed = sorted(placed, key=lambda kd: kd[1])
        last = placed[0][1]
        for k, day in placed[1:]:
            if day - last < problem.min_days_apart[sid]:
                dropped.add(k)
            else:
                last = day
    day_plans = []
    for d in range(len(problem.days)):
        route = routes.get(d)
        day_plans.append(_day_plan(prep, d, route, dropped))
    visited = {k for route in routes.values() for k in _visits(route)} - dropped
    for k, i in enumerate(prep.keep):
        if k in visited:
            continue
        stop = problem.stops[i]
        if k in dropped:
            why = (f"{DID_NOT_FIT}: no day {problem.min_days_apart[stop.id]} or more days "
                   "away from its other visit had room")
        elif stop.required:
            why = (f"{DID_NOT_FIT}: the workdays are full (travel, visits and the customer's "
                   "hours leave no room)")
        else:
            why = f"{DID_NOT_FIT}: optional, left out for higher-priority visits"
        unplanned.append((stop.id, why))
    travel = sum(dp.travel_min for dp in day_plans)
    fixed = sum(problem.days[dp.day].fixed_cost_min for dp in day_plans if dp.stop_ids)
    return Plan(days=day_plans, unplanned=unplanned, objective=round(travel + fixed, 4),
                solve_seconds=time.perf_counter() - started,
                feasible=bool(solution.is_feasible()), iterations=iterations)


def _day_plan(prep: _Prepared, d: int, route, dropped: set[int] | None) -> DayPlan:
    problem = prep.problem
    day = problem.days[d]
    if route is None:
        return DayPlan(d, day.label, [], [], [], [], [], [], [], day.start_min, day.start_min,
                       0.0, 0.0 if prep.metres is not None else None, 0.0, 0.0)
    visits = [k for k in _visits(route) if k not in (dropped or set())]
    # times from the solver's schedule (seconds), recomputed when a copy was dropped
    nodes = [0] + [k + 1 for k in visits] + [0]
    legs_s = [int(prep.travel_s[a, b]) for a, b in zip(nodes, nodes[1:])]
    legs_m = ([int(prep.metres[a, b]) for a, b in zip(nodes, nodes[1:])]
              if prep.metres is not None else None)
    schedule = {a.idx: a for a in route.schedule() if a.is_client()}
    arrivals, starts, departures = [], [], []
    if dropped and any(k in dropped for k in _visits(route)):
        clock = route.start_time()
        for k, leg in zip(visits, legs_s):
            stop = problem.stops[prep.keep[k]]
            clock += leg
            arrivals.append(clock)
            early = int(round(stop.window[0] * 60)) if stop.window else 0
            clock = max(clock, early)
            starts.append(clock)
            clock += int(round(stop.service_min * 60))
            departures.append(clock)
        end = clock + legs_s[-1]
    else:
        for k in visits:
            act = schedule[k]
            arrivals.append(act.start_time - act.wait_duration)
            starts.append(act.start_time)
            departures.append(act.end_time)
        end = route.end_time()
    start = (route.start_time() if not visits else arrivals[0] - legs_s[0])
    service = sum(problem.stops[prep.keep[k]].service_min for k in visits)
    wait = sum(s - a for s, a in zip(starts, arrivals)) / 60
    return DayPlan(
        day=d, label=day.label,
        stop_ids=[problem.stops[prep.keep[k]].id for k in visits],
        stop_index=[prep.keep[k] for k in visits],
        arrivals_min=[a / 60 for a in arrivals], starts_min=[s / 60 for s in starts],
        departures_min=[x / 60 for x in departures],
        legs_min=[s / 60 for s in legs_s],
        legs_km=[m / 1000 for m in legs_m] if legs_m is not None else [None] * len(legs_s),
        start_min=start / 60, end_min=end / 60,
        travel_min=sum(legs_s) / 60,
        distance_km=sum(legs_m) / 1000 if legs_m is not None else None,
        service_min=float(service), wait_min=wait)


def route_cost(travel_min: np.ndarray | Sequence[Sequence[float]], order: Sequence[int]) -> float:
    """Travel along depot -> order (stop positions, 0-based) -> depot on a (n+1)^2 matrix."""
    matrix = np.asarray(travel_min, dtype=float)
    nodes = [0] + [i + 1 for i in order] + [0]
    return float(sum(matrix[a, b] for a, b in zip(nodes, nodes[1:])))


# --- balanced days ---------------------------------------------------------------------------

BALANCE_TOLERANCE = 1.3      # longest day <= this x the shortest used day
BALANCE_MAX_EXTRA = 0.25     # balancing may add at most this share of the unbalanced travel
_BALANCE_CAPS = (1.15, 1.08, 1.04, 1.02)  # day caps tried, as multiples of the mean day


@dataclass(frozen=True)
class Balance:
    """What balancing did: day lengths (minutes, leaving the base to coming back) before and
    after, the travel it cost, and whether the tolerance was met."""

    tolerance: float
    days_before: list[float]
    days_after: list[float]
    travel_before_min: float
    travel_after_min: float
    met: bool
    note: str

    @property
    def extra_travel_min(self) -> float:
        return self.travel_after_min - self.travel_before_min

    @staticmethod
    def ratio(days: Sequence[float]) -> float | None:
        used = [d for d in days if d > 0]
        return max(used) / min(used) if used else None


def day_lengths(plan: Plan) -> list[float]:
    return [(d.end_min - d.start_min) if d.stop_ids else 0.0 for d in plan.days]


def _balanced_enough(plan: Plan, tolerance: float, want_days: int) -> bool:
    lengths = day_lengths(plan)
    ratio = Balance.ratio(lengths)
    return (ratio is not None and ratio <= tolerance + 1e-9
            and sum(1 for d in lengths if d > 0) >= want_days)


def solve_balanced(problem: RouteProblem, tolerance: float = BALANCE_TOLERANCE,
                   max_extra_travel: float = BALANCE_MAX_EXTRA) -> tuple[Plan, Balance]:
    """Plan, then even the days out: every day capped at a multiple of the mean day (tighter
    and tighter) until the longest day is within ``tolerance`` x the shortest used day and
    every day is used (when there are at least as many visits as days), keeping the plan only
    when it plans as many visits and every required one, and adds at most
    ``max_extra_travel`` x the unbalanced travel. A third of the time limit goes to the
    unbalanced plan, the rest to the balancing rounds."""
    from dataclasses import replace

    started = time.perf_counter()
    total = problem.time_limit_s
    base = solve(replace(problem, time_limit_s=total / 3))
    before = day_lengths(base)
    want_days = min(len(problem.days), base.planned_visits)
    required_left = sum(1 for sid, _ in base.unplanned
                        if any(s.id == sid and s.required for s in problem.stops))

    def result(plan: Plan, met: bool, note: str) -> tuple[Plan, Balance]:
        return plan, Balance(tolerance, before, day_lengths(plan), base.travel_min,
                             plan.travel_min, met, note)

    if _balanced_enough(base, tolerance, want_days):
        return result(base, True, "balanced as planned")
    if base.planned_visits == 0:
        return result(base, False, "nothing planned")
    mean = sum(before) / max(want_days, 1)
    best: Plan | None = None
    rounds = len(_BALANCE_CAPS)
    for n, factor in enumerate(_BALANCE_CAPS):
        remaining = total - (time.perf_counter() - started)
        if remaining <= 0.05 * total:
            break
        cap = mean * factor
        days = [replace(d, max_duration_min=min(cap, d.end_min - d.start_min))
                for d in problem.days]
        plan = solve(replace(problem, days=days, time_limit_s=remaining / (rounds - n)))
        left = sum(1 for sid, _ in plan.unplanned
                   if any(s.id == sid and s.required for s in problem.stops))
        if (plan.planned_visits < base.planned_visits or left > required_left
                or plan.travel_min > base.travel_min * (1 + max_extra_travel) + 1e-6):
            continue  # this cap costs visits or too much travel: try the next (or stop)
        ratio_now = Balance.ratio(day_lengths(plan)) or math.inf
        if best is None or ratio_now < (Balance.ratio(day_lengths(best)) or math.inf):
            best = plan
        if _balanced_enough(plan, tolerance, want_days):
            break
    if best is None:
        return result(base, False, "no balanced plan kept every visit within the travel "
                                   f"bound (+{max_extra_travel:.0%}); the days stay as planned")
    met = _balanced_enough(best, tolerance, want_days)
    ratio = Balance.ratio(day_lengths(best)) or 0.0
    note = (f"longest day {ratio:.2f} x the shortest" +
            ("" if met else f" (tolerance {tolerance:g} not reached within the time limit)"))
    return result(best, met, note)
