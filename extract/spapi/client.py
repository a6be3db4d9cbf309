"""The HTTP client every data set calls SP-API through: pacing, auth, retries, paging.

Each attempt of a request goes through the same steps, so a retry is paced and signed like
the first try:

    pace (the operation's token bucket) -> access token -> send -> count -> classify

- 2xx: done; `x-amzn-RateLimit-Limit` corrects the bucket's rate.
- 429, 500, 502, 503, 504, timeouts, connection errors: retried by tenacity with exponential
  back-off and full jitter, at most `max_attempts` attempts in all, honouring `Retry-After`.
  A 429 also empties the operation's bucket.
- 403 saying the access token expired: the token is renewed and the request sent once more.
- any other 4xx: `SpApiError`, not retried.

Why not dlt's `RESTClient`: its session retries inside `requests`, below any hook we could
add, so retries would bypass the token bucket, and 429s would not empty it, and an expired
token would not be renewed in between. Paging is a few lines per style here, beside the
pacing and retries it must go through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from extract.spapi.auth import USER_AGENT, LwaAuth
from extract.spapi.config import LOGGER_NAME, SellerConfig, redact
from extract.spapi.endpoints import base_url
from extract.spapi.network import describe_network_failure
from extract.spapi.pacing import Pacer, shared_pacer

log = logging.getLogger(LOGGER_NAME)

PagingStyle = Literal["payload", "pagination", "inbound", "reports", "inventory"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class OperationStats:
    """What one operation cost: attempts sent and why some were repeated."""

    requests: int = 0  # attempts sent, retries included
    retries: int = 0  # attempts that were repeats of a failed one
    throttled: int = 0  # 429 answers
    server_errors: int = 0  # 5xx answers
    transport_errors: int = 0  # timeouts and connection errors
    expired_tokens: int = 0  # 403 "expired" answers (the token was renewed)
    paced_seconds: float = 0.0  # time spent waiting for the token bucket


class SpApiError(Exception):
    """SP-API refused a request (or it kept failing); parsed from `{"errors": [...]}`.

    `status` is 0 when no response arrived (timeouts, connection errors); `network` then
    says what failed, in words (extract/spapi/network.py).
    """

    def __init__(
        self, status: int, code: str, message: str, operation: str, network: str | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = redact(message)
        self.operation = operation
        self.network = network
        super().__init__(f"{operation}: HTTP {status} {code}: {self.message}")


class _Retryable(Exception):
    """A failed attempt worth repeating; converted to SpApiError once attempts run out."""

    def __init__(
        self,
        operation: str,
        *,
        response: requests.Response | None = None,
        error: requests.RequestException | None = None,
    ) -> None:
        self.operation = operation
        self.response = response
        self.error = error
        what = f"HTTP {response.status_code}" if response is not None else type(error).__name__
        super().__init__(f"{operation}: {what}")

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait (`Retry-After`), if it did."""
        value = self.response.headers.get("Retry-After") if self.response is not None else None
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())

    def final(self, attempts: int) -> SpApiError:
        if self.response is not None:
            return _error(self.operation, self.response)
        code = "Timeout" if isinstance(self.error, requests.Timeout) else "ConnectionError"
        network = describe_network_failure(self.error) if self.error else None
        network = f"{network or 'no response'} ({attempts} attempts)"
        return SpApiError(0, code, network, self.operation, network=network)


def _error(operation: str, response: requests.Response) -> SpApiError:
    """SP-API's error (the first of `errors`), or a generic one for other bodies."""
    code, message = "HttpError", response.reason or ""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        code = str(first.get("code") or code)
        message = str(first.get("message") or "")
        if first.get("details"):
            message = f"{message} ({first['details']})"
    return SpApiError(response.status_code, code, message, operation)


def _token_expired(response: requests.Response) -> bool:
    """A 403 whose SP-API error says the access token expired (not revoked or invalid)."""
    try:
        body = response.json()
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(e, dict)
        and "expired" in f"{e.get('message', '')} {e.get('details', '')}".lower()
        for e in errors
    )


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as SP-API wants them: arrays comma-separated, dates ISO 8601 UTC."""
    encoded: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            encoded[name] = ",".join(_query_value(v) for v in value)
        else:
            encoded[name] = _query_value(value)
    return encoded


def server_now(response: requests.Response) -> datetime:
    """The server's clock from the `Date` header (the wall clock if there is none).

    Windows must end before SP-API's "now minus two minutes", and the server's now is not
    ours (the simulator's clock is simulated; Amazon's may drift from ours).
    """
    value = response.headers.get("Date")
    if value:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.now(UTC)


def _next_token(page: Mapping[str, Any], style: PagingStyle) -> str | None:
    if style in ("pagination", "inventory"):
        holder = page.get("pagination")
        token = holder.get("nextToken") if isinstance(holder, Mapping) else None
    elif style == "reports":
        token = page.get("nextToken")
    else:  # payload, inbound
        holder = page.get("payload")
        token = holder.get("NextToken") if isinstance(holder, Mapping) else None
    return token if isinstance(token, str) and token else None


def _next_params(params: Mapping[str, Any], style: PagingStyle, token: str) -> dict[str, Any]:
    if style == "payload":  # Orders v0 getOrders, Finances v0: same filters + NextToken
        return {**params, "NextToken": token}
    if style == "pagination":  # Orders 2026-01-01: same filters + paginationToken
        return {**params, "paginationToken": token}
    if style == "inventory":  # FBA Inventory v1: same filters + nextToken
        return {**params, "nextToken": token}
    if style == "inbound":  # Fulfillment Inbound v0: the token replaces the filters
        return {
            "QueryType": "NEXT_TOKEN",
            "NextToken": token,
            "MarketplaceId": params["MarketplaceId"],
        }
    return {"nextToken": token}  # Reports getReports: nextToken must be the only parameter


def _path_of(url: str) -> str:
    """A URL without its query string, for logs (presigned URLs carry signatures there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class SpApiClient:
    """SP-API for one seller: paced, signed, retried; thread-safe."""

    def __init__(
        self,
        seller: SellerConfig,
        *,
        timeout: float = 30,
        max_attempts: int = 6,
        backoff_max: float = 60,
        session: requests.Session | None = None,
        pacer: Pacer | None = None,
        auth: LwaAuth | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.seller = seller
        self.base_url = base_url(seller)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_max = backoff_max
        if session is None:
            session = requests.Session()
            # Several resources of one seller may call in parallel threads.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session
        self.pacer = pacer or shared_pacer(self.base_url, seller.seller_id, seller.sandbox)
        self.auth = auth or LwaAuth(seller, session=session, timeout=timeout)
        self._server_date: datetime | None = None  # the Date of the latest response
        self._stats: dict[str, OperationStats] = {}
        self._stats_lock = threading.Lock()
        # Full jitter: a random wait in [0, min(backoff_max, initial * 2**n)].
        self._backoff = wait_random_exponential(multiplier=min(0.5, backoff_max), max=backoff_max)

    def __repr__(self) -> str:
        return f"SpApiClient(seller_id={self.seller.seller_id!r}, base_url={self.base_url!r})"

    def __enter__(self) -> SpApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    @property
    def stats(self) -> dict[str, OperationStats]:
        """A snapshot of the counts per operation."""
        with self._stats_lock:
            return {op: replace(s) for op, s in self._stats.items()}

    def _count(self, operation: str, **increments: float) -> None:
        with self._stats_lock:
            stats = self._stats.setdefault(operation, OperationStats())
            for name, value in increments.items():
                setattr(stats, name, getattr(stats, name) + value)

    def server_now(self) -> datetime:
        """The server's "now": the `Date` of its latest response.

        Deliberately not advanced by the time elapsed since: that instant is already past
        on the server, so windows ending there are safe, and a simulated clock may not move
        at all. Before any SP-API call, the LWA exchange's answer serves (which also checks
        the credentials: `SellerAuthError` here means the seller cannot sync).
        """
        if self._server_date is None:
            self.auth.token()
            if self.auth.last_response is not None:
                self._observe_date(self.auth.last_response)
        return self._server_date if self._server_date is not None else datetime.now(UTC)

    def _observe_date(self, response: requests.Response) -> None:
        if response.headers.get("Date"):
            self._server_date = server_now(response)

    # --- requests ---------------------------------------------------------------------------

    def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Call `operation` at `path` (relative to the seller's endpoint); 2xx or SpApiError."""
        url = self.base_url + path
        query = encode_params(params)
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, operation, method.upper(), url, query, json)
        except _Retryable as failure:
            raise failure.final(self.max_attempts) from None

    def get_json(
        self, operation: str, path: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """GET `path` and return its JSON object; JSON numbers with a fraction become Decimal.

        Finances send money as JSON numbers; parsed as float they would land in the
        warehouse as doubles, and money is never a float.
        """
        response = self.request(operation, "GET", path, params=params)
        try:
            body = response.json(parse_float=Decimal)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SpApiError(
                response.status_code, "InvalidResponse", "the body is not a JSON object", operation
            )
        return body

    def paginate(
        self,
        operation: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        style: PagingStyle = "payload",
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paged GET, in order, following SP-API's next tokens.

        Styles: `payload` (payload.NextToken, resent with the same filters: Orders v0
        getOrders, Finances v0), `pagination` (pagination.nextToken sent back as
        paginationToken with the same filters: Orders 2026-01-01 searchOrders), `inbound`
        (payload.NextToken with only QueryType=NEXT_TOKEN and MarketplaceId: Fulfillment
        Inbound v0), `reports` (top-level nextToken, sent alone: getReports), `inventory`
        (pagination.nextToken sent back as nextToken with the same filters: FBA Inventory v1
        getInventorySummaries).
        """
        first = dict(params or {})
        if style == "inbound" and "MarketplaceId" not in first:
            raise ValueError("inbound paging needs the MarketplaceId parameter")
        query = first
        previous: str | None = None
        while True:
            page = self.get_json(operation, path, query)
            yield page
            token = _next_token(page, style)
            if token is None:
                return
            if token == previous:
                raise SpApiError(
                    200, "PaginationLoop", "the server sent the same next token twice", operation
                )
            previous = token
            query = _next_params(first, style, token)

    def open_download(self, url: str) -> requests.Response:
        """GET a presigned document URL as a stream: no SP-API token, no pacing.

        Connection errors, timeouts and 5xx are retried; any other answer (a 403 for an
        expired URL, say) is returned for the caller to judge. The caller closes it.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._download_attempt, url)
        except _Retryable as failure:
            raise failure.final(self.max_attempts) from None

    # --- one attempt ------------------------------------------------------------------------

    def _send(
        self, operation: str, method: str, url: str, query: dict[str, str], body: Any
    ) -> tuple[requests.Response, str]:
        waited = self.pacer.acquire(operation)
        token = self.auth.token()
        self._count(operation, requests=1, paced_seconds=waited)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                url,
                params=query or None,
                json=body,
                headers={
                    "x-amz-access-token": token,
                    "user-agent": USER_AGENT,
                    "accept": "application/json",
                },
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            self._count(operation, transport_errors=1)
            log.info(
                "%s %s %s (seller %s): %s after %.0f ms",
                operation,
                method,
                _path_of(url),
                self.seller.seller_id,
                type(error).__name__,
                (time.perf_counter() - started) * 1000,
            )
            raise _Retryable(operation, error=error) from None
        log.debug(
            "%s %s %s (seller %s) -> %d in %.0f ms",
            operation,
            method,
            _path_of(url),
            self.seller.seller_id,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        self.pacer.observe(operation, response.headers.get("x-amzn-RateLimit-Limit"))
        self._observe_date(response)
        return response, token

    def _attempt(
        self, operation: str, method: str, url: str, query: dict[str, str], body: Any
    ) -> requests.Response:
        renewed = False
        while True:
            response, token = self._send(operation, method, url, query, body)
            status = response.status_code
            if status < 400:
                return response
            if status == 429:
                self._count(operation, throttled=1)
                self.pacer.throttled(operation)
            elif status >= 500:
                self._count(operation, server_errors=1)
            if status in RETRY_STATUSES:
                response.close()
                raise _Retryable(operation, response=response)
            if status == 403 and not renewed and _token_expired(response):
                # Renew once, right away: this is not a failure of the service.
                self._count(operation, expired_tokens=1)
                self.auth.invalidate(token)
                renewed = True
                continue
            raise _error(operation, response)

    def _download_attempt(self, url: str) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self.session.get(
                url, stream=True, timeout=self.timeout, headers={"user-agent": USER_AGENT}
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            self._count("download", requests=1, transport_errors=1)
            raise _Retryable("download", error=error) from None
        self._count("download", requests=1)
        log.debug(
            "download %s (seller %s) -> %d in %.0f ms",
            _path_of(url),
            self.seller.seller_id,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        if response.status_code >= 500:
            self._count("download", server_errors=1)
            response.close()
            raise _Retryable("download", response=response)
        return response

    # --- tenacity hooks ---------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        retry_after = failure.retry_after if isinstance(failure, _Retryable) else None
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        operation = failure.operation if isinstance(failure, _Retryable) else "?"
        self._count(operation, retries=1)
        log.info(
            "retrying %s for seller %s after %s (attempt %d of %d, waiting %.2f s)",
            operation,
            self.seller.seller_id,
            failure,
            state.attempt_number + 1,
            self.max_attempts,
            state.upcoming_sleep,
        )
