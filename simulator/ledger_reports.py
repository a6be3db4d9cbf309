"""The Inventory Ledger reports: GET_LEDGER_DETAIL_VIEW_DATA and GET_LEDGER_SUMMARY_VIEW_DATA.

Columns as Seller Central's Inventory Ledger (Detailed and Summary views) shows them, and
as public parsers of the SP-API documents expect them. Rows come from `simulator.ledger`.

Detail: one row per ledger event in [dataStartTime, dataEndTime), up to the report's
snapshot; `Date` is MM/DD/YYYY, `Date and Time` ISO 8601 with a +0000 offset. Reconciled /
Unreconciled Quantity are filled on lost (reason M) rows: units found again or reimbursed
as `simulator.claims` matches them, as of the snapshot. reportOptions `eventType` keeps one
event type.

Summary: one row per period x SKU x disposition with a balance or an event; only whole
days that ended by the snapshot. reportOptions `aggregatedByTimePeriod` DAILY (default),
WEEKLY (Sunday to Saturday) or MONTHLY, each period clipped to the requested days and
dated by its first day; `aggregateByLocation` COUNTRY (default). FC (per fulfillment
center balances) is not simulated and is refused. Per row, Starting Warehouse Balance +
the event columns = Ending Warehouse Balance; In Transit Between Warehouses is
informational (units between two centers at the period's end, already out of the
balance).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from simulator import generate
from simulator.ledger import EVENT_TYPES, LOST, SUMMARY_COLUMNS

if TYPE_CHECKING:
    from simulator.config import SellerAccount
    from simulator.world import World

LEDGER_DETAIL = "GET_LEDGER_DETAIL_VIEW_DATA"
LEDGER_SUMMARY = "GET_LEDGER_SUMMARY_VIEW_DATA"

DETAIL_COLUMNS = (
    "Date",
    "FNSKU",
    "ASIN",
    "MSKU",
    "Title",
    "Event Type",
    "Reference ID",
    "Quantity",
    "Fulfillment Center",
    "Disposition",
    "Reason",
    "Country",
    "Reconciled Quantity",
    "Unreconciled Quantity",
    "Date and Time",
)
SUMMARY_REPORT_COLUMNS = (
    "Date",
    "FNSKU",
    "ASIN",
    "MSKU",
    "Title",
    "Disposition",
    "Starting Warehouse Balance",
    "In Transit Between Warehouses",
    *SUMMARY_COLUMNS,
    "Ending Warehouse Balance",
    "Unknown Events",
    "Location",
)
COUNTRY = {"ATVPDKIKX0DER": "US", "A2EUQ1WTGCTBG2": "CA", "A1AM78C64UM0Y8": "MX"}
OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    LEDGER_DETAIL: {"eventType": EVENT_TYPES},
    LEDGER_SUMMARY: {
        "aggregateByLocation": ("COUNTRY",),
        "aggregatedByTimePeriod": ("DAILY", "WEEKLY", "MONTHLY"),
    },
}


def report_option_error(report_type: str, options: Mapping[str, str]) -> str | None:
    """Why createReport refuses these reportOptions for this type, or None."""
    allowed = OPTIONS.get(report_type)
    if allowed is None:
        return None  # other types ignore their options
    for name, value in options.items():
        values = allowed.get(name)
        if values is not None and value not in values:
            return f"Invalid reportOptions {name}: {value!r}; expected one of {', '.join(values)}."
    return None


def _home(seller: SellerAccount, marketplaces: set[str]) -> str | None:
    """The country holding the stock, if the report asks for its marketplace."""
    home = seller.marketplace_ids[0]
    return COUNTRY.get(home, "US") if home in marketplaces else None


def ledger_detail(
    world: World,
    seller: SellerAccount,
    marketplaces: set[str],
    start: datetime,
    end: datetime,
    visible: datetime,
    options: Mapping[str, str],
) -> Iterator[dict[str, str]]:
    """GET_LEDGER_DETAIL_VIEW_DATA rows."""
    from simulator.claims import lost_claims

    country = _home(seller, marketplaces)
    if country is None or end <= start:
        return
    wanted = options.get("eventType")
    reconciled: dict[str, int] = {}
    ledger = world.inventory_ledger(seller)
    for _, events in ledger.events_on_days(start.date(), end.date()):
        for event in events:
            if not start <= event.at < end or event.at > visible:
                continue
            if wanted and event.event_type != wanted:
                continue
            row = {
                "Date": event.at.strftime("%m/%d/%Y"),
                "FNSKU": event.product.fnsku,
                "ASIN": event.product.asin,
                "MSKU": event.product.sku,
                "Title": event.product.title,
                "Event Type": event.event_type,
                "Reference ID": event.reference_id,
                "Quantity": str(event.quantity),
                "Fulfillment Center": event.fulfillment_center,
                "Disposition": event.disposition,
                "Reason": event.reason,
                "Country": country,
                "Date and Time": event.at.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            if event.reason == LOST:
                if not reconciled:
                    reimbursements = [
                        r
                        for day in world.days(world.config.start, visible)
                        for r in world.incidents_on(seller, day).reimbursements
                        if r.approved_at <= visible
                    ]
                    for claim in lost_claims(world, seller, visible, reimbursements):
                        reconciled[claim.reference] = claim.units_found + claim.units_reimbursed
                done = reconciled.get(event.reference_id, 0)
                row["Reconciled Quantity"] = str(done)
                row["Unreconciled Quantity"] = str(-event.quantity - done)
            yield row


def _periods(first: date, last: date, by: str) -> Iterator[tuple[date, date]]:
    """(first day, last day) of each period overlapping first..last, clipped to it."""
    day = first
    while day <= last:
        if by == "WEEKLY":  # weeks run Sunday to Saturday
            period_end = day + timedelta(days=(5 - day.weekday()) % 7)
        elif by == "MONTHLY":
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            period_end = following - timedelta(days=1)
        else:
            period_end = day
        period_end = min(period_end, last)
        yield day, period_end
        day = period_end + timedelta(days=1)


def ledger_summary(
    world: World,
    seller: SellerAccount,
    marketplaces: set[str],
    start: datetime,
    end: datetime,
    visible: datetime,
    options: Mapping[str, str],
) -> Iterator[dict[str, str]]:
    """GET_LEDGER_SUMMARY_VIEW_DATA rows."""
    from simulator.inventory import in_transit

    country = _home(seller, marketplaces)
    if country is None or end <= start:
        return
    first = max(start.date(), world.first_day)
    # Whole days only: the last day that both started before `end` and ended by `visible`.
    last = min((end - timedelta(microseconds=1)).date(), visible.date() - timedelta(days=1))
    if last < first:
        return
    ledger = world.inventory_ledger(seller)
    products = ledger.products
    balances = ledger.balances_before(first)
    by = options.get("aggregatedByTimePeriod", "DAILY")
    for period_first, period_last in _periods(first, last, by):
        sums: dict[tuple[str, str], dict[str, int]] = {}
        day = period_first
        while day <= period_last:
            for key, columns in ledger.day_flows(day).items():
                target = sums.setdefault(key, {})
                for column, quantity in columns.items():
                    target[column] = target.get(column, 0) + quantity
            day += timedelta(days=1)
        moving = in_transit(world, seller, generate.midnight(period_last + timedelta(days=1)))
        for key in sorted(set(balances) | set(sums)):
            sku, disposition = key
            columns = sums.get(key, {})
            starting = balances.get(key, 0)
            ending = starting + sum(columns.values())
            balances[key] = ending
            if not starting and not ending and not any(columns.values()):
                continue
            product = products[sku]
            row = {
                "Date": period_first.strftime("%m/%d/%Y"),
                "FNSKU": product.fnsku,
                "ASIN": product.asin,
                "MSKU": sku,
                "Title": product.title,
                "Disposition": disposition,
                "Starting Warehouse Balance": str(starting),
                "In Transit Between Warehouses": str(
                    moving.get(sku, 0) if disposition == "SELLABLE" else 0
                ),
                "Ending Warehouse Balance": str(ending),
                "Unknown Events": "0",
                "Location": country,
            }
            for column in SUMMARY_COLUMNS:
                row[column] = str(columns.get(column, 0))
            yield row
