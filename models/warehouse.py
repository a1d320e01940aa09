"""Read access to the warehouse: the one module that opens it.

- Read-only connections, never to a file dbt is writing (builds write new files, see
  ``models.build``).
- ``current.duckdb`` is a symlink; before each query the module checks where it points, and when
  a new build has been swapped in, the next query opens the new file. A query never mixes builds:
  it runs on one connection to one file.
- One cursor per thread (a DuckDB connection serialises its queries; cursors run side by side).
- Bound parameters only; results as polars DataFrames.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from models import settings
from models.errors import UserError

# The app only reads tables of the warehouse; it has no business with files or extensions.
READ_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class NoWarehouse(UserError):
    """There is no successful build yet."""


class Warehouse:
    """Read-only access to the current build; follows swaps."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = base
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._file: str | None = None
        self._generation = 0
        self._local = threading.local()

    # -- which file -------------------------------------------------------------------------

    def current_file(self) -> Path | None:
        """The build file ``current.duckdb`` points at now, or None before the first build."""
        link = settings.current_link(self.base)
        try:
            target = os.readlink(link)
        except (FileNotFoundError, OSError):
            return link if link.is_file() else None
        return (link.parent / target).resolve()

    @property
    def build_id(self) -> str | None:
        """The build the next query will read (a cache key for pages)."""
        path = self.current_file()
        return path.name.removesuffix(".duckdb") if path else None

    # -- connections -----------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        path = self.current_file()
        if path is None or not path.exists():
            raise NoWarehouse(
                "There is no warehouse yet: load data and build it (salesdesk build, or the "
                "Data page)."
            )
        with self._lock:
            if str(path) != self._file:
                # A new build was swapped in: open it. The old connection is dropped, not
                # closed, so queries running on it in other threads finish on the old build.
                self._con = duckdb.connect(str(path), read_only=True, config=dict(READ_CONFIG))
                self._file = str(path)
                self._generation += 1
            generation, con = self._generation, self._con
        local = self._local
        if getattr(local, "generation", None) != generation:
            assert con is not None
            local.cursor = con.cursor()
            local.generation = generation
        return local.cursor

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run one read query with bound parameters; the result as a polars DataFrame."""
        return self._cursor().sql(sql, params=params or None).pl()

    def scalar(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
        rows = self._cursor().execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def tables(self) -> list[str]:
        """Tables of the warehouse (schema-qualified when not in main)."""
        frame = self.query(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() order by 1, 2"
        )
        return [t if s == "main" else f"{s}.{t}" for s, t in frame.iter_rows()]

    def has_table(self, name: str) -> bool:
        return name in self.tables()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._file = None, None
            self._generation += 1


_instances: dict[str, Warehouse] = {}
_instances_lock = threading.Lock()


def get_warehouse(base: Path | None = None) -> Warehouse:
    """The process-wide Warehouse for a data folder (one connection per file per process)."""
    key = str((base or settings.home()).resolve())
    with _instances_lock:
        if key not in _instances:
            _instances[key] = Warehouse(Path(key))
        return _instances[key]
