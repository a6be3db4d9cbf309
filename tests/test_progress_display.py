"""The progress `clario run` and `clario sync` show while the flow runs (flows/progress.py),
fed real run records as the extraction updates them: a live table on a terminal, plain
lines without ANSI codes anywhere else. (Here, not under tests/flows: no Prefect server
is needed to draw a table.)"""

from __future__ import annotations

import io
import re

from rich.console import Console

from extract.run import DataSetRun
from flows import progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _runs() -> tuple[DataSetRun, DataSetRun, DataSetRun]:
    """Orders half-way (3 pages read), returns waiting on two reports, a failed seller."""
    orders = DataSetRun("A1SELLER", "orders")
    orders.pages, orders.rows = 3, 250
    returns = DataSetRun("A1SELLER", "customer_returns", retries=1)
    returns.reports_waiting = 2
    broken = DataSetRun("B2SELLER", "all")
    broken.fail("could not connect to http://127.0.0.1:9: connection refused; check ...")
    broken.finish()
    return orders, returns, broken


def test_the_live_table_shows_each_data_set_as_it_goes() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=140, height=40)
    board = progress.RunProgress(
        console, ["A1SELLER", "B2SELLER"], ["orders", "customer_returns", "finances"], live=True
    )
    orders, returns, broken = _runs()
    with progress.reporting_to(board):
        progress.phase("syncing 2 seller(s)")
        progress.data_set_started(orders)
        progress.data_set_started(returns)
        progress.data_set_finished(broken)
    console.print(board._render())
    text = ANSI.sub("", screen.getvalue())
    rows = {
        tuple(cell.strip() for cell in line.split("│")[1:4]): line for line in text.splitlines()
    }
    assert "syncing 2 seller(s) - 3 of 6 data sets done, 1 failed" in text
    assert re.search(r"extracting\s+│\s+3 │\s+250 │", rows[("A1SELLER", "orders", "extracting")])
    waiting = rows[("A1SELLER", "customer_returns", "waiting for 2 report(s) (attempt 2)")]
    assert "0 (+2 waiting)" in waiting
    assert ("A1SELLER", "finances", "queued") in rows
    assert ("B2SELLER", "orders", "not run") in rows  # its seller failed before it ran
    assert ("B2SELLER", "all", "failed") in rows
    # nothing is drawn once the run ends: the summary table takes its place
    assert progress._sink is None


def test_off_a_terminal_one_plain_line_per_data_set_as_it_ends() -> None:
    log = io.StringIO()
    console = Console(file=log, no_color=True, highlight=False, width=250, soft_wrap=True)
    board = progress.RunProgress(console, ["A1SELLER", "B2SELLER"], ["orders"], live=False)
    orders, _, broken = _runs()
    with progress.reporting_to(board):
        progress.data_set_started(orders)  # nothing yet: it has not ended
        orders.rows_loaded = 250
        orders.finish()
        progress.data_set_finished(orders)
        progress.data_set_finished(broken)
    lines = log.getvalue().splitlines()
    assert not ANSI.search(log.getvalue())
    assert lines[0].startswith("A1SELLER orders: ok, 250 rows (3 page(s)), ")
    assert lines[1].startswith("B2SELLER all: failed, 0 rows, ")
    assert lines[1].endswith(
        "- could not connect to http://127.0.0.1:9: connection refused; check ..."
    )
    assert len(lines) == 2
