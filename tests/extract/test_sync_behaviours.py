"""Extraction under change and trouble: late data, faults, kills, parallel sellers, bad rows."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from extract.amazon.helpers import parse_time
from extract.amazon.settings import CUSTOMER_RETURNS, SETTLEMENT_V2
from extract.layout import audit_dataset, raw_dataset
from extract.run import DATA_SETS
from flows.demo import write_sellers_file
from simulator.config import FaultConfig, SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import (
    FAST,
    NOW,
    TEST_SYNC,
    WORLD,
    duckdb_warehouse,
    seller_config,
    sync,
)
from tests.extract.truth_check import assert_matches_truth
from tests.extract.warehouse import Warehouse, assert_same_tables

CLARIO = str(Path(sys.executable).with_name("clario"))


def _until_ok(
    world: World, base_url: str, data_dir: Path, attempts: int = 4, **options: object
) -> list[list[str]]:
    """Sync again until every data set is ok; returns the statuses of each attempt."""
    history = []
    for _ in range(attempts):
        runs = sync(world, base_url, data_dir, **options)  # type: ignore[arg-type]
        history.append([r.status for r in runs])
        if all(r.status == "ok" for r in runs):
            return history
    raise AssertionError(f"never completed: {history}")


def test_late_status_changes_and_late_events_arrive_in_the_next_run(tmp_path: Path) -> None:
    world = World(WORLD)
    with RunningSimulator(world, FAST) as simulator:
        assert _until_ok(world, simulator.base_url, tmp_path) == [["ok"] * 2 * len(DATA_SETS)]
        later = NOW + timedelta(days=3)
        requests.post(
            simulator.base_url + "/_simulator/clock", json={"now": later.isoformat()}, timeout=5
        )
        assert _until_ok(world, simulator.base_url, tmp_path) == [["ok"] * 2 * len(DATA_SETS)]
    for account in world.sellers:
        assert_matches_truth(duckdb_warehouse(tmp_path, account), seller_truth(world, account))


def nested_rows_not_matching_their_root(w: Warehouse) -> dict[str, int]:
    """Per nested table, rows whose `seller_id` or `_dlt_root_load_id` is not their root's."""
    wrong = {}
    for table in sorted(t for t in w.tables() if "__" in t):
        root = table.split("__")[0]
        wrong[table] = int(
            w.scalar(
                f"select count(*) from {{s}}.{table} as nested"
                f" left join {{s}}.{root} as root on nested._dlt_root_id = root._dlt_id"
                " where nested._dlt_root_load_id is distinct from root._dlt_load_id"
                " or nested.seller_id is distinct from root.seller_id"
            )
        )
    return wrong


def test_sellers_share_one_raw_dataset_and_every_row_names_its_own_seller(
    world: World, synced: Path
) -> None:
    """Isolation in the shared dataset: nested rows carry their root's seller and load id,
    each seller's pipeline keeps its own state, and each seller's rows equal its truth."""
    everyone = Warehouse(raw_dataset(), duckdb_path=synced / "clario.duckdb")
    wrong = nested_rows_not_matching_their_root(everyone)
    assert "orders__order_items" in wrong
    assert "shipment_events__shipment_item_list__item_charge_list" in wrong
    assert set(wrong.values()) == {0}, wrong
    sellers = {a.seller_id for a in world.sellers}
    for table in everyone.tables():
        if not table.startswith("_dlt"):
            found = {r[0] for r in everyone.rows(f"select distinct seller_id from {{s}}.{table}")}
            assert found <= sellers and None not in found, table
    states = everyone.rows("select distinct pipeline_name from {s}._dlt_pipeline_state")
    assert sorted(r[0] for r in states) == sorted(f"clario_seller_{s.lower()}" for s in sellers)
    for account in world.sellers:
        assert_matches_truth(duckdb_warehouse(synced, account), seller_truth(world, account))
    registry = Warehouse(audit_dataset(), duckdb_path=synced / "clario.duckdb").rows(
        "select seller_id, user_id, region, marketplace_ids, is_sandbox from {s}.sellers"
    )
    assert sorted(registry) == sorted(
        (a.seller_id, f"user-{a.index}", "NA", ",".join(a.marketplace_ids), False)
        for a in world.sellers
    )


def test_with_faults_the_tables_end_equal_to_a_fault_free_run(
    world: World, synced: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    faults = FaultConfig(
        rate_5xx=0.2,
        rate_slow=0.03,
        slow_seconds=2.5,
        fatal_reports=1,
        expire_tokens_after_requests=40,
    )
    caplog.set_level(logging.DEBUG)
    faulty = World(WORLD)
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2, faults=faults)
    with RunningSimulator(faulty, settings) as simulator:
        first = sync(
            faulty,
            simulator.base_url,
            tmp_path,
            client_options={"timeout": 1.5, "backoff_max": 0.3},
        )
        if {r.status for r in first} != {"ok"}:  # 5xx through every retry: the next run
            _until_ok(faulty, simulator.base_url, tmp_path)
    # the FATAL slice was asked for again within the run, and its summary says so
    notes = [r.summary()["notes"] or "" for r in first if r.retries]
    assert any("FATAL" in note for note in notes), [r.summary() for r in first]
    for account in world.sellers:
        clean = duckdb_warehouse(synced, account).snapshot()
        assert_same_tables(duckdb_warehouse(tmp_path, account).snapshot(), clean)
    secrets = [s for a in world.sellers for s in (a.client_secret, a.refresh_token)]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [s for s in secrets if s in logged]
    assert "Atza|" not in logged, "no access token in the logs"


def test_a_longer_slice_that_ends_fatal_is_asked_again_in_shorter_slices(
    world: World, synced: Path, tmp_path: Path
) -> None:
    """Returns are asked for in 90-day slices, a range Amazon does not document: when one
    ends FATAL, the walk goes on in 30-day slices within the run and loses nothing."""
    faults = FaultConfig(fatal_reports=1, fatal_report_types=[CUSTOMER_RETURNS])
    fresh = World(WORLD)
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2, faults=faults)
    with RunningSimulator(fresh, settings) as simulator:
        runs = sync(fresh, simulator.base_url, tmp_path, data_sets=["customer_returns"])
    assert [(r.status, r.retries) for r in runs] == [("ok", 0)] * len(world.sellers)
    fell_back = [r for r in runs if any("30-day slices" in note for note in r.notes)]
    assert len(fell_back) == 1, [r.summary() for r in runs]  # the fault hits one report
    for run in runs:
        windows = [report_window(r["window"]) for r in run.reports]
        assert windows[0] > timedelta(days=30)  # the whole history (40 days) in one report
        if run in fell_back:  # the FATAL one, then the same days in 30-day slices
            assert run.reports[0]["status"] == "FATAL"
            assert [w <= timedelta(days=30) for w in windows[1:]] == [True, True]
            assert sum(windows[1:], timedelta()) == windows[0]
        else:
            assert [r["status"] for r in run.reports] == ["DONE"]
    for account in world.sellers:
        returns = duckdb_warehouse(tmp_path, account).snapshot()["customer_returns"]
        assert (
            returns and returns == duckdb_warehouse(synced, account).snapshot()["customer_returns"]
        )


def report_window(key: str) -> timedelta:
    start, end = (parse_time(part) for part in key.split("/"))
    return end - start


def test_no_secret_lands_in_any_table(world: World, synced: Path) -> None:
    secrets = [s for a in world.sellers for s in (a.client_id, a.client_secret, a.refresh_token)]
    for account in world.sellers:
        for table, rows in duckdb_warehouse(synced, account).snapshot().items():
            text = repr(rows)
            assert not [s for s in secrets if s in text], table
            assert "Atza|" not in text, table


def _sellers_file(world: World, base_url: str, path: Path) -> Path:
    return write_sellers_file(path, world.sellers, base_url)


def test_a_sync_killed_mid_load_then_rerun_ends_with_the_same_tables(
    world: World, synced: Path, tmp_path: Path
) -> None:
    killed = World(WORLD)
    # slower reports stretch the run so the kill lands in its middle
    with RunningSimulator(
        killed, SimulatorSettings(rate_scale=1000, report_delay_seconds=1.0)
    ) as simulator:
        sellers = _sellers_file(killed, simulator.base_url, tmp_path / "sellers.toml")
        command = [
            CLARIO,
            "sync",
            "--sellers-file",
            str(sellers),
            "--data-dir",
            str(tmp_path / "data"),
            "--since",
            WORLD.start.isoformat(),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # `clario sync` runs the Prefect flow: its local API starts first (seconds, more on a
        # busy machine)
        deadline = time.monotonic() + 240
        # wait until the first loads have happened, then kill without warning
        while (
            not list((tmp_path / "data" / "pipelines").glob("*/load/loaded/*"))
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        time.sleep(0.5)
        assert process.poll() is None, "the sync finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        try:
            rerun = subprocess.run(
                command, capture_output=True, text=True, timeout=300, check=False
            )
        except subprocess.TimeoutExpired as slow:  # what it did, in full, not pytest's excerpt
            pytest.fail(f"the rerun ran over 300 s; its output:\n{slow.stdout!r}\n{slow.stderr!r}")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for account in world.sellers:
        clean = duckdb_warehouse(synced, account).snapshot()
        rerun_tables = duckdb_warehouse(tmp_path / "data", account)
        try:
            assert_same_tables(rerun_tables.snapshot(), clean)
        except AssertionError as different:
            # seen once in CI before half-done loads were undone (extract/pipeline.py,
            # abort_partly_loaded): orders of the newest slice twice. If rows are ever
            # doubled again, which loads wrote them is what to look at first.
            twice = rerun_tables.rows(
                "select order_id, list(_dlt_load_id order by _dlt_load_id)"
                " from {s}.orders group by order_id having count(*) > 1 order by order_id"
            )
            loads = rerun_tables.rows(
                f'select load_id, schema_name, status, inserted_at from "{raw_dataset()}"'
                "._dlt_loads order by load_id"
            )
            raise AssertionError(f"{different}\norders twice: {twice}\nloads: {loads}") from None


def _die_in_the_window(simulator: RunningSimulator, data_dir: Path, *window: str) -> None:
    """A sync into `data_dir` that dies at `window` (tests/extract/crash_after_commit.py)."""
    died = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.extract.crash_after_commit",
            simulator.base_url,
            str(data_dir),
            *window,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert died.returncode == 9, died.stdout + died.stderr


def test_a_sync_dead_just_after_a_load_committed_reruns_to_the_same_tables(
    world: World, simulator: RunningSimulator, synced: Path, tmp_path: Path
) -> None:
    """The narrowest window of a kill: the warehouse committed a load job's rows, dlt had not
    recorded it. dlt would run that job again on resume, putting its rows into staging twice,
    and its merge then inserted each order of the slice twice. The rerun undoes the half-done
    load and reads its data again instead (extract/pipeline.py, abort_partly_loaded)."""
    data_dir = tmp_path / "data"
    # the second orders load: the warehouse already holds orders the merge could double
    _die_in_the_window(simulator, data_dir, "orders", "2")
    half_done = list((data_dir / "pipelines").glob("*/load/normalized/*/started_jobs/orders.*"))
    assert half_done, "the crash left no half-done load to resume"
    runs = sync(world, simulator.base_url, data_dir)
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
    # nothing lost, but the audit trail says the run read a load again
    assert any("was undone and read again" in (r.summary()["notes"] or "") for r in runs), [
        r.summary() for r in runs
    ]
    for account in world.sellers:
        assert_same_tables(
            duckdb_warehouse(data_dir, account).snapshot(),
            duckdb_warehouse(synced, account).snapshot(),
        )


def test_a_sync_dead_inside_normalizes_commit_reruns_to_the_same_tables(
    world: World, simulator: RunningSimulator, synced: Path, tmp_path: Path
) -> None:
    """dlt commits a normalized package in two steps: move it to the load storage, delete
    its extracted copy. A kill between them left both, and every later normalize of that
    seller failed ("Directory not empty") until someone cleaned up by hand (seen in CI)."""
    data_dir = tmp_path / "data"
    _die_in_the_window(simulator, data_dir, "@normalize", "3")
    runs = sync(world, simulator.base_url, data_dir)
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
    for account in world.sellers:
        assert_same_tables(
            duckdb_warehouse(data_dir, account).snapshot(),
            duckdb_warehouse(synced, account).snapshot(),
        )


@pytest.mark.postgres
def test_a_sync_into_postgres_dead_just_after_a_load_committed_reruns_to_the_truth(
    world: World,
    simulator: RunningSimulator,
    pg_dsn: str,
    pg_datasets: tuple[str, str],
    tmp_path: Path,
) -> None:
    """The same window on PostgreSQL, whose loads go through a staging dataset too."""
    data_dir = tmp_path / "data"
    # the raw and audit datasets are this test's own (pg_datasets, in os.environ)
    _die_in_the_window(simulator, data_dir, "orders", "2", pg_dsn)
    runs = sync(world, simulator.base_url, data_dir, "postgres", pg_dsn)
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
    assert any("was undone and read again" in (r.summary()["notes"] or "") for r in runs)
    everyone = Warehouse(raw_dataset(), pg_dsn=pg_dsn)
    assert set(nested_rows_not_matching_their_root(everyone).values()) == {0}
    for account in world.sellers:
        w = Warehouse(raw_dataset(), pg_dsn=pg_dsn, seller_id=account.seller_id)
        assert w.scalar("select count(*) - count(distinct order_id) from {s}.orders") == 0
        assert_matches_truth(w, seller_truth(world, account))


@pytest.fixture
def pg_world(pg_datasets: tuple[str, str]) -> World:
    """A small world; its raw and audit datasets are this test's own (pg_datasets)."""
    return World(WorldConfig(seed=31, sellers=2, history_days=20, orders_per_day=6, now=NOW))


@pytest.mark.postgres
def test_two_sellers_in_parallel_into_postgres_keep_to_their_own_rows(
    pg_world: World, pg_dsn: str, tmp_path: Path
) -> None:
    with RunningSimulator(pg_world, FAST) as simulator:
        settings = TEST_SYNC.model_copy(update={"since": pg_world.config.start})
        runs = sync(pg_world, simulator.base_url, tmp_path, "postgres", pg_dsn, settings=settings)
    assert {r.status for r in runs} == {"ok"}
    everyone = Warehouse(raw_dataset(), pg_dsn=pg_dsn)
    assert set(nested_rows_not_matching_their_root(everyone).values()) == {0}
    for account in pg_world.sellers:
        w = Warehouse(raw_dataset(), pg_dsn=pg_dsn, seller_id=account.seller_id)
        assert_matches_truth(w, seller_truth(pg_world, account))
        # what the incremental marts find new rows by (extract/raw_indexes.py)
        indexed = w.rows(
            f"select tablename, indexdef from pg_indexes where schemaname = '{w.schema}'"
        )
        by_table = {(t, d.rsplit("(", 1)[1].strip('")')) for t, d in indexed}
        assert ("orders", "_dlt_load_id") in by_table
        assert ("orders__order_items", "_dlt_parent_id") in by_table
        assert ("orders__order_items", "_dlt_root_load_id") in by_table
        assert ("shipment_events__shipment_item_list", "_dlt_parent_id") in by_table
        keys = {columns for table, columns in by_table if table == "fba_shipments"}
        assert {"seller_id", "shipment_id", "shipment_item_id"} in [
            set(key.replace('"', "").split(", ")) for key in keys
        ]


@pytest.mark.postgres
def test_a_seller_synced_by_another_worker_goes_on_from_the_warehouses_cursors(
    pg_world: World, pg_dsn: str, tmp_path: Path
) -> None:
    """Workers of a work pool on other machines have data directories of their own, and a
    shard goes to whichever worker is free. A seller's cursors are in the warehouse (its
    pipeline's state, loaded with each load): a worker that has not synced it starts from
    there, as the worker that last did would, not from the start of history."""
    settings = TEST_SYNC.model_copy(update={"since": pg_world.config.start})

    def asked(data_dir: Path) -> list[tuple[str, str]]:
        requests.delete(simulator.base_url + "/_simulator/requests", timeout=5)
        runs = sync(pg_world, simulator.base_url, data_dir, "postgres", pg_dsn, settings=settings)
        assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
        log = requests.get(simulator.base_url + "/_simulator/requests", timeout=5).json()
        return sorted(
            (r["body"]["reportType"], r["body"]["dataStartTime"])
            for r in log
            if r["operation_id"] == "createReport"
        )

    with RunningSimulator(pg_world, FAST) as simulator:
        everything = asked(tmp_path / "a")
        same_worker = asked(tmp_path / "a")
        other_worker = asked(tmp_path / "b")
    assert len(same_worker) < len(everything)
    assert other_worker == same_worker
    for account in pg_world.sellers:
        w = Warehouse(raw_dataset(), pg_dsn=pg_dsn, seller_id=account.seller_id)
        assert_matches_truth(w, seller_truth(pg_world, account))


@pytest.mark.postgres
def test_a_sync_into_postgres_killed_mid_load_then_rerun_matches_the_truth(
    pg_world: World, pg_dsn: str, tmp_path: Path
) -> None:
    """kill -9 in the middle of the loads into PostgreSQL: the rerun, with nothing
    repaired, completes, and every seller's raw tables equal its truth (no nested row
    without its root, the run lock released with the dead process's connection)."""
    with RunningSimulator(
        pg_world, SimulatorSettings(rate_scale=1000, report_delay_seconds=1.0)
    ) as simulator:
        sellers = _sellers_file(pg_world, simulator.base_url, tmp_path / "sellers.toml")
        data = tmp_path / "data"
        command = [
            CLARIO,
            "sync",
            "--destination",
            "postgres",
            "--sellers-file",
            str(sellers),
            "--data-dir",
            str(data),
            "--since",
            pg_world.config.start.isoformat(),
        ]
        # the raw and audit datasets are this test's own (pg_datasets, in os.environ)
        env = {**os.environ, "CLARIO_PG_DSN": pg_dsn}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 240
        while not list(data.glob("pipelines/*/load/loaded/*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert process.poll() is None, "the sync finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        rerun = subprocess.run(
            [*command, "--lock-wait", "60"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    everyone = Warehouse(raw_dataset(), pg_dsn=pg_dsn)
    assert set(nested_rows_not_matching_their_root(everyone).values()) == {0}
    for account in pg_world.sellers:
        w = Warehouse(raw_dataset(), pg_dsn=pg_dsn, seller_id=account.seller_id)
        assert_matches_truth(w, seller_truth(pg_world, account))


def test_malformed_report_rows_are_kept_counted_and_reported(tmp_path: Path) -> None:
    """Rows that cannot be parsed are kept raw in `rejected_rows` and counted; a row with a
    value Amazon does not document is loaded as sent, with a warning. Neither is `ok`.
    A settlement report's row with an unknown transaction type has no event to go to: it
    is rejected and warned about (extract/amazon/settlements.py)."""
    world = World(WORLD)
    settings = SimulatorSettings(
        rate_scale=1000, report_delay_seconds=0.2, faults=FaultConfig(malformed_row_rate=0.1)
    )
    with RunningSimulator(world, settings) as simulator:
        runs = sync(world, simulator.base_url, tmp_path)
        polled = requests.get(
            simulator.base_url + "/_simulator/requests?operation=getReport", timeout=5
        ).json()
        requested = {entry["path"].rsplit("/", 1)[1] for entry in polled}
        # settlement reports are listed, not polled: the run records those it read
        settled = {
            report["report_id"]
            for run in runs
            for report in run.reports
            if report["report_type"] == SETTLEMENT_V2
        }
        assert settled

        def damage(report_ids: set[str]) -> list[dict[str, Any]]:
            answers = [
                requests.get(
                    f"{simulator.base_url}/_simulator/reports/{report_id}/malformed", timeout=5
                )
                for report_id in report_ids
            ]
            # reports cancelled for want of data have no document, so nothing to damage
            return [
                row
                for answer in answers
                if answer.status_code == 200
                for row in answer.json()["rows"]
            ]

        damaged, damaged_settlements = damage(requested), damage(settled)
    unparseable = [row for row in damaged if row["kind"] != "unknown_enum"]
    unknown = [row for row in damaged if row["kind"] == "unknown_enum"]
    unmapped = [row for row in damaged_settlements if row["kind"] == "unknown_enum"]
    assert unparseable and unknown and unmapped
    assert sum(r.rejected for r in runs) == len(unparseable) + len(damaged_settlements)
    assert sum(r.warnings for r in runs) == len(unknown) + len(unmapped)
    rejected = sum(duckdb_warehouse(tmp_path, a).count("rejected_rows") for a in world.sellers)
    assert rejected == len(unparseable) + len(damaged_settlements)
    reasons = {
        row[0].split(" ")[0]
        for a in world.sellers
        for row in duckdb_warehouse(tmp_path, a).rows("select reason from {s}.rejected_rows")
    }
    assert "unknown" not in reasons and reasons >= {"expected"}, reasons
    # the unknown values passed through, in the rows they came with
    passed = sum(
        duckdb_warehouse(tmp_path, a).count(table, f"\"{column}\" = 'SIMULATOR_UNKNOWN_VALUE'")
        for a in world.sellers
        for table, column in (
            ("customer_returns", "detailed_disposition"),
            ("fba_shipments", "fulfillment_channel"),
            ("reimbursements", "reason"),
        )
    )
    assert passed > 0
    statuses = {r.status for r in runs if r.rejected}
    assert statuses == {"partial"}, "rows rejected: not ok"
    noted = [r.summary()["notes"] or "" for r in runs if r.warnings]
    assert all("SIMULATOR_UNKNOWN_VALUE" in note for note in noted)


def test_a_data_set_mostly_rejected_ends_failed_with_the_reason(tmp_path: Path) -> None:
    world = World(WORLD)
    settings = SimulatorSettings(
        rate_scale=1000, report_delay_seconds=0.2, faults=FaultConfig(malformed_row_rate=0.9)
    )
    with RunningSimulator(world, settings) as simulator:
        runs = sync(world, simulator.base_url, tmp_path, data_sets=["fba_shipments"])
    assert {r.status for r in runs} == {"failed"}
    assert all("rows rejected (over 50%)" in (r.summary()["error"] or "") for r in runs)


def test_a_report_not_ready_at_the_end_of_a_run_is_collected_by_the_next(tmp_path: Path) -> None:
    world = World(WORLD)
    with RunningSimulator(
        world, SimulatorSettings(rate_scale=1000, report_delay_seconds=4)
    ) as simulator:
        impatient = TEST_SYNC.model_copy(update={"report_wait_seconds": 0.5})
        first = sync(
            world, simulator.base_url, tmp_path, settings=impatient, data_sets=["fba_shipments"]
        )
        assert {r.status for r in first} == {"incomplete"}
        time.sleep(4.5)
        second = sync(
            world, simulator.base_url, tmp_path, settings=impatient, data_sets=["fba_shipments"]
        )
        assert {r.status for r in second} == {"ok"}
        creates = requests.get(
            simulator.base_url + "/_simulator/requests?operation=createReport", timeout=5
        ).json()
    # two 30-day slices per seller, asked for once each
    assert len(creates) == 2 * len(world.sellers)
    for account in world.sellers:
        shipped = seller_truth(world, account)["shipments"]["outbound"]["shipped"]
        w = duckdb_warehouse(tmp_path, account)
        assert w.scalar("select count(distinct shipment_id) from {s}.fba_shipments") == shipped


def test_a_sandbox_seller_syncs_without_error_and_every_row_is_flagged(tmp_path: Path) -> None:
    world = World(WORLD)
    with RunningSimulator(world, SimulatorSettings(sandbox=True)) as simulator:
        sellers = [seller_config(world.sellers[0], simulator.base_url, sandbox=True)]
        from extract.pipeline import sync_sellers

        runs = sync_sellers(
            sellers, "duckdb", tmp_path, settings=TEST_SYNC, client_options={"timeout": 5}
        )
    assert [r.status for r in runs] == ["ok"] * len(DATA_SETS), [r.summary() for r in runs]
    w = duckdb_warehouse(tmp_path, world.sellers[0])
    for table in w.tables():
        if table.startswith("_dlt") or "__" in table:
            continue
        assert w.count(table, "is_sandbox is not true") == 0, table
