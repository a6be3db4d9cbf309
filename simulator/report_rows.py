"""Flat-file report rows rendered from the world, keyed by Amazon's column names.

Values are strings formatted as Amazon's files show them; a column left out is empty.
Each function is a generator over days, so a report of any size streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from simulator import generate, ledger_reports
from simulator.config import SellerAccount
from simulator.entities import Order, SettlementGroup

if TYPE_CHECKING:
    from simulator.world import FinancialEvent, World

Rows = Iterator[dict[str, str]]

CITIES = (
    ("SEATTLE", "WA", "98101"),
    ("AUSTIN", "TX", "78701"),
    ("DENVER", "CO", "80202"),
    ("MIAMI", "FL", "33101"),
)


def stamp(moment: datetime) -> str:
    """Amazon's flat-file timestamp: ISO 8601 with an explicit UTC offset (moment in UTC)."""
    # %-formatting of the fields: several times faster than strftime, which was the largest
    # single cost of rendering a report row (five timestamps a shipment row).
    return "%04d-%02d-%02dT%02d:%02d:%02d+00:00" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _address(order: Order) -> tuple[str, str, str]:
    return CITIES[int(order.order_id[-2:]) % len(CITIES)]


def fulfilled_shipments(
    world: World,
    seller: SellerAccount,
    marketplaces: set[str],
    start: datetime,
    end: datetime,
    visible: datetime,
) -> Rows:
    """GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL: one row per shipped item (FBA orders)."""
    for order in world.orders_between(seller, (start - timedelta(days=4)).date(), end.date()):
        shipped = order.shipped_at
        if order.fulfillment_channel != "AFN" or shipped is None or not start <= shipped < end:
            continue
        if order.marketplace_id not in marketplaces:
            continue
        city, state, postal = _address(order)
        for item in order.items:
            yield {
                "amazon-order-id": order.order_id,
                "shipment-id": order.shipment_id,
                "shipment-item-id": "D" + item.order_item_id[-10:],
                "amazon-order-item-id": item.order_item_id,
                "purchase-date": stamp(order.purchased_at),
                "payments-date": stamp(order.authorized_at or order.purchased_at),
                "shipment-date": stamp(shipped),
                "reporting-date": stamp(shipped + timedelta(minutes=45)),
                "sku": item.sku,
                "product-name": item.product.title,
                "quantity-shipped": str(item.quantity),
                "currency": order.currency,
                "item-price": amount(item.item_price),
                "item-tax": amount(item.item_tax),
                "shipping-price": "0.00",
                "shipping-tax": "0.00",
                "gift-wrap-price": "0.00",
                "gift-wrap-tax": "0.00",
                "ship-service-level": order.ship_service_level,
                "ship-city": city,
                "ship-state": state,
                "ship-postal-code": postal,
                "ship-country": "US",
                "item-promotion-discount": amount(-item.promotion_discount)
                if item.promotion_discount
                else "0.00",
                "ship-promotion-discount": "0.00",
                "carrier": order.carrier,
                "tracking-number": order.tracking_number,
                "estimated-arrival-date": stamp(shipped + timedelta(days=2)),
                "fulfillment-center-id": order.fulfillment_center,
                "fulfillment-channel": "AFN",
                "sales-channel": order.marketplace_name,
            }


def customer_returns(
    world: World,
    seller: SellerAccount,
    marketplaces: set[str],
    start: datetime,
    end: datetime,
    visible: datetime,
) -> Rows:
    """GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA: one row per returned batch of units."""
    first = (start - generate.ORDER_LAG).date()
    for order in world.orders_between(seller, first, end.date()):
        if order.marketplace_id not in marketplaces:
            continue
        items = {item.order_item_id: item for item in order.items}
        for ret in order.returns:
            if not start <= ret.returned_at < end:
                continue
            item = items[ret.order_item_id]
            yield {
                "return-date": stamp(ret.returned_at),
                "order-id": order.order_id,
                "sku": ret.sku,
                "asin": item.product.asin,
                "fnsku": item.product.fnsku,
                "product-name": item.product.title,
                "quantity": str(ret.quantity),
                "fulfillment-center-id": ret.fulfillment_center,
                "detailed-disposition": ret.detailed_disposition,
                "reason": ret.reason,
                "status": ret.status,
                "license-plate-number": ret.license_plate,
                "customer-comments": "",
            }


_REPORT_STATUS = {
    "Pending": "Pending",
    "Unshipped": "Pending",
    "Shipped": "Shipped",
    "Canceled": "Cancelled",
}


def all_orders_by_last_update(
    world: World,
    seller: SellerAccount,
    marketplaces: set[str],
    start: datetime,
    end: datetime,
    visible: datetime,
) -> Rows:
    """GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL: one row per order item."""
    # Amazon filters on each order's *current* last update: an order that changed again
    # after the window belongs to a later window, with its latest status.
    t = visible
    for order in world.orders_between(seller, (start - generate.STATUS_LAG).date(), end.date()):
        if order.purchased_at > t or order.marketplace_id not in marketplaces:
            continue
        updated = order.last_updated_at(t)
        if not start <= updated < end:
            continue
        status = order.status_at(t)
        city, state, postal = _address(order)
        priced = status != "Pending"  # Amazon leaves pricing empty until payment clears
        for item in order.items:
            yield {
                "amazon-order-id": order.order_id,
                "purchase-date": stamp(order.purchased_at),
                "last-updated-date": stamp(updated),
                "order-status": _REPORT_STATUS[status],
                "fulfillment-channel": "Amazon"
                if order.fulfillment_channel == "AFN"
                else "Merchant",
                "sales-channel": order.marketplace_name,
                "ship-service-level": order.ship_service_level,
                "product-name": item.product.title,
                "sku": item.sku,
                "asin": item.product.asin,
                "item-status": _REPORT_STATUS[status],
                "quantity": str(item.quantity),
                "currency": order.currency if priced else "",
                "item-price": amount(item.item_price) if priced else "",
                "item-tax": amount(item.item_tax) if priced else "",
                "shipping-price": "0.00" if priced else "",
                "shipping-tax": "0.00" if priced else "",
                "gift-wrap-price": "",
                "gift-wrap-tax": "",
                "item-promotion-discount": amount(-item.promotion_discount)
                if priced and item.promotion_discount
                else "",
                "ship-promotion-discount": "",
                "ship-city": city,
                "ship-state": state,
                "ship-postal-code": postal,
                "ship-country": "US",
                "promotion-ids": f"PROMO-{item.sku}" if item.promotion_discount else "",
                "is-business-order": "true" if order.is_business else "false",
                "purchase-order-number": "",
                "price-designation": "",
            }


def reimbursements(
    world: World,
    seller: SellerAccount,
    marketplaces: set[str],
    start: datetime,
    end: datetime,
    visible: datetime,
) -> Rows:
    """GET_FBA_REIMBURSEMENTS_DATA: one row per reimbursement approved in the range."""
    first = (start - generate.INBOUND_LAG).date()
    day = max(first, world.first_day)
    while day <= end.date():
        for r in world.reimbursements_caused_on(seller, day):
            if not start <= r.approved_at < end or r.marketplace_id not in marketplaces:
                continue
            yield {
                "approval-date": stamp(r.approved_at),
                "reimbursement-id": r.reimbursement_id,
                "case-id": r.case_id,
                "amazon-order-id": r.order_id,
                "reason": r.reason,
                "sku": r.product.sku,
                "fnsku": r.product.fnsku,
                "asin": r.product.asin,
                "product-name": r.product.title,
                "condition": "NewItem",
                "currency-unit": r.currency,
                "amount-per-unit": amount(r.amount_per_unit),
                "amount-total": amount(r.amount_total),
                "quantity-reimbursed-cash": str(r.quantity),
                "quantity-reimbursed-inventory": "0",
                "quantity-reimbursed-total": str(r.quantity),
                "original-reimbursement-id": "",
                "original-reimbursement-type": "",
            }
        day += timedelta(days=1)


RENDERERS: dict[str, Callable[..., Rows]] = {
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL": fulfilled_shipments,
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": customer_returns,
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": all_orders_by_last_update,
    "GET_FBA_REIMBURSEMENTS_DATA": reimbursements,
}
# Renderers that also take the report's reportOptions (a mapping) as a last argument.
RENDERERS_WITH_OPTIONS: dict[str, Callable[..., Rows]] = {
    ledger_reports.LEDGER_DETAIL: ledger_reports.ledger_detail,
    ledger_reports.LEDGER_SUMMARY: ledger_reports.ledger_summary,
}

_SETTLEMENT_TRANSACTION = {
    "order": "Order",
    "refund": "Refund",
    "service_fee": "ServiceFee",
    "adjustment": "other-transaction",
}


def settlement_rows(world: World, seller: SellerAccount, group: SettlementGroup) -> Rows:
    """GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 of a closed group: summary row, then lines."""
    from simulator.world import event_lines

    settlement_id = str(int.from_bytes(group.group_id.encode()[:6], "big") % 10**11)
    yield {
        "settlement-id": settlement_id,
        "settlement-start-date": stamp(group.start),
        "settlement-end-date": stamp(group.end),
        "deposit-date": stamp(group.transfer_at or group.end),
        "total-amount": amount(group.original_total),
        "currency": group.currency,
    }
    for event in world.group_events(seller, group):
        for line, ids in zip(event_lines(event), _line_ids(event), strict=True):
            base = {
                "settlement-id": settlement_id,
                "transaction-type": _SETTLEMENT_TRANSACTION[line.transaction_type],
                "order-id": line.order_id,
                "marketplace-name": _marketplace(line.marketplace_id),
                "posted-date": line.posted_at.strftime("%Y-%m-%d"),
                "posted-date-time": stamp(line.posted_at),
                "sku": line.sku,
                "quantity-purchased": str(line.quantity) if line.quantity else "",
                "fulfillment-id": "AFN" if line.transaction_type in ("order", "refund") else "",
                **ids,
            }
            for charge_type, value in line.charges:
                row = {**base, "amount-type": "ItemPrice", "amount-description": charge_type}
                if charge_type == "Promotion":
                    # Amazon's files: amount-type Promotion, amount-description Principal,
                    # and the promotion's id (the Finances API's PromotionId).
                    row["amount-type"], row["amount-description"] = "Promotion", "Principal"
                    row["promotion-id"] = f"PROMO-{line.sku}"
                if line.transaction_type == "adjustment":
                    row["amount-type"] = "FBA Inventory Reimbursement"
                row["amount"] = amount(value)
                yield row
            for fee_type, value in line.fees:
                kind = (
                    "ItemFees"
                    if line.transaction_type in ("order", "refund")
                    else "other-transaction"
                )
                yield {
                    **base,
                    "amount-type": kind,
                    "amount-description": fee_type,
                    "amount": amount(value),
                }


def _line_ids(event: FinancialEvent) -> list[dict[str, str]]:
    """Per settlement line of an event, the ids the Finances API gives the same item:
    order-item-code is OrderItemId, adjustment-id the refund's OrderAdjustmentItemId."""
    if event.kind == "shipment":
        assert event.order is not None
        shipment = event.order.shipment_id
        return [
            {"order-item-code": item.order_item_id, "shipment-id": shipment}
            for item in event.order.items
        ]
    if event.kind == "refund":
        assert event.refund is not None
        ids = {"order-item-code": event.refund.order_item_id}
        return [{**ids, "adjustment-id": event.refund.adjustment_item_id}]
    return [{}]


def _marketplace(marketplace_id: str) -> str:
    from simulator.world import marketplace_name

    return marketplace_name(marketplace_id)
