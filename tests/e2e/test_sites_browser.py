"""Staff fix a site's point in a real, offline chromium: drag the marker, save with a source, see the history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from test_web_browser import LiveServer, _add_user, _login, check_axe

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conftest import PageWatch

pytestmark = pytest.mark.e2e

SITE = "jiaying_temple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("e2e-sites")
    _add_user(instance)
    srv = LiveServer(instance)
    yield srv
    srv.stop()


def _drag(page: Any, selector: str, dx: float, dy: float) -> None:
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=12)
    page.mouse.up()


def test_staff_drag_the_marker_save_with_a_source_and_see_the_history(
    server: LiveServer, offline_page: Callable[[str], PageWatch]
) -> None:
    watch = offline_page(f"{server.url}/staff/sites/{SITE}/edit?lang=en")
    page = watch.page
    if "/staff/login" in page.url:
        _login(page, server.url)
        page.wait_for_url(f"**/staff/sites/{SITE}/edit**")
    marker = "#site-map .leaflet-marker-icon"
    page.wait_for_selector(marker, timeout=20_000)
    check_axe(page, "site editor")
    lat0, lon0 = float(page.input_value("#lat")), float(page.input_value("#lon"))
    _drag(page, marker, 120, -60)
    lat1, lon1 = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert lat1 > lat0 and lon1 > lon0  # dragged north-east
    assert page.input_value("#method") == "map" and page.input_value("#datum") == "wgs84"
    assert page.input_value("#zoom") == "15"
    assert page.text_content("#wgs84-value") == f"{lat1:.7f}, {lon1:.7f}"
    page.fill("#change_source", "on-site survey 2026-12-04")
    page.select_option("#confidence", "high")
    page.fill("#reason", "the temple gate")
    page.click("#save")
    page.wait_for_url(f"**/staff/sites/{SITE}/history**")
    history = page.text_content("main") or ""
    assert "on-site survey 2026-12-04" in history
    assert "the temple gate" in history
    assert "staff" in page.text_content(".change .who")  # type: ignore[operator]
    assert f"{lat1:.7f}" in history and f"{lon1:.7f}" in history
    check_axe(page, "site history")
    watch.assert_clean()


def test_pasted_gcj02_coordinates_are_shown_as_wgs84_before_saving(
    server: LiveServer, offline_page: Callable[[str], PageWatch]
) -> None:
    from tourplan.coords import gcj02_to_wgs84

    watch = offline_page(f"{server.url}/staff/sites/chenjiagou/edit?lang=en")
    page = watch.page
    if "/staff/login" in page.url:
        _login(page, server.url)
        page.wait_for_url("**/staff/sites/chenjiagou/edit**")
    page.wait_for_selector("#site-map .leaflet-marker-icon", timeout=20_000)
    page.select_option("#datum", "gcj02")
    page.fill("#lat", "34.9021")
    page.fill("#lon", "113.0602")
    page.dispatch_event("#lon", "change")
    w_lat, w_lon = gcj02_to_wgs84(34.9021, 113.0602)
    expected = f"{w_lat:.7f}, {w_lon:.7f}"
    page.wait_for_function(
        "t => document.getElementById('wgs84-value').textContent === t", arg=expected, timeout=10_000
    )
    assert page.input_value("#method") == "paste"
    assert page.input_value("#lat") == "34.9021"  # what was pasted stays; the server converts on save
    watch.assert_clean()
