"""How raw rows land in DuckDB through the project's destination (extract.pipeline).

- Finances money is DECIMAL even when Amazon writes a whole amount without a fraction.
- A key that first shows up deep into a load job still loads: DuckDB's JSON reader infers
  columns from a sample and failed on such a key at 100,000 orders, hence Parquet files.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import duckdb

from extract.amazon.helpers import currency_amounts_as_decimal
from extract.pipeline import make_destination

# As the client parses them (JSON numbers with a fraction become Decimal): the first
# event's whole amount arrives as an int.
EVENTS = json.loads(
    """[
    {"EventId": "1",
     "ChargeComponent": {"ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": 5}}},
    {"EventId": "2",
     "ChargeComponent": {"ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": 4.99}}}
    ]""",
    parse_float=Decimal,
)


def _load(tmp_path: Path, events: list[dict[str, Any]]) -> dict[str, str]:
    """Load the events into a fresh DuckDB file; the raw table's column types by name."""
    pipeline = dlt.pipeline(
        pipeline_name="raw_loading",
        destination=make_destination("duckdb", tmp_path),
        dataset_name="raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run(events, table_name="events")
    with duckdb.connect(str(tmp_path / "clario.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'events'"
        ).fetchall()
    return dict(rows)


def test_whole_currency_amounts_become_decimals(tmp_path: Path) -> None:
    events = [currency_amounts_as_decimal(event) for event in EVENTS]
    assert events[0]["ChargeComponent"]["ChargeAmount"]["CurrencyAmount"] == Decimal(5)
    types = _load(tmp_path, events)
    amount = "charge_component__charge_amount__currency_amount"
    assert types[amount].startswith("DECIMAL"), types
    assert not [name for name in types if "__v_" in name], "no variant column"


def test_without_it_the_column_would_be_bigint(tmp_path: Path) -> None:
    """The control: what the conversion prevents."""
    types = _load(tmp_path, EVENTS)
    assert types["charge_component__charge_amount__currency_amount"] == "BIGINT"
    assert any("__v_" in name for name in types)


def test_a_key_first_seen_late_in_a_load_job_still_loads(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"EventId": str(n)} for n in range(30_000)]
    rows[-1]["LateKey"] = "only here"
    types = _load(tmp_path, rows)
    assert "late_key" in types
    with duckdb.connect(str(tmp_path / "clario.duckdb"), read_only=True) as connection:
        loaded = connection.execute("select count(*), count(late_key) from raw.events").fetchall()
    assert loaded == [(30_000, 1)]
