"""The six-hourly deployment of the `sync` flow, for `clario serve` and prefect.yaml alike.

`clario serve` registers it under its own name (`clario-serve`), so it never changes the
`clario-sync` deployment that `prefect deploy` registers from prefect.yaml.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Schedule

from flows.sync_flow import sync

DEPLOYMENT_NAME = "clario-sync"
SERVE_DEPLOYMENT_NAME = "clario-serve"
CRON = "0 */6 * * *"
TIMEZONE = "UTC"
# Seconds between sellers' starts, so they do not all call Amazon in the same second.
STAGGER_SECONDS = 30


def background_sync_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ENABLE_BACKGROUND_SYNC=false, as in the earlier system; on by default."""
    value = (environ if environ is not None else os.environ).get("ENABLE_BACKGROUND_SYNC", "true")
    return value.strip().lower() not in ("false", "0", "no", "off")


def sync_deployment(
    parameters: dict[str, Any] | None = None, name: str = DEPLOYMENT_NAME, cron: str = CRON
) -> RunnerDeployment:
    """Every six hours, UTC; a run that would overlap the previous one waits for it."""
    deployment = sync.to_deployment(
        name=name,
        schedule=Schedule(cron=cron, timezone=TIMEZONE),
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        parameters={"stagger_seconds": STAGGER_SECONDS, **(parameters or {})},
        description="Extract every seller from SP-API, then dbt build; every six hours.",
    )
    assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
    return deployment
