"""The `sync` flow end to end: simulator over loopback, real DuckDB, Prefect test harness."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import requests

from extract.layout import audit_dataset
from extract.run import DATA_SETS
from extract.sync_settings import SyncSettings
from flows.status_command import latest_runs
from flows.sync_flow import sync
from flows.transform import profile_environment
from simulator.config import FaultConfig, SimulatorSettings
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, TEST_CLIENT, WORLD, duckdb_warehouse
from tests.extract.test_sync_behaviours import _sellers_file
from tests.extract.truth_check import assert_matches_truth
from tests.extract.warehouse import Warehouse
from tests.transform.conftest import DbtRunner, postgres_query, snapshot
from tests.transform.marts_check import mart_figures, truth_figures

SETTINGS = SyncSettings(since=WORLD.start, report_poll_seconds=0.1)
# what a second sync of the same data moves forward: when, by which load and from which
# report (a re-read window comes in a new report) a row arrived
LINEAGE = ("synced_at", "_dlt_load_id", "source_report")


def _run(world: World, base_url: str, tmp_path: Path, **options: object) -> list[dict[str, object]]:
    sellers = _sellers_file(world, base_url, tmp_path / "sellers.toml")
    options.setdefault("build", False)
    result = sync(
        data_dir=tmp_path / "data",
        sellers_file=sellers,
        settings=SETTINGS,
        client_options=TEST_CLIENT,
        retries=1,
        retry_backoff_seconds=0.1,
        **options,  # type: ignore[arg-type]
    )
    return result


def test_the_flow_syncs_every_seller_and_records_each_data_set(tmp_path: Path) -> None:
    world = World(WORLD)
    with RunningSimulator(world, FAST) as simulator:
        summaries = _run(world, simulator.base_url, tmp_path)
    assert len(summaries) == 2 * len(DATA_SETS)
    assert {s["status"] for s in summaries} == {"ok"}
    for account in world.sellers:
        assert_matches_truth(
            duckdb_warehouse(tmp_path / "data", account), seller_truth(world, account)
        )
    audit = Warehouse(audit_dataset(), duckdb_path=tmp_path / "data" / "clario.duckdb")
    assert audit.count("sync_runs") == 2 * len(DATA_SETS)
    assert audit.rows("select distinct status from {s}.sync_runs") == [("ok",)]


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
    audit = Warehouse(audit_dataset(), duckdb_path=data / "clario.duckdb")
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


@pytest.fixture
def pg_flow_schemas(
    pg_dsn: str, pg_datasets: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The marts' schema (through the profile's CLARIO_PG_SCHEMA), dropped after; the raw
    and audit datasets are the test's own (pg_datasets)."""
    marts = f"clario_flow_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("CLARIO_PG_SCHEMA", marts)
    yield marts
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'drop schema if exists "{marts}" cascade')


@pytest.mark.postgres
def test_the_flow_into_postgres_builds_the_truth_and_a_second_run_changes_no_mart(
    tmp_path: Path,
    pg_dsn: str,
    pg_flow_schemas: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two full runs (extract, dbt build) through 5xx answers and expiring access tokens."""
    caplog.set_level(logging.DEBUG)
    world = World(WORLD)
    marts = pg_flow_schemas
    query = postgres_query(pg_dsn)
    faults = FaultConfig(rate_5xx=0.2, expire_tokens_after_requests=40)
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2, faults=faults)
    # the DSN reaches the flow only through the environment (no parameter stores it)
    monkeypatch.setenv("CLARIO_PG_DSN", pg_dsn)
    options = {"destination": "postgres", "build": True}
    with RunningSimulator(world, settings) as simulator:
        _run(world, simulator.base_url, tmp_path, **options)
        for account in world.sellers:
            figures = mart_figures(query, marts, account.seller_id, "%s")
            assert figures == truth_figures(seller_truth(world, account)), account.seller_id
        first = snapshot(query, marts, without=LINEAGE)
        types = dict(
            query(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = %s and table_name = 'orders'",
                [marts],
            )
        )
        assert (types["metadata"], types["total_amount"]) == ("jsonb", "numeric")
        indexes = query("select count(*) from pg_indexes where schemaname = %s", [marts])
        assert indexes[0][0] >= 4 * 7, "every mart carries its indexes"
        _run(world, simulator.base_url, tmp_path, **options)
    second = snapshot(query, marts, without=LINEAGE)
    for mart, rows in first.items():
        gone, new = set(rows) - set(second[mart]), set(second[mart]) - set(rows)
        assert second[mart] == rows, f"{mart}: gone {sorted(gone)[:3]}, new {sorted(new)[:3]}"
    assert query(f"select count(*) from {audit_dataset()}.sync_runs", []) == [
        (2 * 2 * len(DATA_SETS),)
    ]
    # `clario status` reads the sync_status view: one row per seller x data set, all fresh
    latest = latest_runs("postgres", tmp_path, pg_dsn)
    assert [(row[0], row[1], row[2], row[7]) for row in latest] == sorted(
        (a.seller_id, d, "ok", True) for a in world.sellers for d in DATA_SETS
    )
    # no secret in anything the two runs logged or printed, dbt's output included
    captured = capfd.readouterr()
    text = "\n".join([caplog.text, captured.out, captured.err])
    assert "dbt" in text and "sync summary" in text
    for account in world.sellers:
        assert account.refresh_token not in text
        assert account.client_secret not in text
    assert not re.search(r"Atza\|(?!\*\*\*)", text), "an access token was logged"
    # the build after a sync leaves the unit tests to CI: here, on Postgres
    environment = profile_environment("postgres", tmp_path, pg_dsn)
    unit_tests = DbtRunner("postgres", tmp_path / "dbt", environment)
    log = unit_tests(
        "test", "--select", "test_type:unit", sellers=[a.seller_id for a in world.sellers]
    )
    passed = re.search(r"PASS=(\d+) WARN=0 ERROR=0", log)
    assert passed and int(passed.group(1)) >= 10, log[-2000:]


@pytest.mark.parametrize("refusal", ["lwa", "spapi_403"])
def test_a_seller_with_refused_credentials_fails_at_once_and_delays_no_other(
    tmp_path: Path, refusal: str
) -> None:
    """LWA refusing a seller's credentials (400 invalid_client), or SP-API refusing the
    seller (403 Unauthorized: the authorization lost its role), is not retried (no retry
    can fix it): its data sets fail on the first attempt, without the back-off, and the
    other sellers sync as if it were not there."""
    world = World(WORLD)
    bad = world.sellers[0]
    faults = FaultConfig(unauthorized_sellers=[bad.seller_id] if refusal == "spapi_403" else [])
    with RunningSimulator(world, FAST.model_copy(update={"faults": faults})) as simulator:
        sellers = _sellers_file(world, simulator.base_url, tmp_path / "sellers.toml")
        if refusal == "lwa":
            sellers.write_text(sellers.read_text().replace(bad.client_secret, "not-the-secret"))
        message = "LWA refused" if refusal == "lwa" else "403"
        with pytest.raises(RuntimeError, match=message) as caught:
            sync(
                data_dir=tmp_path / "data",
                sellers_file=sellers,
                settings=SETTINGS,
                client_options=TEST_CLIENT,
                retries=2,
                retry_backoff_seconds=60,  # a retry would hold the test for minutes
                build=False,
            )
        refused = [
            r
            for r in requests.get(simulator.base_url + "/_simulator/requests", timeout=5).json()
            if r["status"] == 403
        ]
    summaries = caught.value.summaries  # type: ignore[attr-defined]
    failed = [s for s in summaries if s["seller_id"] == bad.seller_id]
    assert [s["status"] for s in failed] == ["failed"] * len(DATA_SETS)
    assert {s["retries"] for s in failed} == {0}
    assert sum(s["duration_seconds"] for s in failed) < 30, "one back-off alone takes 60 s"
    # the seller's first refusal ended it: nothing asked again. (Its finances read-ahead
    # thread, extract/amazon/prefetch.py, asks once in parallel and is refused too.)
    refused_operations = [r["operation_id"] for r in refused]
    assert len(refused_operations) == len(set(refused_operations)), refused
    expected = {"createReport", "listFinancialEventGroups"} if refusal == "spapi_403" else set()
    assert set(refused_operations) <= expected, refused
    assert len(refused) >= (1 if refusal == "spapi_403" else 0), refused
    others = [s for s in summaries if s["seller_id"] != bad.seller_id]
    assert others and {s["status"] for s in others} == {"ok"}
    assert_matches_truth(
        duckdb_warehouse(tmp_path / "data", world.sellers[1]), seller_truth(world, world.sellers[1])
    )
