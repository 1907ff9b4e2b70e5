"""The capacity-aware upper bound: never below a plan the groups can make, tighter than the solo days.

Small random study tours on the bundled sites (a few sites kept, some of them
squeezed by a public load) are planned exhaustively, bus after bus: every
visit order of every day in the room the buses before left, each visit
starting at the first free time after arrival or on the next slot edge.  The
best of those plans is a plan the groups can make, so the bound must not be
below it.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from planning import make

from tourplan.rules import FOOD, PASS_THROUGH
from tourplan.study import plan_study_tour
from tourplan.study.bound import _value_upper_bound
from tourplan.study.capacity import _NSLOTS, SLOT_MINUTES, _assign_buses, _Load, _make_groups, _unit_windows
from tourplan.study.fit import _fit_day
from tourplan.study.model import _build
from tourplan.study.relax import _lp_duals, _runs_room

if TYPE_CHECKING:
    from tourplan.study.capacity import _Unit
    from tourplan.study.model import _Ctx

Schedule = tuple[tuple[int, ...], tuple[float, ...], float]


def _days(ctx: _Ctx, unit: _Unit, load: np.ndarray, groups: np.ndarray) -> list[Schedule]:
    """Every day of ``unit`` in the room ``load`` leaves: visits, starts, value.

    A visit starts at the first free time after arrival or on the next slot
    edge; best first.
    """
    n = len(ctx.nodes)
    wins = _unit_windows(ctx, unit.people, len(unit.groups), _Load(load, groups))
    p = ctx.problem
    route = p.routes[0]
    cap = p.max_nodes[0] if p.max_nodes is not None else n
    out: list[Schedule] = []

    def ok(nodes: list[int], final: bool) -> bool:
        for g in p.groups:
            k = sum(i in g.nodes for i in nodes)
            if k > g.max_visits or (final and k < g.min_visits):
                return False
        return not final or p.mandatory <= set(nodes)

    def grow(cur: int, t: float, nodes: list[int], starts: list[float]) -> None:
        if ok(nodes, True) and t + p.travel[cur, ctx.e0] <= route.latest + 1e-9:
            out.append((tuple(nodes), tuple(starts), ctx.route_value(nodes)))
        if len(nodes) >= cap:
            return
        for j in range(n):
            if j in nodes or not wins[j] or j in (ctx.s0, ctx.e0) or not ok([*nodes, j], False):
                continue
            arrive = t + p.travel[cur, j]
            first = next((max(a, arrive) for a, b in wins[j] if arrive <= b + 1e-9), None)
            if first is None:
                continue
            edge = math.ceil(first / SLOT_MINUTES) * SLOT_MINUTES
            options = {first} | {edge for a, b in wins[j] if a <= edge <= b}
            for s in sorted(options):
                grow(j, s + p.service[j], [*nodes, j], [*starts, s])

    grow(ctx.s0, route.earliest, [], [])
    return sorted(out, key=lambda d: -d[2])


def _best_plan(ctx: _Ctx, units: list[_Unit]) -> float:
    """The most valuable plan built bus by bus, each taking any of its days (``_days``) in the room left; -inf if none."""
    n = len(ctx.nodes)
    load = np.zeros((n, _NSLOTS))
    groups = np.zeros((n, _NSLOTS), dtype=np.int64)
    solo = [_days(ctx, u, load, groups) for u in units]
    tops = [len(u.groups) * (d[0][2] if d else -math.inf) for u, d in zip(units, solo, strict=True)]
    best = -math.inf

    def put(u: int, day: Schedule, sign: int) -> None:
        for i, s in zip(day[0], day[1], strict=True):
            sl = slice(int(s) // SLOT_MINUTES, int(s + ctx.service[i] - 1) // SLOT_MINUTES + 1)
            load[i, sl] += sign * units[u].people
            groups[i, sl] += sign * len(units[u].groups)

    def search(u: int, value: float) -> None:
        nonlocal best
        if u == len(units):
            best = max(best, value)
            return
        if value + sum(tops[u:]) <= best + 1e-9:
            return
        for day in _days(ctx, units[u], load, groups) if u else solo[0]:
            if value + len(units[u].groups) * day[2] + sum(tops[u + 1 :]) <= best + 1e-9:
                break
            put(u, day, +1)
            search(u + 1, value + len(units[u].groups) * day[2])
            put(u, day, -1)

    search(0, 0.0)
    return best


def _instance(seed: int, sites: Any) -> dict[str, Any]:
    """A small random study tour: a few sites kept, some squeezed to room for one or two buses."""
    rng = random.Random(seed)
    grade, themes = rng.choice(
        [("junior", "science,history"), ("primary", "nature,science"), ("senior", "red,history,industry")]
    )
    study = [
        s for s in sites if grade in s.study_grades and s.category not in PASS_THROUGH and s.category != FOOD
    ]
    food = [s for s in sites if s.category == FOOD]
    keep = {s.id for s in rng.sample(study, 4)} | {s.id for s in rng.sample(food, 2)}
    public: dict[str, list[float]] = {}
    for s in rng.sample([s for s in study if s.id in keep], 2):
        room = rng.choice([50, 95, 140])  # one, two or three buses at a time
        busy = [max(0.0, s.capacity_instant - room)] * 96
        for k in range(rng.randint(0, 40), 96) if rng.random() < 0.5 else ():
            busy[k] = float(s.capacity_instant)  # closed to groups from then on
        public[s.id] = busy
    groups = rng.randint(2, 3)
    return {
        "grade": grade,
        "themes": themes,
        "students": 40 * groups,
        "buses": groups,
        "max_stops": rng.choice([2, 3]),
        "exclude": ",".join(s.id for s in sites if s.id not in keep),
        "public_load": {"counts": public, "slot_minutes": 15, "day_start": "00:00"},
        "lunch": rng.choice(["group", "packed"]),
        "max_groups_per_site": rng.choice([None, None, 1]),
    }


@pytest.mark.parametrize("seed", range(12))
def test_bound_holds_every_plan_the_groups_can_make(seed, bundled_sites, bundled_graph):
    req = make(**_instance(seed, bundled_sites))
    ctx = _build(req, bundled_sites, bundled_graph)
    units = _assign_buses(req, _make_groups(req))
    bound = _value_upper_bound(ctx, units, time_limit=30)
    assert bound.exact
    assert bound.bound <= bound.solo + 1e-9
    best = _best_plan(ctx, units)
    assert best <= bound.bound + 1e-6
    if best > -math.inf:
        plan = plan_study_tour(req, bundled_sites, bundled_graph)
        # A bus the planner leaves without lunch is bounded without the lunch rule.
        assert plan.value <= plan.value_upper_bound + 1e-6
        if req.lunch == "packed" or all(any(s.is_lunch for s in g.stops) for g in plan.groups):
            assert plan.value_upper_bound == pytest.approx(bound.bound)


def test_a_site_that_takes_few_buses_lowers_the_bound(bundled_sites, bundled_graph):
    """The best solo day uses a small museum; six buses cannot all have it, and the bound says so."""
    req = make(students=240, buses=6)
    ctx = _build(req, bundled_sites, bundled_graph)
    units = _assign_buses(req, _make_groups(req))
    solo = _value_upper_bound(ctx, units[:1], time_limit=30)
    squeeze = {
        ctx.nodes[i]: [float(bundled_sites[ctx.nodes[i]].capacity_instant - 50)] * 96  # one bus at a time
        for i in solo.days[0][0][0]
        if i not in ctx.lunch_nodes
    }
    assert squeeze
    tight = make(
        students=240, buses=6, public_load={"counts": squeeze, "slot_minutes": 15, "day_start": "00:00"}
    )
    ctx = _build(tight, bundled_sites, bundled_graph)
    bound = _value_upper_bound(ctx, units, time_limit=30)
    assert bound.room
    assert bound.bound < bound.solo - 1e-6
    plan = plan_study_tour(tight, bundled_sites, bundled_graph)
    assert plan.value <= bound.bound + 1e-6
    assert plan.value_upper_bound == pytest.approx(bound.bound)


@pytest.mark.parametrize("seed", range(4))
def test_one_bus_bound_is_its_best_day(seed, bundled_sites, bundled_graph):
    req = make(**{**_instance(seed, bundled_sites), "students": 40, "buses": 1})
    ctx = _build(req, bundled_sites, bundled_graph)
    units = _assign_buses(req, _make_groups(req))
    bound = _value_upper_bound(ctx, units, time_limit=30)
    assert bound.exact
    assert not bound.room
    assert bound.bound == pytest.approx(bound.solo)
    assert bound.bound == pytest.approx(_best_plan(ctx, units))


@pytest.mark.parametrize(
    ("per_slot", "span", "visits"),
    [
        ([2] * 8, 3, 4),  # two lanes of two 3-slot visits
        ([1] * 32, 3, 10),
        ([1, 1, 0, 1, 1, 1], 2, 2),  # runs of 2 and 3 slots: one visit each
        ([3, 1, 1], 3, 1),  # only one visit covers all three slots
        ([0, 0], 1, 0),
    ],
)
def test_visit_room_of_a_run_of_slots(per_slot, span, visits):
    assert _runs_room(np.array(per_slot, dtype=float), span) == visits


def test_lp_duals_price_the_scarce_site():
    """Three buses, two days: 5 with a site that takes one visit, 3 without; the site is worth 2."""
    duals = _lp_duals(
        np.array([5.0, 3.0]), np.array([[1.0, 0.0]]), np.array([1.0]), np.array([0, 0]), np.array([3.0])
    )
    assert duals == pytest.approx([2.0])


def test_a_crowded_visit_waits_for_the_slot_edge_when_that_fills_a_slot_less(bundled_sites, bundled_graph):
    ctx = _build(make(students=80, buses=2, lunch="packed"), bundled_sites, bundled_graph)
    site = ctx.nodes.index("yazheng_history_museum")  # 45-minute visits: three slots from a slot edge
    wins = list(ctx.base_windows)
    wins[site] = ((547.0, 975.0),)  # free from 09:07: four slots if the visit starts then
    assert ctx.travel[ctx.s0, site] + ctx.req.day_start <= 547
    assert _fit_day(ctx, (site,), wins)[1] == (547,)
    assert _fit_day(ctx, (site,), wins, crowded={site})[1] == (555,)
    wins[site] = ((547.0, 550.0),)  # no slot edge left: it starts when it can
    assert _fit_day(ctx, (site,), wins, crowded={site})[1] == (547,)
    wins[site] = ()
    assert _fit_day(ctx, (site,), wins, crowded={site}) is None
