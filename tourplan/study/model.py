"""The optimization model of a study tour: candidate sites, study value, one bus's solve.

:func:`_build` turns the request into the parts every bus shares (nodes,
coach travel times with the ride limit, study values, visit windows, lunch
and theme groups); :func:`_solve_unit` plans one bus against the load the
others put on the sites, and polishes its route on the day's true,
diminishing study value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tourplan.errors import InfeasibleRequestError, RequestValidationError
from tourplan.hours import hours_name
from tourplan.limits import checkpoint
from tourplan.messages import Message, Name
from tourplan.optimize import Problem, Solution, SolveParams, solve
from tourplan.optimize.builder import ProblemBuilder
from tourplan.optimize.polish import polish
from tourplan.places import Place, resolve_place
from tourplan.rules import (
    DECAY,
    FOOD,
    LUNCH_MINUTES,
    PASS_THROUGH,
    diminishing,
    lunch_applies,
    lunch_groups,
    open_for_lunch,
    theme_match,
    visit_windows,
)
from tourplan.sights import category_name
from tourplan.study.capacity import _NSLOTS, _Load, _Unit, _unit_windows
from tourplan.study.request import _USUAL_YEARS, StudyTourRequest
from tourplan.sun import daylight

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tourplan.graph import SiteGraph
    from tourplan.site import Site, SiteTable

__all__ = [
    "COACH_MODE",
]


#: Travel mode of the chartered coaches (the graph's ``drive`` parameters).
COACH_MODE = "drive"

#: Engine tuning: the default work budget (80 % of the time limit), run under
#: a clock limit 2.5 times longer (see :func:`_solve_unit`).
_CLOCK_SLACK = 2.5

_PARAMS = SolveParams(budget_fraction=0.8 / _CLOCK_SLACK)

_BLOCKED = 1.0e6  # travel time of a leg longer than the ride limit


@dataclass
class _Ctx:
    """What every bus of a study tour shares: the problem with the sites' own windows, and its readers."""

    req: StudyTourRequest
    start: Place
    end: Place
    problem: Problem  # one route (a bus); capacity cuts the windows per bus
    nodes: list[str]
    site_of: list[Site | None]
    ride: npt.NDArray[np.float64]
    cap: npt.NDArray[np.float64]
    public: npt.NDArray[np.float64]
    lunch_nodes: frozenset[int]
    lunch_on: bool
    warnings: list[Message]
    s0: int
    e0: int

    @functools.cached_property
    def route_value(self) -> Callable[[Sequence[int]], float]:
        """:func:`_route_value` with each site's factors read once (:func:`_route_value_fn`)."""
        return _route_value_fn(self)

    @property
    def travel(self) -> npt.NDArray[np.float64]:
        """Coach minutes between nodes, boarding included."""
        return self.problem.travel

    @property
    def service(self) -> npt.NDArray[np.float64]:
        """Visit length of each node."""
        return self.problem.service

    @property
    def base_windows(self) -> tuple[tuple[tuple[float, float], ...], ...]:
        """Each node's visit windows before any bus uses the sites."""
        return self.problem.windows

    @property
    def mandatory(self) -> frozenset[int]:
        """The required sites' nodes."""
        return self.problem.mandatory


@dataclass
class _Result:
    route: tuple[int, ...]
    starts: tuple[int, ...]
    arrives: tuple[int, ...]
    value: float
    missing: frozenset[int]
    lunch_ok: bool

    def key(self) -> tuple[int, int, float]:
        return (-len(self.missing), int(self.lunch_ok), round(self.value, 9))


def _site_value(s: Site, req: StudyTourRequest, weight: Callable[[str], float] | None = None) -> float:
    """Study value of one visit: theme fit x product fit x grade fit x popularity.

    With ``weight`` (from :func:`tourplan.rules.diminishing`), each theme
    counts ``weight(theme)`` of itself: diminishing returns that balance the
    requested themes.
    """
    wanted = req.wanted_themes
    theme = theme_match((weight(t) if weight else 1.0) for t in s.themes if t in wanted)
    product = 1.0 if not req.products or s.study_products & set(req.products) else 0.5
    grade = 1.0 if req.grade in s.study_grades else 0.5
    return float(s.popularity * theme * product * grade)


def _day_value(visited: Sequence[Site], req: StudyTourRequest) -> tuple[float, list[float]]:
    """Study value of a day's visits and of each visit (in visit order).

    Diminishing returns are a property of the set, not of the order: the sites
    are credited from the most valuable down (ties by visit order), so the
    best site touching a theme counts in full, the next ``DECAY`` of it, and
    so on, whichever of them the bus happens to reach first.
    """
    per = diminishing(
        [_site_value(s, req) for s in visited],
        [[t for t in s.themes if t in req.wanted_themes] for s in visited],
        lambda i, weight: _site_value(visited[i], req, weight),
        decay=DECAY,
    )
    return sum(per), per


def _name(s: Site) -> Name:
    return Name(s.name_zh, s.name_en)


def _build(req: StudyTourRequest, sites: SiteTable, graph: SiteGraph) -> _Ctx:
    warnings: list[Message] = []
    errors: dict[str, Message] = {}
    for name in ("require", "exclude"):
        bad = [sid for sid in getattr(req, name) if sid not in sites]
        if bad:
            errors[name] = Message("unknown_sites", {"ids": bad})
    if req.lunch_site is not None:
        if req.lunch_site not in sites:
            errors["lunch_site"] = Message("unknown_sites", {"ids": req.lunch_site})
        elif req.lunch_site in req.exclude:
            errors["lunch_site"] = Message("study_lunch_site_excluded", {"site": _name(sites[req.lunch_site])})
    if req.public_load is not None:
        bad = [sid for sid in req.public_load.counts if sid not in sites]
        if bad:
            errors["public_load"] = Message("unknown_sites", {"ids": bad[:5]})
    if errors:
        raise RequestValidationError(errors)
    start = resolve_place(req.start, sites, field_name="start")
    end = resolve_place(req.end, sites, field_name="end") if req.end is not None else start
    if req.grade_years and any(y not in _USUAL_YEARS[req.grade] for y in req.grade_years):
        r = _USUAL_YEARS[req.grade]
        years = [str(y) for y in req.grade_years]
        warnings.append(
            Message("study_grade_unusual", {"band": req.band, "first": r.start, "last": r.stop - 1, "years": years})
        )
    lunch_on = lunch_applies(req.lunch != "packed", req.day_start, req.day_end)
    required = set(req.require)
    excluded = set(req.exclude)
    place_sites = {p.site_id for p in (start, end) if p.site_id}
    cands: list[Site] = []
    lunch_ids: set[str] = set()
    for s in sites:
        if s.id in excluded or (s.id in place_sites and s.id not in required):
            continue
        if s.id in required:
            if s.category in PASS_THROUGH:
                not_a_sight = {"site": _name(s), "category": category_name(s.category)}
                raise RequestValidationError({"require": Message("unplaced_not_a_sight", not_a_sight)})
            if req.grade not in s.study_grades:
                warnings.append(Message("study_required_unsuited", {"site": _name(s), "band": req.band}))
            cands.append(s)
        elif s.category == FOOD:
            if (
                lunch_on
                and open_for_lunch(s, req.date)
                and (req.lunch_site is None or s.id == req.lunch_site)
            ):
                cands.append(s)
                lunch_ids.add(s.id)
        elif req.grade in s.study_grades and s.category not in PASS_THROUGH:
            cands.append(s)
    if lunch_on and req.lunch_site is not None and req.lunch_site not in lunch_ids:
        ls = sites[req.lunch_site]
        params = {"site": _name(ls), "hours": hours_name(ls.opening_hours), "date": req.date.isoformat()}
        code = "study_lunch_site_not_food" if ls.category != FOOD else "study_lunch_site_closed"
        raise InfeasibleRequestError.coded(Message(code, params))
    sunset = daylight(req.date)[1]
    b = ProblemBuilder()
    place_keys = list(dict.fromkeys([start.key, end.key]))
    for key in place_keys:
        b.add_place(key)
    for s in cands:
        if s.id in lunch_ids:
            service, score = LUNCH_MINUTES, 0.0
        else:
            service, score = max(1, s.visit_minutes), _site_value(s, req)
        windows = visit_windows(
            s, req.date, service, day_start=req.day_start, sunset=sunset, lunch=s.id in lunch_ids
        )
        b.add_site(s.id, score=score, service=service, windows=windows)
    b.add_route(
        start.key,
        end.key,
        earliest=req.day_start,
        latest=req.day_end,
        max_visits=req.max_stops + (1 if lunch_ids and lunch_on else 0),
    )
    if lunch_on:
        for lunch, least, most in lunch_groups(lunch_ids):
            b.add_group(lunch, least=least, most=most)
    # A parent area and its parts are alternatives, never both.
    for s in cands:
        if s.parent_id and b.has_site(s.parent_id) and s.id not in lunch_ids:
            b.add_group((s.parent_id, s.id), most=1)
    # Balance the themes: at most a few stops touching one theme.
    per_theme = max(2, -(-req.max_stops // len(req.wanted_themes)) + 1)
    for t in req.wanted_themes:
        members = [s.id for s in cands if s.id not in lunch_ids and t in s.themes and s.id not in required]
        if len(members) > per_theme:
            b.add_group(members, most=per_theme)
    for sid in req.require:
        b.require(sid)
    points = {p.key: (p.lat, p.lon) for p in (start, end) if p.site_id is None}
    mats = graph.matrices(b.keys, COACH_MODE, points=points)
    ride = np.ceil(np.asarray(mats.minutes, dtype=np.float64) - 1e-9)
    np.fill_diagonal(ride, 0.0)
    travel = ride + float(req.boarding_minutes)
    np.fill_diagonal(travel, 0.0)
    travel[ride > req.ride_limit] = _BLOCKED
    n = b.n
    cap = np.full(n, np.inf)
    public = np.zeros((n, _NSLOTS))
    for s in cands:
        cap[b.site(s.id)] = float(s.capacity_instant)
        if req.public_load is not None:
            public[b.site(s.id)] = req.public_load.per_slot(s.id)
    return _Ctx(
        req=req,
        start=start,
        end=end,
        problem=b.build(travel),
        nodes=list(b.keys),
        site_of=[sites.get(k) for k in place_keys] + list(cands),
        ride=ride,
        cap=cap,
        public=public,
        lunch_nodes=frozenset(b.site(k) for k in lunch_ids),
        lunch_on=lunch_on,
        warnings=warnings,
        s0=b.place(start.key),
        e0=b.place(end.key),
    )


def _solve_unit(
    ctx: _Ctx,
    unit: _Unit,
    busy: _Load,
    seed: int,
) -> _Result:
    """Plan one bus against the others' load with the engine.

    (The planner first fits the bus's good solo days itself:
    :mod:`tourplan.study.fit`.)
    """
    req = ctx.req
    wins = _unit_windows(ctx, unit.people, len(unit.groups), busy)
    problem = ctx.problem.replace(windows=tuple(wins))
    checkpoint(req.time_limit)  # the request's budget (tourplan.limits), if one is active
    # Work budget only (no wall-clock stop): a busy machine gives the same plan.
    sol = solve(
        problem, time_limit=req.time_limit * _CLOCK_SLACK, seed=seed, params=_PARAMS, deterministic=True
    )
    return _result(ctx, _polish(ctx, problem, sol))


def _route_value_fn(ctx: _Ctx) -> Callable[[Sequence[int]], float]:
    """:func:`tourplan.study.model._route_value` with each site's factors read once.

    The same rule (:func:`tourplan.rules.diminishing` over
    :func:`~tourplan.study.model._site_value`): sites credited from the most
    valuable down, ties by visit order, each theme weighing ``DECAY ** k``
    after ``k`` earlier credits; lunch stops count nothing.
    """
    req = ctx.req
    wanted = req.wanted_themes
    n = len(ctx.nodes)
    base = [0.0] * n
    factor = [0.0] * n
    themes: list[list[str]] = [[] for _ in range(n)]
    for i, s in enumerate(ctx.site_of):
        if s is None or i in ctx.lunch_nodes:
            continue
        themes[i] = [t for t in s.themes if t in wanted]
        base[i] = _site_value(s, req)
        factor[i] = base[i] / theme_match([1.0] * len(themes[i]))  # popularity x product x grade

    def value(route: Sequence[int]) -> float:
        seen: dict[str, int] = {}
        total = 0.0
        for _, _, i in sorted((-base[i], k, i) for k, i in enumerate(route)):
            if not base[i]:
                continue
            total += factor[i] * theme_match([DECAY ** seen.get(t, 0) for t in themes[i]])
            for t in themes[i]:
                seen[t] = seen.get(t, 0) + 1
        return total

    return value


def _route_value(ctx: _Ctx, route: Sequence[int]) -> float:
    visited = [ctx.site_of[i] for i in route if i not in ctx.lunch_nodes]
    return _day_value([s for s in visited if s is not None], ctx.req)[0]


def _polish(ctx: _Ctx, problem: Problem, sol: Solution) -> Solution:
    """Raise the bus's true study value by single-site moves the engine cannot see.

    The engine maximises the sum of undiminished site values; the day's value
    diminishes with each further stop on a theme (:func:`_day_value`).
    :func:`tourplan.optimize.polish.polish` inserts and replaces sites on that
    value (required and lunch stops stay), each move checked by the
    independent checker against the windows that carry the other buses'
    capacity use, the visit groups and the stop cap.
    """
    return polish(
        problem,
        sol,
        ctx.route_value,
        fixed=set(problem.mandatory) | set(ctx.lunch_nodes),
    )


def _result(ctx: _Ctx, sol: Solution) -> _Result:
    visits = sol.schedule[0]
    route = tuple(v.node for v in visits)
    visited = [ctx.site_of[i] for i in route if i not in ctx.lunch_nodes]
    value, _ = _day_value([s for s in visited if s is not None], ctx.req)
    lunch_ok = not ctx.lunch_on or any(i in ctx.lunch_nodes for i in route)
    return _Result(
        route=route,
        starts=tuple(round(v.start) for v in visits),
        arrives=tuple(round(v.arrive) for v in visits),
        value=value * 1.0,
        missing=frozenset(ctx.mandatory - set(route)),
        lunch_ok=lunch_ok,
    )
