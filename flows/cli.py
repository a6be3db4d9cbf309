"""The `clario` command line."""

from __future__ import annotations

import typer

from flows.claims_command import claims
from flows.demo import demo
from flows.run_command import run, serve
from flows.sellers_command import app as sellers_app
from flows.status_command import status
from flows.sync_command import sync
from simulator.cli import app as simulator_app

app = typer.Typer(
    help=(
        "Clario Sync: Amazon orders, shipments, returns, settlements, inventory and"
        " reimbursement claims into your warehouse."
    ),
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(simulator_app, name="simulator")
app.add_typer(sellers_app, name="sellers")
app.command()(demo)
app.command()(sync)
app.command()(run)
app.command()(serve)
app.command()(status)
app.command()(claims)


if __name__ == "__main__":
    app()
