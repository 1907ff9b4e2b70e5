"""The study-tour model: the day's study value and the polish of one bus."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from planning import make

from tourplan.optimize import solve
from tourplan.optimize.check import check_solution
from tourplan.rules import FOOD, PASS_THROUGH
from tourplan.study import capacity, model
from tourplan.study.model import _day_value, _site_value


def test_day_value_does_not_depend_on_visit_order(bundled_sites):
    req = make(themes="science,history,nature")
    wanted = set(req.wanted_themes)
    pool = [s for s in bundled_sites if s.themes & wanted and s.category not in {FOOD, *PASS_THROUGH}]
    visited = sorted(pool, key=lambda s: s.id)[:5]
    assert len({t for s in visited for t in s.themes & wanted}) >= 2
    totals = {round(_day_value(list(order), req)[0], 9) for order in itertools.permutations(visited)}
    assert len(totals) == 1
    value, per = _day_value(visited, req)
    assert sum(per) == pytest.approx(value)
    # two sites on one theme: the one worth more alone keeps its full value even when visited second
    same = sorted((s for s in pool if "science" in s.themes), key=lambda s: (_site_value(s, req), s.id))
    low, high = same[0], same[-1]
    assert _site_value(high, req) > _site_value(low, req)
    _, per = _day_value([low, high], req)
    assert per[1] == pytest.approx(_site_value(high, req))
    assert per[0] < _site_value(low, req)


def test_polish_raises_the_true_value_and_stays_feasible(bundled_sites, bundled_graph, monkeypatch):
    req = make(students=240, buses=6, themes="science,history")
    ctx = model._build(req, bundled_sites, bundled_graph)
    unit = capacity._assign_buses(req, capacity._make_groups(req))[0]
    idle = capacity._Load.empty(len(ctx.nodes))
    captured: dict[str, Any] = {}

    def spy(problem, **kw):  # type: ignore[no-untyped-def]
        captured["problem"] = problem
        captured["raw"] = solve(problem, **kw)
        return captured["raw"]

    monkeypatch.setattr(model, "solve", spy)
    gains = []
    for seed in range(3):
        res = model._solve_unit(ctx, unit, idle, seed)
        problem, raw = captured["problem"], captured["raw"]
        assert not check_solution(problem, [list(res.route)])
        before = model._route_value(ctx, raw.routes[0])
        assert res.value >= before - 1e-9
        gains.append(res.value - before)
    # the engine's additive scores miss diminishing returns; the polish finds what they hide
    assert max(gains) > 0
