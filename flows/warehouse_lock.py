"""One run at a time per warehouse, and writers that wait for DuckDB's file lock.

Two runs into one warehouse would race on dlt's pipeline state and on the load packages
under the data directory (both failed, and dlt's state needed repair by hand). A run
therefore holds the warehouse for its whole length:

- DuckDB: an exclusive `flock` on `<data dir>/clario.lock`;
- PostgreSQL: a session advisory lock on a connection of its own, keyed by the raw and
  audit datasets (`extract.layout.advisory_key`), so warehouses sharing a database do
  not wait on each other.

On PostgreSQL a sync can also be split into shard runs on several workers, each syncing
its own sellers (flows/shards.py, flows/pool_flow.py). Their sellers are disjoint, so they
may run side by side, but never beside a whole run or a build. The session's locks:

- a whole run: the `run` lock, exclusive;
- shard i of n: the `run` lock shared; the pair (split key, its deal) shared, after which
  it checks that no shard run of another deal holds its pair (flows/shards.py: a seller's
  shard depends on the count and on the list dealt, so runs of 2 and of 3 shards, or of
  two lists, could sync the same sellers); `run:shard:i/n:<deal>` exclusive;
- a sync-pool run: `pool` exclusive (one at a time) and the `run` lock shared while its
  shards run, then exclusive, in the same session, for the build.

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


def lock_wait_seconds() -> float:
    """How long a run waits for another to free the warehouse (default 0: not at all)."""
    return _wait_seconds("CLARIO_LOCK_WAIT_SECONDS", 0)


def holder_record() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "another run (holder unknown)"
    part = f" ({holder['part']})" if holder.get("part") else ""
    return (
        f"pid {holder.get('pid')} on {holder.get('host')}{part},"
        f" running since {holder.get('started_at')}"
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


# what a holder's application name says: its pid, its part (a shard, a sync-pool run), host
HOLDER_NAME = re.compile(r"clario-run pid=(?P<pid>\d+)(?: (?P<part>\S+))? host=(?P<host>\S+)")


# An advisory lock: one bigint key, or a pair of int keys (PostgreSQL's two forms).
Lock = int | tuple[int, int]


def postgres_holder(
    dsn: str, excluding: int | None = None, lock: Lock | None = None
) -> dict[str, Any] | None:
    """A session holding `lock` (default: the warehouse's run lock), or None.

    The run lock's holder is the whole run or build holding it alone, else one of the
    shard runs (or the sync-pool run) sharing it. `excluding`: a backend pid to leave out
    (the asking session's own).
    """
    import psycopg2

    lock = advisory_key("run") if lock is None else lock
    # pg_locks splits a bigint key in two halves; a pair is its two keys, objsubid 2
    where = (*lock, 2) if isinstance(lock, tuple) else (lock >> 32, lock & 0xFFFFFFFF, 1)
    with psycopg2.connect(dsn, connect_timeout=10) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select a.pid, a.application_name, a.client_addr::text, a.backend_start"
            " from pg_locks l join pg_stat_activity a on a.pid = l.pid"
            " where l.locktype = 'advisory' and l.granted and l.classid::bigint = %s"
            " and l.objid::bigint = %s and l.objsubid = %s and l.pid <> %s"
            " order by l.mode = 'ExclusiveLock' desc, a.backend_start",
            [*where, excluding or 0],
        )
        row = cursor.fetchone()
    connection.close()
    if row is None:
        return None
    # the holder put its own pid, part and host in its application name
    found = HOLDER_NAME.match(row[1] or "")
    holder: dict[str, Any] = {
        "pid": int(found.group("pid")) if found else None,
        "host": found.group("host") if found else (row[2] or "local socket"),
        "started_at": row[3].isoformat(timespec="seconds") if row[3] else None,
        "backend_pid": row[0],
    }
    if found and found.group("part"):
        holder["part"] = found.group("part")
    return holder


class WarehouseHold:
    """What a run holds on its warehouse while it runs.

    On PostgreSQL the locks belong to one session of the run's own: `make_exclusive` takes
    the run lock exclusively in that same session (a sync-pool run's build, once its shards
    are done), which PostgreSQL grants as soon as no other session shares it. On DuckDB the
    file lock is exclusive from the start.
    """

    def __init__(self, cursor: Any = None, dsn: str = "") -> None:
        self._cursor = cursor
        self._dsn = dsn

    def make_exclusive(self, wait_seconds: float) -> None:
        if self._cursor is None:
            return
        cursor = self._cursor
        # the shared lock stays while it waits: no whole run may slip in before the build
        _take(cursor, self._dsn, wait_seconds, lambda: _try_whole(cursor), release_on_failure=False)


# Why an attempt failed: what to say, and the lock whose holder to name.
Busy = tuple[str, Lock]


def _granted(cursor: Any, function: str, *keys: int) -> bool:
    cursor.execute(f"select {function}({', '.join(['%s'] * len(keys))})", keys)
    row = cursor.fetchone()
    return bool(row and row[0])


def _try_whole(cursor: Any) -> Busy | None:
    """The run lock, exclusive: a whole run, or a build."""
    run = advisory_key("run")
    return None if _granted(cursor, "pg_try_advisory_lock", run) else ("", run)


def _split_lock_key() -> int:
    """The first key of the (key, deal) pair every shard run holds shared: 31 bits."""
    return advisory_key("shard-split") >> 32


def _try_shard(cursor: Any, shard: int, shards: int, split: int) -> Busy | None:
    """Shared run lock (no whole run or build meanwhile), its deal declared, no shard run
    of another deal (their sellers could overlap), then the shard itself, exclusive."""
    run = advisory_key("run")
    if not _granted(cursor, "pg_try_advisory_lock_shared", run):
        return "", run  # a whole run or a build holds it
    split_lock = _split_lock_key()
    # shared by every run of this deal, never held exclusively: always granted
    _granted(cursor, "pg_try_advisory_lock_shared", split_lock, split)
    # Declared first, checked second: of two runs of different deals that start together,
    # at least the one that checks last sees the other (both may refuse).
    cursor.execute(
        "select min(l.objid::bigint) from pg_locks l where l.locktype = 'advisory'"
        " and l.granted and l.objsubid = 2 and l.classid::bigint = %s and l.objid::bigint <> %s",
        [split_lock, split],
    )
    other = (cursor.fetchone() or [None])[0]
    if other is not None:
        return (
            "shard runs of another split (another shard count or list of sellers) are"
            " running, and a seller's shard depends on both: they could sync the same sellers",
            (split_lock, int(other)),
        )
    key = advisory_key(f"run:shard:{shard}/{shards}:{split}")
    if not _granted(cursor, "pg_try_advisory_lock", key):
        return f"another run of shard {shard}/{shards} is running", key
    return None


def _try_pool(cursor: Any) -> Busy | None:
    """One sync-pool run at a time, sharing the run lock with its shards."""
    pool, run = advisory_key("pool"), advisory_key("run")
    if not _granted(cursor, "pg_try_advisory_lock", pool):
        return "another sync-pool run is running", pool
    return None if _granted(cursor, "pg_try_advisory_lock_shared", run) else ("", run)


def _take(
    cursor: Any,
    dsn: str,
    wait_seconds: float,
    attempt: Callable[[], Busy | None],
    release_on_failure: bool = True,
) -> None:
    """Try `attempt` until it succeeds or `wait_seconds` have passed, then raise WarehouseBusy.

    A failed attempt gives back whatever it took, so a waiting run holds nothing that
    could keep another from finishing its own start.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        busy = attempt()
        if busy is None:
            return
        reason, lock = busy
        if release_on_failure:
            cursor.execute("select pg_advisory_unlock_all()")
        if time.monotonic() >= deadline:
            where = cursor.connection.get_dsn_parameters()
            raise WarehouseBusy(
                f"the warehouse {where.get('dbname')} on {where.get('host')} is in use"
                f" by {describe(postgres_holder(dsn, cursor.connection.get_backend_pid(), lock))}"
                f"{': ' + reason if reason else ''};"
                f" waited {wait_seconds:.0f} s (CLARIO_LOCK_WAIT_SECONDS / --lock-wait)"
            )
        time.sleep(0.5)


@contextmanager
def _postgres_lock(
    dsn: str,
    wait_seconds: float,
    shard: int | None = None,
    shards: int = 1,
    pool: bool = False,
    split: int = 0,
) -> Iterator[WarehouseHold]:
    import psycopg2

    me = holder_record()
    part = f" shard={shard}/{shards}" if shard is not None else (" pool" if pool else "")
    connection = psycopg2.connect(
        dsn,
        connect_timeout=10,
        application_name=f"{APPLICATION_NAME} pid={me['pid']}{part} host={me['host']}"[:63],
        # the server notices a holder that vanished without closing its socket
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )
    connection.autocommit = True
    try:
        cursor = connection.cursor()
        if shard is not None:
            _take(cursor, dsn, wait_seconds, lambda: _try_shard(cursor, shard, shards, split))
        elif pool:
            _take(cursor, dsn, wait_seconds, lambda: _try_pool(cursor))
        else:
            _take(cursor, dsn, wait_seconds, lambda: _try_whole(cursor))
        yield WarehouseHold(cursor, dsn)
        # released before the session closes, so a sync-pool run waiting to build sees it
        # free at once, not whenever the server notices the closed session
        cursor.execute("select pg_advisory_unlock_all()")
    finally:
        connection.close()  # ending the session releases the advisory locks, if still held


@contextmanager
def hold_warehouse(
    destination: str,
    data_dir: Path,
    wait_seconds: float | None = None,
    *,
    shard: int | None = None,
    shards: int = 1,
    pool: bool = False,
    sellers: list[str] | None = None,
) -> Iterator[WarehouseHold]:
    """Hold the warehouse for a whole run (DSN from CLARIO_PG_DSN for Postgres).

    A whole run holds it alone. On PostgreSQL, shard `shard` of `shards` of the list
    `sellers` (None: the sellers file) shares it with the other shards of the same deal and
    with the sync-pool run that started them (`pool`), never with a whole run nor with a
    build.
    """
    from flows.shards import ShardError, check_shard, split_key

    check_shard(shard, shards, destination)
    if pool and destination != "postgres":
        raise ShardError("a sync-pool run needs PostgreSQL: its shards run on several workers")
    wait = lock_wait_seconds() if wait_seconds is None else wait_seconds
    if destination == "postgres":
        dsn = os.environ.get("CLARIO_PG_DSN")
        if not dsn:
            raise ValueError("postgres needs a DSN in CLARIO_PG_DSN")
        split = split_key(shards, sellers)
        with _postgres_lock(dsn, wait, shard, shards, pool, split) as hold:
            yield hold
    else:
        with _duckdb_lock(data_dir, wait):
            yield WarehouseHold()


def warehouse_locked(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a flow function holding its warehouse (its `destination` and `data_dir`).

    Wraps the function under `@flow`, so Prefect still sees its signature, and every run
    (`clario run`, a scheduled run, a worker's) holds the lock for its whole length: the
    whole warehouse, or its share of it when the run is a shard (its `shard` and `shards`).
    Load packages older than the retention are pruned at the end, lock still held.
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
        shard = bound.arguments.get("shard")
        shards = bound.arguments.get("shards", 1)
        sellers = bound.arguments.get("sellers")
        with hold_warehouse(destination, data_dir, shard=shard, shards=shards, sellers=sellers):
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


def warehouse_writer(
    destination: str, data_dir: Path, staging_dataset: str | None = None
) -> WarehouseWriter:
    """The extractor's writer (one load at a time; a shard's loads through its own
    `staging_dataset`) that, on DuckDB, also waits until no other process holds the file
    (a notebook, `clario status`) before each write."""
    from extract.pipeline import WarehouseWriter

    database = data_dir / "clario.duckdb"
    return WarehouseWriter(
        destination,  # type: ignore[arg-type]
        data_dir,
        os.environ.get("CLARIO_PG_DSN") or None,
        before_write=(
            functools.partial(wait_for_duckdb_file, database) if destination == "duckdb" else None
        ),
        staging_dataset=staging_dataset,
    )
