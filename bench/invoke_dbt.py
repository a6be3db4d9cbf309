"""Run one dbt command in this process and print how long dbt's `invoke` took.

    .venv/bin/python bench/invoke_dbt.py build --project-dir dbt_project ...

The flow runs dbt inside its own process (prefect-dbt's runner, flows/transform.py), so a
build after a sync costs what `invoke` does: parsing the project and building. The seconds
before it, starting Python and importing dbt (about 4 s here), are the process's, paid
once. bench/marts_build.py times both.

(Not `dbt_*.py`: dbt's plugin discovery imports every top-level module whose name starts
with `dbt_`, and a script's folder is on sys.path; a bench module named so cost each
invocation 4 s of imports.)
"""

from __future__ import annotations

import sys
import time

from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner


def close_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open, as exiting would: DuckDB writes its
    checkpoint then, which is part of the build's cost."""
    environment = DuckDBConnectionManager._ENV  # the open database, if the target is DuckDB
    if environment is not None:
        environment.close()
        DuckDBConnectionManager.close_all_connections()


def main() -> None:
    started = time.perf_counter()
    result = dbtRunner().invoke(sys.argv[1:])
    close_duckdb()
    print(f"dbt invoke took {time.perf_counter() - started:.3f} s", file=sys.stderr)
    sys.exit(0 if result.success else 1)


if __name__ == "__main__":
    main()
