"""The dbt project end to end: simulator world -> sync -> dbt build -> marts == ground truth.

Real simulator, real DuckDB file. One DuckDB scenario carries the incremental checks
(sync, build, clock +6 h, sync, incremental build, full refresh) and a seller listed
before its first sync; its incremental build meets marts under the column names of a
release before the renames (CHANGELOG.md), as an upgraded warehouse's are. The same
models on PostgreSQL, from a fresh schema, against the same truth:
tests/flows/test_sync_flow.py (the whole flow, dbt build included, twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
import yaml

from extract.layout import raw_dataset
from simulator.claims import seller_claims
from simulator.config import FaultConfig, SimulatorSettings
from simulator.server import RunningSimulator
from simulator.truth import seller_truth
from simulator.world import World
from tests.extract.conftest import FAST, NOW, WORLD, sync
from tests.transform.conftest import (
    COLUMNS_BEFORE_THE_RENAMES,
    DBT_PROJECT,
    MARTS,
    back_to_the_old_column_names,
    column_names,
    duckdb_query,
    duckdb_runner,
    snapshot,
)
from tests.transform.marts_check import (
    claim_rows,
    mart_figures,
    truth_claim_rows,
    truth_figures,
)

NOT_SYNCED_YET = "A0NOTSYNCEDYET"
pytestmark = pytest.mark.slow


def _seller_ids(world: World) -> list[str]:
    return [account.seller_id for account in world.sellers]


def _synced_ok(world: World, base_url: str, data_dir: Path, **options: Any) -> None:
    runs = sync(world, base_url, data_dir, **options)
    assert {r.status for r in runs} == {"ok"}, [r.summary() for r in runs]


@dataclass
class Stage:
    """The marts' figures next to the truth's, per seller, at one moment."""

    marts: dict[str, dict[str, Any]]
    truth: dict[str, dict[str, Any]]


@dataclass
class DuckDbScenario:
    first: Stage
    after_clock: Stage
    incremental: dict[str, list[tuple[str, ...]]]
    full_refresh: dict[str, list[tuple[str, ...]]]
    not_synced_rows: dict[str, int]
    incremental_log: str
    columns_after_the_renames: dict[str, set[str]]
    incremental_test_sql: str
    full_refresh_test_sql: str
    claims_later: Stage
    first_log: str


# Days after the simulator's day when the scenario's claims are built once more: in WORLD,
# by then some windows have closed and others are closing (the truth's statuses that day:
# open, too_early, closing_soon, expired, reimbursed).
CLAIMS_LATER_DAYS = 40


def claims_as_of(world: World) -> dict[str, str]:
    """The dbt var that pins the claims' statuses to the simulator's day (the truth's)."""
    return {"claims_as_of": world.horizon.date().isoformat()}


def _claims_on(world: World, query: Any, day: date) -> Stage:
    """Every claim row with its status on `day`, in the mart and in the truth: the same
    claims (the data are as of the simulator's clock), their windows seen from `day`."""
    truth_rows: dict[str, dict[str, Any]] = {}
    for account in world.sellers:
        truth = seller_truth(world, account)
        candidates = truth["claims"]["candidates"]
        for candidate, claim in zip(
            candidates, seller_claims(world, account, world.horizon), strict=True
        ):
            assert candidate["reference"] == claim.reference
            candidate["status"] = claim.status(day)
            candidate["claimable"] = claim.claimable(day)
        truth_rows[account.seller_id] = {"claim_rows": truth_claim_rows(truth)}
    return Stage(
        marts={
            a.seller_id: {"claim_rows": claim_rows(query, "main", a.seller_id, "?")}
            for a in world.sellers
        },
        truth=truth_rows,
    )


def _stage(world: World, query: Any, schema: str, placeholder: str) -> Stage:
    """The figures, and every claim row (status on the day `claims_as_of` pinned)."""
    return Stage(
        marts={
            a.seller_id: {
                **mart_figures(query, schema, a.seller_id, placeholder),
                "claim_rows": claim_rows(query, schema, a.seller_id, placeholder),
            }
            for a in world.sellers
        },
        truth={
            a.seller_id: {
                **truth_figures(truth := seller_truth(world, a)),
                "claim_rows": truth_claim_rows(truth),
            }
            for a in world.sellers
        },
    )


@pytest.fixture(scope="module")
def duckdb_scenario(tmp_path_factory: pytest.TempPathFactory) -> DuckDbScenario:
    data_dir = tmp_path_factory.mktemp("dbt_duckdb")
    world = World(WORLD)
    dbt = duckdb_runner(data_dir)
    query = duckdb_query(data_dir / "clario.duckdb")
    sellers = [*_seller_ids(world), NOT_SYNCED_YET]
    with RunningSimulator(world, FAST) as simulator:
        _synced_ok(world, simulator.base_url, data_dir)
        # the unit tests too: DuckDB's one run of them (Postgres': test_sync_flow.py)
        log_first = dbt("build", sellers=sellers, dbt_vars=claims_as_of(world), unit_tests=True)
        first = _stage(world, query, "main", "?")
        not_synced = {
            mart: query(f"select count(*) from main.{mart} where seller_id = ?", [NOT_SYNCED_YET])[
                0
            ][0]
            for mart in MARTS
        }
        later = NOW + timedelta(hours=6)
        requests.post(
            simulator.base_url + "/_simulator/clock", json={"now": later.isoformat()}, timeout=5
        )
        _synced_ok(world, simulator.base_url, data_dir)
    with duckdb.connect(str(data_dir / "clario.duckdb")) as connection:
        for statement in back_to_the_old_column_names("main"):
            connection.execute(statement)
    log = dbt("build", sellers=sellers, dbt_vars=claims_as_of(world))
    renamed = {mart: column_names(query, "main", mart) for mart in COLUMNS_BEFORE_THE_RENAMES}
    after_clock = _stage(world, query, "main", "?")
    incremental = snapshot(query, "main")
    incremental_test_sql = _orders_grain_test_sql(data_dir)
    dbt("build", "--full-refresh", sellers=sellers, dbt_vars=claims_as_of(world))
    full_refresh = snapshot(query, "main")
    full_refresh_test_sql = _orders_grain_test_sql(data_dir)
    claims_day = world.horizon.date() + timedelta(days=CLAIMS_LATER_DAYS)
    dbt("build", "--select", "claims", sellers=sellers, dbt_vars={"claims_as_of": str(claims_day)})
    return DuckDbScenario(
        first,
        after_clock,
        incremental,
        full_refresh,
        not_synced,
        log,
        renamed,
        incremental_test_sql,
        full_refresh_test_sql,
        _claims_on(world, query, claims_day),
        log_first,
    )


def _orders_grain_test_sql(data_dir: Path) -> str:
    """The SQL dbt ran for the orders mart's grain test in the last build."""
    compiled = data_dir / "dbt" / "target" / "compiled" / "clario" / "models" / "marts"
    (path,) = compiled.glob(
        "**/clario_unique_combination_of_columns_orders_seller_id__order_id.sql"
    )
    return path.read_text()


def _unit_tests_defined() -> int:
    """The unit tests the project's yml files define."""
    return sum(
        len(yaml.safe_load(path.read_text()).get("unit_tests") or [])
        for path in (DBT_PROJECT / "models").rglob("*.yml")
    )


def test_the_first_build_runs_every_unit_test_and_the_later_ones_none(
    duckdb_scenario: DuckDbScenario,
) -> None:
    defined = _unit_tests_defined()
    assert defined >= 10
    assert duckdb_scenario.first_log.count("START unit_test") == defined
    assert "START unit_test" not in duckdb_scenario.incremental_log


def test_duckdb_marts_equal_the_ground_truth(duckdb_scenario: DuckDbScenario) -> None:
    stage = duckdb_scenario.first
    for seller_id, truth in stage.truth.items():
        assert stage.marts[seller_id] == truth, seller_id


def test_a_seller_without_raw_tables_yet_builds_and_has_no_rows(
    duckdb_scenario: DuckDbScenario,
) -> None:
    assert duckdb_scenario.not_synced_rows == dict.fromkeys(MARTS, 0)


def test_an_incremental_build_after_a_new_batch_equals_the_truth_at_the_new_clock(
    duckdb_scenario: DuckDbScenario,
) -> None:
    stage = duckdb_scenario.after_clock
    assert stage.truth != duckdb_scenario.first.truth, "six hours brought new data"
    for seller_id, truth in stage.truth.items():
        assert stage.marts[seller_id] == truth, seller_id
    assert "incremental model main.orders" in duckdb_scenario.incremental_log


def test_an_incremental_build_equals_a_full_refresh(duckdb_scenario: DuckDbScenario) -> None:
    for mart in MARTS:
        assert duckdb_scenario.incremental[mart] == duckdb_scenario.full_refresh[mart], mart


def test_claims_built_for_a_later_day_move_through_their_windows_as_the_truth_says(
    duckdb_scenario: DuckDbScenario,
) -> None:
    stage = duckdb_scenario.claims_later
    statuses = {row[-2] for rows in stage.truth.values() for row in rows["claim_rows"]}
    assert {"open", "too_early", "closing_soon", "expired", "reimbursed"} <= statuses
    for seller_id, truth in stage.truth.items():
        assert stage.marts[seller_id] == truth, seller_id


def test_an_incremental_build_renames_the_columns_of_marts_built_before_the_renames(
    duckdb_scenario: DuckDbScenario,
) -> None:
    """The build after an upgrade renames the old columns in place (no full refresh): the
    marts stay incremental, and still equal the truth and a full refresh (tests above)."""
    log = duckdb_scenario.incremental_log
    for mart, columns in COLUMNS_BEFORE_THE_RENAMES.items():
        found = duckdb_scenario.columns_after_the_renames[mart]
        assert set(columns) <= found and not set(columns.values()) & found, mart
        assert f"incremental model main.{mart}" in log, mart
        for new, old in columns.items():
            assert f"main.{mart}: renamed column {old} to {new}" in log


NEW_LOAD = "9999999999.0000001"  # after every real load id


def _bad_return_fixed_and_another_broken_in_a_new_load(path: Path, raw: str, mine: str) -> None:
    """What a later sync does when Amazon sends records again: dlt replaces them, stamped
    with the new load. Here the bad quantity comes back as 7, and another row goes bad."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"update {raw}.customer_returns set quantity = '7', _dlt_load_id = '{NEW_LOAD}'"
            " where quantity = 'two'"
        )
        connection.execute(
            f"update {raw}.customer_returns set quantity = 'three', _dlt_load_id = '{NEW_LOAD}'"
            " where license_plate_number ="
            f" (select max(license_plate_number) from {raw}.customer_returns where {mine})"
        )
        connection.execute(
            f"insert into {raw}._dlt_loads (load_id, schema_name, status, inserted_at)"
            f" values ('{NEW_LOAD}', 'spapi', 0, current_timestamp)"
        )


def test_an_incremental_build_tests_the_rows_it_wrote_a_full_refresh_every_row(
    duckdb_scenario: DuckDbScenario,
) -> None:
    assert "transformed_at = cast(" in duckdb_scenario.incremental_test_sql
    assert "transformed_at" not in duckdb_scenario.full_refresh_test_sql
    assert "where 1 = 1)" in duckdb_scenario.full_refresh_test_sql


def test_malformed_rows_never_break_the_build_and_are_counted(tmp_path: Path) -> None:
    world = World(WORLD)
    settings = SimulatorSettings(
        rate_scale=1000, report_delay_seconds=0.2, faults=FaultConfig(malformed_row_rate=0.1)
    )
    with RunningSimulator(world, settings) as simulator:
        runs = sync(world, simulator.base_url, tmp_path)
    # rows rejected: loaded but not ok
    assert {r.status for r in runs} <= {"ok", "partial"}, [r.summary() for r in runs]
    account = world.sellers[0]
    raw = raw_dataset()
    mine = f"seller_id = '{account.seller_id}'"
    path = tmp_path / "clario.duckdb"
    with duckdb.connect(str(path)) as connection:
        # a value that parses in the extractor's eyes but not as a number in SQL
        connection.execute(
            f"update {raw}.customer_returns set quantity = 'two'"
            f" where {mine} and license_plate_number ="
            f" (select min(license_plate_number) from {raw}.customer_returns where {mine})"
        )
    duckdb_runner(tmp_path)("build", sellers=_seller_ids(world))
    query = duckdb_query(path)
    rejected = dict(
        query(
            "select seller_id || '/' || resource, row_count from main.rejected_rows_summary"
            " where rejection_kind = 'unparseable_row'",
            [],
        )
    )
    expected: dict[str, int] = {}
    for other in world.sellers:
        for resource, count in query(
            f"select resource, count(*) from {raw}.rejected_rows where seller_id = ? group by 1",
            [other.seller_id],
        ):
            expected[f"{other.seller_id}/{resource}"] = count
    assert expected and rejected == expected
    failed = query(
        "select seller_id, resource, row_count from main.rejected_rows_summary"
        " where rejection_kind = 'failed_cast'",
        [],
    )
    assert failed == [(account.seller_id, "customer_returns", 1)]
    good_units = query(
        f"select sum(cast(quantity as integer)) from {raw}.customer_returns"
        f" where quantity <> 'two' and {mine}",
        [],
    )[0][0]
    mart_units = query(
        "select sum(units_returned) from main.returns where seller_id = ?", [account.seller_id]
    )[0][0]
    assert mart_units == good_units
    outbound = query(
        f"select count(distinct shipment_id) from {raw}.fba_shipments where {mine}", []
    )[0][0]
    assert (
        query(
            "select count(*) from main.shipments where seller_id = ? and direction = 'outbound'",
            [account.seller_id],
        )[0][0]
        == outbound
    )
    _bad_return_fixed_and_another_broken_in_a_new_load(path, raw, mine)
    duckdb_runner(tmp_path)("build", sellers=_seller_ids(world))
    failed = query(
        "select seller_id, resource, row_count from main.rejected_rows_summary"
        " where rejection_kind = 'failed_cast'",
        [],
    )
    assert failed == [(account.seller_id, "customer_returns", 1)]
    newly_bad = query(
        f"select max(license_plate_number) from {raw}.customer_returns where {mine}", []
    )[0][0]
    failing = query(
        "select record_key from main.int_failed_casts_by_record where failed_rows > 0", []
    )
    assert [key.rsplit("|", 1)[1] for (key,) in failing] == [newly_bad], (
        "the fixed row is no longer counted, the newly bad one is"
    )
    assert query(
        "select sum(units_returned) from main.returns where seller_id = ?", [account.seller_id]
    ) == query(
        f"select sum(cast(quantity as integer)) from {raw}.customer_returns"
        f" where quantity <> 'three' and {mine}",
        [],
    ), "the fixed row's units are in the returns, the newly bad row's are not"
    assert query(
        "select count(*) from main.int_failed_casts_by_record as checked"
        " where failed_rows = 0 and _dlt_load_id < ("
        "   select max(newest._dlt_load_id) from main.int_failed_casts_by_record as newest"
        "   where newest.seller_id = checked.seller_id)",
        [],
    ) == [(0,)], "clean records are kept for each seller's newest load only"


def test_a_seller_listed_later_is_read_whole_and_views_change_only_with_their_sql(
    tmp_path: Path,
) -> None:
    """A seller added to the vars after the marts hold another's rows is read from its first
    load (the load filter's constant bound must not apply to it). On DuckDB a view whose
    compiled SQL is unchanged is left as it is (macros/materializations/view_duckdb.sql);
    the new seller changes the base unions' SQL, and the views are recreated."""
    world = World(WORLD)
    with RunningSimulator(world, FAST) as simulator:
        _synced_ok(world, simulator.base_url, tmp_path)
    first, second = world.sellers
    dbt = duckdb_runner(tmp_path)
    query = duckdb_query(tmp_path / "clario.duckdb")

    def view_comment() -> str:
        found = query(
            "select comment from duckdb_views() where view_name = 'stg_spapi__orders'", []
        )
        return str(found[0][0])

    dbt("build", sellers=[first.seller_id])
    created = view_comment()
    assert created.startswith("clario view ")
    again = dbt("build", "--select", "stg_spapi__orders", sellers=[first.seller_id])
    assert "UNCHANGED" in again and view_comment() == created
    both = [first.seller_id, second.seller_id]
    log = dbt("build", sellers=both)
    assert "incremental model main.orders" in log
    assert view_comment() != created, "the new seller changed the view's SQL"
    for account in world.sellers:
        marts = mart_figures(query, "main", account.seller_id, "?")
        assert marts == truth_figures(seller_truth(world, account)), account.seller_id
    recreated = view_comment()
    dbt("build", "--select", "stg_spapi__orders", "--full-refresh", sellers=both)
    assert view_comment() == recreated, "a full refresh recreates the view, with the same SQL"
