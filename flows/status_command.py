"""`clario status`: the latest sync per seller and data set, from the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.audit import AUDIT_DATASET

console = Console()

LATEST = f"""
select seller_id, data_set, status, rows_loaded, rows_rejected, window_end, finished_at, error
from (
    select
        *,
        row_number() over (partition by seller_id, data_set order by finished_at desc) as recency
    from {AUDIT_DATASET}.sync_runs
) as runs
where recency = 1
order by seller_id, data_set
"""


def latest_runs(destination: str, data_dir: Path, pg_dsn: str | None) -> list[tuple[Any, ...]]:
    """The newest `sync_runs` row of each seller and data set."""
    if destination == "duckdb":
        import duckdb

        database = data_dir / "clario.duckdb"
        if not database.exists():
            raise typer.BadParameter(f"no warehouse at {database}: run `clario run` first")
        connection = duckdb.connect(str(database), read_only=True)
        try:
            return connection.execute(LATEST).fetchall()
        except duckdb.CatalogException:
            return []
        finally:
            connection.close()
    import psycopg2

    if not pg_dsn:
        raise typer.BadParameter("--destination postgres needs --pg-dsn or CLARIO_PG_DSN")
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        try:
            cursor.execute(LATEST)
        except psycopg2.errors.UndefinedTable:
            return []
        return list(cursor.fetchall())


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
    table = Table(title="Latest syncs")
    for column in (
        "seller",
        "data set",
        "status",
        "rows",
        "rejected",
        "synced up to",
        "finished",
        "error",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)
