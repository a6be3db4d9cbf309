"""Finances v0: financial event groups (settlement periods) and their events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from simulator.entities import SettlementGroup
from simulator.errors import invalid_input, not_found
from simulator.routes.common import (
    FastJSONResponse,
    check_before,
    currency_v0,
    date_param,
    decode_token,
    encode_token,
    filters_digest,
    int_param,
    iso,
    seller_of,
    world_of,
)
from simulator.world import FinancialEvent, Position, event_lines, marketplace_name

router = APIRouter()

MAX_RANGE = timedelta(days=180)
EVENT_LISTS = (
    "ShipmentEventList",
    "RefundEventList",
    "GuaranteeClaimEventList",
    "ChargebackEventList",
    "ServiceFeeEventList",
    "AdjustmentEventList",
)
# Amazon's last four digits of the bank account the money goes to, per marketplace.
ACCOUNT_TAIL = "4821"


def group_body(group: SettlementGroup) -> dict[str, Any]:
    body: dict[str, Any] = {
        "FinancialEventGroupId": group.group_id,
        "ProcessingStatus": "Closed" if group.closed else "Open",
        "OriginalTotal": currency_v0(group.original_total, group.currency),
        "BeginningBalance": currency_v0(group.original_total * 0, group.currency),
        "FinancialEventGroupStart": iso(group.start),
        "AccountTail": ACCOUNT_TAIL,
    }
    if group.closed:
        body["FinancialEventGroupEnd"] = iso(group.end)
        body["ConvertedTotal"] = currency_v0(group.original_total, group.currency)
        body["FundTransferStatus"] = "Succeeded" if group.transfer_at else "Processing"
        if group.transfer_at is not None:
            body["FundTransferDate"] = iso(group.transfer_at)
            body["TraceId"] = group.group_id[:12].upper()
    return body


def _components(
    pairs: tuple[tuple[str, Any], ...], kind: str, currency: str
) -> list[dict[str, Any]]:
    key, amount_key = (
        ("ChargeType", "ChargeAmount") if kind == "charge" else ("FeeType", "FeeAmount")
    )
    return [{key: name, amount_key: currency_v0(value, currency)} for name, value in pairs]


def event_body(event: FinancialEvent) -> tuple[str, dict[str, Any]]:
    """The list an event belongs in and its JSON, built from the same lines as the truth."""
    lines = event_lines(event)
    currency = event.currency
    if event.kind in ("shipment", "refund"):
        assert event.order is not None
        adjustment = event.kind == "refund"
        items = []
        for line, item in zip(lines, _items_of(event), strict=True):
            charges = tuple(c for c in line.charges if c[0] != "Promotion")
            promotions = [
                {
                    "PromotionType": "PromotionMetaDataDefinitionValue",
                    "PromotionId": f"PROMO-{line.sku}",
                    "PromotionAmount": currency_v0(value, currency),
                }
                for name, value in line.charges
                if name == "Promotion"
            ]
            entry: dict[str, Any] = {"SellerSKU": line.sku, "QuantityShipped": line.quantity}
            if adjustment:
                entry["OrderAdjustmentItemId"] = item
                entry["ItemChargeAdjustmentList"] = _components(charges, "charge", currency)
                entry["ItemFeeAdjustmentList"] = _components(line.fees, "fee", currency)
            else:
                entry["OrderItemId"] = item
                entry["ItemChargeList"] = _components(charges, "charge", currency)
                entry["ItemFeeList"] = _components(line.fees, "fee", currency)
                if promotions:
                    entry["PromotionList"] = promotions
            items.append(entry)
        body: dict[str, Any] = {
            "AmazonOrderId": event.order.order_id,
            "MarketplaceName": marketplace_name(event.marketplace_id),
            "PostedDate": iso(event.posted_at),
            "ShipmentItemAdjustmentList" if adjustment else "ShipmentItemList": items,
        }
        return ("RefundEventList" if adjustment else "ShipmentEventList"), body
    if event.kind == "service_fee":
        assert event.fee is not None
        return "ServiceFeeEventList", {
            "FeeReason": event.fee.fee_reason,
            "FeeList": _components(lines[0].fees, "fee", currency),
            "FeeDescription": event.fee.description,
        }
    assert event.reimbursement is not None
    r = event.reimbursement
    return "AdjustmentEventList", {
        "AdjustmentType": r.adjustment_type,
        "PostedDate": iso(event.posted_at),
        "AdjustmentAmount": currency_v0(r.amount_total, currency),
        "AdjustmentItemList": [
            {
                "Quantity": str(r.quantity),
                "PerUnitAmount": currency_v0(r.amount_per_unit, currency),
                "TotalAmount": currency_v0(r.amount_total, currency),
                "SellerSKU": r.product.sku,
                "FnSKU": r.product.fnsku,
                "ProductDescription": r.product.title,
                "ASIN": r.product.asin,
                "TransactionNumber": r.reimbursement_id,
            }
        ],
    }


def _items_of(event: FinancialEvent) -> list[str]:
    assert event.order is not None
    if event.kind == "refund":
        assert event.refund is not None
        return [event.refund.adjustment_item_id]
    return [item.order_item_id for item in event.order.items]


def events_payload(
    events: list[FinancialEvent], following: Position | None, digest: str
) -> dict[str, Any]:
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in EVENT_LISTS}
    for event in events:
        name, body = event_body(event)
        lists[name].append(body)
    payload: dict[str, Any] = {"FinancialEvents": lists}
    if following is not None:
        payload["NextToken"] = encode_token(following, digest)
    return {"payload": payload}


def _posted_window(request: Request) -> tuple[Any, Any, bool]:
    """PostedAfter/PostedBefore as documented; the flag says the range is over 180 days."""
    after = date_param(request, "PostedAfter")
    before = date_param(request, "PostedBefore")
    if before is not None and after is None:
        raise invalid_input("PostedBefore requires PostedAfter.")
    if after is not None:
        check_before(request, "PostedAfter", after)
    before = check_before(request, "PostedBefore", before) if after is not None else None
    if after is not None and before is not None and before < after:
        raise invalid_input("PostedBefore must be after PostedAfter.")
    too_long = after is not None and before is not None and before - after > MAX_RANGE
    return after, before, too_long


def _position(request: Request, digest: str) -> Position | None:
    token = request.query_params.get("NextToken")
    return decode_token(token, digest)[0] if token else None


@router.get("/finances/v0/financialEventGroups")
def list_financial_event_groups(request: Request) -> FastJSONResponse:
    """listFinancialEventGroups: settlement periods, oldest first, 10 a page by default."""
    seller = seller_of(request)
    limit = int_param(request, "MaxResultsPerPage", 10, 1, 100)
    started_after = date_param(request, "FinancialEventGroupStartedAfter")
    started_before = date_param(request, "FinancialEventGroupStartedBefore")
    if started_before is not None:
        check_before(request, "FinancialEventGroupStartedBefore", started_before)
    groups = [
        g
        for g in world_of(request).settlement_groups(seller)
        if (started_after is None or g.start >= started_after)
        and (started_before is None or g.start <= started_before)
    ]
    digest = filters_digest(request, ("NextToken",))
    position = _position(request, digest)
    offset = position.index if position else 0
    page = groups[offset : offset + limit]
    payload: dict[str, Any] = {"FinancialEventGroupList": [group_body(g) for g in page]}
    if offset + limit < len(groups):
        payload["NextToken"] = encode_token(Position(0, offset + limit), digest)
    return FastJSONResponse({"payload": payload})


@router.get("/finances/v0/financialEventGroups/{eventGroupId}/financialEvents")
def list_financial_events_by_group_id(eventGroupId: str, request: Request) -> FastJSONResponse:
    """listFinancialEventsByGroupId."""
    seller = seller_of(request)
    world = world_of(request)
    limit = int_param(request, "MaxResultsPerPage", 100, 1, 100)
    after, before, too_long = _posted_window(request)
    if world.settlement_group(seller, eventGroupId) is None:
        raise not_found(f"Financial event group {eventGroupId} was not found.")
    digest = filters_digest(request, ("NextToken",))
    if too_long:
        return FastJSONResponse(events_payload([], None, digest))
    events, following = world.search_events(
        seller,
        group_id=eventGroupId,
        posted_after=after,
        posted_before=before,
        position=_position(request, digest),
        limit=limit,
    )
    return FastJSONResponse(events_payload(events, following, digest))


@router.get("/finances/v0/financialEvents")
def list_financial_events(request: Request) -> FastJSONResponse:
    """listFinancialEvents: by posted date; a range over 180 days answers empty."""
    seller = seller_of(request)
    limit = int_param(request, "MaxResultsPerPage", 100, 1, 100)
    after, before, too_long = _posted_window(request)
    digest = filters_digest(request, ("NextToken",))
    if too_long:
        return FastJSONResponse(events_payload([], None, digest))
    events, following = world_of(request).search_events(
        seller,
        posted_after=after,
        posted_before=before,
        position=_position(request, digest),
        limit=limit,
    )
    return FastJSONResponse(events_payload(events, following, digest))


@router.get("/finances/v0/orders/{orderId}/financialEvents")
def list_financial_events_by_order_id(orderId: str, request: Request) -> FastJSONResponse:
    """listFinancialEventsByOrderId."""
    seller = seller_of(request)
    limit = int_param(request, "MaxResultsPerPage", 100, 1, 100)
    digest = filters_digest(request, ("NextToken",))
    events, following = world_of(request).search_events(
        seller, order_id=orderId, position=_position(request, digest), limit=limit
    )
    return FastJSONResponse(events_payload(events, following, digest))
