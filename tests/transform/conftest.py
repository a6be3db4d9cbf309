"""dbt against real warehouses: run the project in a subprocess, read the marts back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from flows.demo import MARTS as CONTRACT_MARTS
from flows.transform import SYNC_BUILD_OPTIONS
from simulator.config import SimulatorSettings
from simulator.server import RunningSimulator
from simulator.world import World
from tests.transform.many_sellers import WORLD as MANY_SELLERS_WORLD

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
# the contract's marts (what the demo prints) and the run summary's count of rejected rows
MARTS = (*CONTRACT_MARTS, "rejected_rows_summary")


@dataclass
class DbtRunner:
    """`dbt <command>` on one target, with its own target and log directories.

    A `build` leaves the unit tests out, as the flow's build does, unless `unit_tests`:
    they check the models' logic on fixed inputs, the same on every build, and a suite
    running them in each of its builds spent a quarter of its dbt time repeating them.
    The DuckDB scenario's first build (test_dbt_build.py) and the Postgres flow test
    (test_sync_flow.py) run them, once per engine.
    """

    target: str
    work_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(
        self,
        *args: str,
        sellers: Sequence[str],
        check: bool = True,
        dbt_vars: dict[str, Any] | None = None,
        unit_tests: bool = False,
    ) -> str:
        command = [
            str(DBT),
            *args,
            *(SYNC_BUILD_OPTIONS if args[0] == "build" and not unit_tests else ()),
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target",
            self.target,
            "--target-path",
            str(self.work_dir / "target"),
            "--log-path",
            str(self.work_dir / "logs"),
            "--threads",
            "4",
            "--vars",
            json.dumps({"sellers": list(sellers), **(dbt_vars or {})}),
        ]
        env = {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            **self.env,
        }
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if check and done.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{done.stdout[-6000:]}")
        return done.stdout


# The incremental marts' columns as a build before the renames named them (CHANGELOG.md,
# "Breaking: column renames"), new name: old name. Stated here on its own, not read from
# the project's macro, so that a wrong map there fails the test.
COLUMNS_BEFORE_THE_RENAMES = {
    "order_items": {"units_ordered": "quantity_ordered", "units_shipped": "quantity_shipped"},
    "shipments": {
        "units_expected": "expected_quantity",
        "units_received": "received_quantity",
        "units_missing": "missing_quantity",
    },
    "returns": {"units_returned": "returned_quantity", "units_ordered": "ordered_quantity"},
    "settlements": {"units": "quantity", "posted_at": "posted_date"},
    "settlement_fees": {"posted_at": "posted_date"},
    "inventory_ledger": {
        "units": "quantity",
        "units_reconciled": "reconciled_quantity",
        "units_unreconciled": "unreconciled_quantity",
    },
    "reimbursements": {
        "units_reimbursed_cash": "quantity_reimbursed_cash",
        "units_reimbursed_inventory": "quantity_reimbursed_inventory",
        "units_reimbursed_total": "quantity_reimbursed_total",
    },
}


def back_to_the_old_column_names(schema: str) -> list[str]:
    """The statements that turn built incremental marts into what a build before the
    renames left: the same tables, rows and constraints, under the old column names."""
    return [
        f"alter table {schema}.{mart} rename column {new} to {old}"
        for mart, columns in COLUMNS_BEFORE_THE_RENAMES.items()
        for new, old in columns.items()
    ]


def column_names(query: Any, schema: str, mart: str) -> set[str]:
    return {
        name
        for (name,) in query(
            "select column_name from information_schema.columns"
            f" where table_schema = '{schema}' and table_name = '{mart}'",
            [],
        )
    }


def duckdb_runner(data_dir: Path) -> DbtRunner:
    return DbtRunner(
        "duckdb", data_dir / "dbt", {"CLARIO_DUCKDB_PATH": str(data_dir / "clario.duckdb")}
    )


def duckdb_query(path: Path) -> Any:
    """A `query(sql, params)` over the DuckDB file (opened per call: dbt may write next)."""

    def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(path), read_only=True) as connection:
            return connection.execute(sql, list(params)).fetchall()

    return query


def postgres_query(pg_dsn: str) -> Any:
    def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    return query


def snapshot(
    query: Any, schema: str, without: Sequence[str] = (), marts: Sequence[str] = MARTS
) -> dict[str, list[tuple[str, ...]]]:
    """Every mart's rows, as sorted text tuples: equal snapshots mean identical marts.

    `without` leaves columns out, e.g. the lineage (`synced_at`, `_dlt_load_id`) that a
    second sync of the same data moves forward. `transformed_at`, when the build that
    wrote a row started, is always left out: no two builds share it.
    """
    without = (*without, "transformed_at")

    def columns(mart: str) -> str:
        rows = query(
            "select column_name from information_schema.columns"
            f" where table_schema = '{schema}' and table_name = '{mart}'",
            [],
        )
        return ", ".join(name for (name,) in rows if name not in without)

    return {
        mart: sorted(
            tuple(str(value) for value in row)
            for row in query(f"select {columns(mart)} from {schema}.{mart}", [])
        )
        for mart in marts
    }


@pytest.fixture(scope="module")
def many_sellers_world() -> World:
    """50 small sellers (tests/transform/many_sellers.py)."""
    return World(MANY_SELLERS_WORLD)


@pytest.fixture(scope="module")
def many_sellers_simulator(many_sellers_world: World) -> Iterator[RunningSimulator]:
    with RunningSimulator(
        many_sellers_world, SimulatorSettings(rate_scale=1000, report_delay_seconds=0.1)
    ) as s:
        yield s
