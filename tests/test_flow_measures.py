"""Tests of the countermeasures (tourplan.flow.measures, the core's quotas and caps) and of compare()."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.errors import RequestValidationError
from tourplan.flow import Measures, Scenario, compare, lbt_quota, simulate
from tourplan.flow import _core as core
from tourplan.flow.engine import Controls, SiteArrays, Stops, run

DATE = dt.date(2026, 10, 3)
WEEKDAY = dt.date(2026, 5, 12)


def _one_site_run(
    n: int, *, c0: int, quota: int, dwell: float, cap: int = -1, alt: int = -1, patience: float = 1e9
) -> tuple[Stops, object]:
    """``n`` visitors arriving at minute 600 at site 0 (site 1 is the alternative), 15-minute entry slots."""
    stops = Stops(
        v_ptr=np.arange(n + 1, dtype=np.int64),
        v_start=np.full(n, 600.0),
        v_entry=np.zeros(n, dtype=np.int64),
        v_mode=np.zeros(n, dtype=np.int64),
        st_site=np.zeros(n, dtype=np.int64),
        st_dwell=np.full(n, dwell),
        st_earliest=np.full(n, -1.0),
        st_status=np.full(n, core.PENDING, dtype=np.int8),
    )
    sites = SiteArrays(
        travel=np.zeros((1, 2, 2)),
        open_lo=np.zeros((2, 1)),
        open_hi=np.full((2, 1), 1440.0),
        n_open=np.ones(2, dtype=np.int64),
        capacity=np.array([c0, 1000], dtype=np.int64),
    )
    q = np.full((2, 97), -1, dtype=np.int64)
    q[0] = quota
    ctl = Controls(
        q, 15.0, np.array([cap, -1], dtype=np.int64), np.full(n, alt, dtype=np.int64),
        np.full(2, -1, dtype=np.int64), np.zeros(0, dtype=np.int64),
    )  # fmt: skip
    return stops, run(stops, sites, patience, controls=ctl)


def test_quota_shifts_to_the_next_slot_with_room() -> None:
    # C0 10, 5 entries a slot, stays of 30 min: 5 at 10:00, 5 at 10:15, 2 at 10:30 (the first 5 have left).
    stops, out = _one_site_run(12, c0=10, quota=5, dwell=30.0)
    assert sorted(out.admit.tolist()) == [600.0] * 5 + [615.0] * 5 + [630.0] * 2  # type: ignore[attr-defined]
    assert (stops.st_status == core.VISITED).all()
    assert out.counts[0, core.C_SHIFTED] == 7  # type: ignore[attr-defined]
    assert sorted(out.shift.tolist()) == [0.0] * 5 + [15.0] * 5 + [30.0] * 2  # type: ignore[attr-defined]


def test_a_full_site_under_quota_shifts_instead_of_queueing() -> None:
    # Quota 10 a slot but C0 4 and stays of 20 min: nobody ever waits at the gate.
    stops, out = _one_site_run(10, c0=4, quota=10, dwell=20.0)
    admit = np.sort(out.admit)  # type: ignore[attr-defined]
    assert (stops.st_status == core.VISITED).all()
    assert np.array_equal(out.admit, out.arrive)  # type: ignore[attr-defined]
    for t in admit:  # never more than C0 inside
        assert ((admit <= t) & (admit + 20.0 > t)).sum() <= 4


def test_daily_cap_diverts_to_the_alternative_or_refuses() -> None:
    stops, out = _one_site_run(6, c0=100, quota=-1, dwell=30.0, cap=4, alt=1)
    assert np.count_nonzero((stops.st_status == core.VISITED) & (stops.st_site == 0)) == 4
    diverted = stops.st_site == 1
    assert diverted.sum() == 2 and (stops.st_status[diverted] == core.VISITED).all()
    assert out.counts[0, core.C_DAILY] == 2 and out.counts[0, core.C_REFUSED] == 2  # type: ignore[attr-defined]
    stops, out = _one_site_run(6, c0=100, quota=-1, dwell=30.0, cap=4)
    assert np.count_nonzero(stops.st_status == core.REFUSED) == 2


def test_patience_bounds_the_shift() -> None:
    # Quota 1 a slot, patience 20 min: the first gets in, the second waits a slot, the rest are refused.
    stops, _ = _one_site_run(5, c0=100, quota=1, dwell=5.0, patience=20.0)
    assert np.count_nonzero(stops.st_status == core.VISITED) == 2
    assert np.count_nonzero(stops.st_status == core.REFUSED) == 3


def test_lbt_quota() -> None:
    assert lbt_quota(40_500, 300, 15) == 2025
    assert lbt_quota(100, 0, 15) == 0
    assert lbt_quota(3, 600, 15) == 1


@pytest.mark.parametrize(
    ("measures", "field"),
    [
        ({"timed_entry": "yes"}, "measures.timed_entry"),
        ({"quotas": {"jiaozuo_museum": -3}}, "measures.quotas"),
        ({"quotas": [1, 2]}, "measures.quotas"),
        ({"daily_caps": {"jiaozuo_museum": 2.5}}, "measures.daily_caps"),
        ({"group_shift_minutes": 600}, "measures.group_shift_minutes"),
        ({"lottery": True}, "measures.lottery"),
        ("all", "measures"),
    ],
)
def test_bad_measures_are_named(measures: object, field: str) -> None:
    with pytest.raises(RequestValidationError) as exc:
        Scenario.from_dict({"date": "2026-10-03", "visitors": "x", "measures": measures})
    assert field in exc.value.errors
    assert "visitors" in exc.value.errors, "the other fields are checked too"


def test_measures_from_dict_and_unknown_sites(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    spec = {"timed_entry": True, "quotas": {"jiaozuo_museum": "40"}, "daily_caps": {"atlantis": 5}}
    sc = Scenario.from_dict({"date": "2026-10-03", "visitors": 10, "measures": spec})
    assert sc.measures == Measures(True, (("jiaozuo_museum", 40),), (("atlantis", 5),), 0)
    assert Measures.from_dict(sc.measures.to_dict()) == sc.measures
    with pytest.raises(RequestValidationError) as exc:
        simulate(sc, bundled_sites, bundled_graph, plans=flow_plans)
    assert "atlantis" in exc.value.errors["measures.daily_caps"]


def _accounted(r) -> None:  # type: ignore[no-untyped-def]
    assert r.finished + r.inside_at_end + r.measures.turned_away == r.visitors
    log = r.log
    admitted = np.zeros(r.visitors, dtype=bool)
    admitted[log.visitor[log.status == 0]] = True
    refused = np.zeros(r.visitors, dtype=bool)
    refused[log.visitor[log.status == core.REFUSED]] = True
    assert r.measures.turned_away <= np.count_nonzero(~admitted)
    assert r.daily_visits.sum() == np.count_nonzero(log.status == 0)


def test_timed_entry_keeps_every_site_within_c0(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    base = Scenario(date=DATE, visitors=12_000)
    planned = simulate(base, bundled_sites, bundled_graph, seed=2, plans=flow_plans)
    timed = dataclasses.replace(base, measures=Measures(timed_entry=True))
    r = simulate(timed, bundled_sites, bundled_graph, seed=2, plans=flow_plans, keep_log=True)
    cap = r.capacity_instant[:, None]
    assert ((planned.load > cap) & (cap > 0)).any(), "without measures some site is over C0"
    assert not ((r.load > cap) & (cap > 0)).any()
    assert all(e.level != "red" for e in r.episodes())
    assert r.areas.ratio().max() <= 1.0, "parent areas are gated as a whole"
    m = r.measures
    assert m.active and m.quota_sites > 40 and m.shifted > 0
    assert m.shifted == r.shifted.sum() and m.diverted + m.skipped <= r.refused.sum()
    _accounted(r)
    # Entries per site and 15-minute slot stay within the LB/T quota; recounted from the log.
    log = r.log
    for s in bundled_sites:
        q = lbt_quota(s.capacity_instant, s.visit_minutes, 15)
        if q == 0 or s.category in ("transport", "hotel"):
            continue
        i = r.index(s.id)
        ok = (log.status == 0) & (log.site == i)
        per_slot = np.bincount((log.admit[ok] // 15).astype(np.int64))
        assert per_slot.max(initial=0) <= q, s.id
    # The comparison: the planned run is the run without measures, its red episodes are eased.
    c = compare(planned, r).to_dict()
    assert c["planned"]["episodes"]["red"] > 0 and c["measured"]["episodes"]["red"] == 0
    red = [e for e in c["episodes"] if e["level"] == "red"]
    assert red and all(e["removed"] and e["after"] != "red" and e["after_pct"] <= 100 for e in red)
    assert c["measured"]["max_queue"] == 0 < c["planned"]["max_queue"]
    assert c["measures"]["timed_entry"] is True and c["measures"]["shifted"] == m.shifted


def test_daily_cap_and_quota_on_chosen_sites(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    base = Scenario(date=DATE, visitors=8000)
    plain = simulate(base, bundled_sites, bundled_graph, seed=4, plans=flow_plans)
    busy = plain.site_ids[int(np.argmax(plain.daily_visits))]
    cap = int(plain.daily_visits.max()) // 2
    museum = plain.index("jiaozuo_museum")
    sc = dataclasses.replace(
        base, measures=Measures(quotas=(("jiaozuo_museum", 3),), daily_caps=((busy, cap),))
    )
    r = simulate(sc, bundled_sites, bundled_graph, seed=4, plans=flow_plans, keep_log=True)
    assert r.daily_visits[r.index(busy)] == cap
    assert r.measures.refused_daily > 0 and r.measures.capped_sites == 1 and r.measures.quota_sites == 1
    log = r.log
    ok = (log.status == 0) & (log.site == museum)
    assert np.bincount((log.admit[ok] // 15).astype(np.int64)).max(initial=0) <= 3
    _accounted(r)
    d = r.to_dict()
    assert d["measures"]["refused_daily"] == r.measures.refused_daily
    assert d["sites"][busy]["refused"] >= r.measures.refused_daily


def test_a_quota_that_never_binds_changes_nothing(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    base = Scenario(date=DATE, visitors=3000)
    plain = simulate(base, bundled_sites, bundled_graph, seed=7, plans=flow_plans)
    loose = Measures(quotas=(("jiaozuo_museum", 100_000),), daily_caps=(("jiaozuo_museum", 10**9),))
    r = simulate(
        dataclasses.replace(base, measures=loose), bundled_sites, bundled_graph, seed=7, plans=flow_plans
    )
    for name in ("arrivals", "occupancy", "load", "queue", "daily_visits", "balked"):
        np.testing.assert_array_equal(getattr(r, name), getattr(plain, name))
    assert r.alerts == plain.alerts
    assert r.measures.shifted == r.measures.diverted == r.measures.turned_away == 0


def test_moving_school_groups(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    base = Scenario(date=WEEKDAY, visitors=4000)
    a = simulate(base, bundled_sites, bundled_graph, seed=3, plans=flow_plans, keep_log=True)
    moved = dataclasses.replace(base, measures=Measures(group_shift_minutes=60))
    b = simulate(moved, bundled_sites, bundled_graph, seed=3, plans=flow_plans, keep_log=True)
    assert a.log is not None and b.log is not None
    diff = b.log.visitor_start - a.log.visitor_start
    school = np.isclose(diff, 60.0)
    assert (school | (diff == 0)).all()
    groups = b.measures.groups_moved
    assert groups > 0 and 40 * (groups - 1) < school.sum() <= 40 * groups
    assert b.finished + b.inside_at_end == b.visitors


def test_compare_needs_the_same_day(flow_run, bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    other = simulate(
        Scenario(date=WEEKDAY, visitors=100), bundled_sites, bundled_graph, seed=1, plans=flow_plans
    )
    with pytest.raises(RequestValidationError, match="same date"):
        compare(flow_run, other)
    same = compare(flow_run, flow_run).to_dict()
    assert same["removed"] == 0 and not same["new_episodes"]
    assert same["planned"] == same["measured"]


@settings(max_examples=12, deadline=None)
@given(
    visitors=st.integers(0, 1500),
    seed=st.integers(0, 2**16),
    timed=st.booleans(),
    quota=st.integers(0, 30),
    cap=st.integers(0, 400),
    patience=st.sampled_from([0.0, 30.0, 120.0]),
)
def test_measures_invariants(
    bundled_sites, bundled_graph, flow_plans, visitors, seed, timed, quota, cap, patience
) -> None:  # type: ignore[no-untyped-def]
    m = Measures(
        timed_entry=timed, quotas=(("jiaozuo_museum", quota),), daily_caps=(("yuntai_hongshixia", cap),)
    )
    sc = Scenario(date=DATE, visitors=visitors, measures=m, patience_minutes=patience)
    r = simulate(sc, bundled_sites, bundled_graph, seed=seed, plans=flow_plans, keep_log=True)
    _accounted(r)
    log = r.log
    assert set(np.unique(log.status)) <= {0, 1, 2, 3, 5}
    assert r.daily_visits[r.index("yuntai_hongshixia")] <= cap
    museum = (log.status == 0) & (log.site == r.index("jiaozuo_museum"))
    assert np.bincount((log.admit[museum] // 15).astype(np.int64)).max(initial=0) <= quota
    # Sites under quotas never queue: every admission at its arrival, never more than C0 inside.
    gated = [r.index("jiaozuo_museum")] + [
        r.index(s.id) for s in bundled_sites if timed and lbt_quota(s.capacity_instant, s.visit_minutes, 15) > 0
        and s.category not in ("transport", "hotel")
    ]  # fmt: skip
    at_gated = (log.status == 0) & np.isin(log.site, gated)
    assert np.array_equal(log.admit[at_gated], log.arrive[at_gated])
    assert (r.load[gated] <= r.capacity_instant[gated][:, None]).all()
