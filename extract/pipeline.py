"""Run the extraction: one dlt pipeline per seller, every seller into one raw dataset.

Each seller is opened once per run: one SP-API client (one LWA token), one dlt pipeline
(its own state), and its data sets synced in turn. Each data set is loaded by its own
`pipeline.load`, so one that fails leaves the others loaded and its own cursor where it
was. Sellers run in parallel threads; loads into the warehouse are serialized
(`WarehouseWriter`): DuckDB takes one writer at a time, and on PostgreSQL dlt's merge goes
through one staging dataset shared by every seller's pipeline. Shard runs on other workers
each have a staging dataset of their own: their loads overlap, except those that change
the tables (see WarehouseWriter).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
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
from dlt.common.storages.load_package import LoadPackageInfo, PackageStorage
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from extract.amazon import SellerContext, amazon_seller
from extract.amazon.prefetch import FinancesReadAhead
from extract.destinations import DuckDb, Postgres, load_memory_limit
from extract.failures import failure_text
from extract.layout import advisory_key, pipeline_name, raw_dataset
from extract.raw_indexes import index_raw_tables
from extract.run import DATA_SETS, DataSetRun
from extract.seller_registry import register_seller
from extract.spapi.auth import SellerAuthError
from extract.spapi.client import SpApiClient, SpApiError
from extract.spapi.config import SellerConfig
from extract.sync_settings import SyncSettings

log = logging.getLogger("clario.extract")

DestinationName = Literal["duckdb", "postgres"]
IGNORED_TABLES = {"rejected_rows", "_dlt_pipeline_state"}
# SP-API answers that no retry can change: the seller must be re-authorized first.
PERMANENT_STATUSES = {401, 403}
# A year in 30-day report slices is 13 loads; ten years of daily slices would be 3,650.
MAX_LOADS_PER_DATA_SET = 5000


def make_destination(
    kind: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None = None,
    staging_dataset: str | None = None,
) -> Destination:
    """The embedded DuckDB file under `data_dir`, or PostgreSQL at `postgres_dsn` (merging
    through `staging_dataset`, default dlt's `<dataset>_staging`)."""
    if kind == "duckdb":
        data_dir.mkdir(parents=True, exist_ok=True)
        # Parquet, not dlt's default for DuckDB (insert_values): DuckDB parses an INSERT
        # file whole, which held 8.4 GiB to load 100,000 orders and 13.3 GiB for 500,000
        # financial events (bench/extract_load.py). JSONL would stream too, but DuckDB's
        # read_json infers columns from a sample and fails on a key it first meets later
        # (dlt warns of it; it happened at 100,000 orders). Parquet files carry the schema.
        # DuckDB's buffer pool is bounded (extract/destinations.py says why and by what).
        credentials = DuckDbCredentials(
            str(data_dir / "clario.duckdb"), global_config={"memory_limit": load_memory_limit()}
        )
        return DuckDb(credentials, preferred_loader_file_format="parquet")
    if not postgres_dsn:
        raise ValueError(
            "postgres needs a DSN (CLARIO_PG_DSN), e.g. postgresql://user@127.0.0.1:5432/db"
        )
    dsn = with_empty_password(postgres_dsn)
    if staging_dataset:  # a name without `%s`: dlt takes it as it is
        return Postgres(credentials=dsn, staging_dataset_name_layout=staging_dataset)
    return Postgres(credentials=dsn)


def with_empty_password(dsn: str) -> str:
    """dlt insists on a password; servers on trust auth (or .pgpass) have none to give."""
    parts = urlsplit(dsn)
    if parts.username and parts.password is None:
        host = parts.netloc.split("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username}:@{host}")
    return urlunsplit(parts)


_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(key: str) -> threading.Lock:
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(key, threading.Lock())


class WarehouseWriter:
    """Serializes whatever writes to the warehouse: one load at a time per staging dataset.

    DuckDB: a lock of this process (the file takes one writer; other processes are kept out
    by the run lock), and the database held open for the write (`_duckdb_held_open`); it is
    closed between writes, so a reader may open it then. PostgreSQL: also session advisory
    locks, so loads from other processes (workers of a work pool) wait too; the server
    releases them if the holder dies. There, a load whose schema the warehouse already has
    (`schema_hash` found in `_dlt_version`: dlt will change no table) shares the `load` lock
    and holds its staging dataset's alone, so shard runs with staging datasets of their own
    load side by side (their sellers, so their rows, are disjoint). A load that may create
    or alter tables, and any other write, holds the `load` lock alone: of two processes
    creating one table, one fails.
    """

    def __init__(
        self,
        kind: DestinationName,
        data_dir: Path,
        postgres_dsn: str | None,
        before_write: Callable[[], None] | None = None,
        staging_dataset: str | None = None,
    ) -> None:
        self.kind = kind
        self.postgres_dsn = postgres_dsn
        # run once the lock is held, before each write (the flow waits there until no
        # other process holds DuckDB's file; see _duckdb_held_open for when)
        self.before_write = before_write
        self.dataset = raw_dataset()
        self.database = data_dir / "clario.duckdb"
        self.staging_dataset = staging_dataset or f"{self.dataset}_staging"
        where = (
            str(self.database.resolve()) if kind == "duckdb" else f"postgres:{self.staging_dataset}"
        )
        self._lock = _process_lock(f"{where}:{self.dataset}")

    @contextmanager
    def __call__(self, schema_hash: str | None = None) -> Iterator[None]:
        """Hold the warehouse for one write; `schema_hash`: the schema a dlt load brings."""
        with self._lock:
            if self.kind == "duckdb":
                with _duckdb_held_open(self.database, self.before_write):
                    yield
                return
            if self.before_write:
                self.before_write()
            if not self.postgres_dsn:
                yield
                return
            import psycopg2

            connection = psycopg2.connect(self.postgres_dsn)
            try:
                connection.autocommit = True
                with connection.cursor() as cursor:
                    if schema_hash and self._stored(cursor, schema_hash):
                        cursor.execute(
                            "select pg_advisory_lock_shared(%s)", (advisory_key("load"),)
                        )
                        cursor.execute(
                            "select pg_advisory_lock(%s)",
                            (advisory_key(f"load:{self.staging_dataset}"),),
                        )
                    else:
                        cursor.execute("select pg_advisory_lock(%s)", (advisory_key("load"),))
                yield
            finally:
                connection.close()  # ends the session, and the advisory locks with it

    def _stored(self, cursor: Any, schema_hash: str) -> bool:
        """Whether the raw dataset has this schema version: dlt then runs no DDL on it."""
        table = f'"{self.dataset}"._dlt_version'  # a checked schema name (extract/layout.py)
        cursor.execute("select to_regclass(%s) is not null", (table,))
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute(
            f"select exists(select 1 from {table} where version_hash = %s)", (schema_hash,)
        )
        row = cursor.fetchone()
        return bool(row and row[0])


@contextmanager
def _duckdb_held_open(
    database: Path, before_write: Callable[[], None] | None = None
) -> Iterator[None]:
    """Keep DuckDB's database open for the whole of one write.

    dlt opens and closes the file twice in one load (to update the schema, then to load and
    complete the package), and each open read the catalog and each close checkpointed:
    21 opens per small seller, 15 % of its sync's time. DuckDB shares an open database
    between the connections of a process (whatever the path's spelling), so while this
    connection is open dlt's cost nothing; the file is opened and checkpointed once.
    dlt connects with DuckDB's default configuration, as this does: a different one would
    be refused for an open database.

    `before_write` (the flow's wait for other processes to let go of the file) runs once
    the file is open, and then costs nothing either: it opens it too. Only when another
    process holds the file, which refuses this connection, does it run first, and wait.
    """
    import duckdb

    try:
        connection = duckdb.connect(str(database))
    except duckdb.IOException:
        if before_write is None:
            raise
        before_write()  # waits until the other process lets go, or names it
        connection = duckdb.connect(str(database))
        before_write = None
    try:
        if before_write is not None:
            before_write()
        yield
    finally:
        connection.close()  # the write's last connection: DuckDB checkpoints, frees the file


def seller_pipeline(seller: SellerConfig, destination: Destination, data_dir: Path) -> dlt.Pipeline:
    """The seller's own pipeline (its state), loading into the shared raw dataset."""
    return dlt.pipeline(
        pipeline_name=pipeline_name(seller.seller_id),
        destination=destination,
        dataset_name=raw_dataset(),
        pipelines_dir=str(data_dir / "pipelines"),
    )


def is_permanent(error: BaseException | None) -> bool:
    """Failures no retry can fix: LWA refused the credentials, SP-API refused the seller.

    dlt wraps a resource's exception (in its extraction error, then in the step's), so the
    whole chain of causes is looked at.
    """
    while error is not None:
        if isinstance(error, SellerAuthError) or (
            isinstance(error, SpApiError) and error.status in PERMANENT_STATUSES
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def drop_normalized_leftovers(pipeline: dlt.Pipeline) -> list[str]:
    """Finish what a kill cut in dlt's normalize commit; returns the load ids cleaned.

    dlt commits a normalized package by moving it to the load storage, then deleting the
    extracted package it came from ("do not kill this process", its log says). A kill in
    between leaves both, and every later normalize of the seller failed on the move
    ("Directory not empty") until someone deleted the leftover by hand. The move is atomic,
    so the normalized (or loaded) package is whole: the extracted copy is what dlt was
    about to delete. dlt has no public call for one package, hence its storage here.
    """
    committed = {
        *pipeline.list_normalized_load_packages(),
        *pipeline.list_completed_load_packages(),
    }
    leftovers = [i for i in pipeline.list_extracted_load_packages() if i in committed]
    extracted = pipeline._get_normalize_storage().extracted_packages
    for load_id in leftovers:
        log.warning(
            "%s: removing package %s, normalized before a kill", pipeline.pipeline_name, load_id
        )
        extracted.delete_package(load_id)
    return leftovers


def abort_partly_loaded(pipeline: dlt.Pipeline) -> str | None:
    """Undo a load a killed run left half done; returns its load id, if there was one.

    A load package that stopped between jobs (the process killed, the machine gone) cannot
    be finished safely. dlt runs again a job whose rows the warehouse committed just before
    the kill (its "done" marker was not yet written), so they reach the staging table twice;
    dlt's merge keeps one copy of a nested row but inserts its root row twice (seen: orders
    of a whole slice twice after `kill -9`). And the staging dataset is shared by every
    seller: another seller's load in between empties the staging tables the package's
    remaining merge jobs read. So the package is aborted instead (dlt's `abort_packages`),
    which puts the seller's state back where it was before the package was extracted; the
    same data is read again and merged by its keys. Call it holding the warehouse (the abort
    is a load).
    """
    for load_id in pipeline.list_normalized_load_packages():
        if _loading_began(pipeline.get_load_package_info(load_id)):
            log.warning(
                "%s: load %s was interrupted partway; it is undone and its data read again",
                pipeline.pipeline_name,
                load_id,
            )
            pipeline.abort_packages(load_id)
            return load_id
    return None


def _loading_began(package: LoadPackageInfo) -> bool:
    """Whether a package may have written to the warehouse. dlt's own test misses a job
    that is started and has no "done" marker, the very one a kill leaves: it may have
    committed. Any job begun counts."""
    jobs = package.jobs
    begun = jobs["started_jobs"] or jobs["completed_jobs"] or jobs["failed_jobs"]
    return bool(begun) or PackageStorage.is_package_partially_loaded(package)


def _load_data_set(
    pipeline: dlt.Pipeline,
    make_source: Callable[[], Any],
    run: DataSetRun,
    writer: WarehouseWriter,
) -> None:
    """Extract, normalize and load one data set, a load per batch (a report slice).

    Each load commits its rows with the resource's cursor and state, so an interrupted
    first sync keeps every slice loaded before the one in flight and resumes there.
    `run.stage` says where it is, for the live display.
    """
    for _ in range(MAX_LOADS_PER_DATA_SET):
        run.more = False
        run.stage = "extracting"
        pipeline.extract(make_source())
        run.stage = "normalizing"
        pipeline.normalize()
        run.stage = "waiting for the warehouse"  # another seller's load may hold it
        # the schema the load brings: the one normalize just saved (dlt compares the same)
        with writer(pipeline.default_schema.stored_version_hash):
            run.stage = "loading"
            pipeline.load()
        trace = pipeline.last_trace
        normalized = trace.last_normalize_info if trace else None
        counts = normalized.row_counts if normalized else {}
        # top-level tables only: an order and its nested items count as one row
        run.rows_loaded += sum(
            count
            for table, count in counts.items()
            if "__" not in table and table not in IGNORED_TABLES
        )
        if not run.more or run.failed or run.pending:
            return
    # each load reads at least one new slice: this many means something is going round
    run.fail(f"stopped after {MAX_LOADS_PER_DATA_SET} loads without reaching the end")


def _run_of(runs: dict[str, DataSetRun], default: DataSetRun, data_set: str) -> DataSetRun:
    return runs.setdefault(data_set, default)


def sync_seller(
    seller: SellerConfig,
    destination: Destination,
    data_dir: Path,
    writer: WarehouseWriter,
    *,
    since: datetime | None = None,
    settings: SyncSettings | None = None,
    data_sets: Sequence[str] | None = None,
    client_options: Mapping[str, Any] | None = None,
    on_progress: Callable[[DataSetRun], None] | None = None,
    retries: int = 2,
    retry_backoff_seconds: float = 5.0,
    on_start: Callable[[DataSetRun], None] | None = None,
) -> list[DataSetRun]:
    """Sync one seller's data sets in turn; returns a run record per data set.

    One client (one LWA token) and one pipeline serve every data set. A data set that
    fails is tried again up to `retries` times with exponential back-off; a failure no
    retry can fix (refused credentials, HTTP 401/403) fails the seller's remaining data
    sets at once.

    `on_start(run)` gets each attempt's run record as it starts, and the record changes as
    the attempt goes on (pages, rows, reports waiting, stage): a live display reads it.
    `on_progress(run)` gets each data set's record once it ended.
    """
    wanted = list(data_sets or DATA_SETS)
    unknown = [d for d in wanted if d not in DATA_SETS]
    if unknown:
        raise ValueError(
            f"unknown data set(s) {', '.join(unknown)}; expected some of {', '.join(DATA_SETS)}"
        )
    runs = {name: DataSetRun(seller.seller_id, name) for name in wanted}
    pipeline = seller_pipeline(seller, destination, data_dir)
    # recorded first, so a seller whose credentials fail still shows, with its user
    with writer():
        drop_normalized_leftovers(pipeline)
        undone = abort_partly_loaded(pipeline)
        # the cursors as the warehouse has them: another worker may have synced the seller
        # since this one last did, or this one never has (a data directory per machine)
        pipeline.sync_destination()
        register_seller(pipeline, seller, datetime.now(UTC))
    # said in the audit trail: nothing is lost, but the run did more than usual
    seller_notes = (
        [f"load {undone}, left half done by an interrupted run, was undone and read again"]
        if undone
        else []
    )
    client = SpApiClient(seller, **(client_options or {}))
    try:
        now = client.server_now()
    except SellerAuthError as error:
        for run in runs.values():
            run.fail(str(error))
            run.finish()
            if on_progress:
                on_progress(run)
        return list(runs.values())
    settings = (settings or SyncSettings(since=since)).resolved(now)
    ctx = SellerContext(seller, client, settings, now)
    ctx.finances_read_ahead = _finances_read_ahead(pipeline, ctx, wanted, data_dir)
    try:
        _sync_data_sets(
            pipeline,
            ctx,
            runs,
            wanted,
            writer,
            on_progress,
            on_start,
            retries,
            retry_backoff_seconds,
            seller_notes,
        )
    finally:
        if ctx.finances_read_ahead:
            ctx.finances_read_ahead.close()
    with writer():
        # the tables the loads created or filled (PostgreSQL; a no-op once they exist)
        index_raw_tables(pipeline)
    return [runs[name] for name in wanted]


def _finances_read_ahead(
    pipeline: dlt.Pipeline, ctx: SellerContext, wanted: Sequence[str], data_dir: Path
) -> FinancesReadAhead | None:
    """Finances' first sync, beside other data sets: its events paged ahead in a thread.

    Data sets sync one after another; a year's finances pages alone take about 28 minutes
    at Amazon's limits, so they start with the seller (extract/amazon/prefetch.py).
    """
    if "finances" not in wanted or len(wanted) == 1 or ctx.seller.sandbox:
        return None
    resources = pipeline.state.get("sources", {}).get("spapi", {}).get("resources", {})
    if "financial_event_groups" in resources or "financial_events" in resources:
        return None  # finances has synced before: its runs read a few pages
    return FinancesReadAhead(
        ctx.client,
        ctx.groups_since,
        data_dir / "read_ahead" / pipeline.pipeline_name,
        settlement_reports=ctx.settings.settlement_reports,
    ).start()


def _sync_data_sets(
    pipeline: dlt.Pipeline,
    ctx: SellerContext,
    runs: dict[str, DataSetRun],
    wanted: Sequence[str],
    writer: WarehouseWriter,
    on_progress: Callable[[DataSetRun], None] | None,
    on_start: Callable[[DataSetRun], None] | None,
    retries: int,
    retry_backoff_seconds: float,
    seller_notes: Sequence[str] = (),
) -> None:
    """Each data set in turn, retried with back-off unless its failure cannot pass.

    `seller_notes` (about the seller, not one data set) go into the first data set's record.
    """
    seller, settings = ctx.seller, ctx.settings
    permanent_failure: str | None = None
    for name in wanted:
        if permanent_failure:
            runs[name].fail(permanent_failure)
            runs[name].finish()
            if on_progress:
                on_progress(runs[name])
            continue
        earlier_errors: list[str] = []
        loaded_before = 0  # rows of batches an attempt loaded before it failed
        for attempt in range(retries + 1):
            run = runs[name] = DataSetRun(seller.seller_id, name, retries=attempt)
            if name == wanted[0]:
                for note in seller_notes:
                    run.note_once(note)
            run.rows_loaded = loaded_before
            if on_start:
                on_start(run)
            make_source = partial(amazon_seller, ctx, partial(_run_of, runs, run), DATA_SETS[name])
            try:
                _load_data_set(pipeline, make_source, run, writer)
            except PipelineStepFailed as failure:
                loaded_before = run.rows_loaded
                run.fail(failure_text(failure.__cause__ or failure, seller.seller_id, [name]))
                log.warning("seller %s, %s failed: %s", seller.seller_id, name, run.errors[-1])
                if is_permanent(failure):
                    permanent_failure = run.errors[-1]
                    break
            if not run.failed or attempt == retries:
                break
            earlier_errors.append(run.errors[-1])
            time.sleep(retry_backoff_seconds * 2**attempt)
        if earlier_errors and not run.failed:
            run.retried(earlier_errors)
        run.check_rejected_share(settings.max_rejected_share)
        run.finish()
        if on_progress:
            on_progress(run)


def sync_sellers(
    sellers: Iterable[SellerConfig],
    destination_kind: DestinationName,
    data_dir: Path,
    *,
    postgres_dsn: str | None = None,
    since: datetime | None = None,
    settings: SyncSettings | None = None,
    data_sets: Sequence[str] | None = None,
    max_workers: int = 16,
    client_options: Mapping[str, Any] | None = None,
    on_progress: Callable[[DataSetRun], None] | None = None,
    retries: int = 2,
    retry_backoff_seconds: float = 5.0,
    writer: WarehouseWriter | None = None,
    on_start: Callable[[DataSetRun], None] | None = None,
) -> list[DataSetRun]:
    """Sync every seller in parallel (bounded); one seller's failure never stops another.

    Most of a sync waits on Amazon's rate limits, so threads, not cores, bound the pace:
    `max_workers` sellers at a time.
    """
    sellers = list(sellers)
    destination = make_destination(destination_kind, data_dir, postgres_dsn)
    writer = writer or WarehouseWriter(destination_kind, data_dir, postgres_dsn)

    def one(seller: SellerConfig) -> list[DataSetRun]:
        try:
            return sync_seller(
                seller,
                destination,
                data_dir,
                writer,
                since=since,
                settings=settings,
                data_sets=data_sets,
                client_options=client_options,
                on_progress=on_progress,
                retries=retries,
                retry_backoff_seconds=retry_backoff_seconds,
                on_start=on_start,
            )
        except Exception as error:  # isolate sellers from each other
            log.debug("seller %s failed", seller.seller_id, exc_info=True)
            run = DataSetRun(seller.seller_id, "all")
            run.fail(failure_text(error, seller.seller_id, data_sets))
            log.warning("seller %s failed: %s", seller.seller_id, run.errors[-1])
            run.finish()
            return [run]

    if not sellers:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(sellers)))) as pool:
        results = list(pool.map(one, sellers))
    return [run for runs in results for run in runs]
