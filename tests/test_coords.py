"""BD-09 (Baidu) conversions: reference values and round trips."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic
from hypothesis import given
from hypothesis import strategies as st

from tourplan.coords import bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, wgs84_to_bd09, wgs84_to_gcj02


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
