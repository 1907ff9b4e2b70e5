"""Hand-off links to Amap (GCJ-02) and Baidu Maps (BD-09)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.distance import geodesic

from tourplan.coords import bd09_to_wgs84, gcj02_to_wgs84
from tourplan.navigation import (
    APPROXIMATE_ERROR_M,
    NavLinks,
    point_navigation,
    search_name,
    site_navigation,
)


def _parts(url: str) -> tuple[str, dict[str, str]]:
    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}{u.path}", {k: v[0] for k, v in parse_qs(u.query).items()}


def test_exact_site_gets_markers_in_each_apps_datum(bundled_sites):
    station = bundled_sites["jiaozuo_station"]
    links = site_navigation(station)
    assert links.approximate is False
    base, q = _parts(links.amap)
    assert base == "https://uri.amap.com/marker"
    assert q["coordinate"] == "gaode" and q["name"] == "焦作站"
    lon, lat = map(float, q["position"].split(","))
    assert geodesic(gcj02_to_wgs84(lat, lon), (station.lat, station.lon)).m < 0.2
    assert geodesic((lat, lon), (station.lat, station.lon)).m > 300  # really shifted, not WGS-84 as is
    base, q = _parts(links.baidu)
    assert base == "https://api.map.baidu.com/marker"
    assert (q["coord_type"], q["output"], q["title"]) == ("bd09ll", "html", "焦作站")
    assert q["src"].startswith("webapp.")
    lat, lon = map(float, q["location"].split(","))
    assert geodesic(bd09_to_wgs84(lat, lon), (station.lat, station.lon)).m < 0.2


def test_english_marker_title(bundled_sites):
    _, q = _parts(site_navigation(bundled_sites["chenjiagou"], lang="en").amap)
    assert q["name"] == bundled_sites["chenjiagou"].name_en


def test_approximate_sites_get_a_name_search(bundled_sites):
    rough = [s for s in bundled_sites if s.location_error_m >= APPROXIMATE_ERROR_M or s.confidence == "low"]
    exact = [s for s in bundled_sites if s not in rough]
    assert rough and exact
    for s in rough:
        links = site_navigation(s, lang="en")
        assert links.approximate
        base, q = _parts(links.amap)
        assert base == "https://uri.amap.com/search"
        assert q["keyword"] == search_name(s.name_zh) and q["city"] == "焦作市"
        assert "position" not in q
        base, q = _parts(links.baidu)
        assert base == "https://api.map.baidu.com/place/search"
        assert q["query"] == search_name(s.name_zh) and q["region"] == "焦作市" and q["output"] == "html"
    for s in exact:
        assert not site_navigation(s).approximate, s.id


def test_search_text_drops_stand_in_notes(bundled_sites):
    assert search_name(bundled_sites["shennong_mountain_ziling"].name_zh) == "神农山风景区"
    assert search_name(bundled_sites["tianhe_park_shuixiu_section"].name_zh) == "南水北调天河公园"
    for s in bundled_sites:
        assert search_name(s.name_zh), s.id
        assert "（" not in search_name(s.name_zh)


def test_threshold_and_confidence_decide():
    assert not point_navigation(35.2, 113.2, "甲", error_m=APPROXIMATE_ERROR_M - 1).approximate
    assert point_navigation(35.2, 113.2, "甲", error_m=APPROXIMATE_ERROR_M).approximate
    assert point_navigation(35.2, 113.2, "甲", confidence="low").approximate


def test_names_are_url_encoded():
    links = point_navigation(35.2, 113.2, "A&B #1")
    _, q = _parts(links.amap)
    assert q["name"] == "A&B #1"
    assert " " not in links.amap and "#" not in links.baidu


@pytest.mark.parametrize(("lat", "lon"), [(95.0, 113.2), (35.2, 200.0)])
def test_bad_points_are_refused(lat, lon):
    with pytest.raises(ValueError, match="WGS-84 degrees"):
        point_navigation(lat, lon, "x")


def test_an_approximate_point_needs_a_name():
    with pytest.raises(ValueError, match="name must be given"):
        point_navigation(35.2, 113.2, "（）", error_m=5000)


def test_links_are_a_small_typed_record():
    links = point_navigation(35.2, 113.2, "甲")
    assert links.to_dict() == {"amap": links.amap, "baidu": links.baidu, "approximate": False}
    with pytest.raises(ValueError, match="https URL"):
        NavLinks("javascript:alert(1)", links.baidu, False)
