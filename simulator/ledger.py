"""The FBA inventory ledger: every unit movement in Amazon's warehouses, and the balances.

The ledger is derived from the world's existing facts plus a few warehouse incidents of its
own, drawn from separate seeded streams so existing orders, shipments and returns stay
identical for a given seed:

- Receipts: inbound shipment units received (Fulfillment Inbound v0 `QuantityReceived`):
  the units received while RECEIVING at `receiving_at`, the rest at `closed_at`.
- Shipments: shipped FBA order items, negative, at `shipped_at` (reference = shipment id).
- CustomerReturns: each customer return batch, at `returned_at` (reference = the order
  id), in the disposition the returns report shows (its DAMAGED, Amazon's fault, is
  WAREHOUSE_DAMAGED here). Unsellable returned units are disposed of (Adjustments,
  reason D, reference = the return's license plate) 3-14 days later.
- Adjustments: units misplaced (reason M, negative) and some found again (F, positive);
  units damaged in the warehouse (a negative SELLABLE row and a positive WAREHOUSE_DAMAGED
  row with the same reason code, 6 or E) and disposed of later (D).
- WhseTransfers: units moved between fulfillment centers (out, then in 1-3 days later).
- VendorReturns: removal orders sending sellable units back to the seller (negative).

Amazon's adjustment reason codes used here (Inventory Ledger help): M misplaced (lost),
F found, 6 and E damaged at an Amazon fulfillment center, D disposed. Codes 7, H, K and U
(other damage) never occur in the simulated world.

Balances are kept per SKU x disposition for the seller's whole country (the home
marketplace's, where inbound shipments go); orders of every marketplace ship from it. The
opening balance on the world's first day is the smallest that keeps every balance from
going negative over the history and LOOKAHEAD days after the configured clock (customer
shipments counted from the purchase, so reserved units are always on hand), plus a seeded
buffer for sellable stock. It is a function of the configuration only; a clock moved
more than LOOKAHEAD past the configured one may see a balance the opening did not cover.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from simulator import generate
from simulator.entities import InboundShipment, Order, Product, Reimbursement, money

if TYPE_CHECKING:
    from simulator.config import SellerAccount
    from simulator.world import World

SELLABLE = "SELLABLE"
WAREHOUSE_DAMAGED = "WAREHOUSE_DAMAGED"
# The ledger's dispositions, and the returns report's detailed-disposition for each.
DISPOSITIONS = (
    SELLABLE,
    "CUSTOMER_DAMAGED",
    WAREHOUSE_DAMAGED,
    "DISTRIBUTOR_DAMAGED",
    "CARRIER_DAMAGED",
    "DEFECTIVE",
    "EXPIRED",
)
RETURN_DISPOSITION = {
    "SELLABLE": SELLABLE,
    "CUSTOMER_DAMAGED": "CUSTOMER_DAMAGED",
    "DEFECTIVE": "DEFECTIVE",
    "CARRIER_DAMAGED": "CARRIER_DAMAGED",
    "DAMAGED": WAREHOUSE_DAMAGED,
}
EVENT_TYPES = (
    "Shipments",
    "CustomerReturns",
    "Receipts",
    "Adjustments",
    "WhseTransfers",
    "VendorReturns",
)
LOST, FOUND, DISPOSED = "M", "F", "D"
DAMAGED_REASONS = ("6", "7", "E", "H", "K", "U")  # Amazon's damage codes; 6 and E occur
# How long after its cause day an incident can still produce a ledger row (found, disposed).
ADJUSTMENT_LAG = timedelta(days=31)
# Receipts happen at most ~26 days after an inbound shipment is created.
RECEIPT_LAG = timedelta(days=30)
# Days past the configured clock the opening balances account for.
LOOKAHEAD = timedelta(days=60)
# Refunds without a return that Amazon reimburses on its own are reimbursed on the day this
# many days after the order's purchase day: at least 61 days after any refund posts.
REFUND_REIMBURSEMENT_DELAY = timedelta(days=85)

# Summary report columns that sum ledger quantities, by event type or reason.
SUMMARY_COLUMNS = (
    "Receipts",
    "Customer Shipments",
    "Customer Returns",
    "Vendor Returns",
    "Warehouse Transfer In/Out",
    "Found",
    "Lost",
    "Damaged",
    "Disposed",
    "Other Events",
)


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One row of GET_LEDGER_DETAIL_VIEW_DATA."""

    at: datetime
    event_type: str
    product: Product
    quantity: int  # signed: negative leaves the disposition's balance
    reference_id: str
    fulfillment_center: str
    disposition: str
    reason: str = ""

    @property
    def summary_column(self) -> str:
        """The GET_LEDGER_SUMMARY_VIEW_DATA column this event's quantity adds to."""
        if self.event_type == "Receipts":
            return "Receipts"
        if self.event_type == "Shipments":
            return "Customer Shipments"
        if self.event_type == "CustomerReturns":
            return "Customer Returns"
        if self.event_type == "VendorReturns":
            return "Vendor Returns"
        if self.event_type == "WhseTransfers":
            return "Warehouse Transfer In/Out"
        if self.reason == FOUND:
            return "Found"
        if self.reason == LOST:
            return "Lost"
        if self.reason in DAMAGED_REASONS:
            return "Damaged"
        if self.reason == DISPOSED:
            return "Disposed"
        return "Other Events"


@dataclass(frozen=True, slots=True)
class Incidents:
    """What the warehouse did to one seller's stock on one day, and Amazon's reimbursements."""

    events: tuple[LedgerEvent, ...]
    reimbursements: tuple[Reimbursement, ...]


def _numeric_id(*parts: object, length: int = 11) -> str:
    return generate._token(*parts, length=length, alphabet="0123456789")


def _reimbursement(
    seed: int,
    key: str,
    approved_at: datetime,
    reason: str,
    marketplace_id: str,
    currency: str,
    product: Product,
    quantity: int,
    *,
    amount_per_unit: object = None,
    order_id: str = "",
) -> Reimbursement:
    return Reimbursement(
        reimbursement_id=_numeric_id(seed, key, "rid", length=10),
        case_id="",  # Amazon found these on its own: no case
        approved_at=approved_at,
        reason=reason,
        adjustment_type="FBAInventoryReimbursement",
        marketplace_id=marketplace_id,
        currency=currency,
        product=product,
        quantity=quantity,
        amount_per_unit=product.reimbursement_value
        if amount_per_unit is None
        else money(amount_per_unit),  # type: ignore[arg-type]
        shipment_id="",
        order_id=order_id,
    )


def incidents_on(
    seed: int,
    seller_index: int,
    marketplace_id: str,
    currency: str,
    products: tuple[Product, ...],
    day: date,
) -> Incidents:
    """Warehouse incidents caused on `day` (their later rows included) and their refunds.

    Reimbursements are decided up front: Amazon reimburses some losses and damages on its
    own 5-45 days later (fully or partly), and leaves the rest for the seller to claim.
    """
    rng = generate.rng_for(seed, seller_index, day, "ledger")
    start = generate.midnight(day)
    events: list[LedgerEvent] = []
    refunds: list[Reimbursement] = []
    fcs = generate.FULFILLMENT_CENTERS

    def ref(kind: str) -> str:
        return _numeric_id(seed, seller_index, day.toordinal(), kind)

    if rng.random() < 0.15:  # units misplaced
        product, lost = rng.choice(products), rng.randint(1, 4)
        at = start + timedelta(minutes=rng.randint(0, 1439))
        fc = rng.choice(fcs)
        events.append(
            LedgerEvent(at, "Adjustments", product, -lost, ref("lost"), fc, SELLABLE, LOST)
        )
        found = rng.randint(1, lost) if rng.random() < 0.35 else 0
        if found:
            found_at = at + timedelta(days=rng.randint(2, 25), minutes=rng.randint(0, 600))
            events.append(
                LedgerEvent(
                    found_at, "Adjustments", product, found, ref("found"), fc, SELLABLE, FOUND
                )
            )
        missing, roll = lost - found, rng.random()
        paid = missing if roll < 0.5 else missing - 1 if roll < 0.65 else 0
        if paid > 0:
            approved = at + timedelta(days=rng.randint(30, 45), minutes=rng.randint(0, 600))
            refunds.append(
                _reimbursement(
                    seed,
                    f"{seller_index}/{day.toordinal()}/lost",
                    approved,
                    "Lost_Warehouse",
                    marketplace_id,
                    currency,
                    product,
                    paid,
                )
            )
    if rng.random() < 0.12:  # units damaged in the warehouse
        product, damaged = rng.choice(products), rng.randint(1, 3)
        at = start + timedelta(minutes=rng.randint(0, 1439))
        fc, reason = rng.choice(fcs), rng.choice(("6", "E"))
        events.extend(_damage(product, damaged, at, fc, reason, ref("damage"), rng))
        roll = rng.random()
        paid = damaged if roll < 0.45 else damaged - 1 if roll < 0.6 else 0
        if paid > 0:
            approved = at + timedelta(days=rng.randint(5, 40), minutes=rng.randint(0, 600))
            refunds.append(
                _reimbursement(
                    seed,
                    f"{seller_index}/{day.toordinal()}/damage",
                    approved,
                    "Damaged_Warehouse",
                    marketplace_id,
                    currency,
                    product,
                    paid,
                )
            )
    if rng.random() < 0.10:  # a transfer between fulfillment centers
        product, moved = rng.choice(products), rng.randint(2, 8)
        at = start + timedelta(minutes=rng.randint(0, 1439))
        source, target = rng.sample(fcs, k=2)
        reference = ref("transfer")
        events.append(
            LedgerEvent(at, "WhseTransfers", product, -moved, reference, source, SELLABLE)
        )
        arrived = at + timedelta(days=rng.randint(1, 3), minutes=rng.randint(0, 600))
        events.append(
            LedgerEvent(arrived, "WhseTransfers", product, moved, reference, target, SELLABLE)
        )
    if rng.random() < 0.04:  # a removal order back to the seller
        product, removed = rng.choice(products), rng.randint(1, 5)
        at = start + timedelta(minutes=rng.randint(0, 1439))
        events.append(
            LedgerEvent(
                at, "VendorReturns", product, -removed, ref("removal"), rng.choice(fcs), SELLABLE
            )
        )
    return Incidents(tuple(events), tuple(refunds))


def _damage(
    product: Product,
    quantity: int,
    at: datetime,
    fc: str,
    reason: str,
    reference: str,
    rng: random.Random,
) -> list[LedgerEvent]:
    """Units damaged in the warehouse: sellable to warehouse-damaged, disposed of later."""
    disposed_at = at + timedelta(days=rng.randint(10, 30), minutes=rng.randint(0, 600))
    return [
        LedgerEvent(at, "Adjustments", product, -quantity, reference, fc, SELLABLE, reason),
        LedgerEvent(at, "Adjustments", product, quantity, reference, fc, WAREHOUSE_DAMAGED, reason),
        LedgerEvent(
            disposed_at,
            "Adjustments",
            product,
            -quantity,
            reference + "D",
            fc,
            WAREHOUSE_DAMAGED,
            DISPOSED,
        ),
    ]


def damage_of_reimbursed(seed: int, reimbursement: Reimbursement) -> list[LedgerEvent]:
    """The ledger rows behind one of `generate.warehouse_damage_on`'s same-day refunds."""
    rng = random.Random(f"{seed}:{reimbursement.reimbursement_id}:damage")
    start = generate.midnight(reimbursement.approved_at.date())
    # Before the approval, on the same day.
    at = start + (reimbursement.approved_at - start) / 2
    return _damage(
        reimbursement.product,
        reimbursement.quantity,
        at,
        rng.choice(generate.FULFILLMENT_CENTERS),
        "6",
        _numeric_id(seed, reimbursement.reimbursement_id, "damage"),
        rng,
    )


def refund_reimbursements(
    seed: int, orders: Iterable[Order], day: date, currency: str
) -> list[Reimbursement]:
    """Amazon reimbursing, on `day`, refunds whose item never came back (reason CustomerReturn).

    `orders` are the orders purchased REFUND_REIMBURSEMENT_DELAY before `day`. About half of
    their refunds without a return are reimbursed in full, a few in part, the rest never.
    """
    out = []
    for order in orders:
        if order.fulfillment_channel != "AFN":
            continue  # a seller-fulfilled item never was Amazon's to lose
        for refund in order.refunds:
            if refund.with_return:
                continue
            rng = random.Random(f"{seed}:{refund.adjustment_item_id}:refund-claim")
            roll = rng.random()
            paid = refund.quantity if roll < 0.5 else refund.quantity - 1 if roll < 0.6 else 0
            if paid <= 0:
                continue
            item = next(i for i in order.items if i.order_item_id == refund.order_item_id)
            per_unit = (item.item_price - item.promotion_discount) / item.quantity
            out.append(
                _reimbursement(
                    seed,
                    f"{order.order_id}/{refund.adjustment_item_id}",
                    generate.midnight(day) + timedelta(minutes=rng.randint(0, 1439)),
                    "CustomerReturn",
                    order.marketplace_id,
                    order.currency or currency,
                    item.product,
                    paid,
                    amount_per_unit=per_unit,
                    order_id=order.order_id,
                )
            )
    return out


def order_events(order: Order) -> Iterator[LedgerEvent]:
    """Shipments, customer returns and return disposals of one order (any time)."""
    if order.fulfillment_channel != "AFN" or order.shipped_at is None:
        return
    for item in order.items:
        yield LedgerEvent(
            order.shipped_at,
            "Shipments",
            item.product,
            -item.quantity,
            order.shipment_id,
            order.fulfillment_center,
            SELLABLE,
        )
    products = {item.order_item_id: item.product for item in order.items}
    for ret in order.returns:
        disposition = RETURN_DISPOSITION[ret.detailed_disposition]
        product = products[ret.order_item_id]
        yield LedgerEvent(
            ret.returned_at,
            "CustomerReturns",
            product,
            ret.quantity,
            order.order_id,
            ret.fulfillment_center,
            disposition,
        )
        if disposition != SELLABLE:
            rng = random.Random(f"{ret.license_plate}:disposal")
            yield LedgerEvent(
                ret.returned_at + timedelta(days=rng.randint(3, 14), minutes=rng.randint(0, 600)),
                "Adjustments",
                product,
                -ret.quantity,
                ret.license_plate,
                ret.fulfillment_center,
                disposition,
                DISPOSED,
            )


def receipt_events(shipment: InboundShipment) -> Iterator[LedgerEvent]:
    """Units received: `QuantityReceived` as Fulfillment Inbound v0 shows it once CLOSED."""
    if shipment.receiving_at is None or shipment.closed_at is None:
        return
    for item in shipment.items:
        first = min(item.received_while_receiving, item.received_final)
        for at, quantity in (
            (shipment.receiving_at, first),
            (shipment.closed_at, item.received_final - first),
        ):
            if quantity:
                yield LedgerEvent(
                    at,
                    "Receipts",
                    item.product,
                    quantity,
                    shipment.shipment_id,
                    shipment.fulfillment_center,
                    SELLABLE,
                )


Key = tuple[str, str]  # (sku, disposition)


def _row_order(event: LedgerEvent) -> tuple[datetime, str, str, str]:
    return (event.at, event.reference_id, event.product.sku, event.disposition)


class SellerLedger:
    """One seller's ledger: rows by day, daily sums per SKU x disposition, opening balances.

    Built by one pass over the seller's history (orders, inbound, incidents) the first time
    it is needed; later days (the clock moved on) are added on demand.
    """

    def __init__(self, world: World, seller: SellerAccount) -> None:
        self.world = world
        self.seller = seller
        self.products = {p.sku: p for p in world.catalog(seller)}
        self._lock = threading.Lock()
        self._flows: dict[int, dict[Key, dict[str, int]]] = {}  # day ordinal -> key -> column
        self._last_change: dict[int, dict[str, datetime]] = {}  # day ordinal -> sku -> time
        self._built_until = world.first_day - timedelta(days=1)
        self.opening: dict[Key, int] = {}
        self._day_rows: dict[date, list[LedgerEvent]] = {}
        # getInventorySummaries pages ask for the same moment again and again.
        self.summaries_cache: tuple[datetime, object] | None = None
        self._build_opening()

    # -- events by day -------------------------------------------------------------------

    def events_between(
        self, first: date, last: date, on_order: Callable[[Order], None] | None = None
    ) -> Iterator[LedgerEvent]:
        """Every ledger row happening on days first..last, in no particular order.

        `on_order` sees every order read on the way (so one pass can do more with them).
        """
        world, seed = self.world, self.world.config.seed
        for order in world.orders_between(self.seller, first - generate.ORDER_LAG, last):
            if on_order is not None:
                on_order(order)
            for event in order_events(order):
                if first <= event.at.date() <= last:
                    yield event
        for shipment in world.inbound_between(self.seller, first - RECEIPT_LAG, last):
            for event in receipt_events(shipment):
                if first <= event.at.date() <= last:
                    yield event
        for day in world.days(generate.midnight(first - ADJUSTMENT_LAG), generate.midnight(last)):
            caused = list(world.incidents_on(self.seller, day).events)
            for r in world.same_day_damage(self.seller, day):
                caused.extend(damage_of_reimbursed(seed, r))
            for event in caused:
                if first <= event.at.date() <= last:
                    yield event

    def events_on_days(self, first: date, last: date) -> Iterator[tuple[date, list[LedgerEvent]]]:
        """Every ledger row happening on each day first..last, day by day, in time order."""
        first = max(first, self.world.first_day)
        if last < first:
            return
        buckets: dict[date, list[LedgerEvent]] = defaultdict(list)
        for event in self.events_between(first, last):
            buckets[event.at.date()].append(event)
        day = first
        while day <= last:
            yield day, sorted(buckets.pop(day, []), key=_row_order)
            day += timedelta(days=1)

    # -- daily sums ----------------------------------------------------------------------

    def _build_opening(self) -> None:
        """Opening balances: the smallest that keep every balance >= 0 (see module doc)."""
        config = self.world.config
        last = (config.now + LOOKAHEAD).date()
        # Guard flows: customer shipments counted at purchase (reserved units are on hand).
        early: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

        def count_purchase(order: Order) -> None:
            if order.fulfillment_channel == "AFN" and order.shipped_at is not None:
                for item in order.items:
                    early[order.purchased_at.date().toordinal()][item.sku] += item.quantity

        self._extend(last, count_purchase)
        running: dict[Key, int] = defaultdict(int)
        lowest: dict[Key, int] = defaultdict(int)
        day = self.world.first_day
        while day <= last:
            flows = self._flows.get(day.toordinal(), {})
            outflow: dict[Key, int] = defaultdict(int)
            net: dict[Key, int] = defaultdict(int)
            for key, columns in flows.items():
                for column, quantity in columns.items():
                    if column == "Customer Shipments":
                        continue  # counted at purchase below
                    net[key] += quantity
                    if quantity < 0:
                        outflow[key] += quantity
            for sku, quantity in early.get(day.toordinal(), {}).items():
                outflow[(sku, SELLABLE)] -= quantity
                net[(sku, SELLABLE)] -= quantity
            for key in set(outflow) | set(net):
                lowest[key] = min(lowest[key], running[key] + outflow[key])
                running[key] += net[key]
            day += timedelta(days=1)
        rng = random.Random(f"{config.seed}:{self.seller.index}:opening")
        for sku in sorted(self.products):
            lowest[(sku, SELLABLE)] -= rng.randint(5, 40)  # a buffer of sellable stock
        self.opening = {key: -low for key, low in sorted(lowest.items()) if low < 0}

    def _extend(self, last: date, on_order: Callable[[Order], None] | None = None) -> None:
        """Daily sums for every day up to `last`: one streaming pass, no rows kept."""
        with self._lock:
            if last <= self._built_until:
                return
            first = self._built_until + timedelta(days=1)
            for event in self.events_between(first, last, on_order):
                ordinal = event.at.date().toordinal()
                flows = self._flows.setdefault(ordinal, {})
                columns = flows.setdefault((event.product.sku, event.disposition), {})
                column = event.summary_column
                columns[column] = columns.get(column, 0) + event.quantity
                changes = self._last_change.setdefault(ordinal, {})
                sku = event.product.sku
                if sku not in changes or changes[sku] < event.at:
                    changes[sku] = event.at
            self._built_until = last

    def day_flows(self, day: date) -> dict[Key, dict[str, int]]:
        """Summary-column sums of every SKU x disposition on `day`."""
        self._extend(day)
        return self._flows.get(day.toordinal(), {})

    def balances_before(self, day: date) -> dict[Key, int]:
        """Warehouse balances at the start of `day` (midnight UTC)."""
        self._extend(day)
        balances: dict[Key, int] = defaultdict(int, self.opening)
        current = self.world.first_day
        while current < day:
            for key, columns in self._flows.get(current.toordinal(), {}).items():
                balances[key] += sum(columns.values())
            current += timedelta(days=1)
        return balances

    def events_on(self, day: date) -> list[LedgerEvent]:
        """One day's rows in time order; the last few days asked for are kept."""
        with self._lock:
            cached = self._day_rows.get(day)
        if cached is not None:
            return cached
        rows = next(self.events_on_days(day, day), (day, []))[1]
        with self._lock:
            while len(self._day_rows) >= 4:
                self._day_rows.pop(next(iter(self._day_rows)))
            self._day_rows[day] = rows
        return rows

    def balances_at(self, t: datetime) -> dict[Key, int]:
        """Warehouse balances just after `t` (rows at or before `t` applied)."""
        balances = self.balances_before(t.date())
        for event in self.events_on(t.date()):
            if event.at <= t:
                balances[(event.product.sku, event.disposition)] += event.quantity
        return balances

    def last_changes(self, t: datetime) -> dict[str, datetime]:
        """Per SKU, the time of its latest ledger row at or before `t`."""
        self._extend(t.date())
        latest: dict[str, datetime] = {}
        current = self.world.first_day
        while current < t.date():
            latest.update(self._last_change.get(current.toordinal(), {}))
            current += timedelta(days=1)
        for event in self.events_on(t.date()):
            if event.at <= t:
                latest[event.product.sku] = event.at
        return latest
