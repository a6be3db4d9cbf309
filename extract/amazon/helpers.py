"""Pure helpers of the Amazon source: row checks, report windows, event identities.

Nothing here talks HTTP; the resources in `__init__.py` combine these with the client.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from extract.amazon.settings import MARKETPLACE_IDS_BY_NAME, REPORT_SLICE, ReportChecks


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp as Amazon writes them ('Z' or an offset), in UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def currency_amounts_as_decimal(value: Any) -> Any:
    """`value` with every Finances `CurrencyAmount` a Decimal, however the JSON wrote it.

    The client parses JSON numbers with a fraction as Decimal, but a whole amount sent as
    `5` parses as int; if it came first, dlt would type the column bigint and put the next
    `4.99` in a variant column. Money is always Decimal.
    """
    if isinstance(value, dict):
        return {
            key: Decimal(item)
            if key == "CurrencyAmount" and isinstance(item, int) and not isinstance(item, bool)
            else currency_amounts_as_decimal(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [currency_amounts_as_decimal(item) for item in value]
    return value


def check_row(row: dict[str, str], checks: ReportChecks) -> str | None:
    """Why a report row cannot be loaded, or None when it can (a missing key, a value of
    the wrong type). Unknown enumerated values are no reason: see `unknown_values`."""
    for column in checks.required:
        if not row.get(column):
            return f"missing value in required column '{column}'"
    for column in checks.decimals:
        value = row.get(column, "")
        if value:
            try:
                Decimal(value)
            except InvalidOperation:
                return f"'{value}' in column '{column}' is not a number"
    for column in checks.integers:
        value = row.get(column, "")
        if value and not value.lstrip("-").isdigit():
            return f"'{value}' in column '{column}' is not a whole number"
    for column in checks.dates:
        value = row.get(column, "")
        if value:
            try:
                parse_time(value)
            except ValueError:
                return f"'{value}' in column '{column}' is not a date"
    for column in checks.us_dates:
        value = row.get(column, "")
        if value and us_date(value) is None:
            return f"'{value}' in column '{column}' is not a date (MM/DD/YYYY)"
    return None


def us_date(value: str) -> str | None:
    """'11/27/2026' (the ledger reports' `Date`) as '2026-11-27'; None if it is not one."""
    try:
        return datetime.strptime(value, "%m/%d/%Y").date().isoformat()
    except ValueError:
        return None


# The columns that say what happened in a ledger detail row. Title (the seller may rename
# the product) and Reconciled / Unreconciled Quantity (filled in as Amazon finds or
# reimburses lost units) can change when the same row is read again, so they are not part
# of its identity.
LEDGER_IDENTITY_COLUMNS = (
    "Date and Time",
    "Date",
    "FNSKU",
    "ASIN",
    "MSKU",
    "Event Type",
    "Reference ID",
    "Quantity",
    "Fulfillment Center",
    "Disposition",
    "Reason",
    "Country",
)


class LedgerRowKey:
    """Stable ids for ledger detail rows, which have none of their own (one per report).

    A row's id is a digest of what it says happened (LEDGER_IDENTITY_COLUMNS); the n-th
    identical row of the same report gets its occurrence number, so two identical,
    legitimate movements (two units of one order shipped apart in the same minute) stay
    two rows, while the same rows read again by a later report (the look-back) get the
    same ids and replace themselves. Identical rows share their `Date and Time`, so a
    report window either holds all of them or none, and they are counted alike.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, row: dict[str, str]) -> str:
        content = json.dumps([row.get(column) for column in LEDGER_IDENTITY_COLUMNS])
        digest = hashlib.sha256(content.encode()).hexdigest()[:32]
        occurrence = self._seen.get(digest, 0)
        self._seen[digest] = occurrence + 1
        return digest if occurrence == 0 else f"{digest}-{occurrence}"


def unknown_values(row: dict[str, str], checks: ReportChecks) -> list[str]:
    """Values of enumerated columns that Amazon's documentation does not list.

    Amazon adds values without notice: the row is kept and the value passes through as
    sent (the marts map what they know), and the run counts a warning for it.
    """
    return [
        f"unknown value '{row[column]}' in column '{column}'"
        for column, allowed in checks.enums.items()
        if row.get(column) and row[column] not in allowed
    ]


def report_slices(
    start: datetime, end: datetime, size: timedelta = REPORT_SLICE
) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive slices no longer than `size`, oldest first."""
    cursor = start
    while cursor < end:
        stop = min(cursor + size, end)
        yield cursor, stop
        cursor = stop


def window_key(start: datetime, end: datetime) -> str:
    return f"{iso(start)}/{iso(end)}"


def plan_windows(
    pending: Iterable[str], start: datetime, until: datetime, size: timedelta = REPORT_SLICE
) -> list[tuple[datetime, datetime]]:
    """Report windows for a run: those still pending from earlier runs, and slices of at
    most `size` over what they leave uncovered of [start, until), in time order.

    Pending reports are collected rather than asked for again; a slice that failed is not
    pending any more, so the gap it leaves is asked for afresh.
    """
    earlier = sorted(tuple(parse_time(part) for part in key.split("/")) for key in pending)
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    for window_start, window_end in earlier:
        if cursor < window_start:
            windows.extend(report_slices(cursor, min(window_start, until), size))
        windows.append((window_start, window_end))
        cursor = max(cursor, window_end)
    windows.extend(report_slices(cursor, until, size))
    return windows


def groups_for_this_load(
    groups: Iterable[dict[str, Any]], read: Collection[str], per_load: int
) -> tuple[list[dict[str, Any]], bool]:
    """The settlement groups one finances load takes, oldest first, and whether unread
    groups are left for the next load.

    A load reads at most `per_load` groups not in `read` (closed groups read before), so a
    first sync's history loads a few periods at a time: a kill loses one batch, and a load
    holds one batch. Groups read before are given too (their totals and transfer status
    still change); nothing at or after the first group left out is, so the groups' cursor
    (the newest start given) never passes a group not read yet.
    """
    ordered = sorted(groups, key=_group_start)
    unread = [g for g in ordered if g.get("FinancialEventGroupId") not in read]
    if len(unread) <= per_load:
        return ordered, False
    first_left = unread[per_load]
    return ordered[: next(i for i, g in enumerate(ordered) if g is first_left)], True


def _group_start(group: dict[str, Any]) -> datetime:
    start = group.get("FinancialEventGroupStart")
    if isinstance(start, str) and start:
        return parse_time(start)
    return datetime.min.replace(tzinfo=UTC)


def marketplace_id_of(name: str | None, default: str) -> str:
    """Reports name the marketplace ('Amazon.com'); tables carry its id."""
    return MARKETPLACE_IDS_BY_NAME.get(name or "", default)


_REPORT_ORDER_STATUS = {
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "Shipping": "UNSHIPPED",
    "Cancelled": "CANCELLED",
    "Canceled": "CANCELLED",
}


def _money(amount: str, currency: str) -> dict[str, str] | None:
    return {"amount": amount, "currencyCode": currency} if amount and currency else None


def orders_from_report(
    rows: Iterable[dict[str, str]], default_marketplace: str
) -> Iterator[dict[str, Any]]:
    """Group the all-orders report's item rows into orders shaped like searchOrders returns.

    The report lists an order's items on consecutive rows; an order's item has no
    order-item id there, so items from a backfill carry `orderItemId = None` and are keyed
    by SKU until the API returns the order again.
    """
    current: dict[str, Any] | None = None
    for row in rows:
        order_id = row["amazon-order-id"]
        if current is None or current["orderId"] != order_id:
            if current is not None:
                yield current
            current = {
                "orderId": order_id,
                "createdTime": iso(parse_time(row["purchase-date"])),
                "lastUpdatedTime": iso(parse_time(row["last-updated-date"])),
                "programs": ["AMAZON_BUSINESS"] if row.get("is-business-order") == "true" else [],
                "salesChannel": {
                    "channelName": "AMAZON",
                    "marketplaceId": marketplace_id_of(
                        row.get("sales-channel"), default_marketplace
                    ),
                    "marketplaceName": row.get("sales-channel"),
                },
                "fulfillment": {
                    # a status Amazon adds passes through as sent (a warning was counted)
                    "fulfillmentStatus": _REPORT_ORDER_STATUS.get(
                        row["order-status"], row["order-status"]
                    ),
                    "fulfilledBy": "AMAZON"
                    if row.get("fulfillment-channel") == "Amazon"
                    else "MERCHANT",
                },
                "orderItems": [],
            }
        currency = row.get("currency", "")
        quantity = int(row["quantity"] or 0)
        shipped = current["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
        item: dict[str, Any] = {
            "orderItemId": None,
            "quantityOrdered": quantity,
            "product": {
                "asin": row.get("asin"),
                "title": row.get("product-name"),
                "sellerSku": row["sku"],
            },
            "fulfillment": {"quantityFulfilled": quantity if shipped else 0},
        }
        if row.get("item-price"):
            breakdowns = [
                {"type": "ITEM", "subtotal": _money(row["item-price"], currency)},
                {"type": "TAX", "subtotal": _money(row.get("item-tax", ""), currency)},
            ]
            discount = row.get("item-promotion-discount", "")
            if discount and Decimal(discount):
                breakdowns.append({"type": "DISCOUNT", "subtotal": _money(discount, currency)})
            item["proceeds"] = {"breakdowns": [b for b in breakdowns if b["subtotal"]]}
        current["orderItems"].append(item)
    if current is not None:
        yield current


EVENT_TABLES = {
    "ShipmentEventList": "shipment_events",
    "RefundEventList": "refund_events",
    "GuaranteeClaimEventList": "guarantee_claim_events",
    "ChargebackEventList": "chargeback_events",
    "ServiceFeeEventList": "service_fee_events",
    "AdjustmentEventList": "adjustment_events",
}


def event_table(list_name: str) -> str:
    """`ShipmentEventList` -> `shipment_events`; lists we do not know keep a derived name."""
    if list_name in EVENT_TABLES:
        return EVENT_TABLES[list_name]
    stem = list_name.removesuffix("EventList").removesuffix("List")
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in stem).lstrip("_")
    return f"{snake}_events"


# The event lists whose events are an order's: identified by the order and the moment
# they were posted (both the Finances API and the settlement report give these).
ORDER_EVENT_LISTS = frozenset(
    {"ShipmentEventList", "RefundEventList", "GuaranteeClaimEventList", "ChargebackEventList"}
)

# Per event list: the list of items in an event, and the fields that order them.
ITEM_LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ShipmentEventList": ("ShipmentItemList", ("OrderItemId", "SellerSKU")),
    "RefundEventList": (
        "ShipmentItemAdjustmentList",
        ("OrderAdjustmentItemId", "OrderItemId", "SellerSKU"),
    ),
    "GuaranteeClaimEventList": (
        "ShipmentItemAdjustmentList",
        ("OrderAdjustmentItemId", "OrderItemId", "SellerSKU"),
    ),
    "ChargebackEventList": (
        "ShipmentItemAdjustmentList",
        ("OrderAdjustmentItemId", "OrderItemId", "SellerSKU"),
    ),
    "AdjustmentEventList": ("AdjustmentItemList", ("SellerSKU",)),
}


def with_items_in_order(list_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """`event` with its items sorted by their ids, so an item's position in its list (the
    settlement line's `item_index`) is the same whether the event came from the Finances
    API or was rebuilt from a settlement report, whatever order either lists them in."""
    list_key, fields = ITEM_LISTS.get(list_name, ("", ()))
    items = event.get(list_key)
    if not isinstance(items, list) or len(items) < 2:
        return event

    def order(item: Any) -> tuple[str, ...]:
        if not isinstance(item, dict):
            return ()
        return tuple(str(item.get(name) or "") for name in fields)

    return {**event, list_key: sorted(items, key=order)}


def _instant(value: Any) -> str:
    """A posted date as one spelling (the API writes `...Z`, reports `+00:00`)."""
    if not value:
        return ""
    try:
        return iso(parse_time(str(value)))
    except ValueError:
        return str(value)


def _money_key(currency_amount: Any) -> str:
    """An amount as one spelling: `5`, `5.0` and `5.00` are the same fee."""
    amount = currency_amount.get("CurrencyAmount") if isinstance(currency_amount, dict) else None
    try:
        return str(Decimal(str(amount)).normalize())
    except InvalidOperation:
        return str(amount)


def event_key(list_name: str, event: dict[str, Any]) -> Any:
    """What identifies an event in both of Amazon's sources of settlement lines.

    The Finances API and the settlement report (extract/amazon/settlements.py) describe the
    same event with different fields, so the key is made of what both give: an order's
    events by the order and the posting moment; a service fee (the API's model gives it no
    date) by its order, SKU and fees; an adjustment by its type, posting moment and SKUs.
    Lists a report has no rows for keep their whole content as the key.
    """
    if list_name in ORDER_EVENT_LISTS:
        return [event.get("AmazonOrderId") or "", _instant(event.get("PostedDate"))]
    if list_name == "ServiceFeeEventList":
        fees = sorted(
            [str(fee.get("FeeType") or ""), _money_key(fee.get("FeeAmount"))]
            for fee in event.get("FeeList") or []
            if isinstance(fee, dict)
        )
        return [event.get("AmazonOrderId") or "", event.get("SellerSKU") or "", fees]
    if list_name == "AdjustmentEventList":
        skus = sorted(
            str(item.get("SellerSKU") or "")
            for item in event.get("AdjustmentItemList") or []
            if isinstance(item, dict)
        )
        return [event.get("AdjustmentType") or "", _instant(event.get("PostedDate")), skus]
    return event


class EventIdentity:
    """Stable ids for financial events, which have none of their own.

    An event's id is a digest of its group, its list and its key (`event_key`), so the
    same event read from the Finances API or from a settlement report gets the same id:
    a group read while open (API) and again once closed (report) replaces its rows
    instead of adding them twice. The n-th event with the same key in a group gets its
    occurrence number, so two identical fees stay two rows.
    """

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id
        self._seen: dict[str, int] = {}

    def __call__(self, list_name: str, event: dict[str, Any]) -> str:
        key = event_key(list_name, event)
        content = json.dumps([self.group_id, list_name, key], sort_keys=True, default=str)
        digest = hashlib.sha256(content.encode()).hexdigest()[:32]
        occurrence = self._seen.get(digest, 0)
        self._seen[digest] = occurrence + 1
        return digest if occurrence == 0 else f"{digest}-{occurrence}"


# getInventorySummaries `inventoryDetails` (fbaInventory.json InventoryDetails): each
# quantity by the path the model gives it, and the flat column it is loaded into.
INVENTORY_QUANTITIES: dict[str, tuple[str, ...]] = {
    "fulfillable_quantity": ("fulfillableQuantity",),
    "inbound_working_quantity": ("inboundWorkingQuantity",),
    "inbound_shipped_quantity": ("inboundShippedQuantity",),
    "inbound_receiving_quantity": ("inboundReceivingQuantity",),
    "reserved_quantity": ("reservedQuantity", "totalReservedQuantity"),
    "pending_customer_order_quantity": ("reservedQuantity", "pendingCustomerOrderQuantity"),
    "pending_transshipment_quantity": ("reservedQuantity", "pendingTransshipmentQuantity"),
    "fc_processing_quantity": ("reservedQuantity", "fcProcessingQuantity"),
    "researching_quantity": ("researchingQuantity", "totalResearchingQuantity"),
    "unfulfillable_quantity": ("unfulfillableQuantity", "totalUnfulfillableQuantity"),
    "customer_damaged_quantity": ("unfulfillableQuantity", "customerDamagedQuantity"),
    "warehouse_damaged_quantity": ("unfulfillableQuantity", "warehouseDamagedQuantity"),
    "distributor_damaged_quantity": ("unfulfillableQuantity", "distributorDamagedQuantity"),
    "carrier_damaged_quantity": ("unfulfillableQuantity", "carrierDamagedQuantity"),
    "defective_quantity": ("unfulfillableQuantity", "defectiveQuantity"),
    "expired_quantity": ("unfulfillableQuantity", "expiredQuantity"),
}


def inventory_quantities(details: Any) -> dict[str, int | None]:
    """The flat quantities of an `inventoryDetails` object; one Amazon leaves out is None.

    The object itself is loaded too (as JSON), so nothing it says is lost; the flat
    columns spare the dbt project two dialects of JSON paths.
    """
    out: dict[str, int | None] = {}
    for column, path in INVENTORY_QUANTITIES.items():
        value: Any = details
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        out[column] = int(value) if isinstance(value, int | Decimal) else None
    return out
