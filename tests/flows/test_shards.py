"""The split of sellers into shards: stable everywhere, every seller in exactly one shard,
and shard parameters a run cannot use refused before any work."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from flows.shards import MAX_SHARDS, ShardError, check_shard, in_shard, shard_of
from flows.sync_flow import sync
from simulator.config import WorldConfig
from simulator.world import World
from tests.extract.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
# the simulator's merchant tokens, and made-up ones of every length Amazon uses
SELLERS = [a.seller_id for a in World(WorldConfig(seed=5, sellers=60, now=NOW)).sellers] + [
    f"A{n:0{width}X}" for width in (4, 9, 13) for n in range(0, 400 * width, 7)
]


def test_a_seller_is_in_exactly_one_shard_whatever_the_count() -> None:
    for shards in (1, 2, 3, 5, 8, MAX_SHARDS):
        for seller in SELLERS:
            owners = [s for s in range(shards) if in_shard(seller, s, shards)]
            assert owners == [shard_of(seller, shards)], (seller, shards)
        # no shard is starved: each holds a fair part of over a thousand sellers
        sizes = [sum(shard_of(seller, shards) == s for seller in SELLERS) for s in range(shards)]
        assert min(sizes) > len(SELLERS) / shards / 2, (shards, sizes)
    # a run without a shard syncs everyone
    assert all(in_shard(seller, None, 1) for seller in SELLERS)


def test_the_split_is_crc32_and_the_same_in_every_process() -> None:
    """Python's own hash() differs per process; a worker on another machine must agree."""
    # CRC-32's standard check value: crc32("123456789") = 0xCBF43926
    assert zlib.crc32(b"123456789") == 0xCBF43926
    assert [shard_of("123456789", n) for n in (2, 3, 7)] == [0xCBF43926 % n for n in (2, 3, 7)]
    script = (
        "import sys; from flows.shards import shard_of\n"
        "print(' '.join(str(shard_of(s, 7)) for s in sys.argv[1:]))\n"
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", script, *SELLERS[:200]],
        env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert elsewhere.stdout.split() == [str(shard_of(s, 7)) for s in SELLERS[:200]]


@pytest.mark.parametrize(
    ("shard", "shards", "destination", "says"),
    [
        (None, 0, "postgres", "shards=0: expected a whole number from 1"),
        (0, MAX_SHARDS + 1, "postgres", f"from 1 to {MAX_SHARDS}"),
        (None, 2, "postgres", "without a shard"),
        (2, 2, "postgres", "shard=2: expected a whole number from 0 to 1"),
        (-1, 2, "postgres", "shard=-1"),
        (True, 2, "postgres", "shard=True"),
        (1, 2, "duckdb", "a work pool needs PostgreSQL"),
    ],
)
def test_a_shard_the_run_cannot_use_is_refused_saying_why(
    shard: int | None, shards: int, destination: str, says: str
) -> None:
    with pytest.raises(ShardError, match=says.replace("(", r"\(")):
        check_shard(shard, shards, destination)


def test_whole_runs_and_single_shards_pass() -> None:
    check_shard(None, 1, "duckdb")
    check_shard(0, 1, "duckdb")  # one shard of one: the whole run, one process
    check_shard(1, 2, "postgres")


def test_the_flow_refuses_shards_on_duckdb_before_any_work(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(ShardError, match="a work pool needs PostgreSQL"):
        sync(destination="duckdb", data_dir=data, shard=0, shards=2)
    assert not data.exists(), "no lock file, no warehouse"
