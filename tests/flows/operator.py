"""What the operator's tests share: `clario` as a real process, its environment, a sellers
file whose credentials are only in the environment, and the processes a run leaves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from simulator.config import SellerAccount, WorldConfig
from tests.extract.conftest import NOW

CLARIO = str(Path(sys.executable).with_name("clario"))
ROOT = Path(__file__).resolve().parents[2]
TINY = WorldConfig(seed=3, sellers=1, history_days=5, orders_per_day=2, now=NOW)
SINCE = TINY.start.strftime("%Y-%m-%d")


def env_sellers_file(
    accounts: list[SellerAccount], base_url: str, path: Path
) -> tuple[Path, dict[str, str]]:
    """A sellers file naming environment variables, and the variables' values."""
    lines, values = [], {}
    for n, account in enumerate(accounts):
        names = {
            key: f"CLARIO_TEST_SELLER{n}_{key.upper()}"
            for key in ("client_id", "client_secret", "refresh_token")
        }
        values.update(
            {
                names["client_id"]: account.client_id,
                names["client_secret"]: account.client_secret,
                names["refresh_token"]: account.refresh_token,
            }
        )
        marketplaces = ", ".join(f'"{m}"' for m in account.marketplace_ids)
        lines += [
            "[[sellers]]",
            f'seller_id = "{account.seller_id}"',
            'region = "NA"',
            f"marketplace_ids = [{marketplaces}]",
            f'endpoint = "{base_url}"',
            f'token_url = "{base_url}/auth/o2/token"',
            "[sellers.credentials]",
            *(f'{key}_env = "{name}"' for key, name in names.items()),
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path, values


def clario_env(
    tmp_path: Path, extra: Mapping[str, str] | None = None, *, shared_server: bool = False
) -> dict[str, str]:
    """The test's environment without any Prefect server: each run starts its own, with
    its database in the test's PREFECT_HOME, as a user's first `clario run` does.

    `shared_server`: the runs use the session's Prefect server (PREFECT_API_URL, as a user
    with a server of their own sets it) instead, sparing the 10-20 s each run spends
    starting one. For tests whose subject is not the run's own server.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    if shared_server:
        from prefect.settings import PREFECT_API_URL

        env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    env.pop("CLARIO_PG_DSN", None)
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect_home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONPATH": str(ROOT),
            **(extra or {}),
        }
    )
    return env


def clario(
    args: list[str], env: Mapping[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLARIO, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
