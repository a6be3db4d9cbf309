"""A first sync pages settlement events ahead, while the seller's other data sets sync."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extract.amazon.prefetch import Spool
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, TEST_SYNC, WORLD, duckdb_warehouse, sync
from tests.extract.truth_check import assert_matches_truth

EVENTS = "listFinancialEventsByGroupId"


def test_settlement_events_are_paged_while_orders_sync_and_land_exactly(tmp_path: Path) -> None:
    world = World(WORLD.model_copy(update={"sellers": 1}))
    # every period through the Finances API, none from settlement reports
    settings = TEST_SYNC.model_copy(update={"settlement_reports": False})
    data_dir = tmp_path / "data"
    with RunningSimulator(world, FAST) as simulator:
        runs = sync(world, simulator.base_url, data_dir, settings=settings)
        log = requests.get(simulator.base_url + "/_simulator/requests", timeout=30).json()
        assert all(run.status == "ok" for run in runs), [run.summary() for run in runs]
        for account in world.sellers:
            truth = seller_truth(world, account)
            assert_matches_truth(duckdb_warehouse(data_dir, account), truth)

            mine = [r for r in log if r["seller_id"] == account.seller_id]
            first_events = min(r["time"] for r in mine if r["operation_id"] == EVENTS)
            last_orders = max(r["time"] for r in mine if r["operation_id"] == "searchOrders")
            # finances is the sixth data set, orders the first: paged ahead, they overlap
            assert first_events < last_orders
            # and each page was asked for once, not again by the finances data set
            pages = [(r["path"], str(r["query"])) for r in mine if r["operation_id"] == EVENTS]
            assert len(pages) == len(set(pages))
        assert not any((data_dir / "read_ahead").glob("*/*"))  # spools removed at the end

        # a later run has state for finances: it reads a few pages, nothing ahead
        before = len(log)
        sync(world, simulator.base_url, data_dir, settings=settings)
        later = requests.get(simulator.base_url + "/_simulator/requests", timeout=30).json()
        listed = [r for r in later[before:] if r["operation_id"] == "listFinancialEventGroups"]
        assert len(listed) == len(world.sellers)  # once per seller: by the data set alone


def _pages(count: int, fail: bool) -> Iterator[dict[str, Any]]:
    for number in range(count):
        yield {"page": number}
    if fail:
        raise RuntimeError("HTTP 503 after the retries")


@pytest.mark.parametrize("fail", [False, True])
def test_a_spool_reads_back_every_page_in_order_then_the_writers_error(
    tmp_path: Path, fail: bool
) -> None:
    spool = Spool(tmp_path / "group.pages")
    writer = threading.Thread(target=_write_quietly, args=(spool, _pages(50, fail)))
    writer.start()
    assert spool.wait_started()
    read: list[dict[str, Any]] = []
    if fail:
        with pytest.raises(RuntimeError, match="503"):
            read.extend(spool)
    else:
        read.extend(spool)
    writer.join()
    assert read == [{"page": n} for n in range(50)]


def test_an_abandoned_spool_says_so_instead_of_waiting(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "group.pages")
    threading.Timer(0.05, spool.abandon).start()
    assert spool.wait_started() is False


def _write_quietly(spool: Spool, pages: Iterator[Any]) -> None:
    with contextlib.suppress(RuntimeError):  # the reader gets it
        spool.write_all(pages, threading.Event())
