"""XSS: the corpus in every site-table text field and every request field that reaches HTML.

Every page and map the app renders from that data is checked with
:func:`xss_corpus.xss_problems` (payloads escaped in HTML, JSON-encoded in
scripts, no handler, URL or element a payload could bring). The same pages
run in chromium with a trap in tests/e2e/test_xss_browser.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import helpers
import pytest
from xss_corpus import payloads, write_payload_pois, xss_problems

DAY = "2025-05-10"
PASSWORD = "correct horse battery"
USER = "<svg/onload=window.__xss(44)>"
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "pois.csv"


def build_app(instance: Path, **over: Any) -> Any:
    """An app whose site table is full of payloads, with a payload-named staff user."""
    pois = instance / "xss_pois.csv"
    write_payload_pois(BUNDLED, pois)
    cfg: dict[str, Any] = {
        "SECRET_KEY": "xss-secret",
        "POIS_PATH": str(pois),
        "SHOWCASE_DATE": DAY,
        "SIMULATION_OVERRIDES": helpers.FAST_SIMULATION,
    }
    return helpers.make_app(instance, user=(USER, PASSWORD), **{**cfg, **over})


def seed_records(app: Any) -> dict[str, str]:
    """Save an itinerary, a finished and a failed flow run, and (when possible) a study tour."""
    store = app.extensions["tourplan.store"]
    sites = app.extensions["tourplan.data"].current().sites
    corpus = payloads()
    from tourplan.rules import PASS_THROUGH

    ids = [s.id for s in sites if s.category not in PASS_THROUGH]
    c = app.test_client()
    r = c.post(
        "/api/v1/itineraries",
        json={
            "date": DAY,
            "days": 2,
            "interests": {"history": 1, "culture": 1, "mountain": 1},
            "start": "jiaozuo_station",
            "must_see": ids[:3],
            "exclude": ids[3:5],
        },
    )
    assert r.status_code == 201, r.get_json()
    out = {"itinerary": r.get_json()["id"]}
    # a FlowResult.to_dict() form with payloads wherever its text reaches a page
    result = {
        "date": corpus[0],
        "day_type": corpus[1],
        "seed": corpus[2],
        "slot_minutes": 15,
        "day_start": "08:00",
        "visitors": 1000,
        "finished": corpus[3],
        "inside_at_end": corpus[4],
        "sites": {s.id: {"occupancy": [float(k % 7) for k in range(40)]} for s in sites},
        "alerts": [{"site_id": p, "slot_start": p, "level": p, "ratio": 0.95, "queue": 3.0} for p in corpus],
        "daily_alerts": [{"site_id": p, "visits": 4100, "capacity_daily": 3600} for p in corpus],
    }
    run = store.create_run({"date": corpus[0]}, owner_id=None)
    store.update_run(run.id, status="done", progress=1.0, result=result)
    store.publish_run(run.id)  # its embed page and oEmbed answer are public
    out["run"] = run.id
    failed = store.create_run({"date": DAY}, owner_id=None)
    store.update_run(failed.id, status="failed", error=corpus[1])
    out["failed_run"] = failed.id
    return out


def _login(app: Any) -> Any:
    return helpers.login(app.test_client(), USER, PASSWORD)


def page_urls(app: Any, records: dict[str, str]) -> list[str]:
    """Every public and staff page that shows site data or request values (GET)."""
    sites = app.extensions["tourplan.data"].current().sites
    iid, run = records["itinerary"], records["run"]
    urls = ["/", f"/?must_see={sites.ids[5]}&start={sites.ids[0]}", "/sites", "/sites?q=%3Cscript%3E"]
    urls += [f"/sites/{s.id}" for s in sites]
    urls += [f"/i/{iid}", f"/i/{iid}?lang=en", f"/i/{iid}/print", f"/embed/itinerary/{iid}"]
    urls += [f"/embed/itinerary/{iid}?lang=en&width=600&height=400", f"/embed/flow/{run}"]
    urls += [f"/embed/showcase/{t}" for t in ("history", "mountain")]
    urls += ["/staff/", "/staff/flow", f"/staff/flow/{run}", f"/staff/flow/{records['failed_run']}"]
    urls += ["/staff/data", "/staff/study/new"]
    if "study" in records:
        sid = records["study"]
        urls += [f"/staff/study/{sid}", f"/staff/study/{sid}/print", f"/staff/study/{sid}/edit"]
    return urls


@pytest.fixture(scope="module")
def xss_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_app(tmp_path_factory.mktemp("xss"))


@pytest.fixture(scope="module")
def records(xss_app: Any) -> dict[str, str]:
    out = seed_records(xss_app)
    try:
        import tourplan.study  # noqa: F401
    except ImportError:  # pragma: no cover
        return out
    staff = _login(xss_app)
    r = staff.post(
        "/staff/study/new",
        data={"name": payloads()[2], "school": payloads()[3], "date": DAY, "grade": "junior",
              "students": "80", "groups": "2", "buses": "2", "seats": "53", "start": "jiaozuo_station",
              "day_start": "08:30", "day_end": "17:00", "products": ["知识科普型"], "extra": ""},
    )  # fmt: skip
    assert r.status_code in (303, 400), r.get_data(as_text=True)[:500]
    if r.status_code == 303:
        out["study"] = r.headers["Location"].rsplit("/", 1)[1]
    return out


@pytest.fixture(scope="module")
def staff(xss_app: Any) -> Any:
    return _login(xss_app)


def test_corpus_is_large_and_reaches_every_column(xss_app: Any) -> None:
    corpus = payloads()
    assert len(corpus) >= 30
    sites = xss_app.extensions["tourplan.data"].current().sites
    for col in ("name_zh", "name_en", "activity", "study_notes", "note", "district", "source"):
        assert {getattr(s, col) for s in sites} >= set(corpus), col
    assert {s.activity_zh for s in sites} >= {"活动" + p for p in corpus}


def test_every_page_escapes_site_data_and_stored_values(
    xss_app: Any, records: dict[str, str], staff: Any
) -> None:
    bad: dict[str, list[str]] = {}
    checked = 0
    for url in page_urls(xss_app, records):
        r = staff.get(url)
        assert r.status_code == 200, (url, r.status_code)
        assert r.mimetype == "text/html", url
        checked += 1
        if problems := xss_problems(r.get_data(as_text=True)):
            bad[url] = problems[:5]
    assert not bad, bad
    assert checked > 70


@pytest.mark.parametrize("payload", payloads())
def test_free_text_start_and_form_fields(xss_app: Any, payload: str) -> None:
    c = xss_app.test_client()
    form = {"date": DAY, "days": "1", "interests": ["history"], "start": "jiaozuo_station",
            "start_text": payload[:200], "day_start": "08:30", "day_end": "18:00", "pace": "normal",
            "mode": "drive", "ticket_budget": payload}  # fmt: skip
    r = c.post("/plan", data=form)
    assert r.status_code in (303, 400, 422)
    if r.status_code == 303:
        r = c.get(r.headers["Location"])
    assert xss_problems(r.get_data(as_text=True)) == []


@pytest.mark.parametrize("name", ["lang", "tiles", "width", "height"])
def test_query_parameters_of_embeds(xss_app: Any, records: dict[str, str], name: str) -> None:
    c = xss_app.test_client()
    for p in payloads():
        for url in (f"/embed/itinerary/{records['itinerary']}", "/embed/showcase/history", "/sites", "/"):
            r = c.get(url, query_string={name: p})
            assert r.status_code in (200, 400), (url, r.status_code)
            assert xss_problems(r.get_data(as_text=True)) == [], (url, name, p)


def test_other_query_parameters(xss_app: Any, staff: Any) -> None:
    c = xss_app.test_client()
    for p in payloads():
        for url, args in (
            ("/sites", {"q": p}),
            ("/sites", {"category": p}),
            ("/sites", {"theme": p}),
            ("/", {"must_see": p, "start": p}),
            ("/staff/login", {"next": p}),
        ):
            r = c.get(url, query_string=args)
            assert xss_problems(r.get_data(as_text=True)) == [], (url, args)
        r = c.get(f"/sites/{p}")
        assert r.status_code == 404
        assert xss_problems(r.get_data(as_text=True)) == []
        r = staff.get("/staff/flow", query_string={"lang": p})
        assert xss_problems(r.get_data(as_text=True)) == []


def test_oembed_html_is_escaped(xss_app: Any, records: dict[str, str]) -> None:
    c = xss_app.test_client()
    for page in (f"/i/{records['itinerary']}", f"/embed/flow/{records['run']}", "/embed/showcase/history"):
        r = c.get("/oembed", query_string={"url": f"http://localhost{page}", "maxwidth": "600"})
        assert r.status_code == 200
        snippet = r.get_json()["html"]
        # the snippet is an iframe by design: of our own embed page, and nothing else
        assert re.fullmatch(r'<iframe src="http://localhost/embed/[^"<>]+"[^<>]*></iframe>', snippet), snippet
        assert [p for p in xss_problems(snippet) if p != "<iframe> element"] == []
    for p in payloads():
        r = c.get("/oembed", query_string={"url": p, "format": "json"})
        assert r.mimetype == "application/json"
        r = c.get(
            "/oembed", query_string={"url": f"http://localhost/i/{records['itinerary']}", "maxwidth": p}
        )
        assert r.mimetype == "application/json"


def test_staff_forms_echo_payloads_escaped(xss_app: Any, staff: Any) -> None:
    corpus = payloads()
    for p in corpus:
        r = staff.post(
            "/staff/study/new",
            data={"name": p, "school": p, "date": DAY, "grade": "junior", "students": "x", "extra": p},
        )
        assert r.status_code == 400
        assert xss_problems(r.get_data(as_text=True)) == [], p
        r = staff.post("/staff/flow", data={"date": DAY, "visitors": "10", "extra": _json({"weather": p})})
        assert xss_problems(r.get_data(as_text=True)) == [], p
    r = xss_app.test_client().post("/staff/login", data={"username": corpus[0], "password": corpus[1]})
    assert r.status_code == 401
    assert xss_problems(r.get_data(as_text=True)) == []


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def test_upload_preview_escapes_values_and_problems(xss_app: Any, staff: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    write_payload_pois(BUNDLED, good)
    raw = good.read_bytes()
    r = staff.post(
        "/staff/data", data={"file": (io.BytesIO(raw), "<b>x</b>.csv")}, content_type="multipart/form-data"
    )
    assert r.status_code in (200, 400)
    assert xss_problems(r.get_data(as_text=True)) == []
    # a bad table: payloads in checked columns come back in the problem list
    text = raw.decode()
    header, first, *rest = text.splitlines()
    cols = header.split(",")
    bad_rows = []
    for p in payloads():
        cells = dict(zip(cols, first.split(","), strict=False))
        cells["lat"] = p.replace(",", " ").replace('"', "'")
        cells["category"] = cells["lat"]
        bad_rows.append(",".join('"' + cells.get(c, "").replace('"', '""') + '"' for c in cols))
    r = staff.post(
        "/staff/data",
        data={"file": (io.BytesIO("\n".join([header, *bad_rows]).encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert re.search(r"lat", page)
    assert xss_problems(page) == []


@pytest.mark.parametrize(
    ("page", "bad"),
    [
        ("<p><script>window.__xss(1)</script></p>", True),
        ("<p>&lt;script&gt;window.__xss(1)&lt;/script&gt;</p>", False),
        ('<a href=" javascript:window.__xss(10)">x</a>', True),
        ('<img src="x" onerror="f()">', True),
        ('<script nonce="n">var d = {"a":"\\u003c/script\\u003ewindow.__xss(13)"};</script>', False),
        ('<script nonce="n">var d = "x";window.__xss(40);//";</script>', True),
        ('<script nonce="n">var t = `${window.__xss(21)}`;</script>', True),
        ("<p>xssxssxss</p>", True),
        ('<div style="width: expression(window.__xss(25))">', True),
    ],
)
def test_the_checker_catches_what_it_should(page: str, bad: bool) -> None:
    assert bool(xss_problems(page)) is bad, xss_problems(page)


@pytest.mark.parametrize("name", ["{{'xss'*3}}", "{% if 1 %}xss{% endif %}", "{# x", "{{ cycler.__init__ }}"])
def test_map_data_is_never_a_template(name: str) -> None:
    """branca parses rendered scripts again as Jinja: data must not be evaluated (it was)."""
    from tourplan import maps

    point = maps.MapPoint(35.2, 113.2, name, name, 800)
    m = maps.render_route_map(
        [maps.RouteDay(name, [maps.MapStop(point, 1, activity=name)], start=point, end=point)]
    )
    page = maps.render_html(m)
    assert "xssxssxss" not in page
    assert "<function" not in page and "<bound method" not in page
