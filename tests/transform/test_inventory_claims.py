"""Inventory, ledger, reimbursements and claims on PostgreSQL, against the ground truth.

The DuckDB side runs in test_dbt_build.py's scenario (the same figures and claim rows).
Here the same world is synced into PostgreSQL (its own raw, audit and mart schemas), built
with the claims' day pinned to the simulator's, checked; then six hours pass, a second
sync re-reads the look-back (the ledger's rows must replace themselves, not pile up), an
incremental build must equal the truth again, and a full refresh the incremental build.
That incremental build meets the marts under the column names of a release before the
renames (CHANGELOG.md), with their indexes, and renames them in place.
"""

from __future__ import annotations

import csv
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests
from typer.testing import CliRunner

from flows.cli import app
from flows.transform import profile_environment
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, NOW, WORLD, sync
from tests.transform.conftest import (
    COLUMNS_BEFORE_THE_RENAMES,
    DbtRunner,
    back_to_the_old_column_names,
    column_names,
    postgres_query,
    snapshot,
)
from tests.transform.marts_check import (
    claim_rows,
    mart_figures,
    truth_claim_rows,
    truth_figures,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
NEW_MARTS = ("inventory", "inventory_ledger", "reimbursements", "claims", "shipments")


def _check(world: World, query: Any, schema: str) -> None:
    for account in world.sellers:
        truth = seller_truth(world, account)
        assert mart_figures(query, schema, account.seller_id, "%s") == truth_figures(truth), (
            account.seller_id
        )
        assert claim_rows(query, schema, account.seller_id, "%s") == truth_claim_rows(truth), (
            account.seller_id
        )


def _clario_claims_lists_what_can_be_filed(world: World, tmp_path: Path, pg_dsn: str) -> None:
    """`clario claims --csv`: every claimable claim of the truth, soonest deadline first."""
    path = tmp_path / "claims.csv"
    done = CliRunner().invoke(
        app, ["claims", "--destination", "postgres", "--pg-dsn", pg_dsn, "--csv", str(path)]
    )
    assert done.exit_code == 0, done.output
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    claimable = [
        (account.seller_id, c["reference"], c["sku"], c["estimated_value_owed"])
        for account in world.sellers
        for c in seller_truth(world, account)["claims"]["candidates"]
        if c["claimable"]
    ]
    assert claimable, "the world has claims to file"
    assert sorted(
        (r["seller_id"], r["reference"], r["sku"], r["estimated_value_owed"]) for r in rows
    ) == sorted(claimable)
    deadlines = [r["window_closes_date"] for r in rows]
    assert deadlines == sorted(deadlines)
    total = sum(Decimal(value) for *_, value in claimable)
    assert f"Total owed: {total:.2f}" in done.output


def test_postgres_marts_equal_the_truth_incrementally_and_after_a_full_refresh(
    tmp_path: Path,
    pg_dsn: str,
    pg_datasets: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marts = f"clario_claims_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("CLARIO_PG_SCHEMA", marts)
    world = World(WORLD)
    sellers = [a.seller_id for a in world.sellers]
    dbt = DbtRunner("postgres", tmp_path / "dbt", profile_environment("postgres", tmp_path, pg_dsn))
    query = postgres_query(pg_dsn)

    def build(*args: str) -> str:
        as_of = {"claims_as_of": world.horizon.date().isoformat()}
        return dbt("build", *args, sellers=sellers, dbt_vars=as_of)

    try:
        with RunningSimulator(world, FAST) as simulator:
            runs = sync(world, simulator.base_url, tmp_path, "postgres", pg_dsn)
            assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
            build()
            _check(world, query, marts)
            requests.post(
                simulator.base_url + "/_simulator/clock",
                json={"now": (NOW + timedelta(hours=6)).isoformat()},
                timeout=5,
            )
            runs = sync(world, simulator.base_url, tmp_path, "postgres", pg_dsn)
            assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            for statement in back_to_the_old_column_names(marts):
                cursor.execute(statement)
        log = build()
        assert f"incremental model {marts}.inventory_ledger" in log
        for mart, columns in COLUMNS_BEFORE_THE_RENAMES.items():
            assert set(columns) <= column_names(query, marts, mart), mart
            assert f"{marts}.{mart}: renamed column" in log, mart
        _check(world, query, marts)
        incremental = snapshot(query, marts)
        build("--full-refresh")
        full = snapshot(query, marts)
        for mart in NEW_MARTS:
            assert incremental[mart] == full[mart], mart
        _clario_claims_lists_what_can_be_filed(world, tmp_path, pg_dsn)
    finally:
        query(f'drop schema if exists "{marts}" cascade; select 1', [])
