"""Why a study tour cannot be planned, naming the binding constraint and the fix.

Every reason is a :class:`~tourplan.messages.Message` that names the fix by
the staff form's own field labels ("Leave at", "Required sites" ...), in
Chinese and English; :func:`refusal` wraps them into the error the planner
raises.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tourplan._parse import fmt_time
from tourplan.errors import InfeasibleRequestError
from tourplan.hours import hours_name, open_intervals, weekday_name
from tourplan.messages import Message, Name
from tourplan.rules import (
    LUNCH_EARLIEST,
    LUNCH_LATEST_END,
)
from tourplan.study.capacity import _Load, _max_students_fitting, _Unit
from tourplan.study.model import _Ctx, _Result, _solve_unit
from tourplan.sun import daylight

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.site import Site


def refusal(*reasons: Message) -> InfeasibleRequestError:
    """The planner's refusal: ``study_refused`` over the reasons (each names its fix)."""
    return InfeasibleRequestError.coded(Message("study_refused", {"reasons": list(reasons)}))


def _site(s: Site) -> Name:
    return Name(s.name_zh, s.name_en)


def _start(ctx: _Ctx) -> Name | str:
    """The start in both languages when it is a site (else the place's name)."""
    s = ctx.site_of[ctx.s0]
    return _site(s) if s is not None else ctx.start.name


def _lunch_times() -> dict[str, str]:
    return {"earliest": fmt_time(LUNCH_EARLIEST), "latest": fmt_time(LUNCH_LATEST_END)}


def _precheck(ctx: _Ctx, units: Sequence[_Unit]) -> None:
    """Raise when a hard requirement cannot be met by any plan, naming the fix."""
    req = ctx.req
    reasons: list[Message] = []
    big = max(u.people for u in units)
    total = sum(u.people for u in units)
    day = req.date
    day_span = {"start": fmt_time(req.day_start), "end": fmt_time(req.day_end)}
    for sid in req.require:
        i = ctx.nodes.index(sid)
        s = ctx.site_of[i]
        assert s is not None  # noqa: S101
        name = _site(s)
        iv = open_intervals(s.opening_hours, day)
        if not iv:
            nxt = _next_open(s, day)
            reasons.append(
                Message(
                    "study_required_closed",
                    {
                        "site": name,
                        "date": day.isoformat(),
                        "weekday": weekday_name(day),
                        "hours": hours_name(s.opening_hours),
                        "next": "" if nxt is None else Message(
                            "study_open_on", {"date": nxt.isoformat(), "weekday": weekday_name(nxt)}
                        ),
                    },
                )
            )  # fmt: skip
            continue
        if not ctx.base_windows[i]:
            reasons.append(
                Message(
                    "study_required_short",
                    {
                        "site": name,
                        "minutes": int(ctx.service[i]),
                        "date": day.isoformat(),
                        "open": ", ".join(f"{fmt_time(a)}–{fmt_time(b)}" for a, b in iv),
                        "sunset": fmt_time(daylight(day)[1]),
                        **day_span,
                    },
                )
            )
            continue
        go, back = ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]
        if max(go, back) > req.ride_limit:
            reasons.append(
                Message(
                    "study_required_far",
                    {"site": name, "place": _start(ctx), "ride": round(float(max(go, back))),
                     "limit": req.ride_limit, "band": req.band},
                )
            )  # fmt: skip
            continue
        arrive = req.day_start + float(ctx.travel[ctx.s0, i])
        starts = [max(arrive, a) for a, b in ctx.base_windows[i] if max(arrive, a) <= b]
        if not starts or starts[0] + ctx.service[i] + float(ctx.travel[i, ctx.e0]) > req.day_end:
            reasons.append(
                Message("study_required_no_time", {"site": name, "minutes": int(ctx.service[i]), **day_span})
            )
            continue
        room = float(s.capacity_instant) - float(ctx.public[i].min())
        if big > s.capacity_instant:
            fit = _max_students_fitting(req, s.capacity_instant)
            reasons.append(
                Message(
                    "study_required_small",
                    {"site": name, "capacity": s.capacity_instant, "people": big, "fit": fit},
                )
            )
        elif big > room:
            reasons.append(
                Message(
                    "study_required_crowded",
                    {"site": name, "capacity": s.capacity_instant, "room": round(room), "date": day.isoformat(),
                     "people": big},
                )
            )  # fmt: skip
    if ctx.lunch_on and not ctx.lunch_nodes:
        reasons.append(Message("study_no_lunch_site", {"date": day.isoformat(), **_lunch_times()}))
    if ctx.lunch_on and req.lunch == "together":
        best = max((float(ctx.cap[i]) for i in ctx.lunch_nodes), default=0.0)
        if best < total:
            reasons.append(Message("study_lunch_too_small", {"best": round(best), "total": total}))
    if reasons:
        raise refusal(*reasons)


def _next_open(s: Site, day: dt.date) -> dt.date | None:
    for k in range(1, 8):
        d = day + dt.timedelta(days=k)
        if open_intervals(s.opening_hours, d):
            return d
    return None


def _explain_missing(ctx: _Ctx, units: Sequence[_Unit], results: Sequence[_Result]) -> InfeasibleRequestError:
    """The refusal when a required site fits no bus (alone) or too few of them (shared)."""
    req = ctx.req
    parts: list[Message] = []
    for i in sorted(ctx.mandatory):
        s = ctx.site_of[i]
        assert s is not None  # noqa: S101
        ok = [u for u, r in zip(units, results, strict=True) if i not in r.missing]
        bad = [u for u, r in zip(units, results, strict=True) if i in r.missing]
        if not bad:
            continue
        n = len(ctx.nodes)
        alone = _solve_unit(ctx, bad[0], _Load.empty(n), 0)
        if i in alone.missing:
            go, back = ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]
            parts.append(
                Message(
                    "study_required_alone",
                    {
                        "site": _site(s),
                        "go": round(float(go)),
                        "back": round(float(back)),
                        "boarding": req.boarding_minutes,
                        "minutes": int(ctx.service[i]),
                        "lunch": Message("study_with_lunch", _lunch_times()) if ctx.lunch_on else "",
                        "start": fmt_time(req.day_start),
                        "end": fmt_time(req.day_end),
                        "packed": Message("study_fix_packed") if ctx.lunch_on else "",
                    },
                )
            )
            continue
        wins = ", ".join(f"{fmt_time(a)}–{fmt_time(b + ctx.service[i])}" for a, b in ctx.base_windows[i])
        pub = float(ctx.public[i].max())
        people = max(u.people for u in bad)
        at_once = int((s.capacity_instant - pub) // people) if people else 0
        parts.append(
            Message(
                "study_required_shared",
                {
                    "ok": len(ok),
                    "all": len(units),
                    "site": _site(s),
                    "date": req.date.isoformat(),
                    "capacity": s.capacity_instant,
                    "public": Message("study_public_load", {"people": round(pub)}) if pub else "",
                    "at_once": max(at_once, 0),
                    "people": people,
                    "minutes": int(ctx.service[i]),
                    "windows": wins,
                },
            )
        )
    return refusal(*parts)


def _explain_empty(ctx: _Ctx, unit: _Unit) -> Message:
    """Why a bus group has no stop at all."""
    req = ctx.req
    reach = [
        i
        for i, s in enumerate(ctx.site_of)
        if s is not None and i not in ctx.lunch_nodes and i not in (ctx.s0, ctx.e0)
    ]
    if not reach:
        return Message("study_none_suitable", {"band": req.band})
    close = [i for i in reach if max(ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]) <= req.ride_limit]
    if not close:
        return Message("study_none_close", {"place": _start(ctx), "limit": req.ride_limit, "band": req.band})
    open_ = [i for i in close if ctx.base_windows[i]]
    if not open_:
        return Message(
            "study_none_open",
            {"date": req.date.isoformat(), "start": fmt_time(req.day_start), "end": fmt_time(req.day_end)},
        )
    roomy = [i for i in open_ if float(ctx.cap[i]) - float(ctx.public[i].min()) >= unit.people]
    if not roomy:
        return Message("study_none_room", {"n": len(open_), "people": unit.people, "date": req.date.isoformat()})
    return Message("study_all_full", {"n": len(roomy), "people": unit.people})
