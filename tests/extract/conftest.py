"""A simulator with a small seeded world, sellers configured for it, and a sync helper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from extract.layout import raw_dataset
from extract.pipeline import sync_sellers
from extract.run import DataSetRun
from extract.spapi.config import SellerConfig
from extract.sync_settings import SyncSettings
from simulator.config import SellerAccount, SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.warehouse import Warehouse

NOW = datetime(2026, 11, 28, tzinfo=UTC)
WORLD = WorldConfig(seed=7, sellers=2, history_days=40, orders_per_day=8, now=NOW)
FAST = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2)
# Polls and timeouts sized for a local simulator, not for Amazon.
TEST_SYNC = SyncSettings(since=WORLD.start, report_poll_seconds=0.1)
TEST_CLIENT = {"timeout": 5, "backoff_max": 0.5}


def seller_config(account: SellerAccount, base_url: str, sandbox: bool = False) -> SellerConfig:
    return SellerConfig(
        seller_id=account.seller_id,
        user_id=f"user-{account.index}",
        region="NA",
        marketplace_ids=list(account.marketplace_ids),
        sandbox=sandbox,
        endpoint=base_url,
        token_url=base_url + "/auth/o2/token",
        credentials={
            "client_id": account.client_id,
            "client_secret": account.client_secret,
            "refresh_token": account.refresh_token,
        },
    )


def sync(
    world: World,
    base_url: str,
    data_dir: Path,
    destination: str = "duckdb",
    pg_dsn: str | None = None,
    **options: Any,
) -> list[DataSetRun]:
    sellers = [seller_config(a, base_url) for a in world.sellers]
    options.setdefault("settings", TEST_SYNC)
    options.setdefault("client_options", TEST_CLIENT)
    options.setdefault("retry_backoff_seconds", 0.1)
    return sync_sellers(sellers, destination, data_dir, postgres_dsn=pg_dsn, **options)  # type: ignore[arg-type]


def duckdb_warehouse(data_dir: Path, account: SellerAccount) -> Warehouse:
    return Warehouse(
        raw_dataset(), duckdb_path=data_dir / "clario.duckdb", seller_id=account.seller_id
    )


@pytest.fixture(scope="module")
def world() -> World:
    return World(WORLD)


@pytest.fixture(scope="module")
def simulator(world: World) -> Iterator[RunningSimulator]:
    with RunningSimulator(world, FAST) as running:
        yield running


@pytest.fixture(scope="module")
def synced(
    world: World, simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One complete sync of the module's world into a fresh DuckDB file."""
    data_dir = tmp_path_factory.mktemp("synced")
    runs = sync(world, simulator.base_url, data_dir)
    assert [r.status for r in runs] == ["ok"] * len(runs), [r.summary() for r in runs]
    return data_dir
