"""Fifty sellers in one PostgreSQL warehouse: sync, build, remove one, build again.

See tests/transform/many_sellers.py for what is checked and why.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg2
import pytest

from flows.transform import profile_environment
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.transform.conftest import DbtRunner, postgres_query
from tests.transform.many_sellers import _check_every_seller, _remove, _rows_of, _sync
from tests.transform.marts_check import mart_figures, truth_figures

pytestmark = pytest.mark.slow


# fifty first syncs (dlt's fixed cost per seller) and two builds: about 10 minutes at the
# end of a full run, beside the DuckDB one
@pytest.mark.timeout(1500)
@pytest.mark.postgres
def test_fifty_sellers_into_postgres(
    many_sellers_world: World,
    many_sellers_simulator: RunningSimulator,
    tmp_path: Path,
    pg_dsn: str,
    pg_datasets: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, simulator = many_sellers_world, many_sellers_simulator
    marts = f"clario_many_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("CLARIO_PG_SCHEMA", marts)
    try:
        _sync(world, simulator.base_url, tmp_path, destination_kind="postgres", postgres_dsn=pg_dsn)
        dbt = DbtRunner(
            "postgres", tmp_path / "dbt", profile_environment("postgres", tmp_path, pg_dsn)
        )
        dbt("build", sellers=[])
        query = postgres_query(pg_dsn)
        _check_every_seller(world, query, marts, "%s")
        gone = world.sellers[3].seller_id
        _remove(gone, "--destination", "postgres", "--pg-dsn", pg_dsn, "--data-dir", str(tmp_path))
        raw, audit = pg_datasets
        assert _rows_of(query, gone, [raw, f"{raw}_staging", marts, audit], "%s") == 0
        state = query(
            f"select count(*) from {raw}._dlt_pipeline_state where pipeline_name = %s",
            [f"clario_seller_{gone.lower()}"],
        )
        assert state == [(0,)]
        dbt("build", sellers=[])
        assert query(f"select count(*) from {marts}.orders where seller_id = %s", [gone]) == [(0,)]
        other = world.sellers[4]
        assert mart_figures(query, marts, other.seller_id, "%s") == truth_figures(
            seller_truth(world, other)
        )
    finally:
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(f'drop schema if exists "{marts}" cascade')
