"""Shard runs of one PostgreSQL warehouse run side by side, never beside a whole run or a
build, and never beside shard runs of another split (their sellers could overlap); their
loads overlap too, except those that may change the tables."""

from __future__ import annotations

import socket
import threading
from contextlib import ExitStack
from pathlib import Path

import psycopg2
import pytest

from extract.layout import staging_dataset
from extract.pipeline import WarehouseWriter
from flows.warehouse_lock import WarehouseBusy, hold_warehouse, postgres_holder

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_dsn: str, pg_datasets: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """CLARIO_PG_DSN set; the locks are keyed by this test's own datasets."""
    monkeypatch.setenv("CLARIO_PG_DSN", pg_dsn)
    return pg_dsn


def _refused(tmp_path: Path, says: str, **part: object) -> str:
    with pytest.raises(WarehouseBusy) as busy, hold_warehouse("postgres", tmp_path, 0, **part):  # type: ignore[arg-type]
        pass
    message = str(busy.value)
    assert says in message, message
    return message


def test_shards_share_the_warehouse_and_keep_whole_runs_out(pg: str, tmp_path: Path) -> None:
    with ExitStack() as held:
        held.enter_context(hold_warehouse("postgres", tmp_path, 0, shard=0, shards=2))
        held.enter_context(hold_warehouse("postgres", tmp_path, 0, shard=1, shards=2))
        holder = postgres_holder(pg)
        assert holder is not None and holder["part"] in ("shard=0/2", "shard=1/2"), holder
        message = _refused(tmp_path, "is in use by pid")
        assert f"on {socket.gethostname()} (shard=" in message
        _refused(tmp_path, "another run of shard 1/2 is running", shard=1, shards=2)
        # three shards, or two of another list, would deal the sellers differently
        _refused(tmp_path, "shard runs of another split", shard=0, shards=3)
        _refused(tmp_path, "shard runs of another split", shard=0, shards=2, sellers=["A1"])
    # all gone with their sessions: a whole run, then shards of another count
    with hold_warehouse("postgres", tmp_path, 0):
        _refused(tmp_path, "is in use by pid", shard=0, shards=2)
        assert "part" not in (postgres_holder(pg) or {"part": "nobody"})
    with hold_warehouse("postgres", tmp_path, 0, shard=2, shards=3):
        pass
    # the shards of one dealt list, the list in any order, run side by side
    listed, reordered = ["A1", "B2"], ["B2", "A1"]
    with (
        hold_warehouse("postgres", tmp_path, 0, shard=0, shards=2, sellers=listed),
        hold_warehouse("postgres", tmp_path, 0, shard=1, shards=2, sellers=reordered),
    ):
        _refused(tmp_path, "another run of shard 1/2", shard=1, shards=2, sellers=listed)


def test_a_pool_run_shares_with_its_shards_then_builds_alone(pg: str, tmp_path: Path) -> None:
    with hold_warehouse("postgres", tmp_path, 0, pool=True) as pool:
        _refused(tmp_path, "another sync-pool run is running", pool=True)
        _refused(tmp_path, "is in use by pid")  # no whole run while the pool runs
        # the build waits for its shards; here it gives up, naming the shard
        with (
            hold_warehouse("postgres", tmp_path, 0, shard=0, shards=2),
            pytest.raises(WarehouseBusy, match=r"\(shard=0/2\)"),
        ):
            pool.make_exclusive(1)
        pool.make_exclusive(0)  # the shard ended: the build holds the warehouse alone
        _refused(tmp_path, "is in use by pid", shard=1, shards=2)
        _refused(tmp_path, "is in use by pid")
    with hold_warehouse("postgres", tmp_path, 0):
        pass


def test_the_pool_and_shards_need_postgres(tmp_path: Path) -> None:
    from flows.shards import ShardError

    with (
        pytest.raises(ShardError, match="needs PostgreSQL"),
        hold_warehouse("duckdb", tmp_path, 0, pool=True),
    ):
        pass
    assert not (tmp_path / "clario.lock").exists()


def _enters_within(writer: WarehouseWriter, schema_hash: str | None, seconds: float) -> bool:
    """Whether `writer` gets the warehouse for a load of `schema_hash` within `seconds`
    (it keeps trying in the background, and lets go once in)."""
    entered = threading.Event()

    def load() -> None:
        with writer(schema_hash):
            entered.set()

    threading.Thread(target=load, daemon=True).start()
    return entered.wait(seconds)


def test_shards_loads_overlap_unless_one_may_change_the_tables(
    pg: str, pg_datasets: tuple[str, str], tmp_path: Path
) -> None:
    raw, _ = pg_datasets
    with psycopg2.connect(pg) as connection, connection.cursor() as cursor:
        # what dlt records of each schema version it migrated the raw dataset to
        cursor.execute(f'create schema "{raw}"')
        cursor.execute(f'create table "{raw}"._dlt_version (version_hash text)')
        cursor.execute(f"insert into \"{raw}\"._dlt_version values ('known')")
    shard0, shard1, whole = (
        WarehouseWriter("postgres", tmp_path, pg, staging_dataset=staging_dataset(shard))
        for shard in (0, 1, None)
    )
    with shard0("known"):
        assert _enters_within(shard1, "known", 30), "a data-only load of another shard waits"
        # a load that may create or alter tables, or any other write, waits for every load
        assert not _enters_within(shard1, "unknown", 2)
    assert _enters_within(whole, None, 30)
    with shard0("unknown"):
        assert not _enters_within(shard1, "known", 2)
