"""How long `dbt build` takes, and how much memory dbt needs, at a million orders.

    .venv/bin/python bench/marts_build.py [--orders 1000000] [--events 5000000]
        [--targets duckdb postgres] [--work-dir /tmp/clario-bench] [--pg-dsn DSN]
        [--reuse-raw]

Syncing a million orders through the simulator takes hours, so the raw tables are made
in two steps:
1. a small one-seller world (--seed-orders-per-day x --seed-days) is synced through the
   simulator with `clario`'s extractor, into DuckDB and into Postgres;
2. every raw table is scaled up in SQL, in place: the order tables (orders and their
   nested tables, fulfilled shipments, customer returns) are copied until they hold
   --orders orders, the financial event tables (and their nested tables) until they hold
   --events events. Each copy appends `~<n>` to every id column (order, item, shipment,
   event, license plate, dlt row and parent ids), so keys stay unique and children still
   point at their parents. Settlement groups, inbound shipments and reimbursements are not
   copied (their row counts do not grow with orders). On Postgres the copies get the
   indexes the sync created (extract/raw_indexes.py), as the tables would have had.

Then, per target, `dbt build` as the flow runs it after a sync (flows/transform.py: unit
tests left to CI):
- full build: `dbt build --full-refresh` (models and data tests);
- one new six-hour batch: a new dlt load (in `_dlt_loads`) brings 1/240 of the orders and
  events as new rows (60 days of history = 240 six-hour batches) and rewrites as many
  existing ones (late status changes, open settlement groups re-read) as dlt's merge
  does: their rows, nested rows included, are deleted and appended with the new load id;
- incremental build: `dbt build`, and its wall time as a ratio of the full build.

`--reuse-raw` skips seeding and scaling and builds on the raw tables a previous run left
in --work-dir (each new batch adds 1/240 more), to try a change to the models quickly.
Each dbt run's slowest nodes are printed from its `run_results.json`.

Each dbt command runs in a new process, which calls dbt as the flow does: in-process,
through dbt's `dbtRunner` (bench/invoke_dbt.py). Each build is timed twice: dbt's `invoke` (parse
and build: what the flow's build step costs, the flow having imported dbt once) and the
whole process (Python's start and dbt's imports too, as a `dbt` command typed by hand).
Peak memory is the process's maximum resident set (`/usr/bin/time -v`). On DuckDB the
warehouse runs inside the dbt process, so that is the engine's memory too; on Postgres
the work happens in the server and dbt stays small.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import psycopg2
from many_sellers import slowest_nodes

from extract.layout import raw_dataset
from extract.pipeline import sync_sellers
from extract.spapi.config import SellerConfig
from extract.sync_settings import SyncSettings
from flows.transform import SYNC_BUILD_OPTIONS
from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
BATCHES_IN_HISTORY = 240  # 60 days of six-hour syncs
# dlt's load id on root rows, and its copy on nested rows (extract/nested_columns.py)
LOAD_ID_COLUMNS = {"_dlt_load_id", "_dlt_root_load_id"}
ID_COLUMNS = {
    "order_id",
    "amazon_order_id",
    "order_item_id",
    "amazon_order_item_id",
    "order_adjustment_item_id",
    "shipment_id",
    "shipment_item_id",
    "package_reference_id",
    "license_plate_number",
    "event_id",
    "_dlt_id",
    "_dlt_parent_id",
    "_dlt_root_id",
}
ORDER_TABLES = re.compile(r"^(orders|fba_shipments|customer_returns)")
EVENT_TABLES = re.compile(r"^[a-z_]+_events(__|$)")
EVENT_ROOTS = ("shipment_events", "refund_events", "service_fee_events", "adjustment_events")
Query = Callable[[str], list[tuple[Any, ...]]]


@dataclass
class Warehouse:
    """One target: how to run SQL on it and how dbt reaches it."""

    target: str
    execute: Callable[[str], None]
    query: Query
    dbt_env: dict[str, str]


def seller_config(world: World, base_url: str) -> SellerConfig:
    account = world.sellers[0]
    return SellerConfig(
        seller_id=account.seller_id,
        user_id=account.seller_id,
        region="NA",  # type: ignore[arg-type]
        marketplace_ids=list(account.marketplace_ids),
        endpoint=base_url,
        token_url=base_url + "/auth/o2/token",
        credentials={  # type: ignore[arg-type]
            "client_id": account.client_id,
            "client_secret": account.client_secret,
            "refresh_token": account.refresh_token,
        },
    )


def seed(args: argparse.Namespace, work_dir: Path) -> str:
    """Sync the small world into DuckDB and Postgres; returns the seller id."""
    config = WorldConfig(
        seed=7,
        sellers=1,
        history_days=args.seed_days,
        orders_per_day=args.seed_orders_per_day,
        now=NOW,
    )
    world = World(config)
    settings = SyncSettings(since=config.start, report_poll_seconds=0.1)
    fast = SimulatorSettings(rate_scale=1000, report_delay_seconds=0.2)
    with RunningSimulator(world, fast) as simulator:
        seller = seller_config(world, simulator.base_url)
        for target in args.targets:
            data_dir = work_dir / target
            shutil.rmtree(data_dir, ignore_errors=True)
            if target == "postgres":
                drop_pg_raw(args.pg_dsn, raw_dataset())
            runs = sync_sellers(
                [seller],
                target,
                data_dir,
                postgres_dsn=args.pg_dsn if target == "postgres" else None,
                settings=settings,
                client_options={"timeout": 10, "backoff_max": 0.5},
            )
            failed = [r.summary() for r in runs if r.status != "ok"]
            if failed:
                raise SystemExit(f"seed sync into {target} failed: {failed}")
    return seller.seller_id


def drop_pg_raw(pg_dsn: str, schema: str) -> None:
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'drop schema if exists "{schema}" cascade')
        cursor.execute(f'drop schema if exists "{schema}_staging" cascade')


def warehouse(target: str, args: argparse.Namespace, work_dir: Path) -> Warehouse:
    if target == "duckdb":
        path = work_dir / "duckdb" / "clario.duckdb"

        def duck_execute(sql: str) -> None:
            with duckdb.connect(str(path)) as connection:
                connection.execute(sql)

        def duck_query(sql: str) -> list[tuple[Any, ...]]:
            with duckdb.connect(str(path)) as connection:
                return connection.execute(sql).fetchall()

        return Warehouse("duckdb", duck_execute, duck_query, {"CLARIO_DUCKDB_PATH": str(path)})

    def pg_execute(sql: str) -> None:
        with psycopg2.connect(args.pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(sql)

    def pg_query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg2.connect(args.pg_dsn) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    parts = urlsplit(args.pg_dsn)
    env = {
        "CLARIO_PG_HOST": parts.hostname or "127.0.0.1",
        "CLARIO_PG_PORT": str(parts.port or 5432),
        "CLARIO_PG_USER": parts.username or "postgres",
        "CLARIO_PG_PASSWORD": parts.password or "",
        "CLARIO_PG_DATABASE": parts.path.lstrip("/") or "postgres",
        "CLARIO_PG_SCHEMA": "clario_bench",
    }
    return Warehouse("postgres", pg_execute, pg_query, env)


def columns(w: Warehouse, schema: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for table, column in w.query(
        "select table_name, column_name from information_schema.columns"
        f" where table_schema = '{schema}' order by table_name, ordinal_position"
    ):
        tables.setdefault(table, []).append(column)
    return tables


def copies_of(w: Warehouse, schema: str, table: str, wanted: int) -> int:
    have = w.query(f'select count(*) from {schema}."{table}"')[0][0]
    return max(1, math.ceil(wanted / max(have, 1)))


def id_expression(column: str, copy: str) -> str:
    if column in ID_COLUMNS:
        return (
            f'case when "{column}" is null then null'
            f" else \"{column}\" || '~' || cast({copy} as varchar) end"
        )
    return f'"{column}"'


def scale(w: Warehouse, schema: str, orders: int, events: int) -> dict[str, int]:
    """Copy the order and event tables in place until they hold `orders` and `events`."""
    tables = columns(w, schema)
    index_definitions = (
        w.query(f"select indexdef from pg_indexes where schemaname = '{schema}'")
        if w.target == "postgres"
        else []
    )
    order_copies = copies_of(w, schema, "orders", orders)
    event_count = sum(
        w.query(f"select count(*) from {schema}.{t}")[0][0] for t in EVENT_ROOTS if t in tables
    )
    event_copies = max(1, math.ceil(events / max(event_count, 1)))
    for table, names in tables.items():
        if ORDER_TABLES.match(table):
            copies = order_copies
        elif EVENT_TABLES.match(table):
            copies = event_copies
        else:
            continue
        select = ", ".join(f'{id_expression(c, "copies.n")} as "{c}"' for c in names)
        w.execute(
            f"create table {schema}._scaling as select {select}"
            f' from {schema}."{table}" cross join generate_series(0, {copies - 1}) as copies(n)'
        )
        w.execute(f'drop table {schema}."{table}"')
        w.execute(f'alter table {schema}._scaling rename to "{table}"')
    if w.target == "postgres":
        # the copies replaced the tables, and with them the indexes the sync created
        for (definition,) in index_definitions:
            w.execute(definition.replace("INDEX ", "INDEX IF NOT EXISTS ", 1))
        w.execute("analyze")  # statistics, as autovacuum keeps them on long-lived tables
    return {
        "orders": w.query(f"select count(*) from {schema}.orders")[0][0],
        "financial_events": sum(
            w.query(f"select count(*) from {schema}.{t}")[0][0] for t in EVENT_ROOTS if t in tables
        ),
        "order_copies": order_copies,
        "event_copies": event_copies,
    }


def new_batch(w: Warehouse, schema: str, scaled: dict[str, int]) -> str:
    """One six-hour sync: 1/240 new orders and events, as many rewritten; a new dlt load."""
    load_id = f"{time.time():.7f}"
    tables = columns(w, schema)
    for family, copies_key in ((ORDER_TABLES, "order_copies"), (EVENT_TABLES, "event_copies")):
        batch = max(1, math.ceil(scaled[copies_key] / BATCHES_IN_HISTORY))
        for table, names in tables.items():
            if not family.match(table):
                continue
            quoted = ", ".join(f'"{c}"' for c in names)

            def select(copy: str | None, names: list[str] = names) -> str:
                """The table's columns with this load's ids; `copy` renames the id columns."""
                return ", ".join(
                    f"'{load_id}' as \"{c}\""
                    if c in LOAD_ID_COLUMNS
                    else (f'{id_expression(c, copy)} as "{c}"' if copy else f'"{c}"')
                    for c in names
                )

            # new rows: copies of copy 0 with fresh ids (suffix ~b<load>_<n>, unique per batch)
            fresh = f"'b{load_id.replace('.', '')}_' || cast(copies.n as varchar)"
            w.execute(
                f'insert into {schema}."{table}" ({quoted}) select {select(fresh)}'
                f' from {schema}."{table}" cross join generate_series(1, {batch}) as copies(n)'
                " where _dlt_id like '%~0'"
            )
            # rewritten rows: the latest sync re-delivers whole copies (status changes); dlt's
            # merge deletes a record's rows (the root by key, nested rows by root id) and
            # appends them again with the new load id
            root_id = "_dlt_id" if "_dlt_load_id" in names else "_dlt_root_id"
            rewritten = " or ".join(f"{root_id} like '%~{n}'" for n in range(1, batch + 1))
            w.execute(
                f"create table {schema}._rewritten as select {select(None)}"
                f' from {schema}."{table}" where {rewritten}'
            )
            w.execute(f'delete from {schema}."{table}" where {rewritten}')
            w.execute(
                f'insert into {schema}."{table}" ({quoted})'
                f" select {quoted} from {schema}._rewritten"
            )
            w.execute(f"drop table {schema}._rewritten")
    w.execute(
        f"insert into {schema}._dlt_loads (load_id, schema_name, status, inserted_at)"
        f" values ('{load_id}', 'spapi', 0, current_timestamp)"
    )
    if w.target == "postgres":
        w.execute("analyze")
    return load_id


@dataclass(frozen=True)
class Timing:
    """One dbt invocation: wall seconds of the process, of dbt's `invoke` in it, peak MiB."""

    process: float
    invoke: float
    peak_mib: int

    def __str__(self) -> str:
        return (
            f"{self.invoke:.1f}s in dbt's invoke, {self.process:.1f}s in all,"
            f" peak {self.peak_mib} MiB"
        )


def timed_dbt(w: Warehouse, seller_id: str, *args: str) -> Timing:
    """Run dbt as the flow does, in-process (bench/invoke_dbt.py), and time it."""
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        str(ROOT / "bench" / "invoke_dbt.py"),
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target",
        w.target,
        "--vars",
        json.dumps({"sellers": [seller_id]}),
    ]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **w.dbt_env}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed on {w.target}:\n{done.stdout[-4000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    invoke = re.search(r"dbt invoke took ([\d.]+) s", done.stderr)
    if args[0] == "build":
        slowest = slowest_nodes(DBT_PROJECT / "target" / "run_results.json", 8)
        print(f"  {w.target} dbt {' '.join(args)}: {slowest}", flush=True)
    return Timing(
        process=elapsed,
        invoke=float(invoke.group(1)) if invoke else math.nan,
        peak_mib=int(peak.group(1)) // 1024 if peak else -1,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--targets", nargs="+", default=["duckdb", "postgres"])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/clario-bench"))
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("CLARIO_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--seed-days", type=int, default=60)
    parser.add_argument("--seed-orders-per-day", type=int, default=20)
    parser.add_argument("--reuse-raw", action="store_true", help="skip seeding and scaling")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    saved = args.work_dir / "scaled.json"

    started = time.perf_counter()
    if args.reuse_raw:
        reused = json.loads(saved.read_text())
        seller_id = reused["seller_id"]
    else:
        seller_id = seed(args, args.work_dir)
        reused = {"seller_id": seller_id}
        print(f"seeded {seller_id} in {time.perf_counter() - started:.0f}s", flush=True)
    schema = raw_dataset()
    results = []
    for target in args.targets:
        w = warehouse(target, args, args.work_dir)
        if target == "postgres":
            w.execute("drop schema if exists clario_bench cascade")
        started = time.perf_counter()
        if args.reuse_raw:
            scaled = reused[target]
        else:
            scaled = scale(w, schema, args.orders, args.events)
            reused[target] = scaled
            saved.write_text(json.dumps(reused))
            took = time.perf_counter() - started
            print(f"{target}: scaled to {scaled} in {took:.0f}s", flush=True)
        # untimed: a parse first, so both builds below parse alike (partial parsing of an
        # unchanged project), as every scheduled build does; otherwise the full build
        # alone pays a whole parse whenever the project, profile or vars changed
        timed_dbt(w, seller_id, "parse")
        full = timed_dbt(w, seller_id, "build", *SYNC_BUILD_OPTIONS, "--full-refresh")
        print(f"{target}: full build {full}", flush=True)
        new_batch(w, schema, scaled)
        incremental = timed_dbt(w, seller_id, "build", *SYNC_BUILD_OPTIONS)
        print(f"{target}: incremental build {incremental}", flush=True)
        results.append((target, scaled, full, incremental))

    print()
    print("dbt's `invoke` (what the flow's build step costs) / the whole process (with Python")
    print("and dbt's imports, as a `dbt` command run by hand)")
    print(
        f"{'target':<9} {'orders':>10} {'events':>10} {'full build':>17} {'peak MiB':>9}"
        f" {'incremental':>15} {'peak MiB':>9} {'ratio':>14}"
    )
    for target, scaled, full, incremental in results:
        print(
            f"{target:<9} {scaled['orders']:>10,} {scaled['financial_events']:>10,}"
            f" {full.invoke:>7.1f}s / {full.process:>6.1f}s {full.peak_mib:>9}"
            f" {incremental.invoke:>5.1f}s / {incremental.process:>5.1f}s"
            f" {incremental.peak_mib:>9}"
            f" {incremental.invoke / full.invoke:>6.1%} / {incremental.process / full.process:.1%}"
        )


if __name__ == "__main__":
    main()
