"""Helpers of the itinerary and study-tour tests: plan-and-check, and an independent study-tour checker.

The study-tour checker here is its own code: it recounts visitors per site
and 15-minute slot from the plan's per-group timetables (plus the public
load, converted here independently) and re-derives every group's feasibility
from the site table, the opening hours and the graph's travel matrix.  It
does not use the planner's bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import numpy as np

from tourplan.hours import open_intervals
from tourplan.itinerary import ItineraryRequest, check_itinerary, plan_itinerary
from tourplan.study import PublicLoad, StudyTourPlan, StudyTourRequest
from tourplan.sun import daylight

SAT = dt.date(2026, 10, 3)  # a Saturday in Golden Week


MON = dt.date(2026, 10, 5)


def plan(sites, graph, **kw):
    kw.setdefault("start_date", SAT)
    kw.setdefault("time_limit", 0.2)
    req = ItineraryRequest(**kw)
    it = plan_itinerary(req, sites, graph, seed=kw.pop("seed", 0) if "seed" in kw else 0)
    problems = check_itinerary(it, sites, graph)
    assert problems == [], problems
    return it


SLOT = 15


TUESDAY = "2026-05-12"


MONDAY = "2026-05-11"


RIDE_RULE = {"primary": 60, "junior": 90, "senior": 120}


def public_per_slot(counts: list[float], slot_minutes: int, day_start: int) -> np.ndarray:
    """Visitors in each 15-minute slot of the day from a series of other-length slots (max of overlaps)."""
    out = np.zeros(24 * 60 // SLOT)
    for j, v in enumerate(counts):
        a = day_start + j * slot_minutes
        b = a + slot_minutes
        for k in range(len(out)):
            if k * SLOT < b and a < (k + 1) * SLOT:
                out[k] = max(out[k], v)
    return out


def recount(plan: StudyTourPlan, public: PublicLoad | None) -> dict[str, np.ndarray]:
    load: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(24 * 60 // SLOT))
    for g in plan.groups:
        for s in g.stops:
            assert s.end > s.start
            for k in range(24 * 60 // SLOT):
                if k * SLOT < s.end and s.start < (k + 1) * SLOT:  # the visit overlaps slot k
                    load[s.site_id][k] += g.people
    if public is not None:
        for sid in list(load):
            if sid in public.counts:
                load[sid] = load[sid] + public_per_slot(
                    list(public.counts[sid]), public.slot_minutes, public.day_start
                )
    return load


def check_plan(plan: StudyTourPlan, req: StudyTourRequest, sites: Any, graph: Any) -> None:
    """Assert every rule of the plan from first principles."""
    # Capacity per site and slot.
    for sid, load in recount(plan, req.public_load).items():
        cap = sites[sid].capacity_instant
        worst = int(np.argmax(load))
        assert load[worst] <= cap, f"{sid} holds {load[worst]} > {cap} at slot {worst}"
    # Students, groups and buses.
    assert sum(g.students for g in plan.groups) == req.students
    assert len(plan.groups) == req.n_groups
    bus_ids = {b.id for b in plan.buses}
    assert len(bus_ids) <= req.buses
    on_bus: dict[str, list[Any]] = defaultdict(list)
    for g in plan.groups:
        assert g.bus in bus_ids
        on_bus[g.bus].append(g)
        assert g.teachers >= math.ceil(g.students / req.staff.students_per_teacher)
        assert g.tutors >= 1
        assert g.guides >= 1
    for b in plan.buses:
        people = sum(g.people for g in on_bus[b.id])
        assert people == b.people
        assert people <= req.seats, f"bus {b.id}: {people} people, {req.seats} seats"
        assert sorted(b.groups) == sorted(g.id for g in on_bus[b.id])
        first = on_bus[b.id][0]
        for other in on_bus[b.id][1:]:  # a bus carries its groups together
            assert [(s.site_id, s.start, s.end) for s in other.stops] == [
                (s.site_id, s.start, s.end) for s in first.stops
            ]
        times = [e.time for e in b.run]
        assert times == sorted(times)
        assert times[0] == first.depart
        assert times[-1] == first.back
    # Every group's day.
    keys = [plan.start.key, plan.end.key] + sorted({s.site_id for g in plan.groups for s in g.stops})
    keys = list(dict.fromkeys(keys))
    points = {p.key: (p.lat, p.lon) for p in (plan.start, plan.end) if p.site_id is None}
    mats = graph.matrices(keys, "drive", points=points)
    idx = {k: i for i, k in enumerate(keys)}
    limit = req.max_ride_minutes or RIDE_RULE[req.grade]
    sunset = daylight(req.date)[1]
    spans_lunch = req.lunch != "packed" and req.day_start <= 11 * 60 + 30 and req.day_end >= 14 * 60
    for g in plan.groups:
        assert g.stops, f"{g.id} has no stop"
        assert req.day_start <= g.depart
        assert g.back <= req.day_end
        prev, t = plan.start.key, g.depart
        for s in g.stops:
            ride = float(mats.minutes[idx[prev], idx[s.site_id]])
            assert ride <= limit + 1e-9, f"{g.id}: {prev}->{s.site_id} rides {ride:.0f} min > {limit}"
            assert s.arrive >= t + ride - 1e-9, f"{g.id}: reaches {s.site_id} too fast"
            assert s.start >= s.arrive
            site = sites[s.site_id]
            ivs = open_intervals(site.opening_hours, req.date)
            assert any(a <= s.start and s.end <= b for a, b in ivs), (
                f"{s.site_id} closed at {s.start}-{s.end}"
            )
            if site.category == "mountain" and not site.indoor:
                assert s.end <= sunset
            if not s.is_lunch:
                assert s.end - s.start >= site.visit_minutes
            prev, t = s.site_id, s.end
        back_ride = float(mats.minutes[idx[prev], idx[plan.end.key]])
        assert back_ride <= limit + 1e-9
        assert g.back >= t + back_ride - 1e-9
        for sid in req.require:
            assert sid in [s.site_id for s in g.stops], f"{g.id} misses required {sid}"
        assert not set(req.exclude) & {s.site_id for s in g.stops}
        lunch = [s for s in g.stops if s.is_lunch]
        if spans_lunch and not lunch:  # allowed only when the plan says so
            assert any(
                w.code == "study_bus_no_lunch" and w.params["bus"] == g.bus for w in plan.warnings
            ), f"{g.id} has no lunch"
        elif spans_lunch:
            assert len(lunch) == 1, f"{g.id} has more than one lunch"
            assert sites[lunch[0].site_id].category == "food"
            assert 11 * 60 + 30 <= lunch[0].start <= 13 * 60
            if req.lunch == "together":
                assert (
                    lunch[0].site_id
                    == plan.groups[0].stops[[x.is_lunch for x in plan.groups[0].stops].index(True)].site_id
                )
        for s in g.stops:
            if not s.is_lunch and s.site_id not in req.require:
                assert req.grade in sites[s.site_id].study_grades
            assert s.learn


def make(**kw: Any) -> StudyTourRequest:
    base: dict[str, Any] = {
        "school": "焦作市第一中学",
        "grade": "junior",
        "students": 240,
        "group_size": 40,
        "buses": 6,
        "seats": 53,
        "date": TUESDAY,
        "themes": "science,history",
    }
    base.update(kw)
    return StudyTourRequest.from_dict(base)
