"""Token buckets per (seller, model, operation), as SP-API's usage plans work.

A bucket starts full at `burst` tokens and refills at `rate` tokens per second; a request
takes one token or is throttled. `rate_scale` multiplies both so tests and benchmarks can
run a realistic plan faster (or slower) than real time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

RateKey = tuple[str | None, str, str]  # (seller_id, model, operation_id)


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = now


class RateLimiter:
    """Thread-safe token buckets; one per key, created full on first use."""

    def __init__(self, scale: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if scale <= 0:
            raise ValueError("rate scale must be positive")
        self.scale = scale
        self._clock = clock
        self._buckets: dict[RateKey, _Bucket] = {}
        self._lock = threading.Lock()

    def scaled_rate(self, rate: float) -> float:
        """Tokens per second after scaling."""
        return rate * self.scale

    def scaled_burst(self, burst: int) -> int:
        """Bucket capacity after scaling: rounded up, never below one request."""
        # round() first so float noise (15 * 0.2 = 3.0000000000000004) does not add a token.
        return max(1, math.ceil(round(burst * self.scale, 9)))

    def try_acquire(self, key: RateKey, rate: float, burst: int) -> bool:
        """Take one token from `key`'s bucket; False when it is empty (answer 429)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(self.scaled_burst(burst), self.scaled_rate(rate), now)
                self._buckets[key] = bucket
            elapsed = max(0.0, now - bucket.stamp)
            bucket.tokens = min(bucket.capacity, bucket.tokens + elapsed * bucket.rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True
            return False

    def reset(self) -> None:
        """Forget every bucket (they start full again)."""
        with self._lock:
            self._buckets.clear()

    def header_value(self, rate: float) -> str:
        """`x-amzn-RateLimit-Limit`: the scaled rate as a plain decimal ("0.0167", "2")."""
        return format_rate(self.scaled_rate(rate))


def format_rate(rate: float) -> str:
    """A rate as a plain decimal string without exponent or trailing zeros."""
    text = f"{rate:.10f}".rstrip("0").rstrip(".")
    return text or "0"
