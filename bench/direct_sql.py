"""The SQL dbt ran for a build, run again directly in DuckDB: how much does dbt add?

    .venv/bin/python bench/direct_sql.py [--home DIR]

Takes the current build of a data folder, reads the compiled SQL of every model from that
build's dbt manifest and runs it, in dependency order, as ``create table ... as`` in a fresh
DuckDB file with the same lake views and seeds. No dbt: no parsing, no Jinja, no data tests.
The ratio "dbt build / direct" is dbt's overhead plus the data tests.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb


def direct_build(home: Path, threads: int | None = None) -> dict:
    """Rebuild every model of the current build of ``home`` with plain DuckDB; time it."""
    from models.core import settings
    from models.pipeline import build

    build_id = build.current_build_id(home)
    if build_id is None:
        raise SystemExit(f"no build in {home}")
    wh = settings.warehouse_dir(home)
    manifest = json.loads((wh / f"{build_id}.dbt" / "target" / "manifest.json").read_text())
    results = json.loads((wh / f"{build_id}.dbt" / "target" / build.BUILD_RESULTS).read_text())
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    seeds = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "seed"]
    order = TopologicalSorter({k: [d for d in n["depends_on"]["nodes"] if d in models]
                               for k, n in models.items()}).static_order()

    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / f"{build_id}.duckdb"  # same catalog name as the compiled SQL uses
        con = duckdb.connect(str(fresh))
        if threads:
            con.execute(f"set threads = {int(threads)}")
        con.execute(f"attach '{(wh / f'{build_id}.duckdb').as_posix()}' as src (read_only)")
        con.execute("create schema raw")
        for (sql,) in con.execute("select sql from duckdb_views() where database_name = 'src' "
                                  "and schema_name = 'raw'").fetchall():
            con.execute(sql)
        for seed in seeds:
            con.execute(f'create table main."{seed}" as select * from src.main."{seed}"')
        con.execute("detach src")
        for schema in sorted({n["schema"] for n in models.values()}):  # one per layer
            con.execute(f'create schema if not exists "{schema}"')
        t0 = time.perf_counter()
        per_model = {}
        for key in order:
            node = models[key]
            t = time.perf_counter()
            con.execute(f'create table "{node["schema"]}"."{node["name"]}" as '
                        f'{node["compiled_code"]}')
            per_model[node["name"]] = time.perf_counter() - t
        direct = time.perf_counter() - t0
        con.close()

    dbt_models = sum(r["execution_time"] for r in results["results"]
                     if r["unique_id"].startswith("model."))
    return {"build_id": build_id, "models": len(per_model), "direct_s": round(direct, 2),
            "dbt_build_s": round(results["elapsed_time"], 2),
            "dbt_model_time_s": round(dbt_models, 2),
            "slowest": sorted(per_model.items(), key=lambda kv: -kv[1])[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    from models.core import settings

    figures = direct_build(args.home or settings.home())
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
