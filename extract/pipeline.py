"""Run the extraction: one dlt pipeline and raw dataset per seller, sellers in parallel.

Each data set is loaded by its own `pipeline.run`, so one that fails leaves the others
loaded and its own cursor where it was. DuckDB takes one writer at a time, so loads into
it are serialized with a lock while extraction stays parallel.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import dlt

# dlt imports pyarrow lazily, in whichever thread first needs it. Sellers sync in parallel
# threads, and a thread that reached pyarrow while another was still importing it failed
# with "partially initialized module 'pyarrow' has no attribute 'Table'" (seen once in five
# runs of the killed-sync test). Importing it here, before any thread starts, ends the race.
import pyarrow  # noqa: F401
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from extract.amazon import SellerContext, amazon_seller
from extract.nested_load_ids import backfill_root_load_ids
from extract.raw_indexes import index_raw_tables
from extract.run import DATA_SETS, DataSetRun
from extract.spapi.auth import SellerAuthError
from extract.spapi.client import SpApiClient
from extract.spapi.config import SellerConfig
from extract.sync_settings import SyncSettings

log = logging.getLogger("clario.extract")

DestinationName = Literal["duckdb", "postgres"]
IGNORED_TABLES = {"rejected_rows", "_dlt_pipeline_state"}


def dataset_name(seller: SellerConfig) -> str:
    """`raw_spapi_<seller>`: the issue's `raw_spapi__<seller>` as dlt would fold it anyway."""
    return f"raw_spapi_{seller.seller_id.lower()}"


def pipeline_name(seller: SellerConfig) -> str:
    return f"clario_{seller.seller_id.lower()}"


def make_destination(
    kind: DestinationName, data_dir: Path, postgres_dsn: str | None = None
) -> Destination:
    """The embedded DuckDB file under `data_dir`, or PostgreSQL at `postgres_dsn`."""
    if kind == "duckdb":
        data_dir.mkdir(parents=True, exist_ok=True)
        # Parquet, not dlt's default for DuckDB (insert_values): DuckDB parses an INSERT
        # file whole, which held 8.4 GiB to load 100,000 orders and 13.3 GiB for 500,000
        # financial events (bench/extract_load.py). JSONL would stream too, but DuckDB's
        # read_json infers columns from a sample and fails on a key it first meets later
        # (dlt warns of it; it happened at 100,000 orders). Parquet files carry the schema.
        # DuckDB's buffer pool otherwise grows with the data loaded (80 % of RAM by default):
        # a 587,000-row report's sync peaked at 1,305 MiB, 743 MiB with this limit, and the
        # load did not slow down (bench/report_streaming.py). DuckDB spills past it.
        credentials = DuckDbCredentials(
            str(data_dir / "clario.duckdb"),
            global_config={
                "memory_limit": os.environ.get("CLARIO_DUCKDB_LOAD_MEMORY_LIMIT", "512MB")
            },
        )
        return dlt.destinations.duckdb(credentials, preferred_loader_file_format="parquet")
    if not postgres_dsn:
        raise ValueError(
            "postgres needs a DSN (CLARIO_PG_DSN), e.g. postgresql://user@127.0.0.1:5432/db"
        )
    return dlt.destinations.postgres(credentials=with_empty_password(postgres_dsn))


def with_empty_password(dsn: str) -> str:
    """dlt insists on a password; servers on trust auth (or .pgpass) have none to give."""
    parts = urlsplit(dsn)
    if parts.username and parts.password is None:
        host = parts.netloc.split("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username}:@{host}")
    return urlunsplit(parts)


_LOAD_LOCKS: dict[str, threading.Lock] = {}
_LOAD_LOCKS_GUARD = threading.Lock()


def load_lock(kind: DestinationName, data_dir: Path) -> threading.Lock | None:
    """The process-wide lock serializing loads into one DuckDB file (None for Postgres)."""
    if kind != "duckdb":
        return None
    key = str((data_dir / "clario.duckdb").resolve())
    with _LOAD_LOCKS_GUARD:
        return _LOAD_LOCKS.setdefault(key, threading.Lock())


def seller_pipeline(seller: SellerConfig, destination: Destination, data_dir: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=pipeline_name(seller),
        destination=destination,
        dataset_name=dataset_name(seller),
        pipelines_dir=str(data_dir / "pipelines"),
    )


def sync_seller(
    seller: SellerConfig,
    destination: Destination,
    data_dir: Path,
    *,
    since: datetime | None = None,
    settings: SyncSettings | None = None,
    data_sets: Sequence[str] | None = None,
    load_lock: threading.Lock | None = None,
    client_options: Mapping[str, Any] | None = None,
    on_progress: Callable[[DataSetRun], None] | None = None,
) -> list[DataSetRun]:
    """Sync one seller's data sets in turn; returns a run record per data set."""
    wanted = list(data_sets or DATA_SETS)
    unknown = [d for d in wanted if d not in DATA_SETS]
    if unknown:
        raise ValueError(
            f"unknown data set(s) {', '.join(unknown)}; expected some of {', '.join(DATA_SETS)}"
        )
    runs = {name: DataSetRun(seller.seller_id, name) for name in wanted}
    client = SpApiClient(seller, **(client_options or {}))
    try:
        now = client.server_now()
    except SellerAuthError as error:
        for run in runs.values():
            run.fail(str(error))
            run.finish()
        return list(runs.values())
    settings = (settings or SyncSettings(since=since)).resolved(now)
    ctx = SellerContext(seller, client, settings, now)
    pipeline = seller_pipeline(seller, destination, data_dir)
    # DuckDB takes one writer at a time: whatever writes to it holds the lock
    writing = load_lock or nullcontext()
    # before any load: nested tables from before dlt propagated the root's load id get it
    with writing:
        backfill_root_load_ids(pipeline)
    auth_failure: str | None = None
    for name in wanted:
        run = runs[name]
        run.started_at = datetime.now(UTC)
        if auth_failure:
            run.fail(auth_failure)
            run.finish()
            continue
        source = amazon_seller(
            ctx, lambda data_set: runs.setdefault(data_set, DataSetRun(seller.seller_id, data_set))
        )
        try:
            pipeline.extract(source.with_resources(*DATA_SETS[name]))
            pipeline.normalize()
            with writing:
                pipeline.load()
            trace = pipeline.last_trace
            normalized = trace.last_normalize_info if trace else None
            counts = normalized.row_counts if normalized else {}
            # top-level tables only: an order and its nested items count as one row
            run.rows_loaded = sum(
                count
                for table, count in counts.items()
                if "__" not in table and table not in IGNORED_TABLES
            )
        except PipelineStepFailed as failure:
            cause = failure.__cause__ or failure
            if isinstance(cause, SellerAuthError):
                auth_failure = str(cause)
            run.fail(f"{type(cause).__name__}: {cause}")
            log.warning("seller %s, %s failed: %s", seller.seller_id, name, cause)
        run.finish()
        if on_progress:
            on_progress(run)
    # once per seller, after all its data sets: the tables the loads created or filled
    index_raw_tables(pipeline)
    return [runs[name] for name in wanted]


def sync_sellers(
    sellers: Iterable[SellerConfig],
    destination_kind: DestinationName,
    data_dir: Path,
    *,
    postgres_dsn: str | None = None,
    since: datetime | None = None,
    settings: SyncSettings | None = None,
    data_sets: Sequence[str] | None = None,
    max_workers: int = 4,
    client_options: Mapping[str, Any] | None = None,
    on_progress: Callable[[DataSetRun], None] | None = None,
) -> list[DataSetRun]:
    """Sync every seller in parallel (bounded); one seller's failure never stops another."""
    sellers = list(sellers)
    destination = make_destination(destination_kind, data_dir, postgres_dsn)
    lock = load_lock(destination_kind, data_dir)

    def one(seller: SellerConfig) -> list[DataSetRun]:
        try:
            return sync_seller(
                seller,
                destination,
                data_dir,
                since=since,
                settings=settings,
                data_sets=data_sets,
                load_lock=lock,
                client_options=client_options,
                on_progress=on_progress,
            )
        except Exception as error:  # isolate sellers from each other
            log.exception("seller %s failed", seller.seller_id)
            run = DataSetRun(seller.seller_id, "all")
            run.fail(f"{type(error).__name__}: {error}")
            run.finish()
            return [run]

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(sellers)))) as pool:
        results = list(pool.map(one, sellers))
    return [run for runs in results for run in runs]
