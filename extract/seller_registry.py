"""The sellers a warehouse holds: `<audit dataset>.sellers`, one row per seller.

The extractor records each seller it syncs (id, user id, region, marketplaces, sandbox,
first and last sync), so dbt finds the sellers in the warehouse: a build by hand needs no
list, and every mart gets the same `user_id` whoever runs dbt. `clario sellers remove`
deletes a seller's row with the rest of its data.

Values are bound parameters, never pasted into SQL: a user id is free text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dlt
from dlt.destinations.sql_client import SqlClientBase

from extract.layout import audit_dataset
from extract.spapi.config import SellerConfig

TABLE = "sellers"


def _qualified(client: SqlClientBase[Any]) -> tuple[str, str]:
    schema = client.capabilities.escape_identifier(audit_dataset())
    return schema, f"{schema}.{client.capabilities.escape_identifier(TABLE)}"


def ensure_table(client: SqlClientBase[Any]) -> str:
    """Create the table if it is not there; its qualified name."""
    schema, table = _qualified(client)
    client.execute_sql(f"create schema if not exists {schema}")
    client.execute_sql(
        f"""create table if not exists {table} (
            seller_id varchar primary key,
            user_id varchar not null,
            region varchar not null,
            marketplace_ids varchar not null,
            is_sandbox boolean not null,
            first_synced_at timestamp with time zone not null,
            last_synced_at timestamp with time zone not null
        )"""
    )
    return table


def register_seller(pipeline: dlt.Pipeline, seller: SellerConfig, synced_at: datetime) -> None:
    """Insert the seller, or update it and its last sync (its first sync stays)."""
    with pipeline.sql_client() as client:
        table = ensure_table(client)
        client.execute_sql(
            f"""insert into {table}
                (seller_id, user_id, region, marketplace_ids, is_sandbox,
                 first_synced_at, last_synced_at)
            values (%s, %s, %s, %s, %s, %s, %s)
            on conflict (seller_id) do update set
                user_id = excluded.user_id,
                region = excluded.region,
                marketplace_ids = excluded.marketplace_ids,
                is_sandbox = excluded.is_sandbox,
                last_synced_at = excluded.last_synced_at""",
            seller.seller_id,
            seller.user_id,
            seller.region.value,
            ",".join(seller.marketplace_ids),
            seller.sandbox,
            synced_at,
            synced_at,
        )
