"""Build and swap with the real dbt CLI on demo lakes: success, failure, readers, rejected rows."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from models.core import clock, settings
from models.core.warehouse import Warehouse
from models.pipeline import build
from models.queries import datadesk
from tests.pinned import TODAY


def test_good_build_is_current_and_recorded(built_home):
    history = build.history(built_home)
    assert history[-1]["status"] == "success"
    current = build.current_build_id(built_home)
    assert current == history[-1]["build_id"]
    link = settings.current_link(built_home)
    assert link.is_symlink() and link.resolve().exists()
    counts = history[-1]["row_counts"]
    assert counts["stg_sales_lake__sales"] > 1000
    assert counts["rpt_rejected_rows"] == 0
    assert build.is_up_to_date(built_home)
    frame = datadesk.builds_frame(built_home)
    assert frame["is_current"].to_list()[0] is True
    import json

    results = json.loads((settings.warehouse_dir(built_home) / f"{current}.dbt" / "target"
                          / build.BUILD_RESULTS).read_text())["results"]
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "seed", "test", "unit_test"} <= kinds  # make test runs the unit tests
    docs = build.docs_file(built_home)
    assert docs is not None and "rpt_rejected_rows" in docs.read_text()
    # the SQL page's marts-only copy was written before the swap, so its first query is quick
    extract = settings.warehouse_dir(built_home) / f"{current}.dbt" / "adhoc" / "all.duckdb"
    assert extract.exists()
    import duckdb

    con = duckdb.connect(str(extract), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert "fct_customer_tiers" in tables and not any(t.startswith("stg_") for t in tables)


def test_builds_run_as_of_the_desks_today_unless_the_var_is_given(built_home, monkeypatch):
    # the suite's builds ran as of the pinned today, whatever the system clock says
    assert build.history(built_home)[-1]["as_of_date"] == TODAY.isoformat()
    wh = Warehouse(built_home)
    assert wh.scalar("select max(as_of_date) from dim_customers") == TODAY
    # the default follows the desk's clock; a given as_of_date wins
    # (the demo's orders run to today, so the data is recent: today it is)
    assert build.history(built_home)[-1]["as_of_note"] == f"as of {TODAY.isoformat()}, today"
    monkeypatch.setenv(clock.ENV, "2026-12-01")
    assert build.with_as_of_date(None, built_home) == {"as_of_date": "2026-12-01"}
    assert build.with_as_of_date({"tier_s_share": 0}, built_home) == {
        "tier_s_share": 0, "as_of_date": "2026-12-01"}
    assert build.with_as_of_date({"as_of_date": "2026-01-31"}, built_home) == {
        "as_of_date": "2026-01-31"}
    monkeypatch.delenv(clock.ENV)
    import datetime

    empty = built_home / "no-such-folder"  # no lake: nothing to follow, so today
    assert build.with_as_of_date({}, empty) == {"as_of_date": datetime.date.today().isoformat()}


def test_salesdesk_docs_serves_the_current_docs(built_home):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SALESDESK_HOME=str(built_home))
    server = subprocess.Popen([str(Path(sys.executable).parent / "salesdesk"), "docs",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "dbt docs of build" in server.stdout.readline()
        deadline = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        assert "stg_sales_lake__sales" in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_lake_rows_reconcile_with_staged_rows(built_home):
    wh = Warehouse(built_home)
    lake_rows = duckdb.connect().execute(
        f"select count(*) from read_parquet('{built_home}/lake/sales/*.parquet')").fetchall()[0][0]
    assert wh.scalar("select count(*) from staging.stg_sales_lake__sales") == lake_rows


def copy_project(tmp_path: Path, extra_files: dict[str, str]) -> Path:
    project = tmp_path / "dbt_project"
    shutil.copytree(settings.DBT_PROJECT_DIR, project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    for relative, text in extra_files.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(textwrap.dedent(text))
    return project


def test_failing_test_leaves_previous_build_current(built_home, tmp_path, monkeypatch):
    before = build.current_build_id(built_home)
    project = copy_project(tmp_path, {
        "tests/assert_no_returns.sql":
            "-- fails on any demo lake: it has returns\n"
            "select * from {{ ref('stg_sales_lake__sales') }} where quantity < 0\n",
    })
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", project)
    lines: list[str] = []
    result = build.run_build(built_home, on_line=lines.append)
    assert not result.ok
    assert any("assert_no_returns" in f for f in result.failures), result.failures
    assert build.current_build_id(built_home) == before
    assert not (settings.warehouse_dir(built_home) / f"{result.build_id}.duckdb").exists()
    assert build.history(built_home)[-1]["status"] == "failed"
    assert "FAILED" in lines[-1] and "assert_no_returns" in lines[-1]


def test_broken_model_is_named(built_home, tmp_path, monkeypatch):
    before = build.current_build_id(built_home)
    project = copy_project(tmp_path, {
        "models/marts/broken_model.sql": "select no_such_column from {{ ref('stg_sales_lake__reps') }}\n",
    })
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", project)
    result = build.run_build(built_home)
    assert not result.ok
    assert any("broken_model" in f for f in result.failures), result.failures
    assert build.current_build_id(built_home) == before


def test_a_reader_holding_the_warehouse_does_not_stop_a_build(built_home):
    before = build.current_build_id(built_home)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(settings.current_link(built_home))!r}, read_only=True)
            con.execute("select count(*) from staging.stg_sales_lake__sales").fetchall()
            print("holding", flush=True)
            sys.stdin.readline()
            print(con.execute("select count(*) from staging.stg_sales_lake__sales").fetchall()[0][0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    wh = Warehouse(built_home)
    rows_before = wh.scalar("select count(*) from staging.stg_sales_lake__sales")
    result = build.run_build(built_home)
    assert result.ok, result.failures
    assert build.current_build_id(built_home) != before
    assert wh.build_id == result.build_id
    assert wh.scalar("select count(*) from staging.stg_sales_lake__sales") == rows_before
    out, _ = holder.communicate("go\n", timeout=30)
    assert int(out.strip()) == rows_before  # the old reader kept reading its build


def test_second_concurrent_build_is_refused(built_home):
    import fcntl

    from models.core.errors import UserError

    lock = open(settings.warehouse_dir(built_home) / ".build.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        with pytest.raises(UserError, match="Another build is running"):
            build.run_build(built_home)
    finally:
        lock.close()


def test_dirty_demo_lands_every_bad_row_in_rejected_rows(dirty_home):
    home = dirty_home
    # the build passed, and with it the lake = staged + rejected test of every entity; the
    # small entities lost more than 5 % of their rows, so it says so
    record = build.history(home)[-1]
    assert record["status"] == "success_with_warnings" and build.is_good(record)
    assert build.current_build_id(home) == record["build_id"]
    flagged = sorted(w.split(":")[0] for w in record["warnings"])
    assert flagged == ["customers", "reps"], record["warnings"]
    health = record["data_health"]
    for entity, h in health.items():
        assert h["loaded"] == h["staged"] + h["rejected"] + h["superseded"], entity
    wh = Warehouse(home)
    rejected = datadesk.rejected_rows(wh)
    got = {(r["entity"], int(r["source_row"]), r["rule"]) for r in rejected.iter_rows(named=True)}
    with open(home / "demo" / "_expected_rejections.csv", newline="") as f:
        expected = {(r["entity"], int(r["source_row"]), r["rule"]) for r in csv.DictReader(f)}
    assert expected, "the dirty demo must inject faults"
    assert got == expected
    by_rule = datadesk.rejected_by_rule(wh)
    assert set(by_rule["rule"]) >= {"missing_required", "duplicate_key", "negative_price",
                                    "invalid_value", "date_in_future", "ended_before_started",
                                    "coordinates_out_of_range", "unknown_customer", "unknown_sku",
                                    "unknown_rep"}


def test_prune_keeps_the_last_three_good_builds(tmp_path):
    wh = settings.warehouse_dir(tmp_path)
    wh.mkdir(parents=True)
    ids = [f"2026010{i}T000000-0000" for i in range(1, 7)]
    statuses = ["success", "failed", "success", "success_with_warnings", "success", "failed"]
    from models.core import jsonlog

    for build_id, status in zip(ids, statuses):
        (wh / f"{build_id}.duckdb").write_bytes(b"")
        (wh / f"{build_id}.dbt").mkdir()
        jsonlog.append(build.history_path(tmp_path), {"build_id": build_id, "status": status})
    build._prune(wh, tmp_path)
    left = sorted(p.name.removesuffix(".duckdb") for p in wh.glob("*.duckdb"))
    # 3 good ones (with warnings or not), and the newer failed one
    assert left == [ids[2], ids[3], ids[4], ids[5]]
    assert not (wh / f"{ids[0]}.dbt").exists()


def test_the_spark_target_reads_the_lake_snapshot_and_an_unknown_target_is_refused(built_home):
    from models.core.errors import UserError
    from models.pipeline.ingest import loads

    files = build.lake_files(built_home)
    lake = settings.lake_dir(built_home)
    assert sum(len(v) for v in files.values()) == len(loads(built_home))
    for entity, names in files.items():
        assert names and all((lake / entity / name).is_file() for name in names)
    before = build.current_build_id(built_home)
    with pytest.raises(UserError, match="Unknown build target 'nope'"):
        build.run_build(built_home, target="nope")
    assert build.current_build_id(built_home) == before


def test_a_second_build_with_one_thread_gives_the_same_tables_to_the_bit(built_home, tmp_path,
                                                                        monkeypatch):
    from models.pipeline.build_compare import compare_builds

    reference = [r for r in build.history(built_home) if build.is_good(r)][-1]
    home = tmp_path / "again"
    shutil.copytree(settings.lake_dir(built_home), settings.lake_dir(home))
    monkeypatch.setenv("SALESDESK_BUILD_THREADS", "1")
    again = build.run_build(home, dbt_vars={"as_of_date": reference["as_of_date"]})
    assert again.ok, again.failures
    assert not settings.build_spill_dir(home).exists()  # emptied and removed after the build
    tables, diffs = compare_builds(Path(reference["warehouse_file"]), Path(again.warehouse_file))
    assert tables > 30
    assert [str(d) for d in diffs] == []


def test_compare_builds_names_a_changed_double_in_its_last_bit(built_home, tmp_path):
    from models.pipeline.build_compare import compare_builds

    current = settings.current_link(built_home).resolve()
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(current, changed)
    con = duckdb.connect(str(changed))
    try:
        con.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")
        con.execute("update fct_customer_contribution set horizontal_index = "
                    "nextafter(horizontal_index, 10.0) where customer_id = (select "
                    "min(customer_id) from fct_customer_contribution where horizontal_index > 0)")
    finally:
        con.close()
    tables, diffs = compare_builds(current, changed)
    assert [(d.table.rsplit(".", 1)[-1], d.columns, d.is_mart) for d in diffs] == \
        [("fct_customer_contribution", ["horizontal_index"], True)]
    assert diffs[0].only_in_first == diffs[0].only_in_second > 0


@pytest.mark.parametrize("value, expected", [
    ("50%", None), ("4GB", 4 * 1024 ** 3), ("512 MB", 512 * 1024 ** 2), ("8GiB", 8 * 1024 ** 3),
    ("1024", 1024 ** 3), ("10MB", 256 * 1024 ** 2)])
def test_build_memory_setting(monkeypatch, value, expected):
    monkeypatch.setenv("SALESDESK_BUILD_MEMORY", value)
    got = settings.build_memory_bytes()
    assert got == (expected or settings.total_memory_bytes() // 2)
    env = build.dbt_env(Path("/x/b.duckdb"), Path("/home/h"))
    assert env["SALESDESK_DUCKDB_MEMORY_LIMIT"] == f"{got}B"
    assert env["SALESDESK_DUCKDB_TEMP_DIR"] == "/home/h/warehouse/spill"


def test_build_memory_default_is_a_quarter_of_the_memory_at_most_2gb(monkeypatch):
    monkeypatch.delenv("SALESDESK_BUILD_MEMORY", raising=False)
    for total, expected in [(64 * 1024 ** 3, 2 * 1024 ** 3), (4 * 1024 ** 3, 1024 ** 3),
                            (512 * 1024 ** 2, 256 * 1024 ** 2)]:
        monkeypatch.setattr(settings, "total_memory_bytes", lambda total=total: total)
        assert settings.build_memory_bytes() == expected


@pytest.mark.parametrize("value", ["lots", "0%", "150%", "-2GB"])
def test_a_bad_build_memory_setting_stops_the_build_before_it_starts(built_home, monkeypatch,
                                                                      value):
    from models.core.errors import UserError

    before = len(build.history(built_home))
    monkeypatch.setenv("SALESDESK_BUILD_MEMORY", value)
    with pytest.raises(UserError, match="SALESDESK_BUILD_MEMORY="):
        build.run_build(built_home)
    assert len(build.history(built_home)) == before
