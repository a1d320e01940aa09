"""Compare two warehouse builds table by table, exactly: are the marts reproducible?

The same lake must give the same marts to the bit, whatever the engine's thread count, or an
incremental build could not be checked against a full one. ``compare_builds`` attaches two build
files read-only and, for every table of either, counts the rows of each that the other lacks
(``EXCEPT ALL`` both ways: duplicates count, floating-point values compare exactly); for a table
that differs it names the columns whose values differ (the same comparison on that column alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from models.core import settings


@dataclass
class TableDiff:
    table: str  # schema.table
    only_in_first: int = 0  # rows of the first build the second lacks
    only_in_second: int = 0
    columns: list[str] = field(default_factory=list)  # columns whose values differ
    missing_in: str = ""  # "first" or "second" when the table is in one build only

    @property
    def is_mart(self) -> bool:
        return self.table.split(".", 1)[0] == settings.MARTS_SCHEMA

    def __str__(self) -> str:
        if self.missing_in:
            return f"{self.table}: missing in the {self.missing_in} build"
        return (f"{self.table}: {self.only_in_first:,} row(s) only in the first build, "
                f"{self.only_in_second:,} only in the second; columns that differ: "
                f"{', '.join(self.columns) or '(none alone: the rows pair up differently)'}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    """schema.table -> its columns, of every base table of an attached database."""
    rows = con.execute(
        "select c.schema_name, c.table_name, c.column_name from duckdb_columns() as c "
        "join duckdb_tables() as t on c.database_name = t.database_name "
        "and c.schema_name = t.schema_name and c.table_name = t.table_name "
        "where c.database_name = $db "
        "order by c.schema_name, c.table_name, c.column_index", {"db": database}).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        tables.setdefault(f"{schema}.{table}", []).append(column)
    return tables


def _except_count(con: duckdb.DuckDBPyConnection, columns: str, left: str, right: str) -> int:
    return con.execute(f"select count(*) from (select {columns} from {left} "
                       f"except all select {columns} from {right})").fetchone()[0]


def compare_builds(first: Path, second: Path) -> tuple[int, list[TableDiff]]:
    """(tables compared, the tables that differ) between two build files, exactly."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{first}' as b1 (read_only)")
        con.execute(f"attach '{second}' as b2 (read_only)")
        t1, t2 = _tables(con, "b1"), _tables(con, "b2")
        diffs = [TableDiff(t, missing_in="second") for t in sorted(set(t1) - set(t2))]
        diffs += [TableDiff(t, missing_in="first") for t in sorted(set(t2) - set(t1))]
        common = sorted(set(t1) & set(t2))
        for name in common:
            schema, table = name.split(".", 1)
            left = f"b1.{_quote(schema)}.{_quote(table)}"
            right = f"b2.{_quote(schema)}.{_quote(table)}"
            columns = [c for c in t1[name] if c in t2[name]]
            select = ", ".join(_quote(c) for c in columns)
            only1 = _except_count(con, select, left, right)
            only2 = _except_count(con, select, right, left)
            if not only1 and not only2 and t1[name] == t2[name]:
                continue
            differing = [c for c in columns
                         if _except_count(con, _quote(c), left, right)
                         or _except_count(con, _quote(c), right, left)]
            differing += [c for c in t1[name] + t2[name] if c not in columns]
            diffs.append(TableDiff(name, only1, only2, differing))
        return len(common), diffs
    finally:
        con.close()
