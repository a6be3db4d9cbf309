"""The simulated world's facts: plain immutable records, no HTTP and no rendering.

Every record knows its own timeline; what an API shows "now" is derived from the
timeline and the simulated clock, so the same record answers consistently at any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

CENT = Decimal("0.01")


def money(value: Decimal | float | int | str) -> Decimal:
    """Round to the cent, half-up, as Amazon's amounts are."""
    if isinstance(value, Decimal):  # the common case: no round trip through str
        return value.quantize(CENT, rounding="ROUND_HALF_UP")
    return Decimal(str(value)).quantize(CENT, rounding="ROUND_HALF_UP")


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    asin: str
    fnsku: str
    title: str
    price: Decimal
    reimbursement_value: Decimal


@dataclass(frozen=True, slots=True)
class OrderItem:
    order_item_id: str
    product: Product
    quantity: int
    unit_price: Decimal
    item_price: Decimal  # unit_price * quantity
    item_tax: Decimal
    promotion_discount: Decimal  # positive number subtracted from the price

    @property
    def sku(self) -> str:
        return self.product.sku


@dataclass(frozen=True, slots=True)
class ReturnEvent:
    """One row of the customer returns report: some units of one item came back."""

    order_item_id: str
    sku: str
    returned_at: datetime
    quantity: int
    fulfillment_center: str
    detailed_disposition: str
    reason: str
    status: str
    license_plate: str


@dataclass(frozen=True, slots=True)
class Refund:
    """A refund of some units of one order item, posted as a RefundEvent."""

    order_item_id: str
    adjustment_item_id: str
    sku: str
    quantity: int
    principal: Decimal  # positive amount refunded to the buyer
    tax: Decimal
    commission_back: Decimal  # commission Amazon gives back (positive)
    refund_commission: Decimal  # fee Amazon keeps for the refund (positive)
    posted_at: datetime
    with_return: bool


@dataclass(frozen=True, slots=True)
class Order:
    seller_index: int
    order_id: str
    marketplace_id: str
    marketplace_name: str
    currency: str
    purchased_at: datetime
    fulfillment_channel: str  # AFN (Amazon) or MFN (merchant)
    is_prime: bool
    is_business: bool
    ship_service_level: str
    items: tuple[OrderItem, ...]
    authorized_at: datetime | None  # Pending -> Unshipped
    canceled_at: datetime | None  # Pending -> Canceled
    shipped_at: datetime | None  # Unshipped -> Shipped
    shipment_posted_at: datetime | None  # when the ShipmentEvent posts in finances
    shipment_id: str
    tracking_number: str
    carrier: str
    fulfillment_center: str
    returns: tuple[ReturnEvent, ...] = field(default=())
    refunds: tuple[Refund, ...] = field(default=())

    def status_at(self, t: datetime) -> str:
        """Orders v0 status (Pending, Unshipped, Shipped, Canceled) at time t."""
        if self.canceled_at is not None and self.canceled_at <= t:
            return "Canceled"
        if self.shipped_at is not None and self.shipped_at <= t:
            return "Shipped"
        if self.authorized_at is not None and self.authorized_at <= t:
            return "Unshipped"
        return "Pending"

    def last_updated_at(self, t: datetime) -> datetime:
        """The latest status change at or before t (purchase time if none)."""
        latest = self.purchased_at
        for moment in (self.authorized_at, self.canceled_at, self.shipped_at):
            if moment is not None and latest < moment <= t:
                latest = moment
        return latest

    @property
    def settles_at(self) -> datetime:
        """The last moment this order's status can change."""
        return max(
            m
            for m in (self.purchased_at, self.authorized_at, self.canceled_at, self.shipped_at)
            if m
        )

    def total(self) -> Decimal:
        return sum((i.item_price + i.item_tax - i.promotion_discount for i in self.items), CENT * 0)


@dataclass(frozen=True, slots=True)
class InboundItem:
    product: Product
    quantity_shipped: int
    quantity_in_case: int
    received_while_receiving: int  # received once the shipment is RECEIVING
    received_final: int  # received once CLOSED (lost units = shipped - final)


@dataclass(frozen=True, slots=True)
class InboundShipment:
    seller_index: int
    shipment_id: str
    name: str
    marketplace_id: str
    fulfillment_center: str
    created_at: datetime  # already SHIPPED: the world has no WORKING shipments
    canceled_at: datetime | None
    receiving_at: datetime | None
    closed_at: datetime | None
    items: tuple[InboundItem, ...]

    def status_at(self, t: datetime) -> str:
        if self.canceled_at is not None and self.canceled_at <= t:
            return "CANCELLED"
        if self.closed_at is not None and self.closed_at <= t:
            return "CLOSED"
        if self.receiving_at is not None and self.receiving_at <= t:
            return "RECEIVING"
        return "SHIPPED"

    def received_at(self, item: InboundItem, t: datetime) -> int:
        status = self.status_at(t)
        if status == "CLOSED":
            return item.received_final
        if status == "RECEIVING":
            return item.received_while_receiving
        return 0

    def last_updated_at(self, t: datetime) -> datetime:
        latest = self.created_at
        for moment in (self.canceled_at, self.receiving_at, self.closed_at):
            if moment is not None and latest < moment <= t:
                latest = moment
        return latest


@dataclass(frozen=True, slots=True)
class Reimbursement:
    """A reimbursement: a row of GET_FBA_REIMBURSEMENTS_DATA and an AdjustmentEvent."""

    reimbursement_id: str
    case_id: str
    approved_at: datetime
    reason: str  # e.g. Lost_Inbound, Damaged_Warehouse
    adjustment_type: str  # Finances AdjustmentType
    marketplace_id: str
    currency: str
    product: Product
    quantity: int
    amount_per_unit: Decimal
    shipment_id: str  # inbound shipment for Lost_Inbound, empty otherwise
    order_id: str = ""  # the refunded order for CustomerReturn, empty otherwise

    @property
    def amount_total(self) -> Decimal:
        return money(self.amount_per_unit * self.quantity)


@dataclass(frozen=True, slots=True)
class ServiceFee:
    """A ServiceFeeEvent: a fee charged to the seller outside any order."""

    event_id: str
    posted_at: datetime
    marketplace_id: str
    currency: str
    fee_reason: str
    fee_type: str
    amount: Decimal  # negative
    description: str


@dataclass(frozen=True, slots=True)
class SettlementPeriod:
    """A settlement group's id and period, without its total (which takes its events)."""

    group_id: str
    marketplace_id: str
    start: datetime
    end: datetime
    closed: bool


@dataclass(frozen=True, slots=True)
class SettlementGroup:
    """A financial event group: a settlement period of one marketplace's account."""

    group_id: str
    marketplace_id: str
    currency: str
    start: datetime
    end: datetime
    closed: bool
    original_total: Decimal
    transfer_at: datetime | None
