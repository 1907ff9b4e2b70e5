"""Measure the engine's work rate: work units per second of wall time.

The deterministic search stops on a work budget of
``budget_fraction * time_limit * WORK_PER_SECOND`` units, never on the clock
(``tourplan/optimize/solve.py``). This script solves benchmark instances whose
budget binds (large enough that the iteration cap does not stop them first)
with ``deterministic=True``, as many processes as cores at once (as
``bench/optw.py --jobs 2`` runs them), and prints work units per second per
run and the median, next to the constant in use and the runtime it gives at
the time limit.

Usage::

    python bench/work_rate.py
    python bench/work_rate.py --instances pr16,c101 --m 1,3 --time-limit 2
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
from tourplan.optimize.solve import WORK_PER_SECOND, SolveParams  # noqa: E402

BENCH = Path(os.environ.get("OPTW_BENCH", "/work/shared/bench/optw"))
if not BENCH.exists():
    BENCH = ROOT.parent / "shared" / "bench" / "optw"
DEFAULT = "pr16,pr20,pr05,pr12,c101,c206,r201,rc105"


def _one(args: tuple[str, int, float]) -> tuple[str, int, float, float]:
    name, m, time_limit = args
    _, problem = read_optw(BENCH / "instances" / f"{name}.txt", routes=m)
    solve(problem, time_limit=0.05, seed=0, deterministic=True)  # load the compiled engine first
    budget = int(SolveParams().budget_fraction * time_limit * WORK_PER_SECOND)
    t0 = time.perf_counter()
    solve(problem, time_limit=time_limit, seed=0, deterministic=True)
    seconds = time.perf_counter() - t0
    return name, m, budget / seconds, seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default=DEFAULT, help=f"comma-separated names (default: {DEFAULT})")
    ap.add_argument("--m", default="1,3", help="route counts, e.g. 1,3")
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    jobs = [(n, int(m), args.time_limit) for n in args.instances.split(",") for m in args.m.split(",")]
    with mp.get_context("spawn").Pool(max(1, args.jobs)) as pool:
        rows = pool.map(_one, jobs, chunksize=1)
    for name, m, rate, seconds in rows:
        print(f"{name:<8} m={m}  {rate / 1e6:6.1f} million work units/s  {seconds:5.2f} s")
    rates = [r[2] for r in rows]
    median = statistics.median(rates)
    print(
        f"runs {len(rows)}, {args.jobs} at once: median {median / 1e6:.1f}, min {min(rates) / 1e6:.1f}, "
        f"max {max(rates) / 1e6:.1f} million work units/s; WORK_PER_SECOND = {WORK_PER_SECOND / 1e6:.1f} million, "
        f"so a {args.time_limit:g} s limit runs {SolveParams().budget_fraction * WORK_PER_SECOND / median:.2f} x "
        "the limit at the median rate"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
