"""Finances v0 over HTTP: groups, events by group, by date and by order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from simulator.truth import seller_truth
from simulator.world import World
from tests.simulator.spapi import Client

GROUPS = "/finances/v0/financialEventGroups"
EVENTS = "/finances/v0/financialEvents"
LISTS = ("ShipmentEventList", "RefundEventList", "ServiceFeeEventList", "AdjustmentEventList")


def _groups(client: Client) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    body = client.get(GROUPS, {"MaxResultsPerPage": 2})
    groups.extend(body["payload"]["FinancialEventGroupList"])
    while "NextToken" in body["payload"]:
        body = client.get(
            GROUPS, {"MaxResultsPerPage": 2, "NextToken": body["payload"]["NextToken"]}
        )
        groups.extend(body["payload"]["FinancialEventGroupList"])
    return groups


def _events(client: Client, path: str, params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    token = None
    while True:
        body = client.get(path, {**params, **({"NextToken": token} if token else {})})
        for name in LISTS:
            lists[name].extend(body["payload"]["FinancialEvents"][name])
        token = body["payload"].get("NextToken")
        if not token:
            return lists


def _net(lists: dict[str, list[dict[str, Any]]]) -> Decimal:
    """Sum every charge, promotion, fee and adjustment amount in the event lists."""
    total = Decimal("0")
    for event in lists["ShipmentEventList"] + lists["RefundEventList"]:
        for item in event.get("ShipmentItemList", []) + event.get("ShipmentItemAdjustmentList", []):
            for key, amount_key in (
                ("ItemChargeList", "ChargeAmount"),
                ("ItemChargeAdjustmentList", "ChargeAmount"),
                ("ItemFeeList", "FeeAmount"),
                ("ItemFeeAdjustmentList", "FeeAmount"),
                ("PromotionList", "PromotionAmount"),
            ):
                for component in item.get(key, []):
                    total += Decimal(str(component[amount_key]["CurrencyAmount"]))
    for event in lists["ServiceFeeEventList"]:
        total += sum(Decimal(str(f["FeeAmount"]["CurrencyAmount"])) for f in event["FeeList"])
    for event in lists["AdjustmentEventList"]:
        total += Decimal(str(event["AdjustmentAmount"]["CurrencyAmount"]))
    return total


def test_groups_page_and_match_the_truth(client: Client, world: World) -> None:
    groups = _groups(client)
    truth = seller_truth(world, client.seller)["settlement_periods"]
    assert [g["FinancialEventGroupId"] for g in groups] == [p["group_id"] for p in truth["periods"]]
    assert [g["ProcessingStatus"] for g in groups].count("Open") == truth["open"] == 1
    closed = [g for g in groups if g["ProcessingStatus"] == "Closed"]
    assert all(
        g["FundTransferStatus"] == "Succeeded" and "FinancialEventGroupEnd" in g for g in closed
    )


def test_events_by_group_reconcile_with_original_total(client: Client) -> None:
    for group in _groups(client):
        lists = _events(
            client,
            f"{GROUPS}/{group['FinancialEventGroupId']}/financialEvents",
            {"MaxResultsPerPage": 40},
        )
        assert _net(lists) == Decimal(str(group["OriginalTotal"]["CurrencyAmount"])), group


def test_events_by_group_are_every_settlement_line(client: Client, world: World) -> None:
    truth = seller_truth(world, client.seller)["settlements"]["lines_by_type"]
    counts = {"order": 0, "refund": 0, "service_fee": 0, "adjustment": 0}
    for group in _groups(client):
        lists = _events(client, f"{GROUPS}/{group['FinancialEventGroupId']}/financialEvents", {})
        counts["order"] += sum(len(e["ShipmentItemList"]) for e in lists["ShipmentEventList"])
        counts["refund"] += sum(
            len(e["ShipmentItemAdjustmentList"]) for e in lists["RefundEventList"]
        )
        counts["service_fee"] += len(lists["ServiceFeeEventList"])
        counts["adjustment"] += sum(
            len(e["AdjustmentItemList"]) for e in lists["AdjustmentEventList"]
        )
    assert counts == {k: v["count"] for k, v in truth.items()}


def test_events_by_posted_date(client: Client, world: World) -> None:
    after = world.now - timedelta(days=10)
    params = {"PostedAfter": after.strftime("%Y-%m-%dT%H:%M:%SZ"), "MaxResultsPerPage": 25}
    lists = _events(client, EVENTS, params)
    expected = [e for e in world.events(client.seller) if e.posted_at >= after]
    assert sum(len(v) for v in lists.values()) == len(expected) > 0


def test_posted_date_rules(client: Client, world: World) -> None:
    def fmt(days: int) -> str:
        return (world.now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    only_before = client.call("GET", EVENTS, {"PostedBefore": fmt(3)})
    too_recent = client.call("GET", EVENTS, {"PostedAfter": fmt(3), "PostedBefore": fmt(0)})
    assert only_before.status_code == too_recent.status_code == 400
    # a range longer than 180 days answers empty, as documented
    lists = _events(client, EVENTS, {"PostedAfter": fmt(200), "PostedBefore": fmt(1)})
    assert not any(lists.values())


def test_events_by_order_id(client: Client, world: World) -> None:
    order = next(
        o
        for o in world.orders(client.seller)
        if o.refunds and o.refunds[0].posted_at <= world.horizon
    )
    lists = _events(client, f"/finances/v0/orders/{order.order_id}/financialEvents", {})
    assert [e["AmazonOrderId"] for e in lists["ShipmentEventList"]] == [order.order_id]
    assert len(lists["RefundEventList"]) == sum(
        1 for r in order.refunds if r.posted_at <= world.horizon
    )


def test_unknown_group_is_404(client: Client) -> None:
    assert client.call("GET", f"{GROUPS}/nope/financialEvents").status_code == 404
