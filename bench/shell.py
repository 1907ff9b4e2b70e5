"""Benchmark: the command line's wall time for a one-day plan, start to exit.

Target (issue: interactive speed): ``tourplan plan ... --format json`` for
one day at most 0.6 s of wall time, measured after one warm-up run (the
warm-up loads the numba cache and the crowd forecast into their disk
caches). Runs the command ``--runs`` times, each in a fresh process, and
prints the median and the range of the wall time, the median CPU time of
the child (user + system) and the load average before and after, since a
shared machine's wall time says little without it.

    python bench/shell.py [--runs 9] [--days 1] [--help-only] [--study] [--bytecode] [--root CHECKOUT]

``--help-only`` times ``tourplan plan --help`` instead (imports and the
command line, no planning); with ``--study`` the commands are the README's
study tour (six buses) and ``tourplan study-tour --help``. ``--root`` runs
another checkout's code (its ``tourplan`` package), to compare two versions
under the same load.

Python's own start-up cache counts too: without the bytecode of the
package's modules, every process compiles them from source (about 0.07 s
for a plan). An installed package has it (pip compiles it on install), and
a plain ``python`` writes it on the first run; with
``PYTHONDONTWRITEBYTECODE`` set, as in this project's shared sandbox, an
editable checkout never gets it. The summary line says which case ran;
``--bytecode`` measures the installed case: the children may write bytecode,
into a temporary ``PYTHONPYCACHEPREFIX`` (so the checkout stays clean), and
the warm-up run writes it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = ["plan", "--interests", "mountain=1,history=0.5", "--date", "2027-05-12", "--start", "jiaozuo_station",
        "--mode", "drive", "--format", "json"]  # fmt: skip
STUDY = ["study-tour", "--school", "NAME", "--grade", "junior", "--students", "240", "--group-size", "40",
         "--buses", "6", "--seats", "53", "--date", "2026-05-12", "--themes", "science,history", "--format", "json"]  # fmt: skip


def run_once(args: list[str], root: Path = ROOT, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one ``python -m tourplan.cli ARGS`` process in ``root``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(root)}
    subprocess.run(
        [sys.executable, "-m", "tourplan.cli", *args], cwd=root, env=env, check=True, capture_output=True
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--help-only", action="store_true", help="time the command's --help")
    ap.add_argument("--study", action="store_true", help="time the README's study tour instead of a plan")
    ap.add_argument(
        "--bytecode", action="store_true", help="let the children cache bytecode (in a temporary dir)"
    )
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose code runs (default: this one)")
    args = ap.parse_args()
    if args.help_only:
        cmd = [STUDY[0] if args.study else PLAN[0], "--help"]
    else:
        cmd = STUDY if args.study else [*PLAN, "--days", str(args.days)]
    with tempfile.TemporaryDirectory(prefix="tourplan-pycache-") as prefix:
        env = dict(os.environ)
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = prefix
        bytecode = (
            "cached" if not env.get("PYTHONDONTWRITEBYTECODE") else "not written (PYTHONDONTWRITEBYTECODE)"
        )
        load_before = os.getloadavg()[0]
        # warm-up: the disk caches (numba, crowd forecast, bytecode) and the OS's file cache
        run_once(cmd, args.root, env)
        walls, cpus = zip(*(run_once(cmd, args.root, env) for _ in range(args.runs)), strict=True)
        load_after = os.getloadavg()[0]
    print(f"tourplan {' '.join(cmd)}  ({args.root})")
    print(
        f"{args.runs} runs: median wall {statistics.median(walls):.3f} s "
        f"(min {min(walls):.3f}, max {max(walls):.3f}); median CPU {statistics.median(cpus):.3f} s; "
        f"load {load_before:.2f} -> {load_after:.2f} on {os.cpu_count()} cores; bytecode {bytecode}"
    )
    if not (args.help_only or args.study):
        print(
            f"target: at most 0.6 s wall for one day -> {'met' if statistics.median(walls) <= 0.6 else 'missed'}"
        )


if __name__ == "__main__":
    main()
