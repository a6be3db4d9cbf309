"""Client-side pacing: one token bucket per (seller, operation), as SP-API's usage plans.

SP-API meters each operation with a token bucket per seller and application: it starts
full at `burst` and refills at `rate` requests per second; a request finding it empty gets
429 QuotaExceeded. Keeping our own bucket a little behind Amazon's means we never ask for a
token Amazon does not have:

- capacity `burst - 1`: one token of slack absorbs network jitter (a request sent after
  another but arriving first) and Amazon's bucket starting a moment after ours;
- rate times `RATE_SAFETY` (0.95), for clock differences between us and Amazon's fleet;
- the rate is corrected from every response's `x-amzn-RateLimit-Limit` (Amazon may grant a
  seller other limits than the documented defaults); the burst is not sent, so it stays;
- after a 429 (Amazon's bucket was emptier than ours, e.g. another process used it) our
  bucket is emptied too, so the next request waits for a real refill.

Why not a library: pyrate-limiter (the usual choice) models limits as "N requests per
sliding window". "burst 15 per 7.5 s" stays within Amazon's bucket but sends in bursts
instead of pacing at the refill rate, and a rate cannot be changed in place (a new limiter
forgets the requests already made), which the rate-header correction needs. `limits` has
the same window model and `aiolimiter` is asyncio-only. The bucket below is a few lines
and matches Amazon's model exactly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from extract.spapi.config import LOGGER_NAME

log = logging.getLogger(LOGGER_NAME)

# Documented default usage plans (requests per second, burst), from the operation
# descriptions of Amazon's models (../shared/reference/spapi.md). Keys are operation ids;
# `getOrder` covers Orders 2026-01-01 and v0 (same plan; one shared bucket only errs slow).
RATE_LIMITS: dict[str, tuple[float, int]] = {
    # Orders 2026-01-01
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    # Orders v0 (deprecated, still served)
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    # Reports 2021-06-30
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReports": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    # Finances v0
    "listFinancialEventGroups": (0.5, 30),
    "listFinancialEventsByGroupId": (0.5, 30),
    "listFinancialEvents": (0.5, 30),
    "listFinancialEventsByOrderId": (0.5, 30),
    # Fulfillment Inbound v0
    "getShipments": (2.0, 30),
    "getShipmentItemsByShipmentId": (2.0, 30),
    "getShipmentItems": (2.0, 30),
    # FBA Inventory v1 (fbaInventory.json, getInventorySummaries "Usage Plan")
    "getInventorySummaries": (2.0, 2),
}

# Amazon's sandbox throttles every operation alike.
SANDBOX_RATE_LIMIT: tuple[float, int] = (5.0, 15)

RATE_SAFETY = 0.95


class TokenBucket:
    """A thread-safe token bucket whose rate can change at run time.

    `acquire` reserves a token and sleeps until it exists: tokens may go negative, which
    queues callers fairly in the order they asked without a condition variable.
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a bucket needs a positive rate and a capacity of at least 1")
        self._rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity  # starts full, as Amazon's does
        self._stamp = clock()
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self._rate

    @property
    def tokens(self) -> float:
        """Tokens available now (negative while callers are queued)."""
        with self._lock:
            self._refill()
            return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def acquire(self) -> float:
        """Take one token, blocking until it is there; returns the seconds waited."""
        with self._lock:
            self._refill()
            self._tokens -= 1
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def set_rate(self, rate: float) -> None:
        """Change the refill rate from now on (tokens earned so far are kept)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        with self._lock:
            self._refill()
            self._rate = rate

    def drain(self) -> None:
        """Empty the bucket (the server said it is empty); queued reservations stay."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0)


class Pacer:
    """The buckets of one seller, one per operation, created on first use."""

    def __init__(
        self,
        seller_id: str,
        *,
        sandbox: bool = False,
        limits: Mapping[str, tuple[float, int]] = RATE_LIMITS,
        safety: float = RATE_SAFETY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.seller_id = seller_id
        self.sandbox = sandbox
        self._limits = dict(limits)
        self._safety = safety
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def usage_plan(self, operation: str) -> tuple[float, int]:
        """The documented (rate, burst) of an operation, or the sandbox's."""
        if operation not in self._limits:
            raise KeyError(
                f"no usage plan known for operation {operation!r}: add it to RATE_LIMITS"
            )
        return SANDBOX_RATE_LIMIT if self.sandbox else self._limits[operation]

    def bucket(self, operation: str) -> TokenBucket:
        """The operation's bucket, created full on first use."""
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is None:
                rate, burst = self.usage_plan(operation)
                bucket = TokenBucket(
                    rate * self._safety,
                    max(1, burst - 1),
                    clock=self._clock,
                    sleep=self._sleep,
                )
                self._buckets[operation] = bucket
            return bucket

    def acquire(self, operation: str) -> float:
        """Block until `operation` may be called; returns the seconds waited."""
        waited = self.bucket(operation).acquire()
        if waited > 0.05:
            log.debug("paced %s for seller %s: waited %.2f s", operation, self.seller_id, waited)
        return waited

    def observe(self, operation: str, rate_header: str | None) -> None:
        """Correct the bucket from a response's `x-amzn-RateLimit-Limit`, if present."""
        if not rate_header:
            return
        try:
            rate = float(rate_header)
        except ValueError:
            return
        if rate <= 0:
            return
        bucket = self.bucket(operation)
        target = rate * self._safety
        # Headers repeat the same value on every response: only act on a real change.
        if abs(bucket.rate - target) > 1e-9 * max(1.0, target):
            log.debug(
                "rate of %s for seller %s corrected to %s/s by the server",
                operation,
                self.seller_id,
                rate_header,
            )
            bucket.set_rate(target)

    def throttled(self, operation: str) -> None:
        """The server answered 429: our bucket was fuller than Amazon's, so empty it."""
        self.bucket(operation).drain()


_shared: dict[tuple[str, str, bool], Pacer] = {}
_shared_lock = threading.Lock()


def shared_pacer(base_url: str, seller_id: str, sandbox: bool) -> Pacer:
    """The process-wide pacer of a seller at an endpoint.

    Amazon keeps one bucket per seller and operation, however many clients we create for
    that seller (one per resource, say), so the clients must share ours too. The endpoint is
    part of the key because two simulators in one test process are two different Amazons.
    """
    key = (base_url, seller_id, sandbox)
    with _shared_lock:
        pacer = _shared.get(key)
        if pacer is None:
            pacer = _shared[key] = Pacer(seller_id, sandbox=sandbox)
        return pacer
