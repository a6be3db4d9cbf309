"""`clario serve` runs the sync from its schedule alone, on a local Prefect server it starts
and stops, with a UI that answers; runs never overlap; nothing is left paused or running."""

from __future__ import annotations

import itertools
import re
import signal
import sqlite3
import subprocess
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.status_file import read_status
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST
from tests.flows.operator import (
    CLARIO,
    ROOT,
    TINY,
    alive,
    clario_env,
    descendants,
    env_sellers_file,
    wait_until,
)


@pytest.mark.slow
def test_serve_runs_the_sync_from_its_schedule(tmp_path: Path) -> None:
    world = World(TINY)
    data = tmp_path / "data"
    with RunningSimulator(world, FAST) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "sellers.toml"
        )
        env = clario_env(tmp_path, {**credentials, "PYTHONUNBUFFERED": "1"})
        serve = subprocess.Popen(
            [
                CLARIO,
                "serve",
                "--sellers-file",
                str(sellers),
                "--data-dir",
                str(data),
                "--cron",
                "* * * * *",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        assert serve.stdout is not None
        reader = threading.Thread(target=lambda: lines.extend(serve.stdout or []), daemon=True)
        reader.start()
        try:
            wait_until(lambda: any("Serving" in line for line in lines), 240, "serve to start")
            [ui] = re.findall(r"UI at (http://127\.0\.0\.1:\d+)", "".join(lines))
            assert httpx.get(ui, timeout=30).status_code == 200
            # a run from the schedule alone: nothing else starts one

            def flow_runs() -> list[dict[str, Any]]:
                found = httpx.post(f"{ui}/api/flow_runs/filter", json={}, timeout=30).json()
                return list(found)

            wait_until(
                lambda: any(r["state_type"] == "COMPLETED" for r in flow_runs()),
                300,
                "a scheduled run to complete",
            )
            runs = flow_runs()
            children = descendants(serve.pid)
        finally:
            serve.send_signal(signal.SIGINT)  # as a supervisor's SIGINT: to `clario` alone
            try:
                serve.wait(timeout=90)
            except subprocess.TimeoutExpired:
                serve.kill()
                raise
    output = "".join(lines)
    assert serve.returncode == 0, output[-3000:]
    assert read_status(data)["builds"][0]["status"] == "ok", output[-3000:]
    assert all(r["deployment_id"] for r in runs), "every run came from the deployment"
    assert any(r["state_type"] == "COMPLETED" for r in runs), runs
    started = sorted(
        (datetime.fromisoformat(r["start_time"]), r["end_time"]) for r in runs if r["start_time"]
    )
    for (_, end), (next_start, _) in itertools.pairwise(started):
        assert end is not None and datetime.fromisoformat(end) <= next_start, "runs overlapped"
    # the server went with `clario serve`, which left its deployment unpaused
    wait_until(lambda: not any(alive(p) for p in children), 30, "serve's children to stop")
    database = sqlite3.connect(data / "prefect" / "prefect.db")
    deployments = database.execute("select name, paused from deployment").fetchall()
    # Ctrl-C cancels a run still in flight (the next cron minute's), never waits it out
    unfinished = database.execute(
        "select name, state_type from flow_run where state_type in ('RUNNING', 'PENDING')"
    ).fetchall()
    database.close()
    assert unfinished == [], unfinished
    assert deployments == [("clario-serve", 0)]
