"""A first sync keeps what it loaded: each report slice is loaded with its cursor, so a
backfill killed halfway resumes at the slice it was in, and asks for nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests

from extract.amazon.settings import ALL_ORDERS_BY_LAST_UPDATE
from flows.demo import write_sellers_file
from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import duckdb_warehouse

CLARIO = str(Path(sys.executable).with_name("clario"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)
# 150 days: five 30-day all-orders slices before searchOrders' newest hours
CONFIG = WorldConfig(seed=23, sellers=1, history_days=150, orders_per_day=6, now=NOW)


def _loads(data_dir: Path) -> int:
    return len(list((data_dir / "pipelines").glob("*/load/loaded/*")))


def _orders_report_calls(base_url: str) -> tuple[int, Counter[str]]:
    """createReport calls for all-orders reports, and downloads per report document."""
    log = requests.get(base_url + "/_simulator/requests", timeout=5).json()
    created = sum(
        1
        for r in log
        if r["operation_id"] == "createReport"
        and (r["body"] or {}).get("reportType") == ALL_ORDERS_BY_LAST_UPDATE
    )
    downloads = Counter(r["path"] for r in log if r["operation_id"] == "getReportDocument")
    return created, downloads


def test_a_first_sync_killed_halfway_keeps_its_slices_and_resumes_where_it_stopped(
    tmp_path: Path,
) -> None:
    world = World(CONFIG)
    truth = seller_truth(world, world.sellers[0])["orders"]
    data_dir = tmp_path / "data"
    # reports take a while, so the kill lands between slices
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=1.0)
    with RunningSimulator(world, settings) as simulator:
        sellers = write_sellers_file(tmp_path / "sellers.toml", world.sellers, simulator.base_url)
        command = [
            CLARIO,
            "sync",
            "--sellers-file",
            str(sellers),
            "--data-dir",
            str(data_dir),
            "--data-set",
            "orders",
            "--since",
            CONFIG.start.isoformat(),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # generous: clario sync first waits for Prefect's local API, slow on a busy machine
        deadline = time.monotonic() + 300
        # the seller's registration, then two slices of orders
        while _loads(data_dir) < 3 and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert _loads(data_dir) >= 3, "two slices should have loaded before the kill"

        kept = duckdb_warehouse(data_dir, world.sellers[0]).count("orders")
        assert 0 < kept < truth["count"], "the slices loaded before the kill are kept"

        rerun = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        created, downloads = _orders_report_calls(simulator.base_url)

    warehouse = duckdb_warehouse(data_dir, world.sellers[0])
    assert warehouse.count("orders") == truth["count"]
    assert (
        dict(
            warehouse.rows(
                "select fulfillment__fulfillment_status, count(*) from {s}.orders group by 1"
            )
        )
        == truth["by_status"]
    )
    # every slice was asked for once: the rerun collected the reports the killed run had
    # asked for, and read again at most the slice that was in flight
    slices = 5
    assert created == slices, created
    assert sum(downloads.values()) <= slices + 1, downloads
