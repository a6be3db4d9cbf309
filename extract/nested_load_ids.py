"""Every nested raw row carries the load id of its root row: `_dlt_root_load_id`.

dlt stamps `_dlt_load_id` on root rows only. The dbt project's incremental marts read
the rows of loads newer than their watermark; for nested rows (an order's items, a
financial event's charges) they would have to join every nested row ever loaded to its
root to find out which are new. With the root's load id on the nested row itself, the
filter reaches the nested table: DuckDB skips its row groups by their min/max, Postgres
reads an index (extract/raw_indexes.py).

Two parts:
- `propagate_root_load_id` asks dlt's relational normalizer to copy the root's
  `_dlt_load_id` into every nested row it writes, as `_dlt_root_load_id` (its
  `propagation` config, which dlt itself uses for `_dlt_root_id`). The column is a new
  name, not `_dlt_load_id`, because dlt declares that one NOT NULL and could not add it
  to a nested table that already holds rows.
- `backfill_root_load_ids` fills the column on nested tables loaded before it existed.
  It runs before a sync's first load, and only touches tables that lack the column: dlt
  merges replace a root row's nested rows together with it, so once a table has the
  column every row that dlt writes has it too.
"""

from __future__ import annotations

import logging

import dlt
from dlt.common.normalizers.json.relational import DataItemNormalizer as RelationalNormalizer
from dlt.common.schema import Schema
from dlt.common.schema.typing import TColumnName
from dlt.common.schema.utils import get_root_table, is_nested_table

from extract.raw_indexes import columns_in_database

log = logging.getLogger("clario.extract")

ROOT_LOAD_ID = "_dlt_root_load_id"


def propagate_root_load_id(schema: Schema) -> None:
    """Have dlt copy each root row's `_dlt_load_id` into its nested rows."""
    RelationalNormalizer.update_normalizer_config(
        schema,
        {"propagation": {"root": {TColumnName("_dlt_load_id"): TColumnName(ROOT_LOAD_ID)}}},
    )


def nested_tables_to_backfill(
    schema: Schema, columns_in_database: dict[str, set[str]]
) -> list[tuple[str, str]]:
    """(nested table, its root table) for the nested tables in the database without the column."""
    wanted = []
    for table in schema.data_tables():
        name = str(table["name"])
        present = columns_in_database.get(name)
        if not is_nested_table(table) or present is None or ROOT_LOAD_ID in present:
            continue
        if "_dlt_root_id" not in present:
            # every resource merges, so dlt gives nested rows their root's id; without it
            # there is nothing to join on, and the marts would miss these rows
            raise RuntimeError(f"nested table {name} has no _dlt_root_id to backfill from")
        root = str(get_root_table(schema.tables, name)["name"])
        wanted.append((name, root))
    return wanted


def backfill_root_load_ids(pipeline: dlt.Pipeline) -> None:
    """Add and fill `_dlt_root_load_id` on the pipeline's nested tables that lack it."""
    if pipeline.default_schema_name is None or pipeline.destination is None:
        return  # never loaded: every nested table dlt creates will have the column
    with pipeline.sql_client() as client:
        columns = columns_in_database(client, pipeline.dataset_name)
        for nested, root in nested_tables_to_backfill(pipeline.default_schema, columns):
            log.info("backfilling %s.%s from %s", nested, ROOT_LOAD_ID, root)
            nested_name = client.make_qualified_table_name(nested)
            root_name = client.make_qualified_table_name(root)
            with client.begin_transaction():
                client.execute_sql(f"alter table {nested_name} add column {ROOT_LOAD_ID} varchar")
                client.execute_sql(
                    f"update {nested_name} set {ROOT_LOAD_ID} = root._dlt_load_id"
                    f" from {root_name} as root where {nested_name}._dlt_root_id = root._dlt_id"
                )
