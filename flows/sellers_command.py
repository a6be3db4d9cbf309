"""`clario sellers`: the sellers a warehouse holds, and removing one of them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows.options import DataDirOption, Destination, DestinationOption, PgDsnOption

app = typer.Typer(help="The sellers a warehouse holds.", no_args_is_help=True)


@app.command()
def remove(
    seller_id: Annotated[str, typer.Argument(help="The seller's merchant token.")],
    destination: DestinationOption = Destination.duckdb,
    data_dir: DataDirOption = Path("data"),
    pg_dsn: PgDsnOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete one seller's raw data, dlt state and mart rows; recorded in the audit trail.

    Its sync history (`sync_runs`) stays. Remove it from the sellers file too, or the next
    sync reads its history again.
    """
    from extract.layout import SELLER_ID
    from flows.seller_removal import registered_user, remove_seller

    if destination == "postgres" and not pg_dsn:
        raise typer.BadParameter("--destination postgres needs --pg-dsn or CLARIO_PG_DSN")
    if not SELLER_ID.match(seller_id):
        raise typer.BadParameter(
            f"{seller_id!r} is not a seller id (an Amazon merchant token: upper-case letters"
            " and digits)"
        )
    try:
        user = registered_user(destination.value, data_dir, pg_dsn, seller_id)
    except FileNotFoundError as error:
        raise typer.BadParameter(f"{error}: give the --data-dir of the warehouse") from None
    if user is None:
        typer.echo(f"Seller {seller_id} is not in this warehouse; deleting any rows left of it.")
    prompt = (
        f"Delete every row of seller {seller_id}"
        + (f" (user {user})" if user else "")
        + " from the raw data, the marts and dlt's state?"
    )
    if not yes and not typer.confirm(prompt, default=False):
        raise typer.Exit(code=1)
    removal = remove_seller(destination.value, data_dir, pg_dsn, seller_id, dict(os.environ))
    for schema, count in sorted(removal.by_schema().items()):
        typer.echo(f"  {schema}: {count} row(s) deleted")
    typer.echo(
        f"Removed seller {seller_id}: {removal.total_rows} row(s)"
        + (", and its local dlt state" if removal.local_state_removed else "")
        + "; recorded in seller_removals."
    )
