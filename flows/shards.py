"""Which shard of a run syncs which seller: the run's sellers dealt into `shards` parts.

A work pool with several workers splits one sync into shard runs (flows/pool_flow.py), each
syncing the sellers of its shard. The sellers, sorted by id, are dealt round robin: shard
`k` takes the k-th, (k + shards)-th, ... So the shards differ by one seller at most, and
two workers take about half the time of one even for a few sellers (a split by a hash of
the id left 9 of 16 sellers in one shard: 62 % of the time instead of 50 %).

A deal depends on the whole list, so every shard must deal the same one: the sync-pool run
passes each shard run the run's sellers (its `sellers` parameter), and a shard refuses one
it does not know. A shard run started by hand without `sellers` deals its own sellers
file: give every worker the same file. The warehouse lock (flows/warehouse_lock.py) keeps
shard runs of two different deals from running side by side: their sellers could overlap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

# shard counts beyond this would be a typo: each shard is a flow run, on a worker
MAX_SHARDS = 64


class ShardError(ValueError):
    """A shard or shard count that cannot be run; the message says which and why."""


def deal(seller_ids: Iterable[str], shards: int) -> list[list[str]]:
    """The sellers of each shard (0 .. shards - 1): sorted by id, dealt round robin."""
    ordered = sorted(set(seller_ids))
    return [ordered[shard::shards] for shard in range(shards)]


def shard_sellers(seller_ids: list[str], shard: int | None, shards: int) -> list[str]:
    """The sellers of `seller_ids` a run of `shard` of `shards` syncs, in the given order
    (all of them for a run without a shard)."""
    if shard is None:
        return list(seller_ids)
    mine = set(deal(seller_ids, shards)[shard])
    return [seller_id for seller_id in seller_ids if seller_id in mine]


def split_key(shards: int, sellers: Iterable[str] | None) -> int:
    """A 31-bit key naming one deal: the shard count and the dealt list (None: the sellers
    file). Shard runs with the same key split the same sellers the same way."""
    listed = "\n".join(sorted(set(sellers))) if sellers is not None else "*"
    return zlib.crc32(f"{shards}\n{listed}".encode()) >> 1


def check_shard(shard: int | None, shards: int, destination: str) -> None:
    """Refuse a shard the run cannot sync, before it takes any lock or does any work."""
    if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
        raise ShardError(f"shards={shards!r}: expected a whole number from 1 to {MAX_SHARDS}")
    if shard is None:
        if shards != 1:
            raise ShardError(
                f"shards={shards} without a shard: give the shard this run syncs"
                f" (0 to {shards - 1}), or run the `sync-pool` flow to run them all"
            )
        return
    if isinstance(shard, bool) or not isinstance(shard, int) or not 0 <= shard < shards:
        raise ShardError(f"shard={shard!r}: expected a whole number from 0 to {shards - 1}")
    if shards > 1 and destination != "postgres":
        raise ShardError(
            f"shard {shard} of {shards} on {destination}: shards run side by side in"
            " different processes, and a DuckDB file takes one writer at a time; a work"
            " pool needs PostgreSQL (destination postgres, CLARIO_PG_DSN)"
        )
