"""Measure a full build and the incremental build after one new day of orders, at a scale.

    .venv/bin/python -m bench.incremental --scale 1 [--scale 10] [--keep DIR]

The demo is split in two: every order and visit up to yesterday, then today's orders and visits
with a late return booked into an earlier month. The first part is loaded and built in full (as
of yesterday), then the day is loaded and built again (as of today): the build starts from a
copy of the current warehouse and recomputes the changed months (models/pipeline/incremental.py).
Each build runs in its own process; peak memory is the largest resident memory of that process
and dbt together, sampled every 0.2 s.
Prints one JSON line per scale after the table (``bench/run.py`` reads it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE = r"""
import json, sys, time
from pathlib import Path
stage, home, arg = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
out = {}
if stage == "ingest":
    from models.pipeline.ingest import ingest_paths
    ingest_paths([Path(arg)], base=home)
else:
    from models.engines.adhoc import register_build_hook
    from models.pipeline.build import run_build
    register_build_hook()  # as the app and the CLI do
    result = run_build(home, dbt_vars={"as_of_date": arg}, full=stage == "full")
    assert result.ok, result.failures
    out = {"mode": result.mode, "months": len(result.changed_months), "dbt_nodes": result.nodes}
print(json.dumps({"seconds": time.perf_counter() - t0, **out}))  # memory: sampled outside
"""


def tree_peak_mb(proc: subprocess.Popen, interval_s: float = 0.2) -> float:
    """Wait for ``proc``; the largest resident memory of it and its descendants together, sampled
    every ``interval_s``. (A child's own ``ru_maxrss`` counts the parent's pages it was forked
    with, so a build stage that forks dbt after a large query reads as their sum.)"""
    import psutil

    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(interval_s)
    return peak / 1024 ** 2


def run_sampled(args: list[str]) -> tuple[int, str, str, float]:
    """Run ``args``; (exit code, stdout, stderr, peak MB of it and its children, sampled)."""
    import threading

    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    streams: dict[str, str] = {}
    readers = [threading.Thread(target=lambda n=n, f=f: streams.__setitem__(n, f.read()))
               for n, f in (("out", proc.stdout), ("err", proc.stderr))]
    for r in readers:
        r.start()
    peak = tree_peak_mb(proc)
    for r in readers:
        r.join()
    return proc.returncode, streams["out"], streams["err"], peak


def _stage(stage: str, home: Path, arg: str) -> dict:
    code, out, err, peak = run_sampled([sys.executable, "-c", STAGE, stage, str(home), arg])
    if code != 0:
        raise SystemExit(f"{stage} failed:\n{out[-2000:]}\n{err[-3000:]}")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_mb": peak}


def split_demo(root: Path, scale: float, today: dt.date) -> tuple[Path, Path]:
    """The demo at ``scale`` ending ``today``, as two folders: up to yesterday, and today."""
    import polars as pl

    from models.demo.generator import generate

    demo, first, day = root / "demo", root / "first", root / "day"
    generate(demo, scale=scale, seed=42, today=today)
    first.mkdir(parents=True, exist_ok=True)
    day.mkdir(parents=True, exist_ok=True)
    for name in ("customers.csv", "products.csv", "quotas.csv", "reps.csv"):
        shutil.copyfile(demo / name, first / name)
    sales = pl.read_parquet(demo / "sales.parquet")
    # the history in one file per year, as an ERP exports it (and within ingest's file limits)
    history = sales.filter(pl.col("order_date") < today)
    for (year,), part in history.group_by(pl.col("order_date").dt.year()):
        part.write_parquet(first / f"sales_{year}.parquet")
    month_before = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    returned = sales.filter((pl.col("order_date") <= month_before) & (pl.col("quantity") > 0)
                            ).tail(1)
    late_return = returned.with_columns(
        pl.lit("RET-LATE-1").alias("order_id"), pl.lit(month_before).alias("order_date"),
        (-pl.col("quantity")).alias("quantity"))
    pl.concat([sales.filter(pl.col("order_date") == today), late_return]).write_parquet(
        day / "sales_day.parquet")
    visits = pl.read_parquet(demo / "visits.parquet")
    started = pl.col("started_at").cast(pl.Date)
    for (year,), part in visits.filter(started < today).group_by(started.dt.year()):
        part.write_parquet(first / f"visits_{year}.parquet")
    visits.filter(started == today).write_parquet(day / "visits_day.parquet")
    shutil.rmtree(demo)
    return first, day


def measure(scale: float, home: Path, today: dt.date) -> dict:
    first, day = split_demo(home / "raw", scale, today)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    _stage("ingest", home, str(first))
    full = _stage("full", home, yesterday)
    _stage("ingest", home, str(day))
    next_day = _stage("build", home, today.isoformat())
    return {"scale": scale, "full": full, "next_day": next_day,
            "ratio": next_day["seconds"] / full["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 18),
                        help="the demo's last day (default 2026-11-18, a mid-month day)")
    parser.add_argument("--keep", help="keep the data folders here instead of a temporary one")
    args = parser.parse_args()
    for scale in args.scale or [1.0]:
        root = Path(args.keep or tempfile.mkdtemp(prefix="salesdesk-bench-"))
        home = root / f"incremental-{scale:g}"
        shutil.rmtree(home, ignore_errors=True)
        f = measure(scale, home, args.today)
        print(f"scale {scale:g}:")
        print(f"  full build              {f['full']['seconds']:8.1f} s   peak "
              f"{f['full']['peak_mb']:8.0f} MB")
        print(f"  after one day of orders {f['next_day']['seconds']:8.1f} s   peak "
              f"{f['next_day']['peak_mb']:8.0f} MB   ({f['next_day']['mode']}, "
              f"{f['next_day']['months']} month(s))")
        print(f"  ratio                   {f['ratio']:8.2f}")
        print(json.dumps(f))
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
