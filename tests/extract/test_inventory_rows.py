"""The inventory data sets' row shaping: ledger row keys, ledger checks, inventory quantities."""

from __future__ import annotations

from extract.amazon.helpers import (
    LedgerRowKey,
    check_row,
    inventory_quantities,
    unknown_values,
    us_date,
)
from extract.amazon.settings import LEDGER_DETAIL, LEDGER_SUMMARY, REPORT_CHECKS

ROW = {
    "Date": "11/27/2026",
    "FNSKU": "X001",
    "ASIN": "B001",
    "MSKU": "SKU-1",
    "Title": "A product",
    "Event Type": "Shipments",
    "Reference ID": "D1",
    "Quantity": "-1",
    "Fulfillment Center": "MDW2",
    "Disposition": "SELLABLE",
    "Reason": "",
    "Country": "US",
    "Reconciled Quantity": "",
    "Unreconciled Quantity": "",
    "Date and Time": "2026-11-27T10:00:00+0000",
}


def test_identical_ledger_rows_stay_apart_and_a_reread_gets_the_same_keys() -> None:
    first = LedgerRowKey()
    keys = [first(ROW), first(ROW), first({**ROW, "Quantity": "-2"})]
    assert len(set(keys)) == 3, "two identical movements are two rows"
    again = LedgerRowKey()  # the same rows in a later report (the look-back)
    assert [again(ROW), again(ROW), again({**ROW, "Quantity": "-2"})] == keys


def test_a_ledger_row_key_ignores_what_may_change_when_read_again() -> None:
    renamed = {**ROW, "Title": "Renamed", "Reconciled Quantity": "1"}
    assert LedgerRowKey()(renamed) == LedgerRowKey()(ROW)
    assert LedgerRowKey()({**ROW, "Reference ID": "D2"}) != LedgerRowKey()(ROW)


def test_ledger_rows_with_unknown_codes_are_kept_with_a_warning() -> None:
    checks = REPORT_CHECKS[LEDGER_DETAIL]
    unknown = {**ROW, "Event Type": "SomethingNew", "Disposition": "NEW", "Reason": "Z"}
    assert check_row(unknown, checks) is None
    assert unknown_values(unknown, checks) == [
        "unknown value 'SomethingNew' in column 'Event Type'",
        "unknown value 'NEW' in column 'Disposition'",
    ]
    assert check_row({**ROW, "Quantity": "two"}, checks) is not None
    assert check_row({**ROW, "Date": "2026-11-27"}, checks) is not None
    summary = {"Date": "11/27/2026", "Disposition": "SELLABLE", "Receipts": "x"}
    assert check_row(summary, REPORT_CHECKS[LEDGER_SUMMARY]) is not None
    assert us_date("11/27/2026") == "2026-11-27"


def test_an_inventory_quantity_amazon_leaves_out_is_none_not_zero() -> None:
    details = {"fulfillableQuantity": 5, "reservedQuantity": {"totalReservedQuantity": 0}}
    quantities = inventory_quantities(details)
    assert quantities["fulfillable_quantity"] == 5
    assert quantities["reserved_quantity"] == 0
    assert quantities["pending_customer_order_quantity"] is None
    assert quantities["inbound_shipped_quantity"] is None
    assert all(v is None for v in inventory_quantities(None).values())
