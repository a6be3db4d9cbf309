"""A first sync loads its settlement periods a few at a time, each load with its cursor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from extract.amazon.helpers import groups_for_this_load
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, TEST_SYNC, WORLD, duckdb_warehouse, sync
from tests.extract.truth_check import raw_figures, truth_figures

FINANCE_FIGURES = (
    "groups",
    "order_lines",
    "refund_lines",
    "service_fee_lines",
    "adjustment_lines",
    "group_totals",
)
EVENTS = "listFinancialEventsByGroupId"


def _group(group_id: str, start: str) -> dict[str, Any]:
    return {"FinancialEventGroupId": group_id, "FinancialEventGroupStart": start}


def ids(groups: list[dict[str, Any]]) -> list[str]:
    return [g["FinancialEventGroupId"] for g in groups]


def test_a_load_takes_the_oldest_unread_groups_and_never_one_past_them() -> None:
    listed = [  # as Amazon may list them: not in start order
        _group("g4", "2026-02-12T00:00:00Z"),
        _group("g1", "2026-01-01T00:00:00Z"),
        _group("g3", "2026-01-29T00:00:00Z"),
        _group("g2", "2026-01-15T00:00:00Z"),
    ]

    groups, left = groups_for_this_load(listed, set(), 2)
    assert (ids(groups), left) == (["g1", "g2"], True)
    # read before: given again (their totals change), and not counted against the batch
    groups, left = groups_for_this_load(listed, {"g1", "g2"}, 2)
    assert (ids(groups), left) == (["g1", "g2", "g3", "g4"], False)
    # a group read before but newer than one left out waits too: the cursor (the newest
    # start given) must not pass the group left out
    groups, left = groups_for_this_load(listed, {"g1", "g4"}, 1)
    assert (ids(groups), left) == (["g1", "g2"], True)
    assert groups_for_this_load([], set(), 1) == ([], False)


def test_a_first_sync_loads_its_periods_in_batches_and_lands_exactly(tmp_path: Path) -> None:
    config = WORLD.model_copy(update={"sellers": 1, "history_days": 75, "orders_per_day": 4})
    world = World(config)
    settings = TEST_SYNC.model_copy(update={"since": config.start, "settlement_groups_per_load": 2})
    data_dir = tmp_path / "data"
    with RunningSimulator(world, FAST) as simulator:
        # orders beside finances: the events are paged ahead meanwhile, as in a first sync
        runs = sync(
            world, simulator.base_url, data_dir, settings=settings, data_sets=["orders", "finances"]
        )
        assert [r.status for r in runs] == ["ok", "ok"], [r.summary() for r in runs]
        log = requests.get(simulator.base_url + "/_simulator/requests", timeout=30).json()
        [account] = world.sellers
        warehouse = duckdb_warehouse(data_dir, account)
        raw, truth = raw_figures(warehouse), truth_figures(seller_truth(world, account))
        assert {k: raw[k] for k in FINANCE_FIGURES} == {k: truth[k] for k in FINANCE_FIGURES}
        groups = raw["groups"]
        assert groups >= 4, "the world is too short to need several loads"
        # each period's events came with their own load: two periods at most per load
        loads = warehouse.scalar("select count(distinct _dlt_load_id) from {s}.shipment_events")
        assert loads >= (groups + 1) // 2
        # and no period was paged twice, however many loads listed it
        pages = [(r["path"], str(r["query"])) for r in log if r["operation_id"] == EVENTS]
        assert len(pages) == len(set(pages))

        # a later run reads the open period again, in one load, and nothing else
        before = len(log)
        runs = sync(world, simulator.base_url, data_dir, settings=settings, data_sets=["finances"])
        assert [r.status for r in runs] == ["ok"], [r.summary() for r in runs]
        later = requests.get(simulator.base_url + "/_simulator/requests", timeout=30).json()
        listed = [r for r in later[before:] if r["operation_id"] == "listFinancialEventGroups"]
        assert len(listed) == 1
        assert raw_figures(duckdb_warehouse(data_dir, account)) == raw
