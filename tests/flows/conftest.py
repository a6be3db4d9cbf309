"""A Prefect test harness for the session: flows run against a temporary local API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    # generous: the temporary server starts slowly on a busy two-core machine
    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture
def pg_marts_schema(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The marts' schema of this test alone (CLARIO_PG_SCHEMA, which dbt's profile reads),
    dropped afterwards."""
    name = f"clario_test_marts_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("CLARIO_PG_SCHEMA", name)
    try:
        yield name
    finally:
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(f'drop schema if exists "{name}" cascade')
