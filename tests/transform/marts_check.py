"""The marts' figures that `simulator.truth.seller_truth` also states, and the truth's own.

`mart_figures` reads one seller's rows from the marts through a `query(sql, params)`
callable (DuckDB or Postgres alike); `truth_figures` picks the same figures out of the
ground truth. Money is compared as two-decimal strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
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
    order_items = one(f"select count(*), sum(units_ordered) from {{s}}.order_items {w}")
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
    # every shipped FBA order knows when it shipped, read from the API or from a report
    dated = one(
        f"select count(*) from {{s}}.orders {w} and order_status = 'shipped'"
        " and fulfillment_channel = 'AFN' and shipment_date is not null"
    )[0]
    inbound = dict(
        rows(
            f"select status, count(*) from {{s}}.shipments {w} and direction = 'inbound' group by 1"
        )
    )
    units = one(
        "select coalesce(sum(units_expected), 0), coalesce(sum(units_received), 0),"
        " coalesce(sum(units_missing), 0),"
        " coalesce(sum(case when status = 'lost' then units_missing end), 0)"
        f" from {{s}}.shipments {w} and direction = 'inbound'"
    )
    returns = one(
        "select count(*), coalesce(sum(case when is_partial then 1 else 0 end), 0),"
        " coalesce(sum(units_returned), 0), count(refund_amount), sum(refund_amount)"
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
        **_inventory_figures(rows, one, w),
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
        "shipped_orders_with_ship_date": dated,
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
        **_truth_inventory_figures(truth),
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
        "shipped_orders_with_ship_date": shipments["outbound"]["shipped"],
        "inbound_by_status": shipments["inbound"],
        "inbound_expected_units": shipments["inbound_expected_units"],
        "inbound_received_units": shipments["inbound_received_units"],
        # missing only once closed: the units short on shipments that were closed (`lost`)
        "missing_units": shipments["lost_units"],
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


CLAIM_SUMS = ("units_affected", "units_reimbursed", "units_owed")
CLAIM_AMOUNTS = ("amount_reimbursed", "estimated_value_owed")


def _inventory_figures(
    rows: Callable[[str], list[tuple[Any, ...]]],
    one: Callable[[str], tuple[Any, ...]],
    w: str,
) -> dict[str, Any]:
    """Inventory, ledger, reimbursements and claims (what does not depend on the day)."""
    # the newest snapshot: what the last sync saw
    latest = (
        f"{w} and snapshot_date = (select max(newest.snapshot_date)"
        " from {s}.inventory as newest where newest.seller_id = inventory.seller_id)"
    )
    snapshot = rows(
        "select count(distinct sku),"
        " sum(case when disposition = 'SELLABLE' then units_sku_total end),"
        " sum(units_fulfillable), sum(units_pending_customer_order),"
        " sum(units_pending_transshipment), sum(units_reserved),"
        " sum(units_researching), sum(units_unfulfillable),"
        " sum(units_inbound_shipped), sum(units_inbound_receiving)"
        f" from {{s}}.inventory {latest}"
    )
    unfulfillable = dict(
        rows(
            "select disposition, sum(units_unfulfillable) from {s}.inventory"
            f" {latest} and disposition <> 'SELLABLE' group by 1"
        )
    )
    ledger_types = {
        kind: {"rows": n, "units": int(units)}
        for kind, n, units in rows(
            f"select event_type, count(*), sum(units) from {{s}}.inventory_ledger {w} group by 1"
        )
    }
    ledger_reasons = {
        reason: {"rows": n, "units": int(units)}
        for reason, n, units in rows(
            "select reason, count(*), sum(units) from {s}.inventory_ledger"
            f" {w} and event_type = 'Adjustments' group by 1"
        )
    }
    # the ledger summary as synced (it has no mart): its last whole day's ending balances
    summary_day = one(
        "select cast(max(balance_date) as varchar)"
        f" from {{s}}.stg_spapi__inventory_ledger_summary {w}"
    )[0]
    summary_ending = rows(
        "select sku, disposition, sum(ending_warehouse_balance)"
        f" from {{s}}.stg_spapi__inventory_ledger_summary as summary {w}"
        " and balance_date = (select max(newest.balance_date)"
        " from {s}.stg_spapi__inventory_ledger_summary as newest"
        " where newest.seller_id = summary.seller_id)"
        " group by 1, 2 having sum(ending_warehouse_balance) <> 0"
    )
    reimbursed = one(
        "select count(*), coalesce(sum(units_reimbursed_total), 0), sum(amount_total)"
        f" from {{s}}.reimbursements {w}"
    )
    reasons = dict(rows(f"select reason, count(*) from {{s}}.reimbursements {w} group by 1"))
    claims = {
        claim_type: {
            "count": n,
            **{name: int(v) for name, v in zip(CLAIM_SUMS, sums, strict=True)},
            **{name: money(v) for name, v in zip(CLAIM_AMOUNTS, amounts, strict=True)},
        }
        for claim_type, n, *values in rows(
            f"select claim_type, count(*), {', '.join(f'sum({c})' for c in CLAIM_SUMS)},"
            f" {', '.join(f'sum({c})' for c in CLAIM_AMOUNTS)}"
            f" from {{s}}.claims {w} group by 1"
        )
        for sums, amounts in [(values[: len(CLAIM_SUMS)], values[len(CLAIM_SUMS) :])]
    }
    (
        skus,
        total,
        fulfillable,
        pending,
        transship,
        reserved,
        researching,
        unfit,
        shipped,
        receiving,
    ) = snapshot[0]
    return {
        "inventory": {
            "skus": skus,
            "total_quantity": total,
            "fulfillable": fulfillable,
            "pending_customer_order": pending,
            "pending_transshipment": transship,
            "reserved": reserved,
            "researching": researching,
            "unfulfillable": unfit,
            "inbound_shipped": shipped,
            "inbound_receiving": receiving,
            "unfulfillable_by_disposition": {k: int(v) for k, v in unfulfillable.items() if v},
        },
        "ledger_rows": sum(v["rows"] for v in ledger_types.values()),
        "ledger_by_event_type": ledger_types,
        "ledger_adjustments_by_reason": ledger_reasons,
        "ledger_summary_last_day": summary_day,
        "ledger_summary_ending_balances": sorted(
            (sku, disposition, int(units)) for sku, disposition, units in summary_ending
        ),
        "reimbursements": {
            "count": reimbursed[0],
            "units": int(reimbursed[1]),
            "amount_total": money(reimbursed[2]),
            "by_reason": reasons,
        },
        "claims": claims,
    }


def _truth_inventory_figures(truth: dict[str, Any]) -> dict[str, Any]:
    inventory, ledger, claims = truth["inventory"], truth["inventory_ledger"], truth["claims"]
    return {
        "inventory": {
            **{
                key: inventory[key]
                for key in (
                    "skus",
                    "total_quantity",
                    "fulfillable",
                    "pending_customer_order",
                    "pending_transshipment",
                    "reserved",
                    "researching",
                    "unfulfillable",
                    "inbound_shipped",
                    "inbound_receiving",
                )
            },
            "unfulfillable_by_disposition": {
                k: v for k, v in inventory["by_disposition"].items() if k != "SELLABLE"
            },
        },
        "ledger_rows": ledger["rows"],
        "ledger_by_event_type": ledger["by_event_type"],
        "ledger_adjustments_by_reason": ledger["adjustments_by_reason"],
        "ledger_summary_last_day": ledger["summary_last_day"],
        "ledger_summary_ending_balances": sorted(
            (b["sku"], b["disposition"], b["quantity"]) for b in ledger["summary_ending_balances"]
        ),
        "reimbursements": truth["reimbursements"],
        "claims": {
            claim_type: {
                "count": figures["count"],
                **{name: figures[name] for name in (*CLAIM_SUMS, *CLAIM_AMOUNTS)},
            }
            for claim_type, figures in claims["by_type"].items()
            if figures["count"]
        },
    }


def claim_rows(
    query: Query, schema: str, seller_id: str, placeholder: str
) -> list[tuple[Any, ...]]:
    """One seller's claims, each as the truth's candidate fields (status on `as_of_date`)."""
    found = query(
        "select claim_type, sku, fnsku, asin, reference, marketplace_id, event_at,"
        " window_opens_date, window_closes_date, units_affected, units_found, units_reimbursed,"
        " units_owed, amount_reimbursed, unit_value, estimated_value_owed, reimbursement_ids,"
        f" status, is_claimable from {schema}.claims where seller_id = {placeholder}",
        [seller_id],
    )
    return sorted(
        (
            *(str(v) for v in row[:6]),
            _utc(row[6]),
            str(row[7]),
            str(row[8]),
            *(int(v) for v in row[9:13]),
            *(money(v) for v in row[13:16]),
            row[16],
            row[17],
            bool(row[18]),
        )
        for row in found
    )


def truth_claim_rows(truth: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The truth's claim candidates in `claim_rows`' shape."""
    return sorted(
        (
            c["claim_type"],
            c["sku"],
            c["fnsku"],
            c["asin"],
            c["reference"],
            c["marketplace_id"],
            c["event_at"],
            c["window_opens_on"],
            c["window_closes_on"],
            c["units_affected"],
            c["units_found"],
            c["units_reimbursed"],
            c["units_owed"],
            c["amount_reimbursed"],
            c["unit_value"],
            c["estimated_value_owed"],
            ",".join(c["reimbursement_ids"]),
            c["status"],
            c["claimable"],
        )
        for c in truth["claims"]["candidates"]
    )


def _utc(value: Any) -> str:
    """A timestamp with time zone as the truth writes it (ISO 8601, UTC)."""
    return value.astimezone(UTC).isoformat()
