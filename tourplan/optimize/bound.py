"""Upper bound on the best score of a one-route orienteering problem with time windows.

The heuristic (:func:`tourplan.optimize.solve`) says how good a route we can
find; this module says how good a route can be. It solves the *ng-route
relaxation* (Baldacci, Mingozzi and Roberti 2011, here maximising score)
exactly by label setting, and tightens it by decremental state-space
relaxation (Righini and Salani 2009):

* every site ``i`` has a neighbourhood ``N(i)``: itself and its ``neighbours``
  nearest sites. A path may come back to a site only after passing a site whose
  neighbourhood does not contain it; so every elementary route is an ng-path,
  and the best ng-path scores at least as much as the best route;
* a label is (site, departure, score, memory ⊆ N(site)); labels are taken in
  order of departure (times are whole multiples of ``1 / scale``, so exact in
  integers), and one label dominates another at the same site when it leaves no
  later, has no less score and remembers a subset;
* with a ``target``, a label is dropped when its score plus a completion bound
  is below the target. The completion bound is the smaller of a fractional
  knapsack (each later visit costs at least its duration plus its cheapest way
  in, within the time left before the last closing and before the route's end)
  and the best q-route from the label's site and time without 2-cycles
  (:func:`_route_completion`). The search then proves "no route reaches the
  target" when its best is below it. A label that cannot reach the end in time
  is dropped with or without a target;
* after each round, the sites the best path (and optionally a few more paths
  that reach the target) repeats are added to the neighbourhoods of the sites
  on the cycle (so that cycle is forbidden next time), until the best path is
  elementary (the bound is then the optimum), the target is shown out of
  reach, or a limit is hit.

Every round's value is a valid bound. Used by ``bench/optw_bound.py`` to test
reference scores of the OPTW benchmark; not by the planners.
"""

# mypy: allow-untyped-defs, allow-untyped-calls
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from numba import njit

from tourplan._jitcache import load_quickly
from tourplan.errors import SolverError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tourplan.optimize.problem import Problem

IntArray = npt.NDArray[np.int64]
MAX_MEMORY = 64
"""Most sites in one neighbourhood (memory sets are 64-bit masks)."""


@dataclass(frozen=True)
class UpperBound:
    """What :func:`upper_bound` proved.

    Attributes
    ----------
    bound
        No route scores more than this.
    optimal
        The best relaxed path is an elementary, feasible route, so ``bound`` is
        the optimum and ``route`` reaches it.
    route
        That route (site ids in visit order), or ``None``.
    below_target
        The search showed that no route reaches ``target`` (``bound`` is then
        ``target - 1``).
    rounds, labels, seconds
        Relaxation rounds solved, most labels kept in one round, wall time.
    stopped
        Why the search ended: ``"optimal"``, ``"below target"``, ``"rounds"``,
        ``"time"`` or ``"memory"`` (a neighbourhood is full).
    """

    bound: int
    optimal: bool
    route: tuple[int, ...] | None
    below_target: bool
    target: int | None
    rounds: int
    labels: int
    seconds: float
    stopped: str


def _scaled(values: npt.ArrayLike, scale: int, what: str) -> IntArray:
    x = np.asarray(values, dtype=np.float64) * scale
    r = np.rint(x)
    if np.any(np.abs(x - r) > 1e-6 * np.maximum(1.0, np.abs(x))) or np.any(r < 0):
        msg = f"upper_bound: {what} must be non-negative multiples of 1/{scale}"
        raise SolverError(msg)
    return r.astype(np.int64)


@dataclass(frozen=True)
class _Data:
    travel: IntArray
    service: IntArray
    score: IntArray
    open_: IntArray
    close: IntArray
    cand: IntArray  # visitable nodes, as node ids
    start: int
    end: int
    earliest: int
    latest: int


def _data(problem: Problem, scale: int) -> _Data:
    if problem.m != 1:
        msg = f"upper_bound: expected one route, got {problem.m}"
        raise SolverError(msg)
    if problem.groups or problem.mandatory or problem.load is not None or problem.max_nodes is not None:
        msg = "upper_bound: visit groups, must-visit nodes, capacities and visit caps are not supported"
        raise SolverError(msg)
    route = problem.routes[0]
    scores = np.asarray(problem.scores, dtype=np.float64)
    if np.any(scores != np.rint(scores)) or np.any(scores < 0):
        msg = "upper_bound: scores must be non-negative integers"
        raise SolverError(msg)
    n = problem.n
    open_ = np.zeros(n)
    close = np.full(n, -1.0)
    cand = []
    for i in range(n):
        if i in (route.start, route.end):
            continue
        wins = problem.windows_on(0, i)
        if not wins:
            continue
        if len(wins) > 1:
            msg = f"upper_bound: node {i} has {len(wins)} opening windows; one is supported"
            raise SolverError(msg)
        open_[i], close[i] = wins[0]
        cand.append(i)
    short = [i for i in cand if problem.service[i] <= 0]
    if short:
        msg = f"upper_bound: visit durations must be positive (node {short[0]} has none)"
        raise SolverError(msg)
    if not math.isfinite(route.latest):
        msg = "upper_bound: the route needs a finite latest end"
        raise SolverError(msg)
    close_c = np.where(close >= 0, close, 0.0)
    return _Data(
        travel=_scaled(problem.travel, scale, "travel times"),
        service=_scaled(problem.service, scale, "visit durations"),
        score=np.rint(scores).astype(np.int64),
        open_=_scaled(open_, scale, "opening times"),
        close=np.where(close >= 0, _scaled(close_c, scale, "closing times"), -1),
        cand=np.array(cand, dtype=np.int64),
        start=route.start,
        end=route.end,
        earliest=int(_scaled([route.earliest], scale, "the route's earliest start")[0]),
        latest=int(_scaled([route.latest], scale, "the route's latest end")[0]),
    )


def _nearest(d: _Data, k: int) -> dict[int, list[int]]:
    """Per visitable node: itself, then its ``k`` nearest others (travel there and back)."""
    cand = [int(j) for j in d.cand]
    return {
        i: [i, *sorted((j for j in cand if j != i), key=lambda j: (d.travel[i, j] + d.travel[j, i], j))[:k]]
        for i in cand
    }


def _neighbourhoods(
    n: int, nearest: dict[int, list[int]], extra: dict[int, set[int]]
) -> tuple[IntArray, IntArray, IntArray]:
    """Per node: its neighbourhood (itself first), each member's position, the sizes."""
    nb = np.full((n, MAX_MEMORY), -1, dtype=np.int64)
    pos = np.full((n, n), -1, dtype=np.int64)
    size = np.zeros(n, dtype=np.int64)
    for i, near in nearest.items():
        members = list(near)
        for j in sorted(extra.get(i, ())):
            if j not in members:
                members.append(j)
        for b, j in enumerate(members[:MAX_MEMORY]):
            nb[i, b] = j
            pos[i, j] = b
        size[i] = min(len(members), MAX_MEMORY)
    return nb, pos, size


def _completion(d: _Data, horizon: int) -> IntArray:
    """``ub[t]``: most score collectable by visits after leaving anywhere at time ``t``.

    A later visit ``j`` costs at least ``service[j]`` plus its cheapest way in, and
    must start by its closing: the visits after ``t`` fit in
    ``min(last close - t + longest service, latest - t)``. Fractional knapsack,
    so a bound; it ignores which sites were visited before ``t``.
    """
    cand = d.cand
    n = d.travel.shape[0]
    if cand.size == 0:
        return np.zeros(horizon + 1, dtype=np.int64)
    into = np.where(np.eye(n, dtype=bool), np.iinfo(np.int64).max // 4, d.travel)[:, cand].min(axis=0)
    weight = into + d.service[cand]
    order = np.argsort(-(d.score[cand] / np.maximum(weight, 1)), kind="stable")
    ub: IntArray = _knapsack(
        weight[order], d.score[cand][order], into[order], d.close[cand][order],
        int(d.close[cand].max()), int(d.service[cand].max()), d.latest, horizon,
    )  # fmt: skip
    return ub


@njit(cache=True)
def _knapsack(weight, score, into, close, last_close, longest, latest, horizon):  # noqa: ANN001, ANN202
    ub = np.zeros(horizon + 1, dtype=np.int64)
    for t in range(horizon + 1):
        cap = float(min(last_close - t + longest, latest - t))
        if cap < 0:
            continue
        val = 0.0
        for q in range(weight.shape[0]):
            if close[q] < t + into[q]:
                continue
            if weight[q] <= cap:
                cap -= weight[q]
                val += score[q]
            else:
                if weight[q] > 0:
                    val += score[q] * cap / weight[q]
                break
        ub[t] = int(math.floor(val + 1e-9))
    return ub


def _route_completion(d: _Data, horizon: int, buckets: int) -> tuple[IntArray, int]:
    """``G[j, t // w]``: most score collectable after leaving ``j`` at time ``t``.

    A backward dynamic programme over (site, time bucket of width ``w``) on paths
    that may repeat sites but never go straight back (``j → k → j``): the
    q-route relaxation with 2-cycle elimination (Christofides, Mingozzi and
    Toth 1981). Each transition starts from the bucket's earliest time and lands
    in the bucket holding its true departure, so every real route is counted
    with at least its score: a bound. ``w`` is at most the shortest visit, so
    every transition moves to a later bucket.
    """
    n = d.travel.shape[0]
    shortest = int(d.service[d.cand].min()) if d.cand.size else 1
    w = max(1, min(shortest, -(-(horizon + 1) // max(buckets, 1))))
    g: IntArray = _q_routes(d.travel, d.service, d.score, d.open_, d.close, d.cand, d.end, d.latest, n, horizon // w + 1, w)
    return g, w


@njit(cache=True)
def _q_routes(T, S, P, OPEN, C, cand, end, latest, n, nb, w):  # noqa: ANN001, ANN202, N803
    g1 = np.full((n, nb), -1, np.int64)
    s1 = np.full((n, nb), -1, np.int64)
    g2 = np.full((n, nb), -1, np.int64)
    for b in range(nb - 1, -1, -1):
        t = b * w
        for j in range(n):
            v1 = -1
            k1 = -1
            v2 = -1
            if t + T[j, end] <= latest:
                v1 = 0
                k1 = n  # the end, kept apart from the node ids (the end may be the start)
            for c in range(cand.shape[0]):
                k = cand[c]
                if k == j:
                    continue
                a = t + T[j, k]
                if a > C[k]:
                    continue
                s = a if a > OPEN[k] else OPEN[k]
                q = (s + S[k]) // w
                if q >= nb:
                    continue
                nxt = g2[k, q] if s1[k, q] == j else g1[k, q]
                if nxt < 0:
                    continue
                v = P[k] + nxt
                if v > v1:
                    if k1 != k:
                        v2 = v1
                    v1 = v
                    k1 = k
                elif v > v2 and k != k1:
                    v2 = v
            g1[j, b] = v1
            s1[j, b] = k1
            g2[j, b] = v2
    return g1


@njit(cache=True)
def _grow(a, size):  # noqa: ANN001, ANN202
    out = np.empty(size, a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _ng_search(T, S, P, OPEN, C, cand, start, end, earliest, latest, NB, POS, NS, ub, G, w, target, maxlab, slack):  # noqa: ANN001, ANN202, N803, PLR0912, PLR0915, C901
    """Best ng-path from ``start`` that can still reach ``end`` by ``latest``.

    Returns (best score, its label, labels made, overflow) and the label arrays
    needed to read the path back.
    """
    horizon = ub.shape[0] - 1
    n = T.shape[0]
    site = np.empty(maxlab, np.int64)
    dep = np.empty(maxlab, np.int64)
    val = np.empty(maxlab, np.int64)
    mem = np.empty(maxlab, np.uint64)
    pred = np.empty(maxlab, np.int64)
    alive = np.zeros(maxlab, np.bool_)
    bucket_next = np.empty(maxlab, np.int64)
    bucket_head = np.full(horizon + 2, -1, np.int64)
    # per site, its live labels in one contiguous row of a pool (departure, score, memory, id), for
    # fast scans; a full row moves to the pool's end with twice the room
    row_cap = np.full(n, 16, np.int64)
    row_at = np.arange(n, dtype=np.int64) * 16
    row_len = np.zeros(n, np.int64)
    used = 16 * n
    row_dep = np.empty(4 * used, np.int64)
    row_val = np.empty(4 * used, np.int64)
    row_mem = np.empty(4 * used, np.uint64)
    row_lab = np.empty(4 * used, np.int64)
    site[0] = start
    dep[0] = earliest
    val[0] = 0
    mem[0] = 0
    pred[0] = -1
    alive[0] = True
    bucket_next[0] = -1
    bucket_head[min(earliest, horizon + 1)] = 0
    nl = 1
    best = -1
    best_lab = -1
    if earliest + T[start, end] <= latest:
        best = 0
        best_lab = 0
    overflow = False
    one = np.uint64(1)
    for t in range(earliest, horizon + 1):
        li = bucket_head[t]
        while li >= 0 and not overflow:
            nxt = bucket_next[li]
            if alive[li]:
                i = site[li]
                m = mem[li]
                sc = val[li]
                for c in range(cand.shape[0]):
                    j = cand[c]
                    if j == i:
                        continue
                    if li > 0:
                        b = POS[i, j]
                        if b >= 0 and (m >> np.uint64(b)) & one:
                            continue
                    a = t + T[i, j]
                    if a > C[j]:
                        continue
                    s = a if a > OPEN[j] else OPEN[j]
                    d = s + S[j]
                    nsc = sc + P[j]
                    rest = G[j, d // w]
                    if rest < 0 or nsc + min(rest, ub[d if d <= horizon else horizon]) < target:
                        continue
                    nm = one << np.uint64(POS[j, j])
                    if li > 0:
                        for bb in range(NS[i]):
                            if (m >> np.uint64(bb)) & one:
                                q = POS[j, NB[i, bb]]
                                if q >= 0:
                                    nm |= one << np.uint64(q)
                    dominated = False
                    base = row_at[j]
                    r = base + row_len[j] - 1
                    while r >= base:  # newest first: the likeliest to dominate
                        kd = row_dep[r]
                        kv = row_val[r]
                        km = row_mem[r]
                        if kd <= d and kv >= nsc and (km & nm) == km:
                            dominated = True
                            break
                        if d <= kd and nsc >= kv and (nm & km) == nm:
                            # the new label dominates this one: kill it, move the row's last (already seen) entry here
                            alive[row_lab[r]] = False
                            last = base + row_len[j] - 1
                            row_dep[r] = row_dep[last]
                            row_val[r] = row_val[last]
                            row_mem[r] = row_mem[last]
                            row_lab[r] = row_lab[last]
                            row_len[j] -= 1
                        r -= 1
                    if dominated:
                        continue
                    if nl >= maxlab:
                        overflow = True
                        break
                    lab = nl
                    nl += 1
                    site[lab] = j
                    dep[lab] = d
                    val[lab] = nsc
                    mem[lab] = nm
                    pred[lab] = li
                    alive[lab] = True
                    if row_len[j] == row_cap[j]:
                        room = 2 * row_cap[j]
                        if used + room > row_dep.shape[0]:
                            size = 2 * (used + room)
                            row_dep = _grow(row_dep, size)
                            row_val = _grow(row_val, size)
                            row_mem = _grow(row_mem, size)
                            row_lab = _grow(row_lab, size)
                        a0 = row_at[j]
                        row_dep[used : used + row_len[j]] = row_dep[a0 : a0 + row_len[j]]
                        row_val[used : used + row_len[j]] = row_val[a0 : a0 + row_len[j]]
                        row_mem[used : used + row_len[j]] = row_mem[a0 : a0 + row_len[j]]
                        row_lab[used : used + row_len[j]] = row_lab[a0 : a0 + row_len[j]]
                        row_at[j] = used
                        row_cap[j] = room
                        used += room
                    r = row_at[j] + row_len[j]
                    row_dep[r] = d
                    row_val[r] = nsc
                    row_mem[r] = nm
                    row_lab[r] = lab
                    row_len[j] += 1
                    bucket_next[lab] = bucket_head[d]
                    bucket_head[d] = lab
                    if nsc > best and d + T[j, end] <= latest:
                        best = nsc
                        best_lab = lab
            li = nxt
        if overflow:
            break
    thr = target if target >= 0 else best - slack
    finals = np.empty(nl, np.int64)
    nf = 0
    for lab in range(1, nl):
        if alive[lab] and val[lab] >= thr and dep[lab] + T[site[lab], end] <= latest:
            finals[nf] = lab
            nf += 1
    finals = finals[:nf]
    finals = finals[np.argsort(-val[finals], kind="mergesort")]
    return best, best_lab, nl, overflow, site[:nl].copy(), pred[:nl].copy(), finals


def _path(lab: int, site: IntArray, pred: IntArray) -> list[int]:
    out = []
    while lab > 0:
        out.append(int(site[lab]))
        lab = int(pred[lab])
    return out[::-1]


def _forbid_cycles(path: list[int], pos: IntArray, size: IntArray, extra: dict[int, set[int]]) -> int:
    """Add each site the path repeats to the neighbourhoods along its cycle; how many were added."""
    seen: dict[int, int] = {}
    added = 0
    for idx, v in enumerate(path):
        if v in seen:
            for u in path[seen[v] + 1 : idx]:
                if pos[u, v] < 0 and size[u] < MAX_MEMORY and v not in extra.setdefault(u, set()):
                    extra[u].add(v)
                    added += 1
        seen[v] = idx
    return added


def upper_bound(
    problem: Problem,
    *,
    scale: int,
    target: int | None = None,
    neighbours: int = 8,
    max_rounds: int = 200,
    time_limit: float = math.inf,
    max_labels: int = 20_000_000,
    buckets: int = 5_000,
    paths: int = 0,
    slack: int = 0,
    progress: Callable[[int, int, int, int, float], None] | None = None,
) -> UpperBound:
    """Bound the best score of ``problem`` (one route, one window per site) from above.

    Parameters
    ----------
    problem
        One route; no visit groups, must-visit nodes, capacities or visit caps;
        every visit takes some time (so time grows along every path).
    scale
        Time unit: every travel time, duration and window is a whole multiple of
        ``1 / scale`` (100 for OPTW ``pr`` files, 10 for Solomon files).
    target
        Prune with this score: the search then answers "can a route reach
        ``target``?" faster. ``None`` searches for the optimum itself.
    neighbours
        Initial neighbourhood size (nearest sites by travel there and back).
    max_rounds, time_limit
        Stop after this many relaxation rounds or seconds (checked between
        rounds); the bound returned is then still valid, only looser.
    max_labels
        Labels kept per round (memory: about 50 bytes each).
    buckets
        Time buckets of the route-completion bound (:func:`_route_completion`):
        more is tighter and slower.
    paths, slack
        After a round, also forbid the cycles of up to ``paths`` more paths that
        can reach the end: those scoring at least ``target``, or without a
        target at least the best minus ``slack``. Fewer rounds, larger ones.
    progress
        Called after every round that did not settle the bound with (round,
        best path's score, labels, neighbours added, seconds so far).

    Raises
    ------
    SolverError
        On an unsupported problem, times that are not multiples of ``1/scale``,
        or a round that needs more than ``max_labels`` labels.
    """
    t0 = time.perf_counter()
    if max_rounds < 1 or neighbours < 0 or (target is not None and target < 1):
        msg = f"upper_bound: expected max_rounds >= 1, neighbours >= 0, target >= 1, got {max_rounds}, {neighbours}, {target}"
        raise SolverError(msg)
    d = _data(problem, scale)
    cand = d.cand
    horizon = int(max(d.close.max(initial=0) + d.service.max(initial=0), d.earliest)) + 1
    ub = _completion(d, horizon) if target is not None else np.full(horizon + 1, 1 << 40, dtype=np.int64)
    goal = int(target) if target is not None else -1
    extra: dict[int, set[int]] = {}
    g, w = _route_completion(d, horizon, buckets)
    bound = int(d.score[cand].sum()) if cand.size else 0
    if g[d.start, d.earliest // w] >= 0:  # the whole route is a completion from the start
        bound = min(bound, int(g[d.start, d.earliest // w]))
    most = 0

    def result(value: int, stopped: str, rounds: int, route: tuple[int, ...] | None = None) -> UpperBound:
        return UpperBound(
            bound=value, optimal=route is not None, route=route, below_target=stopped == "below target",
            target=target, rounds=rounds, labels=most, seconds=time.perf_counter() - t0, stopped=stopped,
        )  # fmt: skip

    nearest = _nearest(d, neighbours)
    for rnd in range(1, max_rounds + 1):
        nb, pos, size = _neighbourhoods(problem.n, nearest, extra)
        best, lab, labels, overflow, site, pred, finals = _ng_search(
            d.travel, d.service, d.score, d.open_, d.close, cand, d.start, d.end, d.earliest, d.latest,
            nb, pos, size, ub, g, w, goal, max_labels, slack,
        )  # fmt: skip
        most = max(most, int(labels))
        if overflow:
            msg = f"upper_bound: round {rnd} needs more than {max_labels:,} labels"
            raise SolverError(msg)
        if target is not None and best < goal:
            return result(goal - 1, "below target", rnd)
        if best < 0:
            msg = "upper_bound: the route cannot even go from its start to its end in time"
            raise SolverError(msg)
        bound = min(bound, int(best))
        path = _path(int(lab), site, pred)
        if len(set(path)) == len(path):
            return result(int(best), "optimal", rnd, tuple(path))
        added = 0
        for f in [int(lab), *(int(x) for x in finals[:paths])]:
            added += _forbid_cycles(_path(f, site, pred), pos, size, extra)
        if progress is not None:
            progress(rnd, int(best), int(labels), added, time.perf_counter() - t0)
        if added == 0:
            return result(bound, "memory", rnd)
        if time.perf_counter() - t0 > time_limit:
            return result(bound, "time", rnd)
    return result(bound, "rounds", max_rounds)


load_quickly(globals())  # cached kernels load without setting up the compiler (tourplan/_jitcache.py)
