"""A sync that dies the moment the warehouse has committed a load job and dlt has not yet
recorded that job as done: the narrowest window a `kill -9` can land in.

dlt writes a job's "done" marker (`save_pending_transition`) right after the destination
commits it. Exiting there, with no clean-up, leaves what a kill at that instant leaves.

    python -m tests.extract.crash_after_commit BASE_URL DATA_DIR TABLE NTH

exits with status 9 at the NTH committed Parquet load job of TABLE (0 if it never came).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dlt.common.storages.load_package import PackageStorage

from simulator.world import World
from tests.extract.conftest import WORLD, sync

CRASHED = 9


def main(base_url: str, data_dir: Path, table: str, nth: int) -> int:
    committed = 0
    record_done = PackageStorage.save_pending_transition

    def dying(self: PackageStorage, load_id: str, file_name: str, *rest: Any) -> Any:
        nonlocal committed
        if file_name.startswith(f"{table}.") and file_name.endswith(".parquet"):
            committed += 1
            if committed == nth:
                os._exit(CRASHED)  # as SIGKILL would: nothing flushed, nothing recorded
        return record_done(self, load_id, file_name, *rest)

    PackageStorage.save_pending_transition = dying  # type: ignore[method-assign]
    sync(World(WORLD), base_url, data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
