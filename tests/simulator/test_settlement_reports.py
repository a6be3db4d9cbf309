"""Settlement reports (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2) over real HTTP: Amazon
creates one per closed settlement period; clients list them with getReports, download them,
and find the same money the Finances API shows for the same group. Also getReports' own
usage plan (rate 0.0222/s, burst 10 in reports_2021-06-30.json)."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from simulator.config import SimulatorSettings, WorldConfig
from simulator.report_formats import FORMATS, SETTLEMENT_V2
from simulator.routes.reports import SETTLEMENT_REPORT_DELAY
from simulator.server import RunningSimulator
from simulator.world import World
from tests.simulator.spapi import Client

REPORTS = "/reports/2021-06-30"
FINANCES = "/finances/v0"
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
CURRENCIES = {US: "USD", CA: "CAD"}
CENT = Decimal("0.01")
# Finances event list -> the settlement file's transaction-type for the same event.
TRANSACTION_TYPES = {
    "ShipmentEventList": "Order",
    "RefundEventList": "Refund",
    "ServiceFeeEventList": "ServiceFee",
    "AdjustmentEventList": "other-transaction",
}


@pytest.fixture(scope="module")
def world() -> World:
    config = WorldConfig(
        seed=5, sellers=2, marketplaces=2, history_days=50, orders_per_day=6, now=NOW
    )
    return World(config)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[Client]:
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0)
    with RunningSimulator(world, settings) as sim:
        yield Client(sim.base_url, world.sellers[0])


def _list(client: Client, **params: Any) -> list[dict[str, Any]]:
    """Every page of getReports for these filters."""
    body = client.get(f"{REPORTS}/reports", {"reportTypes": SETTLEMENT_V2, **params})
    reports = list(body["reports"])
    while "nextToken" in body:
        body = client.get(f"{REPORTS}/reports", {"nextToken": body["nextToken"]})
        reports.extend(body["reports"])
    return reports


def _download(client: Client, document_id: str, **params: str) -> list[dict[str, str]]:
    """A document's rows keyed by header, decompressed only if compressionAlgorithm says so."""
    document = client.get(f"{REPORTS}/documents/{document_id}", params)
    response = requests.get(document["url"], timeout=10)
    assert response.status_code == 200, response.text
    data = response.content
    if document.get("compressionAlgorithm") == "GZIP":
        data = gzip.decompress(data)
    else:
        assert "compressionAlgorithm" not in document
        assert data[:2] != b"\x1f\x8b"  # not gzip in disguise
    lines = data.decode("utf-8").split("\n")
    assert lines.pop() == ""  # every line ends in \n
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def test_one_report_per_closed_group_created_after_it_closes(client: Client, world: World) -> None:
    seller = world.sellers[0]
    closed = [g for g in world.settlement_groups(seller) if g.closed]
    assert len(closed) >= 4  # two marketplaces, two or more periods each
    listed = _list(client, pageSize=100)
    assert len(listed) == len(closed)
    by_end = {(r["marketplaceIds"][0], r["dataEndTime"]): r for r in listed}
    for group in closed:
        report = by_end[(group.marketplace_id, group.end.strftime("%Y-%m-%dT%H:%M:%SZ"))]
        created = group.end + SETTLEMENT_REPORT_DELAY
        assert report["createdTime"] == created.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert report["dataStartTime"] == group.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert report["processingStatus"] == "DONE" and report["reportDocumentId"]
    # Newest first, and stable across calls.
    assert [r["createdTime"] for r in listed] == sorted(
        (r["createdTime"] for r in listed), reverse=True
    )
    assert [r["reportId"] for r in _list(client, pageSize=100)] == [r["reportId"] for r in listed]


def test_get_reports_filters_and_pages(client: Client) -> None:
    everything = _list(client, pageSize=100)
    paged = _list(client, pageSize=2)
    assert [r["reportId"] for r in paged] == [r["reportId"] for r in everything]

    newest = everything[0]["createdTime"]
    since = _list(client, createdSince=newest)
    assert [r["reportId"] for r in since] == [
        r["reportId"] for r in everything if r["createdTime"] >= newest
    ]
    assert _list(client, processingStatuses="DONE") == everything
    assert _list(client, processingStatuses="IN_QUEUE,IN_PROGRESS") == []
    canadian = _list(client, marketplaceIds=CA)
    assert canadian and all(r["marketplaceIds"] == [CA] for r in canadian)
    assert len(canadian) + len(_list(client, marketplaceIds=US)) == len(everything)
    # Other report types' listings do not include them.
    other = client.get(
        f"{REPORTS}/reports", {"reportTypes": "GET_FBA_REIMBURSEMENTS_DATA", "pageSize": 100}
    )
    assert other["reports"] == []


def test_settlement_documents_are_plain_and_requested_ones_gzip(client: Client) -> None:
    report = _list(client)[0]
    document = client.get(f"{REPORTS}/documents/{report['reportDocumentId']}")
    assert "compressionAlgorithm" not in document
    rows = _download(client, report["reportDocumentId"], enableContentEncodingUrlHeader="true")
    assert list(rows[0]) == list(FORMATS[SETTLEMENT_V2].columns)
    assert len(rows) > 1

    created = client.call(
        "POST",
        f"{REPORTS}/reports",
        json={
            "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
            "marketplaceIds": [US],
            "dataStartTime": (NOW - timedelta(days=5)).isoformat(),
            "dataEndTime": (NOW - timedelta(days=1)).isoformat(),
        },
    ).json()
    requested = client.get(f"{REPORTS}/reports/{created['reportId']}")
    while requested["processingStatus"] not in ("DONE", "CANCELLED", "FATAL"):
        requested = client.get(f"{REPORTS}/reports/{created['reportId']}")
    assert requested["processingStatus"] == "DONE"
    document = client.get(f"{REPORTS}/documents/{requested['reportDocumentId']}")
    assert document["compressionAlgorithm"] == "GZIP"
    assert _download(client, requested["reportDocumentId"])


def _finance_amounts(client: Client, group_id: str) -> Counter[tuple[str, ...]]:
    """(transaction type, order, sku, charge/fee type) -> amount, from the Finances API."""
    amounts: Counter[tuple[str, ...]] = Counter()
    params: dict[str, Any] = {"MaxResultsPerPage": 100}
    while True:
        payload = client.get(f"{FINANCES}/financialEventGroups/{group_id}/financialEvents", params)[
            "payload"
        ]
        for list_name, events in payload["FinancialEvents"].items():
            kind = TRANSACTION_TYPES.get(list_name)
            for event in events:
                assert kind is not None, list_name
                order = event.get("AmazonOrderId", "")
                if list_name == "ServiceFeeEventList":
                    for fee in event["FeeList"]:
                        key = (kind, "", "", fee["FeeType"])
                        amounts[key] += _money(fee["FeeAmount"]["CurrencyAmount"])
                    continue
                if list_name == "AdjustmentEventList":
                    for item in event["AdjustmentItemList"]:
                        key = (kind, "", item["SellerSKU"], event["AdjustmentType"])
                        amounts[key] += _money(item["TotalAmount"]["CurrencyAmount"])
                    continue
                items = event.get("ShipmentItemList") or event["ShipmentItemAdjustmentList"]
                for item in items:
                    sku = item["SellerSKU"]
                    charges = item.get("ItemChargeList") or item["ItemChargeAdjustmentList"]
                    fees = item.get("ItemFeeList") or item["ItemFeeAdjustmentList"]
                    for charge in charges:
                        key = (kind, order, sku, charge["ChargeType"])
                        amounts[key] += _money(charge["ChargeAmount"]["CurrencyAmount"])
                    for fee in fees:
                        key = (kind, order, sku, fee["FeeType"])
                        amounts[key] += _money(fee["FeeAmount"]["CurrencyAmount"])
                    for promotion in item.get("PromotionList", []):
                        key = (kind, order, sku, "Promotion")
                        amounts[key] += _money(promotion["PromotionAmount"]["CurrencyAmount"])
        if "NextToken" not in payload:
            return amounts
        params = {"MaxResultsPerPage": 100, "NextToken": payload["NextToken"]}


def _report_amounts(rows: list[dict[str, str]]) -> Counter[tuple[str, ...]]:
    amounts: Counter[tuple[str, ...]] = Counter()
    for row in rows[1:]:
        name = "Promotion" if row["amount-type"] == "Promotion" else row["amount-description"]
        key = (row["transaction-type"], row["order-id"], row["sku"], name)
        amounts[key] += Decimal(row["amount"])
    return amounts


def test_settlement_lines_agree_with_the_finances_api(client: Client) -> None:
    groups = client.get(f"{FINANCES}/financialEventGroups", {"MaxResultsPerPage": 100})["payload"][
        "FinancialEventGroupList"
    ]
    closed = {
        (
            g["FinancialEventGroupStart"],
            g["FinancialEventGroupEnd"],
            g["OriginalTotal"]["CurrencyCode"],
        ): g
        for g in groups
        if g["ProcessingStatus"] == "Closed"
    }
    reports = _list(client, pageSize=100)
    assert len(reports) == len(closed)
    for report in reports:
        rows = _download(client, report["reportDocumentId"])
        summary = rows[0]
        currency = CURRENCIES[report["marketplaceIds"][0]]
        group = closed[(report["dataStartTime"], report["dataEndTime"], currency)]
        total = group["OriginalTotal"]
        # The first row carries the settlement's totals, and only them.
        assert Decimal(summary["total-amount"]) == _money(total["CurrencyAmount"])
        assert summary["currency"] == total["CurrencyCode"]
        assert summary["transaction-type"] == summary["amount"] == ""
        if "FundTransferDate" in group:
            assert summary["deposit-date"].startswith(group["FundTransferDate"][:10])
        lines = rows[1:]
        assert lines and {r["settlement-id"] for r in lines} == {summary["settlement-id"]}
        assert sum(Decimal(r["amount"]) for r in lines) == Decimal(summary["total-amount"])
        assert _report_amounts(rows) == _finance_amounts(client, group["FinancialEventGroupId"])


def test_settlement_report_ids_match_the_finances_items(client: Client, world: World) -> None:
    rows = _download(client, _list(client)[0]["reportDocumentId"])
    seller = world.sellers[0]
    orders = [r for r in rows[1:] if r["transaction-type"] == "Order"]
    assert orders
    for row in orders:
        order = world.order(seller, row["order-id"])
        assert order is not None
        assert row["shipment-id"] == order.shipment_id
        assert row["order-item-code"] in {i.order_item_id for i in order.items}
    for row in rows[1:]:
        assert (row["amount-type"] == "Promotion") == (row["promotion-id"] != "")
        if row["transaction-type"] == "Refund":
            assert row["adjustment-id"] == "R" + row["order-item-code"]


def test_get_reports_is_throttled_at_its_usage_plan(world: World) -> None:
    """reports_2021-06-30.json, getReports: rate 0.0222 requests/s, burst 10."""
    with RunningSimulator(world, SimulatorSettings(rate_scale=1)) as sim:
        client = Client(sim.base_url, world.sellers[1])
        params = {"reportTypes": "GET_FBA_REIMBURSEMENTS_DATA"}
        for _ in range(10):
            response = client.call("GET", f"{REPORTS}/reports", params)
            assert response.status_code == 200, response.text
            assert response.headers["x-amzn-RateLimit-Limit"] == "0.0222"
        throttled = client.call("GET", f"{REPORTS}/reports", params)
        assert throttled.status_code == 429
        assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
