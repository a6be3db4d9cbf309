"""Fixtures shared by every test: the real PostgreSQL and helpers to talk to the simulator."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
START_PG_HINT = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
    "(Debian) or point CLARIO_TEST_PG_DSN at a reachable server, "
    "e.g. postgresql://user@host:5432/dbname"
)


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The test PostgreSQL; an unreachable server fails the test with how to start it."""
    dsn = os.environ.get("CLARIO_TEST_PG_DSN", DEFAULT_PG_DSN)
    try:
        psycopg2.connect(dsn, connect_timeout=5).close()
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {dsn}: {error.args[0].strip()}\n{START_PG_HINT}"
        )
    return dsn


@pytest.fixture
def pg_schema(pg_dsn: str) -> Iterator[str]:
    """A fresh schema of the test PostgreSQL, dropped afterwards."""
    name = f"clario_test_{uuid.uuid4().hex[:10]}"
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'create schema "{name}"')
    try:
        yield name
    finally:
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(f'drop schema if exists "{name}" cascade')


@pytest.fixture
def pg_datasets(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(raw, audit) schemas of the test PostgreSQL for this test alone, dropped after.

    Sellers share one raw dataset, so tests running side by side on one server each get
    their own, through the variables the extractor and dbt both read.
    """
    suffix = uuid.uuid4().hex[:10]
    raw, audit = f"raw_spapi_{suffix}", f"raw_clario_audit_{suffix}"
    monkeypatch.setenv("CLARIO_RAW_SCHEMA", raw)
    monkeypatch.setenv("CLARIO_AUDIT_SCHEMA", audit)
    try:
        yield raw, audit
    finally:
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            # shard runs merge through staging datasets of their own (extract/layout.py)
            cursor.execute(
                "select nspname from pg_namespace where starts_with(nspname, %s)",
                [f"{raw}_staging_shard"],
            )
            shards = [name for (name,) in cursor.fetchall()]
            for name in (raw, f"{raw}_staging", *shards, audit, f"{audit}_staging"):
                cursor.execute(f'drop schema if exists "{name}" cascade')


# The suite's longest files, longest first (seconds per file in a full run on a 2-core
# machine: 270 down to 100). xdist hands whole files (--dist loadfile) to whichever worker
# is free, in collection order; collected last, as their paths put them, they left one
# worker idle for five minutes at the end. Files not listed follow in their usual order.
LONGEST_FILES_FIRST = (
    "tests/transform/test_many_sellers_duckdb.py",
    "tests/transform/test_dbt_build.py",
    "tests/flows/test_no_secret_stored.py",
    "tests/flows/test_work_pool.py",
    "tests/extract/test_sync_behaviours.py",
    "tests/flows/test_serve.py",
    "tests/flows/test_two_runs.py",
    "tests/flows/test_sync_flow.py",
    "tests/transform/test_many_sellers_postgres.py",
    "tests/test_hostile_configuration.py",
    "tests/transform/test_inventory_claims.py",
    "tests/flows/test_demo.py",
    "tests/flows/test_cli.py",
    "tests/transform/test_settlements_from_reports.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(LONGEST_FILES_FIRST)}
    root = config.rootpath

    def order(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(root).as_posix(), len(rank))

    items.sort(key=order)  # stable: the tests of a file keep their order
