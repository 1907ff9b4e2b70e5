"""The optimization model of a trip: candidate sites, their values and windows.

:func:`_build_model` turns a request into a team orienteering problem with
time windows (one route per day): each site's score is its popularity times
its match to the visitor's interests; its windows come from its OpenStreetMap
opening hours on that date and, outdoors in the mountains, from sunset
(:mod:`tourplan.rules`); a lunch stop at a food site is required on every day
that spans lunch; the pace sets visit lengths, the number of stops, and a
daily ascent limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.graph import Matrices, SiteGraph, hiking_minutes
from tourplan.itinerary.request import PACES, ItineraryRequest
from tourplan.messages import Message, Name
from tourplan.optimize.builder import ProblemBuilder
from tourplan.rules import (
    DECAY,
    LONG_VISIT_LUNCH,
    LONG_VISIT_LUNCH_EXTRA,
    LUNCH_MINUTES,
    PASS_THROUGH,
    diminishing,
    entry_price,
    is_outdoor_mountain,
    lunch_applies,
    lunch_groups,
    serves_lunch,
    theme_match,
    visit_windows,
)
from tourplan.sights import category_name
from tourplan.site import THEMES, Site, SiteTable
from tourplan.sun import daylight

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tourplan.optimize import Problem
    from tourplan.optimize.problem import FloatArray
    from tourplan.places import Place

__all__ = [
    "site_score",
    "visit_minutes",
]


def site_score(site: Site, interests: Mapping[str, float]) -> float:
    """Personal value of a site: popularity times match to the interests.

    The match is the weight of the site's best-matching theme plus a quarter
    of its other matching weights (capped at 1.5), with weights scaled so the
    largest is 1.  A site that matches nothing keeps a tenth of its
    popularity, so a free hour still finds something worth seeing.
    """
    weights = {k: v for k, v in interests.items() if v > 0}
    if not weights:
        weights = dict.fromkeys(THEMES, 1.0)
    top = max(weights.values())
    return site.popularity * theme_match(weights[t] / top for t in site.themes if t in weights)


@dataclass
class _Model:
    """A trip's problem and what the planner needs to read its solutions back."""

    problem: Problem
    nodes: list[str]  # node index -> place key or site id
    site_node: Mapping[str, int]  # site id -> node
    places: dict[str, Place]
    sites: list[Site | None]
    lunch_nodes: frozenset[int]
    long_nodes: frozenset[int]
    mats: Matrices
    sunsets: list[int]

    @property
    def scores(self) -> FloatArray:
        """Score of each node."""
        return self.problem.scores

    @property
    def service(self) -> FloatArray:
        """Visit length of each node."""
        return self.problem.service


def _candidates(
    req: ItineraryRequest, sites: SiteTable, places: Mapping[str, Place]
) -> tuple[list[Site], dict[str, Message]]:
    """Sites worth considering, and the reasons for dropping asked-for ones."""
    dropped: dict[str, Message] = {}
    wanted = set(req.must_see) | set(req.locked)
    for sid in sorted(wanted | set(req.exclude)):
        if sid not in sites:
            dropped[sid] = Message("unknown_sites", {"ids": sid})
    excluded = set(req.exclude)
    place_sites = {p.site_id for p in places.values() if p.site_id}
    children: dict[str, list[str]] = {}
    for s in sites:
        if s.parent_id:
            children.setdefault(s.parent_id, []).append(s.id)
    out: list[Site] = []
    for s in sites:
        if s.id in excluded:
            continue
        asked = s.id in wanted
        if s.category in PASS_THROUGH or (not s.themes and not asked):
            if asked:
                name = Name(s.name_zh, s.name_en)
                dropped[s.id] = Message("unplaced_not_a_sight", {"site": name, "category": category_name(s.category)})
            continue
        if s.id in place_sites and not asked and s.visit_minutes == 0:
            continue
        if req.accessible_only and not s.accessible:
            if asked:
                dropped[s.id] = Message("unplaced_not_accessible", {"site": Name(s.name_zh, s.name_en)})
            continue
        # An area with its parts listed: visit the parts, unless the area itself is asked for.
        if s.id in children and not asked and any(c in sites and c not in excluded for c in children[s.id]):
            continue
        if s.parent_id and s.parent_id in wanted:
            continue
        if req.ticket_budget is not None and not asked and entry_price(s, sites) > req.ticket_budget:
            continue
        out.append(s)
    return out, dropped


def _build_model(
    req: ItineraryRequest,
    sites: SiteTable,
    graph: SiteGraph,
    places: Mapping[str, Place],
    day_places: Sequence[tuple[str, str]],
    cands: Sequence[Site],
    crowd: Any = None,
) -> _Model:
    pace = PACES[req.pace]
    dates = req.dates
    sunsets = [daylight(d)[1] for d in dates]
    lunch_on = lunch_applies(req.lunch, req.day_start, req.day_end)
    food_w = max(0.0, float(req.interests.get("food", 0.0)))
    b = ProblemBuilder()
    place_keys = list(dict.fromkeys(k for pair in day_places for k in pair))
    for key in place_keys:
        b.add_place(key)
    lunch_ids: set[str] = set()
    long_ids: set[str] = set()
    for s in cands:
        if lunch_on and serves_lunch(s, dates):
            lunch_ids.add(s.id)
            service = float(max(LUNCH_MINUTES, round(min(s.visit_minutes, 75) * pace.visit_factor)))
            # A small value keeps lunch places comparable; a food lover values them more.
            score = 0.2 * s.popularity * (1.0 + food_w)
        else:
            service = float(round(visit_minutes(s) * pace.visit_factor) + pace.buffer_min)
            score = site_score(s, req.interests)
            if lunch_on and is_outdoor_mountain(s) and service >= LONG_VISIT_LUNCH:
                long_ids.add(s.id)
                service += LONG_VISIT_LUNCH_EXTRA
        days = [
            ()
            if s.id in req.locked and req.locked[s.id] != r
            else visit_windows(
                s,
                day,
                service,
                day_start=req.day_start,
                sunset=sunsets[r],
                lunch=s.id in lunch_ids,
                long_lunch=s.id in long_ids,
            )
            for r, day in enumerate(dates)
        ]
        b.add_site(s.id, score=score, service=service, windows=days[0], load=(_visit_ascent(s), s.ticket_cny))
        for r, w in enumerate(days):
            b.set_windows(s.id, r, w)
    budget = req.ticket_budget if req.ticket_budget is not None else math.inf
    for start, end in day_places:
        b.add_route(
            start,
            end,
            earliest=req.day_start,
            latest=req.day_end,
            capacity=(pace.max_ascent_m, budget),
            max_visits=pace.max_stops + (1 if lunch_ids else 0),
        )
    for lunch, least, most in lunch_groups(lunch_ids, long_ids):
        b.add_group(lunch, least=least, most=most)
    by_cat: dict[str, list[str]] = {}
    for s in cands:
        if s.id not in lunch_ids:
            by_cat.setdefault(s.category, []).append(s.id)
    for cat, members in sorted(by_cat.items()):
        cap = pace.per_kind + (1 if cat == "mountain" else 0)
        if len(members) > cap:
            b.add_group(members, most=cap)
    if crowd is not None:
        # the crowd hook (tourplan.flow.forecast.CrowdHook) returns new scores and windows
        from tourplan.flow.forecast import CrowdQuery  # deferred: tourplan.flow imports this planner

        b.scores, b.route_windows = crowd.adjust(
            CrowdQuery(b.keys, b.scores, b.service, b.route_windows, dates)
        )
    for sid in (*req.must_see, *req.locked):
        if b.has_site(sid):
            b.require(sid)
    points = {k: (places[k].lat, places[k].lon) for k in place_keys if places[k].site_id is None}
    mats = graph.matrices(b.keys, req.mode, points=points, walk_max_km=req.walk_max_km)
    site_of: list[Site | None] = [
        sites[p.site_id] if p.site_id else None for p in (places[k] for k in place_keys)
    ]
    site_of += list(cands)
    return _Model(
        problem=b.build(mats.minutes),
        nodes=list(b.keys),
        site_node={s.id: b.site(s.id) for s in cands},
        places=dict(places),
        sites=site_of,
        lunch_nodes=frozenset(b.site(k) for k in lunch_ids),
        long_nodes=frozenset(b.site(k) for k in long_ids),
        mats=mats,
        sunsets=sunsets,
    )


def visit_minutes(s: Site) -> float:
    """Typical visit length; for a site with a known trail, at least the hike.

    The hike takes Naismith's time with Langmuir's corrections
    (:func:`tourplan.graph.hiking_minutes`) for the trail out and back with
    its climb, plus a quarter of that for stops along the way.
    """
    if s.trail_km:
        up = s.trail_ascent_m or 0.0
        hike = 1.25 * hiking_minutes(s.trail_km, up, up)
        return max(float(s.visit_minutes), hike)
    return float(s.visit_minutes)


def _visit_ascent(s: Site) -> float:
    """Metres climbed during a visit: a summit's climb is counted where the data has one."""
    return float(s.trail_ascent_m or 0.0)


def _day_credit(model: _Model, nodes: Sequence[int]) -> dict[int, float]:
    """Value of each (non-lunch) stop of a day: within a category, the k-th most valuable counts ``DECAY**k``."""
    stops = [i for i in nodes if model.sites[i] is not None and i not in model.lunch_nodes]
    base = [float(model.scores[i]) for i in stops]
    kinds = [(site.category,) for i in stops if (site := model.sites[i]) is not None]
    credit = diminishing(base, kinds, lambda k, weight: base[k] * weight(kinds[k][0]), decay=DECAY)
    return dict(zip(stops, credit, strict=True))
