"""`clario status`: the latest sync per seller and data set, from the `sync_status` mart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()

COLUMNS = {
    "seller_id": "seller",
    "data_set": "data set",
    "last_status": "status",
    "last_rows_loaded": "rows",
    "last_rows_rejected": "rejected",
    "synced_through": "synced up to",
    "hours_since_success": "hours since ok",
    "is_fresh": "fresh",
    "last_error": "error",
}


def latest_query(schema: str) -> str:
    """`sync_status` is a view: its freshness columns are computed as it is read."""
    return f"select {', '.join(COLUMNS)} from {schema}.sync_status order by seller_id, data_set"


def latest_runs(destination: str, data_dir: Path, pg_dsn: str | None) -> list[tuple[Any, ...]]:
    """`sync_status`'s rows; none before the first `clario run` has built it."""
    if destination == "duckdb":
        import duckdb

        database = data_dir / "clario.duckdb"
        if not database.exists():
            raise typer.BadParameter(f"no warehouse at {database}: run `clario run` first")
        # Not read_only: DuckDB refuses a second configuration for a file that this process
        # already has open (dbt's connection, after `clario demo` or `clario run`).
        connection = duckdb.connect(str(database))
        try:
            return connection.execute(latest_query("main")).fetchall()
        except duckdb.CatalogException:
            return []
        finally:
            connection.close()
    import psycopg2

    if not pg_dsn:
        raise typer.BadParameter("--destination postgres needs --pg-dsn or CLARIO_PG_DSN")
    # the dbt profile's schema for Postgres (profiles.example.yml)
    schema = os.environ.get("CLARIO_PG_SCHEMA", "clario")
    try:
        pg = psycopg2.connect(pg_dsn, connect_timeout=5)
    except psycopg2.OperationalError as error:
        raise typer.BadParameter(f"PostgreSQL is unreachable at the DSN given: {error}") from None
    try:
        with pg.cursor() as cursor:
            cursor.execute(latest_query(schema))
            return list(cursor.fetchall())
    except psycopg2.errors.UndefinedTable:
        return []
    finally:
        pg.close()


def status(
    destination: Annotated[
        str, typer.Option(help="duckdb (embedded file) or postgres.")
    ] = "duckdb",
    data_dir: Annotated[Path, typer.Option(help="Where DuckDB lives.")] = Path("data"),
    pg_dsn: Annotated[
        str | None, typer.Option(envvar="CLARIO_PG_DSN", help="PostgreSQL DSN.")
    ] = None,
) -> None:
    """Latest sync per seller and data set: status, rows, freshness, last error."""
    rows = latest_runs(destination, data_dir, pg_dsn)
    if not rows:
        console.print("No sync has run yet.")
        raise typer.Exit(code=0)
    console.print(status_table(rows))


def status_table(rows: list[tuple[Any, ...]]) -> Table:
    """`sync_status`'s rows as the table `clario status` prints."""
    table = Table(title="Latest syncs (sync_status)")
    for column in COLUMNS.values():
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    return table
