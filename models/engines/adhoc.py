"""Ad hoc SQL over the marts: the one entry point is ``run_query``.

DuckDB SQL can read and write any file the server can, load extensions, attach databases and
change its own settings. So a query typed into the SQL page passes four layers:

1. **One SELECT-type statement** (``duckdb.extract_statements``): SELECT, WITH, FROM-first,
   VALUES, DESCRIBE, SHOW, SUMMARIZE. Everything else (COPY, EXPORT, ATTACH, INSTALL, SET, PRAGMA,
   CREATE, INSERT, CALL, EXPLAIN, PIVOT-as-a-statement, two statements) is refused before any
   engine sees it.
2. **A hardened, read-only connection** to a marts-only extract of the current build
   (``HARDENED_CONFIG``: external access off, extension auto-install/auto-load off, community and
   unsigned extensions off, persistent secrets off, Python replacement scans off, a memory limit,
   no temp spilling, and the configuration locked). The extract holds the dbt marts (``fct_``,
   ``dim_``, ``rpt_`` models under ``models/marts/``) and nothing else: no staging, no
   ``raw.*`` views with lake paths. A restricted scope (manager, rep) gets an extract with only
   its rows.
3. **A worker process per query** (forked from a small helper process, ``models.core.jail``)
   with OS limits: address space, CPU seconds, no file writes, no core dumps, a minimal
   environment. A timer interrupts the query at the soft timeout; at the hard timeout the
   kernel ends the worker (SIGALRM) and the caller kills it too. The app survives whatever the
   query does to its worker. At most ``max_workers()`` workers run at once in the app process
   (``WORKER_SLOTS``); a query waits a few seconds for a free one, then is refused.
4. **A row cap in the engine**: ``relation.limit(max_rows + 1)``; the extra row only says that
   the result was truncated. **A size cap in the worker**: a result larger than
   ``result_limit_bytes()`` (in Arrow) is refused before it is sent, so the app never holds it.

The text limit counts characters (``MAX_SQL_CHARS``); a trailing ``;`` and comments after it are
allowed.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.ipc  # noqa: F401 - imported by the helper, so that a worker imports nothing

from models.core import jail, scoping, settings
from models.core.errors import UserError
from models.core.scoping import Scope

if TYPE_CHECKING:  # the fork server imports this module: keep its imports few
    from models.core.warehouse import Warehouse

MEMORY_LIMIT = "1GB"                  # DuckDB's own limit inside the worker
MEMORY_LIMIT_TEXT = "1 GB"
THREADS = 2
ADDRESS_SPACE_BYTES = 4 * 1024 ** 3   # the worker's RLIMIT_AS (the engine itself maps ~1.5 GB)
DEFAULT_MAX_RESULT_MB = 100          # a larger result (in Arrow, estimated in the worker) is refused
DEFAULT_QUEUE_WAIT_S = 5.0           # how long a query waits for a free worker before it is refused
HARD_KILL_GRACE_S = 2.0               # after the soft timeout, how long before the kill
DEFAULT_TIMEOUT_S = 30
DEFAULT_MAX_ROWS = 10_000

HARDENED_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,
    "memory_limit": MEMORY_LIMIT,
    "threads": THREADS,
    "temp_directory": "",
    "max_temp_directory_size": "0B",
    "lock_configuration": True,
}

READ_ONLY_NOTE = ("The SQL page only reads the marts: it cannot change data or settings, read "
                  "or write files, load extensions or attach databases.")


# --- layer 1: one SELECT-type statement ------------------------------------------------------

def check_sql(sql: str, parser: duckdb.DuckDBPyConnection | None = None) -> str:
    """The text of the one SELECT-type statement in ``sql``; UserError otherwise.

    ``parser``: the connection whose parser to use (default: duckdb's module connection).
    """
    if not isinstance(sql, str) or not sql.strip():
        raise UserError("Write a query first, for example: select * from dim_customers")
    try:
        statements = (parser or duckdb).extract_statements(sql)
    except duckdb.Error as e:
        raise UserError(f"The query does not parse: {_first_line(e)}") from None
    if not statements:
        raise UserError("There is no statement to run (only comments or semicolons).")
    if len(statements) > 1:
        raise UserError(f"Run one statement at a time: this input holds {len(statements)} "
                        "statements separated by ';'.")
    statement = statements[0]
    kind = statement.type.name
    if kind == "MULTI":
        raise UserError("PIVOT/UNPIVOT cannot run here (DuckDB runs them as several statements). "
                        "Write the pivot with conditional aggregates, e.g. "
                        "count(*) filter (where tier = 'A') as tier_a.")
    if kind != "SELECT":
        raise UserError(f"Only queries that read can run here (SELECT, WITH, FROM, VALUES, "
                        f"DESCRIBE, SHOW, SUMMARIZE); this is a {kind} statement. "
                        + READ_ONLY_NOTE)
    return _without_trailing_semicolons(statement.query)


def _without_trailing_semicolons(query: str) -> str:
    """``query`` without the semicolons (and the comments among them) at its end.

    The parser keeps ``; -- done`` in the statement's text, and a relation made from that text
    does not parse (the query is wrapped in a subquery). Only the tail after the last real token
    is cut, found with DuckDB's own tokenizer, so a ';' in a string or a comment stays.
    """
    cut = None
    for position, kind in reversed(duckdb.tokenize(query)):
        if kind == duckdb.token_type.comment:
            continue
        if kind == duckdb.token_type.operator and query.startswith(";", position):
            cut = position
            continue
        break
    return query if cut is None else query[:cut]


def _first_line(error: BaseException | str) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- the marts and their documentation -------------------------------------------------------

def _artifacts_dir(build_id: str, base: Path | None = None) -> Path:
    return settings.warehouse_dir(base) / f"{build_id}.dbt"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class MartDoc:
    name: str
    description: str
    columns: pl.DataFrame  # column, type, description


def _manifest_marts(build_id: str, base: Path | None) -> dict[str, dict]:
    """Mart models of the build's manifest: name -> manifest node (empty without a manifest)."""
    manifest = _read_json(_artifacts_dir(build_id, base) / "target" / "manifest.json")
    marts = {}
    for node in (manifest.get("nodes") or {}).values():
        path = str(node.get("original_file_path") or node.get("path") or "")
        if node.get("resource_type") == "model" and (path.startswith("models/marts/")
                                                     or path.startswith("marts/")):
            marts[node["name"]] = node
    return marts


def _build_marts(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The tables of the marts' schema of the attached build ``catalog``."""
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
        "order by 1", [catalog, settings.MARTS_SCHEMA]).fetchall()
    return [r[0] for r in rows]


def _current_build(base: Path | None) -> tuple[str, Path]:
    from models.core.warehouse import NoWarehouse, Warehouse

    wh = Warehouse(base or settings.home())
    path = wh.current_file()
    if path is None or not path.exists():
        raise NoWarehouse("There is no warehouse yet: load data and build it (salesdesk build, "
                          "or the Data page).")
    return path.name.removesuffix(".duckdb"), path


def mart_docs(wh: Warehouse, scope: Scope) -> list[MartDoc]:
    """``schema_browser`` for the data folder of ``wh`` (the shape the pages' cached read takes)."""
    return schema_browser(wh.base, scope)


def schema_browser(base: Path | None = None, scope: Scope | None = None) -> list[MartDoc]:
    """The marts the SQL page can query, with dbt's descriptions and the column types."""
    scope = scope or scoping.ALL_DATA
    extract = extract_file(scope, base)
    build_id = extract.parent.parent.name.removesuffix(".dbt")
    nodes = _manifest_marts(build_id, base)
    catalog = _read_json(_artifacts_dir(build_id, base) / "target" / "catalog.json")
    catalog_nodes = {n.get("metadata", {}).get("name"): n
                     for n in (catalog.get("nodes") or {}).values()}
    con = duckdb.connect(str(extract), read_only=True, config=dict(HARDENED_CONFIG))
    try:
        frame = con.sql(
            "select table_name, column_name, data_type, column_index from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' "
            "order by table_name, column_index").pl()
    finally:
        con.close()
    docs = []
    for (name,), columns in frame.group_by("table_name", maintain_order=True):
        node = nodes.get(name, {})
        described = node.get("columns") or {}
        typed = (catalog_nodes.get(name) or {}).get("columns") or {}
        rows = [{
            "column": col,
            "type": (typed.get(col) or {}).get("type") or dtype,
            "description": (described.get(col) or {}).get("description") or "",
        } for col, dtype in zip(columns["column_name"], columns["data_type"])]
        docs.append(MartDoc(name=name, description=node.get("description") or "",
                            columns=pl.DataFrame(rows, schema={"column": pl.String,
                                                               "type": pl.String,
                                                               "description": pl.String})))
    return docs


# --- layer 2's database: a marts-only extract of the current build ---------------------------

def extract_file(scope: Scope | None = None, base: Path | None = None) -> Path:
    """The marts-only extract of the current build for ``scope``; made on first use.

    ``warehouse/<build id>.dbt/adhoc/<scope key>.duckdb``: pruned with its build. An
    unrestricted scope gets every mart; a manager or a rep only the marts of
    ``scoping.MART_SCOPES``, holding only their rows.
    """
    build_id, build_file = _current_build(base)
    return prepare_extract(build_id, build_file, scope or scoping.ALL_DATA, base)


def register_build_hook() -> None:
    """Have every build write the unrestricted marts copy before it is swapped in, so the SQL
    page's first query after a build is quick (called by the app and the CLI at start)."""
    from models.pipeline import build  # here: the jail's fork server imports this module

    build.register_post_build_hook(build.PostBuildHook(
        name="sql-page-marts-copy",
        progress="Writing the marts-only copy the SQL page reads ...",
        failure="The SQL page's copy of the marts was not written",
        run=lambda build_id, db_path, base: prepare_extract(build_id, db_path, scoping.ALL_DATA,
                                                            base)))


def prepare_extract(build_id: str, build_file: Path, scope: Scope, base: Path | None = None
                    ) -> Path:
    """Write (once) the marts-only extract of the build ``build_id`` for ``scope``. Every build
    calls it for the unrestricted scope before the swap (``register_build_hook``), so the SQL
    page opens at once."""
    folder = _artifacts_dir(build_id, base) / "adhoc"
    target = folder / f"{scope.key}.duckdb"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _write_extract(build_id, build_file, scope, target, base)
    return target


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _month_column(node: dict) -> str | None:
    """The month column of a month-incremental mart (its config meta ``changed_months_column``),
    else None."""
    config = node.get("config") or {}
    if config.get("materialized") != "incremental":
        return None
    return (config.get("meta") or {}).get("changed_months_column")


def _incremental_source(build_id: str, scope: Scope, target: Path,
                        base: Path | None) -> tuple[Path, list[str]] | None:
    """For an incremental build: the previous build's extract of ``scope`` to start from, and
    the months to replace in it (models/pipeline/incremental.py); None: write it whole."""
    from models.pipeline import incremental

    plan = incremental.read(_artifacts_dir(build_id, base))
    if plan is None or not plan.incremental or not plan.previous_build:
        return None
    previous = _artifacts_dir(plan.previous_build, base) / "adhoc" / target.name
    return (previous, plan.changed_months) if previous.exists() else None


def _months_sql(column: str, months: list[str]) -> str:
    listed = ", ".join(f"date {_sql_string(m)}" for m in months)
    return f'("{column}" is null or "{column}" in ({listed}))' if months else \
        f'("{column}" is null)'


def _write_extract(build_id: str, build_file: Path, scope: Scope, target: Path,
                   base: Path | None) -> None:
    """Write the extract; after an incremental build, a copy of the previous build's with the
    recomputed months of the month-incremental marts replaced and the other marts written
    again (their rows are few: the order-line marts are the month-incremental ones)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    nodes = _manifest_marts(build_id, base)
    start = _incremental_source(build_id, scope, target, base)
    if start is not None:
        shutil.copyfile(start[0], tmp)
    # within the build's memory limit (the copy of the order-line marts is large)
    con = duckdb.connect(str(tmp), config=settings.build_duckdb_config(base))
    con.execute("set enable_progress_bar = false")  # the build's output is the dbt log
    try:
        con.execute(f"attach {_sql_string(str(build_file))} as build (read_only)")
        params = scoping.scope_params(scope)
        kept = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()}
        for mart in _build_marts(con, "build"):
            select = scoping.scoped_select(mart, scope,
                                           qualifier=f"build.{settings.MARTS_SCHEMA}.")
            if select is None:
                continue
            used = {k: v for k, v in params.items() if f"${k}" in select}
            month = _month_column(nodes.get(mart) or {})
            if start is not None and month and mart in kept:
                changed = _months_sql(month, start[1])
                con.execute(f"delete from main.{mart} where {changed}")
                con.execute(f"insert into main.{mart} select * from ({select}) where {changed}",
                            used or None)
                continue
            con.execute(f"create or replace table main.{mart} as {select}", used or None)
            node = nodes.get(mart) or {}
            if node.get("description"):
                con.execute(f"comment on table main.{mart} is "
                            f"{_sql_string(node['description'])}")
            columns = {r[0] for r in con.execute(
                "select column_name from duckdb_columns() where database_name = current_database()"
                " and table_name = ?", [mart]).fetchall()}
            for column, meta in (node.get("columns") or {}).items():
                if column in columns and meta.get("description"):
                    con.execute(f'comment on column main.{mart}."{column}" is '
                                f"{_sql_string(meta['description'])}")
        con.execute("detach build")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, target)


# --- layer 3: the worker process -------------------------------------------------------------
#
# Workers are forked by the shared fork server of ``models.core.jail`` (task "sql"): one helper
# process per app process, a fork per query, OS limits first.

MAX_SQL_CHARS = 100_000
_BATCH_ROWS = 2048  # the worker adds up the result's size batch by batch (one DuckDB vector)


def _limit_worker(timeout_s: float) -> None:
    """OS limits of a worker: address space, CPU seconds, no file writes, no core dumps, and a
    kernel-delivered SIGALRM (default action: terminate) at the hard timeout."""
    jail.apply_limits(jail.Limits(address_space_bytes=ADDRESS_SPACE_BYTES,
                                  cpu_seconds=int(timeout_s * THREADS + 5),
                                  wall_seconds=timeout_s + HARD_KILL_GRACE_S,
                                  file_size_bytes=0))


# DuckDB types polars cannot take from Arrow (INTERVAL, UNION; ENUM, whose Arrow dictionary keys
# under NULLs can be out of range and make polars refuse the whole result at random) or show
# (BIGNUM, BIT, GEOMETRY), also inside lists and structs: such columns come back as text.
_NOT_FOR_POLARS = re.compile(r"\b(INTERVAL|UNION|ENUM|BIGNUM|VARINT|BIT|GEOMETRY)\b")


def _displayable(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    types = [str(t) for t in relation.types]
    columns = relation.columns
    if not any(_NOT_FOR_POLARS.search(t) for t in types) or len(set(columns)) != len(columns):
        return relation

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    return relation.project(", ".join(
        f"{quoted(c)}::varchar as {quoted(c)}" if _NOT_FOR_POLARS.search(t) else quoted(c)
        for c, t in zip(columns, types)))


def _execute(db_path: str, sql: str, max_rows: int, timeout_s: float,
             max_result_bytes: int) -> tuple[dict, bytes]:
    """In the worker: the query on a hardened connection; (header, Arrow IPC bytes).

    The result is read batch by batch; once its size passes ``max_result_bytes`` the worker
    stops and answers "too large", so the app never receives it."""
    try:
        con = duckdb.connect(db_path, read_only=True, config=dict(HARDENED_CONFIG))
        sql = check_sql(sql, con)  # again, in the process that runs it
        timer = threading.Timer(timeout_s, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            relation = con.sql(sql)
            if relation is None:
                raise UserError("The statement returned no result. " + READ_ONLY_NOTE)
            reader = _displayable(relation).limit(max_rows + 1).to_arrow_reader(_BATCH_ROWS)
            batches, rows, size = [], 0, 0
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                size += batch.nbytes
                if size > max_result_bytes:
                    return {"status": "error", "kind": "too_large",
                            "detail": f"over {size:,} bytes at row {rows:,}"}, b""
            table = pa.Table.from_batches(batches, schema=reader.schema)
        finally:
            timer.cancel()
        truncated = table.num_rows > max_rows
        if truncated:
            table = table.slice(0, max_rows)
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return {"status": "ok", "truncated": truncated}, sink.getvalue()
    except UserError as e:
        return {"status": "error", "kind": "refused", "detail": str(e)}, b""
    except duckdb.InterruptException:
        return {"status": "error", "kind": "timeout", "detail": ""}, b""
    except (duckdb.OutOfMemoryException, MemoryError):
        return {"status": "error", "kind": "memory", "detail": ""}, b""
    except duckdb.PermissionException as e:
        return {"status": "error", "kind": "permission", "detail": _first_line(e)}, b""
    except duckdb.Error as e:
        return {"status": "error", "kind": "sql", "detail": str(e).strip()}, b""
    except Exception as e:  # noqa: BLE001 - everything goes back to the caller as text
        return {"status": "error", "kind": "internal",
                "detail": f"{type(e).__name__}: {_first_line(e)}"}, b""


def _worker_main(request: dict, out: socket.socket) -> None:
    """In the forked worker: limits first, then the query, then the answer to the caller."""
    _limit_worker(float(request["timeout_s"]))
    header, payload = _execute(request["db_path"], request["sql"], int(request["max_rows"]),
                               float(request["timeout_s"]), int(request["max_result_bytes"]))
    jail.send_answer(out, header, payload)


_fork_server = jail.fork_server


# --- the server's limits: how many workers at once, how large a result ----------------------
#
# Environment variables, read at every query (so a bad value is a message on the page, not a
# failed import): SALESDESK_SQL_WORKERS, SALESDESK_SQL_QUEUE_S, SALESDESK_SQL_MAX_RESULT_MB.

def _env_number(name: str, default: float, minimum: float, whole: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not value >= minimum or value == float("inf"):
        kind = "a whole number" if whole else "a number"
        raise UserError(f"The server setting {name} must be {kind} of at least {minimum:g}, not "
                        f"{raw!r}: ask the administrator to fix it.")
    return value


def default_max_workers() -> int:
    """Two, or one per two cores (each worker's engine runs ``THREADS`` threads)."""
    return max(2, (os.cpu_count() or 2) // THREADS)


def max_workers() -> int:
    """How many query workers this app process runs at once (``SALESDESK_SQL_WORKERS``)."""
    return int(_env_number("SALESDESK_SQL_WORKERS", default_max_workers(), 1, whole=True))


def queue_wait_s() -> float:
    """How long a query waits for a free worker before it is refused (``SALESDESK_SQL_QUEUE_S``)."""
    return _env_number("SALESDESK_SQL_QUEUE_S", DEFAULT_QUEUE_WAIT_S, 0, whole=False)


def result_limit_bytes() -> int:
    """The largest result a query may send back (``SALESDESK_SQL_MAX_RESULT_MB``, in MB)."""
    return int(_env_number("SALESDESK_SQL_MAX_RESULT_MB", DEFAULT_MAX_RESULT_MB, 1,
                           whole=False) * 2**20)


def check_length(sql: str) -> None:
    """UserError when ``sql`` is longer than ``MAX_SQL_CHARS`` characters (not bytes)."""
    if isinstance(sql, str) and len(sql) > MAX_SQL_CHARS:
        raise UserError(f"The query is {len(sql):,} characters long; the SQL page takes at most "
                        f"{MAX_SQL_CHARS:,} characters.")


class WorkerSlots:
    """The cap on concurrent query workers of this process: a counting semaphore.

    The Streamlit server runs every session's script in a thread of one process, so this one
    object sees every query of the app. The limit is passed at each acquisition (it is read from
    the environment), so a changed setting applies to the next query.
    """

    def __init__(self) -> None:
        self._free = threading.Condition()
        self.running = 0

    @contextmanager
    def slot(self, limit: int, wait_s: float) -> Iterator[None]:
        """Hold one of ``limit`` slots; wait up to ``wait_s`` for one, then UserError."""
        with self._free:
            if not self._free.wait_for(lambda: self.running < limit, timeout=wait_s):
                raise UserError(self.busy_message(self.running))
            self.running += 1
        try:
            yield
        finally:
            with self._free:
                self.running -= 1
                self._free.notify_all()

    @staticmethod
    def busy_message(running: int) -> str:
        queries = "1 query is" if running == 1 else f"{running} queries are"
        return (f"{queries} running on this server, as many as it runs at once; try again in a "
                "moment.")


WORKER_SLOTS = WorkerSlots()


# --- the entry point -------------------------------------------------------------------------

@dataclass
class QueryResult:
    frame: pl.DataFrame
    truncated: bool
    seconds: float = 0.0
    build_id: str = ""
    max_rows: int = 0
    scope: str = field(default="all data")

    def __iter__(self):  # frame, truncated = run_query(...)
        return iter((self.frame, self.truncated))

    @property
    def rows(self) -> int:
        return self.frame.height


def _refusal(kind: str, detail: str, timeout_s: float, max_result_bytes: int = 0) -> UserError:
    if kind == "timeout":
        return UserError(f"The query ran longer than {timeout_s:g} s and was stopped. Narrow it "
                         "down: filter, aggregate, or join on keys.")
    if kind == "memory":
        return UserError(f"The query needed more than the {MEMORY_LIMIT_TEXT} of memory a query may "
                         "use and was stopped. Aggregate or filter before joining, or select "
                         "fewer columns.")
    if kind == "too_large":
        return UserError(f"The result is too large: it is over the {_mb(max_result_bytes)} a "
                         "result may hold. Add a LIMIT, aggregate (group by), or select fewer or "
                         "shorter columns.")
    if kind == "permission":
        return UserError("Reading or writing files, URLs, extensions or other databases is not "
                         "allowed: query the marts listed in the schema browser. "
                         f"(DuckDB said: {detail})")
    if kind == "killed":
        return UserError(f"The query went over the page's limits ({timeout_s:g} s, "
                         f"{MEMORY_LIMIT_TEXT} of memory) and its worker process was ended. Make "
                         "it smaller: filter, aggregate, fewer columns.")
    if kind == "sql" and _FILE_AS_TABLE.search(detail):
        return UserError("Reading files or URLs is not allowed: query the marts listed in the "
                         f"schema browser. (DuckDB said: {_first_line(detail)})")
    if kind == "sql":
        hint = ""
        lowered = detail.lower()
        if any(word in lowered for word in ('"raw"', "raw.", "stg_", "int_", "base_",
                                              "staging", "intermediate", "marts")):
            hint = (" The SQL page reads the marts only (the tables of the schema browser, "
                    "named without a schema); raw lake views, staging and intermediate models "
                    "are not in it.")
        return UserError(f"The query failed: {detail}{hint}")
    return UserError(detail or "The query failed.")


def _mb(size: int) -> str:
    return f"{size / 2**20:,.{0 if size >= 2**20 else 2}f} MB"


# FROM 'file.csv' with external access off: a catalog error naming a path or URL.
_FILE_AS_TABLE = re.compile(r"Table with name \S*([/\\:]|\.(csv|tsv|parquet|json|jsonl|txt|xlsx?|gz|"
                            r"duckdb|db)\b)", re.I)


def run_query(sql: str, *, scope: Scope | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
              max_rows: int = DEFAULT_MAX_ROWS, base: Path | None = None,
              max_result_bytes: int | None = None) -> QueryResult:
    """Run one read-only query over the marts (of ``scope``) in a limited worker process.

    Returns the result as polars with ``truncated`` set when more than ``max_rows`` rows
    matched; raises UserError with a message a person can act on otherwise. At most
    ``max_workers()`` queries run at once in this process; a query waits up to
    ``queue_wait_s()`` for a free worker and is then refused. A result over
    ``max_result_bytes`` (default ``result_limit_bytes()``) is refused in the worker.
    """
    if timeout_s <= 0 or max_rows < 0:
        raise ValueError("timeout_s must be > 0 and max_rows >= 0")
    started = time.perf_counter()
    check_length(sql)
    text = check_sql(sql)
    limit = max_result_bytes if max_result_bytes is not None else result_limit_bytes()
    if limit <= 0:
        raise ValueError("max_result_bytes must be > 0")
    workers, wait_s = max_workers(), queue_wait_s()
    scope = scope or scoping.ALL_DATA
    db_path = extract_file(scope, base)
    build_id = db_path.parent.parent.name.removesuffix(".dbt")

    with WORKER_SLOTS.slot(workers, wait_s):
        pid, answer = _fork_server.start_worker(
            {"task": "sql", "db_path": str(db_path), "sql": text, "max_rows": max_rows, "timeout_s": timeout_s,
             "max_result_bytes": limit})
        with answer:
            deadline = time.monotonic() + timeout_s + HARD_KILL_GRACE_S + 1.0
            # The worker checked the Arrow size; the stream format adds a little (metadata,
            # padding).
            received = jail.receive(answer, deadline, limit + limit // 4 + 2**20)
            # The slot is free only once the worker is gone: its socket closes as it exits,
            # after its memory is released.
            if received is None or not jail.worker_gone(answer, deadline):
                jail.kill(pid)  # normally dead already (SIGALRM, RLIMIT_*)
                jail.worker_gone(answer, time.monotonic() + HARD_KILL_GRACE_S)
    if received is None:
        raise _refusal("killed", "", timeout_s)
    header, payload = received
    if header.get("status") != "ok":
        raise _refusal(str(header.get("kind")), str(header.get("detail") or ""), timeout_s,
                       limit)
    try:
        frame = pl.read_ipc_stream(payload)
    except (Exception, pl.exceptions.PanicException) as e:  # an Arrow type polars cannot take
        raise UserError(f"The result has a column type the page cannot show ({_first_line(e)});"
                        " cast it, e.g. value::varchar.") from None
    return QueryResult(frame=frame, truncated=bool(header.get("truncated")),
                       seconds=time.perf_counter() - started, build_id=build_id,
                       max_rows=max_rows, scope=scope.describe())


# --- downloads -------------------------------------------------------------------------------

def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns (lists, structs, arrays) as JSON-ish text, for CSV."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(lambda v: json.dumps(v.to_list() if hasattr(v, "to_list")
                                                       else v, default=str, ensure_ascii=False),
                                  return_dtype=pl.String)
        for name in nested)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The result as CSV in UTF-8 with a BOM (so that Excel reads Chinese names right)."""
    try:
        binary = [n for n, t in frame.schema.items() if t == pl.Binary]
        flat = _flat(frame.with_columns(pl.col(n).bin.encode("hex") for n in binary))
        return flat.write_csv(include_bom=True).encode("utf-8")
    except (Exception, pl.exceptions.PanicException) as e:
        raise UserError(f"This result cannot be written as CSV ({_first_line(e)}); cast the "
                        "odd column to varchar in the query.") from None


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    try:
        sink = io.BytesIO()
        frame.write_parquet(sink)
        return sink.getvalue()
    except (Exception, pl.exceptions.PanicException) as e:
        raise UserError(f"This result cannot be written as Parquet ({_first_line(e)}); cast "
                        "the odd column to varchar in the query.") from None


# --- saved example queries -------------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    title: str
    sql: str
    marts: tuple[str, ...]


EXAMPLES = (
    Example("Customers and 12-month revenue by region and tier", """\
select
    region,
    tier,
    count(*) as customers,
    round(sum(revenue_12m), 0) as revenue_12m
from dim_customers
group by all
order by region, tier""", ("dim_customers",)),
    Example("Top 3 customers of each region (window function)", """\
with ranked as (
    select
        region,
        customer_id,
        customer_name,
        revenue_12m,
        rank() over (partition by region order by revenue_12m desc nulls last) as rank_in_region
    from dim_customers
)
select *
from ranked
where rank_in_region <= 3
order by region, rank_in_region""", ("dim_customers",)),
    Example("Tier moves in the latest month", """\
with latest as (
    select max(month_start) as month_start from fct_customer_tiers
)
select tiers.tier_move, tiers.previous_tier, tiers.tier, count(*) as customers
from fct_customer_tiers as tiers
join latest using (month_start)
group by all
order by customers desc""", ("fct_customer_tiers",)),
    Example("Reps' books: customers, revenue and coverage", """\
select rep_id, rep_name, region, customers, revenue_12m, pareto_customers, coverage_rate
from rpt_rep_books
order by revenue_12m desc""", ("rpt_rep_books",)),
    Example("Profile every column of the customers mart", "summarize dim_customers",
            ("dim_customers",)),
    Example("Columns and types of the tier mart", "describe fct_customer_tiers",
            ("fct_customer_tiers",)),
)


def examples(available: set[str] | list[str]) -> list[Example]:
    """The saved examples whose marts are in this build."""
    have = set(available)
    return [e for e in EXAMPLES if set(e.marts) <= have]
