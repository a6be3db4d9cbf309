"""`clario sync`: extract and load every configured seller now, with progress and a summary."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from extract.layout import LayoutError, audit_dataset, raw_dataset
from extract.pipeline import sync_sellers
from extract.run import DATA_SETS, DataSetRun, exit_code
from extract.spapi.config import ConfigError, load_sellers

console = Console(stderr=True)


def _progress(run: DataSetRun) -> None:
    reports = ", ".join(f"{r['report_type']} {r['status']}" for r in run.reports[-2:])
    console.print(
        f"[bold]{run.seller_id}[/bold] {run.data_set}: {run.status}, {run.rows_loaded} rows"
        + (f", {run.rejected} rejected" if run.rejected else "")
        + (f" ({reports})" if reports else "")
        + (f" — {'; '.join(run.errors)}" if run.errors else "")
    )


def summary_table(runs: list[DataSetRun]) -> Table:
    table = Table(title="Sync summary")
    for column in (
        "seller",
        "data set",
        "status",
        "rows",
        "rejected",
        "window",
        "seconds",
        "error",
    ):
        table.add_column(column)
    for run in runs:
        window = (
            f"{run.window_start:%Y-%m-%d %H:%M} → {run.window_end:%Y-%m-%d %H:%M}"
            if run.window_start and run.window_end
            else ""
        )
        table.add_row(
            run.seller_id,
            run.data_set,
            run.status,
            str(run.rows_loaded),
            str(run.rejected),
            window,
            f"{run.duration_seconds:.1f}",
            "; ".join(run.errors),
        )
    return table


def sync(
    seller: Annotated[
        list[str] | None, typer.Option(help="Only these seller ids (repeatable).")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(help="First sync starts here (UTC). Default: 90 days back.")
    ] = None,
    destination: Annotated[
        str, typer.Option(help="duckdb (embedded file) or postgres.")
    ] = "duckdb",
    data_set: Annotated[
        list[str] | None, typer.Option(help=f"Only these data sets: {', '.join(DATA_SETS)}.")
    ] = None,
    sellers_file: Annotated[
        Path | None, typer.Option(help="TOML file listing the sellers.")
    ] = None,
    data_dir: Annotated[
        Path, typer.Option(help="Where DuckDB and dlt's pipeline state live.")
    ] = Path("data"),
    pg_dsn: Annotated[
        str | None,
        typer.Option(envvar="CLARIO_PG_DSN", help="PostgreSQL DSN for --destination postgres."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Extract every configured seller's SP-API data and load it into raw tables."""
    logging.basicConfig(level=os.environ.get("CLARIO_LOG_LEVEL", "WARNING"))
    if destination not in ("duckdb", "postgres"):
        raise typer.BadParameter(
            f"unknown destination '{destination}' (expected duckdb or postgres)"
        )
    try:
        sellers = load_sellers(sellers_file)
        raw_dataset(), audit_dataset()  # the schema names from the environment
    except (ConfigError, LayoutError) as error:
        raise typer.BadParameter(str(error)) from None
    if seller:
        unknown = sorted(set(seller) - {s.seller_id for s in sellers})
        if unknown:
            raise typer.BadParameter(f"--seller {', '.join(unknown)} is not configured")
        sellers = [s for s in sellers if s.seller_id in seller]
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    runs = sync_sellers(
        sellers,
        destination,  # type: ignore[arg-type]
        data_dir,
        postgres_dsn=pg_dsn,
        since=since,
        data_sets=data_set,
        on_progress=_progress,
    )
    if as_json:
        typer.echo(json.dumps([r.summary() for r in runs], indent=2))
    else:
        Console().print(summary_table(runs))
    code = exit_code([r.summary() for r in runs])
    if code:
        raise typer.Exit(code=code)
