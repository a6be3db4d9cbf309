"""A real simulator over loopback serving a real seeded world, and a minimal SP-API client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.simulator.spapi import Client

NOW = datetime(2026, 11, 28, tzinfo=UTC)
SMALL_WORLD = WorldConfig(seed=7, sellers=2, history_days=45, orders_per_day=8, now=NOW)


@pytest.fixture(scope="module")
def world() -> World:
    return World(SMALL_WORLD)


@pytest.fixture(scope="module")
def simulator(world: World) -> Iterator[RunningSimulator]:
    # Rates scaled up so paging tests are not throttled; throttling has its own tests.
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2)
    with RunningSimulator(world, settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(simulator: RunningSimulator, world: World) -> Client:
    return Client(simulator.base_url, world.sellers[0])


@pytest.fixture(scope="module")
def other_client(simulator: RunningSimulator, world: World) -> Client:
    return Client(simulator.base_url, world.sellers[1])
