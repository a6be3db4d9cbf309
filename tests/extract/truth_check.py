"""Compare a seller's raw dataset with the simulator's ground truth, count by count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.extract.warehouse import Warehouse

ITEMS = "orders__order_items"
ORDER_LINES = "shipment_events__shipment_item_list"
REFUND_LINES = "refund_events__shipment_item_adjustment_list"
GROUP_TOTALS = (
    "select financial_event_group_id, original_total__currency_amount"
    " from {s}.financial_event_groups"
)


def raw_figures(w: Warehouse) -> dict[str, Any]:
    """The counts and sums of a raw dataset that the ground truth also states."""
    return {
        "orders": w.count("orders"),
        "order_items": w.count(ITEMS),
        "units_ordered": int(w.sum(ITEMS, "quantity_ordered")),
        "orders_by_status": dict(
            w.rows("select fulfillment__fulfillment_status, count(*) from {s}.orders group by 1")
        ),
        "outbound_shipments": _distinct_shipments(w),
        "return_rows": w.count("customer_returns"),
        "returned_units": int(w.sum("customer_returns", "cast(quantity as integer)")),
        "reimbursements": w.count("reimbursements"),
        "inbound_shipments": w.count("inbound_shipments"),
        "inbound_items": w.count("inbound_shipment_items"),
        "inbound_expected": int(w.sum("inbound_shipment_items", "quantity_shipped")),
        "inbound_received": int(w.sum("inbound_shipment_items", "quantity_received")),
        "groups": w.count("financial_event_groups"),
        "order_lines": w.count(ORDER_LINES),
        "refund_lines": w.count(REFUND_LINES),
        "service_fee_lines": w.count("service_fee_events"),
        "adjustment_lines": w.count("adjustment_events__adjustment_item_list"),
        "group_totals": sorted(
            (group_id, Decimal(str(total)).quantize(Decimal("0.01")))
            for group_id, total in w.rows(GROUP_TOTALS)
        ),
    }


def _distinct_shipments(w: Warehouse) -> int:
    if "fba_shipments" not in w.tables():
        return 0
    return int(w.scalar("select count(distinct shipment_id) from {s}.fba_shipments"))


def truth_figures(truth: dict[str, Any]) -> dict[str, Any]:
    """The same figures, from `simulator.truth.seller_truth`."""
    orders, shipments = truth["orders"], truth["shipments"]
    lines = truth["settlements"]["lines_by_type"]
    periods = truth["settlement_periods"]["periods"]
    return {
        "orders": orders["count"],
        "order_items": orders["order_items"],
        "units_ordered": orders["units_ordered"],
        "orders_by_status": orders["by_status"],
        "outbound_shipments": shipments["outbound"]["shipped"],
        "return_rows": truth["returns"]["report_rows"],
        "returned_units": truth["returns"]["returned_units"],
        "reimbursements": truth["reimbursements"]["count"],
        "inbound_shipments": sum(shipments["inbound"].values()),
        "inbound_items": shipments["inbound_items"],
        "inbound_expected": shipments["inbound_expected_units"],
        "inbound_received": shipments["inbound_received_units"],
        "groups": truth["settlement_periods"]["count"],
        "order_lines": lines.get("order", {}).get("count", 0),
        "refund_lines": lines.get("refund", {}).get("count", 0),
        "service_fee_lines": lines.get("service_fee", {}).get("count", 0),
        "adjustment_lines": lines.get("adjustment", {}).get("count", 0),
        "group_totals": sorted((p["group_id"], Decimal(p["original_total"])) for p in periods),
    }


def assert_matches_truth(w: Warehouse, truth: dict[str, Any]) -> None:
    raw, want = raw_figures(w), truth_figures(truth)
    # (helper modules get no assertion rewriting: the message names what differs)
    assert raw == want, {
        key: (raw.get(key), value) for key, value in want.items() if raw.get(key) != value
    }
