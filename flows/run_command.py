"""`clario run` (one full cycle now) and `clario serve` (the six-hourly schedule, locally)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from extract.layout import LayoutError, audit_dataset, raw_dataset
from extract.run import exit_code
from extract.spapi.config import ConfigError, load_sellers

console = Console()


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
    """Without a Prefect server configured, Prefect starts a temporary one for the run.

    Stopping it cancels its task-run recorder mid-flush, which logs a long traceback
    ("Error flushing 1 events") at the end of every successful run. That server and what it
    recorded go away with the run, so its own log is kept to CRITICAL; the flow's and
    tasks' logs are the client's and unchanged. A configured server is left alone.
    """
    from prefect.settings import get_current_settings

    if get_current_settings().api.url is None:
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")


def _check_config(sellers_file: Path | None, destination: str, pg_dsn: str | None) -> None:
    """Fail before any work, naming what to fix."""
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
    try:
        load_sellers(sellers_file)
        raw_dataset(), audit_dataset()  # the schema names from the environment
    except (ConfigError, LayoutError) as error:
        raise typer.BadParameter(str(error)) from None


def run(
    sellers_file: Annotated[
        Path | None, typer.Option(help="TOML file listing the sellers.")
    ] = None,
    destination: Annotated[
        str, typer.Option(help="duckdb (embedded file) or postgres.")
    ] = "duckdb",
    data_dir: Annotated[Path, typer.Option(help="Where DuckDB and dlt's state live.")] = Path(
        "data"
    ),
    pg_dsn: Annotated[
        str | None, typer.Option(envvar="CLARIO_PG_DSN", help="PostgreSQL DSN.")
    ] = None,
    since: Annotated[datetime | None, typer.Option(help="First sync starts here (UTC).")] = None,
    build: Annotated[bool, typer.Option(help="Run dbt build after extracting.")] = True,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a failed data set (exponential back-off).")
    ] = 2,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            envvar="CLARIO_SELLER_CONCURRENCY",
            help="Sellers synced at once (default 16): most of a sync waits on Amazon.",
        ),
    ] = None,
) -> None:
    """One full cycle now: extract every seller, then dbt build; a summary table at the end."""
    _check_config(sellers_file, destination, pg_dsn)
    quiet_temporary_server()
    from flows.sync_flow import SyncFailed, seller_concurrency, with_seller_concurrency

    if pg_dsn:  # the flow reads it from the environment: never a (recorded) parameter
        os.environ["CLARIO_PG_DSN"] = pg_dsn
    sync = with_seller_concurrency(concurrency or seller_concurrency())
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    try:
        summaries = sync(
            destination=destination,
            data_dir=data_dir,
            sellers_file=sellers_file,
            since=since,
            build=build,
            retries=retries,
        )
    except SyncFailed as failure:
        console.print(summary_table(failure.summaries))
        console.print(f"[red]{failure}[/red]")
        raise typer.Exit(code=1) from None
    console.print(summary_table(summaries))
    code = exit_code(summaries)
    if code:  # rows rejected: kept in rejected_rows, but not "ok"
        raise typer.Exit(code=code)


def serve() -> None:
    """Run the six-hourly sync locally; ENABLE_BACKGROUND_SYNC=false turns it off."""
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_UI_URL

    from flows.deployment import CRON, background_sync_enabled, sync_deployment

    if not background_sync_enabled():
        console.print(
            "Background sync is disabled (ENABLE_BACKGROUND_SYNC=false); nothing to serve."
        )
        raise typer.Exit(code=0)
    ui = (
        PREFECT_UI_URL.value()
        or os.environ.get("PREFECT_UI_URL")
        or "the Prefect UI (`prefect server start`)"
    )
    console.print(f"Serving `sync` on cron {CRON} UTC; watch runs in {ui}. Ctrl-C stops.")
    prefect_serve(sync_deployment())
