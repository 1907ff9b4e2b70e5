"""Sample view-models and page probes shared by the map tests (tests/test_maps_*.py)."""

from __future__ import annotations

import json
import math
import re

from tourplan.maps import FlowSite, MapPoint, MapStop, RouteDay

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


def sample_day(label: str = "第1天 Day 1", *, start: MapPoint | None = HOTEL) -> RouteDay:
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


def sample_flow_sites(n: int, slots: int) -> list[FlowSite]:
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


def js_strings(page: str, method: str) -> list[str]:
    """Decode the first argument of every ``.method("...")`` call in a page."""
    return [json.loads(s) for s in re.findall(rf'\.{method}\(("(?:[^"\\]|\\.)*")', page)]


def marker_locations(page: str) -> list[tuple[float, float]]:
    found = re.findall(r"L\.marker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", page)
    return [(float(a), float(b)) for a, b in found]


def hosts(text: str) -> set[str]:
    return {h.lower() for h in re.findall(r"(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,})", text)}


def loaded_urls(page: str) -> list[str]:
    """URLs a browser would fetch: src=, href= on <link>, CSS url(...), also JSON-escaped."""
    q = r'\\?["\']'
    urls = re.findall(rf"\bsrc\s*=\s*{q}([^\"'\\]*)", page)
    urls += re.findall(rf"<link[^>]*\bhref\s*=\s*{q}([^\"'\\]*)", page)
    urls += [u.strip("'\"") for u in re.findall(r"url\(\s*([^)]*)\)", page)]
    return urls


def xss_day(payload: str) -> RouteDay:
    point = MapPoint(35.2164, 113.2355, payload, payload, location_error_m=900, note=payload)
    return RouteDay(
        payload,
        [MapStop(point, 1, payload, payload, payload, 10, payload)],
        start=MapPoint(35.239, 113.241, payload, payload),
        end=HOTEL,
    )


def script_tags(page: str) -> int:
    return len(re.findall(r"<script\b", page, re.IGNORECASE))


def flat(points: list[tuple[float, float]] | list[list[float]]) -> list[float]:
    """Coordinates as one flat list (pytest.approx compares flat sequences only)."""
    return [float(c) for p in points for c in p]
