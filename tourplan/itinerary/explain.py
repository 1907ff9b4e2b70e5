"""Why a must-see site is not in the plan, or why nothing fits, in plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan._parse import fmt_time
from tourplan.hours import open_intervals
from tourplan.itinerary.model import _Model, _visit_ascent
from tourplan.itinerary.request import PACES, ItineraryRequest
from tourplan.optimize.check import earliest_start, schedule_route
from tourplan.rules import (
    entry_price,
    is_outdoor_mountain,
)

if TYPE_CHECKING:
    from tourplan.optimize import Solution
    from tourplan.site import SiteTable


def _explain(sid: str, req: ItineraryRequest, sites: SiteTable, model: _Model, solution: Solution) -> str:
    """Why a must-see site is not in the plan, in plain words."""
    s = sites[sid]
    name = s.name
    if sid not in model.site_node:
        return f"{name} was left out by the request's other settings (a parent area or an exclusion)"
    node = model.site_node[sid]
    p = model.problem
    dates = req.dates
    pace = PACES[req.pace]
    if _visit_ascent(s) > pace.max_ascent_m:
        return (
            f"{name} climbs {_visit_ascent(s):.0f} m, more than the {req.pace} pace allows in a day "
            f"({pace.max_ascent_m:.0f} m); choose the active pace"
        )
    if req.ticket_budget is not None and entry_price(s, sites) > req.ticket_budget:
        return f"{name} costs {entry_price(s, sites):.0f} CNY, more than the ticket budget of {req.ticket_budget:.0f} CNY"
    allowed = [r for r in range(p.m) if p.windows_on(r, node)]
    if not allowed:
        reasons = []
        for r, day in enumerate(dates):
            if sid in req.locked and req.locked[sid] != r:
                continue
            iv = open_intervals(s.opening_hours, day)
            if not iv:
                reasons.append(
                    f"{name} is closed on {day.isoformat()} ({day.strftime('%A')}); opening hours: {s.opening_hours}"
                )
            else:
                last = max(b for _, b in iv)
                if is_outdoor_mountain(s):
                    last = min(last, model.sunsets[r])
                need = float(model.service[node])
                reasons.append(
                    f"{name} needs {need:.0f} min but on {day.isoformat()} it is open only "
                    + ", ".join(f"{fmt_time(a)}-{fmt_time(b)}" for a, b in iv)
                    + (f" and the sun sets at {fmt_time(model.sunsets[r])}" if is_outdoor_mountain(s) else "")
                    + f" within your day {fmt_time(req.day_start)}-{fmt_time(req.day_end)}"
                )
        return "; ".join(reasons) or f"{name} cannot be visited on any day of the trip"
    # Try every insertion point; report the one that misses by the least.  Times
    # come from the engine checker's own schedule, so an explanation never
    # describes a schedule the engine would not build.
    best: tuple[float, str] | None = None
    svc = float(model.service[node])
    for r in allowed:
        route = p.routes[r]
        visits = solution.routes[r]
        wins = p.windows_on(r, node)
        for pos in range(len(visits) + 1):
            prefix = list(visits[:pos])
            trial = schedule_route(p, r, [*prefix, node])
            prev = model.sites[prefix[-1]] if prefix else None
            prev_name = prev.name if prev is not None else model.places[model.nodes[route.start]].name
            arrive = trial.visits[-1].arrive
            start = earliest_start(wins, arrive)
            last = pos == len(visits)
            if start is None:
                last_start = max(b for _, b in wins)
                close = last_start + svc
                miss = arrive - last_start
                by_sunset = is_outdoor_mountain(s) and abs(close - model.sunsets[r]) < 1
                limit = (
                    f"the sun sets at {fmt_time(close)}"
                    if by_sunset
                    else f"{name} closes at {fmt_time(close)}"
                )
                text = (
                    f"{limit} (last start for a {svc:.0f}-minute visit to {name} is {fmt_time(last_start)}); "
                    f"reaching it after {prev_name} on day {r + 1} takes until {fmt_time(arrive)}"
                )
            else:
                done = start + svc
                back = trial.finish if last else done
                miss = back - route.latest
                text = (
                    f"{name} takes {svc:.0f} min; visiting it after {prev_name} on day {r + 1} ends at {fmt_time(done)}"
                    + (
                        f" and getting back takes until {fmt_time(back)}, after the day ends at {fmt_time(route.latest)}"
                        if last
                        else ", which leaves no time for the rest of the day's plan"
                    )
                )
            if best is None or miss < best[0]:
                best = (miss, text)
    assert best is not None  # noqa: S101
    return best[1]


def _explain_empty(req: ItineraryRequest, model: _Model) -> str:
    """Why nothing fits."""
    p = model.problem
    budget = req.day_end - req.day_start
    best: tuple[float, str] | None = None
    route = p.routes[0]
    for node in range(p.n):
        s = model.sites[node]
        if s is None or node in (route.start, route.end):
            continue
        wins = p.windows_on(0, node)
        if not wins:
            continue
        go = float(p.travel[route.start, node])
        back = float(p.travel[node, route.end])
        need = go + float(p.service[node]) + back
        if best is None or need < best[0]:
            best = (
                need,
                f"{s.name} ({go:.0f} min there, {p.service[node]:.0f} min visit, {back:.0f} min back)",
            )
    if best is None:
        return (
            f"No site is open within your day ({fmt_time(req.day_start)}-{fmt_time(req.day_end)}) "
            f"on {req.start_date.isoformat()} with the chosen settings."
        )
    return (
        f"The time budget of {budget} min ({fmt_time(req.day_start)}-{fmt_time(req.day_end)}) is too short to "
        f"visit anything: the quickest possible visit, {best[1]}, needs {best[0]:.0f} min."
    )
