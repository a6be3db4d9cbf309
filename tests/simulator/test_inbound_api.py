"""Fulfillment Inbound v0 over HTTP: shipments and their received quantities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simulator.truth import seller_truth
from simulator.world import World
from tests.simulator.spapi import Client

SHIPMENTS = "/fba/inbound/v0/shipments"
ITEMS = "/fba/inbound/v0/shipmentItems"


def _pages(client: Client, path: str, params: dict[str, Any], key: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    body = client.get(path, params)
    records.extend(body["payload"][key])
    while "NextToken" in body["payload"]:
        marketplace = params["MarketplaceId"]
        body = client.get(
            path,
            {
                "QueryType": "NEXT_TOKEN",
                "NextToken": body["payload"]["NextToken"],
                "MarketplaceId": marketplace,
            },
        )
        records.extend(body["payload"][key])
    return records


def _date_range(client: Client, world: World) -> dict[str, Any]:
    return {
        "QueryType": "DATE_RANGE",
        "MarketplaceId": client.seller.marketplace_ids[0],
        "LastUpdatedAfter": (world.now - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "LastUpdatedBefore": (world.now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_shipments_by_date_range_page_exactly_once(
    client: Client, world: World, monkeypatch: Any
) -> None:
    import simulator.routes.inbound as inbound

    monkeypatch.setattr(inbound, "SHIPMENTS_PER_PAGE", 4)  # force several pages from a small world
    shipments = _pages(client, SHIPMENTS, _date_range(client, world), "ShipmentData")
    ids = [s["ShipmentId"] for s in shipments]
    assert len(ids) == len(set(ids))
    assert set(ids) == {s.shipment_id for s in world.inbound_shipments(client.seller)}


def test_item_quantities_match_the_truth(client: Client, world: World) -> None:
    items = _pages(client, ITEMS, _date_range(client, world), "ItemData")
    truth = seller_truth(world, client.seller)["shipments"]
    assert len(items) == truth["inbound_items"]
    assert sum(i["QuantityShipped"] for i in items) == truth["inbound_expected_units"]
    assert sum(i["QuantityReceived"] for i in items) == truth["inbound_received_units"]


def test_shipment_query_by_status_and_id(client: Client, world: World) -> None:
    marketplace = client.seller.marketplace_ids[0]
    closed = client.get(
        SHIPMENTS,
        {"QueryType": "SHIPMENT", "MarketplaceId": marketplace, "ShipmentStatusList": "CLOSED"},
    )
    statuses = {s["ShipmentStatus"] for s in closed["payload"]["ShipmentData"]}
    assert statuses == {"CLOSED"}
    first = closed["payload"]["ShipmentData"][0]["ShipmentId"]
    by_id = client.get(
        SHIPMENTS, {"QueryType": "SHIPMENT", "MarketplaceId": marketplace, "ShipmentIdList": first}
    )
    assert [s["ShipmentId"] for s in by_id["payload"]["ShipmentData"]] == [first]
    items = client.get(f"{SHIPMENTS}/{first}/items")["payload"]["ItemData"]
    assert items and all(i["ShipmentId"] == first for i in items)


def test_inbound_validation(client: Client, world: World) -> None:
    marketplace = client.seller.marketplace_ids[0]
    assert (
        client.call(
            "GET", SHIPMENTS, {"QueryType": "SHIPMENT", "MarketplaceId": marketplace}
        ).status_code
        == 400
    )
    assert client.call("GET", SHIPMENTS, {"QueryType": "DATE_RANGE"}).status_code == 400
    assert (
        client.call(
            "GET", ITEMS, {"QueryType": "SHIPMENT", "MarketplaceId": marketplace}
        ).status_code
        == 400
    )
    assert client.call("GET", f"{SHIPMENTS}/FBA15NOPE/items").status_code == 404
