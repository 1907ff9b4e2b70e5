"""Measure the engine's work rate: work units per second of a solve.

A solve runs on a work budget of ``budget_fraction * time_limit * rate`` units
(``tourplan/optimize/solve.py``), where the rate is this machine's, measured
once on two synthetic problems and cached (``tourplan/optimize/rate.py``).
This script solves benchmark rows for a fixed budget (the reference rate
``WORK_PER_SECOND`` at ``--time-limit``), as many processes at once as
``--jobs``, and prints per row the rate in wall time and in CPU time, and the
share of its time limit a solve at this machine's measured rate would take
(``limit share``: 1.0 means it ends exactly on its limit).

Usage::

    python bench/work_rate.py
    python bench/work_rate.py --instances pr16,c101 --m 1,3 --time-limit 0.1 --jobs 1
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tourplan.optimize import read_optw, solve  # noqa: E402
from tourplan.optimize.rate import measure_work_rate, work_rate  # noqa: E402
from tourplan.optimize.solve import WORK_PER_SECOND, SolveParams  # noqa: E402

BENCH = Path(os.environ.get("OPTW_BENCH", "/work/shared/bench/optw"))
if not BENCH.exists():
    BENCH = ROOT.parent / "shared" / "bench" / "optw"
DEFAULT = "pr16,pr20,pr05,pr12,c101,c206,r201,rc105"


def _one(args: tuple[str, int, float]) -> tuple[str, int, float, float]:
    """Return (name, m, wall rate, CPU rate) of one deterministic solve at the reference rate."""
    name, m, time_limit = args
    _, problem = read_optw(BENCH / "instances" / f"{name}.txt", routes=m)
    params = SolveParams(work_rate=WORK_PER_SECOND)
    solve(problem, time_limit=0.01, seed=0, params=params, deterministic=True)  # load the compiled engine first
    budget = params.budget_fraction * time_limit * WORK_PER_SECOND
    t0, c0 = time.perf_counter(), time.process_time()
    solve(problem, time_limit=time_limit, seed=0, params=params, deterministic=True)
    return name, m, budget / (time.perf_counter() - t0), budget / (time.process_time() - c0)


def main(argv: list[str] | None = None) -> int:
    """Print the per-row rates and their medians next to this machine's measured rate."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default=DEFAULT, help=f"comma-separated names (default: {DEFAULT})")
    ap.add_argument("--m", default="1,3", help="route counts, e.g. 1,3")
    ap.add_argument("--time-limit", type=float, default=0.5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    cached = work_rate()
    fresh = measure_work_rate()
    jobs = [(n, int(m), args.time_limit) for n in args.instances.split(",") for m in args.m.split(",")]
    with mp.get_context("spawn").Pool(max(1, args.jobs)) as pool:
        rows = pool.map(_one, jobs, chunksize=1)
    for name, m, wall, cpu in rows:
        print(
            f"{name:<8} m={m}  wall {wall / 1e6:6.1f}  cpu {cpu / 1e6:6.1f} million units/s"
            f"  limit share {SolveParams().budget_fraction * cached / wall:4.2f}"
        )
    walls = [r[2] for r in rows]
    cpus = [r[3] for r in rows]
    print(
        f"runs {len(rows)}, {args.jobs} at once: median wall {statistics.median(walls) / 1e6:.1f}"
        f" (min {min(walls) / 1e6:.1f}, max {max(walls) / 1e6:.1f}), median cpu {statistics.median(cpus) / 1e6:.1f}"
        f" million units/s; this machine's measured rate {cached / 1e6:.1f} (measured again now:"
        f" {fresh / 1e6:.1f}), reference WORK_PER_SECOND {WORK_PER_SECOND / 1e6:.1f}; load {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
