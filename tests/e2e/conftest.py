"""Shared fixtures for end-to-end tests in a real, offline browser.

Debian's ``chromium`` is driven by the PyPI ``playwright`` package (never
``playwright install``, which downloads a browser). Every request that is not
``file://``, ``data:``/``blob:`` or to ``127.0.0.1``/``localhost`` is aborted,
map tiles included; failures of tile requests are expected and are not
counted as console errors, every other console error or page error is.

When chromium or playwright is missing the tests are skipped, except in CI
(``CI`` set in the environment), where they fail.

Use::

    def test_x(offline_page):
        watch = offline_page("file:///tmp/map.html")
        watch.page.wait_for_selector(".folium-map")
        ...
        watch.assert_clean()
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CHROMIUM = os.environ.get("TOURPLAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Tile servers tourplan maps may ask for (osm, gaode, tianditu); all blocked offline.
TILE_HOST = re.compile(
    r"^(tile\.openstreetmap\.org|webrd0[1-4]\.is\.autonavi\.com|t[0-7]\.tianditu\.gov\.cn)$"
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws") and parts.hostname in LOCAL_HOSTS


def _is_tile(url: str) -> bool:
    return bool(TILE_HOST.match(urlsplit(url).hostname or ""))


@dataclass
class PageWatch:
    """A page plus everything it tried and reported.

    Attributes
    ----------
    page
        The Playwright page.
    console_errors
        Console messages of type ``error``, except failures of blocked tiles.
    page_errors
        Uncaught exceptions.
    blocked_tiles
        Tile requests that were aborted (expected).
    blocked_other
        Any other aborted (non-local) request: a map must make none.
    """

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_tiles: list[str] = field(default_factory=list)
    blocked_other: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """Fail if the page logged errors, threw, or asked for a non-tile host."""
        assert self.page_errors == [], self.page_errors
        assert self.console_errors == [], self.console_errors
        assert self.blocked_other == [], self.blocked_other


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def offline_page(browser: Any) -> Iterator[Callable[[str], PageWatch]]:
    """Return a function that opens a URL in a fresh offline context and watches it."""
    contexts: list[Any] = []

    def open_(url: str) -> PageWatch:
        context = browser.new_context(viewport={"width": 1100, "height": 760})
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(page)

        def route(r: Any) -> None:
            req_url = r.request.url
            if _is_local(req_url):
                r.continue_()
                return
            (watch.blocked_tiles if _is_tile(req_url) else watch.blocked_other).append(req_url)
            r.abort()

        def on_console(msg: Any) -> None:
            if msg.type != "error":
                return
            where = (msg.location or {}).get("url", "")
            if where in watch.blocked_tiles or (_is_tile(where) and "ERR_FAILED" in msg.text):
                return
            watch.console_errors.append(f"{msg.text} ({where})")

        context.route("**/*", route)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
        page.goto(url)
        return watch

    yield open_
    for context in contexts:
        context.close()
