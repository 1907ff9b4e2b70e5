"""Every visitor page and every staff study-tour page, in Chinese, without an untranslated English sentence.

The pages are rendered by the app (no browser: tests/e2e/test_visitor_phone.py
looks at what a phone shows) and read the way a visitor reads them: scripts,
code, hidden parts and parts marked ``lang="en"`` aside.  A run of three or
more English words that is not a site's English name fails the test.  The
plans cover what produces sentences: a Golden Week day with the real crowd
forecast (peak-day warnings), must-see sites that do not fit (explanations),
bad form input (field errors), a study tour and its refusals.
"""

from __future__ import annotations

import re
from typing import Any

import helpers
import pytest
from helpers import english_names, english_sentences, page_texts

STUDY = {**helpers.STUDY_FORM, "name": "春季研学", "themes": ["history"]}
#: Study-tour forms the planner refuses, each for another reason (the form's own fields name the fix), by
#: a phrase of the refusal.
REFUSALS = {
    "不开放": {"require": ["nsbd_fangzhi_museum"], "date": "2026-05-11"},
    "单程乘车上限": {"require": ["qingtianhe"], "max_ride_minutes": "20"},
    "无法完成到达": {"require": ["yuntai_mountain"], "day_end": "10:00"},
    "车辆座位不够": {"buses": "2"},
    "全校同时用餐": {"lunch": "together", "students": "2000", "groups": "50", "buses": "50"},
    "不是游览景点": {"require": ["jiaozuo_station"]},
}


def test_english_detector_catches_a_sentence_and_spares_names() -> None:
    assert english_sentences(["营业时间 Opening hours vary by season"], set()) == ["Opening hours vary by season"]
    assert english_sentences(["红石峡 Red Stone Gorge · 免费"], {"Red Stone Gorge"}) == []
    assert english_sentences(["下载 GeoJSON 或 GPX 文件"], set()) == []
    texts = page_texts('<p>一 <span lang="en">not to be read here</span> <b title="Shown on hover too">二</b></p>')
    assert texts == ["一", "Shown on hover too", "二"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return helpers.make_app(
        tmp_path_factory.mktemp("untranslated"), user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD)
    )


@pytest.fixture(scope="module")
def names(app: Any) -> set[str]:
    return english_names([s.name_en for s in app.extensions["tourplan.data"].current().sites])


@pytest.fixture(scope="module")
def staff(app: Any) -> Any:
    return helpers.login(app.test_client())


def _check(found: dict[str, list[str]], where: str, html: str, names: set[str]) -> None:
    bad = english_sentences(page_texts(html), names)
    if bad:
        found[where] = sorted(set(bad))


@pytest.fixture(scope="module")
def trips(app: Any) -> list[str]:
    ordinary = helpers.plan_through_form(app, helpers.VISITOR_FORM)
    # Golden Week with the flow model's forecast, and must-see sites that cannot all fit: warnings and reasons
    crowded = helpers.plan_through_form(
        app,
        {
            **helpers.VISITOR_FORM,
            "date": "2026-10-03",
            "interests": ["mountain"],
            "must_see": ["qingtianhe", "shennong_mountain_ziling", "nsbd_fangzhi_museum"],
            "day_end": "16:00",
        },
    )
    return [ordinary, crowded]


def test_chinese_visitor_pages_have_no_untranslated_english(app: Any, trips: list[str], names: set[str]) -> None:
    client = app.test_client()
    record = app.extensions["tourplan.store"].get_itinerary(trips[1])
    codes = {w["code"] for w in record.result["warnings"]}
    assert {"peak_day", "must_see_unplaced"} <= codes  # the sentences this test is about are on the page
    found: dict[str, list[str]] = {}
    pages = ["/", "/sites", "/sites/yuntai_hongshixia", "/sites/nsbd_fangzhi_museum", "/developers"]
    pages += [f"/i/{t}{suffix}" for t in trips for suffix in ("", "/print")]
    for path in pages:
        r = client.get(f"{path}?lang=zh")
        assert r.status_code == 200, path
        _check(found, path, r.get_data(as_text=True), names)
    bad_forms = {
        "past date": {"date": "2024-01-01"},
        "day too short": {"day_start": "08:00", "day_end": "08:20"},
        "end before start": {"day_start": "18:00", "day_end": "09:00"},
        "unknown start": {"start_text": "不存在的地方"},
    }
    for what, change in bad_forms.items():
        r = client.post("/plan?lang=zh", data={**helpers.VISITOR_FORM, **change})
        assert r.status_code == 400, what
        _check(found, what, r.get_data(as_text=True), names)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_chinese_study_tour_pages_and_refusals_have_no_untranslated_english(staff: Any, names: set[str]) -> None:
    found: dict[str, list[str]] = {}
    r = staff.post("/staff/study/new?lang=zh", data=STUDY)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    plan = r.headers["Location"]
    for path in ("/staff/study/new", plan, f"{plan}/edit"):
        page = staff.get(f"{path}?lang=zh")
        assert page.status_code == 200, path
        _check(found, path, page.get_data(as_text=True), names)
    printed = staff.get(f"{plan}/print?lang=zh").get_data(as_text=True)
    assert 'lang="en"' in printed  # the print is bilingual, its English marked as such
    _check(found, f"{plan}/print", printed, names)
    for why, change in REFUSALS.items():
        r = staff.post("/staff/study/new?lang=zh", data={**STUDY, **change})
        if r.status_code == 303 and "/staff/study/runs/" in r.headers["Location"]:  # a large tour: a job
            helpers.wait_for_run(staff, r.headers["Location"].rsplit("/", 1)[1])
            r = staff.get(r.headers["Location"] + "?lang=zh")
            assert r.status_code == 200, why
        page = r.get_data(as_text=True)
        assert r.status_code in (200, 400), why
        assert re.search(r'class="alert" role="alert"', page) and why in page, why
        _check(found, f"refusal: {why}", page, names)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
