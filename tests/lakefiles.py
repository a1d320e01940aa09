"""Write lake files for tests: typed Parquet as models/pipeline/ingest leaves them in the lake.

A lake file is ``<lake>/<entity>/<load_id>.parquet`` with every contract column of the entity
(typed as in models/pipeline/contracts.py; a column missing from the rows is all null) plus the load
columns ``_load_id``, ``_source_row`` and ``_loaded_at``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from models.pipeline.contracts import ENTITIES, Column


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type of a contract column in the lake."""
    return {
        "text": pa.string(),
        "integer": pa.int64(),
        "decimal": pa.decimal128(column.precision, column.scale),
        "double": pa.float64(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "boolean": pa.bool_(),
        "time": pa.string(),
        "month": pa.date32(),
    }[column.type]


def lake_schema(entity: str) -> pa.Schema:
    """Contract columns of ``entity`` then the three load columns."""
    fields = [pa.field(c.name, arrow_type(c)) for c in ENTITIES[entity].columns]
    fields += [
        pa.field("_load_id", pa.string()),
        pa.field("_source_row", pa.int64()),
        pa.field("_loaded_at", pa.timestamp("us")),
    ]
    return pa.schema(fields)


def _value(column: Column, value: Any) -> Any:
    """Coerce a friendly test value ("2026-01-31", 1.5, "08:30") to the column's Arrow type."""
    if value is None:
        return None
    if column.type == "decimal":
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-column.scale))
    if column.type in ("date", "month") and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if column.type == "timestamp" and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if column.type == "double":
        return float(value)
    return value


def write_lake_file(
    lake_dir: str | Path,
    entity: str,
    rows_or_table: Iterable[Mapping[str, Any]] | pa.Table,
    load_id: str | None = None,
    loaded_at: dt.datetime | str | None = None,
) -> Path:
    """Write one load of ``entity`` into the lake and return the file path.

    ``rows_or_table``: dicts keyed by contract column (missing keys are null), or an Arrow table
    with contract columns (cast to the lake types; missing columns are added as nulls).
    ``load_id`` defaults to a hash of the content; ``loaded_at`` (naive UTC) to now.
    ``_source_row`` is the 1-based row index.
    """
    contract = ENTITIES[entity]
    if isinstance(rows_or_table, pa.Table):
        table = rows_or_table
        arrays = []
        for c in contract.columns:
            if c.name in table.column_names:
                arrays.append(table.column(c.name).cast(arrow_type(c)))
            else:
                arrays.append(pa.nulls(table.num_rows, arrow_type(c)))
        n = table.num_rows
    else:
        rows = [dict(r) for r in rows_or_table]
        unknown = {k for r in rows for k in r} - set(contract.column_names)
        if unknown:
            raise KeyError(f"{entity}: not contract columns: {sorted(unknown)}")
        arrays = [
            pa.array([_value(c, r.get(c.name)) for r in rows], type=arrow_type(c))
            for c in contract.columns
        ]
        n = len(rows)
    content = pa.Table.from_arrays(arrays, names=list(contract.column_names))
    if load_id is None:
        sink = pa.BufferOutputStream()
        pq.write_table(content, sink)
        load_id = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:16]
    if loaded_at is None:
        loaded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    elif isinstance(loaded_at, str):
        loaded_at = dt.datetime.fromisoformat(loaded_at)
    table = content.append_column("_load_id", pa.array([load_id] * n, pa.string()))
    table = table.append_column("_source_row", pa.array(range(1, n + 1), pa.int64()))
    table = table.append_column(
        "_loaded_at", pa.array([loaded_at] * n, pa.timestamp("us"))
    )
    table = table.cast(lake_schema(entity))
    path = Path(lake_dir) / entity / f"{load_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path
