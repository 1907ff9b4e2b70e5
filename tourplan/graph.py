"""The site graph: travel legs between sites, per transport mode.

:class:`SiteGraph` keeps the legs of each transport mode over the site ids
(as arrays; :meth:`SiteGraph.graph` gives a networkx ``DiGraph``).  Every pair of sites gets a *default* leg: the geodesic distance
(WGS-84 ellipsoid, :mod:`tourplan.geodesy`) times a circuity factor, travelled at the mode's
speed plus a fixed overhead (parking, waiting for a bus).  Explicit legs from
``data/edges.csv`` (mountain trails with ascent, scenic-area shuttles, cable
cars) *replace* the default leg between their two sites.  Travel-time
matrices come from all-pairs shortest paths, so an explicit leg is always
honoured, and a trail that is quicker than going round is used.

Models and their sources
------------------------
* Circuity: road distance is about 1.2-1.4 times the straight line
  (Ballou, Rahardja & Sakai 2002, "Selected country circuity factors for road
  travel distance estimation", Transportation Research A 36:843-848); we use
  1.35 for roads and 1.25 for walking in town.
* Walking speed 4.5 km/h on the flat (a common planning figure; Naismith uses
  5 km/h for fit hill walkers).
* Hiking time: Naismith's rule (1892), 5 km/h plus one hour per 600 m of
  ascent, with Langmuir's descent corrections (Mountaincraft and Leadership,
  1984): minus 10 minutes per 300 m of descent on gentle slopes (5-12
  degrees), plus 10 minutes per 300 m on steep ones (over 12 degrees).
* Driving: 25 km/h for the first 5 km (town streets), 50 km/h beyond
  (provincial roads into the mountains), plus 5 minutes to park.  These are
  planning assumptions, not measurements; pass other :class:`ModeParams` to
  change them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tourplan.errors import NoRouteError, UnknownSiteError
from tourplan.geodesy import distance_km, distance_matrix_km

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import networkx as nx

    from tourplan.site import Edge, Site, SiteTable

__all__ = [
    "DEFAULT_MODES",
    "MODES",
    "Leg",
    "Matrices",
    "ModeParams",
    "SiteGraph",
    "build_graph",
    "hiking_minutes",
]

#: Transport modes a visitor can choose.  ``mixed`` walks short legs and
#: takes a bus or taxi for the rest (see :meth:`SiteGraph.matrices`).
MODES: tuple[str, ...] = ("walk", "drive", "bus", "mixed")


@dataclass(frozen=True, slots=True)
class ModeParams:
    """How default legs are travelled in one mode.

    Attributes
    ----------
    circuity
        Network distance / geodesic distance.
    speed_kmh
        Speed on the first ``slow_km`` kilometres.
    fast_speed_kmh
        Speed beyond ``slow_km`` (open road); equal to ``speed_kmh`` for walking.
    slow_km
        Length of the slow (urban) part of a leg.
    overhead_min
        Fixed minutes per leg (parking, waiting for a bus or taxi).
    hiking
        Use the hiking-time model (ascent counts) for default legs.
    """

    circuity: float
    speed_kmh: float
    fast_speed_kmh: float
    slow_km: float = 5.0
    overhead_min: float = 0.0
    hiking: bool = False

    def __post_init__(self) -> None:
        if self.circuity < 1 or self.speed_kmh <= 0 or self.fast_speed_kmh <= 0:
            msg = f"ModeParams needs circuity >= 1 and positive speeds, got {self!r}"
            raise ValueError(msg)
        if self.overhead_min < 0 or self.slow_km < 0:
            msg = f"ModeParams needs non-negative overhead and slow_km, got {self!r}"
            raise ValueError(msg)

    def minutes(self, road_km: float, ascent_m: float = 0.0, descent_m: float = 0.0) -> float:
        """Minutes to travel *road_km* of network distance in this mode."""
        if self.hiking:
            return hiking_minutes(road_km, ascent_m, descent_m, flat_kmh=self.speed_kmh)
        slow = min(road_km, self.slow_km)
        fast = max(0.0, road_km - self.slow_km)
        return self.overhead_min + 60.0 * (slow / self.speed_kmh + fast / self.fast_speed_kmh)


DEFAULT_MODES: Mapping[str, ModeParams] = {
    "walk": ModeParams(circuity=1.25, speed_kmh=4.5, fast_speed_kmh=4.5, hiking=True),
    "drive": ModeParams(circuity=1.35, speed_kmh=25.0, fast_speed_kmh=50.0, overhead_min=5.0),
    "bus": ModeParams(circuity=1.4, speed_kmh=18.0, fast_speed_kmh=40.0, overhead_min=10.0),
}

# Explicit legs of these kinds join every mode's graph (anyone can walk a
# trail or ride a scenic-area shuttle); "drive" and "bus" legs join their own.
_SHARED_EDGE_MODES = frozenset({"walk", "hike", "shuttle", "cable"})
_SHUTTLE_KMH = 25.0
_CABLE_KMH = 10.0
_SHUTTLE_WAIT_MIN = 5.0


def hiking_minutes(
    distance_km: float,
    ascent_m: float = 0.0,
    descent_m: float = 0.0,
    *,
    flat_kmh: float = 5.0,
) -> float:
    """Walking time by Naismith's rule with Langmuir's descent corrections.

    Parameters
    ----------
    distance_km
        Horizontal distance along the path.
    ascent_m, descent_m
        Total climb and total descent along the path.
    flat_kmh
        Speed on the flat (Naismith: 5 km/h).

    Returns
    -------
    float
        Minutes; never less than the flat time at 1.5 times the speed
        (descending is not free).

    Examples
    --------
    >>> round(hiking_minutes(5.0, 600.0))  # 1 h on the flat + 1 h for the climb
    120
    >>> round(hiking_minutes(3.0, 0.0, 300.0))  # a gentle 300 m descent saves 10 min
    26
    """
    if distance_km < 0 or ascent_m < 0 or descent_m < 0:
        msg = f"hiking_minutes needs non-negative inputs, got {distance_km}, {ascent_m}, {descent_m}"
        raise ValueError(msg)
    t = 60.0 * distance_km / flat_kmh + ascent_m / 10.0  # 600 m per hour
    if descent_m > 0 and distance_km > 0:
        # Mean slope of the descending part, assuming it takes half the path.
        slope_deg = math.degrees(math.atan2(descent_m, 500.0 * distance_km))
        if slope_deg > 12:
            t += 10.0 * descent_m / 300.0
        elif slope_deg >= 5:
            t -= 10.0 * descent_m / 300.0
    floor = 60.0 * distance_km / (1.5 * flat_kmh)
    return max(t, floor)


@dataclass(frozen=True, slots=True)
class Leg:
    """The quickest way from one site to another in one mode.

    ``via`` lists the site ids passed through (both ends included); ``kinds``
    the leg kinds used ("default" for a straight-line estimate, else the
    explicit leg's mode such as "hike" or "shuttle").
    """

    from_id: str
    to_id: str
    mode: str
    minutes: float
    km: float
    ascent_m: float
    descent_m: float
    via: tuple[str, ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Matrices:
    """Travel matrices over an ordered list of node ids (row = from)."""

    ids: tuple[str, ...]
    minutes: np.ndarray
    km: np.ndarray
    ascent_m: np.ndarray
    walk_km: np.ndarray = field(repr=False)

    def index(self, node_id: str) -> int:
        """Row of a node id."""
        return self.ids.index(node_id)


@dataclass
class _DirectLegs:
    """The direct legs of one mode: ``minutes`` (inf where there is none) and the rest per pair."""

    minutes: np.ndarray
    km: np.ndarray
    ascent: np.ndarray
    descent: np.ndarray
    walk_km: np.ndarray
    kinds: dict[tuple[int, int], str]  # the explicit legs' modes; "default" elsewhere

    def put(self, i: int, j: int, minutes: float, km: float, up: float, down: float, walk_km: float) -> None:
        """Set the leg from row ``i`` to column ``j`` (a later leg replaces an earlier one)."""
        self.minutes[i, j], self.km[i, j], self.ascent[i, j] = minutes, km, up
        self.descent[i, j], self.walk_km[i, j] = down, walk_km


@dataclass
class _AllPairs:
    ids: tuple[str, ...]
    minutes: np.ndarray
    km: np.ndarray
    ascent: np.ndarray
    descent: np.ndarray
    walk_km: np.ndarray
    nxt: np.ndarray  # next hop on the quickest path, -1 if none


class SiteGraph:
    """Sites as nodes, travel legs as edges, one graph per mode.

    Parameters
    ----------
    sites
        The site table.
    edges
        Explicit legs that replace the default leg between their ends.
    modes
        Parameters of the default legs per mode; :data:`DEFAULT_MODES` if None.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> g = SiteGraph(load_sites())
    >>> leg = g.leg("jiaozuo_station", "jiaozuo_west_station", "drive")
    >>> 20 < leg.minutes < 40
    True
    """

    def __init__(
        self,
        sites: SiteTable,
        edges: Sequence[Edge] = (),
        *,
        modes: Mapping[str, ModeParams] | None = None,
    ) -> None:
        self.sites = sites
        self.edges = tuple(edges)
        self.modes: dict[str, ModeParams] = dict(modes or DEFAULT_MODES)
        self._ids = sites.ids
        self._pos = {sid: i for i, sid in enumerate(self._ids)}
        self._lats = np.array([s.lat for s in sites], dtype=np.float64)
        self._lons = np.array([s.lon for s in sites], dtype=np.float64)
        self._geo = distance_matrix_km(np.column_stack([self._lats, self._lons]))
        self._eff = _effective_km(self._geo, sites)
        self._legs: dict[str, _DirectLegs] = {}
        self._pairs: dict[str, _AllPairs] = {}
        self._point_cache: dict[tuple[float, float], np.ndarray] = {}

    # -- graphs ------------------------------------------------------------

    def graph(self, mode: str) -> nx.DiGraph:
        """The networkx graph of one mode (the direct legs, built on each call).

        Edge attributes: ``minutes``, ``km``, ``ascent_m``, ``descent_m``,
        ``kind`` ("default" or the explicit leg's mode), ``walk_km``.
        """
        import networkx as nx  # only here: the planners work on the legs' arrays

        legs = self._direct(mode)
        g = nx.DiGraph(mode=mode)
        for s in self.sites:
            g.add_node(s.id, lat=s.lat, lon=s.lon, name=s.name)
        for i, j in zip(*np.nonzero(np.isfinite(legs.minutes)), strict=True):
            if i != j:
                g.add_edge(
                    self._ids[i],
                    self._ids[j],
                    minutes=float(legs.minutes[i, j]),
                    km=float(legs.km[i, j]),
                    ascent_m=float(legs.ascent[i, j]),
                    descent_m=float(legs.descent[i, j]),
                    kind=legs.kinds.get((int(i), int(j)), "default"),
                    walk_km=float(legs.walk_km[i, j]),
                )
        return g

    def _direct(self, mode: str) -> _DirectLegs:
        """The direct legs of one mode (built once, then cached): default legs, then explicit ones."""
        params = self._params(mode)
        if mode in self._legs:
            return self._legs[mode]
        n = len(self._ids)
        legs = _DirectLegs(
            np.full((n, n), np.inf),
            np.zeros((n, n)),
            np.zeros((n, n)),
            np.zeros((n, n)),
            np.zeros((n, n)),
            {},
        )
        for i in range(n):
            a = self.sites[i]
            for j in range(n):
                if i == j:
                    continue
                road = self._eff[i, j] * params.circuity
                # Climbing counts only on foot; a bus or car does the work.
                up, down = _climb(a, self.sites[j]) if params.hiking else (0.0, 0.0)
                legs.put(
                    i, j, params.minutes(road, up, down), road, up, down, road if mode == "walk" else 0.0
                )
        for e in self.edges:
            if e.mode in _SHARED_EDGE_MODES or e.mode == mode:
                pairs = [(e.from_id, e.to_id, e.ascent_m, e.descent_m)]
                if e.bidirectional:
                    pairs.append((e.to_id, e.from_id, e.descent_m, e.ascent_m))
                for a_id, b_id, up, down in pairs:
                    i, j = self._pos[a_id], self._pos[b_id]
                    km = e.distance_km
                    if km == 0:  # not stated by the source: estimate it
                        km = float(self._eff[i, j]) * params.circuity
                    walk = km if e.mode in ("walk", "hike") else 0.0
                    legs.put(i, j, _edge_minutes(e, up, down, self.modes), km, up, down, walk)
                    legs.kinds[i, j] = e.mode
        self._legs[mode] = legs
        return legs

    def prepare(self) -> SiteGraph:
        """Build every mode's graph and all-pairs shortest paths now, not on first use.

        The web app calls it before a new site table goes live, so no
        visitor's request pays for it. Returns the graph itself.

        Notes
        -----
        O(n^2) edges and O(n^3) path work per mode for n sites (``mixed``
        uses ``walk`` and ``bus``).
        """
        for mode in self.modes:
            self._all_pairs(mode)
        return self

    def _params(self, mode: str) -> ModeParams:
        if mode not in self.modes:
            msg = f"unknown transport mode {mode!r}; expected one of {', '.join(self.modes)}"
            raise ValueError(msg)
        return self.modes[mode]

    def _all_pairs(self, mode: str) -> _AllPairs:
        if mode in self._pairs:
            return self._pairs[mode]
        legs = self._direct(mode)
        ids = self._ids
        n = len(ids)
        t, km, up, down, wk = (
            x.copy() for x in (legs.minutes, legs.km, legs.ascent, legs.descent, legs.walk_km)
        )
        np.fill_diagonal(t, 0.0)
        nxt = np.where(np.isfinite(t), np.arange(n)[None, :], -1)
        # Floyd-Warshall, vectorised over rows and columns; the other
        # quantities follow the quickest path.
        for k in range(n):
            via = t[:, k : k + 1] + t[k : k + 1, :]
            better = via < t - 1e-9
            if better.any():
                t = np.where(better, via, t)
                km = np.where(better, km[:, k : k + 1] + km[k : k + 1, :], km)
                up = np.where(better, up[:, k : k + 1] + up[k : k + 1, :], up)
                down = np.where(better, down[:, k : k + 1] + down[k : k + 1, :], down)
                wk = np.where(better, wk[:, k : k + 1] + wk[k : k + 1, :], wk)
                nxt = np.where(better, nxt[:, k : k + 1], nxt)
        pairs = _AllPairs(ids, t, km, up, down, wk, nxt)
        self._pairs[mode] = pairs
        return pairs

    # -- queries -----------------------------------------------------------

    def leg(self, from_id: str, to_id: str, mode: str) -> Leg:
        """The quickest leg between two sites in one mode.

        Raises
        ------
        UnknownSiteError
            For an id not in the table.
        NoRouteError
            When no path exists in that mode.
        """
        i, j = self._index(from_id), self._index(to_id)
        p = self._all_pairs(mode)
        if not np.isfinite(p.minutes[i, j]):
            msg = f"no {mode} route from {from_id} to {to_id}"
            raise NoRouteError(msg)
        path = [i]
        while path[-1] != j:
            path.append(int(p.nxt[path[-1], j]))
        kinds = tuple(
            self._direct(mode).kinds.get((a, b), "default") for a, b in zip(path, path[1:], strict=False)
        )
        return Leg(
            from_id=from_id,
            to_id=to_id,
            mode=mode,
            minutes=float(p.minutes[i, j]),
            km=float(p.km[i, j]),
            ascent_m=float(p.ascent[i, j]),
            descent_m=float(p.descent[i, j]),
            via=tuple(self._ids[k] for k in path),
            kinds=kinds,
        )

    def matrices(
        self,
        ids: Sequence[str],
        mode: str,
        *,
        points: Mapping[str, tuple[float, float]] | None = None,
        walk_max_km: float = 1.5,
    ) -> Matrices:
        """Travel-time, distance and ascent matrices over chosen nodes.

        Parameters
        ----------
        ids
            Site ids, or keys of *points*, in the order of the rows.
        mode
            ``walk``, ``drive``, ``bus`` or ``mixed`` (walk a leg whose
            walking distance is at most *walk_max_km*, else take the bus).
        points
            Extra places that are not sites (a hotel, a typed coordinate),
            keyed by an id of the caller's choosing.  They connect to every
            site by a default leg, then on along shortest paths.
        walk_max_km
            The walking limit of ``mixed``.

        Notes
        -----
        The all-pairs shortest paths of a mode are computed once per graph
        (O(n^3) with numpy for n sites) and cached; each call then costs
        O(k^2) for k chosen nodes plus O(p n) per extra point.
        """
        if mode == "mixed":
            walk = self.matrices(ids, "walk", points=points)
            bus = self.matrices(ids, "bus", points=points)
            use_walk = walk.km <= walk_max_km
            return Matrices(
                ids=walk.ids,
                minutes=np.where(use_walk, walk.minutes, bus.minutes),
                km=np.where(use_walk, walk.km, bus.km),
                ascent_m=np.where(use_walk, walk.ascent_m, bus.ascent_m),
                walk_km=np.where(use_walk, walk.walk_km, bus.walk_km),
            )
        params = self._params(mode)
        p = self._all_pairs(mode)
        points = dict(points or {})
        n_all = len(self._ids)
        # Each requested node as a vector over all sites (out-legs) and the
        # reverse (in-legs); points reach sites by one default leg, then the
        # shortest paths of the mode.
        out_t, out_km, out_up, out_wk = [], [], [], []
        in_t, in_km, in_up, in_wk = [], [], [], []
        for nid in ids:
            if nid in points:
                lat, lon = points[nid]
                geo = self._point_km(lat, lon) * params.circuity
                direct = np.array([params.minutes(d) for d in geo])
                wk0 = geo if mode == "walk" else np.zeros(n_all)
                # out: min over first hop k of direct[k] + sp[k, :]
                tot = direct[:, None] + p.minutes
                k = np.argmin(tot, axis=0)
                cols = np.arange(n_all)
                out_t.append(tot[k, cols])
                out_km.append(geo[k] + p.km[k, cols])
                out_up.append(p.ascent[k, cols])
                out_wk.append(wk0[k] + p.walk_km[k, cols])
                tot_in = p.minutes + direct[None, :]
                k2 = np.argmin(tot_in, axis=1)
                in_t.append(tot_in[cols, k2])
                in_km.append(p.km[cols, k2] + geo[k2])
                in_up.append(p.ascent[cols, k2])
                in_wk.append(p.walk_km[cols, k2] + wk0[k2])
            else:
                i = self._index(nid)
                out_t.append(p.minutes[i, :])
                out_km.append(p.km[i, :])
                out_up.append(p.ascent[i, :])
                out_wk.append(p.walk_km[i, :])
                in_t.append(p.minutes[:, i])
                in_km.append(p.km[:, i])
                in_up.append(p.ascent[:, i])
                in_wk.append(p.walk_km[:, i])
        k_n = len(ids)
        is_pt = np.array([nid in points for nid in ids], dtype=bool)
        col = np.array([0 if nid in points else self._pos[nid] for nid in ids], dtype=np.int64)
        out_mats = [np.array(x).reshape(k_n, n_all) for x in (out_t, out_km, out_up, out_wk)]
        in_mats = [np.array(x).reshape(k_n, n_all) for x in (in_t, in_km, in_up, in_wk)]
        # to a site: the row's out-vector at that site; from a site to a point:
        # the point's in-vector at the site; point to point: below. (Fancy
        # indexing along the columns gives Fortran order: hand out C order.)
        blocks = [np.ascontiguousarray(o[:, col]) for o in out_mats]
        for blk, inn in zip(blocks, in_mats, strict=True):
            blk[:, is_pt] = inn[is_pt][:, col].T
        for a in (int(x) for x in np.flatnonzero(is_pt)):
            for b in (int(x) for x in np.flatnonzero(is_pt)):
                if a == b:
                    continue
                # point to point: direct default leg or through a site
                la, lb = points[ids[a]], points[ids[b]]
                road_pp = float(distance_km(la[0], la[1], lb[0], lb[1])) * params.circuity
                direct_pp = params.minutes(road_pp)
                through = out_mats[0][a] + in_mats[0][b]
                k = int(np.argmin(through))
                vals: tuple[float, ...] = (direct_pp, road_pp, 0.0, road_pp if mode == "walk" else 0.0)
                if direct_pp > through[k]:
                    vals = tuple(float(o[a][k] + i[b][k]) for o, i in zip(out_mats, in_mats, strict=True))
                for blk, v in zip(blocks, vals, strict=True):
                    blk[a, b] = v
        for blk in blocks:
            np.fill_diagonal(blk, 0.0)
        return Matrices(
            ids=tuple(ids), minutes=blocks[0], km=blocks[1], ascent_m=blocks[2], walk_km=blocks[3]
        )

    def _point_km(self, lat: float, lon: float) -> np.ndarray:
        """Geodesic km from a point to every site (cached: the same entry points recur)."""
        key = (float(lat), float(lon))
        got = self._point_cache.get(key)
        if got is None:
            got = distance_km(key[0], key[1], self._lats, self._lons)
            got.setflags(write=False)
            if len(self._point_cache) >= _POINT_CACHE_SIZE:
                self._point_cache.pop(next(iter(self._point_cache)))
            self._point_cache[key] = got
        return got

    def _index(self, site_id: str) -> int:
        try:
            return self._pos[site_id]
        except KeyError:
            msg = f"unknown site id {site_id!r}"
            raise UnknownSiteError(msg) from None

    def nearest(self, lat: float, lon: float, *, among: Iterable[str] | None = None) -> tuple[str, float]:
        """The site nearest to a point and its geodesic distance in km."""
        cand = list(among) if among is not None else list(self._ids)
        km = self._point_km(lat, lon)
        best = min(cand, key=lambda sid: km[self._index(sid)])
        return best, float(km[self._index(best)])


def build_graph(sites: SiteTable, edges: Sequence[Edge] = (), **kwargs: object) -> SiteGraph:
    """Facade: the :class:`SiteGraph` of a site table and its explicit legs."""
    return SiteGraph(sites, edges, **kwargs)  # type: ignore[arg-type]


_POINT_CACHE_SIZE = 1024
"""Extra points whose distances to all sites :class:`SiteGraph` keeps (oldest dropped first)."""


#: Most metres assumed between two parts of one area whose points coincide.
_IN_AREA_MAX_KM = 3.0


def _effective_km(geo: np.ndarray, sites: SiteTable) -> np.ndarray:
    """Expected straight-line distance given each point's location error.

    A stand-in point (a town's seat for a site somewhere in the town) says
    little about the distance between two sites that share it.  When two
    sites' true positions are independent and uniform within their error
    discs, the expected distance between them is about
    ``hypot(d, 0.65 * hypot(e_a, e_b))`` (for two equal discs with d = 0 the
    exact mean is 0.905 R; 0.65 * sqrt(2) = 0.92).  Parts of one area
    (parent and child, or two children of one parent) share a point on
    purpose; their distance is taken as 30 % of the smaller error, at most
    3 km, unless the points differ by more.  Sites with precise points
    (errors of tens of metres) keep their geodesic distance.
    """
    n = len(sites)
    err = np.array([s.location_error_m for s in sites]) / 1000.0
    pair = np.hypot(err[:, None], err[None, :])
    out = np.hypot(geo, 0.65 * pair)
    area = [s.parent_id or s.id for s in sites]
    for i in range(n):
        for j in range(n):
            if i != j and area[i] == area[j]:
                near = min(_IN_AREA_MAX_KM, 0.3 * min(err[i], err[j]))
                out[i, j] = max(geo[i, j], near)
    np.fill_diagonal(out, 0.0)
    return np.asarray(out, dtype=float)


def _climb(a: Site, b: Site) -> tuple[float, float]:
    if a.elevation_m is None or b.elevation_m is None:
        return 0.0, 0.0
    d = b.elevation_m - a.elevation_m
    return max(0.0, d), max(0.0, -d)


def _edge_minutes(e: Edge, up: float, down: float, modes: Mapping[str, ModeParams]) -> float:
    if e.minutes is not None:
        return e.minutes
    if e.mode in ("walk", "hike"):
        return hiking_minutes(e.distance_km, up, down, flat_kmh=4.5 if e.mode == "walk" else 5.0)
    if e.mode == "shuttle":
        return _SHUTTLE_WAIT_MIN + 60.0 * e.distance_km / _SHUTTLE_KMH
    if e.mode == "cable":
        return _SHUTTLE_WAIT_MIN + 60.0 * e.distance_km / _CABLE_KMH
    params = modes.get(e.mode)
    if params is None:  # pragma: no cover - validated on load
        msg = f"no speed for explicit leg mode {e.mode!r}"
        raise ValueError(msg)
    return params.minutes(e.distance_km)
