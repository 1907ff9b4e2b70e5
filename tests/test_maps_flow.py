"""Tests of tourplan.maps.flow: load tiers, the occupancy chart and flow maps."""

from __future__ import annotations

import json
import re

import pytest
from map_samples import MUSEUM, PARK, sample_day, sample_flow_sites

from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.maps import (
    FlowSite,
    LoadTier,
    MapPoint,
    load_tier,
    occupancy_chart_svg,
    render_flow_map,
    render_html,
)


@pytest.mark.parametrize(
    ("ratio", "tier"),
    [
        (0.0, LoadTier.GREEN),
        (0.799, LoadTier.GREEN),
        (0.8, LoadTier.YELLOW),
        (0.899, LoadTier.YELLOW),
        (0.9, LoadTier.ORANGE),
        (1.0, LoadTier.ORANGE),
        (1.0001, LoadTier.ORANGE),  # 100 % in whole percent, as the alerts round it
        (1.01, LoadTier.RED),
        (3.0, LoadTier.RED),
    ],
)
def test_load_tier_boundaries(ratio: float, tier: LoadTier) -> None:
    assert load_tier(ratio) is tier


def test_map_colour_is_the_alert_tier_of_the_given_percent() -> None:
    """Red on the map exactly when tourplan.flow.tier (the alerts' tier) says red."""
    from tourplan.flow import TIERS
    from tourplan.flow import tier as flow_tier

    pct = [79, 80, 89, 90, 100, 101, 143]
    site = FlowSite(MUSEUM, 1000, [p * 10 + 5 for p in pct], pct=pct)
    assert [TIERS[int(t)] for t in site.tiers()] == [flow_tier(p) for p in pct]
    html_text = render_html(render_flow_map([site], slot_minutes=15, day_start=600))
    assert '"tiers": "0112233"' in html_text or '"tiers":"0112233"' in html_text
    with pytest.raises(DataValidationError, match="pct"):
        FlowSite(MUSEUM, 1000, [1.0, 2.0], pct=[1])


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
    page = render_html(
        render_flow_map([site_a, site_b], slot_minutes=30, day_start=7 * 60, route=[sample_day()])
    )
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


def test_gaode_converts_flow_sites() -> None:
    sites = sample_flow_sites(3, 4)
    for tiles, convert in (("osm", False), ("gaode", True)):
        page = render_html(render_flow_map(sites, tiles=tiles))
        data = re.search(r"var d = (\{.*?\});\n", page, re.S)
        assert data is not None
        for site, got in zip(sites, json.loads(data.group(1))["sites"], strict=True):
            want = (site.point.lat, site.point.lon)
            if convert:
                want = wgs84_to_gcj02(*want)
            assert (got["lat"], got["lon"]) == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("slots", [48, 96])  # 12 h and 24 h of 15-minute slots
def test_flow_map_seventy_sites_size(slots: int) -> None:
    sites = sample_flow_sites(70, slots)
    page = render_html(render_flow_map(sites, slot_minutes=15, day_start=0, route=[sample_day()]))
    size = len(page.encode("utf-8"))
    assert size <= 1_500_000, size
