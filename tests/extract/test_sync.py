"""Extraction end to end: simulator over loopback -> dlt -> a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import requests

from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import duckdb_warehouse, sync
from tests.extract.truth_check import assert_matches_truth
from tests.extract.warehouse import assert_same_tables


def test_a_sync_lands_exactly_the_ground_truth(world: World, synced: Path) -> None:
    for account in world.sellers:
        assert_matches_truth(duckdb_warehouse(synced, account), seller_truth(world, account))


def test_every_row_says_where_it_came_from(world: World, synced: Path) -> None:
    account = world.sellers[0]
    w = duckdb_warehouse(synced, account)
    for table in (
        "orders",
        "fba_shipments",
        "customer_returns",
        "reimbursements",
        "inbound_shipments",
        "inbound_shipment_items",
        "financial_event_groups",
        "shipment_events",
        "refund_events",
    ):
        rows = w.rows(f"select distinct seller_id, is_sandbox from {{s}}.{table}")
        assert rows == [(account.seller_id, False)], table
        assert w.count(table, "source_report is null or marketplace_id is null") == 0, table
    sources = {r[0].split(":")[0] for r in w.rows("select distinct source_report from {s}.orders")}
    # history older than 30 days came from the all-orders report, the rest from the API
    assert sources == {"GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "searchOrders"}


def test_a_second_run_changes_nothing_and_asks_only_for_the_new_window(
    world: World, simulator: RunningSimulator, synced: Path
) -> None:
    before = {a.seller_id: duckdb_warehouse(synced, a).snapshot() for a in world.sellers}
    requests.delete(simulator.base_url + "/_simulator/requests", timeout=5)
    runs = sync(world, simulator.base_url, synced)
    assert {r.status for r in runs} == {"ok"}
    after = {a.seller_id: duckdb_warehouse(synced, a).snapshot() for a in world.sellers}
    for seller_id, tables in after.items():
        assert_same_tables(tables, before[seller_id])
    log = requests.get(simulator.base_url + "/_simulator/requests", timeout=5).json()
    searches = [r for r in log if r["operation_id"] == "searchOrders"]
    assert searches, "the second run searched orders"
    for request in searches:
        # the cursor minus the two-hour overlap, not the start of history
        assert request["query"]["lastUpdatedAfter"][0] >= "2026-11-27T"
    creates = [r for r in log if r["operation_id"] == "createReport"]
    assert all(r["body"]["dataStartTime"] >= "2026-11-" for r in creates)
    group_reads = [r for r in log if r["operation_id"] == "listFinancialEventsByGroupId"]
    # closed groups were read once, in the first run: only the open group is read again
    assert {r["path"].split("/")[4] for r in group_reads} == {
        g.group_id for a in world.sellers for g in world.settlement_groups(a) if not g.closed
    }
