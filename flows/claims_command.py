"""`clario claims`: the reimbursement claims still open, by deadline, from the `claims` mart."""

from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from extract.layout import LayoutError
from flows.seller_removal import marts_schema

console = Console()

# What a claim needs to be filed (Seller Central asks for the SKU or FNSKU, the shipment
# or order id, the units and the dates), and what it is worth.
COLUMNS = (
    "window_closes_date",
    "status",
    "claim_type",
    "user_id",
    "seller_id",
    "marketplace_id",
    "sku",
    "fnsku",
    "asin",
    "reference",
    "event_date",
    "window_opens_date",
    "units_affected",
    "units_reimbursed",
    "units_owed",
    "unit_value",
    "estimated_value_owed",
    "currency",
    "value_basis",
    "evidence",
)
SHOWN = {
    "window_closes_date": "file by",
    "status": "status",
    "claim_type": "claim",
    "seller_id": "seller",
    "sku": "sku",
    "reference": "reference",
    "units_owed": "units",
    "estimated_value_owed": "value owed",
}
RIGHT = ("units_owed", "estimated_value_owed")


def open_claims_query(schema: str, placeholder: str, seller: str | None) -> str:
    """Claims that can be filed today (`is_claimable`), the soonest deadline first."""
    where = "is_claimable" + (f" and seller_id = {placeholder}" if seller else "")
    return (
        f"select {', '.join(COLUMNS)} from {schema}.claims where {where}"
        " order by window_closes_date, estimated_value_owed desc, seller_id, claim_id"
    )


def open_claims(
    destination: str, data_dir: Path, pg_dsn: str | None, seller: str | None
) -> list[tuple[Any, ...]]:
    """The open claims; none before a build has made the `claims` mart."""
    params = [seller] if seller else []
    if destination == "duckdb":
        import duckdb

        database = data_dir / "clario.duckdb"
        if not database.exists():
            raise typer.BadParameter(f"no warehouse at {database}: run `clario run` first")
        connection = duckdb.connect(str(database))  # not read_only: see status_command
        try:
            return connection.execute(open_claims_query("main", "?", seller), params).fetchall()
        except duckdb.CatalogException:
            return []
        finally:
            connection.close()
    import psycopg2

    if not pg_dsn:
        raise typer.BadParameter("--destination postgres needs --pg-dsn or CLARIO_PG_DSN")
    try:
        # the dbt profile's schema; it is written into the query, so it is checked first
        schema = marts_schema("postgres", dict(os.environ))
    except LayoutError as error:
        raise typer.BadParameter(str(error)) from None
    try:
        pg = psycopg2.connect(pg_dsn, connect_timeout=5)
    except psycopg2.OperationalError as error:
        raise typer.BadParameter(f"PostgreSQL is unreachable at the DSN given: {error}") from None
    try:
        with pg.cursor() as cursor:
            cursor.execute(open_claims_query(schema, "%s", seller), params)
            return list(cursor.fetchall())
    except psycopg2.errors.UndefinedTable:
        return []
    finally:
        pg.close()


def write_csv(path: Path, rows: list[tuple[Any, ...]]) -> None:
    """Every column of the open claims, one claim per line, for filing."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow("" if value is None else str(value) for value in row)


def claims_table(rows: list[tuple[Any, ...]]) -> Table:
    """The open claims as `clario claims` prints them, with the total owed per currency."""
    table = Table(title="Open reimbursement claims (claims), soonest deadline first")
    for column, title in SHOWN.items():
        table.add_column(title, justify="right" if column in RIGHT else "left")
    value, currency = COLUMNS.index("estimated_value_owed"), COLUMNS.index("currency")
    for row in rows:
        cells = {column: row[COLUMNS.index(column)] for column in SHOWN}
        cells["estimated_value_owed"] = f"{row[value]} {row[currency] or ''}".strip()
        table.add_row(*("" if v is None else str(v) for v in cells.values()))
    totals: dict[str, Decimal] = {}
    for row in rows:
        key = row[currency] or ""
        totals[key] = totals.get(key, Decimal(0)) + Decimal(str(row[value] or 0))
    table.caption = "Total owed: " + ", ".join(
        f"{amount:.2f} {code}".strip() for code, amount in sorted(totals.items())
    )
    return table


def claims(
    destination: Annotated[
        str, typer.Option(help="duckdb (embedded file) or postgres.")
    ] = "duckdb",
    data_dir: Annotated[Path, typer.Option(help="Where DuckDB lives.")] = Path("data"),
    pg_dsn: Annotated[
        str | None, typer.Option(envvar="CLARIO_PG_DSN", help="PostgreSQL DSN.")
    ] = None,
    seller: Annotated[str | None, typer.Option(help="Only this seller id.")] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the open claims, every column, to this CSV file."),
    ] = None,
) -> None:
    """Reimbursement claims you can file now, by deadline, with what each is worth."""
    rows = open_claims(destination, data_dir, pg_dsn, seller)
    if csv_file is not None:
        write_csv(csv_file, rows)
        console.print(f"Wrote {len(rows)} open claim(s) to {csv_file}")
    if not rows:
        console.print("No open claim.")
        raise typer.Exit(code=0)
    console.print(claims_table(rows))
