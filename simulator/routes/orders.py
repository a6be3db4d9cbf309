"""Orders 2026-01-01 (searchOrders, getOrder) and the deprecated Orders v0 still in use."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from simulator.config import SimulatorSettings
from simulator.entities import Order
from simulator.errors import invalid_input, not_found
from simulator.routes.common import (
    FastJSONResponse,
    check_before,
    check_marketplaces,
    decode_token,
    encode_token,
    filters_digest,
    int_param,
    iso,
    list_param,
    money_2026,
    money_v0,
    seller_of,
    world_of,
)

router = APIRouter()

STATUS_2026 = {
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
}
V0_FROM_2026 = {v: k for k, v in STATUS_2026.items()}
FULFILLED_BY = {"AFN": "AMAZON", "MFN": "MERCHANT"}
SERVICE_LEVEL_2026 = {
    "Standard": "STANDARD",
    "Expedited": "EXPEDITED",
    "SecondDay": "SECOND_DAY",
    "NextDay": "NEXT_DAY",
}


def _priced(status: str) -> bool:
    # Amazon shows no pricing until payment clears, and none for cancelled orders.
    return status in ("Unshipped", "Shipped")


def _fulfillment_omitted(request: Request, order_item_id: str) -> bool:
    """The `omitted_fulfillment_rate` fault: drawn per item from the seed, so an item
    read again is sent the same way."""
    settings: SimulatorSettings = request.app.state.settings
    rate = settings.faults.omitted_fulfillment_rate
    if rate <= 0:
        return False
    seed = world_of(request).config.seed
    return random.Random(f"{seed}:omit-fulfillment:{order_item_id}").random() < rate


def order_2026(order: Order, request: Request) -> dict[str, Any]:
    """An order in Orders 2026-01-01 shape, items inline."""
    t = world_of(request).horizon
    status = order.status_at(t)
    included = set(list_param(request, "includedData"))
    programs = ["PRIME"] if order.is_prime else []
    if order.is_business:
        programs.append("AMAZON_BUSINESS")
    shipped = status == "Shipped"
    items = []
    for item in order.items:
        entry: dict[str, Any] = {
            "orderItemId": item.order_item_id,
            "quantityOrdered": item.quantity,
            "product": {
                "asin": item.product.asin,
                "title": item.product.title,
                "sellerSku": item.sku,
                "condition": {"conditionType": "NEW"},
                "price": {"unitPrice": money_2026(item.unit_price, order.currency)},
            },
            "fulfillment": {
                "quantityFulfilled": item.quantity if shipped else 0,
                "quantityUnfulfilled": 0 if shipped or status == "Canceled" else item.quantity,
            },
        }
        if _fulfillment_omitted(request, item.order_item_id):
            del entry["fulfillment"]  # optional in the model: a client must not read 0
        if _priced(status) and "PROCEEDS" in included:
            breakdowns = [
                {"type": "ITEM", "subtotal": money_2026(item.item_price, order.currency)},
                {"type": "TAX", "subtotal": money_2026(item.item_tax, order.currency)},
            ]
            if item.promotion_discount:
                breakdowns.append(
                    {
                        "type": "DISCOUNT",
                        "subtotal": money_2026(-item.promotion_discount, order.currency),
                    }
                )
            entry["proceeds"] = {
                "proceedsTotal": money_2026(
                    item.item_price + item.item_tax - item.promotion_discount, order.currency
                ),
                "breakdowns": breakdowns,
            }
        if item.promotion_discount and "PROMOTION" in included:
            entry["promotion"] = {"breakdowns": [{"promotionId": f"PROMO-{item.sku}"}]}
        items.append(entry)
    body: dict[str, Any] = {
        "orderId": order.order_id,
        "createdTime": iso(order.purchased_at),
        "lastUpdatedTime": iso(order.last_updated_at(t)),
        "programs": programs,
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": order.marketplace_id,
            "marketplaceName": order.marketplace_name,
        },
        "fulfillment": {
            "fulfillmentStatus": STATUS_2026[status],
            "fulfilledBy": FULFILLED_BY[order.fulfillment_channel],
            "fulfillmentServiceLevel": SERVICE_LEVEL_2026[order.ship_service_level],
        },
        "orderItems": items,
    }
    if _priced(status) and "PROCEEDS" in included:
        body["proceeds"] = {"grandTotal": money_2026(order.total(), order.currency)}
    if shipped and order.shipped_at is not None and "PACKAGES" in included:
        body["packages"] = [
            {
                "packageReferenceId": order.shipment_id,
                "createdTime": iso(order.shipped_at - timedelta(hours=2)),
                "packageStatus": {"status": "SHIPPED"},
                "carrier": order.carrier,
                "shipTime": iso(order.shipped_at),
                "trackingNumber": order.tracking_number,
                "packageItems": [
                    {"orderItemId": i.order_item_id, "quantity": i.quantity} for i in order.items
                ],
            }
        ]
    return body


def _window(request: Request, names: tuple[str, str, str, str]) -> dict[str, Any]:
    """Validate the created/lastUpdated window the way both Orders APIs document it."""
    from simulator.routes.common import date_param

    created_after_name, created_before_name, updated_after_name, updated_before_name = names
    created_after = date_param(request, created_after_name)
    created_before = date_param(request, created_before_name)
    updated_after = date_param(request, updated_after_name)
    updated_before = date_param(request, updated_before_name)
    if (created_after is None) == (updated_after is None):
        raise invalid_input(
            f"Exactly one of {created_after_name} and {updated_after_name} must be provided."
        )
    if created_after is not None:
        if updated_before is not None:
            raise invalid_input(
                f"{updated_before_name} cannot be combined with {created_after_name}."
            )
        created_before = check_before(request, created_before_name, created_before)
        if created_before < created_after:
            raise invalid_input(f"{created_before_name} must be on or after {created_after_name}.")
        return {"created_after": created_after, "created_before": created_before}
    if created_before is not None:
        raise invalid_input(f"{created_before_name} cannot be combined with {updated_after_name}.")
    assert updated_after is not None
    updated_before = check_before(request, updated_before_name, updated_before)
    if updated_before < updated_after:
        raise invalid_input(f"{updated_before_name} must be on or after {updated_after_name}.")
    return {"updated_after": updated_after, "updated_before": updated_before}


@router.get("/orders/2026-01-01/orders")
def search_orders(request: Request) -> FastJSONResponse:
    """searchOrders: orders created or updated in a window, items inline."""
    seller = seller_of(request)
    window = _window(
        request, ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
    )
    marketplace_ids = list_param(request, "marketplaceIds")
    check_marketplaces(seller, marketplace_ids, "marketplaceIds")
    statuses = [
        V0_FROM_2026[s] for s in list_param(request, "fulfillmentStatuses") if s in V0_FROM_2026
    ]
    channels = [
        {"AMAZON": "AFN", "MERCHANT": "MFN"}[c]
        for c in list_param(request, "fulfilledBy")
        if c in ("AMAZON", "MERCHANT")
    ]
    limit = int_param(request, "maxResultsPerPage", 100, 1, 100)
    digest = filters_digest(request, ("paginationToken",))
    token = request.query_params.get("paginationToken")
    position = decode_token(token, digest, "paginationToken")[0] if token else None
    orders, following = world_of(request).search_orders(
        seller,
        marketplace_ids=marketplace_ids or None,
        statuses=statuses or None,
        channels=channels or None,
        position=position,
        limit=limit,
        **window,
    )
    body: dict[str, Any] = {"orders": [order_2026(o, request) for o in orders]}
    if following is not None:
        body["pagination"] = {"nextToken": encode_token(following, digest)}
    if "updated_before" in window:
        body["lastUpdatedBefore"] = iso(window["updated_before"])
    else:
        body["createdBefore"] = iso(window["created_before"])
    return FastJSONResponse(body)


@router.get("/orders/2026-01-01/orders/{orderId}")
def get_order_2026(orderId: str, request: Request) -> FastJSONResponse:
    """getOrder (2026-01-01)."""
    order = world_of(request).order(seller_of(request), orderId)
    if order is None:
        raise not_found(f"Order {orderId} was not found.")
    return FastJSONResponse({"order": order_2026(order, request)})


def order_v0(order: Order, request: Request) -> dict[str, Any]:
    """An order in Orders v0 shape."""
    t = world_of(request).horizon
    status = order.status_at(t)
    shipped_units = sum(i.quantity for i in order.items) if status == "Shipped" else 0
    unshipped_units = (
        0 if status in ("Shipped", "Canceled") else sum(i.quantity for i in order.items)
    )
    body: dict[str, Any] = {
        "AmazonOrderId": order.order_id,
        "PurchaseDate": iso(order.purchased_at),
        "LastUpdateDate": iso(order.last_updated_at(t)),
        "OrderStatus": status,
        "FulfillmentChannel": order.fulfillment_channel,
        "SalesChannel": order.marketplace_name,
        "ShipServiceLevel": order.ship_service_level,
        "NumberOfItemsShipped": shipped_units,
        "NumberOfItemsUnshipped": unshipped_units,
        "MarketplaceId": order.marketplace_id,
        "ShipmentServiceLevelCategory": order.ship_service_level,
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso(order.purchased_at + timedelta(hours=4)),
        "LatestShipDate": iso(order.purchased_at + timedelta(days=2)),
        "IsBusinessOrder": order.is_business,
        "IsPrime": order.is_prime,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
    }
    if _priced(status):
        body["OrderTotal"] = money_v0(order.total(), order.currency)
        body["PaymentMethod"] = "Other"
    return body


@router.get("/orders/v0/orders")
def get_orders_v0(request: Request) -> FastJSONResponse:
    """getOrders (deprecated but still called): NextToken with the same filters re-sent."""
    seller = seller_of(request)
    marketplace_ids = list_param(request, "MarketplaceIds")
    if not marketplace_ids:
        raise invalid_input("MarketplaceIds is required.")
    check_marketplaces(seller, marketplace_ids, "MarketplaceIds")
    order_ids = list_param(request, "AmazonOrderIds")
    window = _window(
        request, ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
    )
    statuses = list_param(request, "OrderStatuses")
    channels = list_param(request, "FulfillmentChannels")
    limit = int_param(request, "MaxResultsPerPage", 100, 1, 100)
    digest = filters_digest(request, ("NextToken",))
    token = request.query_params.get("NextToken")
    position = decode_token(token, digest)[0] if token else None
    orders, following = world_of(request).search_orders(
        seller,
        marketplace_ids=marketplace_ids,
        statuses=statuses or None,
        channels=channels or None,
        order_ids=order_ids or None,
        position=position,
        limit=limit,
        **window,
    )
    payload: dict[str, Any] = {"Orders": [order_v0(o, request) for o in orders]}
    if following is not None:
        payload["NextToken"] = encode_token(following, digest)
    if "updated_before" in window:
        payload["LastUpdatedBefore"] = iso(window["updated_before"])
    else:
        payload["CreatedBefore"] = iso(window["created_before"])
    return FastJSONResponse({"payload": payload})


@router.get("/orders/v0/orders/{orderId}")
def get_order_v0(orderId: str, request: Request) -> FastJSONResponse:
    """getOrder (v0)."""
    order = world_of(request).order(seller_of(request), orderId)
    if order is None:
        raise not_found(f"Order {orderId} was not found.")
    return FastJSONResponse({"payload": order_v0(order, request)})


@router.get("/orders/v0/orders/{orderId}/orderItems")
def get_order_items_v0(orderId: str, request: Request) -> FastJSONResponse:
    """getOrderItems (v0): pricing is left out while an order is Pending, as Amazon does."""
    world = world_of(request)
    order = world.order(seller_of(request), orderId)
    if order is None:
        raise not_found(f"Order {orderId} was not found.")
    status = order.status_at(world.horizon)
    items = []
    for item in order.items:
        entry: dict[str, Any] = {
            "ASIN": item.product.asin,
            "SellerSKU": item.sku,
            "OrderItemId": item.order_item_id,
            "Title": item.product.title,
            "QuantityOrdered": item.quantity,
            "QuantityShipped": item.quantity if status == "Shipped" else 0,
            "ConditionId": "New",
            "IsGift": "false",
        }
        if status != "Pending":
            entry["ItemPrice"] = money_v0(item.item_price, order.currency)
            entry["ItemTax"] = money_v0(item.item_tax, order.currency)
            entry["PromotionDiscount"] = money_v0(item.promotion_discount, order.currency)
            if item.promotion_discount:
                entry["PromotionIds"] = [f"PROMO-{item.sku}"]
        items.append(entry)
    return FastJSONResponse({"payload": {"AmazonOrderId": order.order_id, "OrderItems": items}})
