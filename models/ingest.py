"""Ingest: check a raw file against its contract and add it to the lake.

A file is accepted whole or refused whole. Refused: a missing required column, an unreadable
encoding, a value that does not parse as its column's type, no data rows, or an entity that cannot
be told. The message names the file, the column and the first offending rows, and nothing of the
file reaches the lake. Accepted: the file becomes one immutable Parquet file
``lake/<entity>/<content hash>.parquet`` with the contract columns typed plus the load columns
(see ``models.contracts``), and a line in ``lake/_load_log.jsonl``. The same bytes loaded again add
nothing. Row-level faults (negative prices, unknown customers, ...) are not judged here: the dbt
staging layer routes those rows to the rejected rows, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from models import jsonlog, settings
from models.contracts import COLUMN_ALIASES, ENTITIES, Column, Entity, entity_for_file
from models.errors import UserError

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
# Tried in this order when a CSV has no byte-order mark. GB18030 is a superset of GBK and GB2312.
CSV_ENCODINGS = ("utf-8", "gb18030")
MAX_BAD_ROWS_SHOWN = 5

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

    def __str__(self) -> str:
        rows = f"{self.rows:,} row" + ("" if self.rows == 1 else "s")
        text = f"{self.source_name}: {self.status} as {self.entity}, {rows} ({self.load_id})"
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return text


def load_log_path(base: Path | None = None) -> Path:
    return settings.lake_dir(base) / "_load_log.jsonl"


def loads(base: Path | None = None) -> list[dict]:
    """The load log, oldest first."""
    return jsonlog.read(load_log_path(base))


def normalise_header(name: str) -> str:
    """' Customer ID ' -> 'customer_id'; then the alias map of the contracts."""
    key = re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip().lower())
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
            raise UserError(f"{p}: no such file or folder.")
    return files


def ingest_paths(paths: list[Path], entity: str | None = None, base: Path | None = None,
                 ) -> list[LoadResult]:
    """Ingest several files; stops at the first refused one (earlier ones stay loaded)."""
    return [ingest_file(f, entity=entity, base=base) for f in expand_paths(paths)]


def ingest_file(path: Path, entity: str | None = None, base: Path | None = None,
                source_name: str | None = None) -> LoadResult:
    """Check one file against its contract and add it to the lake (see module docstring)."""
    path = Path(path)
    name = source_name or path.name
    if not path.is_file():
        raise UserError(f"{name}: no such file.")
    entity_name = entity or entity_for_file(name)
    if entity_name is None:
        raise UserError(
            f"{name}: refused: cannot tell which entity this file holds from its name. Name it "
            f"after the entity (customers, reps, products, sales, visits, quotas, assessments), "
            f"e.g. 'sales_2026-10.csv', or pass --entity."
        )
    if entity_name not in ENTITIES:
        raise UserError(f"{name}: unknown entity {entity_name!r}; one of {', '.join(ENTITIES)}.")
    contract = ENTITIES[entity_name]
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise UserError(f"{name}: refused: unsupported file type {path.suffix!r}; "
                        f"use CSV, XLSX or Parquet.")
    if path.stat().st_size == 0:
        raise UserError(f"{name}: refused: the file is empty. Nothing was loaded.")

    load_id = _content_hash(path)
    lake = settings.lake_dir(base) / entity_name
    target = lake / f"{load_id}.parquet"
    if target.exists():
        previous = next((r for r in reversed(loads(base)) if r.get("load_id") == load_id
                         and r.get("entity") == entity_name), {})
        return LoadResult(entity=entity_name, source_name=name, rows=int(previous.get("rows", 0)),
                          load_id=load_id, lake_file=str(target),
                          loaded_at=str(previous.get("loaded_at", "")), status="already loaded",
                          file_format=file_format)

    con = duckdb.connect()
    try:
        encoding = _register_source(con, path, name, file_format)
        header_map, ignored = _map_headers(con, name, contract)
        types = dict(con.execute("select column_name, column_type from (describe src)").fetchall())
        n_rows = con.execute("select count(*) from src").fetchall()[0][0]
        if n_rows == 0:
            raise UserError(f"{name}: refused: the file has a header but no data rows. "
                            f"Nothing was loaded.")
        exprs = {}
        for col in contract.columns:
            if col.name in header_map:
                source_col = header_map[col.name]
                exprs[col.name] = _parse_expr(_q(source_col), types[source_col], col)
        _check_types(con, name, header_map, exprs, contract)

        loaded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        select_list = [
            f"cast({exprs[c.name]} as {c.duckdb_type}) as {c.name}" if c.name in exprs
            else f"cast(null as {c.duckdb_type}) as {c.name}"
            for c in contract.columns
        ]
        select_list += [
            f"'{load_id}' as _load_id",
            "cast(_source_row as bigint) as _source_row",
            f"timestamp '{loaded_at.isoformat(sep=' ')}' as _loaded_at",
        ]
        lake.mkdir(parents=True, exist_ok=True)
        tmp = lake / f"{load_id}.parquet.tmp"
        con.execute(
            f"copy (select {', '.join(select_list)} from src) "
            f"to '{_sql_path(tmp)}' (format parquet, compression zstd)"
        )
        os.replace(tmp, target)
    finally:
        con.close()

    result = LoadResult(
        entity=entity_name, source_name=name, rows=int(n_rows), load_id=load_id,
        lake_file=str(target), loaded_at=loaded_at.isoformat(sep=" "), status="loaded",
        file_format=file_format, encoding=encoding, ignored_columns=ignored,
        missing_optional_columns=[c.name for c in contract.columns if c.name not in header_map],
    )
    jsonlog.append(load_log_path(base), asdict(result))
    return result


# --- reading -------------------------------------------------------------------------------


def _content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:24]


def _register_source(con: duckdb.DuckDBPyConnection, path: Path, name: str, file_format: str,
                     ) -> str:
    """Make the file available as view ``src`` with a ``_source_row`` column; return encoding."""
    if file_format == "parquet":
        try:
            con.execute(
                f"create view src as select * exclude (file_row_number), "
                f"file_row_number + 1 as _source_row "
                f"from read_parquet('{_sql_path(path)}', file_row_number = true)"
            )
            con.execute("select * from src limit 0")
        except duckdb.Error as e:
            raise UserError(f"{name}: refused: not a readable Parquet file ({_first_line(e)}).")
        return "parquet"
    if file_format == "xlsx":
        try:
            frame = pl.read_excel(path, infer_schema_length=0)
        except Exception as e:  # fastexcel raises its own types
            raise UserError(f"{name}: refused: not a readable XLSX workbook ({_first_line(e)}).")
        encoding = "xlsx"
        first_data_row = 2
    else:
        data = path.read_bytes()
        text, encoding = _decode(data, name)
        try:
            frame = pl.read_csv(text.encode("utf-8"), infer_schema=False, truncate_ragged_lines=False)
        except Exception as e:
            raise UserError(f"{name}: refused: not a readable CSV file ({_first_line(e)}).")
        first_data_row = 2
    frame = frame.with_row_index("_source_row", offset=first_data_row)
    con.register("src_frame", frame.to_arrow())
    con.execute("create view src as select * from src_frame")
    return encoding


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UserError(
        f"{name}: refused: the text is neither UTF-8 nor GB18030/GBK. Save it from Excel as "
        f"'CSV UTF-8' and load it again. Nothing was loaded."
    )


def _map_headers(con: duckdb.DuckDBPyConnection, name: str, contract: Entity,
                 ) -> tuple[dict[str, str], list[str]]:
    """Contract column -> source column; and the source columns that are not in the contract."""
    source_cols = [r[0] for r in con.execute("select column_name from (describe src)").fetchall()
                   if r[0] != "_source_row"]
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
    missing = [c for c in contract.required if c not in mapping]
    if missing:
        hint = _entity_hint(source_cols, contract.name)
        raise UserError(
            f"{name}: refused as {contract.name}: missing required column(s) "
            f"{', '.join(missing)}. Found columns: {', '.join(source_cols)}.{hint} "
            f"Nothing was loaded."
        )
    return mapping, ignored


def _entity_hint(source_cols: list[str], tried: str) -> str:
    present = {normalise_header(c) for c in source_cols}
    for entity in ENTITIES.values():
        if entity.name != tried and set(entity.required) <= present:
            return f" The columns look like a {entity.name} file: is it the right file, or " \
                   f"should it be loaded with --entity {entity.name}?"
    return ""


# --- parsing -------------------------------------------------------------------------------


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _list(formats: list[str]) -> str:
    return "[" + ", ".join(f"'{f}'" for f in formats) + "]"


def _parse_expr(src: str, source_type: str, col: Column) -> str:
    """A DuckDB expression turning the source column into the contract type (null if it can't)."""
    target = col.duckdb_type
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
        cleaned = f"replace(replace(replace({s}, ',', ''), '¥', ''), '￥', '')"
        return f"try_cast({cleaned} as {target})"
    if col.type == "date":
        return (f"coalesce(cast(try_strptime({s}, {_list(DATE_FORMATS)}) as date), "
                f"cast(try_cast({s} as timestamp) as date))")
    if col.type == "timestamp":
        return (f"coalesce(try_strptime({s}, {_list(TIMESTAMP_FORMATS)}), "
                f"try_cast({s} as timestamp))")
    if col.type == "time":
        return f"strftime(try_strptime({s}, {_list(TIME_FORMATS)}), '%H:%M')"
    if col.type == "month":
        return (f"cast(date_trunc('month', coalesce(try_strptime({s}, {_list(MONTH_FORMATS)}), "
                f"try_strptime({s}, {_list(DATE_FORMATS)}), try_cast({s} as timestamp))) as date)")
    if col.type == "boolean":
        trues = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        falses = ", ".join(f"'{w}'" for w in FALSE_WORDS)
        return (f"case when lower({s}) in ({trues}) then true "
                f"when lower({s}) in ({falses}) then false end")
    raise AssertionError(col.type)


def _check_types(con: duckdb.DuckDBPyConnection, name: str, header_map: dict[str, str],
                 exprs: dict[str, str], contract: Entity) -> None:
    """Refuse the file if any non-empty value does not parse; name the first bad rows."""
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
        label = col.name if source_col == col.name else f"{col.name} (column {source_col!r})"
        problems.append(f"column {label}: {n_bad:,} value(s) are not {EXPECTED[col.type]}: {shown}")
    if problems:
        raise UserError(f"{name}: refused as {contract.name}: " + "; ".join(problems)
                        + ". Nothing was loaded.")


def _nonempty(src: str) -> str:
    return f"({src} is not null and trim(cast({src} as varchar)) <> '')"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
