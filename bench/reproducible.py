"""Reproducible marts: build one demo lake twice with different DuckDB thread counts, compare.

    .venv/bin/python -m bench.reproducible --scale 0.5 [--threads 1 --threads 2] [--home DIR]

Each build runs ``salesdesk build`` (``SALESDESK_BUILD_THREADS``) with the same as-of date; then
every table of the two build files is compared exactly, ``EXCEPT ALL`` both ways
(``models.pipeline.build_compare``), and the tables and columns that differ are printed. Exits 1 if any
mart differs. With ``--home`` an existing data folder is used (demo data made there if empty).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def build_with_threads(home: Path, threads: int, as_of_date: str | None = None):
    """One ``salesdesk build`` of ``home`` with DuckDB running ``threads`` threads."""
    from models.pipeline.build import run_build

    before = os.environ.get("SALESDESK_BUILD_THREADS")
    os.environ["SALESDESK_BUILD_THREADS"] = str(threads)
    try:
        result = run_build(home, dbt_vars={"as_of_date": as_of_date} if as_of_date else None)
    finally:
        if before is None:
            os.environ.pop("SALESDESK_BUILD_THREADS", None)
        else:
            os.environ["SALESDESK_BUILD_THREADS"] = before
    if not result.ok:
        raise RuntimeError(f"build with {threads} thread(s) failed: {result.failures}")
    return result


def rebuild_and_compare(home: Path, threads: int, reference: dict | None = None) -> dict:
    """Build ``home`` again with ``threads`` threads and the as-of date of the ``reference``
    build (a record of builds.jsonl; default the last good one), and compare every table of
    the two builds."""
    from models.pipeline.build import history, is_good
    from models.pipeline.build_compare import compare_builds

    reference = reference or [r for r in history(home) if is_good(r)][-1]
    t0 = time.perf_counter()
    again = build_with_threads(home, threads, reference["as_of_date"])
    seconds = time.perf_counter() - t0
    tables, diffs = compare_builds(Path(reference["warehouse_file"]),
                                   Path(again.warehouse_file))
    return {"tables": tables, "rebuild_s": seconds,
            "marts_differing": [str(d) for d in diffs if d.is_mart],
            "others_differing": [str(d) for d in diffs if not d.is_mart]}


def ensure_lake(home: Path, scale: float) -> None:
    from models.core import settings

    if any(settings.lake_dir(home).glob("*/*.parquet")):
        return
    from models.demo.generator import generate
    from models.pipeline.ingest import ingest_paths

    generate(home / "demo", scale=scale, seed=42)
    ingest_paths([home / "demo"], base=home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--threads", type=int, action="append",
                        help="DuckDB threads of the two builds (default: 1 and the cores)")
    parser.add_argument("--home", type=Path, help="data folder to use (kept)")
    args = parser.parse_args()
    first, second = (args.threads or [os.cpu_count() or 2, 1])[:2] if \
        len(args.threads or []) != 1 else (args.threads[0], args.threads[0])
    home = args.home or Path(tempfile.mkdtemp(prefix="salesdesk-repro-"))
    try:
        ensure_lake(home, args.scale)
        from dataclasses import asdict

        reference = asdict(build_with_threads(home, first))
        figures = rebuild_and_compare(home, second, reference)
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    print(f"{figures['tables']} tables compared, builds with {first} and {second} thread(s)")
    for line in figures["marts_differing"] + figures["others_differing"]:
        print("  differs:", line)
    if not figures["marts_differing"] and not figures["others_differing"]:
        print("  every table identical, bit for bit")
    sys.exit(1 if figures["marts_differing"] else 0)


if __name__ == "__main__":
    main()
