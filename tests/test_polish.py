"""Polish on a non-additive value: feasible, never worse, finds what additive scores hide."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.optimize import Problem, Route, check_solution, solve
from tourplan.optimize.check import build_solution
from tourplan.optimize.polish import polish

if TYPE_CHECKING:
    from collections.abc import Sequence


def line(xs: list[float], scores: list[float], *, latest: float = 100.0, m: int = 1, **kw: object) -> Problem:
    pts = np.array([0.0, *xs])
    return Problem(
        travel=np.abs(pts[:, None] - pts[None, :]),
        scores=[0.0, *scores],
        service=[0.0] * len(pts),
        windows=[(), *[((0.0, latest),)] * len(xs)],
        routes=tuple(Route(0, 0, 0.0, latest) for _ in range(m)),
        **kw,  # type: ignore[arg-type]
    )


def decayed(scores: Sequence[float], kind: Sequence[int], decay: float = 0.5):  # type: ignore[no-untyped-def]
    """Route value where the k-th best node of one kind counts ``decay**k``."""

    def value(route: Sequence[int]) -> float:
        total = 0.0
        for k in set(kind[i] for i in route):
            ranked = sorted((scores[i] for i in route if kind[i] == k), reverse=True)
            total += sum(v * decay**r for r, v in enumerate(ranked))
        return total

    return value


def test_replaces_a_second_site_of_one_kind_by_a_site_of_another() -> None:
    # A (10) and B (9) are one kind, C (8) another; two stops at most.
    # Additive best: A + B = 19; real value: A + 0.5 B = 14.5 < A + C = 18.
    p = line([5, 6, 7], [10, 9, 8], max_nodes=(2,))
    kind = [0, 1, 1, 2]
    sol = solve(p, time_limit=0.2, seed=0)
    assert set(sol.routes[0]) == {1, 2}
    value = decayed(p.scores, kind)
    out = polish(p, sol, value)
    assert set(out.routes[0]) == {1, 3}
    assert not check_solution(p, out.routes)
    assert value(out.routes[0]) == 18


def test_fixed_nodes_stay_and_accept_can_refuse() -> None:
    p = line([5, 6, 7], [10, 9, 8], max_nodes=(2,))
    kind = [0, 1, 1, 2]
    sol = build_solution(p, [[1, 2]])
    value = decayed(p.scores, kind)
    # node 2 fixed: the only improving swap left is replacing 1 by 3 (B + C = 17 > 14.5)
    out = polish(p, sol, value, fixed={2})
    assert 2 in out.routes[0] and set(out.routes[0]) == {2, 3}
    refused = polish(p, sol, value, accept=lambda routes: 3 not in routes[0])
    assert refused is sol


def test_infeasible_solution_is_returned_unchanged() -> None:
    p = line([5, 60], [1, 1], latest=50)
    bad = build_solution(p, [[2]])
    assert not bad.feasible
    assert polish(p, bad, lambda r: float(len(r))) is bad


@st.composite
def instances(draw: st.DrawFn) -> tuple[Problem, list[int]]:
    k = draw(st.integers(2, 8))
    m = draw(st.integers(1, 2))
    xs = [float(draw(st.integers(-30, 30))) for _ in range(k)]
    scores = [float(draw(st.integers(1, 9))) for _ in range(k)]
    kind = [0] + [draw(st.integers(0, 2)) for _ in range(k)]
    cap = draw(st.integers(1, k))
    p = line(xs, scores, latest=float(draw(st.integers(20, 120))), m=m, max_nodes=(cap,) * m)
    return p, kind


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 3))
def test_polish_is_feasible_and_never_worse(inst: tuple[Problem, list[int]], seed: int) -> None:
    p, kind = inst
    sol = solve(p, time_limit=0.05, seed=seed)
    value = decayed(p.scores, kind)
    fixed = {sol.routes[0][0]} if sol.routes[0] else set()
    out = polish(p, sol, value, fixed=fixed)
    assert check_solution(p, out.routes) == []
    assert sum(map(value, out.routes)) >= sum(map(value, sol.routes)) - 1e-9
    assert fixed <= {i for r in out.routes for i in r}
    # the value depends on the set of a route's nodes only: valuing each set once changes nothing
    assert polish(p, sol, value, fixed=fixed, order_free=True).routes == out.routes


def test_max_moves_caps_the_work() -> None:
    p = line([5, 6, 7], [10, 9, 8], max_nodes=(2,))
    sol = build_solution(p, [[1, 2]])
    value = decayed(p.scores, [0, 1, 1, 2])
    assert polish(p, sol, value, max_moves=0) is sol  # no pass starts
    assert set(polish(p, sol, value, max_moves=1).routes[0]) == {1, 3}  # one pass is never cut short
