"""The study tour's value upper bound: never below a value reached, exact on one route."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tourplan.optimize.exact import solve_exact
from tourplan.optimize.problem import Problem, Route, VisitGroup
from tourplan.study import StudyTourRequest, plan_study_tour
from tourplan.study.bound import best_day
from tourplan.study.model import _build, _route_value, _route_value_fn


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """Small random problems with windows, a stop cap, visit groups and one to three routes."""
    k = draw(st.integers(2, 8))
    m = draw(st.integers(1, 3))
    xy = np.array(
        draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=k + 1, max_size=k + 1)),
        dtype=float,
    )
    travel = np.floor(np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(-1)) * 10) / 10
    horizon = float(draw(st.integers(30, 120)))
    windows: list[tuple[tuple[float, float], ...]] = [()]
    for _ in range(k):
        a = float(draw(st.integers(0, int(horizon))))
        wins = [(a, a + draw(st.integers(0, 40)))]
        if draw(st.booleans()):
            b = wins[0][1] + draw(st.integers(1, 30))
            wins.append((b, b + draw(st.integers(0, 20))))
        windows.append(tuple(wins))
    groups = ()
    if draw(st.booleans()):
        members = draw(st.sets(st.integers(1, k), min_size=2, max_size=k))
        groups = (VisitGroup(frozenset(members), frozenset(range(m)), 0, draw(st.integers(1, 2))),)
    cap = draw(st.none() | st.integers(1, 4))
    return Problem(
        travel=travel,
        scores=[0.0] + [float(draw(st.integers(0, 9))) for _ in range(k)],
        service=[0.0] + [float(draw(st.integers(0, 5))) for _ in range(k)],
        windows=windows,
        routes=tuple(Route(0, 0, 0.0, horizon) for _ in range(m)),
        groups=groups,
        max_nodes=None if cap is None else (cap,) * m,
    )


@given(problems())
def test_one_route_bound_is_the_exact_optimum(problem: Problem) -> None:
    one = problem.replace(routes=problem.routes[:1], max_nodes=problem.max_nodes and problem.max_nodes[:1],
                          groups=tuple(g.__class__(g.nodes, frozenset({0}), g.min_visits, g.max_visits)
                                       for g in problem.groups))  # fmt: skip
    day = best_day(one, time_limit=30)
    assert day.exact
    assert day.bound == pytest.approx(solve_exact(one).score)
    assert day.route is not None or day.bound == 0


@given(problems())
def test_sum_of_solo_days_bounds_every_plan(problem: Problem) -> None:
    """Several routes share the sites (each visited once): the sum of solo bests bounds the optimum."""
    bound = sum(best_day(problem, route=r, time_limit=30).bound for r in range(problem.m))
    assert solve_exact(problem).score <= bound + 1e-9


def test_a_cut_short_search_still_bounds():
    rng = np.random.default_rng(3)
    k = 12
    xy = rng.integers(0, 30, size=(k + 1, 2)).astype(float)
    travel = np.floor(np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(-1)) * 10) / 10
    problem = Problem(
        travel=travel, scores=[0.0, *rng.integers(1, 10, size=k).astype(float)],
        service=[0.0] + [3.0] * k, windows=[(), *[((0.0, 200.0),)] * k], routes=(Route(0, 0, 0.0, 200.0),),
    )  # fmt: skip
    quick = best_day(problem, time_limit=0.0)
    full = best_day(problem, time_limit=30)
    assert full.exact
    assert not quick.exact
    assert quick.bound >= full.bound - 1e-9
    assert quick.best <= full.bound + 1e-9


def test_fast_route_value_is_the_planner_value(bundled_sites, bundled_graph):
    req = StudyTourRequest.from_dict(
        {"school": "t", "grade": "junior", "students": 80, "group_size": 40, "buses": 2, "seats": 53,
         "date": "2026-05-12", "themes": "science,history"}
    )  # fmt: skip
    ctx = _build(req, bundled_sites, bundled_graph)
    fast = _route_value_fn(ctx)
    rng = random.Random(5)
    for _ in range(300):
        route = rng.sample(range(len(ctx.nodes)), rng.randint(0, 6))
        assert fast(route) == pytest.approx(_route_value(ctx, route))


@pytest.mark.parametrize(
    ("grade", "themes", "students"),
    [
        ("junior", "science,history", 120),
        ("primary", "nature,science", 80),
        ("senior", "red,history,industry", 120),
    ],
)
def test_plan_value_never_exceeds_the_bound(grade, themes, students, bundled_sites, bundled_graph):
    req = StudyTourRequest.from_dict(
        {"school": "t", "grade": grade, "students": students, "group_size": 40, "buses": students // 40,
         "seats": 53, "date": "2026-05-12", "themes": themes, "bound_seconds": 30}
    )  # fmt: skip
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    assert plan.value_upper_bound is not None
    assert plan.bound_exact
    assert plan.value <= plan.value_upper_bound + 1e-6


@pytest.mark.parametrize(("grade", "themes"), [("junior", "science,history"), ("primary", "nature,science")])
def test_one_group_reaches_its_bound(grade, themes, bundled_sites, bundled_graph):
    """One group alone: the bound is its best possible day, and the planner takes that day."""
    req = StudyTourRequest.from_dict(
        {"school": "t", "grade": grade, "students": 40, "group_size": 40, "buses": 1, "seats": 53,
         "date": "2026-05-12", "themes": themes, "bound_seconds": 30}
    )  # fmt: skip
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    assert plan.bound_exact
    assert plan.value == pytest.approx(plan.value_upper_bound)
    assert plan.value_share == pytest.approx(1.0)
