"""Tests of the upper bound (ng-route relaxation with state-space relaxation rounds)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.errors import SolverError
from tourplan.optimize import Problem, Route, check_solution, solve_exact
from tourplan.optimize.bound import _data, _route_completion, upper_bound


@st.composite
def one_route_problems(draw: st.DrawFn, max_sites: int = 9) -> Problem:
    """Random one-route instances, one window per site, times in tenths (as Solomon files)."""
    k = draw(st.integers(1, max_sites))
    coords = draw(st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)), min_size=k + 1, max_size=k + 1))
    xy = np.array(coords, dtype=float)
    travel = np.floor(np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(-1)) * 10) / 10
    horizon = float(draw(st.integers(20, 100)))
    windows: list[tuple[tuple[float, float], ...]] = [()]
    for _ in range(k):
        a = float(draw(st.integers(0, int(horizon))))
        windows.append(((a, a + float(draw(st.integers(0, 60)))),))
    return Problem(
        travel=travel,
        scores=[0.0] + [float(draw(st.integers(0, 9))) for _ in range(k)],
        service=[0.0] + [float(draw(st.integers(1, 6))) for _ in range(k)],
        windows=windows,
        routes=(Route(0, 0, 0.0, horizon),),
    )


@settings(max_examples=60, deadline=None)
@given(one_route_problems())
def test_bound_rounds_reach_the_exact_optimum_with_a_route(p: Problem) -> None:
    exact = solve_exact(p).score
    res = upper_bound(p, scale=10, neighbours=2)
    assert res.optimal and res.stopped == "optimal"
    assert res.bound == exact
    assert res.route is not None
    assert check_solution(p, [res.route]) == []
    assert sum(p.scores[i] for i in res.route) == exact


@settings(max_examples=60, deadline=None)
@given(one_route_problems(), st.integers(0, 3))
def test_one_relaxation_round_never_bounds_below_the_optimum(p: Problem, k: int) -> None:
    exact = solve_exact(p).score
    res = upper_bound(p, scale=10, neighbours=k, max_rounds=1)
    assert res.bound >= exact


@settings(max_examples=60, deadline=None)
@given(one_route_problems())
def test_target_just_above_the_optimum_is_proved_out_of_reach(p: Problem) -> None:
    exact = int(solve_exact(p).score)
    above = upper_bound(p, scale=10, target=exact + 1, neighbours=1)
    assert above.below_target and above.bound == exact
    if exact >= 1:
        # the completion bound must never cut off a route that reaches the target
        at = upper_bound(p, scale=10, target=exact, neighbours=1)
        assert not at.below_target and at.bound >= exact


@settings(max_examples=60, deadline=None)
@given(one_route_problems(), st.sampled_from([1, 2, 7, 5000]))
def test_route_completion_never_cuts_off_the_optimum_at_any_bucket_width(p: Problem, buckets: int) -> None:
    exact = int(solve_exact(p).score)
    d = _data(p, 10)
    horizon = int(max(d.close.max(initial=0) + d.service.max(initial=0), d.earliest)) + 1
    g, w = _route_completion(d, horizon, buckets)
    assert 1 <= w <= int(d.service[d.cand].min())
    assert g[0, d.earliest // w] >= exact  # the whole route is a completion from the start
    if exact >= 1:
        at = upper_bound(p, scale=10, target=exact, neighbours=1, buckets=buckets)
        assert not at.below_target and at.bound >= exact


@settings(max_examples=40, deadline=None)
@given(one_route_problems(), st.integers(1, 5))
def test_forbidding_the_cycles_of_more_paths_still_ends_at_the_optimum(p: Problem, paths: int) -> None:
    exact = solve_exact(p).score
    res = upper_bound(p, scale=10, neighbours=0, paths=paths, slack=3)
    assert res.optimal and res.bound == exact
    assert res.route is not None and check_solution(p, [res.route]) == []


@pytest.mark.parametrize("seed", range(3))
def test_whole_neighbourhoods_make_the_first_round_exact_on_twelve_sites(seed: int) -> None:
    # sites open for most of the day, so one site holds thousands of labels (the label rows must grow)
    rng = np.random.default_rng(seed)
    k = 12
    xy = rng.integers(0, 20, (k + 1, 2)).astype(float)
    travel = np.floor(np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(-1)) * 10) / 10
    windows = [(), *(((0.0, float(rng.integers(80, 200))),) for _ in range(k))]
    scores = [0.0, *rng.integers(1, 10, k).astype(float)]
    p = Problem(travel, scores, [0.0] + [1.0] * k, windows, (Route(0, 0, 0.0, 120.0),))
    exact = solve_exact(p).score
    res = upper_bound(p, scale=10, neighbours=k - 1)
    assert res.labels > 1000 * k
    assert res.optimal and res.rounds == 1 and res.bound == exact
    assert res.route is not None and check_solution(p, [res.route]) == []
    assert not upper_bound(p, scale=10, neighbours=k - 1, target=int(exact)).below_target
    assert upper_bound(p, scale=10, neighbours=k - 1, target=int(exact) + 1).below_target


def test_small_neighbourhoods_allow_cycles_that_rounds_then_forbid() -> None:
    # two valuable sites close together, open all day: a path may bounce between them
    travel = np.array([[0.0, 5.0, 5.0], [5.0, 0.0, 1.0], [5.0, 1.0, 0.0]])
    p = Problem(travel, [0, 10, 10], [0, 1, 1], [(), ((0, 50),), ((0, 50),)], (Route(0, 0, 0.0, 60.0),))
    loose = upper_bound(p, scale=10, neighbours=0, max_rounds=1)
    assert not loose.optimal and loose.stopped == "rounds"  # its best path repeats a site
    tight = upper_bound(p, scale=10, neighbours=0)
    assert tight.optimal and tight.bound == 20 and tight.rounds > 1


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"routes": (Route(0, 0, 0.0, 60.0), Route(0, 0, 0.0, 60.0))}, "one route"),
        ({"windows": [(), ((0, 10), (20, 30)), ((0, 50),)]}, "opening windows"),
        ({"service": [0, 0, 1]}, "durations must be positive"),
        ({"travel": np.full((3, 3), 0.25)}, "multiples of 1/10"),
        ({"scores": [0, 1.5, 2]}, "integers"),
    ],
)
def test_bound_rejects_what_it_does_not_model(change: dict[str, object], match: str) -> None:
    base: dict[str, object] = {
        "travel": np.ones((3, 3)),
        "scores": [0, 1, 2],
        "service": [0, 1, 1],
        "windows": [(), ((0, 50),), ((0, 50),)],
        "routes": (Route(0, 0, 0.0, 60.0),),
    }
    base.update(change)
    with pytest.raises(SolverError, match=match):
        upper_bound(Problem(**base), scale=10)  # type: ignore[arg-type]


@pytest.mark.parametrize(("b", "c"), [(2, 3), (3, 2)])  # both orders in which the two labels meet
def test_a_label_remembering_more_sites_does_not_dominate(b: int, c: int) -> None:
    # C closes at once, A soon after, B is open all day: the only way to all three is C, A, B.
    # At A, "B then A" is as early as "C then A" and worth more, but it has used B.
    a = 1
    travel = np.ones((4, 4)) - np.eye(4)
    windows: list[tuple[tuple[float, float], ...]] = [(), (), (), ()]
    windows[a], windows[b], windows[c] = ((0, 3),), ((0, 50),), ((0, 1),)
    scores = [0.0] * 4
    scores[a], scores[b], scores[c] = 1, 5, 1
    p = Problem(travel, scores, [0, 1, 1, 1], windows, (Route(0, 0, 0.0, 60.0),))
    assert solve_exact(p).routes[0] == (c, a, b)
    res = upper_bound(p, scale=10, neighbours=2, max_rounds=1)
    assert res.bound == 7 and res.route == (c, a, b)


def test_bench_script_proves_two_known_optima(optw_bench: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, str(root / "bench" / "optw_bound.py"), "--instances", "r101,pr01"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[1:]}
    # Righini & Salani's exact optima (bks.csv): 198 and 308, reached with an elementary route
    assert rows["r101"][4:6] == ["198", "optimal"] and rows["r101"][-2:] == ["=", "optimum"]
    assert rows["pr01"][4:6] == ["308", "optimal"] and rows["pr01"][-2:] == ["=", "optimum"]


def test_proven_bounds_file_caps_only_references_above_it(optw_bench: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    with (optw_bench / "bks.csv").open(encoding="utf-8") as fh:
        bks = {(r["instance"], int(r["m"])): int(r["bks"]) for r in csv.DictReader(fh)}
    with (root / "bench" / "optw_bounds.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for r in rows:
        key = (r["instance"], int(r["m"]))
        assert int(r["bound"]) < bks[key], key  # a cap, never a raise
        assert r["command"].startswith("python bench/optw_bound.py --instances " + r["instance"])


def test_pr14_row_of_the_bounds_file_is_proved_again(optw_bench: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    with (root / "bench" / "optw_bounds.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["instance"] == "pr14" and r["m"] == "1")
    out = subprocess.run(
        [sys.executable, *row["command"].split()[1:]], cwd=root,
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    line = out.stdout.splitlines()[-1].split()
    assert line[0] == "pr14" and line[4] == row["bound"]
    assert line[5] == ("optimal" if row["optimal"] == "yes" else "below")
    assert out.stdout.rstrip().endswith("OUT OF REACH")  # the reference (567) is above it
