"""The `clario` command line.

Each command imports what it needs when it runs (dlt, dbt, Prefect, DuckDB take seconds
to import), so `clario --help` and `clario status` answer quickly.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from flows.claims_command import claims
from flows.demo import demo
from flows.output import set_verbose
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


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as package_version

        try:
            typer.echo(f"clario {package_version('clario-sync')}")
        except PackageNotFoundError:  # a checkout that was never installed
            typer.echo("clario (not installed)")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show Prefect's log of every task and node, and tracebacks."
        ),
    ] = False,
) -> None:
    """Clario Sync: Amazon orders, shipments, returns and settlements into your warehouse."""
    set_verbose(verbose)
    if not verbose:
        # Prefect's console log (a line per task and dbt node, a failed flow's traceback)
        # only on request: the summary table and its one-line reason say what matters, and
        # the full log still goes to Prefect's API (the UI) and dbt's to <data dir>/dbt_logs.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        # dlt's own warnings (a nested table without rows to infer its types from, say)
        # likewise: nothing an operator acts on; a failure still ends its data set's line
        os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")


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
