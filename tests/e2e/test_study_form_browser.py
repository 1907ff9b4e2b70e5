"""The staff study-tour form in Chinese, in a real browser: labelled fields, no JSON box, a refusal in Chinese."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import helpers
import pytest
from conftest import _is_local
from test_web_xss import PASSWORD, USER, build_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.e2e


def _serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(build_app(tmp_path_factory.mktemp("study-form-e2e")))


def test_study_form_in_chinese_shows_a_refusal_in_its_own_terms(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    context.route("**/*", lambda r: r.continue_() if _is_local(r.request.url) else r.abort())
    page = context.new_page()
    try:
        page.goto(f"{server}/staff/login?lang=zh")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit], form input[type=submit]")
        page.wait_for_url(f"{server}/staff/")
        page.goto(f"{server}/staff/study/new?lang=zh")
        assert page.locator("textarea").count() == 0  # no raw JSON box
        assert page.get_by_text("景点主题").count() >= 1
        assert page.locator('input[name="themes"][value="history"]').count() == 1
        assert page.locator('input[name="bus_cost_cny"]').count() == 1
        page.fill("#name", "春季研学")
        page.fill("#school", "焦作一中")
        page.fill("#students", "240")
        page.fill("#groups", "6")
        page.fill("#buses", "2")
        page.locator('input[name="themes"][value="history"]').check()
        page.click("form button[type=submit].primary")
        alert = page.locator('.alert[role="alert"]')
        alert.wait_for(timeout=20_000)
        text = alert.inner_text()
        assert "车辆座位不够" in text
        assert "“车辆数”" in text  # the fix named by the form's own field label
        assert "--" not in text and "buses" not in text  # no CLI flags, no request keys, no English
        assert page.locator('input[name="themes"][value="history"]').is_checked()  # the form keeps what was typed
    finally:
        context.close()


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the bundled site table (real names), for reading its Chinese."""
    user = (helpers.STAFF_USER, helpers.STAFF_PASSWORD)
    yield from _serve(helpers.make_app(tmp_path_factory.mktemp("study-phone-e2e"), user=user))


def _study_form_on_a_phone(browser: Any, base: str) -> tuple[Any, Any]:
    """A phone context (Chinese, offline) logged in as staff, on a new study plan with its name and school filled."""
    from test_visitor_phone import PHONE

    context = browser.new_context(locale="zh-CN", **PHONE)
    context.route("**/*", lambda r: r.continue_() if _is_local(r.request.url) else r.abort())
    page = context.new_page()
    page.goto(f"{base}/staff/login?lang=zh")
    page.fill("#username", helpers.STAFF_USER)
    page.fill("#password", helpers.STAFF_PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{base}/staff/")
    page.goto(f"{base}/staff/study/new?lang=zh")
    page.fill("#name", "春季研学")
    page.fill("#school", "焦作一中")
    return context, page


def test_study_refusal_on_a_phone_in_chinese_names_the_date_field(
    browser: Any, plain_server: str, tmp_path: Path
) -> None:
    """A required site closed on the chosen day: the refusal says when it opens, in Chinese, by the form's "日期"."""
    import json
    import urllib.request

    from test_visitor_phone import _VISIBLE_TEXT, PHONE

    with urllib.request.urlopen(plain_server + "/api/v1/sites", timeout=60) as r:  # noqa: S310 - local server
        rows = json.loads(r.read())
    names = helpers.english_names([str(s.get("name_en") or "") for s in rows.get("sites", rows)])
    context, page = _study_form_on_a_phone(browser, plain_server)
    try:
        page.fill("#date", "2026-05-11")  # a Monday: the museum is closed
        page.click("details.more summary >> text=必去景点")
        page.locator('input[name="require"][value="nsbd_fangzhi_museum"]').check()
        page.click("form button[type=submit].primary")
        alert = page.locator('.alert[role="alert"]')
        alert.wait_for(timeout=30_000)
        text = alert.inner_text()
        assert "无法安排这次研学" in text and "2026-05-11（周一）不开放" in text
        assert "可以改“日期”（2026-05-12 周二开放）" in text
        assert "--" not in text and "require" not in text
        assert helpers.english_sentences(page.evaluate(_VISIBLE_TEXT), names) == []
        box = alert.bounding_box()
        assert box is not None and box["width"] <= PHONE["viewport"]["width"]  # the refusal wraps on a phone
        alert.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "study-refusal-zh-phone.png"), full_page=False)
    finally:
        context.close()


def test_study_timetable_reads_as_labelled_cards_on_a_phone(browser: Any, plain_server: str) -> None:
    """At 390 px a group's timetable is one card per stop, each line labelled (时间, 地点, …), nothing off-screen."""
    from test_visitor_phone import PHONE

    context, page = _study_form_on_a_phone(browser, plain_server)
    try:
        page.fill("#date", "2026-05-12")
        page.click("form button[type=submit].primary")
        page.wait_for_url(f"{plain_server}/staff/study/*", timeout=60_000)
        table = page.locator(".study-group table.stack").first
        table.wait_for()
        assert table.locator("thead").bounding_box()["height"] <= 1  # the header row is for screen readers only
        cells = table.locator("tbody tr").first.locator("td")
        labels = [cells.nth(i).evaluate("td => getComputedStyle(td, '::before').content") for i in range(4)]
        assert labels == ['"时间"', '"地点"', '"学习内容"', '"门票（元）"']
        for i in range(4):  # label and value side by side, inside the screen
            box = cells.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["viewport"]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    finally:
        context.close()
