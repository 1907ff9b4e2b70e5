"""The web app in a real, offline chromium, served by a real WSGI server process.

One server process (werkzeug ``make_server`` on 127.0.0.1, a free port) is
started for the module; the share-link test starts and stops its own pair of
processes on one database to show that saved plans survive a restart.
axe-core (vendored in static/vendor) checks the main pages: no serious or
critical violations.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import icalendar
import pytest

from tourplan.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.e2e.conftest import PageWatch

pytestmark = pytest.mark.e2e

AXE = "/static/vendor/axe-core-4.14.1/axe.min.js"
PASSWORD = "staff-password-1"
_SERVE = """
import json, logging, sys
from werkzeug.serving import make_server
logging.getLogger("werkzeug").setLevel(logging.WARNING)
from tourplan.web import create_app
app = create_app(json.loads(sys.argv[1]))
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


class LiveServer:
    """The app in its own process, on a free port of 127.0.0.1."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        cfg = {
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "e2e-secret",
            "PLAN_TIME_LIMIT": 0.05,
            "SHOWCASE_DATE": "2025-05-10",
            "SIMULATION_OVERRIDES": {"bucket_minutes": 240, "min_plan_share": 0.05},
            # The journeys use fixed dates, so "today" is pinned before them; the crowd forecast (a simulation
            # per day type, tested in tests/test_itinerary_crowd.py) stays off so pages answer in browser time.
            "PLAN_TODAY": "2025-01-01",
            "PLAN_FORECAST": False,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, json.dumps(cfg)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.strip().isdigit():
            self.stop()
            pytest.fail(f"the app did not start (got {line!r})")
        self.url = f"http://127.0.0.1:{int(line)}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 - our own local server
            return json.loads(r.read())  # type: ignore[no-any-return]


def _add_user(instance: Path) -> None:
    store = Store(f"sqlite:///{instance / 'tourplan.sqlite'}")
    if not store.list_users():
        store.add_user("staff", PASSWORD)
    store.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("e2e-web")
    _add_user(instance)
    srv = LiveServer(instance)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Another site (another port): a static server for pages that frame ours."""
    root = tmp_path_factory.mktemp("outside")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def check_axe(page: Any, what: str) -> None:
    """Run axe-core on the page; fail on serious or critical violations."""
    page.add_script_tag(url=AXE)
    violations = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
        }"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{what}: {json.dumps(bad, indent=1)}"


def wait_map(watch: PageWatch) -> int:
    watch.page.wait_for_selector(".folium-map .leaflet-marker-icon", timeout=20_000)
    return int(watch.page.locator(".leaflet-marker-icon").count())


# --------------------------------------------------------------------------- visitor


def test_visitor_plans_a_day_and_downloads_the_ics(
    server: LiveServer, offline_page: Callable[[str], PageWatch]
) -> None:
    watch = offline_page(f"{server.url}/?lang=en")
    page = watch.page
    check_axe(page, "plan form")
    # keyboard: the first interest chip is reachable and toggles with Space
    before = page.is_checked("#interests-0")
    page.focus("#interests-0")
    page.keyboard.press("Space")
    assert page.is_checked("#interests-0") is not before
    page.fill("#date", "2025-05-10")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/i/*")
    markers = wait_map(watch)
    stops = page.locator(".timeline .stop").count()
    assert stops >= 2
    assert markers >= stops
    check_axe(page, "result page")
    with page.expect_download() as info:
        page.click("a[href$='.ics']")
    ics = Path(info.value.path()).read_bytes()
    events = list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    assert len(events) == stops
    assert events[0]["DTSTART"].params["TZID"] == "Asia/Shanghai"
    watch.assert_clean()


def test_replan_in_the_browser(server: LiveServer, offline_page: Callable[[str], PageWatch]) -> None:
    saved = server.post_json("/api/v1/itineraries", {"date": "2025-05-10", "interests": {"history": 1}})
    watch = offline_page(f"{server.url}/i/{saved['id']}?lang=en")
    page = watch.page
    wait_map(watch)
    first = page.locator(".timeline .stop input[name=remove]").first
    removed = first.get_attribute("value")
    first.check()
    page.click("#replan-form button[type=submit]")
    page.wait_for_url(lambda url: saved["id"] not in url)
    wait_map(watch)
    assert page.locator(f"#ex-{removed}").is_checked()
    watch.assert_clean()


def test_page_scrolls_past_the_map_until_it_is_clicked(
    server: LiveServer, offline_page: Callable[[str], PageWatch]
) -> None:
    saved = server.post_json("/api/v1/itineraries", {"date": "2025-05-10", "interests": {"history": 1}})
    watch = offline_page(f"{server.url}/i/{saved['id']}?lang=en")
    page = watch.page
    wait_map(watch)
    zoom = "window[document.querySelector('.folium-map').id].getZoom()"
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 40)
    z0 = page.evaluate(zoom)
    page.mouse.wheel(0, 400)
    _until(page, "window.scrollY > 0")
    assert page.evaluate(zoom) == z0  # the page scrolled, the map did not zoom
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 30, box["y"] + box["height"] - 30)
    page.mouse.wheel(0, -400)
    _until(page, f"{zoom} !== {z0}")
    watch.assert_clean()


def _until(page: Any, expression: str, seconds: float = 5.0) -> None:
    """Poll ``expression`` with page.evaluate (the app's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(50)


def test_site_directory_and_site_page(server: LiveServer, offline_page: Callable[[str], PageWatch]) -> None:
    watch = offline_page(f"{server.url}/sites?lang=en")
    page = watch.page
    check_axe(page, "site directory")
    page.select_option("#f-category", "museum")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**category=museum**")
    assert page.locator(".cards .card").count() >= 1
    page.locator(".cards .card a").first.click()
    wait_map(watch)
    check_axe(page, "site page")
    watch.assert_clean()


def test_chinese_pages_pass_axe(server: LiveServer, offline_page: Callable[[str], PageWatch]) -> None:
    watch = offline_page(f"{server.url}/?lang=zh")
    assert watch.page.get_attribute("html", "lang") == "zh-CN"
    check_axe(watch.page, "plan form (zh)")
    watch.assert_clean()


# --------------------------------------------------------------------------- share link across a restart


def test_share_link_after_a_server_restart(tmp_path: Path, offline_page: Callable[[str], PageWatch]) -> None:
    first = LiveServer(tmp_path)
    try:
        saved = first.post_json("/api/v1/itineraries", {"date": "2025-05-10", "interests": {"mountain": 1}})
    finally:
        first.stop()
    second = LiveServer(tmp_path)  # a new process on the same database file
    try:
        watch = offline_page(f"{second.url}/i/{saved['id']}?lang=en")
        markers = wait_map(watch)
        assert markers >= 1
        name = saved["result"]["days"][0]["stops"][0]["name_en"]
        assert name in watch.page.content()
        watch.assert_clean()
    finally:
        second.stop()


# --------------------------------------------------------------------------- embedding


def _outer(root: Path, name: str, src: str) -> None:
    (root / name).write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Promo</title></head>'
        f'<body><h1>Visit Jiaozuo</h1><iframe id="f" src="{src}" width="640" height="420" title="map"></iframe>'
        "</body></html>",
        encoding="utf-8",
    )


def test_outside_page_embeds_a_map(
    server: LiveServer, outside: tuple[str, Path], offline_page: Callable[[str], PageWatch]
) -> None:
    saved = server.post_json("/api/v1/itineraries", {"date": "2025-05-10", "interests": {"culture": 1}})
    base, root = outside
    _outer(root, "embed.html", f"{server.url}/embed/itinerary/{saved['id']}?lang=en")
    watch = offline_page(f"{base}/embed.html")
    frame = watch.page.frame_locator("#f")
    frame.locator(".folium-map .leaflet-marker-icon").first.wait_for(timeout=20_000)
    assert frame.locator(".leaflet-marker-icon").count() >= 1
    _outer(root, "show.html", f"{server.url}/embed/showcase/history")
    watch2 = offline_page(f"{base}/show.html")
    watch2.page.frame_locator("#f").locator(".leaflet-marker-icon").first.wait_for(timeout=20_000)
    watch.assert_clean()
    watch2.assert_clean()


def test_downloaded_map_file_works_from_disk_offline(
    server: LiveServer, tmp_path: Path, offline_page: Callable[[str], PageWatch]
) -> None:
    """The standalone map file a promotional site downloads opens from disk with no server and no network."""
    saved = server.post_json("/api/v1/itineraries", {"date": "2025-05-10", "interests": {"history": 1}})
    stops = sum(len(d["stops"]) for d in saved["result"]["days"])
    with urllib.request.urlopen(f"{server.url}/embed/itinerary/{saved['id']}.html?lang=en", timeout=60) as r:
        assert "attachment" in r.headers["Content-Disposition"]
        body = r.read()
    file = tmp_path / "trip.html"
    file.write_bytes(body)
    watch = offline_page(file.as_uri())
    page = watch.page
    page.locator(".folium-map .leaflet-marker-icon").first.wait_for(timeout=20_000)
    assert page.evaluate("typeof window.L") == "object"
    assert page.locator(".tp-stop").count() == stops
    page.locator(".leaflet-marker-icon:has(.tp-stop)").first.dispatch_event("click")  # markers may overlap
    page.locator(".leaflet-popup-content").wait_for()
    assert not watch.blocked_other, watch.blocked_other  # nothing but tiles was asked from a network
    watch.assert_clean()


def test_developers_page_passes_axe(server: LiveServer, offline_page: Callable[[str], PageWatch]) -> None:
    watch = offline_page(f"{server.url}/developers?lang=en")
    assert watch.page.locator("h3 code", has_text="POST /api/v1/itineraries").count() == 1
    check_axe(watch.page, "developers page")
    watch.assert_clean()


def test_non_embed_page_refuses_to_be_framed(
    server: LiveServer, outside: tuple[str, Path], offline_page: Callable[[str], PageWatch]
) -> None:
    saved = server.post_json("/api/v1/itineraries", {"date": "2025-05-10"})
    base, root = outside
    _outer(root, "steal.html", f"{server.url}/i/{saved['id']}")
    watch = offline_page(f"{base}/steal.html")
    page = watch.page
    page.wait_for_timeout(1500)
    child = next(f for f in page.frames if f is not page.main_frame)
    # chromium replaces a refused frame with its error page: none of our page is there
    assert child.url.startswith("chrome-error://") or child.url == "about:blank", child.url
    assert child.locator(".folium-map").count() == 0
    assert any("frame-ancestors" in e or "Refused" in e for e in watch.console_errors), watch.console_errors


# --------------------------------------------------------------------------- staff


def _login(page: Any, base: str) -> None:
    page.fill("#username", "staff")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")


def test_staff_login_page_passes_axe(server: LiveServer, offline_page: Callable[[str], PageWatch]) -> None:
    watch = offline_page(f"{server.url}/staff/login?lang=en")
    check_axe(watch.page, "staff login")
    watch.assert_clean()


def test_staff_plans_a_study_tour_for_six_groups_and_prints_it(
    server: LiveServer, offline_page: Callable[[str], PageWatch], tmp_path: Path
) -> None:
    watch = offline_page(f"{server.url}/staff/study/new?lang=en")
    page = watch.page
    _login(page, server.url)
    page.wait_for_url("**/staff/study/new**")
    check_axe(page, "study-tour form")
    page.fill("#name", "Grade 8 spring outing")
    page.fill("#school", "焦作一中")
    page.fill("#date", "2026-05-12")
    page.fill("#students", "240")
    page.fill("#groups", "6")
    page.fill("#buses", "6")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/staff/study/*")
    assert page.locator(".study-group").count() == 6
    wait_map(watch)
    check_axe(page, "study-tour result")
    page.click("#print-link")
    page.wait_for_url("**/print")
    page.emulate_media(media="print")
    pdf = page.pdf(path=str(tmp_path / "study.pdf"))
    assert pdf.startswith(b"%PDF")
    assert "焦作一中" in page.content()
    watch.assert_clean()


def _flow_form(server: LiveServer, offline_page: Callable[[str], PageWatch], lang: str) -> PageWatch:
    """The staff flow dashboard's form, logged in."""
    watch = offline_page(f"{server.url}/staff/flow?lang={lang}")
    if "/staff/login" in watch.page.url:
        _login(watch.page, server.url)
        watch.page.wait_for_url("**/staff/flow**")
    return watch


def test_staff_flow_dashboard_shows_progress_then_the_map(
    server: LiveServer, offline_page: Callable[[str], PageWatch]
) -> None:
    watch = _flow_form(server, offline_page, "en")
    page = watch.page
    page.fill("#date", "2026-05-12")
    page.fill("#visitors", "3000")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/staff/flow/*")
    # the page polls /api/v1/simulations/<id> and reloads when the run is done
    page.wait_for_selector(".folium-map", timeout=90_000)
    assert page.locator("table tbody tr").count() >= 1
    watch.assert_clean()


def test_flow_dashboard_episodes_and_charts_in_chinese_on_phone_and_desktop(
    server: LiveServer, offline_page: Callable[[str], PageWatch], tmp_path: Path
) -> None:
    watch = _flow_form(server, offline_page, "zh")
    page = watch.page
    page.fill("#date", "2026-10-03")
    page.fill("#visitors", "20000")
    page.check("#timed_entry")
    page.select_option("#daily_caps-0-site", "jiaozuo_museum")
    page.fill("#daily_caps-0-number", "100")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/staff/flow/*")
    page.wait_for_selector("#episodes", timeout=120_000)
    first = page.locator("ol.episodes li").first.inner_text()
    assert "预警" in first and "峰值" in first, first
    assert re.search(r"\d{2}:\d{2}–\d{2}:\d{2} (超载|接近饱和|拥挤)，峰值 \d+ %", first), first
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for k in range(4):
        box = charts.nth(k).bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 80
    # the browser lays out the Chinese legend as text (no font file needed)
    legend = page.locator("#charts svg.chart text", has_text="景点人数").first.bounding_box()
    assert legend is not None and legend["width"] > 40
    assert page.locator("#comparison table tbody tr").count() >= 5
    check_axe(page, "flow dashboard")
    page.screenshot(path=str(tmp_path / "flow-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px on a phone"
    box = charts.first.bounding_box()
    assert box is not None and 250 < box["width"] <= 390
    page.locator("#charts").screenshot(path=str(tmp_path / "flow-phone-charts.png"))
    page.screenshot(path=str(tmp_path / "flow-phone.png"), full_page=True)
    watch.assert_clean()
