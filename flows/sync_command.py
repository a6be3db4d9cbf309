"""`clario sync`: extract and load now, without the dbt build.

The same path as `clario run --no-build` (flows/flow_command.py): the `sync` flow, its
audit trail, live progress and the one summary; exit codes 0 ok, 1 failed, 2 bad
configuration, 3 rows rejected, 4 the warehouse is busy.
"""

from __future__ import annotations

from pathlib import Path

from flows.flow_command import FlowRequest, run_sync_flow
from flows.options import (
    ConcurrencyOption,
    DataDirOption,
    DataSetOption,
    Destination,
    DestinationOption,
    JsonOption,
    LockWaitOption,
    PgDsnOption,
    RetriesOption,
    SellerOption,
    SellersOption,
    SinceOption,
)


def sync(
    sellers_file: SellersOption = None,
    destination: DestinationOption = Destination.duckdb,
    data_dir: DataDirOption = Path("data"),
    pg_dsn: PgDsnOption = None,
    seller: SellerOption = None,
    data_set: DataSetOption = None,
    since: SinceOption = None,
    retries: RetriesOption = 2,
    lock_wait: LockWaitOption = 0,
    concurrency: ConcurrencyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Extract the sellers' SP-API data and load it into the raw tables (no dbt build).

    Exits 0 when all loaded, 1 when a data set failed, 2 on bad configuration, 3 when
    rows were rejected (kept in rejected_rows), 4 when another run holds the warehouse."""
    run_sync_flow(
        FlowRequest(
            command="sync",
            sellers_file=sellers_file,
            destination=destination.value,
            data_dir=data_dir,
            pg_dsn=pg_dsn,
            since=since,
            sellers=seller,
            data_sets=[d.value for d in data_set] if data_set else None,
            build=False,
            retries=retries,
            lock_wait=lock_wait,
            concurrency=concurrency,
            as_json=as_json,
        )
    )
