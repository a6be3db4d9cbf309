"""Two runs on one warehouse, a run killed by kill -9, and readers during a run.

A run holds its warehouse for its whole length: a second one refuses at once, naming the
holder, or waits for it. The hold dies with the holder, so after kill -9 the waiting run
goes ahead and completes, with nothing repaired by hand; the killed run leaves no
process behind. `clario status` answers while a run holds the DuckDB file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from flows.status_file import read_status
from flows.warehouse_lock import WarehouseBusy, duckdb_holder, hold_warehouse
from simulator.config import SimulatorSettings
from simulator.server import RunningSimulator
from simulator.world import World
from tests.flows.operator import (
    CLARIO,
    ROOT,
    SINCE,
    TINY,
    alive,
    clario,
    clario_env,
    descendants,
    env_sellers_file,
    wait_until,
)


def _run_args(sellers: Path, data: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--sellers-file",
        str(sellers),
        "--data-dir",
        str(data),
        "--since",
        SINCE,
        *extra,
    ]


def test_a_second_run_refuses_or_waits_and_a_killed_run_leaves_nothing_to_repair(
    tmp_path: Path,
) -> None:
    world = World(TINY)
    data = tmp_path / "data"
    # slow reports stretch the first run so the others meet it
    slow = SimulatorSettings(rate_scale=1000, report_delay_seconds=3)
    with RunningSimulator(world, slow) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "sellers.toml"
        )
        env = clario_env(tmp_path, credentials)
        first = subprocess.Popen(
            [CLARIO, *_run_args(sellers, data)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: (duckdb_holder(data) or {}).get("pid") == first.pid, 240, "the lock")
            # a second run refuses at once and names the holder
            started = time.monotonic()
            refused = clario(_run_args(sellers, data, "--lock-wait", "0"), env)
            assert refused.returncode == 4, refused.stdout + refused.stderr[-3000:]
            message = " ".join(refused.stdout.split())
            assert f"pid {first.pid} on {socket.gethostname()}" in message, message
            assert time.monotonic() - started < 60
            # status answers during the run, from the status file, once a data set is done
            wait_until(lambda: read_status(data)["data_sets"], 240, "a data set's end")
            during = clario(["status", "--data-dir", str(data), "--json"], env)
            assert "Traceback" not in during.stderr, during.stderr[-3000:]
            report = json.loads(during.stdout)
            assert report["run_in_progress"]["pid"] == first.pid
            assert report["source"].endswith("clario_status.json")
            assert report["data_sets"], report
            # a third run waits for the first ...
            waiting = subprocess.Popen(
                [CLARIO, *_run_args(sellers, data, "--lock-wait", "600")],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            # ... which is killed without warning mid-run
            left = descendants(first.pid)
            assert left, "the first run's Prefect server"
            first.send_signal(signal.SIGKILL)
            first.wait()
            wait_until(lambda: not any(alive(p) for p in left), 30, "the killed run's children")
            out, err = waiting.communicate(timeout=600)
        finally:
            for process in (first,):
                if process.poll() is None:
                    process.kill()
    assert waiting.returncode == 0, out[-3000:] + err[-3000:]
    assert "failed" not in out
    after = clario(["status", "--data-dir", str(data), "--json"], env)
    report = json.loads(after.stdout)
    assert after.returncode == 0, after.stdout
    assert report["healthy"] and report["source"] == "warehouse"
    assert report["last_build"]["status"] == "ok"
    assert {r["last_status"] for r in report["data_sets"]} == {"ok"}
    # nothing of the finished runs' load packages is kept but their small records
    job_files = [
        p for p in (data / "pipelines").glob("*/load/loaded/*/completed_jobs/*") if p.is_file()
    ]
    assert job_files == []


HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from flows.warehouse_lock import hold_warehouse
    with hold_warehouse(sys.argv[1], Path(sys.argv[2]), 0):
        print("held", flush=True)
        time.sleep(600)
    """
)


@pytest.mark.parametrize(
    "destination", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_hold_names_its_holder_and_dies_with_it(
    destination: str, tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARIO_PG_DSN", pg_dsn)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, destination, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy) as busy, hold_warehouse(destination, tmp_path, 1):
            pass
        assert f"pid {holder.pid} on {socket.gethostname()}, running since" in str(busy.value)
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        # the kernel (DuckDB) or the server (Postgres) released it with the process
        with hold_warehouse(destination, tmp_path, 30):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()


def test_a_reader_during_a_run_delays_the_loads_or_is_named(tmp_path: Path) -> None:
    """An analyst's read-only connection: loads wait for it (bounded), then name it."""
    world = World(TINY)
    data = tmp_path / "data"
    with RunningSimulator(
        world, SimulatorSettings(rate_scale=1000, report_delay_seconds=0.1)
    ) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "sellers.toml"
        )
        env = clario_env(tmp_path, credentials, shared_server=True)
        first = clario(_run_args(sellers, data, "--no-build"), env)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        reader = duckdb.connect(str(data / "clario.duckdb"), read_only=True)
        try:
            # held past the wait: the run stops and names the reader
            held = clario(
                _run_args(sellers, data, "--no-build", "--retries", "0"),
                {**env, "CLARIO_DUCKDB_WAIT_SECONDS": "2"},
            )
            assert held.returncode == 1, held.stdout + held.stderr[-3000:]
            assert f"process {os.getpid()}" in " ".join(held.stdout.split()), held.stdout
            assert "credentials" not in held.stdout.lower()
            # released during the wait: the run goes through
            waiting = subprocess.Popen(
                [CLARIO, *_run_args(sellers, data, "--no-build")],
                env={**env, "CLARIO_DUCKDB_WAIT_SECONDS": "300"},
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            wait_until(lambda: duckdb_holder(data) is not None, 240, "the second run")
            time.sleep(5)
        finally:
            reader.close()
        out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, out[-3000:] + err[-3000:]
