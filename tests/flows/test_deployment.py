"""The schedule: every six hours UTC, never overlapping itself, and switchable off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from flows.deployment import CRON, background_sync_enabled, sync_deployment

ROOT = Path(__file__).resolve().parents[2]


def _deployments() -> dict[str, dict[str, Any]]:
    """prefect.yaml's deployments by name."""
    listed = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    return {deployment["name"]: deployment for deployment in listed}


def test_the_deployment_runs_every_six_hours_utc_and_cannot_overlap() -> None:
    deployment = sync_deployment()
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 */6 * * *", "UTC")  # type: ignore[union-attr]
    assert deployment.concurrency_limit == 1
    assert deployment.concurrency_options is not None
    assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert deployment.parameters["stagger_seconds"] > 0, "sellers are staggered"


def test_prefect_yaml_says_the_same() -> None:
    deployment = _deployments()["clario-sync"]
    [schedule] = deployment["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == (CRON, "UTC")
    assert deployment["concurrency_limit"]["limit"] == 1
    assert deployment["entrypoint"] == "flows/sync_flow.py:sync"
    # several workers on a work pool share one rate limit per seller and operation
    assert deployment["parameters"]["shared_rate_limits"] is True
    # a work pool shares one warehouse: PostgreSQL, its DSN only in the workers' environment
    assert deployment["parameters"]["destination"] == "postgres"
    assert "postgres_dsn" not in deployment["parameters"]


def test_several_workers_run_shards_and_one_build_on_the_same_schedule() -> None:
    deployments = _deployments()
    single, shard, pool = (deployments[f"clario-sync{n}"] for n in ("", "-shard", "-pool"))
    # the pool's schedule is the single worker's, off until the operator swaps them
    [pool_schedule] = pool["schedules"]
    assert pool_schedule["cron"] == single["schedules"][0]["cron"]
    assert single["schedules"][0]["active"] is True and pool_schedule["active"] is False
    assert pool["concurrency_limit"]["limit"] == 1
    assert pool["entrypoint"] == "flows/pool_flow.py:sync_pool"
    assert pool["parameters"]["destination"] == "postgres"
    assert pool["parameters"]["shards"] >= 2
    # shards: the single deployment's flow and parameters, never scheduled, never limited to
    # one at a time, on their own queue (workers taking one run each)
    assert shard["entrypoint"] == single["entrypoint"]
    assert shard["parameters"] == single["parameters"]
    assert "schedules" not in shard and "concurrency_limit" not in shard
    assert shard["work_pool"]["work_queue_name"] != pool["work_pool"]["work_queue_name"]
    assert {d["work_pool"]["name"] for d in deployments.values()} == {"clario"}


def test_enable_background_sync_false_turns_the_schedule_off() -> None:
    assert background_sync_enabled({})
    assert not background_sync_enabled({"ENABLE_BACKGROUND_SYNC": "false"})
    clario = str(Path(sys.executable).with_name("clario"))
    result = subprocess.run(
        [clario, "serve"],
        env={**os.environ, "ENABLE_BACKGROUND_SYNC": "false"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert "disabled" in result.stdout


def test_a_worker_can_load_the_entrypoint() -> None:
    """A worker loads `flows/sync_flow.py` by path, with its folder on sys.path: no module
    there may shadow a package the flow imports (flows/dbt.py once shadowed dbt)."""
    entrypoints = sorted({d["entrypoint"] for d in _deployments().values()})
    script = (
        "from prefect.flows import load_flow_from_entrypoint\n"
        f"for entrypoint in {entrypoints!r}:\n"
        # no placeholder: Prefect would otherwise stand in a flow parsed from the source
        "    flow = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)\n"
        "    print(flow.name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["sync-pool", "sync"]
