"""Tests of tourplan.maps.elements: view-models, options, escaping, assets and tiles every map shares."""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import folium
import pytest
from folium.plugins import TimestampedGeoJson
from map_samples import (
    MUSEUM,
    OSM_ATTRIBUTION_HOST,
    OSM_TILE_HOST,
    SVG_NAMESPACE_HOST,
    XSS_PAYLOADS,
    hosts,
    js_strings,
    loaded_urls,
    marker_locations,
    sample_day,
    sample_flow_sites,
    script_tags,
    xss_day,
)

from tourplan.errors import DataValidationError
from tourplan.maps import (
    FlowSite,
    MapPoint,
    MapStop,
    RouteDay,
    StudyGroupLayer,
    render_flow_map,
    render_html,
    render_route_map,
    render_study_map,
)


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
    day = sample_day()
    assert isinstance(day.stops, tuple)
    with pytest.raises(AttributeError):
        day.label = "x"  # type: ignore[misc]
    site = FlowSite(MUSEUM, 100, [1, 2, 3])
    assert site.occupancy == (1.0, 2.0, 3.0)
    assert site.ratios() == (0.01, 0.02, 0.03)


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
        render_route_map([sample_day()], **kwargs)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
@pytest.mark.parametrize("kind", ["route", "study", "flow"])
def test_text_from_data_is_escaped(payload: str, kind: str) -> None:
    def build(text: str) -> str:
        if kind == "route":
            return render_html(render_route_map([xss_day(text)]))
        if kind == "study":
            day = xss_day(text)
            return render_html(render_study_map([StudyGroupLayer(text, day.stops)]))
        site = FlowSite(MapPoint(35.2, 113.2, text, text, note=text), 100, [50, 95, 120])
        return render_html(render_flow_map([site], route=[xss_day(text)]))

    page = build(payload)
    baseline = build("safe name")
    assert script_tags(page) == script_tags(baseline)
    assert page.count("</script>") == baseline.count("</script>")
    if any(c in payload for c in "<>&"):
        assert payload not in page
    for raw in ("<img", "<svg"):
        assert page.lower().count(raw) == baseline.lower().count(raw)
    # Whatever reaches innerHTML (popups, tooltips, legend, layer names) holds the
    # payload only in escaped form.
    strings = js_strings(page, "bindPopup") + js_strings(page, "bindTooltip")
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
    page = render_html(render_route_map([xss_day("`${alert(1)}`")]))
    assert "bindTooltip(\n" not in page
    assert "bindTooltip(`" not in page
    assert "$(`" not in page  # folium.Popup's jQuery call


def test_no_external_host_besides_tiles() -> None:
    pages = [
        render_html(render_route_map([sample_day()])),
        render_html(render_study_map([StudyGroupLayer("g", sample_day().stops)])),
        render_html(render_flow_map(sample_flow_sites(5, 8), route=[sample_day()])),
    ]
    for page in pages:
        assert hosts(page) <= {OSM_TILE_HOST, OSM_ATTRIBUTION_HOST, SVG_NAMESPACE_HOST}
        for url in loaded_urls(page):
            assert url.startswith(("/static/vendor/", "#", "data:")), url
        for bad in ("cdn.", "jquery", "bootstrap", "font-awesome", "fontawesome", "moment"):
            assert bad not in page.lower()


def test_asset_base_url_is_configurable() -> None:
    page = render_html(render_flow_map(sample_flow_sites(2, 4), assets="https://maps.example.org/v/"))
    assert '<script src="https://maps.example.org/v/leaflet-1.9.3/leaflet.js"></script>' in page
    assert 'href="https://maps.example.org/v/leaflet-timedimension-1.1.1/' in page
    assert 'src="https://maps.example.org/v/iso8601-js-period-0.2.1/iso8601.js"' in page


def test_folium_class_level_asset_lists_are_untouched() -> None:
    js_before = list(folium.Map.default_js)
    css_before = list(folium.Map.default_css)
    plugin_before = list(TimestampedGeoJson.default_js)
    render_html(render_flow_map(sample_flow_sites(2, 4)))
    render_html(render_route_map([sample_day()], tiles="gaode"))
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


def test_osm_is_default_with_attribution() -> None:
    page = render_html(render_route_map([sample_day()]))
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert "OpenStreetMap" in page
    assert "contributors" in page
    assert "autonavi" not in page
    assert "tianditu" not in page


def test_tianditu_needs_key_and_adds_label_layer_without_conversion() -> None:
    with pytest.raises(ValueError, match="tianditu_key"):
        render_route_map([sample_day()], tiles="tianditu")
    key = "0123456789abcdef0123456789abcdef"
    page = render_html(render_route_map([sample_day()], tiles="tianditu", tianditu_key=key))
    assert page.count(f"tk={key}") == 2
    assert "t{s}.tianditu.gov.cn/vec_w/wmts" in page
    assert "t{s}.tianditu.gov.cn/cva_w/wmts" in page
    assert page.count('"subdomains": "01234567"') == 2
    assert marker_locations(page)[0] == pytest.approx((MUSEUM.lat, MUSEUM.lon))
