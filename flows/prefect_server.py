"""A local Prefect server that lives and dies with the `clario` process.

Without PREFECT_API_URL, Prefect starts a temporary server of its own for a flow run, as a
plain subprocess: killing `clario run` (kill -9, an OOM kill) left it running, one per
killed run. The servers started here are the same programs, but the kernel sends them
SIGTERM when their parent dies (Linux's PR_SET_PDEATHSIG), and a normal exit stops them.

- `temporary_api()` (`clario run`, `clario demo`): Prefect's own temporary server (an API
  without UI or services), on a free port, with Prefect's usual database (PREFECT_HOME).
- `local_server(home)` (`clario serve`): `prefect server start` with its scheduler and UI,
  its database under `home`: a schedule needs the scheduler, which the temporary server
  does not run.

A server named by PREFECT_API_URL is used as it is: nothing is started.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PR_SET_PDEATHSIG = 1
STARTUP_TIMEOUT_SECONDS = 180.0


class ServerFailed(RuntimeError):
    """The local Prefect server did not come up."""


def configured_api_url() -> str | None:
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: SIGTERM when the parent dies (and now, if it already has)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def _start(command: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen[bytes]:
    parent = os.getpid()
    output = log.open("ab") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: _die_with_parent(parent),  # no threads run yet
            # Out of the terminal's process group: Ctrl-C reaches `clario`, which stops the
            # server only after its flow runs have reported their end to it.
            start_new_session=True,
        )
    finally:
        if log:
            output.close()  # type: ignore[union-attr]


def _wait_healthy(process: subprocess.Popen[bytes], api_url: str, log: Path | None) -> None:
    deadline = time.monotonic() + float(
        os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", STARTUP_TIMEOUT_SECONDS)
    )
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise ServerFailed(f"the Prefect server exited ({process.returncode}). {tail}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ServerFailed(f"the Prefect server at {api_url} did not answer in time")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drain_prefect_workers() -> None:
    """Send the logs and events Prefect still queues before its server goes: stopped first,
    the workers retried it every 7 s for minutes, and a late client started a second one."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(RuntimeError):  # never started
            worker.drain_all(timeout=30)


@contextmanager
def _using(api_url: str) -> Iterator[None]:
    """Point this process (every context and thread) and its children at `api_url`."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: api_url}),
            prefect.context._temporary_global_settings_context(  # as prefect_test_harness
                prefect.context.get_settings_context()
            ),
        ):
            try:
                yield
            finally:
                _drain_prefect_workers()
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved


@contextmanager
def temporary_api(meanwhile: Callable[[], object] | None = None) -> Iterator[str]:
    """Prefect's temporary API for one run, stopped with it (see the module's docstring).

    `meanwhile` runs while the server starts (it takes seconds): `clario run` imports the
    flow's modules (dlt, dbt, another few seconds) then, rather than after."""
    configured = configured_api_url()
    if configured:
        if meanwhile:
            meanwhile()
        yield configured
        return
    import prefect
    from prefect.settings import get_current_settings

    port = free_port()
    env = {
        **os.environ,
        **get_current_settings().to_environment_variables(exclude_unset=True),
        # what Prefect's own temporary server sets
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(Path(prefect.__file__).parent.parent),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    process = _start(command, env, None)
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        if meanwhile:
            meanwhile()
        _wait_healthy(process, api_url, None)
        with _using(api_url):
            yield api_url
    finally:
        _stop(process)


@contextmanager
def local_server(home: Path) -> Iterator[tuple[str, str]]:
    """`prefect server start` (scheduler, UI) with its database under `home`: (api, ui)."""
    configured = configured_api_url()
    if configured:
        from prefect.settings import get_current_settings

        ui = get_current_settings().ui_url or configured.removesuffix("/api")
        yield configured, str(ui)
        return
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home.resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
    }
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL", None)
    prefect = str(Path(sys.executable).with_name("prefect"))
    command = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log = home / "server.log"
    process = _start(command, env, log)
    api_url, ui_url = f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, api_url, log)
        with _using(api_url):
            yield api_url, ui_url
    finally:
        _stop(process)
