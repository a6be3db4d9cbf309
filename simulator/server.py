"""Running the simulator: in the foreground (`serve`) or in a background thread for tests."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import requests
import uvicorn
from fastapi import APIRouter, FastAPI

from simulator.app import WorldLike, create_app
from simulator.config import SimulatorSettings


def _config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    # date_header=False: the app sets Date to the simulated clock and uvicorn must not add
    # a second, real-time one.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        date_header=False,
        server_header=False,
    )


def bound_url(host: str, port: int) -> str:
    """The base URL of a server bound to host:port, as a client on this machine reaches it.

    A wildcard address (0.0.0.0, ::) is no address to connect to: loopback stands in; a
    server reached under another name is given `public_url` explicitly.
    """
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve(world: WorldLike, settings: SimulatorSettings, host: str, port: int) -> None:
    """Serve the simulator until interrupted."""
    if settings.public_url is None:
        settings = settings.model_copy(update={"public_url": bound_url(host, port)})
    start_warm_up(world, settings)
    uvicorn.Server(_config(create_app(world, settings), host, port)).run()


def start_warm_up(world: WorldLike, settings: SimulatorSettings) -> None:
    """With `settings.warm`, generate the world in a background thread (`World.warm`)."""
    warm = getattr(world, "warm", None)
    if settings.warm and warm is not None:
        # A daemon thread: it never holds up the server's start or its exit.
        threading.Thread(target=warm, name="warm-up", daemon=True).start()


class RunningSimulator:
    """The simulator on 127.0.0.1 and a free port, in a background thread.

    with RunningSimulator(world, settings, routers=[]) as sim:
        requests.get(sim.base_url + "/_simulator/health")
    """

    def __init__(
        self,
        world: WorldLike,
        settings: SimulatorSettings | None = None,
        routers: list[APIRouter] | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self.world = world
        # A copy: public_url is filled in once the port is known, and a caller's settings
        # object may serve several simulators.
        self.settings = (settings or SimulatorSettings()).model_copy()
        self.app = create_app(world, self.settings, routers=routers)
        self.startup_timeout = startup_timeout
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def start(self) -> RunningSimulator:
        """Start serving and wait until `/_simulator/health` answers."""
        # Bind first and hand the socket to uvicorn: no race for the port between picking
        # it and listening on it. proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only
        # on sockets that say so, and without it every response waits ~40 ms for the
        # client's delayed ACK (headers and body go out as two small writes).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        port = sock.getsockname()[1]
        self.base_url = bound_url("127.0.0.1", port)
        if self.settings.public_url is None:
            self.settings.public_url = self.base_url
        server = uvicorn.Server(_config(self.app, "127.0.0.1", port))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="simulator", daemon=True
        )
        self._thread.start()
        start_warm_up(self.world, self.settings)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the simulator thread exited during startup")
            try:
                if requests.get(self.base_url + "/_simulator/health", timeout=1).ok:
                    return self
            # not listening yet, or slow to answer while the warm-up thread holds the GIL
            # (a busy machine): ask again until the deadline
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"the simulator did not answer within {self.startup_timeout}s")

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
