"""Constants of the Amazon source: report types, their checks, windows and look-backs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

FULFILLED_SHIPMENTS = "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"
CUSTOMER_RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
ALL_ORDERS_BY_LAST_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"
# The Inventory Ledger reports (Seller Central's Inventory Ledger, detailed and summary views).
LEDGER_DETAIL = "GET_LEDGER_DETAIL_VIEW_DATA"
LEDGER_SUMMARY = "GET_LEDGER_SUMMARY_VIEW_DATA"
# The summary by day and by country (`aggregateByLocation` FC would split it per
# fulfillment center): one row per day x SKU x disposition.
LEDGER_SUMMARY_OPTIONS = {"aggregatedByTimePeriod": "DAILY", "aggregateByLocation": "COUNTRY"}
# Amazon writes one for every closed settlement period; it cannot be requested, only
# listed (getReports) and downloaded. extract/amazon/settlements.py reads it.
SETTLEMENT_V2 = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

# The slice every report type accepts: Amazon allows one month for fulfilled shipments
# and (undocumented, but in its own error message) for all orders.
REPORT_SLICE = timedelta(days=30)

# Each type's slice. A first sync is bounded by createReport and getReportDocument (one
# call a minute each once a burst of 15 is spent, shared by every type), so fewer, longer
# reports bring a year in sooner. Amazon documents no limit for returns, reimbursements
# and the ledger; 90 days is the one figure published for them (a secondary source). A
# longer slice that ends FATAL is asked for again in REPORT_SLICE slices (extract/amazon).
REPORT_SLICES: dict[str, timedelta] = {
    ALL_ORDERS_BY_LAST_UPDATE: REPORT_SLICE,
    FULFILLED_SHIPMENTS: REPORT_SLICE,
    CUSTOMER_RETURNS: timedelta(days=90),
    REIMBURSEMENTS: timedelta(days=90),
    LEDGER_DETAIL: timedelta(days=90),
    LEDGER_SUMMARY: timedelta(days=90),
}

# Amazon only answers for data older than two minutes.
API_LAG = timedelta(minutes=2)

MARKETPLACE_IDS_BY_NAME = {
    "Amazon.com": "ATVPDKIKX0DER",
    "Amazon.ca": "A2EUQ1WTGCTBG2",
    "Amazon.com.mx": "A1AM78C64UM0Y8",
    "Amazon.com.br": "A2Q3Y263D00KWC",
    "Amazon.co.uk": "A1F83G8C2ARO7P",
    "Amazon.de": "A1PA6795UKMFR9",
    "Amazon.fr": "A13V1IB3VIYZZH",
    "Amazon.it": "APJ6JRA9NG5V4",
    "Amazon.es": "A1RKKUPIHCS9HS",
    "Amazon.nl": "A1805IZSGTT6HS",
    "Amazon.se": "A2NODRKZP88ZB9",
    "Amazon.pl": "A1C3SOZRARQ6R3",
    "Amazon.co.jp": "A1VC38T7YXB528",
    "Amazon.com.au": "A39IBJ37TRP1C6",
    "Amazon.sg": "A19VAU5U5O7RUS",
    "Amazon.in": "A21TJRUUN4KGV",
}


# The currency each marketplace settles in: a settlement report names its marketplace, a
# financial event group only its currency (extract/amazon/settlements.py matches them).
MARKETPLACE_CURRENCIES = {
    "ATVPDKIKX0DER": "USD",
    "A2EUQ1WTGCTBG2": "CAD",
    "A1AM78C64UM0Y8": "MXN",
    "A2Q3Y263D00KWC": "BRL",
    "A1F83G8C2ARO7P": "GBP",
    "A1PA6795UKMFR9": "EUR",
    "A13V1IB3VIYZZH": "EUR",
    "APJ6JRA9NG5V4": "EUR",
    "A1RKKUPIHCS9HS": "EUR",
    "A1805IZSGTT6HS": "EUR",
    "A2NODRKZP88ZB9": "SEK",
    "A1C3SOZRARQ6R3": "PLN",
    "A1VC38T7YXB528": "JPY",
    "A39IBJ37TRP1C6": "AUD",
    "A19VAU5U5O7RUS": "SGD",
    "A21TJRUUN4KGV": "INR",
}


@dataclass(frozen=True)
class ReportChecks:
    """What makes a report row parseable: numbers that parse, dates that parse, known codes.

    A row failing a check is kept raw in `rejected_rows` with the reason, never dropped.
    """

    decimals: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    us_dates: tuple[str, ...] = ()  # MM/DD/YYYY, as the ledger reports write `Date`
    required: tuple[str, ...] = ()
    enums: dict[str, frozenset[str]] = field(default_factory=dict)


# The ledger's event types (Inventory Ledger help) and dispositions. A value outside them
# keeps its row, passes through as sent and counts a warning, like the other reports'
# unknown codes. Reason codes are many and loosely documented: loaded as written.
LEDGER_EVENT_TYPES = frozenset(
    {"Shipments", "CustomerReturns", "Receipts", "Adjustments", "WhseTransfers", "VendorReturns"}
)
LEDGER_DISPOSITIONS = frozenset(
    {
        "SELLABLE",
        "UNSELLABLE",
        "CUSTOMER_DAMAGED",
        "WAREHOUSE_DAMAGED",
        "DISTRIBUTOR_DAMAGED",
        "CARRIER_DAMAGED",
        "DEFECTIVE",
        "EXPIRED",
    }
)
# The ledger summary's columns that count units.
LEDGER_SUMMARY_QUANTITIES = (
    "Starting Warehouse Balance",
    "In Transit Between Warehouses",
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
    "Ending Warehouse Balance",
    "Unknown Events",
)

REPORT_CHECKS: dict[str, ReportChecks] = {
    FULFILLED_SHIPMENTS: ReportChecks(
        decimals=(
            "item-price",
            "item-tax",
            "shipping-price",
            "shipping-tax",
            "item-promotion-discount",
        ),
        integers=("quantity-shipped",),
        dates=("purchase-date", "shipment-date"),
        required=("amazon-order-id", "shipment-id", "shipment-item-id", "sku", "shipment-date"),
        enums={"fulfillment-channel": frozenset({"AFN", "MFN"})},
    ),
    CUSTOMER_RETURNS: ReportChecks(
        integers=("quantity",),
        dates=("return-date",),
        required=("return-date", "order-id", "sku", "quantity"),
        enums={
            "detailed-disposition": frozenset(
                {
                    "SELLABLE",
                    "DAMAGED",
                    "CUSTOMER_DAMAGED",
                    "DEFECTIVE",
                    "CARRIER_DAMAGED",
                    "DISTRIBUTOR_DAMAGED",
                    "EXPIRED",
                    "UNSELLABLE",
                }
            )
        },
    ),
    ALL_ORDERS_BY_LAST_UPDATE: ReportChecks(
        decimals=(
            "item-price",
            "item-tax",
            "shipping-price",
            "shipping-tax",
            "item-promotion-discount",
        ),
        integers=("quantity",),
        dates=("purchase-date", "last-updated-date"),
        required=("amazon-order-id", "purchase-date", "last-updated-date", "order-status", "sku"),
        enums={
            "order-status": frozenset(
                {
                    "Pending",
                    "Unshipped",
                    "PartiallyShipped",
                    "Shipped",
                    "Shipping",
                    "Cancelled",
                    "Canceled",
                }
            )
        },
    ),
    REIMBURSEMENTS: ReportChecks(
        decimals=("amount-per-unit", "amount-total"),
        integers=(
            "quantity-reimbursed-cash",
            "quantity-reimbursed-inventory",
            "quantity-reimbursed-total",
        ),
        dates=("approval-date",),
        required=("approval-date", "reimbursement-id", "sku"),
        enums={
            "reason": frozenset(
                {
                    "Lost_Inbound",
                    "Lost_Warehouse",
                    "Damaged_Warehouse",
                    "Damaged_Inbound",
                    "Lost_Outbound",
                    "CustomerReturn",
                    "CustomerServiceIssue",
                    "GeneralAdjustment",
                    "FeeCorrection",
                    "Reimbursement_Reversal",
                    "MissingFromInbound",
                    "Removal_Order_Lost",
                    "Removal_Order_Damaged",
                }
            )
        },
    ),
    LEDGER_DETAIL: ReportChecks(
        integers=("Quantity", "Reconciled Quantity", "Unreconciled Quantity"),
        dates=("Date and Time",),
        us_dates=("Date",),
        required=("Date", "Event Type", "Quantity"),
        enums={"Event Type": LEDGER_EVENT_TYPES, "Disposition": LEDGER_DISPOSITIONS},
    ),
    LEDGER_SUMMARY: ReportChecks(
        integers=LEDGER_SUMMARY_QUANTITIES,
        us_dates=("Date",),
        required=("Date", "Disposition"),
        enums={"Disposition": LEDGER_DISPOSITIONS},
    ),
}
