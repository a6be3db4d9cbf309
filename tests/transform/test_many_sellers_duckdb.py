"""Fifty sellers in one DuckDB warehouse: sync, build, remove one, build again.

See tests/transform/many_sellers.py for what is checked and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.layout import audit_dataset, raw_dataset
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.transform.conftest import duckdb_query, duckdb_runner
from tests.transform.many_sellers import _check_every_seller, _remove, _rows_of, _sync
from tests.transform.marts_check import mart_figures, truth_figures

pytestmark = pytest.mark.slow


# about 5 minutes alone; the read-ahead thread of each first sync and a busy machine add to it
@pytest.mark.timeout(1500)
def test_fifty_sellers_into_duckdb(
    many_sellers_world: World, many_sellers_simulator: RunningSimulator, tmp_path: Path
) -> None:
    world, simulator = many_sellers_world, many_sellers_simulator
    _sync(world, simulator.base_url, tmp_path, destination_kind="duckdb")
    dbt = duckdb_runner(tmp_path)
    dbt("build", sellers=[])
    query = duckdb_query(tmp_path / "clario.duckdb")
    _check_every_seller(world, query, "main", "?")
    gone = world.sellers[2].seller_id
    out = _remove(gone, "--data-dir", str(tmp_path))
    assert f"Removed seller {gone}" in out
    assert _rows_of(query, gone, [raw_dataset(), "main", audit_dataset()], "?") == 0
    assert not (tmp_path / "pipelines" / f"clario_seller_{gone.lower()}").exists()
    dbt("build", sellers=[])
    assert query("select count(*) from main.orders where seller_id = ?", [gone]) == [(0,)]
    for account in world.sellers[:5]:
        if account.seller_id != gone:
            marts = mart_figures(query, "main", account.seller_id, "?")
            assert marts == truth_figures(seller_truth(world, account))
    removals = query(f"select seller_id from {audit_dataset()}.seller_removals", [])
    assert removals == [(gone,)]
