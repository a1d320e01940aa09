"""Where salesdesk keeps its files.

Everything lives under ``SALESDESK_HOME`` (default ``./data``):

- ``lake/<entity>/<hash>.parquet``: accepted loads, immutable; ``lake/_load_log.jsonl`` the log;
- ``warehouse/<build id>.duckdb``: one file per build; ``warehouse/current.duckdb`` a symlink to
  the newest good build; ``warehouse/builds.jsonl`` the build history.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def home() -> Path:
    """The data folder: ``$SALESDESK_HOME`` or ``./data``, as an absolute path."""
    return Path(os.environ.get("SALESDESK_HOME") or "data").resolve()


def lake_dir(base: Path | None = None) -> Path:
    return (base or home()) / "lake"


def warehouse_dir(base: Path | None = None) -> Path:
    return (base or home()) / "warehouse"


def current_link(base: Path | None = None) -> Path:
    return warehouse_dir(base) / "current.duckdb"
