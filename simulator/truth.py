"""Ground truth: what the marts must show after a complete sync of a world.

Definitions (the marts' contract in DESIGN.md, applied to the world's facts as of the
visible horizon):
- orders: one per order; statuses in Orders 2026-01-01 `fulfillmentStatus` terms;
  `total_amount` sums price + tax - promotion of orders that are neither pending nor
  cancelled (Amazon shows no pricing for those), per currency.
- shipments: outbound = one per shipped FBA order (status `shipped`); inbound status as
  DESIGN.md derives it; `missing_units` = sum over shipments of max(expected - received, 0).
- returns: one per seller x order x SKU; partial when fewer units came back than were
  ordered; `refund_amount` = principal + tax refunded for returned order x SKU pairs.
- settlements: one line per financial event item; `amount` = charges (incl. promotions),
  `fees` = fee components (negative when charged), `net_amount` = amount + fees.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from simulator.config import SellerAccount
from simulator.entities import InboundShipment
from simulator.world import World, event_lines

FULFILLMENT_STATUS = {
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
}
ZERO = Decimal("0.00")


def inbound_status(shipment: InboundShipment, expected: int, received: int, api_status: str) -> str:
    """The `shipments` mart's inbound status, from the API status and quantities."""
    if api_status in ("CANCELLED", "DELETED"):
        return "cancelled"
    if received >= expected:
        return "received"
    if api_status == "CLOSED":
        return "lost"
    return "partial" if received > 0 else "in_transit"


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def seller_truth(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    orders = _orders(world, seller)
    returns, refunds = _returns_and_refunds(world, seller)
    return {
        "seller_id": seller.seller_id,
        "marketplace_ids": list(seller.marketplace_ids),
        "as_of": t.isoformat(),
        "orders": orders,
        "shipments": _shipments(world, seller),
        "returns": returns,
        "refunds": refunds,
        "settlements": _settlements(world, seller),
        "settlement_periods": _periods(world, seller),
        "reimbursements": _reimbursements(world, seller),
    }


def world_truth(world: World) -> dict[str, Any]:
    """Ground truth for every seller, with the world's parameters."""
    return {
        "world": world.config.model_dump(mode="json"),
        "now": world.data_now.isoformat(),
        "sellers": [seller_truth(world, s) for s in world.sellers],
    }


def _orders(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    by_status: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    items = units = shipped_units = 0
    for order in world.orders(seller):
        status = order.status_at(t)
        by_status[FULFILLMENT_STATUS[status]] += 1
        by_channel[order.fulfillment_channel] += 1
        items += len(order.items)
        quantity = sum(i.quantity for i in order.items)
        units += quantity
        if status == "Shipped":
            shipped_units += quantity
        if status in ("Unshipped", "Shipped"):
            totals[order.currency] += order.total()
    return {
        "count": sum(by_status.values()),
        "by_status": dict(sorted(by_status.items())),
        "by_fulfillment_channel": dict(sorted(by_channel.items())),
        "order_items": items,
        "units_ordered": units,
        "units_shipped": shipped_units,
        "total_amount": {c: _money(v) for c, v in sorted(totals.items())},
    }


def _shipments(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    outbound = sum(
        1
        for order in world.orders(seller)
        if order.fulfillment_channel == "AFN" and order.status_at(t) == "Shipped"
    )
    by_status: Counter[str] = Counter()
    api_status: Counter[str] = Counter()
    item_count = expected_units = received_units = missing = lost = 0
    for shipment in world.inbound_shipments(seller):
        status = shipment.status_at(t)
        expected = sum(i.quantity_shipped for i in shipment.items)
        received = sum(shipment.received_at(i, t) for i in shipment.items)
        derived = inbound_status(shipment, expected, received, status)
        by_status[derived] += 1
        api_status[status] += 1
        item_count += len(shipment.items)
        expected_units += expected
        received_units += received
        missing += max(expected - received, 0)
        if derived == "lost":
            lost += expected - received
    return {
        "count": outbound + sum(by_status.values()),
        "outbound": {"shipped": outbound},
        "inbound": dict(sorted(by_status.items())),
        "inbound_api_status": dict(sorted(api_status.items())),
        "inbound_items": item_count,
        "inbound_expected_units": expected_units,
        "inbound_received_units": received_units,
        "missing_units": missing,
        "lost_units": lost,
    }


def _returns_and_refunds(
    world: World, seller: SellerAccount
) -> tuple[dict[str, Any], dict[str, Any]]:
    t = world.horizon
    returned: dict[tuple[str, str], int] = defaultdict(int)
    ordered: dict[tuple[str, str], int] = {}
    report_rows = 0
    refunded: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    refund_count = 0
    refund_total = ZERO
    for order in world.orders(seller):
        for item in order.items:
            ordered[(order.order_id, item.sku)] = (
                ordered.get((order.order_id, item.sku), 0) + item.quantity
            )
        for ret in order.returns:
            if ret.returned_at <= t:
                returned[(order.order_id, ret.sku)] += ret.quantity
                report_rows += 1
        for refund in order.refunds:
            if refund.posted_at <= t:
                refund_count += 1
                refunded[(order.order_id, refund.sku)] += refund.principal + refund.tax
                refund_total += refund.principal + refund.tax
    partial = sum(1 for key, qty in returned.items() if qty < ordered[key])
    return_refunds = sum((refunded[key] for key in returned if key in refunded), ZERO)
    without_return = [key for key in refunded if key not in returned]
    return (
        {
            "count": len(returned),
            "partial": partial,
            "report_rows": report_rows,
            "returned_units": sum(returned.values()),
            "refunded": sum(1 for key in returned if key in refunded),
            "refund_amount": _money(return_refunds),
        },
        {
            "count": refund_count,
            "amount": _money(refund_total),
            "without_return": len(without_return),
            "without_return_amount": _money(sum((refunded[k] for k in without_return), ZERO)),
        },
    )


def _settlements(world: World, seller: SellerAccount) -> dict[str, Any]:
    lines: dict[str, dict[str, Any]] = {}
    fees: dict[str, dict[str, Any]] = {}
    for event in world.events(seller):
        for line in event_lines(event):
            entry = lines.setdefault(
                line.transaction_type,
                {"count": 0, "amount": ZERO, "fees": ZERO, "net_amount": ZERO},
            )
            entry["count"] += 1
            entry["amount"] += line.amount
            entry["fees"] += line.fee_total
            entry["net_amount"] += line.net_amount
            for fee_type, value in line.fees:
                fee = fees.setdefault(fee_type, {"count": 0, "amount": ZERO})
                fee["count"] += 1
                fee["amount"] += value
    return {
        "lines": sum(e["count"] for e in lines.values()),
        "lines_by_type": {
            k: {**v, **{m: _money(v[m]) for m in ("amount", "fees", "net_amount")}}
            for k, v in sorted(lines.items())
        },
        "fees_by_type": {
            k: {"count": v["count"], "amount": _money(v["amount"])} for k, v in sorted(fees.items())
        },
    }


def _periods(world: World, seller: SellerAccount) -> dict[str, Any]:
    groups = world.settlement_groups(seller)
    return {
        "count": len(groups),
        "closed": sum(1 for g in groups if g.closed),
        "open": sum(1 for g in groups if not g.closed),
        "periods": [
            {
                "group_id": g.group_id,
                "marketplace_id": g.marketplace_id,
                "start": g.start.isoformat(),
                "end": g.end.isoformat(),
                "processing_status": "Closed" if g.closed else "Open",
                "original_total": _money(g.original_total),
                "currency": g.currency,
            }
            for g in groups
        ],
    }


def _reimbursements(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    count = units = 0
    total = ZERO
    by_reason: Counter[str] = Counter()
    for day in world.days(world.config.start, t):
        for r in world.reimbursements_caused_on(seller, day):
            if r.approved_at <= t:
                count += 1
                units += r.quantity
                total += r.amount_total
                by_reason[r.reason] += 1
    return {
        "count": count,
        "units": units,
        "amount_total": _money(total),
        "by_reason": dict(sorted(by_reason.items())),
    }
