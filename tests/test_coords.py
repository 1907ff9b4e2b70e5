"""Tests of tourplan.coords: WGS-84 and GCJ-02."""

from __future__ import annotations

import math

import pytest

from tourplan.coords import gcj02_to_wgs84, in_mainland_china, wgs84_to_gcj02


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
