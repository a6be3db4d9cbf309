"""A sync that dies the moment the warehouse has committed a load job and dlt has not yet
recorded that job as done: the narrowest window a `kill -9` can land in.

dlt writes a job's "done" marker (`save_pending_transition`) right after the destination
commits it. Exiting there, with no clean-up, leaves what a kill at that instant leaves.

    python -m tests.extract.crash_after_commit BASE_URL DATA_DIR TABLE NTH [PG_DSN]

exits with status 9 at the NTH committed load job of TABLE (0 if it never came), or with
TABLE `@normalize` at the NTH normalized package moved to the load storage before its
extracted copy is deleted (dlt's normalize commit, two steps): into
DuckDB, or into PostgreSQL at PG_DSN (the datasets named by CLARIO_RAW_SCHEMA and
CLARIO_AUDIT_SCHEMA).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dlt.common.storages.load_package import PackageStorage
from dlt.common.storages.load_storage import LoadStorage

from simulator.world import World
from tests.extract.conftest import WORLD, sync

CRASHED = 9
# TABLE for a death inside normalize's commit, between its two steps, instead
NORMALIZE_COMMIT = "@normalize"


def main(base_url: str, data_dir: Path, table: str, nth: int, pg_dsn: str | None) -> int:
    committed = 0
    record_done = PackageStorage.save_pending_transition

    def dying(self: PackageStorage, load_id: str, file_name: str, *rest: Any) -> Any:
        nonlocal committed
        # the table's own rows, not the merge (`.sql`) that follows them
        if file_name.startswith(f"{table}.") and not file_name.endswith(".sql"):
            committed += 1
            if committed == nth:
                os._exit(CRASHED)  # as SIGKILL would: nothing flushed, nothing recorded
        return record_done(self, load_id, file_name, *rest)

    PackageStorage.save_pending_transition = dying  # type: ignore[method-assign]
    move = LoadStorage.commit_new_load_package

    def dying_after_move(self: LoadStorage, load_id: str) -> None:
        nonlocal committed
        move(self, load_id)
        committed += 1
        if committed == nth:
            os._exit(CRASHED)  # the package moved, its extracted copy not yet deleted

    if table == NORMALIZE_COMMIT:
        LoadStorage.commit_new_load_package = dying_after_move  # type: ignore[method-assign]
    if pg_dsn:
        sync(World(WORLD), base_url, data_dir, "postgres", pg_dsn)
    else:
        sync(World(WORLD), base_url, data_dir)
    return 0


if __name__ == "__main__":
    dsn = sys.argv[5] if len(sys.argv) > 5 else None
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), dsn))
