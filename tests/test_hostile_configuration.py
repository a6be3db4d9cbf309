"""Configured values that reach SQL or file names are checked before anything runs.

Seller, user and marketplace ids are covered where they are parsed and used
(tests/extract/test_spapi_plumbing.py: refused ids, two spellings of one seller;
tests/transform/test_many_sellers_{duckdb,postgres}.py: user ids full of quotes arrive in
the marts as text). Here: the schema names from the environment, the sellers var and the
other dbt vars written into SQL, for the CLI and for dbt run by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extract.destinations import DestinationSettingError, load_memory_limit
from extract.layout import LayoutError, pipeline_name, raw_dataset
from tests.transform.conftest import DbtRunner

CLARIO = str(Path(sys.executable).with_name("clario"))
HOSTILE = 'raw"; drop schema main cascade; --'
SELLERS = """
[[sellers]]
seller_id = "A1EXAMPLESELLER"
region = "NA"
marketplace_ids = ["ATVPDKIKX0DER"]
endpoint = "http://127.0.0.1:9"
token_url = "http://127.0.0.1:9/auth/o2/token"
[sellers.credentials]
client_id = "id"
client_secret = "secret"
refresh_token = "Atzr|token"
"""


def test_the_load_memory_limit_is_a_size_or_refused() -> None:
    assert load_memory_limit({}) == "128MB"
    assert load_memory_limit({"CLARIO_DUCKDB_LOAD_MEMORY_LIMIT": "1.5GiB"}) == "1.5GiB"
    for hostile in ("1GB'; drop schema main cascade; --", "1GB; SET x=1", "lots"):
        with pytest.raises(DestinationSettingError, match="CLARIO_DUCKDB_LOAD_MEMORY_LIMIT"):
            load_memory_limit({"CLARIO_DUCKDB_LOAD_MEMORY_LIMIT": hostile})


def test_the_extractor_refuses_schema_names_and_seller_ids_it_cannot_use_safely() -> None:
    with pytest.raises(LayoutError, match="CLARIO_RAW_SCHEMA"):
        raw_dataset({"CLARIO_RAW_SCHEMA": HOSTILE})
    with pytest.raises(LayoutError, match="not an Amazon merchant token"):
        pipeline_name("../../etc")
    assert raw_dataset({}) == "raw_spapi"


@pytest.mark.parametrize(
    "variable", ["CLARIO_RAW_SCHEMA", "CLARIO_AUDIT_SCHEMA", "CLARIO_DUCKDB_LOAD_MEMORY_LIMIT"]
)
def test_clario_refuses_a_hostile_setting_before_any_work(tmp_path: Path, variable: str) -> None:
    sellers = tmp_path / "sellers.toml"
    sellers.write_text(SELLERS)
    done = subprocess.run(
        [CLARIO, "sync", "--sellers-file", str(sellers), "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, variable: HOSTILE},
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert variable in done.stderr
    assert not (tmp_path / "data").exists(), "nothing was written"


INJECTED = "2026-01-01' as date) union all select 1 --"


@pytest.mark.parametrize(
    ("env", "sellers", "dbt_vars", "message"),
    [
        ({"CLARIO_RAW_SCHEMA": HOSTILE}, [], {}, "is not a usable schema name"),
        ({"CLARIO_AUDIT_SCHEMA": HOSTILE}, [], {}, "is not a usable schema name"),
        ({}, ["A1' or '1'='1"], {}, "is not a seller id"),
        # the other vars written into SQL (macros/checked_vars.sql)
        ({}, [], {"claims_as_of": INJECTED}, "var claims_as_of: "),
        ({}, [], {"sync_fresh_hours": "1) or (1=1"}, "var sync_fresh_hours: "),
        ({}, [], {"claim_closing_soon_days": "7; drop table x"}, "is not a whole number"),
        (
            {},
            [],
            {"claim_windows": {"x' then 1 else 2 end, 'y": {"opens_after_days": 0}}},
            "var claim_windows: ",
        ),
        (
            {},
            [],
            {"claim_windows": {"inbound_shortfall": {"opens_after_days": "1 day' --"}}},
            "var claim_windows",
        ),
    ],
)
def test_dbt_stops_on_a_hostile_schema_name_seller_id_or_var(
    tmp_path: Path,
    env: dict[str, str],
    sellers: list[str],
    dbt_vars: dict[str, object],
    message: str,
) -> None:
    dbt = DbtRunner(
        "duckdb", tmp_path / "dbt", {"CLARIO_DUCKDB_PATH": str(tmp_path / "c.duckdb"), **env}
    )
    out = dbt("test", sellers=sellers, check=False, dbt_vars=dbt_vars)
    assert message in out, out[-2000:]


WINDOWS = {
    "inbound_shortfall": {"opens_after_days": 15, "closes_after_days": 60},
    "warehouse_lost": {"opens_after_days": 0, "closes_after_days": 60},
    "warehouse_damaged": {"opens_after_days": 0, "closes_after_days": 60},
    "refund_without_return": {"opens_after_days": 60, "closes_after_days": 120},
}


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"claims_as_of": "2026-11-27' as date) or (select 1"}, "var claims_as_of"),
        ({"claims_as_of": "27/11/2026"}, "var claims_as_of"),
        ({"claim_closing_soon_days": "a week"}, "var claim_closing_soon_days"),
        ({"claim_closing_soon_days": -1}, "var claim_closing_soon_days"),
        ({"claim_value_lookback_days": 0}, "var claim_value_lookback_days"),
        (
            {"claim_windows": {**WINDOWS, "x' then 1 end --": WINDOWS["warehouse_lost"]}},
            "var claim_windows",
        ),
        (
            {"claim_windows": {k: v for k, v in WINDOWS.items() if k != "warehouse_lost"}},
            "var claim_windows",
        ),
        (
            {"claim_windows": {**WINDOWS, "warehouse_lost": {"opens_after_days": "0 day'"}}},
            "var claim_windows.warehouse_lost",
        ),
        (
            {
                "claim_windows": {
                    **WINDOWS,
                    "inbound_shortfall": {"opens_after_days": 60, "closes_after_days": 15},
                }
            },
            "var claim_windows.inbound_shortfall.closes_after_days",
        ),
    ],
)
def test_dbt_stops_on_a_claims_setting_it_cannot_use(
    tmp_path: Path, dbt_vars: dict[str, object], message: str
) -> None:
    """The claims' vars reach the claims mart's SQL: each is checked, never coerced."""
    dbt = DbtRunner("duckdb", tmp_path / "dbt", {"CLARIO_DUCKDB_PATH": str(tmp_path / "c.duckdb")})
    out = dbt("test", sellers=[], check=False, dbt_vars=dbt_vars)
    assert message in out, out[-2000:]
    assert "Completed successfully" not in out


def test_dbt_accepts_the_vars_as_documented(tmp_path: Path) -> None:
    """The checks above refuse only what they should: dates, whole numbers (also as digit
    strings, as `--vars` on a command line may give them) and claim types pass."""
    dbt = DbtRunner("duckdb", tmp_path / "dbt", {"CLARIO_DUCKDB_PATH": str(tmp_path / "c.duckdb")})
    good = {"claims_as_of": "2026-11-28", "sync_fresh_hours": "24", "claim_windows": WINDOWS}
    out = dbt("compile", "--select", "claims", "sync_status", sellers=[], dbt_vars=good)
    assert (
        "cast('2026-11-28' as date)"
        in (
            tmp_path / "dbt" / "target" / "compiled" / "clario" / "models" / "marts" / "claims.sql"
        ).read_text()
    ), out[-2000:]
