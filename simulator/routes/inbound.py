"""Fulfillment Inbound v0: the seller's shipments to FBA and their item quantities."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from simulator.entities import InboundShipment
from simulator.errors import invalid_input, not_found
from simulator.routes.common import (
    FastJSONResponse,
    check_before,
    check_marketplaces,
    date_param,
    decode_token,
    encode_token,
    list_param,
    seller_of,
    world_of,
)
from simulator.world import Position

router = APIRouter()

SHIPMENTS_PER_PAGE = 50
# getShipmentItems pages hold the items of this many shipments.
ITEM_SHIPMENTS_PER_PAGE = 20
SHIPMENT_STATUSES = {
    "WORKING",
    "READY_TO_SHIP",
    "SHIPPED",
    "RECEIVING",
    "CANCELLED",
    "DELETED",
    "CLOSED",
    "ERROR",
    "IN_TRANSIT",
    "DELIVERED",
    "CHECKED_IN",
}
SHIP_FROM = {
    "Name": "Clario Test Warehouse",
    "AddressLine1": "500 Harbor Way",
    "City": "Oakland",
    "StateOrProvinceCode": "CA",
    "CountryCode": "US",
    "PostalCode": "94607",
}


def shipment_body(shipment: InboundShipment, status: str) -> dict[str, Any]:
    return {
        "ShipmentId": shipment.shipment_id,
        "ShipmentName": shipment.name,
        "ShipFromAddress": SHIP_FROM,
        "DestinationFulfillmentCenterId": shipment.fulfillment_center,
        "ShipmentStatus": status,
        "LabelPrepType": "SELLER_LABEL",
        "AreCasesRequired": True,
        "BoxContentsSource": "FEED",
    }


def item_bodies(shipment: InboundShipment, request: Request) -> list[dict[str, Any]]:
    t = world_of(request).horizon
    return [
        {
            "ShipmentId": shipment.shipment_id,
            "SellerSKU": item.product.sku,
            "FulfillmentNetworkSKU": item.product.fnsku,
            "QuantityShipped": item.quantity_shipped,
            "QuantityReceived": shipment.received_at(item, t),
            "QuantityInCase": item.quantity_in_case,
        }
        for item in shipment.items
    ]


def _query(
    request: Request, allowed: tuple[str, ...]
) -> tuple[str, dict[str, Any], Position | None]:
    """QueryType's filters: from the request, or (NEXT_TOKEN) carried inside the token."""
    seller = seller_of(request)
    marketplace_id = request.query_params.get("MarketplaceId")
    if not marketplace_id:
        raise invalid_input("MarketplaceId is required.")
    check_marketplaces(seller, [marketplace_id], "MarketplaceId")
    query_type = request.query_params.get("QueryType")
    if query_type not in allowed:
        raise invalid_input(f"QueryType must be one of {', '.join(allowed)}.")
    if query_type == "NEXT_TOKEN":
        token = request.query_params.get("NextToken")
        if not token:
            raise invalid_input("NextToken is required when QueryType is NEXT_TOKEN.")
        position, payload = decode_token(token, None)
        return payload["q"], payload["filters"], position
    if query_type == "SHIPMENT":
        statuses = list_param(request, "ShipmentStatusList")
        ids = list_param(request, "ShipmentIdList")
        if not statuses and not ids:
            raise invalid_input("QueryType SHIPMENT requires ShipmentStatusList or ShipmentIdList.")
        unknown = [s for s in statuses if s not in SHIPMENT_STATUSES]
        if unknown:
            raise invalid_input(f"Invalid ShipmentStatusList value: {', '.join(unknown)}.")
        if len(ids) > 999:
            raise invalid_input("ShipmentIdList holds at most 999 ids.")
        return query_type, {"statuses": statuses, "ids": ids}, None
    after = date_param(request, "LastUpdatedAfter")
    before = date_param(request, "LastUpdatedBefore")
    if after is None or before is None:
        raise invalid_input("QueryType DATE_RANGE requires LastUpdatedAfter and LastUpdatedBefore.")
    check_before(request, "LastUpdatedBefore", before)
    if before < after:
        raise invalid_input("LastUpdatedBefore must be after LastUpdatedAfter.")
    statuses = list_param(request, "ShipmentStatusList")
    return (
        query_type,
        {"after": after.isoformat(), "before": before.isoformat(), "statuses": statuses},
        None,
    )


def _search(
    request: Request, filters: dict[str, Any], position: Position | None, limit: int
) -> tuple[list[InboundShipment], Position | None]:
    from datetime import datetime

    return world_of(request).search_inbound(
        seller_of(request),
        updated_after=datetime.fromisoformat(filters["after"]) if filters.get("after") else None,
        updated_before=datetime.fromisoformat(filters["before"]) if filters.get("before") else None,
        statuses=filters.get("statuses") or None,
        shipment_ids=filters.get("ids") or None,
        position=position,
        limit=limit,
    )


@router.get("/fba/inbound/v0/shipments")
def get_shipments(request: Request) -> FastJSONResponse:
    """getShipments: QueryType SHIPMENT, DATE_RANGE, or NEXT_TOKEN."""
    query_type, filters, position = _query(request, ("SHIPMENT", "DATE_RANGE", "NEXT_TOKEN"))
    shipments, following = _search(request, filters, position, SHIPMENTS_PER_PAGE)
    t = world_of(request).horizon
    payload: dict[str, Any] = {
        "ShipmentData": [shipment_body(s, s.status_at(t)) for s in shipments]
    }
    if following is not None:
        payload["NextToken"] = encode_token(following, "", {"q": query_type, "filters": filters})
    return FastJSONResponse({"payload": payload})


@router.get("/fba/inbound/v0/shipments/{shipmentId}/items")
def get_shipment_items_by_shipment_id(shipmentId: str, request: Request) -> FastJSONResponse:
    """getShipmentItemsByShipmentId: every item of one shipment."""
    shipments, _ = _search(request, {"ids": [shipmentId]}, None, 1)
    if not shipments:
        raise not_found(f"Shipment {shipmentId} was not found.")
    return FastJSONResponse({"payload": {"ItemData": item_bodies(shipments[0], request)}})


@router.get("/fba/inbound/v0/shipmentItems")
def get_shipment_items(request: Request) -> FastJSONResponse:
    """getShipmentItems: items of shipments updated in a date range (DATE_RANGE / NEXT_TOKEN)."""
    query_type, filters, position = _query(request, ("DATE_RANGE", "NEXT_TOKEN"))
    shipments, following = _search(request, filters, position, ITEM_SHIPMENTS_PER_PAGE)
    payload: dict[str, Any] = {
        "ItemData": [item for s in shipments for item in item_bodies(s, request)]
    }
    if following is not None:
        payload["NextToken"] = encode_token(following, "", {"q": query_type, "filters": filters})
    return FastJSONResponse({"payload": payload})
