"""A network failure in words: `could not connect to https://host: connection refused`.

requests and urllib3 describe a failed request in a nest of their own exceptions
("HTTPSConnectionPool(host=..., port=443): Max retries exceeded with url: ... (Caused by
NewConnectionError(...: [Errno 111] Connection refused))"). An operator needs what failed,
where, and why. `describe_network_failure` finds that in the exception (its causes
included) and names only the scheme, host and port: a URL's path and query can hold a
presigned document's signature.
"""

from __future__ import annotations

import errno
import socket
import ssl
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

# errno values of a refused or unreachable connection, in words
_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ECONNRESET: "connection reset by the server",
    errno.ETIMEDOUT: "timed out",
    errno.EPIPE: "connection closed by the server",
}


def _chain(error: BaseException) -> list[BaseException]:
    """`error`, its causes and contexts, and the errors requests and urllib3 wrap in args."""
    seen: list[BaseException] = []
    todo = [error]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]  # type: ignore[list-item]
        todo += [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)  # urllib3's MaxRetryError, SSLError
        if isinstance(reason, BaseException):
            todo.append(reason)
    return seen


def _where(errors: list[BaseException]) -> str:
    """`scheme://host:port` of the failed request, never its path or query."""
    for error in errors:
        request = getattr(error, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str) and url:
            parts = urlsplit(url)
            return f"{parts.scheme}://{parts.netloc}"
    for error in errors:
        pool = getattr(error, "pool", None) or getattr(error, "conn", None)
        host = getattr(pool, "host", None)
        if host:
            scheme = getattr(pool, "scheme", None) or (
                "https" if "HTTPS" in type(pool).__name__ else "http"
            )
            port = getattr(pool, "port", None)
            return f"{scheme}://{host}" + (f":{port}" if port else "")
    return "the server"


def _tls_reason(errors: list[BaseException]) -> str:
    for error in errors:
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({error.verify_message or error.reason})"
        if isinstance(error, ssl.SSLError):
            reason = str(error.reason or error.strerror or error).replace("_", " ").lower()
            return f"TLS handshake failed ({reason})"
    return "TLS handshake failed"


def describe_network_failure(error: BaseException) -> str | None:
    """One line for a failure of the network (refused, DNS, timeout, TLS, dropped
    connection, too many retries), or None when `error` is not one."""
    errors = _chain(error)
    kinds = tuple(type(e) for e in errors)

    def has(*types: type[BaseException]) -> bool:
        return any(issubclass(kind, types) for kind in kinds)

    if not has(requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        return None
    where = _where(errors)
    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError, ssl.SSLError):
        return f"could not connect to {where}: {_tls_reason(errors)}"
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        host = urlsplit(where).hostname if "://" in where else where
        return f"could not connect to {where}: the host name {host} was not found (DNS)"
    # urllib3's NewConnectionError (refused, DNS) is a ConnectTimeoutError too
    if has(requests.ConnectTimeout) or any(
        isinstance(e, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in errors
    ):
        return f"could not connect to {where}: no answer to the connection (connect timeout)"
    if has(requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError):
        return f"{where} accepted the connection but did not answer in time (read timeout)"
    if has(urllib3.exceptions.ResponseError):  # urllib3's retries ran out on error answers
        return f"{where} kept answering with errors until the retries ran out"
    if has(requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError) and not has(
        ConnectionRefusedError
    ):
        return f"the connection to {where} closed before the answer was complete"
    for failure in errors:
        if isinstance(failure, OSError) and failure.errno in _ERRNO_WORDS:
            return f"could not connect to {where}: {_ERRNO_WORDS[failure.errno]}"
    if has(requests.Timeout, TimeoutError, socket.timeout):
        return f"no answer from {where} in time (timeout)"
    if has(requests.ConnectionError, urllib3.exceptions.NewConnectionError, ConnectionError):
        return f"could not connect to {where}"
    return None
