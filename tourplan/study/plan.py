"""Plan all groups of a study tour together: :func:`plan_study_tour`.

The upper bound's search (:mod:`tourplan.study.bound`) lists each bus's good
solo days.  Buses are placed one after the other (largest first), each on
its best good day that fits the load the others put on the sites
(:mod:`tourplan.study.fit`; the engine only when none fits), then re-planned
alone and in pairs against the others while that improves them; the result
is assembled into per-group timetables, bus run sheets, site schedules,
staff, costs and warnings.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from tourplan._parse import fmt_time
from tourplan.errors import SolverError
from tourplan.messages import Message, Name
from tourplan.optimize.solve import warm_up
from tourplan.rules import (
    LUNCH_EARLIEST,
    LUNCH_LATEST_END,
    paid_ticket,
)
from tourplan.sights import THEME_NAMES, category_name
from tourplan.study.bound import DAY_MARGIN, ValueBound, _value_upper_bound
from tourplan.study.capacity import (
    _NSLOTS,
    SLOT_MINUTES,
    _apply,
    _assign_buses,
    _Group,
    _Load,
    _make_groups,
    _slots,
    _Unit,
)
from tourplan.study.diagnose import _explain_empty, _explain_missing, _precheck, refusal
from tourplan.study.fit import Fitted, _best_fit
from tourplan.study.model import COACH_MODE, _build, _Ctx, _day_value, _Result, _solve_unit
from tourplan.study.request import STAFF_ROLES, STUDY_THEMES, StudyTourRequest
from tourplan.study.result import (
    BusRun,
    GroupPlan,
    GroupStop,
    RunEvent,
    SiteSchedule,
    SiteVisit,
    StaffLine,
    StudyTourPlan,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tourplan.graph import SiteGraph
    from tourplan.site import Site, SiteTable

__all__ = [
    "check_study_tour",
    "plan_study_tour",
]


_REPAIR_ATTEMPTS = 6

#: Rounds of re-planning each bus against the others at most (the engine runs in
#: ``request.improve_rounds`` of them); rounds stop when nothing improves.
_IMPROVE_ROUNDS = 8

#: A bus tries at most this many of its good days, best first (the engine takes
#: over when none fits): a few dozen cover the days worth having.
_DAYS_TRIED = 48

#: Work caps of the re-planning, per bus: pair re-plans per round, engine solves
#: in all rounds to mend faults (also in pairs) and to raise value (alone).
_PAIRS_PER_BUS = 2
_ENGINE_PER_BUS = 2.0
_ENGINE_PER_BUS_VALUE = 0.5

#: A bus whose best fitting good day is worth less than this share of its best
#: solo day also gets an engine solve when re-planned alone.
_ENGINE_BELOW = 0.8


def _plan_units(
    ctx: _Ctx, units: Sequence[_Unit], seed: int, bound: ValueBound, *, packing: bool = True
) -> tuple[list[_Result], int]:
    """Plan the buses in turn, repair faults, then re-plan buses and pairs while that improves.

    With ``packing``, a day at crowded sites takes the visit order that
    leaves them earliest (:func:`tourplan.study.fit._fit_day`); without, the
    first order that fits.  Returns the plan of each bus and the number of
    engine solves it took.
    """
    n = len(ctx.nodes)
    busy = _Load.empty(n)
    order = sorted(range(len(units)), key=lambda u: (-units[u].people, u))
    # Each bus's good solo days, best first; of equal days the one using the scarce sites least.
    days = [
        sorted(d, key=lambda rv: (-round(rv[1], 9), sum(bound.prices.get(i, 0.0) for i in rv[0])))[
            :_DAYS_TRIED
        ]
        for d in bound.days
    ]
    # Engine solves left for the re-planning: to mend faults, to raise value.
    engine = [int(_ENGINE_PER_BUS * len(units)), int(_ENGINE_PER_BUS_VALUE * len(units)) + 1]
    # Below what a bus's days may hold better days the search dropped: its best day avoiding
    # the scarce sites (better days visiting them were dropped when one visiting fewer was
    # as good), or without scarce sites the lowest day kept; and a fifth below its best.
    below = [
        max(
            f if bound.room else f * (1 - DAY_MARGIN),
            _ENGINE_BELOW * (d[0][1] if d else 0.0),
        )
        for f, d in zip(bound.floors, days, strict=True)
    ]
    solves = [0]
    fits: dict[tuple[frozenset[int], tuple[tuple[tuple[float, float], ...], ...]], Fitted | None] = {}
    crowded = bound.crowded if packing else frozenset()

    def respond(u: int, others: _Load, salt: int) -> _Result:
        """The bus's best good day that fits the others' load; the engine when none does."""
        res = _best_fit(ctx, units[u], others, days[u], crowded, fits)
        if res is None:
            solves[0] += 1
            res = _solve_unit(ctx, units[u], others, seed * 1009 + u + salt)
        return res

    results: dict[int, _Result] = {}
    for u in order:
        results[u] = respond(u, busy, 0)
        _apply(ctx, results[u], units[u], busy, +1)

    # Repair: a bus that misses a required site or lunch goes first, the others follow.
    def faults(res: Mapping[int, _Result]) -> tuple[int, int]:
        return (sum(len(r.missing) for r in res.values()), sum(not r.lunch_ok for r in res.values()))

    # A failed attempt is not final: the next one re-plans with other seeds (and the
    # buses that failed this time first), so one unlucky order does not decide.
    stale = 0
    for attempt in range(_REPAIR_ATTEMPTS):
        failed = [u for u in order if results[u].missing or not results[u].lunch_ok]
        if not failed:
            break
        busy2 = _Load.empty(n)
        res2: dict[int, _Result] = {}
        order2 = failed + [u for u in order if u not in failed]
        for u in order2:
            res2[u] = respond(u, busy2, 500 * (attempt + 1))
            _apply(ctx, res2[u], units[u], busy2, +1)
        if faults(res2) < faults(results):
            results, busy, order = res2, busy2, order2
            stale = 0
        else:
            order = order2
            stale += 1
            if stale == 2:
                break  # two orders in a row mended nothing: the faults are the data's (too few lunch seats)

    # Improve: re-plan buses against the others' load, one at a time, then a bus with a
    # fault or below its best day together with each bus in its way; keep what is
    # better.  A bus whose good days no longer fit gets an engine solve in the first
    # rounds only (in a pair only to mend a fault).
    def replan(group: Sequence[int], rnd: int, *, pack: bool = False, floor: float = -math.inf) -> bool:
        """Re-plan ``group`` in turn (with ``pack``, all but the last make room for the next); keep it if better.

        The first bus takes no day worth less than ``floor``.
        """
        old = [results[u] for u in group]
        faults = any(r.missing or not r.lunch_ok for r in old)
        for u, r in zip(group, old, strict=True):
            _apply(ctx, r, units[u], busy, -1)
        new: list[_Result] = []
        for k, u in enumerate(group):
            last = k == len(group) - 1
            res = _best_fit(
                ctx,
                units[u],
                busy,
                days[u],
                crowded,
                fits,
                pack=pack and not last,
                floor=floor if k == 0 else -math.inf,
            )
            # The engine when no good day fits, or (re-planned alone) when the best that fits is
            # worth less than ``below`` (a day the search dropped may fit and be worth more).
            poor = res is None or (len(group) == 1 and res.value < below[u] - 1e-9)
            purse = 0 if faults else 1
            if poor and rnd < ctx.req.improve_rounds and (len(group) == 1 or faults) and engine[purse] > 0:
                engine[purse] -= 1
                solves[0] += 1
                alt = _solve_unit(ctx, units[u], busy, seed * 1009 + u + 7919 * (rnd + 1))
                res = alt if res is None or alt.key() > res.key() else res
            if res is None:
                break
            new.append(res)
            _apply(ctx, res, units[u], busy, +1)
        crew = [units[u] for u in group]
        better = len(new) == len(group) and _plan_key(new, crew) > _plan_key(old, crew)
        for u, r in zip(group, new if not better else (), strict=False):
            _apply(ctx, r, units[u], busy, -1)
        for u, r in zip(group, old if not better else (), strict=False):
            _apply(ctx, r, units[u], busy, +1)
        if better:
            results.update(zip(group, new, strict=True))
        return better

    def faulty(u: int) -> bool:
        return bool(results[u].missing) or not results[u].lunch_ok

    def short(u: int) -> bool:
        return faulty(u) or (bool(days[u]) and results[u].value < days[u][0][1] - 1e-9)

    def pair(u: int, v: int, rnd: int) -> bool:
        if faulty(u):  # make room first: the fault matters more than value
            return replan([u, v], rnd, pack=True) or replan([v, u], rnd, pack=True)
        # v may lose at most what u can gain
        gain = days[u][0][1] - results[u].value
        return replan([u, v], rnd) or replan([v, u], rnd, pack=True, floor=results[v].value - gain)

    # Buses alike (same good days, same size, same day planned) fare alike in a pair:
    # one failed pair stands for all such pairs until something changes.
    def alike(u: int) -> tuple[object, ...]:
        r = results[u]
        return (id(bound.days[u]), units[u].people, len(units[u].groups), r.route, r.starts)

    for rnd in range(_IMPROVE_ROUNDS):
        changed = False
        seq = order if rnd % 2 == 0 else order[::-1]
        for u in seq:
            if short(u):
                changed |= replan([u], rnd)
        tried: set[tuple[object, ...]] = set()
        pairs = _PAIRS_PER_BUS * len(units)
        for u in seq:
            if not short(u) or pairs <= 0:
                continue
            # The buses in its way: those at the required sites it misses, else those at the
            # crowded sites of its better days.
            wanted = set(results[u].missing) or bound.crowded & {
                i for d, v in days[u] if v > results[u].value + 1e-9 or faulty(u) for i in d
            }
            for v in seq:
                if v == u or not wanted & set(results[v].route) or (alike(u), alike(v)) in tried:
                    continue
                pairs -= 1
                if pairs < 0:
                    break
                if pair(u, v, rnd):
                    changed = True
                    tried.clear()
                    break
                tried.add((alike(u), alike(v)))
        if not changed:
            break
    return [results[u] for u in range(len(units))], solves[0]


def _plan_key(results: Sequence[_Result], units: Sequence[_Unit]) -> tuple[int, int, float]:
    """Fewer missing required sites, then more lunch stops, then more study value."""
    return (
        -sum(len(r.missing) for r in results),
        sum(r.lunch_ok for r in results),
        round(sum(r.value * len(u.groups) for r, u in zip(results, units, strict=True)), 9),
    )


def _lunch_together(ctx: _Ctx, units: Sequence[_Unit], seed: int) -> _Ctx:
    """Keep one lunch site that seats the whole school: the one that gives the best day.

    Each candidate (capacity_instant minus the public load at lunch time at
    least the whole school) is tried with the largest bus planned alone.
    """
    total = sum(u.people for u in units)
    lunch_slots = slice(LUNCH_EARLIEST // SLOT_MINUTES, LUNCH_LATEST_END // SLOT_MINUTES + 1)
    fits = sorted(
        i for i in ctx.lunch_nodes if float(ctx.cap[i]) - float(ctx.public[i, lunch_slots].max()) >= total
    )
    if not fits:
        best = max(float(ctx.cap[i]) - float(ctx.public[i, lunch_slots].max()) for i in ctx.lunch_nodes)
        raise refusal(Message("study_lunch_too_small", {"best": round(best), "total": total}))
    idle = _Load.empty(len(ctx.nodes))
    big = max(units, key=lambda u: u.people)
    best_ctx: _Ctx | None = None
    best_key: tuple[int, int, float] | None = None
    for i in fits:
        wins = [w if (j not in ctx.lunch_nodes or j == i) else () for j, w in enumerate(ctx.base_windows)]
        trial = dataclasses.replace(ctx, problem=ctx.problem.replace(windows=tuple(wins)))
        key = _solve_unit(trial, big, idle, seed * 1009).key()
        if best_key is None or key > best_key:
            best_ctx, best_key = trial, key
    assert best_ctx is not None  # noqa: S101
    return best_ctx


def _learn(s: Site, req: StudyTourRequest, is_lunch: bool) -> Name:
    """What a group does at a stop, in both languages (a site's study notes are written in Chinese)."""
    act_zh, act_en = s.activity_text("zh"), s.activity_text("en")
    if is_lunch:
        return Name(f"午餐：{act_zh}" if act_zh else "午餐", f"Lunch: {act_en}" if act_en else "Lunch")
    themes = [THEME_NAMES[t] for t in sorted(s.themes) if t in STUDY_THEMES] or [category_name(s.category)]
    zh = s.study_notes or f"{s.name_zh}：{'、'.join(t.zh for t in themes)}" + (
        f"；{act_zh}" if act_zh else ""
    )
    en = f"{s.name_en or s.name_zh}: {', '.join(t.en for t in themes)}" + (f"; {act_en}" if act_en else "")
    return Name(zh, en)


def _staff_lines(req: StudyTourRequest, groups: Sequence[_Group]) -> tuple[StaffLine, ...]:
    st = req.staff
    n = len(groups)
    src = {"source": Message("study_staff_source")}
    return (
        StaffLine(
            "teachers", STAFF_ROLES["teachers"].zh, sum(g.teachers for g in groups),
            Message("study_staff_teachers", {"n": st.students_per_teacher, **src}),
        ),
        StaffLine("organiser_representative", STAFF_ROLES["organiser_representative"].zh, 1, Message("study_staff_representative", src)),
        StaffLine("tutors", STAFF_ROLES["tutors"].zh, st.tutors_per_group * n,
                  Message("study_staff_tutors", {"n": st.tutors_per_group, **src})),
        StaffLine("guides", STAFF_ROLES["guides"].zh, st.guides_per_group * n,
                  Message("study_staff_guides", {"n": st.guides_per_group, **src})),
        StaffLine("safety_officers", STAFF_ROLES["safety_officers"].zh, st.safety_officers,
                  Message("study_staff_safety", {"n": st.safety_officers, **src})),
        StaffLine("project_leaders", STAFF_ROLES["project_leaders"].zh, st.project_leaders,
                  Message("study_staff_leaders", {"n": st.project_leaders, **src})),
    )  # fmt: skip


def _rules(req: StudyTourRequest) -> tuple[Message, ...]:
    """The rules the plan applies (the ticket rule is added where tickets are priced: :mod:`tourplan.study.tickets`)."""
    ride = "study_rule_ride" if req.max_ride_minutes is not None else "study_rule_ride_default"
    return (
        Message(ride, {"limit": req.ride_limit, "band": req.band}),
        Message("study_rule_capacity", {"slot": SLOT_MINUTES}),
        Message("study_rule_coach", {"mode": COACH_MODE, "boarding": req.boarding_minutes}),
        Message("study_rule_seats"),
        Message("study_rule_staffing"),
    )


def _assemble(
    ctx: _Ctx,
    sites: SiteTable,
    units: Sequence[_Unit],
    results: Sequence[_Result],
    groups: Sequence[_Group],
    bound: ValueBound,
) -> StudyTourPlan:
    req = ctx.req
    warnings = list(ctx.warnings)
    gplans: list[GroupPlan] = []
    buses: list[BusRun] = []
    site_visits: dict[str, list[SiteVisit]] = {}
    tickets_total = 0.0
    value_total = 0.0
    for unit, res in zip(units, results, strict=True):
        stops_sites = [ctx.site_of[i] for i in res.route]
        study_sites = [
            s for i, s in zip(res.route, stops_sites, strict=True) if i not in ctx.lunch_nodes and s
        ]
        _, per = _day_value(study_sites, req)
        per_iter = iter(per)
        if res.route:
            first = res.route[0]
            depart = max(req.day_start, res.starts[0] - int(ctx.travel[ctx.s0, first]))
            last = res.route[-1]
            back = res.starts[-1] + int(ctx.service[last]) + int(ctx.travel[last, ctx.e0])
        else:
            depart = back = req.day_start
        base_stops: list[tuple[Site, int, int, int, bool, float, float]] = []
        charged: set[str] = set()
        prev_end, prev = depart, ctx.s0
        for i, t in zip(res.route, res.starts, strict=True):
            s = ctx.site_of[i]
            assert s is not None  # noqa: S101
            is_lunch = i in ctx.lunch_nodes
            arrive = prev_end + int(ctx.travel[prev, i])
            price = paid_ticket(s, sites, charged)
            value = 0.0 if is_lunch else next(per_iter)
            base_stops.append((s, arrive, t, t + int(ctx.service[i]), is_lunch, price, value))
            prev_end, prev = t + int(ctx.service[i]), i
        run: list[RunEvent] = [
            RunEvent(depart, ctx.start.name, ctx.start.site_id, Message("study_run_depart"))
        ]
        for s, arrive, t, end, is_lunch, _, _ in base_stops:
            drop = (
                Message("study_run_arrive_wait", {"time": fmt_time(t)})
                if t > arrive
                else Message("study_run_arrive")
            )
            run.append(RunEvent(arrive, s.name, s.id, drop))
            run.append(
                RunEvent(
                    end, s.name, s.id, Message("study_run_after_lunch" if is_lunch else "study_run_pickup")
                )
            )
        run.append(RunEvent(back, ctx.end.name, ctx.end.site_id, Message("study_run_back")))
        buses.append(
            BusRun(
                id=unit.id,
                seats=req.seats,
                groups=tuple(g.id for g in unit.groups),
                people=unit.people,
                run=tuple(run),
            )
        )
        for k, g in enumerate(unit.groups):
            other = unit.floaters if k == 0 else 0
            people = g.people + other
            stops: list[GroupStop] = []
            g_tickets = 0.0
            for s, arrive, t, end, is_lunch, price, value in base_stops:
                cost = price * (g.students * req.student_ticket_factor + (people - g.students))
                g_tickets += cost
                learn = _learn(s, req, is_lunch)
                stops.append(
                    GroupStop(
                        site_id=s.id, name_zh=s.name_zh, name_en=s.name_en, lat=s.lat, lon=s.lon,
                        arrive=arrive, start=t, end=end, learn=learn.zh, learn_en=learn.en,
                        themes=tuple(sorted(x for x in s.themes if x in req.wanted_themes)),
                        ticket_per_person_cny=price, ticket_cny=cost, is_lunch=is_lunch, value=value,
                    )
                )  # fmt: skip
                site_visits.setdefault(s.id, []).append(SiteVisit(g.id, unit.id, t, end, people))
            tickets_total += g_tickets
            value_total += res.value
            gplans.append(
                GroupPlan(
                    id=g.id, label=f"第{g.index + 1}组", students=g.students, teachers=g.teachers,
                    tutors=g.tutors, guides=g.guides, other_staff=other, bus=unit.id,
                    depart=depart, back=back, stops=tuple(stops), value=res.value, tickets_cny=g_tickets,
                )
            )  # fmt: skip
        on_bus = {"bus": unit.id, "groups": [g.id for g in unit.groups]}
        if not res.route:
            warnings.append(Message("study_bus_no_stop", {**on_bus, "why": _explain_empty(ctx, unit)}))
        elif ctx.lunch_on and not res.lunch_ok:
            lunch = {"earliest": fmt_time(LUNCH_EARLIEST), "latest": fmt_time(LUNCH_LATEST_END)}
            warnings.append(Message("study_bus_no_lunch", {**on_bus, **lunch}))
    gplans.sort(key=lambda g: int(g.id[1:]))
    # Per-site schedules and peak load, recounted from the visits.
    schedules: list[SiteSchedule] = []
    for sid, visits in sorted(site_visits.items(), key=lambda kv: min(v.start for v in kv[1])):
        s = sites[sid]
        load = req.public_load.per_slot(sid) if req.public_load is not None else np.zeros(_NSLOTS)
        for v in visits:
            load[_slots(v.start, v.end)] += v.people
        peak = int(np.argmax(load))
        if load[peak] > s.capacity_instant + 1e-9:
            msg = f"internal error: {sid} over capacity ({load[peak]:.0f} > {s.capacity_instant}) at {fmt_time(peak * 15)}"
            raise SolverError(msg)
        schedules.append(
            SiteSchedule(
                site_id=sid, name_zh=s.name_zh, name_en=s.name_en, capacity_instant=s.capacity_instant,
                visits=tuple(sorted(visits, key=lambda v: (v.start, v.group))),
                peak_load=float(load[peak]), peak_slot=peak,
            )
        )  # fmt: skip
    bus_cost = req.bus_cost_cny * len(units)
    unused = req.buses - len(units)
    if unused > 0:
        warnings.append(Message("study_buses_unused", {"unused": unused, "buses": req.buses}))
    return StudyTourPlan(
        request=req,
        start=ctx.start,
        end=ctx.end,
        groups=tuple(gplans),
        buses=tuple(buses),
        sites=tuple(schedules),
        staff=_staff_lines(req, groups),
        tickets_cny=tickets_total,
        bus_cost_cny=bus_cost,
        value=value_total,
        value_upper_bound=bound.bound,
        bound_exact=bound.exact,
        value_solo_bound=bound.solo,
        warnings=tuple(warnings),
        rules=_rules(req),
    )


def check_study_tour(request: StudyTourRequest, sites: SiteTable, graph: SiteGraph) -> None:
    """Raise what :func:`plan_study_tour` would raise before it searches, or nothing.

    These checks need no search (places, sites and their grades, lunch, bus
    seats, each required site's hours, distance and capacity), so a caller
    that plans a large tour later, as a job, can refuse an impossible one at
    once.

    Raises
    ------
    RequestValidationError, PlaceNotFoundError, InfeasibleRequestError
        As :func:`plan_study_tour` does for the same request.
    """
    _checked(request, sites, graph)


def _checked(
    request: StudyTourRequest, sites: SiteTable, graph: SiteGraph
) -> tuple[_Ctx, list[_Group], list[_Unit]]:
    """The planner's context, the school groups and the buses' units, after the checks that need no search."""
    ctx = _build(request, sites, graph)
    groups = _make_groups(request)
    units = _assign_buses(request, groups)
    _precheck(ctx, units)
    return ctx, groups, units


def plan_study_tour(
    request: StudyTourRequest, sites: SiteTable, graph: SiteGraph, *, seed: int = 0
) -> StudyTourPlan:
    """Plan all groups of a study tour together.

    Parameters
    ----------
    request
        The school's request.
    sites, graph
        The site table and its graph.
    seed
        Seed of the optimizer (same seed, same plan).

    Returns
    -------
    StudyTourPlan
        Timetables per group, run sheets per bus, visit schedules per site,
        staff, costs and warnings.

    Raises
    ------
    RequestValidationError
        When a site id in the request is unknown.
    PlaceNotFoundError
        When the start or end cannot be found.
    InfeasibleRequestError
        When the request cannot be met (bus seats, a required site closed,
        too far or too small, lunch capacity, site capacity); the message names
        the binding constraint and what would fix it.

    Notes
    -----
    Cost: the upper bound's search (:func:`tourplan.study.bound._value_upper_bound`,
    a work budget of branches, ``request.bound_seconds`` at most), then per
    bus and re-plan a fit of its good days against the load (``k!`` visit
    orders of ``k`` stops at most, cached by the windows the load leaves);
    an engine solve of ``request.time_limit`` seconds only for a bus none of
    whose good days fits (in the first ``request.improve_rounds`` rounds).
    Pair re-plans cost ``O(buses^2)`` fits per round at most, fewer when
    buses are alike.  Capacity bookkeeping is ``O(sites x 96)`` per bus.
    """
    ctx, groups, units = _checked(request, sites, graph)
    warm_up()  # compile (or load) the engine first, so no solve is cut short by it
    if ctx.lunch_on and request.lunch == "together":
        ctx = _lunch_together(ctx, units, seed)
    bound = _value_upper_bound(ctx, units, time_limit=request.bound_seconds)
    # Two plans, with and without packing the crowded sites; each wins on some data.  When
    # the first took many engine solves (more than two a bus) without a fault, the second
    # would mostly repeat them.
    results, solves = _plan_units(ctx, units, seed, bound)
    if bound.crowded and (solves <= 2 * len(units) or _plan_key(results, units)[:2] < (0, len(units))):
        other, _ = _plan_units(ctx, units, seed, bound, packing=False)
        results = max(results, other, key=lambda rs: _plan_key(rs, units))
    lunchless = [k for k, r in enumerate(results) if not r.lunch_ok]
    if lunchless:  # the bound covers days with lunch; bound these buses as planned
        bound = _value_upper_bound(ctx, units, time_limit=request.bound_seconds, lunchless=lunchless)
    if any(r.missing for r in results):
        raise _explain_missing(ctx, units, results)
    if not any(r.route for r in results):
        raise refusal(_explain_empty(ctx, max(units, key=lambda u: u.people)))
    return _assemble(ctx, sites, units, results, groups, bound)
