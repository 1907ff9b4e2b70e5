"""Upper bounds for the one-route rows of the OPTW benchmark (tourplan.optimize.bound).

For each instance (m = 1) this prints the bound, how the search ended, and the
reference score of ``bks.csv``: with ``--target bks`` it asks "can any route
reach the reference?" (a reference above the bound is out of reach under the
benchmark's rules); without a target it looks for the optimum itself.

Usage::

    python bench/optw_bound.py --instances c101,r102,pr01
    python bench/optw_bound.py --instances pr16 --target bks
    python bench/optw_bound.py --instances pr16 --target 651 --time-limit 3600

Times follow the benchmark's convention (Euclidean distance truncated to 2
decimals for ``pr`` files, 1 for Solomon files), so ``scale`` is 100 or 10.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tourplan.errors import SolverError  # noqa: E402
from tourplan.optimize import read_optw  # noqa: E402
from tourplan.optimize.bound import upper_bound  # noqa: E402

BENCH = Path(os.environ.get("OPTW_BENCH", "/work/shared/bench/optw"))
if not BENCH.exists():
    BENCH = ROOT.parent / "shared" / "bench" / "optw"


def _progress(rnd: int, best: int, labels: int, added: int, seconds: float) -> None:
    print(f"  round {rnd:>3}: best path {best}, {labels:,} labels, {added} neighbours added, {seconds:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", required=True, help="comma-separated names, e.g. c101,pr16")
    ap.add_argument("--target", default=None, help="'bks' (the reference score), a number, or none")
    ap.add_argument("--neighbours", type=int, default=8)
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per instance (checked between rounds)")
    ap.add_argument("--max-rounds", type=int, default=500)
    ap.add_argument("--paths", type=int, default=0, help="also forbid the cycles of this many more paths per round")
    ap.add_argument("--verbose", action="store_true", help="print every round")
    args = ap.parse_args(argv)
    bks = {
        row["instance"]: (int(row["bks"]), row["source"].split(":")[0])
        for row in csv.DictReader((BENCH / "bks.csv").open(encoding="utf-8"))
        if row["m"] == "1"
    }
    print(f"{'instance':<9}{'bks':>6} {'source':<15}{'target':>7}{'bound':>7}  {'ended':<13}{'rounds':>7}"
          f"{'labels':>10}{'time s':>8}  reference")  # fmt: skip
    for name in args.instances.split(","):
        ref, source = bks.get(name, (None, ""))
        target = None
        if args.target == "bks":
            target = ref
        elif args.target not in (None, "none"):
            target = int(args.target)
        _, problem = read_optw(BENCH / "instances" / f"{name}.txt", routes=1)
        scale = 100 if name.startswith("pr") else 10
        t0 = time.perf_counter()
        try:
            res = upper_bound(
                problem, scale=scale, target=target, neighbours=args.neighbours,
                max_rounds=args.max_rounds, time_limit=args.time_limit, paths=args.paths,
                progress=_progress if args.verbose else None,
            )  # fmt: skip
        except SolverError as exc:
            print(f"{name:<9} failed after {time.perf_counter() - t0:.0f} s: {exc}")
            continue
        verdict = ""
        if ref is not None:
            verdict = "OUT OF REACH" if ref > res.bound else ("= optimum" if res.optimal and ref == res.bound else "")
        print(
            f"{name:<9}{ref if ref is not None else '-':>6} {source:<15}{target if target else '-':>7}{res.bound:>7}  "
            f"{res.stopped:<13}{res.rounds:>7}{res.labels:>10}{res.seconds:>8.1f}  {verdict}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
