"""One worker against two on a work pool: the same sellers' first sync, as shard runs.

    .venv/bin/python bench/work_pool.py [--sellers 8] [--orders-per-day 4]
        [--history-days 20] [--rate-scale 1000] [--report-delay 0.2] [--concurrency 16]
        [--workers 1 2]
        [--no-shared-rate-limits] [--work-dir /tmp/clario-pool] [--pg-dsn DSN]

1. the simulator (`clario simulator serve`, its own process) serves a world of --sellers
   sellers with --orders-per-day each, rate limits x --rate-scale, each report ready
   --report-delay seconds after it was asked for (bench/many_sellers.py);
2. a Prefect server of the bench's own (`prefect server start`, database under the work
   dir), a process work pool, prefect.yaml's `clario-sync-shard` deployment from this
   checkout, and max(--workers) `prefect worker start --work-queue shards --limit 1`
   processes, each syncing --concurrency sellers at a time;
3. for each N in --workers: a fresh PostgreSQL warehouse (the bench's own datasets) and a
   fresh simulator; N shard runs (shard i of N) started at once, as `sync-pool` starts
   them, and waited for: the first sync; then the simulator's clock moves six hours and
   N shard runs sync again: the six-hourly run, whose loads change no table.

It prints, per N and sync: the extraction's seconds (first data set started to last one
finished, from `sync_runs`), the shard runs' seconds as Prefect saw them (running to
done), the wall time from starting the runs to the last one's end (a worker taking the
run and starting its process included), the largest shard's number of sellers; then
the ratio of N workers' extraction to one worker's. No dbt build: the sync-pool run
builds once after its shards, the same build whatever N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg2
import requests
import yaml
from many_sellers import NOW, serve_simulator, world_options, write_sellers_file

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))
RAW, AUDIT = "raw_pool_bench", "audit_pool_bench"
POOL = "clario-bench"


def drop_warehouse(pg_dsn: str) -> None:
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(  # the shards' staging datasets (extract/layout.py)
            "select nspname from pg_namespace where starts_with(nspname, %s)",
            [f"{RAW}_staging_shard"],
        )
        shards = [name for (name,) in cursor.fetchall()]
        for schema in (RAW, f"{RAW}_staging", *shards, AUDIT, f"{AUDIT}_staging"):
            cursor.execute(f'drop schema if exists "{schema}" cascade')


def deploy_shards(shared_rate_limits: bool) -> None:
    """prefect.yaml's clario-sync-shard, from this checkout, on the bench's work pool."""
    from prefect import Flow

    [spec] = [
        d
        for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
        if d["name"] == "clario-sync-shard"
    ]
    loaded = Flow.from_source(source=str(ROOT), entrypoint=spec["entrypoint"])
    assert isinstance(loaded, Flow)
    loaded.deploy(
        name=spec["name"],
        work_pool_name=POOL,
        work_queue_name=spec["work_pool"]["work_queue_name"],
        parameters={
            **spec["parameters"],
            "stagger_seconds": 0,  # the bench's sellers all start at once, in both cases
            "shared_rate_limits": shared_rate_limits,
        },
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
    )


def run_shards(shards: int, parameters: dict[str, Any]) -> list[Any]:
    """`shards` shard runs started at once, as the sync-pool flow starts them; once ended."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    started = [
        run_deployment(
            "sync/clario-sync-shard",
            parameters={**parameters, "shard": shard, "shards": shards},
            flow_run_name=f"bench shard {shard} of {shards}",
            timeout=0,
        )
        for shard in range(shards)
    ]
    with get_client(sync_client=True) as client:
        while True:
            runs = [client.read_flow_run(run.id) for run in started]  # type: ignore[union-attr]
            if all(run.state and run.state.is_final() for run in runs):
                return runs
            time.sleep(1)


def extraction_seconds(pg_dsn: str, runs: list[Any]) -> float:
    """The runs' first data set's start to their last one's end; every run and data set
    must have succeeded."""
    if not all(run.state.is_completed() for run in runs):
        raise SystemExit(f"shard runs failed: {[run.state for run in runs]}")
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select extract(epoch from max(finished_at) - min(started_at)),"
            " count(*) filter (where status = 'failed')"
            f" from {AUDIT}.sync_runs where flow_run_id = any(%s)",
            [[str(run.id) for run in runs]],
        )
        seconds, failed = cursor.fetchone() or (0, 0)
    if failed:
        raise SystemExit(f"{failed} data set(s) failed; see sync_runs in {AUDIT}")
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sellers", type=int, default=8)
    parser.add_argument("--orders-per-day", type=int, default=4)
    parser.add_argument("--history-days", type=int, default=20)
    parser.add_argument("--rate-scale", type=float, default=1000)
    parser.add_argument("--report-delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-shared-rate-limits", action="store_true")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/clario-pool"))
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("CLARIO_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    work = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # the bench's own datasets, in this process (the lock keys) and in the workers
    os.environ |= {"CLARIO_RAW_SCHEMA": RAW, "CLARIO_AUDIT_SCHEMA": AUDIT}
    from extract.spapi.config import load_sellers
    from extract.sync_settings import SyncSettings
    from flows.prefect_server import local_server
    from flows.shards import deal

    world = world_options(args.sellers, args.history_days, args.orders_per_day)
    settings = SyncSettings(
        since=NOW - timedelta(days=args.history_days), report_poll_seconds=0.2
    ).model_dump(mode="json")
    six_hourly = SyncSettings(report_poll_seconds=0.2).model_dump(mode="json")
    workers: list[subprocess.Popen[bytes]] = []
    print(
        f"{'workers':>8}{'sellers':>8}{'largest shard':>14}{'sync':>7}{'extract s':>10}"
        f"{'shard runs s':>13}{'wall s':>8}",
        flush=True,
    )
    extraction: dict[tuple[int, str], float] = {}
    with local_server(work / "prefect") as (api, _):
        env = {
            **os.environ,
            "PREFECT_API_URL": api,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PYTHONPATH": str(ROOT),
            "CLARIO_PG_DSN": args.pg_dsn,
            "CLARIO_SELLER_CONCURRENCY": str(args.concurrency),
        }
        create = [PREFECT, "work-pool", "create", POOL, "--type", "process"]
        subprocess.run(create, env=env, check=True, capture_output=True)
        deploy_shards(not args.no_shared_rate_limits)
        try:
            workers += [start_worker(k, env, work) for k in range(max(args.workers))]
            wait_for_workers(len(workers))
            for n in args.workers:
                drop_warehouse(args.pg_dsn)
                # a simulator of its own: its clock starts where the other N's did
                with serve_simulator(world, args.rate_scale, args.report_delay) as base:
                    sellers_file = write_sellers_file(world, base, work / f"sellers-{n}.toml")
                    seller_ids = [seller.seller_id for seller in load_sellers(sellers_file)]
                    largest = max(len(part) for part in deal(seller_ids, n))
                    parameters = {
                        "data_dir": str(work / f"data-{n}"),
                        "sellers_file": str(sellers_file),
                        "settings": settings,
                        "client_options": {"timeout": 30},
                    }
                    for sync in ("first", "6 h"):
                        if sync == "6 h":  # the six-hourly run: every table already there
                            later = (NOW + timedelta(hours=6)).isoformat()
                            requests.post(
                                f"{base}/_simulator/clock", json={"now": later}, timeout=10
                            )
                            # from the cursors, as scheduled runs; polls paced for the simulator
                            parameters["settings"] = six_hourly
                        started = time.perf_counter()
                        runs = run_shards(n, parameters)
                        wall = time.perf_counter() - started
                        seconds = extraction_seconds(args.pg_dsn, runs)
                        extraction[n, sync] = seconds
                        in_prefect = (
                            max(r.end_time for r in runs) - min(r.start_time for r in runs)
                        ).total_seconds()
                        print(
                            f"{n:>8}{len(seller_ids):>8}{largest:>14}{sync:>7}{seconds:>10.1f}"
                            f"{in_prefect:>13.1f}{wall:>8.1f}",
                            flush=True,
                        )
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
    for (n, sync), seconds in extraction.items():
        one = extraction.get((1, sync))
        if one and n != 1:
            print(f"{sync} sync, {n} workers: {seconds / one:.0%} of one worker's extraction time")


def start_worker(k: int, env: dict[str, str], work: Path) -> subprocess.Popen[bytes]:
    """A shard worker: the `shards` queue, one run at a time, as README says to start them."""
    command = [PREFECT, "worker", "start", "--pool", POOL, "--type", "process"]
    command += ["--name", f"bench-worker-{k}", "--work-queue", "shards", "--limit", "1"]
    with (work / f"worker-{k}.log").open("wb") as log:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_for_workers(count: int) -> None:
    """Until `count` workers poll the pool: a worker still starting would count as slow."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + 180
    with get_client(sync_client=True) as client:
        while len(client.read_workers_for_work_pool(POOL)) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{count} workers did not start; see worker-*.log")
            time.sleep(1)


if __name__ == "__main__":
    main()
