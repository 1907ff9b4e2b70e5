"""Tests of the orienteering engine: model, checker, reader, exact and heuristic solvers."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.errors import DataValidationError, SolverError
from tourplan.optimize import (
    Problem,
    Route,
    Solution,
    SolveParams,
    VisitGroup,
    check_solution,
    format_result,
    read_optw,
    schedule_route,
    solve,
    solve_exact,
)

DATA = Path(__file__).parent / "data" / "optw"
ROOT = Path(__file__).resolve().parents[1]
FAST = 0.3  # seconds per heuristic solve in tests


def line_problem(
    xs: list[float],
    scores: list[float],
    windows: list[tuple[tuple[float, float], ...]] | None = None,
    *,
    latest: float = 100.0,
    m: int = 1,
    service: float = 0.0,
    **kw: object,
) -> Problem:
    """Sites on a line, depot (node 0) at x = 0; |dx| is the travel time."""
    pts = np.array([0.0, *xs])
    travel = np.abs(pts[:, None] - pts[None, :])
    n = len(pts)
    wins = windows if windows is not None else [((0.0, latest),)] * (n - 1)
    return Problem(
        travel=travel,
        scores=[0.0, *scores],
        service=[0.0] + [service] * (n - 1),
        windows=[(), *wins],
        routes=tuple(Route(0, 0, 0.0, latest) for _ in range(m)),
        **kw,  # type: ignore[arg-type]
    )


@st.composite
def small_problems(draw: st.DrawFn, max_sites: int = 7) -> Problem:
    """Random small TOPTW instances with one or two windows per site."""
    k = draw(st.integers(2, max_sites))
    m = draw(st.integers(1, 2))
    coords = draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=k + 1, max_size=k + 1))
    xy = np.array(coords, dtype=float)
    travel = np.floor(np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(-1)) * 10) / 10
    scores = [0.0] + [float(draw(st.integers(0, 9))) for _ in range(k)]
    service = [0.0] + [float(draw(st.integers(0, 5))) for _ in range(k)]
    horizon = float(draw(st.integers(30, 120)))
    windows: list[tuple[tuple[float, float], ...]] = [()]
    for _ in range(k):
        a = float(draw(st.integers(0, int(horizon))))
        w = float(draw(st.integers(0, 40)))
        wins = [(a, a + w)]
        if draw(st.booleans()):
            b = a + w + float(draw(st.integers(1, 30)))
            wins.append((b, b + float(draw(st.integers(0, 20)))))
        windows.append(tuple(wins))
    return Problem(
        travel=travel,
        scores=scores,
        service=service,
        windows=windows,
        routes=tuple(Route(0, 0, 0.0, horizon) for _ in range(m)),
    )


def assert_valid(problem: Problem, sol: Solution) -> None:
    issues = check_solution(problem, sol.routes)
    assert issues == [], issues
    assert sol.feasible
    visited = [i for r in sol.routes for i in r]
    assert len(visited) == len(set(visited))
    assert math.isclose(sol.score, float(sum(problem.scores[i] for i in visited)))
    for route, sched in zip(sol.routes, sol.schedule, strict=True):
        assert tuple(v.node for v in sched) == route


# ---------------------------------------------------------------- Problem model


def test_problem_validates_everything_at_once() -> None:
    with pytest.raises(DataValidationError, match="3 problems") as info:
        Problem(
            travel=np.zeros((3, 2)),
            scores=[0, -1, 2],
            service=[0, 0, 0],
            windows=[(), ((5, 1),), ()],
            routes=(Route(),),
        )
    assert len(info.value.problems) == 3


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"mandatory": frozenset({7})}, "mandatory"),
        ({"mandatory": frozenset({0})}, "start/end"),
        ({"max_nodes": (1, 2)}, "max_nodes"),
        ({"load": np.ones((3, 1))}, "capacity"),
        ({"route_windows": {(3, 1): ()}}, "route_windows"),
    ],
)
def test_problem_rejects_bad_options(change: dict[str, object], match: str) -> None:
    base = line_problem([1.0, 2.0], [1.0, 1.0])
    with pytest.raises(DataValidationError, match=match):
        base.replace(**change)


def test_problem_is_frozen_and_arrays_read_only() -> None:
    p = line_problem([1.0], [1.0])
    with pytest.raises(ValueError, match="read-only"):
        p.travel[0, 1] = 5.0
    assert p.replace(scores=[0.0, 3.0]).scores[1] == 3.0


# ---------------------------------------------------------------- checker


def test_checker_reports_each_kind_of_violation() -> None:
    p = line_problem(
        [5.0, 10.0, 50.0],
        [1.0, 1.0, 1.0],
        [((0.0, 100.0),), ((0.0, 3.0),), ((0.0, 100.0),)],
        latest=60.0,
        mandatory=frozenset({3}),
    )
    issues = check_solution(p, [[1, 2, 1, 0]])
    text = "\n".join(issues)
    assert "more than once" in text
    assert "after its windows" in text
    assert "start/end" in text
    assert "mandatory nodes not visited: [3]" in text
    assert check_solution(p, [[3]]) == ["route 0: returns to 0 at 100, after latest 60"]


def test_schedule_waits_for_the_second_window() -> None:
    p = line_problem([10.0], [1.0], [((0.0, 5.0), (30.0, 40.0))], service=2.0)
    sched = schedule_route(p, 0, [1])
    (visit,) = sched.visits
    assert (visit.arrive, visit.wait, visit.start, visit.end) == (10.0, 20.0, 30.0, 32.0)
    assert sched.finish == 42.0
    assert sched.issues == []


# ---------------------------------------------------------------- exact solver


def test_exact_small_known_optimum() -> None:
    # budget 20: both 1 and 2 (x=4, x=6) fit, 3 at x=15 does not with them
    p = line_problem([4.0, 6.0, 15.0], [3.0, 3.0, 5.0], latest=20.0)
    sol = solve_exact(p)
    assert sol.score == 6.0
    assert sorted(sol.routes[0]) == [1, 2]


def test_exact_rejects_large_problems() -> None:
    p = line_problem([float(i) for i in range(1, 20)], [1.0] * 19)
    with pytest.raises(SolverError, match="at most"):
        solve_exact(p)


@settings(max_examples=20, deadline=None)
@given(small_problems())
def test_exact_optimum_never_drops_when_a_site_is_added(p: Problem) -> None:
    base = solve_exact(p)
    n = p.n
    travel = np.zeros((n + 1, n + 1))
    travel[:n, :n] = p.travel
    travel[n, :n] = travel[:n, n] = p.travel[0] + 1.0
    bigger = p.replace(
        travel=travel,
        scores=[*p.scores, 4.0],
        service=[*p.service, 1.0],
        windows=[*p.windows, ((0.0, 50.0),)],
    )
    assert solve_exact(bigger).score >= base.score - 1e-9
    assert_valid(p, base)


# ---------------------------------------------------------------- heuristic


@settings(max_examples=20, deadline=None)
@given(small_problems())
def test_solve_is_feasible_and_matches_exact(p: Problem) -> None:
    sol = solve(p, time_limit=FAST)
    assert_valid(p, sol)
    assert sol.score >= solve_exact(p).score - 1e-9


def test_solve_uses_multiple_windows() -> None:
    # site 1 opens early and late; site 2 sits in between in time
    p = line_problem(
        [10.0, 12.0],
        [5.0, 5.0],
        [((0.0, 5.0), (40.0, 50.0)), ((10.0, 15.0),)],
        latest=80.0,
        service=5.0,
    )
    sol = solve(p, time_limit=FAST)
    assert_valid(p, sol)
    assert sol.routes == ((2, 1),)
    assert sol.schedule[0][1].start == 40.0


def test_route_windows_close_a_site_on_one_day() -> None:
    p = line_problem(
        [10.0, 11.0],
        [5.0, 5.0],
        latest=25.0,
        m=2,
        route_windows={(0, 1): (), (1, 2): ()},
    )
    sol = solve(p, time_limit=FAST)
    assert_valid(p, sol)
    assert sol.routes == ((2,), (1,))


def test_lunch_group_one_food_stop_per_day() -> None:
    # sites 1..3 sightseeing, 4..6 restaurants (score 0) open 12:00-13:00 (720-780)
    xs = [10.0, 20.0, 30.0, 12.0, 22.0, 32.0]
    sight = ((480.0, 1000.0),)
    lunch = ((720.0, 780.0),)
    p = line_problem(
        xs,
        [5.0, 5.0, 5.0, 0.0, 0.0, 0.0],
        [sight, sight, sight, lunch, lunch, lunch],
        latest=1000.0,
        m=2,
        service=60.0,
        groups=(VisitGroup(frozenset({4, 5, 6}), frozenset({0, 1}), 1, 1),),
    )
    p = p.replace(routes=(Route(0, 0, 480.0, 1000.0), Route(0, 0, 480.0, 1000.0)))
    sol = solve(p, time_limit=FAST)
    assert_valid(p, sol)
    for route in sol.routes:
        assert len([i for i in route if i in {4, 5, 6}]) == 1
    assert sol.score == 15.0


def test_capacity_and_max_nodes_limit_visits() -> None:
    p = line_problem([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], latest=100.0)
    capped = p.replace(load=np.array([[0.0], [1.0], [1.0], [1.0], [2.0]]), capacity=[2.0])
    sol = solve(capped, time_limit=FAST)
    assert_valid(capped, sol)
    assert sol.score == 5.0  # sites 2 + 3 (load 2) beat site 4 alone (load 2)
    limited = p.replace(max_nodes=(1,))
    sol = solve(limited, time_limit=FAST)
    assert_valid(limited, sol)
    assert sol.routes == ((4,),)


def test_mandatory_site_is_visited_even_if_worthless() -> None:
    p = line_problem([5.0, -20.0], [10.0, 0.0], latest=45.0, mandatory=frozenset({2}))
    sol = solve(p, time_limit=FAST)
    assert_valid(p, sol)
    assert sol.routes == ((2,),)
    assert sol.unvisited_mandatory == frozenset()


def test_unreachable_mandatory_is_reported() -> None:
    p = line_problem([5.0, 80.0], [10.0, 1.0], latest=100.0, mandatory=frozenset({2}))
    sol = solve(p, time_limit=FAST)
    assert sol.unvisited_mandatory == frozenset({2})
    assert not sol.feasible
    assert sol.routes == ((1,),)
    assert "unvisited mandatory" in sol.summary()


def test_same_seed_same_result() -> None:
    _, p = read_optw(DATA / "grid30.txt", routes=2)
    # deterministic: the work budget alone stops the search, whatever the load
    params = SolveParams(budget_fraction=0.05)
    a = solve(p, time_limit=2.0, seed=3, params=params, deterministic=True)
    b = solve(p, time_limit=2.0, seed=3, params=params, deterministic=True)
    assert a.routes == b.routes
    assert a.iterations == b.iterations


def test_threads_share_the_search_and_stay_deterministic() -> None:
    """Two lanes do about twice the iterations of one in the same wall work, and repeat exactly."""
    _, p = read_optw(DATA / "grid30.txt", routes=2)
    one = SolveParams(budget_fraction=0.05)
    two = SolveParams(budget_fraction=0.05, threads=2)
    a = solve(p, time_limit=2.0, seed=3, params=one, deterministic=True)
    b = solve(p, time_limit=2.0, seed=3, params=two, deterministic=True)
    c = solve(p, time_limit=2.0, seed=3, params=two, deterministic=True)
    assert_valid(p, b)
    assert (b.routes, b.iterations) == (c.routes, c.iterations)
    assert 1.6 * a.iterations < b.iterations < 2.4 * a.iterations


def test_one_thread_is_the_default_search() -> None:
    _, p = read_optw(DATA / "grid30.txt", routes=2)
    a = solve(p, time_limit=0.5, seed=1, params=SolveParams(budget_fraction=0.05), deterministic=True)
    b = solve(p, time_limit=0.5, seed=1, params=SolveParams(budget_fraction=0.05, threads=1, syncs=9), deterministic=True)
    assert (a.routes, a.iterations) == (b.routes, b.iterations)


@pytest.mark.parametrize("change", [{"threads": 0}, {"threads": 65}, {"threads": 1.5}, {"syncs": 0}])
def test_thread_settings_are_checked(change: dict[str, object]) -> None:
    with pytest.raises(SolverError, match="threads"):
        SolveParams(**change)  # type: ignore[arg-type]


def test_threads_keep_the_time_limit() -> None:
    _, p = read_optw(DATA / "grid30.txt", routes=2)
    sol = solve(p, time_limit=0.3, seed=1, params=SolveParams(threads=2))
    assert sol.runtime <= 0.3 + 0.1
    assert_valid(p, sol)


def test_time_limit_holds_without_deterministic() -> None:
    _, p = read_optw(DATA / "grid30.txt", routes=2)
    sol = solve(p, time_limit=0.5, seed=1)
    assert sol.runtime <= 0.5 + 0.1
    assert_valid(p, sol)


def test_clock_run_uses_its_time_limit() -> None:
    """Without ``deterministic`` a solve ends near its limit: not past it, and not at a fraction of it."""
    from tourplan.optimize.rate import _calibration_problems

    p = _calibration_problems()[0]  # 100 sites: the iteration cap cannot end it early
    sol = solve(p, time_limit=0.3, seed=0)
    assert 0.25 <= sol.runtime <= 0.3 + 0.1


def test_work_budget_follows_the_rate() -> None:
    _, p = read_optw(DATA / "grid30.txt", routes=2)
    runs = [
        solve(p, time_limit=0.05, seed=0, params=SolveParams(work_rate=rate), deterministic=True)
        for rate in (20e6, 20e6, 80e6)
    ]
    assert runs[0].routes == runs[1].routes
    assert runs[0].iterations == runs[1].iterations
    assert runs[2].iterations > 2 * runs[0].iterations


def test_work_rate_is_measured_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import time

    from tourplan.optimize import rate

    monkeypatch.delenv("TOURPLAN_WORK_RATE", raising=False)
    monkeypatch.setenv("TOURPLAN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(rate, "_KNOWN", {})
    measured = rate.work_rate()
    stored = json.loads((tmp_path / "work_rate.json").read_text())
    assert stored[rate.machine_key()]["rate"] == measured
    # a new process reads the file instead of measuring again
    monkeypatch.setattr(rate, "_KNOWN", {})

    def fail() -> float:
        raise AssertionError("measured again")

    monkeypatch.setattr(rate, "measure_work_rate", fail)
    assert rate.work_rate() == measured
    # a deterministic solve at this machine's rate takes about budget_fraction of its limit in CPU time
    p = rate._calibration_problems()[1]
    c0 = time.process_time()
    solve(p, time_limit=0.2, seed=5, deterministic=True)
    assert 0.3 * 0.2 <= time.process_time() - c0 <= 1.5 * 0.2


def test_work_rate_first_in_a_fresh_process(tmp_path: Path) -> None:
    # asking for the rate before any solve, with nothing cached, once waited
    # forever on its own lock (the measuring solve compiled, and compiling asks
    # for the rate); bench/optw.py does that in its header
    env = {k: v for k, v in os.environ.items() if k != "TOURPLAN_WORK_RATE"}
    env["TOURPLAN_CACHE_DIR"] = str(tmp_path)
    code = "from tourplan.optimize.rate import work_rate; print(work_rate())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) > 0
    assert (tmp_path / "work_rate.json").exists()


def test_work_rate_can_be_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    from tourplan.optimize.rate import work_rate

    monkeypatch.setenv("TOURPLAN_WORK_RATE", "12.5e6")
    assert work_rate() == 12.5e6
    monkeypatch.setenv("TOURPLAN_WORK_RATE", "fast")
    with pytest.raises(SolverError, match="TOURPLAN_WORK_RATE"):
        work_rate()
    with pytest.raises(SolverError, match="work_rate"):
        SolveParams(work_rate=0.0)


def test_time_limit_must_be_positive() -> None:
    with pytest.raises(SolverError, match="time_limit"):
        solve(line_problem([1.0], [1.0]), time_limit=0.0)


# ---------------------------------------------------------------- reader


@pytest.mark.parametrize("fname", ["tiny.txt", "tiny_crlf.txt", "c204_quirk.txt"])
def test_read_optw_formats(fname: str) -> None:
    name, p = read_optw(DATA / fname, routes=2)
    assert name == Path(fname).stem
    assert p.n == 6
    assert p.m == 2
    assert p.routes[0] == Route(0, 0, 0.0, 100.0)  # Tmax is the depot's close
    assert p.travel[0, 1] == 5.0
    assert p.travel[0, 5] == pytest.approx(0.3)  # 0.35 truncated to 1 decimal
    assert p.windows[5] == ((0.0, 100.0),)  # open/close are the last two fields
    assert p.scores.tolist() == [0.0, 10.0, 20.0, 5.0, 7.0, 1.0]
    assert p.service[3] == 2.0


def test_read_optw_pr_files_use_two_decimals() -> None:
    _, p = read_optw(DATA / "pr_tiny.txt")
    assert p.travel[0, 5] == pytest.approx(0.35)
    _, q = read_optw(DATA / "pr_tiny.txt", decimals=0)
    assert q.travel[0, 5] == 0.0


def test_read_optw_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 1 1 1\n0 10\n0 0 0 0 0 0 0 0 10\n1 x y\n")
    with pytest.raises(DataValidationError, match="vertex line"):
        read_optw(bad)


def test_read_optw_names_row_and_column_of_every_bad_value(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "1 1 3 1\r\n0 100\r\n0 0 0 0 0 0 0 0 100\r\n"
        "1 abc 5 10 5 1 1 1 0 nan\r\n2 1 1 10 -5 1 1 1 50 10\r\n7 1 1 1 1 1 1 1 0 10\r\n"
    )
    with pytest.raises(DataValidationError) as info:
        read_optw(bad)
    got = {(p.row, p.column) for p in info.value.problems}
    assert got == {(4, "x"), (4, "close"), (5, "score"), (5, "close"), (6, "id")}
    assert "in the instance file" in str(info.value) and "bad.txt, row 4, column 'x': got 'abc'" in str(info.value)


def test_read_optw_depot_only_is_a_trivial_instance(tmp_path: Path) -> None:
    f = tmp_path / "empty.txt"
    f.write_text("1 1 0 1\n0 100\n0 0 0 0 0 0 0 0 100\n")
    name, p = read_optw(f, routes=2)
    assert (name, p.n, p.m) == ("empty", 1, 2)
    sol = solve(p, time_limit=FAST)
    assert format_result(name, sol) == {"instance": "empty", "routes": [[], []], "score": 0}
    f.write_text("1 1 0 1\n0 100\n")
    with pytest.raises(DataValidationError, match="depot line"):
        read_optw(f)


def test_format_result_round_trip() -> None:
    name, p = read_optw(DATA / "tiny.txt", routes=1)
    sol = solve(p, time_limit=FAST)
    out = format_result(name, sol)
    assert out["instance"] == "tiny"
    assert out["score"] == int(sol.score)
    assert check_solution(p, out["routes"]) == []


# ---------------------------------------------------------------- benchmark script


def test_bench_script_smoke(optw_bench: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "optw.py"),
            "--instances",
            "c101,r101",
            "--m",
            "1",
            "--time-limit",
            "0.2",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    last = lines[-1]
    assert "rows 2, feasible 2, mean gap" in last
    assert "time limit 0.2 s" in last
    # neither row has a proven bound below its reference, so the capped gaps are the plain ones
    capped = next(line for line in lines if "capped by proven bounds" in line)
    assert capped.split("mean gap ")[1].split(",")[0] == last.split("mean gap ")[1].split(",")[0]


def test_bench_script_seeds(optw_bench: Path) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "optw.py"), "--instances", "c101", "--m", "1,2"]
    cmd += ["--time-limit", "0.05", "--deterministic", "--seeds", "3,5"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    lines = out.strip().splitlines()
    # one table line per row with a gap per seed, one summary per seed, one line over both
    table = [line.split() for line in lines if line.startswith("c101 ")]
    assert [t[1] for t in table] == ["1", "2"]
    assert all(len(t) == 8 and t[-1] == "yes" for t in table)
    assert [line for line in lines if line.startswith("# seed")] == ["# seed 3", "# seed 5"]
    assert sum("tourplan: median runtime" in line for line in lines) == 2
    assert "tourplan over 2 seeds:" in lines[-1]
    assert "runs above 5 %: " in lines[-1]
    assert lines[-1].endswith("of 4, feasible 4")


def _engine_state(p: Problem, routes: list[list[int]]) -> tuple[object, tuple[np.ndarray, ...], np.ndarray]:
    """Engine data and a state holding ``routes`` (internal API, for operator tests)."""
    import importlib

    solve_mod = importlib.import_module("tourplan.optimize.solve")
    from tourplan.optimize import _engine as eng

    data, cand = solve_mod._build(p, SolveParams())
    state = solve_mod._empty_state(p, data[11].shape[1], data[16].shape[0])
    for r, route in enumerate(routes):
        state[0][r, 1 : len(route) + 1] = route
        state[0][r, len(route) + 1] = p.routes[r].end
        state[1][r] = len(route)
        for j in route:
            state[6][j] = r
        assert eng.recompute(data, state, r)
    return data, state, cand


def test_segment_replan_finds_the_better_chain() -> None:
    from tourplan.optimize import _engine as eng

    # 1 and 2 sit at x = 10 and 11 and score 5 each; 3 at x = 10.5 scores 4.
    # The route 0-3-0 leaves time for 1 and 2 instead, but no single swap gets there.
    p = line_problem([10.0, 11.0, 10.5], [5.0, 5.0, 4.0], latest=24.0, service=1.0)
    data, state, cand = _engine_state(p, [[3]])
    work = np.zeros(1, dtype=np.int64)
    assert eng.segment_opt(data, state, cand, 0, 0, 1, 3, 4, work)
    route = [int(x) for x in state[0][0, 1 : state[1][0] + 1]]
    assert sorted(route) == [1, 2]
    assert check_solution(p, [route]) == []
    # nothing better left: a second call changes nothing
    assert not eng.segment_opt(data, state, cand, 0, 0, 2, 3, 4, work)


@settings(max_examples=30, deadline=None)
@given(small_problems(), st.integers(0, 6), st.integers(0, 6), st.integers(1, 4))
def test_segment_replan_keeps_routes_feasible_and_never_loses_value(p: Problem, i: int, k: int, front: int) -> None:
    from tourplan.optimize import _engine as eng

    sol = solve(p, time_limit=0.05, seed=1, params=SolveParams(segment=0.0), deterministic=True)
    routes = [list(r) for r in sol.routes]
    data, state, cand = _engine_state(p, routes)
    before = eng.evaluate(data, state)[0]
    length = int(state[1][0])
    i, k = min(i, length), min(k, length - min(i, length))
    work = np.zeros(1, dtype=np.int64)
    changed = eng.segment_opt(data, state, cand, 0, i, k, 3, front, work)
    after = [[int(x) for x in state[0][r, 1 : state[1][r] + 1]] for r in range(p.m)]
    assert check_solution(p, after) == []
    assert eng.evaluate(data, state)[0] >= before - 1e-9
    if not changed:
        assert after == routes
    visited = [x for r in after for x in r]
    assert len(visited) == len(set(visited))


def test_start_count_follows_the_budget() -> None:
    import importlib
    import time

    solve_mod = importlib.import_module("tourplan.optimize.solve")
    from tourplan.optimize import _engine as eng

    _, p = read_optw(DATA / "grid30.txt", routes=1)
    params = SolveParams()
    data, cand = solve_mod._build(p, params)

    def count(budget: int) -> int:
        run = solve_mod._Run(eng, data, cand, p, params, 0, budget, True, time.perf_counter(), 1.0)
        first = run._construct(0, None)
        return int(run._starts((first, tuple(a.copy() for a in first))))

    counts = [count(b) for b in (1_000, 100_000, 10_000_000, 1_000_000_000)]
    # more budget, more starts: never fewer, from one start up to the cap
    assert counts == sorted(counts)
    assert counts[0] == 1
    assert counts[-1] == params.starts


def test_tail_exchange_uncrosses_two_routes() -> None:
    from tourplan.optimize import _engine as eng

    # Route 0 goes out left then right, route 1 right then left: swapping their
    # tails gives each one side, with the same visits and less travel.
    p = line_problem([-10.0, 10.0, 11.0, -11.0], [1.0, 1.0, 1.0, 1.0], latest=100.0, m=2)
    data, state, cand = _engine_state(p, [[1, 2], [3, 4]])
    before = eng.evaluate(data, state)
    work = np.zeros(1, dtype=np.int64)
    assert eng.tail_exchange(data, state, 0, 1, work)
    after = eng.evaluate(data, state)
    routes = [[int(x) for x in state[0][r, 1 : state[1][r] + 1]] for r in range(2)]
    assert check_solution(p, routes) == []
    assert after[0] == before[0]
    assert after[1] < before[1] - 1e-9
    assert sorted(map(sorted, routes)) == [[1, 4], [2, 3]]


@settings(max_examples=30, deadline=None)
@given(small_problems(), st.integers(0, 1))
def test_tail_exchange_keeps_routes_feasible(p: Problem, first: int) -> None:
    from tourplan.optimize import _engine as eng

    if p.m < 2:
        return
    sol = solve(p, time_limit=0.05, seed=2, params=SolveParams(tail=0.0), deterministic=True)
    data, state, _ = _engine_state(p, [list(r) for r in sol.routes])
    before = eng.evaluate(data, state)
    work = np.zeros(1, dtype=np.int64)
    changed = eng.tail_exchange(data, state, first, 1 - first, work)
    after = eng.evaluate(data, state)
    routes = [[int(x) for x in state[0][r, 1 : state[1][r] + 1]] for r in range(p.m)]
    assert check_solution(p, routes) == []
    assert after[0] == pytest.approx(before[0])
    assert (after[1] < before[1] - 1e-9) if changed else routes == [list(r) for r in sol.routes]


def test_array_layout_does_not_make_the_engine_compile_again() -> None:
    """A Fortran-ordered travel matrix (numpy's fancy indexing returns one) must reuse the compiled engine.

    numba specialises on array layout; before the engine's inputs were made C
    order, the first itinerary of a fresh install compiled the whole engine a
    second time (42 s, measured), after ``tourplan warmup`` had compiled it.
    """
    from tourplan.optimize import _engine as eng

    base = line_problem([3.0, 5.0, 8.0, 2.0], [4.0, 3.0, 5.0, 1.0], latest=30.0)
    solve(base, time_limit=FAST, seed=0)
    before = {name: len(getattr(eng, name).signatures) for name in ("search", "greedy_insert", "recompute")}
    travel = np.asfortranarray(np.array(base.travel)[:, [0, 1, 2, 3, 4]])
    assert not travel.flags["C_CONTIGUOUS"]
    fortran = base.replace(travel=travel)
    sol = solve(fortran, time_limit=FAST, seed=0)
    assert not check_solution(fortran, [list(r) for r in sol.routes])
    after = {name: len(getattr(eng, name).signatures) for name in before}
    assert after == before


def test_free_return_only_when_the_way_back_cannot_bind() -> None:
    """The search ignores the way back only if no visit can end too late for it; results stay right either way."""
    from tourplan.optimize.solve import _build

    # sites close by 11 and the route may end at 100: the return never binds
    loose = line_problem([3.0, 6.0, 9.0], [1.0, 1.0, 1.0], [((0.0, 11.0),)] * 3, latest=100.0, service=0.5)
    data, _ = _build(loose, SolveParams())
    assert np.all(data[0][1:, 0] == 0.0)  # travel back to the depot counted as free
    assert np.array_equal(data[0][0, 1:], np.asarray(loose.travel)[0, 1:])  # the way out is unchanged
    # one site may start at 95, and 95 + 0.5 + 9 > 100: the return can bind, travel stays true
    tight = line_problem([3.0, 6.0, 9.0], [1.0, 1.0, 1.0], [((0.0, 11.0),), ((0.0, 11.0),), ((0.0, 95.0),)],
                         latest=100.0, service=0.5)  # fmt: skip
    data, _ = _build(tight, SolveParams())
    assert np.array_equal(data[0], np.asarray(tight.travel))
    data, _ = _build(loose, SolveParams(free_return=False))
    assert np.array_equal(data[0], np.asarray(loose.travel))
    # the solution is scheduled and checked on the true travel times, and it is the optimum
    sol = solve(loose, time_limit=FAST, seed=0)
    assert check_solution(loose, sol.routes) == []
    assert sol.score == solve_exact(loose).score == 3.0
    assert sol.travel_time == pytest.approx(18.0)  # out to 9 and back: the return leg is counted in the result


def test_granular_neighbours_are_the_nearest_sites() -> None:
    """Each site's neighbour list holds the sites nearest to it (there and back), never itself."""
    from tourplan.optimize.solve import _neighbours

    pts = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 16.0])
    travel = np.abs(pts[:, None] - pts[None, :])
    travel[1:, 0] += 50.0  # asymmetric: the way back to the depot is long, and not a candidate anyway
    cand = np.arange(1, 6)
    near = _neighbours(travel, cand, 2)
    assert near.shape == (6, 2)
    assert {int(x) for x in near[3]} == {1, 2}  # the site at 4: 2 and 3 away, 8 is 4 away
    assert {int(x) for x in near[5]} == {3, 4}
    assert all(i not in near[i] for i in cand)
    # no list (every site counts) when it would leave none out, or when switched off
    assert _neighbours(travel, cand, 4).shape == (6, 0)
    assert _neighbours(travel, cand, 0).shape == (6, 0)
    # nearest first, on a larger random map, where a partial sort would leave rows in any order
    rng = np.random.default_rng(7)
    xy = rng.random((500, 2))
    big = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    rows = _neighbours(big, np.arange(1, 500), 200)
    for j in range(1, 500):
        d = (big + big.T)[j, rows[j]]
        assert list(d) == sorted(d)
        assert d[-1] <= np.sort(np.delete((big + big.T)[j, 1:], j - 1))[199] + 1e-12


def test_granular_search_still_reaches_the_optimum() -> None:
    """With tiny neighbour lists and segment re-plans over few sites, the search still finds the best tour."""
    xs = [1.0, -2.0, 3.0, -4.0, 5.0, 6.0, -7.0, 8.0, 2.5, -3.5, 9.0, -1.5]
    scores = [3.0, 5.0, 2.0, 6.0, 4.0, 1.0, 7.0, 3.0, 2.0, 4.0, 5.0, 1.0]
    p = line_problem(xs, scores, latest=22.0, service=0.5)
    params = SolveParams(neighbours=2, segment_sites=3)
    sol = solve(p, time_limit=FAST, seed=1, params=params, deterministic=True)
    assert check_solution(p, [list(r) for r in sol.routes]) == []
    assert sol.score == solve_exact(p).score


@pytest.mark.parametrize("refill_near", [0, 1, 3])
def test_granular_search_with_several_routes_reaches_the_optimum(refill_near: int) -> None:
    """Two routes, tiny neighbour lists, a per-route refill of the nearest sites only (or of every one): still the optimum."""
    xs = [1.0, -2.0, 3.0, -4.0, 5.0, 6.0, -7.0, 8.0, 2.5, -3.5, 9.0, -1.5]
    scores = [3.0, 5.0, 2.0, 6.0, 4.0, 1.0, 7.0, 3.0, 2.0, 4.0, 5.0, 1.0]
    p = line_problem(xs, scores, latest=12.0, m=2, service=0.5)
    params = SolveParams(neighbours=3, refill_near=refill_near, segment_sites=3)
    sol = solve(p, time_limit=FAST, seed=2, params=params, deterministic=True)
    assert check_solution(p, [list(r) for r in sol.routes]) == []
    assert sol.score == solve_exact(p).score


def test_solves_on_threads_at_once_each_keep_their_result() -> None:
    """Two threaded solves running at the same time give what each gives alone (no shared state)."""
    import threading

    _, p = read_optw(DATA / "grid30.txt", routes=2)
    params = SolveParams(budget_fraction=0.05, threads=2)
    alone = [solve(p, time_limit=1.0, seed=s, params=params, deterministic=True).routes for s in (4, 5)]
    out: dict[int, object] = {}

    def run(s: int) -> None:
        out[s] = solve(p, time_limit=1.0, seed=s, params=params, deterministic=True).routes

    workers = [threading.Thread(target=run, args=(s,)) for s in (4, 5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [out[4], out[5]] == alone
