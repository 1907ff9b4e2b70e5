"""Plan an itinerary: :func:`plan_itinerary`.

The request becomes a model (:mod:`tourplan.itinerary.model`), the engine in
:mod:`tourplan.optimize` solves it, a ticket budget drops the least valuable
paid choices until it holds, the polish improves the days on their real,
diminishing value, and the solution is turned back into a timed schedule
with legs and totals.  A must-see site that cannot fit is never silently
dropped: the result says why (:mod:`tourplan.itinerary.explain`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tourplan._parse import fmt_time
from tourplan.errors import (
    InfeasibleRequestError,
    RequestValidationError,
)
from tourplan.itinerary.explain import _explain, _explain_empty
from tourplan.itinerary.model import _build_model, _candidates, _day_credit, _Model, _visit_ascent
from tourplan.itinerary.request import PACES, ItineraryRequest
from tourplan.itinerary.result import DayPlan, Itinerary, Stop, TravelLeg
from tourplan.messages import Message, Name
from tourplan.navigation import site_navigation
from tourplan.optimize import Solution, solve
from tourplan.optimize.polish import polish as polish_solution
from tourplan.places import Place, resolve_place
from tourplan.rules import (
    LUNCH_EARLIEST,
    LUNCH_LATEST_END,
    paid_ticket,
)
from tourplan.sights import is_sight

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    from tourplan.graph import SiteGraph
    from tourplan.itinerary.crowd import CrowdAt, TripCrowd
    from tourplan.site import Site, SiteTable

__all__ = [
    "plan_itinerary",
]


def plan_itinerary(
    request: ItineraryRequest,
    sites: SiteTable,
    graph: SiteGraph,
    *,
    seed: int = 0,
    geocoder: Any = None,
    crowd: Any = None,
    polish: bool = True,
    forecast: bool = False,
) -> Itinerary:
    """Plan an optimized itinerary.

    Parameters
    ----------
    request
        The visitor's wishes.
    sites, graph
        The site table and its graph.
    seed
        Seed of the optimizer (same seed, same plan).
    geocoder
        Optional geopy geocoder for free-text places that match no site.
    crowd
        Optional crowd forecast (see :mod:`tourplan.flow`): lowers the value
        of a site in the time slots where it is crowded.
    polish
        Improve the engine's plan on the real, diminishing day value
        (:func:`_polish`; about 10 ms a day). The flow simulation, which plans
        hundreds of itineraries at once, turns it off.
    forecast
        Without a ``crowd`` hook, use the flow model's forecast of each
        date's day type (:class:`~tourplan.itinerary.crowd.TripCrowd`): every
        sight stop gets its expected crowding, peak days a warning, and the
        visits go to quieter slots when ``request.avoid_crowds`` says so (by
        default on peak days only).

    Raises
    ------
    PlaceNotFoundError
        When a start, end or hotel cannot be found.
    InfeasibleRequestError
        When nothing can be visited at all; the message says why.
    """
    _check_window(request, sites)
    if crowd is None and forecast:
        # here, not at the top: tourplan.flow plans with this module
        from tourplan.itinerary.crowd import TripCrowd

        crowd = TripCrowd.for_dates(request.dates, sites, graph, avoid=_avoid_crowds(request))
    places: dict[str, Place] = {}
    resolved: dict[str, str] = {}
    for name, text in (("start", request.start), ("end", request.end), ("hotel", request.hotel)):
        if text is None:
            continue
        p = resolve_place(text, sites, geocoder=geocoder, field_name=name)
        places[p.key] = p
        resolved[name] = p.key
    start = resolved["start"]
    end = resolved.get("end", start)
    hotel = resolved.get("hotel", end)
    day_places = []
    for k in range(request.days):
        a = start if k == 0 else hotel
        b = end if k == request.days - 1 else hotel
        day_places.append((a, b))
    cands, unplaced = _candidates(request, sites, places)
    model = _build_model(request, sites, graph, places, day_places, cands, crowd)
    # The optimizer stops on a work budget derived from the time limit, never on
    # the clock: the same request gives the same plan on a busy machine too.
    solution = solve(model.problem, time_limit=request.time_limit, seed=seed, deterministic=True)
    # Ticket budget: area tickets (a parent's ticket covers its parts) are
    # only known once the parts are chosen; drop the least valuable paid
    # choice until the total fits.
    excluded: list[str] = []
    for _ in range(6):
        if request.ticket_budget is None:
            break
        total = _tickets(model, solution.routes, sites)
        if total <= request.ticket_budget + 1e-9:
            break
        worst = _least_value_paid(model, solution, sites)
        if not worst:
            break
        excluded.extend(worst)
        req2 = _with_exclusions(request, excluded)
        cands, unplaced2 = _candidates(req2, sites, places)
        model = _build_model(req2, sites, graph, places, day_places, cands, crowd)
        solution = solve(model.problem, time_limit=request.time_limit, seed=seed, deterministic=True)
    if polish:
        solution = _polish(request, sites, model, solution)
    return _assemble(request, sites, model, solution, unplaced, graph, crowd)


def _avoid_crowds(req: ItineraryRequest) -> bool:
    """The request's choice, or on when a day of the trip is a peak day."""
    from tourplan.flow.calendar import day_type
    from tourplan.itinerary.crowd import PEAK_DAY_TYPES

    if req.avoid_crowds is not None:
        return req.avoid_crowds
    return any(day_type(d) in PEAK_DAY_TYPES for d in req.dates)


def _check_window(req: ItineraryRequest, sites: SiteTable) -> None:
    """Refuse a day too short for the shortest visit of any sight (on ``day_end``)."""
    lengths = [s.visit_minutes for s in sites if is_sight(s)]
    if not lengths:
        return
    needed = round(min(lengths) * PACES[req.pace].visit_factor)
    span = req.day_end - req.day_start
    if span < needed:
        params = {"start": fmt_time(req.day_start), "end": fmt_time(req.day_end), "minutes": span, "needed": needed}
        raise RequestValidationError({"day_end": Message("window_too_short", params)})


def _crowd_at(crowd: Any, site_id: str, start: float, date: dt.date) -> CrowdAt | None:
    """Expected crowding of a visit from the crowd hook (``None`` when it has no figure)."""
    if crowd is None:  # no hook: nothing to look up (and the flow package stays unloaded)
        return None
    from tourplan.flow.alerts import tier
    from tourplan.flow.forecast import CrowdForecast
    from tourplan.itinerary.crowd import CrowdAt

    if (trip := _trip_crowd(crowd)) is not None:
        return trip.at(site_id, start, date)
    if (
        isinstance(crowd, CrowdForecast)
        and (crowd.date is None or crowd.date == date)
        and site_id in crowd.ratio
    ):
        pct = int(crowd.ratio_at(site_id, start) * 100 + 1e-9)
        return CrowdAt(tier(pct), pct, fmt_time(start))
    return None


def _polish(req: ItineraryRequest, sites: SiteTable, model: _Model, solution: Solution) -> Solution:
    """Re-score the days on their real, diminishing value and improve them by single-site moves.

    The engine adds up site scores (with a cap per category); a day's value
    gives the k-th site of a category ``DECAY**k`` (:func:`_day_credit`).
    Must-see, locked and lunch stops stay; a move must pass the independent
    checker and keep the tickets within the budget.
    """

    def within_budget(routes: list[list[int]]) -> bool:
        if req.ticket_budget is None:
            return True
        return _tickets(model, routes, sites) <= req.ticket_budget + 1e-9

    return polish_solution(
        model.problem,
        solution,
        lambda route: sum(_day_credit(model, route).values()),
        fixed=set(model.problem.mandatory) | set(model.lunch_nodes),
        accept=within_budget,
        order_free=True,  # a day's credit depends on its set of stops (tourplan.rules.diminishing)
    )


def _with_exclusions(req: ItineraryRequest, extra: Sequence[str]) -> ItineraryRequest:
    keep = [x for x in extra if x not in req.must_see and x not in req.locked]
    return ItineraryRequest(**{**_fields(req), "exclude": tuple(dict.fromkeys((*req.exclude, *keep)))})


def _fields(req: ItineraryRequest) -> dict[str, Any]:
    return {f: getattr(req, f) for f in req.__dataclass_fields__}


def _paid_ticket(model: _Model, node: int, sites: SiteTable, charged: set[str]) -> float:
    s = model.sites[node]
    return 0.0 if s is None else paid_ticket(s, sites, charged)


def _tickets(model: _Model, routes: Sequence[Sequence[int]], sites: SiteTable) -> float:
    total = 0.0
    for route in routes:
        charged: set[str] = set()
        for node in route:
            total += _paid_ticket(model, node, sites, charged)
    return total


def _least_value_paid(model: _Model, solution: Solution, sites: SiteTable) -> list[str]:
    """The paid choice with the least value per yuan: a site, or all parts of a ticketed area."""
    best: tuple[float, list[str]] | None = None
    mandatory = {model.nodes[i] for i in model.problem.mandatory}
    for route in solution.routes:
        charged: set[str] = set()
        for node in route:
            t = _paid_ticket(model, node, sites, charged)
            site = model.sites[node]
            if t <= 0 or site is None or site.id in mandatory:
                continue
            if site.ticket_cny > 0 or not site.parent_id:
                group = [site.id]
            else:
                group = [
                    model.nodes[v]
                    for v in route
                    if (sv := model.sites[v]) is not None and sv.parent_id == site.parent_id
                ]
                group = [g for g in group if g not in mandatory and sites[g].ticket_cny == 0]
            value = sum(float(model.scores[model.site_node[g]]) for g in group)
            if group and (best is None or value / t < best[0]):
                best = (value / t, group)
    return [] if best is None else best[1]


def _assemble(
    req: ItineraryRequest,
    sites: SiteTable,
    model: _Model,
    solution: Solution,
    unplaced: dict[str, Message],
    graph: SiteGraph,
    crowd: Any,
) -> Itinerary:
    del graph
    mats = model.mats
    notes: list[Message] = []
    days: list[DayPlan] = []
    total_score = 0.0
    tickets = 0.0
    dates = req.dates
    for r, route in enumerate(model.problem.routes):
        sched = solution.schedule[r]
        charged: set[str] = set()
        stops: list[Stop] = []
        legs: list[TravelLeg] = []
        credit = _day_credit(model, [v.node for v in sched])
        prev = route.start
        # Leave as late as possible without changing the schedule.
        if sched:
            first = sched[0]
            depart = max(float(req.day_start), first.start - float(mats.minutes[route.start, first.node]))
        else:
            depart = float(req.day_start)
        t = depart
        for v in sched:
            s = model.sites[v.node]
            assert s is not None  # noqa: S101
            tt = float(mats.minutes[prev, v.node])
            legs.append(_leg(model, req, prev, v.node, t, t + tt))
            is_lunch = v.node in model.lunch_nodes
            value = credit.get(v.node, 0.0)
            total_score += value
            ticket = _paid_ticket(model, v.node, sites, charged)
            tickets += ticket
            stops.append(
                Stop(
                    site_id=s.id,
                    name_zh=s.name_zh,
                    name_en=s.name_en,
                    lat=s.lat,
                    lon=s.lon,
                    location_error_m=s.location_error_m,
                    arrive=t + tt,
                    start=v.start,
                    end=v.start + float(model.service[v.node]),
                    activity=_activity(s, is_lunch, v.node in model.long_nodes),
                    ticket_cny=ticket,
                    is_lunch=is_lunch,
                    crowd=_crowd_at(crowd, s.id, v.start, dates[r]) if is_sight(s) else None,
                    score=value,
                    ascent_m=_visit_ascent(s),
                    navigation=site_navigation(s).to_dict(),
                )
            )
            t = v.start + float(model.service[v.node])
            prev = v.node
        tt = float(mats.minutes[prev, route.end])
        legs.append(_leg(model, req, prev, route.end, t, t + tt))
        back = t + tt
        a_key, b_key = model.nodes[route.start], model.nodes[route.end]
        days.append(
            DayPlan(
                date=dates[r],
                start=model.places[a_key],
                end=model.places[b_key],
                depart=depart,
                back=back,
                stops=tuple(stops),
                legs=tuple(legs),
                sunset=model.sunsets[r],
                day_end=req.day_end,
            )
        )
        has_long = any(v.node in model.long_nodes for v in sched)
        if (model.lunch_nodes or model.long_nodes) and not has_long and not any(s.is_lunch for s in stops):
            _note(
                notes,
                "lunch_none",
                day=r + 1,
                date=dates[r].isoformat(),
                earliest=fmt_time(LUNCH_EARLIEST),
                latest=fmt_time(LUNCH_LATEST_END),
            )
    visited = {s.site_id for d in days for s in d.stops}
    for sid in (*req.must_see, *req.locked):
        if sid in visited or sid in unplaced:
            continue
        if sid not in sites:
            unplaced[sid] = Message("unknown_sites", {"ids": sid})
            continue
        unplaced[sid] = _explain(sid, req, sites, model, solution)
    for sid, why in unplaced.items():
        if sid in req.must_see or sid in req.locked:
            site = sites.get(sid)
            name = Name(site.name_zh, site.name_en) if site is not None else sid
            notes.append(Message("must_see_unplaced", {"site": name, "why": why}))
    if not visited:
        # (a day shorter than any visit was refused on day_end up front; here travel makes it too short)
        raise InfeasibleRequestError.coded(_explain_empty(req, model, sites))
    if req.ticket_budget is not None and tickets > req.ticket_budget + 1e-9:
        _note(notes, "tickets_over_budget", price=round(tickets), budget=round(req.ticket_budget))
    trip_crowd = _trip_crowd(crowd)
    if trip_crowd is not None:
        notes.extend(_peak_notes(dates, days, sites, trip_crowd))
    if not any(w > 0 for w in req.interests.values()):
        _note(notes, "highlights_default")
    return Itinerary(
        request=req,
        days=tuple(days),
        score=total_score,
        tickets_cny=tickets,
        warnings=tuple(notes),
        unplaced=unplaced,
        solver=solution.summary(),
        avoid_crowds=None if trip_crowd is None else trip_crowd.avoid,
        highlights=not any(w > 0 for w in req.interests.values()),
    )


def _trip_crowd(crowd: Any) -> TripCrowd | None:
    if crowd is None:  # no hook (the flow package, which the forecast needs, stays unloaded)
        return None
    from tourplan.itinerary.crowd import TripCrowd

    return crowd if isinstance(crowd, TripCrowd) else None


def _note(notes: list[Message], code: str, **params: Any) -> None:
    """Add a warning."""
    notes.append(Message(code, params))


def _peak_notes(
    dates: Sequence[dt.date], days: Sequence[DayPlan], sites: SiteTable, crowd: TripCrowd
) -> list[Message]:
    """The peak-day warning of each peak day, with booking and quieter-site advice when there is some."""
    from tourplan.itinerary.crowd import peak_day_warnings

    out: list[Message] = []
    for m in peak_day_warnings(dates, [[(s.site_id, s.start) for s in d.stops] for d in days], sites, crowd):
        out.append(m)
        if m.params["book_ahead"]:
            _note(out, "peak_day_book", sites=m.params["book_ahead"])
        if m.params["alternative"] is not None:
            _note(out, "peak_day_quieter", busiest=m.params["busiest"], alternative=m.params["alternative"])
        if m.params["timed"] is not None:
            _note(out, "peak_day_timed", **m.params["timed"])
    return out


def _activity(s: Site, is_lunch: bool, long_lunch: bool) -> Message:
    """What the visitor does at stop ``s``: the site's phrase in both languages, or lunch there."""
    phrase = Name(s.activity_zh, s.activity)
    has = bool(s.activity or s.activity_zh)
    if is_lunch and not has:  # a food site says what it serves; the stop's ``lunch`` flag says it is lunch
        return Message("stop_lunch_only")
    if long_lunch:
        return (
            Message("stop_lunch_inside", {"activity": phrase}) if has else Message("stop_lunch_inside_only")
        )
    return Message("stop_activity", {"activity": phrase})


def _leg(model: _Model, req: ItineraryRequest, a: int, b: int, depart: float, arrive: float) -> TravelLeg:
    mats = model.mats
    km = float(mats.km[a, b])
    mode = req.mode
    if req.mode == "mixed":
        mode = "walk" if km <= req.walk_max_km else "bus"
    return TravelLeg(
        from_key=model.nodes[a],
        to_key=model.nodes[b],
        mode=mode,
        minutes=float(mats.minutes[a, b]),
        km=km,
        ascent_m=float(mats.ascent_m[a, b]),
        walk_km=float(mats.walk_km[a, b]),
        depart=depart,
        arrive=arrive,
    )
