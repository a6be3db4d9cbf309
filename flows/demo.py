"""`clario demo`: the main job a new user runs first.

For now (the extractor and the dbt project land in later issues) it starts the local
simulator with a demo seller, signs in through LWA as any SP-API client would, fetches
one page of orders updated in the last week and prints them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import requests
import typer

from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World


def fetch_order_page(
    base_url: str, seller: dict[str, Any], updated_after: str, limit: int
) -> list[dict[str, Any]]:
    """One page of searchOrders, after exchanging the seller's refresh token for an access token."""
    token = requests.post(
        base_url + "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": seller["refresh_token"],
            "client_id": seller["client_id"],
            "client_secret": seller["client_secret"],
        },
        timeout=30,
    )
    token.raise_for_status()
    params: dict[str, str | int] = {
        "lastUpdatedAfter": updated_after,
        "marketplaceIds": ",".join(seller["marketplace_ids"]),
        "maxResultsPerPage": limit,
        "includedData": "PROCEEDS",
    }
    response = requests.get(
        base_url + "/orders/2026-01-01/orders",
        params=params,
        headers={"x-amz-access-token": token.json()["access_token"]},
        timeout=30,
    )
    response.raise_for_status()
    orders: list[dict[str, Any]] = response.json()["orders"]
    return orders


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 7,
    limit: Annotated[int, typer.Option(help="Orders to fetch (1-100).", min=1, max=100)] = 20,
) -> None:
    """Start the simulator with a demo seller, fetch one page of orders and print it."""
    world = World(WorldConfig(seed=seed, sellers=1, history_days=30))
    seller = world.sellers[0].as_dict()
    with RunningSimulator(world, SimulatorSettings()) as simulator:
        typer.echo(f"Simulator running at {simulator.base_url} (seller {seller['seller_id']})")
        since = (world.now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        orders = fetch_order_page(simulator.base_url, seller, since, limit)
    typer.echo(f"{'order_id':<21} {'created':<21} {'status':<10} {'items':>5} {'total':>10}")
    for order in orders:
        total = order.get("proceeds", {}).get("grandTotal", {})
        amount = f"{total['amount']} {total['currencyCode']}" if total else "-"
        typer.echo(
            f"{order['orderId']:<21} {order['createdTime']:<21} "
            f"{order['fulfillment']['fulfillmentStatus']:<10} "
            f"{len(order['orderItems']):>5} {amount:>14}"
        )
    typer.echo(f"{len(orders)} orders updated since {since}.")
