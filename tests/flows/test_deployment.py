"""The schedule: every six hours UTC, never overlapping itself, and switchable off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from flows.deployment import CRON, background_sync_enabled, sync_deployment

ROOT = Path(__file__).resolve().parents[2]


def test_the_deployment_runs_every_six_hours_utc_and_cannot_overlap() -> None:
    deployment = sync_deployment()
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 */6 * * *", "UTC")  # type: ignore[union-attr]
    assert deployment.concurrency_limit == 1
    assert deployment.concurrency_options is not None
    assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert deployment.parameters["stagger_seconds"] > 0, "sellers are staggered"


def test_prefect_yaml_says_the_same() -> None:
    [deployment] = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    [schedule] = deployment["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == (CRON, "UTC")
    assert deployment["concurrency_limit"]["limit"] == 1
    assert deployment["entrypoint"] == "flows/sync_flow.py:sync"
    # several workers on a work pool share one rate limit per seller and operation
    assert deployment["parameters"]["shared_rate_limits"] is True
    # a work pool shares one warehouse: PostgreSQL, its DSN only in the workers' environment
    assert deployment["parameters"]["destination"] == "postgres"
    assert "postgres_dsn" not in deployment["parameters"]


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
    [deployment] = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    script = (
        "from prefect.flows import load_flow_from_entrypoint\n"
        # no placeholder: Prefect would otherwise stand in a flow parsed from the source
        f"flow = load_flow_from_entrypoint({deployment['entrypoint']!r},"
        " use_placeholder_flow=False)\n"
        "print(flow.name)\n"
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
    assert result.stdout.strip().endswith("sync")
