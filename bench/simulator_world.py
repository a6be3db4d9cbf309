"""How fast the simulator's world generator is, and how much memory the simulator needs.

    .venv/bin/python bench/simulator_world.py [--orders 1000000] [--days 100]

Prints:
- generator throughput: orders (with their items, returns and refunds) per second, and
  financial events per second, generating a one-seller world of --orders orders;
- the simulator's peak resident memory (VmHWM) while serving that world: a process
  started with `clario simulator serve`, driven through a full settlement scan
  (listFinancialEventGroups), 200 pages of searchOrders, every event of one settlement
  group, and a 30-day fulfilled-shipments report streamed to the end.
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from simulator.config import WorldConfig, seller_accounts
from simulator.world import World

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CLARIO = str(Path(sys.executable).with_name("clario"))


def generator_throughput(config: WorldConfig) -> None:
    world = World(config)
    seller = world.sellers[0]
    started = time.perf_counter()
    orders = sum(1 for _ in world.orders(seller))
    elapsed = time.perf_counter() - started
    print(f"generator: {orders:,} orders in {elapsed:.1f} s = {orders / elapsed:,.0f} orders/s")
    started = time.perf_counter()
    events = sum(1 for _ in world.events(seller))
    elapsed = time.perf_counter() - started
    print(
        f"generator: {events:,} financial events in {elapsed:.1f} s"
        f" = {events / elapsed:,.0f} events/s"
    )


def _since(started: float) -> float:
    return time.perf_counter() - started


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def served_memory(config: WorldConfig, args: list[str]) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            CLARIO,
            "simulator",
            "serve",
            "--port",
            str(port),
            "--rate-scale",
            "100000",
            "--report-delay",
            "0",
            *args,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the simulator exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                if requests.get(base + "/_simulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        print(f"simulator: idle peak RSS {_peak_rss_mib(process.pid):,.0f} MiB")
        seller = seller_accounts(config)[0]
        token = requests.post(
            base + "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": seller.refresh_token,
                "client_id": seller.client_id,
                "client_secret": seller.client_secret,
            },
            timeout=30,
        ).json()["access_token"]
        session = requests.Session()
        session.headers["x-amz-access-token"] = token

        started = time.perf_counter()
        groups = session.get(
            base + "/finances/v0/financialEventGroups",
            params={"MaxResultsPerPage": 100},
            timeout=600,
        )
        groups.raise_for_status()
        group_list = groups.json()["payload"]["FinancialEventGroupList"]
        print(f"simulator: settlement scan of the whole world in {_since(started):.1f} s")

        params = {"lastUpdatedAfter": (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        started = time.perf_counter()
        pages = orders = 0
        token_param: dict[str, str] = {}
        while pages < 200:
            body = session.get(
                base + "/orders/2026-01-01/orders", params={**params, **token_param}, timeout=60
            ).json()
            orders += len(body["orders"])
            pages += 1
            if "pagination" not in body:
                break
            token_param = {"paginationToken": body["pagination"]["nextToken"]}
        elapsed = time.perf_counter() - started
        print(f"simulator: {pages} searchOrders pages ({orders:,} orders) in {elapsed:.1f} s")

        group_id = group_list[-2]["FinancialEventGroupId"]
        started = time.perf_counter()
        events = 0
        next_token: str | None = None
        while True:
            query: dict[str, str | int] = {"MaxResultsPerPage": 100}
            if next_token:
                query["NextToken"] = next_token
            payload = session.get(
                f"{base}/finances/v0/financialEventGroups/{group_id}/financialEvents",
                params=query,
                timeout=60,
            ).json()["payload"]
            events += sum(len(v) for v in payload["FinancialEvents"].values())
            next_token = payload.get("NextToken")
            if not next_token:
                break
        print(f"simulator: {events:,} events of one settlement group in {_since(started):.1f} s")

        started = time.perf_counter()
        created = session.post(
            base + "/reports/2021-06-30/reports",
            json={
                "reportType": "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
                "marketplaceIds": list(seller.marketplace_ids),
                "dataStartTime": (NOW - timedelta(days=30)).isoformat(),
                "dataEndTime": (NOW - timedelta(minutes=5)).isoformat(),
            },
            timeout=60,
        )
        created.raise_for_status()
        report_id = created.json()["reportId"]
        while True:
            report = session.get(
                f"{base}/reports/2021-06-30/reports/{report_id}", timeout=60
            ).json()
            if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
                break
            time.sleep(0.5)
        document = session.get(
            f"{base}/reports/2021-06-30/documents/{report['reportDocumentId']}", timeout=60
        ).json()
        rows = -1  # the header
        with requests.get(document["url"], stream=True, timeout=600) as download:
            download.raise_for_status()
            with gzip.GzipFile(fileobj=download.raw) as text:
                for _ in text:
                    rows += 1
        print(f"simulator: shipments report, {rows:,} rows streamed in {_since(started):.1f} s")
        print(
            f"simulator: peak RSS serving a {args[args.index('--orders-per-day') + 1]}/day world: "
            f"{_peak_rss_mib(process.pid):,.0f} MiB"
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in the world")
    parser.add_argument("--days", type=int, default=100, help="days of history")
    options = parser.parse_args()
    per_day = options.orders // options.days
    config = WorldConfig(
        seed=7, sellers=1, history_days=options.days, orders_per_day=per_day, now=NOW
    )
    os.environ.setdefault("DO_NOT_TRACK", "1")
    print(f"world: seed 7, 1 seller, {options.days} days x {per_day:,} orders/day")
    generator_throughput(config)
    served_memory(
        config,
        [
            "--seed",
            "7",
            "--sellers",
            "1",
            "--history-days",
            str(options.days),
            "--orders-per-day",
            str(per_day),
            "--now",
            NOW.isoformat(),
        ],
    )


if __name__ == "__main__":
    main()
