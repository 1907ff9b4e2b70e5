"""Tests of tourplan.maps.route: itinerary maps rendered to HTML and inspected."""

from __future__ import annotations

import json
import re

import pytest
from map_samples import HOTEL, MINE, MUSEUM, TEMPLE, flat, js_strings, marker_locations, sample_day

from tourplan import maps
from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.maps import MapPoint, MapStop, RouteDay, render_html, render_route_map, route


def test_route_map_has_markers_layers_legend_and_bounds() -> None:
    days = [sample_day("第1天 Day 1"), sample_day("第2天 Day 2", start=None)]
    page = render_html(render_route_map(days))
    # day 1: 3 stops + one start/end marker (same hotel); day 2: 3 stops
    assert page.count("L.marker(") == 7
    assert page.count("L.polyline(") == 2
    assert page.count("L.featureGroup(") == 2
    assert '"\\u7b2c1\\u5929 Day 1" :' in page
    assert '"\\u7b2c2\\u5929 Day 2" :' in page
    assert "L.control.layers(" in page
    assert "tp-legend" in page
    assert "fitBounds" in page
    assert page.count("L.divIcon(") == 7
    colours = {c for c in re.findall(r"background:(#[0-9a-f]{6})", page)}
    assert {maps.DAY_COLORS[0], maps.DAY_COLORS[1]} <= colours


def test_route_popups_show_names_times_activity_ticket_crowd() -> None:
    page = render_html(render_route_map([sample_day()], lang="en"))
    popups = js_strings(page, "bindPopup")
    museum = next(p for p in popups if "Jiaozuo Museum" in p)
    for text in ("焦作市博物馆", "09:00", "10:30", "看展览 exhibits", "free", "一般 moderate"):
        assert text in museum
    assert museum.index("Jiaozuo Museum") < museum.index("焦作市博物馆")  # lang="en" first
    temple = next(p for p in popups if "Yuanrong Temple" in p and "tp-order" in p)
    assert "¥20.5" in temple
    start = [p for p in popups if "Start/end" in p]
    assert len(start) == 1
    assert "焦作宾馆" in start[0]
    zh = js_strings(render_html(render_route_map([sample_day()], lang="zh")), "bindPopup")
    assert any("到达 09:00 · 离开 10:30" in p and "免费" in p for p in zh)


def test_approximate_site_gets_circle_and_note() -> None:
    page = render_html(render_route_map([sample_day()]))
    assert page.count("L.circle(") == 1  # the temple only (800 m); the mine is not on the route
    assert re.search(r"\"radius\": 800(\.0)?\b", page)
    approx = [p for p in js_strings(page, "bindPopup") if "位置为近似" in p]
    assert approx
    assert all("±800 米" in p and "圆融寺" in p and "approximate" not in p for p in approx)
    assert not any("焦作市博物馆" in p for p in approx)
    en = js_strings(render_html(render_route_map([sample_day()], lang="en")), "bindPopup")
    en_approx = [p for p in en if "Approximate location" in p]
    assert en_approx
    assert all("±800 m" in p and "位置为近似" not in p for p in en_approx)


def test_location_error_below_threshold_is_not_approximate() -> None:
    day = RouteDay("d", [MapStop(MINE, 1)])
    page = render_html(render_route_map([day]))
    assert "L.circle(" not in page
    assert not any("approximate" in p for p in js_strings(page, "bindPopup"))


def test_route_map_uses_given_path() -> None:
    path = [(35.2390, 113.2410), (35.2300, 113.2400), (35.2164, 113.2355)]
    day = RouteDay("d", [MapStop(MUSEUM, 1)], path=path, start=HOTEL)
    page = render_html(render_route_map([day]))
    line = re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", page, re.S)
    assert line is not None
    assert json.loads(line.group(1)) == [list(p) for p in path]


def test_empty_route_is_rejected() -> None:
    with pytest.raises(DataValidationError, match="at least one day"):
        render_route_map([])
    with pytest.raises(DataValidationError, match="at least one day"):
        render_route_map([RouteDay("empty", [])])


def test_gaode_converts_every_overlay_coordinate() -> None:
    day = RouteDay(
        "d",
        [MapStop(MUSEUM, 1), MapStop(TEMPLE, 2)],
        path=[(35.239, 113.241), (35.2164, 113.2355), (35.243, 113.221)],
        start=HOTEL,
    )
    osm = render_html(render_route_map([day]))
    gaode = render_html(render_route_map([day], tiles="gaode"))
    assert "webrd0{s}.is.autonavi.com/appmaptile" in gaode
    assert "style=8" in gaode
    assert '"subdomains": "1234"' in gaode
    wgs = [(MUSEUM.lat, MUSEUM.lon), (TEMPLE.lat, TEMPLE.lon), (HOTEL.lat, HOTEL.lon)]
    assert flat(marker_locations(osm)) == pytest.approx(flat(wgs))
    assert flat(marker_locations(gaode)) == pytest.approx(flat([wgs84_to_gcj02(*p) for p in wgs]))
    line = re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", gaode, re.S)
    assert line is not None
    expected = [c for p in day.path or () for c in wgs84_to_gcj02(*p)]
    assert [c for p in json.loads(line.group(1)) for c in p] == pytest.approx(expected)
    circle = re.search(r"L\.circle\(\s*\[([-\d.]+),\s*([-\d.]+)\]", gaode)
    assert circle is not None
    assert (float(circle[1]), float(circle[2])) == pytest.approx(wgs84_to_gcj02(*wgs[1]))
    bounds = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", gaode, re.S)
    assert bounds is not None
    sw = json.loads(bounds.group(1))[0]
    assert sw[1] == pytest.approx(wgs84_to_gcj02(TEMPLE.lat, TEMPLE.lon)[1])


def test_route_map_one_day_size() -> None:
    day = RouteDay(
        "第1天 Day 1",
        [
            MapStop(
                MapPoint(35.2 + 0.01 * i, 113.2 + 0.01 * i, f"景点{i}", f"Site {i}", note="备注"),
                i + 1,
                "09:00",
                "10:00",
                "参观 visit and take photos",
                40,
                "一般 moderate",
            )
            for i in range(12)
        ],
        path=[(35.2 + 0.0005 * k, 113.2 + 0.0005 * k) for k in range(500)],
        start=HOTEL,
        end=HOTEL,
    )
    size = len(render_html(render_route_map([day])).encode("utf-8"))
    assert size <= 150_000, size


# --------------------------------------------------------------------------- fan-out, straight legs, crowd


def test_fan_offsets_separate_shared_points_and_leave_lone_ones() -> None:
    shared = [(35.43263, 113.35633)] * 3
    out = route.fan_offsets([*shared, (35.2, 113.2)], zoom=12)
    assert out[3] == (0, 0)
    fanned = out[:3]
    assert len(set(fanned)) == 3
    for i, a in enumerate(fanned):
        for b in fanned[:i]:
            assert ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 >= route.FAN_PIXELS - 1
    # Far apart at this zoom: nothing moves.
    assert route.fan_offsets([(35.0, 113.0), (35.1, 113.1)], zoom=12) == [(0, 0), (0, 0)]


def test_co_located_stops_each_get_their_own_offset_marker() -> None:
    p = MapPoint(35.43263, 113.35633, "云台山·红石峡", "Red Stone Gorge", 3000.0)
    q = MapPoint(35.43263, 113.35633, "云台山·茱萸峰", "Zhuyu Peak", 3000.0)
    day = RouteDay("d", [MapStop(p, 1), MapStop(q, 2), MapStop(MUSEUM, 3)])
    page = render_html(render_route_map([day]))
    anchors = re.findall(r'"iconAnchor": \[(-?\d+), (-?\d+)\]', page)
    assert len(anchors) == 3
    assert anchors[0] != anchors[1]  # the two stops at one point are drawn apart
    assert len(re.findall(r"tp-leader\\?\" style", page)) == 2  # each with a leader line back to its point
    assert anchors[2] == ("13", "13")  # the museum elsewhere is not moved


def test_legs_without_geometry_are_dashed_and_labelled() -> None:
    zh = render_html(render_route_map([sample_day()]))
    assert '"dashArray": "8 8"' in zh
    assert any("直线示意" in t for t in js_strings(zh, "bindTooltip"))
    assert json.dumps("直线示意")[1:-1] in zh.split('"tp-legend")', 1)[1]
    en = render_html(render_route_map([sample_day()], lang="en"))
    assert any("straight line, not the road" in t for t in js_strings(en, "bindTooltip"))
    road = RouteDay("d", [MapStop(MUSEUM, 1)], path=[(35.2, 113.2), (35.21, 113.23)], start=HOTEL)
    assert '"dashArray": "8 8"' not in render_html(render_route_map([road]))


def test_crowd_levels_ring_markers_and_add_a_legend() -> None:
    stops = [MapStop(MUSEUM, 1, crowd_level="red"), MapStop(MINE, 2, crowd_level="normal")]
    page = render_html(render_route_map([RouteDay("d", stops)]))
    assert "tp-crowd-red" in page and "tp-crowd-normal" in page
    assert maps.CROWD_COLORS["red"] in page
    assert json.dumps("预计人流")[1:-1] in page.split('"tp-legend")', 1)[1]
    plain = render_html(render_route_map([RouteDay("d", [MapStop(MUSEUM, 1)])]))
    assert "tp-crowd-" not in plain
    with pytest.raises(DataValidationError, match="crowd_level"):
        MapStop(MUSEUM, 1, crowd_level="purple")
