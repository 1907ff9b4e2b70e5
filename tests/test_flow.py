"""Tests of the visitor-flow simulation (tourplan.flow)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.errors import RequestValidationError
from tourplan.flow import (
    DEFAULT_AREA_SHARES,
    CrowdForecast,
    FixedArrival,
    PlanLibrary,
    Scenario,
    day_type,
    simulate,
    simulate_stops,
)

DATE = dt.date(2026, 10, 3)


@pytest.fixture(scope="module")
def plans() -> PlanLibrary:
    return PlanLibrary()


@pytest.fixture(scope="module")
def small_run(bundled_sites, bundled_graph, plans):  # type: ignore[no-untyped-def]
    return simulate(
        Scenario(date=DATE, visitors=3000), bundled_sites, bundled_graph, seed=5, plans=plans, keep_log=True
    )


# --------------------------------------------------------------------------- calendar and scenario


@pytest.mark.parametrize(
    ("date", "kind"),
    [
        (dt.date(2026, 10, 3), "golden_week"),
        (dt.date(2025, 10, 8), "golden_week"),
        (dt.date(2026, 2, 15), "golden_week"),
        (dt.date(2026, 5, 1), "public_holiday"),
        (dt.date(2027, 1, 1), "public_holiday"),
        (dt.date(2026, 5, 9), "weekday"),  # Saturday, a make-up working day
        (dt.date(2026, 5, 16), "weekend"),
        (dt.date(2026, 5, 13), "weekday"),
    ],
)
def test_day_type(date: dt.date, kind: str) -> None:
    assert day_type(date) == kind


def test_day_type_override() -> None:
    assert day_type(dt.date(2026, 5, 13), {dt.date(2026, 5, 13): "public_holiday"}) == "public_holiday"
    sc = Scenario.from_dict({"date": "2026-05-13", "holidays": {"2026-05-13": "golden_week"}})
    assert sc.kind == "golden_week"


def test_defaults_follow_the_day_type() -> None:
    gw = Scenario(date=DATE)
    wd = Scenario(date=dt.date(2026, 5, 13))
    assert gw.n_visitors == round(1_683_400 / 8)
    assert wd.n_visitors < gw.n_visitors
    assert "school" in {s.name for s in wd.segments_used}
    assert "school" not in {s.name for s in gw.segments_used}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "date"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": "2026-10-03", "visitors": -5}, "visitors"),
        ({"date": "2026-10-03", "visitors": "many"}, "visitors"),
        ({"date": "2026-10-03", "slot_minutes": 7}, "slot_minutes"),
        ({"date": "2026-10-03", "day_type": "festival"}, "day_type"),
        ({"date": "2026-10-03", "outdoor_factor": -1}, "outdoor_factor"),
        ({"date": "2026-10-03", "colour": "red"}, "colour"),
        ({"date": "2026-10-03", "entries": [{"name": "x"}]}, "entries"),
        ({"date": "2026-10-03", "segments": [{"name": "a", "share": 1, "pace": "run"}]}, "segments"),
        ({"date": "2026-10-03", "fixed_arrivals": [["jiaozuo_museum", 600, 500, 10]]}, "fixed_arrivals"),
    ],
)
def test_scenario_from_dict_names_bad_fields(data: dict[str, object], field: str) -> None:
    with pytest.raises(RequestValidationError, match=field) as info:
        Scenario.from_dict(data)
    assert field in info.value.errors


def test_scenario_gathers_every_problem() -> None:
    with pytest.raises(RequestValidationError) as info:
        Scenario.from_dict({"date": "x", "visitors": -1, "slot_minutes": 7})
    assert {"date", "visitors", "slot_minutes"} <= set(info.value.errors)


def test_unknown_entry_place(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario.from_dict(
        {"date": "2026-10-03", "visitors": 10, "entries": [{"name": "a", "place": "nowhere", "share": 1}]}
    )
    with pytest.raises(RequestValidationError, match="nowhere"):
        simulate(sc, bundled_sites, bundled_graph)


# --------------------------------------------------------------------------- invariants


def _check_invariants(r) -> None:  # type: ignore[no-untyped-def]
    """Conservation, non-negative occupancy, C0 respected, queues only at capacity."""
    log = r.log
    assert log is not None
    # Every stop is resolved; every visitor's day ends (left or still out).
    assert set(np.unique(log.status)) <= {0, 1, 2, 3}
    assert np.isfinite(log.visitor_end).all()
    assert r.finished + r.inside_at_end == r.visitors == log.visitor_start.shape[0]
    vis = log.status == 0
    assert (log.admit[vis] >= log.arrive[vis]).all()
    assert (log.depart[vis] > log.admit[vis]).all()
    # A visitor's stops are in time order and the day ends after the last one.
    dep = np.where(vis, log.depart, -np.inf)
    last = np.full(r.visitors, -np.inf)
    np.maximum.at(last, log.visitor, dep)
    assert (log.visitor_end >= np.where(np.isfinite(last), last, -np.inf) - 1e-9).all()
    # Occupancy never negative, never above C0; arrivals conserve.
    assert (r.occupancy >= 0).all()
    assert (r.queue >= 0).all()
    cap = r.capacity_instant[:, None]
    assert ((r.peak <= cap) | (cap == 0)).all()
    assert r.daily_visits.sum() == vis.sum()
    # Queues only where the site is full: recount minute by minute from the log.
    for s in np.unique(log.site[vis]):
        c0 = int(r.capacity_instant[s])
        m = vis & (log.site == s)
        t = np.arange(0, 3000)
        inside = np.searchsorted(np.sort(log.admit[m]), t, side="right") - np.searchsorted(
            np.sort(log.depart[m]), t, side="right"
        )
        waiting = np.searchsorted(np.sort(log.arrive[m]), t, side="right") - np.searchsorted(
            np.sort(log.admit[m]), t, side="right"
        )
        assert (inside >= 0).all()
        if c0 > 0:
            assert (inside <= c0).all()
            assert (inside[waiting > 0] == c0).all(), r.site_ids[s]
        else:
            assert (waiting == 0).all()


def test_invariants_on_a_holiday(small_run) -> None:  # type: ignore[no-untyped-def]
    _check_invariants(small_run)
    assert small_run.visitors == 3000
    assert small_run.arrivals.sum() > 3000  # several stops each


def test_same_seed_same_result(bundled_sites, bundled_graph, plans, small_run) -> None:  # type: ignore[no-untyped-def]
    again = simulate(Scenario(date=DATE, visitors=3000), bundled_sites, bundled_graph, seed=5, plans=plans)
    for name in ("arrivals", "occupancy", "peak", "queue", "daily_visits"):
        np.testing.assert_array_equal(getattr(again, name), getattr(small_run, name))
    assert again.alerts == small_run.alerts
    other = simulate(Scenario(date=DATE, visitors=3000), bundled_sites, bundled_graph, seed=6, plans=plans)
    assert not np.array_equal(other.occupancy, small_run.occupancy)


def test_plans_made_on_threads_equal_plans_made_in_turn(bundled_sites, bundled_graph, small_run) -> None:  # type: ignore[no-untyped-def]
    one, two = PlanLibrary(workers=1), PlanLibrary(workers=2)
    scen = Scenario(date=DATE, visitors=3000)
    a = simulate(scen, bundled_sites, bundled_graph, seed=5, plans=one)
    b = simulate(scen, bundled_sites, bundled_graph, seed=5, plans=two)
    assert one.planned == two.planned == a.plans > 1
    assert one._plans == two._plans
    for name in ("arrivals", "occupancy", "queue", "daily_visits"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name), getattr(small_run, name))


def test_alert_tiers_and_overload(bundled_sites, bundled_graph, plans) -> None:  # type: ignore[no-untyped-def]
    r = simulate(Scenario(date=DATE, visitors=40_000), bundled_sites, bundled_graph, seed=1, plans=plans)
    levels = {a.level for a in r.alerts}
    assert "red" in levels
    for a in r.alerts:
        lim = {"yellow": 0.8, "orange": 0.9, "red": 1.0}[a.level]
        assert a.ratio >= lim - 1e-9
        if a.level != "red":
            assert a.ratio < {"yellow": 0.9, "orange": 1.0}[a.level]
    assert r.queue.max() > 0
    d = json.loads(json.dumps(r.to_dict()))
    assert d["slot_minutes"] == 15
    assert d["visitors"] == 40_000
    some = next(iter(d["sites"].values()))
    assert len(some["occupancy"]) == len(some["queue"]) == r.n_slots


def test_fixed_arrivals_occupy_their_slots(bundled_sites, bundled_graph, plans) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario(
        date=DATE,
        visitors=0,
        fixed_arrivals=(FixedArrival("jiaozuo_museum", 600.0, 700.0, 45),),
    )
    r = simulate(sc, bundled_sites, bundled_graph, plans=plans)
    i = r.index("jiaozuo_museum")
    starts = r.slot_starts
    inside = (starts >= 600) & (starts + 15 <= 700)
    assert (r.occupancy[i, inside] == 45).all()
    assert r.occupancy[i, starts >= 700].sum() == 0
    assert r.visitors == 45


def test_rain_lowers_outdoor_visits(bundled_sites, bundled_graph, plans) -> None:  # type: ignore[no-untyped-def]
    dry = simulate(Scenario(date=DATE, visitors=4000), bundled_sites, bundled_graph, seed=2, plans=plans)
    wet = simulate(
        Scenario(date=DATE, visitors=4000, outdoor_factor=0.3),
        bundled_sites,
        bundled_graph,
        seed=2,
        plans=plans,
    )
    indoor = np.array([bundled_sites[s].indoor for s in dry.site_ids])
    share = lambda r: r.daily_visits[indoor].sum() / max(r.daily_visits.sum(), 1)  # noqa: E731
    assert share(wet) > share(dry)


def test_public_load_for_the_study_planner(small_run) -> None:  # type: ignore[no-untyped-def]
    load = small_run.public_load()
    assert load.slot_minutes == 15
    assert load.day_start == 360
    assert set(load) == set(small_run.site_ids)
    assert load["jiaozuo_museum"].shape == (small_run.n_slots,)


@settings(max_examples=15, deadline=None)
@given(
    visitors=st.integers(0, 400),
    seed=st.integers(0, 2**16),
    patience=st.sampled_from([0.0, 10.0, 120.0, 1e9]),
    skip=st.sampled_from([0.0, 0.3]),
    cv=st.sampled_from([0.0, 0.3, 1.0]),
    fixed=st.lists(
        st.tuples(
            st.sampled_from(["yuntai_zifang_lake", "yingfu_money_house_site", "jiaozuo_museum"]),
            st.integers(360, 1000),
            st.integers(5, 300),
            st.integers(1, 150),
        ),
        max_size=3,
    ),
)
def test_invariants_property(
    bundled_sites, bundled_graph, plans, visitors, seed, patience, skip, cv, fixed
) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario(
        date=DATE,
        visitors=visitors,
        patience_minutes=patience,
        skip_probability=skip,
        dwell_cv=cv,
        fixed_arrivals=tuple(FixedArrival(s, float(a), float(min(a + d, 1440)), n) for s, a, d, n in fixed),
    )
    r = simulate(sc, bundled_sites, bundled_graph, seed=seed, plans=plans, keep_log=True)
    _check_invariants(r)
    assert r.visitors == visitors + sum(n for *_, n in fixed)


# --------------------------------------------------------------------------- SimPy reference

_CAP = np.array([60, 40, 120, 25])
_DWELL = np.array([45.0, 30.0, 60.0, 20.0])
_ROUTES = [[0, 1, 2], [1, 3], [2, 0, 3], [3, 2]]
_ROUTE_P = [0.4, 0.2, 0.25, 0.15]
_TRAVEL = np.array([[0, 10, 20, 15], [10, 0, 12, 8], [20, 12, 0, 25], [15, 8, 25, 0]], dtype=np.float64)
_N = 2500
_T0, _T1 = 480, 1200  # arrivals 08:00-12:00, horizon to 20:00


def _vectorised(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    start = _T0 + 240 * rng.random(_N)
    route = rng.choice(len(_ROUTES), size=_N, p=_ROUTE_P)
    lens = np.array([len(r) for r in _ROUTES])[route]
    ptr = np.zeros(_N + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    sites = np.concatenate([_ROUTES[k] for k in route]).astype(np.int64)
    shape = 1 / 0.3**2
    dwell = rng.gamma(shape, 1.0, sites.shape[0]) * _DWELL[sites] / shape
    return simulate_stops(
        start, ptr, sites, dwell, _TRAVEL, _CAP, day_start=_T0, day_end=_T1, slot_minutes=15
    ).occupancy


def _simpy(seed: int) -> np.ndarray:
    import simpy

    rnd = random.Random(10_000 + seed)
    env = simpy.Environment()
    res = [simpy.Resource(env, capacity=int(c)) for c in _CAP]
    inside = np.zeros((len(_CAP), _T1 - _T0))
    shape = 1 / 0.3**2

    def visitor(start: float, route: list[int]):  # type: ignore[no-untyped-def]
        yield env.timeout(start)
        for k, s in enumerate(route):
            if k:
                yield env.timeout(_TRAVEL[route[k - 1], s])
            with res[s].request() as req:
                yield req
                a = env.now
                yield env.timeout(rnd.gammavariate(shape, _DWELL[s] / shape))
                b = env.now
            lo, hi = math.ceil(a - _T0), math.ceil(b - _T0)
            inside[s, max(lo, 0) : max(min(hi, _T1 - _T0), 0)] += 1

    for _ in range(_N):
        start = _T0 + 240 * rnd.random()
        route = rnd.choices(_ROUTES, weights=_ROUTE_P)[0]
        env.process(visitor(start, route))
    env.run()
    return inside.reshape(len(_CAP), -1, 15).mean(axis=2)


def test_agrees_with_simpy_reference() -> None:
    """The vectorised engine and a SimPy model agree on mean occupancy curves.

    Both models run the same small scenario -- 2,500 visitors arriving
    uniformly 08:00-12:00 on four fixed routes over four sites with
    capacities 60/40/120/25, gamma dwell (CV 0.3), fixed travel times --
    each with its *own* random numbers (numpy for ours, ``random`` for
    SimPy), over 8 seeds each.  Per site and 15-minute slot, the difference
    of the two seed-averaged mean occupancies must lie within 4.5 standard
    errors of that difference (sample variance over seeds) plus 1 visitor
    (slots where both curves barely vary); and over all slots the mean
    absolute difference must be under 3 % of the mean occupancy.  4.5
    sigma keeps the chance of a false failure over 4 x 48 slots below
    about 0.1 %, while a modelling error (FIFO order, capacity, dwell
    scale) shifts whole stretches of a curve by far more.
    """
    seeds = range(8)
    ours = np.array([_vectorised(s) for s in seeds])
    ref = np.array([_simpy(s) for s in seeds])
    diff = ours.mean(axis=0) - ref.mean(axis=0)
    se = np.sqrt(ours.var(axis=0, ddof=1) / len(seeds) + ref.var(axis=0, ddof=1) / len(seeds))
    assert (np.abs(diff) <= 4.5 * se + 1.0).all(), np.abs(diff / (se + 1e-9)).max()
    assert np.abs(diff).mean() < 0.03 * ref.mean()
    # The scenario is really capacity-bound somewhere (else the test is weak).
    assert (ref.max(axis=(0, 2)) >= _CAP * 0.99).any()


# --------------------------------------------------------------------------- crowd-aware planning


def _forecast(site: str, busy_until: int, ratio: float = 1.2) -> CrowdForecast:
    slots = np.arange(360, 1440, 15)
    r = np.where(slots < busy_until, ratio, 0.1)
    w = np.where(slots < busy_until, 30.0, 0.0)
    return CrowdForecast({site: r}, {site: w}, 15, 360, DATE)


def test_crowded_morning_moves_the_visit_to_the_afternoon(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    from tourplan.itinerary import ItineraryRequest, plan_itinerary

    req = ItineraryRequest(
        start_date=DATE,
        interests={"red": 1.0, "industry": 1.0},
        start="jiaozuo_station",
        day_start=9 * 60,
        day_end=18 * 60,
        lunch=False,
        exclude=tuple(s.id for s in bundled_sites if s.id not in ("jiaozuo_museum", "jiaozuo_station")),
    )
    plain = plan_itinerary(req, bundled_sites, bundled_graph, seed=0)
    first = {s.site_id: s.start for d in plain.days for s in d.stops}
    assert first["jiaozuo_museum"] < 13 * 60
    crowd = _forecast("jiaozuo_museum", 13 * 60)
    aware = plan_itinerary(req, bundled_sites, bundled_graph, seed=0, crowd=crowd)
    stop = next(s for d in aware.days for s in d.stops if s.site_id == "jiaozuo_museum")
    assert stop.start >= 13 * 60
    assert stop.crowd == "quiet"
    assert crowd.label("jiaozuo_museum", 10 * 60, DATE) == "very busy — queue ~30 min"
    assert crowd.label("jiaozuo_museum", 10 * 60, DATE + dt.timedelta(days=1)) is None


def test_crowded_all_day_is_dropped_for_an_equal_quiet_site(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    from tourplan.itinerary import ItineraryRequest, plan_itinerary

    # Two museums of equal value for a visitor who only cares for red
    # heritage; the day has room for one of them.
    req = ItineraryRequest(
        start_date=DATE,
        interests={"red": 1.0},
        start="jiaozuo_station",
        day_start=9 * 60,
        day_end=11 * 60 + 40,
        lunch=False,
        exclude=tuple(
            s.id
            for s in bundled_sites
            if s.id not in ("jiaozuo_museum", "nsbd_fangzhi_museum", "jiaozuo_station")
        ),
    )
    plain = plan_itinerary(req, bundled_sites, bundled_graph, seed=0)
    chosen = plain.site_ids
    assert len(chosen) == 1
    other = ({"jiaozuo_museum", "nsbd_fangzhi_museum"} - set(chosen)).pop()
    aware = plan_itinerary(req, bundled_sites, bundled_graph, seed=0, crowd=_forecast(chosen[0], 1440))
    assert aware.site_ids == [other]


def test_forecast_round_trip(small_run) -> None:  # type: ignore[no-untyped-def]
    f = CrowdForecast.from_result(small_run)
    g = CrowdForecast.from_dict(json.loads(json.dumps(f.to_dict())))
    assert g.date == DATE
    sid = next(iter(f.ratio))
    assert g.ratio_at(sid, 600) == pytest.approx(f.ratio_at(sid, 600), abs=1e-4)
    assert f.factor(sid, 600, 60) <= 1.0


# --------------------------------------------------------------------------- CLI


def test_cli_simulate_json_csv_plot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tourplan.cli import main

    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "simulate",
            "--date",
            "2026-10-03",
            "--visitors",
            "2000",
            "--seed",
            "3",
            "--format",
            "json",
            "--csv",
            str(tmp_path / "csv"),
            "--plot",
            str(tmp_path / "flow.png"),
        ],  # fmt: skip
    )
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["slot_minutes"] == 15
    assert d["visitors"] == 2000
    assert d["finished"] <= 2000
    assert all({"occupancy", "queue", "capacity_instant"} <= set(v) for v in d["sites"].values())
    assert (tmp_path / "csv" / "slots.csv").read_text().startswith("site,slot_start,arrivals,occupancy")
    assert (tmp_path / "csv" / "daily.csv").exists()
    assert (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_simulate_bad_date() -> None:
    from tourplan.cli import main

    out = CliRunner().invoke(main, ["simulate", "--date", "2026-02-30"])
    assert out.exit_code == 2
    assert "date" in out.output


# --------------------------------------------------------------------------- plan variants


def test_plan_variants_spread_visitors(bundled_sites, bundled_graph, plans) -> None:  # type: ignore[no-untyped-def]
    def run(k: int):  # type: ignore[no-untyped-def]
        sc = Scenario(date=DATE, visitors=30_000, plan_variants=k)
        return simulate(sc, bundled_sites, bundled_graph, seed=4, plans=plans, keep_log=True)

    one, many = run(1), run(8)
    assert many.plans > 1.5 * one.plans

    def routes(r) -> int:  # type: ignore[no-untyped-def]
        log = r.log
        order = np.argsort(log.visitor, kind="stable")
        seqs = np.split(log.site[order], np.cumsum(np.bincount(log.visitor, minlength=r.visitors))[:-1])
        return len({tuple(s) for s in seqs})

    def given_up(r) -> float:  # type: ignore[no-untyped-def]
        return float(np.mean(r.log.status == 2))

    assert routes(many) > 1.5 * routes(one)
    # Measured (seed 4, 30,000 visitors): 1 variant gives up about 2.7 points
    # more of its stops than 8 variants once the 云台山 spots' capacities add
    # up to the area's; before that fix the gap was larger.
    assert given_up(many) < given_up(one) - 0.01
    _check_invariants(many)


def test_variants_do_not_depend_on_visitors_or_seed(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    a, b = PlanLibrary(), PlanLibrary()
    simulate(Scenario(date=DATE, visitors=1500), bundled_sites, bundled_graph, seed=1, plans=a)
    simulate(Scenario(date=DATE, visitors=6000), bundled_sites, bundled_graph, seed=9, plans=b)
    common = set(a._variants) & set(b._variants)
    assert len(common) >= 0.8 * len(a._variants)
    assert all(a._variants[k] == b._variants[k] for k in common)


# --------------------------------------------------------------------------- parent areas


def test_parent_areas_roll_up_their_parts(small_run, bundled_sites) -> None:  # type: ignore[no-untyped-def]
    r, log = small_run, small_run.log
    areas = r.areas
    y = areas.index("yuntai_mountain")
    members = set(areas.members[y])
    assert areas.members[y][0] == "yuntai_mountain"
    assert members == {"yuntai_mountain"} | {s.id for s in bundled_sites if s.parent_id == "yuntai_mountain"}
    rows = [r.index(m) for m in members]
    # Mean occupancy adds up; the peak of the sum is between the largest part's peak and the sum of peaks.
    np.testing.assert_allclose(areas.occupancy[y], r.occupancy[rows].sum(axis=0))
    assert (areas.peak[y] >= r.peak[rows].max(axis=0)).all()
    assert (areas.peak[y] <= r.peak[rows].sum(axis=0)).all()
    assert areas.daily_visits[y] == r.daily_visits[rows].sum()
    # Distinct visitors, recounted from the log.
    in_area = np.isin(log.site, rows)
    assert areas.visitors[y] == np.unique(log.visitor[in_area & (log.status == 0)]).size
    assert areas.arrived[y] == np.unique(log.visitor[in_area & np.isin(log.status, (0, 2))]).size
    assert areas.visitors[y] <= areas.arrived[y] <= r.visitors
    # Alerts exactly where the area's peak reaches 80 % of the parent's C0.
    ratio = areas.ratio()
    flagged = {(a.site_id, a.slot_start) for a in areas.alerts}
    expect = {
        (aid, int(r.day_start + j * r.slot_minutes))
        for k, aid in enumerate(areas.area_ids)
        for j in np.flatnonzero(ratio[k] >= 0.8 - 1e-9)
    }
    assert flagged == expect
    assert all(a.scope == "area" for a in areas.alerts)


def test_area_alerts_and_map_levels(bundled_sites, bundled_graph, plans, small_run) -> None:  # type: ignore[no-untyped-def]
    # 陈家沟: C0 1,200 for the village, its hall (500) and street (1,800) each below their own C0.
    booked = (
        FixedArrival("chenjiagou_taiji_ancestral_hall", 600.0, 700.0, 300),
        FixedArrival("chenjiagou_taiji_street", 600.0, 700.0, 1000),
    )
    sc = Scenario(date=DATE, visitors=0, fixed_arrivals=booked)
    r = simulate(sc, bundled_sites, bundled_graph, seed=1, plans=plans)
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
    d = json.loads(json.dumps(small_run.to_dict()))
    by_area = small_run.to_dict(level="area")["sites"]
    assert "yuntai_hongshixia" not in by_area
    assert by_area["yuntai_mountain"]["scope"] == "area"
    assert by_area["yuntai_mountain"]["capacity_instant"] == 40_500
    assert "yuntai_hongshixia" in d["sites"]
    with pytest.raises(RequestValidationError, match="level"):
        r.to_dict(level="county")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- calibration


YUNTAI_ANCHORS = {
    # date simulated -> sourced 云台山 daily visitors on a day of the same kind
    dt.date(2026, 10, 3): 76_600,  # 3 Oct 2011 (yts.cc)
    dt.date(2026, 5, 1): 43_100,  # 1 May 2017 (richsyacht.com)
}


@pytest.mark.parametrize("date", list(YUNTAI_ANCHORS))
def test_yuntai_daily_total_against_the_sourced_anchor(bundled_sites, bundled_graph, plans, date) -> None:  # type: ignore[no-untyped-def]
    """Default scenario of the day type vs the published 云台山 figures.

    The area lever aims at the sourced share of visitors whose day includes
    云台山 (0.238 on Golden Week days, 0.447 on the others); it can only fall
    short of it, by as much as the other plans leave the area out anyway.
    Measured when written (seed 1): Golden Week share 0.199, admitted 0.54 x
    the 2011 peak day of 76,600 (0.84 x the 2017 Golden Week mean of 50,038);
    May Day share 0.365, admitted 1.05 x 43,100. Without the lever the
    planners send 0.73 of the visitors there on both days (2.0 x / 2.1 x the
    anchors arrive), the error the lever fixes.
    """
    r = simulate(Scenario(date=date), bundled_sites, bundled_graph, seed=1, plans=plans)
    y = r.areas.index("yuntai_mountain")
    target = dict(DEFAULT_AREA_SHARES[day_type(date)])["yuntai_mountain"]
    share = r.areas.arrived[y] / r.visitors
    assert 0.7 * target <= share <= 1.02 * target, (share, target)
    admitted = r.areas.visitors[y] / YUNTAI_ANCHORS[date]
    assert 0.4 <= admitted <= 1.5, admitted


def test_without_the_area_lever_the_planners_crowd_the_best_area(bundled_sites, bundled_graph, plans) -> None:  # type: ignore[no-untyped-def]
    scen = Scenario(date=DATE, visitors=20_000)
    free = simulate(dataclasses.replace(scen, area_shares=()), bundled_sites, bundled_graph, seed=2, plans=plans)
    held = simulate(scen, bundled_sites, bundled_graph, seed=2, plans=plans)
    y = held.areas.index("yuntai_mountain")
    assert free.areas.arrived[y] / free.visitors > 0.5
    assert held.areas.arrived[y] / held.visitors < 0.3
    # an explicit target is followed too, and the visitors it takes away go elsewhere
    half = simulate(
        dataclasses.replace(scen, area_shares=(("yuntai_mountain", 0.5),)), bundled_sites, bundled_graph, seed=2, plans=plans
    )
    assert held.areas.arrived[y] < half.areas.arrived[y] < free.areas.arrived[y]
    assert held.daily_visits.sum() > 0.9 * free.daily_visits.sum()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"yuntai_mountain": 1.5}, "share from 0 to 1"),
        ({"yuntai_mountain": "lots"}, "site id: share"),
        ([1, 2], "site id: share"),
    ],
)
def test_bad_area_shares_are_named(value, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RequestValidationError) as exc:
        Scenario.from_dict({"date": "2026-10-03", "area_shares": value})
    assert "area_shares" in exc.value.errors
    assert message in exc.value.errors["area_shares"]


def test_unknown_area_is_named(bundled_sites, bundled_graph, plans) -> None:  # type: ignore[no-untyped-def]
    scen = Scenario.from_dict({"date": "2026-10-03", "visitors": 100, "area_shares": {"atlantis": 0.2}})
    assert scen.area_shares == (("atlantis", 0.2),)
    with pytest.raises(RequestValidationError) as exc:
        simulate(scen, bundled_sites, bundled_graph, seed=1, plans=plans)
    assert "atlantis" in exc.value.errors["area_shares"]
