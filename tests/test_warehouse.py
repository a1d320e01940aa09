"""Warehouse access: read-only, follows swaps, a cursor per thread, bound parameters."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from models.core import settings
from models.core.warehouse import NoWarehouse, OldWarehouse, Warehouse
from models.pipeline import build


def make_build(home: Path, build_id: str, value: int) -> Path:
    wh = settings.warehouse_dir(home)
    wh.mkdir(parents=True, exist_ok=True)
    path = wh / f"{build_id}.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"create schema {settings.MARTS_SCHEMA}")
    con.execute(f"create table {settings.MARTS_SCHEMA}.answer as select ? as value, 'x' as label",
                [value])
    con.close()
    return path


def test_a_build_without_the_marts_schema_gives_a_clear_error(tmp_path):
    """A build file of an older version (marts in main) asks for a new build, no traceback."""
    path = settings.warehouse_dir(tmp_path) / "old.duckdb"
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))
    con.execute("create table dim_customers as select 1 as customer_id")
    con.close()
    build._swap_current(path.parent, path)
    with pytest.raises(OldWarehouse, match=r"old\.duckdb has no schema marts.*Build it again"):
        Warehouse(tmp_path).query("select * from dim_customers")
    with pytest.raises(NoWarehouse):  # the pages take it for no build yet
        Warehouse(tmp_path).pin()


def test_no_warehouse_gives_a_clear_error(tmp_path):
    with pytest.raises(NoWarehouse, match="no warehouse yet"):
        Warehouse(tmp_path).query("select 1")


def test_follows_the_current_link_and_is_read_only(tmp_path):
    wh = Warehouse(tmp_path)
    first = make_build(tmp_path, "b1", 1)
    build._swap_current(first.parent, first)
    assert wh.build_id == "b1"
    assert wh.query("select value from answer where label = ?", ["x"]).item() == 1
    with pytest.raises(duckdb.Error):
        wh.query("create table t as select 1")

    second = make_build(tmp_path, "b2", 2)
    build._swap_current(second.parent, second)
    assert wh.build_id == "b2"
    assert wh.scalar("select value from answer") == 2
    # the reader never blocked the writer of b2; and b1 can be deleted under it
    first.unlink()
    assert wh.scalar("select value from answer") == 2


def test_a_pinned_build_is_read_after_a_swap(tmp_path):
    """A page run pins the build once: all its queries read that build, even when a new one is
    swapped in half way and the old file is deleted by the retention of builds."""
    first = make_build(tmp_path, "b1", 1)
    build._swap_current(first.parent, first)
    wh = Warehouse(tmp_path)
    run = wh.pin()
    assert run.build_id == "b1" and run.scalar("select value from answer") == 1

    second = make_build(tmp_path, "b2", 2)
    build._swap_current(second.parent, second)
    first.unlink()
    assert wh.build_id == "b2" and wh.scalar("select value from answer") == 2
    assert run.build_id == "b1"
    assert run.query("select value from answer").item() == 1  # still the pinned build
    assert wh.pin().scalar("select value from answer") == 2  # the next run reads the new one

    # threads of one run share the pin
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(run.scalar("select value from answer")))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1, 1, 1]


def test_pinning_without_a_build_is_a_clear_error(tmp_path):
    with pytest.raises(NoWarehouse, match="no warehouse yet"):
        Warehouse(tmp_path).pin()


def test_a_cursor_per_thread(tmp_path):
    path = make_build(tmp_path, "b1", 7)
    build._swap_current(path.parent, path)
    wh = Warehouse(tmp_path)
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(wh.scalar("select sum(value) from answer, range(1000)"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [7000] * 80


def test_no_file_access_from_the_app_connection(tmp_path):
    path = make_build(tmp_path, "b1", 1)
    build._swap_current(path.parent, path)
    (tmp_path / "secret.csv").write_text("a\n1\n")
    with pytest.raises(duckdb.Error):
        Warehouse(tmp_path).query(f"select * from read_csv('{tmp_path}/secret.csv')")
