"""FBA inventory over HTTP: getInventorySummaries, the ledger reports, and the claims truth.

One small world with enough history (120 days) for refunds to be reimbursed 85 days after
the order; everything is checked against other APIs and reports of the same simulator.
"""

from __future__ import annotations

import gzip
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from simulator.config import SimulatorSettings, WorldConfig
from simulator.ledger_reports import DETAIL_COLUMNS, SUMMARY_REPORT_COLUMNS
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.simulator.spapi import Client

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CONFIG = WorldConfig(seed=7, sellers=1, history_days=120, orders_per_day=6, now=NOW)
SUMMARIES = "/fba/inventory/v1/summaries"
REPORTS = "/reports/2021-06-30"
US = "ATVPDKIKX0DER"


@pytest.fixture(scope="module")
def world() -> World:
    return World(CONFIG)


@pytest.fixture(scope="module")
def sim(world: World) -> Iterator[RunningSimulator]:
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.0)
    with RunningSimulator(world, settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(sim: RunningSimulator, world: World) -> Client:
    return Client(sim.base_url, world.sellers[0])


@pytest.fixture(scope="module")
def truth(world: World) -> dict[str, Any]:
    return seller_truth(world, world.sellers[0])


def _params(**extra: Any) -> dict[str, Any]:
    return {"granularityType": "Marketplace", "granularityId": US, "marketplaceIds": US} | extra


def _all_summaries(client: Client, **extra: Any) -> list[dict[str, Any]]:
    body = client.get(SUMMARIES, _params(**extra))
    found = list(body["payload"]["inventorySummaries"])
    while "pagination" in body:
        body = client.get(SUMMARIES, _params(nextToken=body["pagination"]["nextToken"], **extra))
        found.extend(body["payload"]["inventorySummaries"])
    return found


def _report(
    client: Client, report_type: str, start: datetime, end: datetime, **options: str
) -> list[dict[str, str]]:
    """Create a report, wait for it, download it: its rows as dicts, header checked apart."""
    spec: dict[str, Any] = {
        "reportType": report_type,
        "marketplaceIds": [US],
        "dataStartTime": start.isoformat(),
        "dataEndTime": end.isoformat(),
    }
    if options:
        spec["reportOptions"] = options
    created = client.call("POST", f"{REPORTS}/reports", json=spec)
    assert created.status_code == 202, created.text
    report_id = created.json()["reportId"]
    deadline = time.monotonic() + 30
    while True:
        report = client.get(f"{REPORTS}/reports/{report_id}")
        if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert report["processingStatus"] == "DONE", report
    url = client.get(f"{REPORTS}/documents/{report['reportDocumentId']}")["url"]
    text = gzip.decompress(requests.get(url, timeout=30).content).decode()
    lines = [line.split("\t") for line in text[:-1].split("\n")]
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]] + [
        {"__header__": "\t".join(lines[0])}
    ]


def _rows(rows: list[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
    return rows[-1]["__header__"], rows[:-1]


def test_summaries_validate_page_and_match_the_truth(
    client: Client, truth: dict[str, Any], monkeypatch: Any
) -> None:
    import simulator.routes.inventory as route

    monkeypatch.setattr(route, "SUMMARIES_PER_PAGE", 7)  # several pages from 40 SKUs
    found = _all_summaries(client, details="true")
    assert len(found) == len({s["sellerSku"] for s in found}) == truth["inventory"]["skus"]
    details = [s["inventoryDetails"] for s in found]
    assert sum(s["totalQuantity"] for s in found) == truth["inventory"]["total_quantity"]
    assert sum(d["fulfillableQuantity"] for d in details) == truth["inventory"]["fulfillable"]
    reserved = sum(d["reservedQuantity"]["totalReservedQuantity"] for d in details)
    assert reserved == truth["inventory"]["reserved"]
    unfulfillable = sum(d["unfulfillableQuantity"]["totalUnfulfillableQuantity"] for d in details)
    assert unfulfillable == truth["inventory"]["unfulfillable"]
    # Sellable stock in the ledger = fulfillable + units waiting for their customer shipment.
    sellable = sum(
        d["fulfillableQuantity"] + d["reservedQuantity"]["pendingCustomerOrderQuantity"]
        for d in details
    )
    assert sellable == truth["inventory"]["by_disposition"]["SELLABLE"]
    for summary in found:
        d = summary["inventoryDetails"]
        assert d["fulfillableQuantity"] >= 0
        assert summary["totalQuantity"] == (
            d["fulfillableQuantity"]
            + d["reservedQuantity"]["totalReservedQuantity"]
            + d["researchingQuantity"]["totalResearchingQuantity"]
            + d["unfulfillableQuantity"]["totalUnfulfillableQuantity"]
            + d["inboundWorkingQuantity"]
            + d["inboundShippedQuantity"]
            + d["inboundReceivingQuantity"]
        )
    # Without details, no inventoryDetails; a token must come with the same parameters.
    plain = client.get(SUMMARIES, _params())
    assert all("inventoryDetails" not in s for s in plain["payload"]["inventorySummaries"])
    token = plain["pagination"]["nextToken"]
    wrong = client.call("GET", SUMMARIES, _params(details="true", nextToken=token))
    assert wrong.status_code == 400
    # The model: "The string token will expire 30 seconds after being created."
    monkeypatch.setattr(route, "TOKEN_TTL_SECONDS", 0.0)
    stale = client.get(SUMMARIES, _params())["pagination"]["nextToken"]
    time.sleep(0.01)
    expired = client.call("GET", SUMMARIES, _params(nextToken=stale))
    assert expired.status_code == 400 and "expired" in expired.text


def test_summary_filters(client: Client, world: World) -> None:
    skus = [p.sku for p in world.catalog(world.sellers[0])][:3]
    by_list = client.get(SUMMARIES, _params(sellerSkus=",".join(skus)))
    assert [s["sellerSku"] for s in by_list["payload"]["inventorySummaries"]] == skus
    one = client.get(SUMMARIES, _params(sellerSku=skus[1]))
    assert [s["sellerSku"] for s in one["payload"]["inventorySummaries"]] == [skus[1]]
    since = world.horizon - timedelta(hours=12)
    changed = _all_summaries(client, startDateTime=since.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert changed and len(changed) < 40
    assert all(s["lastUpdatedTime"] >= since.strftime("%Y-%m-%dT%H:%M:%SZ") for s in changed)
    for bad in (
        {"granularityType": "Country"},
        {"marketplaceIds": f"{US},A2EUQ1WTGCTBG2"},
        {"granularityId": "A1AM78C64UM0Y8"},
        {"details": "yes"},
    ):
        assert client.call("GET", SUMMARIES, _params(**bad)).status_code == 400, bad


def test_rate_limit_is_2_per_second_burst_2(world: World) -> None:
    with RunningSimulator(world, SimulatorSettings(rate_scale=1)) as running:
        client = Client(running.base_url, world.sellers[0])
        answers = [client.call("GET", SUMMARIES, _params()) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert {a.headers["x-amzn-RateLimit-Limit"] for a in answers} == {"2"}
        time.sleep(0.55)  # one token back after half a second
        assert client.call("GET", SUMMARIES, _params()).status_code == 200


def test_ledger_detail_agrees_with_inbound_outbound_and_returns(
    client: Client, world: World, truth: dict[str, Any]
) -> None:
    start, end = world.config.start, world.now
    header, detail = _rows(_report(client, "GET_LEDGER_DETAIL_VIEW_DATA", start, end))
    assert header == "\t".join(DETAIL_COLUMNS)
    assert len(detail) == truth["inventory_ledger"]["rows"]
    by_type = Counter(r["Event Type"] for r in detail)
    assert dict(by_type) == {
        k: v["rows"] for k, v in truth["inventory_ledger"]["by_event_type"].items()
    }

    # Receipts per shipment x SKU = QuantityReceived of every CLOSED inbound shipment.
    receipts: Counter[tuple[str, str]] = Counter()
    for r in detail:
        if r["Event Type"] == "Receipts":
            receipts[(r["Reference ID"], r["MSKU"])] += int(r["Quantity"])
    body = client.get(
        "/fba/inbound/v0/shipments",
        {"MarketplaceId": US, "QueryType": "SHIPMENT", "ShipmentStatusList": "CLOSED"},
    )
    closed = [s["ShipmentId"] for s in body["payload"]["ShipmentData"]]
    assert closed
    for shipment_id in closed:
        items = client.get(f"/fba/inbound/v0/shipments/{shipment_id}/items", {"MarketplaceId": US})[
            "payload"
        ]["ItemData"]
        for item in items:
            assert receipts[(shipment_id, item["SellerSKU"])] == item["QuantityReceived"]

    # Shipments = the fulfilled shipments report (negative); returns = the returns report.
    shipped: Counter[tuple[str, str]] = Counter()
    returned: Counter[tuple[str, str]] = Counter()
    for r in detail:
        if r["Event Type"] == "Shipments":
            shipped[(r["Reference ID"], r["MSKU"])] -= int(r["Quantity"])
        if r["Event Type"] == "CustomerReturns":
            returned[(r["Reference ID"], r["MSKU"])] += int(r["Quantity"])
    outbound: Counter[tuple[str, str]] = Counter()
    returns: Counter[tuple[str, str]] = Counter()
    day = start
    while day < end:
        window_end = min(day + timedelta(days=30), end)
        _, rows = _rows(
            _report(client, "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL", day, window_end)
        )
        for row in rows:
            outbound[(row["shipment-id"], row["sku"])] += int(row["quantity-shipped"])
        _, rows = _rows(
            _report(client, "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", day, window_end)
        )
        for row in rows:
            returns[(row["order-id"], row["sku"])] += int(row["quantity"])
        day = window_end
    assert shipped == outbound
    assert returned == returns


def test_ledger_summary_balances_add_up_and_chain(
    client: Client, world: World, truth: dict[str, Any]
) -> None:
    start, end = world.config.start, world.now
    header, rows = _rows(_report(client, "GET_LEDGER_SUMMARY_VIEW_DATA", start, end))
    assert header == "\t".join(SUMMARY_REPORT_COLUMNS)
    events = [c for c in SUMMARY_REPORT_COLUMNS[8:18]]
    ending: dict[tuple[str, str], int] = {}
    per_day: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        per_day[row["Date"]].append(row)
        total = int(row["Starting Warehouse Balance"]) + sum(int(row[c]) for c in events)
        assert total == int(row["Ending Warehouse Balance"]), row
    days = sorted(per_day, key=lambda d: datetime.strptime(d, "%m/%d/%Y"))
    # Every whole day seen by the horizon: the clock's own last day ends 2 minutes after it.
    assert len(days) == world.config.history_days - 1
    for number, day in enumerate(days):
        for row in per_day[day]:
            key = (row["MSKU"], row["Disposition"])
            if number:  # each day starts where the day before ended (0 if it had no row)
                assert int(row["Starting Warehouse Balance"]) == ending.get(key, 0), row
            ending[key] = int(row["Ending Warehouse Balance"])
        assert min(int(r["Ending Warehouse Balance"]) for r in per_day[day]) >= 0
    last_day = datetime.strptime(days[-1], "%m/%d/%Y").date()
    assert last_day.isoformat() == truth["inventory_ledger"]["summary_last_day"]
    assert sorted(
        (r["MSKU"], r["Disposition"], int(r["Ending Warehouse Balance"]))
        for r in per_day[days[-1]]
        if int(r["Ending Warehouse Balance"])
    ) == sorted(
        (b["sku"], b["disposition"], b["quantity"])
        for b in truth["inventory_ledger"]["summary_ending_balances"]
    )
    # The detail's rows over the same days add up to the summary's event columns.
    _, detail = _rows(_report(client, "GET_LEDGER_DETAIL_VIEW_DATA", start, end))
    last = datetime.strptime(days[-1], "%m/%d/%Y").replace(tzinfo=UTC) + timedelta(days=1)
    whole_days = [r for r in detail if datetime.fromisoformat(r["Date and Time"]) < last]
    assert sum(int(r["Quantity"]) for r in whole_days) == sum(
        int(r[c]) for r in rows for c in events
    )
    # Monthly: the same totals, fewer rows; FC aggregation is refused.
    _, monthly = _rows(
        _report(
            client, "GET_LEDGER_SUMMARY_VIEW_DATA", start, end, aggregatedByTimePeriod="MONTHLY"
        )
    )
    assert len(monthly) < len(rows)
    assert any(int(r["In Transit Between Warehouses"]) > 0 for r in rows)
    assert sum(int(r["Receipts"]) for r in monthly) == sum(int(r["Receipts"]) for r in rows)
    refused = client.call(
        "POST",
        f"{REPORTS}/reports",
        json={
            "reportType": "GET_LEDGER_SUMMARY_VIEW_DATA",
            "marketplaceIds": [US],
            "reportOptions": {"aggregateByLocation": "FC"},
        },
    )
    assert refused.status_code == 400


def test_claims_agree_with_the_reimbursements_report(
    client: Client, world: World, truth: dict[str, Any]
) -> None:
    start, end = world.config.start, world.now
    paid: dict[str, dict[str, str]] = {}
    day = start
    while day < end:
        window_end = min(day + timedelta(days=90), end)
        _, rows = _rows(_report(client, "GET_FBA_REIMBURSEMENTS_DATA", day, window_end))
        paid.update({r["reimbursement-id"]: r for r in rows})
        day = window_end
    assert {r["reason"] for r in paid.values()} == {
        "Lost_Inbound",
        "Lost_Warehouse",
        "Damaged_Warehouse",
        "CustomerReturn",
    }
    claims = truth["claims"]
    reason_of = {
        "inbound_shortfall": "Lost_Inbound",
        "warehouse_lost": "Lost_Warehouse",
        "warehouse_damaged": "Damaged_Warehouse",
        "refund_without_return": "CustomerReturn",
    }
    statuses: Counter[str] = Counter()
    for claim in claims["candidates"]:
        statuses[claim["status"]] += 1
        for reimbursement_id in claim["reimbursement_ids"]:
            row = paid[reimbursement_id]
            assert row["reason"] == reason_of[claim["claim_type"]]
            assert row["sku"] == claim["sku"]
        if claim["claim_type"] == "refund_without_return":
            assert all(
                paid[r]["amazon-order-id"] == claim["reference"] for r in claim["reimbursement_ids"]
            )
        assert claim["units_owed"] == claim["units_affected"] - claim["units_reimbursed"]
        if claim["status"] == "reimbursed":
            assert claim["units_owed"] == 0 and claim["estimated_value_owed"] == "0.00"
    # Unreturned refunds are reimbursed by order: every such reimbursement is matched.
    refund_paid = sum(
        Decimal(r["amount-total"]) for r in paid.values() if r["reason"] == "CustomerReturn"
    )
    matched = claims["by_type"]["refund_without_return"]["amount_reimbursed"]
    assert Decimal(matched) == refund_paid
    # Every claim type and status the marts must handle occurs.
    assert all(claims["by_type"][t]["count"] > 0 for t in reason_of)
    assert {"reimbursed", "partly_reimbursed", "open", "expired", "too_early"} <= set(statuses)
    assert claims["claimable"]["count"] == sum(1 for c in claims["candidates"] if c["claimable"])
    # The ledger's unreconciled lost units are what lost claims still count.
    _, detail = _rows(
        _report(client, "GET_LEDGER_DETAIL_VIEW_DATA", start, end, eventType="Adjustments")
    )
    assert {r["Event Type"] for r in detail} == {"Adjustments"}
    lost = {c["reference"]: c for c in claims["candidates"] if c["claim_type"] == "warehouse_lost"}
    for row in (r for r in detail if r["Reason"] == "M"):
        unreconciled = int(row["Unreconciled Quantity"])
        claim = lost.get(row["Reference ID"])
        assert unreconciled == (claim["units_owed"] if claim else 0)


def test_inbound_claims_start_at_the_close_the_ledger_shows(world: World) -> None:
    from simulator.claims import seller_claims

    seller = world.sellers[0]
    closed = {s.shipment_id: s.closed_at for s in world.inbound_shipments(seller)}
    claims = [
        c
        for c in seller_claims(world, seller, world.horizon)
        if c.claim_type == "inbound_shortfall"
    ]
    assert claims
    assert all(c.event_at == closed[c.reference] for c in claims)


def test_the_clock_moves_claims_through_their_windows() -> None:
    """A month later: refunds ripen into claims, old ones expire, stock stays consistent."""
    world = World(CONFIG)
    seller = world.sellers[0]
    before = {
        (c["claim_type"], c["reference"], c["sku"]): c
        for c in seller_truth(world, seller)["claims"]["candidates"]
    }
    later = NOW + timedelta(days=30)
    with RunningSimulator(world, SimulatorSettings(rate_scale=1000)) as running:
        answer = requests.post(
            running.base_url + "/_simulator/clock", json={"now": later.isoformat()}, timeout=5
        )
        assert answer.status_code == 200
        truth = seller_truth(world, seller)
        client = Client(running.base_url, seller)
        found = _all_summaries(client, details="true")
    assert sum(s["totalQuantity"] for s in found) == truth["inventory"]["total_quantity"]
    assert all(s["inventoryDetails"]["fulfillableQuantity"] >= 0 for s in found)
    after = {(c["claim_type"], c["reference"], c["sku"]): c for c in truth["claims"]["candidates"]}
    assert set(before) <= set(after)
    moves = Counter((before[k]["status"], after[k]["status"]) for k in before)
    assert moves[("too_early", "open")] + moves[("too_early", "reimbursed")] > 0, moves
    assert sum(n for (old, new), n in moves.items() if old != "expired" and new == "expired") > 0
    assert all(old != "reimbursed" or new == "reimbursed" for old, new in moves)
