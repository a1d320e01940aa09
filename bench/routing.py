"""Route planner benchmark: public instances with known optima, solved through
``models.routing.solve`` with a travel matrix, plus a day and a week of sales visits.

    .venv/bin/python bench/routing.py [--time-limit 1.0] [--home DIR] [--skip-solomon]

- TSPLIB eil51, berlin52, st70, eil76, pr76, kroA100 (EUC_2D, distances rounded to integers):
  gap to the optimal tour at ``time_limit`` seconds each (targets: mean <= 0.3 %, worst <= 1.5 %).
- Solomon C101, R101, RC101 (capacity 200, fewest vehicles first, then distance) at 5 x
  ``time_limit``: vehicles against the best known (target: C101 and R101 reach it).
- A 12-stop day with visit windows, checked against the exact optimum (a dynamic programme
  over subsets): target optimal at ``time_limit``.
- A synthetic week of about 120 visits over 5 days (S customers twice, days apart) and, with
  ``--home`` or ``SALESDESK_HOME`` set, the week of the demo rep with the most due visits:
  target feasible and planned in under 10 s.

Prints a table and writes ``bench/results/routing.json``. ``run(time_limit_s)`` returns the rows
(for ``make bench``). Instance files and their provenance: ``bench/routing_data/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from models import routing

HERE = Path(__file__).resolve().parent
DATA = HERE / "routing_data"
RESULTS = HERE / "results"

TSP_OPTIMA = {"eil51": 426, "berlin52": 7542, "st70": 675, "eil76": 538, "pr76": 108159,
              "kroA100": 21282}
# SINTEF best known: (vehicles, distance), fewest vehicles first.
SOLOMON_BEST = {"C101": (10, 828.94), "R101": (19, 1650.80), "RC101": (14, 1696.95)}
WEEK_TARGET_S = 10.0


# --- instances -------------------------------------------------------------------------------

def read_tsp(path: Path) -> np.ndarray:
    """The TSPLIB EUC_2D distance matrix: nint(euclidean distance)."""
    points, inside = [], False
    for line in path.read_text().splitlines():
        if line.startswith("NODE_COORD_SECTION"):
            inside = True
            continue
        if line.strip() in ("EOF", ""):
            if inside and points:
                break
            continue
        if inside:
            _, x, y = line.split()[:3]
            points.append((float(x), float(y)))
    xy = np.array(points)
    return np.floor(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) + 0.5)


def read_solomon(path: Path) -> tuple[int, int, np.ndarray]:
    """(vehicles, capacity, rows of [x, y, demand, ready, due, service]) with the depot first."""
    lines = path.read_text().splitlines()
    vehicles = capacity = 0
    rows = []
    for i, line in enumerate(lines):
        if line.strip().startswith("NUMBER"):
            vehicles, capacity = (int(v) for v in lines[i + 1].split()[:2])
        parts = line.split()
        if len(parts) == 7 and all(p.replace(".", "").isdigit() for p in parts):
            rows.append([float(p) for p in parts[1:]])
    return vehicles, capacity, np.array(rows)


def tsp_problem(matrix: np.ndarray, time_limit_s: float) -> routing.RouteProblem:
    n = len(matrix)
    return routing.RouteProblem(
        depot=routing.Depot(), stops=[routing.Stop(id=str(i + 1)) for i in range(1, n)],
        days=[routing.Day(0, routing.OPEN_MIN)], travel_min=matrix, time_limit_s=time_limit_s,
        patience=10**9)  # use the whole second


def solomon_problem(rows: np.ndarray, vehicles: int, capacity: int, time_limit_s: float,
                    ) -> routing.RouteProblem:
    xy = rows[:, :2]
    matrix = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    stops = [routing.Stop(id=str(i), service_min=r[5], demand=int(r[2]),
                          # Solomon's due date is the latest start; Stop.window holds the visit
                          window=(r[3], r[4] + r[5]))
             for i, r in enumerate(rows[1:], start=1)]
    depot_due = rows[0, 4]
    days = [routing.Day(0, depot_due, capacity=capacity, fixed_cost_min=100_000)
            for _ in range(vehicles)]
    return routing.RouteProblem(depot=routing.Depot(), stops=stops, days=days, travel_min=matrix,
                                time_limit_s=time_limit_s, patience=10**9)


def synthetic_day(seed: int = 12, n: int = 12) -> routing.RouteProblem:
    """A rep's day in town: 12 shops within ~6 km of the base, a third with narrow windows."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 36.66, 117.02
    stops = []
    for i in range(n):
        lat = lat0 + rng.uniform(-0.05, 0.05)
        lon = lon0 + rng.uniform(-0.06, 0.06)
        window = None
        if i % 3 == 0:
            start = float(rng.choice([540, 600, 780, 840]))
            window = (start, start + 120)
        stops.append(routing.Stop(id=f"D{i:02d}", lat=lat, lon=lon,
                                  service_min=float(rng.choice([15, 20, 30, 45])),
                                  window=window))
    return routing.RouteProblem(depot=routing.Depot(lat0, lon0), stops=stops,
                                days=[routing.Day(480, 1080)], time_limit_s=1.0)


def synthetic_week(seed: int = 120, customers: int = 110, time_limit_s: float = 6.0,
                   ) -> routing.RouteProblem:
    """About 120 visits over 5 days: 10 S customers twice (2 days apart), 30 A must-visits,
    the rest optional; windows like the demo data's."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 36.66, 117.02
    windows = [(510, 1050), (480, 720), (840, 1080), (540, 1020), (600, 1200)]
    stops, apart = [], {}
    for i in range(customers):
        tier = "S" if i < 10 else "A" if i < 40 else "B" if i < 70 else "C"
        lat = lat0 + rng.uniform(-0.08, 0.08)
        lon = lon0 + rng.uniform(-0.10, 0.10)
        window = windows[int(rng.integers(len(windows)))]
        minutes = {"S": 45, "A": 30, "B": 20, "C": 15}[tier]
        copies = 2 if tier == "S" else 1
        for _ in range(copies):
            stops.append(routing.Stop(id=f"W{i:03d}", lat=lat, lon=lon, service_min=minutes,
                                      window=window, required=tier in "SA",
                                      priority=float(rng.integers(1, 5))))
        if copies > 1:
            apart[f"W{i:03d}"] = 2
    days = [routing.Day(480, 1080, label=f"day {d + 1}") for d in range(5)]
    return routing.RouteProblem(depot=routing.Depot(lat0, lon0), stops=stops, days=days,
                                min_days_apart=apart, time_limit_s=time_limit_s)


# --- exact optimum of a small day (for the 12-stop check) ------------------------------------

def exact_day_optimum(problem: routing.RouteProblem) -> float:
    """Least travel minutes visiting every stop within windows and the workday: a dynamic
    programme over (visited set, last stop) keeping Pareto labels (travel, clock), in the
    solver's integer seconds."""
    stops = problem.stops
    n = len(stops)
    lats = [problem.depot.lat] + [s.lat for s in stops]
    lons = [problem.depot.lon] + [s.lon for s in stops]
    km = routing.road_km_matrix(lats, lons, problem.road_factor)
    t = np.rint(routing.travel_minutes(km, problem.speed_kmh) * 60).astype(np.int64)
    day = problem.days[0]
    start, end = int(day.start_min * 60), int(day.end_min * 60)
    service = [int(round(s.service_min * 60)) for s in stops]
    early = [int(round(s.window[0] * 60)) if s.window else 0 for s in stops]
    late = [int(round((s.window[1] - s.service_min) * 60)) if s.window else end for s in stops]
    labels: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for j in range(n):
        arrive = start + t[0, j + 1]
        begin = max(arrive, early[j])
        if begin <= late[j]:
            labels[(1 << j, j)] = [(int(t[0, j + 1]), begin + service[j])]
    best = math.inf
    for mask in range(1, 1 << n):
        for j in range(n):
            for cost, clock in labels.get((mask, j), []):
                if mask == (1 << n) - 1:
                    if clock + t[j + 1, 0] <= end:
                        best = min(best, cost + t[j + 1, 0])
                    continue
                for k in range(n):
                    if mask & (1 << k):
                        continue
                    begin = max(clock + t[j + 1, k + 1], early[k])
                    if begin > late[k]:
                        continue
                    new = (cost + int(t[j + 1, k + 1]), begin + service[k])
                    key = (mask | (1 << k), k)
                    bucket = labels.setdefault(key, [])
                    if any(c <= new[0] and x <= new[1] for c, x in bucket):
                        continue
                    bucket[:] = [(c, x) for c, x in bucket if not (new[0] <= c and new[1] <= x)]
                    bucket.append(new)
    return best / 60


# --- runs ------------------------------------------------------------------------------------

def _row(case: str, kind: str, **values) -> dict:
    return {"case": case, "kind": kind, **values}


def bench_tsp(time_limit_s: float) -> list[dict]:
    rows = []
    for name, optimum in TSP_OPTIMA.items():
        matrix = read_tsp(DATA / "tsplib" / f"{name}.tsp")
        plan = routing.solve(tsp_problem(matrix, time_limit_s))
        gap = (plan.objective - optimum) / optimum * 100
        rows.append(_row(name, "tsp", nodes=len(matrix), best_known=optimum,
                         found=round(plan.objective, 2), gap_pct=round(gap, 3),
                         seconds=round(plan.solve_seconds, 2),
                         unplanned=len(plan.unplanned)))
    return rows


def bench_solomon(time_limit_s: float) -> list[dict]:
    rows = []
    for name, (vehicles_best, distance_best) in SOLOMON_BEST.items():
        path = DATA / "solomon" / f"{name}.txt"
        if not path.exists():
            continue
        vehicles, capacity, data = read_solomon(path)
        plan = routing.solve(solomon_problem(data, vehicles, capacity, time_limit_s))
        used = plan.days_used
        distance = plan.travel_min
        rows.append(_row(name, "vrptw", nodes=len(data) - 1, best_known=distance_best,
                         best_known_vehicles=vehicles_best, vehicles=used,
                         found=round(distance, 2),
                         gap_pct=round((distance - distance_best) / distance_best * 100, 3),
                         seconds=round(plan.solve_seconds, 2),
                         unplanned=len(plan.unplanned), feasible=plan.feasible))
    return rows


def bench_day(time_limit_s: float) -> list[dict]:
    problem = synthetic_day()
    problem.time_limit_s = time_limit_s
    optimum = exact_day_optimum(problem)
    plan = routing.solve(problem)
    gap = (plan.objective - optimum) / optimum * 100
    return [_row("day-12-stops", "day", nodes=len(problem.stops), best_known=round(optimum, 2),
                 found=round(plan.objective, 2), gap_pct=round(gap, 3),
                 seconds=round(plan.solve_seconds, 2), unplanned=len(plan.unplanned))]


def bench_week() -> list[dict]:
    problem = synthetic_week()
    plan = routing.solve(problem)
    required = [s.id for s in problem.stops if s.required]
    missing_required = sum(1 for sid, _ in plan.unplanned if sid in set(required))
    return [_row("week-synthetic", "week", nodes=len(problem.stops),
                 visits=plan.planned_visits, found=round(plan.objective, 2),
                 seconds=round(plan.solve_seconds, 2), unplanned=len(plan.unplanned),
                 unplanned_required=missing_required, feasible=plan.feasible,
                 days_apart_ok=_days_apart_ok(problem, plan))]


def _days_apart_ok(problem: routing.RouteProblem, plan: routing.Plan) -> bool:
    days: dict[str, list[int]] = {}
    for day in plan.days:
        for sid in day.stop_ids:
            days.setdefault(sid, []).append(day.day)
    for sid, gap in problem.min_days_apart.items():
        placed = sorted(days.get(sid, []))
        if any(b - a < gap for a, b in zip(placed, placed[1:])):
            return False
    return True


def bench_demo_week(home: Path) -> list[dict]:
    from models import planner
    from models.access import ALL_DATA
    from models.warehouse import get_warehouse

    wh = get_warehouse(home)
    reps = planner.reps(wh, ALL_DATA).sort(["due_visits", "rep_id"], descending=[True, False])
    if reps.is_empty():
        return []
    rep_id = reps["rep_id"][0]
    as_of = planner.as_of_date(wh, ALL_DATA)
    started = time.perf_counter()
    rp = planner.plan_route(wh, ALL_DATA, rep_id, planner.week_days(as_of))
    seconds = time.perf_counter() - started
    problem_size = int(rp.due["visits"].sum())
    return [_row(f"demo-week-{rep_id}", "week", nodes=problem_size,
                 visits=rp.optimised.visits, found=round(rp.plan.objective, 2),
                 seconds=round(seconds, 2), solve_seconds=round(rp.plan.solve_seconds, 2),
                 unplanned=rp.unplanned.height,
                 unplanned_required=int(rp.unplanned["must_visit"].sum()),
                 feasible=rp.plan.feasible, km=round(rp.optimised.km, 1),
                 naive_km=round(rp.naive.km, 1), hours_saved=round(rp.hours_saved, 2))]


def targets(rows: list[dict], time_limit_s: float) -> list[tuple[str, bool, str]]:
    """The issue's targets, met or not, with the figure behind each."""
    out = []
    rows = [r for r in rows if r["kind"] != "summary"]
    tsp = [r for r in rows if r["kind"] == "tsp"]
    if tsp:
        mean = sum(r["gap_pct"] for r in tsp) / len(tsp)
        worst = max(r["gap_pct"] for r in tsp)
        out.append((f"TSPLIB mean gap <= 0.3 % at {time_limit_s:g} s", mean <= 0.3,
                    f"{mean:.3f} %"))
        out.append((f"TSPLIB worst gap <= 1.5 % at {time_limit_s:g} s", worst <= 1.5,
                    f"{worst:.3f} %"))
    for r in rows:
        if r["kind"] == "vrptw" and r["case"] in ("C101", "R101"):
            out.append((f"{r['case']} best-known vehicles ({r['best_known_vehicles']}) "
                        f"within {5 * time_limit_s:g} s",
                        r["vehicles"] <= r["best_known_vehicles"] and r["unplanned"] == 0,
                        f"{r['vehicles']} vehicles, {r['found']:.2f}"))
        if r["kind"] == "day":
            out.append((f"12-stop day optimal in {time_limit_s:g} s", r["gap_pct"] <= 1e-6,
                        f"gap {r['gap_pct']:.3f} %"))
        if r["kind"] == "week":
            ok = (r["feasible"] and r["unplanned_required"] == 0
                  and r["seconds"] < WEEK_TARGET_S and r.get("days_apart_ok", True))
            out.append((f"{r['case']} ({r['nodes']} visits) feasible in < {WEEK_TARGET_S:g} s",
                        ok, f"{r['seconds']:.1f} s, {r['unplanned_required']} required "
                            "unplanned"))
    return out


def annotate(rows: list[dict], time_limit_s: float) -> list[dict]:
    """Give every row a name, value, unit, target and met (None: no target of its own), and
    append summary rows for the TSPLIB mean and worst gap; ``make bench`` prints these."""
    for r in rows:
        if r["kind"] == "tsp":
            r.update(name=f"TSP {r['case']} ({r['nodes']} nodes) gap at {time_limit_s:g} s",
                     value=r["gap_pct"], unit="%", target="", met=None)
        elif r["kind"] == "vrptw":
            targeted = r["case"] in ("C101", "R101")
            r.update(name=f"VRPTW {r['case']} vehicles at {5 * time_limit_s:g} s "
                          f"({r['found']:.2f} vs {r['best_known']:.2f})",
                     value=r["vehicles"], unit="vehicles",
                     target=f"<= {r['best_known_vehicles']}" if targeted else "",
                     met=(r["vehicles"] <= r["best_known_vehicles"] and r["unplanned"] == 0)
                     if targeted else None)
        elif r["kind"] == "day":
            r.update(name=f"12-stop day gap to the exact optimum at {time_limit_s:g} s",
                     value=r["gap_pct"], unit="%", target="0 %", met=r["gap_pct"] <= 1e-6)
        elif r["kind"] == "week":
            r.update(name=f"{r['case']} ({r['nodes']} visits), feasible", value=r["seconds"],
                     unit="s", target=f"< {WEEK_TARGET_S:g} s",
                     met=bool(r["feasible"] and r["unplanned_required"] == 0
                              and r["seconds"] < WEEK_TARGET_S
                              and r.get("days_apart_ok", True)))
    tsp = [r for r in rows if r["kind"] == "tsp"]
    summary = []
    if tsp:
        mean = sum(r["gap_pct"] for r in tsp) / len(tsp)
        worst = max(r["gap_pct"] for r in tsp)
        summary = [
            {"case": "TSPLIB mean", "kind": "summary", "name": "TSPLIB mean gap",
             "value": round(mean, 3), "unit": "%", "target": "<= 0.3 %", "met": mean <= 0.3},
            {"case": "TSPLIB worst", "kind": "summary", "name": "TSPLIB worst gap",
             "value": round(worst, 3), "unit": "%", "target": "<= 1.5 %", "met": worst <= 1.5}]
    return rows + summary


def run(time_limit_s: float = 1.0, home: Path | None = None, solomon: bool = True,
        write: bool = True) -> list[dict]:
    """Every case; the rows (each with name, value, unit, target and met, plus summary rows).
    Writes bench/results/routing.json unless ``write`` is False."""
    rows = bench_tsp(time_limit_s)
    if solomon:
        rows += bench_solomon(5 * time_limit_s)
    rows += bench_day(time_limit_s)
    rows += bench_week()
    home = home or (Path(os.environ["SALESDESK_HOME"]) if os.environ.get("SALESDESK_HOME")
                    else None)
    if home is not None and (home / "warehouse" / "current.duckdb").exists():
        rows += bench_demo_week(home)
    rows = annotate(rows, time_limit_s)
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        payload = {"time_limit_s": time_limit_s, "rows": rows,
                   "targets": [{"target": t, "met": ok, "figure": f}
                               for t, ok, f in targets(rows, time_limit_s)]}
        (RESULTS / "routing.json").write_text(json.dumps(payload, indent=2, default=str))
    return rows


def print_table(rows: list[dict], time_limit_s: float) -> None:
    header = f"{'case':<18} {'kind':<6} {'n':>4} {'best known':>12} {'found':>12} " \
             f"{'gap %':>7} {'veh':>7} {'s':>6} {'unpl':>5}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if r["kind"] == "summary":
            continue
        vehicles = (f"{r['vehicles']}/{r['best_known_vehicles']}" if "vehicles" in r else "")
        best = r.get("best_known", "")
        gap = f"{r['gap_pct']:.2f}" if "gap_pct" in r else ""
        print(f"{r['case']:<18} {r['kind']:<6} {r['nodes']:>4} {best!s:>12} "
              f"{r['found']!s:>12} {gap:>7} {vehicles:>7} {r['seconds']:>6.2f} "
              f"{r['unplanned']:>5}")
    print()
    for target, ok, figure in targets(rows, time_limit_s):
        print(f"{'met    ' if ok else 'NOT met'}  {target}: {figure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=1.0,
                        help="seconds per TSP and per day (Solomon gets 5 x)")
    parser.add_argument("--home", type=Path, help="a data folder with a built warehouse "
                                                  "(default $SALESDESK_HOME) for a demo week")
    parser.add_argument("--skip-solomon", action="store_true")
    args = parser.parse_args(argv)
    rows = run(args.time_limit, args.home, solomon=not args.skip_solomon)
    print_table(rows, args.time_limit)
    print(f"\nwritten {RESULTS / 'routing.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
