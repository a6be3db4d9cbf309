"""`clario demo`: the main job a new user runs first (`make run`).

Starts the simulator in the background with a demo seller, runs one full cycle (the
`sync` flow: extract into the embedded DuckDB, then `dbt build`) against it, prints the
run summary, a few rows of each mart and the reimbursement claims open today (as
`clario claims` lists them), and stops the simulator.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from flows.claims_command import claims_table, open_claims
from flows.output import make_console, summary_table
from flows.run_command import quiet_temporary_server
from flows.status_command import latest_runs, status_table

if TYPE_CHECKING:
    from simulator.config import SellerAccount

MARTS = (
    "orders",
    "order_items",
    "shipments",
    "returns",
    "settlements",
    "settlement_fees",
    "settlement_periods",
    "inventory",
    "inventory_ledger",
    "reimbursements",
    "claims",
)
console = make_console()
MARKER = ".clario-demo"


def write_sellers_file(path: Path, accounts: list[SellerAccount], base_url: str) -> Path:
    """A sellers file for the simulator's sellers (their credentials are the simulator's own)."""
    lines = []
    for account in accounts:
        marketplaces = ", ".join(f'"{m}"' for m in account.marketplace_ids)
        lines += [
            "[[sellers]]",
            f'seller_id = "{account.seller_id}"',
            'user_id = "demo-user"',
            'region = "NA"',
            f"marketplace_ids = [{marketplaces}]",
            f'endpoint = "{base_url}"',
            f'token_url = "{base_url}/auth/o2/token"',
            "[sellers.credentials]",
            f'client_id = "{account.client_id}"',
            f'client_secret = "{account.client_secret}"',
            f'refresh_token = "{account.refresh_token}"',
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def print_marts(database: Path, rows: int) -> None:
    import duckdb

    # The same configuration as dbt's connection, still open in this process.
    connection = duckdb.connect(str(database))
    try:
        for mart in MARTS:
            found = connection.execute(
                "select table_schema from information_schema.tables where table_name = ? "
                "and table_schema not like 'raw_%'",
                [mart],
            ).fetchall()
            if not found:
                console.print(f"[yellow]{mart}: not built[/yellow]")
                continue
            relation = f'"{found[0][0]}"."{mart}"'
            count = connection.execute(f"select count(*) from {relation}").fetchone()
            cursor = connection.execute(f"select * from {relation} limit {rows}")
            columns = [d[0] for d in cursor.description][:8]
            table = Table(
                title=f"{mart} ({count[0] if count else 0} rows; first {len(columns)} columns)"
            )
            for column in columns:
                table.add_column(column)
            for row in cursor.fetchall():
                table.add_row(*(str(v) for v in row[: len(columns)]))
            console.print(table)
    finally:
        connection.close()


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 7,
    data_dir: Annotated[Path, typer.Option(help="Where the demo's DuckDB and state go.")] = Path(
        "data/demo"
    ),
    rows: Annotated[int, typer.Option(help="Rows of each mart to print.")] = 3,
) -> None:
    """Sync the simulator's demo seller into DuckDB, build the marts, print a summary."""
    from flows.prefect_server import temporary_api
    from flows.sync_flow import SyncFailed, sync
    from simulator.config import SimulatorSettings, WorldConfig
    from simulator.server import RunningSimulator
    from simulator.world import World

    quiet_temporary_server()

    # Each demo starts clean (the simulated world moves with the date), but it deletes only
    # a directory an earlier demo made.
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        raise typer.BadParameter(
            f"{data_dir} exists and was not made by `clario demo`, which would delete it;"
            " pass another --data-dir"
        )
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("made by `clario demo`, which deletes this directory\n")
    world = World(WorldConfig(seed=seed, sellers=1, history_days=60, orders_per_day=20))
    # Amazon's limits scaled by 10 keep the demo to a minute while still pacing every call.
    settings = SimulatorSettings(rate_scale=10, report_delay_seconds=1)
    with RunningSimulator(world, settings) as simulator:
        console.print(
            f"Simulator at {simulator.base_url}; demo seller {world.sellers[0].seller_id}"
        )
        sellers_file = write_sellers_file(
            data_dir / "sellers.toml", world.sellers, simulator.base_url
        )
        try:
            with temporary_api():
                summaries = sync(
                    data_dir=data_dir, sellers_file=sellers_file, since=world.config.start
                )
        except SyncFailed as failure:
            console.print(summary_table(failure.summaries))
            console.print(f"[red]{failure}[/red]")
            raise typer.Exit(code=1) from None
    console.print(summary_table(summaries))
    print_marts(data_dir / "clario.duckdb", rows)
    # what `clario claims --data-dir <data_dir>` prints: the claims to file, by deadline
    open_now = open_claims("duckdb", data_dir, None, None)
    console.print(claims_table(open_now) if open_now else "No open claim.")
    # what `clario status --data-dir <data_dir>` prints from now on
    console.print(status_table(latest_runs("duckdb", data_dir, None)))
