"""An in-memory log of the requests the simulator answered.

Tests and benchmarks read it (through `GET /_simulator/requests`) to check what a client
actually called. Headers and the LWA form body are never recorded, so no access token,
refresh token or client secret can end up in it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One answered request."""

    time: str  # ISO 8601 UTC, real time of arrival
    seller_id: str | None
    model: str | None
    operation_id: str | None
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # the parsed JSON body, or None
    status: int
    duration_ms: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class RequestLog:
    """Thread-safe list of RequestRecord, optionally mirrored to a JSON-lines file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, record: RequestRecord) -> None:
        """Record a request (and append it to the file, if any)."""
        line = json.dumps(record.as_dict(), default=str) if self.path is not None else None
        with self._lock:
            self._records.append(record)
            if self.path is not None and line is not None:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")

    def records(self, operation_id: str | None = None) -> list[RequestRecord]:
        """Every record in completion order, optionally only those of one operation."""
        with self._lock:
            records = list(self._records)
        if operation_id is not None:
            records = [r for r in records if r.operation_id == operation_id]
        return records

    def clear(self) -> None:
        """Forget the in-memory records (the file, if any, is kept)."""
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
