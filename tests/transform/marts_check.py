"""The marts' figures that `simulator.truth.seller_truth` also states, and the truth's own.

`mart_figures` reads one seller's rows from the marts through a `query(sql, params)`
callable (DuckDB or Postgres alike); `truth_figures` picks the same figures out of the
ground truth. Money is compared as two-decimal strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
CENT = Decimal("0.01")


def money(value: Any) -> str:
    return f"{Decimal(str(value or 0)).quantize(CENT):.2f}"


def mart_figures(query: Query, schema: str, seller_id: str, placeholder: str) -> dict[str, Any]:
    """Counts and sums of one seller's marts in `schema` (`placeholder`: `?` or `%s`)."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return query(sql.format(s=schema), [seller_id])

    def one(sql: str) -> tuple[Any, ...]:
        return rows(sql)[0]

    p = placeholder
    w = f"where seller_id = {p}"
    orders = one(
        "select count(*), sum(item_count), sum(units_ordered), sum(units_shipped)"
        f" from {{s}}.orders {w}"
    )
    order_items = one(f"select count(*), sum(quantity_ordered) from {{s}}.order_items {w}")
    by_status = dict(rows(f"select upper(order_status), count(*) from {{s}}.orders {w} group by 1"))
    by_channel = dict(
        rows(f"select fulfillment_channel, count(*) from {{s}}.orders {w} group by 1")
    )
    totals = {
        currency: money(total)
        for currency, total in rows(
            f"select currency, sum(total_amount) from {{s}}.orders {w}"
            " and order_status in ('unshipped', 'shipped') group by 1"
        )
    }
    outbound = one(f"select count(*) from {{s}}.shipments {w} and direction = 'outbound'")[0]
    inbound = dict(
        rows(
            f"select status, count(*) from {{s}}.shipments {w} and direction = 'inbound' group by 1"
        )
    )
    units = one(
        "select coalesce(sum(expected_quantity), 0), coalesce(sum(received_quantity), 0),"
        " coalesce(sum(missing_quantity), 0),"
        " coalesce(sum(case when status = 'lost' then missing_quantity end), 0)"
        f" from {{s}}.shipments {w} and direction = 'inbound'"
    )
    returns = one(
        "select count(*), coalesce(sum(case when is_partial then 1 else 0 end), 0),"
        " coalesce(sum(returned_quantity), 0), count(refund_amount), sum(refund_amount)"
        f" from {{s}}.returns {w}"
    )
    refunds = one(
        f"select count(*), sum(-amount) from {{s}}.settlements {w} and transaction_type = 'refund'"
    )
    without_return = one(
        "select count(*), sum(refunded) from ("
        "  select l.order_id, l.sku, sum(-l.amount) as refunded"
        f"  from {{s}}.settlements as l where l.seller_id = {p} and l.transaction_type = 'refund'"
        "  and not exists (select 1 from {s}.returns as r where r.seller_id = l.seller_id"
        "   and r.order_id = l.order_id and r.sku = l.sku)"
        "  group by l.order_id, l.sku) as refunded_only"
    )
    lines = {
        kind: {"count": n, "amount": money(a), "fees": money(f), "net_amount": money(net)}
        for kind, n, a, f, net in rows(
            "select transaction_type, count(*), sum(amount), sum(fees), sum(net_amount)"
            f" from {{s}}.settlements {w} group by 1"
        )
    }
    fees = {
        fee_type: {"count": n, "amount": money(a)}
        for fee_type, n, a in rows(
            f"select fee_type, count(*), sum(amount) from {{s}}.settlement_fees {w} group by 1"
        )
    }
    periods = rows(
        "select settlement_id, marketplace_id, processing_status, original_total, currency,"
        " computed_total, is_reconciled"
        f" from {{s}}.settlement_periods {w}"
    )
    return {
        "orders": orders[0],
        "orders_by_status": by_status,
        "orders_by_fulfillment_channel": by_channel,
        "order_items": order_items[0],
        "order_items_on_orders": orders[1],
        "units_ordered": order_items[1],
        "units_ordered_on_orders": orders[2],
        "units_shipped": orders[3],
        "total_amount": totals,
        "outbound_shipped": outbound,
        "inbound_by_status": inbound,
        "inbound_expected_units": units[0],
        "inbound_received_units": units[1],
        "missing_units": units[2],
        "lost_units": units[3],
        "returns": returns[0],
        "returns_partial": returns[1],
        "returned_units": returns[2],
        "returns_refunded": returns[3],
        "returns_refund_amount": money(returns[4]),
        "refunds": refunds[0],
        "refunds_amount": money(refunds[1]),
        "refunds_without_return": without_return[0],
        "refunds_without_return_amount": money(without_return[1]),
        "settlement_lines": sum(v["count"] for v in lines.values()),
        "settlement_lines_by_type": lines,
        "fees_by_type": fees,
        "periods": sorted(
            (group, marketplace, status, money(total), currency)
            for group, marketplace, status, total, currency, _, _ in periods
        ),
        "closed_periods_reconciled": sorted(
            (group, money(computed), reconciled)
            for group, _, status, _, _, computed, reconciled in periods
            if status == "closed"
        ),
    }


def truth_figures(truth: dict[str, Any]) -> dict[str, Any]:
    """The same figures from `simulator.truth.seller_truth`."""
    orders, shipments, returns, refunds = (
        truth["orders"],
        truth["shipments"],
        truth["returns"],
        truth["refunds"],
    )
    settlements = truth["settlements"]
    periods = truth["settlement_periods"]["periods"]
    return {
        "orders": orders["count"],
        "orders_by_status": orders["by_status"],
        "orders_by_fulfillment_channel": orders["by_fulfillment_channel"],
        "order_items": orders["order_items"],
        "order_items_on_orders": orders["order_items"],
        "units_ordered": orders["units_ordered"],
        "units_ordered_on_orders": orders["units_ordered"],
        "units_shipped": orders["units_shipped"],
        "total_amount": orders["total_amount"],
        "outbound_shipped": shipments["outbound"]["shipped"],
        "inbound_by_status": shipments["inbound"],
        "inbound_expected_units": shipments["inbound_expected_units"],
        "inbound_received_units": shipments["inbound_received_units"],
        "missing_units": shipments["missing_units"],
        "lost_units": shipments["lost_units"],
        "returns": returns["count"],
        "returns_partial": returns["partial"],
        "returned_units": returns["returned_units"],
        "returns_refunded": returns["refunded"],
        "returns_refund_amount": returns["refund_amount"],
        "refunds": refunds["count"],
        "refunds_amount": refunds["amount"],
        "refunds_without_return": refunds["without_return"],
        "refunds_without_return_amount": refunds["without_return_amount"],
        "settlement_lines": settlements["lines"],
        "settlement_lines_by_type": settlements["lines_by_type"],
        "fees_by_type": settlements["fees_by_type"],
        "periods": sorted(
            (
                p["group_id"],
                p["marketplace_id"],
                p["processing_status"].lower(),
                p["original_total"],
                p["currency"],
            )
            for p in periods
        ),
        # a closed period's lines add up to Amazon's total, to the cent
        "closed_periods_reconciled": sorted(
            (p["group_id"], p["original_total"], True)
            for p in periods
            if p["processing_status"] == "Closed"
        ),
    }
