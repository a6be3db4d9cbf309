"""Run `dbt build` on the warehouse a sync loaded, through prefect-dbt's runner.

(Not `flows/dbt.py` nor `flows/dbt_*.py`: Prefect puts an entrypoint's folder on sys.path
when a worker loads `flows/sync_flow.py`; a module named `dbt` there shadows dbt itself,
and dbt's plugin discovery imports every top-level module whose name starts with `dbt_`
at each invocation.)

Each dbt node shows in Prefect, and a failing model or test fails the flow. A failed
build gets one `dbt retry` (it re-runs only what failed), not a second full build.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings

from extract.pipeline import DestinationName

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"
PROFILE_TEMPLATE = ROOT / "profiles.example.yml"


def profiles_dir(data_dir: Path) -> Path:
    """A profiles dir holding the project's profile as `profiles.yml` (dbt's file name)."""
    target = data_dir / "dbt_profiles"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROFILE_TEMPLATE, target / "profiles.yml")
    return target


def profile_environment(
    destination: DestinationName, data_dir: Path, postgres_dsn: str | None
) -> dict[str, str]:
    """The environment variables profiles.example.yml reads, for this warehouse."""
    if destination == "duckdb":
        return {"CLARIO_DUCKDB_PATH": str((data_dir / "clario.duckdb").resolve())}
    if not postgres_dsn:
        raise ValueError("postgres needs a DSN (CLARIO_PG_DSN)")
    parts = urlsplit(postgres_dsn)
    return {
        "CLARIO_PG_HOST": parts.hostname or "127.0.0.1",
        "CLARIO_PG_PORT": str(parts.port or 5432),
        "CLARIO_PG_USER": parts.username or "postgres",
        "CLARIO_PG_PASSWORD": parts.password or "",
        "CLARIO_PG_DATABASE": parts.path.lstrip("/") or "postgres",
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# Unit tests check the models' logic on fixed inputs: CI runs them (tests/transform); a
# build after every sync would only repeat them, as dbt's documentation says.
SYNC_BUILD_OPTIONS = ("--exclude-resource-type", "unit_test")


def run_dbt_build(
    destination: DestinationName,
    data_dir: Path,
    postgres_dsn: str | None = None,
    extra_args: Sequence[str] = (),
) -> None:
    """`dbt build` against the warehouse; one `dbt retry` if it fails; raises if still failing.

    dbt's artifacts and logs go to the data directory, beside the warehouse they describe:
    two runs into different warehouses (the demo's DuckDB and a Postgres deployment, say)
    then never read each other's partial-parse state or retry each other's failures.
    """
    settings = PrefectDbtSettings(
        project_dir=DBT_PROJECT,
        profiles_dir=profiles_dir(data_dir),
        target_path=(data_dir / "dbt_target").resolve(),
    )
    args = [
        "build",
        "--log-path",
        str((data_dir / "dbt_logs").resolve()),
        "--target",
        destination,
        *SYNC_BUILD_OPTIONS,
        *extra_args,
    ]
    with _environment(profile_environment(destination, data_dir, postgres_dsn)):
        try:
            PrefectDbtRunner(settings=settings).invoke(args)
        except Exception:  # a failed node: re-run only what failed, as `dbt retry` does
            PrefectDbtRunner(settings=settings).invoke(["retry"])
