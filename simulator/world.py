"""The simulated world: sellers, their days of history, and queries over them.

Days are generated on demand and kept in a small LRU cache, so a world of a million
orders never holds a million orders in memory. Every query answers "as of" a moment;
by default the simulated clock's visible horizon (`now` minus Amazon's two-minute lag).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, TypeVar

from simulator import generate, ledger
from simulator.config import (
    MARKETPLACES,
    VISIBILITY_LAG,
    SellerAccount,
    WorldConfig,
    seller_accounts,
)
from simulator.day_cache import DayCache
from simulator.entities import (
    InboundShipment,
    Order,
    Product,
    Refund,
    Reimbursement,
    ServiceFee,
    SettlementGroup,
    SettlementPeriod,
)

SETTLEMENT_PERIOD_DAYS = 14
# Periods are aligned to a fixed Monday so a group's bounds never depend on the config.
SETTLEMENT_EPOCH = date(2020, 1, 6)
EVENT_LAG = max(generate.ORDER_LAG, generate.INBOUND_LAG)
# Records (orders; financial events; inbound shipments) kept generated, per kind: a whole
# bench-sized world (275 orders a day for a year) stays generated once touched, while a
# world of millions of orders never sits in memory (about 1.5 kB an order with its events).
CACHE_RECORDS = 150_000

# Days of refunds-without-return kept: tiny per day, and each is read again 85 days later.
REFUND_CACHE_SIZE = 256

T = TypeVar("T")
EventKind = Literal["shipment", "refund", "service_fee", "adjustment"]


def currency_of(marketplace_id: str) -> str:
    return next(m[2] for m in MARKETPLACES if m[0] == marketplace_id)


def marketplace_name(marketplace_id: str) -> str:
    return next(m[1] for m in MARKETPLACES if m[0] == marketplace_id)


@dataclass(frozen=True, slots=True)
class FinancialEvent:
    """One event of the Finances API, pointing at the world fact it comes from."""

    kind: EventKind
    posted_at: datetime
    marketplace_id: str
    currency: str
    order: Order | None = None
    refund: Refund | None = None
    fee: ServiceFee | None = None
    reimbursement: Reimbursement | None = None


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One financial event item: what the `settlements` mart holds one row of."""

    transaction_type: str  # order, refund, service_fee, adjustment
    posted_at: datetime
    marketplace_id: str
    currency: str
    order_id: str
    sku: str
    quantity: int
    charges: tuple[tuple[str, Decimal], ...]  # charge type -> amount (incl. promotions)
    fees: tuple[tuple[str, Decimal], ...]  # fee type -> amount (negative = charged)
    adjustment_type: str = ""

    @property
    def amount(self) -> Decimal:
        return sum((a for _, a in self.charges), Decimal("0.00"))

    @property
    def fee_total(self) -> Decimal:
        return sum((a for _, a in self.fees), Decimal("0.00"))

    @property
    def net_amount(self) -> Decimal:
        return self.amount + self.fee_total


@dataclass(frozen=True, slots=True)
class Position:
    """Where a paged scan resumes: a source day and an index within that day."""

    day: int  # date ordinal
    index: int


def event_lines(event: FinancialEvent) -> list[SettlementLine]:
    """The settlement lines of an event: one per item (one for a service fee)."""
    common = {
        "posted_at": event.posted_at,
        "marketplace_id": event.marketplace_id,
        "currency": event.currency,
    }
    if event.kind == "shipment":
        assert event.order is not None
        lines = []
        for item in event.order.items:
            charges = [("Principal", item.item_price), ("Tax", item.item_tax)]
            if item.promotion_discount:
                charges.append(("Promotion", -item.promotion_discount))
            fees = [("Commission", -generate.commission(item.item_price - item.promotion_discount))]
            if event.order.fulfillment_channel == "AFN":
                fees.insert(
                    0, ("FBAPerUnitFulfillmentFee", -generate.fba_fee(item.product, item.quantity))
                )
            lines.append(
                SettlementLine(
                    transaction_type="order",
                    order_id=event.order.order_id,
                    sku=item.sku,
                    quantity=item.quantity,
                    charges=tuple(charges),
                    fees=tuple(fees),
                    **common,  # type: ignore[arg-type]
                )
            )
        return lines
    if event.kind == "refund":
        assert event.order is not None and event.refund is not None
        refund = event.refund
        return [
            SettlementLine(
                transaction_type="refund",
                order_id=event.order.order_id,
                sku=refund.sku,
                quantity=refund.quantity,
                charges=(("Principal", -refund.principal), ("Tax", -refund.tax)),
                fees=(
                    ("Commission", refund.commission_back),
                    ("RefundCommission", -refund.refund_commission),
                ),
                **common,  # type: ignore[arg-type]
            )
        ]
    if event.kind == "service_fee":
        assert event.fee is not None
        return [
            SettlementLine(
                transaction_type="service_fee",
                order_id="",
                sku="",
                quantity=0,
                charges=(),
                fees=((event.fee.fee_type, event.fee.amount),),
                **common,  # type: ignore[arg-type]
            )
        ]
    assert event.reimbursement is not None
    r = event.reimbursement
    return [
        SettlementLine(
            transaction_type="adjustment",
            order_id="",
            sku=r.product.sku,
            quantity=r.quantity,
            charges=((r.adjustment_type, r.amount_total),),
            fees=(),
            adjustment_type=r.adjustment_type,
            **common,  # type: ignore[arg-type]
        )
    ]


def settlement_period(moment: datetime) -> int:
    return (moment.date().toordinal() - SETTLEMENT_EPOCH.toordinal()) // SETTLEMENT_PERIOD_DAYS


def period_bounds(period: int) -> tuple[datetime, datetime]:
    start = generate.midnight(
        date.fromordinal(SETTLEMENT_EPOCH.toordinal() + period * SETTLEMENT_PERIOD_DAYS)
    )
    return start, start + timedelta(days=SETTLEMENT_PERIOD_DAYS)


class World:
    """A seeded world. `now` is the simulated clock; only `set_now` changes it."""

    def __init__(
        self,
        config: WorldConfig,
        clock: Callable[[], datetime] | None = None,
        cache_records: int = CACHE_RECORDS,
    ) -> None:
        self.config = config
        self.sellers: list[SellerAccount] = seller_accounts(config)
        self._by_id = {s.seller_id: s for s in self.sellers}
        self._now = config.now
        # The request clock follows the wall clock unless `now` was given (or set_now is
        # called): see `now` below. The world's history itself always ends at `_now`.
        self._pinned = config.now_pinned
        self._wall = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._totals: dict[tuple[int, datetime], dict[tuple[str, int], Decimal]] = {}
        self._catalogs = [generate.catalog(config.seed, s.index) for s in self.sellers]
        self._orders_on = DayCache(self._generate_orders, cache_records)
        self._events_on = DayCache(self._generate_events, cache_records)
        self._inbound_on = DayCache(self._generate_inbound, cache_records)
        self._warm_state = "idle"
        self._refunded_orders_on = lru_cache(maxsize=REFUND_CACHE_SIZE)(self._unreturned_refunds)
        self._ledgers: dict[int, ledger.SellerLedger] = {}

    # -- clock ---------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The request clock: what `…Before` bounds, `Date` headers and report times use.

        Pinned (`--now`, `set_now`), it is the world's end. Otherwise it is the wall clock,
        never earlier than the world's end: the world's history is fixed at its anchor
        (today's midnight by default, as `truth` computes it) and nothing new happens
        after it, while a client that asks up to two minutes before its own time is served.
        """
        if self._pinned:
            return self._now
        return max(self._wall(), self._now)

    @property
    def data_now(self) -> datetime:
        """Where the world's history ends: data is visible up to this minus the lag."""
        return self._now

    def set_now(self, now: datetime) -> None:
        """Pin the clock at `now`; data between the old and new horizon becomes visible."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        with self._lock:
            self._now = now
            self._pinned = True

    @property
    def horizon(self) -> datetime:
        return self._now - VISIBILITY_LAG

    @property
    def first_day(self) -> date:
        return self.config.start.date()

    def seller(self, seller_id: str) -> SellerAccount:
        return self._by_id[seller_id]

    def catalog(self, seller: SellerAccount) -> tuple[Product, ...]:
        return self._catalogs[seller.index]

    def days(self, start: datetime, end: datetime) -> Iterator[date]:
        """Days of history overlapping [start, end], clipped to the world's first day."""
        day = max(start.date(), self.first_day)
        while day <= end.date():
            yield day
            day += timedelta(days=1)

    # -- background warm-up --------------------------------------------------------------

    @property
    def warm_state(self) -> str:
        """ "idle" (never warmed), "warming" or "done"."""
        return self._warm_state

    def warm(self, stop: threading.Event | None = None) -> None:
        """Generate the world's days, newest first, while the caches have room for them.

        Run in a background thread from startup (`serve --warm`): every query looks back
        weeks (returns 45 days, financial events 60), so a first report or page would
        otherwise generate its whole look-back; warmed, it only renders. Stops at the
        caches' bound, so a world larger than the cache keeps only its newest days.
        """
        self._warm_state = "warming"
        caches = (self._orders_on, self._events_on)
        last = self.horizon.date()
        day, complete = last, True
        while day >= self.first_day and complete:
            for seller in self.sellers:
                if stop is not None and stop.is_set():
                    return
                # Leave room for a day about as large as the last one, so the newest days
                # are never evicted by the warm-up itself.
                if any(c.records + self._day_size(c) > c.max_records for c in caches):
                    complete = False
                    break
                self._events_on(seller.index, day)
                self._inbound_on(seller.index, day)
            day -= timedelta(days=1)
        if complete:
            for seller in self.sellers:  # settlement totals: one more pass, all cached
                self._group_totals(seller)
        self._warm_state = "done"

    @staticmethod
    def _day_size(cache: DayCache[Any]) -> int:
        return cache.records // max(1, len(cache)) * 2

    # -- generation (cached per day) -----------------------------------------------------

    def _generate_orders(self, seller_index: int, day: date) -> tuple[Order, ...]:
        seller = self.sellers[seller_index]
        return tuple(
            generate.orders_on(
                self.config.seed,
                seller_index,
                seller.marketplace_ids,
                self._catalogs[seller_index],
                day,
                self.config.orders_per_day,
            )
        )

    def _generate_inbound(self, seller_index: int, day: date) -> tuple[InboundShipment, ...]:
        seller = self.sellers[seller_index]
        return tuple(
            generate.inbound_on(
                self.config.seed,
                seller_index,
                seller.marketplace_ids[0],
                self._catalogs[seller_index],
                day,
            )
        )

    def _generate_events(self, seller_index: int, day: date) -> tuple[FinancialEvent, ...]:
        """Every financial event caused by what happened on `day`, whenever it posts."""
        seller = self.sellers[seller_index]
        seed = self.config.seed
        events: list[FinancialEvent] = []
        for order in self._orders_on(seller_index, day):
            if order.shipment_posted_at is not None:
                events.append(
                    FinancialEvent(
                        "shipment",
                        order.shipment_posted_at,
                        order.marketplace_id,
                        order.currency,
                        order=order,
                    )
                )
            for refund in order.refunds:
                events.append(
                    FinancialEvent(
                        "refund",
                        refund.posted_at,
                        order.marketplace_id,
                        order.currency,
                        order=order,
                        refund=refund,
                    )
                )
        for reimbursement in self.reimbursements_caused_on(seller, day):
            events.append(
                FinancialEvent(
                    "adjustment",
                    reimbursement.approved_at,
                    reimbursement.marketplace_id,
                    reimbursement.currency,
                    reimbursement=reimbursement,
                )
            )
        for marketplace_id in seller.marketplace_ids:
            for fee in generate.service_fees_on(
                seed, seller_index, marketplace_id, currency_of(marketplace_id), day
            ):
                events.append(
                    FinancialEvent(
                        "service_fee", fee.posted_at, marketplace_id, fee.currency, fee=fee
                    )
                )
        return tuple(events)

    def reimbursements_caused_on(self, seller: SellerAccount, day: date) -> list[Reimbursement]:
        """Reimbursements for inbound shipments created on `day`, damage on `day`, warehouse
        incidents of `day` (`simulator.ledger`), and refunds Amazon reimburses on `day`."""
        marketplace_id = seller.marketplace_ids[0]
        currency = currency_of(marketplace_id)
        out: list[Reimbursement] = []
        for shipment in self._inbound_on(seller.index, day):
            out.extend(generate.reimbursements_for(self.config.seed, shipment, currency))
        out.extend(self.same_day_damage(seller, day))
        out.extend(self.incidents_on(seller, day).reimbursements)
        out.extend(self._refund_reimbursements_on(seller.index, day))
        return out

    # -- inventory (simulator.ledger) ----------------------------------------------------

    def same_day_damage(self, seller: SellerAccount, day: date) -> list[Reimbursement]:
        """Warehouse damage of `day` that Amazon reimbursed the same day."""
        marketplace_id = seller.marketplace_ids[0]
        return generate.warehouse_damage_on(
            self.config.seed,
            seller.index,
            marketplace_id,
            currency_of(marketplace_id),
            self._catalogs[seller.index],
            day,
        )

    def incidents_on(self, seller: SellerAccount, day: date) -> ledger.Incidents:
        """Warehouse incidents caused on `day`: losses, finds, damage, transfers, removals."""
        marketplace_id = seller.marketplace_ids[0]
        return ledger.incidents_on(
            self.config.seed,
            seller.index,
            marketplace_id,
            currency_of(marketplace_id),
            self._catalogs[seller.index],
            day,
        )

    def _refund_reimbursements_on(self, seller_index: int, day: date) -> list[Reimbursement]:
        purchased = day - ledger.REFUND_REIMBURSEMENT_DELAY
        if purchased < self.first_day:
            return []
        seller = self.sellers[seller_index]
        return ledger.refund_reimbursements(
            self.config.seed,
            self._refunded_orders_on(seller_index, purchased),
            day,
            currency_of(seller.marketplace_ids[0]),
        )

    def _unreturned_refunds(self, seller_index: int, day: date) -> tuple[Order, ...]:
        """Orders of `day` with a refund but no return: few, so many days stay cached."""
        return tuple(
            o
            for o in self._orders_on(seller_index, day)
            if any(not r.with_return for r in o.refunds)
        )

    def inventory_ledger(self, seller: SellerAccount) -> ledger.SellerLedger:
        """The seller's inventory ledger, built on first use."""
        with self._lock:
            found = self._ledgers.get(seller.index)
        if found is None:
            found = ledger.SellerLedger(self, seller)
            with self._lock:
                found = self._ledgers.setdefault(seller.index, found)
        return found

    # -- paged scans ---------------------------------------------------------------------

    def _scan(
        self,
        source: Callable[[date], Sequence[T]],
        first: date,
        last: date,
        keep: Callable[[T], bool],
        position: Position | None,
        limit: int,
    ) -> tuple[list[T], Position | None]:
        """Up to `limit` kept records from days first..last, resuming at `position`.

        Returns the page and where the next page starts (None when nothing is left),
        peeking ahead so a full last page does not produce an empty next page.
        """
        page: list[T] = []
        day = first if position is None else date.fromordinal(position.day)
        index = 0 if position is None else position.index
        while day <= last:
            records = source(day)
            while index < len(records):
                record = records[index]
                if keep(record):
                    if len(page) == limit:
                        return page, Position(day.toordinal(), index)
                    page.append(record)
                index += 1
            day += timedelta(days=1)
            index = 0
        return page, None

    def _clip(
        self, start: datetime | None, end: datetime | None, lag: timedelta
    ) -> tuple[date, date]:
        first = self.first_day if start is None else max(self.first_day, (start - lag).date())
        last_moment = self.horizon if end is None else min(end, self.horizon)
        return first, last_moment.date()

    # -- orders --------------------------------------------------------------------------

    def orders(self, seller: SellerAccount, as_of: datetime | None = None) -> Iterator[Order]:
        """Every order placed at or before `as_of` (default: the horizon)."""
        t = as_of or self.horizon
        for day in self.days(self.config.start, t):
            for order in self._orders_on(seller.index, day):
                if order.purchased_at <= t:
                    yield order

    def search_orders(
        self,
        seller: SellerAccount,
        *,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        marketplace_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        channels: Sequence[str] | None = None,
        order_ids: Sequence[str] | None = None,
        position: Position | None = None,
        limit: int = 100,
    ) -> tuple[list[Order], Position | None]:
        """Orders by creation or last-update window, as Amazon filters them (v0 statuses)."""
        t = self.horizon
        if updated_after is not None:
            first, last = self._clip(updated_after, updated_before, generate.STATUS_LAG)
        else:
            first, last = self._clip(created_after, created_before, timedelta(0))
        wanted_ids = set(order_ids or ())

        def keep(order: Order) -> bool:
            if order.purchased_at > t:
                return False
            if created_after is not None and order.purchased_at < created_after:
                return False
            if created_before is not None and order.purchased_at > created_before:
                return False
            if updated_after is not None or updated_before is not None:
                updated = order.last_updated_at(t)
                if updated_after is not None and updated < updated_after:
                    return False
                if updated_before is not None and updated > updated_before:
                    return False
            if marketplace_ids and order.marketplace_id not in marketplace_ids:
                return False
            if statuses and order.status_at(t) not in statuses:
                return False
            if channels and order.fulfillment_channel not in channels:
                return False
            return not wanted_ids or order.order_id in wanted_ids

        return self._scan(
            lambda d: self._orders_on(seller.index, d), first, last, keep, position, limit
        )

    def order(self, seller: SellerAccount, order_id: str) -> Order | None:
        """One order by id, or None if it does not exist (yet)."""
        try:
            _, ordinal, index = order_id.split("-")
            day = date.fromordinal(int(ordinal))
            candidate = self._orders_on(seller.index, day)[int(index)]
        except (ValueError, IndexError, OverflowError):
            return None
        if candidate.order_id != order_id or candidate.purchased_at > self.horizon:
            return None
        if day < self.first_day:
            return None
        return candidate

    # -- inbound -------------------------------------------------------------------------

    def inbound_shipments(
        self, seller: SellerAccount, as_of: datetime | None = None
    ) -> Iterator[InboundShipment]:
        t = as_of or self.horizon
        for day in self.days(self.config.start, t):
            for shipment in self._inbound_on(seller.index, day):
                if shipment.created_at <= t:
                    yield shipment

    def search_inbound(
        self,
        seller: SellerAccount,
        *,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        statuses: Sequence[str] | None = None,
        shipment_ids: Sequence[str] | None = None,
        position: Position | None = None,
        limit: int = 100,
    ) -> tuple[list[InboundShipment], Position | None]:
        t = self.horizon
        first, last = self._clip(updated_after, updated_before, generate.INBOUND_LAG)
        wanted = set(shipment_ids or ())

        def keep(shipment: InboundShipment) -> bool:
            if shipment.created_at > t:
                return False
            updated = shipment.last_updated_at(t)
            if updated_after is not None and updated < updated_after:
                return False
            if updated_before is not None and updated > updated_before:
                return False
            if statuses and shipment.status_at(t) not in statuses:
                return False
            return not wanted or shipment.shipment_id in wanted

        return self._scan(
            lambda d: self._inbound_on(seller.index, d), first, last, keep, position, limit
        )

    # -- finances ------------------------------------------------------------------------

    def search_events(
        self,
        seller: SellerAccount,
        *,
        posted_after: datetime | None = None,
        posted_before: datetime | None = None,
        group_id: str | None = None,
        order_id: str | None = None,
        position: Position | None = None,
        limit: int = 100,
    ) -> tuple[list[FinancialEvent], Position | None]:
        """Financial events posted in [posted_after, posted_before), optionally of one group."""
        t = self.horizon
        lo, hi = posted_after, posted_before
        group_key: tuple[str, int] | None = None
        if group_id is not None:
            group = self.settlement_group(seller, group_id)
            if group is None:
                return [], None
            group_key = (group.marketplace_id, settlement_period(group.start))
            lo = group.start if lo is None else max(lo, group.start)
            hi = group.end if hi is None else min(hi, group.end)
        first, last = self._clip(lo, hi, EVENT_LAG)

        def keep(event: FinancialEvent) -> bool:
            if event.posted_at > t:
                return False
            if lo is not None and event.posted_at < lo:
                return False
            if hi is not None and event.posted_at >= hi:
                return False
            if (
                group_key is not None
                and (event.marketplace_id, settlement_period(event.posted_at)) != group_key
            ):
                return False
            return order_id is None or (
                event.order is not None and event.order.order_id == order_id
            )

        if order_id is not None:
            order = self.order(seller, order_id)
            if order is None:
                return [], None
            first = max(first, order.purchased_at.date())
            last = min(last, order.purchased_at.date())
        return self._scan(
            lambda d: self._events_on(seller.index, d), first, last, keep, position, limit
        )

    def events(self, seller: SellerAccount) -> Iterator[FinancialEvent]:
        """Every event posted by the horizon."""
        t = self.horizon
        for day in self.days(self.config.start, t):
            for event in self._events_on(seller.index, day):
                if event.posted_at <= t:
                    yield event

    def _group_totals(self, seller: SellerAccount) -> dict[tuple[str, int], Decimal]:
        """Net total per (marketplace, period) as of the horizon; one scan per clock move."""
        key = (seller.index, self.horizon)
        cached = self._totals.get(key)
        if cached is not None:
            return cached
        totals: dict[tuple[str, int], Decimal] = {}
        for event in self.events(seller):
            period_key = (event.marketplace_id, settlement_period(event.posted_at))
            totals[period_key] = totals.get(period_key, Decimal("0.00")) + sum(
                (line.net_amount for line in event_lines(event)), Decimal("0.00")
            )
        with self._lock:
            # Only the latest horizon is worth keeping.
            self._totals = {k: v for k, v in self._totals.items() if k[1] == self.horizon}
            self._totals[key] = totals
        return totals

    def settlement_groups(self, seller: SellerAccount) -> list[SettlementGroup]:
        """Every settlement period from the world's first day to the horizon, per marketplace.

        Their totals take a scan of every event of the world (seconds on a cold server for
        a year): callers that need one group, or only ids and periods, use
        `settlement_group` or `settlement_periods`.
        """
        totals = self._group_totals(seller)
        return [
            self._group(group_id, marketplace_id, period, totals.get((marketplace_id, period)))
            for group_id, marketplace_id, period in self._periods(seller)
        ]

    def _periods(self, seller: SellerAccount) -> Iterator[tuple[str, str, int]]:
        """(group id, marketplace, period) of every settlement group up to the horizon."""
        first, last = settlement_period(self.config.start), settlement_period(self.horizon)
        for marketplace_id in seller.marketplace_ids:
            for period in range(first, last + 1):
                group_id = generate.settlement_group_id(
                    self.config.seed, seller.index, marketplace_id, period
                )
                yield group_id, marketplace_id, period

    def settlement_periods(self, seller: SellerAccount) -> list[SettlementPeriod]:
        """The settlement groups' ids and periods, without the scan their totals take."""
        periods = []
        for group_id, marketplace_id, period in self._periods(seller):
            start, end = period_bounds(period)
            periods.append(
                SettlementPeriod(group_id, marketplace_id, start, end, end <= self.horizon)
            )
        return periods

    def _group(
        self, group_id: str, marketplace_id: str, period: int, total: Decimal | None
    ) -> SettlementGroup:
        start, end = period_bounds(period)
        closed = end <= self.horizon
        transfer_at = end + timedelta(days=1)
        return SettlementGroup(
            group_id=group_id,
            marketplace_id=marketplace_id,
            currency=currency_of(marketplace_id),
            start=start,
            end=end,
            closed=closed,
            original_total=total if total is not None else Decimal("0.00"),
            transfer_at=transfer_at if closed and transfer_at <= self.horizon else None,
        )

    def group_events(
        self, seller: SellerAccount, group: SettlementGroup
    ) -> Iterator[FinancialEvent]:
        """The events of one settlement group, streamed (the group may be large)."""
        t = min(self.horizon, group.end)
        first = max(self.first_day, (group.start - EVENT_LAG).date())
        for event in self.events_between(seller, first, t.date()):
            if (
                group.start <= event.posted_at < group.end
                and event.posted_at <= self.horizon
                and event.marketplace_id == group.marketplace_id
            ):
                yield event

    def settlement_group(self, seller: SellerAccount, group_id: str) -> SettlementGroup | None:
        """One group, its total summed from its own events (not the whole world's)."""
        for listed_id, marketplace_id, period in self._periods(seller):
            if listed_id != group_id:
                continue
            cached = self._totals.get((seller.index, self.horizon))
            if cached is not None:
                return self._group(
                    group_id, marketplace_id, period, cached.get((marketplace_id, period))
                )
            group = self._group(group_id, marketplace_id, period, None)
            total = sum(
                (
                    line.net_amount
                    for event in self.group_events(seller, group)
                    for line in event_lines(event)
                ),
                Decimal("0.00"),
            )
            return replace(group, original_total=total)
        return None

    # -- reports -------------------------------------------------------------------------

    def report_rows(
        self,
        seller: SellerAccount,
        report_type: str,
        marketplace_ids: Sequence[str],
        start: datetime,
        end: datetime,
        as_of: datetime,
        options: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, str]]:
        """Rows of a requestable flat-file report, keyed by Amazon's column names."""
        from simulator import report_rows

        visible = as_of - VISIBILITY_LAG
        with_options = report_rows.RENDERERS_WITH_OPTIONS.get(report_type)
        if with_options is not None:
            return with_options(
                self, seller, set(marketplace_ids), start, min(end, visible), visible, options or {}
            )
        render = report_rows.RENDERERS.get(report_type)
        if render is None:
            raise KeyError(f"report type {report_type} has no generator")
        return render(self, seller, set(marketplace_ids), start, min(end, visible), visible)

    def settlement_report_rows(
        self, seller: SellerAccount, group_id: str
    ) -> Iterator[dict[str, str]]:
        from simulator import report_rows

        group = self.settlement_group(seller, group_id)
        if group is None or not group.closed:
            return iter(())
        return report_rows.settlement_rows(self, seller, group)

    def iter_days(
        self,
        first: date,
        last: date,
        source: Callable[[int, date], Iterable[T]],
        seller: SellerAccount,
    ) -> Iterator[T]:
        day = max(first, self.first_day)
        while day <= last:
            yield from source(seller.index, day)
            day += timedelta(days=1)

    def orders_between(self, seller: SellerAccount, first: date, last: date) -> Iterator[Order]:
        return self.iter_days(first, last, self._orders_on, seller)

    def inbound_between(
        self, seller: SellerAccount, first: date, last: date
    ) -> Iterator[InboundShipment]:
        return self.iter_days(first, last, self._inbound_on, seller)

    def events_between(
        self, seller: SellerAccount, first: date, last: date
    ) -> Iterator[FinancialEvent]:
        return self.iter_days(first, last, self._events_on, seller)
