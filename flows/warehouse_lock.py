"""One run at a time per warehouse, and writers that wait for DuckDB's file lock.

Two runs into one warehouse would race on dlt's pipeline state and on the load packages
under the data directory (both failed, and dlt's state needed repair by hand). A run
therefore holds the warehouse for its whole length:

- DuckDB: an exclusive `flock` on `<data dir>/clario.lock`;
- PostgreSQL: a session advisory lock on a connection of its own, keyed by the raw and
  audit datasets (`extract.layout.advisory_key`), so warehouses sharing a database do
  not wait on each other.

Both belong to the process: the kernel drops the flock and the server ends the session
when the holder dies, even by `kill -9`, so nothing is left to clean up. A second run
waits for the first up to `CLARIO_LOCK_WAIT_SECONDS` (default 0: it refuses at once) and
then names the holder: pid, host, start time.

DuckDB also locks its file against any other process's connection, a read-only one
(an analyst's notebook) included. `warehouse_writer` waits, bounded, until the file is free
before a load or a build opens it, then says which process holds it.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import json
import os
import re
import socket
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from extract.layout import advisory_key

if TYPE_CHECKING:
    from extract.pipeline import WarehouseWriter

LOCK_FILE = "clario.lock"
# any constant both sides agree on: "clario" in ASCII
APPLICATION_NAME = "clario-run"
DEFAULT_DUCKDB_WAIT_SECONDS = 120.0

P = ParamSpec("P")
R = TypeVar("R")


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse; the message names it."""


class DuckDbFileHeld(RuntimeError):
    """A process outside the run (a notebook, a tool) kept the DuckDB file past the wait."""


def _wait_seconds(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name, default)))
    except ValueError:
        return default


def holder_record() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "another run (holder unknown)"
    return (
        f"pid {holder.get('pid')} on {holder.get('host')}, running since {holder.get('started_at')}"
    )


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_FILE


def duckdb_holder(data_dir: Path) -> dict[str, Any] | None:
    """The run holding the DuckDB warehouse, or None when no run holds it."""
    path = lock_path(data_dir)
    if not path.exists():
        return None
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                return dict(json.loads(handle.read() or "{}"))
            except ValueError:
                return {}
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


@contextmanager
def _duckdb_lock(data_dir: Path, wait_seconds: float) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    # never truncated before the lock is ours: the holder's record stays readable
    handle = lock_path(data_dir).open("a+")
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    try:
                        holder = json.loads(handle.read() or "{}")
                    except ValueError:
                        holder = {}
                    raise WarehouseBusy(
                        f"the warehouse {data_dir / 'clario.duckdb'} is in use by "
                        f"{describe(holder)}; waited {wait_seconds:.0f} s "
                        "(CLARIO_LOCK_WAIT_SECONDS / --lock-wait)"
                    ) from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder_record()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


def postgres_holder(dsn: str) -> dict[str, Any] | None:
    """The session holding the warehouse's advisory lock, or None."""
    import psycopg2

    with psycopg2.connect(dsn, connect_timeout=10) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select a.pid, a.application_name, a.client_addr::text, a.backend_start"
            " from pg_locks l join pg_stat_activity a on a.pid = l.pid"
            " where l.locktype = 'advisory' and l.granted"
            " and ((l.classid::bigint << 32) | l.objid::bigint) = %s",
            [advisory_key("run")],
        )
        row = cursor.fetchone()
    connection.close()
    if row is None:
        return None
    # the holder put its own pid and host in its application name
    found = re.match(r"clario-run pid=(\d+) host=(\S+)", row[1] or "")
    return {
        "pid": int(found.group(1)) if found else None,
        "host": found.group(2) if found else (row[2] or "local socket"),
        "started_at": row[3].isoformat(timespec="seconds") if row[3] else None,
        "backend_pid": row[0],
    }


@contextmanager
def _postgres_lock(dsn: str, wait_seconds: float) -> Iterator[None]:
    import psycopg2

    me = holder_record()
    connection = psycopg2.connect(
        dsn,
        connect_timeout=10,
        application_name=f"{APPLICATION_NAME} pid={me['pid']} host={me['host']}"[:63],
        # the server notices a holder that vanished without closing its socket
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )
    connection.autocommit = True
    try:
        deadline = time.monotonic() + wait_seconds
        with connection.cursor() as cursor:
            while True:
                cursor.execute("select pg_try_advisory_lock(%s)", [advisory_key("run")])
                row = cursor.fetchone()
                if row and row[0]:
                    break
                if time.monotonic() >= deadline:
                    where = connection.get_dsn_parameters()
                    raise WarehouseBusy(
                        f"the warehouse {where.get('dbname')} on {where.get('host')} is in use"
                        f" by {describe(postgres_holder(dsn))}; waited {wait_seconds:.0f} s"
                        " (CLARIO_LOCK_WAIT_SECONDS / --lock-wait)"
                    )
                time.sleep(0.5)
        yield
    finally:
        connection.close()  # ending the session releases the advisory lock


@contextmanager
def hold_warehouse(
    destination: str, data_dir: Path, wait_seconds: float | None = None
) -> Iterator[None]:
    """Hold the warehouse for a whole run (DSN from CLARIO_PG_DSN for Postgres)."""
    wait = _wait_seconds("CLARIO_LOCK_WAIT_SECONDS", 0) if wait_seconds is None else wait_seconds
    if destination == "postgres":
        dsn = os.environ.get("CLARIO_PG_DSN")
        if not dsn:
            raise ValueError("postgres needs a DSN in CLARIO_PG_DSN")
        with _postgres_lock(dsn, wait):
            yield
    else:
        with _duckdb_lock(data_dir, wait):
            yield


def warehouse_locked(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a flow function holding its warehouse (its `destination` and `data_dir`).

    Wraps the function under `@flow`, so Prefect still sees its signature, and every run
    (`clario run`, a scheduled run, a worker's) holds the lock for its whole length. Load
    packages older than the retention are pruned at the end, lock still held.
    """
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        destination = str(bound.arguments.get("destination", "duckdb"))
        data_dir = Path(bound.arguments.get("data_dir", Path("data")))
        from flows.housekeeping import configure_dlt, prune_loaded_packages

        configure_dlt()
        with hold_warehouse(destination, data_dir):
            try:
                return fn(*args, **kwargs)
            finally:
                prune_loaded_packages(data_dir)

    # Prefect builds its parameter model from the annotations, resolved in the wrapper's
    # module, where the flow's names (DestinationName, SyncSettings...) are unknown.
    locked.__annotations__ = typing.get_type_hints(fn)
    locked.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return locked


# --- DuckDB's own file lock -------------------------------------------------------------

_CONFLICT = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


def _process_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:120]


def duckdb_lock_holder(message: str) -> str:
    """Who holds a DuckDB file, from DuckDB's own lock-conflict message."""
    found = _CONFLICT.search(message)
    if not found:
        return "another process"
    pid = int(found.group(2))
    line = _process_line(pid)
    return f"process {pid} ({line or found.group(1)})"


def wait_for_duckdb_file(database: Path, wait_seconds: float | None = None) -> None:
    """Return once no other process holds `database`; raise DuckDbFileHeld after the wait.

    A connection of this process (dbt's, say) does not count: DuckDB shares it.
    """
    import duckdb

    if not database.exists():
        return
    wait = (
        _wait_seconds("CLARIO_DUCKDB_WAIT_SECONDS", DEFAULT_DUCKDB_WAIT_SECONDS)
        if wait_seconds is None
        else wait_seconds
    )
    deadline = time.monotonic() + wait
    while True:
        try:
            duckdb.connect(str(database)).close()
            return
        except duckdb.ConnectionException:
            return  # open in this process under another configuration: ours
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise DuckDbFileHeld(
                    f"{database} is held by {duckdb_lock_holder(str(error))}, a connection"
                    f" outside this run (a notebook or another tool?); waited {wait:.0f} s"
                    " (CLARIO_DUCKDB_WAIT_SECONDS). Close it and run again."
                ) from None
            time.sleep(0.5)


def warehouse_writer(destination: str, data_dir: Path) -> WarehouseWriter:
    """The extractor's writer (one load at a time) that, on DuckDB, also waits until no
    other process holds the file (a notebook, `clario status`) before each write."""
    from extract.pipeline import WarehouseWriter

    database = data_dir / "clario.duckdb"
    return WarehouseWriter(
        destination,  # type: ignore[arg-type]
        data_dir,
        os.environ.get("CLARIO_PG_DSN") or None,
        before_write=(
            functools.partial(wait_for_duckdb_file, database) if destination == "duckdb" else None
        ),
    )
