"""The console `clario` prints to: tables and colors on a terminal; plain, unwrapped lines
(no ANSI codes, tables as wide as they need) when the output goes to a file or a pipe,
so logs and scripts read whole values."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, soft_wrap=True, width=250, no_color=True, highlight=False)
