"""What one sync of one data set of one seller did: the run summary's row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# A data set is what a user thinks of as one thing to sync; it may be several resources.
DATA_SETS: dict[str, tuple[str, ...]] = {
    "orders": ("orders",),
    "fba_shipments": ("fba_shipments",),
    "customer_returns": ("customer_returns",),
    "reimbursements": ("reimbursements",),
    "inbound": ("inbound_shipments", "inbound_shipment_items"),
    "finances": ("financial_event_groups", "financial_events"),
    "inventory": ("inventory",),
    "inventory_ledger": ("inventory_ledger",),
    "inventory_ledger_summary": ("inventory_ledger_summary",),
}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class DataSetRun:
    """Status, counts, window and errors of one data set in one run. Never holds a secret."""

    seller_id: str
    data_set: str
    status: str = "running"  # running -> ok | failed | incomplete
    rows: int = 0
    rows_loaded: int = 0
    rejected: int = 0
    window_start: datetime | None = None
    window_end: datetime | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reports: list[dict[str, str]] = field(default_factory=list)
    pending: bool = False
    retries: int = 0  # failed attempts before the one that counted
    started_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def report(self, report_type: str, report_id: str, status: str, window: str) -> None:
        self.reports.append(
            {"report_type": report_type, "report_id": report_id, "status": status, "window": window}
        )

    def note(self, message: str) -> None:
        self.notes.append(message)

    def retried(self, earlier_errors: list[str]) -> None:
        """It succeeded after failing: say so, so a flaky source is seen, not hidden."""
        self.retries = len(earlier_errors)
        self.note(f"succeeded on attempt {self.retries + 1} after: " + " | ".join(earlier_errors))

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def window(self, start: datetime, end: datetime) -> None:
        self.window_start = start if self.window_start is None else min(self.window_start, start)
        self.window_end = end if self.window_end is None else max(self.window_end, end)

    def finish(self) -> None:
        self.finished_at = _now()
        if self.errors:
            self.status = "failed"
        elif self.pending:
            self.status = "incomplete"
        else:
            self.status = "ok"

    @property
    def duration_seconds(self) -> float:
        end = self.finished_at or _now()
        return (end - self.started_at).total_seconds()

    def summary(self) -> dict[str, Any]:
        """A JSON-ready row for logs, the CLI table and the `sync_runs` table."""
        return {
            "seller_id": self.seller_id,
            "data_set": self.data_set,
            "status": self.status,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rejected,
            "retries": self.retries,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "error": "; ".join(self.errors) or None,
            "notes": "; ".join(self.notes) or None,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
