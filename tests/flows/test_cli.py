"""`clario` as a user meets it: help everywhere, bad configuration named before any work,
and a non-zero exit with the failing data set in the table when a run fails."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.prefect_server import free_port
from simulator.config import FaultConfig, SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST, NOW
from tests.extract.test_sync_behaviours import _sellers_file
from tests.flows.operator import SINCE, clario, clario_env, env_sellers_file

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
    ("command", "variable"),
    [
        ("claims", "CLARIO_PG_SCHEMA"),  # claims reads the marts only
        ("status", "CLARIO_PG_SCHEMA"),  # status reads sync_status ...
        ("status", "CLARIO_AUDIT_SCHEMA"),  # ... and the audit's dbt_builds
    ],
)
def test_clario_claims_and_status_refuse_a_schema_they_would_write_into_their_query(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str, variable: str
) -> None:
    monkeypatch.setenv(variable, "clario.claims; drop table x; --")
    result = cli.invoke(app, [command, "--destination", "postgres", "--pg-dsn", UNREACHABLE_PG])
    assert result.exit_code == 2, result.output
    output = re.sub(r"[│\s]+", " ", result.output)  # the error box's borders and wraps
    assert variable in output and "is not a usable schema name" in output, output


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
    # then where the data is and what to run next
    assert f"Warehouse: {tmp_path / 'data' / 'clario.duckdb'}" in result.output, result.output
    assert "clario status" in result.output


def test_an_unknown_seller_or_data_set_is_refused_before_any_work(
    cli: CliRunner, tmp_path: Path
) -> None:
    world = World(TINY)
    sellers = _sellers_file(world, "http://127.0.0.1:9", tmp_path / "sellers.toml")
    for command in ("sync", "run"):
        base = [command, "--sellers-file", str(sellers), "--data-dir", str(tmp_path / "data")]
        unknown = cli.invoke(app, [*base, "--seller", "A0NOSUCHSELLER"])
        assert unknown.exit_code == 2, unknown.output
        message = " ".join(unknown.output.split())
        assert "A0NOSUCHSELLER is not in the sellers file" in message, message
        assert world.sellers[0].seller_id in message  # the ones it could have been
        wrong = cli.invoke(app, [*base, "--data-set", "order"])
        assert wrong.exit_code == 2, wrong.output
        assert "'order' is not one of 'orders'" in " ".join(wrong.output.split())
    assert not (tmp_path / "data").exists(), "nothing was started"


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NOISE = ("Traceback", "urllib3", "MaxRetryError", "HTTPConnectionPool", "Errno", "| INFO")


def test_sync_goes_through_the_flow_selects_audits_and_says_what_failed(
    tmp_path: Path,
) -> None:
    """`clario sync` as a user runs it, twice, off a terminal: one seller's endpoint is a
    closed port. The first run (`--json`, two data sets) exits 1 with that seller's failure
    as one line saying what to do, the other seller loaded; the second (`--seller`,
    `--data-set`) prints the table and where to go next. Both are in the audit trail."""
    world = World(WorldConfig(seed=3, sellers=2, history_days=5, orders_per_day=2, now=NOW))
    good, bad = (account.seller_id for account in world.sellers)
    closed = free_port()
    data = tmp_path / "data"
    with RunningSimulator(world, FAST) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "sellers.toml"
        )
        first, second = sellers.read_text().split("[[sellers]]")[1:]
        unreachable = second.replace(simulator.base_url, f"http://127.0.0.1:{closed}")
        sellers.write_text(f"[[sellers]]{first}[[sellers]]{unreachable}")
        env = clario_env(tmp_path, credentials, shared_server=True)
        base = ["sync", "--sellers-file", str(sellers), "--data-dir", str(data), "--since", SINCE]
        selected = ["--data-set", "orders", "--data-set", "inventory"]
        as_json = clario([*base, *selected, "--json"], env)
        plain = clario([*base, "--seller", good, "--data-set", "orders"], env)

    assert as_json.returncode == 1, as_json.stdout[-3000:] + as_json.stderr[-3000:]
    report = json.loads(as_json.stdout)  # stdout holds the JSON and nothing else
    assert report["command"] == "sync" and report["exit_code"] == 1
    assert report["build"] is None  # sync never builds
    rows = {(s["seller_id"], s["data_set"]): s for s in report["data_sets"]}
    assert {key: s["status"] for key, s in rows.items()} == {
        (good, "orders"): "ok",
        (good, "inventory"): "ok",
        (bad, "all"): "failed",
    }
    error = rows[(bad, "all")]["error"]
    assert error == (
        f"could not connect to http://127.0.0.1:{closed}: connection refused; check the"
        " seller's endpoint and token_url in the sellers file and the network, then rerun"
        f" `clario sync --seller {bad} --data-set orders --data-set inventory`"
    )
    # progress: a plain line per seller x data set as it ended, and no Prefect log
    lines = [line for line in as_json.stderr.splitlines() if line.strip()]
    ended = [line for line in lines if line.startswith((f"{good} ", f"{bad} "))]
    assert sorted(line.split(":")[0] for line in ended) == sorted(
        [f"{good} orders", f"{good} inventory", f"{bad} all"]
    ), lines
    [failure] = [line for line in ended if line.startswith(bad)]
    assert re.fullmatch(rf"{bad} all: failed, 0 rows, [\d.]+ s - {re.escape(error)}", failure)
    said = set(lines) - set(ended) - {"syncing 2 seller(s)"}
    assert said == {f"using the Prefect API at {env['PREFECT_API_URL']}"}, lines

    assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr[-3000:]
    assert "Sync summary" in plain.stdout
    table = [line for line in plain.stdout.splitlines() if good in line]
    assert len(table) == 1 and " orders " in table[0] and " ok " in table[0], plain.stdout
    assert f"Warehouse: {data / 'clario.duckdb'}" in plain.stdout
    assert f"status --data-dir {data}" in plain.stdout
    assert "docs generate" in plain.stdout
    for output in (as_json.stdout, as_json.stderr, plain.stdout, plain.stderr):
        assert not ANSI.search(output), output[-2000:]
        assert not [word for word in NOISE if word in output], output[-3000:]

    # every sync writes the audit trail, as `clario run` does
    audit = _sync_runs(data, "seller_id, data_set, status, error, flow_run_id")
    assert sorted((s, d, st) for s, d, st, _, _ in audit) == sorted(
        [
            (good, "orders", "ok"),
            (good, "inventory", "ok"),
            (bad, "all", "failed"),
            (good, "orders", "ok"),
        ]
    )
    assert [e for s, _, _, e, _ in audit if s == bad] == [error]
    assert len({run for *_, run in audit}) == 2 and all(run for *_, run in audit)


def test_rows_rejected_or_retried_are_said_in_the_summary_the_audit_and_the_exit_code(
    tmp_path: Path,
) -> None:
    """Nothing reported `ok` when data was dropped: a run whose reports had malformed rows
    (rejected, kept in rejected_rows) and whose first shipments report ended FATAL (asked
    for again within the run) exits 3, and its printed summary says both in words, as
    `sync_runs` records them."""
    world = World(TINY)
    faults = FaultConfig(
        malformed_row_rate=0.15,
        fatal_reports=1,
        fatal_report_types=["GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"],
    )
    data = tmp_path / "data"
    with RunningSimulator(world, FAST.model_copy(update={"faults": faults})) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "sellers.toml"
        )
        base = ["sync", "--sellers-file", str(sellers), "--data-dir", str(data), "--since", SINCE]
        picked = ["--data-set", "fba_shipments", "--data-set", "customer_returns"]
        done = clario([*base, *picked], clario_env(tmp_path, credentials, shared_server=True))
    out = " ".join(done.stdout.split())
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
    audit = _sync_runs(data, "data_set, status, rows_rejected, rows_with_warnings, retries, notes")
    by_data_set = {row[0]: row[1:] for row in audit}
    assert {status for status, *_ in by_data_set.values()} <= {"ok", "partial"}, audit
    assert sum(rejected for _, rejected, *_ in by_data_set.values()) > 0, audit
    _, _, _, retries, notes = by_data_set["fba_shipments"]
    assert retries == 1 and "succeeded on attempt 2" in notes and "FATAL" in notes, audit
    # the printed summary: a notes line per data set, in the words sync_runs keeps
    assert "Notes:" in done.stdout
    account = world.sellers[0].seller_id
    for data_set, (_, rejected, _, _, notes) in by_data_set.items():
        if rejected:
            line = f"{account} {data_set}: {rejected} row(s) rejected, kept in rejected_rows"
            assert line in out, done.stdout
        if notes:
            assert " ".join(notes.split()) in out, done.stdout


def _sync_runs(data: Path, columns: str) -> list[tuple[Any, ...]]:
    """The audit trail's rows, oldest first, read as an analyst would (read-only)."""
    connection = duckdb.connect(str(data / "clario.duckdb"), read_only=True)
    try:
        query = f"select {columns} from raw_clario_audit.sync_runs order by started_at"
        return connection.execute(query).fetchall()
    finally:
        connection.close()
