"""The Prefect flow `sync`: extract every seller (each data set a task), then one dbt build.

Sellers run in parallel up to `max_concurrency`, staggered so they do not all call Amazon
in the same second; a seller's data sets run one after another (they share the seller's
dlt pipeline) and a failing one does not stop the next. A summary row per seller x data
set is logged as JSON and appended to the warehouse table `sync_runs`.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import allow_failure, flow, get_run_logger, task
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from extract.pipeline import DestinationName, make_destination, sync_seller  # flows-ops
from extract.run import DATA_SETS, DataSetRun
from extract.spapi.config import SellerConfig, load_sellers
from extract.spapi.endpoints import base_url
from extract.sync_settings import SyncSettings
from flows.audit import record_sync_runs
from flows.rate_limits import prefect_pacer
from flows.status_file import record_data_set  # flows-ops: clario status during a run
from flows.transform import DbtBuildFailed, run_dbt_build
from flows.warehouse_lock import duckdb_writer, warehouse_locked  # flows-ops


class SyncFailed(RuntimeError):
    """Some data sets failed; `summaries` has every data set's row, failed ones included."""

    def __init__(self, message: str, summaries: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.summaries = summaries


class DataSetFailed(Exception):
    """A data set's extraction failed; the message is its (secret-free) error."""


def _seller(seller_id: str, sellers_file: Path | None) -> SellerConfig:
    for seller in load_sellers(sellers_file):
        if seller.seller_id == seller_id:
            return seller
    raise KeyError(f"seller {seller_id} is not configured")


def _postgres_dsn(given: str | None) -> str | None:
    """The DSN given, else the process's CLARIO_PG_DSN.

    A DSN holds a password, and Prefect records and shows flow and task parameters: workers
    take it from their environment, and it is resolved here, never passed on as a parameter.
    """
    return given or os.environ.get("CLARIO_PG_DSN")


@task(
    name="extract",
    task_run_name="extract {seller_id} {data_set}",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
)
def extract_data_set(
    seller_id: str,
    data_set: str,
    destination: DestinationName,
    data_dir: Path,
    sellers_file: Path | None = None,
    postgres_dsn: str | None = None,
    settings: SyncSettings | None = None,
    client_options: dict[str, Any] | None = None,
    delay_seconds: float = 0,
    shared_rate_limits: bool = False,
) -> dict[str, Any]:
    """Extract and load one data set of one seller; raises so Prefect retries a failure.

    Takes the seller's id, not its configuration, so no credential is ever a task
    parameter (Prefect records parameters).
    """
    if delay_seconds:
        time.sleep(delay_seconds)
    seller = _seller(seller_id, sellers_file)
    postgres_dsn = _postgres_dsn(postgres_dsn)
    options = dict(client_options or {})
    if shared_rate_limits:
        options["pacer"] = prefect_pacer(base_url(seller), seller.seller_id, seller.sandbox)
    [run] = sync_seller(
        seller,
        make_destination(destination, data_dir, postgres_dsn),
        data_dir,
        settings=settings,
        data_sets=[data_set],
        load_lock=duckdb_writer(destination, data_dir),  # type: ignore[arg-type]  # flows-ops: waits for DuckDB's file
        client_options=options,
    )
    summary = run.summary()
    get_run_logger().info(json.dumps(summary))
    record_data_set(data_dir, summary, str(flow_run.id))  # flows-ops: clario status during a run
    if run.status == "failed":
        raise DataSetFailed(summary["error"])
    return summary


def _failed_summary(seller_id: str, data_set: str, error: BaseException) -> dict[str, Any]:
    run = DataSetRun(seller_id, data_set)
    run.fail(f"{type(error).__name__}: {error}")
    run.finish()
    return run.summary()


# Prefect's stubs type the runner generically; ThreadPoolTaskRunner is what they mean.
@flow(name="sync", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
@warehouse_locked  # flows-ops: one run at a time per warehouse, for the whole run
def sync(
    destination: DestinationName = "duckdb",
    data_dir: Path = Path("data"),
    sellers_file: Path | None = None,
    since: datetime | None = None,
    data_sets: list[str] | None = None,
    stagger_seconds: float = 0,
    settings: SyncSettings | None = None,
    client_options: dict[str, Any] | None = None,
    build: bool = True,
    retries: int = 3,
    retry_backoff_seconds: float = 10,
    shared_rate_limits: bool = False,
) -> list[dict[str, Any]]:
    """Sync every configured seller now, then build and test the marts.

    `shared_rate_limits` paces SP-API calls with Prefect global rate limits, one per seller
    and operation, so workers in different processes share Amazon's buckets (work pools
    with several workers; flows/rate_limits.py). One process needs no such thing.
    """
    logger = get_run_logger()
    sellers = load_sellers(sellers_file)
    settings = settings or SyncSettings(since=since)
    extract = extract_data_set.with_options(
        retries=retries,
        retry_delay_seconds=exponential_backoff(backoff_factor=retry_backoff_seconds),
    )
    futures: list[tuple[str, str, PrefectFuture[dict[str, Any]]]] = []
    for index, seller in enumerate(sellers):
        previous: PrefectFuture[dict[str, Any]] | None = None
        for data_set in data_sets or list(DATA_SETS):
            future = extract.submit(  # type: ignore[call-overload]  # prefect stubs
                seller_id=seller.seller_id,
                data_set=data_set,
                destination=destination,
                data_dir=data_dir,
                sellers_file=sellers_file,
                settings=settings,
                client_options=client_options,
                shared_rate_limits=shared_rate_limits,
                delay_seconds=float(index * stagger_seconds if previous is None else 0),
                # the previous data set must finish, but its failure must not stop this one
                wait_for=[allow_failure(previous)] if previous is not None else [],
            )
            futures.append((seller.seller_id, data_set, future))
            previous = future
    summaries = []
    for seller_id, data_set, future in futures:
        result = future.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            summaries.append(_failed_summary(seller_id, data_set, result))
        else:
            summaries.append(result)
    for summary in summaries:
        logger.info("sync summary %s", json.dumps(summary))
    dsn = _postgres_dsn(None)
    record_sync_runs(summaries, destination, data_dir, dsn, str(flow_run.id))
    build_failure = ""
    if build:
        try:
            run_dbt_build(destination, data_dir, dsn)
        except DbtBuildFailed as failure:  # flows-ops: the summary table still prints
            build_failure = f"dbt build failed: {failure}"
    failed = [s for s in summaries if s["status"] == "failed"]
    if failed or build_failure:
        names = ", ".join(f"{s['seller_id']}/{s['data_set']}: {s['error']}" for s in failed)
        reasons = [f"{len(failed)} data set(s) failed: {names}"] if failed else []
        raise SyncFailed("; ".join([*reasons, *filter(None, [build_failure])]), summaries)
    return summaries
