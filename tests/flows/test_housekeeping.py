"""The data directory does not grow with every run: dlt's finished load packages lose
their data files at once and go whole after the retention (CLARIO_KEEP_LOADED_PACKAGES_DAYS,
7 days), through the real flow over the simulator."""

from __future__ import annotations

import os
import time
from pathlib import Path

from extract.sync_settings import SyncSettings
from flows.sync_flow import sync
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST, TEST_CLIENT
from tests.extract.test_sync_behaviours import _sellers_file
from tests.flows.operator import TINY


def _packages(data: Path) -> set[Path]:
    return {p for p in (data / "pipelines").glob("*/load/loaded/*") if p.is_dir()}


def test_finished_load_packages_are_emptied_then_pruned_after_their_retention(
    tmp_path: Path,
) -> None:
    world = World(TINY)
    data = tmp_path / "data"

    def run(base_url: str) -> None:
        summaries = sync(
            data_dir=data,
            sellers_file=_sellers_file(world, base_url, tmp_path / "sellers.toml"),
            settings=SyncSettings(since=TINY.start, report_poll_seconds=0.1),
            client_options=TEST_CLIENT,
            data_sets=["inventory", "reimbursements"],
            build=False,
            retries=0,
        )
        assert {s["status"] for s in summaries} == {"ok"}, summaries

    with RunningSimulator(world, FAST) as simulator:
        run(simulator.base_url)
        first = _packages(data)
        assert first, "each load leaves a package's small records"
        # the data files of finished jobs are gone as soon as they are loaded
        assert [p for p in data.glob("pipelines/*/load/loaded/*/completed_jobs/*")] == []
        # a week and a day old: past the retention
        aged = time.time() - 8 * 86400
        for package in first:
            os.utime(package, (aged, aged))
        run(simulator.base_url)
    second = _packages(data)
    assert not first & second, "the aged packages were removed"
    assert second, "the new run's packages are kept for the retention"
