"""A Prefect test harness for the session: flows run against a temporary local API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    # generous: the temporary server starts slowly on a busy two-core machine
    with prefect_test_harness(server_startup_timeout=300):
        yield
