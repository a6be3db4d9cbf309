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


# Statuses, worst first; what `clario run` and `clario sync` exit with (README: exit codes).
STATUSES = ("failed", "partial", "incomplete", "ok")
EXIT_FAILED = 1  # a data set failed (or the build did)
EXIT_REJECTED = 3  # nothing failed, but rows were rejected (kept in rejected_rows)
MAX_WARNING_KINDS = 5


def exit_code(summaries: list[dict[str, Any]]) -> int:
    """0 when everything loaded (a report still being prepared included), else see above."""
    statuses = {summary["status"] for summary in summaries}
    if "failed" in statuses:
        return EXIT_FAILED
    if "partial" in statuses:
        return EXIT_REJECTED
    return 0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class DataSetRun:
    """Status, counts, window and errors of one data set in one run. Never holds a secret."""

    seller_id: str
    data_set: str
    status: str = "running"  # running -> ok | incomplete | partial | failed
    rows: int = 0
    rows_loaded: int = 0
    rejected: int = 0
    window_start: datetime | None = None
    window_end: datetime | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reports: list[dict[str, str]] = field(default_factory=list)
    pending: bool = False
    # a resource stopped at its per-load budget (a report slice) with more to read: the
    # loop in extract/pipeline.py loads what it has, with its cursor, then asks again
    more: bool = False
    retries: int = 0  # attempts before this one (each failed)
    # live progress, for the CLI's display while the data set runs (never in the summary)
    stage: str = "extracting"  # extracting -> normalizing -> waiting for the warehouse -> loading
    pages: int = 0  # API pages read
    reports_waiting: int = 0  # reports asked for and not yet finished at Amazon
    warnings: int = 0  # rows kept with a value Amazon's documentation does not list
    warning_kinds: set[str] = field(default_factory=set)
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

    def note_once(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def retried(self, earlier_errors: list[str]) -> None:
        """It succeeded after failing: say so, so a flaky source is seen, not hidden."""
        self.note(f"succeeded on attempt {self.retries + 1} after: " + " | ".join(earlier_errors))

    def warn(self, message: str) -> None:
        self.warnings += 1
        if len(self.warning_kinds) < MAX_WARNING_KINDS:
            self.warning_kinds.add(message)

    def check_rejected_share(self, limit: float) -> None:
        """Fail a data set whose rows were mostly rejected: something is wrong upstream."""
        seen = self.rows + self.rejected
        if seen and self.rejected / seen > limit:
            self.fail(
                f"{self.rejected} of {seen} rows rejected (over {limit:.0%}); they are kept in"
                " rejected_rows with the reason"
            )

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def window(self, start: datetime, end: datetime) -> None:
        self.window_start = start if self.window_start is None else min(self.window_start, start)
        self.window_end = end if self.window_end is None else max(self.window_end, end)

    def finish(self) -> None:
        self.finished_at = _now()
        if self.warnings:
            self.note(
                f"{self.warnings} row(s) kept with values Amazon does not document: "
                + "; ".join(sorted(self.warning_kinds))
            )
        if self.errors:
            self.status = "failed"
        elif self.rejected:
            self.status = "partial"  # loaded, but rows sit in rejected_rows
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
            "rows_with_warnings": self.warnings,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "error": "; ".join(self.errors) or None,
            "notes": "; ".join(self.notes) or None,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
