"""Build and swap: run ``dbt build`` into a new warehouse file, then point ``current`` at it.

DuckDB allows one writer or many readers of a file, never both, so dbt never writes the file the
app reads. Each build writes ``warehouse/<build id>.duckdb``; only when every model and test passed
is ``warehouse/current.duckdb`` (a symlink) replaced, atomically, by one pointing at the new file.
A failed build leaves ``current`` as it was. The last ``KEEP_BUILDS`` good builds are kept. Every
build, good or failed, is recorded in ``warehouse/builds.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from models import clock, jsonlog, settings
from models.errors import UserError

KEEP_BUILDS = 3
FAILED_STATUSES = {"error", "fail", "runtime error"}
BUILD_RESULTS = "build_run_results.json"  # dbt build's run_results.json of each build
SPARK_TARGET = "spark"  # the dbt-spark output of profiles.yml (pip install -e '.[spark]')


@dataclass
class BuildResult:
    build_id: str
    status: str  # "success" or "failed"
    started_at: str
    finished_at: str = ""
    seconds: float = 0.0
    warehouse_file: str = ""
    failures: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    nodes: int = 0
    lake_loads: int = 0  # entries of the load log when the build started
    as_of_date: str = ""  # the as_of_date var the build ran with

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def __str__(self) -> str:
        if self.ok:
            return (f"Build {self.build_id} succeeded in {self.seconds:.1f} s: {self.nodes} models, "
                    f"seeds and tests; warehouse {self.warehouse_file}")
        lines = [f"Build {self.build_id} FAILED after {self.seconds:.1f} s; the current warehouse "
                 f"was left as it was. What failed:"]
        lines += [f"  - {f}" for f in self.failures] or ["  - (see the dbt output above)"]
        return "\n".join(lines)


def history_path(base: Path | None = None) -> Path:
    return settings.warehouse_dir(base) / "builds.jsonl"


def history(base: Path | None = None) -> list[dict]:
    """The build history, oldest first."""
    return jsonlog.read(history_path(base))


def dbt_executable() -> str:
    """The dbt of this environment (beside the running Python), else the one on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def spark_dir(base: Path | None = None) -> Path:
    """The Spark target's folder: its warehouse, Derby metastore, build artifacts and history.

    Apart from ``warehouse/``: a Spark build writes no DuckDB file and never becomes current.
    """
    return (base or settings.home()) / "spark"


def lake_files(base: Path | None = None) -> dict[str, list[str]]:
    """The Parquet file names of each lake entity now: the snapshot a Spark build reads."""
    lake = settings.lake_dir(base)
    return {d.name: sorted(f.name for f in d.glob("*.parquet"))
            for d in sorted(lake.iterdir()) if d.is_dir()} if lake.is_dir() else {}


def dbt_env(db_path: Path, base: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SALESDESK_DB_PATH=str(db_path),
        SALESDESK_SPARK_DIR=str(spark_dir(base)),
        SALESDESK_LAKE=str(settings.lake_dir(base)),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_PROFILES_DIR=str(settings.DBT_PROJECT_DIR),
    )
    return env


def run_build(base: Path | None = None, *, on_line: Callable[[str], None] | None = None,
              dbt_vars: dict | None = None, unit_tests: bool = False,
              target: str | None = None) -> BuildResult:
    """Build a new warehouse; swap it in if everything passed. Raises UserError if busy.

    Models, seeds and data tests always run. dbt unit tests check the SQL, not the data, so, as
    dbt advises, they run in development and CI (``unit_tests=True``, ``salesdesk build
    --unit-tests``, and the test suite) rather than in every production build.
    ``target="spark"`` builds the same project on Spark instead (``run_spark_build``).
    """
    dbt_vars = with_as_of_date(dbt_vars)
    if target == SPARK_TARGET:
        return run_spark_build(base, on_line=on_line, dbt_vars=dbt_vars, unit_tests=unit_tests)
    if target not in (None, "dev"):
        raise UserError(f"Unknown build target {target!r}: dev (DuckDB) or {SPARK_TARGET}.")
    wh = settings.warehouse_dir(base)
    wh.mkdir(parents=True, exist_ok=True)
    with _build_lock(wh, "Another build is running; wait for it to finish and try again."):
        return _build_locked(base, wh, on_line or (lambda line: None), dbt_vars or {},
                             unit_tests)


def with_as_of_date(dbt_vars: dict | None) -> dict:
    """The build's vars with ``as_of_date`` set: as given, else the desk's today
    (``clock.today()``), so a build never depends on the database's own clock."""
    out = dict(dbt_vars or {})
    if not out.get("as_of_date"):
        out["as_of_date"] = clock.today().isoformat()
    return out


@contextmanager
def _build_lock(folder: Path, busy: str) -> Iterator[None]:
    """Hold ``folder/.build.lock`` for one build; UserError(``busy``) if another build has it."""
    lock_file = open(folder / ".build.lock", "w")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        raise UserError(busy)
    try:
        yield
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        lock_file.close()


def _build_locked(base: Path | None, wh: Path, on_line: Callable[[str], None], dbt_vars: dict,
                  unit_tests: bool) -> BuildResult:
    started = dt.datetime.now(dt.timezone.utc)
    build_id = started.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)
    db_path = wh / f"{build_id}.duckdb"
    artifacts = wh / f"{build_id}.dbt"
    result = BuildResult(build_id=build_id, status="failed",
                         started_at=started.isoformat(timespec="seconds"),
                         warehouse_file=str(db_path), as_of_date=dbt_vars["as_of_date"])
    from models.ingest import loads, repair_lake

    for note in repair_lake(base):
        on_line(note)
    result.lake_loads = len(loads(base))
    _remove_orphans(wh, base)
    _check_free_space(wh)
    t0 = time.perf_counter()
    on_line(f"Building {build_id} as of {dbt_vars['as_of_date']} from the lake "
            f"{settings.lake_dir(base)}")
    build_args = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
    returncode, output = _run_dbt(build_args, db_path, artifacts, base, on_line, dbt_vars)

    results_file = artifacts / "target" / "run_results.json"
    run_results = _read_run_results(results_file)
    if results_file.exists():  # kept aside: docs generate writes a run_results.json of its own
        shutil.copyfile(results_file, artifacts / "target" / BUILD_RESULTS)
    result.nodes = len(run_results)
    result.failures = [_describe_failure(r) for r in run_results
                       if r.get("status") in FAILED_STATUSES]
    result.warnings = [r.get("unique_id", "") for r in run_results if r.get("status") == "warn"]
    disk_full = [line for line in output if _DISK_FULL.search(line)]
    if disk_full:
        free_mb = shutil.disk_usage(wh).free / 1e6
        result.failures.insert(0, (
            f"The disk of the warehouse folder {wh} is full ({free_mb:,.0f} MB free): free "
            f"space there and build again. dbt said: {disk_full[0].strip()[:300]}"))
    if returncode != 0 and not result.failures:
        # dbt stopped before running anything (a parse or compilation error): show its words.
        tail = [line for line in output if "error" in line.lower()] or output[-5:]
        result.failures = tail[-10:] or [f"dbt exited with code {returncode}"]

    if returncode == 0 and not result.failures:
        on_line("Writing the dbt docs (descriptions and lineage) for this build ...")
        docs_code, docs_output = _run_dbt(["docs", "generate", "--static", "--no-compile"],
                                          db_path, artifacts,
                                          base, lambda line: None, dbt_vars)
        if docs_code != 0:
            result.warnings.append("dbt docs generate failed: " + " ".join(docs_output[-3:]))
        result.row_counts = _row_counts(db_path)
        on_line("Writing the marts-only copy the SQL page reads ...")
        _prepare_sql_extract(build_id, db_path, base, result)
        _swap_current(wh, db_path)
        result.status = "success"
    else:
        _remove_build_files(wh, build_id, keep_artifacts=True)

    finished = dt.datetime.now(dt.timezone.utc)
    result.finished_at = finished.isoformat(timespec="seconds")
    result.seconds = round(time.perf_counter() - t0, 2)
    jsonlog.append(history_path(base), asdict(result))
    if result.ok:
        _prune(wh, base)
    on_line(str(result))
    return result


def _run_dbt(args: list[str], db_path: Path, artifacts: Path, base: Path | None,
             on_line: Callable[[str], None], dbt_vars: dict,
             target: str | None = None) -> tuple[int, list[str]]:
    """Run one dbt command against the build file; stream its lines; (exit code, lines)."""
    env = dbt_env(db_path, base)
    if target:
        args = [*args, "--target", target]
        env["SALESDESK_LAKE_FILES"] = json.dumps(lake_files(base))
    command = [
        dbt_executable(), *args,
        "--project-dir", str(settings.DBT_PROJECT_DIR),
        "--profiles-dir", str(settings.DBT_PROJECT_DIR),
        "--target-path", str(artifacts / "target"),
        "--log-path", str(artifacts / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    output: list[str] = []
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1,
                            cwd=settings.DBT_PROJECT_DIR)
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        output.append(line)
        on_line(line)
    return proc.wait(), output


def spark_history(base: Path | None = None) -> list[dict]:
    """The Spark builds, oldest first (``spark/builds.jsonl``, apart from the DuckDB history)."""
    return jsonlog.read(spark_dir(base) / "builds.jsonl")


def run_spark_build(base: Path | None = None, *, on_line: Callable[[str], None] | None = None,
                    dbt_vars: dict | None = None, unit_tests: bool = False) -> BuildResult:
    """``dbt build --target spark``: the same models on local Spark (dbt-spark, session method).

    The tables land in the schema ``salesdesk`` of ``spark/warehouse`` (Parquet, Derby
    metastore in ``spark/metastore_db``), replaced by each build. Artifacts go to
    ``spark/builds/<build id>.dbt``, the record to ``spark/builds.jsonl``; nothing under
    ``warehouse/`` changes, so a Spark build never becomes the app's current warehouse.
    """
    on_line = on_line or (lambda line: None)
    dbt_vars = with_as_of_date(dbt_vars)
    try:
        import dbt.adapters.spark  # noqa: F401
    except ImportError:
        raise UserError("The spark target needs the extra: pip install -e '.[spark]'.")
    folder = spark_dir(base)
    (folder / "builds").mkdir(parents=True, exist_ok=True)
    with _build_lock(folder, "Another Spark build is running; wait for it to finish and try "
                             "again."):
        started = dt.datetime.now(dt.timezone.utc)
        build_id = started.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)
        artifacts = folder / "builds" / f"{build_id}.dbt"
        result = BuildResult(build_id=build_id, status="failed",
                             started_at=started.isoformat(timespec="seconds"),
                             warehouse_file=str(folder / "warehouse"),
                             as_of_date=dbt_vars["as_of_date"])
        from models.ingest import loads, repair_lake

        for note in repair_lake(base):
            on_line(note)
        result.lake_loads = len(loads(base))
        t0 = time.perf_counter()
        on_line(f"Building {build_id} on Spark from the lake {settings.lake_dir(base)}")
        build_args = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
        returncode, output = _run_dbt(build_args, artifacts / "unused.duckdb", artifacts, base,
                                      on_line, dbt_vars, target=SPARK_TARGET)
        run_results = _read_run_results(artifacts / "target" / "run_results.json")
        result.nodes = len(run_results)
        result.failures = [_describe_failure(r) for r in run_results
                           if r.get("status") in FAILED_STATUSES]
        result.warnings = [r.get("unique_id", "") for r in run_results
                           if r.get("status") == "warn"]
        if returncode != 0 and not result.failures:
            tail = [line for line in output if "error" in line.lower()] or output[-5:]
            result.failures = tail[-10:] or [f"dbt exited with code {returncode}"]
        if returncode == 0 and not result.failures:
            result.status = "success"
        result.finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        result.seconds = round(time.perf_counter() - t0, 2)
        jsonlog.append(folder / "builds.jsonl", asdict(result))
        for old in sorted((folder / "builds").glob("*.dbt"))[:-KEEP_BUILDS]:  # artifacts
            shutil.rmtree(old, ignore_errors=True)
        on_line(str(result).replace("; warehouse ", "; Spark warehouse "))
        return result


def docs_file(base: Path | None = None) -> Path | None:
    """The self-contained dbt docs page (lineage, descriptions) of the current build."""
    build_id = current_build_id(base)
    if build_id is None:
        return None
    path = settings.warehouse_dir(base) / f"{build_id}.dbt" / "target" / "static_index.html"
    return path if path.exists() else None


def _read_run_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text()).get("results", [])
    except (OSError, json.JSONDecodeError):
        return []


def _describe_failure(result: dict) -> str:
    unique_id = result.get("unique_id", "?")
    kind, _, rest = unique_id.partition(".")
    name = rest.split(".", 1)[-1] if "." in rest else rest
    status = result.get("status")
    message = (result.get("message") or "").strip().splitlines()
    detail = message[0] if message else ""
    if kind == "test" or kind == "unit_test":
        failures = result.get("failures")
        count = f" ({failures} failing rows)" if failures not in (None, 0) and kind == "test" else ""
        return f"{kind.replace('_', ' ')} {name} {status}{count}: {detail}"
    return f"{kind} {name} {status}: {detail}"


def _row_counts(db_path: Path) -> dict[str, int]:
    """Rows of every table in the new warehouse (views over the lake are not counted)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() order by 1, 2"
        ).fetchall()
        counts = {}
        for schema, table in tables:
            n = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
            counts[table if schema == "main" else f"{schema}.{table}"] = int(n)
        return counts
    finally:
        con.close()


def _prepare_sql_extract(build_id: str, db_path: Path, base: Path | None,
                         result: BuildResult) -> None:
    """The SQL page's marts-only extract (models/adhoc.py) for the unrestricted scope, written
    now rather than on the first query. A failure only warns: the page writes it on first use."""
    from models import access, adhoc

    try:
        adhoc.prepare_extract(build_id, db_path, access.ALL_DATA, base)
    except Exception as e:  # noqa: BLE001 - the build itself succeeded
        result.warnings.append(f"The SQL page's copy of the marts was not written: {e}")


def _swap_current(wh: Path, db_path: Path) -> None:
    """Atomically repoint ``current.duckdb`` at ``db_path`` (rename of a fresh symlink)."""
    tmp = wh / f".current.{os.getpid()}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(db_path.name, tmp)
    os.replace(tmp, wh / "current.duckdb")


def _remove_build_files(wh: Path, build_id: str, keep_artifacts: bool = False) -> None:
    for suffix in (".duckdb", ".duckdb.wal"):
        (wh / f"{build_id}{suffix}").unlink(missing_ok=True)
    if not keep_artifacts:
        shutil.rmtree(wh / f"{build_id}.dbt", ignore_errors=True)


_DISK_FULL = re.compile(r"No space left on device|Disk is full|ENOSPC|disk full", re.I)
MIN_FREE_MB = 64  # a build needs at least this much, and room for a copy of the current file


def _check_free_space(wh: Path) -> None:
    """Refuse to start a build that cannot fit: the new file is about the size of the current."""
    current = wh / "current.duckdb"
    needed = MIN_FREE_MB * 1e6
    if current.exists():
        needed += current.resolve().stat().st_size * 1.2
    free = shutil.disk_usage(wh).free
    if free < needed:
        raise UserError(
            f"Not enough free disk space in the warehouse folder {wh}: {free / 1e6:,.0f} MB "
            f"free, a build needs about {needed / 1e6:,.0f} MB. Free space there (old exports, "
            f"other files) and build again; the current warehouse is unchanged.")


def _remove_orphans(wh: Path, base: Path | None) -> None:
    """Delete the files of builds that never finished (a killed process leaves them).

    Runs under the build lock, so no other build is writing. A build file that has no record in
    the history and is not the current one was cut off before it could be recorded.
    """
    recorded = {r.get("build_id") for r in history(base)}
    current = current_build_id(base)
    for path in [*wh.glob("*.duckdb*"), *wh.glob("*.dbt")]:
        if path.is_symlink() or path.name.startswith(("current", ".")):
            continue
        build_id = path.name.split(".duckdb")[0].removesuffix(".dbt")
        if build_id not in recorded and build_id != current:
            _remove_build_files(wh, build_id)


def _prune(wh: Path, base: Path | None) -> None:
    """Keep the newest KEEP_BUILDS good builds; delete older builds' files, good or failed.

    A reader that still has a deleted file open keeps reading it (the file lives until closed).
    """
    records = history(base)
    good = [r["build_id"] for r in records if r.get("status") == "success"]
    keep = set(good[-KEEP_BUILDS:])
    oldest_kept = min(keep) if keep else ""
    known = {r["build_id"] for r in records}
    for build_id in known - keep:
        if build_id < oldest_kept:
            _remove_build_files(wh, build_id)


def is_up_to_date(base: Path | None = None) -> bool:
    """True when the current build was made from every load the lake has now."""
    from models.ingest import loads

    good = [r for r in history(base) if r.get("status") == "success"]
    return bool(good) and current_build_id(base) is not None and \
        good[-1].get("lake_loads") == len(loads(base))


def current_build_id(base: Path | None = None) -> str | None:
    link = settings.current_link(base)
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name.removesuffix(".duckdb")


_PROGRESS = re.compile(r"\b(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP)\b")


def parse_progress(line: str) -> tuple[int, int] | None:
    """(done, total) from a dbt line such as '12:00:01  3 of 40 OK created sql table model ...'."""
    match = _PROGRESS.search(line)
    return (int(match.group(1)), int(match.group(2))) if match else None
