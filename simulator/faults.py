"""Fault injection for SP-API requests, driven by FaultConfig.

Only requests that matched an SP-API operation and passed authentication and rate limiting
reach this step, so LWA, admin and document-download paths are never affected. Random
faults draw from `random.Random(f"{seed}:faults")` in request order: the same seed and the
same sequence of requests give the same faults. Each request draws the same number of
values whatever the outcome, so enabling one kind of fault does not shift another's.
FATAL reports and malformed report rows are the report routes' business, not this module's.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass

from simulator.auth import TokenStore
from simulator.config import FaultConfig
from simulator.errors import SpApiError, internal_failure, quota_exceeded, service_unavailable


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request."""

    delay_seconds: float = 0.0
    error: SpApiError | None = None
    expire_tokens: bool = False  # expire every access token once this request is answered


class FaultInjector:
    """Decides, request by request, which configured faults to inject."""

    def __init__(self, config: FaultConfig, seed: int, tokens: TokenStore) -> None:
        self.config = config
        self._tokens = tokens
        self._rng = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()
        self.requests = 0
        self.revoked = False
        self.expired = False
        if config.revoke_after_requests == 0:
            self._revoke()

    def _revoke(self) -> None:
        self.revoked = True
        self._tokens.revoke_all()

    def decide(self) -> FaultDecision:
        """Count one SP-API request and draw its faults."""
        cfg = self.config
        with self._lock:
            self.requests += 1
            # "after N requests": the Nth request itself still succeeds with its token; the
            # next LWA exchange (revocation) or SP-API call (expiry) is the first to fail.
            if (
                not self.revoked
                and cfg.revoke_after_requests is not None
                and self.requests >= cfg.revoke_after_requests
            ):
                self._revoke()
            expire_now = (
                not self.expired
                and cfg.expire_tokens_after_requests is not None
                and self.requests >= cfg.expire_tokens_after_requests
            )
            if expire_now:
                self.expired = True
            draw_slow, draw_429, draw_5xx, draw_kind = (self._rng.random() for _ in range(4))
        delay = cfg.slow_seconds if draw_slow < cfg.rate_slow else 0.0
        error: SpApiError | None = None
        if draw_429 < cfg.rate_429:
            error = quota_exceeded()
        elif draw_5xx < cfg.rate_5xx:
            error = internal_failure() if draw_kind < 0.5 else service_unavailable()
        return FaultDecision(delay_seconds=delay, error=error, expire_tokens=expire_now)

    async def apply(self) -> SpApiError | None:
        """Run the faults for one request: sleep if slow; return the error to answer, if any."""
        decision = self.decide()
        if decision.delay_seconds > 0:
            await asyncio.sleep(decision.delay_seconds)
        if decision.expire_tokens:
            # This request's token was valid on arrival, so it is still answered; the
            # client's next call is the first to see "has expired".
            self._tokens.expire_all()
        return decision.error
