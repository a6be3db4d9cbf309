"""Many sellers in one warehouse: extract, full build, incremental build, peak memory.

    .venv/bin/python bench/many_sellers.py [--sellers 1 10 100] [--orders-per-day 4]
        [--history-days 20] [--targets duckdb postgres] [--rate-scale 1000]
        [--concurrency 16] [--same-rows] [--work-dir /tmp/clario-many] [--pg-dsn DSN]

For each N in --sellers, on each target:
1. the simulator (`clario simulator serve`, its own process) serves a world of N sellers
   with --orders-per-day each, rate limits x --rate-scale;
2. the real extraction (`extract.pipeline.sync_sellers`, --concurrency sellers at a time)
   syncs every seller into one raw dataset, in a child process: wall time, peak RSS;
3. a full `dbt build` as the flow runs it (bench/invoke_dbt.py, in-process dbt);
4. the simulator's clock moves six hours, the sellers are synced again (one six-hourly
   batch), and an incremental `dbt build` follows.
`--same-rows` also runs one seller holding N x --orders-per-day, the same rows in one
seller: the goal is a full build at N sellers within 2x of that.

`--copies K` reaches many sellers without hours of extraction: after each sync (the first
and the six-hour batch), every row of the N synced sellers, in every raw and audit table
with a `seller_id`, is copied K times under seller ids (and dlt row ids) of their own
(`<id>K<k>`), load ids kept. The warehouse then holds N x (K+1) sellers, each as if it had
synced what its original did, batch included, and the builds run on all of them; the
extract columns still time the N real sellers (scale them by K+1). The issue's own
reproduction copied one seller's raw dataset the same way.

It prints one line per N and target: orders, extract seconds and peak MiB, full build,
incremental build (and its ratio to the full build), and the builds' peak MiB (on DuckDB
the engine runs inside dbt's process, so that is the warehouse's memory too); then the
sync's CPU seconds per synced seller (user + system, first sync and six-hour batch: what
a cycle of many sellers costs the machine, whatever the concurrency), and the
incremental build's five slowest nodes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import requests

from flows.transform import SYNC_BUILD_OPTIONS, profile_environment

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"
CLARIO = str(Path(sys.executable).with_name("clario"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)


@dataclass
class Measured:
    seconds: float
    peak_mib: int
    cpu_seconds: float = -1.0  # user + system time of the process and its children


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(command: list[str], env: dict[str, str]) -> tuple[Measured, str]:
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command[:3])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    invoke = re.search(r"dbt invoke took ([\d.]+) s", done.stderr)
    seconds = float(invoke.group(1)) if invoke else elapsed
    cpu = sum(
        float(found.group(1))
        for found in re.finditer(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)
    )
    return Measured(seconds, int(peak.group(1)) // 1024 if peak else -1, cpu), done.stdout


def world_options(sellers: int, history_days: int, orders_per_day: int) -> list[str]:
    """The simulator's world: `clario simulator serve` and `sellers` take the same options."""
    return [
        "--seed", "5", "--sellers", str(sellers), "--history-days", str(history_days),
        "--orders-per-day", str(orders_per_day), "--now", NOW.isoformat(),
    ]  # fmt: skip


@contextmanager
def serve_simulator(
    world: list[str], rate_scale: float, report_delay: float = 0.2
) -> Iterator[str]:
    """The simulator in its own process, serving `world`; yields its base URL. Amazon takes
    `report_delay` seconds to prepare a report."""
    port = free_port()
    simulator = subprocess.Popen(
        [CLARIO, "simulator", "serve", "--port", str(port), "--rate-scale", str(rate_scale),
         "--report-delay", str(report_delay), *world],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/_simulator/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield base
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=30)


def write_sellers_file(world: list[str], base: str, path: Path) -> Path:
    """A sellers file for every seller of `world`, credentials inline (a bench's own)."""
    listed = subprocess.run(
        [CLARIO, "simulator", "sellers", *world, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    path.write_text(
        "".join(
            f'[[sellers]]\nseller_id = "{a["seller_id"]}"\nregion = "NA"\n'
            f"marketplace_ids = {json.dumps(a['marketplace_ids'])}\n"
            f'endpoint = "{base}"\ntoken_url = "{base}/auth/o2/token"\n'
            f'[sellers.credentials]\nclient_id = "{a["client_id"]}"\n'
            f'client_secret = "{a["client_secret"]}"\nrefresh_token = "{a["refresh_token"]}"\n'
            for a in json.loads(listed.stdout)
        )
    )
    return path


def child_sync(spec_path: str) -> None:
    """Runs in the child process: sync every seller of the sellers file once."""
    from extract.pipeline import sync_sellers
    from extract.spapi.config import load_sellers
    from extract.sync_settings import SyncSettings

    spec = json.loads(Path(spec_path).read_text())
    runs = sync_sellers(
        load_sellers(Path(spec["sellers_file"])),
        spec["target"],
        Path(spec["data_dir"]),
        postgres_dsn=spec.get("pg_dsn"),
        settings=SyncSettings(since=datetime.fromisoformat(spec["since"]), report_poll_seconds=0.2),
        max_workers=spec["concurrency"],
        client_options={"timeout": 30},
    )
    failed = [r.summary() for r in runs if r.status != "ok"]
    if failed:
        raise SystemExit(f"{len(failed)} data sets failed: {failed[:3]}")


def dbt_env(target: str, data_dir: Path, pg_dsn: str) -> dict[str, str]:
    """The environment dbt's profile reads, as the flow gives it (flows/transform.py)."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    env |= profile_environment(target, data_dir, pg_dsn)  # type: ignore[arg-type]
    if target == "postgres":
        env["CLARIO_PG_SCHEMA"] = "clario_many_bench"
    return env


def dbt(target: str, data_dir: Path, env: dict[str, str], *args: str) -> Measured:
    command = [
        sys.executable,
        str(ROOT / "bench" / "invoke_dbt.py"),
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target",
        target,
        "--target-path",
        str(data_dir / "dbt_target"),
        "--log-path",
        str(data_dir / "dbt_logs"),
    ]
    return timed(command, env)[0]


def slowest_nodes(run_results: Path, count: int = 5) -> str:
    """The slowest nodes of a dbt run, from its run_results.json (bench/marts_build.py too)."""
    results = json.loads(run_results.read_text())["results"]
    total = sum(r["execution_time"] for r in results)
    slowest = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:count]
    listed = ", ".join(
        f"{r['unique_id'].split('.', 2)[-1]} {r['execution_time']:.1f}s" for r in slowest
    )
    return f"nodes {total:.0f}s in all; slowest: {listed}"


def drop_postgres(pg_dsn: str) -> None:
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        for schema in ("clario_many_bench", "raw_many_bench", "raw_many_bench_staging"):
            cursor.execute(f'drop schema if exists "{schema}" cascade')
        for schema in ("audit_many_bench", "audit_many_bench_staging"):
            cursor.execute(f'drop schema if exists "{schema}" cascade')


# the columns a copy gives ids of its own (`<id>K<k>`)
COPIED_IDS = {"seller_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id"}


def copy_sellers(
    target: str, data_dir: Path, env: dict[str, str], pg_dsn: str, sellers_file: Path, copies: int
) -> None:
    """Each synced seller's rows copied `copies` times under ids of their own.

    Copies made after an earlier sync are dropped first, so every copy equals its original
    as it is now, the batch's merges and new load ids included."""
    from extract.layout import audit_dataset, raw_dataset
    from extract.spapi.config import load_sellers

    schemas = (raw_dataset(env), audit_dataset(env))
    listed = ", ".join(f"'{seller.seller_id}'" for seller in load_sellers(sellers_file))
    if target == "duckdb":
        import duckdb

        connection: Any = duckdb.connect(str(data_dir / "clario.duckdb"))
        cursor = connection
    else:
        connection = psycopg2.connect(pg_dsn)
        cursor = connection.cursor()
    cursor.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c"
        " join information_schema.tables t"
        "  on t.table_schema = c.table_schema and t.table_name = c.table_name"
        f" where c.table_schema in ('{schemas[0]}', '{schemas[1]}')"
        " and t.table_type = 'BASE TABLE' order by c.table_schema, c.table_name, c.ordinal_position"
    )
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in cursor.fetchall():
        columns.setdefault((schema, table), []).append(column)
    for (schema, table), names in columns.items():
        if "seller_id" not in names:
            continue
        quoted = ", ".join(f'"{name}"' for name in names)
        # dlt's row ids are unique (a constraint on Postgres): each copy gets its own,
        # parents' and roots' with them, so nested rows still point at their parent
        picked = ", ".join(
            f"\"{name}\" || 'K' || cast(g.n as varchar)" if name in COPIED_IDS else f'"{name}"'
            for name in names
        )
        cursor.execute(f'delete from "{schema}"."{table}" where seller_id not in ({listed})')
        cursor.execute(
            f'insert into "{schema}"."{table}" ({quoted}) select {picked}'
            f' from "{schema}"."{table}" cross join generate_series(1, {copies}) as g(n)'
        )
    connection.commit()
    connection.close()


def run_one(
    args: argparse.Namespace, sellers: int, orders_per_day: int, target: str, copies: int = 0
) -> dict[str, Any]:
    work = args.work_dir / f"{target}-{sellers}x{orders_per_day}-{copies}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data_dir = work / "data"
    env = dbt_env(target, data_dir, args.pg_dsn)
    if target == "postgres":
        # the bench's own datasets, so it never touches another warehouse's
        env |= {"CLARIO_RAW_SCHEMA": "raw_many_bench", "CLARIO_AUDIT_SCHEMA": "audit_many_bench"}
        drop_postgres(args.pg_dsn)
    world = world_options(sellers, args.history_days, orders_per_day)
    with serve_simulator(world, args.rate_scale) as base:
        sellers_file = write_sellers_file(world, base, work / "sellers.toml")
        spec = {
            "sellers_file": str(sellers_file),
            "target": target,
            "data_dir": str(data_dir),
            "pg_dsn": args.pg_dsn if target == "postgres" else None,
            "since": (NOW - timedelta(days=args.history_days)).isoformat(),
            "concurrency": args.concurrency,
        }
        spec_path = work / "spec.json"
        spec_path.write_text(json.dumps(spec))
        child = [sys.executable, __file__, "--child-sync", str(spec_path)]
        extract, _ = timed(child, env)
        if copies:
            copy_sellers(target, data_dir, env, args.pg_dsn, sellers_file, copies)
        dbt(target, data_dir, env, "parse")
        full = dbt(target, data_dir, env, "build", *SYNC_BUILD_OPTIONS, "--full-refresh")
        requests.post(
            base + "/_simulator/clock",
            json={"now": (NOW + timedelta(hours=6)).isoformat()},
            timeout=10,
        )
        batch, _ = timed(child, env)
        if copies:
            copy_sellers(target, data_dir, env, args.pg_dsn, sellers_file, copies)
        incremental = dbt(target, data_dir, env, "build", *SYNC_BUILD_OPTIONS)
    return {
        "slowest": slowest_nodes(data_dir / "dbt_target" / "run_results.json"),
        "target": target,
        "sellers": sellers * (1 + copies),
        "orders_per_day": orders_per_day,
        "extract": extract,
        "batch": batch,
        "full": full,
        "incremental": incremental,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child-sync", help=argparse.SUPPRESS)
    parser.add_argument("--sellers", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--orders-per-day", type=int, default=4)
    parser.add_argument("--history-days", type=int, default=20)
    parser.add_argument("--targets", nargs="+", default=["duckdb", "postgres"])
    parser.add_argument("--rate-scale", type=float, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--same-rows", action="store_true")
    parser.add_argument("--copies", type=int, default=0)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/clario-many"))
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("CLARIO_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    if args.child_sync:
        child_sync(args.child_sync)
        return
    # (synced sellers, orders per day, copies of each)
    plans = [(n, args.orders_per_day, args.copies) for n in args.sellers]
    if args.same_rows:  # one seller holding what all of them hold, synced whole
        plans += [
            (1, n * (1 + args.copies) * args.orders_per_day, 0)
            for n in args.sellers
            if n * (1 + args.copies) > 1
        ]
    print(
        f"{'target':<9}{'sellers':>8}{'copies':>7}{'orders/d':>9}{'extract s':>10}{'MiB':>6}"
        f"{'batch s':>9}{'full s':>8}{'MiB':>6}{'incr s':>8}{'MiB':>6}{'ratio':>7}",
        flush=True,
    )
    for target in args.targets:
        for synced, per_day, copies in plans:
            r = run_one(args, synced, per_day, target, copies)
            full, incremental = r["full"], r["incremental"]
            print(
                f"{target:<9}{r['sellers']:>8}{copies:>7}{per_day:>9}"
                f"{r['extract'].seconds:>10.1f}{r['extract'].peak_mib:>6}"
                f"{r['batch'].seconds:>9.1f}{full.seconds:>8.1f}{full.peak_mib:>6}"
                f"{incremental.seconds:>8.1f}{incremental.peak_mib:>6}"
                f"{incremental.seconds / full.seconds:>7.1%}",
                flush=True,
            )
            # what a cycle of many sellers costs the machine, whatever the concurrency
            print(
                f"  sync CPU per seller: first {r['extract'].cpu_seconds / synced:.2f} s,"
                f" six-hour batch {r['batch'].cpu_seconds / synced:.2f} s",
                flush=True,
            )
            print(f"  incremental build: {r['slowest']}", flush=True)


if __name__ == "__main__":
    main()
