"""Heuristic solver: the one-call entry point of the orienteering engine."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tourplan.errors import SolverError
from tourplan.optimize.check import build_solution
from tourplan.optimize.problem import Problem, Solution

WORK_PER_SECOND = 42.0e6
"""Work units (insertion/schedule checks) this engine does per second on the
reference 2-core machine; the deterministic budget is derived from it."""

_BIG_TIME = 1e18


@dataclass(frozen=True)
class SolveParams:
    """Tuning of the search (defaults are what the benchmark was measured with).

    Parameters
    ----------
    budget_fraction
        Fraction of ``time_limit * WORK_PER_SECOND`` used as the deterministic
        work budget; keeps normal runs well inside the wall-clock limit.
    noise
        Relative random noise on insertion ratios during recreate.
    tau0
        Initial acceptance threshold as a fraction of the best score; it decays
        linearly to zero over the budget.
    restart
        Iterations without a new best before restarting from the best.
    chunks
        Number of deterministic chunks the budget is cut into; the wall clock
        is only looked at between chunks.
    ruin_fraction, ruin_min, ruin_cap
        Each iteration removes ``k`` visits, ``k`` uniform in
        ``1 .. min(ruin_cap, max(ruin_min, ruin_fraction * visits))``.
    iterations_per_site
        Iteration cap ``1000 + iterations_per_site * m * sites``; it only binds
        on tiny problems, which then stop long before the work budget.
    expo
        Recreate inserts by ``value**expo / time consumed``; ``0`` draws the
        exponent uniformly in ``[1, 2]`` each iteration.
    starts, start_share
        The first ``start_share`` of the budget is split over ``starts``
        independent runs (the first from the plain greedy, the others from
        noisy greedy constructions); the rest continues from the best of them.
    swap
        After recreate, replace visits by unvisited nodes of higher value (or
        equal value and less time) in the same place.
    big
        Probability per iteration of a long segment ruin (a quarter to a half
        of the visits of one route).
    """

    budget_fraction: float = 0.6
    noise: float = 0.4
    tau0: float = 0.025
    restart: int = 3000
    chunks: int = 40
    ruin_fraction: float = 0.7
    ruin_min: int = 6
    ruin_cap: int = 10
    iterations_per_site: int = 300
    expo: float = 2.0
    starts: int = 4
    swap: bool = True
    big: float = 0.0
    start_share: float = 0.5

    def __post_init__(self) -> None:
        if not (self.budget_fraction > 0 and self.chunks >= 1 and self.restart >= 1 and self.starts >= 1):
            msg = f"SolveParams: expected positive budget, chunks, restart and starts, got {self!r}"
            raise SolverError(msg)


def _build(problem: Problem, params: SolveParams) -> tuple[tuple[Any, ...], np.ndarray]:
    """Return the engine's data tuple and the candidate node array."""
    n, m = problem.n, problem.m
    depots = problem.depots
    width = 1
    for r in range(m):
        for i in range(n):
            width = max(width, len(problem.windows_on(r, i)))
    wo = np.full((m, n, width), _BIG_TIME)
    wc = np.full((m, n, width), -_BIG_TIME)
    wn = np.zeros((m, n), dtype=np.int64)
    multi = 0.0
    for r in range(m):
        for i in range(n):
            if i in depots:
                continue
            wins = problem.windows_on(r, i)
            wn[r, i] = len(wins)
            if len(wins) > 1:
                multi = 1.0
            for q, (a, b) in enumerate(wins):
                wo[r, i, q] = max(a, -_BIG_TIME)
                wc[r, i, q] = min(b, _BIG_TIME)
    scores = np.array(problem.scores, dtype=np.float64)
    bonus = float(scores.sum()) + 1.0
    val = scores.copy()
    for i in problem.mandatory:
        val[i] += bonus
    rs = np.array([rt.start for rt in problem.routes], dtype=np.int64)
    re_ = np.array([rt.end for rt in problem.routes], dtype=np.int64)
    ra = np.array([max(rt.earliest, -_BIG_TIME) for rt in problem.routes], dtype=np.float64)
    rl = np.array([min(rt.latest, _BIG_TIME) for rt in problem.routes], dtype=np.float64)
    if problem.load is not None and problem.capacity is not None and problem.load.shape[1] > 0:
        load = np.array(problem.load, dtype=np.float64)
        cap = np.array(np.minimum(problem.capacity, _BIG_TIME), dtype=np.float64)
    else:
        load = np.zeros((n, 1))
        cap = np.full((m, 1), _BIG_TIME)
    maxn = np.array(problem.max_nodes if problem.max_nodes is not None else [n] * m, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(n)]
    gcount = len(problem.groups)
    gmin = np.zeros((gcount, m), dtype=np.int64)
    gmax = np.full((gcount, m), n + 1, dtype=np.int64)
    for g, group in enumerate(problem.groups):
        for i in group.nodes:
            members[i].append(g)
        for r in group.routes:
            gmin[g, r] = group.min_visits
            gmax[g, r] = group.max_visits
    cand_list = [i for i in range(n) if i not in depots and wn[:, i].any()]
    gptr = np.zeros(n + 1, dtype=np.int64)
    gptr[1:] = np.cumsum([len(x) for x in members])
    glist = np.array([g for x in members for g in x], dtype=np.int64)
    par = np.array(
        [
            bonus,
            multi,
            params.noise,
            params.tau0,
            float(params.restart),
            params.ruin_fraction,
            float(params.ruin_min),
            float(params.ruin_cap),
            float(1000 + params.iterations_per_site * m * len(cand_list)),
            params.expo,
            float(params.swap),
            params.big,
        ]
    )
    data = (
        np.array(problem.travel, dtype=np.float64),
        np.array(problem.service, dtype=np.float64),
        val,
        scores,
        wo,
        wc,
        wn,
        rs,
        re_,
        ra,
        rl,
        load,
        cap,
        maxn,
        gptr,
        glist,
        gmin,
        gmax,
        par,
        np.ascontiguousarray(np.array(problem.travel, dtype=np.float64).T),
    )
    cand = np.array(cand_list, dtype=np.int64)
    return data, cand


def _empty_state(problem: Problem, k: int, gcount: int) -> tuple[np.ndarray, ...]:
    n, m = problem.n, problem.m
    seq = np.zeros((m, n + 2), dtype=np.int64)
    for r, rt in enumerate(problem.routes):
        seq[r, 0], seq[r, 1] = rt.start, rt.end
    return (
        seq,
        np.zeros(m, dtype=np.int64),
        np.zeros((m, n + 2)),
        np.zeros((m, n + 2)),
        np.zeros((m, n + 2)),
        np.zeros((m, n + 2)),
        np.full(n, -1, dtype=np.int64),
        np.zeros((m, k)),
        np.zeros((gcount, m), dtype=np.int64),
        np.zeros((m, n + 2)),
    )


def solve(
    problem: Problem,
    *,
    time_limit: float = 2.0,
    seed: int = 0,
    params: SolveParams | None = None,
    deterministic: bool = False,
) -> Solution:
    """Find a high-scoring feasible itinerary.

    Maximises the total score, then minimises total travel time. Mandatory nodes
    and group minimums come first (a solution that cannot meet them is still
    returned, with ``feasible=False`` and ``unvisited_mandatory`` set).

    Parameters
    ----------
    problem
        The problem.
    time_limit
        Hard upper bound on wall time in seconds. The one-time JIT compilation
        (about 30 s on a cold cache, cached on disk by numba) or cache load
        (about 1 s) on the first call in a process happens before the clock
        starts.
    seed
        Seed of all randomness.
    params
        Search tuning; defaults are the benchmarked settings.
    deterministic
        If true, never look at the clock: the search stops on the work budget
        only, so the result is the same on any machine and under any load (the
        runtime may then exceed ``time_limit`` on a slow or busy machine).

    Returns
    -------
    Solution
        Best solution found, re-checked by the independent checker.

    Raises
    ------
    SolverError
        If ``time_limit`` is not positive.

    Notes
    -----
    Determinism: the search stops on a *work budget* (a count of elementary
    insertion and schedule checks) equal to
    ``budget_fraction * time_limit * WORK_PER_SECOND``, never on the clock, so
    the same problem, seed and time limit give the same result on any machine.
    The clock is looked at only between budget chunks; it stops the search early
    only on a machine too slow to finish the budget in ``time_limit`` (then the
    result may vary run to run).
    """
    _ensure_compiled()
    t0 = time.perf_counter()
    if not (time_limit > 0 and math.isfinite(time_limit)):
        msg = f"time_limit: expected a positive finite number of seconds, got {time_limit!r}"
        raise SolverError(msg)
    params = params or SolveParams()
    from tourplan.optimize import _engine as eng  # deferred: numba import is heavy

    data, cand = _build(problem, params)
    k = data[11].shape[1]
    gcount = data[16].shape[0]
    budget = int(params.budget_fraction * time_limit * WORK_PER_SECOND)
    counters = np.array([0, 0, 0, 1, 0], dtype=np.int64)
    starts = params.starts if cand.size else 1
    # phases: ``starts`` short independent runs, then the rest from the best
    shares = [params.start_share / starts] * starts + [1.0 - params.start_share] if starts > 1 else [1.0]
    best: tuple[np.ndarray, ...] | None = None
    bval = (-np.inf, 0.0)
    chunk = max(1, budget // params.chunks)
    last = time.perf_counter()
    slowest = last - t0
    stop = False
    end = 0
    c = 0
    for phase, share in enumerate(shares):
        if phase and not deterministic and time.perf_counter() + 2.0 * slowest + 0.05 > t0 + time_limit:
            break
        if phase < starts:
            cur = _empty_state(problem, k, gcount)
            for r in range(problem.m):
                eng.recompute(data, cur, r)
            if cand.size:
                eng.seed_rng(seed * 7919 + phase)
                every = np.ones(problem.m, dtype=np.bool_)
                none = np.zeros(problem.n, dtype=np.bool_)
                noise = 0.0 if phase == 0 else params.noise
                eng.greedy_insert(data, cur, cand, noise, counters[0:1], every, none, 2.0)
                for r in range(problem.m):
                    eng.improve_route(data, cur, r, counters[0:1])
                eng.greedy_insert(data, cur, cand, 0.0, counters[0:1], every, none, 2.0)
            if best is None:
                best = tuple(a.copy() for a in cur)
                scratch = tuple(a.copy() for a in cur)
            pbest = tuple(a.copy() for a in cur)
        else:
            assert best is not None
            cur = tuple(a.copy() for a in best)
            pbest = tuple(a.copy() for a in best)
        end = budget if phase == len(shares) - 1 else min(budget, end + int(share * budget))
        counters[3] = max(1, end - counters[0])
        counters[4] = counters[0]
        counters[2] = counters[1]
        while not stop and cand.size and counters[0] < end and counters[1] < data[18][8]:
            c += 1
            target = min(end, counters[0] + chunk)
            eng.search(data, cur, pbest, scratch, cand, target, counters, seed * 1_000_003 + c)
            now = time.perf_counter()
            slowest = max(slowest, now - last)
            last = now
            if not deterministic and now + 2.0 * slowest + 0.05 > t0 + time_limit:
                stop = True
        v, t, _ = eng.evaluate(data, pbest)
        if (v, -t) > bval:
            bval = (v, -t)
            best = pbest
        if stop:
            break
    assert best is not None
    routes = [tuple(int(x) for x in best[0][r, 1 : best[1][r] + 1]) for r in range(problem.m)]
    return build_solution(problem, routes, runtime=time.perf_counter() - t0, iterations=int(counters[1]))


_COMPILED: list[bool] = []  # set once per process by _ensure_compiled


def _ensure_compiled() -> None:
    """Compile or load the engine once per process, outside the time limit."""
    if not _COMPILED:
        _COMPILED.append(True)
        warm_up()


def warm_up() -> None:
    """Compile (or load from the numba cache) the engine on a tiny problem."""
    from tourplan.optimize.problem import Route

    travel = np.array([[0.0, 1.0], [1.0, 0.0]])
    tiny = Problem(travel, np.array([0.0, 1.0]), np.zeros(2), ((), ((0.0, 5.0),)), (Route(0, 0, 0, 10),))
    solve(tiny, time_limit=0.01)
