"""The run's state as a small JSON file beside the warehouse, readable while a run writes.

DuckDB locks its file against every other process while a load or the build has it
open, so `clario status` cannot read `sync_status` during a run. The flow therefore also
keeps `<data dir>/clario_status.json`, rewritten (atomically) when each data set ends
and when each build ends: the latest run of each seller and data set, its last success,
and the latest builds. It holds what the audit tables hold (ids, counts, times, error
texts), never a secret.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATUS_FILE = "clario_status.json"
KEEP_BUILDS = 20
_guard = threading.Lock()


def status_path(data_dir: Path) -> Path:
    return data_dir / STATUS_FILE


def read_status(data_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(status_path(data_dir).read_text()))
    except (OSError, ValueError):
        return {"data_sets": {}, "builds": []}


def _write(data_dir: Path, state: dict[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    state["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    temporary = status_path(data_dir).with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(state, indent=1, default=str))
    os.replace(temporary, status_path(data_dir))


def record_data_set(data_dir: Path, summary: dict[str, Any], flow_run_id: str | None) -> None:
    """A data set's run ended (its `sync_runs` row); a row seen before is not counted twice."""
    with _guard:
        state = read_status(data_dir)
        key = f"{summary['seller_id']}/{summary['data_set']}"
        entry = state.setdefault("data_sets", {}).setdefault(key, {"failed_runs": 0})
        last = entry.get("last") or {}
        if last.get("started_at") == summary.get("started_at"):
            return
        entry["last"] = {**summary, "flow_run_id": flow_run_id}
        if summary["status"] == "ok":
            entry["last_success_at"] = summary.get("finished_at")
            if summary.get("window_end"):
                entry["synced_through"] = max(
                    summary["window_end"], entry.get("synced_through") or ""
                )
        elif summary["status"] == "failed":
            entry["failed_runs"] = int(entry.get("failed_runs", 0)) + 1
        _write(data_dir, state)


def record_build(data_dir: Path, build: dict[str, Any]) -> None:
    with _guard:
        state = read_status(data_dir)
        state["builds"] = [build, *state.get("builds", [])][:KEEP_BUILDS]
        _write(data_dir, state)
