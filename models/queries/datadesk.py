"""What the Data page shows: loads, builds, rejected rows. Plain functions, no streamlit."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from models.core.warehouse import Warehouse
from models.pipeline import build, ingest
from models.pipeline.contracts import REJECTION_RULES

REJECTED_ROWS_MART = "rpt_rejected_rows"
DEFAULT_DOCS_URL = "http://localhost:8081"


def docs_url() -> str:
    """Where `make docs` serves the dbt docs; SALESDESK_DOCS_URL when served elsewhere."""
    return os.environ.get("SALESDESK_DOCS_URL", DEFAULT_DOCS_URL)


def loads_frame(base: Path | None = None) -> pl.DataFrame:
    """The load log, newest first, with columns a person reads."""
    records = ingest.loads(base)
    if not records:
        return pl.DataFrame(schema={"loaded_at": pl.String, "entity": pl.String,
                                    "source_name": pl.String, "rows": pl.Int64,
                                    "file_format": pl.String, "encoding": pl.String,
                                    "load_id": pl.String})
    frame = pl.DataFrame(
        [{k: r.get(k) for k in ("loaded_at", "entity", "source_name", "rows", "file_format",
                                "encoding", "load_id")} for r in records],
        schema_overrides={"rows": pl.Int64},
    )
    return frame.with_columns(pl.col("loaded_at").str.slice(0, 19)).reverse()


def builds_frame(base: Path | None = None) -> pl.DataFrame:
    """The build history, newest first."""
    records = build.history(base)
    current = build.current_build_id(base)
    rows = [
        {
            "build_id": r.get("build_id"),
            "is_current": r.get("build_id") == current,
            "status": r.get("status"),
            "started_at": (r.get("started_at") or "")[:19].replace("T", " "),
            "finished_at": (r.get("finished_at") or "")[:19].replace("T", " "),
            "as_of_date": r.get("as_of_date") or "",
            "seconds": float(r.get("seconds") or 0),
            "mode": r.get("mode") or "",
            "months_recomputed": (len(r.get("changed_months") or [])
                                  if r.get("mode") == "incremental" else None),
            "tables": len(r.get("row_counts") or {}),
            "rows_in_tables": sum((r.get("row_counts") or {}).values()),
            "failed": "; ".join(r.get("failures") or []),
            "warnings": "; ".join(_short_warning(w) for w in r.get("warnings") or []),
        }
        for r in records
    ]
    schema = {"build_id": pl.String, "is_current": pl.Boolean, "status": pl.String,
              "started_at": pl.String, "finished_at": pl.String, "as_of_date": pl.String,
              "seconds": pl.Float64, "mode": pl.String, "months_recomputed": pl.Int64,
              "tables": pl.Int64, "rows_in_tables": pl.Int64, "failed": pl.String,
              "warnings": pl.String}
    return pl.DataFrame(rows, schema=schema).reverse()


def current_build_record(base: Path | None = None) -> dict | None:
    """The build record (builds.jsonl) of the current warehouse, or None before the first."""
    current = build.current_build_id(base)
    return next((r for r in reversed(build.history(base)) if r.get("build_id") == current), None)


def health_frame(record: dict | None) -> pl.DataFrame:
    """A build's rows per entity: loaded, staged, rejected (superseded rows apart), the
    rejected share and the top rules; entities with no rows loaded are left out."""
    rows = [
        {"entity": entity, "loaded": h.get("loaded", 0), "staged": h.get("staged", 0),
         "rejected": h.get("rejected", 0),
         "rejected_share": (h.get("rejected", 0) / (h["loaded"] - h.get("superseded", 0))
                            if h.get("loaded", 0) - h.get("superseded", 0) else 0.0),
         "top_rules": ", ".join(f"{rule} ({n:,})" for rule, n in h.get("top_rules") or [])}
        for entity, h in ((record or {}).get("data_health") or {}).items() if h.get("loaded")
    ]
    schema = {"entity": pl.String, "loaded": pl.Int64, "staged": pl.Int64, "rejected": pl.Int64,
              "rejected_share": pl.Float64, "top_rules": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _short_warning(warning: str) -> str:
    """'test.salesdesk.relationships_x.1a2b' -> 'relationships_x'; other text as it is."""
    if warning.startswith(("test.", "unit_test.")):
        parts = warning.split(".")
        return parts[2] if len(parts) > 2 else warning
    return warning


def rejected_by_rule(wh: Warehouse) -> pl.DataFrame:
    """Rejected rows counted by entity and rule, with the rule's meaning."""
    frame = wh.query(
        f"select entity, rule, count(*) as rejected_rows from {REJECTED_ROWS_MART} "
        "group by entity, rule order by entity, rule"
    )
    meanings = pl.DataFrame({"rule": list(REJECTION_RULES),
                             "meaning": list(REJECTION_RULES.values())})
    return frame.join(meanings, on="rule", how="left")


def rejected_rows(wh: Warehouse, entity: str | None = None, rule: str | None = None,
                  limit: int | None = None) -> pl.DataFrame:
    """The rejected rows themselves, optionally for one entity and rule."""
    sql = (f"select entity, rule, row_key, source_row, load_id, loaded_at, raw_values "
           f"from {REJECTED_ROWS_MART} where ($1 is null or entity = $1) "
           f"and ($2 is null or rule = $2) order by entity, rule, loaded_at, source_row")
    params: list = [entity, rule]
    if limit is not None:
        sql += " limit $3"
        params.append(int(limit))
    return wh.query(sql, params)
