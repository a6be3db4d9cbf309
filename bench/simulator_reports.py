"""How fast the simulator serves large reports and API pages: rows per second.

    .venv/bin/python bench/simulator_reports.py [--orders-per-day 275] [--history-days 365]
        [--days 30] [--pages 100]

Starts `clario simulator serve` on a one-seller world (--rate-scale 100000, --report-delay 0,
--now pinned so every run sees the same world), then, each on a fresh (cold) server so
one measure never warms the next one's cache:

- every requestable report type over the last --days days: createReport, getReport until
  DONE, getReportDocument, then the whole gzip document streamed and counted; the time runs
  from createReport to the last byte;
- the newest settlement report (listed by getReports), downloaded the same way;
- Orders v0 getOrders (LastUpdatedAfter --days ago) and Finances listFinancialEvents
  (PostedAfter --days ago), up to --pages pages of 100.

Prints rows (orders, events) per second for each: cold (the first request on a server
started with --no-warm: its look-back is generated on the spot), repeat (the same request
again on that server), warmed (the first request on a server started with --warm, once
/_simulator/health says the background generation is done; the warm-up time is printed).
Each figure is wall/CPU: rows per second of elapsed time, and per second of CPU time the
simulator process used (the steadier figure on a machine shared with other work).
The target is 50,000 rows/s or more: below that, benchmarks of the extraction measure the
simulator rather than the extractor.
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from simulator.config import SellerAccount, WorldConfig, seller_accounts

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CLARIO = str(Path(sys.executable).with_name("clario"))
REPORT_TYPES = (
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_FBA_REIMBURSEMENTS_DATA",
)
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
REPORTS = "/reports/2021-06-30"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def serving(config: WorldConfig, warm: bool) -> Iterator[requests.Session]:
    """A fresh simulator process and a session holding the first seller's access token.

    With `warm`, the server generates its world in the background and this waits until it
    is done (printing how long that took)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    args = [CLARIO, "simulator", "serve", "--port", str(port), "--rate-scale", "100000"]
    args += ["--warm" if warm else "--no-warm"]
    args += ["--report-delay", "0", "--seed", str(config.seed), "--sellers", "1"]
    args += ["--history-days", str(config.history_days)]
    args += ["--orders-per-day", str(config.orders_per_day), "--now", config.now.isoformat()]
    process = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            try:
                if requests.get(base + "/_simulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        while (
            warm and requests.get(base + "/_simulator/health", timeout=5).json()["warm"] != "done"
        ):
            time.sleep(0.1)
        if warm:
            WARM_UP.append(time.perf_counter() - started)
        seller: SellerAccount = seller_accounts(config)[0]
        form = {
            "grant_type": "refresh_token",
            "refresh_token": seller.refresh_token,
            "client_id": seller.client_id,
            "client_secret": seller.client_secret,
        }
        token = requests.post(base + "/auth/o2/token", data=form, timeout=30).json()
        session = requests.Session()
        session.headers["x-amz-access-token"] = token["access_token"]
        session.base = base  # type: ignore[attr-defined]
        session.pid = process.pid  # type: ignore[attr-defined]
        yield session
    finally:
        process.terminate()
        process.wait(timeout=30)


def _download_rows(session: requests.Session, document_id: str) -> int:
    base = session.base  # type: ignore[attr-defined]
    document = session.get(f"{base}{REPORTS}/documents/{document_id}", timeout=60).json()
    rows = -1  # the header
    with requests.get(document["url"], stream=True, timeout=600) as download:
        download.raise_for_status()
        if document.get("compressionAlgorithm") == "GZIP":
            with gzip.GzipFile(fileobj=download.raw) as text:
                rows += sum(1 for _ in text)
        else:  # settlement documents come plain
            rows += sum(1 for _ in download.raw)
    return rows


def report_rows(session: requests.Session, report_type: str, days: int) -> int:
    base = session.base  # type: ignore[attr-defined]
    body = {
        "reportType": report_type,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "dataStartTime": (NOW - timedelta(days=days)).isoformat(),
        "dataEndTime": (NOW - timedelta(minutes=5)).isoformat(),
    }
    created = session.post(f"{base}{REPORTS}/reports", json=body, timeout=60)
    created.raise_for_status()
    report_id = created.json()["reportId"]
    while True:
        report = session.get(f"{base}{REPORTS}/reports/{report_id}", timeout=600).json()
        if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            break
        time.sleep(0.05)
    if report["processingStatus"] != "DONE":
        return 0
    return _download_rows(session, report["reportDocumentId"])


def settlement_rows(session: requests.Session) -> int:
    base = session.base  # type: ignore[attr-defined]
    listed = session.get(
        f"{base}{REPORTS}/reports", params={"reportTypes": SETTLEMENT, "pageSize": 1}, timeout=600
    ).json()["reports"]
    return _download_rows(session, listed[0]["reportDocumentId"])


def paged(
    session: requests.Session,
    path: str,
    params: dict[str, str],
    count: Callable[[dict[str, object]], int],
    pages: int,
) -> int:
    base = session.base  # type: ignore[attr-defined]
    rows = 0
    query = dict(params)
    for _ in range(pages):
        response = session.get(base + path, params=query, timeout=600)
        response.raise_for_status()
        payload = response.json()["payload"]
        rows += count(payload)
        token = payload.get("NextToken")
        if not token:
            break
        # Both operations take NextToken with the same filters sent again.
        query = {**params, "NextToken": token}
    return rows


WARM_UP: list[float] = []


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(session: requests.Session, run: Callable[[requests.Session], int]) -> tuple[int, str]:
    """Rows, and "wall/cpu" rows per second: per second of elapsed time, and per second of
    the simulator's own CPU time (steadier on a shared machine)."""
    pid: int = session.pid  # type: ignore[attr-defined]
    cpu = _cpu_seconds(pid)
    started = time.perf_counter()
    rows = run(session)
    elapsed = time.perf_counter() - started
    cpu = max(_cpu_seconds(pid) - cpu, 0.01)  # clock ticks are 10 ms
    return rows, f"{rows / elapsed:,.0f}/{rows / cpu:,.0f}"


def measure(label: str, config: WorldConfig, run: Callable[[requests.Session], int]) -> None:
    """Rows/s of the first request on a fresh server without warm-up (cold), of the same
    request again (repeat), and of the first request on a fresh warmed-up server."""
    with serving(config, warm=False) as session:
        rows, cold = _timed(session, run)
        _, repeat = _timed(session, run)
    with serving(config, warm=True) as session:
        _, warmed = _timed(session, run)
    print(f"{label:<52} {rows:>7,} {cold:>16} {repeat:>16} {warmed:>16}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders-per-day", type=int, default=275)
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--days", type=int, default=30, help="data range of each report/page run")
    parser.add_argument("--pages", type=int, default=100, help="API pages of 100 at most")
    parser.add_argument("--only", default="", help="comma-separated labels to run (substring)")
    options = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    config = WorldConfig(
        seed=7,
        sellers=1,
        history_days=options.history_days,
        orders_per_day=options.orders_per_day,
        now=NOW,
    )
    print(
        f"world: seed 7, 1 seller, {options.history_days} days x {options.orders_per_day}"
        f" orders/day; reports and pages over the last {options.days} days"
    )
    since = _stamp(NOW - timedelta(days=options.days))
    runs: list[tuple[str, Callable[[requests.Session], int]]] = [
        (t, lambda s, t=t: report_rows(s, t, options.days))  # type: ignore[misc]
        for t in REPORT_TYPES
    ]
    runs.append((SETTLEMENT + " (newest)", settlement_rows))
    runs.append(
        (
            "getOrders v0 (LastUpdatedAfter)",
            lambda s: paged(
                s,
                "/orders/v0/orders",
                {"MarketplaceIds": "ATVPDKIKX0DER", "LastUpdatedAfter": since},
                lambda p: len(p["Orders"]),  # type: ignore[arg-type]
                options.pages,
            ),
        )
    )
    runs.append(
        (
            "listFinancialEvents (PostedAfter)",
            lambda s: paged(
                s,
                "/finances/v0/financialEvents",
                {"PostedAfter": since},
                lambda p: sum(len(v) for v in p["FinancialEvents"].values()),  # type: ignore[attr-defined]
                options.pages,
            ),
        )
    )
    wanted = [w for w in options.only.split(",") if w]
    print(
        f"{'rows/s: wall/simulator CPU':<52} {'rows':>7} {'cold':>16} {'repeat':>16} {'warmed':>16}"
    )
    for label, run in runs:
        if wanted and not any(w in label for w in wanted):
            continue
        measure(label, config, run)
    if WARM_UP:
        print(f"warm-up (start to health 'done'): {min(WARM_UP):.1f} to {max(WARM_UP):.1f} s")


if __name__ == "__main__":
    main()
