"""Staff pages: login, study tours, the flow dashboard, site-data upload."""

from __future__ import annotations

import csv
import functools
import hashlib
import html
import io
import json
import re
import time
from io import BytesIO
from typing import TYPE_CHECKING, Any

import helpers
import pytest

from tourplan.resources import default_pois_path

if TYPE_CHECKING:
    from pathlib import Path

PASSWORD = helpers.STAFF_PASSWORD
STUDY_FORM = helpers.STUDY_FORM


make_app = functools.partial(
    helpers.make_app, user=("staff", PASSWORD), SIMULATION_OVERRIDES=helpers.FAST_SIMULATION
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("staff"))


# --------------------------------------------------------------------------- login


@pytest.mark.parametrize(
    "url",
    ["/staff/", "/staff/study/new", "/staff/flow", "/staff/data", "/staff/study/AAAAAAAAAAAAAAAAAAAAAA"],
)
def test_staff_pages_need_login(client: Any, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/staff/login?next=")


def test_login_page_and_wrong_password(client: Any) -> None:
    page = client.get("/staff/login").get_data(as_text=True)
    assert '<label for="username">' in page
    assert '<label for="password">' in page
    r = client.post("/staff/login", data={"username": "staff", "password": "nope-nope"})
    assert r.status_code == 401
    assert 'role="alert"' in r.get_data(as_text=True)
    assert client.post("/staff/login", data={}).status_code == 400


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/staff/flow", "/staff/flow"), ("//evil.example/", "/staff/"), ("https://evil.example/", "/staff/")],
)
def test_login_redirects_only_locally(client: Any, next_url: str, expected: str) -> None:
    r = client.post(
        "/staff/login", query_string={"next": next_url}, data={"username": "staff", "password": PASSWORD}
    )
    assert r.status_code == 303
    assert r.headers["Location"] == expected


def test_home_and_logout(staff: Any) -> None:
    page = staff.get("/staff/").get_data(as_text=True)
    assert "/staff/study/new" in page
    en = staff.get("/staff/?lang=en").get_data(as_text=True)
    assert "Log out" in en
    assert "Staff login" not in en  # the footer links to the staff pages without asking to log in again
    assert staff.post("/staff/logout").status_code == 303
    assert staff.get("/staff/").status_code == 302


def test_logout_needs_the_csrf_token(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    c = app.test_client()
    page = c.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = c.post("/staff/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    assert c.post("/staff/logout").status_code == 400  # no token: refused
    assert c.get("/staff/").status_code == 200


# --------------------------------------------------------------------------- study tours


@pytest.fixture(scope="module")
def study_id(app: Any) -> str:
    c = app.test_client()
    c.post("/staff/login", data={"username": "staff", "password": PASSWORD})
    r = c.post("/staff/study/new", data=STUDY_FORM)
    assert r.status_code == 303, r.get_data(as_text=True)[:3000]
    return r.headers["Location"].rsplit("/", 1)[1]


def test_study_form(staff: Any) -> None:
    page = staff.get("/staff/study/new").get_data(as_text=True)
    assert 'name="school"' in page
    assert 'value="知识科普型"' in page
    # product types are labelled in the page's language; the stored value stays the standard's term
    en = staff.get("/staff/study/new?lang=en").get_data(as_text=True)
    assert "Knowledge and science" in en and 'value="知识科普型"' in en
    zh = staff.get("/staff/study/new?lang=zh").get_data(as_text=True)
    assert "Knowledge and science" not in zh and ">知识科普型<" in zh.replace(" ", "").replace("\n", "")


def test_study_plan_page(staff: Any, app: Any, study_id: str) -> None:
    rec = app.extensions["tourplan.store"].get_study(study_id)
    assert rec.name == "Spring outing"
    assert len(rec.result["groups"]) == 6
    page = staff.get(f"/staff/study/{study_id}?lang=en").get_data(as_text=True)
    assert "Timetables" in page
    assert "Bus sheets" in page
    assert "Site schedules" in page
    assert 'class="folium-map"' in page
    for g in rec.result["groups"]:
        assert g["label"] in page
    # staff and cost are labelled tables, never the result's keys
    assert "role_zh" not in page and "tickets_cny" not in page
    teachers = rec.result["staff"]["teachers"]["count"]
    assert f"<td>Accompanying teachers</td>\n    <td>{teachers}</td>" in page
    total = "{:,.0f}".format(rec.result["costs"]["total_cny"])
    assert f"<dt>Total</dt><dd>{total} CNY</dd>" in page
    zh = staff.get(f"/staff/study/{study_id}?lang=zh").get_data(as_text=True)
    assert f"<td>带队教师</td>\n    <td>{teachers}</td>" in zh
    # the bus cost says where it comes from (an empty form field: the documented assumption), in both languages
    note = re.search(r'id="bus-cost-note">([^<]+)<', zh)
    assert note is not None and "每车每天 ¥1500，是假设值" in html.unescape(note.group(1))
    assert "¥1500 per bus and day, an assumption" in html.unescape(page)
    # the rules say what was applied, in the page's language
    rules = html.unescape(zh.split("适用规则", 1)[1])
    assert "单程乘车最长 90 分钟（初中）" in rules and ("本方案用到的规则" in rules or "无需购票" in rules)
    assert "students pay" not in page


def test_study_page_shows_the_share_of_the_best_possible(staff: Any, app: Any, study_id: str) -> None:
    rec = app.extensions["tourplan.store"].get_study(study_id)
    share = rec.result["value_share"]
    assert 0 < share <= 1
    assert rec.result["value"] <= rec.result["value_upper_bound"] + 1e-6
    pct = f"{share * 100:.0f}%"
    en = staff.get(f"/staff/study/{study_id}?lang=en").get_data(as_text=True)
    assert f"This plan reaches {pct} of the best possible for these groups" in en
    assert "best day alone" in en
    zh = staff.get(f"/staff/study/{study_id}?lang=zh").get_data(as_text=True)
    assert f"本方案达到这些团组最佳可能值的 {pct}" in zh
    assert "最好的一天" in zh


def test_study_edit_and_print(staff: Any, app: Any, study_id: str) -> None:
    page = staff.get(f"/staff/study/{study_id}/edit").get_data(as_text=True)
    assert 'value="焦作一中"' in page
    assert 'value="Spring outing"' in page
    r = staff.post(
        f"/staff/study/{study_id}/edit",
        data={**STUDY_FORM, "name": "Spring outing (4)", "students": "160", "groups": "4", "buses": "4"},
    )
    assert r.status_code == 303
    rec = app.extensions["tourplan.store"].get_study(study_id)
    assert rec.name == "Spring outing (4)"
    assert len(rec.result["groups"]) == 4
    r = staff.get(f"/staff/study/{study_id}/print")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    assert "焦作一中" in r.get_data(as_text=True)


def test_print_shows_the_plan_as_saved(staff: Any, app: Any, study_id: str) -> None:
    store = app.extensions["tourplan.store"]
    rec = store.get_study(study_id)
    result = json.loads(json.dumps(rec.result))
    result["groups"][0]["label"] = "Label only in the saved plan"
    store.update_study(study_id, name=rec.name, request=dict(rec.request), result=result)
    page = staff.get(f"/staff/study/{study_id}/print").get_data(as_text=True)
    # printed from the saved plan, not planned again
    assert "Label only in the saved plan" in page
    store.update_study(study_id, name=rec.name, request=dict(rec.request), result=dict(rec.result))


def test_study_timetable_csv(staff: Any, app: Any, study_id: str) -> None:
    store = app.extensions["tourplan.store"]
    rec = store.get_study(study_id)
    r = staff.get(f"/staff/study/{study_id}.csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == f'attachment; filename="study-{study_id}.csv"'
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel then reads UTF-8 (Chinese names)
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    stops = [(g["id"], s) for g in rec.result["groups"] for s in g["stops"]]
    assert len(rows) == len(stops) > 0
    for row, (gid, s) in zip(rows, stops, strict=True):
        assert (row["group"], row["site_id"], row["start"], row["end"]) == (gid, s["site_id"], s["start"], s["end"])
    assert f'href="/staff/study/{study_id}.csv"' in staff.get(f"/staff/study/{study_id}").get_data(as_text=True)
    # text that a spreadsheet would run as a formula is neutralised
    result = json.loads(json.dumps(rec.result))
    result["groups"][0]["label"] = '=HYPERLINK("http://evil.example","x")'
    store.update_study(study_id, name=rec.name, request=dict(rec.request), result=result)
    try:
        first = next(csv.DictReader(io.StringIO(staff.get(f"/staff/study/{study_id}.csv").get_data(as_text=True)[1:])))
        assert first["label"] == "'" + result["groups"][0]["label"]
    finally:
        store.update_study(study_id, name=rec.name, request=dict(rec.request), result=dict(rec.result))
    # staff only
    assert app.test_client().get(f"/staff/study/{study_id}.csv").status_code in (302, 401)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"students": "0"}, "students"),
        ({"kept": "{not json"}, "kept"),
        ({"kept": '{"exclude": 5}'}, "exclude"),
        ({"boarding_minutes": "999"}, "boarding_minutes"),
        ({"school": ""}, "school"),
    ],
)
def test_bad_study_form(staff: Any, change: dict[str, str], field: str) -> None:
    r = staff.post("/staff/study/new", data={**STUDY_FORM, **change})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'class="error"' in page
    assert field in page


def test_study_options_are_form_fields(staff: Any, app: Any) -> None:
    """Lunch, limits and staff ratios are fields (no JSON needed); they reach the plan and come back on edit."""
    page = staff.get("/staff/study/new?lang=en").get_data(as_text=True)
    for name in ("lunch", "max_stops", "max_ride_minutes", "max_groups_per_site", "students_per_teacher",
                 "tutors_per_group", "guides_per_group", "safety_officers", "project_leaders", "boarding_minutes",
                 "bus_cost_cny", "staff_on_buses", "themes"):  # fmt: skip
        assert f'name="{name}"' in page
    options = {"lunch": "packed", "max_stops": "3", "max_groups_per_site": "1", "students_per_teacher": "10",
               "guides_per_group": "0", "safety_officers": "3", "themes": ["history", "red"]}  # fmt: skip
    r = staff.post("/staff/study/new", data={**STUDY_FORM, "name": "Options", **options})
    assert r.status_code == 303, r.get_data(as_text=True)[:3000]
    plan_id = r.headers["Location"].rsplit("/", 1)[1]
    rec = app.extensions["tourplan.store"].get_study(plan_id)
    req = rec.request
    assert (req["lunch"], req["max_stops"], req["max_groups_per_site"]) == ("packed", 3, 1)
    assert req["staff"] == {"students_per_teacher": 10, "tutors_per_group": 1, "guides_per_group": 0,
                            "safety_officers": 3, "project_leaders": 1}  # fmt: skip
    assert req["themes"] == ["history", "red"]
    assert rec.result["themes"] == ["history", "red"]
    # no bus cost typed: the documented default, and the plan says so (never a silent 0)
    assert (req["bus_cost_cny"], req["bus_cost_source"]) == (1500.0, "default")
    assert rec.result["costs"]["bus_cost_source"] == "default"
    assert rec.result["costs"]["bus_cny"] == 1500.0 * len(rec.result["buses"])
    groups = rec.result["groups"]
    assert groups
    for g in groups:
        assert -(-g["students"] // 10) == g["teachers"]  # one teacher per 10 students, rounded up
        assert g["guides"] == 0
        assert not any(s["lunch"] for s in g["stops"])  # packed lunches: no lunch stop
        assert len(g["stops"]) <= 3
    # the edit page shows them in their fields; there is no JSON box
    page = staff.get(f"/staff/study/{plan_id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="packed">|<option value="packed" selected>', page)
    assert re.search(r'name="students_per_teacher"[^>]*value="10"', page)
    assert re.search(r'name="max_groups_per_site"[^>]*value="1"', page)
    assert "<textarea" not in page
    assert re.search(r'name="safety_officers"[^>]*value="3"', page)
    assert re.search(r'name="themes"[^>]*value="history"[^>]*checked|checked[^>]*name="themes"[^>]*value="history"', page)
    # a bad ratio is marked on its own field
    r = staff.post("/staff/study/new", data={**STUDY_FORM, "students_per_teacher": "0"})
    assert r.status_code == 400
    assert 'id="students_per_teacher-error"' in r.get_data(as_text=True)


def test_unknown_study_plan(staff: Any) -> None:
    assert staff.get("/staff/study/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


# --------------------------------------------------------------------------- flow dashboard


def test_flow_dashboard_runs_and_reports(staff: Any, client: Any) -> None:
    assert staff.get("/staff/flow").status_code == 200
    r = staff.post(
        "/staff/flow", data={"date": "2026-05-12", "day_type": "", "visitors": "3000", "extra": ""}
    )
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    page = staff.get(f"/staff/flow/{run_id}").get_data(as_text=True)
    if 'id="run-progress"' in page:
        assert f"/api/v1/simulations/{run_id}" in page
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if staff.get(f"/api/v1/simulations/{run_id}").get_json()["status"] in ("done", "failed"):
            break
        time.sleep(0.3)
    page = staff.get(f"/staff/flow/{run_id}?lang=en").get_data(as_text=True)
    assert "Busiest sites" in page
    assert 'class="folium-map"' in page
    assert "leaflet.timedimension" in page
    assert 'type="application/json+oembed"' not in page and 'id="embed-code"' not in page  # not published
    # totals are labelled in the page's language, not shown as result keys
    assert "<dt>Kind of day</dt><dd>Weekday</dd>" in page and "<dt>day_type</dt>" not in page
    assert "<dt>Visitors</dt><dd>3000</dd>" in page
    with staff.get(f"/staff/flow/{run_id}.csv") as r:
        assert r.status_code == 200
        lines = r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("site_id,name_zh,name_en,slot,time,visitors")
    assert len(lines) > 10
    # promotional sites can embed the flow map once staff publish it; the CSV stays staff-only
    oembed_query = {"url": f"http://localhost/embed/flow/{run_id}"}
    assert client.get(f"/embed/flow/{run_id}").status_code == 404
    assert client.get("/oembed", query_string=oembed_query).status_code == 404
    assert client.get(f"/api/v1/simulations/{run_id}").status_code == 401
    r = staff.post(f"/staff/flow/{run_id}/publish", data={"publish": "1"})
    assert r.status_code == 303
    page = staff.get(f"/staff/flow/{run_id}?lang=en").get_data(as_text=True)
    assert 'id="embed-code"' in page and "Stop publishing" in page
    assert 'type="application/json+oembed"' in page
    assert client.get(f"/embed/flow/{run_id}").status_code == 200
    assert client.get(f"/api/v1/simulations/{run_id}").get_json()["result"]
    assert client.get(f"/staff/flow/{run_id}.csv").status_code == 302
    oembed = client.get("/oembed", query_string=oembed_query).get_json()
    assert f"/embed/flow/{run_id}" in oembed["html"]
    staff.post(f"/staff/flow/{run_id}/publish", data={"publish": "0"})
    assert client.get(f"/embed/flow/{run_id}").status_code == 404


def test_flow_alerts_speak_the_page_language(app: Any) -> None:
    from tourplan.web.services import simulations

    result = {
        "slot_minutes": 15, "day_start": "08:00", "sites": {},
        "alerts": [{"site_id": "jiaozuo_museum", "slot_start": "10:15", "level": "orange", "ratio": 0.95,
                    "queue": 12.5}],
        "daily_alerts": [{"site_id": "jiaozuo_museum", "visits": 4100, "capacity_daily": 3600}],
    }  # fmt: skip
    with app.test_request_context("/?lang=en"):
        en = simulations.alert_texts(simulations.flow_view(result), "en")
    with app.test_request_context("/?lang=zh"):
        zh = simulations.alert_texts(simulations.flow_view(result), "zh")
    assert en == [
        "Jiaozuo Museum: 4,100 visits > daily capacity C1 3,600",
        "10:15 Jiaozuo Museum: orange (95% of C0), queue 12.5",
    ]
    assert zh == ["焦作市博物馆：4,100 人次，超过日最大承载量 C1 3,600", "10:15 焦作市博物馆：橙色预警（C0 的 95%），排队 12.5 人"]


def _wait_for_run(staff: Any, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = staff.get(f"/api/v1/simulations/{run_id}").get_json()
        if body["status"] in ("done", "failed"):
            assert body["status"] == "done", body
            return dict(body)
        time.sleep(0.3)
    raise AssertionError("the simulation did not finish")


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


@pytest.fixture(scope="module")
def measured_run(app: Any) -> str:
    c = app.test_client()
    c.post("/staff/login", data={"username": "staff", "password": PASSWORD})
    r = c.post("/staff/flow", data={
        "date": "2026-10-03", "visitors": "20000", "timed_entry": "y",
        "daily_caps-0-site": "jiaozuo_museum", "daily_caps-0-number": "100", "group_shift_minutes": "30",
    })  # fmt: skip
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    run_id = str(r.headers["Location"].rsplit("/", 1)[1])
    _wait_for_run(c, run_id)
    return run_id


def test_flow_form_sends_measures_as_fields(staff: Any, app: Any, measured_run: str) -> None:
    page = staff.get("/staff/flow?lang=zh").get_data(as_text=True)
    for name in ("timed_entry", "quotas-0-site", "quotas-2-number", "daily_caps-0-site", "group_shift_minutes"):
        assert f'name="{name}"' in page
    assert "分时预约" in page and "错峰" in page
    from tourplan.web.services.data import get_store

    with app.app_context():
        run = get_store().get_run(measured_run)
    assert run is not None
    assert run.scenario["measures"] == {
        "timed_entry": True, "daily_caps": {"jiaozuo_museum": 100}, "group_shift_minutes": 30
    }
    # half a row is refused in the page's language, and nothing is queued
    r = staff.post("/staff/flow?lang=zh", data={"date": "2026-10-03", "quotas-1-site": "jiaozuo_museum"})
    assert r.status_code == 400
    assert "请同时填写景点和数量" in r.get_data(as_text=True)


def test_flow_run_page_ranks_episodes_and_compares_measures(staff: Any, app: Any, measured_run: str) -> None:
    result = _wait_for_run(staff, measured_run)["result"]
    page = staff.get(f"/staff/flow/{measured_run}?lang=zh").get_data(as_text=True)
    listed = re.search(r'<section id="episodes">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]
    items = re.findall(r'<li class="episode level-(\w+)">(.*?)</li>', listed, re.S)
    every = result["episodes"] + result["area_episodes"]
    assert len(items) == min(30, len(every)) > 0
    scores = sorted((e["score"] for e in every), reverse=True)
    first = _text(items[0][1])
    top = next(e for e in every if e["score"] == scores[0])
    assert re.search(r"\d{2}:\d{2}–\d{2}:\d{2} (超载|接近饱和|拥挤)，峰值 \d+ %", first), first
    assert {"red": "红色预警", "orange": "橙色预警", "yellow": "黄色预警"}[items[0][0]] in first
    assert f"{top['start']}–{top['end']}" in first and f"峰值 {top['peak_pct']} %" in first
    assert not re.search(r"\d\.\d+ ?人", _text("".join(i[1] for i in items)))  # whole people only
    # charts: the top episode's site by default, another by ?site=
    assert page.count('<svg class="chart"') == 4
    assert "全天人数与承载量" in page and "各入口到达人数" in page
    assert top["site_id"] != "jiaozuo_museum" and "jiaozuo_museum" in result["sites"]
    picked = staff.get(f"/staff/flow/{measured_run}?lang=en&site=jiaozuo_museum").get_data(as_text=True)
    assert "Jiaozuo Museum: people against capacity over the day" in picked
    assert '<option value="jiaozuo_museum" selected>' in picked
    # the measures' counts and the side-by-side comparison
    m = result["measures"]
    assert m["active"] and m["quota_sites"] > 0
    section = _text(re.search(r'<section id="measures">(.*?)</section>', page, re.S).group(1))
    assert f"顺延到后续时段的游览 {m['shifted']:,}" in section
    assert f"被劝返的游客 {m['turned_away']:,}" in section
    cmp = result["comparison"]
    table = _text(re.search(r'<section id="comparison">(.*?)</section>', page, re.S).group(1))
    assert "原计划" in table and "采取措施后" in table
    planned, measured = cmp["planned"], cmp["measured"]
    assert f"最长排队（人） {planned['max_queue']:,} {measured['max_queue']:,}" in table
    assert measured["alerts"]["red"] <= planned["alerts"]["red"]
    # each planned episode with the tier the measures leave of it
    compared = re.search(r'<section id="comparison">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]
    after = re.findall(r"(\d{2}:\d{2}–\d{2}:\d{2}) [^→<]*→\s*<span class=\"tier tier-(\w+)\">", compared)
    worst = max(cmp["episodes"], key=lambda e: (e["score"], e["peak_pct"]))
    assert after[0] == (f"{worst['start']}–{worst['end']}", worst["after"])
    assert len(after) == min(15, len(cmp["episodes"]))
    assert "北京时间" in page


def test_episode_text_in_both_languages(app: Any) -> None:
    from tourplan import views
    from tourplan.web.services import simulations

    with app.test_request_context("/?lang=en"):
        sites = simulations.site_data().sites
        e = views.FlowEpisode("jiaozuo_museum", sites.get("jiaozuo_museum"), "site", "red", "10:15", "14:30",
                              255, 1430, 143, "12:00", 1000, 88, 765)  # fmt: skip
        assert simulations.episode_text(e, "en") == "Jiaozuo Museum 10:15–14:30 over capacity, peak 143 %"
    with app.test_request_context("/?lang=zh"):
        assert simulations.episode_text(e, "zh") == "焦作市博物馆 10:15–14:30 超载，峰值 143 %"


def test_bad_flow_form(staff: Any) -> None:
    r = staff.post("/staff/flow", data={"date": "2026-05-12", "extra": '{"weather": "snow"}'})
    assert r.status_code == 400
    assert "weather" in r.get_data(as_text=True)


def test_unknown_run(staff: Any) -> None:
    assert staff.get("/staff/flow/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert staff.get("/staff/flow/AAAAAAAAAAAAAAAAAAAAAA.csv").status_code == 404


# --------------------------------------------------------------------------- site data


def _upload(c: Any, data: bytes, name: str = "pois.csv") -> Any:
    return c.post("/staff/data", data={"file": (BytesIO(data), name)}, content_type="multipart/form-data")


def test_invalid_upload_names_every_problem(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = app.test_client()
    c.post("/staff/login", data={"username": "staff", "password": PASSWORD})
    raw = default_pois_path().read_text(encoding="utf-8").splitlines()
    header = raw[0].split(",")
    lat = header.index("lat")
    row = raw[1].split(",")
    row[lat] = "north"
    bad = "\n".join([raw[0], ",".join(row), raw[2].replace("jiaozuo_west_station", "Bad Id!", 1)]) + "\n"
    r = _upload(c, bad.encode())
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "north" in page
    assert "Bad Id!" in page
    rows = re.findall(r"<tr><td[^>]*>pois.csv</td><td[^>]*>(\d+)</td><td[^>]*>(\w+)</td>", page)
    assert ("1", "lat") in rows
    assert ("2", "id") in rows
    assert "/staff/data/apply" not in page  # no way to apply an invalid file
    assert not (tmp_path / "pois.csv").exists()
    assert _upload(c, b"x", "pois.txt").status_code == 400


def test_valid_upload_replaces_the_data_atomically(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = app.test_client()
    c.post("/staff/login", data={"username": "staff", "password": PASSWORD})
    bundled = default_pois_path()
    before = hashlib.sha256(bundled.read_bytes()).hexdigest()
    text = bundled.read_text(encoding="utf-8").replace("焦作站", "焦作火车站", 1)
    r = _upload(c, text.encode())
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    page = r.get_data(as_text=True)
    assert "jiaozuo_station" in page  # listed as changed
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert not (tmp_path / "pois.csv").exists()  # nothing applied yet
    assert c.get("/api/v1/sites/jiaozuo_station").get_json()["name_zh"] == "焦作站"
    r = c.post("/staff/data/apply", data={"token": token})
    assert r.status_code == 303
    assert (tmp_path / "pois.csv").read_text(encoding="utf-8") == text
    backups = list(tmp_path.glob("pois.csv.*.bak"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == bundled.read_bytes()
    assert hashlib.sha256(bundled.read_bytes()).hexdigest() == before  # the repo file is untouched
    assert c.get("/api/v1/sites/jiaozuo_station").get_json()["name_zh"] == "焦作火车站"
    assert "pois.csv." in c.get("/staff/data").get_data(as_text=True)
    # a second app on the same instance folder uses the uploaded table
    again = make_app(tmp_path)
    assert again.test_client().get("/api/v1/sites/jiaozuo_station").get_json()["name_zh"] == "焦作火车站"
    # a used or forged token does nothing
    r = c.post("/staff/data/apply", data={"token": token}, follow_redirects=True)
    assert "该上传已失效" in r.get_data(as_text=True)
    r = c.post("/staff/data/apply", data={"token": "../../etc/passwd"}, follow_redirects=True)
    assert "该上传已失效" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh", ("车辆座位不够", "“车辆数”", "任选其一")), ("en", ("Not enough bus seats", "“Buses”", "any one of"))],
)
def test_study_refusal_in_the_users_language_names_form_fields(staff: Any, lang: str, words: tuple[str, ...]) -> None:
    r = staff.post(f"/staff/study/new?lang={lang}", data={**STUDY_FORM, "buses": "2"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    alert = re.search(r'<div class="alert" role="alert"><p>(.*?)</p>', page, re.S)
    assert alert is not None
    text = html.unescape(alert.group(1))
    for w in words:
        assert w in text
    assert "--" not in text and "staff_on_buses" not in text  # no CLI flags or request keys
