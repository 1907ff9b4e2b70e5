"""Why a must-see site is not in the plan, or why nothing fits, as coded messages.

Each explanation is a :class:`~tourplan.messages.Message` (codes
``unplaced_*`` and ``nothing_fits*``) whose parameters are names in both
languages, times and minutes; the web and the CLI render it in their
user's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tourplan._parse import fmt_time
from tourplan.hours import hours_name, open_intervals, weekday_name
from tourplan.itinerary.model import _Model, _visit_ascent
from tourplan.itinerary.request import PACES, ItineraryRequest
from tourplan.messages import Message, Name
from tourplan.optimize.check import earliest_start, schedule_route
from tourplan.rules import (
    entry_price,
    is_outdoor_mountain,
)

if TYPE_CHECKING:
    from tourplan.optimize import Solution
    from tourplan.places import Place
    from tourplan.site import Site, SiteTable

#: The pace choices as the plan form names them.
PACE_NAMES: dict[str, Name] = {
    "relaxed": Name("悠闲", "Relaxed"),
    "normal": Name("适中", "Normal"),
    "active": Name("紧凑", "Active"),
}


def _site(s: Site) -> Name:
    return Name(s.name_zh, s.name_en)


def _place(p: Place, sites: SiteTable) -> Name | str:
    site = sites.get(p.site_id) if p.site_id else None
    return _site(site) if site is not None else p.name


def _spans(intervals: Any) -> str:
    return ", ".join(f"{fmt_time(a)}–{fmt_time(b)}" for a, b in intervals)


def _explain(sid: str, req: ItineraryRequest, sites: SiteTable, model: _Model, solution: Solution) -> Message:
    """Why a must-see site is not in the plan."""
    s = sites[sid]
    name = _site(s)
    if sid not in model.site_node:
        return Message("unplaced_left_out", {"site": name})
    node = model.site_node[sid]
    p = model.problem
    pace = PACES[req.pace]
    if _visit_ascent(s) > pace.max_ascent_m:
        return Message(
            "unplaced_too_steep",
            {
                "site": name,
                "ascent": round(_visit_ascent(s)),
                "pace": PACE_NAMES[req.pace],
                "limit": round(pace.max_ascent_m),
                "active": PACE_NAMES["active"],
            },
        )
    if req.ticket_budget is not None and entry_price(s, sites) > req.ticket_budget:
        return Message(
            "unplaced_over_budget",
            {"site": name, "price": round(entry_price(s, sites)), "budget": round(req.ticket_budget)},
        )
    allowed = [r for r in range(p.m) if p.windows_on(r, node)]
    if not allowed:
        return _explain_closed(s, req, model)
    # Try every insertion point; report the one that misses by the least.  Times
    # come from the engine checker's own schedule, so an explanation never
    # describes a schedule the engine would not build.
    best: tuple[float, Message] | None = None
    svc = float(model.service[node])
    for r in allowed:
        route = p.routes[r]
        visits = solution.routes[r]
        wins = p.windows_on(r, node)
        for pos in range(len(visits) + 1):
            prefix = list(visits[:pos])
            trial = schedule_route(p, r, [*prefix, node])
            prev = model.sites[prefix[-1]] if prefix else None
            after = _site(prev) if prev is not None else _place(model.places[model.nodes[route.start]], sites)
            arrive = trial.visits[-1].arrive
            start = earliest_start(wins, arrive)
            last = pos == len(visits)
            common: dict[str, Any] = {"site": name, "minutes": round(svc), "after": after, "day": r + 1}
            if start is None:
                last_start = max(b for _, b in wins)
                close = last_start + svc
                miss = arrive - last_start
                by_sunset = is_outdoor_mountain(s) and abs(close - model.sunsets[r]) < 1
                text = Message(
                    "unplaced_sunset" if by_sunset else "unplaced_closes",
                    {**common, "close": fmt_time(close), "last": fmt_time(last_start), "arrive": fmt_time(arrive)},
                )
            else:
                done = start + svc
                back = trial.finish if last else done
                miss = back - route.latest
                if last:
                    text = Message(
                        "unplaced_back_late",
                        {**common, "done": fmt_time(done), "back": fmt_time(back), "end": fmt_time(route.latest)},
                    )
                else:
                    text = Message("unplaced_no_room", {**common, "done": fmt_time(done)})
            if best is None or miss < best[0]:
                best = (miss, text)
    assert best is not None  # noqa: S101
    return best[1]


def _explain_closed(s: Site, req: ItineraryRequest, model: _Model) -> Message:
    """Why a site fits on no day of the trip: closed, or open too briefly within the visitor's day."""
    name = _site(s)
    node = model.site_node[s.id]
    reasons: list[Message] = []
    for r, day in enumerate(req.dates):
        if s.id in req.locked and req.locked[s.id] != r:
            continue
        iv = open_intervals(s.opening_hours, day)
        if not iv:
            reasons.append(
                Message(
                    "unplaced_closed",
                    {"site": name, "date": day.isoformat(), "weekday": weekday_name(day),
                     "hours": hours_name(s.opening_hours)},
                )
            )  # fmt: skip
            continue
        params = {
            "site": name,
            "minutes": round(float(model.service[node])),
            "date": day.isoformat(),
            "open": _spans(iv),
            "start": fmt_time(req.day_start),
            "end": fmt_time(req.day_end),
        }
        if is_outdoor_mountain(s):
            reasons.append(Message("unplaced_short_sunset", {**params, "sunset": fmt_time(model.sunsets[r])}))
        else:
            reasons.append(Message("unplaced_short", params))
    if not reasons:
        return Message("unplaced_no_day", {"site": name})
    if len(reasons) == 1:
        return reasons[0]
    return Message("reasons", {"reasons": reasons})


def _explain_empty(req: ItineraryRequest, model: _Model, sites: SiteTable) -> Message:
    """Why nothing fits."""
    p = model.problem
    best: tuple[float, Message] | None = None
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
                Message(
                    "nothing_fits",
                    {
                        "budget": req.day_end - req.day_start,
                        "start": fmt_time(req.day_start),
                        "end": fmt_time(req.day_end),
                        "site": _site(s),
                        "go": round(go),
                        "visit": round(float(p.service[node])),
                        "back": round(back),
                        "need": round(need),
                    },
                ),
            )
    if best is None:
        return Message(
            "nothing_open",
            {"start": fmt_time(req.day_start), "end": fmt_time(req.day_end), "date": req.start_date.isoformat()},
        )
    return best[1]
