"""Read access to the warehouse: the one module that opens it.

- Read-only connections, never to a file dbt is writing (builds write new files, see
  ``models.pipeline.build``).
- ``current.duckdb`` is a symlink; before each query the module checks where it points, and when
  a new build has been swapped in, the next query opens the new file. A query never mixes builds:
  it runs on one connection to one file. ``Warehouse.pin()`` fixes the build for several queries
  (a page run), so a page never shows figures of two builds.
- One cursor per thread (a DuckDB connection serialises its queries; cursors run side by side).
- Bound parameters only; results as polars DataFrames.
- Unqualified names resolve in the schema of the marts (``settings.MARTS_SCHEMA``): the app
  reads marts only.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from models.core import settings
from models.core.errors import UserError

# The app only reads tables of the warehouse; it has no business with files or extensions.
READ_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class NoWarehouse(UserError):
    """There is no successful build yet."""


class OldWarehouse(NoWarehouse):
    """The current build has no schema of marts (built before the layers had their schemas):
    for the pages, as good as no build, until the next one."""


# Connections kept open per process: the current build and the one before it, so a page run
# that pinned the previous build (see Warehouse.pin) finishes on it after a swap.
KEEP_OPEN = 2


class Warehouse:
    """Read-only access to the current build; follows swaps."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = base
        self._lock = threading.Lock()
        self._cons: dict[str, duckdb.DuckDBPyConnection] = {}  # file -> connection, oldest first
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

    def pin(self) -> Snapshot:
        """The current build, fixed: queries through the snapshot read this build even after a
        new one is swapped in. A page run pins once, so all its figures come from one build."""
        path = self._existing(self.current_file())
        self._cursor(path)  # open it now, while the file is certainly there (and check it)
        return Snapshot(self, path)

    # -- connections -----------------------------------------------------------------------

    @staticmethod
    def _existing(path: Path | None) -> Path:
        if path is None or not path.exists():
            raise NoWarehouse(
                "There is no warehouse yet: load data and build it (salesdesk build, or the "
                "Data page)."
            )
        return path

    def _connection(self, path: Path) -> duckdb.DuckDBPyConnection:
        key = str(path)
        with self._lock:
            con = self._cons.get(key)
            if con is None:
                con = duckdb.connect(key, read_only=True, config=dict(READ_CONFIG))
                self._cons[key] = con
                # Older connections are dropped, not closed: queries running on them in other
                # threads finish on their build, and the file closes with its last cursor.
                while len(self._cons) > KEEP_OPEN:
                    self._cons.pop(next(iter(self._cons)))
            return con

    def _cursor(self, path: Path | None = None) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on ``path`` (default: the current build)."""
        path = path or self.current_file()
        if path is None or str(path) not in self._cons:  # an open file may be deleted already
            path = self._existing(path)
        con = self._connection(path)
        cursors: dict[str, tuple] = getattr(self._local, "cursors", {})
        held = cursors.get(str(path))
        if held is None or held[0] is not con:
            cursor = con.cursor()
            try:
                cursor.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")
            except duckdb.CatalogException:
                cursor.close()
                raise OldWarehouse(
                    f"The warehouse {path.name} has no schema {settings.MARTS_SCHEMA}: it was "
                    "built by an older version of salesdesk. Build it again (salesdesk build, "
                    "or the Data page).") from None
            held = (con, cursor)
            # keep only cursors of connections still open, so dropped builds can close
            cursors = {k: v for k, v in cursors.items() if self._cons.get(k) is v[0]}
            cursors[str(path)] = held
            self._local.cursors = cursors
        return held[1]

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

    def marts(self) -> list[str]:
        """The tables of the marts' schema, unqualified (the names pages query)."""
        frame = self.query(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = $schema order by 1", {"schema": settings.MARTS_SCHEMA})
        return frame["table_name"].to_list()

    def close(self) -> None:
        with self._lock:
            for con in self._cons.values():
                con.close()
            self._cons = {}


class Snapshot(Warehouse):
    """One build of a Warehouse, fixed (see ``Warehouse.pin``); shares its connections."""

    def __init__(self, parent: Warehouse, path: Path) -> None:
        self.base = parent.base
        self._parent = parent
        self._path = path

    def current_file(self) -> Path:
        return self._path

    def pin(self) -> Snapshot:
        return self

    def _cursor(self, path: Path | None = None) -> duckdb.DuckDBPyConnection:
        return self._parent._cursor(self._path)

    def close(self) -> None:
        """Nothing to close: the connections belong to the parent Warehouse."""


_instances: dict[str, Warehouse] = {}
_instances_lock = threading.Lock()


def get_warehouse(base: Path | None = None) -> Warehouse:
    """The process-wide Warehouse for a data folder (one connection per file per process)."""
    key = str((base or settings.home()).resolve())
    with _instances_lock:
        if key not in _instances:
            _instances[key] = Warehouse(Path(key))
        return _instances[key]
