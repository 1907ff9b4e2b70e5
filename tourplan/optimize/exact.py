"""Exact solver for small problems, used to validate the heuristic in tests."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tourplan.errors import SolverError
from tourplan.optimize.check import TOL, build_solution

if TYPE_CHECKING:
    from tourplan.optimize.problem import Problem, Solution

MAX_EXACT_NODES = 14
"""Largest number of visitable nodes :func:`solve_exact` accepts."""


def _route_table(
    problem: Problem, r: int, cand: list[int]
) -> tuple[npt.NDArray[np.bool_], list[tuple[int, ...] | None]]:
    """Return which subsets of ``cand`` route ``r`` can serve, and one order for each.

    Dynamic programming over (subset, last node) with the earliest end of service
    as label: a later label never helps, so the earliest one is exact. Capacity,
    ``max_nodes`` and group bounds depend only on the subset and are checked at
    the end.
    """
    route = problem.routes[r]
    k = len(cand)
    full = 1 << k
    travel = problem.travel
    idx = np.array(cand, dtype=np.intp)
    tt = travel[np.ix_(idx, idx)]
    from_start = travel[route.start, idx]
    to_end = travel[idx, route.end]
    service = problem.service[idx]
    wins = [problem.windows_on(r, i) for i in cand]
    width = max([len(w) for w in wins] + [1])
    w_open = np.full((k, width), np.inf)
    w_close = np.full((k, width), -np.inf)
    for j, w in enumerate(wins):
        for q, (a, b) in enumerate(w):
            w_open[j, q], w_close[j, q] = a, b

    def start_at(arrive: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        ok = arrive[:, None] <= w_close + TOL
        starts = np.where(ok, np.maximum(arrive[:, None], w_open), np.inf)
        return np.asarray(starts.min(axis=1))

    end_time = np.full((full, k), np.inf)  # end of service at last node
    parent = np.full((full, k), -1, dtype=np.intp)
    first = start_at(route.earliest + from_start)
    for j in range(k):
        if np.isfinite(first[j]):
            end_time[1 << j, j] = first[j] + service[j]
    bits = 1 << np.arange(k)
    for mask in range(1, full):
        t = end_time[mask]
        if not np.isfinite(t).any():
            continue
        arrive_all = t[:, None] + tt  # last x next
        best_last = np.argmin(arrive_all, axis=0)
        arrive = arrive_all[best_last, np.arange(k)]
        start = start_at(arrive)
        for jj in np.flatnonzero(((mask & bits) == 0) & np.isfinite(start)):
            j = int(jj)
            new = mask | (1 << j)
            value = start[j] + service[j]
            if value < end_time[new, j]:
                end_time[new, j] = value
                parent[new, j] = best_last[j]
    finish = end_time + to_end[None, :]
    ok_last = finish <= route.latest + TOL
    feasible = ok_last.any(axis=1)
    feasible[0] = route.earliest + travel[route.start, route.end] <= route.latest + TOL

    members = ((np.arange(full)[:, None] & bits[None, :]) != 0).astype(np.float64)
    counts = members.sum(axis=1)
    if problem.max_nodes is not None:
        feasible &= counts <= problem.max_nodes[r]
    if problem.load is not None and problem.capacity is not None:
        used = members @ problem.load[idx]
        feasible &= (used <= problem.capacity[r] + TOL).all(axis=1)
    for group in problem.groups:
        if r in group.routes:
            inside = np.array([i in group.nodes for i in cand], dtype=np.float64)
            c = members @ inside
            feasible &= (c >= group.min_visits) & (c <= group.max_visits)

    orders: list[tuple[int, ...] | None] = [None] * full
    for mask_ in np.flatnonzero(feasible):
        mask = int(mask_)
        if mask == 0:
            orders[0] = ()
            continue
        last = int(np.flatnonzero(ok_last[mask])[np.argmin(finish[mask][ok_last[mask]])])
        seq: list[int] = []
        cur = mask
        while last >= 0:
            seq.append(cand[last])
            prev = int(parent[cur, last])
            cur &= ~(1 << last)
            last = prev
        orders[mask] = tuple(reversed(seq))
    return feasible, orders


def solve_exact(problem: Problem) -> Solution:
    """Solve a small problem to optimality (maximum total score).

    One route: DP over (subset, last node). Several routes: the per-route
    tables are combined by DP over disjoint subsets (route assignment).

    Parameters
    ----------
    problem
        At most :data:`MAX_EXACT_NODES` visitable (non start/end) nodes.

    Returns
    -------
    Solution
        An optimal-score solution; ties in score are broken by lower travel
        time only among the one order kept per subset, so ``travel_time`` is
        not guaranteed minimal. If no assignment visits every mandatory node,
        the best one ignoring them is returned, reported as infeasible. Group
        bounds are always enforced; if no route can meet them, all routes are
        empty (and reported as infeasible).

    Raises
    ------
    SolverError
        If the problem has too many nodes.

    Notes
    -----
    Time O(m * 3^k + 2^k * k^2) for ``k`` visitable nodes.
    """
    t0 = time.perf_counter()
    depots = problem.depots
    cand = [i for i in range(problem.n) if i not in depots]
    k = len(cand)
    if k > MAX_EXACT_NODES:
        msg = f"solve_exact: expected at most {MAX_EXACT_NODES} visitable nodes, got {k}"
        raise SolverError(msg)
    full = 1 << k
    scores = problem.scores[np.array(cand, dtype=np.intp)] if cand else np.zeros(0)
    bits = 1 << np.arange(k)
    mask_score = ((np.arange(full)[:, None] & bits[None, :]) != 0) @ scores
    tables = [_route_table(problem, r, cand) for r in range(problem.m)]

    # best[used] = (score, choice per route) via DP over routes on disjoint subsets.
    best = np.full(full, -1.0)
    best[0] = 0.0
    choice: list[list[int]] = []
    for feasible, _ in tables:
        sub_masks = np.flatnonzero(feasible)
        new = np.full(full, -1.0)
        pick = np.full(full, -1, dtype=np.intp)
        for used_ in np.flatnonzero(best >= 0):
            used = int(used_)
            free = sub_masks[(sub_masks & used) == 0]
            if free.size == 0:
                continue
            total = used | free
            val = best[used] + mask_score[free]
            rank = np.lexsort((-val, total))
            total, val, free = total[rank], val[rank], free[rank]
            head = np.ones(total.size, dtype=bool)
            head[1:] = total[1:] != total[:-1]
            total, val, free = total[head], val[head], free[head]
            better = val > new[total]
            new[total[better]] = val[better]
            pick[total[better]] = free[better]
        choice.append(pick.tolist())
        best = new
    mand = sum(1 << cand.index(i) for i in problem.mandatory if i in cand)
    valid = np.flatnonzero((best >= 0) & ((np.arange(full) & mand) == mand))
    if valid.size == 0:
        valid = np.flatnonzero(best >= 0)
    if valid.size == 0:
        return build_solution(problem, [()] * problem.m, runtime=time.perf_counter() - t0)
    used = int(valid[np.argmax(best[valid])])
    routes: list[tuple[int, ...]] = [()] * problem.m
    for r in range(problem.m - 1, -1, -1):
        s = choice[r][used]
        order = tables[r][1][s]
        routes[r] = order if order is not None else ()
        used &= ~s
    return build_solution(problem, routes, runtime=time.perf_counter() - t0)
