"""Build and swap: run ``dbt build`` into a new warehouse file, then point ``current`` at it.

DuckDB allows one writer or many readers of a file, never both, so dbt never writes the file the
app reads. Each build writes ``warehouse/<build id>.duckdb``; only when every model and test passed
is ``warehouse/current.duckdb`` (a symlink) replaced, atomically, by one pointing at the new file.
A failed build leaves ``current`` as it was. The last ``KEEP_BUILDS`` good builds are kept. Every
build, good or failed, is recorded in ``warehouse/builds.jsonl``.

A good build is ``success`` or, when it has warnings, ``success_with_warnings`` (``GOOD_STATUSES``;
read a record with ``is_good``): it is current all the same. Warnings name what a person should
look at: an entity with more than ``rejected_share_warning`` of its rows rejected, order lines no
commission plan covers, customers without a maintainer, no visits loaded, data tests that warned.
A build whose sales, customers or products are all rejected fails and says why
(``data_health_failures``).
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

from models.core import clock, jsonlog, settings
from models.core.errors import UserError
from models.i18n import DEFAULT_LANG, translate
from models.pipeline import incremental
from models.pipeline.contracts import ENTITIES

KEEP_BUILDS = 3
FAILED_STATUSES = {"error", "fail", "runtime error"}
BUILD_RESULTS = "build_run_results.json"  # dbt build's run_results.json of each build
SPARK_TARGET = "spark"  # the dbt-spark output of profiles.yml (pip install -e '.[spark]')
GOOD_STATUSES = ("success", "success_with_warnings")  # a good build becomes current
# Entities whose rows everything else hangs on: all of them rejected fails the build.
ESSENTIAL_ENTITIES = ("products", "customers", "sales")
ENTITY_ROWS = {"sales": "order lines"}  # how a message counts an entity's rows


def is_good(record: dict) -> bool:
    """A build record (of builds.jsonl) of a good build: success, with or without warnings."""
    return record.get("status") in GOOD_STATUSES


@dataclass
class BuildResult:
    build_id: str
    status: str  # "success", "success_with_warnings" or "failed"
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
    as_of_note: str = ""  # why that date ("as of 2019-12-30, the latest order date: ...")
    # per entity: loaded, staged, rejected (superseded rows apart) and the top rejection rules
    data_health: dict[str, dict] = field(default_factory=dict)
    # incremental by month (models/pipeline/incremental.py): "full" or "incremental", why, the
    # months recomputed, and what the build depended on (the next build compares it)
    mode: str = ""
    mode_reason: str = ""
    mode_reason_i18n: dict = field(default_factory=dict)  # the reason's msgid and params
    changed_months: list[str] = field(default_factory=list)
    fingerprint: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The build is good (and current): success, with or without warnings."""
        return self.status in GOOD_STATUSES

    def __str__(self) -> str:
        return self.text(DEFAULT_LANG)

    def text(self, lang: str) -> str:
        """The result as the CLI prints it; a failure's header in ``lang`` (dbt's own
        messages stay as dbt wrote them)."""
        if self.ok:
            kind = {"incremental": f"incremental ({len(self.changed_months)} month(s) "
                                   "recomputed)", "full": "full"}.get(self.mode, "")
            done = (f"Build {self.build_id} succeeded in {self.seconds:.1f} s: {self.nodes} "
                    f"models, seeds and tests; {self.as_of_note or 'as of ' + self.as_of_date}; "
                    + (f"{kind}; " if kind else "") + f"warehouse {self.warehouse_file}")
            if not self.warnings:
                return done
            return "\n".join([f"{done}\nWith {len(self.warnings)} warning(s):",
                              *[f"  - {w}" for w in self.warnings]])
        lines = [translate(lang, "Build {build_id} FAILED after {seconds} s; the current "
                                 "warehouse was left as it was. What failed:",
                           build_id=self.build_id, seconds=f"{self.seconds:.1f}")]
        lines += [f"  - {f}" for f in self.failures] or [
            "  - " + translate(lang, "(see the dbt output above)")]
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
        # DuckDB's settings in profiles.yml: memory limit, spill folder, threads
        SALESDESK_DUCKDB_MEMORY_LIMIT=f"{settings.build_memory_bytes()}B",
        SALESDESK_DUCKDB_TEMP_DIR=str(settings.build_spill_dir(base)),
        SALESDESK_DUCKDB_THREADS=str(settings.build_threads()),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_PROFILES_DIR=str(settings.DBT_PROJECT_DIR),
    )
    return env


def run_build(base: Path | None = None, *, on_line: Callable[[str], None] | None = None,
              dbt_vars: dict | None = None, unit_tests: bool = False,
              target: str | None = None, compact_records: bool = True,
              lang: str = DEFAULT_LANG, full: bool = False) -> BuildResult:
    """Build a new warehouse; swap it in if everything passed. Raises UserError if busy.
    ``lang``: the language of the closing line passed to ``on_line`` (the CLI's SALESDESK_LANG).

    Models, seeds and data tests always run. dbt unit tests check the SQL, not the data, so, as
    dbt advises, they run in development and CI (``unit_tests=True``, ``salesdesk build
    --unit-tests``, and the test suite) rather than in every production build.
    ``target="spark"`` builds the same project on Spark instead (``run_spark_build``).
    ``compact_records``: merge each closed day's visit records entered in the app into one
    lake file first (``visit_records.compact``; off only to compare the two lakes in a test).
    A build starts from a copy of the current warehouse and recomputes only the months whose
    data changed, unless something that can change any month changed
    (``models/pipeline/incremental.py`` says what and why); ``full=True`` builds every month.
    """
    if target == SPARK_TARGET:  # chooses its own as-of date
        return run_spark_build(base, on_line=on_line, dbt_vars=dbt_vars, unit_tests=unit_tests)
    if target not in (None, "dev"):
        raise UserError(f"Unknown build target {target!r}: dev (DuckDB) or {SPARK_TARGET}.")
    dbt_vars, as_of_note = choose_as_of_date(dbt_vars, base)
    settings.build_memory_bytes()  # a bad SALESDESK_BUILD_MEMORY stops here, before anything
    wh = settings.warehouse_dir(base)
    wh.mkdir(parents=True, exist_ok=True)
    with _build_lock(wh, "Another build is running; wait for it to finish and try again."):
        spill = settings.build_spill_dir(base)
        shutil.rmtree(spill, ignore_errors=True)  # what a killed build left
        spill.mkdir(parents=True, exist_ok=True)
        try:
            return _build_locked(base, wh, on_line or (lambda line: None), dbt_vars,
                                 unit_tests, as_of_note, compact_records, lang, full)
        finally:
            shutil.rmtree(spill, ignore_errors=True)


def project_var(name: str, dbt_vars: dict | None = None):
    """A dbt var of this build: as given in ``dbt_vars``, else its default in dbt_project.yml."""
    if dbt_vars and dbt_vars.get(name) not in (None, ""):
        return dbt_vars[name]
    return settings.dbt_project_vars().get(name)


def latest_order_date(base: Path | None = None) -> dt.date | None:
    """The latest order date of the sales in the lake (every load, rejected rows included)."""
    files = sorted((settings.lake_dir(base) / "sales").glob("*.parquet"))
    if not files:
        return None
    con = duckdb.connect()
    try:
        value = con.execute("select max(cast(order_date as date)) from read_parquet($files)",
                            {"files": [str(f) for f in files]}).fetchone()[0]
    finally:
        con.close()
    return value


def choose_as_of_date(dbt_vars: dict | None, base: Path | None = None) -> tuple[dict, str]:
    """The build's vars with ``as_of_date`` set, and a sentence saying which date and why.

    As given, else the desk's today (``clock.today()``) when the lake's latest order is at most
    ``as_of_recent_days`` (31) days old (or there are no orders), else the latest order date:
    loaded history of past years is then read as of its own end, not as years of silence.
    A build never depends on the database's own clock.
    """
    out = dict(dbt_vars or {})
    if out.get("as_of_date"):
        as_of = clock.parse_date(str(out["as_of_date"]), "as_of_date").isoformat()
        out["as_of_date"] = as_of
        return out, f"as of {as_of}, as set for this build"
    today = clock.today()
    recent = int(project_var("as_of_recent_days", out) or 31)
    latest = latest_order_date(base)
    if latest is None or latest >= today - dt.timedelta(days=recent):
        out["as_of_date"] = today.isoformat()
        return out, f"as of {today.isoformat()}, today"
    out["as_of_date"] = latest.isoformat()
    return out, (f"as of {latest.isoformat()}, the latest order date: the data ends more than "
                 f"{recent} days before today ({today.isoformat()})")


def with_as_of_date(dbt_vars: dict | None, base: Path | None = None) -> dict:
    """The build's vars with ``as_of_date`` set (``choose_as_of_date``)."""
    return choose_as_of_date(dbt_vars, base)[0]


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
                  unit_tests: bool, as_of_note: str = "", compact_records: bool = True,
                  lang: str = DEFAULT_LANG, full: bool = False) -> BuildResult:
    started = dt.datetime.now(dt.timezone.utc)
    build_id = started.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)
    db_path = wh / f"{build_id}.duckdb"
    artifacts = wh / f"{build_id}.dbt"
    result = BuildResult(build_id=build_id, status="failed",
                         started_at=started.isoformat(timespec="seconds"),
                         warehouse_file=str(db_path), as_of_date=dbt_vars["as_of_date"],
                         as_of_note=as_of_note)
    from models.pipeline.ingest import loads, repair_lake

    for note in repair_lake(base):
        on_line(note)
    if compact_records:  # a closed day's visit records into one lake file (visit_records)
        from models.queries import visit_records

        for note in visit_records.compact(base):
            on_line(note)
    result.lake_loads = len(loads(base))
    _remove_orphans(wh, base)
    _check_free_space(wh)
    t0 = time.perf_counter()
    on_line(f"Building {build_id} {as_of_note or 'as of ' + dbt_vars['as_of_date']}, from the "
            f"lake {settings.lake_dir(base)}")
    previous_id = current_build_id(base)
    previous = next((r for r in reversed(history(base)) if r.get("build_id") == previous_id
                     and is_good(r)), None) if previous_id else None
    previous_file = wh / f"{previous_id}.duckdb" if previous_id else None
    plan, result.fingerprint = incremental.plan(base, dbt_vars, previous, previous_file, full)
    result.mode, result.mode_reason = plan.mode, plan.reason
    result.mode_reason_i18n = incremental.why_record(plan)
    result.changed_months = plan.changed_months
    on_line(plan.text())
    incremental.write(plan, artifacts)
    if plan.incremental:  # start from the current warehouse: a file copy
        shutil.copyfile(previous_file, db_path)
    dbt_vars = plan.dbt_vars(dbt_vars)
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
        health = data_health(db_path)
        result.data_health = health
        result.failures = data_health_failures(health, db_path)
        if not result.failures:
            result.warnings = [*data_warnings(db_path, health, dbt_vars), *result.warnings]

    if returncode == 0 and not result.failures:
        on_line("Writing the dbt docs (descriptions and lineage) for this build ...")
        docs_code, docs_output = _run_dbt(["docs", "generate", "--static", "--no-compile"],
                                          db_path, artifacts,
                                          base, lambda line: None, dbt_vars)
        if docs_code != 0:
            result.warnings.append("dbt docs generate failed: " + " ".join(docs_output[-3:]))
        result.row_counts = _row_counts(db_path)
        _run_post_build_hooks(build_id, db_path, base, on_line, result)
        _swap_current(wh, db_path)
        result.status = "success_with_warnings" if result.warnings else "success"
    else:
        _remove_build_files(wh, build_id, keep_artifacts=True)

    finished = dt.datetime.now(dt.timezone.utc)
    result.finished_at = finished.isoformat(timespec="seconds")
    result.seconds = round(time.perf_counter() - t0, 2)
    jsonlog.append(history_path(base), asdict(result))
    if result.ok:
        _prune(wh, base)
    on_line(result.text(lang))
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

    The tables land in the databases ``staging``, ``intermediate`` and ``marts`` (the seeds in
    ``salesdesk``) of ``spark/warehouse`` (Parquet, Derby
    metastore in ``spark/metastore_db``), replaced by each build. Artifacts go to
    ``spark/builds/<build id>.dbt``, the record to ``spark/builds.jsonl``; nothing under
    ``warehouse/`` changes, so a Spark build never becomes the app's current warehouse.
    """
    on_line = on_line or (lambda line: None)
    dbt_vars, as_of_note = choose_as_of_date(dbt_vars, base)
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
                             as_of_date=dbt_vars["as_of_date"], as_of_note=as_of_note)
        from models.pipeline.ingest import loads, repair_lake

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
            result.status = "success_with_warnings" if result.warnings else "success"
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


# --- data health -------------------------------------------------------------------------------

_STAGING, _MARTS = settings.STAGING_SCHEMA, settings.MARTS_SCHEMA  # the build's schemas
SUPERSEDED = "superseded_by_later_load"  # a newer load of the row: not a fault of the data


def data_health(db_path: Path) -> dict[str, dict]:
    """Per entity of the lake: rows loaded (staged + rejected), staged, rejected (rows a later
    load superseded apart: they are replaced, not lost), superseded, and the top rules."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        by_rule = con.execute(
            f"select entity, rule, count(*) from {_STAGING}.stg_sales_lake__rejected_rows "
            "group by entity, rule order by entity, count(*) desc, rule").fetchall()
        health = {}
        for entity in ENTITIES:
            staged = con.execute(
                f"select count(*) from {_STAGING}.stg_sales_lake__{entity}").fetchone()[0]
            rules = [(rule, int(n)) for e, rule, n in by_rule if e == entity]
            superseded = sum(n for rule, n in rules if rule == SUPERSEDED)
            faults = [[rule, n] for rule, n in rules if rule != SUPERSEDED]
            health[entity] = {"loaded": int(staged) + superseded + sum(n for _r, n in faults),
                              "staged": int(staged),
                              "rejected": sum(n for _r, n in faults),
                              "superseded": superseded,
                              "top_rules": faults[:3]}
        return health
    finally:
        con.close()


def _rows_word(entity: str) -> str:
    return ENTITY_ROWS.get(entity, entity)


def _missing_columns(con: duckdb.DuckDBPyConnection, entity: str) -> list[str]:
    """The required columns empty on the entity's missing_required rows, most often first."""
    required = ENTITIES[entity].required
    counts = {c: 0 for c in required}
    rows = con.execute(f"select raw_values from {_STAGING}.stg_sales_lake__rejected_rows "
                       "where entity = $entity and rule = 'missing_required' limit 5000",
                       {"entity": entity}).fetchall()
    for (raw,) in rows:
        values = dict(part.partition("=")[::2] for part in (raw or "").split("; "))
        for c in required:
            if not (values.get(c) or "").strip():
                counts[c] += 1
    return [c for c, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n]


def _rules_text(con: duckdb.DuckDBPyConnection, entity: str, top_rules: list,
               counts: bool = False) -> str:
    """'unit_cost missing' or 'unknown_sku' or 'missing_required (70), negative_price (7)'."""
    parts = []
    for rule, n in top_rules:
        label = rule
        if rule == "missing_required":
            missing = _missing_columns(con, entity)
            label = " and ".join(missing[:2]) + " missing" if missing else rule
        parts.append(f"{label} ({n:,})" if counts or len(top_rules) > 1 else label)
    return ", ".join(parts)


def data_health_failures(health: dict[str, dict], db_path: Path) -> list[str]:
    """The build's failure when every row of sales, customers or products was rejected:
    ["all 77 products rejected: unit_cost missing; so all 2,155 order lines: unknown_sku ..."]."""
    dead = [e for e in ESSENTIAL_ENTITIES
            if health.get(e, {}).get("rejected") and not health[e]["staged"]]
    if not dead:
        return []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        parts = []
        for entity in dead:
            h = health[entity]
            reason = _rules_text(con, entity, h["top_rules"])
            if entity == "sales" and len(dead) > 1:
                parts.append(f"so all {h['rejected']:,} {_rows_word(entity)}: {reason}")
            else:
                parts.append(f"all {h['rejected']:,} {_rows_word(entity)} rejected: {reason}")
    finally:
        con.close()
    return ["; ".join(parts) + ". Nothing can be built on them: correct the file(s) and load "
            "them again (the Data page lists every rejected row with its values); the current "
            "warehouse is unchanged."]


def _month_ranges(months: list[dt.date]) -> str:
    """'2015-01 to 2019-12' or '2015-01 to 2015-03, 2016-07' for sorted first days of months."""
    ranges: list[list[dt.date]] = []
    for m in months:
        if ranges:
            last = ranges[-1][1]
            following = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
            if m == following:
                ranges[-1][1] = m
                continue
        ranges.append([m, m])
    texts = [f"{a:%Y-%m}" if a == b else f"{a:%Y-%m} to {b:%Y-%m}" for a, b in ranges]
    return ", ".join(texts[:6]) + (f" and {len(texts) - 6} more ranges" if len(texts) > 6 else "")


def data_warnings(db_path: Path, health: dict[str, dict], dbt_vars: dict) -> list[str]:
    """What a good build should say out loud: rejection shares above the threshold, order lines
    with no commission plan, customers without a maintainer, no visits loaded."""
    threshold = float(project_var("rejected_share_warning", dbt_vars) or 0.05)
    warnings = []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for entity, h in health.items():
            fresh = h["loaded"] - h["superseded"]
            if fresh and h["rejected"] / fresh > threshold:
                rules = _rules_text(con, entity, h["top_rules"], counts=True)
                warnings.append(
                    f"{entity}: {h['rejected']:,} of {fresh:,} rows rejected "
                    f"({h['rejected'] / fresh:.1%}, above {threshold:.0%}): {rules}. "
                    f"The Data page lists them with their values.")
        no_plan = con.execute(
            f"select distinct month_start from {_MARTS}.fct_commission_lines "
            "where no_commission_reason = 'no_plan' order by 1").fetchall()
        if no_plan:
            lines = con.execute(
                "select count(*) from (select distinct order_id, line_number "
                f"from {_MARTS}.fct_commission_lines where no_commission_reason = 'no_plan')"
            ).fetchone()[0]
            start, end, open_ended = con.execute(
                "select min(valid_from), max(valid_to), bool_or(valid_to is null) "
                "from main.commission_plan").fetchone()
            covers = (f"from {start}" + ("" if open_ended or end is None else f" to {end}")
                      if start else "no month at all")
            months = [m for (m,) in no_plan]
            warnings.append(
                f"{lines:,} order lines in {len(months):,} months ({_month_ranges(months)}) have "
                f"no commission plan version in force: the plan (seed commission_plan.csv) "
                f"covers {covers}. They get no commission (reason no_plan); everything else "
                f"is built. Add a plan version for those months to pay commission on them.")
        unassigned = con.execute(f"select count(*) from {_STAGING}.stg_sales_lake__customers "
                                 "where maintainer_rep_id is null").fetchone()[0]
        if unassigned:
            warnings.append(
                f"{unassigned:,} customer{'s have' if unassigned != 1 else ' has'} no "
                f"maintainer: their orders go to the house "
                f"account of their region (reason unassigned); the Commissions page lists them.")
    finally:
        con.close()
    if not health.get("visits", {}).get("staged"):
        warnings.append("No visits have been loaded: visit compliance, visit alerts and the "
                        "service-need axis of the priority matrix are off until they are.")
    return warnings


def build_health_text(record: dict) -> str:
    """A good build's record as a person reads it: as of when, the rows per entity, the warnings.
    (``salesdesk status``; the Data page shows the same record as tables.)"""
    lines = [f"Build {record.get('build_id')}: {record.get('status')}, "
             f"{record.get('as_of_note') or 'as of ' + str(record.get('as_of_date') or '?')}."]
    health = record.get("data_health") or {}
    if health:
        lines.append("Rows per entity (loaded / staged / rejected; top rules):")
        for entity, h in health.items():
            if not h.get("loaded"):
                continue
            rules = ", ".join(f"{rule} {n:,}" for rule, n in h.get("top_rules") or [])
            lines.append(f"  {entity:<12} {h['loaded']:>10,} / {h['staged']:>10,} / "
                         f"{h['rejected']:>8,}" + (f"; {rules}" if rules else ""))
    warnings = record.get("warnings") or []
    if warnings:
        lines.append(f"{len(warnings)} warning(s):")
        lines += [f"  - {w}" for w in warnings]
    return "\n".join(lines)


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
            # the layers' tables by name (names are unique across layers), as before the split
            unqualified = schema == "main" or schema in settings.LAYER_SCHEMAS
            counts[table if unqualified else f"{schema}.{table}"] = int(n)
        return counts
    finally:
        con.close()


@dataclass(frozen=True)
class PostBuildHook:
    """Work done on a finished build before it is swapped in (e.g. the SQL page's marts copy).

    ``run(build_id, db_path, base)`` may raise: the build itself succeeded, so a failure only
    adds the warning ``f"{failure}: {error}"`` and the hook's page does the work on first use.
    """

    name: str
    progress: str  # the line shown while it runs
    failure: str  # what the warning says did not happen
    run: Callable[[str, Path, Path | None], None]


# Filled by the wiring of the app and the CLI (``models.engines.adhoc.register_build_hook``), so
# that the pipeline never imports what runs after it.
POST_BUILD_HOOKS: list[PostBuildHook] = []


def register_post_build_hook(hook: PostBuildHook) -> None:
    """Add ``hook`` to the hooks every build runs; a hook of the same name is replaced."""
    POST_BUILD_HOOKS[:] = [h for h in POST_BUILD_HOOKS if h.name != hook.name] + [hook]


def _run_post_build_hooks(build_id: str, db_path: Path, base: Path | None,
                          on_line: Callable[[str], None], result: BuildResult) -> None:
    for hook in list(POST_BUILD_HOOKS):
        on_line(hook.progress)
        try:
            hook.run(build_id, db_path, base)
        except Exception as e:  # noqa: BLE001 - the build itself succeeded
            result.warnings.append(f"{hook.failure}: {e}")


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
    good = [r["build_id"] for r in records if is_good(r)]
    keep = set(good[-KEEP_BUILDS:])
    oldest_kept = min(keep) if keep else ""
    known = {r["build_id"] for r in records}
    for build_id in known - keep:
        if build_id < oldest_kept:
            _remove_build_files(wh, build_id)


def is_up_to_date(base: Path | None = None) -> bool:
    """True when the current build was made from every load the lake has now."""
    from models.pipeline.ingest import loads

    good = [r for r in history(base) if is_good(r)]
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
