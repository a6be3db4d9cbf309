"""How long `clario --help`, `clario status --help` and `clario status` take as a user runs
them (a new process each time; the best of five). Targets: help under 1 s, status under 3 s.

    .venv/bin/python bench/cli_speed.py [--data-dir data]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

CLARIO = str(Path(sys.executable).with_name("clario"))


def best_of(args: list[str], times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        subprocess.run([CLARIO, *args], capture_output=True, check=False)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    options = parser.parse_args()
    for args in (["--help"], ["status", "--help"], ["status", "--data-dir", options.data_dir]):
        print(f"clario {' '.join(args):40} {best_of(args):6.2f} s")


if __name__ == "__main__":
    main()
