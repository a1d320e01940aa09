"""`make bench`: every figure the desk is judged by, with its target, at each scale.

    .venv/bin/python -m bench.run [--scale 1 --scale 10] [--no-soak] [--keep DIR]

For each scale, on fresh demo data in a temporary folder (or ``--keep DIR``):

- demo generation, ingest and the full ``salesdesk build``: time and peak memory;
- a full build and the incremental build after one new day of orders (bench/incremental.py):
  time, peak memory and their ratio;
- the models' compiled SQL run directly in DuckDB (bench/direct_sql.py): dbt's overhead;
- server-side render time of every page, cold and warm (bench/page_speed.py), and the memory of
  the app process after a browser opened every page;
- on the first scale only: the same lake built again with one DuckDB thread and every table
  compared to the bit (bench/reproducible.py), route planning (bench/routing.py), ad hoc SQL (worker overhead, time
  to refuse a runaway query), the commission what-if for a year of one region, and the
  resilience run (bench/soak.py: rebuilds under load, a killed build, a full disk).

Prints a table (figure, value, target, met) and writes it as JSON to
``bench/results/bench-<time>.json`` and ``bench/results/latest.json``. Targets are reported,
never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, section: str, figure: str, value, unit: str = "", target: str = "",
            met: bool | None = None) -> None:
        self.rows.append({"section": section, "figure": figure, "value": value, "unit": unit,
                          "target": target, "met": met})
        print(self.format(self.rows[-1]), flush=True)

    @staticmethod
    def format(row: dict) -> str:
        value = row["value"]
        if isinstance(value, float):
            value = f"{value:,.2f}"
        met = {True: "met", False: "NOT MET", None: ""}[row["met"]]
        return (f"{row['section']:<14} {row['figure']:<44} {str(value) + ' ' + row['unit']:>18}"
                f"  {row['target']:<16} {met}")


def stage(table: Table, section: str, name: str, fn):
    """Run one measurement; a failure is recorded as a row, and the bench goes on."""
    try:
        return fn()
    except BaseException as e:  # noqa: BLE001 - a bench reports, it does not stop
        if isinstance(e, KeyboardInterrupt):
            raise
        table.add(section, f"{name} FAILED", f"{type(e).__name__}: {str(e)[:80]}")
        traceback.print_exc()
        return None


def bench_scale(table: Table, scale: float, home: Path, first: bool, soak: bool) -> None:
    from bench.direct_sql import direct_build
    from bench.page_speed import app_memory, render_times
    from bench.pipeline import measure

    sec = f"scale {scale:g}"
    figures = stage(table, sec, "pipeline", lambda: measure(scale, home))
    if figures is None:
        return
    table.add(sec, "order lines", f"{figures['order_lines']:,}")
    table.add(sec, "demo generation", figures["demo"]["seconds"], "s")
    table.add(sec, "demo peak memory", figures["demo"]["peak_mb"], "MB")
    table.add(sec, "ingest", figures["ingest"]["seconds"], "s")
    table.add(sec, "ingest peak memory", figures["ingest"]["peak_mb"], "MB")
    build_s = figures["build"]["seconds"]
    big = scale >= 10
    table.add(sec, "full salesdesk build", build_s, "s", "< 90 s" if big else "",
              build_s < 90 if big else None)
    table.add(sec, "build peak memory", figures["build"]["peak_mb"], "MB",
              "< 4096 MB" if big else "", figures["build"]["peak_mb"] < 4096 if big else None)
    table.add(sec, "warehouse file", figures["warehouse_mb"], "MB")
    stage(table, sec, "incremental", lambda: bench_incremental(table, sec, scale, home, big))

    direct = stage(table, sec, "direct DuckDB", lambda: direct_build(home))
    if direct:
        ratio = build_s / direct["direct_s"] if direct["direct_s"] else float("inf")
        table.add(sec, "models' SQL run directly in DuckDB", direct["direct_s"], "s")
        table.add(sec, "dbt's own model time", direct["dbt_model_time_s"], "s")
        table.add(sec, "build / direct", ratio, "x", "<= 3x" if big else "",
                  ratio <= 3 if big else None)

    renders = stage(table, sec, "page render", lambda: render_times(home, runs=5))
    for r in renders or []:
        warm_ok, cold_ok = r["warm_s"] < 1, r["cold_s"] < 3
        table.add(sec, f"page {r['page']}: warm (median of 5)", r["warm_s"], "s", "< 1 s",
                  warm_ok if not r["errors"] else False)
        table.add(sec, f"page {r['page']}: cold", r["cold_s"], "s", "< 3 s", cold_ok)
        if r["errors"]:
            table.add(sec, f"page {r['page']}: exception", r["errors"][0][:60])
    memory = stage(table, sec, "app memory", lambda: app_memory(home))
    if memory:
        table.add(sec, "app memory after every page", memory["app_rss_mb"], "MB",
                  "< 1024 MB" if big else "", memory["app_rss_mb"] < 1024 if big else None)

    if not first:
        return
    stage(table, sec, "reproducible", lambda: bench_reproducible(table, sec, home))
    stage(table, "routing", "routing", lambda: bench_routing(table, home))
    stage(table, "ad hoc SQL", "ad hoc SQL", lambda: bench_adhoc(table, home))
    stage(table, "commissions", "what-if", lambda: bench_whatif(table, home))
    if soak:
        stage(table, "resilience", "soak", lambda: bench_soak(table, home))


def bench_reproducible(table: Table, sec: str, home: Path) -> None:
    """The same lake built again with one DuckDB thread: every table identical to the bit."""
    from bench.reproducible import rebuild_and_compare

    figures = rebuild_and_compare(home, threads=1)
    differing = figures["marts_differing"] + figures["others_differing"]
    table.add(sec, "rebuild with 1 DuckDB thread", figures["rebuild_s"], "s")
    table.add(sec, "tables differing from the full build", len(differing),
              f"of {figures['tables']}", "0", not differing)
    for line in differing[:5]:
        table.add(sec, "differs", line[:80])


def bench_routing(table: Table, home: Path) -> None:
    import os

    from bench import routing

    os.environ["SALESDESK_HOME"] = str(home)
    for row in routing.run(time_limit_s=1.0):
        target = row.get("target", "")
        table.add("routing", str(row.get("name", row.get("instance", "?"))),
                  row.get("value", row.get("gap_pct")), row.get("unit", ""), target,
                  row.get("met"))


def bench_adhoc(table: Table, home: Path) -> None:
    from models.core.errors import UserError
    from models.engines import adhoc

    adhoc.run_query("select 1", base=home)  # the worker and the marts extract exist
    times = []
    for _ in range(15):
        t0 = time.perf_counter()
        adhoc.run_query("select count(*) from dim_customers", base=home)
        times.append(time.perf_counter() - t0)
    table.add("ad hoc SQL", "a small query through the worker (median)",
              statistics.median(times) * 1000, "ms")
    for label, sql in [("refuse an endless recursive CTE",
                        "with recursive r(n) as (select 1 union all select n + 1 from r) "
                        "select count(*) from r"),
                       ("refuse a huge cross join",
                        "select count(*) from range(100000000) a, range(100000000) b")]:
        t0 = time.perf_counter()
        try:
            adhoc.run_query(sql, base=home, timeout_s=5)
            outcome = "ran (not refused)"
        except UserError:
            outcome = "refused"
        table.add("ad hoc SQL", f"{label} (5 s limit)", time.perf_counter() - t0, "s",
                  "refused", outcome == "refused")


def bench_whatif(table: Table, home: Path) -> None:
    """Re-price the last complete year of the largest region with every rate doubled."""
    from models.core.scoping import ALL_DATA, Scope
    from models.core.warehouse import Warehouse
    from models.queries import commissions

    wh = Warehouse(home)
    region = wh.query("select region, count(*) as n from fct_commission_lines "
                      "group by region order by n desc limit 1")["region"][0]
    month = commissions.months(wh, ALL_DATA)[1]  # the newest complete month
    start, end = commissions.year_ending(month)
    plan = commissions.plan_in_force(wh, ALL_DATA, end).scaled(2)
    scope = Scope("manager", region=region)
    t0 = time.perf_counter()
    result = commissions.run_whatif(wh, scope, start, end, plan, region=region)
    seconds = time.perf_counter() - t0
    table.add("commissions", f"what-if, a year of {region} (rates x2)", seconds, "s")
    table.add("commissions", "  order lines re-priced", f"{result.lines:,}")


def bench_soak(table: Table, home: Path) -> None:
    from bench import soak

    figures = soak.run(home, sessions=10, max_minutes=25)
    load = figures["rebuilds_under_load"]
    table.add("resilience", "concurrent browser sessions", load["sessions"])
    table.add("resilience", "page views during 3 rebuilds", load["page_views"])
    table.add("resilience", "builds ok / failed on purpose",
              f"{sum(b['ok'] for b in load['builds'])}/"
              f"{sum(not b['ok'] for b in load['builds'])}", "", "2/1",
              load["expected_failures_ok"])
    table.add("resilience", "page errors (exception, lock, timeout)", load["page_errors"], "",
              "0", load["page_errors"] == 0)
    table.add("resilience", "sessions saw the failed build", load["saw_failed_build"], "",
              "False", not load["saw_failed_build"])
    table.add("resilience", "failed build became current", load["failed_build_became_current"],
              "", "False", not load["failed_build_became_current"])
    shown = [b for b in load["new_builds_seen"] if b["during_load"]]
    table.add("resilience", "new good builds shown to sessions",
              f"{sum(b['views_showing_it'] > 0 for b in shown)} of {len(shown)}", "",
              "all", bool(shown) and all(b["views_showing_it"] > 0 for b in shown))
    for b in shown:
        table.add("resilience", f"  {b['build_id']}: sessions showing it",
                  f"{b['sessions_showing_it']} of {load['sessions']}, first after "
                  f"{b['first_view_after_s']} s")
    went_back = load["sessions_that_went_back_to_an_older_build"]
    table.add("resilience", "sessions that went back to an older build", went_back, "", "0",
              went_back == 0)
    table.add("resilience", "page time p50 during rebuilds", load["page_p50_s"], "s")
    table.add("resilience", "page time p95 during rebuilds", load["page_p95_s"], "s")
    killed = figures["killed_build"]
    table.add("resilience", "killed build: killed at (new file / current file)",
              f"{killed['half_written_mb']} / {killed['current_file_mb']} MB after "
              f"{killed['killed_after_s']} s", "", "half way",
              not killed["finished_before_the_kill"] and killed["half_written_mb"] > 0)
    table.add("resilience", "killed build: dashboard kept reading",
              killed["dashboard_reads_old_build"] and killed["current_kept"], "", "True",
              killed["dashboard_reads_old_build"] and killed["current_kept"])
    table.add("resilience", "killed build: next build ok, file removed",
              bool(killed["next_build_ok"] and killed["half_written_removed"]), "", "True",
              bool(killed["next_build_ok"] and killed["half_written_removed"]))
    disk = figures["full_disk"]
    if "skipped" in disk:
        table.add("resilience", "full disk", disk["skipped"][:60])
    else:
        ok = (not disk["build_ok"] and disk["current_kept"] and disk["dashboard_reads"]
              and "disk" in disk["message"].lower())
        table.add("resilience", "full disk: clear error, old build current", ok, "", "True", ok)
    (RESULTS / "soak-latest.json").write_text(json.dumps(figures, indent=2, default=str))


def bench_incremental(table: Table, sec: str, scale: float, home: Path, big: bool) -> None:
    """A full build, then the build after one new day of orders (bench/incremental.py)."""
    from bench.incremental import measure

    f = measure(scale, home.parent / f"incremental-{scale:g}", dt.date(2026, 11, 18))
    table.add(sec, "full build (split lake, up to yesterday)", f["full"]["seconds"], "s")
    table.add(sec, "full build peak memory", f["full"]["peak_mb"], "MB",
              "< 4096 MB" if big else "", f["full"]["peak_mb"] < 4096 if big else None)
    table.add(sec, f"build after one new day ({f['next_day']['mode']}, "
                   f"{f['next_day']['months']} months)", f["next_day"]["seconds"], "s")
    table.add(sec, "next-day build peak memory", f["next_day"]["peak_mb"], "MB")
    table.add(sec, "next day / full", f["ratio"], "x", "<= 0.2x" if big else "",
              f["ratio"] <= 0.2 if big else None)
    shutil.rmtree(home.parent / f"incremental-{scale:g}", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--no-soak", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the data folders here")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    table = Table()
    started = dt.datetime.now(dt.timezone.utc)
    print(f"{'section':<14} {'figure':<44} {'value':>18}  {'target':<16} met")
    parent = args.keep or Path(tempfile.mkdtemp(prefix="salesdesk-bench-"))
    try:
        for i, scale in enumerate(args.scale or [1.0, 10.0]):
            home = parent / f"scale-{scale:g}"
            shutil.rmtree(home, ignore_errors=True)
            bench_scale(table, scale, home, first=(i == 0), soak=not args.no_soak)
            if not args.keep:
                shutil.rmtree(home, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(parent, ignore_errors=True)
    report = {"started_at": started.isoformat(timespec="seconds"),
              "seconds": round((dt.datetime.now(dt.timezone.utc) - started).total_seconds()),
              "rows": table.rows}
    stamp = started.strftime("%Y%m%dT%H%M%S")
    for name in (f"bench-{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2, default=str))
    missed = [r for r in table.rows if r["met"] is False]
    print(f"\n{len(table.rows)} figures, {len(missed)} target(s) not met; "
          f"written to bench/results/bench-{stamp}.json")


if __name__ == "__main__":
    main()
