"""Independent feasibility checker.

Everything is recomputed from the :class:`~tourplan.optimize.problem.Problem`
alone (no engine state), so the checker can audit any solver's output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from tourplan.optimize.problem import Solution, Visit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.optimize.problem import Problem, Window

TOL = 1e-6
"""Floating tolerance on every time and capacity comparison."""


class RouteSchedule(NamedTuple):
    """Earliest-start schedule of one route."""

    visits: tuple[Visit, ...]
    finish: float
    """Arrival time back at the route's end node."""
    issues: list[str]


def earliest_start(windows: tuple[Window, ...], arrive: float) -> float | None:
    """Return the earliest start at or after ``arrive`` in ``windows``, or ``None``.

    Examples
    --------
    >>> earliest_start(((0.0, 5.0), (10.0, 20.0)), 7.0)
    10.0
    >>> earliest_start(((0.0, 5.0),), 6.0) is None
    True
    """
    for open_, close in windows:
        if arrive <= close + TOL:
            return max(arrive, open_)
    return None


def schedule_route(problem: Problem, r: int, nodes: Sequence[int]) -> RouteSchedule:
    """Schedule ``nodes`` on route ``r``: leave at ``earliest``, start each visit asap.

    A visit that fits no window is reported in ``issues`` and started on arrival.

    Notes
    -----
    O(len(nodes) * windows per node).
    """
    route = problem.routes[r]
    travel, service = problem.travel, problem.service
    issues: list[str] = []
    visits: list[Visit] = []
    here, t = route.start, route.earliest
    for i in nodes:
        arrive = t + float(travel[here, i])
        wins = problem.windows_on(r, i)
        start = earliest_start(wins, arrive)
        if start is None:
            issues.append(f"route {r}: node {i} arrives at {arrive:.6g}, after its windows {list(wins)}")
            start = arrive
        end = start + float(service[i])
        visits.append(Visit(int(i), arrive, start - arrive, start, end))
        here, t = i, end
    finish = t + float(travel[here, route.end])
    if finish > route.latest + TOL:
        issues.append(f"route {r}: returns to {route.end} at {finish:.6g}, after latest {route.latest:g}")
    return RouteSchedule(tuple(visits), finish, issues)


def check_solution(problem: Problem, routes: Sequence[Sequence[int]]) -> list[str]:
    """Return every constraint the routes break; an empty list means feasible.

    Checks node ids, each node at most once overall, no route start/end visited,
    windows (with per-route overrides), return by ``latest``, group bounds,
    capacities, ``max_nodes`` and mandatory nodes. Times follow the
    earliest-start schedule with waiting allowed (which is optimal for
    feasibility); tolerance :data:`TOL`.

    Examples
    --------
    >>> import numpy as np
    >>> from tourplan.optimize.problem import Problem, Route
    >>> p = Problem(np.full((2, 2), 5.0), [0, 1], [0, 0], [(), ((0, 10),)], (Route(0, 0, 0, 8),))
    >>> check_solution(p, [[1]])
    ['route 0: returns to 0 at 10, after latest 8']
    """
    issues: list[str] = []
    n, m = problem.n, problem.m
    if len(routes) > m:
        issues.append(f"{len(routes)} routes given, the problem has {m}")
    depots = problem.depots
    seen: dict[int, int] = {}
    for r, nodes in enumerate(routes[:m]):
        bad = [i for i in nodes if not (isinstance(i, int | np.integer) and 0 <= i < n)]
        if bad:
            issues.append(f"route {r}: invalid node ids {bad}")
            continue
        for i in nodes:
            if i in depots:
                issues.append(f"route {r}: visits start/end node {i}")
            if i in seen:
                issues.append(f"node {i} visited more than once (routes {seen[i]} and {r})")
            seen[int(i)] = r
        issues.extend(schedule_route(problem, r, [int(i) for i in nodes]).issues)
        if problem.max_nodes is not None and len(nodes) > problem.max_nodes[r]:
            issues.append(f"route {r}: {len(nodes)} visits, max_nodes is {problem.max_nodes[r]}")
        if problem.load is not None and problem.capacity is not None:
            used = problem.load[list(nodes)].sum(axis=0) if nodes else 0.0
            over = np.flatnonzero(used > problem.capacity[r] + TOL)
            for k in over:
                issues.append(
                    f"route {r}: load {k} is {float(np.asarray(used)[k]):g}, "
                    f"capacity {problem.capacity[r][k]:g}"
                )
    for g, group in enumerate(problem.groups):
        for r in sorted(group.routes):
            count = sum(1 for i in (routes[r] if r < len(routes) else ()) if i in group.nodes)
            if not group.min_visits <= count <= group.max_visits:
                issues.append(
                    f"route {r}: {count} visits to group {g}, expected {group.min_visits}..{group.max_visits}"
                )
    missing = sorted(problem.mandatory - seen.keys())
    if missing:
        issues.append(f"mandatory nodes not visited: {missing}")
    return issues


def build_solution(
    problem: Problem,
    routes: Sequence[Sequence[int]],
    *,
    runtime: float = 0.0,
    iterations: int = 0,
) -> Solution:
    """Return a :class:`Solution` for ``routes`` with schedule, score and feasibility."""
    clean = tuple(tuple(int(i) for i in nodes) for nodes in routes)
    clean = clean + ((),) * (problem.m - len(clean))
    schedule = tuple(schedule_route(problem, r, nodes).visits for r, nodes in enumerate(clean))
    visited = {i for nodes in clean for i in nodes}
    travel = 0.0
    for r, nodes in enumerate(clean):
        route = problem.routes[r]
        path = [route.start, *nodes, route.end]
        travel += float(sum(problem.travel[a, b] for a, b in zip(path, path[1:], strict=False)))
    score = float(sum(problem.scores[i] for i in visited))
    return Solution(
        routes=clean,
        schedule=schedule,
        score=score,
        travel_time=travel,
        feasible=not check_solution(problem, clean),
        unvisited_mandatory=frozenset(problem.mandatory - visited),
        runtime=runtime,
        iterations=iterations,
    )
