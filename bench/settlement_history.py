"""SP-API calls of a first sync's settlement history: every period paged, or closed periods
read from their settlement reports (extract/amazon/settlements.py).

    .venv/bin/python bench/settlement_history.py [--orders-per-day 275] [--history-days 365]
        [--marketplaces 1]

One seller, the simulator in this process at rate scale 100,000 (its rate limits never
bind; --now pinned to 2026-11-28), and two first syncs of the `finances` data set into
temporary DuckDB files: `settlement_reports=False` (every financial event group paged with
listFinancialEventsByGroupId) and the default (closed groups whose report getReports lists
read from it). Prints, per operation, the calls each sync made (the simulator's request
log) and how long those calls take at Amazon's documented usage plans when paced as the
client paces them (extract/spapi/pacing.py: a bucket of burst - 1 tokens refilled at 95 %
of the rate), then the wall time of each sync here. getReports lists the last 90 days'
reports only: older closed periods are paged either way.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from extract.pipeline import sync_sellers
from extract.spapi.pacing import RATE_LIMITS, RATE_SAFETY
from extract.sync_settings import SyncSettings
from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import seller_config

NOW = datetime(2026, 11, 28, tzinfo=UTC)
OPERATIONS = (
    "listFinancialEventGroups",
    "listFinancialEventsByGroupId",
    "getReports",
    "getReportDocument",
)


def paced_seconds(operation: str, calls: int) -> float:
    """The least time `calls` requests take through the client's pacer, from a full bucket."""
    rate, burst = RATE_LIMITS[operation]
    return max(0, calls - (burst - 1)) / (rate * RATE_SAFETY)


def first_sync(
    world: World, simulator: RunningSimulator, data_dir: Path, settings: SyncSettings
) -> tuple[Counter[str], float]:
    requests.delete(simulator.base_url + "/_simulator/requests", timeout=10)
    started = time.perf_counter()
    runs = sync_sellers(
        [seller_config(account, simulator.base_url) for account in world.sellers],
        "duckdb",
        data_dir,
        settings=settings,
        data_sets=["finances"],
    )
    wall = time.perf_counter() - started
    statuses = {run.status for run in runs}
    if statuses != {"ok"}:
        raise SystemExit(f"the sync did not end ok: {[run.summary() for run in runs]}")
    log: list[dict[str, Any]] = requests.get(
        simulator.base_url + "/_simulator/requests", timeout=30
    ).json()
    return Counter(entry["operation_id"] for entry in log), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-day", type=int, default=275)
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--marketplaces", type=int, default=1)
    args = parser.parse_args()
    config = WorldConfig(
        seed=42,
        sellers=1,
        marketplaces=args.marketplaces,
        history_days=args.history_days,
        orders_per_day=args.orders_per_day,
        now=NOW,
    )
    world = World(config)
    base = SyncSettings(since=config.start, report_poll_seconds=0.1)
    modes = {
        "every period paged": base.model_copy(update={"settlement_reports": False}),
        "closed from reports": base,
    }
    print(
        f"world: {args.history_days} days x {args.orders_per_day} orders/day,"
        f" {args.marketplaces} marketplace(s), now {NOW:%Y-%m-%d}"
    )
    settings = SimulatorSettings(rate_scale=100_000, report_delay_seconds=0)
    results: dict[str, tuple[Counter[str], float]] = {}
    with RunningSimulator(world, settings) as simulator, tempfile.TemporaryDirectory() as tmp:
        for name, mode in modes.items():
            results[name] = first_sync(world, simulator, Path(tmp) / name.replace(" ", "_"), mode)
    width = max(len(name) for name in modes)
    print(f"{'operation':<30}" + "".join(f"{name:>{width + 4}}" for name in modes))
    for operation in OPERATIONS:
        cells = "".join(
            f"{calls[operation]:>{width - 6},}"
            f" ({paced_seconds(operation, calls[operation]) / 60:4.1f} min)"
            for calls, _ in results.values()
        )
        print(f"{operation:<30}{cells}")
    totals = "".join(
        f"{sum(paced_seconds(o, calls[o]) for o in OPERATIONS) / 60:>{width - 2}.1f} min"
        for calls, _ in results.values()
    )
    print(f"{'paced at Amazon rates (sum)':<30}{totals}")
    walls = "".join(f"{wall:>{width + 2}.0f} s" for _, wall in results.values())
    print(f"{'wall time here':<30}{walls}")


if __name__ == "__main__":
    main()
