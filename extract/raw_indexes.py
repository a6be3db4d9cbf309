"""Indexes on the raw Postgres tables, for the dbt project's incremental marts.

An incremental build reads only the rows of loads newer than a mart's watermark
(`_dlt_load_id > ...` on a root table, `_dlt_root_load_id > ...` on a nested one:
extract/nested_columns.py), joins them to their parents (`_dlt_parent_id = ...`), and
regroups the records they touch by their keys (a shipment's report rows). Without
indexes Postgres reads every raw row to find them, so an incremental build after one
six-hour sync costs nearly what a full one does. dlt creates indexes only for columns
hinted unique (`_dlt_id`), so the extractor adds these itself after a sync: the load
ids, the parent id, and each root table's primary key (dlt's merge looks rows up by it
too). DuckDB needs none: its scans skip row groups by their min/max, and new loads are
appended together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dlt
from dlt.destinations.sql_client import SqlClientBase

# `_dlt_root_id`: dlt's merge deletes a replaced record's nested rows by it, in tables every
# seller shares
INDEXED_COLUMNS = ("_dlt_load_id", "_dlt_root_load_id", "_dlt_parent_id", "_dlt_root_id")
MAX_IDENTIFIER = 63  # Postgres truncates longer names, and truncated names can collide


def index_name(table: str, column: str) -> str:
    """`<table>_<column>`; shortened with a hash of the full name when too long."""
    name = f"{table}_{column}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def raw_index_statements(
    schema: str,
    tables: Mapping[str, Iterable[str]],
    primary_keys: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """`create index if not exists` for the tables (name -> its columns) of `schema`."""
    statements = []
    for table, present in sorted(tables.items()):
        present = list(present)
        wanted = [(column, [column]) for column in INDEXED_COLUMNS if column in present]
        key = list((primary_keys or {}).get(table, []))
        if key and all(column in present for column in key):
            wanted.append(("primary_key", key))
        for suffix, columns in wanted:
            quoted = ", ".join(f'"{column}"' for column in columns)
            statements.append(
                f'create index if not exists "{index_name(table, suffix)}"'
                f' on "{schema}"."{table}" ({quoted})'
            )
    return statements


COLUMNS_QUERY = """
    select table_name, column_name from information_schema.columns
    where table_schema = %s
"""


def columns_in_database(client: SqlClientBase[Any], dataset: str) -> dict[str, set[str]]:
    """The dataset's tables and their columns as they are in the database, not as dlt's
    schema says they should be."""
    columns: dict[str, set[str]] = {}
    for table, column in client.execute_sql(COLUMNS_QUERY, dataset) or []:
        columns.setdefault(table, set()).add(column)
    return columns


INDEXES_QUERY = "select indexname from pg_indexes where schemaname = %s"


def index_raw_tables(pipeline: dlt.Pipeline) -> None:
    """Index the pipeline's raw tables on Postgres; a no-op on other destinations.

    Every seller's pipeline calls it after its sync, on the dataset they share: it creates
    only the indexes missing, so once the tables exist it costs two catalog queries.
    """
    if pipeline.destination is None or pipeline.destination.destination_name != "postgres":
        return
    primary_keys: dict[str, list[str]] = {
        str(table["name"]): [
            name for name, column in table.get("columns", {}).items() if column.get("primary_key")
        ]
        for table in pipeline.default_schema.data_tables()
    }
    with pipeline.sql_client() as client:
        tables = columns_in_database(client, pipeline.dataset_name)
        indexes = client.execute_sql(INDEXES_QUERY, pipeline.dataset_name) or []
        present = {name for (name,) in indexes}
        for statement in raw_index_statements(pipeline.dataset_name, tables, primary_keys):
            if statement.split('"')[1] not in present:
                client.execute_sql(statement)
