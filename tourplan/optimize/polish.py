"""Polish a solution on a value the engine cannot express.

The engine maximises a sum of per-node scores. Callers whose real objective
is not additive (diminishing returns per theme or category on a day) use
:func:`polish` afterwards: single-node moves scored on the real value, each
kept only if the independent checker accepts the result.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from tourplan.optimize.check import build_solution, check_solution, schedule_route

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


def _best_move(
    problem: Problem,
    routes: list[list[int]],
    values: list[float],
    route_value: RouteValue,
    keep: set[int],
    candidates: Sequence[int],
    accept: Callable[[list[list[int]]], bool] | None,
) -> tuple[tuple[int, list[int], float] | None, int]:
    """The feasible single-node move of highest total value above the current one (or None), and the moves scored."""
    inside = {i for r in routes for i in r}
    moves: list[tuple[float, int, int, list[int]]] = []  # (route value, -order, route, new route)
    cap = problem.max_nodes
    for c in candidates:
        if c in inside:
            continue
        for d, r in enumerate(routes):
            if not problem.windows_on(d, c):
                continue  # closed on this route
            trials = [[*r[:q], c, *r[q + 1 :]] for q in range(len(r)) if r[q] not in keep]
            if cap is None or len(r) < cap[d]:
                trials += [[*r[:q], c, *r[q:]] for q in range(len(r) + 1)]
            moves += [(route_value(new), -len(moves) - k, d, new) for k, new in enumerate(trials)]
    moves.sort(key=lambda mv: (mv[0] - values[mv[2]], mv[1]), reverse=True)  # best gain first
    for value, _, d, new in moves:
        if value - values[d] <= 1e-9:
            return None, len(moves)
        # the changed route's timing first (cheap), then everything
        if schedule_route(problem, d, new).issues:
            continue
        trial = [new if e == d else r for e, r in enumerate(routes)]
        if not check_solution(problem, trial) and (accept is None or accept(trial)):
            return (d, new, value), len(moves)
    return None, len(moves)
