"""The seeded world: deterministic, lazy, internally consistent, and moving with the clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import requests

from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.truth import world_truth
from simulator.world import World, event_lines
from tests.simulator.conftest import NOW, SMALL_WORLD
from tests.simulator.spapi import Client


def test_same_seed_same_world_other_seed_other_world() -> None:
    first = world_truth(World(SMALL_WORLD))
    again = world_truth(World(SMALL_WORLD))
    other = world_truth(World(SMALL_WORLD.model_copy(update={"seed": 8})))
    assert first == again
    assert first["sellers"] != other["sellers"]
    assert [s["seller_id"] for s in first["sellers"]] != [s["seller_id"] for s in other["sellers"]]


def test_extending_history_keeps_the_past() -> None:
    """A longer clock only adds to the world: what an earlier sync saw stays what it was."""
    short = World(SMALL_WORLD)
    seller = short.sellers[0]
    longer = World(SMALL_WORLD)
    longer.set_now(NOW + timedelta(days=5))
    day = short.first_day + timedelta(days=3)
    assert short._orders_on(seller.index, day) == longer._orders_on(seller.index, day)


def test_settlement_periods_reconcile_with_their_lines() -> None:
    world = World(SMALL_WORLD)
    for seller in world.sellers:
        for group in world.settlement_groups(seller):
            lines = [line for e in world.group_events(seller, group) for line in event_lines(e)]
            assert sum((line.net_amount for line in lines), Decimal(0)) == group.original_total
        groups = world.settlement_groups(seller)
        assert [g.closed for g in groups].count(False) == 1
        assert not groups[-1].closed


def test_one_group_and_the_periods_agree_with_the_whole_scan() -> None:
    """`settlement_group` sums one group's events, `settlement_periods` sums none: a cold
    server answers a settlement report or a group's events without the whole world's scan."""
    for seller in World(SMALL_WORLD).sellers:
        cold = World(SMALL_WORLD)  # nothing generated, no totals cached yet
        groups = World(SMALL_WORLD).settlement_groups(seller)
        assert [cold.settlement_group(seller, g.group_id) for g in groups] == groups
        assert cold._totals == {}, "one group's total took the whole world's scan"
        periods = cold.settlement_periods(seller)
        assert [(p.group_id, p.marketplace_id, p.start, p.end, p.closed) for p in periods] == [
            (g.group_id, g.marketplace_id, g.start, g.end, g.closed) for g in groups
        ]
        assert cold.settlement_group(seller, "no-such-group") is None


def test_truth_is_internally_consistent() -> None:
    for seller in world_truth(World(SMALL_WORLD))["sellers"]:
        orders, shipments, returns, refunds = (
            seller[k] for k in ("orders", "shipments", "returns", "refunds")
        )
        assert orders["count"] == sum(orders["by_status"].values())
        assert set(orders["by_status"]) <= {"PENDING", "UNSHIPPED", "SHIPPED", "CANCELLED"}
        assert (
            shipments["missing_units"]
            == shipments["inbound_expected_units"] - shipments["inbound_received_units"]
        )
        assert 0 < returns["partial"] < returns["count"] <= returns["report_rows"]
        assert refunds["without_return"] > 0
        lines = seller["settlements"]["lines_by_type"]
        assert set(lines) == {"order", "refund", "service_fee", "adjustment"}
        for line in lines.values():
            assert Decimal(line["amount"]) + Decimal(line["fees"]) == Decimal(line["net_amount"])
        fee_total = sum(
            Decimal(f["amount"]) for f in seller["settlements"]["fees_by_type"].values()
        )
        assert fee_total == sum(Decimal(v["fees"]) for v in lines.values())
        period_total = sum(
            Decimal(p["original_total"]) for p in seller["settlement_periods"]["periods"]
        )
        assert period_total == sum(Decimal(v["net_amount"]) for v in lines.values())
        assert Decimal(seller["reimbursements"]["amount_total"]) == Decimal(
            lines["adjustment"]["amount"]
        )
        assert {"lost", "received"} <= set(shipments["inbound"])


def test_days_are_generated_lazily_and_cached_within_bounds() -> None:
    config = WorldConfig(seed=3, sellers=1, history_days=400, orders_per_day=5, now=NOW)
    world = World(config, cache_records=300)
    orders = list(world.orders(world.sellers[0]))
    assert len(orders) > 1500
    assert 0 < world._orders_on.records <= 300
    assert len(world._orders_on) < 400
    # Evicted days come back the same.
    assert list(World(config).orders(world.sellers[0])) == orders


def test_the_clock_reveals_late_changes_and_late_events() -> None:
    """Advancing the clock changes order statuses and posts events into the open period."""
    world = World(SMALL_WORLD)
    seller = world.sellers[0]
    with RunningSimulator(world, SimulatorSettings(rate_scale=1000)) as simulator:
        client = Client(simulator.base_url, seller)
        before = {o.order_id: o.status_at(world.horizon) for o in world.orders(seller)}
        events_before = sum(1 for _ in world.events(seller))
        later = NOW + timedelta(days=2)
        answer = requests.post(
            simulator.base_url + "/_simulator/clock", json={"now": later.isoformat()}, timeout=5
        )
        assert answer.status_code == 200
        assert world.now == later
        changed = [
            o
            for o in world.orders(seller)
            if o.order_id in before and o.status_at(world.horizon) != before[o.order_id]
        ]
        assert changed, "some orders placed before the first horizon change status after it"
        body = client.get(
            "/orders/2026-01-01/orders",
            {"lastUpdatedAfter": (NOW - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        updated = {o["orderId"] for o in body["orders"]}
        assert {o.order_id for o in changed} <= updated
        assert sum(1 for _ in world.events(seller)) > events_before


def test_default_world_has_every_case_the_marts_must_handle() -> None:
    """Seed 7 with default options: multi-row returns, late events, lost inbound units."""
    world = World(WorldConfig(seed=7, now=NOW))
    for seller in world_truth(world)["sellers"]:
        assert seller["returns"]["report_rows"] > seller["returns"]["count"]
        assert seller["shipments"]["lost_units"] > 0
        assert seller["reimbursements"]["by_reason"].keys() == {
            "Lost_Inbound",
            "Damaged_Warehouse",
            "Lost_Warehouse",
            "CustomerReturn",
        }
        claims = seller["claims"]["by_type"]
        assert all(c["count"] and c["units_owed"] for c in claims.values()), claims
    seller = world.sellers[0]
    late = [
        o
        for o in world.orders(seller)
        if o.shipment_posted_at
        and o.shipped_at
        and o.shipment_posted_at - o.shipped_at > timedelta(days=2)
    ]
    assert late, "some shipment events post days late"


def test_order_statuses_settle_within_the_lag_searches_rely_on() -> None:
    """Last-update searches scan only STATUS_LAG before their window: no order changes later."""
    from simulator.generate import STATUS_LAG

    world = World(WorldConfig(seed=3, sellers=2, history_days=120, orders_per_day=20, now=NOW))
    worst = max(o.settles_at - o.purchased_at for s in world.sellers for o in world.orders(s))
    assert worst < STATUS_LAG
