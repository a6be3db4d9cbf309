"""FastAPI routers serving the simulated world, one module per SP-API model."""

from fastapi import APIRouter


def data_routers() -> list[APIRouter]:
    """Every router that answers SP-API data operations from the world."""
    from simulator.routes import finances, inbound, inventory, orders, reports

    return [orders.router, reports.router, finances.router, inbound.router, inventory.router]
