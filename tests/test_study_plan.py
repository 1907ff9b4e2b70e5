"""Planning study tours: valid requests pass the independent check (tests/planning.py)."""

from __future__ import annotations

import json

import pytest
from planning import check_plan, make

from tourplan.study import (
    StudyTourPlan,
    StudyTourRequest,
    plan_study_tour,
)

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
    assert plan.value_upper_bound is not None
    assert plan.value <= plan.value_upper_bound + 1e-6
    if plan.bound_exact:  # a bound cut short by its time budget is valid but looser
        assert plan.value >= 0.9 * plan.value_upper_bound


def test_staff_lines_name_their_rules(plans):
    req, plan = plans("junior-6-groups")
    staff = {s.role: s for s in plan.staff}
    assert staff["teachers"].count == 12  # 6 groups of 40, one teacher per 20
    assert staff["tutors"].count == 6
    assert staff["guides"].count == 6
    assert staff["safety_officers"].count >= 1
    assert all("rule, not a fact" in str(s.rule) and "是规则而非事实" in s.rule.render("zh") for s in plan.staff)
    assert any("rule, not a fact" in str(r) for r in plan.rules)
    floaters = sum(g.other_staff for g in plan.groups)
    assert floaters == req.staff.safety_officers + req.staff.project_leaders


def test_costs_add_up(bundled_sites, bundled_graph):
    req = make(students=80, buses=2, bus_cost_cny=1500, student_ticket_factor=0.5)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    assert plan.bus_cost_cny == 3000
    assert plan.tickets_cny == pytest.approx(sum(g.tickets_cny for g in plan.groups))
    assert plan.total_cost_cny == pytest.approx(plan.tickets_cny + 3000)
    for g in plan.groups:
        assert g.tickets_cny == pytest.approx(sum(s.ticket_cny for s in g.stops))


def test_same_seed_same_plan(bundled_sites, bundled_graph, plans):
    req, plan = plans("junior-6-groups")
    again = plan_study_tour(req, bundled_sites, bundled_graph, seed=0)
    assert again.to_dict() == plan.to_dict()


def test_usual_grade_years_warning(bundled_sites, bundled_graph):
    req = make(grade="primary", grade_years="2", students=40, buses=1, themes="nature")
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    (note,) = [w for w in plan.warnings if w.code == "study_grade_unusual"]
    assert "教基一〔2016〕8号" in note.render("zh") and "本次为 2 年级" in note.render("zh")
