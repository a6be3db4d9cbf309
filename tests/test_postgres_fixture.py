"""The test PostgreSQL: reachable tests use a schema of their own; unreachable ones fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
def test_a_test_gets_its_own_schema_and_it_is_dropped(pg_dsn: str, pg_schema: str) -> None:
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'create table "{pg_schema}".probe (id int)')
        cursor.execute(
            "select count(*) from information_schema.schemata where schema_name = %s", (pg_schema,)
        )
        assert cursor.fetchone() == (1,)


def test_unreachable_postgres_fails_with_how_to_start_it() -> None:
    target = "tests/test_postgres_fixture.py::test_a_test_gets_its_own_schema_and_it_is_dropped"
    env = {**os.environ, "CLARIO_TEST_PG_DSN": "postgresql://nobody@127.0.0.1:1/none"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", target],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout and "skipped" not in result.stdout
    assert "PostgreSQL is not reachable at postgresql://nobody@127.0.0.1:1/none" in result.stdout
    assert "pg_ctlcluster" in result.stdout
