"""Which shard of a run syncs which seller: a stable split of the sellers into `shards` parts.

A work pool with several workers splits one sync into shard runs (flows/pool_flow.py), each
syncing the sellers of its shard. The split must be the same in every process and on every
machine, run after run, so that no seller is synced by two shards and none is left out: a
seller belongs to shard `crc32(seller id) % shards` (zlib's CRC-32 is fixed by its
standard, unlike Python's `hash`, which is salted per process).
"""

from __future__ import annotations

import zlib

# shard counts beyond this would be a typo: each shard is a flow run, on a worker
MAX_SHARDS = 64


class ShardError(ValueError):
    """A shard or shard count that cannot be run; the message says which and why."""


def shard_of(seller_id: str, shards: int) -> int:
    """The shard (0 .. shards - 1) that syncs `seller_id`."""
    return zlib.crc32(seller_id.encode()) % shards


def in_shard(seller_id: str, shard: int | None, shards: int) -> bool:
    """Whether a run of `shard` of `shards` syncs the seller (every seller without a shard)."""
    return shard is None or shard_of(seller_id, shards) == shard


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
