"""Indexes on the raw Postgres tables, for the dbt project's incremental marts.

An incremental build reads only the rows of loads newer than a mart's watermark
(`_dlt_load_id > ...` on a root table) and their nested rows (`_dlt_parent_id = ...`).
Without indexes Postgres reads every raw row to find them, so an incremental build after
one six-hour sync costs nearly what a full one does. dlt creates indexes only for unique
and primary keys, so the extractor adds these two itself after each load. DuckDB needs
none: its scans skip row groups by their min/max, and new loads are appended together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import dlt

INDEXED_COLUMNS = ("_dlt_load_id", "_dlt_parent_id")
MAX_IDENTIFIER = 63  # Postgres truncates longer names, and truncated names can collide


def index_name(table: str, column: str) -> str:
    """`<table>_<column>`; shortened with a hash of the full name when too long."""
    name = f"{table}_{column}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def raw_index_statements(schema: str, tables: Mapping[str, Iterable[str]]) -> list[str]:
    """`create index if not exists` for each table (name -> its columns) of `schema`."""
    statements = []
    for table, columns in sorted(tables.items()):
        for column in INDEXED_COLUMNS:
            if column in columns:
                statements.append(
                    f'create index if not exists "{index_name(table, column)}"'
                    f' on "{schema}"."{table}" ("{column}")'
                )
    return statements


COLUMNS_QUERY = """
    select table_name, column_name from information_schema.columns
    where table_schema = %s and column_name in %s
"""


def index_raw_tables(pipeline: dlt.Pipeline) -> None:
    """Index the pipeline's raw tables on Postgres; a no-op on other destinations."""
    if pipeline.destination is None or pipeline.destination.destination_name != "postgres":
        return
    with pipeline.sql_client() as client:
        # the tables as they are in the database, not as dlt's schema says they should be
        rows = client.execute_sql(COLUMNS_QUERY, pipeline.dataset_name, INDEXED_COLUMNS) or []
        tables: dict[str, list[str]] = {}
        for table, column in rows:
            tables.setdefault(table, []).append(column)
        for statement in raw_index_statements(pipeline.dataset_name, tables):
            client.execute_sql(statement)
