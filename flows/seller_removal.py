"""Delete one seller from a warehouse: raw rows, dlt state, mart rows and its registry row.

Sellers share the raw dataset and the marts, and every row of those names its seller
(`seller_id`, copied into nested raw rows too), so removing one is a `delete ... where
seller_id = %s` on every table that has the column, in one transaction, plus its dlt
pipeline's working directory. What was deleted is appended to the audit table
`seller_removals`; the seller's sync history (`sync_runs`) stays, as history.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extract.layout import (
    SHARD_STAGING,
    audit_dataset,
    checked_schema_name,
    pipeline_name,
    raw_dataset,
    staging_dataset,
)

DUCKDB_MARTS_SCHEMA = "main"
PG_MARTS_SCHEMA_ENV = "CLARIO_PG_SCHEMA"


@dataclass
class Removal:
    """Rows deleted per `schema.table`, and whether the local dlt state was there."""

    seller_id: str
    user_id: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    local_state_removed: bool = False

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def by_schema(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for name, count in self.rows.items():
            schema = name.split(".", 1)[0]
            totals[schema] = totals.get(schema, 0) + count
        return totals


def marts_schema(destination: str, environ: dict[str, str]) -> str:
    """Where dbt builds the marts: DuckDB's `main`, or the profile's CLARIO_PG_SCHEMA."""
    if destination == "duckdb":
        return DUCKDB_MARTS_SCHEMA
    return checked_schema_name(environ.get(PG_MARTS_SCHEMA_ENV) or "clario", PG_MARTS_SCHEMA_ENV)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def _connection(destination: str, data_dir: Path, pg_dsn: str | None) -> Iterator[Any]:
    if destination == "duckdb":
        import duckdb

        database = data_dir / "clario.duckdb"
        if not database.exists():
            raise FileNotFoundError(f"no warehouse at {database}")
        connection = duckdb.connect(str(database))
    else:
        import psycopg2

        connection = psycopg2.connect(pg_dsn)
    try:
        yield connection
    finally:
        connection.close()


def _param(destination: str) -> str:
    return "?" if destination == "duckdb" else "%s"


def _has_table(cursor: Any, destination: str, schema: str, table: str) -> bool:
    p = _param(destination)
    cursor.execute(
        "select count(*) from information_schema.tables"
        f" where table_schema = {p} and table_name = {p}",
        [schema, table],
    )
    return bool(cursor.fetchone()[0])


def _delete(cursor: Any, destination: str, schema: str, table: str, column: str, value: str) -> int:
    """`delete ... where <column> = value`; how many rows it deleted."""
    cursor.execute(
        f"delete from {_quote(schema)}.{_quote(table)}"
        f" where {_quote(column)} = {_param(destination)}",
        [value],
    )
    # DuckDB answers a delete with one row holding the count; psycopg2 sets rowcount
    return int(cursor.fetchone()[0] if destination == "duckdb" else cursor.rowcount)


def registered_user(destination: str, data_dir: Path, pg_dsn: str | None, seller_id: str) -> Any:
    """The seller's user id if the warehouse holds the seller, else None."""
    with _connection(destination, data_dir, pg_dsn) as connection:
        cursor = connection if destination == "duckdb" else connection.cursor()
        if not _has_table(cursor, destination, audit_dataset(), "sellers"):
            return None
        cursor.execute(
            f"select user_id from {_quote(audit_dataset())}.sellers"
            f" where seller_id = {_param(destination)}",
            [seller_id],
        )
        found = cursor.fetchone()
        return found[0] if found else None


def remove_seller(
    destination: str,
    data_dir: Path,
    pg_dsn: str | None,
    seller_id: str,
    environ: dict[str, str],
) -> Removal:
    """Delete every row naming the seller (raw, dlt staging, marts, registry), in one
    transaction, then its dlt state; record what was deleted in `seller_removals`."""
    p = _param(destination)
    raw = raw_dataset()
    schemas = [raw, staging_dataset(), marts_schema(destination, environ)]
    removal = Removal(seller_id, registered_user(destination, data_dir, pg_dsn, seller_id))
    audit = _quote(audit_dataset())
    with _connection(destination, data_dir, pg_dsn) as connection:
        # DuckDB's cursor() is a second connection, with its own transaction
        cursor = connection if destination == "duckdb" else connection.cursor()
        listed = ", ".join([p] * len(schemas))
        cursor.execute(
            "select c.table_schema, c.table_name from information_schema.columns as c"
            " join information_schema.tables as t"
            "   on t.table_schema = c.table_schema and t.table_name = c.table_name"
            f" where c.column_name = 'seller_id' and (c.table_schema in ({listed})"
            # the staging datasets of shard runs (extract/layout.py)
            f" or starts_with(c.table_schema, {p}))"
            " and t.table_type = 'BASE TABLE' order by 1, 2",
            [*schemas, f"{raw}{SHARD_STAGING}"],
        )
        targets = [(schema, table, "seller_id", seller_id) for schema, table in cursor.fetchall()]
        # the seller's dlt state, and its registry row (the audit keeps its sync history)
        for schema, table, column, value in [
            (raw, "_dlt_pipeline_state", "pipeline_name", pipeline_name(seller_id)),
            (audit_dataset(), "sellers", "seller_id", seller_id),
        ]:
            if _has_table(cursor, destination, schema, table):
                targets.append((schema, table, column, value))
        if destination == "duckdb":
            cursor.execute("begin transaction")
        for schema, table, column, value in targets:
            deleted = _delete(cursor, destination, schema, table, column, value)
            if deleted:
                removal.rows[f"{schema}.{table}"] = deleted
        cursor.execute(f"create schema if not exists {audit}")
        cursor.execute(
            f"create table if not exists {audit}.seller_removals ("
            " seller_id varchar not null, user_id varchar, removed_at timestamp with time zone"
            " not null, rows_deleted bigint not null, tables varchar not null)"
        )
        cursor.execute(
            f"insert into {audit}.seller_removals values ({p}, {p}, {p}, {p}, {p})",
            [
                seller_id,
                removal.user_id,
                datetime.now(UTC),
                removal.total_rows,
                ", ".join(f"{name}={count}" for name, count in sorted(removal.rows.items())),
            ],
        )
        connection.commit()
    local_state = data_dir / "pipelines" / pipeline_name(seller_id)
    if local_state.exists():
        shutil.rmtree(local_state)
        removal.local_state_removed = True
    return removal
