"""Where salesdesk keeps its files.

Everything lives under ``SALESDESK_HOME`` (default ``./data``):

- ``lake/<entity>/<hash>.parquet``: accepted loads, immutable, each with its load record in its
  footer; ``lake/_load_log.jsonl`` a copy of the records for people; ``tmp/`` locks and uploads;
- ``warehouse/<build id>.duckdb``: one file per build; ``warehouse/current.duckdb`` a symlink to
  the newest good build; ``warehouse/builds.jsonl`` the build history.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# The warehouse's schemas, one per dbt layer (dbt_project.yml's +schema). The app, the scopes and
# the SQL page read MARTS_SCHEMA only; the seeds stay in the target's schema (main on DuckDB).
STAGING_SCHEMA = "staging"
INTERMEDIATE_SCHEMA = "intermediate"
MARTS_SCHEMA = "marts"
LAYER_SCHEMAS = (STAGING_SCHEMA, INTERMEDIATE_SCHEMA, MARTS_SCHEMA)


def dbt_project_vars() -> dict:
    """The vars of dbt_project.yml with their defaults, as parsed (the one reader of them)."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def home() -> Path:
    """The data folder: ``$SALESDESK_HOME`` or ``./data``, as an absolute path."""
    return Path(os.environ.get("SALESDESK_HOME") or "data").resolve()


def lake_dir(base: Path | None = None) -> Path:
    return (base or home()) / "lake"


def warehouse_dir(base: Path | None = None) -> Path:
    return (base or home()) / "warehouse"


def current_link(base: Path | None = None) -> Path:
    return warehouse_dir(base) / "current.duckdb"


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment; the default when unset or not a positive number."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def ingest_limits() -> dict[str, int]:
    """What one ingested file may take (generous defaults; env vars to change them):

    - ``max_file_bytes``: the file's size (``SALESDESK_INGEST_MAX_FILE_MB``, 2048);
    - ``max_unpacked_bytes``: an XLSX workbook's zip entries inflated, or a Parquet file's
      uncompressed data (``SALESDESK_INGEST_MAX_UNPACKED_MB``, 1024);
    - ``max_line_bytes``: one line of a CSV file (``SALESDESK_INGEST_MAX_LINE_KB``, 1024);
    - ``max_columns``: columns of the file (``SALESDESK_INGEST_MAX_COLUMNS``, 1000);
    - ``memory_bytes``: the address space of the worker reading it
      (``SALESDESK_INGEST_MEMORY_MB``, 8192);
    - ``timeout_s``: wall-clock seconds of the worker (``SALESDESK_INGEST_TIMEOUT_S``, 1800).
    """
    mb = 1024 ** 2
    return {
        "max_file_bytes": int(_env_number("SALESDESK_INGEST_MAX_FILE_MB", 2048) * mb),
        "max_unpacked_bytes": int(_env_number("SALESDESK_INGEST_MAX_UNPACKED_MB", 1024) * mb),
        "max_line_bytes": int(_env_number("SALESDESK_INGEST_MAX_LINE_KB", 1024) * 1024),
        "max_columns": int(_env_number("SALESDESK_INGEST_MAX_COLUMNS", 1000)),
        "memory_bytes": int(_env_number("SALESDESK_INGEST_MEMORY_MB", 8192) * mb),
        "timeout_s": int(_env_number("SALESDESK_INGEST_TIMEOUT_S", 1800)),
    }
