"""A new seller's first sync: a year of history at Amazon's real rate limits.

    .venv/bin/python bench/backfill.py [--history-days 365] [--orders-per-day 275]
        [--rate-scale 1] [--report-delay SECONDS] [--data-set orders ...]
        [--work-dir /tmp/clario-backfill]

The simulator (`clario simulator serve`, its own process) serves one seller with
--history-days of --orders-per-day orders, at --rate-scale x Amazon's documented limits
(1: the real ones) and its default report delay unless --report-delay is given. Then
`clario sync --json` runs the first sync, as a user would, under `/usr/bin/time -v`.

It prints: the wall time of each data set (from the sync's summary) and of the whole sync,
the process's peak RSS, the SP-API calls per operation and how many were answered 429
(the simulator's request log: every 429 is one the client caused), and, for comparison,
what Airbyte's Amazon Seller Partner connector needs for the same orders by its own
throttles (one searchOrders page per 60 s, one getOrderItems call per 2 s per order).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from many_sellers import CLARIO, free_port, timed

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def airbyte_hours(orders: int) -> float:
    """Airbyte's connector: its throttle, not Amazon's limits, sets the pace."""
    pages = math.ceil(orders / 100)
    return (pages * 60 + orders * 2) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--orders-per-day", type=int, default=275)
    parser.add_argument("--rate-scale", type=float, default=1.0)
    parser.add_argument("--report-delay", type=float, default=None)
    parser.add_argument("--data-set", action="append", default=[])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/clario-backfill"))
    args = parser.parse_args()

    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    world = [
        "--seed", "11", "--sellers", "1", "--history-days", str(args.history_days),
        "--orders-per-day", str(args.orders_per_day), "--now", NOW.isoformat(),
    ]  # fmt: skip
    delay = [] if args.report_delay is None else ["--report-delay", str(args.report_delay)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    simulator = subprocess.Popen(
        [CLARIO, "simulator", "serve", "--port", str(port), "--rate-scale",
         str(args.rate_scale), *delay, *world],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                requests.get(base + "/_simulator/health", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still starting
                time.sleep(0.2)
        account = json.loads(
            subprocess.run(
                [CLARIO, "simulator", "sellers", *world, "--json"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )[0]
        sellers_file = args.work_dir / "sellers.toml"
        sellers_file.write_text(
            f'[[sellers]]\nseller_id = "{account["seller_id"]}"\nregion = "NA"\n'
            f"marketplace_ids = {json.dumps(account['marketplace_ids'])}\n"
            f'endpoint = "{base}"\ntoken_url = "{base}/auth/o2/token"\n'
            f'[sellers.credentials]\nclient_id = "{account["client_id"]}"\n'
            f'client_secret = "{account["client_secret"]}"\n'
            f'refresh_token = "{account["refresh_token"]}"\n'
        )
        since = (NOW - timedelta(days=args.history_days)).isoformat()
        command = [
            CLARIO, "sync", "--json", "--sellers-file", str(sellers_file),
            "--data-dir", str(args.work_dir / "data"), "--since", since,
            *(f"--data-set={d}" for d in args.data_set),
        ]  # fmt: skip
        started = time.perf_counter()
        measured, stdout = timed(command, {**_env()})
        wall = time.perf_counter() - started
        log = requests.get(base + "/_simulator/requests", timeout=60).json()
    finally:
        simulator.terminate()
        simulator.wait()

    summary = json.loads(stdout)["data_sets"]
    orders = sum(r["rows_loaded"] for r in summary if r["data_set"] == "orders")
    print(
        f"one seller, {args.history_days} days x {args.orders_per_day} orders/day,"
        f" rate-scale {args.rate_scale:g}"
    )
    print(f"{'data set':<26} {'status':<10} {'rows':>9} {'seconds':>9}")
    for r in summary:
        print(
            f"{r['data_set']:<26} {r['status']:<10} {r['rows_loaded']:>9}"
            f" {r['duration_seconds']:>9.1f}"
        )
    print(f"whole sync: {wall / 60:.1f} min wall, peak RSS {measured.peak_mib} MiB")
    calls = Counter(r["operation_id"] for r in log if r["operation_id"])
    throttled = Counter(r["operation_id"] for r in log if r["status"] == 429)
    print(f"{'operation':<36} {'calls':>7} {'429s':>6} {'floor at rate-scale 1':>22}")
    for operation, count in calls.most_common():
        print(
            f"{operation:<36} {count:>7} {throttled[operation]:>6}"
            f" {_floor_seconds(operation, count) / 60:>18.1f} min"
        )
    print(
        "floor: the least time those calls take at Amazon's documented limits,"
        " (calls - burst) / rate; data sets that run one after another add theirs up"
    )
    print(
        f"Airbyte's connector for the same {orders} orders, by its own throttles:"
        f" about {airbyte_hours(orders):.1f} h"
    )


def _floor_seconds(operation_id: str, calls: int) -> float:
    """(calls - burst) / rate by the operation's usage plan in Amazon's models, 0 if none."""
    from simulator.spec import operations

    plans = [op for op in operations() if op.operation_id == operation_id and op.rate]
    if not plans:
        return 0.0
    rate, burst = plans[0].rate or 1.0, plans[0].burst or 0
    return max(0, calls - burst) / rate


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


if __name__ == "__main__":
    main()
