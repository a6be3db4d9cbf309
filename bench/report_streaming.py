"""Peak memory of downloading and parsing a report must not grow with the report's size.

    .venv/bin/python bench/report_streaming.py [--small 2000] [--large 20000] [--days 30]
        [--destinations duckdb,postgres] [--pg-dsn DSN] [--quick]
        [--max-rss-mib N] [--duckdb-loader-format insert_values|jsonl|parquet]

Two one-seller worlds of --days days whose orders per day differ (--small, --large). On each,
served by its own `clario simulator serve --rate-scale 100000 --report-delay 0` process:

1. the report path alone, in a child process: createReport for
   GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL over the world's --days days, then
   `extract.spapi.reports.report_rows` (getReport until DONE, getReportDocument, download,
   gunzip, decode, split by header), counting the rows and keeping none. Measured twice on
   the same report:
   - RSS: the process's high-water mark is reset (/proc/self/clear_refs) just before, and the
     RSS delta is VmHWM after minus VmRSS before;
   - tracemalloc: the peak of traced Python allocations over a second pass
     (`download_report_rows` on the same document), tracing started just before it.
   Target: the larger world's figures within 1.5x of the smaller one's.
2. the whole extraction path of one report-based data set: `sync_sellers(...,
   data_sets=["fba_shipments"])` (the GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL report of
   the same --days, through dlt's extract, normalize and load) into each of --destinations,
   in a child process whose peak RSS is read with wait4 (bench/extract_load.py's child).

Helpers (the simulator process, the sync child, the RSS guard) come from the sibling
bench/extract_load.py. --quick divides both sizes by 10. --duckdb-loader-format is the same
experiment as in extract_load.py (for the sync part only).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

from extract_load import (
    NOW,
    SEED,
    add_shared_options,
    dataset_of,
    destinations_of,
    drop_schemas,
    memory_mib,
    run_child,
    seller_config,
    simulator,
    status_kib,
    steps_hwm,
)

from simulator.config import WorldConfig, seller_accounts

REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"


# --- the child: one report, measured ----------------------------------------------------------


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False if the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def report_child(spec_path: Path) -> None:
    """Request the report `spec_path` describes, stream it twice, write what it cost."""
    from extract.spapi.client import SpApiClient
    from extract.spapi.reports import (
        create_report,
        download_report_rows,
        get_report,
        report_rows,
    )

    spec = json.loads(spec_path.read_text())
    seller = seller_config(spec["base_url"], spec["account"])
    client = SpApiClient(seller, timeout=60)
    client.server_now()  # sign in before measuring
    start = NOW - timedelta(days=spec["days"])
    report_id = create_report(
        client, REPORT_TYPE, seller.marketplace_ids, start, NOW - timedelta(minutes=2)
    )

    # Pass 1: the whole lifecycle, RSS.
    gc.collect()
    reset = _reset_peak_rss()
    before_kib = status_kib("self", "VmRSS") if reset else status_kib("self", "VmHWM")
    started = time.perf_counter()
    rows = rejected = 0
    for row in report_rows(client, report_id, first_delay=0.2):
        if row.ok:
            rows += 1
        else:
            rejected += 1
    rss_seconds = time.perf_counter() - started
    rss_delta_kib = status_kib("self", "VmHWM") - before_kib

    # Pass 2: the same document again, Python allocations traced.
    document_id = str(get_report(client, report_id)["reportDocumentId"])
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    traced_rows = 0
    for row in download_report_rows(client, document_id):
        traced_rows += row.ok
    traced_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    Path(spec["result"]).write_text(
        json.dumps(
            {
                "rows": rows,
                "rejected": rejected,
                "traced_rows": traced_rows,
                "rss_delta_kib": rss_delta_kib,
                "hwm_reset": reset,
                "rss_seconds": rss_seconds,
                "tracemalloc_peak": peak,
                "traced_seconds": traced_seconds,
            }
        )
    )


# --- the parent ---------------------------------------------------------------------------


def measure(
    per_day: int,
    days: int,
    destinations: list[str],
    pg_dsn: str,
    max_rss_mib: float,
    duckdb_loader_format: str | None,
) -> dict[str, Any]:
    config = WorldConfig(seed=SEED, sellers=1, history_days=days, orders_per_day=per_day, now=NOW)
    account = seller_accounts(config)[0]
    print(f"\n== world: seed {SEED}, 1 seller, {days} days x {per_day:,} orders/day")
    figures: dict[str, Any] = {}
    with simulator(config) as (base, _process):
        with tempfile.TemporaryDirectory(prefix="clario-bench-") as tmp:
            spec = {"base_url": base, "account": account.as_dict(), "days": days}
            result, peak_mib, _ = run_child(spec, Path(tmp), max_rss_mib, script=Path(__file__))
        if result is None:
            raise RuntimeError("the report child was stopped")
        method = "VmHWM reset" if result["hwm_reset"] else "VmHWM since start (no reset)"
        print(
            f"report_rows: {result['rows']:,} rows ({result['rejected']} rejected)"
            f" in {result['rss_seconds']:.1f} s"
            f" = {result['rows'] / result['rss_seconds']:,.0f} rows/s;"
            f" RSS delta {result['rss_delta_kib']:,} KiB ({method});"
            f" child peak RSS {peak_mib:,.0f} MiB"
            f"{' (since the reset)' if result['hwm_reset'] else ''}"
        )
        print(
            f"download_report_rows under tracemalloc: {result['traced_rows']:,} rows"
            f" in {result['traced_seconds']:.1f} s;"
            f" tracemalloc peak {result['tracemalloc_peak'] / 1024:,.0f} KiB"
        )
        figures["rows"] = result["rows"]
        figures["rss_delta"] = result["rss_delta_kib"]
        figures["tracemalloc"] = result["tracemalloc_peak"] / 1024

        for destination in destinations:
            with tempfile.TemporaryDirectory(prefix="clario-bench-") as tmp:
                workdir = Path(tmp)
                sync_spec: dict[str, Any] = {
                    "base_url": base,
                    "account": account.as_dict(),
                    "destination": destination,
                    "data_dir": str(workdir / "data"),
                    "since": config.start.isoformat(),
                    "data_sets": ["fba_shipments"],
                    "duckdb_loader_format": duckdb_loader_format,
                }
                if destination == "postgres":
                    sync_spec["pg_dsn"] = pg_dsn
                    drop_schemas(pg_dsn, dataset_of(account))
                try:
                    synced, sync_peak, _ = run_child(sync_spec, workdir, max_rss_mib)
                finally:
                    if destination == "postgres":
                        drop_schemas(pg_dsn, dataset_of(account))
            if synced is None:
                print(f"sync fba_shipments -> {destination}: stopped at {sync_peak:,.0f} MiB")
                figures[destination] = None
                continue
            run = synced["runs"][0]
            steps = synced["steps"]
            print(
                f"sync fba_shipments -> {destination}: {run['status']},"
                f" rows_loaded {run['rows_loaded']:,} in {synced['wall_seconds']:.1f} s"
                f" (extract {steps.get('extract', 0):.1f} s, normalize"
                f" {steps.get('normalize', 0):.1f} s, load {steps.get('load', 0):.1f} s);"
                f" peak RSS {sync_peak:,.0f} MiB"
                f" (after imports {synced['baseline_rss_kib'] / 1024:,.0f} MiB;"
                f" VmHWM after {steps_hwm(synced)})"
            )
            figures[destination] = sync_peak
    return figures


def _ratio(large: float | None, small: float | None) -> str:
    if large is None or small is None or small <= 0:
        return "n/a"
    return f"{large / small:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=2_000, help="orders per day, small world")
    parser.add_argument("--large", type=int, default=20_000, help="orders per day, large world")
    parser.add_argument("--days", type=int, default=30, help="days of history (the report's)")
    add_shared_options(parser)
    options = parser.parse_args()
    if options.child:
        report_child(options.child)
        return
    destinations = destinations_of(parser, options)
    scale = 10 if options.quick else 1
    small, large = options.small // scale, options.large // scale
    max_rss = options.max_rss_mib or memory_mib() * 0.6
    print(
        f"report streaming: {REPORT_TYPE} over {options.days} days,"
        f" {small:,} vs {large:,} orders/day; {os.cpu_count()} CPUs,"
        f" python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}"
    )
    if options.duckdb_loader_format:
        print(f"experiment: DuckDB loads {options.duckdb_loader_format} files")
    figures = [
        measure(
            per_day,
            options.days,
            destinations,
            options.pg_dsn,
            max_rss,
            options.duckdb_loader_format,
        )
        for per_day in (small, large)
    ]
    low, high = figures
    print(f"\nmachine load average (1/5/15 min) at the end: {os.getloadavg()}")
    print(f"\n== large / small ({high['rows']:,} / {low['rows']:,} rows)")
    noise = (
        " (both under 1 MiB: RSS moves in 4 KiB pages, the ratio of such small deltas is noise)"
        if max(high["rss_delta"], low["rss_delta"]) < 1024
        else ""
    )
    print(
        f"report path, RSS delta: {high['rss_delta']:,} / {low['rss_delta']:,} KiB"
        f" = {_ratio(high['rss_delta'], low['rss_delta'])} (target <= 1.5x){noise}"
    )
    print(
        f"report path, tracemalloc peak: {high['tracemalloc']:,.0f} / {low['tracemalloc']:,.0f}"
        f" KiB = {_ratio(high['tracemalloc'], low['tracemalloc'])} (target <= 1.5x)"
    )
    for destination in destinations:
        big, little = high.get(destination), low.get(destination)
        print(
            f"sync fba_shipments -> {destination}, peak RSS:"
            f" {big if big is None else f'{big:,.0f}'} / "
            f"{little if little is None else f'{little:,.0f}'} MiB = {_ratio(big, little)}"
        )


if __name__ == "__main__":
    main()
