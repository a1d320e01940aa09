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


# A build's DuckDB memory limit when SALESDESK_BUILD_MEMORY is not set: a quarter of the
# machine's memory (or of the container's limit), at most 2 GB. A build needs no more at any
# history length: DuckDB spills the rest, and an incremental build recomputes a few months.
BUILD_MEMORY_DEFAULT = "25%"
BUILD_MEMORY_DEFAULT_CAP = 2 * 1024 ** 3


def total_memory_bytes() -> int:
    """The memory this process may use: the machine's RAM, or the cgroup's limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def build_memory_bytes() -> int:
    """DuckDB's ``memory_limit`` in a build, in bytes (``SALESDESK_BUILD_MEMORY``; by default
    a quarter of the memory, at most 2 GB).

    A share of the memory (``50%``) or an amount (``4GB``, ``512MB``, ``8GiB``). Beyond it DuckDB
    spills to ``build_spill_dir``; at least 256 MB. A value that is neither raises UserError.
    """
    from models.core.errors import UserError

    given = (os.environ.get("SALESDESK_BUILD_MEMORY") or "").strip()
    raw = given or BUILD_MEMORY_DEFAULT
    text = raw.upper().replace(" ", "").removesuffix("B").removesuffix("I")
    units = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
            if not 0 < share <= 1:
                raise ValueError(raw)
            value = int(total_memory_bytes() * share)
        elif text and text[-1] in units:
            value = int(float(text[:-1]) * units[text[-1]])
        else:
            value = int(float(text) * units["M"])  # a bare number: megabytes
    except ValueError:
        raise UserError(f"SALESDESK_BUILD_MEMORY={raw!r} is not a memory size: give a share of "
                        f"the memory such as 50% or an amount such as 4GB or 512MB.") from None
    if value <= 0:
        raise UserError(f"SALESDESK_BUILD_MEMORY={raw!r} must be more than zero.")
    if not given:
        value = min(value, BUILD_MEMORY_DEFAULT_CAP)
    return max(value, 256 * 1024 ** 2)


def build_duckdb_config(base: Path | None = None) -> dict:
    """DuckDB settings for the build's own connections outside dbt (the incremental plan, the
    SQL page's copy of the marts): the build's memory limit, threads and spill folder."""
    return {"memory_limit": f"{build_memory_bytes()}B", "threads": build_threads(),
            "temp_directory": str(build_spill_dir(base))}


def build_spill_dir(base: Path | None = None) -> Path:
    """Where a build's DuckDB spills what does not fit its memory limit; emptied after a build."""
    return warehouse_dir(base) / "spill"


def build_threads() -> int:
    """DuckDB's threads in a build (``SALESDESK_BUILD_THREADS``, default: the machine's cores).

    The marts do not depend on it: every build of one lake gives the same marts to the bit
    (``bench/reproducible.py`` builds with different counts and compares).
    """
    return int(_env_number("SALESDESK_BUILD_THREADS", os.cpu_count() or 1))
