"""Tests of tourplan.coords: WGS-84, GCJ-02 and BD-09 (Baidu)."""

from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic
from hypothesis import given
from hypothesis import strategies as st

from tourplan.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_mainland_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [  # public test vectors of the standard transform (eviltransform)
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
        ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ],
)
def test_wgs84_to_gcj02_matches_published_vectors(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    assert gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-8)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    north = (b[0] - a[0]) * 110_574
    east = (b[1] - a[1]) * 111_320 * math.cos(math.radians(a[0]))
    return north, east


@pytest.mark.parametrize("point", [(35.2164, 113.2355), (35.24, 113.24), (35.43, 113.40)])
def test_gcj02_offset_near_jiaozuo_is_about_580_m_mostly_east(point: tuple[float, float]) -> None:
    north, east = _metres(point, wgs84_to_gcj02(*point))
    assert 540 <= math.hypot(north, east) <= 620
    assert east > 500
    assert abs(north) < 120


def test_reference_pair_from_domain_notes_agrees_within_30_m() -> None:
    north, east = _metres((35.2157, 113.2419), wgs84_to_gcj02(35.21640, 113.23546))
    assert math.hypot(north, east) < 30
    north, east = _metres((35.21640, 113.23546), gcj02_to_wgs84(35.2157, 113.2419))
    assert math.hypot(north, east) < 30


def test_gcj02_round_trip_is_sub_millimetre() -> None:
    for lat in (18.3, 30.5, 35.2, 45.7):
        for lon in (87.6, 104.1, 113.2, 126.6):
            back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
            assert back == pytest.approx((lat, lon), abs=1e-8)


def test_outside_china_is_unchanged() -> None:
    assert not in_mainland_china(51.5, -0.12)
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert gcj02_to_wgs84(51.5, -0.12) == (51.5, -0.12)


def test_gcj02_to_bd09_matches_the_published_reference():
    # wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915) -> [116.41036949371029, 39.92133699351021]
    lat, lon = gcj02_to_bd09(39.915, 116.404)
    assert lat == pytest.approx(39.92133699351021, abs=1e-12)
    assert lon == pytest.approx(116.41036949371029, abs=1e-12)


def test_bd09_to_gcj02_agrees_with_the_published_closed_form_within_a_metre():
    # Same source: bd09togcj02(116.404, 39.915) -> [116.39762729119315, 39.90865673957631], computed with the
    # usual closed-form approximation; the fixed-point inverse here differs from it by well under a metre.
    back = bd09_to_gcj02(39.915, 116.404)
    assert geodesic(back, (39.90865673957631, 116.39762729119315)).m < 1.0
    assert gcj02_to_bd09(*back) == pytest.approx((39.915, 116.404), abs=1e-9)


def test_bd09_shift_near_jiaozuo_is_about_a_kilometre_from_wgs84():
    station = (35.22259, 113.22932)
    assert 900 < geodesic(station, wgs84_to_bd09(*station)).m < 1600
    assert geodesic(wgs84_to_gcj02(*station), wgs84_to_bd09(*station)).m > 500


@given(
    lat=st.floats(min_value=18.0, max_value=53.0),
    lon=st.floats(min_value=74.0, max_value=134.0),
)
def test_round_trips_stay_under_a_metre(lat, lon):
    assert geodesic((lat, lon), bd09_to_gcj02(*gcj02_to_bd09(lat, lon))).m < 0.01
    assert geodesic((lat, lon), bd09_to_wgs84(*wgs84_to_bd09(lat, lon))).m < 0.01


def test_round_trip_over_every_bundled_site(bundled_sites):
    for s in bundled_sites:
        back = bd09_to_wgs84(*wgs84_to_bd09(s.lat, s.lon))
        assert geodesic((s.lat, s.lon), back).m < 1.0, s.id
