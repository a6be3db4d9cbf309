"""Settlement history from settlement reports equals settlement history from the Finances API.

One world, one simulator over HTTP, two DuckDB warehouses: one synced with settlement
reports (the default), one with `settlement_reports=False` (every group paged through
listFinancialEventsByGroupId). Both are built with dbt and every mart compared row for row,
at two moments: a first sync, and a later one after the open period has closed, so a
group read from the API while open is read again from its report (its rows must replace
themselves, even when their ids differ: the test gives the open group's rows other ids).
The world has two marketplaces (their periods share start and end:
a report is matched to its group by currency and total too) and 120 days of history
(reports are listed for 90 days: older closed groups still come from the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from extract.amazon.settings import SETTLEMENT_V2
from extract.layout import raw_dataset
from extract.sync_settings import SyncSettings
from simulator.config import WorldConfig
from simulator.entities import SettlementGroup
from simulator.routes.reports import RETENTION, SETTLEMENT_REPORT_DELAY
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, TEST_SYNC, sync
from tests.transform.conftest import duckdb_query, duckdb_runner, snapshot
from tests.transform.marts_check import mart_figures, truth_figures

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 28, tzinfo=UTC)
# The period 2026-11-16 .. 11-30 is open at NOW; at LATER it is closed and its report
# exists (written an hour after the period ends).
LATER = datetime(2026, 11, 30, 6, tzinfo=UTC)
CONFIG = WorldConfig(
    seed=13, sellers=1, marketplaces=2, history_days=120, orders_per_day=3, now=NOW
)
FROM_REPORTS = TEST_SYNC.model_copy(update={"since": CONFIG.start})
FROM_EVENTS = FROM_REPORTS.model_copy(update={"settlement_reports": False})
LINEAGE = ("source_report", "synced_at", "_dlt_load_id")
# the marts that read the financial event tables (only the finances data set is synced)
FINANCE_MARTS = ("settlements", "settlement_fees", "settlement_periods", "returns", "claims")
# the figures of marts_check that only the finances data set feeds (`periods` is left out:
# every group carries the seller's primary marketplace, whichever source it came from)
SETTLEMENT_FIGURES = (
    "settlement_lines",
    "settlement_lines_by_type",
    "fees_by_type",
    "closed_periods_reconciled",
    "refunds",
    "refunds_amount",
)


@dataclass
class Moment:
    """Both warehouses and what the synced-from-reports one asked for, at one clock."""

    from_reports: dict[str, list[tuple[str, ...]]]
    from_events: dict[str, list[tuple[str, ...]]]
    paged_from_reports: set[str]
    paged_from_events: set[str]
    report_calls: dict[str, int]
    groups: list[SettlementGroup]
    now: datetime
    figures: dict[str, Any]
    truth: dict[str, Any]
    raw_sources: set[tuple[str, str]]


def _has_report(group: SettlementGroup, now: datetime) -> bool:
    """Whether getReports lists the group's settlement report at `now`."""
    created = group.end + SETTLEMENT_REPORT_DELAY
    return group.closed and now - RETENTION <= created <= now


def _synced(
    world: World, simulator: RunningSimulator, data_dir: Path, settings: SyncSettings
) -> list[dict[str, Any]]:
    """Sync the finances data set; the simulator's log of what it asked for."""
    requests.delete(simulator.base_url + "/_simulator/requests", timeout=5)
    runs = sync(world, simulator.base_url, data_dir, settings=settings, data_sets=["finances"])
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
    log: list[dict[str, Any]] = requests.get(
        simulator.base_url + "/_simulator/requests", timeout=5
    ).json()
    return log


def _paged(log: list[dict[str, Any]]) -> set[str]:
    return {
        entry["path"].split("/")[4]
        for entry in log
        if entry["operation_id"] == "listFinancialEventsByGroupId"
    }


def _raw_sources(data_dir: Path) -> set[tuple[str, str]]:
    """(group, source) of every event row: `listFinancialEventsByGroupId` or the report type."""
    raw = raw_dataset()
    with duckdb.connect(str(data_dir / "clario.duckdb"), read_only=True) as connection:
        return {
            (group, source.split(":")[0])
            for table in ("shipment_events", "refund_events", "service_fee_events")
            for group, source in connection.execute(
                f"select distinct financial_event_group_id, source_report from {raw}.{table}"
            ).fetchall()
        }


def _build(world: World, data_dir: Path) -> dict[str, list[tuple[str, ...]]]:
    seller_ids = [a.seller_id for a in world.sellers]
    dbt_vars = {"claims_as_of": world.horizon.date().isoformat()}
    duckdb_runner(data_dir)("build", sellers=seller_ids, dbt_vars=dbt_vars)
    query = duckdb_query(data_dir / "clario.duckdb")
    return snapshot(query, "main", without=LINEAGE, marts=FINANCE_MARTS)


def _give_open_groups_other_ids(world: World, data_dir: Path) -> None:
    """Give the open groups' events, raw and in the marts, ids their reports will not repeat.

    Ids are made from what the Finances API and the report both state, and can still
    differ: an adjustment of several items is one API event but a report row per item.
    The group's report must replace its API rows whatever their ids, never add to them.
    """
    open_groups = [g.group_id for g in world.settlement_groups(world.sellers[0]) if not g.closed]
    assert open_groups
    listed = ", ".join(f"'{group}'" for group in open_groups)
    raw = raw_dataset()
    with duckdb.connect(str(data_dir / "clario.duckdb")) as connection:
        for table in ("shipment_events", "refund_events", "service_fee_events"):
            connection.execute(
                f"update {raw}.{table} set event_id = event_id || '-api'"
                f" where financial_event_group_id in ({listed})"
            )
        for mart in ("settlements", "settlement_fees"):
            connection.execute(
                f"update main.{mart} set settlement_line_id = settlement_line_id || '-api'"
                f" where settlement_id in ({listed})"
            )


def _figures(world: World, data_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    account = world.sellers[0]
    marts = mart_figures(duckdb_query(data_dir / "clario.duckdb"), "main", account.seller_id, "?")
    truth = truth_figures(seller_truth(world, account))
    return (
        {key: marts[key] for key in SETTLEMENT_FIGURES},
        {key: truth[key] for key in SETTLEMENT_FIGURES},
    )


@pytest.fixture(scope="module")
def moments(tmp_path_factory: pytest.TempPathFactory) -> list[Moment]:
    """The two warehouses at NOW, and again at LATER (synced and built incrementally)."""
    world = World(CONFIG)
    reports_dir = tmp_path_factory.mktemp("from_reports")
    events_dir = tmp_path_factory.mktemp("from_events")
    taken: list[Moment] = []
    with RunningSimulator(world, FAST) as simulator:
        for now in (NOW, LATER):
            clock = {"now": now.isoformat()}
            requests.post(simulator.base_url + "/_simulator/clock", json=clock, timeout=5)
            reports_log = _synced(world, simulator, reports_dir, FROM_REPORTS)
            events_log = _synced(world, simulator, events_dir, FROM_EVENTS)
            from_reports, from_events = _build(world, reports_dir), _build(world, events_dir)
            figures, truth = _figures(world, reports_dir)
            if now == NOW:
                _give_open_groups_other_ids(world, reports_dir)
            taken.append(
                Moment(
                    from_reports=from_reports,
                    from_events=from_events,
                    paged_from_reports=_paged(reports_log),
                    paged_from_events=_paged(events_log),
                    report_calls={
                        operation: sum(1 for e in reports_log if e["operation_id"] == operation)
                        for operation in ("getReports", "getReportDocument", "createReport")
                    },
                    groups=world.settlement_groups(world.sellers[0]),
                    now=now,
                    figures=figures,
                    truth=truth,
                    raw_sources=_raw_sources(reports_dir),
                )
            )
    return taken


def _sources(moment: Moment) -> dict[str, set[str]]:
    by_group: dict[str, set[str]] = {}
    for group, source in moment.raw_sources:
        by_group.setdefault(group, set()).add(source)
    return by_group


def test_every_mart_is_the_same_from_reports_and_from_events(moments: list[Moment]) -> None:
    for moment in moments:
        assert moment.from_reports["settlements"], "there are settlement lines to compare"
        for mart in FINANCE_MARTS:
            assert moment.from_reports[mart] == moment.from_events[mart], (moment.now, mart)


def test_the_marts_hold_the_ground_truth(moments: list[Moment]) -> None:
    for moment in moments:
        assert moment.figures == moment.truth, moment.now


def test_closed_groups_with_a_report_are_read_from_it_the_others_from_the_api(
    moments: list[Moment],
) -> None:
    first = moments[0]
    reported = {g.group_id for g in first.groups if _has_report(g, first.now)}
    unreported = {g.group_id for g in first.groups if not _has_report(g, first.now)}
    # both marketplaces' reports matched (their periods share start and end), and closed
    # groups older than the reports Amazon lists came from the API
    assert {g.currency for g in first.groups if g.group_id in reported} == {"USD", "CAD"}
    assert {g.closed for g in first.groups if g.group_id in unreported} == {True, False}
    assert first.paged_from_reports == unreported
    assert first.paged_from_events == {g.group_id for g in first.groups}
    assert first.report_calls == {
        "getReports": 1,
        "getReportDocument": len(reported),
        "createReport": 0,
    }
    sources = _sources(first)
    assert all(sources[group] == {SETTLEMENT_V2} for group in reported)
    assert all(sources[group] == {"listFinancialEventsByGroupId"} for group in unreported)


def test_a_group_read_while_open_is_replaced_by_its_report_once_closed(
    moments: list[Moment],
) -> None:
    first, later = moments
    was_open = {g.group_id for g in first.groups if not g.closed}
    now_open = {g.group_id for g in later.groups if not g.closed}
    assert was_open and not was_open & now_open
    assert all(_has_report(g, later.now) for g in later.groups if g.group_id in was_open)
    # only the new open groups are paged; the closed ones are read from their reports
    assert later.paged_from_reports == now_open
    assert later.paged_from_events == was_open | now_open
    assert later.report_calls["getReportDocument"] == len(was_open)
    # the rows the API gave while the group was open were replaced, not added to
    sources = _sources(later)
    assert all(sources[group] == {SETTLEMENT_V2} for group in was_open)
