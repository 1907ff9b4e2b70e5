"""Tests of tourplan.maps and tourplan.coords: render to HTML and inspect the text."""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import folium
import pytest
from folium.plugins import TimestampedGeoJson

from tourplan import maps
from tourplan.coords import gcj02_to_wgs84, in_mainland_china, wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.maps import (
    FlowSite,
    LoadTier,
    MapPoint,
    MapStop,
    RouteDay,
    StudyGroupLayer,
    embed_snippet,
    load_tier,
    occupancy_chart_svg,
    render_components,
    render_flow_map,
    render_html,
    render_route_map,
    render_study_map,
    to_standalone_html,
)

XSS_PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "`${alert(1)}`",
    "'); alert(1); ('",
    "<!--<script>-->",
    "a\u2028b\u2029c",
    "&lt;b&gt;already escaped",
]

OSM_TILE_HOST = "tile.openstreetmap.org"
OSM_ATTRIBUTION_HOST = "www.openstreetmap.org"
SVG_NAMESPACE_HOST = "www.w3.org"

# Jiefang District, Jiaozuo (WGS-84, rounded)
HOTEL = MapPoint(35.2390, 113.2410, "焦作宾馆", "Jiaozuo Hotel")
MUSEUM = MapPoint(35.2164, 113.2355, "焦作市博物馆", "Jiaozuo Museum")
PARK = MapPoint(35.2250, 113.2520, "人民公园", "People's Park")
TEMPLE = MapPoint(35.2430, 113.2210, "圆融寺", "Yuanrong Temple", location_error_m=800)
MINE = MapPoint(35.2600, 113.2700, "焦作煤矿旧址", "Old Coal Mine", location_error_m=120)


def _day(label: str = "第1天 Day 1", *, start: MapPoint | None = HOTEL) -> RouteDay:
    return RouteDay(
        label,
        [
            MapStop(MUSEUM, 1, "09:00", "10:30", "看展览 exhibits", 0, "一般 moderate"),
            MapStop(PARK, 2, "10:50", "11:40", "散步 walk", None, None),
            MapStop(TEMPLE, 3, "12:10", "13:00", "参观 visit", 20.5, "拥挤 busy"),
        ],
        start=start,
        end=start,
    )


def _flow_sites(n: int, slots: int) -> list[FlowSite]:
    sites = []
    for i in range(n):
        cap = [300.0, 800.0, 2000.0][i % 3]
        occ = [
            cap * (0.2 + 1.0 * math.exp(-(((k - slots / 3) / (slots / 6)) ** 2)) * (0.7 + 0.01 * i))
            for k in range(slots)
        ]
        lat = 35.10 + 0.25 * ((i * 37) % 70) / 70
        lon = 113.05 + 0.40 * ((i * 53) % 70) / 70
        sites.append(FlowSite(MapPoint(lat, lon, f"景点{i}", f"Site {i}"), cap, occ))
    return sites


def _js_strings(page: str, method: str) -> list[str]:
    """Decode the first argument of every ``.method("...")`` call in a page."""
    return [json.loads(s) for s in re.findall(rf'\.{method}\(("(?:[^"\\]|\\.)*")', page)]


def _marker_locations(page: str) -> list[tuple[float, float]]:
    found = re.findall(r"L\.marker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", page)
    return [(float(a), float(b)) for a, b in found]


def _hosts(text: str) -> set[str]:
    return {h.lower() for h in re.findall(r"(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,})", text)}


def _loaded_urls(page: str) -> list[str]:
    """URLs a browser would fetch: src=, href= on <link>, CSS url(...), also JSON-escaped."""
    q = r'\\?["\']'
    urls = re.findall(rf"\bsrc\s*=\s*{q}([^\"'\\]*)", page)
    urls += re.findall(rf"<link[^>]*\bhref\s*=\s*{q}([^\"'\\]*)", page)
    urls += [u.strip("'\"") for u in re.findall(r"url\(\s*([^)]*)\)", page)]
    return urls


# --------------------------------------------------------------------------- coords


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


# --------------------------------------------------------------------------- view models


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lat": 95.0, "lon": 113.0}, "column 'lat'"),
        ({"lat": 35.0, "lon": math.nan}, "column 'lon'"),
        ({"lat": 35.0, "lon": 113.0, "location_error_m": -1.0}, "location_error_m"),
        ({"lat": 35.0, "lon": 113.0, "name_zh": " ", "name_en": ""}, "non-empty name"),
    ],
)
def test_mappoint_rejects_bad_values(kwargs: dict[str, Any], match: str) -> None:
    args = {"name_zh": "焦作", **kwargs}
    with pytest.raises(DataValidationError, match=match):
        MapPoint(**args)


def test_mappoint_reports_every_problem_at_once() -> None:
    with pytest.raises(DataValidationError) as info:
        MapPoint(95.0, 200.0, "", "", location_error_m=-3)
    assert len(info.value.problems) == 4
    assert isinstance(info.value, ValueError)


def test_other_view_models_validate() -> None:
    with pytest.raises(DataValidationError, match="order"):
        MapStop(MUSEUM, 0)
    with pytest.raises(DataValidationError, match="ticket_cny"):
        MapStop(MUSEUM, 1, ticket_cny=-5)
    with pytest.raises(DataValidationError, match="capacity_instant"):
        FlowSite(MUSEUM, 0, [1.0])
    with pytest.raises(DataValidationError, match="occupancy"):
        FlowSite(MUSEUM, 10, [1.0, -2.0])
    with pytest.raises(DataValidationError, match="color"):
        StudyGroupLayer("g", [], color="red;background:url(x)")
    with pytest.raises(DataValidationError, match="path"):
        RouteDay("d", [], path=[(35.0, 500.0)])


def test_view_models_are_frozen_and_hold_tuples() -> None:
    day = _day()
    assert isinstance(day.stops, tuple)
    with pytest.raises(AttributeError):
        day.label = "x"  # type: ignore[misc]
    site = FlowSite(MUSEUM, 100, [1, 2, 3])
    assert site.occupancy == (1.0, 2.0, 3.0)
    assert site.ratios() == (0.01, 0.02, 0.03)


@pytest.mark.parametrize(
    ("ratio", "tier"),
    [
        (0.0, LoadTier.GREEN),
        (0.799, LoadTier.GREEN),
        (0.8, LoadTier.YELLOW),
        (0.899, LoadTier.YELLOW),
        (0.9, LoadTier.ORANGE),
        (1.0, LoadTier.ORANGE),
        (1.0001, LoadTier.RED),
        (3.0, LoadTier.RED),
    ],
)
def test_load_tier_boundaries(ratio: float, tier: LoadTier) -> None:
    assert load_tier(ratio) is tier


# --------------------------------------------------------------------------- route map


def test_route_map_has_markers_layers_legend_and_bounds() -> None:
    days = [_day("第1天 Day 1"), _day("第2天 Day 2", start=None)]
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
    page = render_html(render_route_map([_day()], lang="en"))
    popups = _js_strings(page, "bindPopup")
    museum = next(p for p in popups if "Jiaozuo Museum" in p)
    for text in ("焦作市博物馆", "09:00", "10:30", "看展览 exhibits", "free", "一般 moderate"):
        assert text in museum
    assert museum.index("Jiaozuo Museum") < museum.index("焦作市博物馆")  # lang="en" first
    temple = next(p for p in popups if "Yuanrong Temple" in p and "tp-order" in p)
    assert "¥20.5" in temple
    start = [p for p in popups if "Start/end" in p]
    assert len(start) == 1
    assert "焦作宾馆" in start[0]
    zh = _js_strings(render_html(render_route_map([_day()], lang="zh")), "bindPopup")
    assert any("到达 09:00 · 离开 10:30" in p and "免费" in p for p in zh)


def test_approximate_site_gets_circle_and_note() -> None:
    page = render_html(render_route_map([_day()]))
    assert page.count("L.circle(") == 1  # the temple only (800 m); the mine is not on the route
    assert re.search(r"\"radius\": 800(\.0)?\b", page)
    approx = [p for p in _js_strings(page, "bindPopup") if "approximate location" in p]
    assert approx
    assert all("位置为近似" in p and "圆融寺" in p for p in approx)
    assert not any("焦作市博物馆" in p for p in approx)


def test_location_error_below_threshold_is_not_approximate() -> None:
    day = RouteDay("d", [MapStop(MINE, 1)])
    page = render_html(render_route_map([day]))
    assert "L.circle(" not in page
    assert not any("approximate" in p for p in _js_strings(page, "bindPopup"))


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


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tiles": "google"}, "tiles must be"),
        ({"lang": "fr"}, "lang must be"),
        ({"tiles": "tianditu"}, "needs tianditu_key"),
        ({"tiles": "tianditu", "tianditu_key": 'abc"def12'}, "tianditu_key must be"),
        ({"assets": '/x"><script>'}, "assets must not contain"),
        ({"assets": ""}, "assets must be"),
    ],
)
def test_bad_options_raise_valueerror(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        render_route_map([_day()], **kwargs)


# --------------------------------------------------------------------------- escaping


def _xss_day(payload: str) -> RouteDay:
    point = MapPoint(35.2164, 113.2355, payload, payload, location_error_m=900, note=payload)
    return RouteDay(
        payload,
        [MapStop(point, 1, payload, payload, payload, 10, payload)],
        start=MapPoint(35.239, 113.241, payload, payload),
        end=HOTEL,
    )


def _script_tags(page: str) -> int:
    return len(re.findall(r"<script\b", page, re.IGNORECASE))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
@pytest.mark.parametrize("kind", ["route", "study", "flow"])
def test_text_from_data_is_escaped(payload: str, kind: str) -> None:
    def build(text: str) -> str:
        if kind == "route":
            return render_html(render_route_map([_xss_day(text)]))
        if kind == "study":
            day = _xss_day(text)
            return render_html(render_study_map([StudyGroupLayer(text, day.stops)]))
        site = FlowSite(MapPoint(35.2, 113.2, text, text, note=text), 100, [50, 95, 120])
        return render_html(render_flow_map([site], route=[_xss_day(text)]))

    page = build(payload)
    baseline = build("safe name")
    assert _script_tags(page) == _script_tags(baseline)
    assert page.count("</script>") == baseline.count("</script>")
    if any(c in payload for c in "<>&"):
        assert payload not in page
    for raw in ("<img", "<svg"):
        assert page.lower().count(raw) == baseline.lower().count(raw)
    # Whatever reaches innerHTML (popups, tooltips, legend, layer names) holds the
    # payload only in escaped form.
    strings = _js_strings(page, "bindPopup") + _js_strings(page, "bindTooltip")
    strings += [json.loads(s) for s in re.findall(r'innerHTML = ("(?:[^"\\]|\\.)*")', page)]
    strings += [json.loads(s) for s in re.findall(r'^\s*("(?:[^"\\]|\\.)*") :', page, re.M)]
    if kind == "flow":
        data = re.search(r"var d = (\{.*?\});\n", page, re.S)
        assert data is not None
        for site in json.loads(data.group(1))["sites"]:
            strings += [site["name"], site["popup"]]
    assert strings
    escaped = html.escape(payload).replace("{", "&#123;")  # "{" too: branca re-parses scripts as Jinja
    assert any(escaped in s for s in strings)
    for s in strings:
        if any(c in payload for c in "<>\"'&"):
            assert payload not in s


def test_folium_tooltip_is_not_used_because_it_is_unsafe() -> None:
    # folium.Tooltip pastes text into a JS template literal unescaped; we must not use it.
    page = render_html(render_route_map([_xss_day("`${alert(1)}`")]))
    assert "bindTooltip(\n" not in page
    assert "bindTooltip(`" not in page
    assert "$(`" not in page  # folium.Popup's jQuery call


# --------------------------------------------------------------------------- assets


def test_no_external_host_besides_tiles() -> None:
    pages = [
        render_html(render_route_map([_day()])),
        render_html(render_study_map([StudyGroupLayer("g", _day().stops)])),
        render_html(render_flow_map(_flow_sites(5, 8), route=[_day()])),
    ]
    for page in pages:
        assert _hosts(page) <= {OSM_TILE_HOST, OSM_ATTRIBUTION_HOST, SVG_NAMESPACE_HOST}
        for url in _loaded_urls(page):
            assert url.startswith(("/static/vendor/", "#", "data:")), url
        for bad in ("cdn.", "jquery", "bootstrap", "font-awesome", "fontawesome", "moment"):
            assert bad not in page.lower()


def test_asset_base_url_is_configurable() -> None:
    page = render_html(render_flow_map(_flow_sites(2, 4), assets="https://maps.example.org/v/"))
    assert '<script src="https://maps.example.org/v/leaflet-1.9.3/leaflet.js"></script>' in page
    assert 'href="https://maps.example.org/v/leaflet-timedimension-1.1.1/' in page
    assert 'src="https://maps.example.org/v/iso8601-js-period-0.2.1/iso8601.js"' in page


def test_folium_class_level_asset_lists_are_untouched() -> None:
    js_before = list(folium.Map.default_js)
    css_before = list(folium.Map.default_css)
    plugin_before = list(TimestampedGeoJson.default_js)
    render_html(render_flow_map(_flow_sites(2, 4)))
    render_html(render_route_map([_day()], tiles="gaode"))
    assert folium.Map.default_js == js_before
    assert folium.Map.default_css == css_before
    assert TimestampedGeoJson.default_js == plugin_before
    plain = folium.Map().get_root().render()
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3" in plain  # other maps keep folium's defaults


def test_vendored_files_exist_with_licences() -> None:
    from tourplan import _assets

    vendor = _assets.default_vendor_dir()
    rels = _assets.LEAFLET_JS + _assets.LEAFLET_CSS + _assets.TIMEDIMENSION_JS
    for _, rel in rels + _assets.TIMEDIMENSION_CSS:
        assert (vendor / rel).is_file(), rel
    assert (vendor / "leaflet-1.9.3" / "LICENSE").is_file()
    assert (vendor / "leaflet-timedimension-1.1.1" / "LICENSE").is_file()
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for needle in ("1.9.3", "1.1.1", "0.2.1", "BSD-2-Clause", "MIT", "Apache-2.0"):
        assert needle in readme
    css = (vendor / _assets.TIMEDIMENSION_CSS[0][1]).read_text(encoding="utf-8")
    assert "url(" not in css
    assert not re.search(r"@font-face\s*\{", css)


@pytest.mark.parametrize("kind", ["route", "flow"])
def test_standalone_html_inlines_everything(kind: str) -> None:
    if kind == "route":
        m = render_route_map([_day()])
    else:
        m = render_flow_map(_flow_sites(4, 6), route=[_day()])
    page = to_standalone_html(m)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert "sourceMappingURL" not in page
    for url in _loaded_urls(page):
        assert url.startswith(("data:", "#")), url
    assert "data:image/png;base64," in page  # Leaflet's layer-control icon
    assert "L.map(" in page
    assert "Leaflet 1.9.3" in page
    if kind == "flow":
        assert "L.TimeDimension" in page
        assert "nezasa" in page


def test_standalone_refuses_foreign_maps_and_assets() -> None:
    with pytest.raises(ValueError, match="made by tourplan"):
        to_standalone_html(folium.Map())
    m = render_route_map([_day()])
    m.default_js = [*m.default_js, ("evil", "https://cdn.example.com/x.js")]
    with pytest.raises(ValueError, match="not under the vendored base URL"):
        to_standalone_html(m)


# --------------------------------------------------------------------------- tiles & GCJ-02


def test_osm_is_default_with_attribution() -> None:
    page = render_html(render_route_map([_day()]))
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert "OpenStreetMap" in page
    assert "contributors" in page
    assert "autonavi" not in page
    assert "tianditu" not in page


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
    assert _flat(_marker_locations(osm)) == pytest.approx(_flat(wgs))
    assert _flat(_marker_locations(gaode)) == pytest.approx(_flat([wgs84_to_gcj02(*p) for p in wgs]))
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


def _flat(points: list[tuple[float, float]] | list[list[float]]) -> list[float]:
    """Coordinates as one flat list (pytest.approx compares flat sequences only)."""
    return [float(c) for p in points for c in p]


def test_gaode_converts_flow_sites_and_study_markers() -> None:
    sites = _flow_sites(3, 4)
    for tiles, convert in (("osm", False), ("gaode", True)):
        page = render_html(render_flow_map(sites, tiles=tiles))
        data = re.search(r"var d = (\{.*?\});\n", page, re.S)
        assert data is not None
        for site, got in zip(sites, json.loads(data.group(1))["sites"], strict=True):
            want = (site.point.lat, site.point.lon)
            if convert:
                want = wgs84_to_gcj02(*want)
            assert (got["lat"], got["lon"]) == pytest.approx(want, abs=1e-6)
    study = StudyGroupLayer("g", [MapStop(MUSEUM, 1)], bus_path=[(35.2, 113.2), (35.21, 113.23)])
    page = render_html(render_study_map([study], tiles="gaode"))
    assert _flat(_marker_locations(page)) == pytest.approx(list(wgs84_to_gcj02(MUSEUM.lat, MUSEUM.lon)))


def test_tianditu_needs_key_and_adds_label_layer_without_conversion() -> None:
    with pytest.raises(ValueError, match="tianditu_key"):
        render_route_map([_day()], tiles="tianditu")
    key = "0123456789abcdef0123456789abcdef"
    page = render_html(render_route_map([_day()], tiles="tianditu", tianditu_key=key))
    assert page.count(f"tk={key}") == 2
    assert "t{s}.tianditu.gov.cn/vec_w/wmts" in page
    assert "t{s}.tianditu.gov.cn/cva_w/wmts" in page
    assert page.count('"subdomains": "01234567"') == 2
    assert _marker_locations(page)[0] == pytest.approx((MUSEUM.lat, MUSEUM.lon))


# --------------------------------------------------------------------------- study map


def test_study_map_layer_per_group_with_schedule() -> None:
    g1 = StudyGroupLayer(
        "初二(3)班",
        [
            MapStop(MUSEUM, 1, "08:30", "10:00", "博物馆研学"),
            MapStop(PARK, 2, "10:20", "11:00", "写生"),
            MapStop(MUSEUM, 3, "14:00", "15:00", "总结汇报"),
        ],
        bus_path=[(35.2164, 113.2355), (35.22, 113.245), (35.2250, 113.2520)],
    )
    g2 = StudyGroupLayer("初二(4)班", [MapStop(PARK, 1, "08:30", "09:30")], color="#123abc")
    page = render_html(render_study_map([g1, g2], lang="zh"))
    assert page.count("L.featureGroup(") == 2
    assert page.count("L.marker(") == 3  # museum twice for g1 shares one marker
    assert "\\u003e1,3\\u003c/div" in page
    assert page.count("L.polyline(") == 1  # g2 has one stop: no line
    assert "#123abc" in page
    museum = next(p for p in _js_strings(page, "bindPopup") if "博物馆研学" in p)
    assert "总结汇报" in museum
    assert "08:30–10:00" in museum
    assert "初二(3)班" in museum
    assert "dashArray" in page


def test_study_map_rejects_empty() -> None:
    with pytest.raises(DataValidationError, match="at least one group"):
        render_study_map([StudyGroupLayer("g", [])])


# --------------------------------------------------------------------------- flow map


def test_occupancy_chart_svg() -> None:
    svg = occupancy_chart_svg([10, 85, 95, 150], 100, slot_minutes=30, day_start=9 * 60)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    tiers = re.findall(r'<rect class="t(\d)"', svg)
    assert tiers == ["0", "1", "2", "3"]
    assert "09:00" in svg
    assert "11:00" in svg
    assert "150% @ 10:30" in svg
    assert 'role="img"' in svg
    assert "aria-label" in svg
    with pytest.raises(ValueError, match="capacity"):
        occupancy_chart_svg([1.0], 0)


def test_flow_map_tiers_times_popups_and_route() -> None:
    site_a = FlowSite(MapPoint(35.21, 113.22, "云台山", "Yuntaishan"), 100, [50, 85, 95, 120])
    site_b = FlowSite(MapPoint(35.25, 113.28, "青天河", "Qingtianhe"), 1000, [0, 0, 0, 800])
    page = render_html(render_flow_map([site_a, site_b], slot_minutes=30, day_start=7 * 60, route=[_day()]))
    data = re.search(r"var d = (\{.*?\});\n", page, re.S)
    assert data is not None
    d = json.loads(data.group(1))
    assert [s["tiers"] for s in d["sites"]] == ["0123", "0001"]
    assert d["sites"][0]["pct"] == [50, 85, 95, 120]
    assert d["colors"] == [t.color for t in LoadTier]
    day0 = 946_684_800_000
    assert d["times"] == [day0 + (420 + 30 * i) * 60_000 for i in range(4)]
    popup = d["sites"][0]["popup"]
    assert "<svg" in popup
    assert "云台山" in popup
    assert "120 (120%)" in popup
    assert "08:30" in popup
    assert "L.timeDimension(" in page
    assert "L.Control.TimeDimension" in page
    assert "leaflet.timedimension.min.js" in page
    assert page.count("L.featureGroup(") == 2  # flow sites + one route day
    assert page.count("L.marker(") == 4  # the route's numbered stops + start/end
    legend = re.findall(r'innerHTML = ("(?:[^"\\]|\\.)*")', page)
    assert "红色" in json.loads(legend[0])
    assert "80–90%" in json.loads(legend[0])


def test_flow_map_validates() -> None:
    a = FlowSite(MUSEUM, 100, [1, 2, 3])
    b = FlowSite(PARK, 100, [1, 2])
    with pytest.raises(DataValidationError, match="3 slots like the first site"):
        render_flow_map([a, b])
    with pytest.raises(DataValidationError, match="at least one FlowSite"):
        render_flow_map([])
    with pytest.raises(ValueError, match="slot_minutes"):
        render_flow_map([a], slot_minutes=0)
    with pytest.raises(ValueError, match="day_start"):
        render_flow_map([a], day_start=1440)


# --------------------------------------------------------------------------- output & size


def test_render_components_and_repeatable_render() -> None:
    m = render_route_map([_day()])
    first = render_html(m)
    second = render_html(m)  # folium repeats a few idempotent addTo/setIcon calls
    assert second.count("L.marker(") == first.count("L.marker(") == 4
    assert _script_tags(second) == _script_tags(first)
    parts = render_components(m)
    assert "leaflet.js" in parts.header
    assert "<style>" in parts.header
    assert 'class="folium-map"' in parts.html
    assert "L.map(" in parts.script
    assert "<script" not in parts.script


def test_embed_snippet() -> None:
    snippet = embed_snippet('/maps/1?a=1&b="2"', 640, "100%", '焦作 <一日游> "map"')
    assert snippet.startswith("<iframe ")
    assert snippet.endswith("</iframe>")
    assert 'src="/maps/1?a=1&amp;b=&quot;2&quot;"' in snippet
    assert 'title="焦作 &lt;一日游&gt; &quot;map&quot;"' in snippet
    assert 'loading="lazy"' in snippet
    assert 'width="640"' in snippet
    assert 'height="100%"' in snippet
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.example/x", " "):
        with pytest.raises(ValueError, match="url must be"):
            embed_snippet(bad, 100, 100, "t")
    with pytest.raises(ValueError, match="height must be"):
        embed_snippet("/m", 100, "100px;x", "t")


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


@pytest.mark.parametrize("slots", [48, 96])  # 12 h and 24 h of 15-minute slots
def test_flow_map_seventy_sites_size(slots: int) -> None:
    sites = _flow_sites(70, slots)
    page = render_html(render_flow_map(sites, slot_minutes=15, day_start=0, route=[_day()]))
    size = len(page.encode("utf-8"))
    assert size <= 1_500_000, size
