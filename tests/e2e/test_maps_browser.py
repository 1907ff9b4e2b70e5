"""Maps in a real, offline chromium: Leaflet loads, markers appear, the slider works."""

from __future__ import annotations

import functools
import http.server
import threading
from typing import TYPE_CHECKING

import pytest

from tourplan import _assets
from tourplan.maps import (
    FlowSite,
    LoadTier,
    MapPoint,
    MapStop,
    RouteDay,
    render_flow_map,
    render_html,
    render_route_map,
    to_standalone_html,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.e2e.conftest import PageWatch

pytestmark = pytest.mark.e2e

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "</script><script>window.__xss=2</script>"

HOTEL = MapPoint(35.2390, 113.2410, "焦作宾馆", "Jiaozuo Hotel")

MAP_JS = "window[document.querySelector('.folium-map').id]"
FILLS_JS = "Array.from(document.querySelectorAll('path.tp-flow-site')).map(p => p.getAttribute('fill'))"


def _route_days() -> list[RouteDay]:
    day1 = RouteDay(
        "第1天 Day 1",
        [
            MapStop(MapPoint(35.2164, 113.2355, XSS_IMG, "Museum"), 1, "09:00", "10:30", XSS_SCRIPT),
            MapStop(MapPoint(35.2250, 113.2520, "人民公园", "People's Park"), 2, "11:00", "11:40"),
            MapStop(
                MapPoint(35.2430, 113.2210, "圆融寺", "Temple", location_error_m=800),
                3,
                "12:00",
                "13:00",
            ),
        ],
        start=HOTEL,
        end=HOTEL,
    )
    day2 = RouteDay(
        XSS_SCRIPT,
        [
            MapStop(MapPoint(35.26, 113.27, "煤矿旧址", "Old mine"), 1, "09:00", "10:00"),
            MapStop(MapPoint(35.27, 113.30, "缝山公园", "Fengshan Park"), 2, "10:30", "12:00"),
        ],
        start=HOTEL,
    )
    return [day1, day2]


ROUTE_MARKERS = 4 + 3  # day 1: 3 stops + one start/end marker; day 2: 2 stops + start


def _flow_sites(n: int = 12) -> list[FlowSite]:
    # Site i's load steps through tiers 0,1,2,3 shifted by i, so each slot differs.
    levels = [0.5, 0.85, 0.95, 1.2]
    return [
        FlowSite(
            MapPoint(35.15 + 0.02 * (i % 4), 113.15 + 0.03 * (i // 4), f"景点{i}", f"Site {i}"),
            1000,
            [1000 * levels[(k + i) % 4] for k in range(8)],
        )
        for i in range(n)
    ]


def _expected_fills(n: int, slot: int) -> list[str]:
    return [LoadTier((slot + i) % 4).color for i in range(n)]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    route = out / "route.html"
    route.write_text(to_standalone_html(render_route_map(_route_days())), encoding="utf-8")
    flow = out / "flow.html"
    flow_map = render_flow_map(
        _flow_sites(),
        slot_minutes=15,
        day_start=8 * 60,
        route=[RouteDay("路线 route", [MapStop(MapPoint(35.16, 113.16, "甲", "A"), 1)], start=HOTEL)],
    )
    flow.write_text(to_standalone_html(flow_map), encoding="utf-8")
    return {"route": route, "flow": flow}


def _open_map(offline_page: Callable[[str], PageWatch], url: str) -> PageWatch:
    watch = offline_page(url)
    watch.page.wait_for_selector(".folium-map")
    watch.page.wait_for_function(f"typeof window.L === 'object' && {MAP_JS} instanceof L.Map")
    return watch


def test_route_map_offline(offline_page: Callable[[str], PageWatch], pages: dict[str, Path]) -> None:
    watch = _open_map(offline_page, pages["route"].as_uri())
    page = watch.page
    assert page.evaluate("L.version") == "1.9.3"
    assert page.locator(".leaflet-marker-icon").count() == ROUTE_MARKERS
    assert page.locator(".tp-stop").count() == 5
    assert page.locator("path.leaflet-interactive").count() >= 3  # 2 lines + 1 circle
    overlays = page.locator(".leaflet-control-layers-overlays label")
    assert overlays.count() == 2
    assert XSS_SCRIPT in overlays.nth(1).inner_text()  # shown as text
    assert page.locator(".tp-legend").is_visible()

    page.locator(".tp-stop", has_text="1").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert XSS_IMG in text
    assert XSS_SCRIPT in text
    assert "09:00" in text
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert page.evaluate("window.__xss") is None

    page.locator(".tp-stop", has_text="3").first.click()
    page.wait_for_function(
        "document.querySelector('.leaflet-popup-content').innerText.includes('位置为近似')"
    )
    assert "approximate" not in page.locator(".leaflet-popup-content").inner_text()  # the map is in Chinese

    overlays.nth(1).locator("input").uncheck()
    page.wait_for_function("document.querySelectorAll('.leaflet-marker-icon').length === 4")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert watch.blocked_tiles, "the map should ask for (blocked) OSM tiles"
    watch.assert_clean()


def test_route_map_on_a_phone_folds_legend_and_layers(
    offline_page: Callable[[str], PageWatch], pages: dict[str, Path]
) -> None:
    watch = _open_map(offline_page, pages["route"].as_uri())
    page = watch.page
    expanded = ".leaflet-control-layers-expanded"
    # wide: both open
    assert page.evaluate("document.querySelector('details.tp-legend').open") is True
    assert page.locator(expanded).count() == 1

    page.set_viewport_size({"width": 390, "height": 700})
    page.reload()
    page.wait_for_function(f"typeof window.L === 'object' && {MAP_JS} instanceof L.Map")
    assert page.evaluate("document.querySelector('details.tp-legend').open") is False
    assert page.locator(expanded).count() == 0
    assert not page.locator(".leaflet-control-layers-overlays").is_visible()

    toggle = page.locator(".leaflet-control-layers-toggle")
    toggle.click()
    page.wait_for_selector(expanded)
    assert page.locator(".leaflet-control-layers-overlays label").count() == 2
    page.locator(".tp-legend summary").click()
    assert page.evaluate("document.querySelector('details.tp-legend').open") is True
    # a tap on the map folds the layer list again
    page.mouse.click(60, 400)
    page.wait_for_function(f"!document.querySelector('{expanded}')")
    watch.assert_clean()


def test_flow_map_slider_changes_marker_style(
    offline_page: Callable[[str], PageWatch], pages: dict[str, Path]
) -> None:
    watch = _open_map(offline_page, pages["flow"].as_uri())
    page = watch.page
    n = len(_flow_sites())
    assert page.locator("path.tp-flow-site").count() == n
    assert page.locator(".leaflet-marker-icon").count() == 2  # route stop + start
    date = page.locator(".timecontrol-date")
    assert date.inner_text().strip() == "08:00"
    assert page.evaluate(FILLS_JS) == _expected_fills(n, 0)

    page.locator("a.timecontrol-forward").click()
    page.wait_for_function("document.querySelector('.timecontrol-date').innerText.trim() === '08:15'")
    assert page.evaluate(FILLS_JS) == _expected_fills(n, 1)

    page.evaluate(f"{MAP_JS}.timeDimension.setCurrentTimeIndex(6)")
    page.wait_for_function("document.querySelector('.timecontrol-date').innerText.trim() === '09:30'")
    assert page.evaluate(FILLS_JS) == _expected_fills(n, 6)

    page.locator("path.tp-flow-site").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("svg.tp-chart rect").count() >= 8
    assert "120%" in popup.inner_text()
    watch.assert_clean()


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Serve a folder with ``vendor/`` (the repo's static/vendor) from 127.0.0.1."""
    root = tmp_path_factory.mktemp("site")
    (root / "vendor").symlink_to(_assets.default_vendor_dir(), target_is_directory=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_linked_assets_served_locally(
    offline_page: Callable[[str], PageWatch], local_server: tuple[str, Path]
) -> None:
    base, root = local_server
    m = render_flow_map(_flow_sites(4), assets="/vendor")
    (root / "flow.html").write_text(render_html(m), encoding="utf-8")
    watch = _open_map(offline_page, f"{base}/flow.html")
    page = watch.page
    assert page.locator("path.tp-flow-site").count() == 4
    assert page.locator(".leaflet-bar-timecontrol").count() == 1
    bg = page.evaluate("getComputedStyle(document.querySelector('.leaflet-bar-timecontrol')).backgroundColor")
    assert bg == "rgb(255, 255, 255)"  # the vendored timedimension CSS loaded
    watch.assert_clean()
