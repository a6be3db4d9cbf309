"""Rows per second and peak memory of extract+load, into DuckDB and into PostgreSQL.

    .venv/bin/python bench/extract_load.py [--orders 100000] [--events 500000]
        [--days 100] [--destinations duckdb,postgres] [--pg-dsn DSN] [--quick]
        [--max-rss-mib N] [--duckdb-loader-format insert_values|jsonl|parquet]

One seller, two runs per destination, each a first sync (`since` = the world's start):

- orders: `data_sets=["orders"]` on a world of --days x (--orders / --days) orders. History
  older than 30 days comes from GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL reports
  (30-day slices), the last 30 days from searchOrders (100 orders a page);
- finances: `data_sets=["finances"]` on a second, bigger world sized so that it holds about
  --events financial events (about 1.06 per order: one shipment event per shipped order, a
  refund event per refund, a few fees and adjustments), read with
  listFinancialEventsByGroupId (100 events a page). A world of 100k orders holds only about
  106k events, hence the separate finance-only run on its own world.

The simulator runs as its own process (`clario simulator serve --rate-scale 100000
--report-delay 0`, so its memory is not counted and rate limits never bind). Each sync runs
in a child process of this script; its peak RSS is the child's `ru_maxrss` from `wait4`.
PostgreSQL schemas (`raw_spapi_<seller>` and `..._staging`) are dropped before and after
each run; DuckDB writes to a temporary directory. A child whose RSS passes --max-rss-mib
(default 60% of the machine's memory) is stopped and reported as such.

--duckdb-loader-format is an experiment, not the project's behaviour: the child builds its
DuckDB destination with that `preferred_loader_file_format` (the project loads Parquet;
insert_values is dlt's default for DuckDB and held gigabytes, jsonl fails on late keys).

Prints per run: rows loaded per data set (`DataSetRun.summary()`), rows per table including
nested ones, wall seconds of `sync_sellers`, rows/s, time in dlt's extract / normalize /
load, CPU seconds of the client and of the simulator, the simulator's requests (SP-API
operations and the LWA token exchange; report-document downloads are not in its log) and
their total server time, and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2
import requests

from extract.layout import raw_dataset
from simulator.config import SellerAccount, WorldConfig, seller_accounts

if TYPE_CHECKING:
    from extract.spapi.config import SellerConfig

NOW = datetime(2026, 11, 28, tzinfo=UTC)
# A seed no test uses: the bench's PostgreSQL schemas never collide with a test's.
SEED = 42
# Financial events per order in these worlds (measured: 10,593 events for 10,035 orders).
EVENTS_PER_ORDER = 1.056
DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CLARIO = str(Path(sys.executable).with_name("clario"))
NO_TRACKING = {
    "DO_NOT_TRACK": "1",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
}


# --- the simulator, as its own process ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mib() -> float:
    """The machine's memory (MemTotal)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def status_kib(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


@contextmanager
def simulator(config: WorldConfig) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`clario simulator serve` for `config`, rate limits out of the way; yields its URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        CLARIO,
        "simulator",
        "serve",
        "--port",
        str(port),
        "--rate-scale",
        "100000",
        "--report-delay",
        "0",
        "--seed",
        str(config.seed),
        "--sellers",
        str(config.sellers),
        "--history-days",
        str(config.history_days),
        "--orders-per-day",
        str(config.orders_per_day),
        "--now",
        config.now.isoformat(),
    ]
    # Its stderr goes to a file, not a pipe: nobody reads a pipe while it serves.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command, stderr=log, text=True)
        try:
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the simulator exited: {log.read()}")
                try:
                    if requests.get(base + "/_simulator/health", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.2)
            yield base, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def simulator_requests(base: str) -> tuple[Counter[str], float]:
    """Requests per operation since the last call, and their server time; then forgets them.

    The simulator logs SP-API operations and the LWA token exchange (no operation id), not
    report-document downloads (they are served under its admin prefix)."""
    records = requests.get(base + "/_simulator/requests", timeout=60).json()
    requests.delete(base + "/_simulator/requests", timeout=60).raise_for_status()
    operations = Counter(str(r["operation_id"] or "LWA token") for r in records)
    return operations, sum(float(r["duration_ms"]) for r in records) / 1000


# --- PostgreSQL -----------------------------------------------------------------------------


def drop_schemas(dsn: str, dataset: str) -> None:
    """Drop the seller's raw dataset and dlt's staging dataset next to it."""
    connection = psycopg2.connect(dsn)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for schema in (dataset, f"{dataset}_staging"):
                cursor.execute(f'drop schema if exists "{schema}" cascade')
    finally:
        connection.close()


# --- the child: one sync, timed ---------------------------------------------------------------


def _timed_steps(
    seconds: dict[str, float], hwm_mib: dict[str, float], row_counts: Counter[str]
) -> None:
    """Time dlt's extract / normalize / load as `sync_seller` calls them (in this process),
    note the process's VmHWM after each (it only grows: the step after which it jumped is
    the one that reached it), and add up the rows per table each normalize reports."""
    import dlt

    originals = {step: getattr(dlt.Pipeline, step) for step in ("extract", "normalize", "load")}

    def timed(step: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = original(self, *args, **kwargs)
            finally:
                seconds[step] += time.perf_counter() - started
                hwm_mib[step] = status_kib("self", "VmHWM") / 1024
            if step == "normalize":
                row_counts.update(result.row_counts)
            return result

        return wrapper

    for step, original in originals.items():
        setattr(dlt.Pipeline, step, timed(step, original))


def seller_config(base_url: str, account: dict[str, Any]) -> SellerConfig:
    """The seller of a simulator account (`SellerAccount.as_dict()`), pointed at `base_url`."""
    from extract.spapi.config import SellerConfig

    return SellerConfig.model_validate(
        {
            "seller_id": account["seller_id"],
            "user_id": "bench",
            "region": "NA",
            "marketplace_ids": account["marketplace_ids"],
            "endpoint": base_url,
            "token_url": base_url + "/auth/o2/token",
            "credentials": {
                "client_id": account["client_id"],
                "client_secret": account["client_secret"],
                "refresh_token": account["refresh_token"],
            },
        }
    )


def _duckdb_loader_format(file_format: str) -> None:
    """An experiment, not the project's behaviour: DuckDB loads `file_format` files instead of
    the project's Parquet, by swapping `make_destination` in this process."""
    import dlt

    import extract.pipeline as pipeline_module

    original = pipeline_module.make_destination

    def make_destination(kind: Any, data_dir: Path, postgres_dsn: str | None = None) -> Any:
        if kind != "duckdb":
            return original(kind, data_dir, postgres_dsn)
        data_dir.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(
            str(data_dir / "clario.duckdb"), preferred_loader_file_format=file_format
        )

    pipeline_module.make_destination = make_destination


def child(spec_path: Path) -> None:
    """Run the sync `spec_path` describes; write what it did next to it."""
    from extract.pipeline import sync_sellers
    from extract.sync_settings import SyncSettings

    spec = json.loads(spec_path.read_text())
    seller = seller_config(spec["base_url"], spec["account"])
    if spec.get("duckdb_loader_format"):
        _duckdb_loader_format(spec["duckdb_loader_format"])
    seconds: dict[str, float] = defaultdict(float)
    row_counts: Counter[str] = Counter()
    hwm_mib: dict[str, float] = {}
    _timed_steps(seconds, hwm_mib, row_counts)
    baseline_kib = status_kib("self", "VmRSS")
    started = time.perf_counter()
    runs = sync_sellers(
        [seller],
        spec["destination"],
        Path(spec["data_dir"]),
        postgres_dsn=spec.get("pg_dsn"),
        settings=SyncSettings(since=datetime.fromisoformat(spec["since"]), report_poll_seconds=0.2),
        data_sets=spec["data_sets"],
        client_options={"timeout": 60},
    )
    wall = time.perf_counter() - started
    result = {
        "runs": [run.summary() for run in runs],
        "wall_seconds": wall,
        "steps": dict(seconds),
        "hwm_after_mib": hwm_mib,
        "row_counts": dict(row_counts),
        "baseline_rss_kib": baseline_kib,
    }
    Path(spec["result"]).write_text(json.dumps(result))


def run_child(
    spec: dict[str, Any], workdir: Path, max_rss_mib: float, script: Path | None = None
) -> tuple[dict[str, Any] | None, float, float]:
    """Run one sync in a child process; its result (None if it had to be stopped), peak RSS
    (MiB) and CPU seconds. The child is `script --child SPEC` (default: this file's sync).
    A child whose RSS passes `max_rss_mib` is killed: better a figure "more than N" than
    the machine's OOM killer picking a victim."""
    spec_path = workdir / "spec.json"
    spec["result"] = str(workdir / "result.json")
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, **NO_TRACKING}
    process = subprocess.Popen(
        [sys.executable, str((script or Path(__file__)).resolve()), "--child", str(spec_path)],
        env=env,
    )
    started = time.perf_counter()
    killed = False
    while True:
        # wait4, not wait(): the rusage of this child alone (the simulator is a child too).
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        try:
            rss_mib = status_kib(process.pid, "VmRSS") / 1024
        except (OSError, RuntimeError):
            rss_mib = 0.0  # exiting
        if rss_mib > max_rss_mib and not killed:
            print(
                f"   !! the child passed {max_rss_mib:,.0f} MiB RSS after"
                f" {time.perf_counter() - started:,.0f} s: stopped"
            )
            process.kill()
            killed = True
        time.sleep(0.1)
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_mib = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    if killed:
        return None, peak_mib, cpu
    if process.returncode != 0:
        raise RuntimeError(f"the sync child exited with {process.returncode}")
    return json.loads(Path(spec["result"]).read_text()), peak_mib, cpu


# --- the parent ---------------------------------------------------------------------------


def dataset_of(account: SellerAccount) -> str:
    """The raw dataset every seller loads into (the bench's one seller is alone in it)."""
    return raw_dataset()


def bench_world(
    label: str,
    config: WorldConfig,
    data_sets: list[str],
    destinations: list[str],
    pg_dsn: str,
    max_rss_mib: float,
    duckdb_loader_format: str | None,
) -> None:
    account = seller_accounts(config)[0]
    print(
        f"\n== {label}: world seed {config.seed}, 1 seller, {config.history_days} days x "
        f"{config.orders_per_day:,} orders/day; data_sets={data_sets}"
    )
    with simulator(config) as (base, process):
        simulator_requests(base)  # forget the health checks
        for destination in destinations:
            with tempfile.TemporaryDirectory(prefix="clario-bench-") as tmp:
                workdir = Path(tmp)
                spec: dict[str, Any] = {
                    "base_url": base,
                    "account": account.as_dict(),
                    "destination": destination,
                    "data_dir": str(workdir / "data"),
                    "since": config.start.isoformat(),
                    "data_sets": data_sets,
                    "duckdb_loader_format": duckdb_loader_format,
                }
                if destination == "postgres":
                    spec["pg_dsn"] = pg_dsn
                    drop_schemas(pg_dsn, dataset_of(account))
                sim_cpu = _cpu_seconds(process.pid)
                try:
                    result, peak_mib, cpu = run_child(spec, workdir, max_rss_mib)
                finally:
                    if destination == "postgres":
                        drop_schemas(pg_dsn, dataset_of(account))
                sim_cpu = _cpu_seconds(process.pid) - sim_cpu
                operations, server_seconds = simulator_requests(base)
            if result is None:
                print(
                    f"-- {destination}: no figures, the sync was stopped at"
                    f" {peak_mib:,.0f} MiB peak RSS after {sum(operations.values()):,} requests"
                )
                continue
            report(destination, result, peak_mib, cpu, sim_cpu, operations, server_seconds)


def report(
    destination: str,
    result: dict[str, Any],
    peak_mib: float,
    cpu: float,
    sim_cpu: float,
    operations: Counter[str],
    server_seconds: float,
) -> None:
    load = os.getloadavg()
    wall = float(result["wall_seconds"])
    loaded = 0
    print(f"-- {destination}")
    for run in result["runs"]:
        loaded += int(run["rows_loaded"])
        error = f"; error: {run['error']}" if run["error"] else ""
        print(
            f"   {run['data_set']}: {run['status']}, rows_loaded {run['rows_loaded']:,}"
            f" (rejected {run['rows_rejected']}){error}"
        )
        if run["status"] != "ok":
            print(f"   summary: {json.dumps(run)}")
    counts: dict[str, int] = result["row_counts"]
    nested = sum(counts.values())
    print(
        "   rows per table: "
        + ", ".join(f"{t} {n:,}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    )
    steps = result["steps"]
    print(
        f"   wall {wall:.1f} s: {loaded / wall:,.0f} rows/s"
        f" ({nested / wall:,.0f} rows/s counting nested tables)"
    )
    print(
        f"   dlt steps: extract {steps.get('extract', 0):.1f} s (includes every HTTP request),"
        f" normalize {steps.get('normalize', 0):.1f} s, load {steps.get('load', 0):.1f} s"
    )
    print(f"   VmHWM after each step: {steps_hwm(result)}")
    print(
        f"   CPU: client {cpu:.1f} s, simulator {sim_cpu:.1f} s;"
        f" simulator answered {sum(operations.values()):,} requests in {server_seconds:.1f} s"
        f" of server time ({', '.join(f'{op} {n:,}' for op, n in operations.most_common())});"
        f" machine load average (1/5 min) at the end {load[0]:.1f}/{load[1]:.1f}"
    )
    print(
        f"   peak RSS of the sync process: {peak_mib:,.0f} MiB"
        f" (after imports, before the sync: {result['baseline_rss_kib'] / 1024:,.0f} MiB)"
    )


def steps_hwm(result: dict[str, Any]) -> str:
    """`extract 300 MiB, normalize 310 MiB, load 4,000 MiB`: VmHWM after each dlt step."""
    hwm: dict[str, float] = result.get("hwm_after_mib", {})
    return ", ".join(f"{step} {mib:,.0f} MiB" for step, mib in hwm.items())


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """The options this script and bench/report_streaming.py share."""
    parser.add_argument(
        "--destinations", default="duckdb,postgres", help="duckdb,postgres (comma-separated)"
    )
    parser.add_argument(
        "--pg-dsn", default=os.environ.get("CLARIO_TEST_PG_DSN", DEFAULT_PG_DSN), help="PostgreSQL"
    )
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    parser.add_argument(
        "--max-rss-mib",
        type=float,
        help="stop a child whose RSS passes this (default: 60%% of the machine's memory)",
    )
    parser.add_argument(
        "--duckdb-loader-format",
        choices=["insert_values", "jsonl", "parquet"],
        help="experiment: load DuckDB from these files instead of what the project configures"
        " (parquet)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)


def destinations_of(parser: argparse.ArgumentParser, options: argparse.Namespace) -> list[str]:
    """The --destinations asked for (an unknown one is a usage error); tracking off."""
    destinations = [d.strip() for d in options.destinations.split(",") if d.strip()]
    unknown = set(destinations) - {"duckdb", "postgres"}
    if unknown:
        parser.error(f"unknown destination(s) {', '.join(sorted(unknown))}")
    for name, value in NO_TRACKING.items():
        os.environ.setdefault(name, value)
    return destinations


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the orders world")
    parser.add_argument(
        "--events", type=int, default=500_000, help="financial events in the finances world"
    )
    parser.add_argument("--days", type=int, default=100, help="days of history of both worlds")
    add_shared_options(parser)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    destinations = destinations_of(parser, options)
    scale = 10 if options.quick else 1
    orders, events = options.orders // scale, options.events // scale
    print(
        f"extract+load, 1 seller, simulator --rate-scale 100000 --report-delay 0;"
        f" {orders:,} orders, {events:,} financial events; destinations {destinations};"
        f" {os.cpu_count()} CPUs, {memory_mib() / 1024:,.1f} GiB,"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    if options.duckdb_loader_format:
        print(f"experiment: DuckDB loads {options.duckdb_loader_format} files")
    days = options.days
    orders_world = WorldConfig(
        seed=SEED, sellers=1, history_days=days, orders_per_day=max(1, orders // days), now=NOW
    )
    events_world = WorldConfig(
        seed=SEED,
        sellers=1,
        history_days=days,
        orders_per_day=max(1, round(events / EVENTS_PER_ORDER / days)),
        now=NOW,
    )
    max_rss = options.max_rss_mib or memory_mib() * 0.6
    for label, world, data_sets in (
        ("orders", orders_world, ["orders"]),
        ("finances", events_world, ["finances"]),
    ):
        bench_world(
            label,
            world,
            data_sets,
            destinations,
            options.pg_dsn,
            max_rss,
            options.duckdb_loader_format,
        )


if __name__ == "__main__":
    main()
