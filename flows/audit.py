"""The audit trail in the warehouse: `sync_runs` (one row per seller x data set x run) and
`dbt_builds` (one row per build), both in the audit dataset (`raw_clario_audit`,
CLARIO_AUDIT_SCHEMA).

The same rows also go to `<data dir>/clario_status.json` (flows/status_file.py), which
`clario status` reads while a run holds the DuckDB file.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt

from extract.layout import audit_dataset
from extract.pipeline import DestinationName, make_destination
from flows.status_file import record_build, record_data_set
from flows.warehouse_lock import warehouse_writer

# Typed up front: a run without errors would otherwise never create the `error` column.
COLUMNS: dict[str, Any] = {
    "seller_id": {"data_type": "text", "nullable": False},
    "data_set": {"data_type": "text", "nullable": False},
    "status": {"data_type": "text", "nullable": False},
    "rows_loaded": {"data_type": "bigint"},
    "rows_rejected": {"data_type": "bigint"},
    "window_start": {"data_type": "timestamp"},
    "window_end": {"data_type": "timestamp"},
    "duration_seconds": {"data_type": "double"},
    "error": {"data_type": "text"},
    "notes": {"data_type": "text"},
    "started_at": {"data_type": "timestamp"},
    "finished_at": {"data_type": "timestamp"},
    "flow_run_id": {"data_type": "text"},
}
BUILD_COLUMNS: dict[str, Any] = {
    "status": {"data_type": "text", "nullable": False},  # ok or failed
    "failing_nodes": {"data_type": "text"},  # comma-separated unique ids
    "reason": {"data_type": "text"},
    "nodes_run": {"data_type": "bigint"},
    "duration_seconds": {"data_type": "double"},
    "started_at": {"data_type": "timestamp"},
    "finished_at": {"data_type": "timestamp"},
    "flow_run_id": {"data_type": "text"},
}


def _append(
    rows: list[dict[str, Any]],
    table: str,
    columns: dict[str, Any],
    destination: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None,
) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="clario_audit",
        destination=make_destination(
            destination, data_dir, postgres_dsn or os.environ.get("CLARIO_PG_DSN")
        ),
        dataset_name=audit_dataset(),
        pipelines_dir=str(data_dir / "pipelines"),
    )
    with warehouse_writer(destination, data_dir)():
        pipeline.run(rows, table_name=table, write_disposition="append", columns=columns)


def record_sync_runs(
    summaries: list[dict[str, Any]],
    destination: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None = None,
    flow_run_id: str | None = None,
) -> None:
    """Append the run's summaries (no secrets: they hold ids, counts and error texts).

    The DSN defaults to CLARIO_PG_DSN.
    """
    if not summaries:
        return
    for summary in summaries:
        record_data_set(data_dir, summary, flow_run_id)
    rows = [{**summary, "flow_run_id": flow_run_id} for summary in summaries]
    _append(rows, "sync_runs", COLUMNS, destination, data_dir, postgres_dsn)


def record_dbt_build(
    build: dict[str, Any],
    destination: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None = None,
) -> None:
    """Append one build's outcome (flows/transform.py's `BuildOutcome.row()`)."""
    record_build(data_dir, build)
    _append([build], "dbt_builds", BUILD_COLUMNS, destination, data_dir, postgres_dsn)


def read_sync_runs(flow_run_id: str, postgres_dsn: str) -> list[dict[str, Any]]:
    """The `sync_runs` rows one flow run recorded (PostgreSQL), as its summaries were.

    How a sync-pool run collects its shards' summaries: the shards ran on other workers,
    possibly on other machines, and the warehouse is what they all share.
    """
    import psycopg2
    from psycopg2 import errors

    table = f'"{audit_dataset()}".sync_runs'  # a checked schema name (extract/layout.py)
    with (
        psycopg2.connect(postgres_dsn, connect_timeout=10) as connection,
        connection.cursor() as cursor,
    ):
        try:
            cursor.execute(
                f"select * from {table} where flow_run_id = %s order by started_at", [flow_run_id]
            )
            names = [column.name for column in cursor.description or []]
            rows = cursor.fetchall()
        except errors.UndefinedTable:  # no run ever recorded one: a first run that failed
            names, rows = [], []
    connection.close()
    summaries = []
    for row in rows:
        record = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in zip(names, row, strict=True)
            if not name.startswith("_dlt") and name != "flow_run_id"
        }
        summaries.append(record)
    return summaries
