"""SP-API pacing shared by every worker: one Prefect rate limit per seller and operation.

In one process, the clients of a seller already share a `Pacer` (extract/spapi/pacing.py).
On a work pool with several workers, each worker is its own process with its own buckets,
and Amazon's one bucket per seller and operation would see their sum: 429s. Prefect's
global rate limits live on the Prefect server, which every worker talks to, so a limit
named after the seller and operation is one bucket for all of them:

- `limit` is the bucket's capacity (the burst, less one token of slack, as the local
  bucket) and `slot_decay_per_second` its refill rate (the documented rate times 0.95);
- a request takes one slot with `prefect.concurrency.sync.rate_limit` after taking a token
  from the local bucket, which still paces this process and still empties itself on a 429;
- a rate Amazon reports in `x-amzn-RateLimit-Limit` updates the server's limit too.

It costs a round trip to the Prefect server per SP-API request, which Amazon's rates (a
few requests per second at most) leave plenty of room for. Prefect frees slots in whole
steps and retries after a jittered wait, so the shared limit errs on the slow side: two
workers' 30 getReport calls at Amazon's real rate took 16 s where the bucket allows 8.5 s.
The flow turns it on with its `shared_rate_limits` parameter; prefect.yaml does so for the
work-pool deployment.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import rate_limit
from prefect.exceptions import ObjectAlreadyExists

from extract.spapi.pacing import Pacer


def limit_name(base_url: str, seller_id: str, sandbox: bool, operation: str) -> str:
    """The global limit of one Amazon bucket: endpoint (region), seller, operation.

    Amazon meters each regional endpoint separately, and Prefect names may not hold "/".
    """
    host = urlsplit(base_url).netloc
    return f"spapi:{host}:{seller_id}{':sandbox' if sandbox else ''}:{operation}"


class PrefectRateLimitedPacer(Pacer):
    """A seller's pacer whose buckets are also Prefect global rate limits."""

    def __init__(self, base_url: str, seller_id: str, *, sandbox: bool = False) -> None:
        super().__init__(seller_id, sandbox=sandbox)
        self.base_url = base_url
        self._declared: dict[str, tuple[int, float]] = {}  # operation -> (limit, decay)
        self._declare_lock = threading.Lock()

    def limit_name(self, operation: str) -> str:
        return limit_name(self.base_url, self.seller_id, self.sandbox, operation)

    def _declare(self, operation: str) -> None:
        """Create or update the operation's limit on the server to match the local bucket."""
        bucket = self.bucket(operation)
        wanted = (int(bucket.capacity), bucket.rate)
        with self._declare_lock:
            if self._declared.get(operation) == wanted:
                return
            name = self.limit_name(operation)
            with get_client(sync_client=True) as client:
                try:
                    client.upsert_global_concurrency_limit_by_name(
                        name, limit=wanted[0], slot_decay_per_second=wanted[1]
                    )
                except ObjectAlreadyExists:
                    # Another worker created it between our read and our create (the upsert
                    # is not atomic): now it exists, so this one updates it.
                    client.upsert_global_concurrency_limit_by_name(
                        name, limit=wanted[0], slot_decay_per_second=wanted[1]
                    )
            self._declared[operation] = wanted

    def acquire(self, operation: str) -> float:
        waited = super().acquire(operation)
        self._declare(operation)
        rate_limit(self.limit_name(operation), occupy=1, strict=True)
        return waited

    def observe(self, operation: str, rate_header: str | None) -> None:
        super().observe(operation, rate_header)
        self._declare(operation)


_shared: dict[tuple[str, str, bool], PrefectRateLimitedPacer] = {}
_shared_lock = threading.Lock()


def prefect_pacer(base_url: str, seller_id: str, sandbox: bool) -> PrefectRateLimitedPacer:
    """The process-wide Prefect-limited pacer of a seller at an endpoint."""
    key = (base_url, seller_id, sandbox)
    with _shared_lock:
        pacer = _shared.get(key)
        if pacer is None:
            pacer = _shared[key] = PrefectRateLimitedPacer(base_url, seller_id, sandbox=sandbox)
        return pacer
