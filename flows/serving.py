"""`clario serve`: the `sync` deployment on a schedule, served from this process.

The schedule needs Prefect's scheduler, which only a real server runs (the temporary
server a flow run starts has none: a served deployment there never ran). So a local
`prefect server start` is started and stopped with this process (flows/prefect_server.py)
unless PREFECT_API_URL names a server. The deployment is `sync/clario-serve`; on exit it
is deleted from an external server rather than left paused, and a local server's
database (under the data directory) keeps the run history for the next `clario serve`.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flows.deployment import SERVE_DEPLOYMENT_NAME, STAGGER_SECONDS, sync_deployment
from flows.prefect_server import configured_api_url, local_server


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _interrupt_as_terminate(signum: int, frame: object) -> None:
    """Ctrl-C (or SIGINT from a supervisor) stops as SIGTERM does.

    Once serving, Prefect's runner answers SIGTERM by cancelling the run in flight and
    returning; on KeyboardInterrupt it would wait for that run to end, which for a first
    sync can be hours. A cancelled run loses nothing: each slice and page batch it loaded
    stays, and the next run resumes from there. Before the runner starts, the SIGTERM
    handler above turns it back into KeyboardInterrupt.
    """
    os.kill(os.getpid(), signal.SIGTERM)


def _delete_deployment(name: str) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(f"sync/{name}")
        except Exception:  # already gone
            return
        client.delete_deployment(deployment.id)


def serve_schedule(
    cron: str,
    parameters: dict[str, Any],
    prefect_home: Path,
    print_line: Callable[[str], None],
) -> None:
    """Serve until Ctrl-C or SIGTERM; every run holds the warehouse lock (flows/sync_flow)."""
    from prefect import serve

    external = configured_api_url() is not None
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    signal.signal(signal.SIGINT, _interrupt_as_terminate)
    with local_server(prefect_home) as (_api_url, ui_url):
        deployment = sync_deployment(
            {"stagger_seconds": STAGGER_SECONDS, **parameters},
            name=SERVE_DEPLOYMENT_NAME,
            cron=cron,
        )
        print_line(
            f"Serving sync/{SERVE_DEPLOYMENT_NAME} on cron '{cron}' (UTC) into"
            f" {parameters['destination']}; Prefect UI at {ui_url} . Ctrl-C stops."
        )
        try:
            serve(deployment, pause_on_shutdown=False, print_starting_message=False)
        except KeyboardInterrupt:
            pass
        finally:
            if external:
                _delete_deployment(SERVE_DEPLOYMENT_NAME)
            print_line("Stopped serving.")
