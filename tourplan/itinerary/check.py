"""An independent check of a visitor itinerary.

:func:`check_itinerary` recomputes every time of an :class:`Itinerary` from
the raw inputs (the site table's opening hours for the date, sunset from
astral, the graph's travel times) and never trusts the planner's numbers or
its optimisation model; it shares only the rules themselves
(:mod:`tourplan.rules`, the paces).  It returns the list of violations (empty when the
itinerary is feasible).  Tests run it on every itinerary they make.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan.hours import open_intervals
from tourplan.itinerary.request import PACES
from tourplan.rules import (
    FOOD,
    LONG_VISIT_LATEST_START,
    LONG_VISIT_LUNCH,
    LUNCH_EARLIEST,
    LUNCH_LATEST_END,
    LUNCH_LATEST_START,
    is_outdoor_mountain,
    lunch_applies,
)
from tourplan.sun import daylight

if TYPE_CHECKING:
    from tourplan.graph import SiteGraph
    from tourplan.itinerary.result import Itinerary
    from tourplan.site import SiteTable

__all__ = ["check_itinerary"]

_TOL = 1.0  # minutes: times are shown and compared to the minute


def check_itinerary(itinerary: Itinerary, sites: SiteTable, graph: SiteGraph) -> list[str]:
    """Every rule the itinerary breaks, in words; empty when it is feasible.

    Rules: each stop lies inside an opening interval of its site on that date
    (start to end); outdoor mountain stops end by sunset; travel between
    consecutive points takes at least the graph's time in the request's
    mode; the day starts no earlier than the request's start and is back by
    its end; no site twice; a lunch stop at a food site starting 11:30-13:00
    (or a long mountain visit spanning 11:45-13:30) on every day that spans
    lunch; the pace's stop count and ascent limits; the ticket budget (unless
    a warning explains must-see sites broke it); every must-see visited or
    explained.
    """
    req = itinerary.request
    out: list[str] = []
    seen: set[str] = set()
    points = {}
    for d in itinerary.days:
        for p in (d.start, d.end):
            if p.site_id is None:
                points[p.key] = (p.lat, p.lon)
    pace = PACES[req.pace]
    max_stops = pace.max_stops
    lunch_day = lunch_applies(req.lunch, req.day_start, req.day_end)
    for k, d in enumerate(itinerary.days, start=1):
        where = f"day {k} ({d.date.isoformat()})"
        keys = [d.start.key, *(s.site_id for s in d.stops), d.end.key]
        mats = graph.matrices(keys, req.mode, points=points, walk_max_km=req.walk_max_km)
        if d.depart < req.day_start - _TOL:
            out.append(f"{where}: leaves at {d.depart:.0f}, before the day starts at {req.day_start}")
        if d.back > req.day_end + _TOL:
            out.append(f"{where}: back at {d.back:.0f}, after the day ends at {req.day_end}")
        sunset = daylight(d.date)[1]
        t = d.depart
        lunch_ok = False
        visits = [s for s in d.stops if not s.is_lunch]
        if len(visits) > max_stops:
            out.append(f"{where}: {len(visits)} stops, more than the {req.pace} pace allows ({max_stops})")
        for i, s in enumerate(d.stops, start=1):
            site = sites.get(s.site_id)
            if site is None:
                out.append(f"{where}: unknown site {s.site_id}")
                continue
            if s.site_id in seen:
                out.append(f"{where}: {s.site_id} is visited twice")
            seen.add(s.site_id)
            travel = float(mats.minutes[i - 1, i])
            if s.arrive < t + travel - _TOL:
                out.append(
                    f"{where}: arrives at {s.site_id} at {s.arrive:.0f}, but it cannot be reached before {t + travel:.0f}"
                )
            if s.start < s.arrive - _TOL:
                out.append(f"{where}: {s.site_id} starts before arrival")
            if s.end <= s.start:
                out.append(f"{where}: {s.site_id} ends before it starts")
            if not any(
                a - _TOL <= s.start and s.end <= b + _TOL
                for a, b in open_intervals(site.opening_hours, d.date)
            ):
                out.append(
                    f"{where}: {s.site_id} visited {s.start:.0f}-{s.end:.0f}, outside its opening hours "
                    f"({site.opening_hours!r}) on that date"
                )
            outdoor_mountain = is_outdoor_mountain(site)
            if outdoor_mountain and s.end > sunset + _TOL:
                out.append(f"{where}: {s.site_id} ends at {s.end:.0f}, after sunset ({sunset})")
            in_window = LUNCH_EARLIEST - _TOL <= s.start <= LUNCH_LATEST_START + _TOL
            if s.is_lunch and site.category == FOOD and in_window:
                lunch_ok = True
            if (
                outdoor_mountain
                and s.start <= LONG_VISIT_LATEST_START + _TOL
                and s.end >= LUNCH_LATEST_END - _TOL
                and s.end - s.start >= LONG_VISIT_LUNCH
            ):
                lunch_ok = True
            t = s.end
        back_travel = float(mats.minutes[len(keys) - 2, len(keys) - 1])
        if d.back < t + back_travel - _TOL:
            out.append(f"{where}: back at {d.back:.0f}, but the way back takes until {t + back_travel:.0f}")
        if lunch_day and not lunch_ok and not any(w.code == "lunch_none" for w in itinerary.warnings):
            out.append(f"{where}: no lunch stop between 11:30 and 13:30")
        trail_climb = sum(sites[s.site_id].trail_ascent_m or 0.0 for s in d.stops if s.site_id in sites)
        # leg climbs come from elevation data the optimizer cannot see: only trails count
        if trail_climb > pace.max_ascent_m + 1e-6:
            out.append(
                f"{where}: trails climb {trail_climb:.0f} m, more than the {req.pace} pace allows "
                f"({pace.max_ascent_m:.0f} m)"
            )
    over_budget = req.ticket_budget is not None and itinerary.tickets_cny > req.ticket_budget + 1e-6
    if over_budget and not any(w.code == "tickets_over_budget" for w in itinerary.warnings):
        out.append(
            f"tickets {itinerary.tickets_cny:.0f} CNY exceed the budget {req.ticket_budget:.0f} without a warning"
        )
    for sid in (*req.must_see, *req.locked):
        if sid not in seen and sid not in itinerary.unplaced:
            out.append(f"must-see {sid} is neither visited nor explained")
    for sid, day in req.locked.items():
        if sid in seen and sid not in {s.site_id for s in itinerary.days[day].stops}:
            out.append(f"{sid} is locked to day {day + 1} but visited on another day")
    for sid in req.exclude:
        if sid in seen:
            out.append(f"excluded site {sid} is visited")
    return out
