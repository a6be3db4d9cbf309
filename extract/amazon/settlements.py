"""Settlement history from Amazon's settlement reports, not page by page from the Finances API.

Why: paging a settlement period's events (listFinancialEventsByGroupId, 100 events a page,
0.5 requests a second) is the slowest part of a first sync. Amazon writes a settlement
report (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2) for every closed settlement period, and
one download holds all of a period's lines. Such reports cannot be requested, only listed
(getReports) and downloaded, and getReports lists the last 90 days' only: Amazon keeps
reports 90 days and has no way to get older settlement reports (amzn/selling-partner-api-
models issues #5101, #5285). So, per financial event group:

- closed, with a listed report that matches it (below): read from the report;
- open, or closed without a report (older than the 90 days, or closed so recently that
  Amazon has not written it yet): paged through the Finances API, as before;
- closed, read either way: never read again (the `closed_groups_read` state).

Design: report rows become Finances events. Rows are shaped into the events the Finances
API returns for the same money (ShipmentEvent, ShipmentEvent adjustments, ServiceFeeEvent,
AdjustmentEvent) and loaded into the same raw tables, with the same event ids
(`helpers.EventIdentity` keys an event by what both sources state), so the dbt project
reads one shape and never needs to know where a group came from: its SQL is unchanged. The
alternative, a raw table of report lines that staging unions in, would have written every
line, charge and fee model twice in SQL, plus a rule preferring a group's report lines over
its API events (the open group is read from the API, the same group from its report once
closed). The same ids are what let a group read while open and again from its report
replace its rows instead of adding them twice, in the raw tables and in the incremental
marts alike. `source_report` on every row says which source it came from.

Matching a report to its group. A report's `settlement-id` is not the group's
FinancialEventGroupId, and no field of either model points at the other. Both state the
period, and the money: the report's dataStartTime / dataEndTime (and its summary row's
settlement-start-date / settlement-end-date) are the group's FinancialEventGroupStart /
FinancialEventGroupEnd, and the summary row's total-amount and currency are the group's
OriginalTotal. Several marketplaces' groups share a period, so the rule is:

1. candidates: listed reports with the group's start and end whose marketplace settles in
   the group's currency (`MARKETPLACE_CURRENCIES`; an unknown marketplace is not ruled out);
2. the group's report is the first candidate whose summary row (the file's first row)
   repeats the group's start, end, currency and total.

When no report passes, the group is read from the API: a wrong match would put another
account's money into this group, a missed one only costs time.

What rows become (`ROW_KINDS`): Order and Refund rows are an order's charges, fees and
promotions, grouped into one event per order, posting moment and shipment, and into one
item per order item (Refund: per adjustment item); ServiceFee rows are one service fee
event each; other-transaction rows of an FBA Inventory Reimbursement one adjustment event
each. A row of any other transaction type or amount type has no event here: it is kept
raw in `rejected_rows` with the reason, counted as rejected (the run ends `partial`: its
money is not in the marts, and the period's `is_reconciled` is false) and warned about,
naming the value. Never skipped, never zeroed.

What a report cannot say, and what only it says: the API's FeeReason / FeeDescription of
a service fee and the ASIN, FnSKU, TransactionNumber and per-unit amount of an adjustment
item are not in the file (the marts use none of them). The report's posting time of a
service fee is kept as `posted_date_time`, not as PostedDate (the API's model has none,
and the marts give the same line whichever source it came from). Likewise a service fee's
or adjustment's marketplace-name is kept as `marketplace_name`: the API's events of these
kinds name no marketplace, so their lines carry the seller's primary one from either
source. The columns the API has no field for (shipment-id, fulfillment-id, merchant ids,
...) are kept under their own names on the item or event; the summary row goes to
`settlement_reports` (one row per report used: its settlement id, dates, total, and the
group it was matched to).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import dlt

from extract.amazon.helpers import (
    EventIdentity,
    check_row,
    event_table,
    iso,
    marketplace_id_of,
    parse_time,
    window_key,
    with_items_in_order,
)
from extract.amazon.settings import MARKETPLACE_CURRENCIES, SETTLEMENT_V2, ReportChecks
from extract.run import DataSetRun
from extract.spapi.client import SpApiClient
from extract.spapi.reports import REPORTS_PATH, ParsedRow, download_report_rows

if TYPE_CHECKING:
    from extract.amazon import SellerContext

RESOURCE = "financial_events"
SUMMARY_TABLE = "settlement_reports"

# (transaction-type, amount-type) -> what the row is in the Finances API's events.
ROW_KINDS: dict[tuple[str, str], str] = {
    ("Order", "ItemPrice"): "charge",
    ("Order", "ItemFees"): "fee",
    ("Order", "Promotion"): "promotion",
    ("Refund", "ItemPrice"): "charge",
    ("Refund", "ItemFees"): "fee",
    ("Refund", "Promotion"): "promotion",
    ("ServiceFee", "other-transaction"): "service_fee",
    ("other-transaction", "FBA Inventory Reimbursement"): "adjustment",
}
EVENT_LISTS = {
    "Order": "ShipmentEventList",
    "Refund": "RefundEventList",
    "ServiceFee": "ServiceFeeEventList",
    "other-transaction": "AdjustmentEventList",
}
# The report's amount-type of an adjustment -> the API's AdjustmentType for it.
ADJUSTMENT_TYPES = {"FBA Inventory Reimbursement": "FBAInventoryReimbursement"}


@dataclass(frozen=True)
class OrderEventShape:
    """The field names of an order's event: a shipment, or its refund (an adjustment)."""

    items: str
    item_id: str
    charges: str
    fees: str
    promotions: str


ORDER_EVENT_SHAPES = {
    "ShipmentEventList": OrderEventShape(
        "ShipmentItemList", "OrderItemId", "ItemChargeList", "ItemFeeList", "PromotionList"
    ),
    "RefundEventList": OrderEventShape(
        "ShipmentItemAdjustmentList",
        "OrderAdjustmentItemId",
        "ItemChargeAdjustmentList",
        "ItemFeeAdjustmentList",
        "PromotionAdjustmentList",
    ),
}

# Columns the events above take their fields from; any other column with a value is kept
# under its own name (on the item of an order's event, else on the event).
MAPPED_COLUMNS = frozenset(
    {
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "posted-date",
        "posted-date-time",
        "order-item-code",
        "adjustment-id",
        "sku",
        "quantity-purchased",
        "promotion-id",
    }
)

LINE_CHECKS = ReportChecks(
    decimals=("amount",),
    integers=("quantity-purchased",),
    required=("transaction-type", "amount-type", "amount"),
)
SUMMARY_CHECKS = ReportChecks(
    decimals=("total-amount",),
    required=("settlement-id", "settlement-start-date", "settlement-end-date", "currency"),
)


def settlement_time(value: str) -> datetime:
    """A settlement file's date: ISO 8601 ('T' or a space, an offset or 'Z'), or with
    ' UTC' after it as some of Amazon's flat files write them; a bare date is midnight UTC."""
    text = value.strip()
    return parse_time(text.removesuffix(" UTC").removesuffix(" GMT"))


def is_summary(row: dict[str, str]) -> bool:
    """The first row of a settlement file: the settlement's totals, no transaction."""
    return (
        not row.get("transaction-type") and not row.get("amount") and bool(row.get("total-amount"))
    )


def _bad_dates(row: dict[str, str], columns: Sequence[str]) -> str | None:
    for column in columns:
        value = row.get(column, "")
        if value:
            try:
                settlement_time(value)
            except ValueError:
                return f"'{value}' in column '{column}' is not a date"
    return None


def check_settlement_row(row: dict[str, str]) -> str | None:
    """Why a settlement file's row cannot be read (None: it can). Whether it maps to an
    event is another question (`ReportEvents.add`)."""
    if is_summary(row):
        return check_row(row, SUMMARY_CHECKS) or _bad_dates(
            row, ("settlement-start-date", "settlement-end-date", "deposit-date")
        )
    problem = check_row(row, LINE_CHECKS) or _bad_dates(row, ("posted-date-time", "posted-date"))
    if problem is None and not (row.get("posted-date-time") or row.get("posted-date")):
        return "missing value in required column 'posted-date-time'"
    return problem


@dataclass(frozen=True)
class ListedReport:
    """A settlement report as getReports lists it."""

    report_id: str
    document_id: str
    marketplace_ids: tuple[str, ...]
    start: datetime
    end: datetime


def list_settlement_reports(client: SpApiClient) -> list[ListedReport]:
    """Every settlement report Amazon still lists (its default: created in the last 90
    days), with a document. An entry without its period cannot be matched: left out."""
    params = {"reportTypes": SETTLEMENT_V2, "processingStatuses": "DONE", "pageSize": 100}
    listed = []
    for page in client.paginate("getReports", REPORTS_PATH, params, style="reports"):
        for report in page.get("reports", []):
            try:
                listed.append(
                    ListedReport(
                        report_id=str(report["reportId"]),
                        document_id=str(report["reportDocumentId"]),
                        marketplace_ids=tuple(report.get("marketplaceIds") or ()),
                        start=parse_time(str(report["dataStartTime"])),
                        end=parse_time(str(report["dataEndTime"])),
                    )
                )
            except (KeyError, ValueError):
                continue
    return listed


@dataclass(frozen=True)
class GroupPeriod:
    """What a closed financial event group says that its settlement report repeats."""

    group_id: str
    start: datetime
    end: datetime
    currency: str
    total: Decimal


def group_period(group: dict[str, Any]) -> GroupPeriod | None:
    """The period of a closed group; None if the group lacks what a match needs."""
    total = group.get("OriginalTotal") or {}
    try:
        return GroupPeriod(
            group_id=str(group["FinancialEventGroupId"]),
            start=parse_time(str(group["FinancialEventGroupStart"])),
            end=parse_time(str(group["FinancialEventGroupEnd"])),
            currency=str(total["CurrencyCode"]),
            total=Decimal(str(total["CurrencyAmount"])),
        )
    except (KeyError, ValueError, InvalidOperation):
        return None


def candidates(
    period: GroupPeriod, reports: Sequence[ListedReport], used: set[str]
) -> list[ListedReport]:
    """Reports that may be the group's: its period, a marketplace of its currency."""

    def currency_fits(report: ListedReport) -> bool:
        currencies = {MARKETPLACE_CURRENCIES.get(m) for m in report.marketplace_ids}
        return not report.marketplace_ids or None in currencies or period.currency in currencies

    return [
        report
        for report in reports
        if report.report_id not in used
        and report.start == period.start
        and report.end == period.end
        and currency_fits(report)
    ]


@dataclass(frozen=True)
class SettlementSummary:
    """A settlement file's first row."""

    start: datetime
    end: datetime
    currency: str
    total: Decimal
    values: dict[str, str]


def summary_of(row: ParsedRow | None) -> SettlementSummary | None:
    if row is None or row.values is None or not is_summary(row.values):
        return None
    values = row.values
    return SettlementSummary(
        start=settlement_time(values["settlement-start-date"]),
        end=settlement_time(values["settlement-end-date"]),
        currency=values["currency"],
        total=Decimal(values["total-amount"]),
        values=values,
    )


def mismatch(summary: SettlementSummary, period: GroupPeriod) -> str | None:
    """Why a report's summary is not this group's, or None when it is."""
    if (summary.start, summary.end) != (period.start, period.end):
        return f"its period is {window_key(summary.start, summary.end)}"
    if summary.currency != period.currency:
        return f"its currency is {summary.currency}"
    if summary.total != period.total:
        return f"its total is {summary.total}, the group's {period.total}"
    return None


@dataclass(frozen=True)
class Unmapped:
    """A report row with no Finances event: why, and the warning naming its value."""

    reason: str
    warning: str


@dataclass
class _Event:
    list_name: str
    body: dict[str, Any]
    items: dict[str, dict[str, Any]] = field(default_factory=dict)


def _extras(row: dict[str, str]) -> dict[str, str]:
    """The row's values that no event field takes, under their own names."""
    return {
        column: value for column, value in row.items() if value and column not in MAPPED_COLUMNS
    }


def _posted(row: dict[str, str]) -> str:
    return iso(settlement_time(row.get("posted-date-time") or row["posted-date"]))


class ReportEvents:
    """The Finances events a settlement report's line rows describe, in the order of their
    first row (which numbers events with the same key as the API does: EventIdentity)."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._events: dict[tuple[str, ...], _Event] = {}

    def events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each event once, let go of as it is handed on (a group can be large)."""
        for key in list(self._events):
            event = self._events.pop(key)
            yield event.list_name, event.body

    def add(self, row: dict[str, str]) -> Unmapped | None:
        """Take a line row into its event; an `Unmapped` when no event has such rows."""
        transaction, amount_type = row["transaction-type"], row["amount-type"]
        kind = ROW_KINDS.get((transaction, amount_type))
        if kind is None:
            column, value = (
                ("amount-type", amount_type)
                if transaction in EVENT_LISTS
                else ("transaction-type", transaction)
            )
            return Unmapped(
                f"settlement row of transaction-type '{transaction}' and amount-type"
                f" '{amount_type}' has no Finances event: kept here, not in the marts",
                f"unknown value '{value}' in column '{column}' of a settlement report",
            )
        list_name = EVENT_LISTS[transaction]
        money = {
            "CurrencyCode": row.get("currency") or self.currency,
            "CurrencyAmount": Decimal(row["amount"]),
        }
        if kind == "service_fee":
            self._service_fee(row, money)
        elif kind == "adjustment":
            self._adjustment(row, money)
        elif not row.get("order-id"):
            return Unmapped(
                f"{transaction} settlement row without an order-id: kept here, not in the marts",
                f"missing order-id in a settlement report's {transaction} row",
            )
        else:
            self._order_component(list_name, kind, row, money)
        return None

    def _per_row(self, list_name: str, body: dict[str, Any]) -> None:
        self._events[(list_name, str(len(self._events)))] = _Event(list_name, body)

    @staticmethod
    def _without_marketplace_field(row: dict[str, str]) -> dict[str, Any]:
        """The file's marketplace of a service fee or adjustment, under its own name: the
        API's events of these kinds name none, and the line's marketplace is then the
        seller's primary one whichever source it came from (the marts stay the same)."""
        return {"marketplace-name": row["marketplace-name"]} if row.get("marketplace-name") else {}

    def _service_fee(self, row: dict[str, str], money: dict[str, Any]) -> None:
        body = self._without_marketplace_field(row)
        if row.get("order-id"):
            body["AmazonOrderId"] = row["order-id"]
        if row.get("sku"):
            body["SellerSKU"] = row["sku"]
        body["FeeList"] = [{"FeeType": row.get("amount-description", ""), "FeeAmount": money}]
        # Amazon's ServiceFeeEvent has no date; the file's is kept beside it (module doc)
        body["posted-date-time"] = row.get("posted-date-time") or row.get("posted-date")
        self._per_row("ServiceFeeEventList", {**body, **_extras(row)})

    def _adjustment(self, row: dict[str, str], money: dict[str, Any]) -> None:
        body = self._without_marketplace_field(row)
        body["AdjustmentType"] = ADJUSTMENT_TYPES[row["amount-type"]]
        body["PostedDate"] = _posted(row)
        body["AdjustmentAmount"] = money
        if row.get("amount-description"):
            body["amount-description"] = row["amount-description"]
        if row.get("sku"):
            item: dict[str, Any] = {"SellerSKU": row["sku"], "TotalAmount": money}
            if row.get("quantity-purchased"):
                item["Quantity"] = row["quantity-purchased"]  # a string in Amazon's model
            body["AdjustmentItemList"] = [item]
        self._per_row("AdjustmentEventList", {**body, **_extras(row)})

    def _order_component(
        self, list_name: str, kind: str, row: dict[str, str], money: dict[str, Any]
    ) -> None:
        shape = ORDER_EVENT_SHAPES[list_name]
        posted = _posted(row)
        key = (list_name, row["order-id"], posted, row.get("shipment-id", ""))
        event = self._events.get(key)
        if event is None:
            body = {"AmazonOrderId": row["order-id"], "PostedDate": posted}
            if row.get("marketplace-name"):
                body["MarketplaceName"] = row["marketplace-name"]
            event = self._events[key] = _Event(list_name, {**body, shape.items: []})
        item_id = (row.get("adjustment-id") if list_name == "RefundEventList" else None) or row.get(
            "order-item-code", ""
        )
        item_key = item_id or row.get("sku", "")
        item = event.items.get(item_key)
        if item is None:
            item = event.items[item_key] = {"SellerSKU": row.get("sku", "")}
            if item_id:
                item[shape.item_id] = item_id
            if list_name == "RefundEventList" and row.get("order-item-code"):
                item["OrderItemId"] = row["order-item-code"]
            event.body[shape.items].append(item)
        if row.get("quantity-purchased") and "QuantityShipped" not in item:
            item["QuantityShipped"] = int(row["quantity-purchased"])
        for column, value in _extras(row).items():
            item.setdefault(column, value)
        description = row.get("amount-description", "")
        if kind == "charge":
            item.setdefault(shape.charges, []).append(
                {"ChargeType": description, "ChargeAmount": money}
            )
        elif kind == "fee":
            item.setdefault(shape.fees, []).append({"FeeType": description, "FeeAmount": money})
        else:
            promotion: dict[str, Any] = {"PromotionAmount": money}
            if row.get("promotion-id"):
                promotion["PromotionId"] = row["promotion-id"]
            if description:
                promotion["amount-description"] = description
            item.setdefault(shape.promotions, []).append(promotion)


class SettlementReports:
    """One seller's settlement reports in one run: listed once, when first needed, for
    every load of the run (a first sync loads its periods a few at a time). A report read
    for one group is never another's; the same group may read it again (a retry)."""

    def __init__(self, ctx: SellerContext) -> None:
        self.ctx = ctx
        self._listed: list[ListedReport] | None = None
        self._used: dict[str, str] = {}  # report id -> the group it was read for

    def listed(self) -> list[ListedReport]:
        if self._listed is None:
            self._listed = list_settlement_reports(self.ctx.client)
        return self._listed

    def read(self, run: DataSetRun, group: dict[str, Any]) -> Iterator[Any] | None:
        """A closed group's records from its settlement report; None when it has none.

        The records are made as they are read on: a group's events are gathered from the
        whole file first (an event's rows need not be next to each other), but never
        copied into a list of records beside them."""
        period = group_period(group)
        if period is None:
            return None
        group_id = group["FinancialEventGroupId"]
        others = {report for report, user in self._used.items() if user != group_id}
        for report in candidates(period, self.listed(), others):
            records = self._read(run, period, report)
            if records is not None:
                self._used[report.report_id] = group_id
                return records
        return None

    def _read(
        self, run: DataSetRun, period: GroupPeriod, report: ListedReport
    ) -> Iterator[Any] | None:
        ctx = self.ctx
        rows = download_report_rows(ctx.client, report.document_id, validate=check_settlement_row)
        try:
            summary = summary_of(next(rows, None))
            problem = "it has no summary row" if summary is None else mismatch(summary, period)
        except BaseException:
            _close(rows)
            raise
        if summary is None or problem is not None:
            _close(rows)
            run.note(
                f"settlement report {report.report_id} is not group {period.group_id}'s ({problem})"
            )
            return None
        return self._records(run, period, report, summary, rows)

    def _records(
        self,
        run: DataSetRun,
        period: GroupPeriod,
        report: ListedReport,
        summary: SettlementSummary,
        rows: Iterator[ParsedRow],
    ) -> Iterator[Any]:
        ctx = self.ctx
        source_report = f"{SETTLEMENT_V2}:{report.report_id}"
        events = ReportEvents(summary.currency)
        rejected: list[Any] = []
        lines = 0
        line_total = Decimal(0)
        try:
            for parsed in rows:
                lines += 1
                if parsed.values is None:
                    reason = parsed.reason or ""
                    rejected.append(
                        ctx.rejected(
                            RESOURCE, source_report, parsed.line_number, parsed.raw, reason
                        )
                    )
                    continue
                line_total += Decimal(parsed.values["amount"])
                unmapped = events.add(parsed.values)
                if unmapped is not None:
                    raw = "\t".join(parsed.values.values())
                    rejected.append(
                        ctx.rejected(
                            RESOURCE, source_report, parsed.line_number, raw, unmapped.reason
                        )
                    )
                    run.warn(unmapped.warning)
        finally:
            _close(rows)  # the download, even when read only in part
        identity = EventIdentity(period.group_id)
        for list_name, body in events.events():
            event = with_items_in_order(list_name, body)
            record = {
                **event,
                "event_id": identity(list_name, event),
                "event_list": list_name,
                "financial_event_group_id": period.group_id,
                # as for the API's events: the event's marketplace, else the primary one
                **ctx.common(
                    source_report,
                    marketplace_id_of(event.get("MarketplaceName"), ctx.primary_marketplace),
                ),
            }
            run.rows += 1
            yield dlt.mark.with_table_name(record, event_table(list_name))
        run.rejected += len(rejected)
        yield from rejected
        if not rejected and line_total != summary.total:
            run.note(
                f"settlement report {report.report_id}: its lines add up to {line_total},"
                f" its total says {summary.total}"
            )
        run.report(SETTLEMENT_V2, report.report_id, "DONE", window_key(period.start, period.end))
        yield self._summary_record(report, period, summary, lines)

    def _summary_record(
        self, report: ListedReport, period: GroupPeriod, summary: SettlementSummary, lines: int
    ) -> Any:
        """The summary row, with the report and group it stands for, in `settlement_reports`."""
        source_report = f"{SETTLEMENT_V2}:{report.report_id}"
        marketplace = report.marketplace_ids[0] if report.marketplace_ids else None
        record = {
            **{column: value for column, value in summary.values.items() if value},
            "total-amount": summary.total,
            "report_id": report.report_id,
            "report_document_id": report.document_id,
            "financial_event_group_id": period.group_id,
            "line_rows": lines,
            **self.ctx.common(source_report, marketplace),
        }
        hints = dlt.mark.make_hints(
            table_name=SUMMARY_TABLE,
            primary_key=["seller_id", "report_id"],
            write_disposition="merge",
        )
        return dlt.mark.with_hints(record, hints, create_table_variant=True)


def _close(rows: Iterator[ParsedRow]) -> None:
    """Close a generator holding a report download open."""
    close = getattr(rows, "close", None)
    if close is not None:
        close()
