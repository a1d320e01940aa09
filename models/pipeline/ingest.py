"""Ingest: check a raw file against its contract and add it to the lake.

A file is accepted whole or refused whole. Refused: a missing required column, an unreadable
encoding, a value that does not parse as its column's type, no data rows, an entity that cannot
be told, a column named like a load column, or a file over the ingest limits
(``settings.ingest_limits``: file size, unpacked size, line length, column count, memory, time).
The message names the file, the column and the first offending rows, and nothing of the file
reaches the lake. Accepted: the file becomes one immutable Parquet file
``lake/<entity>/<content hash>.parquet`` with the contract columns typed plus the load columns
(see ``models.pipeline.contracts``). The same bytes loaded again add nothing. Row-level faults
(negative prices, unknown customers, ...) are not judged here: the dbt staging layer routes those rows to
the rejected rows, so nothing is lost.

Hostile files. Every file is read in a jailed worker process (``models.core.jail``, task "ingest")
with address-space, CPU and file-size limits; an XLSX workbook's zip entries are checked before
anything is inflated. Whatever the file does (a panic in the reader, a zip bomb, a 1 GB line),
the caller gets one ``UserError`` naming the file, and the next file of a batch goes on.

Atomic loads. The load record (entity, file name, rows, encoding, ...) is written into the
Parquet file's own footer (key ``salesdesk_load``), so the lake file and its record appear in one
rename and cannot disagree. ``loads()`` reads the records from the lake files;
``lake/_load_log.jsonl`` is a derived copy for people, rewritten after each change (an older
lake's log still names the source files of loads made before records existed). A lock per
content hash (``tmp/locks/<entity>-<hash>.lock``) makes two ingests of the same bytes load once.
Unfinished loads (``.<hash>.parquet.tmp``) and unreadable lake files are cleared by
``repair_lake``, which ingest and the build run first.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import difflib
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl
import pyarrow.parquet as pq

from models.core import jail, jsonlog, settings
from models.core.errors import UserError
from models.i18n.messages import N_, Text, parts_from_json, parts_to_json
from models.pipeline import mappings
from models.pipeline.contracts import (
    CHANNELS,
    COLUMN_ALIASES,
    DERIVED_COLUMNS,
    ENTITIES,
    LOAD_COLUMNS,
    SALES_STATUSES,
    Column,
    Entity,
    entity_for_file,
)

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
# Read without being named: UTF-8 (a BOM is dropped), UTF-16 with a BOM, GB18030 (a superset of
# GBK and GB2312). Any other encoding only when the caller names it (``--encoding``).
DETECTED_ENCODINGS = "UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK"
# The Data page's choices: "" = told from the bytes.
ENCODING_CHOICES = {
    "": "told from the file (" + DETECTED_ENCODINGS + ")",
    "windows-1252": "windows-1252 (Western European)",
    "latin-1": "latin-1 (ISO-8859-1)",
    "utf-16-le": "utf-16-le (UTF-16 without BOM, little-endian)",
    "utf-16-be": "utf-16-be (UTF-16 without BOM, big-endian)",
    "big5": "big5 (Traditional Chinese)",
    "shift_jis": "shift_jis (Japanese)",
}
MAX_BAD_ROWS_SHOWN = 5
MAX_IGNORED_NAMES_KEPT = 50
MAX_ZIP_ENTRIES = 10_000
RECORD_KEY = "salesdesk_load"
CRASH_ENV = "SALESDESK_INGEST_CRASH_AT"  # tests only: os._exit at a named step of a load

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%d.%m.%Y"]
TIMESTAMP_FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
MONTH_FORMATS = ["%Y-%m", "%Y/%m", "%Y%m"]
TRUE_WORDS = ("true", "t", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否")

EXPECTED = {
    "text": "text",
    "integer": "whole numbers",
    "decimal": "numbers",
    "double": "numbers",
    "date": "dates (YYYY-MM-DD)",
    "timestamp": "date-times (YYYY-MM-DD HH:MM[:SS])",
    "boolean": "true/false",
    "time": "clock times (HH:MM)",
    "month": "months (YYYY-MM or YYYY-MM-DD)",
}

NOTHING_LOADED = "Nothing was loaded."
NOTHING_LOADED_TEXT = N_("Nothing was loaded.")  # the same, in the reader's language


@dataclass
class LoadResult:
    entity: str
    source_name: str
    rows: int
    load_id: str
    lake_file: str
    loaded_at: str
    status: str  # "loaded" or "already loaded"
    file_format: str = ""
    encoding: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what repair_lake did first
    mapping: str = ""  # the mapping file applied, if any
    # rows left out before the lake: reason ("status cancelled", "Doc Type = Quote") -> rows
    excluded_rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # loaded, but worth a look

    def __str__(self) -> str:
        return "\n".join([self.headline(), *(f"WARNING {w}" for w in self.warnings)])

    def headline(self) -> str:
        """What was loaded (after what repair_lake did first), without the warnings."""
        rows = f"{self.rows:,} row" + ("" if self.rows == 1 else "s")
        text = f"{self.source_name}: {self.status} as {self.entity}, {rows} ({self.load_id})"
        if self.mapping:
            text += f" with mapping {self.mapping}"
        if self.excluded_rows:
            text += "; " + excluded_text(self.excluded_rows)
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return "\n".join([*self.notes, text])


def excluded_text(excluded: dict[str, int]) -> str:
    """'3 rows left out (status cancelled: 2; Doc Type = Quote: 1)'."""
    total = sum(excluded.values())
    reasons = "; ".join(f"{reason}: {n:,}" for reason, n in excluded.items())
    return f"{total:,} row{'' if total == 1 else 's'} left out ({reasons})"


# --- the load records ----------------------------------------------------------------------

def load_log_path(base: Path | None = None) -> Path:
    return settings.lake_dir(base) / "_load_log.jsonl"


_RECORD_FIELDS = ("entity", "source_name", "rows", "load_id", "lake_file", "loaded_at", "status",
                  "file_format", "encoding", "ignored_columns", "missing_optional_columns")
_record_cache: dict[str, tuple[int, int, dict | None]] = {}


def _lake_files(lake: Path) -> list[Path]:
    if not lake.is_dir():
        return []
    return sorted(f for d in lake.iterdir() if d.is_dir() and d.name[0] not in "._"
                  for f in d.glob("*.parquet") if f.name[0] != ".")


def _footer_record(path: Path) -> dict | None:
    """The load record in a lake file's footer; None for a file written without one.
    Raises for a file that is not readable Parquet. Lake files are immutable: cached."""
    stat = path.stat()
    cached = _record_cache.get(str(path))
    if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    metadata = pq.read_metadata(path)
    raw = (metadata.metadata or {}).get(RECORD_KEY.encode())
    record = json.loads(raw) if raw else None
    if record is None:  # written by hand or before records: from its contents
        record = {"rows": metadata.num_rows, "recovered": True}
        try:
            column = pq.read_table(path, columns=["_loaded_at"]).column(0)
            first = min((v for v in column.to_pylist() if v is not None), default=None)
            record["loaded_at"] = first.isoformat(sep=" ") if first else ""
        except Exception:  # noqa: BLE001 - no _loaded_at column: unknown time
            record["loaded_at"] = ""
    _record_cache[str(path)] = (stat.st_mtime_ns, stat.st_size, record)
    return record


def _logged(base: Path | None) -> dict[tuple[str, str], dict]:
    return {(r.get("entity"), r.get("load_id")): r for r in jsonlog.read(load_log_path(base))}


def loads(base: Path | None = None) -> list[dict]:
    """One record per lake file, oldest first (the load log, read from the lake itself).

    A lake file without a record in its footer (a lake older than records, or a file put there
    by hand) is listed from the derived log when it has a line, else from its contents.
    Unreadable files are left out (``repair_lake`` moves them aside).
    """
    lake = settings.lake_dir(base)
    logged = None
    records = []
    for path in _lake_files(lake):
        try:
            record = dict(_footer_record(path))
        except Exception:  # noqa: BLE001 - not Parquet: repair_lake moves it aside
            continue
        entity, load_id = path.parent.name, path.stem
        if record.pop("recovered", False):
            if logged is None:
                logged = _logged(base)
            line = logged.get((entity, load_id))
            if line:
                record.update({k: line[k] for k in _RECORD_FIELDS if k in line})
            else:
                record.setdefault("source_name", f"{path.name} (no load record)")
        record.update(entity=entity, load_id=load_id, lake_file=str(path),
                      status=record.get("status") or "loaded")
        records.append({k: record.get(k, "" if k not in ("ignored_columns",
                                                          "missing_optional_columns") else [])
                        for k in _RECORD_FIELDS})
    records.sort(key=lambda r: (str(r["loaded_at"]), r["entity"], r["load_id"]))
    return records


def _write_load_log(base: Path | None, records: list[dict] | None = None) -> str | None:
    """Rewrite the derived ``_load_log.jsonl`` from the lake (tmp file, then one rename).
    A failure (a full disk) loses nothing: the records are in the lake files. Returns a note
    when it failed."""
    path = load_log_path(base)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        text = "".join(json.dumps(r, default=str, ensure_ascii=False) + "\n"
                       for r in (loads(base) if records is None else records))
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return None
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return (f"The load log {path.name} could not be rewritten ({e.strerror or e}); nothing "
                f"is lost: every load's record is in its lake file, and the next load or "
                f"build rewrites the log.")


# --- locks and repair ----------------------------------------------------------------------

def _lock_path(folder: Path, load_id: str) -> Path:
    """``<home>/tmp/locks/<entity>-<hash>.lock`` for the lake folder ``<home>/lake/<entity>``
    (outside the lake: a refused file leaves nothing there)."""
    return folder.parent.parent / "tmp" / "locks" / f"{folder.name}-{load_id}.lock"


def _tmp_path(folder: Path, load_id: str) -> Path:
    return folder / f".{load_id}.parquet.tmp"


@contextlib.contextmanager
def _content_lock(folder: Path, load_id: str, wait: bool = True) -> Iterator[bool]:
    """Hold the lock of one content hash; yields False (not held) when ``wait`` is off and
    another process has it."""
    lock = _lock_path(folder, load_id)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


_TMP_NAME = re.compile(r"^\.?([0-9a-f]+)\.parquet\.tmp$")


def repair_lake(base: Path | None = None, entity: str | None = None) -> list[str]:
    """Clear half states a crash or a full disk can leave, and say what was done:

    - an unfinished load (``.<hash>.parquet.tmp``, no ingest holding its lock): removed; it
      was never in the lake;
    - a lake file that is not readable Parquet: renamed ``<name>.unreadable`` (builds skip it);
    - the derived load log out of step with the lake: rewritten, naming the files it gained or
      lost.
    """
    lake = settings.lake_dir(base)
    notes: list[str] = []
    folders = [lake / entity] if entity else \
        ([d for d in sorted(lake.iterdir()) if d.is_dir() and d.name[0] not in "._"]
         if lake.is_dir() else [])
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            match = _TMP_NAME.match(path.name)
            if match:
                with _content_lock(folder, match.group(1), wait=False) as held:
                    if held and path.exists():
                        path.unlink()
                        notes.append(f"Removed an unfinished load of {folder.name} "
                                     f"({match.group(1)}) left by an interrupted ingest; it was "
                                     f"never part of the lake.")
            elif path.suffix == ".parquet" and path.name[0] != ".":
                try:
                    _footer_record(path)
                except Exception as e:  # noqa: BLE001 - not Parquet
                    aside = path.with_name(path.name + ".unreadable")
                    os.replace(path, aside)
                    notes.append(f"The lake file {folder.name}/{path.name} is not readable "
                                 f"Parquet ({_first_line(e)}): moved aside as {aside.name}; "
                                 f"builds leave it out. Load its source file again.")
    if not lake.is_dir():
        return notes
    records = loads(base)
    logged = jsonlog.read(load_log_path(base))
    in_log = {(r.get("entity"), r.get("load_id")) for r in logged}
    in_lake = {(r["entity"], r["load_id"]) for r in records}
    for r in records:
        if (r["entity"], r["load_id"]) not in in_log:
            notes.append(f"The lake file {r['entity']}/{r['load_id']}.parquet "
                         f"({r['source_name']}, {int(r['rows'] or 0):,} rows) was missing from "
                         f"the load log: listed again.")
    for entity_name, load_id in sorted(in_log - in_lake, key=str):
        if entity is None or entity_name == entity:
            notes.append(f"The load log listed {entity_name}/{load_id}.parquet, which is not "
                         f"in the lake: left out of the log.")
    if notes or in_log != in_lake:
        failed = _write_load_log(base, records)
        if failed:
            notes.append(failed)
    return notes


def _crash_point(step: str) -> None:
    """Tests only: end the process abruptly at ``step`` when $SALESDESK_INGEST_CRASH_AT says."""
    if os.environ.get(CRASH_ENV) == step:
        os._exit(70)


# --- ingest --------------------------------------------------------------------------------

def normalise_header(name: str) -> str:
    """' Customer ID ' -> 'customer_id'; then the alias map of the contracts."""
    key = _plain_header(name)
    return COLUMN_ALIASES.get(key, key)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders become their data files (names starting with '_' or '.' skipped)."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(
                sorted(f for f in p.iterdir()
                       if f.is_file() and f.suffix.lower() in FORMATS and f.name[0] not in "._")
            )
        elif p.exists():
            files.append(p)
        else:
            raise UserError(N_("{path}: no such file or folder.", path=str(p)))
    return files


def ingest_paths(paths: list[Path], entity: str | None = None, base: Path | None = None,
                 encoding: str | None = None, mapping: dict | None = None) -> list[LoadResult]:
    """Ingest several files; stops at the first refused one (earlier ones stay loaded)."""
    return [ingest_file(f, entity=entity, base=base, encoding=encoding, mapping=mapping)
            for f in expand_paths(paths)]


def uploads_dir(base: Path | None = None) -> Path:
    return (base or settings.home()) / "tmp" / "uploads"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ingest_upload(name: str, data: bytes, entity: str | None = None,
                  encoding: str | None = None, base: Path | None = None,
                  mapping: dict | None = None, preview: bool = False) -> LoadResult | Preview:
    """Ingest an uploaded file (the Data page): written to a private folder under
    ``tmp/uploads`` that is removed afterwards, whatever happens; folders a crashed process
    left behind are removed first. ``preview``: load nothing, return the ``Preview``."""
    name = Path(str(name)).name or "upload"
    limit = settings.ingest_limits()["max_file_bytes"]
    if len(data) > limit:
        raise UserError(f"{name}: refused: the file is {_mb(len(data))}, over the "
                        f"{_mb(limit)} a file may have (SALESDESK_INGEST_MAX_FILE_MB). "
                        f"{NOTHING_LOADED}")
    root = uploads_dir(base)
    if root.is_dir():
        for stale in root.iterdir():
            pid = stale.name.split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
    folder = root / f"{os.getpid()}-{secrets.token_hex(6)}"
    try:
        folder.mkdir(parents=True)
        path = folder / name
        try:
            path.write_bytes(data)
        except OSError as e:
            raise UserError(f"{name}: refused: the upload could not be saved for reading "
                            f"({_os_error(e)}). {NOTHING_LOADED}") from None
        if preview:
            return preview_file(path, entity=entity, source_name=name, encoding=encoding,
                                mapping=mapping)
        return ingest_file(path, entity=entity, base=base, source_name=name, encoding=encoding,
                           mapping=mapping)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ingest_file(path: Path, entity: str | None = None, base: Path | None = None,
                source_name: str | None = None, encoding: str | None = None,
                mapping: dict | None = None) -> LoadResult:
    """Check one file against its contract and add it to the lake (see module docstring).

    ``encoding``: the text encoding of a CSV file when it is not one read without being named
    (``DETECTED_ENCODINGS``). ``mapping``: a checked mapping file
    (``models.pipeline.mappings.load``); its spec for the file's entity is applied in the worker before the contract check, and the
    load id then covers the bytes and that spec (the same file under another mapping is another
    load). Any failure is a UserError naming the file.
    """
    path = Path(path)
    name = source_name or path.name
    try:
        return _ingest_file(path, name, entity, base, encoding, mapping)
    except UserError:
        raise
    except OSError as e:
        raise UserError(N_("{name}: refused: {reason}.", name=name, reason=_os_error(e)),
                        NOTHING_LOADED_TEXT) from None


def _entity_and_spec(path: Path, name: str, entity: str | None, encoding: str | None,
                     mapping: dict | None) -> tuple[str, dict | None, str | None, str, dict]:
    """The checks before anything is read: (entity, mapping spec, encoding, format, limits)."""
    if not path.is_file():
        raise UserError(N_("{name}: no such file.", name=name))
    entity_name = entity or mappings.entity_for(mapping, name) or entity_for_file(name)
    if entity_name is None and mapping and len([e for e in mapping if e]) == 1:
        entity_name = next(e for e in mapping if e)
    if entity_name is None:
        raise UserError(
            f"{name}: refused: cannot tell which entity this file holds from its name. Name it "
            f"after the entity (customers, reps, products, sales, visits, quotas, assessments), "
            f"e.g. 'sales_2026-10.csv', or pass --entity."
        )
    if entity_name not in ENTITIES:
        raise UserError(f"{name}: unknown entity {entity_name!r}; one of {', '.join(ENTITIES)}.")
    spec = mappings.entity_spec(mapping, entity_name)
    encoding = encoding or (spec or {}).get("encoding")
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise UserError(f"{name}: refused: unsupported file type {path.suffix!r}; "
                        f"use CSV, XLSX or Parquet.")
    if encoding:
        _codec(encoding, name)  # an unknown name is refused before anything is read
    size = path.stat().st_size
    if size == 0:
        raise UserError(N_("{name}: refused: the file is empty.", name=name), NOTHING_LOADED_TEXT)
    limits = settings.ingest_limits()
    if size > limits["max_file_bytes"]:
        raise UserError(f"{name}: refused: the file is {_mb(size)}, over the "
                        f"{_mb(limits['max_file_bytes'])} a file may have "
                        f"(SALESDESK_INGEST_MAX_FILE_MB). Split it into smaller files. "
                        f"{NOTHING_LOADED}")
    return entity_name, spec, encoding, file_format, limits


def _ingest_file(path: Path, name: str, entity: str | None, base: Path | None,
                 encoding: str | None, mapping: dict | None) -> LoadResult:
    entity_name, spec, encoding, file_format, limits = _entity_and_spec(
        path, name, entity, encoding, mapping)
    notes = repair_lake(base, entity_name)
    load_id = _content_hash(path, spec)
    lake = settings.lake_dir(base) / entity_name
    target = lake / f"{load_id}.parquet"
    with _content_lock(lake, load_id):
        _crash_point("locked")
        if target.exists():
            previous = next((r for r in loads(base) if r["load_id"] == load_id
                             and r["entity"] == entity_name), {})
            return LoadResult(entity=entity_name, source_name=name,
                              rows=int(previous.get("rows") or 0), load_id=load_id,
                              lake_file=str(target),
                              loaded_at=str(previous.get("loaded_at", "")),
                              status="already loaded", file_format=file_format, notes=notes)
        tmp = _tmp_path(lake, load_id)
        try:
            lake.mkdir(parents=True, exist_ok=True)
            loaded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            record = {"entity": entity_name, "source_name": name, "load_id": load_id,
                      "loaded_at": loaded_at.isoformat(sep=" "), "file_format": file_format}
            if spec:
                record["mapping"] = spec["mapping"]
            answer = _read_in_jail(path, name, tmp, record, encoding, limits, spec)
            _crash_point("written")
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
            _fsync_dir(lake)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        _crash_point("renamed")
        _record_cache.pop(str(target), None)
        note = _write_load_log(base)
        if note:
            notes.append(note)
    return LoadResult(
        entity=entity_name, source_name=name, rows=int(answer["rows"]), load_id=load_id,
        lake_file=str(target), loaded_at=record["loaded_at"], status="loaded",
        file_format=file_format, encoding=answer["encoding"],
        ignored_columns=answer["ignored_columns"],
        missing_optional_columns=answer["missing_optional_columns"], notes=notes,
        mapping=(spec or {}).get("mapping", ""), excluded_rows=answer["excluded_rows"],
        warnings=answer["warnings"],
    )


@dataclass
class Preview:
    """What a file would load as, before anything is loaded (the Data page's Preview)."""

    entity: str
    source_name: str
    rows: int  # rows that would be loaded
    sources: dict[str, str]  # contract column -> where it comes from
    first_rows: list[dict]  # the first PREVIEW_ROWS mapped rows, values as they would load
    excluded_rows: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problem: str = ""  # the refusal a load would meet (the rows are shown all the same)


PREVIEW_ROWS = 20


def preview_file(path: Path, entity: str | None = None, source_name: str | None = None,
                 encoding: str | None = None, mapping: dict | None = None) -> Preview:
    """Read, map and check one file as ``ingest_file`` would, in the same jailed worker, and
    return the first rows and where each contract column comes from; nothing is written."""
    path = Path(path)
    name = source_name or path.name
    try:
        entity_name, spec, encoding, file_format, limits = _entity_and_spec(
            path, name, entity, encoding, mapping)
        record = {"entity": entity_name, "source_name": name, "load_id": "preview",
                  "loaded_at": "2000-01-01 00:00:00", "file_format": file_format}
        answer = _read_in_jail(path, name, Path(os.devnull), record, encoding, limits, spec,
                               preview=True)
    except OSError as e:
        raise UserError(N_("{name}: refused: {reason}.", name=name, reason=_os_error(e)),
                        NOTHING_LOADED_TEXT) from None
    return Preview(entity=entity_name, source_name=name, rows=int(answer["rows"]),
                   sources=answer["sources"], first_rows=answer["first_rows"],
                   excluded_rows=answer["excluded_rows"],
                   ignored_columns=answer["ignored_columns"], warnings=answer["warnings"],
                   problem=answer.get("problem") or "")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mb(n: int) -> str:
    return f"{n / 1024 ** 2:,.1f} MB" if n < 1024 ** 3 else f"{n / 1024 ** 3:,.1f} GB"


def _os_error(e: OSError) -> str:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full; free some space and load it again"
    if e.errno == errno.EFBIG:
        return "the file to write is over the size limit"
    return f"{e.strerror or type(e).__name__}" + (f" ({e.filename})" if e.filename else "")


# --- the jailed worker ---------------------------------------------------------------------

def _read_in_jail(path: Path, name: str, tmp: Path, record: dict, encoding: str | None,
                  limits: dict[str, int], spec: dict | None = None,
                  preview: bool = False) -> dict:
    """Read, check and write ``tmp`` in a worker process; its answer, or UserError. ``spec``
    (a mapping's plain-JSON spec for the entity) travels in the request and is applied there."""
    request = {"task": "ingest", "path": str(path.resolve()), "name": name, "tmp": str(tmp),
               "record": record, "encoding": encoding, "limits": limits, "mapping": spec,
               "preview": preview}
    pid, answer = jail.fork_server.start_worker(request)
    with answer:
        received = jail.receive(answer, time.monotonic() + limits["timeout_s"] + 5, 1 << 20)
    if received is None:
        jail.kill(pid)
        raise UserError(
            f"{name}: refused: reading it went over the limits of one ingest "
            f"({_mb(limits['memory_bytes'])} of memory, {limits['timeout_s']:,} s) and was "
            f"stopped. Split it into smaller files (or raise SALESDESK_INGEST_MEMORY_MB / "
            f"SALESDESK_INGEST_TIMEOUT_S). {NOTHING_LOADED}")
    header, _ = received
    if header.get("status") != "ok":
        if header.get("kind") == "refused" and header.get("parts"):
            raise UserError(*parts_from_json(header["parts"]))  # in any language when shown
        raise UserError(_refusal(name, str(header.get("kind")), str(header.get("detail") or ""),
                                 limits))
    return header


def _refusal(name: str, kind: str, detail: str, limits: dict[str, int]) -> str:
    if kind == "refused":
        return detail
    if kind == "memory":
        return (f"{name}: refused: reading it needed more than the "
                f"{_mb(limits['memory_bytes'])} of memory one ingest may use "
                f"(SALESDESK_INGEST_MEMORY_MB). Split it into smaller files. {NOTHING_LOADED}")
    if kind == "disk":
        return (f"{name}: refused: writing the lake file failed: {detail}. {NOTHING_LOADED}")
    return f"{name}: refused: the file could not be read ({detail}). {NOTHING_LOADED}"


def _limits_within_hard(limits: dict[str, int]) -> jail.Limits:
    """The worker's limits, each no higher than the hard limit it already has."""
    import resource

    def cap(kind: int, value: int) -> int:
        hard = resource.getrlimit(kind)[1]
        return value if hard == resource.RLIM_INFINITY else min(value, hard)

    return jail.Limits(
        address_space_bytes=cap(resource.RLIMIT_AS, limits["memory_bytes"]),
        cpu_seconds=cap(resource.RLIMIT_CPU, limits["timeout_s"] * 2) - 1,
        wall_seconds=limits["timeout_s"],
        file_size_bytes=cap(resource.RLIMIT_FSIZE,
                            max(limits["max_unpacked_bytes"], limits["max_file_bytes"]) * 2),
    )


def _worker_main(request: dict, out) -> None:
    """In the forked worker: limits first, then read the file and write the lake file."""
    limits = request["limits"]
    jail.apply_limits(_limits_within_hard(limits))
    try:
        header = _read_and_write(Path(request["path"]), request["name"], Path(request["tmp"]),
                                 request["record"], request["encoding"], limits,
                                 request.get("mapping"), bool(request.get("preview")))
        header["status"] = "ok"
    except UserError as e:
        header = {"status": "error", "kind": "refused", "detail": str(e),
                  "parts": parts_to_json(e.parts)}
    except (duckdb.OutOfMemoryException, MemoryError):
        header = {"status": "error", "kind": "memory"}
    except OSError as e:
        kind = "disk" if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else "io"
        header = {"status": "error", "kind": kind, "detail": _os_error(e)}
    except duckdb.IOException as e:
        text = _first_line(e)
        if "No space left" in text:
            header = {"status": "error", "kind": "disk",
                      "detail": "the disk is full; free some space and load it again"}
        elif "File too large" in text:
            header = {"status": "error", "kind": "disk",
                      "detail": "the lake file would be over the file size limit of an ingest"}
        else:
            header = {"status": "error", "kind": "io", "detail": text}
    except BaseException as e:  # noqa: BLE001 - reader panics and the like: one refusal
        if "memory" in str(e).lower() and "alloc" in str(e).lower():
            header = {"status": "error", "kind": "memory"}
        else:
            header = {"status": "error", "kind": "internal",
                      "detail": f"{type(e).__name__}: {_first_line(e)}"[:500]}
    jail.send_answer(out, header)


def _read_and_write(path: Path, name: str, tmp: Path, record: dict, encoding: str | None,
                    limits: dict[str, int], spec: dict | None = None,
                    preview: bool = False) -> dict:
    """In the worker: the file as view ``src``, the mapping ``spec`` applied, checked against
    its contract, written to ``tmp`` as the lake file with ``record`` (completed) in its footer.
    ``preview``: nothing is written; the answer holds the first mapped rows and where each
    contract column comes from, and a type refusal is returned as ``problem``."""
    contract = ENTITIES[record["entity"]]
    spec = spec or {}
    con = duckdb.connect(config={
        "threads": 2, "memory_limit": f"{max(limits['memory_bytes'] // 3, 256 * 1024 ** 2)}B",
        "temp_directory": "", "enable_external_access": True})
    try:
        con.execute("set enable_progress_bar = false")
        used_encoding = _register_source(con, path, name, record["file_format"], encoding,
                                         limits, spec.get("delimiter"))
        excluded: dict[str, int] = {}
        warnings: list[str] = []
        mapped = _apply_mapping(con, name, contract, spec, excluded)
        header_map, ignored = _map_headers(con, name, contract, spec)
        origins = {c: f"column {col!r}" for c, col in header_map.items()}
        if mapped is not None:
            origins, ignored = mapped
        types = dict(con.execute("select column_name, column_type from (describe src)").fetchall())
        if contract.name == "sales" and "status" in header_map:
            _leave_out_cancelled(con, name, header_map["status"], origins, excluded)
        n_rows = con.execute("select count(*) from src").fetchall()[0][0]
        if n_rows == 0:
            if excluded:
                raise UserError(f"{name}: refused: every row was left out "
                                f"({excluded_text(excluded)}). {NOTHING_LOADED}")
            raise UserError(f"{name}: refused: the file has a header but no data rows. "
                            f"{NOTHING_LOADED}")
        exprs = {}
        for col in contract.columns:
            if col.name in header_map:
                source_col = header_map[col.name]
                exprs[col.name] = _parse_expr(_q(source_col), types[source_col], col, spec)
        if "status" in exprs:
            exprs["status"] = f"lower({exprs['status']})"
        problem = ""
        try:
            _check_types(con, name, header_map, exprs, contract, spec, origins)
            _derive_columns(con, name, contract, exprs, origins)
        except UserError as e:
            if not preview:
                raise
            problem = str(e)
        if contract.name == "customers" and "channel" in exprs:
            warnings += _unknown_channels(con, name, exprs["channel"])

        if len(ignored) > MAX_IGNORED_NAMES_KEPT:
            ignored = ignored[:MAX_IGNORED_NAMES_KEPT] + \
                [f"... and {len(ignored) - MAX_IGNORED_NAMES_KEPT:,} more"]
        record = dict(record, rows=int(n_rows), encoding=used_encoding, ignored_columns=ignored,
                      missing_optional_columns=[c.name for c in contract.columns
                                                if c.name not in exprs],
                      excluded_rows=excluded, warnings=warnings)
        select_list = [
            f"cast({exprs[c.name]} as {c.duckdb_type}) as {c.name}" if c.name in exprs
            else f"cast(null as {c.duckdb_type}) as {c.name}"
            for c in contract.columns
        ]
        if preview:
            rel = con.execute(f"select cast(_source_row as bigint) as _source_row, "
                              f"{', '.join(select_list)} from src order by _source_row "
                              f"limit {PREVIEW_ROWS}")
            names = [d[0] for d in rel.description]
            first_rows = [{k: (None if v is None else str(v)) for k, v in zip(names, row)}
                          for row in rel.fetchall()]
            answer = {k: record[k] for k in ("rows", "encoding", "ignored_columns",
                                             "missing_optional_columns", "excluded_rows",
                                             "warnings")}
            return dict(answer, problem=problem, first_rows=first_rows,
                        sources={c.name: origins.get(c.name, "") for c in contract.columns})
        select_list += [
            f"'{record['load_id']}' as _load_id",
            "cast(_source_row as bigint) as _source_row",
            f"timestamp '{record['loaded_at']}' as _loaded_at",
        ]
        kv = _sql_string(json.dumps(record, ensure_ascii=False))
        con.execute(
            f"copy (select {', '.join(select_list)} from src) "
            f"to '{_sql_path(tmp)}' (format parquet, compression zstd, "
            f"kv_metadata {{{RECORD_KEY}: {kv}}})"
        )
    finally:
        con.close()
    return {k: record[k] for k in ("rows", "encoding", "ignored_columns",
                                   "missing_optional_columns", "excluded_rows", "warnings")}


# --- mappings, applied in the worker --------------------------------------------------------

def _narrow(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Replace view ``src`` by ``sql``, which reads the previous one as ``{prev}``."""
    n = con.execute("select count(*) from duckdb_views() where view_name like 'src_step_%'"
                    ).fetchall()[0][0]
    prev = f"src_step_{n}"
    con.execute(f"alter view src rename to {prev}")
    con.execute(f"create view src as {sql.format(prev=prev)}")


def _source_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("select column_name from (describe src)").fetchall()
            if r[0] != "_source_row"]


def _apply_mapping(con: duckdb.DuckDBPyConnection, name: str, contract: Entity, spec: dict,
                   excluded: dict[str, int]) -> tuple[dict[str, str], list[str]] | None:
    """Apply a mapping's columns, constants, value maps, derivations and row filters: view
    ``src`` then holds the contract columns the file gives (named as in the contract) and
    ``_source_row``. Returns (contract column -> where it came from, source columns left out);
    None when the spec maps nothing (settings alone)."""
    if not any(spec.get(k) for k in ("columns", "constants", "derive", "exclude", "values")):
        return None
    source_cols = _source_columns(con)
    entity = contract.name
    mapping = spec.get("mapping") or "the mapping"

    def need(column: str, where: str) -> None:
        if column not in source_cols:
            close = difflib.get_close_matches(column, source_cols, n=3, cutoff=0.6)
            hint = f" (close: {', '.join(map(repr, close))})" if close else ""
            raise UserError(f"{name}: refused: mapping {mapping}: {where} = {column!r}: the file "
                            f"has no column {column!r}{hint}. Found columns: "
                            f"{', '.join(source_cols)}. {NOTHING_LOADED}")

    conditions: list[str] = []
    for i, rule in enumerate(spec.get("exclude") or [], start=1):
        need(rule["column"], f"[[{entity}.exclude]] number {i} column")
        values = ", ".join(_sql_string(v) for v in rule["values"])
        condition = f"coalesce(trim(cast({_q(rule['column'])} as varchar)) in ({values}), false)"
        earlier = "".join(f" and not {c}" for c in conditions)
        n = con.execute(f"select count(*) from src where {condition}{earlier}").fetchall()[0][0]
        if n:
            reason = f"{rule['column']} = {' / '.join(rule['values'])}"
            excluded[reason] = excluded.get(reason, 0) + int(n)
        conditions.append(condition)

    used = set(spec["columns"].values()) | {r["column"] for r in spec.get("exclude") or []}
    auto, _ = _match_headers(name, [c for c in source_cols if c not in used], contract)
    origins: dict[str, str] = {}
    exprs: dict[str, str] = {}
    for col in contract.columns:
        if col.name in spec["columns"]:
            source_col = spec["columns"][col.name]
            need(source_col, f"[{entity}.columns] {col.name}")
            exprs[col.name], origins[col.name] = _q(source_col), f"column {source_col!r}"
        elif col.name in spec["constants"]:
            value = spec["constants"][col.name]
            exprs[col.name], origins[col.name] = _sql_string(value), f"constant {value!r}"
        elif col.name in auto and col.name not in spec["derive"]:
            exprs[col.name], origins[col.name] = _q(auto[col.name]), f"column {auto[col.name]!r}"
        value_map = spec["values"].get(col.name)
        if value_map and col.name in exprs:
            # source values match whatever their case ("SHIPPED", "Shipped")
            cases = " ".join(f"when {_sql_string(k.strip().lower())} then {_sql_string(v)}"
                             for k, v in value_map.items())
            exprs[col.name] = (f"case lower(trim(cast({exprs[col.name]} as varchar))) {cases} "
                               f"else cast({exprs[col.name]} as varchar) end")
            origins[col.name] += f", {len(value_map)} value(s) mapped"
    if spec["derive"].get("line_number") == "row_in_order":
        if "order_id" not in exprs:
            raise UserError(f"{name}: refused: mapping {mapping}: [{entity}.derive] line_number "
                            f"numbers rows within an order, but no column gives order_id. "
                            f"{NOTHING_LOADED}")
        exprs["line_number"] = (f"row_number() over (partition by {exprs['order_id']} "
                                f"order by _source_row)")
        origins["line_number"] = "row order within each order_id (1, 2, ...)"
    taken = set(spec["columns"].values()) | set(auto.values())
    ignored = [c for c in source_cols if c not in taken]
    where = f" where not ({' or '.join(conditions)})" if conditions else ""
    selected = ", ".join(f"{expr} as {_q(c)}" for c, expr in exprs.items())
    _narrow(con, f"select {selected}{', ' if selected else ''}_source_row from {{prev}}{where}")
    return origins, ignored


def _leave_out_cancelled(con: duckdb.DuckDBPyConnection, name: str, status_col: str,
                         origins: dict[str, str], excluded: dict[str, int]) -> None:
    """Sales: a status other than active/cancelled refuses the file (the mapping must say what
    it means); cancelled lines are left out before the lake and counted."""
    value = f"nullif(trim(cast({_q(status_col)} as varchar)), '')"
    allowed = ", ".join(f"'{v}'" for v in SALES_STATUSES)
    other = con.execute(
        f"select {value}, count(*) from src where {value} is not null and lower({value}) not in "
        f"({allowed}) group by 1 order by 2 desc, 1 limit 11").fetchall()
    if other:
        shown = ", ".join(f"{v!r} ({n:,} row{'' if n == 1 else 's'})" for v, n in other[:10])
        more = ", ..." if len(other) > 10 else ""
        origin = origins.get("status", "")
        label = "status" + (f" ({origin})" if origin and origin != "column 'status'" else "")
        example = other[0][0].replace('"', "'")
        raise UserError(
            f"{name}: refused as sales: column {label} holds values other than "
            f"{' or '.join(SALES_STATUSES)}: {shown}{more}. Say what each means in a mapping "
            f"file ([sales.values.status] \"{example}\" = \"active\" or \"cancelled\") and load "
            f"with --mapping (on the Data page: Mapping). {NOTHING_LOADED}")
    cancelled = f"coalesce(lower({value}) = 'cancelled', false)"
    n = con.execute(f"select count(*) from src where {cancelled}").fetchall()[0][0]
    if n:
        excluded["status cancelled"] = int(n)
        _narrow(con, f"select * from {{prev}} where not {cancelled}")


def _derive_columns(con: duckdb.DuckDBPyConnection, name: str, contract: Entity,
                    exprs: dict[str, str], origins: dict[str, str]) -> None:
    """Sales with line_amount: unit_price = line_amount / quantity (to the contract's 4 places)
    when the file has no unit price; when it has both, they must agree within a cent
    (|quantity x unit_price - line_amount| <= 0.01), else the file is refused: one of the two
    columns is not what the mapping says (a net amount, a price per case)."""
    for (entity, column), parts in DERIVED_COLUMNS.items():
        if entity != contract.name or not all(p in exprs for p in parts):
            continue
        amount, quantity = (exprs[p] for p in parts)
        if column not in exprs:
            target = contract.column(column).duckdb_type
            exprs[column] = f"cast(({amount}) / nullif(({quantity}), 0) as {target})"
            origins[column] = f"{parts[0]} / {parts[1]}, to {contract.column(column).scale} places"
            continue
        price = exprs[column]
        differs = f"abs(({quantity}) * ({price}) - ({amount})) > 0.01"
        bad = con.execute(f"select count(*) from src where {differs}").fetchall()[0][0]
        if bad:
            rows = con.execute(
                f"select _source_row, {quantity}, {price}, {amount} from src where {differs} "
                f"order by _source_row limit {MAX_BAD_ROWS_SHOWN}").fetchall()
            shown = ", ".join(f"row {r} {q} x {p} <> {a}" for r, q, p, a in rows)
            raise UserError(
                f"{name}: refused as sales: {bad:,} row(s) where quantity x unit_price differs "
                f"from line_amount by more than a cent: {shown}. line_amount is the line before "
                f"discount; if the file's amount is after discount or its price is per pack, "
                f"map only one of the two. {NOTHING_LOADED}")


def _unknown_channels(con: duckdb.DuckDBPyConnection, name: str, channel: str) -> list[str]:
    """A warning when customers have a channel the desk does not know: they are loaded and
    staging counts them as 'other', so the load says so (with the values) instead of silence."""
    value = f"lower({channel})"
    known = ", ".join(f"'{c}'" for c in CHANNELS)
    rows = con.execute(
        f"select {value}, count(*) from src where {value} is not null and {value} not in "
        f"({known}) group by 1 order by 2 desc, 1").fetchall()
    if not rows:
        return []
    total = sum(n for _, n in rows)
    shown = ", ".join(f"{v!r} ({n:,})" for v, n in rows[:10]) + (", ..." if len(rows) > 10
                                                                else "")
    example = rows[0][0].replace('"', "'")
    return [f"{name}: {total:,} customer(s) have a channel the desk does not know: {shown}. "
            f"They are loaded and counted as 'other'. To keep them apart, map each to one of "
            f"{', '.join(CHANNELS)} in a mapping file ([customers.values.channel] "
            f"\"{example}\" = \"retail_store\") and load the file again with --mapping."]


# --- reading -------------------------------------------------------------------------------


def _content_hash(path: Path, spec: dict | None = None) -> str:
    """The load id: the file's bytes, and the mapping spec applied to them (its file name
    aside), so the same export under a corrected mapping is a new load."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if spec:
        rules = {k: v for k, v in spec.items() if k not in ("mapping", "files")}
        digest.update(b"\0mapping\0" + json.dumps(rules, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _check_columns(names: list[str], name: str, limits: dict[str, int]) -> None:
    """Refuse too many columns, a column named like a load column, and two columns of the
    same name."""
    if len(names) > limits["max_columns"]:
        raise UserError(f"{name}: refused: the file has {len(names):,} columns, over the "
                        f"{limits['max_columns']:,} a file may have "
                        f"(SALESDESK_INGEST_MAX_COLUMNS). {NOTHING_LOADED}")
    seen: dict[str, str] = {}
    for col in names:
        key = normalise_header(col)
        if key in LOAD_COLUMNS:
            raise UserError(f"{name}: refused: column {col!r} has a name the lake keeps for "
                            f"its load columns ({', '.join(LOAD_COLUMNS)}). Rename or remove "
                            f"it and load the file again. {NOTHING_LOADED}")
        exact = str(col).strip()
        if exact in seen:
            raise UserError(f"{name}: refused: the column {exact!r} appears twice. Keep one of "
                            f"them. {NOTHING_LOADED}")
        seen[exact] = col


def sniff_delimiter(text: str) -> str:
    """The delimiter of CSV text among comma, semicolon, tab and pipe: the one that splits the
    header into two or more fields and the most of the first lines into as many; comma when
    none does."""
    sample = text[:1 << 16]
    lines = sample.splitlines()[:50]
    if len(sample) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    best, best_score = ",", (0.0, 0)
    for delimiter in mappings.DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _ragged_refusal(name: str, payload: bytes, delimiter: str, named: bool) -> UserError:
    """The refusal for rows with more fields than the header, naming the delimiter."""
    text = payload.decode("utf-8", errors="replace")
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, [])
    where = ""
    for row in rows:
        if len(row) > len(header):
            where = (f" (spreadsheet row {rows.line_num}: {len(row)} fields, the header has "
                     f"{len(header)})")
            break
    label = mappings.delimiter_label(delimiter)
    how = "named in the mapping" if named else "told from the first lines"
    return UserError(
        f"{name}: refused: a row has more fields than the header{where} when split at "
        f"{label}, the delimiter {how}. Is that the file's delimiter? A value holding it must "
        f"be in quotes (a decimal comma in a comma-separated file is the usual cause). Name the "
        f"delimiter in a mapping file (delimiter = \";\", \",\", \"|\" or \"tab\") and load "
        f"with --mapping (on the Data page: Mapping). {NOTHING_LOADED}")


def _register_source(con: duckdb.DuckDBPyConnection, path: Path, name: str, file_format: str,
                     encoding: str | None, limits: dict[str, int],
                     delimiter: str | None = None) -> str:
    """Make the file available as view ``src`` with a ``_source_row`` column; return encoding.
    ``delimiter``: of a CSV file, when a mapping names it; else sniffed."""
    if file_format == "parquet":
        try:
            meta = pq.read_metadata(path)
            names = list(meta.schema.names)
            unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        except Exception as e:  # noqa: BLE001 - pyarrow raises its own types
            raise UserError(N_("{name}: refused: not a readable Parquet file ({detail}).",
                               name=name, detail=_first_line(e)), NOTHING_LOADED_TEXT)
        if unpacked > limits["max_unpacked_bytes"]:
            raise UserError(f"{name}: refused: its data is {_mb(unpacked)} uncompressed, over the "
                            f"{_mb(limits['max_unpacked_bytes'])} a file may unpack to "
                            f"(SALESDESK_INGEST_MAX_UNPACKED_MB). Split it into smaller files. "
                            f"{NOTHING_LOADED}")
        _check_columns(names, name, limits)
        if "file_row_number" in names:
            raise UserError(f"{name}: refused: column 'file_row_number' has a name the reader "
                            f"keeps for itself. Rename it and load the file again. "
                            f"{NOTHING_LOADED}")
        try:
            con.execute(
                f"create view src as select * exclude (file_row_number), "
                f"file_row_number + 1 as _source_row "
                f"from read_parquet('{_sql_path(path)}', file_row_number = true)"
            )
            con.execute("select * from src limit 0")
        except duckdb.Error as e:
            raise UserError(N_("{name}: refused: not a readable Parquet file ({detail}).",
                               name=name, detail=_first_line(e)), NOTHING_LOADED_TEXT)
        return "parquet"
    if file_format == "xlsx":
        _check_workbook(path, name, limits)
        try:
            frame = pl.read_excel(path, infer_schema_length=0)
        except (Exception, pl.exceptions.PanicException) as e:  # fastexcel raises its own types
            raise UserError(N_("{name}: refused: not a readable XLSX workbook ({detail}).",
                               name=name, detail=_first_line(e)), NOTHING_LOADED_TEXT)
        _check_columns(frame.columns, name, limits)
        used = "xlsx"
    else:
        _check_lines(path, name, limits)
        data = path.read_bytes()
        text, used = _decode(data, name, encoding)
        named = bool(delimiter)
        delimiter = delimiter or sniff_delimiter(text)
        first_line = text.split("\n", 1)[0]
        header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
        _check_columns(header, name, limits)
        if used in ("utf-8", "utf-8-sig"):
            payload = data[3:] if used == "utf-8-sig" else data
        else:
            payload = text.encode("utf-8")
        del data, text
        try:
            frame = pl.read_csv(payload, infer_schema=False, truncate_ragged_lines=False,
                                separator=delimiter)
        except (Exception, pl.exceptions.PanicException) as e:
            if "more fields" in str(e):
                raise _ragged_refusal(name, payload, delimiter, named) from None
            raise UserError(N_("{name}: refused: not a readable CSV file ({detail}).",
                               name=name, detail=_first_line(e)), NOTHING_LOADED_TEXT)
    frame = frame.with_row_index("_source_row", offset=2)
    con.register("src_frame", frame.to_arrow())
    con.execute("create view src as select * from src_frame")
    return used


def _check_workbook(path: Path, name: str, limits: dict[str, int]) -> None:
    """Refuse a workbook whose zip entries would inflate past the limit, before inflating
    anything; then inflate each entry once, counting (an entry larger than it says, a bad
    checksum: refused), so the reader only ever sees what was checked."""
    limit = limits["max_unpacked_bytes"]
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise UserError(f"{name}: refused: the workbook holds {len(entries):,} parts, "
                                f"over {MAX_ZIP_ENTRIES:,}. {NOTHING_LOADED}")
            declared = sum(e.file_size for e in entries)
            if declared > limit:
                biggest = max(entries, key=lambda e: e.file_size)
                raise UserError(
                    f"{name}: refused: the workbook unpacks to {_mb(declared)} "
                    f"({biggest.filename} alone {_mb(biggest.file_size)}), over the "
                    f"{_mb(limit)} a workbook may unpack to (SALESDESK_INGEST_MAX_UNPACKED_MB). "
                    f"Save the sheet as CSV, or split it. {NOTHING_LOADED}")
            for entry in entries:
                with archive.open(entry) as part:
                    while part.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as e:
        raise UserError(N_("{name}: refused: not a readable XLSX workbook ({detail}).",
                           name=name, detail=_first_line(e)), NOTHING_LOADED_TEXT)


def _check_lines(path: Path, name: str, limits: dict[str, int]) -> None:
    """Refuse a text file with a line longer than the limit, reading it in chunks."""
    limit = limits["max_line_bytes"]
    current, line = 0, 1
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            pieces = chunk.split(b"\n")
            for i, piece in enumerate(pieces):
                current += len(piece)
                if current > limit:
                    raise UserError(
                        f"{name}: refused: line {line:,} is longer than the "
                        f"{limit // 1024:,} KB a line may have (SALESDESK_INGEST_MAX_LINE_KB). "
                        f"Is it a CSV file with one row per line? {NOTHING_LOADED}")
                if i < len(pieces) - 1:
                    current = 0
                    line += 1


# --- encodings -----------------------------------------------------------------------------

def _codec(encoding: str, name: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UserError(f"{name}: unknown encoding {encoding!r}; name a Python codec such as "
                        f"windows-1252, latin-1, utf-16-le, big5 or shift_jis.") from None


def _row_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _latin_line(data: bytes, row: int) -> str:
    start = 0
    for _ in range(row - 1):
        start = data.index(b"\n", start) + 1
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)].decode("cp1252", errors="replace")
    return line.strip()[:80]


def _looks_western(data: bytes) -> bool:
    """The bytes read as Windows-1252 text whose high bytes are mostly letters (é, ü, ß)."""
    try:
        text = data[:1 << 20].decode("cp1252")
    except UnicodeDecodeError:
        return False
    high = [c for c in text if ord(c) > 127]
    return bool(high) and sum(c.isalpha() for c in high) >= 0.8 * len(high)


def _western_refusal(name: str, data: bytes, row: int, how: str) -> UserError:
    return UserError(
        f"{name}: refused: {how}; it looks like Western European text in Windows-1252 "
        f"(row {row} reads {_latin_line(data, row)!r} that way). Load it with --encoding "
        f"windows-1252 (on the Data page: Encoding 'windows-1252'), or save it from Excel as "
        f"'CSV UTF-8'. {NOTHING_LOADED}")


# A character GB18030 decodes from a Latin-1 letter and the ASCII letter after it: a two-byte
# sequence whose second byte is ASCII (GBK's rarely used extension areas), right after an ASCII
# letter ("J\xfcrgen" -> "J" + one CJK character + "gen").
_AFTER_LETTER = re.compile(r"(?<=[A-Za-z])[^\x00-\x7f]")


def _latin_read_as_gb18030(text: str) -> int | None:
    """The offset (in ``text``) of the first sign that GB18030-decoded text is really
    Latin-1/Windows-1252; None when it reads as Chinese.

    In Chinese GB18030 text nearly every character is in the GB2312 area (both bytes >= 0xA1),
    and characters after an ASCII letter are rare. In Windows-1252 text an accented letter
    between ASCII letters pairs with the next letter into a character from GBK's extension
    areas (second byte ASCII). The text is judged Western when at least half of the non-ASCII
    characters that follow an ASCII letter are such pairs whose two bytes read as letters in
    Windows-1252.
    """
    candidates = 0
    suspicious: list[int] = []
    for match in _AFTER_LETTER.finditer(text):
        candidates += 1
        raw = match.group().encode("gb18030")
        if len(raw) == 2 and raw[1] < 0x80:
            latin = raw.decode("cp1252", errors="replace")
            if all(c.isalpha() for c in latin):
                suspicious.append(match.start())
    if suspicious and 2 * len(suspicious) >= candidates:
        return suspicious[0]
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when every other byte of the start is zero."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.3 and odd > 2 * even:
        return "utf-16-le"
    if even > 0.3 and even > 2 * odd:
        return "utf-16-be"
    return None


def _decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and its encoding; UserError when it cannot be told."""
    if encoding:
        codec = _codec(encoding, name)
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as e:
            raise UserError(f"{name}: refused: the bytes are not {encoding} text (row "
                            f"{_row_of(data, e.start)}, byte {e.start:,}). {NOTHING_LOADED}"
                            ) from None
        return _no_nul(text.removeprefix("\ufeff"), name), codec
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise UserError(f"{name}: refused: the text is UTF-32; save it as 'CSV UTF-8' or load "
                        f"it with --encoding utf-32. {NOTHING_LOADED}")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return _no_nul(data[3:].decode("utf-8"), name), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise UserError(f"{name}: refused: the file starts with a UTF-8 mark but row "
                            f"{_row_of(data, e.start)} is not UTF-8. {NOTHING_LOADED}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _no_nul(data.decode("utf-16").removeprefix("\ufeff"), name), "utf-16"
        except UnicodeDecodeError:
            raise UserError(f"{name}: refused: the file starts with a UTF-16 mark but is not "
                            f"UTF-16 text. {NOTHING_LOADED}") from None
    utf16 = _utf16_without_bom(data)
    if utf16:
        raise UserError(f"{name}: refused: it looks like UTF-16 text without a byte-order mark "
                        f"(every other byte is zero). Save it from Excel as 'CSV UTF-8', or "
                        f"load it with --encoding {utf16}. {NOTHING_LOADED}")
    try:
        return _no_nul(data.decode("utf-8"), name), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        how = f"the text is neither UTF-8 nor GB18030/GBK (row {_row_of(data, e.start)})"
        if _looks_western(data):
            raise _western_refusal(name, data, _row_of(data, e.start), how) from None
        raise UserError(
            f"{name}: refused: {how}. Save it from Excel as 'CSV UTF-8' and load it again, or "
            f"name its encoding with --encoding. {NOTHING_LOADED}") from None
    western = _latin_read_as_gb18030(text)
    if western is not None and _looks_western(data):
        row = text.count("\n", 0, western) + 1
        raise _western_refusal(name, data, row, "read as Chinese GB18030 its words are broken "
                               "by rare characters") from None
    return _no_nul(text, name), "gb18030"


def _no_nul(text: str, name: str) -> str:
    at = text.find("\x00")
    if at >= 0:
        raise UserError(f"{name}: refused: row {text.count(chr(10), 0, at) + 1} holds a NUL "
                        f"character: is it a UTF-16 or binary file? Save it as 'CSV UTF-8'. "
                        f"{NOTHING_LOADED}")
    return text


def _match_headers(name: str, source_cols: list[str], contract: Entity,
                   ) -> tuple[dict[str, str], list[str]]:
    """Contract column -> source column by header (normalised, aliases); and the source
    columns that match no contract column."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for col in source_cols:
        target = normalise_header(col)
        if target in contract.column_names:
            if target in mapping:
                raise UserError(
                    f"{name}: refused: columns {mapping[target]!r} and {col!r} both mean "
                    f"{target!r}. Keep one of them. Nothing was loaded."
                )
            mapping[target] = col
        else:
            ignored.append(col)
    return mapping, ignored


def _map_headers(con: duckdb.DuckDBPyConnection, name: str, contract: Entity,
                 spec: dict | None = None) -> tuple[dict[str, str], list[str]]:
    """Contract column -> source column; and the source columns that are not in the contract.
    A missing required column is refused, with the source columns that likely hold it."""
    source_cols = _source_columns(con)
    mapping, ignored = _match_headers(name, source_cols, contract)
    missing = [c for c in contract.required if c not in mapping and not all(
        p in mapping for p in DERIVED_COLUMNS.get((contract.name, c), ("",)))]
    if missing:
        hints = [h for h in [_entity_hint(source_cols, contract.name)] if h]
        likely: dict[str, list[str]] = {}
        for c in missing:  # the best unclaimed column for each
            best = [s for s in suggest_columns(c, ignored) if [s] not in likely.values()][:1]
            if best:
                likely[c] = best
        if likely:
            first = next(iter(likely))
            shown = "; ".join(f"{c}: {', '.join(map(repr, s))}" for c, s in likely.items())
            example = f"[{contract.name}.columns] {first} = \"{likely[first][0]}\""
            if spec and spec.get("columns"):
                hints.append(N_("Likely source columns (by the mapping): {columns}. Name them in "
                                "a mapping file ({example}) and load with --mapping (on the "
                                "Data page: Mapping).", columns=shown, example=example))
            else:
                hints.append(N_("Likely source columns: {columns}. Name them in a mapping file "
                                "({example}) and load with --mapping (on the Data page: "
                                "Mapping).", columns=shown, example=example))
        if "unit_price" in missing and contract.name == "sales":
            hints.append(N_("(Or give line_amount: unit_price is then line_amount / quantity.)"))
        raise UserError(
            N_("{name}: refused as {entity}: missing required column(s) {missing}. Found "
               "columns: {found}.", name=name, entity=contract.name, missing=", ".join(missing),
               found=", ".join(source_cols)),
            *hints, NOTHING_LOADED_TEXT)
    return mapping, ignored


def _plain_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip().lower())


def suggest_columns(column: str, source_cols: list[str], n: int = 3) -> list[str]:
    """Source columns that likely hold the contract ``column``: close (difflib) to its name or
    to one of its aliases (COLUMN_ALIASES), compared on normalised names; best first."""
    targets = [column, *(alias for alias, target in COLUMN_ALIASES.items()
                         if target == column)]
    plain = {}
    for col in source_cols:
        plain.setdefault(_plain_header(col), col)
    scored: dict[str, float] = {}
    for key, col in plain.items():
        for target in targets:
            ratio = difflib.SequenceMatcher(None, key, target).ratio()
            if target in key.split("_") or key in target.split("_"):
                ratio = max(ratio, 0.75)
            if ratio >= 0.6:
                scored[col] = max(scored.get(col, 0.0), ratio)
    return sorted(scored, key=lambda c: -scored[c])[:n]


def _entity_hint(source_cols: list[str], tried: str) -> Text | None:
    present = {normalise_header(c) for c in source_cols}
    for entity in ENTITIES.values():
        if entity.name != tried and set(entity.required) <= present:
            return N_("The columns look like a {entity} file: is it the right file, or should it "
                      "be loaded with --entity {entity}?", entity=entity.name)
    return None


# --- parsing -------------------------------------------------------------------------------


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _list(formats: list[str]) -> str:
    return "[" + ", ".join(f"'{f}'" for f in formats) + "]"


# Thousands separators, strictly grouped: "1,234,567.5" is a number, "12,50" is not (it is a
# decimal comma, which a mapping must state: decimal_comma = true).
_GROUPED_COMMA = r"[-+]?[0-9]{1,3}(,[0-9]{3})+([.][0-9]*)?"
_GROUPED_DOT = r"[-+]?[0-9]{1,3}([.][0-9]{3})+(,[0-9]*)?"


def _parse_expr(src: str, source_type: str, col: Column, spec: dict | None = None) -> str:
    """A DuckDB expression turning the source column into the contract type (null if it can't).
    ``spec``: a mapping's date_format, timestamp_format and decimal_comma."""
    spec = spec or {}
    target = col.duckdb_type
    date_formats = [spec["date_format"]] if spec.get("date_format") else DATE_FORMATS
    if spec.get("timestamp_format"):
        timestamp_formats = [spec["timestamp_format"]]
    elif spec.get("date_format"):
        timestamp_formats = [f"{spec['date_format']} %H:%M:%S", f"{spec['date_format']} %H:%M",
                             spec["date_format"]]
    else:
        timestamp_formats = TIMESTAMP_FORMATS
    if source_type.upper() != "VARCHAR":
        if col.type == "time":
            return f"strftime(try_cast({src} as time), '%H:%M')"
        if col.type == "month":
            return f"cast(date_trunc('month', try_cast({src} as date)) as date)"
        if col.type == "text":
            return f"nullif(trim(cast({src} as varchar)), '')"
        return f"try_cast({src} as {target})"
    s = f"nullif(trim({src}), '')"
    if col.type == "text":
        return s
    if col.type in ("integer", "double", "decimal"):
        bare = f"replace(replace(replace({s}, '¥', ''), '￥', ''), ' ', '')"
        if spec.get("decimal_comma"):
            return (f"case when not contains({bare}, '.') or regexp_full_match({bare}, "
                    f"'{_GROUPED_DOT}') then try_cast(replace(replace({bare}, '.', ''), ',', "
                    f"'.') as {target}) end")
        return (f"case when not contains({bare}, ',') or regexp_full_match({bare}, "
                f"'{_GROUPED_COMMA}') then try_cast(replace({bare}, ',', '') as {target}) end")
    if col.type == "date":
        if spec.get("date_format"):
            return f"cast(try_strptime({s}, {_list(date_formats)}) as date)"
        return (f"coalesce(cast(try_strptime({s}, {_list(DATE_FORMATS)}) as date), "
                f"cast(try_cast({s} as timestamp) as date))")
    if col.type == "timestamp":
        if spec.get("date_format") or spec.get("timestamp_format"):
            return f"try_strptime({s}, {_list(timestamp_formats)})"
        return (f"coalesce(try_strptime({s}, {_list(TIMESTAMP_FORMATS)}), "
                f"try_cast({s} as timestamp))")
    if col.type == "time":
        return f"strftime(try_strptime({s}, {_list(TIME_FORMATS)}), '%H:%M')"
    if col.type == "month":
        return (f"cast(date_trunc('month', coalesce(try_strptime({s}, {_list(MONTH_FORMATS)}), "
                f"try_strptime({s}, {_list(date_formats)}), try_cast({s} as timestamp))) as date)")
    if col.type == "boolean":
        trues = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        falses = ", ".join(f"'{w}'" for w in FALSE_WORDS)
        return (f"case when lower({s}) in ({trues}) then true "
                f"when lower({s}) in ({falses}) then false end")
    raise AssertionError(col.type)


def _check_types(con: duckdb.DuckDBPyConnection, name: str, header_map: dict[str, str],
                 exprs: dict[str, str], contract: Entity, spec: dict | None = None,
                 origins: dict[str, str] | None = None) -> None:
    """Refuse the file if any non-empty value does not parse; name the first bad rows, and
    what a mapping file should say when they look like another date format or a decimal
    comma. ``origins``: where each contract column came from, when a mapping renamed them."""
    checked = [c for c in contract.columns if c.name in exprs and c.type != "text"]
    if not checked:
        return
    counts = ", ".join(
        f"count(*) filter (where {_nonempty(_q(header_map[c.name]))} and ({exprs[c.name]}) is null)"
        for c in checked
    )
    bad_counts = con.execute(f"select {counts} from src").fetchall()[0]
    problems = []
    for col, n_bad in zip(checked, bad_counts):
        if not n_bad:
            continue
        source_col = header_map[col.name]
        rows = con.execute(
            f"select _source_row, cast({_q(source_col)} as varchar) from src "
            f"where {_nonempty(_q(source_col))} and ({exprs[col.name]}) is null "
            f"order by _source_row limit {MAX_BAD_ROWS_SHOWN}"
        ).fetchall()
        shown = ", ".join(f"row {r} {v!r}" for r, v in rows)
        origin = (origins or {}).get(col.name, f"column {source_col!r}")
        label = col.name if origin == f"column {col.name!r}" else f"{col.name} ({origin})"
        problems.append(f"column {label}: {n_bad:,} value(s) are not {EXPECTED[col.type]}: "
                        f"{shown}" + _format_hint(col, [v for _, v in rows], spec or {}))
    if problems:
        raise UserError(f"{name}: refused as {contract.name}: " + "; ".join(problems)
                        + ". " + NOTHING_LOADED)


_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})\b")


def _format_hint(col: Column, values: list[str], spec: dict) -> str:
    """What to write in a mapping file when bad values look like another date format or a
    decimal comma; '' when they look like neither."""
    mapping_note = " and load with --mapping (on the Data page: Mapping)"
    if col.type in ("date", "timestamp", "month"):
        if spec.get("date_format") or spec.get("timestamp_format"):
            used = spec.get("timestamp_format") if col.type == "timestamp" and \
                spec.get("timestamp_format") else spec.get("date_format")
            return f" (read with the mapping's format \"{used}\")"
        parts = [m.groups() for v in values if (m := _DAY_MONTH_YEAR.match(str(v)))]
        if not parts:
            return ""
        sep, year = parts[0][1], "%Y" if len(parts[0][3]) == 4 else "%y"
        if any(int(a) > 12 for a, _, _, _ in parts):
            what, fmt = "day/month/year", f"%d{sep}%m{sep}{year}"
        elif any(int(b) > 12 for _, _, b, _ in parts):
            what, fmt = "US dates (month/day/year)", f"%m{sep}%d{sep}{year}"
        else:
            what, fmt = "month/day/year or day/month/year", f"%m{sep}%d{sep}{year}"
        key = "timestamp_format" if col.type == "timestamp" else "date_format"
        if col.type == "timestamp":
            fmt += " %H:%M"
        return (f" (these look like {what}: name the format in a mapping file, "
                f"{key} = \"{fmt}\",{mapping_note})")
    if col.type in ("integer", "decimal", "double"):
        if spec.get("decimal_comma"):
            return " (read with the mapping's decimal_comma = true)"
        if any(re.search(r"\d,\d", str(v)) for v in values):
            return (f" (these look like numbers with a decimal comma: set decimal_comma = true "
                    f"in a mapping file{mapping_note})")
    return ""


def _nonempty(src: str) -> str:
    return f"({src} is not null and trim(cast({src} as varchar)) <> '')"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
