"""Problem and solution types of the orienteering engine.

An itinerary is an Orienteering Problem with Time Windows (OPTW); with several
routes (days) it is the Team OPTW (TOPTW). :class:`Problem` holds one instance,
:class:`Solution` one answer. Both are frozen and check themselves.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tourplan.errors import DataValidationError
from tourplan.errors import Issue as _Issue

if TYPE_CHECKING:
    from collections.abc import Mapping

Window = tuple[float, float]
"""``(open, close)``: a visit may *start* at any time in ``[open, close]``."""

FloatArray = npt.NDArray[np.float64]

_SOURCE = "optimize.Problem"


def _issue(column: str, value: object, expected: str) -> _Issue:
    return _Issue(file=_SOURCE, row=None, column=column, value=repr(value), expected=expected)


def _normalise_windows(raw: Any, where: str, issues: list[_Issue]) -> tuple[Window, ...]:
    """Return ``raw`` as a sorted tuple of float pairs, recording any problem."""
    try:
        pairs = tuple((float(a), float(b)) for a, b in raw)
    except (TypeError, ValueError):
        issues.append(_issue(where, raw, "a sequence of (open, close) pairs"))
        return ()
    for a, b in pairs:
        if math.isnan(a) or math.isnan(b) or a > b:
            issues.append(_issue(where, raw, "windows with open <= close and no NaN"))
            return ()
    return tuple(sorted(pairs))


@dataclass(frozen=True)
class Route:
    """One route (a day): leave ``start`` at ``earliest``, be back at ``end`` by ``latest``.

    Parameters
    ----------
    start
        Node the route leaves from (never visited for score).
    end
        Node the route returns to (never visited for score).
    earliest
        Departure time from ``start``.
    latest
        Latest arrival time at ``end``.
    """

    start: int = 0
    end: int = 0
    earliest: float = 0.0
    latest: float = math.inf

    def __post_init__(self) -> None:
        if not self.earliest <= self.latest:
            msg = f"Route: expected earliest <= latest, got {self.earliest!r} > {self.latest!r}"
            raise DataValidationError([_issue("routes", self, msg)])


@dataclass(frozen=True)
class VisitGroup:
    """Each route in ``routes`` visits between ``min_visits`` and ``max_visits`` of ``nodes``.

    Lunch is ``VisitGroup(food_nodes, all_routes, 1, 1)`` with the lunch window on
    the food nodes.
    """

    nodes: frozenset[int]
    routes: frozenset[int]
    min_visits: int = 0
    max_visits: int = 1_000_000_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", frozenset(int(i) for i in self.nodes))
        object.__setattr__(self, "routes", frozenset(int(r) for r in self.routes))
        if not 0 <= self.min_visits <= self.max_visits:
            raise DataValidationError([_issue("groups", self, "0 <= min_visits <= max_visits")])


@dataclass(frozen=True, eq=False)
class Problem:
    """One (team) orienteering problem with time windows.

    Parameters
    ----------
    travel
        ``n x n`` travel times; need not be symmetric.
    scores
        ``n`` non-negative scores, collected once per visited node.
    service
        ``n`` non-negative visit durations.
    windows
        Per node a tuple of ``(open, close)`` windows bounding the *start* of the
        visit. ``()`` means never visitable.
    routes
        The routes (days). Their start and end nodes are never visited for score.
    route_windows
        ``(route, node) -> windows`` overriding ``windows`` on that route; ``()``
        closes the node on that route.
    mandatory
        Nodes that must be visited.
    groups
        Per-route bounds on visits to sets of nodes.
    load
        ``n x k`` resource use per visit, or ``None``.
    capacity
        ``m x k`` (or ``k``, shared by all routes) resource limits per route.
    max_nodes
        Per-route cap on the number of visits, or ``None``.

    Raises
    ------
    DataValidationError
        Listing every inconsistency at once.

    Examples
    --------
    >>> import numpy as np
    >>> p = Problem(np.zeros((2, 2)), [0, 1], [0, 0], [(), ((0, 10),)], (Route(),))
    >>> p.n, p.m
    (2, 1)
    """

    travel: FloatArray
    scores: FloatArray
    service: FloatArray
    windows: tuple[tuple[Window, ...], ...]
    routes: tuple[Route, ...]
    route_windows: Mapping[tuple[int, int], tuple[Window, ...]] = field(default_factory=dict)
    mandatory: frozenset[int] = frozenset()
    groups: tuple[VisitGroup, ...] = ()
    load: FloatArray | None = None
    capacity: FloatArray | None = None
    max_nodes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        issues: list[_Issue] = []
        setf = object.__setattr__

        def as_array(name: str, value: object, ndim: int) -> FloatArray:
            try:
                arr = np.array(value, dtype=np.float64)
            except (TypeError, ValueError):
                issues.append(_issue(name, value, f"a {ndim}-d array of numbers"))
                return np.zeros((0,) * ndim)
            if arr.ndim != ndim:
                issues.append(_issue(name, arr.shape, f"a {ndim}-d array"))
                return np.zeros((0,) * ndim)
            if np.isnan(arr).any():
                issues.append(_issue(name, "NaN", "no NaN values"))
            arr.setflags(write=False)
            return arr

        scores = as_array("scores", self.scores, 1)
        n = scores.shape[0]
        travel = as_array("travel", self.travel, 2)
        service = as_array("service", self.service, 1)
        if travel.shape != (n, n):
            issues.append(_issue("travel", travel.shape, f"shape ({n}, {n}) to match scores"))
        elif (travel < 0).any():
            issues.append(_issue("travel", "negative entry", "travel times >= 0"))
        if service.shape != (n,):
            issues.append(_issue("service", service.shape, f"shape ({n},)"))
        elif (service < 0).any():
            issues.append(_issue("service", "negative entry", "durations >= 0"))
        if (scores < 0).any():
            issues.append(_issue("scores", "negative entry", "scores >= 0"))
        setf(self, "travel", travel)
        setf(self, "scores", scores)
        setf(self, "service", service)

        windows = tuple(self.windows) if not isinstance(self.windows, str) else ()
        if len(windows) != n:
            issues.append(_issue("windows", len(windows), f"{n} entries, one per node"))
        setf(
            self,
            "windows",
            tuple(_normalise_windows(w, f"windows[{i}]", issues) for i, w in enumerate(windows)),
        )

        routes = tuple(self.routes)
        if not routes:
            issues.append(_issue("routes", routes, "at least one Route"))
        for k, route in enumerate(routes):
            if not isinstance(route, Route):
                issues.append(_issue(f"routes[{k}]", route, "a Route"))
            elif not (0 <= route.start < n and 0 <= route.end < n):
                issues.append(_issue(f"routes[{k}]", route, f"start and end in 0..{n - 1}"))
        setf(self, "routes", routes)
        m = len(routes)

        overrides: dict[tuple[int, int], tuple[Window, ...]] = {}
        for key, wins in dict(self.route_windows).items():
            r, i = int(key[0]), int(key[1])
            if not (0 <= r < m and 0 <= i < n):
                issues.append(_issue("route_windows", key, f"(route in 0..{m - 1}, node in 0..)"))
                continue
            overrides[(r, i)] = _normalise_windows(wins, f"route_windows[{key}]", issues)
        setf(self, "route_windows", overrides)

        mandatory = frozenset(int(i) for i in self.mandatory)
        bad = sorted(i for i in mandatory if not 0 <= i < n)
        if bad:
            issues.append(_issue("mandatory", bad, f"nodes in 0..{n - 1}"))
        depots = {route.start for route in routes if isinstance(route, Route)}
        depots |= {route.end for route in routes if isinstance(route, Route)}
        if mandatory & depots:
            issues.append(_issue("mandatory", sorted(mandatory & depots), "no route start/end"))
        setf(self, "mandatory", mandatory)

        groups = tuple(self.groups)
        for k, g in enumerate(groups):
            if not isinstance(g, VisitGroup):
                issues.append(_issue(f"groups[{k}]", g, "a VisitGroup"))
            elif any(not 0 <= i < n for i in g.nodes) or any(not 0 <= r < m for r in g.routes):
                issues.append(_issue(f"groups[{k}]", g, "nodes and routes in range"))
        setf(self, "groups", groups)

        if (self.load is None) != (self.capacity is None):
            issues.append(_issue("capacity", self.capacity, "load and capacity both or neither"))
        if self.load is not None and self.capacity is not None:
            load = as_array("load", self.load, 2)
            cap = np.array(self.capacity, dtype=np.float64)
            if load.shape[0] != n:
                issues.append(_issue("load", load.shape, f"shape ({n}, k)"))
            k = load.shape[1] if load.ndim == 2 else 0
            if cap.ndim == 1:
                cap = np.tile(cap, (m, 1))
            if cap.shape != (m, k):
                issues.append(_issue("capacity", cap.shape, f"shape ({m}, {k}) or ({k},)"))
            if (load < 0).any():
                issues.append(_issue("load", "negative entry", "loads >= 0"))
            cap.setflags(write=False)
            setf(self, "load", load)
            setf(self, "capacity", cap)

        if self.max_nodes is not None:
            caps = tuple(int(c) for c in self.max_nodes)
            if len(caps) != m or any(c < 0 for c in caps):
                issues.append(_issue("max_nodes", caps, f"{m} non-negative ints, one per route"))
            setf(self, "max_nodes", caps)

        if issues:
            raise DataValidationError(issues)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.scores.shape[0])

    @property
    def m(self) -> int:
        """Number of routes."""
        return len(self.routes)

    @property
    def depots(self) -> frozenset[int]:
        """Start and end nodes of all routes; these are never visited."""
        return frozenset({r.start for r in self.routes} | {r.end for r in self.routes})

    def windows_on(self, r: int, i: int) -> tuple[Window, ...]:
        """Return the windows of node ``i`` on route ``r`` (override or default)."""
        return self.route_windows.get((r, i), self.windows[i])

    def replace(self, **changes: Any) -> Problem:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Visit:
    """Schedule of one visit: arrival, waiting, start and end of service."""

    node: int
    arrive: float
    wait: float
    start: float
    end: float


@dataclass(frozen=True)
class Solution:
    """Result of a solve.

    Attributes
    ----------
    routes
        Visited nodes per route, in order, start and end excluded.
    schedule
        Per route the earliest-start :class:`Visit` of each visited node.
    score
        Total score of the visited nodes.
    travel_time
        Total travel time over all routes (depot legs included).
    feasible
        ``True`` when :func:`~tourplan.optimize.check.check_solution` finds no
        problem (this includes mandatory nodes and group minimums).
    unvisited_mandatory
        Mandatory nodes that no route visits.
    runtime
        Wall time of the solve in seconds.
    iterations
        Number of search iterations performed.
    """

    routes: tuple[tuple[int, ...], ...]
    schedule: tuple[tuple[Visit, ...], ...]
    score: float
    travel_time: float
    feasible: bool
    unvisited_mandatory: frozenset[int] = frozenset()
    runtime: float = 0.0
    iterations: int = 0

    def summary(self) -> str:
        """Return a short human-readable description."""
        lines = [
            f"score {self.score:g}, travel {self.travel_time:.2f}, "
            f"{'feasible' if self.feasible else 'INFEASIBLE'}, "
            f"{sum(len(r) for r in self.routes)} visits, "
            f"{self.iterations} iterations in {self.runtime:.2f} s"
        ]
        if self.unvisited_mandatory:
            lines.append(f"unvisited mandatory: {sorted(self.unvisited_mandatory)}")
        for k, route in enumerate(self.routes):
            lines.append(f"route {k}: {' '.join(map(str, route)) or '(empty)'}")
        return "\n".join(lines)
