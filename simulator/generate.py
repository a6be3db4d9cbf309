"""Deterministic generation of one seller's world, one day at a time.

Each function takes the seed, the seller and a calendar day and returns what happened
that day; nothing depends on the day before, so any day can be generated on its own
(lazily, in any order) and the world for a given seed never changes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from simulator.config import MARKETPLACES
from simulator.entities import (
    InboundItem,
    InboundShipment,
    Order,
    OrderItem,
    Product,
    Refund,
    Reimbursement,
    ReturnEvent,
    ServiceFee,
    money,
)

CATALOG_SIZE = 40
COLOURS = ("Blue", "Red", "Black", "Large")
FULFILLMENT_CENTERS = ("PHX7", "ONT8", "BFI4", "MDW2", "TPA1", "CLT2")
CARRIERS = ("AMZN_US", "UPS", "USPS")
SHIP_SERVICE_LEVELS = ("Standard", "Expedited", "SecondDay", "NextDay")
RETURN_REASONS = (
    "NOT_AS_DESCRIBED",
    "DEFECTIVE",
    "UNWANTED_ITEM",
    "NO_REASON_GIVEN",
    "ORDERED_WRONG_ITEM",
    "FOUND_BETTER_PRICE",
)
# detailed-disposition values with their weights
DISPOSITIONS = (
    ("SELLABLE", 60),
    ("CUSTOMER_DAMAGED", 20),
    ("DEFECTIVE", 10),
    ("CARRIER_DAMAGED", 5),
    ("DAMAGED", 5),
)
TAX_RATE = Decimal("0.08")
COMMISSION_RATE = Decimal("0.15")

# How long after purchase an order can still produce something (a late refund posting).
ORDER_LAG = timedelta(days=60)
# How long after purchase an order's status can still change (authorized <= 4 h, shipped
# <= 60 h after that): a last-update window only needs orders placed this much earlier.
STATUS_LAG = timedelta(days=3)
# How long after creation an inbound shipment can still produce something (reimbursement).
INBOUND_LAG = timedelta(days=50)


def rng_for(seed: int, seller_index: int, day: date, stream: str) -> random.Random:
    """A generator private to one (seed, seller, day, stream): days are independent."""
    return random.Random(f"{seed}:{seller_index}:{day.toordinal()}:{stream}")


def _token(
    *parts: object, length: int, alphabet: str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
) -> str:
    number = int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest(), 16)
    out = []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        out.append(alphabet[rest])
    return "".join(out)


def _base36(number: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rest])
    return "".join(reversed(digits)) or "0"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def catalog(seed: int, seller_index: int) -> tuple[Product, ...]:
    """The seller's products; prices are fixed for the life of the world."""
    rng = random.Random(f"{seed}:{seller_index}:catalog")
    products = []
    for k in range(CATALOG_SIZE):
        price = money(rng.choice((7.99, 12.49, 15.99, 19.99, 24.95, 29.99, 39.99, 54.5, 89.99)))
        products.append(
            Product(
                sku=f"CL-{seller_index:02d}-{k:03d}",
                asin="B0" + _token(seed, seller_index, k, "asin", length=8),
                fnsku="X00" + _token(seed, seller_index, k, "fnsku", length=7),
                title=f"Clario Test Product {k:03d} ({rng.choice(COLOURS)})",
                price=price,
                reimbursement_value=money(price * Decimal("0.55")),
            )
        )
    return tuple(products)


def fba_fee(product: Product, quantity: int) -> Decimal:
    """FBA per-unit fulfilment fee: by price band, as a size tier would be."""
    per_unit = Decimal("3.22") if product.price < 20 else Decimal("5.40")
    return money(per_unit * quantity)


def commission(item_price: Decimal) -> Decimal:
    return money(item_price * COMMISSION_RATE)


def _quantity(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return 1
    if roll < 0.85:
        return 2
    return rng.randint(3, 4)


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


def orders_on(
    seed: int,
    seller_index: int,
    marketplace_ids: tuple[str, ...],
    products: tuple[Product, ...],
    day: date,
    orders_per_day: int,
) -> list[Order]:
    """Every order purchased on `day`, with its whole future (shipping, returns, refunds)."""
    rng = rng_for(seed, seller_index, day, "orders")
    if orders_per_day <= 0:
        return []
    spread = max(1, orders_per_day // 5)
    count = max(0, orders_per_day + rng.randint(-spread, spread))
    start = midnight(day)
    offsets = sorted(rng.randrange(86_400) for _ in range(count))
    ordinal = day.toordinal() % 10_000_000
    orders = []
    for index, offset in enumerate(offsets):
        orders.append(
            _order(
                rng, seed, seller_index, marketplace_ids, products, start, offset, ordinal, index
            )
        )
    return orders


_MARKETPLACE_NAME_CURRENCY = {m[0]: (m[1], m[2]) for m in MARKETPLACES}


def _order(
    rng: random.Random,
    seed: int,
    seller_index: int,
    marketplace_ids: tuple[str, ...],
    products: tuple[Product, ...],
    start: datetime,
    offset: int,
    ordinal: int,
    index: int,
) -> Order:
    marketplace_id = marketplace_ids[rng.randrange(len(marketplace_ids))]
    marketplace_name, currency = _MARKETPLACE_NAME_CURRENCY[marketplace_id]
    purchased_at = start + timedelta(seconds=offset)
    order_id = f"{100 + seller_index:03d}-{ordinal:07d}-{index:07d}"
    channel = "AFN" if rng.random() < 0.88 else "MFN"

    items = []
    for line, product in enumerate(rng.sample(products, k=1 if rng.random() < 0.75 else 2)):
        quantity = _quantity(rng)
        item_price = money(product.price * quantity)
        discount = money(item_price * Decimal("0.10")) if rng.random() < 0.1 else money(0)
        items.append(
            OrderItem(
                order_item_id=f"{ordinal:07d}{index:05d}{line:02d}",
                product=product,
                quantity=quantity,
                unit_price=product.price,
                item_price=item_price,
                item_tax=money((item_price - discount) * TAX_RATE),
                promotion_discount=discount,
            )
        )

    authorized_at = canceled_at = shipped_at = posted_at = None
    if rng.random() < 0.04:
        canceled_at = purchased_at + timedelta(minutes=rng.randint(10, 720))
    else:
        authorized_at = purchased_at + timedelta(minutes=rng.randint(5, 240))
        shipped_at = authorized_at + timedelta(minutes=rng.randint(600, 3600))
        late = rng.random() < 0.06
        posted_at = shipped_at + (
            timedelta(hours=rng.randint(72, 168))
            if late
            else timedelta(minutes=rng.randint(30, 1440))
        )

    fulfillment_center = rng.choice(FULFILLMENT_CENTERS)
    serial = (ordinal * 100_000 + index) * 100 + seller_index % 100
    order = Order(
        seller_index=seller_index,
        order_id=order_id,
        marketplace_id=marketplace_id,
        marketplace_name=marketplace_name,
        currency=currency,
        purchased_at=purchased_at,
        fulfillment_channel=channel,
        is_prime=rng.random() < 0.6,
        is_business=rng.random() < 0.05,
        ship_service_level=rng.choice(SHIP_SERVICE_LEVELS),
        items=tuple(items),
        authorized_at=authorized_at,
        canceled_at=canceled_at,
        shipped_at=shipped_at,
        shipment_posted_at=posted_at,
        # Unique per (seller, day, index) by construction; hashing here would be the hot path.
        shipment_id="D" + _base36(serial),
        tracking_number=f"TBA{serial:015d}",
        carrier=rng.choice(CARRIERS),
        fulfillment_center=fulfillment_center,
    )
    if shipped_at is None:
        return order
    returns, refunds = _returns_and_refunds(rng, seed, order, shipped_at)
    if not returns and not refunds:
        return order
    return replace(order, returns=tuple(returns), refunds=tuple(refunds))


def _returns_and_refunds(
    rng: random.Random, seed: int, order: Order, shipped_at: datetime
) -> tuple[list[ReturnEvent], list[Refund]]:
    returns: list[ReturnEvent] = []
    refunds: list[Refund] = []
    roll = rng.random()
    # FBA customer returns come back to Amazon's warehouses: AFN orders only.
    if order.fulfillment_channel == "AFN" and roll < 0.10:
        returned_items = order.items if rng.random() < 0.3 else (rng.choice(order.items),)
        for item in returned_items:
            quantity = rng.randint(1, item.quantity)
            first_at = shipped_at + timedelta(days=rng.randint(2, 30), minutes=rng.randint(0, 1439))
            parts = [quantity]
            if quantity >= 2 and rng.random() < 0.4:
                parts = [1, quantity - 1]
            returned_at = first_at
            for part_number, part in enumerate(parts):
                if part_number:
                    returned_at = returned_at + timedelta(days=rng.randint(1, 10))
                disposition = _weighted(rng, DISPOSITIONS)
                returns.append(
                    ReturnEvent(
                        order_item_id=item.order_item_id,
                        sku=item.sku,
                        returned_at=returned_at,
                        quantity=part,
                        fulfillment_center=order.fulfillment_center,
                        detailed_disposition=disposition,
                        reason=rng.choice(RETURN_REASONS),
                        status="Unit returned to inventory"
                        if disposition == "SELLABLE"
                        else "Reimbursed"
                        if disposition == "DAMAGED"
                        else "Disposed",
                        license_plate="LPN"
                        + _token(seed, item.order_item_id, part_number, length=9),
                    )
                )
            refunds.append(
                _refund(
                    rng, order, item, quantity, first_at + timedelta(hours=rng.randint(0, 48)), True
                )
            )
    elif roll < 0.12:
        item = rng.choice(order.items)
        refunds.append(
            _refund(
                rng,
                order,
                item,
                item.quantity,
                shipped_at + timedelta(days=rng.randint(1, 14)),
                False,
            )
        )
    return returns, refunds


def _refund(
    rng: random.Random,
    order: Order,
    item: OrderItem,
    quantity: int,
    posted_at: datetime,
    with_return: bool,
) -> Refund:
    if rng.random() < 0.05:  # some refunds post days late
        posted_at += timedelta(days=rng.randint(3, 7))
    share = Decimal(quantity) / Decimal(item.quantity)
    principal = money((item.item_price - item.promotion_discount) * share)
    commission_back = money(commission(item.item_price - item.promotion_discount) * share)
    return Refund(
        order_item_id=item.order_item_id,
        adjustment_item_id=f"R{item.order_item_id}",
        sku=item.sku,
        quantity=quantity,
        principal=principal,
        tax=money(item.item_tax * share),
        commission_back=commission_back,
        refund_commission=min(money(5), money(commission_back * Decimal("0.20"))),
        posted_at=posted_at,
        with_return=with_return,
    )


def inbound_on(
    seed: int,
    seller_index: int,
    marketplace_id: str,
    products: tuple[Product, ...],
    day: date,
) -> list[InboundShipment]:
    """The inbound shipment the seller sends to FBA on `day` (every third day), if any."""
    if (day.toordinal() + seller_index) % 3:
        return []
    rng = rng_for(seed, seller_index, day, "inbound")
    created_at = midnight(day) + timedelta(minutes=rng.randint(0, 720))
    shipment_id = "FBA15" + _token(seed, seller_index, day.toordinal(), "inbound", length=7)
    items = []
    lossy = rng.random() < 0.3
    lost_lines = set(rng.sample(range(5), k=rng.randint(1, 2))) if lossy else set()
    for line, product in enumerate(rng.sample(products, k=rng.randint(2, 5))):
        in_case = rng.choice((6, 12, 24))
        shipped = in_case * rng.randint(1, 10)
        lost = rng.randint(1, min(6, max(1, shipped // 4))) if line in lost_lines else 0
        items.append(
            InboundItem(
                product=product,
                quantity_shipped=shipped,
                quantity_in_case=in_case,
                received_while_receiving=int(shipped * rng.uniform(0.3, 0.8)),
                received_final=shipped - lost,
            )
        )
    canceled_at = receiving_at = closed_at = None
    if rng.random() < 0.05:
        canceled_at = created_at + timedelta(hours=rng.randint(6, 48))
    else:
        receiving_at = created_at + timedelta(days=rng.randint(5, 10), minutes=rng.randint(0, 1439))
        closed_at = receiving_at + timedelta(days=rng.randint(6, 14), minutes=rng.randint(0, 1439))
    return [
        InboundShipment(
            seller_index=seller_index,
            shipment_id=shipment_id,
            name=f"FBA ({day.isoformat()}) - {rng.choice(FULFILLMENT_CENTERS)}",
            marketplace_id=marketplace_id,
            fulfillment_center=rng.choice(FULFILLMENT_CENTERS),
            created_at=created_at,
            canceled_at=canceled_at,
            receiving_at=receiving_at,
            closed_at=closed_at,
            items=tuple(items),
        )
    ]


def reimbursements_for(seed: int, shipment: InboundShipment, currency: str) -> list[Reimbursement]:
    """Amazon reimburses the units an inbound shipment lost, some days after it closed.

    Not always in full: per line, a separate stream decides full (60%), all but one unit
    (15%) or nothing (25%, left for the seller to claim).
    """
    if shipment.closed_at is None:
        return []
    rng = random.Random(f"{seed}:{shipment.shipment_id}:reimbursement")
    out = []
    for line, item in enumerate(shipment.items):
        lost = item.quantity_shipped - item.received_final
        if lost <= 0:
            continue
        roll = random.Random(f"{seed}:{shipment.shipment_id}:{line}:claim").random()
        paid = lost if roll < 0.6 else lost - 1 if roll < 0.75 else 0
        approval_offset = timedelta(days=rng.randint(5, 20), minutes=rng.randint(0, 600))
        if paid <= 0:
            continue
        out.append(
            Reimbursement(
                reimbursement_id=_token(
                    seed, shipment.shipment_id, line, "rid", length=10, alphabet="0123456789"
                ),
                case_id=_token(
                    seed, shipment.shipment_id, line, "case", length=10, alphabet="0123456789"
                ),
                approved_at=shipment.closed_at + approval_offset,
                reason="Lost_Inbound",
                adjustment_type="FBAInventoryReimbursement",
                marketplace_id=shipment.marketplace_id,
                currency=currency,
                product=item.product,
                quantity=paid,
                amount_per_unit=item.product.reimbursement_value,
                shipment_id=shipment.shipment_id,
            )
        )
    return out


def warehouse_damage_on(
    seed: int,
    seller_index: int,
    marketplace_id: str,
    currency: str,
    products: tuple[Product, ...],
    day: date,
) -> list[Reimbursement]:
    """Units Amazon's warehouse damaged on `day`, reimbursed the same day."""
    rng = rng_for(seed, seller_index, day, "damage")
    if rng.random() >= 0.08:
        return []
    product = rng.choice(products)
    return [
        Reimbursement(
            reimbursement_id=_token(
                seed, seller_index, day.toordinal(), "dmg", length=10, alphabet="0123456789"
            ),
            case_id="",
            approved_at=midnight(day) + timedelta(minutes=rng.randint(0, 1439)),
            reason="Damaged_Warehouse",
            adjustment_type="FBAInventoryReimbursement",
            marketplace_id=marketplace_id,
            currency=currency,
            product=product,
            quantity=rng.randint(1, 2),
            amount_per_unit=product.reimbursement_value,
            shipment_id="",
        )
    ]


def service_fees_on(
    seed: int, seller_index: int, marketplace_id: str, currency: str, day: date
) -> list[ServiceFee]:
    """The monthly subscription (1st) and storage fee (7th) of one marketplace account."""
    out = []
    posted = midnight(day) + timedelta(hours=8)
    if day.day == 1:
        out.append(
            ServiceFee(
                event_id=f"SUB-{marketplace_id}-{day.isoformat()}",
                posted_at=posted,
                marketplace_id=marketplace_id,
                currency=currency,
                fee_reason="Subscription",
                fee_type="Subscription",
                amount=money("-39.99"),
                description="Professional selling plan",
            )
        )
    if day.day == 7:
        rng = rng_for(seed, seller_index, day, f"storage:{marketplace_id}")
        out.append(
            ServiceFee(
                event_id=f"STO-{marketplace_id}-{day.isoformat()}",
                posted_at=posted + timedelta(hours=2),
                marketplace_id=marketplace_id,
                currency=currency,
                fee_reason="FBAStorageFee",
                fee_type="FBAStorageFee",
                amount=-money(rng.uniform(10, 80)),
                description="FBA monthly storage fee",
            )
        )
    return out


def settlement_group_id(seed: int, seller_index: int, marketplace_id: str, period: int) -> str:
    """A stable 43-character id shaped like Amazon's FinancialEventGroupId."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return _token(seed, seller_index, marketplace_id, period, "group", length=43, alphabet=alphabet)
