"""Bus seats and site capacity: groups on buses, visitors per site and slot."""

from __future__ import annotations

import pytest
from planning import SLOT, check_plan, make, recount

from tourplan.errors import InfeasibleRequestError
from tourplan.study import (
    plan_study_tour,
)


def test_groups_share_a_bus_when_seats_allow(bundled_sites, bundled_graph):
    req = make(grade="primary", students=80, group_size=20, buses=2, seats=60, themes="science")
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    check_plan(plan, req, bundled_sites, bundled_graph)
    assert len(plan.buses) == 2
    assert all(len(b.groups) == 2 for b in plan.buses)


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


def test_tight_site_is_staggered(bundled_sites, bundled_graph):
    sid = "yazheng_history_museum"  # capacity 52: one group at a time
    req = make(grade="primary", students=120, group_size=40, buses=3, require=sid)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    check_plan(plan, req, bundled_sites, bundled_graph)
    visits = sorted((s.start, s.end) for g in plan.groups for s in g.stops if s.site_id == sid)
    assert len(visits) == 3
    for (_, e1), (s2, _) in zip(visits, visits[1:], strict=False):
        assert s2 // SLOT > (e1 - 1) // SLOT  # no shared 15-minute slot


def test_bus_seats_too_few_says_what_fits(bundled_sites, bundled_graph):
    req = make(buses=5)  # 6 groups of 44 people, 53-seat buses carry one each
    with pytest.raises(InfeasibleRequestError, match=r"bus seats too few.*1 more bus"):
        plan_study_tour(req, bundled_sites, bundled_graph)


def test_group_bigger_than_a_bus(bundled_sites, bundled_graph):
    req = make(group_size=60, buses=4, seats=53)
    with pytest.raises(InfeasibleRequestError, match=r"a group is 65 people .* more bus"):
        plan_study_tour(req, bundled_sites, bundled_graph)
