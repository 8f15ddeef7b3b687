"""CLI start-up: wall time of `annobot --help` and `annobot guidelines list` in fresh processes.

Usage: .venv/bin/python bench/startup.py [--runs 30] [--root CHECKOUT ...]

Each command runs as the console script does (`from bot.cli import main; main()`) in a new
interpreter, against a SQLite database in a temporary directory where the example guidelines are
published first (untimed). With several --root checkouts (e.g. main and this branch) the runs are
interleaved, so that the machine's load falls on each alike. Prints median and p90 of wall time and
of CPU time (user + sys) per command; figures go to BENCHMARKS.md ("Start-up").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMMANDS = {"annobot --help": ["--help"], "annobot guidelines list": ["guidelines", "list"]}
# What the `annobot` console script runs, with the checkout under test first on sys.path.
ENTRY = "import sys; sys.path.insert(0, sys.argv.pop(1)); from bot.cli import main; main()"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run_once(root: Path, args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one command in a fresh interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", ENTRY, str(root), *args],
        env=env,
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Publish the examples into a temporary SQLite file, then time each command on each checkout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per command and checkout")
    parser.add_argument(
        "--root",
        type=Path,
        action="append",
        help="checkout whose code to run (repeatable; default: this one)",
    )
    opts = parser.parse_args()
    roots = [r.resolve() for r in (opts.root or [HERE])]
    with tempfile.TemporaryDirectory(prefix="annobot-startup-") as tmp:
        cwd = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "ANNOBOT_CONFIG"}
        env["ANNOBOT_DATABASE_URL"] = f"sqlite:///{cwd / 'bench.db'}"
        folders = sorted(str(p) for p in (HERE / "examples" / "guidelines").glob("*/v*"))
        subprocess.run(
            [sys.executable, "-c", ENTRY, str(roots[0]), "guidelines", "publish", *folders],
            env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for root in roots:
            where = subprocess.run(
                [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import bot; print(bot.__file__)",
                 str(root)], capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            if not where.startswith(str(root)):
                sys.exit(f"{root}: its bot package is not the one imported ({where})")
            for args in COMMANDS.values():  # warm-up: byte-code caches, page cache
                run_once(root, args, env, cwd)
        load_before = os.getloadavg()
        samples: dict[tuple[Path, str], list[tuple[float, float]]] = {}
        for _ in range(opts.runs):
            for name, args in COMMANDS.items():
                for root in roots:
                    samples.setdefault((root, name), []).append(run_once(root, args, env, cwd))
        load_after = os.getloadavg()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · load avg (1 min) {load_before[0]:.2f} -> {load_after[0]:.2f} · "
        f"{opts.runs} runs each"
    )
    print("| checkout | command | wall median | wall p90 | CPU median | CPU p90 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (root, name), runs in samples.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"| {root} | `{name}` | {statistics.median(walls):.3f} s | {percentile(walls, 90):.3f} s | "
            f"{statistics.median(cpus):.3f} s | {percentile(cpus, 90):.3f} s |"
        )


if __name__ == "__main__":
    main()
