"""Reimbursement claim candidates: what Amazon still owes a seller, as of a moment t.

Everything here uses only what a seller's synced data shows (inbound shipment items, the
ledger detail report, the customer returns, reimbursements and orders reports), so the
`claims` mart can reproduce it exactly. Four claim types:

- `inbound_shortfall`: one per CLOSED inbound shipment x SKU with QuantityShipped >
  QuantityReceived. Units affected = the difference. Event time = the shipment's last
  Receipts row in the ledger (Reference ID = the shipment id): the moment it closed, as
  Inbound v0 shows no close date (in the rare shipment whose units all arrived before
  the close, its last receipt). Window: 15-60 days after.
- `warehouse_lost`: one per ledger Adjustments row with reason M (misplaced). Units
  affected = its units minus the units found (reason F) matched to it. Window: 0-60 days
  after the row's date.
- `warehouse_damaged`: one per negative SELLABLE Adjustments row with a damage reason
  (6, 7, E, H, K, U). Units affected = its units. Window: 0-60 days after.
- `refund_without_return`: one per refund of an FBA order item with no customer return
  for that order x SKU. Units affected = the refunded quantity. Event time = the refund's
  posting. Window: 60-120 days after.

Matching (per seller, in time order; ties by reference): reimbursements and found units are
allocated first-in-first-out to the candidates of the same SKU whose event happened at or
before them, each up to its remaining units: Lost_Inbound reimbursements to inbound
shortfalls (by close time), Lost_Warehouse reimbursements and F rows together to lost rows,
Damaged_Warehouse reimbursements to damage rows. CustomerReturn reimbursements match their
amazon-order-id x SKU. What cannot be allocated is ignored. amount_reimbursed = allocated
units x the reimbursement's amount-per-unit.

Status on t's date (UTC): `reimbursed` when reimbursed units >= affected units;
`partly_reimbursed` when some are; otherwise `too_early` before window_opens_on,
`expired` after window_closes_on, `closing_soon` when window_closes_on is at most 7 days
away, else `open`. Windows are in whole days: opens_on = event date + first day,
closes_on = event date + last day. A claim is `claimable` when it is not fully reimbursed
and opens_on <= t's date <= closes_on.

Estimated value owed = unreimbursed units x unit value. Unit value = the SKU's average net
sale price, rounded half-up to the cent: sum(item-price - promotion-discount) /
sum(quantity) over the SKU's order items of the claim's marketplace (the refunded order's
for refund_without_return, the home marketplace's otherwise) whose order shipped by t and
was purchased in the 90 days before the event's date (event date - 90 <= purchase date <
event date); with no such sale, the same average over every such order up to t; with none
at all, 0.00. Currency: that marketplace's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from simulator.entities import Product, Reimbursement, money
from simulator.ledger import (
    DAMAGED_REASONS,
    FOUND,
    LOST,
    SELLABLE,
    LedgerEvent,
    damage_of_reimbursed,
    receipt_events,
)

if TYPE_CHECKING:
    from simulator.config import SellerAccount
    from simulator.world import World

# (first day, last day) after the event; Amazon's FBA reimbursement policy, late 2024.
WINDOWS = {
    "inbound_shortfall": (15, 60),
    "warehouse_lost": (0, 60),
    "warehouse_damaged": (0, 60),
    "refund_without_return": (60, 120),
}
CLOSING_SOON_DAYS = 7
VALUE_LOOKBACK_DAYS = 90
STATUSES = ("too_early", "open", "closing_soon", "expired", "reimbursed", "partly_reimbursed")
ZERO = Decimal("0.00")


@dataclass
class Claim:
    claim_type: str
    product: Product
    reference: str  # shipment id, ledger Reference ID, or order id
    event_at: datetime
    units_affected: int
    units_found: int = 0  # warehouse_lost: units found again (already subtracted)
    units_reimbursed: int = 0
    amount_reimbursed: Decimal = ZERO
    reimbursement_ids: list[str] = field(default_factory=list)
    unit_value: Decimal = ZERO
    marketplace_id: str = ""  # the refunded order's; the home marketplace's otherwise

    @property
    def window_opens_on(self) -> date:
        return self.event_at.date() + timedelta(days=WINDOWS[self.claim_type][0])

    @property
    def window_closes_on(self) -> date:
        return self.event_at.date() + timedelta(days=WINDOWS[self.claim_type][1])

    @property
    def units_owed(self) -> int:
        return max(self.units_affected - self.units_reimbursed, 0)

    @property
    def estimated_value_owed(self) -> Decimal:
        return money(self.unit_value * self.units_owed)

    def status(self, today: date) -> str:
        if self.units_reimbursed >= self.units_affected:
            return "reimbursed"
        if self.units_reimbursed > 0:
            return "partly_reimbursed"
        if today < self.window_opens_on:
            return "too_early"
        if today > self.window_closes_on:
            return "expired"
        if (self.window_closes_on - today).days <= CLOSING_SOON_DAYS:
            return "closing_soon"
        return "open"

    def claimable(self, today: date) -> bool:
        return self.units_owed > 0 and self.window_opens_on <= today <= self.window_closes_on


@dataclass(frozen=True)
class _Credit:
    """Units that reduce candidates: a reimbursement, or a found row."""

    at: datetime
    sku: str
    quantity: int
    per_unit: Decimal | None  # None for found units
    reference: str


def _allocate(claims: list[Claim], credits: Iterable[_Credit]) -> None:
    """First in, first out per SKU (see the module docstring)."""
    by_sku: dict[str, list[Claim]] = defaultdict(list)
    for claim in sorted(claims, key=lambda c: (c.event_at, c.reference)):
        by_sku[claim.product.sku].append(claim)
    for credit in sorted(credits, key=lambda c: (c.at, c.reference)):
        left = credit.quantity
        for claim in by_sku.get(credit.sku, []):
            if left == 0 or claim.event_at > credit.at:
                break
            room = claim.units_affected - claim.units_reimbursed
            take = min(room, left)
            if take <= 0:
                continue
            left -= take
            if credit.per_unit is None:  # found units: fewer units were lost
                claim.units_affected -= take
                claim.units_found += take
            else:
                claim.units_reimbursed += take
                claim.amount_reimbursed += credit.per_unit * take
                claim.reimbursement_ids.append(credit.reference)


def _reimbursements(world: World, seller: SellerAccount, t: datetime) -> list[Reimbursement]:
    return [
        r
        for day in world.days(world.config.start, t)
        for r in world.reimbursements_caused_on(seller, day)
        if r.approved_at <= t
    ]


def _credits(reimbursements: Iterable[Reimbursement], reason: str) -> list[_Credit]:
    return [
        _Credit(r.approved_at, r.product.sku, r.quantity, r.amount_per_unit, r.reimbursement_id)
        for r in reimbursements
        if r.reason == reason
    ]


def _incident_rows(world: World, seller: SellerAccount, t: datetime) -> list[LedgerEvent]:
    rows: list[LedgerEvent] = []
    for day in world.days(world.config.start, t):
        rows.extend(world.incidents_on(seller, day).events)
        for r in world.same_day_damage(seller, day):
            rows.extend(damage_of_reimbursed(world.config.seed, r))
    return [e for e in rows if e.at <= t]


def lost_claims(
    world: World, seller: SellerAccount, t: datetime, reimbursements: list[Reimbursement]
) -> list[Claim]:
    """Ledger M rows with found units and Lost_Warehouse reimbursements allocated."""
    rows = _incident_rows(world, seller, t)
    claims = [
        Claim("warehouse_lost", e.product, e.reference_id, e.at, -e.quantity)
        for e in rows
        if e.reason == LOST
    ]
    found = [
        _Credit(e.at, e.product.sku, e.quantity, None, e.reference_id)
        for e in rows
        if e.reason == FOUND
    ]
    _allocate(claims, [*found, *_credits(reimbursements, "Lost_Warehouse")])
    return claims


def _damage_claims(
    world: World, seller: SellerAccount, t: datetime, reimbursements: list[Reimbursement]
) -> list[Claim]:
    claims = [
        Claim("warehouse_damaged", e.product, e.reference_id, e.at, -e.quantity)
        for e in _incident_rows(world, seller, t)
        if e.reason in DAMAGED_REASONS and e.disposition == SELLABLE and e.quantity < 0
    ]
    _allocate(claims, _credits(reimbursements, "Damaged_Warehouse"))
    return claims


def _inbound_claims(
    world: World, seller: SellerAccount, t: datetime, reimbursements: list[Reimbursement]
) -> list[Claim]:
    claims = []
    for shipment in world.inbound_shipments(seller):
        if shipment.status_at(t) != "CLOSED" or shipment.closed_at is None:
            continue
        # The close as the ledger shows it: the shipment's last Receipts row.
        closed_at = max(e.at for e in receipt_events(shipment))
        for item in shipment.items:
            short = item.quantity_shipped - shipment.received_at(item, t)
            if short > 0:
                claims.append(
                    Claim("inbound_shortfall", item.product, shipment.shipment_id, closed_at, short)
                )
    _allocate(claims, _credits(reimbursements, "Lost_Inbound"))
    return claims


def _refund_claims(
    world: World, seller: SellerAccount, t: datetime, reimbursements: list[Reimbursement]
) -> list[Claim]:
    paid: dict[tuple[str, str], list[Reimbursement]] = defaultdict(list)
    for r in reimbursements:
        if r.reason == "CustomerReturn":
            paid[(r.order_id, r.product.sku)].append(r)
    claims = []
    for order in world.orders(seller):
        if order.fulfillment_channel != "AFN":
            continue
        returned = {ret.sku for ret in order.returns if ret.returned_at <= t}
        for refund in order.refunds:
            if refund.posted_at > t or refund.sku in returned:
                continue
            product = next(
                i.product for i in order.items if i.order_item_id == refund.order_item_id
            )
            claim = Claim(
                "refund_without_return",
                product,
                order.order_id,
                refund.posted_at,
                refund.quantity,
                marketplace_id=order.marketplace_id,
            )
            for r in sorted(
                paid.get((order.order_id, refund.sku), []), key=lambda r: r.approved_at
            ):
                take = min(r.quantity, claim.units_affected - claim.units_reimbursed)
                if take > 0:
                    claim.units_reimbursed += take
                    claim.amount_reimbursed += r.amount_per_unit * take
                    claim.reimbursement_ids.append(r.reimbursement_id)
            claims.append(claim)
    return claims


class UnitValues:
    """Per-SKU average net sale price, as the module docstring defines it."""

    def __init__(self, world: World, seller: SellerAccount, t: datetime) -> None:
        self._daily: dict[tuple[str, str], dict[date, tuple[Decimal, int]]] = defaultdict(dict)
        for order in world.orders(seller, t):
            if order.shipped_at is None or order.shipped_at > t:
                continue
            day = order.purchased_at.date()
            for item in order.items:
                days = self._daily[(order.marketplace_id, item.sku)]
                net, units = days.get(day, (ZERO, 0))
                days[day] = (net + item.item_price - item.promotion_discount, units + item.quantity)

    def value(self, marketplace_id: str, sku: str, event_day: date) -> Decimal:
        days = self._daily.get((marketplace_id, sku), {})
        first = event_day - timedelta(days=VALUE_LOOKBACK_DAYS)
        window = [v for d, v in days.items() if first <= d < event_day] or list(days.values())
        units = sum(u for _, u in window)
        if units == 0:
            return ZERO
        return money(sum((n for n, _ in window), ZERO) / units)


def seller_claims(world: World, seller: SellerAccount, t: datetime) -> list[Claim]:
    """Every claim candidate with units affected, valued; ordered by type, time, reference."""
    reimbursements = _reimbursements(world, seller, t)
    claims = [
        *_inbound_claims(world, seller, t, reimbursements),
        *lost_claims(world, seller, t, reimbursements),
        *_damage_claims(world, seller, t, reimbursements),
        *_refund_claims(world, seller, t, reimbursements),
    ]
    values = UnitValues(world, seller, t)
    kept = [c for c in claims if c.units_affected > 0]
    for claim in kept:
        claim.marketplace_id = claim.marketplace_id or seller.marketplace_ids[0]
        claim.unit_value = values.value(
            claim.marketplace_id, claim.product.sku, claim.event_at.date()
        )
    return sorted(kept, key=lambda c: (c.claim_type, c.event_at, c.reference, c.product.sku))
