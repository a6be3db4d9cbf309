"""`clario status`: the latest sync per seller and data set, and the last dbt build.

It reads the `sync_status` view and `raw_clario_audit.dbt_builds` from the warehouse.
While a run holds the DuckDB file (DuckDB admits no reader beside a writer) it reads the
same facts from `<data dir>/clario_status.json`, which the run keeps up to date
(flows/status_file.py), and says so.

Exit codes, for alerting: 0 every data set's last run succeeded within the freshness
window and the last build passed; 1 a data set failed or is stale, or the last build
failed; 2 a bad option or an unreachable warehouse; 3 nothing to report yet (no
warehouse, or no sync has run).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from extract.layout import LayoutError, audit_dataset
from flows.options import DataDirOption, Destination, DestinationOption, PgDsnOption
from flows.output import make_console
from flows.seller_removal import marts_schema

console = make_console()
EXIT_UNHEALTHY, EXIT_NOTHING = 1, 3
# the dbt var `sync_fresh_hours` (two scheduled runs), for the status file's rows
FRESH_HOURS = float(os.environ.get("CLARIO_SYNC_FRESH_HOURS", "12"))

COLUMNS = {
    "seller_id": "seller",
    "data_set": "data set",
    "last_status": "status",
    "last_rows_loaded": "rows",
    "last_rows_rejected": "rejected",
    "synced_through_at": "synced up to",
    "hours_since_success": "hours since ok",
    "is_fresh": "fresh",
    "last_error": "error",
}
BUILD_QUERY = (
    "select status, failing_nodes, reason, duration_seconds, started_at, finished_at,"
    " flow_run_id from {schema}.dbt_builds order by started_at desc limit 1"
)
BUILD_KEYS = (
    "status",
    "failing_nodes",
    "reason",
    "duration_seconds",
    "started_at",
    "finished_at",
    "flow_run_id",
)


class WarehouseLocked(Exception):
    """Another process holds the DuckDB file; the message names it."""


def latest_query(schema: str) -> str:
    """`sync_status` is a view: its freshness columns are computed as it is read."""
    return f"select {', '.join(COLUMNS)} from {schema}.sync_status order by seller_id, data_set"


def _missing_warehouse(database: Path) -> typer.Exit:
    others = sorted(database.parent.glob("*/clario.duckdb"))
    hint = (
        "; found " + ", ".join(f"`clario status --data-dir {p.parent}`" for p in others)
        if others
        else ": run `clario run` first (or pass the --data-dir it used)"
    )
    console.print(f"No warehouse at {database}{hint}")
    return typer.Exit(code=EXIT_NOTHING)


def _duckdb_read(database: Path) -> tuple[list[tuple[Any, ...]], dict[str, Any] | None]:
    import duckdb

    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.ConnectionException:
        # already open in this process (dbt's connection, after `clario demo`)
        connection = duckdb.connect(str(database))
    except duckdb.IOException as error:
        from flows.warehouse_lock import duckdb_lock_holder

        raise WarehouseLocked(f"{database} is held by {duckdb_lock_holder(str(error))}") from None
    try:
        try:
            rows = connection.execute(latest_query("main")).fetchall()
        except duckdb.CatalogException:
            rows = []
        try:
            found = connection.execute(BUILD_QUERY.format(schema=audit_dataset())).fetchone()
        except duckdb.CatalogException:
            found = None
        return rows, dict(zip(BUILD_KEYS, found, strict=True)) if found else None
    finally:
        connection.close()


def _postgres_read(pg_dsn: str) -> tuple[list[tuple[Any, ...]], dict[str, Any] | None]:
    import psycopg2

    # the dbt profile's schema for Postgres (profiles.example.yml), checked: it goes into SQL
    schema = marts_schema("postgres", dict(os.environ))
    try:
        pg = psycopg2.connect(pg_dsn, connect_timeout=5)
    except psycopg2.OperationalError as error:
        raise typer.BadParameter(f"PostgreSQL is unreachable at the DSN given: {error}") from None
    pg.autocommit = True
    try:
        with pg.cursor() as cursor:
            try:
                cursor.execute(latest_query(schema))
                rows = list(cursor.fetchall())
            except psycopg2.errors.UndefinedTable:
                rows = []
            try:
                cursor.execute(BUILD_QUERY.format(schema=audit_dataset()))
                found = cursor.fetchone()
            except psycopg2.errors.UndefinedTable:
                found = None
        return rows, dict(zip(BUILD_KEYS, found, strict=True)) if found else None
    finally:
        pg.close()


def latest_runs(destination: str, data_dir: Path, pg_dsn: str | None) -> list[tuple[Any, ...]]:
    """`sync_status`'s rows; none before the first `clario run` has built it."""
    return _warehouse_read(destination, data_dir, pg_dsn)[0]


def _warehouse_read(
    destination: str, data_dir: Path, pg_dsn: str | None
) -> tuple[list[tuple[Any, ...]], dict[str, Any] | None]:
    if destination == "duckdb":
        database = data_dir / "clario.duckdb"
        if not database.exists():
            raise _missing_warehouse(database)
        return _duckdb_read(database)
    if not pg_dsn:
        raise typer.BadParameter("--destination postgres needs --pg-dsn or CLARIO_PG_DSN")
    return _postgres_read(pg_dsn)


def _from_status_file(data_dir: Path) -> tuple[list[tuple[Any, ...]], dict[str, Any] | None]:
    """The same rows as `sync_status`, from the status file the run keeps."""
    from flows.status_file import read_status

    state = read_status(data_dir)
    now = datetime.now(UTC)
    rows = []
    for entry in sorted(state.get("data_sets", {}).values(), key=lambda e: _key(e["last"])):
        last = entry["last"]
        success = entry.get("last_success_at")
        hours = (
            round((now - datetime.fromisoformat(success)).total_seconds() / 3600, 1)
            if success
            else None
        )
        rows.append(
            (
                last["seller_id"],
                last["data_set"],
                last["status"],
                last.get("rows_loaded"),
                last.get("rows_rejected"),
                entry.get("synced_through"),
                hours,
                hours is not None and hours <= FRESH_HOURS,
                last.get("error"),
            )
        )
    builds = state.get("builds") or []
    return rows, ({k: builds[0].get(k) for k in BUILD_KEYS} if builds else None)


def _key(summary: dict[str, Any]) -> tuple[str, str]:
    return (summary["seller_id"], summary["data_set"])


def problems(rows: list[tuple[Any, ...]], build: dict[str, Any] | None) -> list[str]:
    """What an operator should be alerted about; empty when all is well."""
    found = []
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        name = f"{record['seller_id']}/{record['data_set']}"
        if record["last_status"] == "failed":
            found.append(f"{name} failed: {record['last_error']}")
        elif not record["is_fresh"]:
            since = record["hours_since_success"]
            found.append(
                f"{name} is stale: "
                + (f"last success {since} h ago" if since is not None else "never succeeded")
            )
    if build and build["status"] != "ok":
        found.append(f"the last dbt build failed: {build['reason']}")
    return found


def status(
    destination: DestinationOption = Destination.duckdb,
    data_dir: DataDirOption = Path("data"),
    pg_dsn: PgDsnOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Latest sync per seller and data set, and the last build; exits 1 when one failed or is
    stale (0 all well, 2 bad option, 3 nothing synced yet)."""
    try:  # the schema names go into SQL: refused before any work when they are not names
        audit_dataset()
        marts_schema(destination.value, dict(os.environ))
    except LayoutError as error:
        raise typer.BadParameter(str(error)) from None
    note = ""
    source = "warehouse"
    running = None
    if destination == Destination.duckdb:
        from flows.warehouse_lock import describe, duckdb_holder

        running = duckdb_holder(data_dir)
    try:
        if running is not None:
            raise WarehouseLocked(f"a run is in progress ({describe(running)})")
        rows, build = _warehouse_read(destination.value, data_dir, pg_dsn)
    except WarehouseLocked as locked:
        from flows.status_file import read_status, status_path

        source = str(status_path(data_dir))
        note = f"{locked}: read from {source}, updated {read_status(data_dir).get('updated_at')}"
        rows, build = _from_status_file(data_dir)
    if not rows:
        # `sync_status` not built yet (the first build failed before it): the run's file
        from flows.status_file import status_path

        rows = _from_status_file(data_dir)[0]
        if rows:
            source = str(status_path(data_dir))
            note = f"sync_status is not built yet: read from {source}"
    found = problems(rows, build)
    if as_json:
        records = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        typer.echo(
            json.dumps(
                {
                    "healthy": bool(rows) and not found,
                    "problems": found,
                    "source": source,
                    "run_in_progress": running,
                    "data_sets": records,
                    "last_build": build,
                },
                indent=2,
                default=str,
            )
        )
    else:
        if note:
            console.print(note)
        if rows:
            console.print(status_table(rows))
        if build:
            console.print(build_line(build))
        for problem in found:
            console.print(f"[red]{problem}[/red]")
    if found:
        raise typer.Exit(code=EXIT_UNHEALTHY)
    if not rows:
        if not as_json:
            console.print("No sync has run yet.")
        raise typer.Exit(code=EXIT_NOTHING)


def build_line(build: dict[str, Any]) -> str:
    duration = build.get("duration_seconds")
    took = f" in {float(duration):.0f} s" if duration is not None else ""
    line = f"Last dbt build: {build['status']}{took}, finished {build.get('finished_at')}"
    return line + (f" ({build['reason']})" if build.get("reason") else "")


def status_table(rows: list[tuple[Any, ...]]) -> Table:
    """`sync_status`'s rows as the table `clario status` prints."""
    table = Table(title="Latest syncs (sync_status)")
    for column in COLUMNS.values():
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    return table
