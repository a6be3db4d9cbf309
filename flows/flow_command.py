"""What `clario run` and `clario sync` share: one path through the `sync` flow.

Both check the configuration and the selection (`--seller`, `--data-set`) before any work,
refuse a held warehouse before starting anything, run the Prefect flow `sync`
(flows/sync_flow.py) on a local Prefect API with live progress, and end with the same
summary: the table (or `--json`), a line per failure saying what to do, and where the
warehouse is with the commands to run next. Every run writes the audit trail
(`raw_clario_audit.sync_runs`; `dbt_builds` when it builds).

Output: progress goes to stderr, the report to stdout: the summary table, a line per
failure and the closing block, or with `--json` the summary as JSON and nothing else
(what failed then also goes to stderr). Whatever a library prints to stdout during the
run is sent to stderr.

Exit codes: 0 everything loaded (and built); 1 a data set or the build failed; 2 a bad
option or configuration, named before any work; 3 nothing failed, but rows were rejected
(kept in rejected_rows); 4 another run holds the warehouse.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from extract.run import DATA_SETS, EXIT_FAILED, exit_code
from flows.options import check_config, selected_sellers
from flows.output import (
    failure_lines,
    make_console,
    note_lines,
    summary_table,
    verbose,
    where_and_next,
)

if TYPE_CHECKING:
    from rich.console import Console

EXIT_CONFIG, EXIT_BUSY = 2, 4  # 1 failed and 3 rows rejected: extract.run


@dataclass
class FlowRequest:
    """A `clario run` or `clario sync` as the user asked for it."""

    command: str  # run or sync, for the messages
    sellers_file: Path | None
    destination: str
    data_dir: Path
    pg_dsn: str | None
    since: datetime | None
    sellers: list[str] | None
    data_sets: list[str] | None
    build: bool
    retries: int
    lock_wait: float
    concurrency: int | None
    as_json: bool


@dataclass
class FlowOutcome:
    summaries: list[dict[str, Any]]
    code: int
    failure: str = ""  # why the run stopped or failed, when it did
    build_failure: str = ""
    started: bool = True  # False: refused before any work (the warehouse was busy)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """While the flow runs, what anything prints to stdout goes to stderr: stdout is the
    summary's alone (`--json` parses it)."""
    sys.stdout.flush()
    try:
        real_stdout = sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):  # a captured stream (tests' CliRunner)
        real_stdout = False
    saved = os.dup(1) if real_stdout else None
    try:
        if saved is not None:
            os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def _import_flow() -> None:
    import flows.sync_flow  # noqa: F401  (dlt, dbt's runner: seconds, while the server starts)


def _run_flow(request: FlowRequest, sellers: list[str] | None) -> FlowOutcome:
    from flows import progress
    from flows.prefect_server import configured_api_url, temporary_api
    from flows.warehouse_lock import hold_warehouse

    try:
        if not request.lock_wait:
            # refuse before starting anything (a Prefect server takes a while); the flow
            # takes the lock itself for the whole run
            with hold_warehouse(request.destination, request.data_dir, 0):
                pass
        configured = configured_api_url()
        progress.phase(
            f"using the Prefect API at {configured}"
            if configured
            else "starting a local Prefect API"
        )
        with temporary_api(meanwhile=_import_flow):
            from flows.sync_flow import (
                SELLER_CONCURRENCY_ENV,
                seller_concurrency,
                with_seller_concurrency,
            )

            sellers_at_once = request.concurrency or seller_concurrency()
            # the flow staggers its first wave of sellers by it, as deployments read it
            os.environ[SELLER_CONCURRENCY_ENV] = str(sellers_at_once)
            sync = with_seller_concurrency(sellers_at_once)
            summaries = sync(
                destination=request.destination,
                data_dir=request.data_dir,
                sellers_file=request.sellers_file,
                since=request.since,
                sellers=sellers,
                data_sets=request.data_sets,
                build=request.build,
                retries=request.retries,
            )
    except Exception as error:
        return _outcome_of(error, request.command)
    return FlowOutcome(summaries, exit_code(summaries))


def _outcome_of(error: Exception, command: str) -> FlowOutcome:
    """What a run that raised ends with; an unforeseen error in one line (the traceback
    with --verbose)."""
    from flows.prefect_server import ServerFailed
    from flows.warehouse_lock import DuckDbFileHeld, WarehouseBusy

    sync_flow = sys.modules.get("flows.sync_flow")  # not imported yet: not its error
    if sync_flow is not None and isinstance(error, sync_flow.SyncFailed):
        return FlowOutcome(error.summaries, EXIT_FAILED, str(error), error.build_failure)
    if isinstance(error, WarehouseBusy):
        return FlowOutcome([], EXIT_BUSY, f"Not started: {error}", started=False)
    if isinstance(error, DuckDbFileHeld | ServerFailed):
        return FlowOutcome([], EXIT_FAILED, f"Stopped: {error}")
    if verbose():
        raise error
    return FlowOutcome(
        [],
        EXIT_FAILED,
        f"Stopped: {type(error).__name__}: {error} (`clario --verbose {command} ...` shows"
        " the traceback)",
    )


def _json(request: FlowRequest, outcome: FlowOutcome) -> str:
    build: dict[str, str] | None = None
    if request.build and outcome.summaries:
        failed = outcome.build_failure
        reason = failed.removeprefix("dbt build failed: ")
        build = {"status": "failed", "reason": reason} if failed else {"status": "ok"}
    warehouse = (
        str((request.data_dir / "clario.duckdb").resolve())
        if request.destination == "duckdb"
        else "postgres (CLARIO_PG_DSN)"
    )
    return json.dumps(
        {
            "command": request.command,
            "exit_code": outcome.code,
            "data_sets": outcome.summaries,
            "build": build,
            "error": outcome.failure or None,
            "warehouse": warehouse,
        },
        indent=2,
    )


def run_sync_flow(request: FlowRequest) -> None:
    """Run the `sync` flow as `request` says, print its summary, exit with its code."""
    configured = check_config(request.sellers_file, request.destination, request.pg_dsn)
    ids = [seller.seller_id for seller in configured]
    chosen = selected_sellers(ids, request.sellers)
    data_sets = list(dict.fromkeys(request.data_sets or DATA_SETS))
    request.data_sets = data_sets if request.data_sets else None
    os.environ["CLARIO_LOCK_WAIT_SECONDS"] = str(request.lock_wait)
    if request.since is not None and request.since.tzinfo is None:
        request.since = request.since.replace(tzinfo=UTC)
    from flows import progress

    errors = make_console(stderr=True)
    live = errors.is_terminal and not verbose()  # --verbose: Prefect's log, plain lines
    board = progress.RunProgress(errors, chosen, data_sets, live=live)
    with _stdout_to_stderr(), board, progress.reporting_to(board):
        outcome = _run_flow(request, chosen if request.sellers else None)
    if request.as_json:
        typer.echo(_json(request, outcome))
        # for a person watching, why it stopped (failed data sets had their progress line)
        _print_failures(errors, outcome, data_sets=live)
    else:
        report = make_console()
        if outcome.summaries:
            report.print(summary_table(outcome.summaries))
        _print_failures(report, outcome)
        notes = note_lines(outcome.summaries)
        if notes:
            report.print("Notes:", style="yellow")
            for line in notes:
                report.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        if outcome.started:
            closing = where_and_next(request.destination, request.data_dir, request.build)
            report.print("\n".join(closing), markup=False, highlight=False, soft_wrap=True)
    if outcome.code:
        raise typer.Exit(code=outcome.code)


def _print_failures(console: Console, outcome: FlowOutcome, data_sets: bool = True) -> None:
    """A line per failed seller x data set (what failed, what to do), the build's reason,
    or why the run stopped."""
    lines = failure_lines(outcome.summaries) if data_sets else []
    if lines:
        console.print(f"{len(lines)} failed:", style="red")
        for line in lines:
            console.print(f"  {line}", markup=False, highlight=False)
    if outcome.build_failure:
        console.print(outcome.build_failure, style="red", markup=False, highlight=False)
    elif outcome.failure and not failure_lines(outcome.summaries):
        console.print(outcome.failure, style="red", markup=False, highlight=False)
