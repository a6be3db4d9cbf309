"""How long `clario` takes as a user runs it (a new process each time).

- `clario --help`, `clario sync --help`, `clario status --help`, `clario status`: the best
  of five, wall clock and CPU. Targets: help under 1 s, status under 3 s.
- with `--sync`: what going through the Prefect flow costs `clario sync` before and after
  the work: one seller, one small data set (`inventory`) from a local simulator, timed to
  the flow's start ("syncing" on stderr), to the data set's end, and to the exit. The
  first run starts with an empty PREFECT_HOME (Prefect creates its database), the later
  ones reuse it, as a user's runs do.

    .venv/bin/python bench/cli_speed.py [--data-dir data] [--sync [--runs 3]]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLARIO = str(Path(sys.executable).with_name("clario"))
ROOT = Path(__file__).resolve().parents[1]


def best_of(args: list[str], times: int = 5) -> tuple[float, float]:
    """The best wall-clock and CPU (user + system) seconds of `times` runs. CPU time says
    what the command costs when other work shares the machine and stretches the wall."""
    best_wall = best_cpu = float("inf")
    for _ in range(times):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([CLARIO, *args], capture_output=True, check=False)
        best_wall = min(best_wall, time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        best_cpu = min(best_cpu, cpu)
    return best_wall, best_cpu


def timed_sync(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds from the start to: the flow starting, the first data set's end, the exit."""
    marks: dict[str, float] = {}
    started = time.perf_counter()
    process = subprocess.Popen(
        [CLARIO, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    for line in process.stderr:
        now = time.perf_counter() - started
        if line.startswith("syncing"):
            marks.setdefault("flow started", now)
        elif ": ok," in line or ": failed," in line:
            marks.setdefault("first data set done", now)
    process.wait()
    marks["exit"] = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"clario {' '.join(args)} exited {process.returncode}")
    return marks


def sync_startup(runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from flows.demo import write_sellers_file
    from simulator.config import SimulatorSettings, WorldConfig
    from simulator.server import RunningSimulator
    from simulator.world import World

    world = World(WorldConfig(seed=3, sellers=1, history_days=2, orders_per_day=2))
    with (
        tempfile.TemporaryDirectory() as scratch,
        RunningSimulator(world, SimulatorSettings(rate_scale=1000)) as simulator,
    ):
        sellers = write_sellers_file(
            Path(scratch) / "sellers.toml", world.sellers, simulator.base_url
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {"PREFECT_HOME": f"{scratch}/prefect", "PYTHONPATH": str(ROOT)}
        for run in range(runs):
            args = ["sync", "--sellers-file", str(sellers), "--data-dir", f"{scratch}/data"]
            marks = timed_sync([*args, "--data-set", "inventory"], env)
            home = "new PREFECT_HOME" if run == 0 else "same PREFECT_HOME"
            figures = ", ".join(f"{name} {seconds:5.1f} s" for name, seconds in marks.items())
            print(f"clario sync --data-set inventory ({home:17}): {figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--sync", action="store_true", help="also time `clario sync`")
    parser.add_argument("--runs", type=int, default=3, help="`clario sync` runs to time")
    options = parser.parse_args()
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "PYTHONDONTWRITEBYTECODE is set: each start compiles every module again and the"
            " figures are higher than an installed clario's (PYTHONPYCACHEPREFIX=/tmp/pyc"
            " without it keeps the caches out of the venv)"
        )
    for args in (
        ["--help"],
        ["sync", "--help"],
        ["status", "--help"],
        ["status", "--data-dir", options.data_dir],
    ):
        wall, cpu = best_of(args)
        print(f"clario {' '.join(args):40} {wall:6.2f} s  (CPU {cpu:5.2f} s)")
    if options.sync:
        sync_startup(options.runs)


if __name__ == "__main__":
    main()
