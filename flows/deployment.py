"""The six-hourly deployment of the `sync` flow, for `clario serve` and prefect.yaml alike."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Schedule

from flows.sync_flow import sync

DEPLOYMENT_NAME = "clario-sync"
CRON = "0 */6 * * *"
TIMEZONE = "UTC"
# Seconds between sellers' starts, so they do not all call Amazon in the same second.
STAGGER_SECONDS = 30


def background_sync_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ENABLE_BACKGROUND_SYNC=false, as in the earlier system; on by default."""
    value = (environ if environ is not None else os.environ).get("ENABLE_BACKGROUND_SYNC", "true")
    return value.strip().lower() not in ("false", "0", "no", "off")


def sync_deployment(parameters: dict[str, Any] | None = None) -> RunnerDeployment:
    """Every six hours, UTC; a run that would overlap the previous one waits for it."""
    deployment = sync.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Schedule(cron=CRON, timezone=TIMEZONE),
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        parameters={"stagger_seconds": STAGGER_SECONDS, **(parameters or {})},
        description="Extract every seller from SP-API, then dbt build; every six hours.",
    )
    assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
    return deployment
