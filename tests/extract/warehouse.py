"""Read what a sync loaded, from the real DuckDB file or PostgreSQL, to compare with the truth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import psycopg2


class Warehouse:
    """One seller's rows of a dataset in DuckDB (file) or PostgreSQL (DSN).

    In queries, `{s}.<table>` reads the table's rows of `seller_id` only (all rows when
    no seller is given, as for the audit dataset): sellers share the raw dataset.
    """

    def __init__(
        self,
        schema: str,
        duckdb_path: Path | None = None,
        pg_dsn: str | None = None,
        seller_id: str | None = None,
    ) -> None:
        self.schema = schema
        self.duckdb_path = duckdb_path
        self.pg_dsn = pg_dsn
        self.seller_id = seller_id

    def _scoped(self, sql: str) -> str:
        if self.seller_id is None:
            return sql.replace("{s}", f'"{self.schema}"')

        def seller_rows(match: re.Match[str]) -> str:
            table, alias = match.group(1), match.group(2) or match.group(1)
            return (
                f'(select * from "{self.schema}"."{table}"'
                f" where seller_id = '{self.seller_id}') as {alias}"
            )

        return re.sub(r"\{s\}\.(\w+)(?: as (\w+))?", seller_rows, sql)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.duckdb_path is not None:
            connection = duckdb.connect(str(self.duckdb_path), read_only=True)
            try:
                yield connection
            finally:
                connection.close()
        else:
            with psycopg2.connect(self.pg_dsn) as pg, pg.cursor() as cursor:
                yield cursor

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self._cursor() as cursor:
            cursor.execute(self._scoped(sql))
            return list(cursor.fetchall())

    def scalar(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def sum(self, table: str, expression: str) -> Any:
        """`sum(expression)` over a table, 0 when the table does not exist (no rows yet)."""
        if table not in self.tables():
            return 0
        return self.scalar(f"select coalesce(sum({expression}), 0) from {{s}}.{table}")

    def count(self, table: str, where: str = "true") -> int:
        """Rows of a table; dlt creates a table with its first row, so a missing one has none."""
        if table not in self.tables():
            return 0
        return int(self.scalar(f"select count(*) from {{s}}.{table} where {where}"))

    def tables(self) -> set[str]:
        rows = self.rows(
            f"select table_name from information_schema.tables where table_schema = '{self.schema}'"
        )
        return {r[0] for r in rows}

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every data table's rows without dlt's load bookkeeping, sorted: equal means same data."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in sorted(self.tables()):
            if table.startswith("_dlt"):
                continue
            columns = [
                r[0]
                for r in self.rows(
                    "select column_name from information_schema.columns where table_schema = "
                    f"'{self.schema}' and table_name = '{table}' order by column_name"
                )
                if not r[0].startswith("_dlt") and r[0] != "source_report"
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = sorted(
                self.rows(f"select {select} from {{s}}.{table}"),
                key=lambda row: tuple(str(v) for v in row),
            )
        return out


def assert_same_tables(
    actual: dict[str, list[tuple[Any, ...]]], expected: dict[str, list[tuple[Any, ...]]]
) -> None:
    """Equal snapshots; otherwise name each differing table and only the rows that differ."""
    from collections import Counter

    differences = {}
    for table in sorted(set(actual) | set(expected)):
        got, want = Counter(actual.get(table, [])), Counter(expected.get(table, []))
        if got != want:
            differences[table] = {
                "missing": sorted((want - got).elements(), key=str)[:10],
                "extra": sorted((got - want).elements(), key=str)[:10],
                "rows": (sum(got.values()), sum(want.values())),
            }
    assert not differences, differences
