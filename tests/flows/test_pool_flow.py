"""A sync-pool run whose shards die before recording anything still reports every seller.

The shard deployment is registered on the session's Prefect server, but no worker serves
it: the test plays the worker that took each shard run and died (its runs end Crashed).
The sync-pool run must report a failed row for each seller of those shards, saying how
its shard ended, record them in `sync_runs`, and fail.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.states import Crashed

from flows.demo import write_sellers_file
from flows.pool_flow import SHARD_DEPLOYMENT, sync_pool
from flows.shards import deal
from flows.sync_flow import SyncFailed, sync
from simulator.config import WorldConfig
from simulator.world import World
from tests.extract.conftest import NOW
from tests.transform.conftest import postgres_query

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _crash_every_shard_run(deployment_id: uuid.UUID, stop: threading.Event) -> None:
    """What a worker that took each shard run and died leaves: the run Crashed."""
    crashed: set[uuid.UUID] = set()
    with get_client(sync_client=True) as client:
        while not stop.wait(0.5):
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
            for run in runs:
                if run.id not in crashed:
                    client.set_flow_run_state(
                        run.id, Crashed(message="the worker's machine went away"), force=True
                    )
                    crashed.add(run.id)


def test_shards_that_died_are_reported_per_seller_and_fail_the_run(
    tmp_path: Path,
    pg_dsn: str,
    pg_datasets: tuple[str, str],
    pg_marts_schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLARIO_PG_DSN", pg_dsn)
    world = World(WorldConfig(seed=21, sellers=4, history_days=2, orders_per_day=1, now=NOW))
    sellers = write_sellers_file(tmp_path / "sellers.toml", world.sellers, "http://127.0.0.1:9")
    deployment = sync.to_deployment(name=SHARD_DEPLOYMENT.split("/")[1])
    deployment_id = deployment.apply()  # type: ignore[union-attr]
    stop = threading.Event()
    worker = threading.Thread(target=_crash_every_shard_run, args=(deployment_id, stop))
    worker.start()
    try:
        with pytest.raises(SyncFailed) as failed:
            sync_pool(shards=2, data_dir=tmp_path / "data", sellers_file=sellers)
    finally:
        stop.set()
        worker.join()
    rows = {row["seller_id"]: row for row in failed.value.summaries}
    assert set(rows) == {a.seller_id for a in world.sellers}
    dealt = deal(rows, 2)
    assert [len(part) for part in dealt] == [2, 2], "four sellers, two each"
    for seller_id, row in rows.items():
        assert (row["data_set"], row["status"]) == ("all", "failed")
        shard = 0 if seller_id in dealt[0] else 1
        assert row["error"].startswith(f"shard {shard} of 2 (flow run shard {shard} of 2)")
        assert "ended crashed: the worker's machine went away" in row["error"]
    _, audit = pg_datasets
    recorded = postgres_query(pg_dsn)(f"select seller_id, status from {audit}.sync_runs", [])
    assert sorted(recorded) == sorted((seller_id, "failed") for seller_id in rows)
    assert f"{len(rows)} data set(s) failed" in str(failed.value)
