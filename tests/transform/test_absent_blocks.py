"""A field Amazon leaves out is unknown (null) in the marts, never zero.

The simulator sends some order items without their optional `fulfillment` block (fault
`omitted_fulfillment_rate`, the same items on every request). Synced over HTTP and built
on each engine, such an item's `units_shipped` is null, and so is its order's: a sum over
the items Amazon did describe would undercount. Items Amazon did describe keep their
count, zero included.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from extract.layout import raw_dataset
from extract.sync_settings import SyncSettings
from flows.transform import profile_environment
from simulator.config import FaultConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST, NOW, WORLD, sync
from tests.transform.conftest import DbtRunner, duckdb_query, duckdb_runner, postgres_query

# one day back: searchOrders alone (a report-read order has no fulfillment block at all)
RECENT = SyncSettings(since=NOW - timedelta(days=1), report_poll_seconds=0.1)


@pytest.fixture
def pg_marts(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"clario_absent_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("CLARIO_PG_SCHEMA", name)
    yield name
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'drop schema if exists "{name}" cascade')
    connection.close()


def _build(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Any, str, str]:
    """Sync the orders with the fault, build; (query, marts schema, placeholder)."""
    world = World(WORLD)
    faults = FaultConfig(omitted_fulfillment_rate=0.4)
    pg_dsn = request.getfixturevalue("pg_dsn") if engine == "postgres" else None
    with RunningSimulator(world, FAST.model_copy(update={"faults": faults})) as simulator:
        runs = sync(
            world,
            simulator.base_url,
            tmp_path,
            destination=engine,
            pg_dsn=pg_dsn,
            settings=RECENT,
            data_sets=["orders"],
        )
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
    sellers = [a.seller_id for a in world.sellers]
    if engine == "duckdb":
        duckdb_runner(tmp_path)("build", sellers=sellers)
        return duckdb_query(tmp_path / "clario.duckdb"), "main", "?"
    assert pg_dsn is not None
    marts = request.getfixturevalue("pg_marts")
    environment = {**profile_environment("postgres", tmp_path, pg_dsn), "CLARIO_PG_SCHEMA": marts}
    DbtRunner("postgres", tmp_path / "dbt", environment)("build", sellers=sellers)
    return postgres_query(pg_dsn), marts, "%s"


@pytest.mark.parametrize(
    "engine",
    ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def test_a_unit_count_amazon_leaves_out_is_null_in_the_marts_never_zero(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "postgres":
        request.getfixturevalue("pg_datasets")  # this test's own raw and audit schemas
    query, marts, _ = _build(engine, tmp_path, request)
    raw = raw_dataset()
    # what Amazon sent, item by item: a count (0 included), or no block (null); an item
    # id is the seller's own, so two sellers may both have one (the grain is the pair)
    sent = {
        (seller, item): count
        for seller, item, count in query(
            f"select i.seller_id, i.order_item_id, i.fulfillment__quantity_fulfilled"
            f" from {raw}.orders__order_items as i",
            [],
        )
    }
    left_out = {item for item, count in sent.items() if count is None}
    assert left_out and len(left_out) < len(sent), "some items with the block, some without"
    assert 0 in sent.values(), "an item Amazon said shipped none: 0 stays 0"
    items = {
        (seller, item): units
        for seller, item, units in query(
            f"select seller_id, order_item_id, units_shipped from {marts}.order_items", []
        )
    }
    assert len(items) == len(sent), "one mart row per item Amazon sent"
    assert set(items) == set(sent)
    assert {item for item, units in items.items() if units is None} == left_out
    assert {item: items[item] for item in sent if item not in left_out} == {
        item: count for item, count in sent.items() if item not in left_out
    }
    # an order with an item left out: its units shipped are unknown, not a partial sum
    orders = query(
        f"select o.order_id, o.units_shipped, count(i.order_item_id),"
        f" count(i.units_shipped), sum(i.units_shipped)"
        f" from {marts}.orders as o join {marts}.order_items as i"
        f" on i.seller_id = o.seller_id and i.order_id = o.order_id"
        f" group by o.order_id, o.units_shipped",
        [],
    )
    unknown = [row for row in orders if row[3] < row[2]]
    assert unknown and all(row[1] is None for row in unknown), unknown[:3]
    known = [row for row in orders if row[3] == row[2]]
    assert known and all(row[1] == row[4] for row in known), known[:3]
