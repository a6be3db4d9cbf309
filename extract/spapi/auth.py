"""Login with Amazon: exchanging a seller's refresh token for access tokens.

One `LwaAuth` per seller, shared by every thread calling SP-API for it. The access token
is cached and renewed shortly before it expires (`refresh_margin`, 60 s, or a quarter of
its lifetime when that is shorter), and on demand after SP-API answered 403 "expired"
(`invalidate`). A refused grant (revoked or wrong refresh token, wrong client) is final
for the seller: `SellerAuthError`. Transient LWA failures (5xx, 429, timeouts, connection
errors) are retried with exponential back-off and jitter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from extract.spapi.config import LOGGER_NAME, SellerConfig, redact
from extract.spapi.endpoints import token_url
from extract.spapi.network import describe_network_failure

log = logging.getLogger(LOGGER_NAME)

USER_AGENT = "clario-sync/0.1 (Language=Python)"


class SellerAuthError(Exception):
    """LWA refused the seller's credentials; the seller cannot sync until re-authorized."""

    def __init__(self, seller_id: str, error_code: str, status: int, description: str = "") -> None:
        self.seller_id = seller_id
        self.error_code = error_code
        self.status = status
        self.description = redact(description)
        detail = f": {self.description}" if self.description else ""
        super().__init__(
            f"seller {seller_id}: LWA refused the credentials (HTTP {status}, {error_code}){detail}"
        )


class LwaUnavailableError(Exception):
    """LWA kept answering 5xx or 429 through every retry (the credentials may be fine)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"LWA answered HTTP {status}")
        self.status = status


def _in_words(error: BaseException | None) -> str:
    """A failed exchange for the log: a network failure in words, else its (redacted) text."""
    if error is None:
        return ""
    return describe_network_failure(error) or redact(str(error))


class LwaAuth:
    """Access tokens for one seller, cached and renewed before expiry; thread-safe."""

    def __init__(
        self,
        seller: SellerConfig,
        *,
        session: requests.Session | None = None,
        timeout: float = 30,
        refresh_margin: float = 60,
        max_attempts: int = 5,
        backoff_max: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seller = seller
        self.url = token_url(seller)
        self._session = session or requests.Session()
        self._timeout = timeout
        self._refresh_margin = refresh_margin
        self._max_attempts = max_attempts
        self._backoff_max = backoff_max
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.exchanges = 0  # successful refresh-token exchanges, for tests and summaries
        self.last_response: requests.Response | None = None  # of the last exchange

    def __repr__(self) -> str:
        return f"LwaAuth(seller_id={self.seller.seller_id!r}, url={self.url!r})"

    def token(self) -> str:
        """A valid access token, exchanging the refresh token when needed."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._exchange()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str | None = None) -> None:
        """Forget the cached token (SP-API said it expired), so the next call renews it.

        With `token`, only if it is still the cached one: when several threads see the
        same expired token, the first renews it and the others keep the new one.
        """
        with self._lock:
            if token is None or token == self._token:
                self._token = None

    def _exchange(self) -> None:
        """Exchange the refresh token; the caller holds the lock."""
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=wait_random_exponential(multiplier=0.5, max=self._backoff_max),
            retry=retry_if_exception_type(
                (LwaUnavailableError, requests.ConnectionError, requests.Timeout)
            ),
            before_sleep=lambda state: log.warning(
                "LWA token exchange for seller %s failed (%s), retrying",
                self.seller.seller_id,
                _in_words(state.outcome.exception() if state.outcome else None),
            ),
            reraise=True,
        )
        issued = self._clock()
        body = retrying(self._post)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise SellerAuthError(self.seller.seller_id, "invalid_response", 200, "no access_token")
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        # Measured from before the request was sent, so the margin is never overstated.
        self._renew_at = issued + lifetime - min(self._refresh_margin, lifetime / 4)
        self._token = token
        self.exchanges += 1
        log.debug("LWA token for seller %s renewed, valid %.0f s", self.seller.seller_id, lifetime)

    def _post(self) -> dict[str, Any]:
        credentials = self.seller.credentials
        started = time.perf_counter()
        response = self._session.post(
            self.url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": credentials.refresh_token.get_secret_value(),
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret.get_secret_value(),
            },
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
            timeout=self._timeout,
        )
        log.debug(
            "LWA token exchange for seller %s -> %d in %.0f ms",
            self.seller.seller_id,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        self.last_response = response
        if response.status_code == 429 or response.status_code >= 500:
            raise LwaUnavailableError(response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not response.ok or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            description = body.get("error_description") if isinstance(body, dict) else None
            raise SellerAuthError(
                self.seller.seller_id,
                str(error or "unexpected_response"),
                response.status_code,
                str(description or ""),
            )
        return body
