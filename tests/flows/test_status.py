"""`clario status` as an alert: exit codes, JSON, the dbt build's outcome; and a failed
build as `clario run` reports it (the summary table and one line, no traceback)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import duckdb

from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST
from tests.flows.operator import ROOT, SINCE, TINY, clario, clario_env, env_sellers_file


def test_a_failed_build_is_summarized_recorded_and_alerted(tmp_path: Path) -> None:
    world = World(TINY)
    data = tmp_path / "data"
    started = time.time()
    with RunningSimulator(world, FAST) as simulator:
        sellers, credentials = env_sellers_file(
            world.sellers, simulator.base_url, tmp_path / "sellers.toml"
        )
        env = clario_env(tmp_path, credentials, shared_server=True)
        args = ["run", "--sellers-file", str(sellers), "--data-dir", str(data), "--since", SINCE]
        # DuckDB cannot build the marts in 1 MB of memory: dbt's nodes fail
        result = clario(args, {**env, "CLARIO_DUCKDB_MEMORY_LIMIT": "1MB"})
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Sync summary" in result.stdout
    [reason] = [line for line in result.stdout.splitlines() if "dbt build failed" in line]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    # the build and its `dbt retry` both logged under the data dir, nothing in the checkout
    log = (data / "dbt_logs" / "dbt.log").read_text()
    build, retry = (int(n) for n in re.findall(r"\]: 1 of (\d+) START sql", log))
    assert retry < build, "the build, then `dbt retry` of what failed"
    written = [
        p
        for root in (ROOT / "dbt_project" / "logs", ROOT / "logs", ROOT / "dbt_project" / "target")
        for p in root.rglob("*")
        if p.is_file() and p.stat().st_mtime >= started
    ]
    assert written == []
    # the outcome is in the audit trail, with the failing nodes
    connection = duckdb.connect(str(data / "clario.duckdb"), read_only=True)
    [(status, failing, flow_run_id)] = connection.execute(
        "select status, failing_nodes, flow_run_id from raw_clario_audit.dbt_builds"
    ).fetchall()
    connection.close()
    assert status == "failed" and flow_run_id
    assert failing, reason
    # status alerts on it
    report = clario(["status", "--data-dir", str(data), "--json"], env)
    assert report.returncode == 1, report.stdout + report.stderr[-2000:]
    parsed = json.loads(report.stdout)
    assert parsed["last_build"]["status"] == "failed"
    assert any("dbt build failed" in p for p in parsed["problems"])
    # sync_status was not built: the data sets come from the run's status file
    assert {d["last_status"] for d in parsed["data_sets"]} == {"ok"}
    plain = clario(["status", "--data-dir", str(data)], env)
    assert plain.returncode == 1
    assert "Last dbt build: failed" in plain.stdout


def test_status_without_a_warehouse_says_which_data_dir(tmp_path: Path) -> None:
    """After `make run` the demo's warehouse is data/demo/clario.duckdb, not data/."""
    (tmp_path / "data" / "demo").mkdir(parents=True)
    duckdb.connect(str(tmp_path / "data" / "demo" / "clario.duckdb")).close()
    result = clario(["status", "--data-dir", str(tmp_path / "data")], clario_env(tmp_path))
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"--data-dir {tmp_path / 'data' / 'demo'}" in " ".join(result.stdout.split())
    assert "Traceback" not in result.stderr
