"""Visitor pages, embeds, oEmbed, security headers and languages (Flask test client)."""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from typing import TYPE_CHECKING, Any

import gpxpy
import helpers
import icalendar
import pytest

from tourplan.web import create_app

if TYPE_CHECKING:
    from pathlib import Path

DAY = "2025-05-10"  # a Saturday
FORM = {**helpers.VISITOR_FORM, "date": DAY}
make_app = functools.partial(helpers.make_app, SHOWCASE_DATE=DAY)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def saved(app: Any) -> str:
    """The id of one itinerary planned through the form."""
    return helpers.plan_through_form(app, FORM)


def _result(app: Any, iid: str) -> dict[str, Any]:
    rec = app.extensions["tourplan.store"].get_itinerary(iid)
    assert rec is not None
    return rec.result  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- pages


def test_plan_form_defaults_in_chinese(client: Any) -> None:
    r = client.get("/")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in page
    assert "规划您的焦作之旅" in page
    # interests are checkboxes with labels; the defaults are ticked
    assert re.search(
        r'<input checked id="interests-\d+" name="interests" type="checkbox" value="history">', page
    )
    assert '<label for="interests-0">' in page
    # start point: stations first; must-see list holds sites, not stations
    assert '<option selected value="jiaozuo_station">' in page
    assert 'name="must_see" type="checkbox" value="jiaozuo_station"' not in page
    assert 'href="/?lang=en"' in page


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"query_string": {"lang": "en"}}, "Plan your trip to Jiaozuo"),
        ({"headers": {"Accept-Language": "en-US,en;q=0.8"}}, "Plan your trip to Jiaozuo"),
        ({"headers": {"Accept-Language": "zh-CN,zh;q=0.9"}}, "规划您的焦作之旅"),
        ({}, "规划您的焦作之旅"),
    ],
)
def test_language_negotiation(client: Any, kwargs: dict[str, Any], expected: str) -> None:
    page = client.get("/", **kwargs).get_data(as_text=True)
    assert expected in page
    lang = "en" if expected.startswith("Plan") else "zh-CN"
    assert f'<html lang="{lang}">' in page


def test_language_choice_is_remembered(client: Any) -> None:
    r = client.get("/?lang=en")
    assert "lang=en" in r.headers["Set-Cookie"]
    assert "Plan your trip" in client.get("/").get_data(as_text=True)
    assert "规划您的焦作之旅" in client.get("/?lang=zh").get_data(as_text=True)


def test_plan_redirects_to_a_share_link(app: Any, saved: str) -> None:
    result = _result(app, saved)
    assert result["days"][0]["stops"], "one click should give a day with stops"
    assert result["request"]["start_date"] == DAY


def test_result_page(client: Any, app: Any, saved: str) -> None:
    r = client.get(f"/i/{saved}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    result = _result(app, saved)
    first = result["days"][0]["stops"][0]
    assert first["start"] in page
    assert first["name_zh"] in page
    assert 'class="folium-map"' in page
    assert "/static/vendor/leaflet-1.9.3/leaflet.js" in page
    assert "user-scalable=no" not in page  # folium's zoom-blocking viewport is dropped
    # exports, share, embed, oEmbed discovery
    for ext in ("ics", "gpx", "geojson"):
        assert f"/i/{saved}.{ext}" in page
    assert f"/i/{saved}/print" in page
    assert f"http://localhost/i/{saved}" in page
    assert f"&lt;iframe src=&#34;http://localhost/embed/itinerary/{saved}&#34;" in page
    assert 'type="application/json+oembed"' in page
    # every inline script carries this response's nonce
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)
    # lock / remove controls for each stop
    assert f'name="lock" value="{first["site_id"]}:0"' in page
    assert f'name="remove" value="{first["site_id"]}"' in page


def test_result_in_english(client: Any, saved: str) -> None:
    page = client.get(f"/i/{saved}?lang=en").get_data(as_text=True)
    assert "Timeline" in page
    assert "Add to calendar (ICS)" in page
    assert "Leave Jiaozuo Railway Station" in page


def test_unknown_itinerary_is_an_html_404(client: Any) -> None:
    r = client.get("/i/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "<h1>404" in r.get_data(as_text=True)


def test_exports(client: Any, app: Any, saved: str) -> None:
    result = _result(app, saved)
    stops = [s for d in result["days"] for s in d["stops"]]
    r = client.get(f"/i/{saved}.ics")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="tourplan-{saved}.ics"' in r.headers["Content-Disposition"]
    cal = icalendar.Calendar.from_ical(r.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(stops)
    assert events[0]["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert events[0].decoded("DTSTART").strftime("%H:%M") == stops[0]["start"]
    assert str(events[0]["UID"]).startswith(f"{saved}-d1-s1-")
    assert client.get(f"/i/{saved}.ics").data == r.data  # stable UIDs
    gpx = gpxpy.parse(client.get(f"/i/{saved}.gpx").get_data(as_text=True))
    assert len(gpx.waypoints) == len(stops)
    assert gpx.waypoints[0].latitude == stops[0]["lat"]
    r = client.get(f"/i/{saved}.geojson")
    assert r.mimetype == "application/geo+json"
    fc = json.loads(r.data)
    assert [f["properties"]["site_id"] for f in fc["features"] if f["properties"]["kind"] == "stop"] == [
        s["site_id"] for s in stops
    ]
    assert client.get(f"/i/{saved}.kml").status_code == 404


def test_printable_page(client: Any, saved: str) -> None:
    r = client.get(f"/i/{saved}/print")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'class="printable"' in page
    assert "/static/css/app.css" in page
    with client.get("/static/css/app.css") as css:
        assert "@media print" in css.get_data(as_text=True)
    # the start and end are named in the page's language, like on the result page
    en = client.get(f"/i/{saved}/print?lang=en").get_data(as_text=True)
    assert "Leave Jiaozuo Railway Station at" in en
    zh = client.get(f"/i/{saved}/print?lang=zh").get_data(as_text=True)
    assert "焦作站" in zh and "Leave Jiaozuo Railway Station" not in zh


def test_printable_page_lists_every_leg(client: Any, app: Any, saved: str) -> None:
    """How to get from one stop to the next is on paper too: one row per leg, back to the end included."""
    result = _result(app, saved)
    en = client.get(f"/i/{saved}/print?lang=en").get_data(as_text=True)
    rows = re.findall(
        r'<tr class="leg-row"><td></td><td colspan="4">→ (\d+) min by [^,]+, ([\d.]+) km</td></tr>', en
    )
    legs = [leg for day in result["days"] for leg in day["legs"]]
    assert len(legs) >= 2
    assert len(rows) == len(legs)
    for (m, km), leg in zip(rows, legs, strict=True):
        assert abs(int(m) - leg["minutes"]) <= 0.5
        assert float(km) == pytest.approx(leg["km"], rel=1e-5)


def test_replan_locks_and_removes(client: Any, app: Any, saved: str) -> None:
    stops = _result(app, saved)["days"][0]["stops"]
    visits = [s for s in stops if not s["lunch"]]
    assert len(visits) >= 2
    keep, drop = visits[0]["site_id"], visits[1]["site_id"]
    r = client.post(f"/i/{saved}/replan", data={"lock": [f"{keep}:0"], "remove": [drop]})
    assert r.status_code == 303
    new = r.headers["Location"].rsplit("/", 1)[1]
    assert new != saved
    rec = app.extensions["tourplan.store"].get_itinerary(new)
    assert rec.request["locked"] == {keep: 0}
    assert rec.request["exclude"] == [drop]
    ids = [s["site_id"] for d in rec.result["days"] for s in d["stops"]]
    assert keep in ids
    assert drop not in ids
    # the removed site is listed with a ticked box so it can be restored
    page = client.get(f"/i/{new}").get_data(as_text=True)
    assert f'id="ex-{drop}" name="remove" value="{drop}" checked' in page
    assert f'name="lock" value="{keep}:0" checked' in page


def test_replan_adds_a_site(client: Any, app: Any, saved: str) -> None:
    result = _result(app, saved)
    planned = {s["site_id"] for d in result["days"] for s in d["stops"]}
    page = client.get(f"/i/{saved}?lang=en").get_data(as_text=True)
    offered = re.findall(r'<select id="add-site" name="add"[^>]*>(.*?)</select>', page, re.S)
    assert offered
    choices = [v for v in re.findall(r'<option value="([^"]*)">', offered[0]) if v]
    assert choices and not set(choices) & planned  # only sites not in the trip yet
    # a site in the city open all day, so the trip can always make room for it
    target = next(c for c in ("longyuan_lake_park", "dongfanghong_square", "jiaozuo_museum") if c in choices)
    r = client.post(f"/i/{saved}/replan", data={"add": [target]})
    assert r.status_code == 303
    rec = app.extensions["tourplan.store"].get_itinerary(r.headers["Location"].rsplit("/", 1)[1])
    assert target in rec.request["must_see"]
    assert target in {s["site_id"] for d in rec.result["days"] for s in d["stops"]}
    # an empty choice adds nothing
    r = client.post(f"/i/{saved}/replan", data={"add": [""]})
    assert r.status_code == 303
    rec = app.extensions["tourplan.store"].get_itinerary(r.headers["Location"].rsplit("/", 1)[1])
    before = app.extensions["tourplan.store"].get_itinerary(saved).request.get("must_see") or []
    assert rec.request["must_see"] == list(before)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"day_start": "18:00", "day_end": "09:00"}, "结束时间（09:00）必须晚于开始时间（18:00）"),
        ({"start_text": "Atlantis"}, "找不到"),  # the page speaks Chinese by default
        ({"date": "not-a-date"}, ""),
        ({"days": "9"}, ""),
    ],
)
def test_bad_plan_form_shows_the_problem(client: Any, change: dict[str, str], message: str) -> None:
    r = client.post("/plan", data={**FORM, **change})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'role="alert"' in page
    assert message in page


def test_csrf_is_enforced(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    c = app.test_client()
    assert c.post("/plan", data=FORM).status_code == 400
    page = c.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert c.post("/plan", data={**FORM, "csrf_token": token}).status_code == 303


def test_plan_typed_into_the_address_bar_goes_to_the_form(tmp_path: Path) -> None:
    c = make_app(tmp_path).test_client()
    r = c.get("/plan")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    r = c.get("/plan?start=jiaozuo_station&must_see=x")
    assert r.headers["Location"] == "/?start=jiaozuo_station&must_see=x"
    assert c.get(r.headers["Location"]).status_code == 200


def test_share_link_survives_a_restart(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    iid = app.test_client().post("/plan", data=FORM).headers["Location"].rsplit("/", 1)[1]
    app.extensions["tourplan.store"].dispose()
    again = make_app(tmp_path)
    r = again.test_client().get(f"/i/{iid}")
    assert r.status_code == 200
    assert (tmp_path / "tourplan.sqlite").exists()


def test_secret_key_is_generated_once_into_the_instance(tmp_path: Path) -> None:
    a = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    b = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"]
    assert len(a.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


# --------------------------------------------------------------------------- sites


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("category=museum", lambda s: s.category == "museum"),
        ("theme=mountain", lambda s: "mountain" in s.themes),
        ("grade=primary", lambda s: "primary" in s.study_grades),
        ("q=%E4%BA%91%E5%8F%B0", lambda s: "云台" in s.name_zh),
    ],
)
def test_site_directory_filters(client: Any, app: Any, query: str, check: Any) -> None:
    sites = app.extensions["tourplan.data"].current().sites
    page = client.get(f"/sites?{query}").get_data(as_text=True)
    listed = set(re.findall(r'href="/sites/([a-z0-9_\-]+)"', page))
    expected = {s.id for s in sites if check(s)}
    assert expected
    assert listed == expected


def test_site_directory_rejects_unknown_filters(client: Any) -> None:
    assert client.get("/sites?category=spaceport").status_code == 400


def test_site_page_and_approximate_location(client: Any, app: Any) -> None:
    sites = app.extensions["tourplan.data"].current().sites
    rough = next(s for s in sites if s.location_error_m >= 500)
    from tourplan.rules import PASS_THROUGH

    exact = next(s for s in sites if s.location_error_m < 500 and s.category not in PASS_THROUGH)
    page = client.get(f"/sites/{rough.id}?lang=en").get_data(as_text=True)
    assert "Approximate location" in page
    assert rough.name_en in page
    assert 'class="folium-map"' in page
    page = client.get(f"/sites/{exact.id}?lang=en").get_data(as_text=True)
    assert "Approximate location" not in page
    assert f'href="/?must_see={exact.id}"' in page
    form = client.get(f"/?must_see={exact.id}&must_see=nope").get_data(as_text=True)
    ticked = re.findall(r'<input type="checkbox" name="must_see" value="([^"]+)" checked>', form)
    assert ticked == [exact.id]
    assert '<details class="more" open>' in form
    station = client.get("/sites/jiaozuo_west_station").get_data(as_text=True)
    assert 'href="/?start=jiaozuo_west_station"' in station
    form = client.get("/?start=jiaozuo_west_station").get_data(as_text=True)
    assert '<option selected value="jiaozuo_west_station">' in form
    assert client.get("/sites/nope").status_code == 404


# --------------------------------------------------------------------------- security headers


def test_pages_refuse_framing(client: Any) -> None:
    for url in ("/", "/sites", "/staff/login", "/api/v1/sites", "/nope"):
        r = client.get(url)
        assert r.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], url
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_csp_fits_the_maps(client: Any) -> None:
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "https://tile.openstreetmap.org" in csp
    assert "object-src 'none'" in csp


def test_embeds_may_be_framed(client: Any, saved: str) -> None:
    r = client.get(f"/embed/itinerary/{saved}")
    assert r.status_code == 200
    assert "X-Frame-Options" not in r.headers
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"]
    page = r.get_data(as_text=True)
    assert 'class="folium-map"' in page
    assert "<html lang=" in page
    assert 'type="application/json+oembed"' in page


def test_frame_ancestors_are_configurable(tmp_path: Path) -> None:
    app = make_app(tmp_path, EMBED_FRAME_ANCESTORS=["https://promo.example", "'self'"])
    c = app.test_client()
    csp = c.get("/embed/showcase/history").headers["Content-Security-Policy"]
    assert "frame-ancestors https://promo.example 'self'" in csp
    with pytest.raises(ValueError, match="EMBED_FRAME_ANCESTORS"):
        make_app(tmp_path, EMBED_FRAME_ANCESTORS="https://a.example;script-src *")


def test_session_cookie_flags(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True)
    r = app.test_client().get("/")
    cookie = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert "Strict-Transport-Security" in r.headers
    app2 = make_app(tmp_path / "b", WTF_CSRF_ENABLED=True)
    cookie = [
        c for c in app2.test_client().get("/").headers.getlist("Set-Cookie") if c.startswith("session=")
    ][0]
    assert "Secure" not in cookie


# --------------------------------------------------------------------------- embeds and oEmbed


@pytest.mark.parametrize(
    "query",
    ["width=abc", "height=5", "width=200%", "lang=fr", "tiles=bing", "tiles=tianditu"],
)
def test_embed_parameters_are_checked(client: Any, saved: str, query: str) -> None:
    r = client.get(f"/embed/itinerary/{saved}?{query}")
    assert r.status_code == 400


def test_embed_parameters(client: Any, saved: str) -> None:
    page = client.get(f"/embed/itinerary/{saved}?width=600&height=400&lang=en&tiles=gaode").get_data(
        as_text=True
    )
    assert "width:600px;height:400px" in page
    assert "autonavi.com" in page
    assert '<html lang="en">' in page


def test_showcase_is_planned_once(client: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tourplan.web.services import planning

    calls = []
    real = planning.plan_result

    def counting(data: Any) -> Any:
        calls.append(data)
        return real(data)

    monkeypatch.setattr(planning, "plan_result", counting)
    a = client.get("/embed/showcase/mountain")
    b = client.get("/embed/showcase/mountain?lang=en")
    assert a.status_code == b.status_code == 200
    assert len(calls) == 1
    assert calls[0]["interests"] == {"mountain": 1.0}
    assert client.get("/embed/showcase/karaoke").status_code == 404


def test_flow_embed_of_an_unknown_run(client: Any) -> None:
    assert client.get("/embed/flow/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_oembed(client: Any, saved: str) -> None:
    r = client.get("/oembed", query_string={"url": f"http://localhost/i/{saved}", "format": "json"})
    assert r.status_code == 200
    data = r.get_json()
    assert data["type"] == "rich"
    assert data["version"] == "1.0"
    assert f'src="http://localhost/embed/itinerary/{saved}"' in data["html"]
    assert (data["width"], data["height"]) == (640, 480)
    small = client.get(
        "/oembed",
        query_string={
            "url": f"http://localhost/embed/itinerary/{saved}",
            "maxwidth": "300",
            "maxheight": "200",
        },
    ).get_json()
    assert (small["width"], small["height"]) == (300, 200)
    show = client.get("/oembed", query_string={"url": "http://localhost/embed/showcase/history"}).get_json()
    assert "/embed/showcase/history" in show["html"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": "http://localhost/i/AAAAAAAAAAAAAAAAAAAAAA"}, 404),
        ({"url": "https://evil.example/i/AAAAAAAAAAAAAAAAAAAAAA"}, 404),
        ({"url": "http://localhost/sites"}, 404),
        ({"url": "javascript:alert(1)"}, 404),
        ({"url": "http://localhost/embed/showcase/karaoke"}, 404),
        ({"url": "http://localhost/embed/showcase/history", "format": "xml"}, 501),
        ({"url": "http://localhost/embed/showcase/history", "maxwidth": "-1"}, 400),
    ],
)
def test_oembed_errors_are_json(client: Any, params: dict[str, str], status: int) -> None:
    r = client.get("/oembed", query_string={**params, "lang": "zh"})
    assert r.status_code == status
    body = r.get_json()
    assert set(body) == {"error", "errors", "message", "messages"}
    (field,) = body["errors"]
    assert field in params and set(body["messages"]) == {field}
    # the reason in both languages, the field named in the whole sentence
    assert body["message"]["zh"].startswith(f"{field}：") and re.search(r"[\u4e00-\u9fff]", body["message"]["zh"])
    assert body["message"]["en"].startswith(f"{field}: ") and not re.search(r"[\u4e00-\u9fff]", body["message"]["en"])
    assert body["messages"][field]["zh"] in body["message"]["zh"]


def test_oembed_title_in_the_request_language(client: Any, saved: str) -> None:
    def title(url: str, lang: str) -> str:
        return str(client.get("/oembed", query_string={"url": url, "lang": lang}).get_json()["title"])

    assert title(f"http://localhost/i/{saved}", "zh") == "行程地图"
    assert title(f"http://localhost/i/{saved}", "en") == "Trip map"
    zh = title("http://localhost/embed/showcase/history", "zh")
    assert "历史" in zh and zh != title("http://localhost/embed/showcase/history", "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("path", "status", "zh", "en"),
    [
        ("/no/such/page", 404, "404 未找到", "404 Not found"),
        ("/embed/showcase/karaoke", 404, "这个主题没有现成路线", "no ready-made route"),
        ("/embed/showcase/history?width=5", 400, "width：应为像素数", "width: Expected pixels"),
        ("/embed/showcase/history?height=5000", 400, "height：应在 100 到 4000 像素之间", "Expected 100 to 4000 pixels"),
        ("/embed/showcase/history?tiles=bing", 400, "tiles：应为以下之一", "tiles: Expected one of"),
        ("/embed/showcase/history?lang=fr", 400, "lang：应为 zh 或 en", "lang: Expected zh or en"),
    ],
)
def test_error_pages_speak_the_page_language(
    client: Any, lang: str, path: str, status: int, zh: str, en: str
) -> None:
    sep = "&" if "?" in path else "?"
    if "lang=" in path:  # (a bad lang parameter: the language comes from the cookie-less default, Chinese)
        if lang == "en":
            return
        url = path
    else:
        url = f"{path}{sep}lang={lang}"
    r = client.get(url)
    assert r.status_code == status
    main = re.search(r"<main.*?</main>", r.get_data(as_text=True), re.S)
    assert main is not None
    text = html.unescape(re.sub(r"<[^>]+>", " ", main.group(0)))
    assert (zh if lang == "zh" else en) in text
    if lang == "zh":  # nothing left in English: no werkzeug sentence, no status name
        assert not re.search(r"Not Found|Bad Request|requested URL|expected", text)


def test_api_http_errors_carry_both_languages(client: Any) -> None:
    body = client.get("/api/v1/no-such-thing").get_json()
    assert body["message"]["zh"] == "没有与此网址对应的页面，请检查网址是否完整。"
    assert body["message"]["en"].startswith("There is no page")


def test_healthz(client: Any) -> None:
    assert client.get("/healthz").get_json()["sites"] > 10


def test_static_assets_are_local(client: Any, saved: str) -> None:
    page = client.get(f"/i/{saved}").get_data(as_text=True)
    assets = re.findall(r'src="(https?://[^"]+)"', page) + re.findall(
        r'<link[^>]*href="(https?://[^"]+)"', page
    )
    assert assets
    for url in assets:
        assert url.startswith("http://localhost/"), url
    # The only links out are the hand-offs to the navigation apps.
    for url in re.findall(r'<a[^>]*href="(https?://[^"]+)"', page):
        assert url.startswith(("http://localhost/", "https://uri.amap.com/", "https://api.map.baidu.com/")), (
            url
        )
    with client.get("/static/vendor/leaflet-1.9.3/leaflet.js") as r:
        assert r.status_code == 200


def test_bundled_templates_are_not_written(app: Any) -> None:
    """Sanity: the app never writes into the repository's data folder."""
    from tourplan.resources import default_pois_path

    before = hashlib.sha256(default_pois_path().read_bytes()).hexdigest()
    app.test_client().get("/sites")
    assert hashlib.sha256(default_pois_path().read_bytes()).hexdigest() == before


def test_chinese_catalog_is_complete_and_compiled() -> None:
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from tourplan.web.i18n import TRANSLATIONS

    folder = TRANSLATIONS / "zh" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="zh")
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == [], "translate these in messages.po"
    buf = BytesIO()
    write_mo(buf, catalog)
    assert buf.getvalue() == (folder / "messages.mo").read_bytes(), "run tourplan/web/translations/update.py"


def test_favicon(tmp_path: Path) -> None:
    c = make_app(tmp_path).test_client()
    r = c.get("/favicon.ico")
    assert r.status_code == 301
    with c.get(r.headers["Location"]) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert 'rel="icon"' in c.get("/").get_data(as_text=True)
