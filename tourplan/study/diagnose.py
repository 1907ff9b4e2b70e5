"""Why a study tour cannot be planned, naming the binding constraint and the fix."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from tourplan._parse import fmt_time
from tourplan.errors import InfeasibleRequestError
from tourplan.hours import open_intervals
from tourplan.rules import (
    LUNCH_EARLIEST,
    LUNCH_LATEST_END,
)
from tourplan.study.capacity import _NSLOTS, _max_students_fitting, _Unit
from tourplan.study.model import _Ctx, _Result, _solve_unit
from tourplan.sun import daylight

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.site import Site

    pass


def _precheck(ctx: _Ctx, units: Sequence[_Unit]) -> None:
    """Raise when a hard requirement cannot be met by any plan, naming the fix."""
    req = ctx.req
    reasons: list[str] = []
    big = max(u.people for u in units)
    total = sum(u.people for u in units)
    day = req.date
    for sid in req.require:
        i = ctx.nodes.index(sid)
        s = ctx.site_of[i]
        assert s is not None  # noqa: S101
        iv = open_intervals(s.opening_hours, day)
        if not iv:
            nxt = _next_open(s, day)
            reasons.append(
                f"required site {s.name} ({sid}) is closed on {day.isoformat()} ({day.strftime('%A')}); "
                f"opening hours: {s.opening_hours}; fix: another date" + (f" (open on {nxt})" if nxt else "")
            )
            continue
        if not ctx.base_windows[i]:
            reasons.append(
                f"required site {s.name} ({sid}) needs {int(ctx.service[i])} min but on {day.isoformat()} it is open "
                + ", ".join(f"{fmt_time(a)}-{fmt_time(b)}" for a, b in iv)
                + f" (sunset {fmt_time(daylight(day)[1])} for outdoor mountains) and the day is "
                f"{fmt_time(req.day_start)}-{fmt_time(req.day_end)}; fix: an earlier start or later end, or another date"
            )
            continue
        go, back = ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]
        if max(go, back) > req.ride_limit:
            reasons.append(
                f"required site {s.name} ({sid}) is a {max(go, back):.0f}-min bus ride from {ctx.start.name}, over the "
                f"{req.ride_limit}-min limit for {req.band_zh} ({req.grade}; a planning rule, not a fact); fix: start "
                "from a closer point, drop the site, or raise max_ride_minutes"
            )
            continue
        arrive = req.day_start + float(ctx.travel[ctx.s0, i])
        starts = [max(arrive, a) for a, b in ctx.base_windows[i] if max(arrive, a) <= b]
        if not starts or starts[0] + ctx.service[i] + float(ctx.travel[i, ctx.e0]) > req.day_end:
            reasons.append(
                f"required site {s.name} ({sid}) cannot be reached, visited ({int(ctx.service[i])} min) and left "
                f"within the day {fmt_time(req.day_start)}-{fmt_time(req.day_end)}; fix: an earlier start or later end"
            )
            continue
        room = float(s.capacity_instant) - float(ctx.public[i].min())
        if big > s.capacity_instant:
            fit = _max_students_fitting(req, s.capacity_instant)
            reasons.append(
                f"required site {s.name} ({sid}) holds {s.capacity_instant} visitors at once (capacity_instant) but a "
                f"bus group is {big} people; fix: smaller groups (at most {fit} students) or one group per bus"
            )
        elif big > room:
            reasons.append(
                f"required site {s.name} ({sid}) holds {s.capacity_instant} at once and the expected public load leaves "
                f"at most {room:.0f} places on {day.isoformat()}, fewer than a bus group of {big}; fix: another date"
            )
    if ctx.lunch_on and not ctx.lunch_nodes:
        reasons.append(
            f"no food site is open for lunch ({fmt_time(LUNCH_EARLIEST)}-{fmt_time(LUNCH_LATEST_END)}) on "
            f"{day.isoformat()}; fix: lunch='packed'"
        )
    if ctx.lunch_on and req.lunch == "together":
        best = max((float(ctx.cap[i]) for i in ctx.lunch_nodes), default=0.0)
        if best < total:
            reasons.append(
                f"no lunch site seats the whole school: the largest open food site holds {best:.0f} at once "
                f"(capacity_instant), the school is {total} people; fix: lunch per group (lunch='group') or fewer students"
            )
    if reasons:
        raise InfeasibleRequestError("cannot plan the study tour: " + "; ".join(reasons))


def _next_open(s: Site, day: dt.date) -> str:
    for k in range(1, 8):
        d = day + dt.timedelta(days=k)
        if open_intervals(s.opening_hours, d):
            return f"{d.isoformat()} ({d.strftime('%A')})"
    return ""


def _explain_missing(ctx: _Ctx, units: Sequence[_Unit], results: Sequence[_Result]) -> str:
    req = ctx.req
    parts: list[str] = []
    for i in sorted(ctx.mandatory):
        s = ctx.site_of[i]
        assert s is not None  # noqa: S101
        ok = [u for u, r in zip(units, results, strict=True) if i not in r.missing]
        bad = [u for u, r in zip(units, results, strict=True) if i in r.missing]
        if not bad:
            continue
        n = len(ctx.nodes)
        alone = _solve_unit(ctx, bad[0], np.zeros((n, _NSLOTS)), np.zeros((n, _NSLOTS), dtype=np.int64), 0)
        if i in alone.missing:
            go, back = ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]
            lunch = (
                f" together with the lunch stop ({fmt_time(LUNCH_EARLIEST)}-{fmt_time(LUNCH_LATEST_END)})"
                if ctx.lunch_on
                else ""
            )
            parts.append(
                f"the required site {s.name} ({s.id}), {go:.0f} min by bus there and {back:.0f} min back (plus "
                f"{req.boarding_minutes} min boarding per leg) with a {int(ctx.service[i])}-min visit, does not fit "
                f"into the day {fmt_time(req.day_start)}-{fmt_time(req.day_end)}{lunch} even for a bus alone; fix: a "
                "later end time or earlier start"
                + (", lunch='packed'" if ctx.lunch_on else "")
                + ", or drop the site"
            )
            continue
        wins = ", ".join(f"{fmt_time(a)}-{fmt_time(b + ctx.service[i])}" for a, b in ctx.base_windows[i])
        pub = float(ctx.public[i].max())
        people = max(u.people for u in bad)
        at_once = int((s.capacity_instant - pub) // people) if people else 0
        parts.append(
            f"only {len(ok)} of {len(units)} bus groups can visit the required site {s.name} ({s.id}) on "
            f"{req.date.isoformat()}: it holds {s.capacity_instant} visitors at once (capacity_instant"
            + (f", expected public load up to {pub:.0f}" if pub else "")
            + f"), i.e. about {max(at_once, 0)} bus group(s) of {people} at a time, for {int(ctx.service[i])} min each, "
            f"within {wins}; fix: fewer groups, another date, a longer day, or drop it from the required sites"
        )
    return "cannot plan the study tour: " + "; ".join(parts)


def _explain_empty(ctx: _Ctx, unit: _Unit) -> str:
    req = ctx.req
    reach = [
        i
        for i, s in enumerate(ctx.site_of)
        if s is not None and i not in ctx.lunch_nodes and i not in (ctx.s0, ctx.e0)
    ]
    if not reach:
        return (
            f"no site in the table is suitable for {req.band_zh} ({req.grade}) with these exclusions; "
            "fix: fewer exclusions or required sites"
        )
    close = [i for i in reach if max(ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]) <= req.ride_limit]
    if not close:
        return (
            f"every suitable site is more than {req.ride_limit} min by bus from {ctx.start.name} (the ride limit for "
            f"{req.band_zh}, a planning rule); fix: a closer start or a higher max_ride_minutes"
        )
    open_ = [i for i in close if ctx.base_windows[i]]
    if not open_:
        return (
            f"no suitable site within reach is open long enough on {req.date.isoformat()} between "
            f"{fmt_time(req.day_start)} and {fmt_time(req.day_end)}; fix: another date or a longer day"
        )
    roomy = [i for i in open_ if float(ctx.cap[i]) - float(ctx.public[i].min()) >= unit.people]
    if not roomy:
        return (
            f"site capacity: none of the {len(open_)} suitable open sites has room for a bus group of {unit.people} "
            f"people on {req.date.isoformat()} (capacity_instant minus the expected public load); fix: smaller groups, "
            "fewer groups, or another date"
        )
    return (
        f"site capacity: the {len(roomy)} suitable open sites with room are full in every slot this bus group could "
        f"use ({unit.people} people) once the other groups are placed; fix: fewer groups, a longer day, or another date"
    )
