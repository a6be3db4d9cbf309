"""The Amazon SP-API source: one dlt source per seller, one resource (or pair) per data set.

Resources are generators that page through the API or stream report documents; the
client (`extract.spapi`) does auth, pacing and retries, so nothing here knows about them.
Every row carries `seller_id`, `marketplace_id`, `is_sandbox` and `source_report`.

Failure rules (DESIGN.md "Late and mutable data"): a report slice that ends FATAL, or a
report not finished when the run ends, stops that resource *before* any later slice, so
its cursor never passes data that failed to load; the next run starts there again. A
slice longer than a month that ends FATAL is instead asked for again in one-month slices
(Amazon may allow a type less than its `REPORT_SLICES` range). An API error after retries
raises, so the data set's load (and its cursor) is not committed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from extract.amazon.helpers import (
    EventIdentity,
    LedgerRowKey,
    check_row,
    currency_amounts_as_decimal,
    event_table,
    groups_for_this_load,
    inventory_quantities,
    iso,
    marketplace_id_of,
    orders_from_report,
    parse_time,
    plan_windows,
    unknown_values,
    us_date,
    window_key,
    with_items_in_order,
)
from extract.amazon.prefetch import EVENTS_OPERATION, FinancesReadAhead, group_events_path
from extract.amazon.settings import (
    ALL_ORDERS_BY_LAST_UPDATE,
    API_LAG,
    CUSTOMER_RETURNS,
    FULFILLED_SHIPMENTS,
    LEDGER_DETAIL,
    LEDGER_SUMMARY,
    LEDGER_SUMMARY_OPTIONS,
    REIMBURSEMENTS,
    REPORT_CHECKS,
    REPORT_SLICE,
    REPORT_SLICES,
)
from extract.amazon.settlements import SettlementReports
from extract.nested_columns import propagate_root_columns
from extract.run import DataSetRun
from extract.spapi.client import SpApiClient, SpApiError
from extract.spapi.config import SellerConfig
from extract.spapi.reports import (
    ReportFailed,
    ReportNotReady,
    create_report,
    download_report_rows,
    wait_for_report,
)
from extract.sync_settings import SyncSettings

log = logging.getLogger("clario.extract")

REJECTED_TABLE = "rejected_rows"
# financial_events' state: the closed settlement groups read (never read again); the
# groups resource reads it too, to batch a first sync's unread groups
CLOSED_GROUPS_READ = "closed_groups_read"


class SellerContext:
    """What every resource of one seller's source shares."""

    def __init__(
        self, seller: SellerConfig, client: SpApiClient, settings: SyncSettings, now: datetime
    ) -> None:
        self.seller = seller
        self.client = client
        self.settings = settings
        self.now = now  # the server's clock when the run started
        self.until = now - API_LAG
        # a first sync's settlement events paged ahead in a thread (extract/amazon/prefetch.py)
        self.finances_read_ahead: FinancesReadAhead | None = None
        # the settlement reports Amazon lists, for every load of the run
        self.settlement_reports = SettlementReports(self)

    @property
    def groups_since(self) -> str:
        """Settlement groups started after this are listed (the look-back before the start)."""
        return iso(self.settings.start - self.settings.group_lookback)

    @property
    def primary_marketplace(self) -> str:
        return self.seller.marketplace_ids[0]

    def common(self, source_report: str, marketplace_id: str | None = None) -> dict[str, Any]:
        return {
            "seller_id": self.seller.seller_id,
            "marketplace_id": marketplace_id or self.primary_marketplace,
            "is_sandbox": self.seller.sandbox,
            "source_report": source_report,
        }

    def rejected(
        self, resource: str, source_report: str, line: int, raw: str | None, reason: str
    ) -> Any:
        """A row that could not be parsed: kept raw, with why, in `rejected_rows`.

        Its id is its content, so reading the same window again does not add it twice; the
        table has its own key, not the resource's (hence a table variant).
        """
        key = f"{self.seller.seller_id}|{resource}|{raw}"
        record = {
            **self.common(source_report),
            "rejected_row_id": hashlib.sha256(key.encode()).hexdigest()[:32],
            "resource": resource,
            "line_number": line,
            "raw_line": raw,
            "reason": reason,
        }
        hints = dlt.mark.make_hints(
            table_name=REJECTED_TABLE,
            primary_key=["seller_id", "rejected_row_id"],
            # its own, not the resource's: finances' merge key names a column rejected rows
            # do not have (dlt then refuses the load)
            merge_key=["seller_id", "rejected_row_id"],
            write_disposition="merge",
        )
        return dlt.mark.with_hints(record, hints, create_table_variant=True)


def _finished_reports(
    ctx: SellerContext,
    run: DataSetRun,
    report_type: str,
    start: datetime,
    until: datetime,
    options: dict[str, str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(source_report, report) for each slice of [start, until), oldest first, once finished.

    Reports still pending from an earlier run are collected first instead of being asked
    for again; a slice that is not ready or ends FATAL stops the walk, unless it is longer
    than a month (see module doc).
    """
    state = dlt.current.resource_state()
    pending: dict[str, str] = state.setdefault("pending_reports", {})
    resume_at = state.get("resume_at")
    if resume_at and parse_time(resume_at) > start:
        # an earlier load of this walk loaded every slice before this point (with its
        # cursor); without it the cursor's look-back would ask for a report over days
        # already read
        start = parse_time(resume_at)
    # A type's slice, or the one every type accepts once a longer one ended FATAL
    size = (
        timedelta(days=state["slice_days"]) if "slice_days" in state else REPORT_SLICES[report_type]
    )
    windows = plan_windows(pending, start, until, size)
    # Ask for every slice first: Amazon prepares them side by side while we wait.
    for window_start, window_end in windows:
        key = window_key(window_start, window_end)
        if key not in pending:
            pending[key] = create_report(
                ctx.client,
                report_type,
                ctx.seller.marketplace_ids,
                window_start,
                window_end,
                options=options,
            )
    waiting = len(windows)  # asked for and not read yet: shown live while Amazon prepares them
    smaller_from: datetime | None = None  # where a longer slice ended FATAL
    run.reports_waiting += waiting
    try:
        for index, (window_start, window_end) in enumerate(windows):
            key = window_key(window_start, window_end)
            # the walk stops here until the next load (or run) unless this slice is read now
            state["resume_at"] = iso(window_start)
            if index == ctx.settings.report_slices_per_load:
                run.more = True  # load what was read, with its cursor, then come back here
                return
            try:
                report = _wait_or_ask_again(
                    ctx, report_type, pending, key, window_start, window_end, options
                )
            except ReportNotReady as not_ready:
                report_id = pending[key]
                run.report(report_type, report_id, not_ready.status, key)
                run.pending = True
                run.note(
                    f"report {report_id} ({key}) is still {not_ready.status}; the next run"
                    " collects it"
                )
                return
            except ReportFailed:
                report_id = pending.pop(key)
                run.report(report_type, report_id, "FATAL", key)
                if window_end - window_start > REPORT_SLICE:
                    # Amazon documents no range for this type and may allow less: the
                    # walk goes on from here in slices every type accepts
                    run.note(
                        f"{report_type} for {key} ended FATAL (report {report_id}); asked"
                        f" again in {REPORT_SLICE.days}-day slices"
                    )
                    smaller_from = window_start
                    break
                run.fail(
                    f"{report_type} for {key} ended FATAL (report {report_id}); the next run"
                    " asks again"
                )
                return
            waiting -= 1
            run.reports_waiting -= 1
            report_id = pending[key]
            run.report(report_type, report_id, report["processingStatus"], key)
            yield f"{report_type}:{report_id}", report
            del pending[key]
            run.window(window_start, window_end)
        else:
            state.pop("resume_at", None)
    finally:
        run.reports_waiting -= waiting
    if smaller_from is not None:
        state["slice_days"] = REPORT_SLICE.days
        yield from _finished_reports(ctx, run, report_type, smaller_from, until, options)


def _wait_or_ask_again(
    ctx: SellerContext,
    report_type: str,
    pending: dict[str, str],
    key: str,
    window_start: datetime,
    window_end: datetime,
    options: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Wait for a slice's report; one Amazon no longer knows (404) is asked for again."""
    wait = {
        "first_delay": ctx.settings.report_poll_seconds,
        "timeout": ctx.settings.report_wait_seconds,
    }
    try:
        return wait_for_report(ctx.client, pending[key], **wait)
    except SpApiError as error:
        if error.status != 404:
            raise
    log.info("report %s is gone (kept 90 days at most); asking again for %s", pending[key], key)
    pending[key] = create_report(
        ctx.client,
        report_type,
        ctx.seller.marketplace_ids,
        window_start,
        window_end,
        options=options,
    )
    return wait_for_report(ctx.client, pending[key], **wait)


def _report_values(
    ctx: SellerContext,
    run: DataSetRun,
    resource: str,
    report_type: str,
    source_report: str,
    report: dict[str, Any],
) -> Iterator[Any]:
    """A finished report's good rows as dicts by column name; bad rows as `rejected_rows`."""
    if report["processingStatus"] != "DONE":
        return  # CANCELLED: Amazon found no data for the range
    checks = REPORT_CHECKS[report_type]
    for parsed in download_report_rows(
        ctx.client, report["reportDocumentId"], validate=lambda row: check_row(row, checks)
    ):
        if parsed.values is None:
            run.rejected += 1
            yield ctx.rejected(
                resource, source_report, parsed.line_number, parsed.raw, parsed.reason or ""
            )
        else:
            for warning in unknown_values(parsed.values, checks):
                run.warn(warning)
            yield parsed.values


# A per-report function adding fields to each good row (a new one for every report).
RowShaper = Callable[[], Callable[[dict[str, str]], dict[str, Any]]]


def _report_rows(
    ctx: SellerContext,
    run: DataSetRun,
    resource: str,
    report_type: str,
    start: datetime,
    options: dict[str, str] | None = None,
    shaper: RowShaper | None = None,
) -> Iterator[Any]:
    """Rows of a report type since `start`, each stamped with the report it came from."""
    for source_report, report in _finished_reports(
        ctx, run, report_type, start, ctx.until, options
    ):
        shape = shaper() if shaper is not None else None
        for row in _report_values(ctx, run, resource, report_type, source_report, report):
            if isinstance(row, dict):
                run.rows += 1
                shaped = shape(row) if shape is not None else row
                yield {**shaped, **ctx.common(source_report)}
            else:
                yield row


def _api_pages(ctx: SellerContext, run: DataSetRun, pages: Iterator[Any]) -> Iterator[Any]:
    """An API's pages, counted for the progress display."""
    for page in _sandbox_tolerant(ctx, run, pages):
        run.pages += 1
        yield page


def _sandbox_tolerant(ctx: SellerContext, run: DataSetRun, rows: Iterator[Any]) -> Iterator[Any]:
    """Amazon's static sandbox answers 400 to requests it has no example for: empty, not failed."""
    try:
        yield from rows
    except SpApiError as error:
        if not (ctx.seller.sandbox and error.status == 400):
            raise
        run.note(f"sandbox has no example for {error.operation}: treated as empty")


@dlt.source(name="spapi")
def amazon_seller(
    ctx: SellerContext, runs: Callable[[str], DataSetRun], resources: Sequence[str]
) -> list[DltResource]:
    """The named resources of one seller. `runs(name)` gives the run record of a data set.

    Only those are built: a data set's load needs one or two, and building a report
    resource (its incremental cursor parses a JSON path) was 6 % of a small seller's CPU
    when all eleven were built for each load.
    """
    propagate_root_columns(dlt.current.source_schema())
    settings = ctx.settings
    since = iso(settings.start)
    groups_since = ctx.groups_since

    @dlt.resource(
        name="orders",
        primary_key=["seller_id", "orderId"],
        write_disposition="merge",
        # a load of report-read orders only has items without an id: typed all the same
        nested_hints={
            "orderItems": dlt.mark.make_nested_hints(
                columns=[{"name": "order_item_id", "data_type": "text", "nullable": True}]
            )
        },
    )
    def orders() -> Iterator[Any]:
        """Orders with their items: all-orders reports for long history, then searchOrders.

        searchOrders keeps the newest hours, which a report may not hold yet, and every
        order Amazon updates later (each run re-reads from its cursor). What a report-read
        order lacks until then: order item ids (items are keyed by SKU, see
        orders_from_report), packages (the orders mart takes the ship date from the
        fulfilled-shipments report instead) and the Prime flag (unknown, not false).

        The cursor (the newest `lastUpdatedTime` loaded) is kept in the resource's state
        rather than by `dlt.sources.incremental`, which would drop the orders read again
        from before it (see `_read_again_from_api`).
        """
        run = runs("orders")
        state = dlt.current.resource_state()
        cursor = OrdersCursor(state)
        start = cursor.start(settings.orders_overlap) or settings.start
        if start < ctx.until - settings.backfill_after:
            backfill_until = ctx.until - settings.orders_api_window
            backfill = _orders_backfill(ctx, run, start, backfill_until)
            yield from cursor.track(_sandbox_tolerant(ctx, run, backfill))
            if not (run.failed or run.pending or run.more):
                # every order updated before backfill_until is read, even if none was
                # (the cursor must move on, or the next load would walk the reports again)
                cursor.reached(backfill_until)
                # searchOrders in a load of its own, after the reports' last one: an order
                # both sent is kept as the API has it (dlt's merge keeps no order in a load)
                run.more = True
            return
        # the report's "Pending" is pending or unshipped: its orders are read again here
        api_from = state.pop("api_from", None)
        api_start = min(start, parse_time(api_from)) if api_from else start
        params = {
            "lastUpdatedAfter": iso(api_start),
            "marketplaceIds": ",".join(ctx.seller.marketplace_ids),
            "maxResultsPerPage": 100,
            "includedData": "PROCEEDS,PACKAGES",
        }
        pages = ctx.client.paginate(
            "searchOrders", "/orders/2026-01-01/orders", params, style="pagination"
        )
        for page in _api_pages(ctx, run, pages):
            batch = [
                {
                    **order,
                    **ctx.common(
                        "searchOrders", order.get("salesChannel", {}).get("marketplaceId")
                    ),
                }
                for order in page.get("orders", [])
            ]
            run.rows += len(batch)
            yield from cursor.track([batch])
        run.window(api_start, ctx.until)

    def report_resource(
        name: str,
        report_type: str,
        cursor: str,
        primary_key: list[str],
        options: dict[str, str] | None = None,
        shaper: RowShaper | None = None,
    ) -> DltResource:
        @dlt.resource(name=name, primary_key=["seller_id", *primary_key], write_disposition="merge")
        def resource(
            cursor_value: dlt.sources.incremental[str] = dlt.sources.incremental(
                cursor,
                initial_value=since,
                lag=settings.report_lookback.total_seconds(),
                on_cursor_value_missing="include",
            ),
        ) -> Iterator[Any]:
            run = runs(name)
            start = parse_time(cursor_value.start_value or since)
            rows = _report_rows(ctx, run, name, report_type, start, options, shaper)
            yield from _sandbox_tolerant(ctx, run, rows)

        return resource

    def inbound_resource(
        name: str, primary_key: list[str], operation: str, path: str, key: str
    ) -> DltResource:
        """Inbound shipments or their items updated in a window; the cursor is the window's end
        (Inbound v0 records carry no timestamp of their own)."""

        @dlt.resource(name=name, primary_key=["seller_id", *primary_key], write_disposition="merge")
        def resource(
            window: dlt.sources.incremental[str] = dlt.sources.incremental(
                "last_updated_before",
                initial_value=since,
                lag=settings.inbound_lookback.total_seconds(),
            ),
        ) -> Iterator[Any]:
            yield from _inbound(
                ctx, runs("inbound"), window.start_value or since, operation, path, key
            )

        return resource

    @dlt.resource(
        name="financial_event_groups",
        primary_key=["seller_id", "FinancialEventGroupId"],
        write_disposition="merge",
    )
    def financial_event_groups(
        started: dlt.sources.incremental[str] = dlt.sources.incremental(
            "FinancialEventGroupStart",
            initial_value=groups_since,
            lag=settings.group_lookback.total_seconds(),
        ),
    ) -> Iterator[Any]:
        """Settlement periods; those started within the look-back are listed again.

        A load takes at most `settlement_groups_per_load` periods not read yet, oldest
        first (helpers.groups_for_this_load); the rest wait for the next load (`run.more`),
        which lists them again since the cursor stops before them.
        """
        run = runs("finances")
        params = {
            "MaxResultsPerPage": 100,
            "FinancialEventGroupStartedAfter": started.start_value or groups_since,
        }
        rows = ctx.client.paginate(
            "listFinancialEventGroups", "/finances/v0/financialEventGroups", params, style="payload"
        )
        listed = [
            {**currency_amounts_as_decimal(group), **ctx.common("listFinancialEventGroups")}
            for page in _api_pages(ctx, run, rows)
            for group in page.get("payload", {}).get("FinancialEventGroupList", [])
        ]
        read = dlt.current.resource_state("financial_events").get(CLOSED_GROUPS_READ, [])
        groups, left = groups_for_this_load(listed, set(read), settings.settlement_groups_per_load)
        if left:
            run.more = True  # load these, with the cursor, then list the rest
        yield groups

    settlement_reports = ctx.settlement_reports
    # Amazon's static sandbox has no settlement reports to list
    reports_wanted = settings.settlement_reports and not ctx.seller.sandbox

    @dlt.transformer(
        data_from=financial_event_groups,
        name="financial_events",
        # A group is always read whole (the open one again each run, a closed one once more
        # from its report): its rows replace every row the group had, whatever their ids.
        # Ids made from what both sources state can still differ (an adjustment of several
        # items the report gives one row each), and would otherwise be kept twice.
        # No primary key beside it: dlt then deletes by "primary key OR merge key", a join
        # DuckDB can only make on `seller_id`. One seller's six-hourly batch (115,000
        # events of its open groups against 166,000 loaded) filled the disk, over 50 GB,
        # with that join's temporary files; the same lookup by the merge key alone takes
        # 0.03 s. Event ids are unique within a group (helpers.EventIdentity), and each
        # group is yielded once a run. A warehouse loaded before keeps the key in dlt's
        # stored schema unless a hint clears it: hence the columns.
        merge_key=["seller_id", "financial_event_group_id"],
        columns={"seller_id": {"primary_key": False}, "event_id": {"primary_key": False}},
        write_disposition="merge",
    )
    def financial_events(groups: list[dict[str, Any]]) -> Iterator[Any]:
        """Events of each group, one table per event list; closed groups are read once,
        from their settlement report when Amazon lists one (extract/amazon/settlements.py)."""
        run = runs("finances")
        state = dlt.current.resource_state()
        read: list[str] = state.setdefault(CLOSED_GROUPS_READ, [])
        yielded: set[str] = set()  # a group listed twice (pages shifting) is read once
        for group in groups:
            group_id = group["FinancialEventGroupId"]
            if group_id in read or group_id in yielded:
                continue
            yielded.add(group_id)
            closed = group.get("ProcessingStatus") == "Closed"
            from_report = settlement_reports.read(run, group) if closed and reports_wanted else None
            if from_report is not None:
                yield from from_report
            else:
                yield from _group_events(ctx, run, group_id)
            if closed:
                read.append(group_id)
        run.window(settings.start, ctx.until)

    @dlt.resource(
        name="inventory",
        primary_key=["seller_id", "snapshot_date", "marketplace_id", "sellerSku"],
        write_disposition="merge",
        columns={"inventory_details": {"data_type": "json"}},
    )
    def inventory() -> Iterator[Any]:
        """getInventorySummaries with details, per marketplace: a snapshot of every SKU.

        FBA Inventory v1 has no history, so each run stores what it sees under the day of
        the server's clock; a later run on the same day replaces that day's snapshot.
        """
        run = runs("inventory")
        snapshot_date = ctx.now.date().isoformat()
        snapshot_at = iso(ctx.now)
        for marketplace_id in ctx.seller.marketplace_ids:
            params = {
                "details": "true",
                "granularityType": "Marketplace",
                "granularityId": marketplace_id,
                "marketplaceIds": marketplace_id,
            }
            pages = ctx.client.paginate(
                "getInventorySummaries", "/fba/inventory/v1/summaries", params, style="inventory"
            )
            for page in _api_pages(ctx, run, pages):
                batch = [
                    {
                        **summary,
                        **inventory_quantities(summary.get("inventoryDetails")),
                        "snapshot_date": snapshot_date,
                        "snapshot_at": snapshot_at,
                        **ctx.common("getInventorySummaries", marketplace_id),
                    }
                    for summary in page.get("payload", {}).get("inventorySummaries", [])
                ]
                run.rows += len(batch)
                yield batch
        run.window(ctx.now, ctx.now)

    builders: dict[str, Callable[[], DltResource]] = {
        "orders": lambda: orders,
        "fba_shipments": lambda: report_resource(
            "fba_shipments",
            FULFILLED_SHIPMENTS,
            "shipment-date",
            ["shipment-id", "shipment-item-id"],
        ),
        "customer_returns": lambda: report_resource(
            "customer_returns",
            CUSTOMER_RETURNS,
            "return-date",
            ["order-id", "sku", "return-date", "license-plate-number"],
        ),
        "reimbursements": lambda: report_resource(
            "reimbursements", REIMBURSEMENTS, "approval-date", ["reimbursement-id", "sku"]
        ),
        "inbound_shipments": lambda: inbound_resource(
            "inbound_shipments",
            ["ShipmentId"],
            "getShipments",
            "/fba/inbound/v0/shipments",
            "ShipmentData",
        ),
        "inbound_shipment_items": lambda: inbound_resource(
            "inbound_shipment_items",
            ["ShipmentId", "SellerSKU"],
            "getShipmentItems",
            "/fba/inbound/v0/shipmentItems",
            "ItemData",
        ),
        "financial_event_groups": lambda: financial_event_groups,
        "financial_events": lambda: financial_events,
        "inventory": lambda: inventory,
        "inventory_ledger": lambda: report_resource(
            "inventory_ledger",
            LEDGER_DETAIL,
            "ledger_time",
            ["ledger_row_key"],
            shaper=_ledger_detail_shaper,
        ),
        "inventory_ledger_summary": lambda: report_resource(
            "inventory_ledger_summary",
            LEDGER_SUMMARY,
            "period_start",
            ["ledger_date", "MSKU", "FNSKU", "Disposition", "Location"],
            options=LEDGER_SUMMARY_OPTIONS,
            shaper=_ledger_summary_shaper,
        ),
    }
    return [builders[name]() for name in resources]


def _group_events(ctx: SellerContext, run: DataSetRun, group_id: str) -> Iterator[Any]:
    """A group's events paged from the Finances API (listFinancialEventsByGroupId)."""
    identity = EventIdentity(group_id)
    read_ahead = ctx.finances_read_ahead
    pages = read_ahead.pages(group_id) if read_ahead else None
    if pages is None:
        pages = ctx.client.paginate(
            EVENTS_OPERATION, group_events_path(group_id), {"MaxResultsPerPage": 100}
        )
    for page in _api_pages(ctx, run, pages):
        for list_name, events in page.get("payload", {}).get("FinancialEvents", {}).items():
            for listed in events:
                event = with_items_in_order(list_name, currency_amounts_as_decimal(listed))
                marketplace = marketplace_id_of(
                    event.get("MarketplaceName"), ctx.primary_marketplace
                )
                record = {
                    **event,
                    "event_id": identity(list_name, event),
                    "event_list": list_name,
                    "financial_event_group_id": group_id,
                    **ctx.common("listFinancialEventsByGroupId", marketplace),
                }
                run.rows += 1
                yield dlt.mark.with_table_name(record, event_table(list_name))


def _ledger_detail_shaper() -> Callable[[dict[str, str]], dict[str, Any]]:
    """Each ledger detail row with its stable key (helpers.LedgerRowKey) and ISO date."""
    key = LedgerRowKey()

    def shape(row: dict[str, str]) -> dict[str, Any]:
        day = us_date(row["Date"])
        return {
            **row,
            "ledger_row_key": key(row),
            "ledger_date": day,
            # the cursor (a JSON path cannot name `Date and Time`); the day's start for a
            # report that gives only the day
            "ledger_time": row.get("Date and Time") or f"{day}T00:00:00+0000",
        }

    return shape


def _ledger_summary_shaper() -> Callable[[dict[str, str]], dict[str, Any]]:
    """Each summary row with its day as an ISO date, and the day's start as the cursor."""

    def shape(row: dict[str, str]) -> dict[str, Any]:
        day = us_date(row["Date"])
        return {**row, "ledger_date": day, "period_start": f"{day}T00:00:00Z"}

    return shape


def _orders_backfill(
    ctx: SellerContext, run: DataSetRun, start: datetime, until: datetime
) -> Iterator[Any]:
    """Orders from all-orders reports over [start, until): bulk history without paging the API."""
    for source_report, report in _finished_reports(
        ctx, run, ALL_ORDERS_BY_LAST_UPDATE, start, until
    ):
        rejected: list[Any] = []

        def good_rows(
            source_report: str = source_report,
            report: dict[str, Any] = report,
            rejected: list[Any] = rejected,
        ) -> Iterator[dict[str, str]]:
            for row in _report_values(
                ctx, run, "orders", ALL_ORDERS_BY_LAST_UPDATE, source_report, report
            ):
                if isinstance(row, dict):
                    yield row
                else:
                    rejected.append(row)

        for order in orders_from_report(good_rows(), ctx.primary_marketplace):
            run.rows += 1
            if order["fulfillment"]["fulfillmentStatus"] not in REPORT_FINAL_STATUSES:
                _read_again_from_api(ctx, run, order["lastUpdatedTime"])
            yield {**order, **ctx.common(source_report, order["salesChannel"]["marketplaceId"])}
            yield from rejected
            rejected.clear()
        yield from rejected


class OrdersCursor:
    """The newest `lastUpdatedTime` of the orders loaded, in the orders resource's state.

    Saved with each load (dlt commits a resource's state with its rows). Earlier versions
    kept it as dlt's incremental `lastUpdatedTime`; that value is read as a start.
    """

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        earlier = state.get("incremental", {}).get("lastUpdatedTime", {}).get("last_value")
        saved = state.get("cursor", earlier)
        self.newest: datetime | None = parse_time(saved) if saved else None

    def start(self, overlap: timedelta) -> datetime | None:
        """Where the next read begins: the cursor less the overlap (statuses change late)."""
        return self.newest - overlap if self.newest else None

    def reached(self, moment: datetime) -> None:
        """Every order updated before `moment` has been read."""
        if self.newest is None or moment > self.newest:
            self.newest = moment
            self.state["cursor"] = iso(moment)

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        """Pass items (orders, lists of orders, rejected rows) through, noting the newest."""
        for item in items:
            for order in item if isinstance(item, list) else (item,):
                updated = order.get("lastUpdatedTime") if isinstance(order, dict) else None
                if updated:
                    self.reached(parse_time(updated))
            yield item


# Report order statuses that say all there is; the report's "Pending" stands for
# searchOrders' PENDING and UNSHIPPED alike (Amazon's Order Tracking report help).
REPORT_FINAL_STATUSES = frozenset({"SHIPPED", "CANCELLED"})


def _read_again_from_api(ctx: SellerContext, run: DataSetRun, last_updated: str) -> None:
    """Have searchOrders start early enough to read this report order again.

    Orders not yet shipped or cancelled are days old at most; one older than
    `orders_api_max_lookback` keeps the report's status until Amazon updates it (every
    update comes back through searchOrders), and the run says how many did.
    """
    floor = ctx.until - ctx.settings.orders_api_max_lookback
    if parse_time(last_updated) < floor:
        run.note_once("orders older than the API look-back keep the report's status PENDING")
        return
    state = dlt.current.resource_state()
    earliest = state.get("api_from")
    if earliest is None or parse_time(last_updated) < parse_time(earliest):
        state["api_from"] = iso(parse_time(last_updated))


def _inbound(
    ctx: SellerContext, run: DataSetRun, start_value: str, operation: str, path: str, key: str
) -> Iterator[Any]:
    before = iso(ctx.until)
    seen: set[tuple[str, str]] = set()
    for marketplace_id in ctx.seller.marketplace_ids:
        params = {
            "QueryType": "DATE_RANGE",
            "MarketplaceId": marketplace_id,
            "LastUpdatedAfter": start_value,
            "LastUpdatedBefore": before,
        }
        pages = ctx.client.paginate(operation, path, params, style="inbound")
        for page in _api_pages(ctx, run, pages):
            batch = []
            for record in page.get("payload", {}).get(key, []):
                identity = (record.get("ShipmentId", ""), record.get("SellerSKU", ""))
                if identity in seen:  # the same shipment listed under two marketplaces
                    continue
                seen.add(identity)
                batch.append(
                    {
                        **record,
                        "last_updated_before": before,
                        **ctx.common(operation, marketplace_id),
                    }
                )
            run.rows += len(batch)
            yield batch
    run.window(parse_time(start_value), ctx.until)
