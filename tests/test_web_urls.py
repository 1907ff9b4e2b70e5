"""Redirect targets and absolute URLs (:mod:`tourplan.web.urls`).

Where a browser goes is decided by ada (the WHATWG URL parser Node.js uses),
not by our own code: every ``Location`` is resolved with it against the page
that sent it.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

import ada_url
import helpers
import pytest

if TYPE_CHECKING:
    from pathlib import Path

PASSWORD = helpers.STAFF_PASSWORD
LOGIN = "http://localhost/staff/login"
make_app = functools.partial(helpers.make_app, user=("staff", PASSWORD))

#: ``next`` values that must never lead off-site (each as the server receives it, decoded).
OFFSITE = [
    "//evil.example/phish",
    "/\t/evil.example/phish",  # the report: next=%2F%09%2Fevil.example%2Fphish
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "\r\n/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "  \t /\t/evil.example",
    "\x00//evil.example",
    "\x1f//evil.example",
    "\x0c//evil.example",
    "//evil.example\x00",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/\t\\evil.example",
    "\\\t\\evil.example",
    "/\\\\evil.example",
    "///evil.example",
    "////evil.example",
    "//evil.example:443/",
    "//evil.example@localhost/",
    "//localhost@evil.example/",
    "https://evil.example",
    "HTTPS://evil.example/",
    "http:evil.example",
    "https:/\\evil.example",
    "https:\\\\evil.example",
    "ht\ttps://evil.example",
    "\thttps://evil.example",
    "javascript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "\uff0f\uff0fevil.example",  # fullwidth solidus
    "\u3000//evil.example",
    "",
]
#: ``next`` values that stay on the site, with the Location each must give.
LOCAL = [
    ("/staff/flow", "/staff/flow"),
    ("/staff/flow?lang=en#runs", "/staff/flow?lang=en#runs"),
    ("/%2F/evil.example", "/%2F/evil.example"),
    ("/%09/evil.example", "/%09/evil.example"),
    ("/%5C/evil.example", "/%5C/evil.example"),
    ("/ /evil.example", "/%20/evil.example"),
    ("/\x0b/evil.example", "/%0B/evil.example"),
    ("/staff/\r\nSet-Cookie: x=1", "/staff/Set-Cookie:%20x=1"),
    ("/staff/\u7814\u5b66", "/staff/%E7%A0%94%E5%AD%A6"),
    ("/\uff0f\uff0fevil.example", "/%EF%BC%8F%EF%BC%8Fevil.example"),
    ("/.//evil.example", "/.//evil.example"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("urls"))


def _login(client: Any, nxt: str) -> Any:
    return client.post(
        "/staff/login", query_string={"next": nxt}, data={"username": "staff", "password": PASSWORD}
    )


def _where(location: str) -> Any:
    """Where a browser goes from the login page with this Location (ada's parse)."""
    return ada_url.URL(ada_url.join_url(f"{LOGIN}?next=x", location))


def test_the_corpus_is_large() -> None:
    assert len(OFFSITE) + len(LOCAL) >= 30
    assert len(set(OFFSITE)) == len(OFFSITE)


@pytest.mark.parametrize("nxt", OFFSITE)
def test_login_never_redirects_off_site(client: Any, nxt: str) -> None:
    r = _login(client, nxt)
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    location = r.headers["Location"]
    assert location == "/staff/"
    assert _where(location).host == "localhost"


@pytest.mark.parametrize(("nxt", "expected"), LOCAL)
def test_login_keeps_local_targets_in_a_safe_form(client: Any, nxt: str, expected: str) -> None:
    r = _login(client, nxt)
    assert r.status_code == 303
    location = r.headers["Location"]
    assert location == expected
    assert re.fullmatch(r"[\x21-\x7e]+", location), location  # printable ASCII, no CR/LF
    assert _where(location).host == "localhost"
    assert "x=1" not in r.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("nxt", OFFSITE + [n for n, _ in LOCAL])
def test_safe_redirect_agrees_with_the_browser(nxt: str) -> None:
    from tourplan.web.urls import safe_redirect

    target = safe_redirect(nxt, "/staff/")
    where = _where(target)
    assert where.host == "localhost" and where.protocol == "http:"


def test_login_url_of_a_staff_page_comes_back(client: Any) -> None:
    r = client.get("/staff/flow?lang=en")
    assert r.status_code == 302
    login_page = r.headers["Location"]
    r = client.post(login_page, data={"username": "staff", "password": PASSWORD})
    assert r.headers["Location"] == "/staff/flow?lang=en"


def test_every_location_sent_is_checked(tmp_path: Path) -> None:
    from flask import redirect

    app = make_app(tmp_path, PUBLIC_URL="https://tour.example.cn")
    app.add_url_rule("/t/off", "t_off", lambda: redirect("https://evil.example/x"))
    app.add_url_rule("/t/tab", "t_tab", lambda: redirect("/\t/evil.example"))
    app.add_url_rule("/t/own", "t_own", lambda: redirect("https://tour.example.cn/sites"))
    c = app.test_client()
    assert c.get("/t/off").headers["Location"] == "/"
    assert c.get("/t/tab").headers["Location"] == "/"
    assert c.get("/t/own").headers["Location"] == "https://tour.example.cn/sites"


# --------------------------------------------------------------------------- Host header and absolute URLs

BAD_HOSTS = [
    "a b",
    "exa\x00mple",
    "[::1",
    "a:b:c",
    "\u00e9xample.com",
    "x/y",
    "x?y",
    "x#y",
    "",
    "x:99999999",
    "x:99999",
    "x:",
    "x..y",
    "-x.example",
]


@pytest.fixture(scope="module")
def saved(app: Any) -> str:
    r = app.test_client().post("/api/v1/itineraries", json={"date": "2025-05-10"})
    assert r.status_code == 201, r.get_json()
    iid: str = r.get_json()["id"]
    return iid


def _status_with_host(app: Any, path: str, host: str) -> int:
    """The status of a GET with this raw Host header (called as a WSGI server would; werkzeug's
    test client cannot build some of these hosts into its own URLs)."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path).get_environ()
    environ["HTTP_HOST"] = host
    status: list[str] = []
    body = app.wsgi_app(environ, lambda s, h, e=None: status.append(s))
    b"".join(body)
    return int(status[0].split()[0])


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_invalid_host_is_a_400_never_a_500(app: Any, saved: str, host: str) -> None:
    for path in (f"/i/{saved}", "/", f"/api/v1/itineraries/{saved}", f"/embed/itinerary/{saved}", "/oembed"):
        assert _status_with_host(app, path, host) == 400, path


def test_public_url_makes_every_absolute_url(tmp_path: Path) -> None:
    app = make_app(tmp_path, PUBLIC_URL="https://tour.example.cn/")
    c = app.test_client()
    evil = {"Host": "evil.example"}
    r = c.post("/api/v1/itineraries", json={"date": "2025-05-10"}, headers=evil)
    assert r.status_code == 201
    iid = r.get_json()["id"]
    assert r.headers["Location"] == f"https://tour.example.cn/api/v1/itineraries/{iid}"
    body = r.get_json()
    for url in [body["url"], body["api_url"], body["embed_url"], *body["exports"].values()]:
        assert url.startswith("https://tour.example.cn/"), url
    page = c.get(f"/i/{iid}", headers=evil).get_data(as_text=True)
    assert "evil.example" not in page
    assert f"https://tour.example.cn/i/{iid}" in page  # share link
    assert f"https://tour.example.cn/embed/itinerary/{iid}" in page  # embed snippet
    ics = c.get(f"/i/{iid}.ics", headers=evil).get_data(as_text=True)
    assert "evil.example" not in ics and "tour.example.cn" in ics
    embed = c.get(f"/embed/itinerary/{iid}", headers=evil).get_data(as_text=True)
    assert "evil.example" not in embed
    ok = c.get("/oembed", query_string={"url": f"https://tour.example.cn/i/{iid}"}, headers=evil)
    assert ok.status_code == 200 and "evil.example" not in ok.get_data(as_text=True)
    assert ok.get_json()["provider_url"] == "https://tour.example.cn/"
    refused = c.get("/oembed", query_string={"url": f"http://evil.example/i/{iid}"}, headers=evil)
    assert refused.status_code == 404
    dev = c.get("/developers", headers=evil).get_data(as_text=True)
    assert "evil.example" not in dev and "https://tour.example.cn/embed/showcase/" in dev


def test_trusted_hosts_refuse_other_hosts(tmp_path: Path) -> None:
    app = make_app(tmp_path, TRUSTED_HOSTS="localhost, tour.example.cn")
    c = app.test_client()
    assert app.config["TRUSTED_HOSTS"] == ["localhost", "tour.example.cn"]
    for path in ("/", "/sites", "/api/v1/sites", "/no-such-page"):
        r = c.get(path, headers={"Host": "evil.example"})
        assert r.status_code == 400, path
        assert r.mimetype == "text/plain"
    r = c.get("/sites", headers={"Host": "tour.example.cn:8443"})
    assert r.status_code == 200
    r = c.post("/api/v1/itineraries", json={"date": "2025-05-10"}, headers={"Host": "tour.example.cn"})
    assert r.headers["Location"].startswith("http://tour.example.cn/api/v1/itineraries/")


@pytest.mark.parametrize(
    ("key", "value"),
    [("PUBLIC_URL", "https://tour.example.cn/path"), ("PUBLIC_URL", "ftp://x"), ("TRUSTED_HOSTS", "a b/c")],
)
def test_bad_url_settings_fail_at_start(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        make_app(tmp_path, **{key: value})
