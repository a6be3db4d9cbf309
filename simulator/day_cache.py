"""A cache of generated days bounded by how many records it holds, not by how many days.

Generating a day is the simulator's main cost (about 30 µs an order), and every query looks
back: a 30-day returns report reads 75 days of orders, a 30-day page of financial events 90.
A cache of a few days made every report and page regenerate its whole look-back, and a full
sync regenerate each day a dozen times. Bounding by records instead keeps a whole
bench-sized world (100,000 orders) once generated, while a world of millions of orders still
holds only `max_records` of them (about 1.5 kB each with their events; the simulator peaks
near 550 MiB serving a million-order world, bench/simulator_world.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

V = TypeVar("V", bound=Sequence[object])


class DayCache(Generic[V]):
    """Least-recently-used values of `generate`, evicted once they hold over `max_records`.

    Thread-safe: two threads asking for the same missing key may both generate it (the
    result is deterministic, so either copy is right); the lock only guards the bookkeeping.
    """

    def __init__(self, generate: Callable[..., V], max_records: int) -> None:
        self._generate = generate
        self._max = max_records
        self._values: OrderedDict[tuple[Hashable, ...], V] = OrderedDict()
        self._records = 0
        self._lock = threading.Lock()

    def __call__(self, *key: Hashable) -> V:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = self._generate(*key)
        with self._lock:
            if key not in self._values:
                self._values[key] = value
                self._records += len(value)
                # Keep at least the newest value, however large.
                while self._records > self._max and len(self._values) > 1:
                    _, evicted = self._values.popitem(last=False)
                    self._records -= len(evicted)
        return value

    @property
    def max_records(self) -> int:
        return self._max

    @property
    def records(self) -> int:
        """Records held now (never above the bound, unless one value alone exceeds it)."""
        return self._records

    def __contains__(self, key: tuple[Hashable, ...]) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)
