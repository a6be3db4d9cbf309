"""The console `clario` prints to: tables and colors on a terminal; plain, unwrapped lines
(no ANSI codes, tables as wide as they need) when the output goes to a file or a pipe,
so logs and scripts read whole values. Also what every syncing command prints at its
end: the one summary table, what failed, and where the data is with what to run next."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

_verbose = False


def set_verbose(value: bool) -> None:
    """`clario --verbose`: Prefect's log and tracebacks show (flows/cli.py)."""
    global _verbose
    _verbose = value


def verbose() -> bool:
    return _verbose


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, soft_wrap=True, width=250, no_color=True, highlight=False)


def _window(summary: dict[str, Any]) -> str:
    start, end = summary.get("window_start"), summary.get("window_end")
    if not start or not end:
        return ""
    return (
        f"{datetime.fromisoformat(start):%Y-%m-%d %H:%M} → "
        f"{datetime.fromisoformat(end):%Y-%m-%d %H:%M}"
    )


def summary_table(summaries: list[dict[str, Any]]) -> Table:
    """The run summary every command prints: a row per seller x data set
    (`extract.run.DataSetRun.summary()` rows)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Sync summary")
    for column in ("seller", "data set", "status", "rows", "rejected", "window", "seconds"):
        table.add_column(
            column,
            justify="right" if column in ("rows", "rejected", "seconds") else "left",
            no_wrap=column != "data set",  # the error column takes what is left
        )
    table.add_column("error", overflow="fold")
    for s in summaries:
        colour = {"ok": "green", "failed": "red"}.get(s["status"], "yellow")
        table.add_row(
            s["seller_id"],
            s["data_set"],
            f"[{colour}]{s['status']}[/{colour}]",
            str(s["rows_loaded"]),
            str(s["rows_rejected"]),
            _window(s),
            f"{s['duration_seconds']:.1f}",
            Text(s["error"] or ""),  # as written: an error's "[...]" is not markup
        )
    return table


def failure_lines(summaries: list[dict[str, Any]]) -> list[str]:
    """One line per failed seller x data set: who, which, what failed and what to do."""
    return [
        f"{s['seller_id']} {s['data_set']}: {s['error']}"
        for s in summaries
        if s["status"] == "failed"
    ]


def note_lines(summaries: list[dict[str, Any]]) -> list[str]:
    """One line per seller x data set that did not fail but has something the status
    column cannot say: rows rejected (kept, with the reason), rows kept with a value
    Amazon does not document, a failure that passed on a later attempt, a report Amazon
    is still preparing. Nothing dropped or retried goes unsaid."""
    lines = []
    for s in summaries:
        if s["status"] == "failed":
            continue  # failure_lines says what failed
        parts = []
        if s["rows_rejected"]:
            parts.append(
                f"{s['rows_rejected']} row(s) rejected, kept in rejected_rows with the reason"
            )
        if s.get("notes"):
            parts.append(s["notes"])
        if parts:
            lines.append(f"{s['seller_id']} {s['data_set']}: " + "; ".join(parts))
    return lines


def command_name() -> str:
    """How to call `clario` again: its name when the shell finds this one by it."""
    invoked = Path(sys.argv[0])
    found = shutil.which("clario")
    if invoked.name != "clario" or not invoked.exists():  # python -m flows.cli, tests
        return "clario"
    if found and Path(found).resolve() == invoked.resolve():
        return "clario"
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)


def _relative(path: Path, to: Path | None = None) -> str:
    """`path` relative to `to` (the working directory) when it lies inside it, else absolute
    (a `../..` path is harder to read and breaks when pasted elsewhere)."""
    absolute = path.resolve()
    relative = os.path.relpath(absolute, (to or Path.cwd()).resolve())
    return relative if not relative.startswith("..") else str(absolute)


def where_and_next(destination: str, data_dir: Path, built: bool) -> list[str]:
    """The closing block: where the warehouse is, and the commands to run next."""
    from extract.layout import audit_dataset, raw_dataset

    clario = command_name()
    project = Path(__file__).resolve().parents[1] / "dbt_project"
    dbt = _relative(Path(sys.executable).with_name("dbt"), project)
    flags = "" if data_dir == Path("data") else f" --data-dir {data_dir}"
    schemas = f"raw rows in {raw_dataset()}, the audit trail in {audit_dataset()}"
    if destination == "duckdb":
        database = data_dir / "clario.duckdb"
        where = f"{_relative(database)} (DuckDB; marts in schema main, {schemas})"
        query = f"duckdb {_relative(database)} -c 'select * from orders limit 10'"
        docs_env, target = f"CLARIO_DUCKDB_PATH={database.resolve()} ", ""
    else:
        flags += " --destination postgres"
        where = f"PostgreSQL at CLARIO_PG_DSN (marts in CLARIO_PG_SCHEMA or clario; {schemas})"
        query = "psql \"$CLARIO_PG_DSN\" -c 'select * from clario.orders limit 10'"
        docs_env, target = "", " --target postgres"  # CLARIO_PG_*: dbt_project/README.md
    lines = [f"Warehouse: {where}", "Next:"]
    if built:
        lines.append(f"  query the marts   {query}")
    else:
        lines.append(f"  build the marts   {clario} run{flags}   (a sync loads the raw rows only)")
    lines.append(f"  sync health       {clario} status{flags}")
    lines.append(
        f"  model docs        cd {_relative(project)} && {docs_env}{dbt} docs generate{target}"
        f" && {dbt} docs serve"
    )
    return lines
