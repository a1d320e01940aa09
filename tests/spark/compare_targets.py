"""Build the dbt project on DuckDB and on Spark from one demo lake and compare every mart.

    python -m tests.spark.compare_targets [--scale 0.05] [--seed 7] [--today D] [--dirty]
        [--keep DIR]

``make test-spark`` runs it. Not a pytest module (pytest collects ``test_*.py`` only): it needs
the ``spark`` extra and Java, and takes minutes. Steps: demo data into a temporary
``SALESDESK_HOME``, ingest, ``dbt build`` with the unit tests on the DuckDB target (a warehouse
file) and on the Spark target (tables in ``spark/warehouse``), both with the same ``as_of_date``;
then, for every model under ``models/marts/``, the rows of both builds are matched on the mart's
key (its ``unique`` or ``unique_combination`` test; whole rows without one) and every column is
compared: decimals,
integers, text, dates, timestamps and booleans exactly, floating-point columns within 1e-9.
Prints a table per mart and exits 1 on any difference or failed build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from models.core import settings
from models.demo.generator import generate
from models.pipeline import build
from models.pipeline.ingest import ingest_paths
from tests.pinned import TODAY

FLOAT_TOLERANCE = 1e-9  # shares and other double columns; everything else must be equal
MARTS_FOLDER = "marts"
# On Spark a schema is a database: the marts are the tables of the database marts
# (macros/build/generate_schema_name.sql), in <spark warehouse>/marts.db.
MARTS_SCHEMA = settings.MARTS_SCHEMA


@dataclass
class MartComparison:
    name: str
    key: list[str]
    duckdb_rows: int = 0
    spark_rows: int = 0
    only_duckdb: int = 0
    only_spark: int = 0
    column_diffs: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.problems or self.only_duckdb or self.only_spark or self.column_diffs)


def marts_with_keys(manifest_path: Path) -> dict[str, list[str]]:
    """{mart table name: key columns} from a build's manifest (the marts' key tests)."""
    manifest = json.loads(manifest_path.read_text())
    marts = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and MARTS_FOLDER in node["fqn"][1:-1]:
            marts[node["unique_id"]] = node.get("alias") or node["name"]
    keys: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        attached = node.get("attached_node")
        if node["resource_type"] != "test" or attached not in marts:
            continue
        if meta.get("name") == "unique":
            keys.setdefault(marts[attached], [meta["kwargs"]["column_name"]])
        elif meta.get("name") == "unique_combination":
            keys[marts[attached]] = list(meta["kwargs"]["combination_of_columns"])
    return {name: keys.get(name, []) for name in sorted(marts.values())}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_float(type_name: str) -> bool:
    return type_name.upper() in {"DOUBLE", "FLOAT", "REAL"}


def compare_mart(con: duckdb.DuckDBPyConnection, name: str, key: list[str],
                 spark_tables: Path) -> MartComparison:
    """Compare marts.<name> of the attached DuckDB build with the Spark table's Parquet files."""
    result = MartComparison(name=name, key=key)
    con.execute(f"create or replace temp view d as select * from duck.{MARTS_SCHEMA}.{_quote(name)}")
    result.duckdb_rows = con.execute("select count(*) from d").fetchone()[0]
    folder = spark_tables / name
    if not folder.is_dir():
        result.problems.append(f"no Spark table at {folder}")
        return result
    con.execute(f"create or replace temp view s as select * from "
                f"read_parquet('{folder.as_posix()}/*.parquet')")
    d_types = dict(con.execute("select column_name, column_type from (describe d)").fetchall())
    s_types = dict(con.execute("select column_name, column_type from (describe s)").fetchall())
    result.spark_rows = con.execute("select count(*) from s").fetchone()[0]
    if list(d_types) != list(s_types):
        result.problems.append(f"columns differ: duckdb {list(d_types)} vs spark {list(s_types)}")
        return result
    if not key:  # no key test: the rows as a whole, each as often on both sides
        result.only_duckdb = con.execute(
            "select count(*) from (select * from d except all select * from s)").fetchone()[0]
        result.only_spark = con.execute(
            "select count(*) from (select * from s except all select * from d)").fetchone()[0]
        return result
    on = " and ".join(f"d.{_quote(k)} is not distinct from s.{_quote(k)}" for k in key)
    result.only_duckdb = con.execute(
        f"select count(*) from d where not exists (select 1 from s where {on})").fetchone()[0]
    result.only_spark = con.execute(
        f"select count(*) from s where not exists (select 1 from d where {on})").fetchone()[0]
    checks = []
    for column, d_type in d_types.items():
        if column in key:
            continue
        c = _quote(column)
        if _is_float(d_type) or _is_float(s_types[column]):
            differs = (f"(d.{c} is null) <> (s.{c} is null) or abs(d.{c} - s.{c}) > "
                       f"{FLOAT_TOLERANCE} * greatest(1, abs(d.{c}))")
        else:
            differs = f"d.{c} is distinct from s.{c}"
        checks.append((column, f"count(case when {differs} then 1 end)", differs))
    if checks:
        counts = con.execute(
            "select " + ", ".join(expr for _, expr, _ in checks)
            + f" from d inner join s on {on}").fetchone()
        for (column, _, differs), count in zip(checks, counts):
            if count:
                result.column_diffs[column] = count
                keys = ", ".join(f"d.{_quote(k)}" for k in key)
                sample = con.execute(
                    f"select {keys}, d.{_quote(column)}, s.{_quote(column)} "
                    f"from d inner join s on {on} where {differs} limit 2").fetchall()
                for row in sample:
                    result.examples.append(
                        f"{column} at {row[:-2]}: duckdb {row[-2]!r} vs spark {row[-1]!r}")
    return result


def print_comparison(result: MartComparison) -> None:
    status = "OK" if result.ok else "DIFFERENT"
    print(f"\n{result.name}  [{status}]  key: {', '.join(result.key) or '(whole rows)'}")
    print(f"  {'':<28}{'duckdb':>10}{'spark':>10}")
    print(f"  {'rows':<28}{result.duckdb_rows:>10,}{result.spark_rows:>10,}")
    print(f"  {'keys only in this build':<28}{result.only_duckdb:>10,}{result.only_spark:>10,}")
    print(f"  {'columns with a difference':<28}{len(result.column_diffs):>20,}")
    for column, count in result.column_diffs.items():
        print(f"    {column}: {count:,} row(s)")
    for line in result.problems + result.examples:
        print(f"    {line}")


def run(home: Path, scale: float, seed: int, today: dt.date, as_of: str,
        dirty: bool = False) -> int:
    print(f"Demo data (scale {scale}, seed {seed}{', dirty' if dirty else ''}, ending {today}) "
          f"into {home} ...", flush=True)
    generate(home / "demo", scale=scale, seed=seed, dirty=dirty, today=today)
    ingest_paths([home / "demo"], base=home)
    dbt_vars = {"as_of_date": as_of}
    timings = {}
    results = {}
    for target in ("dev", build.SPARK_TARGET):
        print(f"\n=== dbt build on {target} (with unit tests, as_of_date {as_of}) ===", flush=True)
        t0 = time.perf_counter()
        results[target] = build.run_build(
            home, on_line=lambda line: print(line, flush=True) if _worth_showing(line) else None,
            dbt_vars=dbt_vars, unit_tests=True, target=target)
        timings[target] = time.perf_counter() - t0
    print("\nBuild times: " + ", ".join(f"{t} {s:.1f} s" for t, s in timings.items()))
    failed = [t for t, r in results.items() if not r.ok]
    for target in failed:
        print(f"Build on {target} failed:\n{results[target]}")
    if failed:
        return 1

    duck_build = results["dev"]
    duckdb_files = sorted(p.name for p in settings.warehouse_dir(home).glob("*.duckdb")
                          if not p.is_symlink())
    if build.current_build_id(home) != duck_build.build_id or len(duckdb_files) != 1:
        print(f"The Spark build touched the DuckDB warehouse: current is "
              f"{build.current_build_id(home)}, files {duckdb_files}")
        return 1
    manifest = settings.warehouse_dir(home) / f"{duck_build.build_id}.dbt" / "target" / "manifest.json"
    marts = marts_with_keys(manifest)
    spark_tables = build.spark_dir(home) / "warehouse" / f"{MARTS_SCHEMA}.db"
    con = duckdb.connect()
    con.execute(f"attach '{duck_build.warehouse_file}' as duck (read_only)")
    comparisons = [compare_mart(con, name, key, spark_tables) for name, key in marts.items()]
    for comparison in comparisons:
        print_comparison(comparison)
    different = [c.name for c in comparisons if not c.ok]
    print(f"\n{len(comparisons) - len(different)} of {len(comparisons)} marts identical on "
          f"DuckDB and Spark" + (f"; different: {', '.join(different)}" if different else ""))
    return 1 if different or not comparisons else 0


def _worth_showing(line: str) -> bool:
    """dbt's progress and results, not Spark's own log lines."""
    return not (line.startswith(("\t", " ")) or " WARN " in line or " INFO " in line
                or line.startswith("[Stage") or not line.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=TODAY,
                        help="the demo's last day (default: the test suite's pinned today, "
                             "tests/pinned.py, so the run does not depend on the calendar)")
    parser.add_argument("--as-of",
                        help="the as_of_date var of both builds (default: the demo's last day)")
    parser.add_argument("--dirty", action="store_true",
                        help="demo data with every row-level fault (compares rejected rows too)")
    parser.add_argument("--keep", type=Path,
                        help="build in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    as_of = args.as_of or args.today.isoformat()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args.keep.resolve(), args.scale, args.seed, args.today, as_of, args.dirty)
    home = Path(tempfile.mkdtemp(prefix="salesdesk-spark-"))
    try:
        return run(home, args.scale, args.seed, args.today, as_of, args.dirty)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
