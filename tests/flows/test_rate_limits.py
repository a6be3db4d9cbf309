"""A seller's rate limits hold across workers when they share Prefect's global rate limits.

Two workers of a work pool are two processes, each with its own pacer. Here each of two
Prefect tasks, run in parallel, builds its own client with its own pacer (not the
process-wide one), which is what a second worker process would have, and polls the same
report of the same seller: one Amazon bucket (getReport: 2 requests/s, burst 15) that the
simulator enforces at its real rate. A 429 is not retried (`max_attempts=1`), so every one
shows in the simulator's request log.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from extract.spapi.client import SpApiClient, SpApiError
from extract.spapi.config import SellerConfig
from extract.spapi.pacing import Pacer
from extract.spapi.reports import create_report, get_report
from flows.rate_limits import PrefectRateLimitedPacer
from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import NOW, seller_config

WORLD = WorldConfig(seed=11, sellers=1, history_days=5, orders_per_day=2, now=NOW)
CALLS_PER_WORKER = 10  # together a third more than getReport's burst


@pytest.fixture
def real_rates() -> Iterator[tuple[RunningSimulator, SellerConfig]]:
    world = World(WORLD)
    with RunningSimulator(world, SimulatorSettings(rate_scale=1, report_delay_seconds=0)) as sim:
        yield sim, seller_config(world.sellers[0], sim.base_url)


@task(task_run_name="worker {worker}")
def poll_report(worker: int, seller: SellerConfig, report_id: str, shared_rate_limits: bool) -> int:
    """One worker's share of the work; returns how many calls were throttled."""
    base_url = seller.endpoint or ""
    pacer = (
        PrefectRateLimitedPacer(base_url, seller.seller_id)
        if shared_rate_limits
        else Pacer(seller.seller_id)
    )
    throttled = 0
    with SpApiClient(seller, pacer=pacer, max_attempts=1, timeout=10) as client:
        for _ in range(CALLS_PER_WORKER):
            try:
                get_report(client, report_id)
            except SpApiError as error:
                if error.status != 429:
                    raise
                throttled += 1
    return throttled


@flow(task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def two_workers(seller: SellerConfig, report_id: str, shared_rate_limits: bool) -> list[int]:
    futures = [
        poll_report.submit(worker, seller, report_id, shared_rate_limits)  # type: ignore[call-overload]
        for worker in (1, 2)
    ]
    return [future.result() for future in futures]


def _get_report_statuses(simulator: RunningSimulator) -> list[int]:
    log = requests.get(
        simulator.base_url + "/_simulator/requests", params={"operation": "getReport"}, timeout=10
    ).json()
    return [record["status"] for record in log]


def _one_report(seller: SellerConfig) -> str:
    with SpApiClient(seller, max_attempts=1) as client:
        return create_report(client, "GET_FBA_REIMBURSEMENTS_DATA", seller.marketplace_ids)


def test_two_workers_sharing_prefect_rate_limits_are_never_throttled(
    real_rates: tuple[RunningSimulator, SellerConfig],
) -> None:
    simulator, seller = real_rates
    report_id = _one_report(seller)

    throttled = two_workers(seller, report_id, shared_rate_limits=True)

    assert throttled == [0, 0]
    assert _get_report_statuses(simulator) == [200] * 2 * CALLS_PER_WORKER


def test_two_workers_with_their_own_buckets_are_throttled(
    real_rates: tuple[RunningSimulator, SellerConfig],
) -> None:
    """The control: without the shared limit the same work exceeds Amazon's bucket."""
    simulator, seller = real_rates
    report_id = _one_report(seller)

    throttled = two_workers(seller, report_id, shared_rate_limits=False)

    assert sum(throttled) > 0
    assert _get_report_statuses(simulator).count(429) == sum(throttled)
