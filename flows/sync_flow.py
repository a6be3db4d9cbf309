"""The Prefect flow `sync`: extract every seller (a task each), then one dbt build.

Each seller is one task, `sync <seller id>`: one SP-API client, one LWA token and one dlt
pipeline serve its data sets, which run one after another inside it (a failing one does
not stop the next, and is tried again there; refused credentials fail the seller at
once). Sellers run in parallel, `seller_concurrency` at a time: the work waits on Amazon's
rate limits far more than it computes. The sellers file is parsed once per run. A summary
row per seller x data set is logged as JSON and appended to the warehouse table
`sync_runs`. `clario run` and `clario sync` both run it (the latter without the build);
`sellers` and `data_sets` narrow a run. The data sets' progress also goes to the sink the
CLI installs in this process (flows/progress.py), if any.

On a work pool, a run can be one shard of the sellers (`shard` of `shards`,
flows/shards.py): it syncs only its own, beside the other shards on other workers, and
does not build; the `sync-pool` flow (flows/pool_flow.py) starts the shards and builds
once they are all done.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import Flow, flow, get_run_logger, task
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from extract.failures import failure_text
from extract.layout import staging_dataset
from extract.pipeline import DestinationName, make_destination, sync_seller
from extract.run import DataSetRun
from extract.spapi.config import SellerConfig, load_sellers
from extract.spapi.endpoints import base_url
from extract.sync_settings import SyncSettings
from flows import progress
from flows.audit import record_sync_runs
from flows.rate_limits import prefect_pacer
from flows.shards import shard_sellers
from flows.status_file import record_data_set
from flows.transform import DbtBuildFailed, run_dbt_build
from flows.warehouse_lock import warehouse_locked, warehouse_writer

# Sellers synced at once. Each mostly waits on Amazon's rate limits (a thread each), and
# holds its dlt buffers in memory (tens of MB), so this bounds both the pace and the memory.
SELLER_CONCURRENCY_ENV = "CLARIO_SELLER_CONCURRENCY"
DEFAULT_SELLER_CONCURRENCY = 16


def seller_concurrency(environ: dict[str, str] | None = None) -> int:
    value = (environ if environ is not None else os.environ).get(SELLER_CONCURRENCY_ENV, "")
    try:
        return max(1, int(value)) if value.strip() else DEFAULT_SELLER_CONCURRENCY
    except ValueError:
        raise ValueError(
            f"{SELLER_CONCURRENCY_ENV}={value!r}: expected a whole number of sellers"
        ) from None


class SyncFailed(RuntimeError):
    """Some data sets (or the build) failed; `summaries` has every data set's row, failed
    ones included, and `build_failure` the build's one-line reason, if it failed."""

    def __init__(
        self, message: str, summaries: list[dict[str, Any]], build_failure: str = ""
    ) -> None:
        super().__init__(message)
        self.summaries = summaries
        self.build_failure = build_failure


class DataSetFailed(Exception):
    """A data set's extraction failed; the message is its (secret-free) error."""


# The run's sellers, parsed once by the flow and looked up by id in its tasks: a task's
# parameters are recorded by Prefect, so credentials never are one.
_SELLERS: dict[str, SellerConfig] = {}


def _seller(seller_id: str, sellers_file: Path | None) -> SellerConfig:
    if seller_id not in _SELLERS:  # a task run in another process than its flow
        _SELLERS.update({s.seller_id: s for s in load_sellers(sellers_file)})
    try:
        return _SELLERS[seller_id]
    except KeyError:
        raise KeyError(f"seller {seller_id} is not configured") from None


def _postgres_dsn() -> str | None:
    """The process's CLARIO_PG_DSN.

    A DSN holds a password, and Prefect records and shows flow and task parameters: the
    CLI and workers put it in the environment, and it is read here, never a parameter.
    """
    return os.environ.get("CLARIO_PG_DSN") or None


@task(name="sync seller", task_run_name="sync {seller_id}")
def sync_one_seller(
    seller_id: str,
    destination: DestinationName,
    data_dir: Path,
    sellers_file: Path | None = None,
    settings: SyncSettings | None = None,
    data_sets: list[str] | None = None,
    client_options: dict[str, Any] | None = None,
    delay_seconds: float = 0,
    shared_rate_limits: bool = False,
    retries: int = 2,
    retry_backoff_seconds: float = 10,
    staging_dataset: str | None = None,
) -> list[dict[str, Any]]:
    """Extract and load a seller's data sets; a summary per data set, failed ones included.

    Takes the seller's id, not its configuration, so no credential is ever a task
    parameter. Retries happen per data set inside (never after refused credentials), so a
    retry does not repeat the data sets that loaded.
    """
    logger = get_run_logger()
    if delay_seconds:
        time.sleep(delay_seconds)
    seller = _seller(seller_id, sellers_file)
    postgres_dsn = _postgres_dsn()
    options = dict(client_options or {})
    if shared_rate_limits:
        options["pacer"] = prefect_pacer(base_url(seller), seller.seller_id, seller.sandbox)

    def finished(run: DataSetRun) -> None:
        summary = run.summary()
        logger.info("%s %s: %s", seller_id, run.data_set, json.dumps(summary))
        # `clario status` reads this while the run holds the warehouse
        record_data_set(data_dir, summary, str(flow_run.id))
        progress.data_set_finished(run)  # the CLI's display, when it runs this flow

    runs = sync_seller(
        seller,
        make_destination(destination, data_dir, postgres_dsn, staging_dataset),
        data_dir,
        # one load at a time; on DuckDB each waits until no reader holds the file
        warehouse_writer(destination, data_dir, staging_dataset),
        settings=settings,
        data_sets=data_sets,
        client_options=options,
        on_progress=finished,
        on_start=progress.data_set_started,
        retries=retries,
        retry_backoff_seconds=retry_backoff_seconds,
    )
    return [run.summary() for run in runs]


def _seller_failed(
    seller_id: str, error: BaseException, data_sets: list[str] | None
) -> dict[str, Any]:
    """The row of a seller that failed before its data sets could run (data set `all`)."""
    run = DataSetRun(seller_id, "all")
    run.fail(failure_text(error, seller_id, data_sets))
    run.finish()
    progress.data_set_finished(run)
    return run.summary()


# Prefect's stubs type the runner generically; ThreadPoolTaskRunner is what they mean.
@flow(
    name="sync",
    task_runner=ThreadPoolTaskRunner(max_workers=seller_concurrency()),  # type: ignore[arg-type]
)
@warehouse_locked  # one run at a time per warehouse, for the whole run
def sync(
    destination: DestinationName = "duckdb",
    data_dir: Path = Path("data"),
    sellers_file: Path | None = None,
    since: datetime | None = None,
    data_sets: list[str] | None = None,
    sellers: list[str] | None = None,
    stagger_seconds: float = 0,
    settings: SyncSettings | None = None,
    client_options: dict[str, Any] | None = None,
    build: bool = True,
    retries: int = 2,
    retry_backoff_seconds: float = 10,
    shared_rate_limits: bool = False,
    shard: int | None = None,
    shards: int = 1,
) -> list[dict[str, Any]]:
    """Sync every configured seller now, then build and test the marts.

    `sellers` and `data_sets` narrow the run to some seller ids and data sets (default: all
    of them).

    `shard` of `shards` narrows it to one shard of those sellers (PostgreSQL only when
    `shards` > 1), and then it does not build: the `sync-pool` flow builds once, after
    every shard.

    `shared_rate_limits` paces SP-API calls with Prefect global rate limits, one per seller
    and operation, so workers in different processes share Amazon's buckets (work pools
    with several workers; flows/rate_limits.py). One process needs no such thing.
    """
    logger = get_run_logger()
    configured = load_sellers(sellers_file)  # once per run; tasks look sellers up by id
    _SELLERS.update({seller.seller_id: seller for seller in configured})
    unknown = sorted(set(sellers or ()) - set(_SELLERS))
    if unknown:
        raise ValueError(f"seller(s) {', '.join(unknown)} are not in the sellers file")
    listed = [s.seller_id for s in configured if not sellers or s.seller_id in sellers]
    mine = set(shard_sellers(listed, shard, shards))
    chosen = [s for s in configured if s.seller_id in mine]
    if shard is not None:
        logger.info("shard %s of %s: %s seller(s)", shard, shards, len(chosen))
    settings = settings or SyncSettings(since=since)
    # a shard's merges go through a staging dataset of its own: the other shards' loads
    # do not wait for its loads (extract/pipeline.py's WarehouseWriter)
    staging = staging_dataset(shard) if shard is not None and shards > 1 else None
    # the first wave starts staggered, so sellers do not all call Amazon in the same second
    wave = seller_concurrency()
    futures: list[tuple[str, PrefectFuture[list[dict[str, Any]]]]] = []
    progress.phase(f"syncing {len(chosen)} seller(s)")
    for index, seller in enumerate(chosen):
        future = sync_one_seller.submit(
            seller_id=seller.seller_id,
            destination=destination,
            data_dir=data_dir,
            sellers_file=sellers_file,
            settings=settings,
            data_sets=data_sets,
            client_options=client_options,
            shared_rate_limits=shared_rate_limits,
            delay_seconds=float(index * stagger_seconds if index < wave else 0),
            retries=retries,
            retry_backoff_seconds=retry_backoff_seconds,
            staging_dataset=staging,
        )
        futures.append((seller.seller_id, future))
    summaries: list[dict[str, Any]] = []
    for seller_id, future in futures:
        result = future.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            summaries.append(_seller_failed(seller_id, result, data_sets))
        else:
            summaries.extend(result)
    for summary in summaries:
        logger.info("sync summary %s", json.dumps(summary))
    dsn = _postgres_dsn()
    record_sync_runs(summaries, destination, data_dir, dsn, str(flow_run.id))
    build_failure = ""
    if build and shard is None:  # a shard's sellers are only part of the warehouse
        progress.phase("building the marts (dbt build)")
        try:
            run_dbt_build(destination, data_dir, dsn)
        except DbtBuildFailed as failure:  # the summary table still prints, with the reason
            build_failure = f"dbt build failed: {failure}"
    raise_if_failed(summaries, build_failure)
    return summaries


def raise_if_failed(summaries: list[dict[str, Any]], build_failure: str) -> None:
    """SyncFailed, naming each failed data set and the build's failure, if any failed."""
    failed = [s for s in summaries if s["status"] == "failed"]
    if failed or build_failure:
        names = ", ".join(f"{s['seller_id']}/{s['data_set']}: {s['error']}" for s in failed)
        reasons = [f"{len(failed)} data set(s) failed: {names}"] if failed else []
        raise SyncFailed(
            "; ".join([*reasons, *filter(None, [build_failure])]), summaries, build_failure
        )


def with_seller_concurrency(concurrency: int) -> Flow[..., list[dict[str, Any]]]:
    """The `sync` flow syncing `concurrency` sellers at a time (`clario run --concurrency`)."""
    runner: ThreadPoolTaskRunner[Any] = ThreadPoolTaskRunner(max_workers=max(1, concurrency))
    return sync.with_options(task_runner=runner)  # type: ignore[arg-type]
