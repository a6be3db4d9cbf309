"""Run `dbt build` on the warehouse a sync loaded, through prefect-dbt's runner.

(Not `flows/dbt.py` nor `flows/dbt_*.py`: Prefect puts an entrypoint's folder on sys.path
when a worker loads `flows/sync_flow.py`; a module named `dbt` there shadows dbt itself,
and dbt's plugin discovery imports every top-level module whose name starts with `dbt_`
at each invocation.)

Each dbt node shows in Prefect, and a failing model or test fails the flow. A failed
build gets one `dbt retry` (it re-runs only what failed), not a second full build. Each
build's outcome (status, failing nodes, times, flow run) goes to the audit trail.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings

from extract.pipeline import DestinationName
from flows.audit import record_dbt_build
from flows.warehouse_lock import wait_for_duckdb_file

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"
PROFILE_TEMPLATE = ROOT / "profiles.example.yml"


def profiles_dir(data_dir: Path) -> Path:
    """A profiles dir holding the project's profile as `profiles.yml` (dbt's file name)."""
    target = data_dir / "dbt_profiles"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROFILE_TEMPLATE, target / "profiles.yml")
    return target


def profile_environment(
    destination: DestinationName, data_dir: Path, postgres_dsn: str | None
) -> dict[str, str]:
    """The environment variables profiles.example.yml reads, for this warehouse."""
    if destination == "duckdb":
        return {"CLARIO_DUCKDB_PATH": str((data_dir / "clario.duckdb").resolve())}
    if not postgres_dsn:
        raise ValueError("postgres needs a DSN (CLARIO_PG_DSN)")
    parts = urlsplit(postgres_dsn)
    return {
        "CLARIO_PG_HOST": parts.hostname or "127.0.0.1",
        "CLARIO_PG_PORT": str(parts.port or 5432),
        "CLARIO_PG_USER": unquote(parts.username or "postgres"),
        "CLARIO_PG_PASSWORD": unquote(parts.password or ""),
        "CLARIO_PG_DATABASE": parts.path.lstrip("/") or "postgres",
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# Unit tests check the models' logic on fixed inputs: CI runs them (tests/transform); a
# build after every sync would only repeat them, as dbt's documentation says.
SYNC_BUILD_OPTIONS = ("--exclude-resource-type", "unit_test")
# dbt's RunStatus / TestStatus values that mean a node did not pass
FAILED_STATUSES = {"error", "fail", "runtime error"}


class DbtBuildFailed(RuntimeError):
    """The build still failed after its retry; the message is one line saying why."""

    def __init__(self, outcome: BuildOutcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass
class BuildOutcome:
    """One build (and its retry): what `raw_clario_audit.dbt_builds` records."""

    started_at: datetime
    finished_at: datetime | None = None
    status: str = "ok"
    failing_nodes: list[str] = field(default_factory=list)
    nodes_run: int = 0
    reason: str = ""

    def row(self, flow_run_id: str | None) -> dict[str, Any]:
        finished = self.finished_at or datetime.now(UTC)
        return {
            "status": self.status,
            "failing_nodes": ", ".join(self.failing_nodes) or None,
            "reason": self.reason or None,
            "nodes_run": self.nodes_run,
            "duration_seconds": round((finished - self.started_at).total_seconds(), 3),
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "flow_run_id": flow_run_id,
        }


@contextmanager
def _dbt_command_line(args: Sequence[str]) -> Iterator[None]:
    """dbt records `sys.argv` as its invocation command (run_results.json, logs): in-process,
    that is `clario`'s command line, which may hold a DSN. dbt gets its own instead."""
    saved = sys.argv
    sys.argv = ["dbt", *args]
    try:
        yield
    finally:
        sys.argv = saved


def _invoke(settings: PrefectDbtSettings, args: list[str]) -> tuple[list[str], int, str]:
    """Run one dbt command: (failing nodes, nodes run, reason); raises nothing dbt raised."""
    runner = PrefectDbtRunner(settings=settings, raise_on_failure=False)
    try:
        with _dbt_command_line(args):
            result = runner.invoke(args)
    except Exception as error:  # dbt could not run at all (connection, compilation)
        return [], 0, _one_line(str(error))
    results = getattr(result.result, "results", None) or []
    failing = [
        r.node.unique_id
        for r in results
        if str(getattr(r.status, "value", r.status)) in FAILED_STATUSES
    ]
    if result.success:
        return [], len(results), ""
    if result.exception is not None:
        return failing, len(results), _one_line(str(result.exception))
    return failing, len(results), f"{len(failing)} dbt node(s) failed: {', '.join(failing[:5])}"


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines)[:500] or "dbt failed without a message"


def run_dbt_build(
    destination: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None = None,
    extra_args: Sequence[str] = (),
) -> BuildOutcome:
    """`dbt build` against the warehouse; one `dbt retry` if it fails; raises if still failing.

    The DSN defaults to CLARIO_PG_DSN; dbt gets it only through the environment variables
    its profile reads. The outcome goes to the audit trail (`dbt_builds`) either way.

    dbt's artifacts and logs go to the data directory, beside the warehouse they describe:
    two runs into different warehouses (the demo's DuckDB and a Postgres deployment, say)
    then never read each other's partial-parse state or retry each other's failures.
    """
    postgres_dsn = postgres_dsn or os.environ.get("CLARIO_PG_DSN")
    settings = PrefectDbtSettings(
        project_dir=DBT_PROJECT,
        profiles_dir=profiles_dir(data_dir),
        target_path=(data_dir / "dbt_target").resolve(),
    )
    log_path = ["--log-path", str((data_dir / "dbt_logs").resolve())]
    args = ["build", *log_path, "--target", destination, *SYNC_BUILD_OPTIONS, *extra_args]
    outcome = BuildOutcome(started_at=datetime.now(UTC))
    with _environment(profile_environment(destination, data_dir, postgres_dsn)):
        if destination == "duckdb":
            wait_for_duckdb_file(data_dir / "clario.duckdb")
        failing, outcome.nodes_run, reason = _invoke(settings, args)
        if reason and outcome.nodes_run:
            # nodes failed: re-run only those, as `dbt retry` does
            failing, _, reason = _invoke(settings, ["retry", *log_path])
    outcome.finished_at = datetime.now(UTC)
    if reason:
        outcome.status, outcome.failing_nodes, outcome.reason = "failed", failing, reason
    record_dbt_build(outcome.row(_flow_run_id()), destination, data_dir, postgres_dsn)
    if outcome.status == "failed":
        raise DbtBuildFailed(outcome)
    return outcome


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None
