"""What FBA Inventory v1 `getInventorySummaries` shows of a seller's stock at a moment.

Derived from the ledger (`simulator.ledger`) so both always agree, at any time t:

- fulfillableQuantity + pendingCustomerOrderQuantity = the SELLABLE ledger balance;
  pending customer orders are FBA orders placed but not yet shipped (they leave the
  ledger with their Shipments row).
- pendingTransshipmentQuantity = units between two fulfillment centers (a WhseTransfers
  row out, its row in still to come); fcProcessingQuantity is always 0.
- unfulfillableQuantity.<kind> = the ledger balance of that disposition.
- researchingQuantity = misplaced units (reason M) of the last 30 days not yet found,
  split by age: 1-10 days short term, 11-20 mid term, 21 or more long term.
- inboundShippedQuantity = units of inbound shipments still SHIPPED; inboundReceiving-
  Quantity = units not yet received of shipments RECEIVING; inboundWorking is always 0
  (the world has no WORKING shipments).
- totalQuantity = fulfillable + reserved + researching + unfulfillable + the three inbound.
- lastUpdatedTime = the SKU's latest ledger row or order placement, or the world's first
  midnight when it has none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simulator import generate
from simulator.entities import Product
from simulator.ledger import FOUND, LOST, SELLABLE

if TYPE_CHECKING:
    from simulator.config import SellerAccount
    from simulator.world import World

# Amazon's unfulfillable breakdown: ledger disposition -> UnfulfillableQuantity field.
UNFULFILLABLE_FIELDS = {
    "CUSTOMER_DAMAGED": "customerDamagedQuantity",
    "WAREHOUSE_DAMAGED": "warehouseDamagedQuantity",
    "DISTRIBUTOR_DAMAGED": "distributorDamagedQuantity",
    "CARRIER_DAMAGED": "carrierDamagedQuantity",
    "DEFECTIVE": "defectiveQuantity",
    "EXPIRED": "expiredQuantity",
}
RESEARCH_WINDOW = timedelta(days=30)
RESEARCH_TERMS = (
    ("researchingQuantityInShortTerm", 10),
    ("researchingQuantityInMidTerm", 20),
    ("researchingQuantityInLongTerm", 10**6),
)
TRANSFER_LAG = timedelta(days=4)


@dataclass
class Summary:
    """One SKU's inventory at a moment."""

    product: Product
    fulfillable: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    pending_customer_order: int = 0
    pending_transshipment: int = 0
    fc_processing: int = 0
    researching: dict[str, int] = field(default_factory=dict)
    unfulfillable: dict[str, int] = field(default_factory=dict)  # ledger disposition -> units
    last_updated: datetime | None = None

    @property
    def reserved(self) -> int:
        return self.pending_customer_order + self.pending_transshipment + self.fc_processing

    @property
    def total(self) -> int:
        return (
            self.fulfillable
            + self.reserved
            + sum(self.researching.values())
            + sum(self.unfulfillable.values())
            + self.inbound_working
            + self.inbound_shipped
            + self.inbound_receiving
        )


def in_transit(world: World, seller: SellerAccount, t: datetime) -> dict[str, int]:
    """Per SKU, units sent from one fulfillment center and not yet arrived at the other."""
    moving: dict[str, int] = defaultdict(int)
    for day in world.days(t - TRANSFER_LAG, t):
        rows = [
            e for e in world.incidents_on(seller, day).events if e.event_type == "WhseTransfers"
        ]
        for out in (e for e in rows if e.quantity < 0):
            arrival = next(e for e in rows if e.quantity > 0 and e.reference_id == out.reference_id)
            if out.at <= t < arrival.at:
                moving[out.product.sku] -= out.quantity
    return moving


def researching(world: World, seller: SellerAccount, t: datetime) -> dict[str, dict[str, int]]:
    """Per SKU, misplaced units of the last 30 days not found by t, by research term."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for day in world.days(t - RESEARCH_WINDOW, t):
        events = world.incidents_on(seller, day).events
        for lost in (e for e in events if e.reason == LOST and t - RESEARCH_WINDOW < e.at <= t):
            found = sum(e.quantity for e in events if e.reason == FOUND and e.at <= t)
            units = -lost.quantity - found
            if units <= 0:
                continue
            age = (t.date() - lost.at.date()).days
            name = next(n for n, most in RESEARCH_TERMS if age <= most)
            terms = out[lost.product.sku]
            terms[name] = terms.get(name, 0) + units
    return out


def summaries(world: World, seller: SellerAccount, t: datetime) -> list[Summary]:
    """Every catalog SKU's inventory at t, in catalog order (the last answer is cached)."""
    ledger = world.inventory_ledger(seller)
    cached = ledger.summaries_cache
    if cached is not None and cached[0] == t:
        return [replace(s) for s in cached[1]]  # type: ignore[attr-defined]
    found = _summaries(world, seller, t)
    ledger.summaries_cache = (t, [replace(s) for s in found])
    return found


def _summaries(world: World, seller: SellerAccount, t: datetime) -> list[Summary]:
    ledger = world.inventory_ledger(seller)
    balances = ledger.balances_at(t)
    changes = ledger.last_changes(t)
    by_sku = {p.sku: Summary(p) for p in world.catalog(seller)}
    for order in world.orders_between(seller, (t - generate.STATUS_LAG).date(), t.date()):
        if order.fulfillment_channel != "AFN" or order.shipped_at is None:
            continue
        if order.purchased_at <= t < order.shipped_at:
            for item in order.items:
                by_sku[item.sku].pending_customer_order += item.quantity
        if order.purchased_at <= t:
            for item in order.items:
                latest = changes.get(item.sku)
                if latest is None or latest < order.purchased_at:
                    changes[item.sku] = order.purchased_at
    for shipment in world.inbound_between(seller, (t - generate.INBOUND_LAG).date(), t.date()):
        if shipment.created_at > t:
            continue
        status = shipment.status_at(t)
        for line in shipment.items:
            if status == "SHIPPED":
                by_sku[line.product.sku].inbound_shipped += line.quantity_shipped
            elif status == "RECEIVING":
                by_sku[line.product.sku].inbound_receiving += line.quantity_shipped - (
                    shipment.received_at(line, t)
                )
    for sku, units in in_transit(world, seller, t).items():
        by_sku[sku].pending_transshipment += units
    for sku, terms in researching(world, seller, t).items():
        by_sku[sku].researching = terms
    start = generate.midnight(world.first_day)
    for sku, summary in by_sku.items():
        summary.fulfillable = balances.get((sku, SELLABLE), 0) - summary.pending_customer_order
        summary.unfulfillable = {
            d: balances.get((sku, d), 0) for d in UNFULFILLABLE_FIELDS if balances.get((sku, d))
        }
        summary.last_updated = changes.get(sku, start)
    return list(by_sku.values())
