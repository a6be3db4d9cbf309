"""A network failure reads as one line saying what failed, where, and what to do: real
sockets on 127.0.0.1 (refused, closed mid-answer, silent, not TLS) and a name that cannot
resolve, never urllib3's nest of exceptions, never a URL's path or query."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import requests

from extract.failures import failure_text
from extract.spapi.auth import LwaAuth
from extract.spapi.client import SpApiClient, SpApiError
from extract.spapi.network import describe_network_failure
from simulator.config import WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World
from tests.extract.conftest import FAST, NOW, seller_config

URLLIB3_WORDS = ("HTTPConnectionPool", "MaxRetryError", "NewConnectionError", "Errno", "object at")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def listener() -> Iterator[Callable[[bytes | None], int]]:
    """A listener on 127.0.0.1 that answers each connection with `reply` and closes it
    (None: reads the request and closes without a word)."""
    sockets: list[socket.socket] = []

    def start(reply: bytes | None) -> int:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        sockets.append(server)

        def serve() -> None:
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                with connection:
                    connection.recv(1024)
                    if reply:
                        connection.sendall(reply)

        threading.Thread(target=serve, daemon=True).start()
        return int(server.getsockname()[1])

    yield start
    for server in sockets:
        server.close()


def failure_of(url: str, timeout: float = 2) -> BaseException:
    try:
        requests.get(url, timeout=timeout)
    except requests.RequestException as error:
        return error
    raise AssertionError(f"{url} answered")


def test_each_kind_of_network_failure_in_words(
    listener: Callable[[bytes | None], int],
) -> None:
    refused = closed_port()
    silent = socket.socket()  # accepts (the kernel's backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    closing = listener(None)
    plain_http = listener(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    try:
        cases = {
            f"http://127.0.0.1:{refused}/orders?token=secret": (
                f"could not connect to http://127.0.0.1:{refused}: connection refused"
            ),
            "http://clario-no-such-host.invalid/x": (
                "could not connect to http://clario-no-such-host.invalid: the host name"
                " clario-no-such-host.invalid was not found (DNS)"
            ),
            f"https://127.0.0.1:{plain_http}/x": (
                f"could not connect to https://127.0.0.1:{plain_http}: TLS handshake failed"
            ),
            f"http://127.0.0.1:{silent.getsockname()[1]}/x": (
                f"http://127.0.0.1:{silent.getsockname()[1]} accepted the connection but did"
                " not answer in time (read timeout)"
            ),
            f"http://127.0.0.1:{closing}/x": (
                f"the connection to http://127.0.0.1:{closing} closed before the answer was"
                " complete"
            ),
        }
        for url, expected in cases.items():
            described = describe_network_failure(failure_of(url, timeout=1))
            assert described is not None and described.startswith(expected), (url, described)
            assert "secret" not in described and "/orders" not in described
            assert not [w for w in URLLIB3_WORDS if w in described], described
    finally:
        silent.close()
    assert describe_network_failure(ValueError("not the network")) is None
    assert describe_network_failure(FileNotFoundError(2, "no such file")) is None


def test_the_client_and_the_summary_say_what_failed_and_what_to_do() -> None:
    """SP-API unreachable after the client's retries (LWA answers): the error names the
    endpoint and why; the summary's line adds what to check and the command that retries
    just that. LWA unreachable: the same line for the seller as a whole."""
    world = World(WorldConfig(seed=3, sellers=1, history_days=2, now=NOW))
    account = world.sellers[0]
    port = closed_port()
    with RunningSimulator(world, FAST) as simulator:
        seller = seller_config(account, simulator.base_url).model_copy(
            update={"endpoint": f"http://127.0.0.1:{port}"}
        )
        client = SpApiClient(seller, timeout=2, max_attempts=2, backoff_max=0.05)
        with pytest.raises(SpApiError) as raised:
            client.request("getOrders", "GET", "/orders/v0/orders")
    assert raised.value.status == 0
    assert raised.value.network == (
        f"could not connect to http://127.0.0.1:{port}: connection refused (2 attempts)"
    )
    line = failure_text(raised.value, account.seller_id, ["orders"])
    assert line == (
        f"could not connect to http://127.0.0.1:{port}: connection refused (2 attempts); check"
        " the seller's endpoint and token_url in the sellers file and the network, then"
        f" rerun `clario sync --seller {account.seller_id} --data-set orders`"
    )
    unreachable = seller_config(account, f"http://127.0.0.1:{port}")
    lwa = LwaAuth(unreachable, max_attempts=1)
    with pytest.raises(requests.ConnectionError) as token_failure:
        SpApiClient(unreachable, auth=lwa).server_now()
    whole_seller = failure_text(token_failure.value, account.seller_id)
    assert whole_seller == (
        f"could not connect to http://127.0.0.1:{port}: connection refused; check the"
        " seller's endpoint and token_url in the sellers file and the network, then rerun"
        f" `clario sync --seller {account.seller_id}`"
    )
    assert failure_text(ValueError("bad value"), account.seller_id) == "ValueError: bad value"
