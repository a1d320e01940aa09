"""Ad hoc SQL (models/engines/adhoc.py): the hostile battery, the limits, and the queries that
must work.

Most tests run on a small hand-made warehouse (``small_home``): marts, a staging table and a
``raw`` view over a lake Parquet file, like a real build, but made in well under a second. The
examples are checked on the built demo warehouse (``built_home``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from models.core import settings
from models.core.errors import UserError
from models.engines import adhoc
from models.pipeline import build

BUILD_ID = "20260101T000000-test"

# --- a small warehouse -----------------------------------------------------------------------


def make_small_warehouse(home: Path, build_id: str = BUILD_ID) -> Path:
    """A build file with marts, staging, a raw view over the lake, and dbt artifacts."""
    lake = settings.lake_dir(home) / "customers"
    lake.mkdir(parents=True, exist_ok=True)
    wh = settings.warehouse_dir(home)
    wh.mkdir(parents=True, exist_ok=True)
    path = wh / f"{build_id}.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"copy (select 'C1' as customer_id, 'lake secret' as note) to "
                f"'{lake / 'abc.parquet'}' (format parquet)")
    # one schema per layer, as dbt builds it (macros/build/generate_schema_name.sql)
    con.execute("""
        create schema marts; create schema staging; create schema intermediate;
        set search_path = 'marts';
        create table dim_customers as select * from (values
            ('C1', 'Corner shop', 'North', 'R1', 100.0),
            ('C2', 'Hotel',       'North', 'R2', 250.0),
            ('C3', 'Market',      'North', 'R1',  50.0),
            ('C4', 'Kiosk',       'South', 'R3',  75.0),
            ('C5', 'Canteen',     'South', 'R3', 300.0),
            ('C6', 'Bar',         'East',  'R4',  10.0)
        ) t(customer_id, customer_name, region, maintainer_rep_id, revenue_12m);
        create table fct_customer_tiers as
            select customer_id, m::date as month_start,
                   case when revenue_12m > 200 then 'A' when revenue_12m > 60 then 'B'
                        else 'C' end as tier,
                   region
            from dim_customers, (values (date '2026-01-01'), (date '2026-02-01')) v(m);
        create table rpt_rep_books as select * from (values
            ('R1', 'Ann',  'North', 2), ('R2', 'Bob', 'North', 1),
            ('R3', 'Cleo', 'South', 2), ('R4', 'Dan', 'East',  1)
        ) t(rep_id, rep_name, region, customers);
        create table rpt_rejected_rows as
            select 'customers' as entity, 'missing_required' as rule, 'C9;;;' as raw_values;
        create table staging.stg_sales_lake__customers as select * from dim_customers;
        create table intermediate.int_customer_months as select customer_id from dim_customers;
        create schema raw;
    """)
    con.execute(f"create view raw.customers as select * from read_parquet('{lake / 'abc.parquet'}')")
    con.close()
    target = wh / f"{build_id}.dbt" / "target"
    target.mkdir(parents=True, exist_ok=True)

    def node(name: str, folder: str, description: str, columns: dict[str, str]) -> dict:
        return {"resource_type": "model", "name": name, "description": description,
                "original_file_path": f"models/{folder}/{name}.sql",
                "columns": {c: {"name": c, "description": d} for c, d in columns.items()}}

    nodes = {
        "model.salesdesk.dim_customers": node(
            "dim_customers", "marts/customers", "One row per customer, as of the build.",
            {"customer_id": "The customer's key.", "region": "Sales region."}),
        "model.salesdesk.fct_customer_tiers": node(
            "fct_customer_tiers", "marts/customers", "Customer tier by month.", {}),
        "model.salesdesk.rpt_rep_books": node("rpt_rep_books", "marts/visits", "Rep books.", {}),
        "model.salesdesk.rpt_rejected_rows": node(
            "rpt_rejected_rows", "marts/data_quality", "Rejected lake rows.", {}),
        "model.salesdesk.stg_sales_lake__customers": node(
            "stg_sales_lake__customers", "staging/sales_lake", "Staged customers.", {}),
        "model.salesdesk.int_customer_months": node(
            "int_customer_months", "intermediate/customers", "Customer months.", {}),
    }
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    catalog = {"nodes": {"model.salesdesk.dim_customers": {
        "metadata": {"name": "dim_customers"},
        "columns": {"revenue_12m": {"type": "DECIMAL(18,2)"}}}}}
    (target / "catalog.json").write_text(json.dumps(catalog))
    build._swap_current(wh, path)
    return path


@pytest.fixture(scope="module")
def small_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("adhoc") / "home"
    make_small_warehouse(home)
    (home.parent / "secret.csv").write_text("password\nhunter2\n")
    duckdb.sql(f"copy (select 'hunter2' as password) to '{home.parent / 'secret.parquet'}' "
               "(format parquet)")
    (home.parent / "out").mkdir()
    adhoc.run_query("select 1", base=home)  # makes the marts extract
    return home


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every file and folder under ``roots`` with its size, mtime and content hash."""
    state = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            stat = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            state[str(path)] = (path.is_dir(), stat.st_size, stat.st_mtime_ns, digest)
    return state


# --- the hostile battery ---------------------------------------------------------------------

NOT_A_READ = r"Only queries that read can run here"
NO_FILES = r"not allowed"
MARTS_ONLY = r"marts only"
# a value other than the locked one, for every locked setting
LOCKED = {
    key: ("true" if value is False else "false") if isinstance(value, bool) else
    {"memory_limit": "'64GB'", "threads": "16", "temp_directory": "'/tmp/spill'",
     "max_temp_directory_size": "'100GB'"}[key]
    for key, value in adhoc.HARDENED_CONFIG.items()
}

# (name, SQL with {secret_csv}, {secret_parquet}, {out}, {home} placeholders, expected message)
HOSTILE_CASES: list[tuple[str, str, str]] = [
    # reading files
    ("read_csv", "select * from read_csv('{secret_csv}')", NO_FILES),
    ("read_csv_auto", "select * from read_csv_auto('{secret_csv}')", NO_FILES),
    ("read_text", "select * from read_text('{secret_csv}')", NO_FILES),
    ("read_blob /proc", "select * from read_blob('/proc/self/environ')", NO_FILES),
    ("read_text /proc", "select content from read_text('/proc/self/status')", NO_FILES),
    ("glob", "select * from glob('{home}/*')", NO_FILES),
    ("FROM 'file'", "from '{secret_csv}'", NO_FILES),
    ("SELECT FROM 'file.parquet'", "select * from '{secret_parquet}'", NO_FILES),
    ("read_parquet", "select * from read_parquet('{secret_parquet}')", NO_FILES),
    ("parquet_metadata", "select * from parquet_metadata('{secret_parquet}')", NO_FILES),
    ("read_json", "select * from read_json('/etc/hosts')", NO_FILES),
    ("sniff_csv", "select * from sniff_csv('{secret_csv}')", NO_FILES),
    ("URL", "select * from 'https://example.com/data.csv'", NO_FILES),
    ("raw lake view", "select * from raw.customers", MARTS_ONLY),
    ("query_table raw", "select * from query_table('raw.customers')", MARTS_ONLY),
    ("staging table", "select * from stg_sales_lake__customers", MARTS_ONLY),
    # writing files
    ("COPY TO", "copy (select * from dim_customers) to '{out}/leak.csv'", NOT_A_READ),
    ("COPY table TO", "copy dim_customers to '{out}/leak.parquet' (format parquet)", NOT_A_READ),
    ("EXPORT DATABASE", "export database '{out}/dump'", NOT_A_READ),
    ("WITH ... COPY", "copy (with x as (select 1) select * from x) to '{out}/x.csv'",
     NOT_A_READ),
    # other databases
    ("ATTACH file", "attach '{out}/new.duckdb' as other", NOT_A_READ),
    ("ATTACH memory", "attach ':memory:' as scratch", NOT_A_READ),
    ("DETACH", "detach database if exists other", NOT_A_READ),
    ("USE", "use memory", NOT_A_READ),
    # extensions
    ("INSTALL", "install httpfs", NOT_A_READ),
    ("FORCE INSTALL", "force install httpfs", NOT_A_READ),
    ("LOAD", "load httpfs", NOT_A_READ),
    ("INSTALL community", "install h3 from community", NOT_A_READ),
    # settings: SET, RESET and PRAGMA of every locked setting
    *[(f"SET {k}", f"set {k} = {v}", NOT_A_READ) for k, v in LOCKED.items()],
    *[(f"RESET {k}", f"reset {k}", NOT_A_READ) for k in LOCKED],
    *[(f"PRAGMA {k}", f"pragma {k} = {v}", NOT_A_READ) for k, v in LOCKED.items()],
    ("SET GLOBAL", "set global enable_external_access = true", NOT_A_READ),
    ("SET VARIABLE", "set variable x = 1", NOT_A_READ),
    ("CALL enable_logging", "call enable_logging(storage_path = '{out}/log')", NOT_A_READ),
    ("CHECKPOINT", "checkpoint", NOT_A_READ),
    ("VACUUM", "vacuum", NOT_A_READ),
    # changing data
    ("CREATE TABLE", "create table t as select 1", NOT_A_READ),
    ("CREATE TEMP TABLE", "create temp table t as select * from dim_customers", NOT_A_READ),
    ("CREATE VIEW", "create view v as select 1", NOT_A_READ),
    ("CREATE MACRO", "create macro m(a) as a", NOT_A_READ),
    ("INSERT", "insert into dim_customers (customer_id) values ('X')", NOT_A_READ),
    ("WITH ... INSERT", "with x as (select 'X' as id) insert into dim_customers (customer_id) "
                        "select id from x", NOT_A_READ),
    ("UPDATE", "update dim_customers set region = 'Nowhere'", NOT_A_READ),
    ("DELETE", "delete from dim_customers", NOT_A_READ),
    ("DROP", "drop table dim_customers", NOT_A_READ),
    ("ALTER", "alter table dim_customers add column x int", NOT_A_READ),
    ("CREATE SECRET", "create secret s (type s3, key_id 'a', secret 'b')", NOT_A_READ),
    ("CREATE PERSISTENT SECRET", "create persistent secret s (type s3, key_id 'a', secret 'b')",
     NOT_A_READ),
    ("EXPLAIN ANALYZE", "explain analyze select * from dim_customers", NOT_A_READ),
    # tricks
    ("two statements", "select 1; drop table dim_customers", r"one statement at a time"),
    ("two selects", "select 1; select 2", r"one statement at a time"),
    ("a statement after a trailing comment", "select 1; -- done\ndrop table dim_customers",
     r"one statement at a time"),
    ("a statement after a block comment", "select 1; /* x */ copy dim_customers to '{out}/x.csv'",
     r"one statement at a time"),
    ("comment first", "/* harmless */ copy dim_customers to '{out}/x.csv'", NOT_A_READ),
    ("PIVOT statement", "pivot dim_customers on region using count(*)", r"PIVOT"),
    ("empty", "  ;  ", r"no statement|Write a query"),
    ("does not parse", "selec * form dim_customers", r"does not parse"),
    ("Python variable scan", "select * from hostile_python_frame", r"does not exist"),
]


@pytest.mark.parametrize("name, template, expected", HOSTILE_CASES,
                         ids=[c[0] for c in HOSTILE_CASES])
def test_hostile_input_is_refused_and_nothing_changes_on_disk(small_home, name, template,
                                                              expected):
    outside = small_home.parent
    sql = template.format(secret_csv=outside / "secret.csv",
                          secret_parquet=outside / "secret.parquet",
                          out=outside / "out", home=small_home)
    hostile_python_frame = pl.DataFrame({"password": ["hunter2"]})  # noqa: F841 - scan target
    before = snapshot(outside)
    with pytest.raises(UserError, match=expected) as refused:
        adhoc.run_query(sql, base=small_home, timeout_s=5)
    assert "hunter2" not in str(refused.value)
    assert snapshot(outside) == before
    assert list((outside / "out").iterdir()) == []


def test_the_battery_is_large_enough():
    assert len(HOSTILE_CASES) >= 30


# --- the limits ------------------------------------------------------------------------------

RUNAWAYS = [
    ("endless recursive CTE",
     "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
     r"longer than 1 s"),
    ("huge cross join", "select count(*) from range(100000000) a, range(100000000) b",
     r"longer than 1 s"),
]


@pytest.mark.parametrize("name, sql, expected", RUNAWAYS, ids=[r[0] for r in RUNAWAYS])
def test_a_runaway_query_is_stopped_at_the_time_limit(small_home, name, sql, expected):
    before = snapshot(small_home.parent)
    started = time.perf_counter()
    with pytest.raises(UserError, match=expected):
        adhoc.run_query(sql, base=small_home, timeout_s=1)
    assert time.perf_counter() - started < 1 + adhoc.HARD_KILL_GRACE_S + 2
    assert snapshot(small_home.parent) == before


def test_a_huge_single_value_hits_the_memory_limit_and_the_app_survives(small_home):
    with pytest.raises(UserError, match=r"memory"):
        adhoc.run_query("select length(repeat('x', 3000000000))", base=small_home, timeout_s=5)
    assert adhoc.run_query("select 42 as answer", base=small_home).frame.item() == 42


def test_a_query_that_ignores_the_interrupt_is_killed_and_the_app_survives(small_home):
    # one scalar call on a 1.5 GB value: DuckDB cannot interrupt it; the worker is killed
    with pytest.raises(UserError, match=r"worker process was ended"):
        adhoc.run_query("select md5(repeat('x', 1500000000))", base=small_home, timeout_s=1)
    assert adhoc.run_query("select 42 as answer", base=small_home).frame.item() == 42


def test_ten_million_rows_are_capped_in_the_engine(small_home):
    result = adhoc.run_query("select i, i * 2 as j from range(10000000) t(i)", base=small_home)
    assert result.truncated and result.rows == adhoc.DEFAULT_MAX_ROWS
    frame, truncated = adhoc.run_query("select * from range(10) t(i)", base=small_home,
                                       max_rows=10)
    assert not truncated and frame.height == 10
    assert adhoc.run_query("select * from range(11) t(i)", base=small_home,
                           max_rows=10).truncated


def test_a_result_too_large_to_hold_is_refused(small_home):
    # 5,000 rows of 100 KB: 500 MB, refused by the worker before it sends anything
    with pytest.raises(UserError, match=r"over the 100 MB a result may hold\. Add a LIMIT, "
                                        r"aggregate \(group by\)"):
        adhoc.run_query("select i, repeat('x', 100000) as blob from range(5000) t(i)",
                        base=small_home)
    assert adhoc.run_query("select 42 as answer", base=small_home).frame.item() == 42


def test_the_result_cap_is_a_server_setting(small_home, monkeypatch):
    monkeypatch.setenv("SALESDESK_SQL_MAX_RESULT_MB", "1")
    blobs = "select i, repeat('x', 1000) as blob from range({n}) t(i)"
    assert adhoc.run_query(blobs.format(n=500), base=small_home).rows == 500  # 0.5 MB
    with pytest.raises(UserError, match=r"over the 1 MB a result may hold"):
        adhoc.run_query(blobs.format(n=5000), base=small_home)  # 5 MB
    with pytest.raises(UserError, match=r"over the 0.50 MB"):
        adhoc.run_query(blobs.format(n=1000), base=small_home, max_result_bytes=2**19)
    monkeypatch.setenv("SALESDESK_SQL_MAX_RESULT_MB", "lots")
    with pytest.raises(UserError, match=r"SALESDESK_SQL_MAX_RESULT_MB must be a number of at "
                                        r"least 1, not 'lots'"):
        adhoc.run_query("select 1", base=small_home)


# --- the cap on workers running at once ------------------------------------------------------

SLOW = "select count(*) from range(100000000) a, range(100000000) b"  # ends at its time limit


class WorkerCount:
    """Counts the workers holding memory (children of the fork helper with an address space)
    from /proc until closed. A worker that is exiting can stay listed for a moment after it
    has released its memory and closed its socket; it is not counted."""

    def __init__(self, helper_pid: int) -> None:
        self.path = Path(f"/proc/{helper_pid}/task/{helper_pid}/children")
        self.peak = 0
        self.samples_with_workers = 0
        self.exiting_seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def live(self) -> int:
        count = 0
        for pid in self.path.read_text().split():
            try:
                pages = int(Path(f"/proc/{pid}/statm").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if pages:
                count += 1
            else:
                self.exiting_seen += 1
        return count

    def _watch(self) -> None:
        while not self._stop.is_set():
            live = self.live()
            self.peak = max(self.peak, live)
            self.samples_with_workers += live > 0
            self._stop.wait(0.005)

    def __enter__(self) -> WorkerCount:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def helper_pid(home: Path) -> int:
    adhoc.run_query("select 1", base=home)  # the helper is running
    return adhoc._fork_server._proc.pid


def wait_until(condition, what: str) -> None:
    for _ in range(6000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"gave up waiting until {what}")


def test_with_one_worker_allowed_a_second_query_is_refused_while_the_first_runs(small_home,
                                                                              monkeypatch):
    monkeypatch.setenv("SALESDESK_SQL_WORKERS", "1")
    monkeypatch.setenv("SALESDESK_SQL_QUEUE_S", "0.5")
    outcome = {}

    def slow() -> None:
        try:
            adhoc.run_query(SLOW, base=small_home, timeout_s=4)
        except UserError as e:
            outcome["slow"] = str(e)

    with WorkerCount(helper_pid(small_home)) as workers:
        first = threading.Thread(target=slow)
        first.start()
        wait_until(lambda: adhoc.WORKER_SLOTS.running == 1 and workers.live() == 1,
                   "the slow query's worker runs")
        with pytest.raises(UserError) as refused:
            adhoc.run_query("select 42 as answer", base=small_home)
        assert adhoc.WORKER_SLOTS.running == 1  # refused while the slow query held the slot
        first.join()
    assert str(refused.value) == ("1 query is running on this server, as many as it runs at "
                                  "once; try again in a moment.")
    assert "ran longer than 4 s" in outcome["slow"]
    assert workers.peak == 1 and workers.samples_with_workers > 0
    assert adhoc.WORKER_SLOTS.running == 0
    assert adhoc.run_query("select 42 as answer", base=small_home).frame.item() == 42


def test_a_query_waits_for_a_free_worker_within_the_queue_time(small_home, monkeypatch):
    monkeypatch.setenv("SALESDESK_SQL_WORKERS", "1")
    monkeypatch.setenv("SALESDESK_SQL_QUEUE_S", "120")  # longer than the slow query's limit
    outcome = {}

    def slow() -> None:
        try:
            adhoc.run_query(SLOW, base=small_home, timeout_s=1)
        except UserError as e:
            outcome["slow"] = str(e)

    with WorkerCount(helper_pid(small_home)) as workers:
        first = threading.Thread(target=slow)
        first.start()
        wait_until(lambda: adhoc.WORKER_SLOTS.running == 1, "the slow query holds the slot")
        assert adhoc.run_query("select 42 as answer", base=small_home).frame.item() == 42
        first.join()
    assert "ran longer than 1 s" in outcome["slow"]
    assert workers.peak == 1  # the second query's worker started after the first's had ended


def test_six_heavy_queries_at_once_never_run_more_workers_than_the_cap(small_home, monkeypatch):
    monkeypatch.setenv("SALESDESK_SQL_WORKERS", "2")
    monkeypatch.setenv("SALESDESK_SQL_QUEUE_S", "300")
    heavy = "select count(distinct i * {k}) as n from range(2000000) t(i)"
    answers, errors = {}, []

    def run(k: int) -> None:
        try:
            answers[k] = adhoc.run_query(heavy.format(k=k + 1), base=small_home).frame.item()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    with WorkerCount(helper_pid(small_home)) as workers:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and answers == {k: 2_000_000 for k in range(6)}
    assert 1 <= workers.peak <= 2 and workers.samples_with_workers > 0
    assert adhoc.WORKER_SLOTS.running == 0


def test_the_worker_cap_setting_is_checked(small_home, monkeypatch):
    monkeypatch.delenv("SALESDESK_SQL_WORKERS", raising=False)
    assert adhoc.max_workers() == adhoc.default_max_workers() >= 2
    for bad in ("0", "two", "1.5"):
        monkeypatch.setenv("SALESDESK_SQL_WORKERS", bad)
        with pytest.raises(UserError, match=rf"SALESDESK_SQL_WORKERS must be a whole number of "
                                            rf"at least 1, not '{bad}'"):
            adhoc.run_query("select 1", base=small_home)
    assert adhoc.WORKER_SLOTS.running == 0


# --- the length limit counts characters ------------------------------------------------------

def test_a_long_chinese_query_is_measured_in_characters(small_home):
    text = "华东区域经销商月度销售回顾：门店拜访、铺货与陈列"  # 24 characters, 72 bytes in UTF-8
    sql = f"select length('{text * 3000}') as characters -- 客户备注\n"
    sql = sql + "-" * (72_059 - len(sql))
    assert len(sql) == 72_059 and len(sql.encode()) > 200_000
    assert adhoc.run_query(sql, base=small_home).frame.item() == 72_000

    at_limit = "select length('{}') as characters".format("中" * (adhoc.MAX_SQL_CHARS - 31))
    assert len(at_limit) == adhoc.MAX_SQL_CHARS
    assert adhoc.run_query(at_limit, base=small_home).frame.item() == adhoc.MAX_SQL_CHARS - 31

    with pytest.raises(UserError) as refused:
        adhoc.run_query(at_limit + " ", base=small_home)
    assert str(refused.value) == ("The query is 100,001 characters long; the SQL page takes at "
                                  "most 100,000 characters.")


# --- each layer holds on its own -------------------------------------------------------------

LAYER_2_CASES = [
    "select * from read_csv('{secret_csv}')",
    "select * from read_text('{secret_csv}')",
    "copy (select 1) to '{out}/x.csv'",
    "attach '{out}/n.duckdb' as n",
    "install httpfs",
    "load httpfs",
    "create table t as select 1",
    *[f"set {k} = {v}" for k, v in LOCKED.items()],
    *[f"reset {k}" for k in LOCKED],
]


@pytest.mark.parametrize("template", LAYER_2_CASES)
def test_the_hardened_connection_refuses_even_without_the_statement_check(small_home,
                                                                         template):
    outside = small_home.parent
    sql = template.format(secret_csv=outside / "secret.csv", out=outside / "out")
    con = duckdb.connect(str(adhoc.extract_file(base=small_home)), read_only=True,
                         config=dict(adhoc.HARDENED_CONFIG))
    try:
        with pytest.raises(duckdb.Error):
            con.execute(sql).fetchall()
        assert con.execute("select current_setting('enable_external_access')").fetchone() == \
            (False,)
    finally:
        con.close()
    assert list((outside / "out").iterdir()) == []


def test_the_worker_limits_itself(tmp_path):
    """_limit_worker (what every worker runs first): no file writes, bounded memory and CPU."""
    import subprocess
    import sys

    target = tmp_path / "written.txt"
    code = f"""
import resource
from models.engines.adhoc import _limit_worker
_limit_worker(5)
print(resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CPU)[0],
      resource.getrlimit(resource.RLIMIT_CORE)[0])
with open({str(target)!r}, "w") as f:
    f.write("x")
    f.flush()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "File too large" in done.stderr
    address_space, cpu, core = map(int, done.stdout.split())
    assert address_space == adhoc.ADDRESS_SPACE_BYTES and cpu == 5 * adhoc.THREADS + 5
    assert core == 0
    assert target.stat().st_size == 0


# --- the extract holds the marts and nothing else --------------------------------------------

def test_the_extract_holds_only_the_marts_with_their_descriptions(small_home):
    con = duckdb.connect(str(adhoc.extract_file(base=small_home)), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()}
        views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()
        comment = con.execute("select comment from duckdb_tables() where table_name = "
                              "'dim_customers'").fetchone()[0]
    finally:
        con.close()
    assert tables == {"dim_customers", "fct_customer_tiers", "rpt_rep_books",
                      "rpt_rejected_rows"}
    assert views == (0,)
    assert comment == "One row per customer, as of the build."


def test_the_schema_browser_lists_the_marts_with_descriptions_and_types(small_home):
    docs = {d.name: d for d in adhoc.schema_browser(small_home)}
    assert set(docs) == {"dim_customers", "fct_customer_tiers", "rpt_rep_books",
                         "rpt_rejected_rows"}
    customers = docs["dim_customers"]
    assert customers.description == "One row per customer, as of the build."
    columns = {r["column"]: r for r in customers.columns.iter_rows(named=True)}
    assert columns["region"]["description"] == "Sales region."
    assert columns["revenue_12m"]["type"] == "DECIMAL(18,2)"  # from catalog.json
    assert columns["customer_name"]["type"] == "VARCHAR"      # from the table itself


def test_a_new_build_gets_its_own_extract(tmp_path):
    home = tmp_path / "home"
    make_small_warehouse(home, "20260101T000000-aaaa")
    first = adhoc.run_query("select count(*) as n from dim_customers", base=home)
    path = make_small_warehouse(home, "20260102T000000-bbbb")
    con = duckdb.connect(str(path))
    con.execute("insert into marts.dim_customers values ('C7', 'New', 'East', 'R4', 1.0)")
    con.close()
    second = adhoc.run_query("select count(*) as n from dim_customers", base=home)
    assert (first.build_id, first.frame.item()) == ("20260101T000000-aaaa", 6)
    assert (second.build_id, second.frame.item()) == ("20260102T000000-bbbb", 7)


def test_no_warehouse_gives_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="no warehouse yet"):
        adhoc.run_query("select 1", base=tmp_path)


# --- what an analyst writes still works ------------------------------------------------------

VALID = [
    ("join", "select c.customer_id, t.tier from dim_customers c join fct_customer_tiers t "
             "using (customer_id) where t.month_start = date '2026-02-01' order by 1", 6),
    ("window", "select customer_id, rank() over (partition by region order by revenue_12m "
               "desc) as r from dim_customers", 6),
    ("CTE", "with north as (select * from dim_customers where region = 'North') "
            "select count(*) from north", 1),
    ("recursive CTE", "with recursive r(n) as (select 1 union all select n + 1 from r "
                      "where n < 5) select * from r", 5),
    ("SUMMARIZE", "summarize dim_customers", 5),
    ("DESCRIBE", "describe fct_customer_tiers", 4),
    ("SHOW TABLES", "show tables", 4),
    ("FROM first", "from rpt_rep_books select rep_id where region = 'North'", 2),
    ("VALUES", "values (1, 'a'), (2, 'b')", 2),
    ("trailing semicolon and comment", "-- reps\nselect * from rpt_rep_books;", 4),
    ("line comment after the semicolon", "select * from rpt_rep_books; -- done", 4),
    ("block comment after the semicolon", "select 1 as one; /* x */", 1),
    ("comments and semicolons after the query", "select 1 as one -- first\n; /* a */ ; -- b", 1),
    ("semicolon in a string and a comment", "select ';' as s /* ; */; -- ;", 1),
    ("conditional pivot", "select region, count(*) filter (where revenue_12m > 60) as big "
                          "from dim_customers group by all", 3),
    ("pivot in a subquery is refused, plain group by is not",
     "select region, count(*) from dim_customers group by region", 3),
]


@pytest.mark.parametrize("name, sql, rows", VALID, ids=[v[0] for v in VALID])
def test_analyst_queries_work(small_home, name, sql, rows):
    result = adhoc.run_query(sql, base=small_home)
    assert result.rows == rows and not result.truncated
    assert result.build_id == BUILD_ID and result.seconds > 0


def test_only_the_trailing_semicolons_and_comments_are_cut():
    assert adhoc.check_sql("select 1; -- done") == "select 1"
    assert adhoc.check_sql("select 1; /* x */") == "select 1"
    assert adhoc.check_sql("select ';' as s; /* ; */ ;") == "select ';' as s"
    assert adhoc.check_sql("select 1 -- done") == "select 1 -- done"
    assert adhoc.check_sql("select $$a;b$$;  -- c") == "select $$a;b$$"


def test_downloads_round_trip(small_home, tmp_path):
    frame = adhoc.run_query("select customer_id, customer_name, revenue_12m, "
                            "[1, 2] as numbers from dim_customers order by 1",
                            base=small_home).frame
    csv = adhoc.csv_bytes(frame)
    assert csv.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(csv[3:])
    assert back["customer_id"].to_list() == frame["customer_id"].to_list()
    assert back["numbers"][0] == "[1, 2]"
    (tmp_path / "q.parquet").write_bytes(adhoc.parquet_bytes(frame))
    assert pl.read_parquet(tmp_path / "q.parquet").equals(frame)


# --- the saved examples run on a real build --------------------------------------------------

def test_every_example_runs_on_the_demo_build(built_home):
    marts = {d.name for d in adhoc.schema_browser(built_home)}
    assert adhoc.examples(marts) == list(adhoc.EXAMPLES), \
        "an example names a mart the build no longer has"
    for example in adhoc.EXAMPLES:
        result = adhoc.run_query(example.sql, base=built_home)
        assert result.rows > 0, example.title
    assert not any(name.startswith(("stg_", "int_")) for name in marts)
    assert "dim_customers" in marts


def test_environment_variables_do_not_leak_into_results(small_home, monkeypatch):
    monkeypatch.setenv("SALESDESK_TEST_SECRET", "hunter2")
    with pytest.raises(UserError):
        adhoc.run_query("select * from read_text('/proc/self/environ')", base=small_home)
    with pytest.raises(UserError, match="getenv"):  # the CLI's getenv() is not in the library
        adhoc.run_query("select getenv('SALESDESK_TEST_SECRET')", base=small_home)
    result = adhoc.run_query("select current_setting('enable_external_access') as ext, "
                             "current_setting('lock_configuration') as locked",
                             base=small_home)
    assert result.frame.row(0) == (False, True)
    assert os.environ["SALESDESK_TEST_SECRET"] == "hunter2"


def test_workers_do_not_inherit_the_apps_environment(small_home, monkeypatch):
    monkeypatch.setenv("SALESDESK_AUTH_PROXY_SECRET", "hunter2")
    adhoc._fork_server.stop()  # the next query starts the helper with this environment
    assert adhoc.run_query("select 1 as x", base=small_home).frame.item() == 1
    helper = adhoc._fork_server._proc
    assert helper is not None and helper.poll() is None
    environ = Path(f"/proc/{helper.pid}/environ").read_bytes()
    assert b"hunter2" not in environ and b"PATH=" in environ


def test_types_polars_cannot_hold_come_back_as_text(small_home):
    frame = adhoc.run_query(
        "select interval 3 day as waited, union_value(n := 1) as u, [interval 1 hour] as l, "
        "date '2026-01-05' - date '2026-01-01' as days order by days", base=small_home).frame
    assert frame.row(0) == ("3 days", "1", "['01:00:00']", 4)
    # every DuckDB type: the query runs; a download that cannot be written says so
    result = adhoc.run_query("select * from test_all_types()", base=small_home)
    assert result.rows == 3
    for write in (adhoc.csv_bytes, adhoc.parquet_bytes):
        try:
            assert write(result.frame)
        except UserError as e:
            assert "cast the odd column to varchar" in str(e)
