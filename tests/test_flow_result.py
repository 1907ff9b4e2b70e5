"""Tests of the result types (tourplan.flow.result): alerts, JSON forms, the public load."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest

from tourplan.errors import RequestValidationError
from tourplan.flow import FixedArrival, FlowResult, Scenario, simulate, tier
from tourplan.study import PublicLoad, StudyTourRequest, plan_study_tour

DATE = dt.date(2026, 10, 3)


def test_alert_tiers_and_overload(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    r = simulate(Scenario(date=DATE, visitors=40_000), bundled_sites, bundled_graph, seed=1, plans=flow_plans)
    levels = {a.level for a in r.alerts}
    assert "red" in levels
    for a in r.alerts:
        # Whole percent of the people at the site (inside + queueing): yellow 80-89, orange 90-100, red over 100.
        pct = math.floor(100 * a.ratio + 1e-7)
        lo, hi = {"yellow": (80, 89), "orange": (90, 100), "red": (101, math.inf)}[a.level]
        assert lo <= pct <= hi, a
        assert a.level == tier(pct)
    # Red exactly where the whole percent of people at the site passes 100: a queue at its full gate.
    cap = r.capacity_instant[:, None]
    red = {(a.site_id, a.slot_start) for a in r.alerts if a.level == "red"}
    over = np.argwhere((cap > 0) & (100 * r.load >= 101 * cap))
    assert red == {(r.site_ids[i], int(r.slot_starts[j])) for i, j in over}
    assert all(r.queue[r.index(sid), (t - r.day_start) // r.slot_minutes] > 0 for sid, t in red)
    assert (r.load >= r.peak).all() and r.ratio().max() > 1.5, "demand shows past 100 %, not capped"
    assert r.queue.max() > 0
    d = json.loads(json.dumps(r.to_dict()))
    assert d["slot_minutes"] == 15
    assert d["visitors"] == 40_000
    some = next(iter(d["sites"].values()))
    assert len(some["occupancy"]) == len(some["queue"]) == r.n_slots


def test_public_load_for_the_study_planner(flow_run) -> None:  # type: ignore[no-untyped-def]
    load = flow_run.public_load()
    assert load.slot_minutes == 15
    assert load.day_start == 360
    assert set(load) == set(flow_run.site_ids)
    assert load["jiaozuo_museum"].shape == (flow_run.n_slots,)


def test_area_alerts_and_map_levels(bundled_sites, bundled_graph, flow_plans, flow_run) -> None:  # type: ignore[no-untyped-def]
    # 陈家沟: C0 1,200 for the village, its hall (500) and street (1,800) each below their own C0.
    booked = (
        FixedArrival("chenjiagou_taiji_ancestral_hall", 600.0, 700.0, 300),
        FixedArrival("chenjiagou_taiji_street", 600.0, 700.0, 1000),
    )
    sc = Scenario(date=DATE, visitors=0, fixed_arrivals=booked)
    r = simulate(sc, bundled_sites, bundled_graph, seed=1, plans=flow_plans)
    c = r.areas.index("chenjiagou")
    assert r.areas.peak[c].max() == 1300
    red = [a for a in r.areas.alerts if a.site_id == "chenjiagou" and a.level == "red"]
    assert red and all(600 - 15 < a.slot_start < 700 for a in red)
    parts_alerts = {a.site_id for a in r.alerts} & {
        "chenjiagou_taiji_ancestral_hall",
        "chenjiagou_taiji_street",
    }
    assert not parts_alerts, "each part alone stays below its own C0"
    d = json.loads(json.dumps(r.to_dict()))
    assert set(d["areas"]) == set(r.areas.area_ids)
    assert d["area_alerts"] and all(a["scope"] == "area" for a in d["area_alerts"])
    d = json.loads(json.dumps(flow_run.to_dict()))
    by_area = flow_run.to_dict(level="area")["sites"]
    assert "yuntai_hongshixia" not in by_area
    assert by_area["yuntai_mountain"]["scope"] == "area"
    assert by_area["yuntai_mountain"]["capacity_instant"] == 40_500
    assert "yuntai_hongshixia" in d["sites"]
    with pytest.raises(RequestValidationError, match="level"):
        r.to_dict(level="county")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the public load feeds the study-tour planner
# The check is independent of both planners: it recounts people per site and
# 15-minute slot from the study plan's group timetables, adds the simulated
# public visitors slot by slot (converted here from the flow's time axis),
# and compares with the site's C0 from the site table.

TUESDAY = dt.date(2026, 5, 12)  # a Tuesday, open museums, school trips allowed
SITE = "tianhe_park_shuixiu_section"  # C0 800; the simulated public fills it mid-morning and late afternoon
SLOT = 15
N_SLOTS = 24 * 60 // SLOT


@pytest.fixture(scope="module")
def tuesday_run(bundled_sites, bundled_graph) -> FlowResult:  # type: ignore[no-untyped-def]
    # 15,000 visitors fill it for about 3 hours (13 slots) and leave room in 24 slots of 09:00-17:00 (seed 3)
    return simulate(Scenario(date=TUESDAY, visitors=15_000), bundled_sites, bundled_graph, seed=3)


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


def test_public_load_converts_to_the_study_form(tuesday_run: FlowResult) -> None:
    load = tuesday_run.public_load()
    study = PublicLoad(**load.to_dict())
    assert study.slot_minutes == tuesday_run.slot_minutes
    assert study.day_start == tuesday_run.day_start == 360
    i = tuesday_run.index(SITE)
    assert list(study.counts[SITE]) == [float(x) for x in tuesday_run.peak[i]]
    # The parent's row carries the whole area by default (its C0 is the area's).
    y = tuesday_run.areas.index("yuntai_mountain")
    assert list(study.counts["yuntai_mountain"]) == [float(x) for x in tuesday_run.areas.peak[y]]
    alone = tuesday_run.public_load(areas=False)
    assert np.array_equal(alone["yuntai_mountain"], tuesday_run.peak[tuesday_run.index("yuntai_mountain")])


def test_study_plan_avoids_the_simulated_peak(tuesday_run: FlowResult, bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    cap = bundled_sites[SITE].capacity_instant
    public = _public_per_day_slot(tuesday_run, SITE)
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
            "date": TUESDAY.isoformat(),
            "themes": "science,nature",
            "require": SITE,
            "public_load": tuesday_run.public_load().to_dict(),
        }
    )
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    groups = _recount(plan, SITE)
    assert groups.sum() > 0, "the required site is visited"
    total = groups + public
    worst = int(np.argmax(total))
    assert total[worst] <= cap, f"{SITE}: {total[worst]:.0f} > C0 {cap} at slot {worst}"
    assert not (groups[full] > 0).any(), "a group is booked into a slot the public fills"


# --------------------------------------------------------------------------- what the dashboard reads


def test_dashboard_keys(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    r = simulate(Scenario(date=DATE, visitors=40_000), bundled_sites, bundled_graph, seed=1, plans=flow_plans)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["timezone"] == "Asia/Shanghai"
    # Whole numbers of people everywhere; the map's pct series gives the alerts' tiers slot by slot.
    alert_level = {(a["site_id"], a["slot_start"]): a["level"] for a in d["alerts"]}
    for sid, row in d["sites"].items():
        for key in ("occupancy", "peak", "queue", "load", "arrivals", "pct"):
            assert all(isinstance(x, int) for x in row[key]), (sid, key)
        for j, pct in enumerate(row["pct"]):
            t = r.slot_starts[j]
            expect = alert_level.get((sid, f"{t // 60:02d}:{t % 60:02d}"), "normal")
            assert tier(pct) == expect, (sid, j)
    # Episodes: the alert slots of each site grouped into runs, ranked by severity x duration.
    eps = d["episodes"]
    assert eps and {"site_id", "level", "start", "end", "peak_pct", "peak", "duration_minutes"} <= set(eps[0])
    assert sum(e["duration_minutes"] for e in eps) == 15 * len(d["alerts"])
    weight = {"yellow": 1, "orange": 2, "red": 3}
    scores = [weight[e["level"]] * e["duration_minutes"] for e in eps]
    assert scores == [e["score"] for e in eps] == sorted(scores, reverse=True)
    for e in eps:
        i = r.index(e["site_id"])
        assert e["peak"] == max(r.load[i, (_min(e["start"]) - 360) // 15 : (_min(e["end"]) - 360) // 15])
        assert e["peak_pct"] == math.floor(100 * e["peak"] / r.capacity_instant[i])
    # The busiest sites by share of C0, not capped at 100 %.
    busiest = d["busiest"]
    assert busiest[0]["peak_pct"] > 100
    assert [b["peak_pct"] for b in busiest] == sorted((b["peak_pct"] for b in busiest), reverse=True)
    # Arrivals by entry point: every visitor who starts within the horizon, per slot.
    assert set(d["entries"]) == {e.name for e in r.scenario.entries_used}
    assert sum(map(sum, d["entries"].values())) == r.visitors
    assert d["measures"]["active"] is False and d["turned_away"] == 0


def _min(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)
