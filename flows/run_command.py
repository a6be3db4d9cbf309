"""`clario run` (one full cycle now) and `clario serve` (the schedule, on a local server).

Exit codes of `clario run`: 0 everything synced and built; 1 a data set or the build
failed (the table and a one-line reason say which); 2 a bad option or configuration,
named before any work; 4 another run holds the warehouse (its pid, host and start time
are named).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.output import make_console

console = make_console()
EXIT_FAILED, EXIT_CONFIG, EXIT_BUSY = 1, 2, 4  # 3: rows rejected (extract.run.exit_code)
DEFAULT_CRON = "0 */6 * * *"
SERVE_DEPLOYMENT = "clario-serve"


class Destination(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"


DestinationOption = Annotated[
    Destination, typer.Option(help="duckdb (the embedded file) or postgres.")
]
DataDirOption = Annotated[
    Path, typer.Option(help="Where DuckDB, dlt's state and dbt's artifacts live.")
]
PgDsnOption = Annotated[
    str | None,
    typer.Option(
        envvar="CLARIO_PG_DSN",
        show_envvar=True,
        help="PostgreSQL DSN. Prefer the variable: a command line shows in `ps`.",
    ),
]
SellersOption = Annotated[
    Path | None, typer.Option(envvar="CLARIO_SELLERS_FILE", help="TOML file listing the sellers.")
]


def summary_table(summaries: list[dict[str, Any]]) -> Table:
    table = Table(title="Sync summary")
    for column in ("seller", "data set", "status", "rows", "rejected", "seconds", "error"):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s["seller_id"],
            s["data_set"],
            s["status"],
            str(s["rows_loaded"]),
            str(s["rows_rejected"]),
            f"{s['duration_seconds']:.1f}",
            s["error"] or "",
        )
    return table


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


def check_config(sellers_file: Path | None, destination: str, pg_dsn: str | None) -> None:
    """Fail before any work, naming what to fix. The DSN is handed on in CLARIO_PG_DSN only:
    the flow and dbt read it from the environment, so it is never a flow parameter
    (Prefect stores those) nor on dbt's command line (dbt records that)."""
    from extract.layout import LayoutError, audit_dataset, raw_dataset
    from extract.spapi.config import ConfigError, load_sellers

    if destination not in ("duckdb", "postgres"):
        raise typer.BadParameter(
            f"unknown destination '{destination}' (expected duckdb or postgres)"
        )
    if destination == "postgres":
        if not pg_dsn:
            raise typer.BadParameter("--destination postgres needs --pg-dsn or CLARIO_PG_DSN")
        import psycopg2

        try:
            psycopg2.connect(pg_dsn, connect_timeout=5).close()
        except psycopg2.OperationalError as error:
            raise typer.BadParameter(
                f"PostgreSQL is unreachable at the DSN given: {error}"
            ) from None
        os.environ["CLARIO_PG_DSN"] = pg_dsn
    try:
        load_sellers(sellers_file)
        raw_dataset(), audit_dataset()  # the schema names from the environment
    except (ConfigError, LayoutError) as error:
        raise typer.BadParameter(str(error)) from None


def run(
    sellers_file: SellersOption = None,
    destination: DestinationOption = Destination.duckdb,
    data_dir: DataDirOption = Path("data"),
    pg_dsn: PgDsnOption = None,
    since: Annotated[datetime | None, typer.Option(help="First sync starts here (UTC).")] = None,
    build: Annotated[bool, typer.Option(help="Run dbt build after extracting.")] = True,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a failed data set (exponential back-off).")
    ] = 2,
    lock_wait: Annotated[
        float,
        typer.Option(
            min=0,
            envvar="CLARIO_LOCK_WAIT_SECONDS",
            help="Seconds to wait for another run on the same warehouse (0: refuse at once).",
        ),
    ] = 0,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            envvar="CLARIO_SELLER_CONCURRENCY",
            help="Sellers synced at once (default 16): most of a sync waits on Amazon.",
        ),
    ] = None,
) -> None:
    """One full cycle now: extract every seller, then dbt build; a summary table at the end.

    Exit codes: 0 ok; 1 a data set or the build failed; 2 bad configuration; 3 nothing
    failed, but rows were rejected (kept in rejected_rows); 4 another run holds the
    warehouse.
    """
    check_config(sellers_file, destination.value, pg_dsn)
    os.environ["CLARIO_LOCK_WAIT_SECONDS"] = str(lock_wait)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    from flows.prefect_server import temporary_api
    from flows.sync_flow import (
        SELLER_CONCURRENCY_ENV,
        SyncFailed,
        seller_concurrency,
        with_seller_concurrency,
    )
    from flows.warehouse_lock import DuckDbFileHeld, WarehouseBusy, hold_warehouse

    try:
        if not lock_wait:
            # refuse before starting anything (a Prefect server takes a while); the flow
            # takes the lock itself for the whole run
            with hold_warehouse(destination.value, data_dir, 0):
                pass
        sellers_at_once = concurrency or seller_concurrency()
        # the flow staggers its first wave of sellers by it, reading it as deployments do
        os.environ[SELLER_CONCURRENCY_ENV] = str(sellers_at_once)
        sync = with_seller_concurrency(sellers_at_once)
        with temporary_api():
            summaries = sync(
                destination=destination.value,
                data_dir=data_dir,
                sellers_file=sellers_file,
                since=since,
                build=build,
                retries=retries,
            )
    except SyncFailed as failure:
        console.print(summary_table(failure.summaries))
        console.print(f"[red]{failure}[/red]")
        raise typer.Exit(code=EXIT_FAILED) from None
    except WarehouseBusy as busy:
        console.print(f"[red]Not started: {busy}[/red]")
        raise typer.Exit(code=EXIT_BUSY) from None
    except DuckDbFileHeld as held:
        console.print(f"[red]Stopped: {held}[/red]")
        raise typer.Exit(code=EXIT_FAILED) from None
    console.print(summary_table(summaries))
    from extract.run import exit_code

    code = exit_code(summaries)
    if code:  # rows rejected: kept in rejected_rows, but not "ok"
        raise typer.Exit(code=code)


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
