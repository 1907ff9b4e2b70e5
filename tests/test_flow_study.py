"""The visitor-flow forecast feeds the study-tour planner (tourplan.flow -> tourplan.study).

The check here is independent of both planners: it recounts people per
site and 15-minute slot from the study plan's group timetables, adds the
simulated public visitors slot by slot (converted here from the flow's time
axis), and compares with the site's C0 from the site table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from tourplan.flow import FlowResult, Scenario, simulate
from tourplan.study import PublicLoad, StudyTourRequest, plan_study_tour

DATE = dt.date(2026, 5, 12)  # a Tuesday, open museums, school trips allowed
SITE = "tianhe_park_shuixiu_section"  # C0 800; the simulated public fills it mid-morning and late afternoon
SLOT = 15
N_SLOTS = 24 * 60 // SLOT


@pytest.fixture(scope="module")
def flow(bundled_sites, bundled_graph) -> FlowResult:  # type: ignore[no-untyped-def]
    # 15,000 visitors fill it for about 3 hours (13 slots) and leave room in 24 slots of 09:00-17:00 (seed 3)
    return simulate(Scenario(date=DATE, visitors=15_000), bundled_sites, bundled_graph, seed=3)


def _public_per_day_slot(result: FlowResult, site_id: str) -> np.ndarray:
    """The flow's peak inside per slot on a whole-day 15-minute axis (slot k = 00:00 + 15 k)."""
    out = np.zeros(N_SLOTS)
    peak = result.peak[result.index(site_id)]
    for j, v in enumerate(peak):
        a = result.day_start + j * result.slot_minutes
        for k in range(a // SLOT, (a + result.slot_minutes - 1) // SLOT + 1):
            if 0 <= k < N_SLOTS:
                out[k] = max(out[k], float(v))
    return out


def _recount(plan: Any, site_id: str) -> np.ndarray:
    load = np.zeros(N_SLOTS)
    for g in plan.groups:
        for s in g.stops:
            if s.site_id != site_id:
                continue
            for k in range(N_SLOTS):
                if k * SLOT < s.end and s.start < (k + 1) * SLOT:
                    load[k] += g.people
    return load


def test_public_load_converts_to_the_study_form(flow: FlowResult) -> None:
    load = flow.public_load()
    study = PublicLoad(**load.to_dict())
    assert study.slot_minutes == flow.slot_minutes
    assert study.day_start == flow.day_start == 360
    i = flow.index(SITE)
    assert list(study.counts[SITE]) == [float(x) for x in flow.peak[i]]
    # The parent's row carries the whole area by default (its C0 is the area's).
    y = flow.areas.index("yuntai_mountain")
    assert list(study.counts["yuntai_mountain"]) == [float(x) for x in flow.areas.peak[y]]
    alone = flow.public_load(areas=False)
    assert np.array_equal(alone["yuntai_mountain"], flow.peak[flow.index("yuntai_mountain")])


def test_study_plan_avoids_the_simulated_peak(flow: FlowResult, bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    cap = bundled_sites[SITE].capacity_instant
    public = _public_per_day_slot(flow, SITE)
    full = public >= cap
    # The forecast really fills the site for part of the opening hours (else the test proves nothing)
    # and leaves room at other times.
    assert full.sum() >= 4
    assert (public[9 * 4 : 17 * 4] + 50 <= cap).any()
    req = StudyTourRequest.from_dict(
        {
            "school": "焦作市第一中学",
            "grade": "junior",
            "students": 80,
            "group_size": 40,
            "buses": 2,
            "seats": 53,
            "date": DATE.isoformat(),
            "themes": "science,nature",
            "require": SITE,
            "public_load": flow.public_load().to_dict(),
        }
    )
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    groups = _recount(plan, SITE)
    assert groups.sum() > 0, "the required site is visited"
    total = groups + public
    worst = int(np.argmax(total))
    assert total[worst] <= cap, f"{SITE}: {total[worst]:.0f} > C0 {cap} at slot {worst}"
    assert not (groups[full] > 0).any(), "a group is booked into a slot the public fills"
