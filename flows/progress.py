"""Progress of a run, as it happens, for the operator who started it.

The `sync` flow's tasks run in threads of the process that runs the flow (Prefect's
thread-pool task runner), so `clario run` and `clario sync` install a sink here and the
tasks feed it the extraction's run records (`extract.run.DataSetRun`) as data sets start
and end. When the flow runs elsewhere (`clario serve`, a worker) nothing is installed,
and the calls below do nothing.

Two displays:
- a terminal: a live table, one row per seller x data set (stage, pages, rows, reports
  waiting, seconds), redrawn four times a second and cleared at the end, when the summary
  table takes its place;
- anything else (a file, a pipe, a CI log): one plain line per seller x data set as it
  ends, without ANSI codes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from extract.run import DataSetRun


class ProgressSink(Protocol):
    def started(self, run: DataSetRun) -> None: ...
    def finished(self, run: DataSetRun) -> None: ...
    def phase(self, text: str) -> None: ...


_sink: ProgressSink | None = None


@contextmanager
def reporting_to(sink: ProgressSink) -> Iterator[None]:
    """Send this process's progress to `sink` while the block runs."""
    global _sink
    previous, _sink = _sink, sink
    try:
        yield
    finally:
        _sink = previous


def data_set_started(run: DataSetRun) -> None:
    """An attempt at a data set started; `run` keeps changing as it goes on."""
    if _sink is not None:
        _sink.started(run)


def data_set_finished(run: DataSetRun) -> None:
    if _sink is not None:
        _sink.finished(run)


def phase(text: str) -> None:
    """What the run as a whole is doing now (starting, syncing, building the marts)."""
    if _sink is not None:
        _sink.phase(text)


def finished_line(run: DataSetRun) -> str:
    """A data set's end in one plain line, e.g. `A1B2 orders: ok, 120 rows (3 pages), 4.1 s`."""
    counts = f"{run.rows_loaded} rows"
    read = [f"{run.pages} page(s)"] if run.pages else []
    read += [f"{len(run.reports)} report(s)"] if run.reports else []
    if read:
        counts += f" ({', '.join(read)})"
    if run.rejected:
        counts += f", {run.rejected} rejected"
    if run.pending:
        counts += ", a report still being prepared"
    line = f"{run.seller_id} {run.data_set}: {run.status}, {counts}, {run.duration_seconds:.1f} s"
    if run.errors:
        line += f" - {'; '.join(run.errors)}"
    return line


class RunProgress:
    """The sink `clario run` and `clario sync` install: a live table or plain lines."""

    def __init__(
        self, console: Console, sellers: list[str], data_sets: list[str], live: bool
    ) -> None:
        self.console = console
        self.plan = [(seller, data_set) for seller in sellers for data_set in data_sets]
        self.live = live
        self._runs: dict[tuple[str, str], DataSetRun] = {}
        self._failed_sellers: set[str] = set()
        self._phase = "starting"
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._display: Live | None = None

    def __enter__(self) -> RunProgress:
        if self.live:
            from rich.live import Live

            self._display = Live(
                console=self.console,
                transient=True,  # the summary table replaces it
                refresh_per_second=4,
                get_renderable=self._render,
            )
            self._display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None

    # --- the sink ---------------------------------------------------------------------

    def started(self, run: DataSetRun) -> None:
        with self._lock:
            self._runs[(run.seller_id, run.data_set)] = run

    def finished(self, run: DataSetRun) -> None:
        with self._lock:
            self._runs[(run.seller_id, run.data_set)] = run
            if run.data_set == "all":  # the seller failed before its data sets could run
                self._failed_sellers.add(run.seller_id)
                if (run.seller_id, "all") not in self.plan:
                    self.plan.append((run.seller_id, "all"))
        if not self.live:
            self.console.print(finished_line(run), markup=False, highlight=False)

    def phase(self, text: str) -> None:
        self._phase = text
        if not self.live:
            self.console.print(text, markup=False, highlight=False)

    # --- the live table ---------------------------------------------------------------

    def _row(self, key: tuple[str, str]) -> tuple[str, ...]:
        run = self._runs.get(key)
        seller, data_set = key
        if run is None:
            status = "not run" if seller in self._failed_sellers else "[dim]queued[/dim]"
            return (seller, data_set, status, "", "", "", "")
        reports = (f"{len(run.reports)}" if run.reports or run.reports_waiting else "") + (
            f" (+{run.reports_waiting} waiting)" if run.reports_waiting else ""
        )
        if run.finished_at is not None:
            colour = {"ok": "green", "failed": "red"}.get(run.status, "yellow")
            rows = str(run.rows_loaded)
            status = f"[{colour}]{run.status}[/{colour}]"
        else:
            rows = str(run.rows)
            status = run.stage
            if run.stage == "extracting" and run.reports_waiting:
                status = f"waiting for {run.reports_waiting} report(s)"
            if run.retries:
                status += f" (attempt {run.retries + 1})"
        pages = str(run.pages) if run.pages else ""
        return (seller, data_set, status, pages, rows, reports, f"{run.duration_seconds:.0f}")

    def _render(self) -> RenderableType:
        from rich.table import Table

        with self._lock:
            keys = list(self.plan)
            runs = dict(self._runs)
        ended = [k for k in keys if k in runs and runs[k].finished_at is not None]
        failed = [k for k in ended if runs[k].status == "failed"]
        skipped = [k for k in keys if k not in runs and k[0] in self._failed_sellers]
        # a seller's `all` row (it failed as a whole) is not one more data set
        done = len([k for k in ended if k[1] != "all"]) + len(skipped)
        total = len([k for k in keys if k[1] != "all"])
        elapsed = time.monotonic() - self._started
        title = f"{self._phase} - {done} of {total} data sets done" + (
            f", {len(failed)} failed" if failed else ""
        )
        table = Table(title=f"{title} - {elapsed:.0f} s", title_justify="left")
        for column in ("seller", "data set", "status", "pages", "rows", "reports", "s"):
            table.add_column(
                column, justify="right" if column in ("pages", "rows", "s") else "left"
            )
        # on a short terminal, the data sets running and those that failed
        room = max(3, self.console.height - 8)
        shown = keys
        if len(keys) > room:
            running = [k for k in keys if k in runs and runs[k].finished_at is None]
            shown = (running + failed)[:room]
            queued = sum(1 for k in keys if k not in runs) - len(skipped)
            table.caption = f"{len(keys) - len(shown)} more: {len(ended) - len(failed)} ended"
            table.caption += f", {queued} queued" if queued else ""
        for key in shown:
            table.add_row(*self._row(key))
        return table
