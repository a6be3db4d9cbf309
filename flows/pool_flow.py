"""The Prefect flow `sync-pool`: one sync split into shard runs on a work pool's workers.

One process syncs its sellers 16 at a time, and a sync mostly waits on Amazon; a machine
still has only so many cores and so much bandwidth. With several workers, `sync-pool`
deals the sellers into `shards` (flows/shards.py) and starts one run of the
`clario-sync-shard` deployment per shard (the `sync` flow with `shard`, `shards` and the
run's list of sellers, which every shard deals the same way), all at once, so each shard
runs on whichever worker takes it. It waits for them, collects what each shard recorded
in `sync_runs` (a shard that failed before recording, a crash or a refused lock, gets a
failed row for each of its sellers, so its failure is not lost), and then runs the one
dbt build, as `sync` does, raising `SyncFailed` when anything failed.

PostgreSQL only: the shards write at once from different processes or machines. While its
shards run, this run shares the warehouse with them (no whole run in between); it holds it
alone for the build (flows/warehouse_lock.py).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.runtime import flow_run

from extract.pipeline import DestinationName
from extract.run import DataSetRun
from extract.spapi.config import load_sellers
from flows.audit import read_sync_runs, record_sync_runs
from flows.housekeeping import configure_dlt, prune_loaded_packages
from flows.shards import check_shard, deal
from flows.sync_flow import raise_if_failed
from flows.transform import DbtBuildFailed, run_dbt_build
from flows.warehouse_lock import WarehouseBusy, hold_warehouse, lock_wait_seconds

# The deployment of the `sync` flow each shard runs (prefect.yaml).
SHARD_DEPLOYMENT = "sync/clario-sync-shard"
POLL_SECONDS = 3.0
# The build waits this long at least for the warehouse: a shard whose worker vanished
# holds its lock until the server notices (TCP keepalives: about a minute).
BUILD_LOCK_WAIT_SECONDS = 120.0


def _shard_parameters(
    shard: int,
    shards: int,
    sellers: list[str],
    data_sets: list[str] | None,
    since: datetime | None,
    sellers_file: Path | None,
) -> dict[str, Any]:
    """What the pool run passes on; the shard deployment's parameters give the rest."""
    given = {
        "sellers": sellers,
        "data_sets": data_sets,
        "since": since.isoformat() if since else None,
        # the same file on every worker (relative to CLARIO_HOME), else each its default
        "sellers_file": str(sellers_file) if sellers_file else None,
    }
    return {"shard": shard, "shards": shards, **{k: v for k, v in given.items() if v is not None}}


def _start(shard: int, shards: int, parameters: dict[str, Any]) -> FlowRun:
    """A run of the shard deployment, a subflow of this run, scheduled now.

    The idempotency key makes a repeated request (the client retries a call a busy server
    was slow to answer) return the run it already created, never a second sync of the same
    sellers; a retry of this flow run (its run count) starts new shard runs.
    """
    run = run_deployment(
        SHARD_DEPLOYMENT,
        parameters=parameters,
        flow_run_name=f"shard {shard} of {shards}",
        idempotency_key=f"{flow_run.id}:{flow_run.run_count}:shard {shard} of {shards}",
        timeout=0,  # the shards start side by side; _wait_for waits, without a timeout
        as_subflow=True,
    )
    assert isinstance(run, FlowRun)  # called from a sync flow: not a coroutine
    return run


def _wait_for(runs: dict[int, FlowRun]) -> dict[int, FlowRun]:
    """Each shard's flow run once it ended, however long that takes (a shard waits for a
    worker as long as none is free)."""
    ended: dict[int, FlowRun] = {}
    with get_client(sync_client=True) as client:
        while len(ended) < len(runs):
            for shard, run in runs.items():
                if shard not in ended:
                    current = client.read_flow_run(run.id)
                    if current.state and current.state.is_final():
                        ended[shard] = current
            if len(ended) < len(runs):
                time.sleep(POLL_SECONDS)
    return ended


def _unrecorded(seller_ids: list[str], run: FlowRun, shard: int, shards: int) -> list[DataSetRun]:
    """A failed row (data set `all`) for each seller of a shard that recorded nothing."""
    state = run.state
    message = " ".join((state.message or "no message").split()) if state else ""
    how = f"{state.type.value.lower()}: {message}" if state else "without a state"
    rows = []
    for seller_id in seller_ids:
        row = DataSetRun(seller_id, "all")
        row.fail(f"shard {shard} of {shards} (flow run {run.name}) ended {how}"[:1000])
        row.finish()
        rows.append(row)
    return rows


@flow(name="sync-pool")
def sync_pool(
    shards: int = 2,
    destination: DestinationName = "postgres",
    data_dir: Path = Path("data"),
    sellers_file: Path | None = None,
    since: datetime | None = None,
    data_sets: list[str] | None = None,
    sellers: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Sync every configured seller as `shards` shard runs on the work pool, then build.

    `sellers`, `data_sets` and `since` narrow the run as they narrow `sync`'s; the shard
    deployment's own parameters (stagger, shared rate limits, data directory) give the rest.
    """
    logger = get_run_logger()
    check_shard(0, shards, destination)  # the shard count, and PostgreSQL, before any work
    configured = load_sellers(sellers_file)
    unknown = sorted(set(sellers or ()) - {s.seller_id for s in configured})
    if unknown:
        raise ValueError(f"seller(s) {', '.join(unknown)} are not in the sellers file")
    # every shard gets the whole list and deals it as this run does (flows/shards.py)
    listed = [s.seller_id for s in configured if not sellers or s.seller_id in sellers]
    members = {shard: part for shard, part in enumerate(deal(listed, shards)) if part}
    dsn = os.environ.get("CLARIO_PG_DSN", "")  # the lock below refuses to start without it
    configure_dlt()
    with hold_warehouse(destination, data_dir, pool=True) as hold:
        try:
            runs = {
                shard: _start(
                    shard,
                    shards,
                    _shard_parameters(shard, shards, listed, data_sets, since, sellers_file),
                )
                for shard in sorted(members)  # a shard without sellers has nothing to do
            }
            logger.info(
                "started %s shard run(s): %s",
                len(runs),
                ", ".join(f"{s}: {len(members[s])} seller(s)" for s in sorted(runs)),
            )
            summaries: list[dict[str, Any]] = []
            lost: list[dict[str, Any]] = []
            for shard, run in sorted(_wait_for(runs).items()):
                recorded = read_sync_runs(str(run.id), dsn)
                done = {row["seller_id"] for row in recorded}
                missing = [s for s in members[shard] if s not in done]
                logger.info(
                    "shard %s of %s ended %s: %s row(s)",
                    shard,
                    shards,
                    run.state.type.value if run.state else "?",
                    len(recorded),
                )
                summaries += recorded
                lost += [row.summary() for row in _unrecorded(missing, run, shard, shards)]
            summaries += lost
            for summary in summaries:
                logger.info("sync summary %s", json.dumps(summary, default=str))
            record_sync_runs(lost, destination, data_dir, dsn, str(flow_run.id))
            build_failure = ""
            try:
                hold.make_exclusive(max(BUILD_LOCK_WAIT_SECONDS, lock_wait_seconds()))
                run_dbt_build(destination, data_dir, dsn)
            except WarehouseBusy as busy:
                build_failure = f"dbt build not run: {busy}"
            except DbtBuildFailed as failure:
                build_failure = f"dbt build failed: {failure}"
        finally:
            prune_loaded_packages(data_dir)
    raise_if_failed(summaries, build_failure)
    return summaries
