"""Figures for the SQL page: the hostile battery's outcomes, the worker overhead per query, and
the time to refuse runaway queries.

    .venv/bin/python bench/adhoc_sql.py [--timeout 30] [--runs 30]

Runs on a small hand-made warehouse in a temporary folder (tests/test_adhoc.py builds it).
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.test_adhoc

import duckdb  # noqa: E402

from models.core.errors import UserError  # noqa: E402
from models.engines import adhoc
from tests.test_adhoc import HOSTILE_CASES, make_small_warehouse, snapshot  # noqa: E402


def timed(sql: str, base: Path, **kw) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        result = adhoc.run_query(sql, base=base, **kw)
        outcome = f"ran: {result.rows:,} rows" + (", truncated" if result.truncated else "")
    except UserError as e:
        outcome = "refused: " + " ".join(str(e).split())
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=adhoc.DEFAULT_TIMEOUT_S)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outside = Path(tmp)
        home = outside / "home"
        make_small_warehouse(home)
        (outside / "secret.csv").write_text("password\nhunter2\n")
        duckdb.sql(f"copy (select 'hunter2' as password) to '{outside / 'secret.parquet'}' "
                   "(format parquet)")
        (outside / "out").mkdir()
        started = time.perf_counter()
        adhoc.run_query("select 1", base=home)
        print(f"First query (helper process start + marts extract): "
              f"{time.perf_counter() - started:.2f} s\n")

        print("| # | input | outcome | s | disk unchanged |")
        print("| --- | --- | --- | --- | --- |")
        for number, (name, template, _) in enumerate(HOSTILE_CASES, start=1):
            sql = template.format(secret_csv=outside / "secret.csv",
                                  secret_parquet=outside / "secret.parquet",
                                  out=outside / "out", home=home)
            before = snapshot(outside)
            seconds, outcome = timed(sql, home, timeout_s=5)
            same = snapshot(outside) == before
            shown = sql.replace(tmp, "<tmp>").replace("|", "\\|")
            print(f"| {number} | `{shown}` | {outcome[:150].replace('|', '/')} | "
                  f"{seconds:.2f} | {'yes' if same else 'NO'} |")

        print("\nWorker overhead per query (select 1):")
        through_worker = []
        for _ in range(args.runs):
            started = time.perf_counter()
            adhoc.run_query("select 1", base=home)
            through_worker.append(time.perf_counter() - started)
        extract = adhoc.extract_file(base=home)
        in_process = []
        for _ in range(args.runs):
            started = time.perf_counter()
            con = duckdb.connect(str(extract), read_only=True,
                                 config=dict(adhoc.HARDENED_CONFIG))
            con.sql("select 1").limit(1).to_arrow_table()
            con.close()
            in_process.append(time.perf_counter() - started)
        print(f"- run_query: median {statistics.median(through_worker) * 1000:.0f} ms, "
              f"p90 {sorted(through_worker)[int(args.runs * 0.9) - 1] * 1000:.0f} ms")
        print(f"- same query on a hardened connection in-process: median "
              f"{statistics.median(in_process) * 1000:.0f} ms")
        print(f"- overhead of the worker: about "
              f"{(statistics.median(through_worker) - statistics.median(in_process)) * 1000:.0f}"
              " ms")

        print(f"\nRunaway queries (timeout_s={args.timeout:g}):")
        print("| query | outcome | s to refuse |")
        print("| --- | --- | --- |")
        for sql in [
            "with recursive r(n) as (select 1 union all select n + 1 from r) "
            "select count(*) from r",
            "select count(*) from range(100000000) a, range(100000000) b",
            "select md5(repeat('x', 1500000000))",
            "select length(repeat('x', 3000000000))",
            "select * from range(10000000)",
        ]:
            seconds, outcome = timed(sql, home, timeout_s=args.timeout)
            print(f"| `{sql}` | {outcome[:110]} | {seconds:.2f} |")
        seconds, outcome = timed("select 42", home)
        print(f"| `select 42` (after the above) | {outcome} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
