"""Measure the pipeline at a scale: demo generation, ingest, build; time, peak memory, size.

    .venv/bin/python -m bench.pipeline --scale 1 [--scale 10] [--keep DIR]

Each stage runs in its own process; peak memory is the largest resident memory of the stage's
process and its children (dbt) together, sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

STAGE = r"""
import json, resource, sys, time
from pathlib import Path
stage, home, scale = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
t0 = time.perf_counter()
if stage == "demo":
    from models.demo.generator import generate
    generate(home / "demo", scale=scale, seed=42)
elif stage == "ingest":
    from models.pipeline.ingest import ingest_paths
    ingest_paths([home / "demo"], base=home)
else:
    from models.engines.adhoc import register_build_hook
    from models.pipeline.build import run_build
    register_build_hook()  # as the app and the CLI do
    result = run_build(home)
    assert result.ok, result.failures
seconds = time.perf_counter() - t0
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": max(own, children) / 1024}))
"""


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def measure(scale: float, home: Path) -> dict:
    figures: dict = {"scale": scale}
    from bench.incremental import run_sampled

    for stage in ("demo", "ingest", "build"):
        code, out, err, peak = run_sampled([sys.executable, "-c", STAGE, stage, str(home),
                                            str(scale)])
        if code != 0:
            raise SystemExit(f"{stage} failed at scale {scale}:\n{err[-3000:]}")
        figures[stage] = json.loads(out.strip().splitlines()[-1])
        # the stage's processes together, sampled: a forked child's own ru_maxrss counts the
        # parent's pages it was forked with (the figure before: max(own, children))
        figures[stage]["rusage_peak_mb"] = figures[stage]["peak_mb"]
        figures[stage]["peak_mb"] = peak
    current = (home / "warehouse" / "current.duckdb").resolve()
    figures["lake_mb"] = size_mb(home / "lake")
    figures["warehouse_mb"] = size_mb(current)
    import duckdb

    con = duckdb.connect(str(current), read_only=True)
    figures["order_lines"] = con.execute(
        "select count(*) from staging.stg_sales_lake__sales").fetchall()[0][0]
    con.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--keep", help="keep the data folder here instead of a temporary one")
    args = parser.parse_args()
    for scale in args.scale or [1.0]:
        home = Path(args.keep or tempfile.mkdtemp(prefix="salesdesk-bench-")) / f"scale-{scale:g}"
        shutil.rmtree(home, ignore_errors=True)
        f = measure(scale, home)
        print(f"scale {scale:g}: {f['order_lines']:,} order lines")
        for stage in ("demo", "ingest", "build"):
            print(f"  {stage:<7} {f[stage]['seconds']:8.1f} s   peak {f[stage]['peak_mb']:8.0f} MB")
        print(f"  lake {f['lake_mb']:.0f} MB, warehouse {f['warehouse_mb']:.0f} MB")
        if not args.keep:
            shutil.rmtree(home.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
