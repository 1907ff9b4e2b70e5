"""Tests of tourplan.maps.output: pages, components, standalone files and iframes."""

from __future__ import annotations

import re

import folium
import pytest
from map_samples import loaded_urls, sample_day, sample_flow_sites, script_tags

from tourplan.maps import (
    embed_snippet,
    render_components,
    render_flow_map,
    render_html,
    render_route_map,
    to_standalone_html,
)


@pytest.mark.parametrize("kind", ["route", "flow"])
def test_standalone_html_inlines_everything(kind: str) -> None:
    if kind == "route":
        m = render_route_map([sample_day()])
    else:
        m = render_flow_map(sample_flow_sites(4, 6), route=[sample_day()])
    page = to_standalone_html(m)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert "sourceMappingURL" not in page
    for url in loaded_urls(page):
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
    m = render_route_map([sample_day()])
    m.default_js = [*m.default_js, ("evil", "https://cdn.example.com/x.js")]
    with pytest.raises(ValueError, match="not under the vendored base URL"):
        to_standalone_html(m)


def test_render_components_and_repeatable_render() -> None:
    m = render_route_map([sample_day()])
    first = render_html(m)
    second = render_html(m)  # folium repeats a few idempotent addTo/setIcon calls
    assert second.count("L.marker(") == first.count("L.marker(") == 4
    assert script_tags(second) == script_tags(first)
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
