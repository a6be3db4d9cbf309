"""The audit trail: one row per seller x data set x run in the warehouse table `sync_runs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from extract.pipeline import DestinationName, load_lock, make_destination

AUDIT_DATASET = "raw_clario_audit"


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
        dataset_name=AUDIT_DATASET,
        pipelines_dir=str(data_dir / "pipelines"),
    )
    lock = load_lock(destination, data_dir)
    if lock is None:
        pipeline.run(rows, table_name="sync_runs", write_disposition="append")
        return
    with lock:
        pipeline.run(rows, table_name="sync_runs", write_disposition="append")
