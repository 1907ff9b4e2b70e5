"""Build a :class:`~tourplan.optimize.problem.Problem` step by step, by name.

After PyVRP's ``Model``: add the places routes start and end at, the sites
with their scores, visit lengths and windows, the routes, the visit groups
and the must-visit sites, then :meth:`ProblemBuilder.build` the frozen
:class:`Problem`.  Places and sites are named by key (a site id, a place
key), so the planners never count node indices by hand; a place and a site
may share a key (a visitor who starts at a sight may also visit it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tourplan.optimize.problem import Problem, Route, VisitGroup

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

    from tourplan.optimize.problem import FloatArray, Window

__all__ = ["ALL_DAY", "ProblemBuilder"]

#: The windows of a node open all day (minutes after midnight).
ALL_DAY: tuple[Window, ...] = ((0.0, 24.0 * 60),)


class ProblemBuilder:
    """Collects places, sites, routes and groups, then builds a :class:`Problem`.

    Node indices follow the order of :meth:`add_place` and :meth:`add_site`
    calls; :attr:`keys` lists each node's key in that order.

    Examples
    --------
    >>> import numpy as np
    >>> b = ProblemBuilder()
    >>> b.add_place("hotel")
    0
    >>> b.add_site("museum", score=3.0, service=60.0, windows=((540.0, 960.0),))
    1
    >>> b.add_route("hotel", "hotel", earliest=480.0, latest=1080.0)
    0
    >>> b.require("museum")
    >>> p = b.build(np.full((2, 2), 15.0))
    >>> p.n, p.m, sorted(p.mandatory), p.windows[1]
    (2, 1, [1], ((540.0, 960.0),))
    """

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._places: dict[str, int] = {}
        self._sites: dict[str, int] = {}
        self._scores: list[float] = []
        self._service: list[float] = []
        self._windows: list[tuple[Window, ...]] = []
        self._loads: list[tuple[float, ...]] = []
        self._routes: list[Route] = []
        self._capacity: list[tuple[float, ...]] = []
        self._max_visits: list[int | None] = []
        self._route_windows: dict[tuple[int, int], tuple[Window, ...]] = {}
        self._groups: list[tuple[frozenset[int], frozenset[int] | None, int, int]] = []
        self._mandatory: set[int] = set()

    # -- nodes ---------------------------------------------------------------

    def _add(
        self, key: str, score: float, service: float, windows: tuple[Window, ...], load: Sequence[float]
    ) -> int:
        self.keys.append(key)
        self._scores.append(float(score))
        self._service.append(float(service))
        self._windows.append(tuple(windows))
        self._loads.append(tuple(float(x) for x in load))
        return len(self.keys) - 1

    def add_place(self, key: str) -> int:
        """Add a place where routes start or end (never visited for score); return its node."""
        if key in self._places:
            msg = f"add_place: expected a new place key, got {key!r} twice"
            raise ValueError(msg)
        self._places[key] = self._add(key, 0.0, 0.0, ALL_DAY, ())
        return self._places[key]

    def add_site(
        self,
        key: str,
        *,
        score: float,
        service: float,
        windows: Iterable[Window] = ALL_DAY,
        load: Sequence[float] = (),
    ) -> int:
        """Add a site worth ``score``, visited for ``service`` minutes starting in ``windows``; return its node.

        ``load`` is the site's use of each route resource (see ``capacity``
        in :meth:`add_route`).
        """
        if key in self._sites:
            msg = f"add_site: expected a new site key, got {key!r} twice"
            raise ValueError(msg)
        self._sites[key] = self._add(key, score, service, tuple(windows), load)
        return self._sites[key]

    def place(self, key: str) -> int:
        """The node of a place."""
        return self._places[key]

    def site(self, key: str) -> int:
        """The node of a site."""
        return self._sites[key]

    def has_site(self, key: str) -> bool:
        """Whether a site with this key was added."""
        return key in self._sites

    @property
    def n(self) -> int:
        """Nodes so far."""
        return len(self.keys)

    @property
    def scores(self) -> FloatArray:
        """A copy of the scores so far, by node."""
        return np.array(self._scores, dtype=np.float64)

    @scores.setter
    def scores(self, values: Sequence[float] | FloatArray) -> None:
        if len(values) != len(self._scores):
            msg = f"scores: expected {len(self._scores)} values, one per node, got {len(values)}"
            raise ValueError(msg)
        self._scores = [float(x) for x in values]

    @property
    def service(self) -> FloatArray:
        """A copy of the visit lengths so far, by node."""
        return np.array(self._service, dtype=np.float64)

    @property
    def route_windows(self) -> dict[tuple[int, int], tuple[Window, ...]]:
        """A copy of the per-route windows so far, ``(route, node) -> windows``."""
        return dict(self._route_windows)

    @route_windows.setter
    def route_windows(self, windows: Mapping[tuple[int, int], Iterable[Window]]) -> None:
        self._route_windows = {(int(r), int(i)): tuple(w) for (r, i), w in windows.items()}

    # -- routes and rules ------------------------------------------------------

    def add_route(
        self,
        start: str,
        end: str,
        *,
        earliest: float,
        latest: float,
        capacity: Sequence[float] = (),
        max_visits: int | None = None,
    ) -> int:
        """Add a route from place ``start`` to place ``end``; return its index.

        ``capacity`` bounds the summed site ``load`` of the route per
        resource; ``max_visits`` bounds its number of visits.
        """
        self._routes.append(Route(self.place(start), self.place(end), float(earliest), float(latest)))
        self._capacity.append(tuple(float(x) for x in capacity))
        self._max_visits.append(max_visits)
        return len(self._routes) - 1

    def set_windows(self, key: str, route: int, windows: Iterable[Window]) -> None:
        """Give site ``key`` other windows on one route (``()`` closes it there)."""
        self._route_windows[(route, self.site(key))] = tuple(windows)

    def add_group(
        self, keys: Collection[str], *, least: int = 0, most: int, routes: Collection[int] | None = None
    ) -> None:
        """Each route (of ``routes``, default all) visits ``least`` to ``most`` of the sites ``keys``."""
        nodes = frozenset(self.site(k) for k in keys)
        self._groups.append((nodes, None if routes is None else frozenset(routes), least, most))

    def require(self, key: str) -> None:
        """Site ``key`` must be visited."""
        self._mandatory.add(self.site(key))

    # -- build -----------------------------------------------------------------

    def build(self, travel: FloatArray) -> Problem:
        """The :class:`Problem` over the nodes in order, with ``travel`` minutes between them.

        Raises
        ------
        DataValidationError
            When the pieces do not fit together (see :class:`Problem`).
        """
        all_routes = frozenset(range(len(self._routes)))
        width = max((len(x) for x in (*self._loads, *self._capacity)), default=0)
        load = capacity = None
        if width:
            load = np.zeros((self.n, width))
            for i, row in enumerate(self._loads):
                load[i, : len(row)] = row
            capacity = np.full((len(self._routes), width), math.inf)
            for r, row in enumerate(self._capacity):
                capacity[r, : len(row)] = row
        caps = None
        if any(c is not None for c in self._max_visits):
            caps = tuple(self.n if c is None else c for c in self._max_visits)
        return Problem(
            travel=travel,
            scores=self.scores,
            service=self.service,
            windows=tuple(self._windows),
            routes=tuple(self._routes),
            route_windows=dict(self._route_windows),
            mandatory=frozenset(self._mandatory),
            groups=tuple(
                VisitGroup(nodes, all_routes if routes is None else routes, least, most)
                for nodes, routes, least, most in self._groups
            ),
            load=load,
            capacity=capacity,
            max_nodes=caps,
        )
