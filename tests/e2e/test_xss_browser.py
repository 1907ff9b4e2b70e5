"""The XSS corpus in a real browser: nothing runs.

The app of tests/test_web_xss.py (every site-table text field a payload, a
payload-named staff user, stored itinerary, study tour and flow runs) is
served on 127.0.0.1 and every page is loaded in chromium with a trap:
``window.__xss`` and ``alert``/``confirm``/``prompt`` record calls, dialogs
are recorded, and CSP violations are recorded (a violation means markup
from a payload reached the DOM and only CSP stopped it). On map pages every
popup and tooltip is opened, since Leaflet writes them with ``innerHTML``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from conftest import _is_local
from test_web_xss import PASSWORD, USER, _login, build_app, page_urls, seed_records
from xss_corpus import payloads

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e

TRAP = """
window.__xssHits = [];
window.__cspViolations = [];
window.__xss = function (n) { window.__xssHits.push(String(n)); };
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = function (m) { window.__xssHits.push(name + ":" + m); };
}
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

OPEN_LAYERS = """() => {
  let opened = 0;
  for (const el of document.querySelectorAll(".folium-map")) {
    const m = window[el.id];
    if (!m || !m.eachLayer) continue;
    m.eachLayer(function (l) {
      if (l.getPopup && l.getPopup()) { l.openPopup(); opened++; }
      if (l.getTooltip && l.getTooltip()) { l.openTooltip(); opened++; }
    });
  }
  return opened;
}"""


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, dict[str, str]]]:
    from werkzeug.serving import make_server

    app = build_app(tmp_path_factory.mktemp("xss-e2e"))
    records = seed_records(app)
    staff = _login(app)
    r = staff.post(
        "/staff/study/new",
        data={"name": payloads()[2], "school": payloads()[3], "date": "2025-05-10", "grade": "junior",
              "students": "80", "groups": "2", "buses": "2", "seats": "53", "start": "jiaozuo_station",
              "day_start": "08:30", "day_end": "17:00", "products": ["知识科普型"]},
    )  # fmt: skip
    if r.status_code == 303:
        records["study"] = r.headers["Location"].rsplit("/", 1)[1]
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", app, records
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def trapped(browser: Any, xss_server: tuple[str, Any, dict[str, str]]) -> Iterator[tuple[Any, list[str]]]:
    """A logged-in page with the trap installed before any page script."""
    base, _, _ = xss_server
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    context.add_init_script(TRAP)
    dialogs: list[str] = []

    def route(r: Any) -> None:
        if _is_local(r.request.url):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/staff/login")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{base}/staff/")
    yield page, dialogs
    context.close()


def _visit(page: Any, url: str) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    opened = 0
    if page.locator(".folium-map").count():
        page.wait_for_function(
            "() => document.querySelector('.folium-map .leaflet-pane') !== null", timeout=10_000
        )
        opened = int(page.evaluate(OPEN_LAYERS))
        page.wait_for_timeout(50)
    return {
        "hits": page.evaluate("window.__xssHits"),
        "csp": page.evaluate("window.__cspViolations"),
        "opened": opened,
    }


def test_no_payload_runs_in_the_browser(
    browser: Any, xss_server: tuple[str, Any, dict[str, str]], trapped: tuple[Any, list[str]]
) -> None:
    base, app, records = xss_server
    page, dialogs = trapped
    sites = app.extensions["tourplan.data"].current().sites
    urls = [u for u in page_urls(app, records) if not u.startswith("/sites/")]
    urls += [f"/sites/{sid}" for sid in sites.ids[:8]]  # sites 0-7 hold every payload (see xss_corpus)
    iid = records["itinerary"]
    for p in payloads()[::4]:
        urls += [
            f"/sites?q={quote(p)}",
            f"/embed/itinerary/{iid}?lang={quote(p)}",
            f"/staff/login?next={quote(p)}",
        ]
    bad: dict[str, Any] = {}
    popups = 0
    for url in urls:
        got = _visit(page, base + url)
        popups += got["opened"]
        if got["hits"] or got["csp"]:
            bad[url] = got
    assert not bad, bad
    assert dialogs == []
    assert popups > 100, "the map popups were not opened"
    assert len(urls) > 30
    # the trap works: markup that did reach the DOM would be reported
    page.goto(base + "/")
    page.evaluate(
        """() => document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.__xss(99)">')"""
    )
    page.wait_for_function("() => window.__cspViolations.length > 0", timeout=5_000)
