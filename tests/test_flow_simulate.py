"""Tests of the simulation (tourplan.flow.simulation): invariants, determinism, booked groups, calibration."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from helpers import check_flow_invariants
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.errors import RequestValidationError
from tourplan.flow import DEFAULT_AREA_SHARES, FixedArrival, Scenario, day_type, simulate

DATE = dt.date(2026, 10, 3)


def test_unknown_entry_place(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario.from_dict(
        {"date": "2026-10-03", "visitors": 10, "entries": [{"name": "a", "place": "nowhere", "share": 1}]}
    )
    with pytest.raises(RequestValidationError, match="nowhere"):
        simulate(sc, bundled_sites, bundled_graph)


def test_unknown_area_is_named(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    scen = Scenario.from_dict({"date": "2026-10-03", "visitors": 100, "area_shares": {"atlantis": 0.2}})
    assert scen.area_shares == (("atlantis", 0.2),)
    with pytest.raises(RequestValidationError) as exc:
        simulate(scen, bundled_sites, bundled_graph, seed=1, plans=flow_plans)
    assert "atlantis" in exc.value.errors["area_shares"]


def test_invariants_on_a_holiday(flow_run) -> None:  # type: ignore[no-untyped-def]
    check_flow_invariants(flow_run)
    assert flow_run.visitors == 3000
    assert flow_run.arrivals.sum() > 3000  # several stops each


def test_same_seed_same_result(bundled_sites, bundled_graph, flow_plans, flow_run) -> None:  # type: ignore[no-untyped-def]
    again = simulate(
        Scenario(date=DATE, visitors=3000), bundled_sites, bundled_graph, seed=5, plans=flow_plans
    )
    for name in ("arrivals", "occupancy", "peak", "queue", "daily_visits"):
        np.testing.assert_array_equal(getattr(again, name), getattr(flow_run, name))
    assert again.alerts == flow_run.alerts
    other = simulate(
        Scenario(date=DATE, visitors=3000), bundled_sites, bundled_graph, seed=6, plans=flow_plans
    )
    assert not np.array_equal(other.occupancy, flow_run.occupancy)


def test_fixed_arrivals_occupy_their_slots(bundled_sites, bundled_graph, flow_plans) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario(
        date=DATE,
        visitors=0,
        fixed_arrivals=(FixedArrival("jiaozuo_museum", 600.0, 700.0, 45),),
    )
    r = simulate(sc, bundled_sites, bundled_graph, plans=flow_plans)
    i = r.index("jiaozuo_museum")
    starts = r.slot_starts
    inside = (starts >= 600) & (starts + 15 <= 700)
    assert (r.occupancy[i, inside] == 45).all()
    assert r.occupancy[i, starts >= 700].sum() == 0
    assert r.visitors == 45


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
    bundled_sites, bundled_graph, flow_plans, visitors, seed, patience, skip, cv, fixed
) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario(
        date=DATE,
        visitors=visitors,
        patience_minutes=patience,
        skip_probability=skip,
        dwell_cv=cv,
        fixed_arrivals=tuple(FixedArrival(s, float(a), float(min(a + d, 1440)), n) for s, a, d, n in fixed),
    )
    r = simulate(sc, bundled_sites, bundled_graph, seed=seed, plans=flow_plans, keep_log=True)
    check_flow_invariants(r)
    assert r.visitors == visitors + sum(n for *_, n in fixed)


# --------------------------------------------------------------------------- calibration


YUNTAI_ANCHORS = {
    # date simulated -> sourced 云台山 daily visitors on a day of the same kind
    dt.date(2026, 10, 3): 76_600,  # 3 Oct 2011 (yts.cc)
    dt.date(2026, 5, 1): 43_100,  # 1 May 2017 (richsyacht.com)
}


@pytest.mark.parametrize("date", list(YUNTAI_ANCHORS))
def test_yuntai_daily_total_against_the_sourced_anchor(
    bundled_sites, bundled_graph, flow_plans, date
) -> None:  # type: ignore[no-untyped-def]
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
    r = simulate(Scenario(date=date), bundled_sites, bundled_graph, seed=1, plans=flow_plans)
    y = r.areas.index("yuntai_mountain")
    target = dict(DEFAULT_AREA_SHARES[day_type(date)])["yuntai_mountain"]
    share = r.areas.arrived[y] / r.visitors
    assert 0.7 * target <= share <= 1.02 * target, (share, target)
    admitted = r.areas.visitors[y] / YUNTAI_ANCHORS[date]
    assert 0.4 <= admitted <= 1.5, admitted
