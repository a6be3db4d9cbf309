"""`clario` as a user meets it: help everywhere, bad configuration named before any work,
and a non-zero exit with the failing data set in the table when a run fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from simulator.config import FaultConfig, SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import NOW
from tests.extract.test_sync_behaviours import _sellers_file

UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/nowhere"
COMMANDS = ["demo", "sync", "run", "serve", "status", "claims", "simulator"]
TINY = WorldConfig(seed=3, sellers=1, history_days=5, orders_per_day=2, now=NOW)


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(cli: CliRunner, command: str) -> None:
    result = cli.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ["run", "--destination", "postgres", "--pg-dsn", UNREACHABLE_PG],
            "PostgreSQL is unreachable",
        ),
        (["run", "--destination", "postgres"], "needs --pg-dsn or CLARIO_PG_DSN"),
        (["run", "--destination", "bigquery"], "'bigquery' is not one of"),
        (
            ["status", "--destination", "postgres", "--pg-dsn", UNREACHABLE_PG],
            "PostgreSQL is unreachable",
        ),
        (["sync", "--sellers-file", "no/such/sellers.toml"], "no/such/sellers.toml"),
        (
            ["claims", "--destination", "postgres", "--pg-dsn", UNREACHABLE_PG],
            "PostgreSQL is unreachable",
        ),
        (["claims", "--destination", "postgres"], "needs --pg-dsn or CLARIO_PG_DSN"),
        (["claims", "--data-dir", "no/such/dir"], "no warehouse at no/such/dir"),
    ],
)
def test_bad_configuration_is_named(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str], named: str
) -> None:
    monkeypatch.delenv("CLARIO_PG_DSN", raising=False)
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert named in " ".join(result.output.split()), result.output


@pytest.mark.parametrize(
    ("replace", "named"),
    [
        ('region = "NA"', "region: unknown region 'XX'"),
        ("refresh_token = ", "refresh_token"),
    ],
)
def test_a_bad_sellers_file_names_the_field(
    cli: CliRunner, tmp_path: Path, replace: str, named: str
) -> None:
    world = World(TINY)
    sellers = _sellers_file(world, "http://127.0.0.1:9", tmp_path / "sellers.toml")
    text = sellers.read_text()
    broken = (
        text.replace(replace, 'region = "XX"')
        if replace.startswith("region")
        else "\n".join(line for line in text.splitlines() if not line.startswith(replace))
    )
    sellers.write_text(broken)
    result = cli.invoke(app, ["run", "--sellers-file", str(sellers), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert named in " ".join(result.output.split()), result.output


def test_a_failed_run_exits_non_zero_and_its_table_says_what(
    cli: CliRunner, tmp_path: Path
) -> None:
    world = World(TINY)
    faults = FaultConfig(fatal_reports=1000, fatal_report_types=["GET_FBA_REIMBURSEMENTS_DATA"])
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.1, faults=faults)
    with RunningSimulator(world, settings) as simulator:
        sellers = _sellers_file(world, simulator.base_url, tmp_path / "sellers.toml")
        result = cli.invoke(
            app,
            [
                "run",
                "--sellers-file",
                str(sellers),
                "--data-dir",
                str(tmp_path / "data"),
                "--since",
                world.config.start.strftime("%Y-%m-%d"),
                "--no-build",
                "--retries",
                "0",
            ],
        )
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if "failed" in line]
    assert any("reimbursements" in line for line in failed), result.output
    assert any("orders" in line and "ok" in line for line in result.output.splitlines())
