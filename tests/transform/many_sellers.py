"""Many sellers in one warehouse: the world, the sync and the checks both engines' tests use.

A world of 50 small sellers goes through the real extraction (simulator over loopback,
one raw dataset for all) and a `dbt build` that finds the sellers in the warehouse (no
vars). Every seller's marts must equal its own truth: a row of one seller under another
would change two sellers' figures. Two sellers carry hostile user ids: they must arrive in
the marts as the exact text, and change nothing else. Then `clario sellers remove` deletes
one seller everywhere, and the next build leaves the others as they were.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extract.pipeline import sync_sellers
from extract.sync_settings import SyncSettings
from simulator.config import WorldConfig
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import TEST_CLIENT, seller_config
from tests.transform.marts_check import mart_figures, truth_figures

CLARIO = str(Path(sys.executable).with_name("clario"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)
WORLD = WorldConfig(seed=11, sellers=50, history_days=5, orders_per_day=2, now=NOW)
HOSTILE_USERS = {
    0: "x' || (select count(*) from raw_spapi.orders) || '",
    1: "o'brien",
}


def _sync(world: World, base_url: str, data_dir: Path, **options: Any) -> None:
    sellers = [
        seller_config(a, base_url).model_copy(
            update={"user_id": HOSTILE_USERS.get(a.index, f"user-{a.index}")}
        )
        for a in world.sellers
    ]
    runs = sync_sellers(
        sellers,
        settings=SyncSettings(since=world.config.start, report_poll_seconds=0.1),
        client_options=TEST_CLIENT,
        max_workers=16,
        retry_backoff_seconds=0.1,
        data_dir=data_dir,
        **options,
    )
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs if r.failed][:3]


def _check_every_seller(world: World, query: Any, schema: str, placeholder: str) -> None:
    for account in world.sellers:
        marts = mart_figures(query, schema, account.seller_id, placeholder)
        assert marts == truth_figures(seller_truth(world, account)), account.seller_id
    users = dict(query(f"select seller_id, min(user_id) from {schema}.orders group by 1", []))
    assert users == {
        a.seller_id: HOSTILE_USERS.get(a.index, f"user-{a.index}") for a in world.sellers
    }


def _remove(seller_id: str, *options: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [CLARIO, "sellers", "remove", seller_id, "--yes", *options],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _rows_of(query: Any, seller_id: str, schemas: list[str], placeholder: str) -> int:
    """Rows naming the seller in every table of `schemas` that has a `seller_id`."""
    listed = ", ".join(f"'{schema}'" for schema in schemas)
    tables = query(
        "select c.table_schema, c.table_name from information_schema.columns as c"
        " join information_schema.tables as t"
        "   on t.table_schema = c.table_schema and t.table_name = c.table_name"
        f" where c.column_name = 'seller_id' and c.table_schema in ({listed})"
        " and t.table_type = 'BASE TABLE'"
        # the audit trail keeps the removal itself and the seller's sync history
        " and c.table_name not in ('seller_removals', 'sync_runs')",
        [],
    )
    assert tables, schemas
    return sum(
        query(f'select count(*) from "{s}"."{t}" where seller_id = {placeholder}', [seller_id])[0][
            0
        ]
        for s, t in tables
    )
