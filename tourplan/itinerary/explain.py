"""Why a must-see site is not in the plan, or why nothing fits, in plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan._parse import fmt_time
from tourplan.hours import open_intervals
from tourplan.itinerary.model import _Model, _visit_ascent
from tourplan.itinerary.request import PACES, ItineraryRequest
from tourplan.rules import (
    entry_price,
    is_outdoor_mountain,
)

if TYPE_CHECKING:
    from tourplan.data import SiteTable
    from tourplan.optimize import Solution


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
    # Try every insertion point; report the one that misses by the least.
    best: tuple[float, str] | None = None
    svc = float(model.service[node])
    for r in allowed:
        route = p.routes[r]
        seq = [route.start, *solution.routes[r], route.end]
        wins = p.windows_on(r, node)
        for pos in range(1, len(seq)):
            t = route.earliest
            prev_name = model.places[model.nodes[route.start]].name
            for a_idx in range(1, pos):
                v = seq[a_idx]
                t = t + float(p.travel[seq[a_idx - 1], v])
                t = max(t, min((w[0] for w in p.windows_on(r, v)), default=t))
                t += float(p.service[v])
                site_v = model.sites[v]
                prev_name = site_v.name if site_v else prev_name
            arrive = t + float(p.travel[seq[pos - 1], node])
            feasible_start = [max(arrive, a) for a, b in wins if max(arrive, a) <= b]
            if not feasible_start:
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
                done = feasible_start[0] + svc
                back = done + float(p.travel[node, seq[pos]]) if pos == len(seq) - 1 else done
                miss = back - route.latest
                text = (
                    f"{name} takes {svc:.0f} min; visiting it after {prev_name} on day {r + 1} ends at {fmt_time(done)}"
                    + (
                        f" and getting back takes until {fmt_time(back)}, after the day ends at {fmt_time(route.latest)}"
                        if pos == len(seq) - 1
                        else ", which leaves no time for the rest of the day's plan"
                    )
                )
            if best is None or miss < best[0]:
                best = (miss, text)
    assert best is not None  # noqa: S101
    return best[1]


def _explain_empty(req: ItineraryRequest, model: _Model) -> str:
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
