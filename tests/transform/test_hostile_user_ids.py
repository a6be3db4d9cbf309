"""User ids full of quotes travel as data: synced over HTTP and built on each engine, they
land in every mart as written, and change no seller's figures (a user id once pasted into
SQL let `x' || (select ...) || '` put another query's result in a seller's rows, and
`o'brien` broke the build). The fifty-seller tests check the same at scale."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from extract.layout import audit_dataset
from extract.pipeline import sync_sellers
from extract.sync_settings import SyncSettings
from flows.transform import profile_environment
from simulator.config import WorldConfig
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, NOW, TEST_CLIENT, seller_config
from tests.transform.conftest import DbtRunner, duckdb_query, duckdb_runner, postgres_query
from tests.transform.marts_check import mart_figures, truth_figures

WORLD = WorldConfig(seed=11, sellers=3, history_days=5, orders_per_day=2, now=NOW)
USERS = {
    0: "x' || (select count(*) from raw_spapi.orders) || '",
    1: "o'brien",
    2: 'plain "quoted"; --',
}
# every mart with a user_id column
MARTS = ("orders", "order_items", "shipments", "returns", "settlements", "claims", "inventory")


@pytest.fixture
def pg_marts(pg_dsn: str, pg_datasets: tuple[str, str]) -> Iterator[str]:
    name = f"clario_users_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'drop schema if exists "{name}" cascade')
    connection.close()


@pytest.mark.parametrize(
    "engine",
    ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def test_user_ids_with_quotes_land_as_written_and_change_no_figure(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    world = World(WORLD)
    pg_dsn = request.getfixturevalue("pg_dsn") if engine == "postgres" else None
    # Postgres: this test's own raw, audit and marts schemas, set before the sync
    marts = request.getfixturevalue("pg_marts") if engine == "postgres" else "main"
    with RunningSimulator(world, FAST) as simulator:
        sellers = [
            seller_config(a, simulator.base_url).model_copy(update={"user_id": USERS[a.index]})
            for a in world.sellers
        ]
        runs = sync_sellers(
            sellers,
            engine,  # type: ignore[arg-type]
            tmp_path,
            postgres_dsn=pg_dsn,
            settings=SyncSettings(since=WORLD.start, report_poll_seconds=0.1),
            client_options=TEST_CLIENT,
            retry_backoff_seconds=0.1,
        )
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs if r.failed]
    query: Any
    if engine == "duckdb":
        duckdb_runner(tmp_path)("build", sellers=[])
        query, placeholder = duckdb_query(tmp_path / "clario.duckdb"), "?"
    else:
        assert pg_dsn is not None
        environment = {
            **profile_environment("postgres", tmp_path, pg_dsn),
            "CLARIO_PG_SCHEMA": marts,
        }
        DbtRunner("postgres", tmp_path / "dbt", environment)("build", sellers=[])
        query, placeholder = postgres_query(pg_dsn), "%s"
    expected = {a.seller_id: USERS[a.index] for a in world.sellers}
    registered = dict(query(f"select seller_id, user_id from {audit_dataset()}.sellers", []))
    assert registered == expected
    for mart in MARTS:
        found = query(f"select distinct seller_id, user_id from {marts}.{mart}", [])
        assert all(expected[seller] == user for seller, user in found), (mart, found)
        if mart == "orders":
            assert dict(found) == expected
    for account in world.sellers:
        marts_now = mart_figures(query, marts, account.seller_id, placeholder)
        assert marts_now == truth_figures(seller_truth(world, account)), account.seller_id
