"""The cache of generated days (bounded by records) and the background warm-up."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests

from simulator.config import SimulatorSettings, WorldConfig
from simulator.day_cache import DayCache
from simulator.server import RunningSimulator
from simulator.world import World

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_day_cache_evicts_least_recently_used_beyond_its_record_bound() -> None:
    calls: list[int] = []

    def generate(day: int) -> tuple[int, ...]:
        calls.append(day)
        return tuple(range(day))

    cache: DayCache[tuple[int, ...]] = DayCache(generate, max_records=10)
    assert cache(4) == (0, 1, 2, 3) and cache(5) == tuple(range(5))
    assert cache(4) == (0, 1, 2, 3)  # cached: 4 is now the most recent
    assert calls == [4, 5]
    cache(3)  # 4 + 5 + 3 = 12 > 10: the least recently used (5) goes
    assert cache.records == 7 and len(cache) == 2
    cache(5)
    assert calls == [4, 5, 3, 5]
    cache(20)  # alone over the bound: kept anyway, everything else goes
    assert len(cache) == 1 and cache.records == 20


def test_warm_up_generates_the_whole_world_when_it_fits() -> None:
    config = WorldConfig(seed=2, sellers=2, history_days=30, orders_per_day=4, now=NOW)
    world = World(config)
    assert world.warm_state == "idle"
    world.warm()
    assert world.warm_state == "done"
    days = len(list(world.days(config.start, world.horizon)))
    assert len(world._orders_on) == len(world._events_on) == days * len(world.sellers)
    # Settlement totals were computed on the way: asking again costs no generation.
    assert all(world._totals.get((s.index, world.horizon)) for s in world.sellers)
    assert world.settlement_groups(world.sellers[0]) == World(config).settlement_groups(
        world.sellers[0]
    )


def test_warm_up_stops_at_the_cache_bound_keeping_the_newest_days() -> None:
    config = WorldConfig(seed=2, sellers=1, history_days=200, orders_per_day=10, now=NOW)
    world = World(config, cache_records=400)
    world.warm()
    assert world.warm_state == "done"
    assert world._orders_on.records <= 400 and world._events_on.records <= 400
    newest = world.horizon.date()
    assert 10 < len(world._orders_on) < 200
    # The newest days are still cached; the oldest were never generated.
    assert (0, newest) in world._orders_on and (0, newest) in world._events_on
    assert (0, world.first_day) not in world._orders_on


def test_a_server_started_warm_reports_its_warm_up_in_health() -> None:
    config = WorldConfig(seed=2, sellers=1, history_days=20, orders_per_day=4, now=NOW)
    world = World(config)
    with RunningSimulator(world, SimulatorSettings(warm=True)) as sim:
        deadline = time.monotonic() + 10
        while (state := requests.get(sim.base_url + "/_simulator/health", timeout=5).json())[
            "warm"
        ] != "done":
            assert state["warm"] == "warming" and time.monotonic() < deadline
            time.sleep(0.02)
    assert len(world._orders_on) == len(list(world.days(config.start, world.horizon)))
