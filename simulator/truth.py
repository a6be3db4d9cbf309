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
- inventory: getInventorySummaries at the horizon (`simulator.inventory` defines each
  quantity); `balances` = the ledger's balance per SKU x disposition at the horizon
  (non-zero ones), `by_disposition` their sums.
- inventory_ledger: every GET_LEDGER_DETAIL_VIEW_DATA row from the world's first day to
  the horizon, counted by Event Type and (Adjustments) by Reason; `units` sums Quantity.
  `summary_last_day` is the last whole day GET_LEDGER_SUMMARY_VIEW_DATA covers (the day
  before the horizon's) and `summary_ending_balances` its Ending Warehouse Balance per
  SKU x disposition (non-zero ones).
- claims: claim candidates as `simulator.claims` defines them (types, matching, windows,
  statuses, estimated value owed), as of the horizon.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from simulator import inventory
from simulator.claims import STATUSES, WINDOWS, seller_claims
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
        "inventory": _inventory(world, seller),
        "inventory_ledger": _inventory_ledger(world, seller),
        "claims": _claims(world, seller),
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


def _inventory(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    summaries = inventory.summaries(world, seller, t)
    balances = world.inventory_ledger(seller).balances_at(t)
    by_disposition: Counter[str] = Counter()
    for (_, disposition), quantity in balances.items():
        by_disposition[disposition] += quantity
    products = {p.sku: p for p in world.catalog(seller)}
    return {
        "as_of": t.isoformat(),
        "skus": len(summaries),
        "total_quantity": sum(s.total for s in summaries),
        "fulfillable": sum(s.fulfillable for s in summaries),
        "pending_customer_order": sum(s.pending_customer_order for s in summaries),
        "pending_transshipment": sum(s.pending_transshipment for s in summaries),
        "reserved": sum(s.reserved for s in summaries),
        "researching": sum(sum(s.researching.values()) for s in summaries),
        "unfulfillable": sum(sum(s.unfulfillable.values()) for s in summaries),
        "inbound_shipped": sum(s.inbound_shipped for s in summaries),
        "inbound_receiving": sum(s.inbound_receiving for s in summaries),
        "by_disposition": dict(sorted((k, v) for k, v in by_disposition.items() if v)),
        "balances": [
            {
                "sku": sku,
                "fnsku": products[sku].fnsku,
                "disposition": disposition,
                "quantity": quantity,
            }
            for (sku, disposition), quantity in sorted(balances.items())
            if quantity
        ],
    }


def _inventory_ledger(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    by_type: dict[str, dict[str, int]] = {}
    by_reason: dict[str, dict[str, int]] = {}
    rows = 0
    for event in world.inventory_ledger(seller).events_between(world.first_day, t.date()):
        if event.at > t:
            continue
        rows += 1
        entry = by_type.setdefault(event.event_type, {"rows": 0, "units": 0})
        entry["rows"] += 1
        entry["units"] += event.quantity
        if event.event_type == "Adjustments":
            reason = by_reason.setdefault(event.reason, {"rows": 0, "units": 0})
            reason["rows"] += 1
            reason["units"] += event.quantity
    # The last whole day GET_LEDGER_SUMMARY_VIEW_DATA covers, and its ending balances.
    last_day = t.date() - timedelta(days=1)
    ending = world.inventory_ledger(seller).balances_before(last_day + timedelta(days=1))
    by_disposition: Counter[str] = Counter()
    for (_, disposition), quantity in ending.items():
        by_disposition[disposition] += quantity
    return {
        "rows": rows,
        "by_event_type": dict(sorted(by_type.items())),
        "adjustments_by_reason": dict(sorted(by_reason.items())),
        "summary_last_day": last_day.isoformat(),
        "summary_ending_by_disposition": dict(
            sorted((k, v) for k, v in by_disposition.items() if v)
        ),
        "summary_ending_balances": [
            {"sku": sku, "disposition": disposition, "quantity": quantity}
            for (sku, disposition), quantity in sorted(ending.items())
            if quantity
        ],
    }


def _claims(world: World, seller: SellerAccount) -> dict[str, Any]:
    t = world.horizon
    today = t.date()
    claims = seller_claims(world, seller, t)
    by_type: dict[str, dict[str, Any]] = {}
    for claim_type in WINDOWS:
        mine = [c for c in claims if c.claim_type == claim_type]
        statuses = Counter(c.status(today) for c in mine)
        by_type[claim_type] = {
            "count": len(mine),
            "units_affected": sum(c.units_affected for c in mine),
            "units_reimbursed": sum(c.units_reimbursed for c in mine),
            "units_owed": sum(c.units_owed for c in mine),
            "amount_reimbursed": _money(sum((c.amount_reimbursed for c in mine), ZERO)),
            "estimated_value_owed": _money(sum((c.estimated_value_owed for c in mine), ZERO)),
            "by_status": {s: statuses[s] for s in STATUSES if statuses[s]},
        }
    claimable = [c for c in claims if c.claimable(today)]
    return {
        "as_of": t.isoformat(),
        "windows": {
            k: {"opens_after_days": a, "closes_after_days": b} for k, (a, b) in WINDOWS.items()
        },
        "count": len(claims),
        "by_type": by_type,
        "by_status": dict(sorted(Counter(c.status(today) for c in claims).items())),
        "claimable": {
            "count": len(claimable),
            "units_owed": sum(c.units_owed for c in claimable),
            "estimated_value_owed": _money(sum((c.estimated_value_owed for c in claimable), ZERO)),
        },
        "candidates": [
            {
                "claim_type": c.claim_type,
                "sku": c.product.sku,
                "fnsku": c.product.fnsku,
                "asin": c.product.asin,
                "reference": c.reference,
                "marketplace_id": c.marketplace_id,
                "event_at": c.event_at.isoformat(),
                "window_opens_on": c.window_opens_on.isoformat(),
                "window_closes_on": c.window_closes_on.isoformat(),
                "units_affected": c.units_affected,
                "units_found": c.units_found,
                "units_reimbursed": c.units_reimbursed,
                "units_owed": c.units_owed,
                "amount_reimbursed": _money(c.amount_reimbursed),
                "unit_value": _money(c.unit_value),
                "estimated_value_owed": _money(c.estimated_value_owed),
                "reimbursement_ids": list(c.reimbursement_ids),
                "status": c.status(today),
                "claimable": c.claimable(today),
            }
            for c in claims
        ],
    }
