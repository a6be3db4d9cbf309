"""The simulator answers python-amazon-sp-api, the SP-API client most Python users call
Amazon with, as Amazon would: its LWA exchange, paging by NextToken, the report cycle with
a downloaded document, finances, inventory and inbound shipments.

The client knows only Amazon's hosts; pointing it at the simulator takes its token client
(`auth_token_client_class`) with our host, and its `endpoint` set after construction.
Nothing else of it is changed.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sp_api.api import Finances, FulfillmentInbound, Inventories, Orders, Reports
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, ReportType

from simulator.config import SellerAccount
from simulator.server import RunningSimulator
from simulator.world import World
from tests.simulator.conftest import NOW

US = "ATVPDKIKX0DER"


def _client(cls: type[Any], simulator: RunningSimulator, seller: SellerAccount) -> Any:
    host = simulator.base_url.removeprefix("http://")

    class SimulatorLwa(AccessTokenClient):  # type: ignore[misc]
        scheme = "http://"

    SimulatorLwa.host = host
    client = cls(
        credentials={
            "refresh_token": seller.refresh_token,
            "lwa_app_id": seller.client_id,
            "lwa_client_secret": seller.client_secret,
        },
        marketplace=Marketplaces.US,
        auth_token_client_class=SimulatorLwa,
    )
    client.endpoint = simulator.base_url
    return client


def test_orders_paged_by_next_token_are_the_worlds_orders(
    simulator: RunningSimulator, world: World
) -> None:
    seller = world.sellers[0]
    orders = _client(Orders, simulator, seller)
    since = world.config.start
    found: list[dict[str, Any]] = []
    # "NextToken doesn't affect any filters that you include in your request": the client
    # sends them again with each token, as its own `load_all_pages` does for getOrders
    filters = {"CreatedAfter": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "MarketplaceIds": [US]}
    page = orders.get_orders(**filters, MaxResultsPerPage=50)
    pages = 1
    found += page.payload["Orders"]
    while page.next_token:
        page = orders.get_orders(**filters, MaxResultsPerPage=50, NextToken=page.next_token)
        found += page.payload["Orders"]
        pages += 1
    expected = {o.order_id for o in world.orders(seller) if o.purchased_at >= since}
    assert pages > 1
    assert len(found) == len(expected)
    assert {o["AmazonOrderId"] for o in found} == expected
    first = found[0]["AmazonOrderId"]
    assert orders.get_order(first).payload["AmazonOrderId"] == first
    items = orders.get_order_items(first).payload["OrderItems"]
    truth = next(o for o in world.orders(seller) if o.order_id == first)
    assert len(items) == len(truth.items)


def test_a_report_is_created_polled_and_its_document_downloaded(
    simulator: RunningSimulator, world: World
) -> None:
    seller = world.sellers[0]
    reports = _client(Reports, simulator, seller)
    since = NOW - timedelta(days=5)
    created = reports.create_report(
        reportType=ReportType.GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL,
        dataStartTime=since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        marketplaceIds=[US],
    )
    report_id = created.payload["reportId"]
    deadline = time.monotonic() + 30
    while (report := reports.get_report(report_id).payload)["processingStatus"] not in (
        "DONE",
        "FATAL",
        "CANCELLED",
    ):
        assert time.monotonic() < deadline, report
        time.sleep(0.1)
    assert report["processingStatus"] == "DONE"
    document = reports.get_report_document(report["reportDocumentId"], download=True).payload
    lines = document["document"].splitlines()
    assert lines[0].split("\t")[:2] == ["amazon-order-id", "merchant-order-id"]
    in_report = {line.split("\t")[0] for line in lines[1:]}
    assert in_report and in_report <= {o.order_id for o in world.orders(seller)}
    settlements = ReportType.GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2
    listed = reports.get_reports(reportTypes=[settlements])
    # Amazon makes one per closed settlement period, unasked
    assert listed.payload["reports"], listed.payload


def test_finances_inventory_and_inbound_answer(simulator: RunningSimulator, world: World) -> None:
    seller = world.sellers[0]
    since = (NOW - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    finances = _client(Finances, simulator, seller)
    started = world.config.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    groups = finances.list_financial_event_groups(FinancialEventGroupStartedAfter=started)
    assert groups.payload["FinancialEventGroupList"]
    events = finances.list_financial_events(PostedAfter=since).payload["FinancialEvents"]
    assert events["ShipmentEventList"]
    inventory = _client(Inventories, simulator, seller).get_inventory_summary_marketplace(
        details=True, marketplaceIds=[US]
    )
    assert inventory.payload["inventorySummaries"]
    inbound = _client(FulfillmentInbound, simulator, seller).get_shipments(
        QueryType="DATE_RANGE",
        LastUpdatedAfter=world.config.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        LastUpdatedBefore=(NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        MarketplaceId=US,
    )
    assert inbound.payload["ShipmentData"]


def test_a_wrong_refresh_token_is_refused_as_amazon_refuses_it(
    simulator: RunningSimulator, world: World
) -> None:
    seller = replace(world.sellers[0], refresh_token="Atzr|not-a-real-token")
    with pytest.raises(AuthorizationError) as refused:
        _client(Orders, simulator, seller).get_orders(
            CreatedAfter=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), MarketplaceIds=[US]
        )
    # the client reads LWA's error body: {"error": "invalid_grant", "error_description": ...}
    assert refused.value.error_code == "invalid_grant"
    assert refused.value.status_code == 400
