"""Every nested raw row carries its root row's seller and load id.

dlt stamps `_dlt_load_id` on root rows only, and `seller_id` is a field of the root
record. dlt's relational normalizer can copy root columns into every nested row it writes
(its `propagation` config, which dlt itself uses for `_dlt_root_id`), and it does so here:

- `seller_id`: sellers share one raw dataset (extract/layout.py), so a nested row (an
  order's items, an event's charges) names its seller itself: isolation never depends on
  a join, and `clario sellers remove` deletes a seller's nested rows directly.
- `_dlt_root_load_id`: the dbt project's incremental marts read the rows of loads newer
  than their watermark; with the root's load id on the nested row, the filter reaches the
  nested table instead of joining every nested row ever loaded to its root. DuckDB skips
  row groups by their min/max, PostgreSQL reads an index (extract/raw_indexes.py). A new
  name, not `_dlt_load_id`, which dlt declares NOT NULL on root tables only.
"""

from __future__ import annotations

from dlt.common.normalizers.json.relational import DataItemNormalizer as RelationalNormalizer
from dlt.common.schema import Schema
from dlt.common.schema.typing import TColumnName

ROOT_LOAD_ID = "_dlt_root_load_id"
PROPAGATED = {"_dlt_load_id": ROOT_LOAD_ID, "seller_id": "seller_id"}


def propagate_root_columns(schema: Schema) -> None:
    """Have dlt copy each root row's seller and load id into its nested rows."""
    RelationalNormalizer.update_normalizer_config(
        schema,
        {
            "propagation": {
                "root": {TColumnName(key): TColumnName(value) for key, value in PROPAGATED.items()}
            }
        },
    )
