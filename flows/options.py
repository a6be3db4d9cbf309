"""The options `clario` commands share, defined once, and the checks run before any work.

Kept light (typer and the standard library): `clario --help` imports it.
"""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from extract.run import DATA_SETS

if TYPE_CHECKING:
    from extract.spapi.config import SellerConfig


class Destination(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"


class DataSet(StrEnum):
    """The data sets a user can pick: extract.run.DATA_SETS's names (checked just below),
    as an enum so typer lists them in --help and refuses any other."""

    orders = "orders"
    fba_shipments = "fba_shipments"
    customer_returns = "customer_returns"
    reimbursements = "reimbursements"
    inbound = "inbound"
    finances = "finances"
    inventory = "inventory"
    inventory_ledger = "inventory_ledger"
    inventory_ledger_summary = "inventory_ledger_summary"


if [d.value for d in DataSet] != list(DATA_SETS):
    raise RuntimeError("flows.options.DataSet must list extract.run.DATA_SETS, in order")

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
SinceOption = Annotated[
    datetime | None,
    typer.Option(help="A first sync starts here (UTC). Default: 90 days back."),
]
SellerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--seller",
        metavar="SELLER_ID",
        help="Only this seller of the sellers file (repeatable). Default: every seller.",
    ),
]
DataSetOption = Annotated[
    list[DataSet] | None,
    typer.Option(
        "--data-set",
        metavar="DATA_SET",
        help=f"Only this data set (repeatable): {', '.join(DATA_SETS)}. Default: all.",
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print the summary as JSON on stdout (and nothing else there)."),
]
LockWaitOption = Annotated[
    float,
    typer.Option(
        min=0,
        envvar="CLARIO_LOCK_WAIT_SECONDS",
        help="Seconds to wait for another run on the same warehouse (0: refuse at once).",
    ),
]
RetriesOption = Annotated[
    int, typer.Option(min=0, help="Retries of a failed data set (exponential back-off).")
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        envvar="CLARIO_SELLER_CONCURRENCY",
        help="Sellers synced at once (default 16): most of a sync waits on Amazon.",
    ),
]


def check_config(
    sellers_file: Path | None, destination: str, pg_dsn: str | None
) -> list[SellerConfig]:
    """Fail before any work, naming what to fix; the configured sellers.

    The DSN is handed on in CLARIO_PG_DSN only: the flow and dbt read it from the
    environment, so it is never a flow parameter (Prefect stores those) nor on dbt's
    command line (dbt records that)."""
    from extract.destinations import DestinationSettingError, load_memory_limit
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
        sellers = load_sellers(sellers_file)
        raw_dataset(), audit_dataset()  # the schema names from the environment
        if destination == "duckdb":
            load_memory_limit()
    except (ConfigError, LayoutError, DestinationSettingError) as error:
        raise typer.BadParameter(str(error)) from None
    return sellers


def selected_sellers(configured: list[str], wanted: list[str] | None) -> list[str]:
    """The seller ids `--seller` picked, in the sellers file's order; unknown ones refused."""
    if not wanted:
        return configured
    unknown = [seller for seller in dict.fromkeys(wanted) if seller not in configured]
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(unknown)} is not in the sellers file"
            f" (it lists {', '.join(configured) or 'no seller'})",
            param_hint="--seller",
        )
    return [seller for seller in configured if seller in wanted]
