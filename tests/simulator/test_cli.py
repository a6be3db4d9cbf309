"""`clario simulator serve | sellers | truth` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from simulator.config import SellerAccount, WorldConfig
from simulator.truth import world_truth
from simulator.world import World
from tests.simulator.conftest import NOW
from tests.simulator.spapi import Client

CLARIO = str(Path(sys.executable).with_name("clario"))
WORLD_ARGS = [
    "--seed",
    "11",
    "--sellers",
    "2",
    "--history-days",
    "20",
    "--orders-per-day",
    "6",
    "--now",
    NOW.isoformat(),
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLARIO, *args], capture_output=True, text=True, timeout=120, check=False)


def test_truth_json_is_the_worlds_truth() -> None:
    result = _run("simulator", "truth", *WORLD_ARGS, "--json")
    assert result.returncode == 0, result.stderr
    config = WorldConfig(seed=11, sellers=2, history_days=20, orders_per_day=6, now=NOW)
    assert json.loads(result.stdout) == json.loads(json.dumps(world_truth(World(config))))


def test_sellers_json_lists_credentials() -> None:
    result = _run("simulator", "sellers", *WORLD_ARGS, "--json")
    assert result.returncode == 0, result.stderr
    sellers = json.loads(result.stdout)
    assert len(sellers) == 2
    assert set(sellers[0]) == {
        "seller_id",
        "marketplace_ids",
        "client_id",
        "client_secret",
        "refresh_token",
    }


def test_bad_options_name_the_option() -> None:
    result = _run("simulator", "truth", "--sellers", "0")
    assert result.returncode != 0
    assert "--sellers" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [CLARIO, "simulator", "serve", "--port", str(port), *WORLD_ARGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base_url + "/_simulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the simulator did not start"
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_answers_an_sp_api_client(served: str) -> None:
    sellers = json.loads(_run("simulator", "sellers", *WORLD_ARGS, "--json").stdout)
    seller = SellerAccount(
        index=0, **{k: tuple(v) if k == "marketplace_ids" else v for k, v in sellers[0].items()}
    )
    client = Client(served, seller)
    since = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = client.get("/orders/2026-01-01/orders", {"createdAfter": since})
    assert body["orders"]
    date = client.call("GET", "/orders/2026-01-01/orders", {"createdAfter": since}).headers["Date"]
    assert date == "Sat, 28 Nov 2026 00:00:00 GMT"  # the simulated clock, not the wall clock
