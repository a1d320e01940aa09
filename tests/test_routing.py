"""The routing core (models/engines/routing.py): orders, windows, reasons, days apart, priorities,
travel matrices and determinism, on small problems with known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.engines import routing
from models.engines.routing import Day, Depot, RouteProblem, Stop, solve

BASE = Depot(lat=36.66, lon=117.02)
LIMIT = 0.5  # small problems converge long before this


def east(km: float) -> tuple[float, float]:
    """A point ``km`` east of the base (about 89.4 km per degree of longitude here)."""
    return BASE.lat, BASE.lon + km / (111.32 * np.cos(np.radians(BASE.lat)))


def stop(sid: str, km: float, **kw) -> Stop:
    lat, lon = east(km)
    return Stop(id=sid, lat=lat, lon=lon, **kw)


def brute_force(matrix: np.ndarray) -> tuple[float, list[tuple[int, ...]]]:
    """The best tour cost over every order of the stops, and every order reaching it."""
    n = len(matrix) - 1
    costs = {order: routing.route_cost(matrix, order) for order in itertools.permutations(range(n))}
    best = min(costs.values())
    return best, [o for o, c in costs.items() if abs(c - best) < 1e-9]


def test_a_tiny_case_finds_the_known_best_order():
    rng = np.random.default_rng(3)
    matrix = rng.integers(5, 60, size=(7, 7)).astype(float)  # asymmetric: one best order
    np.fill_diagonal(matrix, 0)
    best, orders = brute_force(matrix)
    assert len(orders) == 1
    stops = [Stop(id=f"S{i}") for i in range(6)]
    plan = solve(RouteProblem(BASE, stops, [Day(480, 1080)], travel_min=matrix,
                              time_limit_s=LIMIT))
    assert plan.unplanned == []
    assert plan.days[0].stop_ids == [f"S{i}" for i in orders[0]]
    assert plan.objective == pytest.approx(best)
    assert plan.days[0].travel_min == pytest.approx(best)


def test_a_window_forces_the_order():
    # Two shops east of the base; either order drives the same distance. Only the customers'
    # hours decide: the one open early comes first, whichever it is.
    for early, late in (("far", "near"), ("near", "far")):
        windows = {early: (480.0, 540.0), late: (600.0, 720.0)}  # 08:00-09:00, 10:00-12:00
        stops = [stop("near", 2.0, service_min=20, window=windows["near"]),
                 stop("far", 6.0, service_min=20, window=windows["far"])]
        plan = solve(RouteProblem(BASE, stops, [Day(480, 1080)], time_limit_s=LIMIT))
        day = plan.days[0]
        assert day.stop_ids == [early, late]
        for sid, start, leave in zip(day.stop_ids, day.starts_min, day.departures_min):
            assert windows[sid][0] <= start and leave <= windows[sid][1]
        # arrive, wait for the window, visit, drive on
        assert day.starts_min[1] == pytest.approx(600.0)
        assert day.arrivals_min[1] == pytest.approx(day.departures_min[0] + day.legs_min[1])
        assert day.starts_min[1] - day.arrivals_min[1] == pytest.approx(
            day.wait_min, abs=1e-6)


def test_stops_that_cannot_be_planned_are_reported_with_the_reason():
    stops = [
        stop("evening", 3.0, service_min=30, window=(1140, 1260)),   # 19:00-21:00
        stop("marathon", 1.0, service_min=700),                     # longer than the day
        Stop(id="nowhere", lat=None, lon=None, service_min=20),     # no coordinates
        stop("ok", 1.0, service_min=20),
    ]
    plan = solve(RouteProblem(BASE, stops, [Day(480, 1080), Day(480, 1080)],
                              time_limit_s=LIMIT))
    reasons = dict(plan.unplanned)
    assert set(reasons) == {"evening", "marathon", "nowhere"}
    assert reasons["evening"].startswith(routing.OUTSIDE_WINDOWS)
    assert "19:00-21:00" in reasons["evening"]
    assert reasons["marathon"].startswith(routing.LONGER_THAN_DAY)
    assert reasons["nowhere"].startswith(routing.NO_COORDINATES)
    assert [sid for d in plan.days for sid in d.stop_ids] == ["ok"]


def test_an_s_customer_is_placed_on_days_at_least_two_apart():
    # Two visits of the S customer, both allowed on Monday to Wednesday only: the only days
    # 2 apart are Monday and Wednesday. Other customers fill the week.
    s_visits = [stop("S1", 2.0, service_min=45, days=(0, 1, 2)) for _ in range(2)]
    others = [stop(f"A{i}", 1.0 + i % 4, service_min=30) for i in range(8)]
    days = [Day(480, 1080, label=f"d{i}") for i in range(5)]
    plan = solve(RouteProblem(BASE, s_visits + others, days, min_days_apart={"S1": 2},
                              time_limit_s=1.0))
    on = [d.day for d in plan.days for sid in d.stop_ids if sid == "S1"]
    assert sorted(on) == [0, 2]
    assert plan.unplanned == []

    # Free to use the whole week, two visits still land at least 2 days apart.
    free = [stop("S2", 3.0, service_min=45) for _ in range(2)]
    plan = solve(RouteProblem(BASE, free + others, days, min_days_apart={"S2": 2},
                              time_limit_s=1.0))
    on = sorted(d.day for d in plan.days for sid in d.stop_ids if sid == "S2")
    assert len(on) == 2 and on[1] - on[0] >= 2


def test_optional_stops_are_dropped_before_required_ones():
    # A two-hour day holds about four 20-minute visits. The optional ones carry a high value,
    # the required ones none, and still every required stop is planned first.
    required = [stop(f"R{i}", 1.0 + 0.3 * i, service_min=20) for i in range(3)]
    optional = [stop(f"O{i}", 1.2 + 0.3 * i, service_min=20, required=False, priority=10.0)
                for i in range(5)]
    plan = solve(RouteProblem(BASE, optional + required, [Day(480, 600)], time_limit_s=LIMIT))
    planned = plan.days[0].stop_ids
    assert {"R0", "R1", "R2"} <= set(planned)
    left = dict(plan.unplanned)
    assert left and all(sid.startswith("O") for sid in left)
    assert all(reason.startswith(routing.DID_NOT_FIT) and "optional" in reason
               for reason in left.values())
    assert plan.days[0].end_min <= 600 + 1e-6

    # Among optional stops, the higher priority wins the one free slot.
    low = stop("low", 1.0, service_min=60, required=False, priority=1.0)
    high = stop("high", 1.0, service_min=60, required=False, priority=3.0)
    plan = solve(RouteProblem(BASE, [low, high], [Day(480, 560)], time_limit_s=LIMIT))
    assert plan.days[0].stop_ids == ["high"]
    assert [sid for sid, _ in plan.unplanned] == ["low"]


def test_required_stops_that_do_not_fit_are_named():
    required = [stop(f"R{i}", 1.0, service_min=50) for i in range(4)]  # 200 min in 120
    plan = solve(RouteProblem(BASE, required, [Day(480, 600)], time_limit_s=LIMIT))
    assert len(plan.days[0].stop_ids) == 2
    assert len(plan.unplanned) == 2
    assert all(r.startswith(routing.DID_NOT_FIT) and "workdays are full" in r
               for _, r in plan.unplanned)


def test_a_travel_matrix_replaces_the_built_in_travel_model():
    # The coordinates put both shops 1 km away; the matrix says the road takes an hour.
    stops = [stop("A", 1.0, service_min=10), stop("B", 1.0, service_min=10)]
    matrix = np.array([[0, 60, 61], [60, 0, 5], [61, 5, 0]], dtype=float)
    plan = solve(RouteProblem(BASE, stops, [Day(480, 1080)], travel_min=matrix,
                              time_limit_s=LIMIT))
    day = plan.days[0]
    assert day.stop_ids == ["A", "B"] or day.stop_ids == ["B", "A"]
    assert day.travel_min == pytest.approx(60 + 5 + 61)
    assert day.arrivals_min[0] - day.start_min == pytest.approx(matrix[0, 1 + stops.index(
        next(s for s in stops if s.id == day.stop_ids[0]))])
    # distances still come from the coordinates when no distance matrix is given
    assert day.distance_km is not None and day.distance_km < 5
    # a matrix that does not match the stops is refused
    with pytest.raises(routing.RoutingError, match="3x3"):
        solve(RouteProblem(BASE, stops, [Day(480, 1080)], travel_min=np.zeros((2, 2))))


def test_the_built_in_travel_model_is_haversine_times_road_factor_at_30_kmh():
    a = stop("A", 10.0)
    plan = solve(RouteProblem(BASE, [a], [Day(480, 1080)], time_limit_s=LIMIT))
    day = plan.days[0]
    straight = float(routing.haversine_km(BASE.lat, BASE.lon, a.lat, a.lon))
    assert straight == pytest.approx(10.0, rel=0.01)
    assert day.distance_km == pytest.approx(2 * straight * routing.ROAD_FACTOR, rel=1e-3)
    assert day.travel_min == pytest.approx(day.distance_km / 30 * 60, rel=1e-3)


def test_the_same_seed_gives_the_same_plan():
    rng = np.random.default_rng(11)
    stops = [stop(f"C{i}", float(rng.uniform(0.5, 8)), service_min=float(rng.choice([15, 30])),
                  window=(480.0, 720.0) if i % 3 == 0 else None, required=i % 2 == 0,
                  priority=float(rng.integers(1, 5)))
             for i in range(14)]
    days = [Day(480, 780), Day(480, 780)]

    def run():
        plan = solve(RouteProblem(BASE, stops, days, time_limit_s=5.0, seed=4))
        return [(d.stop_ids, d.arrivals_min) for d in plan.days], plan.unplanned

    assert run() == run()


# --- balanced days ---------------------------------------------------------------------------

def test_forty_visits_are_spread_over_all_five_days():
    rng = np.random.default_rng(5)
    stops = [Stop(id=f"V{i:02d}", lat=BASE.lat + rng.uniform(-0.05, 0.05),
                  lon=BASE.lon + rng.uniform(-0.06, 0.06), service_min=30,
                  window=(510.0, 1050.0)) for i in range(40)]
    days = [Day(480, 1080, label=f"d{d}") for d in range(5)]
    plan, balance = routing.solve_balanced(RouteProblem(BASE, stops, days, time_limit_s=4.0))
    lengths = routing.day_lengths(plan)
    assert plan.unplanned == [] and plan.planned_visits == 40
    assert all(d > 0 for d in lengths)
    assert max(lengths) / min(lengths) <= routing.BALANCE_TOLERANCE
    assert balance.met and balance.days_after == lengths
    # bounded: balancing never adds more than the allowed share of travel
    assert balance.travel_after_min <= balance.travel_before_min * (
        1 + routing.BALANCE_MAX_EXTRA) + 1e-6
    for day in plan.days:  # each day within the cap it was given and the workday
        assert day.start_min >= 480 - 1e-6 and day.end_min <= 1080 + 1e-6


def test_a_capped_day_is_never_longer_than_its_cap():
    stops = [stop(f"S{i}", 2.0 + i, service_min=60) for i in range(4)]
    days = [Day(480, 1080, max_duration_min=200), Day(480, 1080, max_duration_min=200)]
    plan = solve(RouteProblem(BASE, stops, days, time_limit_s=LIMIT))
    assert plan.unplanned == []
    assert all(d <= 200 + 1e-6 for d in routing.day_lengths(plan))
    assert plan.days_used == 2  # 4 hours of visits do not fit in one 200-minute day


# --- coordinates for Chinese map apps (models/engines/geo.py) ------------------------------------------

# Published reference points, each checked within 1 m:
# - github.com/wandergis/coordtransform, README: wgs84togcj02(116.404, 39.915) ->
#   [116.41024449916938, 39.91640428150164]; gcj02tobd09(116.404, 39.915) ->
#   [116.41036949371029, 39.92133699351022].
# - github.com/googollee/eviltransform, the WGS-84 -> GCJ-02 test table of its Go package
#   (transform_test.go: Shanghai, Shenzhen, Beijing).
GCJ_REFERENCE = [
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),      # coordtransform
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # eviltransform
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # eviltransform
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # eviltransform
]


@pytest.mark.parametrize(("wgs", "gcj"), GCJ_REFERENCE)
def test_wgs84_to_gcj02_matches_published_points(wgs, gcj):
    from models.engines import geo

    got = geo.wgs84_to_gcj02(*wgs)
    assert geo.distance_m(*got, *gcj) < 1.0
    assert geo.distance_m(*wgs, *gcj) > 100  # the offset is real, so the test can fail
    back = geo.to_wgs84(*gcj, "gcj02")
    assert geo.distance_m(*back, *wgs) < 1.0


def test_gcj02_to_bd09_matches_the_published_point():
    from models.engines import geo

    got = geo.gcj02_to_bd09(39.915, 116.404)
    assert geo.distance_m(*got, 39.92133699351022, 116.41036949371029) < 1.0


def test_outside_china_gcj02_is_wgs84():
    from models.engines import geo

    assert geo.wgs84_to_gcj02(51.5007, -0.1246) == (51.5007, -0.1246)


def test_map_settings_are_checked():
    from models.core.errors import UserError
    from models.engines import geo

    assert geo.source_datum({}) == "wgs84" and geo.source_datum({geo.ENV_COORDINATES:
                                                                 "GCJ-02"}) == "gcj02"
    assert geo.default_map_app({}) == "amap"
    assert geo.default_map_app({geo.ENV_MAP_APP: "baidu"}) == "baidu"
    with pytest.raises(UserError, match="SALESDESK_MAP_APP"):
        geo.default_map_app({geo.ENV_MAP_APP: "osm"})
    assert geo.tile_url({}) is None
    url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert geo.tile_url({geo.ENV_TILES: url}) == url
    with pytest.raises(UserError, match="SALESDESK_MAP_TILES"):
        geo.tile_url({geo.ENV_TILES: "ftp://tiles"})
