"""A real work pool: two shard workers and the sync-pool flow, into one PostgreSQL warehouse.

The deployments are prefect.yaml's `clario-sync-shard` and `clario-sync-pool`, deployed
from this checkout (a process work pool runs flows from a local directory; no image) on
the session's Prefect server (the test harness runs a real one in a subprocess, so
workers in other processes reach it over HTTP). Three `prefect worker start` processes
poll a work pool of the test's own: two on the `shards` queue taking one run at a time,
one on the default queue for the sync-pool run. Six simulated sellers are synced as two
shards; then:

- both shard runs ran, side by side, on the two different shard workers, as subflows of
  the sync-pool run;
- every seller synced once, by the shard it belongs to, every data set ok;
- every seller's marts equal its truth, after one dbt build, the sync-pool run's;
- each shard merged through its own staging dataset, and removing a seller reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
)
from prefect.client.schemas.objects import ConcurrencyLimitConfig, FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL

from extract.sync_settings import SyncSettings
from flows.shards import deal
from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import NOW, TEST_CLIENT
from tests.flows.operator import ROOT, env_sellers_file
from tests.transform.conftest import postgres_query
from tests.transform.many_sellers import _remove, _rows_of
from tests.transform.marts_check import mart_figures, truth_figures

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PREFECT = str(Path(sys.executable).with_name("prefect"))
WORLD = WorldConfig(seed=21, sellers=6, history_days=5, orders_per_day=2, now=NOW)
SHARD_WORKERS = ("shard-worker-a", "shard-worker-b")


def _yaml_deployment(name: str) -> dict[str, Any]:
    listed = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    return next(d for d in listed if d["name"] == name)


def _deploy(name: str, pool: str, overrides: dict[str, Any]) -> None:
    """prefect.yaml's deployment `name`, from this checkout, on the test's work pool and
    without its schedule (a test must not start runs of its own)."""
    spec = _yaml_deployment(name)
    loaded = Flow.from_source(source=str(ROOT), entrypoint=spec["entrypoint"])
    assert isinstance(loaded, Flow)
    limit = spec.get("concurrency_limit")
    loaded.deploy(
        name=name,
        work_pool_name=pool,
        work_queue_name=spec["work_pool"]["work_queue_name"],
        parameters={**spec["parameters"], **overrides},
        concurrency_limit=(
            ConcurrencyLimitConfig(
                limit=limit["limit"], collision_strategy=limit["collision_strategy"]
            )
            if limit
            else None
        ),
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
    )


def _start_worker(
    pool: str, name: str, queue: str, limit: int | None, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    command = [PREFECT, "worker", "start", "--pool", pool, "--type", "process"]
    command += ["--name", name, "--work-queue", queue]
    command += ["--limit", str(limit)] if limit else []
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def _taken_by(flow_run: FlowRun, worker_logs: Path) -> set[str]:
    """The workers that took `flow_run`: those whose own output (`<worker_logs>/<name>.log`)
    says "Flow run '<its name>' submitted to infrastructure" (Prefect's worker, once the
    server moved the run to Pending for it and its process started).

    Both shard workers may see a scheduled run in the same poll, and both log "submitting"
    it; the server lets one through. Counting the refused one out by its "Aborted
    submission" line missed it once in CI, so the line of the one that took it is counted.
    Output may reach the file late on a busy machine: read again for a while.
    """
    taken = f"Flow run '{flow_run.name}' submitted to infrastructure"
    deadline = time.monotonic() + 60
    while True:
        takers = {
            name
            for name in SHARD_WORKERS
            if taken in (worker_logs / f"{name}.log").read_text(errors="replace")
        }
        if takers or time.monotonic() > deadline:
            return takers
        time.sleep(1)


@pytest.mark.timeout(1200)  # a Prefect server, three workers, two shard runs and a build
def test_two_workers_sync_a_shard_each_and_the_pool_builds_once(
    tmp_path: Path,
    pg_dsn: str,
    pg_datasets: tuple[str, str],
    pg_marts_schema: str,
) -> None:
    world = World(WORLD)
    dealt = deal((a.seller_id for a in world.sellers), 2)
    by_shard = {s: [a for a in world.sellers if a.seller_id in dealt[s]] for s in (0, 1)}
    assert [len(part) for part in dealt] == [3, 3], "six sellers dealt: three each"
    pool = f"clario-test-{uuid.uuid4().hex[:8]}"
    data_dir = tmp_path / "data"
    workers: list[subprocess.Popen[bytes]] = []
    with RunningSimulator(
        world, SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2)
    ) as sim:
        sellers_file, credentials = env_sellers_file(
            world.sellers, sim.base_url, tmp_path / "sellers.toml"
        )
        env = {
            **os.environ,  # with this test's raw, audit and marts schemas (the fixtures)
            **credentials,  # the sellers' secrets: only in the workers' environment
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            # _taken_by reads the workers' INFO lines. `clario`'s CLI, run in-process by
            # earlier tests of this pytest worker, left Prefect's console at CRITICAL in
            # os.environ: workers started with it wrote none (failed twice in CI)
            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
            "CLARIO_PG_DSN": pg_dsn,
        }
        subprocess.run(
            [PREFECT, "work-pool", "create", pool, "--type", "process"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        settings = SyncSettings(since=WORLD.start, report_poll_seconds=0.1)
        paths = {"data_dir": str(data_dir), "sellers_file": str(sellers_file)}
        _deploy(
            "clario-sync-shard",
            pool,
            {
                **paths,
                "stagger_seconds": 0,
                "settings": settings.model_dump(mode="json"),
                "client_options": TEST_CLIENT,
                "retry_backoff_seconds": 0.1,
            },
        )
        _deploy("clario-sync-pool", pool, paths)
        try:
            for name in SHARD_WORKERS:
                workers.append(
                    _start_worker(pool, name, "shards", 1, env, tmp_path / f"{name}.log")
                )
            workers.append(
                _start_worker(pool, "pool-worker", "default", None, env, tmp_path / "pool.log")
            )
            pool_run = run_deployment(
                "sync-pool/clario-sync-pool",
                parameters={"shards": 2},
                timeout=900,
                poll_interval=2,
                as_subflow=False,
            )
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    logs = "".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))
    assert isinstance(pool_run, FlowRun)
    assert pool_run.state is not None and pool_run.state.is_completed(), (pool_run.state, logs)

    with get_client(sync_client=True) as client:
        shard_deployment = client.read_deployment_by_name("sync/clario-sync-shard")
        shard_runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[shard_deployment.id]))
        )
        parents = {
            client.read_task_run(run.parent_task_run_id).flow_run_id
            for run in shard_runs
            if run.parent_task_run_id
        }
    # two shard runs, subflows of the pool run, each on its own worker, at the same time
    assert sorted(run.parameters["shard"] for run in shard_runs) == [0, 1], [
        (run.name, run.parent_task_run_id, run.state, run.created) for run in shard_runs
    ]
    assert parents == {pool_run.id}
    assert all(run.state and run.state.is_completed() for run in shard_runs), [
        run.state for run in shard_runs
    ]
    takers = [_taken_by(run, tmp_path) for run in shard_runs]
    assert sorted(name for taker in takers for name in taker) == list(SHARD_WORKERS), (
        takers,
        [worker.returncode for worker in workers],  # negative: killed, not stopped
        logs,
    )
    first, second = shard_runs
    assert first.start_time and second.start_time and first.end_time and second.end_time
    assert first.start_time < second.end_time and second.start_time < first.end_time

    # every seller synced once, by its own shard's run, every data set ok
    raw, audit = pg_datasets
    query = postgres_query(pg_dsn)
    shard_of_run = {str(run.id): run.parameters["shard"] for run in shard_runs}
    rows = query(f"select seller_id, data_set, status, flow_run_id from {audit}.sync_runs", [])
    assert {status for _, _, status, _ in rows} == {"ok"}, rows
    per_data_set = [(seller, data_set) for seller, data_set, _, _ in rows]
    assert len(per_data_set) == len(set(per_data_set)), "a data set synced twice"
    assert {seller: shard_of_run[run_id] for seller, _, _, run_id in rows} == {
        a.seller_id: shard for shard, accounts in by_shard.items() for a in accounts
    }

    # each shard merged through a staging dataset of its own, so their loads could overlap
    schemas = {name for (name,) in query("select nspname from pg_namespace", [])}
    assert {f"{raw}_staging_shard0", f"{raw}_staging_shard1"} <= schemas

    # one build, the pool run's, and every seller's marts equal its truth
    builds = query(f"select status, flow_run_id from {audit}.dbt_builds", [])
    assert builds == [("ok", str(pool_run.id))]
    for account in world.sellers:
        assert mart_figures(query, pg_marts_schema, account.seller_id, "%s") == truth_figures(
            seller_truth(world, account)
        ), account.seller_id

    # removing a seller reaches the shards' staging datasets too
    stagings = [f"{raw}_staging_shard0", f"{raw}_staging_shard1"]
    staged = {a.seller_id: _rows_of(query, a.seller_id, stagings, "%s") for a in world.sellers}
    gone = max(staged, key=lambda seller: staged[seller])
    assert staged[gone] > 0, staged
    options = ["--destination", "postgres", "--pg-dsn", pg_dsn, "--data-dir", str(data_dir)]
    _remove(gone, *options)
    assert _rows_of(query, gone, [raw, f"{raw}_staging", *stagings, pg_marts_schema], "%s") == 0
