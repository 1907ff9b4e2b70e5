"""Why a study tour cannot be planned: the binding constraint and its fix."""

from __future__ import annotations

import pytest
from planning import MONDAY, check_plan, make

from tourplan.errors import InfeasibleRequestError, RequestValidationError
from tourplan.study import (
    plan_study_tour,
)


def test_public_load_too_high_for_all_groups_names_capacity(bundled_sites, bundled_graph):
    sid = "nsbd_fangzhi_museum"
    cap = bundled_sites[sid].capacity_instant
    public = {"counts": {sid: [cap - 60] * 96}}
    req = make(require=sid, public_load=public)  # six 2-hour visits, one group at a time
    with pytest.raises(InfeasibleRequestError, match=r"expected public up to 1640.*fix: fewer “Students in all”") as exc:
        plan_study_tour(req, bundled_sites, bundled_graph)
    zh = exc.value.text("zh")
    assert zh.startswith("无法安排这次研学：") and "预计游客最多 1640 人" in zh and "“学生总数”" in zh


def test_too_many_groups_for_a_required_site_names_capacity(bundled_sites, bundled_graph):
    req = make(grade="primary", students=480, group_size=40, buses=12, require="yazheng_history_museum")
    with pytest.raises(InfeasibleRequestError, match=r"holds \d+ visitors at once.*fix: fewer “Students in all”"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_group_bigger_than_a_required_site(bundled_sites, bundled_graph):
    req = make(
        grade="primary", students=100, group_size=50, buses=2, seats=60, require="yazheng_history_museum"
    )
    with pytest.raises(InfeasibleRequestError, match=r"holds 52 visitors at once .* raise “Groups \(classes\)”") as exc:
        plan_study_tour(req, bundled_sites, bundled_graph)
    (refused,) = exc.value.messages
    (why,) = refused.params["reasons"]
    assert why.code == "study_required_small" and why.params["fit"] < 50
    assert f"每组不超过 {why.params['fit']} 名学生" in exc.value.text("zh")


def test_everything_full_names_capacity(bundled_sites, bundled_graph):
    full = {"counts": {s.id: [s.capacity_instant] * 96 for s in bundled_sites}, "slot_minutes": 15}
    req = make(students=80, buses=2, public_load=full)
    with pytest.raises(InfeasibleRequestError, match="site capacity"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_closed_required_site_says_when_it_opens(bundled_sites, bundled_graph):
    req = make(date=MONDAY, require="nsbd_fangzhi_museum")
    with pytest.raises(InfeasibleRequestError, match=r"closed on 2026-05-11 \(Mon;.*open on 2026-05-12, Tue") as exc:
        plan_study_tour(req, bundled_sites, bundled_graph)
    assert "2026-05-11（周一）不开放" in exc.value.text("zh") and "可以改“日期”（2026-05-12 周二开放）" in exc.value.text("zh")


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
    (note,) = [w for w in plan.warnings if w.code == "study_bus_no_lunch"]
    assert "bring packed lunches" in note.render("en") and "请自带午餐" in note.render("zh")


def test_lunch_together_needs_a_big_enough_site(bundled_sites, bundled_graph):
    req = make(lunch="together", lunch_site="heping_street", students=800, buses=20)  # 600 seats
    with pytest.raises(InfeasibleRequestError, match=r"no lunch site seats the whole school.*600"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_unknown_site_ids_are_request_errors(bundled_sites, bundled_graph):
    req = make(require="nowhere", exclude="nothing")
    with pytest.raises(RequestValidationError) as err:
        plan_study_tour(req, bundled_sites, bundled_graph)
    assert set(err.value.errors) == {"require", "exclude"}
