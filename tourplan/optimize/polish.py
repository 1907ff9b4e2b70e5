"""Polish a solution on a value the engine cannot express.

The engine maximises a sum of per-node scores. Callers whose real objective
is not additive (diminishing returns per theme or category on a day) use
:func:`polish` afterwards: single-node moves scored on the real value, each
kept only if the independent checker accepts the result.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from tourplan.optimize.check import TOL, build_solution, check_solution, schedule_route

if TYPE_CHECKING:
    from tourplan.optimize.problem import Problem, Solution

RouteValue = Callable[[Sequence[int]], float]
"""Real value of one route (its visits in order, start and end excluded)."""


def polish(
    problem: Problem,
    solution: Solution,
    route_value: RouteValue,
    *,
    fixed: Collection[int] = (),
    candidates: Sequence[int] | None = None,
    accept: Callable[[list[list[int]]], bool] | None = None,
    max_moves: int = 200_000,
    order_free: bool = False,
) -> Solution:
    """Raise ``sum(route_value(route))`` by inserting and replacing single nodes.

    Until nothing improves: among all insertions of an unvisited candidate
    (any route, any position) and replacements of a visited node that is not
    in ``fixed`` (same route and position), take the move of highest total
    value that :func:`check_solution` finds feasible and ``accept`` (if
    given) allows.

    Parameters
    ----------
    problem, solution
        The problem and a feasible solution of it (an infeasible one is
        returned as it is).
    route_value
        Real value of one route.
    fixed
        Nodes never replaced (mandatory visits, lunch stops).
    candidates
        Nodes that may come in; default every node with a positive score
        that no route starts or ends at.
    accept
        Extra test of the candidate routes (constraints outside ``problem``).
    max_moves
        Work cap: no new pass starts once this many moves have been scored
        (deterministic; far above what the bundled data needs, it bounds the
        time on a much larger site table).
    order_free
        ``route_value`` depends only on which nodes a route visits, not on
        their order (true of a day credited with diminishing returns): each
        set is valued once, so all the positions of an insertion, and every
        move a later pass scores again on a route that did not change, cost
        a look-up.

    Returns
    -------
    Solution
        ``solution`` itself if no move improved, else the polished one (same
        runtime and iteration count).

    Notes
    -----
    A pass scores ``O(candidates x visits)`` moves and runs the checker on
    them best first, stopping at the first feasible improvement; the value
    never decreases, so the loop ends.
    """
    if not solution.feasible:
        return solution
    ends = {rt.start for rt in problem.routes} | {rt.end for rt in problem.routes}
    if candidates is None:
        candidates = [i for i in range(problem.n) if problem.scores[i] > 0 and i not in ends]
    keep = set(fixed)
    if order_free:
        route_value = _by_set(route_value)
    routes = [list(r) for r in solution.routes]
    values = [route_value(r) for r in routes]
    improved = False
    scored = 0
    while scored < max_moves:
        step, n = _best_move(problem, routes, values, route_value, keep, candidates, accept)
        scored += n
        if step is None:
            break
        d, routes[d], values[d] = step
        improved = True
    if not improved:
        return solution
    return build_solution(problem, routes, runtime=solution.runtime, iterations=solution.iterations)


def _by_set(route_value: RouteValue) -> RouteValue:
    """``route_value`` computed once per set of nodes."""
    known: dict[tuple[int, ...], float] = {}

    def value(route: Sequence[int]) -> float:
        key = tuple(sorted(route))
        if key not in known:
            known[key] = route_value(route)
        return known[key]

    return value


def _best_move(
    problem: Problem,
    routes: list[list[int]],
    values: list[float],
    route_value: RouteValue,
    keep: set[int],
    candidates: Sequence[int],
    accept: Callable[[list[list[int]]], bool] | None,
) -> tuple[tuple[int, list[int], float] | None, int]:
    """The feasible single-node move of highest total value above the current one (or None), and the moves scored.

    A move whose visits and travel alone outlast its route's day (no waiting
    counted) cannot fit and is passed over before the schedule is checked.
    """
    inside = {i for r in routes for i in r}
    # (route value, -order, route, new route, visits and travel of the new route)
    moves: list[tuple[float, int, int, list[int], float]] = []
    cap = problem.max_nodes
    travel, service = problem.travel.tolist(), problem.service.tolist()
    paths = [[rt.start, *r, rt.end] for rt, r in zip(problem.routes, routes, strict=False)]
    busy = [
        sum(service[i] for i in r) + sum(travel[a][b] for a, b in itertools.pairwise(path))
        for r, path in zip(routes, paths, strict=True)
    ]
    for c in candidates:
        if c in inside:
            continue
        to_c, from_c = [row[c] for row in travel], travel[c]
        for d, r in enumerate(routes):
            if not problem.windows_on(d, c):
                continue  # closed on this route
            path = paths[d]
            trials = [
                ([*r[:q], c, *r[q + 1 :]], to_c[a] + service[c] + from_c[b] - travel[a][x] - service[x] - travel[x][b])
                for q, (a, x, b) in enumerate(zip(path, path[1:], path[2:], strict=False))
                if x not in keep
            ]
            if cap is None or len(r) < cap[d]:
                trials += [
                    ([*r[:q], c, *r[q:]], to_c[a] + service[c] + from_c[b] - travel[a][b])
                    for q, (a, b) in enumerate(itertools.pairwise(path))
                ]
            moves += [
                (route_value(new), -len(moves) - k, d, new, busy[d] + extra) for k, (new, extra) in enumerate(trials)
            ]
    moves.sort(key=lambda mv: (mv[0] - values[mv[2]], mv[1]), reverse=True)  # best gain first
    for value, _, d, new, need in moves:
        if value - values[d] <= 1e-9:
            return None, len(moves)
        route = problem.routes[d]
        if need > route.latest - route.earliest + 10 * TOL:
            continue
        # the changed route's timing first (cheap), then everything
        if schedule_route(problem, d, new).issues:
            continue
        trial = [new if e == d else r for e, r in enumerate(routes)]
        if not check_solution(problem, trial) and (accept is None or accept(trial)):
            return (d, new, value), len(moves)
    return None, len(moves)
