"""Compare a seller's raw dataset with the simulator's ground truth, count by count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.extract.warehouse import Warehouse


def raw_figures(w: Warehouse) -> dict[str, Any]:
    """The counts and sums of a raw dataset that the ground truth also states."""
    items = "orders__order_items"
    lines = "shipment_events__shipment_item_list"
    refunds = "refund_events__shipment_item_adjustment_list"
    return {
        "orders": w.count("orders"),
        "order_items": w.count(items),
        "units_ordered": int(
            w.scalar(f"select coalesce(sum(quantity_ordered), 0) from {{s}}.{items}")
        ),
        "orders_by_status": dict(
            w.rows("select fulfillment__fulfillment_status, count(*) from {s}.orders group by 1")
        ),
        "outbound_shipments": int(
            w.scalar("select count(distinct shipment_id) from {s}.fba_shipments")
        ),
        "return_rows": w.count("customer_returns"),
        "returned_units": int(
            w.scalar("select coalesce(sum(cast(quantity as integer)), 0) from {s}.customer_returns")
        ),
        "reimbursements": w.count("reimbursements"),
        "inbound_shipments": w.count("inbound_shipments"),
        "inbound_items": w.count("inbound_shipment_items"),
        "inbound_expected": int(
            w.scalar("select sum(quantity_shipped) from {s}.inbound_shipment_items")
        ),
        "inbound_received": int(
            w.scalar("select sum(quantity_received) from {s}.inbound_shipment_items")
        ),
        "groups": w.count("financial_event_groups"),
        "order_lines": w.count(lines),
        "refund_lines": w.count(refunds),
        "service_fee_lines": w.count("service_fee_events"),
        "adjustment_lines": w.count("adjustment_events__adjustment_item_list"),
        "order_charges": Decimal(
            str(
                w.scalar(
                    f"select sum(charge_amount__currency_amount) from {{s}}.{lines}__item_charge_list"
                )
            )
        ),
        "group_totals": sorted(
            (gid, Decimal(str(total)).quantize(Decimal("0.01")))
            for gid, total in w.rows(
                "select financial_event_group_id, original_total__currency_amount from {s}.financial_event_groups"
            )
        ),
    }


def truth_figures(truth: dict[str, Any]) -> dict[str, Any]:
    """The same figures, from `simulator.truth.seller_truth`."""
    orders, shipments = truth["orders"], truth["shipments"]
    lines = truth["settlements"]["lines_by_type"]
    inbound_count = sum(shipments["inbound"].values())
    return {
        "orders": orders["count"],
        "order_items": orders["order_items"],
        "units_ordered": orders["units_ordered"],
        "orders_by_status": orders["by_status"],
        "outbound_shipments": shipments["outbound"]["shipped"],
        "return_rows": truth["returns"]["report_rows"],
        "returned_units": truth["returns"]["returned_units"],
        "reimbursements": truth["reimbursements"]["count"],
        "inbound_shipments": inbound_count,
        "inbound_items": shipments["inbound_items"],
        "inbound_expected": shipments["inbound_expected_units"],
        "inbound_received": shipments["inbound_received_units"],
        "groups": truth["settlement_periods"]["count"],
        "order_lines": lines.get("order", {}).get("count", 0),
        "refund_lines": lines.get("refund", {}).get("count", 0),
        "service_fee_lines": lines.get("service_fee", {}).get("count", 0),
        "adjustment_lines": lines.get("adjustment", {}).get("count", 0),
        # charges of order lines = amount minus promotions (promotions are their own list)
        "order_charges": None,
        "group_totals": sorted(
            (p["group_id"], Decimal(p["original_total"]))
            for p in truth["settlement_periods"]["periods"]
        ),
    }


def assert_matches_truth(w: Warehouse, truth: dict[str, Any]) -> None:
    raw = raw_figures(w)
    expected = truth_figures(truth)
    raw.pop("order_charges")
    expected.pop("order_charges")
    assert raw == expected
