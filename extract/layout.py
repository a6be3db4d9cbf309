"""Where a sync writes: one raw dataset shared by every seller, and the audit dataset.

Every seller's raw rows live in one dataset (`raw_spapi`), told apart by `seller_id`, which
is part of every table's primary key and is copied into every nested row. One dataset, not
one per seller, keeps the dbt build's cost growing with rows instead of with sellers (a
union over one schema per seller ran out of memory at 100 sellers; DECISIONLOG.md).

Each seller keeps its own dlt pipeline, so its own state (cursors, pending reports) in the
dataset's `_dlt_pipeline_state`, under the pipeline's name.

The two dataset names can be changed through the environment (tests give each run its own
on a shared PostgreSQL). They end up in SQL and in file names, so they are checked against
a strict pattern, like seller ids are (extract/spapi/config.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping

RAW_SCHEMA_ENV = "CLARIO_RAW_SCHEMA"
AUDIT_SCHEMA_ENV = "CLARIO_AUDIT_SCHEMA"
DEFAULT_RAW_SCHEMA = "raw_spapi"
DEFAULT_AUDIT_SCHEMA = "raw_clario_audit"

# lower-case, so DuckDB, PostgreSQL and dlt's naming all spell it the same; 40 characters
# leaves room for dlt's `_staging` suffix under PostgreSQL's 63-character limit
SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Amazon's merchant tokens: upper-case letters and digits (e.g. A2EUQ1WTGCTBG2)
SELLER_ID = re.compile(r"^[A-Z0-9]{1,32}$")
MARKETPLACE_ID = re.compile(r"^[A-Z0-9]{1,32}$")


class LayoutError(ValueError):
    """A configured dataset name that cannot be used safely."""


def checked_schema_name(name: str, where: str) -> str:
    if not SCHEMA_NAME.match(name):
        raise LayoutError(
            f"{where}: {name!r} is not a usable schema name "
            "(lower-case letters, digits and _, starting with a letter, at most 40)"
        )
    return name


def raw_dataset(environ: Mapping[str, str] | None = None) -> str:
    """The raw dataset every seller loads into (`CLARIO_RAW_SCHEMA`, default `raw_spapi`)."""
    env = os.environ if environ is None else environ
    return checked_schema_name(env.get(RAW_SCHEMA_ENV) or DEFAULT_RAW_SCHEMA, RAW_SCHEMA_ENV)


def audit_dataset(environ: Mapping[str, str] | None = None) -> str:
    """The audit dataset: sync runs, builds, sellers (`CLARIO_AUDIT_SCHEMA`)."""
    env = os.environ if environ is None else environ
    return checked_schema_name(env.get(AUDIT_SCHEMA_ENV) or DEFAULT_AUDIT_SCHEMA, AUDIT_SCHEMA_ENV)


SHARD_STAGING = "_staging_shard"


def staging_dataset(shard: int | None = None, environ: Mapping[str, str] | None = None) -> str:
    """dlt's staging dataset for the raw dataset's merges: `<raw>_staging`, dlt's default.

    A merge loads into staging tables first, truncated at the start of each load, so two
    loads through one staging dataset must not overlap. Shard `shard` of a sharded run gets
    its own, `<raw>_staging_shard<i>`, so the loads of shards running side by side on other
    workers can (extract/pipeline.py's WarehouseWriter). At most 40 + 16 characters.
    """
    raw = raw_dataset(environ)
    return f"{raw}_staging" if shard is None else f"{raw}{SHARD_STAGING}{int(shard)}"


def advisory_key(purpose: str, environ: Mapping[str, str] | None = None) -> int:
    """A PostgreSQL advisory lock key (63 bits) for `purpose` on this warehouse's datasets.

    Derived from the raw and audit dataset names, so two warehouses sharing a database
    (tests side by side, two deployments) never wait on each other's locks.
    """
    names = f"clario:{purpose}:{raw_dataset(environ)}:{audit_dataset(environ)}"
    return int.from_bytes(hashlib.sha256(names.encode()).digest()[:8], "big") >> 1


def pipeline_name(seller_id: str) -> str:
    """A seller's dlt pipeline: its own state and working directory.

    Not `clario_<seller>` as before the shared dataset: that name's local state holds the
    cursors of the seller's old dataset, and would make the first sync into the shared one
    skip the history it already read there.
    """
    if not SELLER_ID.match(seller_id):
        raise LayoutError(f"seller id {seller_id!r} is not an Amazon merchant token")
    return f"clario_seller_{seller_id.lower()}"
