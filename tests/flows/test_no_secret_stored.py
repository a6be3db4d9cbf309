"""No secret is stored anywhere a run leaves things: not in Prefect's database, dbt's
artifacts and logs, dlt's pipeline directories, the status file, nor any table.

Canaries: the seller's LWA client secret and refresh token (given to `clario run` only
as environment variables named by the sellers file) and a database password (a Postgres
role created with it; the test server's trust auth accepts it, so the DSN carries it),
the DSN given with `--pg-dsn` or through CLARIO_PG_DSN.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg2
import pytest

from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST
from tests.flows.operator import ROOT, SINCE, TINY, clario, clario_env, env_sellers_file


def files_holding(roots: list[Path], canaries: list[str], since: float = 0) -> list[str]:
    """`path: canary` for every file under `roots` (written after `since`) whose bytes hold
    a canary."""
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_mtime >= since:
                data = path.read_bytes()
                found += [f"{path}: {c}" for c in canaries if c.encode() in data]
    return found


def checked_files(tmp_path: Path) -> list[Path]:
    """Where a run may leave files: the data dir (warehouse, dlt pipelines, dbt target
    and logs, status file), Prefect's home, the run's home directory (dlt's and dbt's
    global directories), and the checkout it runs from (dbt's default target and logs,
    dlt's `.dlt`), whose files older than the run are not the run's."""
    return [tmp_path / "data", tmp_path / "prefect_home", tmp_path / "home"]


def checkout_files_holding(canaries: list[str], since: float) -> list[str]:
    return files_holding(
        [ROOT / "dbt_project", ROOT / ".dlt", ROOT / "logs", ROOT / "target"], canaries, since
    )


def duckdb_rows_holding(database: Path, canaries: list[str]) -> list[str]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        found = []
        for schema, table in tables:
            for row in connection.execute(f'select * from "{schema}"."{table}"').fetchall():
                text = repr(row)
                found += [f"{schema}.{table}: {c}" for c in canaries if c in text]
        return found
    finally:
        connection.close()


def postgres_rows_holding(dsn: str, schemas: list[str], canaries: list[str]) -> list[str]:
    found = []
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s)",
            [schemas],
        )
        for schema, table in cursor.fetchall():
            cursor.execute(f'select t::text from "{schema}"."{table}" t')
            for (text,) in cursor.fetchall():
                found += [f"{schema}.{table}: {c}" for c in canaries if c in text]
    connection.close()
    return found


@pytest.fixture
def canary_role(pg_dsn: str) -> Iterator[tuple[str, str]]:
    """A login role with a canary password; (its DSN, the password)."""
    name = f"clario_canary_{uuid.uuid4().hex[:8]}"
    password = f"pw-canary-{uuid.uuid4().hex}"
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        # superuser: it drops and recreates the fixed raw schemas other tests made
        cursor.execute(f"create role {name} login superuser password %s", [password])
    connection.close()
    host_and_db = pg_dsn.split("@", 1)[1]
    yield f"postgresql://{name}:{password}@{host_and_db}", password
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f"drop owned by {name} cascade")
        cursor.execute(f"drop role {name}")
    connection.close()


def _run_and_collect(
    tmp_path: Path, extra_env: dict[str, str], extra_args: list[str]
) -> tuple[list[str], World]:
    world = World(TINY)
    (tmp_path / "home").mkdir()
    with RunningSimulator(world, FAST) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "config" / "sellers.toml"
        )
        home = {"HOME": str(tmp_path / "home")}
        env = clario_env(tmp_path, {**credentials, **home, **extra_env})
        result = clario(
            [
                "run",
                "--sellers-file",
                str(sellers),
                "--data-dir",
                str(tmp_path / "data"),
                "--since",
                SINCE,
                *extra_args,
            ],
            env,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    canaries = [a.client_secret for a in world.sellers] + [a.refresh_token for a in world.sellers]
    output = [f"output: {c}" for c in canaries if c in result.stdout + result.stderr]
    return output, world


def test_a_duckdb_run_stores_no_secret(tmp_path: Path) -> None:
    # a DSN in the environment, unused by a DuckDB run, was still stored as a parameter
    password = f"pw-canary-{uuid.uuid4().hex}"
    dsn = f"postgresql://someone:{password}@127.0.0.1:5432/test"
    started = time.time()
    found, world = _run_and_collect(tmp_path, {"CLARIO_PG_DSN": dsn}, [])
    canaries = [password]
    canaries += [a.client_secret for a in world.sellers] + [a.refresh_token for a in world.sellers]
    assert (tmp_path / "prefect_home" / "prefect.db").exists(), "the run's Prefect database"
    assert (tmp_path / "data" / "dbt_target" / "run_results.json").exists()
    assert (tmp_path / "data" / "dbt_logs" / "dbt.log").exists()
    assert list((tmp_path / "data" / "pipelines").glob("*/state.json")), "dlt's pipelines"
    found += files_holding(checked_files(tmp_path), canaries)
    found += checkout_files_holding(canaries, started)
    found += duckdb_rows_holding(tmp_path / "data" / "clario.duckdb", canaries)
    assert found == []


@pytest.mark.postgres
@pytest.mark.parametrize("given", ["--pg-dsn", "CLARIO_PG_DSN"])
def test_a_postgres_run_stores_no_secret_however_the_dsn_is_given(
    tmp_path: Path,
    pg_dsn: str,
    canary_role: tuple[str, str],
    pg_datasets: tuple[str, str],
    given: str,
) -> None:
    dsn, password = canary_role
    dsn_env = {"CLARIO_PG_DSN": dsn} if given == "CLARIO_PG_DSN" else {}
    dsn_args = ["--pg-dsn", dsn] if given == "--pg-dsn" else []
    started = time.time()
    marts = f"clario_canary_{uuid.uuid4().hex[:8]}"
    schemas = [marts]  # the raw and audit datasets are this test's own (pg_datasets)

    def drop() -> None:
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(f'drop schema if exists "{schema}" cascade')
        connection.close()

    drop()
    try:
        found, world = _run_and_collect(
            tmp_path,
            {"CLARIO_PG_SCHEMA": marts, "CLARIO_LOCK_WAIT_SECONDS": "600", **dsn_env},
            ["--destination", "postgres", *dsn_args],
        )
        canaries = [password]
        canaries += [a.client_secret for a in world.sellers]
        canaries += [a.refresh_token for a in world.sellers]
        assert (tmp_path / "data" / "dbt_target" / "run_results.json").exists()
        found += files_holding(checked_files(tmp_path), canaries)
        found += checkout_files_holding(canaries, started)
        found += postgres_rows_holding(pg_dsn, [*schemas, *pg_datasets], canaries)
        # the run really went through the canary role
        with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select schema_owner from information_schema.schemata where schema_name = %s",
                [marts],
            )
            assert cursor.fetchone() == (dsn.split("//")[1].split(":")[0],)
        connection.close()
        assert found == []
    finally:
        drop()
