"""`clario demo`, the README's main job, as a user runs it: a real process, end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from flows.demo import MARTS


def test_clario_demo_syncs_builds_and_prints_every_mart(tmp_path: Path) -> None:
    clario = str(Path(sys.executable).with_name("clario"))
    data_dir = tmp_path / "demo"
    result = subprocess.run(
        [clario, "demo", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Sync summary" in result.stdout
    for mart in MARTS:
        assert f"{mart} (" in result.stdout, mart
    assert "Latest syncs (sync_status)" in result.stdout
    # the claims a seller can file today, as `clario claims` lists them (the demo world has some)
    assert "Open reimbursement claims" in result.stdout
    assert "Total owed: " in result.stdout
    # a successful run ends quietly (Prefect's temporary server stops without a traceback)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    connection = duckdb.connect(str(data_dir / "clario.duckdb"), read_only=True)
    statuses = connection.execute(
        "select distinct status from raw_clario_audit.sync_runs"
    ).fetchall()
    connection.close()
    assert statuses == [("ok",)]


def test_clario_demo_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    """The demo starts clean by deleting its data directory: never someone else's."""
    clario = str(Path(sys.executable).with_name("clario"))
    precious = tmp_path / "warehouse"
    precious.mkdir()
    (precious / "clario.duckdb").write_bytes(b"not the demo's")
    result = subprocess.run(
        [clario, "demo", "--data-dir", str(precious)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "was not made by `clario demo`" in " ".join(result.stderr.split())
    assert (precious / "clario.duckdb").read_bytes() == b"not the demo's"
