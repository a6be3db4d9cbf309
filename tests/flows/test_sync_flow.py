"""The `sync` flow end to end: simulator over loopback, real DuckDB, Prefect test harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.run import DATA_SETS
from extract.sync_settings import SyncSettings
from flows.status_command import latest_runs
from flows.sync_flow import sync
from simulator.config import FaultConfig, SimulatorSettings
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, TEST_CLIENT, WORLD, duckdb_warehouse
from tests.extract.test_sync_behaviours import _sellers_file
from tests.extract.truth_check import assert_matches_truth
from tests.extract.warehouse import Warehouse

SETTINGS = SyncSettings(since=WORLD.start, report_poll_seconds=0.1)


def _run(world: World, base_url: str, tmp_path: Path, **options: object) -> list[dict[str, object]]:
    sellers = _sellers_file(world, base_url, tmp_path / "sellers.toml")
    result = sync(
        data_dir=tmp_path / "data",
        sellers_file=sellers,
        settings=SETTINGS,
        client_options=TEST_CLIENT,
        build=False,
        retries=1,
        retry_backoff_seconds=0.1,
        **options,  # type: ignore[arg-type]
    )
    return result


def test_the_flow_syncs_every_seller_and_records_each_data_set(tmp_path: Path) -> None:
    world = World(WORLD)
    with RunningSimulator(world, FAST) as simulator:
        summaries = _run(world, simulator.base_url, tmp_path)
    assert len(summaries) == 2 * 6
    assert {s["status"] for s in summaries} == {"ok"}
    for account in world.sellers:
        assert_matches_truth(
            duckdb_warehouse(tmp_path / "data", account), seller_truth(world, account)
        )
    audit = Warehouse("raw_clario_audit", duckdb_path=tmp_path / "data" / "clario.duckdb")
    assert audit.count("sync_runs") == 12
    assert audit.rows("select distinct status from {s}.sync_runs") == [("ok",)]
    latest = latest_runs("duckdb", tmp_path / "data", None)
    assert [(row[0], row[1], row[2]) for row in latest] == sorted(
        (a.seller_id, d, "ok") for a in world.sellers for d in DATA_SETS
    )


def test_a_failing_data_set_leaves_the_others_loaded_and_the_next_run_completes_it(
    tmp_path: Path,
) -> None:
    world = World(WORLD)
    # every fulfilled-shipments report ends FATAL, through the task's retry too
    faults = FaultConfig(
        fatal_reports=1000, fatal_report_types=["GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"]
    )
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2, faults=faults)
    data = tmp_path / "data"
    with (
        RunningSimulator(world, settings) as simulator,
        pytest.raises(RuntimeError, match="fba_shipments"),
    ):
        _run(world, simulator.base_url, tmp_path)
    audit = Warehouse("raw_clario_audit", duckdb_path=data / "clario.duckdb")
    failed = audit.rows(
        "select seller_id, data_set, error from {s}.sync_runs where status = 'failed'"
    )
    assert sorted((row[0], row[1]) for row in failed) == sorted(
        (a.seller_id, "fba_shipments") for a in world.sellers
    )
    assert all("FATAL" in row[2] for row in failed)
    for account in world.sellers:
        assert duckdb_warehouse(data, account).count("orders") > 0
        assert duckdb_warehouse(data, account).count("fba_shipments") == 0
    # the fault is gone (a new simulator): the next run completes what failed, and reports
    # the last run left pending, unknown to this simulator, are asked for again
    with RunningSimulator(world, FAST) as simulator:
        summaries = _run(world, simulator.base_url, tmp_path)
    assert {s["status"] for s in summaries} == {"ok"}
    for account in world.sellers:
        assert_matches_truth(
            duckdb_warehouse(tmp_path / "data", account), seller_truth(world, account)
        )
