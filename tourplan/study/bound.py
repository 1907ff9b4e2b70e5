"""A true upper bound on the study value of a plan: :func:`_value_upper_bound`.

Why it bounds the real value
----------------------------
* Capacity couples the buses only by *removing* options: a bus planned with
  no other bus on the sites (its windows cut only where its own people exceed
  a site's ``capacity_instant`` or the public load) has every option it has in
  the joint plan and more.  So the joint plan's value is at most the sum over
  buses of each bus's best solo day.
* The day's real value diminishes per theme (:data:`tourplan.rules.DECAY`):
  every visit is credited with theme weights ``DECAY ** k <= 1``, and
  :func:`tourplan.rules.theme_match` never falls when a weight rises, so a
  visit's real credit is at most its undiminished prize (the engine's
  additive site score).  A day's real value is therefore at most the sum of
  its sites' prizes, and the best additive day bounds the best real day.
* The best additive solo day is found exactly by a branch and bound over the
  bus's routes with every rule of the planner (stop cap, visit windows, visit
  groups, required sites, lunch, ride limit), each branch cut when its score
  plus the best prizes still reachable cannot beat the best route found.
  When the time budget runs out, the branches not explored are not dropped:
  their optimistic scores enter the bound, so it stays proven (only looser).
  The one-route ng-route bound (:func:`tourplan.optimize.bound.upper_bound`,
  on the relaxation without stop cap and visit groups) caps it as well.
* Sites that cannot take every bus in a day lower the sum: their visits are
  priced by a Lagrangian relaxation (:mod:`tourplan.study.relax`).  The
  search keeps every day worth more than the best day avoiding those sites
  (``best_day(avoid=...)``), which holds each bus's best priced day.
* The bound covers plans in which every bus has its lunch stop; a bus the
  planner leaves without one is bounded without the lunch rule.

Buses with the same solo windows share one search.  The days the search
keeps (and those up to :data:`DAY_MARGIN` below) are what the planner fits
first (:mod:`tourplan.study.fit`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tourplan.errors import SolverError
from tourplan.limits import checkpoint
from tourplan.optimize.check import TOL
from tourplan.study.capacity import _Load, _unit_windows
from tourplan.study.relax import Day, _priced_bound, _prices, _visit_room

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

    from tourplan.optimize.problem import Problem
    from tourplan.study.capacity import _Unit
    from tourplan.study.model import _Ctx

__all__: list[str] = []

#: Work budget of the solo-day searches of one plan (branches; a third for
#: each of at most three searches; the bundled data's whole-grade day, with
#: its scarce sites priced, closes in under 20,000).  Work, not seconds, so a
#: busy machine shows staff the same figure.
BOUND_BRANCHES = 90_000

#: Optimizer seconds a branch is charged to a request's work budget
#: (:mod:`tourplan.limits`), its whole budget before a search starts: about
#: what a branch takes (25 microseconds on the bundled whole-grade day).
SECONDS_PER_BRANCH = 25e-6

_EPS = TOL  # the checker's tolerance: never stricter than what it accepts

#: Share below the best day that avoids the scarce sites down to which a bus's
#: other days are kept for the planner (the bound needs only the days above it).
DAY_MARGIN = 0.1


@dataclass(frozen=True)
class DayBound:
    """The best additive score one route can reach, or a proven cap on it.

    Attributes
    ----------
    bound
        No route of the problem scores more.
    best
        The best route found scores this (``bound`` when ``exact``).
    route
        That route (node ids in visit order), or ``None`` when none beat ``known``.
    branches
        Branches searched.
    pool
        With ``avoid``: every route found scoring more than ``floor`` (one
        per visit set, in a visit order that fits), best first.
    floor
        With ``avoid``: the best score of a route that visits no node of
        ``avoid`` (``known`` if none was found).
    open_bound
        No route left unexplored (the search ran out of budget) scores more
        (``-inf`` when the search closed).
    exact
        The search closed: ``bound == best`` is the optimum.
    seconds
        Time spent.
    """

    bound: float
    best: float
    exact: bool
    seconds: float
    route: tuple[int, ...] | None = None
    branches: int = 0
    pool: tuple[tuple[tuple[int, ...], float], ...] = ()
    floor: float = -math.inf
    open_bound: float = -math.inf


def best_day(
    problem: Problem,
    *,
    time_limit: float = 1.0,
    route: int = 0,
    known: float = -math.inf,
    value: Callable[[Sequence[int]], float] | None = None,
    max_branches: int | None = None,
    avoid: Collection[int] | None = None,
    margin: float = 0.0,
) -> DayBound:
    """Bound the best score of one route of ``problem`` from above, exactly when it closes.

    Depth-first branch and bound over the route's visit sequences: a visit
    starts in its earliest window at or after arrival, the route must reach
    its end by ``latest``, visit groups' maxima hold on the way and their
    minima and the required nodes at the end, and at most ``max_nodes``
    visits are made.  A branch is cut when its score plus the largest prizes
    of the nodes it could still add (not visited, group not full, reachable
    before their last closing) is at most the best route found; a (visited
    set, last node) reached no earlier than before is cut too.

    Parameters
    ----------
    problem
        Any problem; only route ``route`` is read.
    known
        The score of a feasible route already known (prunes from the start).
    max_branches
        Work budget: branches searched at most (a busy machine gives the same
        answer, unlike ``time_limit``); then as for ``time_limit``.
    value
        The route's value, when it is not the sum of its nodes' scores.  It
        must never exceed that sum, and adding nodes ``T`` to a route must
        add at most their scores (``value(S + T) <= value(S) + score(T)``):
        true of diminishing returns, where a visit only lowers the credit of
        the others.  A route of one visit must be worth its node's score.
        The branch bound is then ``value(path)`` plus the optimistic scores
        still reachable.
    time_limit
        Seconds; afterwards unexplored branches add their optimistic score to
        the bound instead of being searched (the bound stays valid).
    avoid
        Also list the routes worth more than any route that visits none of
        these nodes (``DayBound.pool``): a branch is then cut only when it
        cannot beat the best such route.  With a price on visiting each node
        of ``avoid``, the best priced route is in the pool (or scores at most
        ``open_bound``).
    margin
        With ``avoid``: the pool also keeps the routes up to this share below
        that best route (alternatives for when the better ones do not fit).

    Returns
    -------
    DayBound
        ``bound`` (at least the optimum) and whether it is exact.

    Examples
    --------
    >>> from tourplan.optimize.problem import Problem, Route
    >>> import numpy as np
    >>> t = np.array([[0, 10, 10], [10, 0, 5], [10, 5, 0]], dtype=float)
    >>> p = Problem(travel=t, service=np.array([0, 30, 30.0]), scores=np.array([0, 2, 3.0]),
    ...             windows=(((0, 100),), ((0, 100),), ((0, 100),)), routes=(Route(0, 0, 0, 60),))
    >>> best_day(p).bound, best_day(p).exact
    (3.0, True)

    Notes
    -----
    Exponential in the stop cap in the worst case; the pruning makes study
    days (at most a handful of stops) take milliseconds to a second.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    r = problem.routes[route]
    n = problem.n
    travel = problem.travel
    service = problem.service
    score = np.asarray(problem.scores, dtype=np.float64)
    cap = problem.max_nodes[route] if problem.max_nodes is not None else n
    wins = [problem.windows_on(route, i) for i in range(n)]
    cand = [
        i for i in range(n) if i not in (r.start, r.end) and wins[i]
        and r.earliest + travel[r.start, i] <= wins[i][-1][1] + _EPS
    ]  # fmt: skip
    cand.sort(key=lambda i: -score[i])
    # Plain lists: indexing numpy arrays one element at a time is what the search would spend its time on.
    legs: list[list[float]] = travel.tolist()
    prize: list[float] = score.tolist()
    length: list[float] = np.asarray(service, dtype=np.float64).tolist()
    groups = [g for g in problem.groups if route in g.routes]
    node_groups: list[tuple[int, ...]] = [
        tuple(k for k, g in enumerate(groups) if i in g.nodes) for i in range(n)
    ]
    most = [g.max_visits for g in groups]
    members = [tuple(j for j in cand if j in g.nodes) for g in groups]
    need = set(problem.mandatory)
    min_in = [min((legs[i][j] for i in range(n) if i != j), default=0.0) for j in range(n)]
    min_out = [min((legs[j][i] for i in range(n) if i != j), default=0.0) for j in range(n)]
    last_close = [w[-1][1] if w else -math.inf for w in wins]
    reach = frozenset(cand)

    def start_at(j: int, arrive: float) -> float:
        for a, b in wins[j]:
            if arrive <= b + _EPS:
                return a if a > arrive else arrive
        return math.inf

    best = known
    pending = -math.inf  # best optimistic score of a branch left unexplored
    seen: dict[tuple[frozenset[int], int], float] = {}
    count = [0] * len(groups)
    blocked = [0] * n  # full groups the node is in
    path: list[int] = []
    branches = [0]
    budget = math.inf if max_branches is None else max_branches
    best_route: tuple[int, ...] | None = None
    shun = frozenset(avoid) if avoid is not None else frozenset()
    share = margin if avoid is not None else 0.0
    # A day that visits the avoided nodes U is of use only if it beats every day found
    # whose avoided nodes are among U: the best value per set of avoided nodes visited.
    by_use: dict[frozenset[int], float] = {}
    beaten: dict[frozenset[int], float] = {}

    def low(use: frozenset[int]) -> float:
        """What a day visiting the avoided nodes ``use`` (or more) must beat."""
        top = beaten.get(use)
        if top is None:
            top = max((v for w, v in by_use.items() if w <= use), default=known)
            beaten[use] = top
        return top - share * abs(top) if top > -math.inf else top

    pool: dict[frozenset[int], tuple[tuple[int, ...], float]] = {}

    cost = [length[j] + min_in[j] for j in range(n)]
    by_ratio = sorted(cand, key=lambda j: -prize[j] / max(cost[j], _EPS))
    # A group still short of its minimum takes that many of the stops left
    # (only groups disjoint from the other such groups, so no stop counts twice).
    short = [
        (k, g.min_visits, sorted((prize[j] for j in g.nodes if j in reach), reverse=True))
        for k, g in enumerate(groups) if g.min_visits > 0
        and all(not (g.nodes & h.nodes) for q, h in enumerate(groups) if q != k and h.min_visits > 0)
    ]  # fmt: skip

    def optimistic(t: float, visited: frozenset[int], k: int) -> float:
        room = cap - k
        owed = 0
        owed_score = 0.0
        for g, least, tops in short:
            d = least - count[g]
            if d > 0:
                owed += d
                owed_score += sum(tops[:d])
        room -= owed
        if room <= 0:
            return owed_score if room == 0 else 0.0
        by_count = 0.0
        taken = 0
        for j in cand:  # sorted by prize
            if j not in visited and not blocked[j] and t + min_in[j] <= last_close[j] + _EPS:
                by_count += prize[j]
                taken += 1
                if taken == room:
                    break
        # Fractional knapsack on the time left: a visit costs its length and its cheapest way in.
        left = r.latest - t
        by_time = 0.0
        for j in by_ratio:
            if left <= 0:
                break
            if j not in visited and not blocked[j] and t + min_in[j] <= last_close[j] + _EPS:
                take = min(1.0, left / max(cost[j], _EPS))
                by_time += take * prize[j]
                left -= take * cost[j]
        return owed_score + min(by_count, by_time)

    def close(cur: int, t: float, visited: frozenset[int], use: frozenset[int], value: float) -> None:
        nonlocal best, best_route
        if t + legs[cur][r.end] > r.latest + _EPS or value <= low(use):
            return
        if not need <= visited:
            return
        if all(g.min_visits <= count[k] for k, g in enumerate(groups)):
            if value > best:
                best = value
                best_route = tuple(path)
            if avoid is not None and value > pool.get(visited, ((), -math.inf))[1]:
                pool[visited] = (tuple(path), value)
            if value > by_use.get(use, -math.inf):
                by_use[use] = value
                for u, v in beaten.items():
                    if use <= u and v < value:
                        beaten[u] = value

    def enter(j: int, step: int) -> None:
        for g in node_groups[j]:  # usually none or one
            if step < 0 and count[g] == most[g]:
                for q in members[g]:
                    blocked[q] -= 1
            count[g] += step
            if step > 0 and count[g] == most[g]:
                for q in members[g]:
                    blocked[q] += 1

    def dfs(cur: int, t: float, visited: frozenset[int], use: frozenset[int], add: float) -> None:
        nonlocal pending
        k = len(visited)
        rest = optimistic(t, visited, k) if k < cap else 0.0
        floor = low(use)
        if add + rest <= floor + _EPS and (add <= floor or k == 0):
            return  # the additive score already shows this branch cannot win
        value = worth(add)
        close(cur, t, visited, use, value)
        if k >= cap:
            return
        opt = value + rest
        if opt <= low(use) + _EPS:
            return
        branches[0] += 1
        if branches[0] > budget or time.perf_counter() > deadline:
            pending = max(pending, opt)
            return
        row = legs[cur]
        for j in cand:
            if blocked[j] or j in visited:
                continue
            arrive = t + row[j]
            if arrive > last_close[j] + _EPS:
                continue
            end = start_at(j, arrive) + length[j]
            if end + min_out[j] > r.latest + _EPS:  # legs may break the triangle rule (ride limit)
                continue
            nxt = visited | {j}
            key = (nxt, j)
            if seen.get(key, math.inf) <= end:
                continue
            seen[key] = end
            enter(j, +1)
            path.append(j)
            dfs(j, end, nxt, use | {j} if j in shun else use, add + prize[j])
            path.pop()
            enter(j, -1)

    def worth(add: float) -> float:
        # One visit is worth its prize: no other visit to diminish it.
        return add if value is None or len(path) < 2 else min(add, value(path))

    dfs(r.start, r.earliest, frozenset(), frozenset(), 0.0)
    if best == -math.inf and pending == -math.inf:  # noqa: SIM102
        msg = "best_day: no route meets the visit groups, required nodes and time limits"
        raise SolverError(msg)
    bound = max(best, pending)
    kept = sorted((rv for s, rv in pool.items() if rv[1] > low(s & shun) - _EPS), key=lambda rv: -rv[1])
    return DayBound(
        bound=bound, best=max(best, 0.0), exact=pending <= best, seconds=time.perf_counter() - t0,
        route=best_route, branches=branches[0], pool=tuple(kept), floor=by_use.get(frozenset(), known), open_bound=pending,
    )  # fmt: skip


def _kind_problem(
    ctx: _Ctx, windows: tuple[tuple[tuple[float, float], ...], ...], lunchless: bool
) -> Problem:
    """The problem of a bus alone on the sites (``windows``), without the visit groups' minima if ``lunchless``."""
    problem = ctx.problem.replace(windows=windows)
    if lunchless:
        problem = problem.replace(groups=tuple(dataclasses.replace(g, min_visits=0) for g in problem.groups))
    return problem


def _search(
    problem: Problem,
    value: Callable[[Sequence[int]], float],
    avoid: Collection[int] | None,
    per: float,
    work: int,
) -> tuple[DayBound, bool]:
    """:func:`best_day` keeping the days for ``avoid`` (and :data:`DAY_MARGIN` below), and whether they meet every rule.

    When no day meets every rule, the days are searched without the visit
    groups' and required minima (a bound, not days to plan).
    """
    margin = DAY_MARGIN if avoid is not None else 0.0
    try:
        return best_day(
            problem, time_limit=per, value=value, max_branches=work, avoid=avoid, margin=margin
        ), True
    except SolverError:
        loose = problem.replace(groups=(), mandatory=frozenset())
        return best_day(
            loose, time_limit=per, value=value, max_branches=work, avoid=avoid, margin=margin
        ), False


def _ng_cap(problem: Problem, time_limit: float) -> float:
    """The ng-route bound of the relaxation without stop cap, groups or required nodes.

    Windows become their hull and prizes are rounded up to whole halves
    (scaled by 2): every change only adds routes or raises scores, so the
    result still bounds the problem.  ``inf`` when the bound does not apply.
    """
    from tourplan.optimize.bound import upper_bound  # deferred: numba (`study-tour --help` needs none)

    wins = tuple(((w[0][0], w[-1][1]),) if w else () for w in problem.windows)
    relaxed = problem.replace(
        windows=wins, groups=(), mandatory=frozenset(), max_nodes=None, route_windows={},
        scores=np.ceil(np.asarray(problem.scores) * 2 - _EPS),
    )  # fmt: skip
    try:
        res = upper_bound(relaxed, scale=1, time_limit=time_limit, max_rounds=20)
    except SolverError:
        return math.inf
    return res.bound / 2


@dataclass(frozen=True)
class ValueBound:
    """A proven upper bound on a plan's study value, and the days that reach it.

    Attributes
    ----------
    bound
        No plan of these buses is worth more: the solo days priced for the
        sites they share (:mod:`tourplan.study.relax`), at most ``solo``.
    solo
        The sum over groups of each group's best possible solo day.
    exact
        Every solo-day search closed (``solo`` is the sum of optima).
    days
        Per bus, the solo days worth trying, best first (its best day and
        those up to :data:`DAY_MARGIN` below the best day that avoids the
        scarce sites); empty when its search found none that meets every rule.
    room
        Scarce sites (node id) and the most bus visits each can take, when
        fewer than the buses.
    prices
        The price of a visit to each scarce site in ``bound``.
    crowded
        Sites that cannot hold every bus at once in some slot a visit could use.
    floors
        Per bus, the best solo day that visits no scarce site: ``days`` holds
        every better day (or one as good at no more scarce sites), and those
        down to :data:`DAY_MARGIN` below it.
    """

    bound: float
    solo: float
    exact: bool
    days: tuple[tuple[Day, ...], ...]
    room: dict[int, float]
    prices: dict[int, float]
    crowded: frozenset[int] = frozenset()
    floors: tuple[float, ...] = ()


def _value_upper_bound(
    ctx: _Ctx,
    units: Sequence[_Unit],
    *,
    time_limit: float = 10.0,
    max_branches: int = BOUND_BRANCHES,
    lunchless: Collection[int] = (),
) -> ValueBound:
    """Each group's best possible solo day, priced for the sites the groups share: a true upper bound.

    Each bus's groups share its route, so a bus's best solo day, counted once
    per group on it, bounds what its groups can reach (see the module notes);
    the sum over buses is ``solo``.  Sites that fewer buses can visit than
    there are (:func:`tourplan.study.relax._visit_room`) are priced by the
    Lagrangian relaxation of that room; each bus's search keeps every day that
    can be its priced best (``best_day(avoid=...)``).

    The buses ``lunchless`` (indices into ``units``) are bounded without the
    visit groups' minima: a plan that could give them no lunch stop is
    bounded as planned.
    """
    n = len(ctx.nodes)
    idle = _Load.empty(n)
    # Buses whose solo windows are the same share one search.
    wins = [
        (tuple(_unit_windows(ctx, u.people, len(u.groups), idle)), k in lunchless)
        for k, u in enumerate(units)
    ]
    kinds = list(dict.fromkeys(wins))
    room, crowded = _visit_room(ctx, units)
    # Sites with no room at all are left out: no day reaches them (ride limit, too long a visit).
    scarce = [i for i in range(n) if 0 < room[i] < len(units) and any(w[i] for w, _ in kinds)]
    value = ctx.route_value
    deadline = time.perf_counter() + time_limit
    work = max_branches // len(kinds) // 3
    problems = {kind: _kind_problem(ctx, *kind) for kind in kinds}

    def search(problem: Problem, avoid: Collection[int] | None) -> tuple[DayBound, bool]:
        checkpoint(work * SECONDS_PER_BRANCH)  # the request's budget (tourplan.limits), if one is active
        left = max(0.0, deadline - time.perf_counter()) / len(kinds)
        return _search(problem, value, avoid, left, work)

    # First every scarce site priced; when that search does not close, only those on
    # the best solo days (the others then count as plenty: looser, still a bound).
    pooled = {k: search(p, scarce) for k, p in problems.items()}
    if any(d.open_bound > -math.inf for d, _ in pooled.values()):
        solo_days = {k: search(p, None)[0] for k, p in problems.items()}
        scarce = sorted(set(scarce) & {i for d in solo_days.values() for i in d.route or ()})
        pooled = {k: search(p, scarce) for k, p in problems.items()}
        pooled = {
            k: (
                dataclasses.replace(d, bound=min(d.bound, solo_days[k].bound), exact=solo_days[k].exact),
                usable,
            )
            for k, (d, usable) in pooled.items()
        }
    searched: dict[
        tuple[tuple[tuple[tuple[float, float], ...], ...], bool], tuple[DayBound, float, bool]
    ] = {}
    for kind, (day, usable) in pooled.items():
        cap = _ng_cap(problems[kind], time_limit / len(kinds)) if not day.exact else math.inf
        day = dataclasses.replace(day, bound=min(day.bound, cap))
        searched[kind] = (day, min(day.open_bound, day.bound), usable and not kind[1])
    solo = sum(searched[w][0].bound * len(u.groups) for u, w in zip(units, wins, strict=True))
    pools = [searched[w][0].pool for w in kinds]
    weights = [len(u.groups) for u in units]
    prices = _prices(pools, [[u for u, w in enumerate(wins) if w == k] for k in kinds], weights, scarce, room)
    priced = _priced_bound(
        [searched[w][0].pool for w in wins], [searched[w][1] for w in wins], weights, scarce, room, prices
    )
    return ValueBound(
        bound=min(solo, priced),
        solo=solo,
        exact=all(d.exact for d, _, _ in searched.values()),
        days=tuple(searched[w][0].pool if searched[w][2] else () for w in wins),
        room={i: float(room[i]) for i in scarce},
        prices={i: float(p) for i, p in zip(scarce, prices, strict=True)},
        crowded=crowded,
        floors=tuple(searched[w][0].floor for w in wins),
    )
