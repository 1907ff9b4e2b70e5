"""Study tours: requests, joint planning, an independent capacity/feasibility check, views, CLI.

The checker at the top of this file is its own code: it recounts visitors per
site and 15-minute slot from the plan's per-group timetables (plus the public
load, converted here independently) and re-derives every group's feasibility
from the site table, the opening hours and the graph's travel matrix.  It
does not use the planner's bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from tourplan.cli import main
from tourplan.errors import InfeasibleRequestError, RequestValidationError
from tourplan.hours import open_intervals
from tourplan.study import (
    PublicLoad,
    StudyTourPlan,
    StudyTourRequest,
    plan_study_tour,
    render_print_html,
)
from tourplan.sun import daylight

SLOT = 15
TUESDAY = "2026-05-12"
MONDAY = "2026-05-11"
RIDE_RULE = {"primary": 60, "junior": 90, "senior": 120}


# ---------------------------------------------------------------------------
# Independent checker


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
            assert any(f"Bus {g.bus} " in w and "packed lunch" in w for w in plan.warnings), (
                f"{g.id} has no lunch"
            )
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


# ---------------------------------------------------------------------------
# Requests


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


VALID = {
    "junior-6-groups": {},
    "primary-nature": {
        "grade": "primary",
        "students": 150,
        "group_size": None,
        "groups": 4,
        "themes": "nature,science",
    },
    "senior-red-products": {
        "grade": "senior",
        "students": 200,
        "themes": "red,history,industry",
        "products": "励志拓展型,知识科普型",
    },
    "required-and-lunch-together": {
        "require": "nsbd_fangzhi_museum",
        "exclude": "hpu_north_campus",
        "lunch": "together",
    },
    "school-coordinates-small-buses": {
        "grade": "primary",
        "students": 90,
        "group_size": 30,
        "buses": 2,
        "seats": 70,
        "start": "35.2400,113.2300",
        "day_start": "09:00",
        "day_end": "16:00",
        "themes": "culture,taiji,history",
    },
    "senior-far-site": {
        "grade": "senior",
        "students": 80,
        "require": "hanyu_tomb_xiguo",
        "buses": 2,
        "day_end": "18:00",
    },
}


@pytest.fixture(scope="module")
def plans(bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    cache: dict[str, tuple[StudyTourRequest, StudyTourPlan]] = {}

    def get(name: str) -> tuple[StudyTourRequest, StudyTourPlan]:
        if name not in cache:
            req = make(**VALID[name])
            cache[name] = (req, plan_study_tour(req, bundled_sites, bundled_graph))
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(VALID))
def test_valid_requests_pass_the_independent_check(name, plans, bundled_sites, bundled_graph):
    req, plan = plans(name)
    check_plan(plan, req, bundled_sites, bundled_graph)
    assert plan.value > 0
    d = plan.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert {"groups", "buses", "sites", "staff", "warnings"} <= set(d)
    assert d["groups"][0]["stops"][0].keys() >= {"site_id", "start", "end"}


def test_joint_value_close_to_alone_bound(plans):
    _, plan = plans("junior-6-groups")
    assert plan.value >= 0.9 * plan.value_bound


def test_staff_lines_name_their_rules(plans):
    req, plan = plans("junior-6-groups")
    staff = {s.role: s for s in plan.staff}
    assert staff["teachers"].count == 12  # 6 groups of 40, one teacher per 20
    assert staff["tutors"].count == 6
    assert staff["guides"].count == 6
    assert staff["safety_officers"].count >= 1
    assert all("rule, not a fact" in s.rule for s in plan.staff)
    assert any("rule, not a fact" in r for r in plan.rules)
    floaters = sum(g.other_staff for g in plan.groups)
    assert floaters == req.staff.safety_officers + req.staff.project_leaders


def test_costs_add_up(bundled_sites, bundled_graph):
    req = make(students=80, buses=2, bus_cost_cny=1500, student_ticket_factor=0.5)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    assert plan.bus_cost_cny == 3000
    assert plan.tickets_cny == pytest.approx(sum(g.tickets_cny for g in plan.groups))
    assert plan.total_cost_cny == pytest.approx(plan.tickets_cny + 3000)
    for g in plan.groups:
        for s in g.stops:
            staff = g.people - g.students
            assert s.ticket_cny == pytest.approx(s.ticket_per_person_cny * (0.5 * g.students + staff))


def test_groups_share_a_bus_when_seats_allow(bundled_sites, bundled_graph):
    req = make(grade="primary", students=80, group_size=20, buses=2, seats=60, themes="science")
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    check_plan(plan, req, bundled_sites, bundled_graph)
    assert len(plan.buses) == 2
    assert all(len(b.groups) == 2 for b in plan.buses)


def test_same_seed_same_plan(bundled_sites, bundled_graph, plans):
    req, plan = plans("junior-6-groups")
    again = plan_study_tour(req, bundled_sites, bundled_graph, seed=0)
    assert again.to_dict() == plan.to_dict()


def test_day_value_does_not_depend_on_visit_order(bundled_sites):
    import itertools

    from tourplan.study import _day_value

    req = make(themes="science,history,nature")
    wanted = set(req.wanted_themes)
    pool = [s for s in bundled_sites if s.themes & wanted and s.category not in ("food", "transport", "hotel")]
    visited = sorted(pool, key=lambda s: s.id)[:5]
    assert len({t for s in visited for t in s.themes & wanted}) >= 2
    totals = {round(_day_value(list(order), req)[0], 9) for order in itertools.permutations(visited)}
    assert len(totals) == 1
    value, per = _day_value(visited, req)
    assert sum(per) == pytest.approx(value)
    # two sites on one theme: the one worth more alone keeps its full value even when visited second
    from tourplan.study import _site_value

    same = sorted((s for s in pool if "science" in s.themes), key=lambda s: (_site_value(s, req), s.id))
    low, high = same[0], same[-1]
    assert _site_value(high, req) > _site_value(low, req)
    _, per = _day_value([low, high], req)
    assert per[1] == pytest.approx(_site_value(high, req))
    assert per[0] < _site_value(low, req)


def test_polish_raises_the_true_value_and_stays_feasible(bundled_sites, bundled_graph, monkeypatch):
    from tourplan import study
    from tourplan.optimize import solve
    from tourplan.optimize.check import check_solution

    req = make(students=240, buses=6, themes="science,history")
    ctx = study._build(req, bundled_sites, bundled_graph)
    unit = study._assign_buses(req, study._make_groups(req))[0]
    n = len(ctx.nodes)
    zero = np.zeros((n, study._NSLOTS))
    zg = np.zeros((n, study._NSLOTS), dtype=np.int64)
    captured: dict[str, Any] = {}

    def spy(problem, **kw):  # type: ignore[no-untyped-def]
        captured["problem"] = problem
        captured["raw"] = solve(problem, **kw)
        return captured["raw"]

    monkeypatch.setattr(study, "solve", spy)
    gains = []
    for seed in range(3):
        res = study._solve_unit(ctx, unit, zero, zg, seed)
        problem, raw = captured["problem"], captured["raw"]
        assert not check_solution(problem, [list(res.route)])
        before = study._route_value(ctx, raw.routes[0])
        assert res.value >= before - 1e-9
        gains.append(res.value - before)
    # the engine's additive scores miss diminishing returns; the polish finds what they hide
    assert max(gains) > 0


# ---------------------------------------------------------------------------
# Capacity and public load


def test_public_load_reduces_capacity(bundled_sites, bundled_graph):
    sid = "nsbd_fangzhi_museum"
    cap = bundled_sites[sid].capacity_instant
    # Leave room for one bus group (45 people) from 09:00 on; 30-minute slots from 06:00.
    public = {"counts": {sid: [cap - 60] * 30}, "slot_minutes": 30, "day_start": "06:00"}
    req = make(students=120, buses=3, require=sid, public_load=public, day_end="18:00")
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    check_plan(plan, req, bundled_sites, bundled_graph)
    load = recount(plan, req.public_load)[sid]
    assert load.max() <= cap
    # At most one group in the museum at a time, so the three 2-hour visits are staggered.
    starts = sorted(s.start for g in plan.groups for s in g.stops if s.site_id == sid)
    assert len(starts) == 3
    assert all(b - a >= 120 for a, b in zip(starts, starts[1:], strict=False))


def test_public_load_too_high_for_all_groups_names_capacity(bundled_sites, bundled_graph):
    sid = "nsbd_fangzhi_museum"
    cap = bundled_sites[sid].capacity_instant
    public = {"counts": {sid: [cap - 60] * 96}}
    req = make(require=sid, public_load=public)  # six 2-hour visits, one group at a time
    with pytest.raises(InfeasibleRequestError, match=r"expected public load up to 1640.*fix: fewer groups"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_tight_site_is_staggered(bundled_sites, bundled_graph):
    sid = "yazheng_history_museum"  # capacity 52: one group at a time
    req = make(grade="primary", students=120, group_size=40, buses=3, require=sid)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    check_plan(plan, req, bundled_sites, bundled_graph)
    visits = sorted((s.start, s.end) for g in plan.groups for s in g.stops if s.site_id == sid)
    assert len(visits) == 3
    for (_, e1), (s2, _) in zip(visits, visits[1:], strict=False):
        assert s2 // SLOT > (e1 - 1) // SLOT  # no shared 15-minute slot


def test_too_many_groups_for_a_required_site_names_capacity(bundled_sites, bundled_graph):
    req = make(grade="primary", students=480, group_size=40, buses=12, require="yazheng_history_museum")
    with pytest.raises(InfeasibleRequestError, match=r"capacity_instant.*fix: fewer groups"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_group_bigger_than_a_required_site(bundled_sites, bundled_graph):
    req = make(
        grade="primary", students=100, group_size=50, buses=2, seats=60, require="yazheng_history_museum"
    )
    with pytest.raises(InfeasibleRequestError, match=r"holds 52 visitors at once .* smaller groups"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_everything_full_names_capacity(bundled_sites, bundled_graph):
    full = {"counts": {s.id: [s.capacity_instant] * 96 for s in bundled_sites}, "slot_minutes": 15}
    req = make(students=80, buses=2, public_load=full)
    with pytest.raises(InfeasibleRequestError, match="site capacity"):
        plan_study_tour(req, bundled_sites, bundled_graph)


# ---------------------------------------------------------------------------
# Other binding constraints


def test_closed_required_site_says_when_it_opens(bundled_sites, bundled_graph):
    req = make(date=MONDAY, require="nsbd_fangzhi_museum")
    with pytest.raises(InfeasibleRequestError, match=r"closed on 2026-05-11 \(Monday\).*open on 2026-05-12"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_ride_too_long_for_the_grade_band(bundled_sites, bundled_graph):
    req = make(require="hanyu_tomb_xiguo")
    with pytest.raises(InfeasibleRequestError, match=r"over the 90-min limit .* rule, not a fact"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_far_site_and_lunch_do_not_fit_the_day_packed_lunch_warning(bundled_sites, bundled_graph):
    # 106 min each way; lunch in town (11:30-13:00 start) and back by 17:00 cannot all be met.
    req = make(grade="senior", students=40, buses=1, require="hanyu_tomb_xiguo", lunch_site="xinhua_street")
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    check_plan(plan, req, bundled_sites, bundled_graph)
    assert not plan.groups[0].has_lunch
    assert any("bring packed lunches" in w for w in plan.warnings)


def test_bus_seats_too_few_says_what_fits(bundled_sites, bundled_graph):
    req = make(buses=5)  # 6 groups of 44 people, 53-seat buses carry one each
    with pytest.raises(InfeasibleRequestError, match=r"bus seats too few.*1 more bus"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_group_bigger_than_a_bus(bundled_sites, bundled_graph):
    req = make(group_size=60, buses=4, seats=53)
    with pytest.raises(InfeasibleRequestError, match=r"a group is 65 people .* more bus"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_lunch_together_needs_a_big_enough_site(bundled_sites, bundled_graph):
    req = make(lunch="together", lunch_site="heping_street", students=800, buses=20)  # 600 seats
    with pytest.raises(InfeasibleRequestError, match=r"no lunch site seats the whole school.*600"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_unknown_site_ids_are_request_errors(bundled_sites, bundled_graph):
    req = make(require="nowhere", exclude="nothing")
    with pytest.raises(RequestValidationError) as err:
        plan_study_tour(req, bundled_sites, bundled_graph)
    assert set(err.value.errors) == {"require", "exclude"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"grade": "college", "students": 0}, {"grade", "students"}),
        ({"date": "12/05/2026", "seats": "many"}, {"date", "seats"}),
        ({"themes": "science,shopping", "products": "观光型"}, {"themes", "products"}),
        ({"day_start": "18:00", "day_end": "08:00"}, {"day_end"}),
        ({"group_size": 40, "groups": 6}, {"group_size"}),
        ({"require": "jiaozuo_museum", "exclude": "jiaozuo_museum"}, {"require"}),
        ({"lunch": "banquet", "bogus": 1}, {"lunch", "bogus"}),
        ({"grade": "junior", "grade_years": "7"}, {"grade_years"}),
        ({"staff": {"safety_officers": 0}}, {"staff.safety_officers"}),
        ({"public_load": {"counts": {"jiaozuo_museum": [-1]}}}, {"public_load"}),
    ],
)
def test_from_dict_names_every_bad_field(changes, fields):
    with pytest.raises(RequestValidationError) as err:
        make(**changes)
    assert fields <= set(err.value.errors)


def test_usual_grade_years_warning(bundled_sites, bundled_graph):
    req = make(grade="primary", grade_years="2", students=40, buses=1, themes="nature")
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    assert any("教基一〔2016〕8号" in w for w in plan.warnings)


def test_public_load_slots_convert():
    pl = PublicLoad({"a": [10, 20]}, slot_minutes=60, day_start=9 * 60)
    per = pl.per_slot("a")
    assert per[9 * 4 : 10 * 4].tolist() == [10] * 4
    assert per[10 * 4 : 11 * 4].tolist() == [20] * 4
    assert per.sum() == 120


# ---------------------------------------------------------------------------
# Views


def test_print_html_escapes_the_school_name(bundled_sites, bundled_graph):
    req = make(school="<script>alert(1)</script>", students=40, buses=1)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    page = render_print_html(plan)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "@media print" in page
    assert plan.groups[0].stops[0].name_zh in page


# ---------------------------------------------------------------------------
# CLI


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_json_text_and_html(runner, tmp_path):
    args = ["study-tour", "--school", "焦作一中", "--grade", "junior", "--students", "80", "--group-size", "40",
            "--buses", "2", "--seats", "53", "--date", TUESDAY, "--themes", "science,history"]  # fmt: skip
    r = runner.invoke(main, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [g["students"] for g in data["groups"]] == [40, 40]
    assert {g["bus"] for g in data["groups"]} == {"B1", "B2"}
    stop = data["groups"][0]["stops"][0]
    assert dt.datetime.strptime(stop["start"], "%H:%M")
    assert {"buses", "sites", "staff", "warnings"} <= set(data)
    page = tmp_path / "plan.html"
    r = runner.invoke(main, [*args, "--format", "text", "--html", str(page)])
    assert r.exit_code == 0, r.output
    assert "Bus B1" in r.stdout
    assert "焦作一中" in page.read_text(encoding="utf-8")


def test_cli_infeasible_is_one_line(runner):
    r = runner.invoke(
        main,
        ["study-tour", "--school", "X", "--grade", "junior", "--students", "240", "--group-size", "40",
         "--buses", "5", "--seats", "53", "--date", TUESDAY, "--themes", "science,history", "--format", "json"],
    )  # fmt: skip
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "bus seats too few" in r.stderr


def test_plan_round_trips_through_its_saved_form(bundled_sites, bundled_graph):
    req = make(students=120, buses=3)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    saved = json.loads(json.dumps(plan.to_dict()))  # as the store keeps it
    again = StudyTourPlan.from_dict(saved, req)
    assert again.to_dict() == saved
    assert render_print_html(again) == render_print_html(plan)
    assert [s.lat for g in again.groups for s in g.stops] == [s.lat for g in plan.groups for s in g.stops]


def test_from_dict_names_an_incomplete_saved_form(bundled_sites, bundled_graph):
    req = make(students=40, buses=1)
    saved = plan_study_tour(req, bundled_sites, bundled_graph).to_dict()
    for g in saved["groups"]:
        for s in g["stops"]:
            del s["lat"]
    with pytest.raises(RequestValidationError, match="result"):
        StudyTourPlan.from_dict(saved, req)
