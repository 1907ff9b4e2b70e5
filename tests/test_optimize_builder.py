"""ProblemBuilder: a Problem assembled by name equals the one written by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tourplan.errors import DataValidationError
from tourplan.optimize import Problem, Route, VisitGroup, check_solution, solve
from tourplan.optimize.builder import ALL_DAY, ProblemBuilder


def two_day_builder() -> ProblemBuilder:
    b = ProblemBuilder()
    b.add_place("hotel")
    b.add_place("museum")  # a place and a site may share a key: start at a sight, or visit it
    b.add_site("museum", score=3.0, service=60.0, windows=((540.0, 900.0),), load=(0.0, 40.0))
    b.add_site("lake", score=2.0, service=30.0, load=(100.0,))
    b.add_site("cafe", score=0.5, service=50.0)
    b.add_site("tea", score=0.4, service=50.0)
    for _ in range(2):
        b.add_route("hotel", "hotel", earliest=480.0, latest=1080.0, capacity=(500.0, 60.0), max_visits=2)
    b.set_windows("lake", 1, ())
    b.add_group(["cafe", "tea"], least=1, most=1)
    b.add_group(["museum", "lake"], most=1, routes=[0])
    b.require("museum")
    return b


def test_built_problem_equals_the_hand_written_one():
    travel = np.full((6, 6), 10.0)
    np.fill_diagonal(travel, 0.0)
    built = two_day_builder().build(travel)
    by_hand = Problem(
        travel=travel,
        scores=[0.0, 0.0, 3.0, 2.0, 0.5, 0.4],
        service=[0.0, 0.0, 60.0, 30.0, 50.0, 50.0],
        windows=(ALL_DAY, ALL_DAY, ((540.0, 900.0),), ALL_DAY, ALL_DAY, ALL_DAY),
        routes=(Route(0, 0, 480.0, 1080.0), Route(0, 0, 480.0, 1080.0)),
        route_windows={(1, 3): ()},
        mandatory=frozenset({2}),
        groups=(
            VisitGroup(frozenset({4, 5}), frozenset({0, 1}), 1, 1),
            VisitGroup(frozenset({2, 3}), frozenset({0}), 0, 1),
        ),
        load=np.array([[0, 0], [0, 0], [0, 40], [100, 0], [0, 0], [0, 0]], dtype=float),
        capacity=np.array([[500, 60], [500, 60]], dtype=float),
        max_nodes=(2, 2),
    )
    for name in ("travel", "scores", "service", "load", "capacity"):
        np.testing.assert_array_equal(getattr(built, name), getattr(by_hand, name))
    for name in ("windows", "routes", "route_windows", "mandatory", "groups", "max_nodes"):
        assert getattr(built, name) == getattr(by_hand, name), name


def test_places_and_sites_are_separate_key_spaces():
    b = two_day_builder()
    assert b.place("museum") == 1 and b.site("museum") == 2
    assert b.keys == ["hotel", "museum", "museum", "lake", "cafe", "tea"]
    assert b.has_site("lake") and not b.has_site("hotel")
    with pytest.raises(ValueError, match="twice"):
        b.add_site("lake", score=1.0, service=1.0)
    with pytest.raises(KeyError):
        b.require("hotel")  # a place cannot be required


def test_the_built_problem_solves_within_its_rules():
    travel = np.full((6, 6), 10.0)
    np.fill_diagonal(travel, 0.0)
    p = two_day_builder().build(travel)
    sol = solve(p, time_limit=0.05, seed=0, deterministic=True)
    assert sol.feasible and not check_solution(p, sol.routes)
    assert 3 not in sol.routes[1]  # the lake is closed on day 2
    assert all(len({4, 5} & set(r)) == 1 for r in sol.routes)  # one lunch stop a day


def test_no_load_no_capacity_and_unbounded_routes():
    b = ProblemBuilder()
    b.add_place("a")
    b.add_site("x", score=1.0, service=5.0)
    b.add_route("a", "a", earliest=0.0, latest=math.inf)
    p = b.build(np.zeros((2, 2)))
    assert p.load is None and p.capacity is None and p.max_nodes is None


def test_the_problem_still_checks_itself():
    b = ProblemBuilder()
    b.add_place("a")
    b.add_site("x", score=-1.0, service=5.0)
    b.add_route("a", "a", earliest=0.0, latest=60.0)
    with pytest.raises(DataValidationError, match="scores"):
        b.build(np.zeros((2, 2)))
