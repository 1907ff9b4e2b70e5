"""Benchmark the orienteering engine on the OPTW/TOPTW sets (76 instances x m = 1..4).

Every solution, whatever engine made it, is re-checked with
:func:`tourplan.optimize.check_solution`.

Usage::

    python bench/optw.py --time-limit 2 --jobs 2 --compare
    python bench/optw.py --instances c101,r205 --m 1,2
    python bench/optw.py --time-limit 0.1 --jobs 2 --deterministic --seeds 0,1,2,3,4

The last line per engine is
``rows N, feasible N, mean gap X %, worst gap Y % (instance), time limit S s``.

Some references (VNS best-of-runs values) are above what any route can score
under the benchmark's rules: ``bench/optw_bounds.csv`` lists the upper bounds
that ``bench/optw_bound.py`` proved for them, with the command. A second line
per engine gives the gaps to the reference capped by those bounds (a score
equal to the bound is then a gap of 0), which is the most any solver can reach;
where the file says ``optimal``, the bound is the optimum and a route reaches it.

``--seeds`` runs every row once per seed: the table then gives each row's gap
per seed, and the summary lines come once per seed, followed by one line per
engine over all seeds (the mean of the seeds' mean gaps, the worst row of any
seed, and how many runs of a row were above 5 %), so a worst row is judged by
its spread rather than one seed's draw.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tourplan.optimize import Problem, SolveParams, check_solution, read_optw, solve  # noqa: E402
from tourplan.optimize.rate import work_rate  # noqa: E402
from tourplan.optimize.solve import WORK_PER_SECOND  # noqa: E402

BENCH = Path(os.environ.get("OPTW_BENCH", "/work/shared/bench/optw"))
if not BENCH.exists():  # CI lays shared/ beside the clone
    BENCH = ROOT.parent / "shared" / "bench" / "optw"
ENGINES = ("tourplan", "pyvrp", "ortools")
CLIENT_OFFSET = int(os.environ.get("PYVRP_CLIENT_OFFSET", "1"))


def _scale(name: str, decimals: int | None) -> int:
    d = decimals if decimals is not None else (2 if name.startswith("pr") else 1)
    return int(10**d)


def _ints(a: np.ndarray, scale: int) -> np.ndarray:
    return np.rint(np.asarray(a) * scale).astype(np.int64)


def solve_pyvrp(problem: Problem, scale: int, time_limit: float, seed: int) -> list[list[int]]:
    """PyVRP used directly as a prize-collecting VRPTW on integer-scaled times."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    n = problem.n
    travel = _ints(problem.travel, scale)
    tmax = int(round(problem.routes[0].latest * scale))
    prize_unit = 100 * scale
    locations = [pyvrp.Location(0, 0) for _ in range(n)]
    clients = []
    for i in range(1, n):
        (a, b) = problem.windows[i][0]
        clients.append(
            pyvrp.Client(
                location=i,
                service_duration=int(round(problem.service[i] * scale)),
                tw_early=int(round(a * scale)),
                tw_late=int(round(b * scale)),
                prize=int(round(problem.scores[i] * prize_unit)),
                required=False,
            )
        )
    depots = [pyvrp.Depot(location=0, tw_early=0, tw_late=tmax)]
    vehicles = [pyvrp.VehicleType(num_available=problem.m, tw_early=0, tw_late=tmax)]
    data = pyvrp.ProblemData(locations, clients, depots, vehicles, [travel], [travel])
    res = pyvrp.solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    return [[CLIENT_OFFSET + a.idx for a in r if a.is_client()] for r in res.best.routes()]


def solve_ortools(problem: Problem, scale: int, time_limit: float, seed: int) -> list[list[int]]:
    """OR-Tools routing with disjunction penalties and guided local search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, m = problem.n, problem.m
    travel = _ints(problem.travel, scale).tolist()
    service = _ints(problem.service, scale).tolist()
    tmax = int(round(problem.routes[0].latest * scale))
    manager = pywrapcp.RoutingIndexManager(n, m, 0)
    routing = pywrapcp.RoutingModel(manager)

    def arc(i: int, j: int) -> int:
        return int(travel[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(service[a] + travel[a][b])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    tcb = routing.RegisterTransitCallback(time_cb)
    routing.AddDimension(tcb, tmax, tmax, True, "Time")
    dim = routing.GetDimensionOrDie("Time")
    for i in range(1, n):
        a, b = problem.windows[i][0]
        idx = manager.NodeToIndex(i)
        dim.CumulVar(idx).SetRange(int(round(a * scale)), int(round(b * scale)))
        routing.AddDisjunction([idx], int(round(problem.scores[i] * 100 * scale)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    sol = routing.SolveWithParameters(params)
    routes: list[list[int]] = []
    if sol is None:
        return [[] for _ in range(m)]
    for v in range(m):
        idx = routing.Start(v)
        seq = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            seq.append(manager.IndexToNode(idx))
            idx = sol.Value(routing.NextVar(idx))
        routes.append(seq)
    return routes


def proven_bounds(path: Path = ROOT / "bench" / "optw_bounds.csv") -> dict[tuple[str, int], float]:
    """Proven upper bounds on (instance, m) rows whose reference no route reaches."""
    with path.open(newline="", encoding="utf-8") as fh:
        return {(r["instance"], int(r["m"])): float(r["bound"]) for r in csv.DictReader(fh)}


def _gap(ref: float, row: dict[str, Any]) -> float:
    """Per cent below ``ref`` (100 for an infeasible solution)."""
    return (ref - row["score"]) / ref * 100 if row["feasible"] else 100.0


def run_row(args: tuple[str, str, int, float, int, int | None, bool, int]) -> dict[str, Any]:
    """Solve one (engine, instance, m) row and re-check it."""
    engine, name, m, time_limit, seed, decimals, deterministic, threads = args
    _, problem = read_optw(BENCH / "instances" / f"{name}.txt", routes=m, decimals=decimals)
    t0 = time.perf_counter()
    if engine == "tourplan":
        # deterministic: the reference machine's work, so scores match on every machine
        params = SolveParams(work_rate=WORK_PER_SECOND if deterministic else None, threads=threads)
        sol = solve(problem, time_limit=time_limit, seed=seed, params=params, deterministic=deterministic)
        routes = [list(r) for r in sol.routes]
    elif engine == "pyvrp":
        routes = solve_pyvrp(problem, _scale(name, decimals), time_limit, seed)
    else:
        routes = solve_ortools(problem, _scale(name, decimals), time_limit, seed)
    runtime = time.perf_counter() - t0
    issues = check_solution(problem, routes)
    visited = {i for r in routes for i in r}
    score = float(sum(problem.scores[i] for i in visited))
    return {
        "engine": engine,
        "instance": name,
        "m": m,
        "score": score,
        "feasible": not issues,
        "issue": issues[0] if issues else "",
        "runtime": runtime,
    }


def _load() -> str:
    """The machine's load averages (1, 5, 15 min), or '?' where the OS does not say."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _warm() -> None:
    from tourplan.optimize.solve import warm_up

    warm_up()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table and summary lines."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--instances", default="", help="comma-separated names (default: all 76)")
    ap.add_argument("--m", default="1,2,3,4", help="route counts, e.g. 1,2")
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--seeds", default="", help="comma-separated seeds, each row run once per seed (overrides --seed)"
    )
    ap.add_argument("--jobs", type=int, default=1, help="parallel processes (capped at 2)")
    ap.add_argument("--decimals", type=int, default=None)
    ap.add_argument("--compare", action="store_true", help="also run PyVRP and OR-Tools")
    ap.add_argument("--engines", default="", help="explicit engine list (overrides --compare)")
    ap.add_argument(
        "--deterministic",
        action="store_true",
        help="tourplan does the reference machine's work (WORK_PER_SECOND) and stops on it only: the same "
        "scores on any machine and under any load (the runtime may differ from the limit)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per tourplan solve (SolveParams.threads; PyVRP and OR-Tools search on one); "
        "--jobs is lowered so that jobs x threads fits the cores",
    )
    a = ap.parse_args(argv)
    if a.threads < 1:
        ap.error("--threads: expected a positive number")

    with open(BENCH / "bks.csv", newline="") as fh:
        bks = {(r["instance"], int(r["m"])): float(r["bks"]) for r in csv.DictReader(fh)}
    names = [s for s in a.instances.split(",") if s] or sorted({k[0] for k in bks})
    ms = [int(x) for x in a.m.split(",") if x]
    rows = [(nm, m) for nm in names for m in ms if (nm, m) in bks]
    missing = [(nm, m) for nm in names for m in ms if (nm, m) not in bks]
    if missing:
        print(f"no reference score for {missing}; skipped", file=sys.stderr)
    engines = [e for e in a.engines.split(",") if e] or (list(ENGINES) if a.compare else ["tourplan"])
    cores = os.cpu_count() or 1
    jobs = max(1, min(a.jobs, 2, cores // a.threads))
    seeds = [int(x) for x in a.seeds.split(",") if x] or [a.seed]
    print(
        f"# {len(rows)} rows x {len(engines)} engines, time limit {a.time_limit:g} s,"
        f" seed{'s' if len(seeds) > 1 else ''} {','.join(map(str, seeds))},"
        f" {jobs} parallel jobs on {cores} cores (capped at 2 so no solver is starved),"
        f" tourplan on {a.threads} thread{'s' if a.threads > 1 else ''};"
        f" tourplan's work rate {WORK_PER_SECOND / 1e6 if a.deterministic else work_rate() / 1e6:.1f} million units/s"
        f" ({'the reference machine' if a.deterministic else 'this machine, measured once'}), load {_load()}"
    )
    results: dict[str, list[dict[str, Any]]] = {}
    ctx = mp.get_context("spawn")
    for engine in engines:
        tasks = [
            (engine, nm, m, a.time_limit, s, a.decimals, a.deterministic, a.threads)
            for s in seeds
            for nm, m in rows
        ]
        with ctx.Pool(jobs, initializer=_warm) as pool:
            out = pool.map(run_row, tasks, chunksize=1)
        for r, task in zip(out, tasks, strict=True):
            r["seed"] = task[4]
            r["gap"] = _gap(bks[(r["instance"], r["m"])], r)
        results[engine] = out
        print(f"\n## {engine}")
        if len(seeds) > 1:
            _spread_table(out, bks, seeds)
            continue
        print(f"{'instance':10s} {'m':>2s} {'bks':>7s} {'score':>7s} {'gap%':>7s} {'time':>6s} ok")
        for r in out:
            ref = bks[(r["instance"], r["m"])]
            print(
                f"{r['instance']:10s} {r['m']:2d} {ref:7g} {r['score']:7g} {r['gap']:7.2f}"
                f" {r['runtime']:6.2f} {'yes' if r['feasible'] else 'NO ' + r['issue']}"
            )
    print(f"\nload averages at the end (1, 5, 15 min): {_load()}")
    for seed in seeds:
        if len(seeds) > 1:
            print(f"\n# seed {seed}")
        _summaries({e: [r for r in results[e] if r["seed"] == seed] for e in engines}, bks, a.time_limit)
    if len(seeds) > 1:
        print(f"\n# over seeds {','.join(map(str, seeds))}")
        for engine in engines:
            out = results[engine]
            means = [float(np.mean([r["gap"] for r in out if r["seed"] == s])) for s in seeds]
            worst = max(out, key=lambda r: r["gap"])
            print(
                f"{engine} over {len(seeds)} seeds: mean gap {float(np.mean(means)):.2f} % "
                f"(seeds {min(means):.2f}-{max(means):.2f} %), worst gap {worst['gap']:.2f} % "
                f"({worst['instance']} m={worst['m']} seed {worst['seed']}), runs above 5 %: "
                f"{sum(r['gap'] > 5 for r in out)} of {len(out)}, feasible {sum(r['feasible'] for r in out)}"
            )
    return 0


def _spread_table(out: list[dict[str, Any]], bks: dict[tuple[str, int], float], seeds: list[int]) -> None:
    """Each row's gap per seed, with their mean and maximum."""
    by_row: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
    for r in out:
        by_row.setdefault((r["instance"], r["m"]), {})[r["seed"]] = r
    head = " ".join(f"{'s' + str(s):>6s}" for s in seeds)
    print(f"{'instance':10s} {'m':>2s} {'bks':>7s} {head} {'mean':>6s} {'max':>6s} ok (gap % per seed)")
    for (name, m), per in by_row.items():
        gaps = [per[s]["gap"] for s in seeds]
        bad = [f"seed {s}: {per[s]['issue']}" for s in seeds if not per[s]["feasible"]]
        print(
            f"{name:10s} {m:2d} {bks[(name, m)]:7g} {' '.join(f'{g:6.2f}' for g in gaps)}"
            f" {float(np.mean(gaps)):6.2f} {max(gaps):6.2f} {'yes' if not bad else 'NO ' + '; '.join(bad)}"
        )


def _summaries(
    results: dict[str, list[dict[str, Any]]], bks: dict[tuple[str, int], float], limit: float
) -> None:
    """The capped-gap line and the summary line of each engine, for one seed's rows."""
    engines = list(results)
    caps = proven_bounds()
    for engine in engines:
        capped = []
        for r in results[engine]:
            ref = min(bks[(r["instance"], r["m"])], caps.get((r["instance"], r["m"]), float("inf")))
            capped.append((_gap(ref, r), r["instance"], r["m"]))
        worst_c = max(capped)
        print(
            f"{engine} against references capped by proven bounds (bench/optw_bounds.csv): "
            f"mean gap {float(np.mean([c[0] for c in capped])):.2f} %, "
            f"worst gap {worst_c[0]:.2f} % ({worst_c[1]} m={worst_c[2]})"
        )
    print()
    for engine in engines:
        out = results[engine]
        gaps = [r["gap"] for r in out]
        worst = max(out, key=lambda r: r["gap"])
        feas = sum(r["feasible"] for r in out)
        slowest = max(r["runtime"] for r in out)
        print(
            f"{engine}: median runtime {float(np.median([r['runtime'] for r in out])):.3f} s, max {slowest:.3f} s; "
            f"rows {len(out)}, feasible {feas}, mean gap {float(np.mean(gaps)):.2f} %, "
            f"worst gap {worst['gap']:.2f} % ({worst['instance']} m={worst['m']}), "
            f"time limit {limit:g} s"
        )


if __name__ == "__main__":
    raise SystemExit(main())
