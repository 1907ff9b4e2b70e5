"""The independent itinerary checker finds each kind of broken rule in a tampered plan."""

from __future__ import annotations

import dataclasses

import pytest
from planning import SAT, plan

from tourplan.itinerary import check_itinerary
from tourplan.rules import PASS_THROUGH


@pytest.fixture(scope="module")
def day_plan(bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    return plan(bundled_sites, bundled_graph, interests={"history": 1, "mountain": 1}, start_date=SAT)


def _with_stops(it, stops):  # type: ignore[no-untyped-def]
    day = dataclasses.replace(it.days[0], stops=tuple(stops))
    return dataclasses.replace(it, days=(day, *it.days[1:]))


def test_a_feasible_plan_has_no_problem(day_plan, bundled_sites, bundled_graph):
    assert check_itinerary(day_plan, bundled_sites, bundled_graph) == []


def test_a_visit_outside_opening_hours_is_found(day_plan, bundled_sites, bundled_graph):
    first, *rest = day_plan.days[0].stops
    early = dataclasses.replace(first, arrive=60.0, start=60.0, end=60.0 + (first.end - first.start))
    problems = check_itinerary(_with_stops(day_plan, [early, *rest]), bundled_sites, bundled_graph)
    assert any("outside its opening hours" in p for p in problems), problems


def test_a_missing_lunch_is_found(day_plan, bundled_sites, bundled_graph):
    stops = day_plan.days[0].stops
    assert any(s.is_lunch for s in stops)
    no_lunch = [s for s in stops if not s.is_lunch]
    problems = check_itinerary(_with_stops(day_plan, no_lunch), bundled_sites, bundled_graph)
    assert any("no lunch stop" in p for p in problems), problems


def test_a_repeated_site_and_a_too_fast_arrival_are_found(day_plan, bundled_sites, bundled_graph):
    stops = list(day_plan.days[0].stops)
    twice = [
        *stops,
        dataclasses.replace(stops[0], arrive=stops[-1].end, start=stops[-1].end, end=stops[-1].end + 30),
    ]
    problems = check_itinerary(_with_stops(day_plan, twice), bundled_sites, bundled_graph)
    assert any("visited twice" in p for p in problems), problems


def test_an_unexplained_missing_must_see_is_found(day_plan, bundled_sites, bundled_graph):
    sid = next(s.id for s in bundled_sites if s.id not in day_plan.site_ids and s.category not in PASS_THROUGH)
    req = dataclasses.replace(day_plan.request, must_see=(sid,))
    tampered = dataclasses.replace(day_plan, request=req, unplaced={})
    problems = check_itinerary(tampered, bundled_sites, bundled_graph)
    assert f"must-see {sid} is neither visited nor explained" in problems, problems
