"""Tests of tourplan.maps.route: itinerary maps rendered to HTML and inspected."""

from __future__ import annotations

import json
import re

import pytest
from map_samples import HOTEL, MINE, MUSEUM, TEMPLE, flat, js_strings, marker_locations, sample_day

from tourplan import maps
from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.maps import MapPoint, MapStop, RouteDay, render_html, render_route_map


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
    approx = [p for p in js_strings(page, "bindPopup") if "approximate location" in p]
    assert approx
    assert all("位置为近似" in p and "圆融寺" in p for p in approx)
    assert not any("焦作市博物馆" in p for p in approx)


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
