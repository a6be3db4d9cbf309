"""`clario run` (one full cycle now) and `clario serve` (the schedule, on a local server).

`clario run` and `clario sync` share their options (flows/options.py) and their path
through the `sync` flow (flows/flow_command.py, which lists the exit codes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows.flow_command import FlowRequest, run_sync_flow
from flows.options import (
    ConcurrencyOption,
    DataDirOption,
    DataSetOption,
    Destination,
    DestinationOption,
    JsonOption,
    LockWaitOption,
    PgDsnOption,
    RetriesOption,
    SellerOption,
    SellersOption,
    SinceOption,
    check_config,
)
from flows.output import make_console

console = make_console()
DEFAULT_CRON = "0 */6 * * *"
SERVE_DEPLOYMENT = "clario-serve"


def quiet_temporary_server() -> None:
    """The temporary server's own log is kept to CRITICAL (flows/prefect_server.py).

    Stopping it cancels its task-run recorder mid-flush, which logs a long traceback
    ("Error flushing 1 events") at the end of every successful run. That server and what it
    recorded go away with the run; the flow's and tasks' logs are the client's and
    unchanged. A configured server is left alone.
    """
    from prefect.settings import get_current_settings

    if get_current_settings().api.url is None:
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")


def run(
    sellers_file: SellersOption = None,
    destination: DestinationOption = Destination.duckdb,
    data_dir: DataDirOption = Path("data"),
    pg_dsn: PgDsnOption = None,
    seller: SellerOption = None,
    data_set: DataSetOption = None,
    since: SinceOption = None,
    build: Annotated[bool, typer.Option(help="Run dbt build after extracting.")] = True,
    retries: RetriesOption = 2,
    lock_wait: LockWaitOption = 0,
    concurrency: ConcurrencyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One full cycle now: extract every seller, then dbt build; a summary at the end.

    Exit codes: 0 ok; 1 a data set or the build failed; 2 bad configuration; 3 nothing
    failed, but rows were rejected (kept in rejected_rows); 4 another run holds the
    warehouse.
    """
    run_sync_flow(
        FlowRequest(
            command="run",
            sellers_file=sellers_file,
            destination=destination.value,
            data_dir=data_dir,
            pg_dsn=pg_dsn,
            since=since,
            sellers=seller,
            data_sets=[d.value for d in data_set] if data_set else None,
            build=build,
            retries=retries,
            lock_wait=lock_wait,
            concurrency=concurrency,
            as_json=as_json,
        )
    )


def serve(
    sellers_file: SellersOption = None,
    destination: DestinationOption = Destination.duckdb,
    data_dir: DataDirOption = Path("data"),
    pg_dsn: PgDsnOption = None,
    cron: Annotated[
        str, typer.Option(help="When to sync: a cron expression, in UTC.")
    ] = DEFAULT_CRON,
) -> None:
    """Run the sync on a schedule (every six hours, UTC) until stopped.

    Starts a local Prefect server (scheduler and UI, its database under DATA_DIR/prefect)
    unless PREFECT_API_URL names one. ENABLE_BACKGROUND_SYNC=false turns it off.
    """
    from flows.deployment import background_sync_enabled

    if not background_sync_enabled():
        console.print(
            "Background sync is disabled (ENABLE_BACKGROUND_SYNC=false); nothing to serve."
        )
        raise typer.Exit(code=0)
    from prefect.schedules import Cron

    try:
        Cron(cron, timezone="UTC")
    except ValueError as error:
        raise typer.BadParameter(f"--cron {cron!r}: {error}") from None
    check_config(sellers_file, destination.value, pg_dsn)
    from flows.serving import serve_schedule

    serve_schedule(
        cron=cron,
        parameters={
            "destination": destination.value,
            "data_dir": str(data_dir.resolve()),
            "sellers_file": str(sellers_file.resolve()) if sellers_file else None,
        },
        prefect_home=data_dir / "prefect",
        print_line=console.print,
    )
