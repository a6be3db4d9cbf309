"""The audit trail: one row per seller x data set x run in the warehouse table `sync_runs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from extract.layout import audit_dataset
from extract.pipeline import DestinationName, WarehouseWriter, make_destination

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


def record_sync_runs(
    summaries: list[dict[str, Any]],
    destination: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None = None,
    flow_run_id: str | None = None,
) -> None:
    """Append the run's summaries (no secrets: they hold ids, counts and error texts)."""
    if not summaries:
        return
    rows = [{**summary, "flow_run_id": flow_run_id} for summary in summaries]
    pipeline = dlt.pipeline(
        pipeline_name="clario_audit",
        destination=make_destination(destination, data_dir, postgres_dsn),
        dataset_name=audit_dataset(),
        pipelines_dir=str(data_dir / "pipelines"),
    )
    with WarehouseWriter(destination, data_dir, postgres_dsn)():
        pipeline.run(rows, table_name="sync_runs", write_disposition="append", columns=COLUMNS)
