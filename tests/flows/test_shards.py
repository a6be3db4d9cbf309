"""The split of sellers into shards: every seller in exactly one shard, shards within one
seller of each other, the same deal wherever the list is dealt, and shard parameters a run
cannot use refused before any work."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from flows.shards import MAX_SHARDS, ShardError, check_shard, deal, shard_sellers, split_key
from flows.sync_flow import sync
from simulator.config import WorldConfig
from simulator.world import World
from tests.extract.conftest import NOW

# the simulator's merchant tokens, and made-up ones of every length Amazon uses
SELLERS = [a.seller_id for a in World(WorldConfig(seed=5, sellers=60, now=NOW)).sellers] + [
    f"A{n:0{width}X}" for width in (4, 9, 13) for n in range(0, 400 * width, 7)
]


@pytest.mark.parametrize("count", [16, 9, 3, len(SELLERS)])
def test_a_seller_is_in_exactly_one_shard_and_shards_differ_by_one_at_most(count: int) -> None:
    sellers = SELLERS[:count]
    for shards in (1, 2, 3, 5, 8, MAX_SHARDS):
        parts = [shard_sellers(sellers, shard, shards) for shard in range(shards)]
        assert sorted(s for part in parts for s in part) == sorted(sellers), shards
        sizes = [len(part) for part in parts]
        assert max(sizes) - min(sizes) <= 1, (shards, sizes)
    # a run without a shard syncs everyone, in the order given
    assert shard_sellers(sellers, None, 1) == sellers


def test_every_process_deals_the_same_list_the_same_way_whatever_its_order() -> None:
    """The pool run and each shard run (on other machines, with sellers files in another
    order) deal the list the pool passed: each must find the same shard for every seller."""
    shuffled = random.Random(7).sample(SELLERS, len(SELLERS))
    assert deal(shuffled, 3) == deal(SELLERS, 3) == deal(SELLERS + SELLERS[:5], 3)
    for shard in range(3):
        assert set(shard_sellers(shuffled, shard, 3)) == set(deal(SELLERS, 3)[shard])
    # the lock's name for a deal: the same for the same list, another for another split
    assert split_key(3, shuffled) == split_key(3, SELLERS)
    others = {split_key(2, SELLERS), split_key(3, SELLERS[1:]), split_key(3, None)}
    assert split_key(3, SELLERS) not in others and len(others) == 3
    assert all(0 <= key < 2**31 for key in others)  # a PostgreSQL int4 advisory key


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
