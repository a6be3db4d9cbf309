"""`clario simulator …`: serve the local SP-API, list its sellers, print its ground truth."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pydantic and the simulator load when a command runs, not for --help
    from simulator.config import WorldConfig

app = typer.Typer(
    help="A local SP-API stand-in with a seeded, internally consistent world.",
    no_args_is_help=True,
    add_completion=False,
)

Seed = Annotated[int, typer.Option(help="Seed of the world: the same seed gives the same world.")]
Sellers = Annotated[int, typer.Option(help="Number of simulated sellers.")]
Marketplaces = Annotated[int, typer.Option(help="Marketplaces per seller (US, then CA, MX).")]
HistoryDays = Annotated[int, typer.Option(help="Days of history before --now.")]
OrdersPerDay = Annotated[int, typer.Option(help="Average orders per seller and day.")]
Now = Annotated[
    datetime | None,
    typer.Option(
        help="Pin the simulated clock at this time (UTC); the world's history ends here. "
        "Default: the history ends at today's midnight UTC and the clock follows the wall "
        "clock."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def world_config(
    seed: int,
    sellers: int,
    marketplaces: int,
    history_days: int,
    orders_per_day: int,
    now: datetime | None,
) -> WorldConfig:
    """Build a WorldConfig, turning validation errors into a clear CLI error."""
    from pydantic import ValidationError

    from simulator.config import WorldConfig

    values: dict[str, Any] = {
        "seed": seed,
        "sellers": sellers,
        "marketplaces": marketplaces,
        "history_days": history_days,
        "orders_per_day": orders_per_day,
    }
    if now is not None:
        values["now"] = now
    try:
        return WorldConfig(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}"
            for e in error.errors()
        )
        raise typer.BadParameter(problems) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8642,
    seed: Seed = 7,
    sellers: Sellers = 2,
    marketplaces: Marketplaces = 1,
    history_days: HistoryDays = 90,
    orders_per_day: OrdersPerDay = 20,
    now: Now = None,
    rate_scale: Annotated[
        float, typer.Option(help="Multiply every rate limit and burst by K.")
    ] = 1.0,
    token_ttl: Annotated[int, typer.Option(help="Access-token lifetime in seconds.")] = 3600,
    report_delay: Annotated[float, typer.Option(help="Seconds a report takes to be DONE.")] = 2.0,
    sandbox: Annotated[
        bool, typer.Option(help="Answer with Amazon's static sandbox examples.")
    ] = False,
    faults: Annotated[
        Path | None, typer.Option(help="TOML or JSON file of faults to inject.")
    ] = None,
    fault_5xx: Annotated[float, typer.Option(help="Fraction of requests answered 500/503.")] = 0.0,
    fault_429: Annotated[float, typer.Option(help="Fraction of extra 429 answers.")] = 0.0,
    fault_slow: Annotated[float, typer.Option(help="Fraction of slow responses.")] = 0.0,
    fault_fatal_reports: Annotated[int, typer.Option(help="The first N reports end FATAL.")] = 0,
    fault_malformed_rows: Annotated[
        float, typer.Option(help="Fraction of malformed report rows.")
    ] = 0.0,
    request_log: Annotated[
        Path | None, typer.Option(help="Append every request as JSON lines here.")
    ] = None,
    warm: Annotated[
        bool,
        typer.Option(help="Generate the world's newest days in the background from startup."),
    ] = True,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="Base URL of report document downloads. Default: http://HOST:PORT as bound "
            "(loopback for 0.0.0.0)."
        ),
    ] = None,
) -> None:
    """Serve the simulated SP-API (LWA, Orders, Reports, Finances, Inbound, Inventory) over HTTP."""
    from pydantic import ValidationError

    from simulator.config import FaultConfig, SimulatorSettings
    from simulator.server import serve as run_server
    from simulator.world import World

    config = world_config(seed, sellers, marketplaces, history_days, orders_per_day, now)
    try:
        fault_config = FaultConfig.from_file(faults) if faults else FaultConfig()
        overrides = {
            "rate_5xx": fault_5xx,
            "rate_429": fault_429,
            "rate_slow": fault_slow,
            "fatal_reports": fault_fatal_reports,
            "malformed_row_rate": fault_malformed_rows,
        }
        fault_config = fault_config.model_copy(update={k: v for k, v in overrides.items() if v})
        FaultConfig.model_validate(fault_config.model_dump())
        settings = SimulatorSettings(
            token_ttl_seconds=token_ttl,
            rate_scale=rate_scale,
            report_delay_seconds=report_delay,
            sandbox=sandbox,
            faults=fault_config,
            request_log_path=request_log,
            public_url=public_url,
            warm=warm,
        )
    except (ValidationError, OSError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    world = World(config)
    typer.echo(
        f"SP-API simulator on http://{host}:{port} — seed {config.seed}, "
        f"{config.sellers} seller(s), "
        f"history up to {config.now.isoformat()}"
        f"{'' if config.now_pinned else ', clock on wall time'}; "
        "`clario simulator sellers` lists credentials.",
        err=True,
    )
    run_server(world, settings, host, port)


@app.command("sellers")
def list_sellers(
    seed: Seed = 7,
    sellers: Sellers = 2,
    marketplaces: Marketplaces = 1,
    history_days: HistoryDays = 90,
    orders_per_day: OrdersPerDay = 20,
    now: Now = None,
    as_json: AsJson = False,
) -> None:
    """List the simulated sellers with the LWA credentials the simulator accepts."""
    from simulator.config import seller_accounts

    config = world_config(seed, sellers, marketplaces, history_days, orders_per_day, now)
    accounts = [a.as_dict() for a in seller_accounts(config)]
    if as_json:
        typer.echo(json.dumps(accounts, indent=2))
        return
    for account in accounts:
        typer.echo(f"{account['seller_id']}  marketplaces={','.join(account['marketplace_ids'])}")  # type: ignore[arg-type]
        typer.echo(f"  client_id={account['client_id']}")
        typer.echo(f"  client_secret={account['client_secret']}")
        typer.echo(f"  refresh_token={account['refresh_token']}")


@app.command()
def truth(
    seed: Seed = 7,
    sellers: Sellers = 2,
    marketplaces: Marketplaces = 1,
    history_days: HistoryDays = 90,
    orders_per_day: OrdersPerDay = 20,
    now: Now = None,
    as_json: AsJson = False,
) -> None:
    """Print the counts and sums the marts must show after a complete sync of the world."""
    from simulator.truth import world_truth
    from simulator.world import World

    config = world_config(seed, sellers, marketplaces, history_days, orders_per_day, now)
    result = world_truth(World(config))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for seller in result["sellers"]:
        orders, shipments, returns = seller["orders"], seller["shipments"], seller["returns"]
        refunds, lines = seller["refunds"], seller["settlements"]["lines"]
        typer.echo(f"{seller['seller_id']} (as of {seller['as_of']})")
        typer.echo(f"  orders       {orders['count']} {orders['by_status']}")
        typer.echo(f"  order items  {orders['order_items']}")
        typer.echo(
            f"  shipments    outbound {shipments['outbound']} inbound {shipments['inbound']}"
        )
        typer.echo(
            f"  missing      {shipments['missing_units']} units, lost {shipments['lost_units']}"
        )
        typer.echo(f"  returns      {returns['count']} ({returns['partial']} partial)")
        typer.echo(
            f"  refunds      {refunds['count']} ({refunds['without_return']} without return)"
        )
        typer.echo(f"  settlements  {lines} lines, {seller['settlement_periods']['count']} periods")
        stock, claims = seller["inventory"], seller["claims"]
        typer.echo(
            f"  inventory    {stock['total_quantity']} units, {stock['by_disposition']}, "
            f"{seller['inventory_ledger']['rows']} ledger rows"
        )
        typer.echo(
            f"  claims       {claims['count']} {claims['by_status']}, claimable "
            f"{claims['claimable']['count']} worth {claims['claimable']['estimated_value_owed']}"
        )
