"""Large study tours planned as jobs: the size rule, the progress page, cancel, failures, RQ.

A study tour of more than ``STUDY_QUEUE_WORK`` groups x sites goes to the
app's runner (threads of the app here; RQ on a throwaway redis-server with a
``tourplan worker`` in the last test); smaller ones are planned in the request.
"""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

import helpers
import pytest

if TYPE_CHECKING:
    from pathlib import Path

#: Six groups of 40 (a few seconds of planning), as the API takes it.
STUDY = {"name": "Spring outing", **helpers.STUDY_REQUEST}
#: The same tour through the staff form.
STUDY_FORM = {"name": "Spring outing", "school": "焦作一中", "date": "2026-05-12", "grade": "junior",
              "students": "240", "groups": "6", "buses": "6", "seats": "53", "start": "jiaozuo_station",
              "day_start": "08:30", "day_end": "17:00", "products": ["知识科普型"]}  # fmt: skip
#: Minutes of planning, unless stopped.
STUDY_LONG = {"name": "long", **helpers.STUDY_LONG}


def _app(tmp_path: Path, **over: Any) -> Any:
    return helpers.make_app(tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD), **over)


def test_the_size_rule_decides_between_the_request_and_a_job(tmp_path: Path, bundled_sites: Any) -> None:
    work = 6 * len(bundled_sites)  # groups x sites in the table
    now = helpers.login(_app(tmp_path / "a", STUDY_QUEUE_WORK=work).test_client())
    r = now.post("/api/v1/study-tours", json=STUDY)
    assert r.status_code == 201, r.get_json()
    planned = r.get_json()["result"]

    queued = helpers.login(_app(tmp_path / "b", STUDY_QUEUE_WORK=work - 1).test_client())
    r = queued.post("/api/v1/study-tours", json=STUDY)
    assert r.status_code == 202, r.get_json()
    run = r.get_json()
    assert r.headers["Location"] == run["url"] and run["status"] in ("queued", "running")
    run = helpers.wait_for_run(queued, run["id"], ("done", "failed"))
    assert run["status"] == "done", run
    plan = queued.get(f"/api/v1/study-tours/{run['result']['plan_id']}").get_json()
    assert plan["name"] == "Spring outing" and plan["request"]["school"] == "焦作一中"
    assert plan["result"]["groups"] == planned["groups"]  # the same plan as in the request (same seed)
    assert plan["result"]["data_version"] == planned["data_version"]


def test_a_large_tour_from_the_form_waits_shows_progress_and_can_be_cancelled(tmp_path: Path) -> None:
    app = _app(tmp_path, STUDY_QUEUE_WORK=0)
    staff = helpers.login(app.test_client())
    gate = threading.Event()
    app.extensions["tourplan.executor"].submit(gate.wait, 60)  # the app's one job thread is busy
    try:
        r = staff.post("/staff/study/new", data=STUDY_FORM)
        assert r.status_code == 303
        page_url = r.headers["Location"]
        run_id = page_url.rsplit("/", 1)[1]
        assert page_url.endswith(f"/staff/study/runs/{run_id}")
        page = staff.get(page_url + "?lang=zh").get_data(as_text=True)
        assert "取消规划" in page and f'data-poll="/api/v1/simulations/{run_id}"' in page
        assert "后台规划" in page and "6 个团组" in page
        en = staff.get(page_url + "?lang=en").get_data(as_text=True)
        assert "Cancel the planning" in en and "planned in the background" in en
        assert f'href="{page_url}"' in staff.get("/staff/").get_data(as_text=True)  # listed with its own page

        r = staff.post(f"/staff/flow/{run_id}/cancel?lang=zh", follow_redirects=False)
        assert r.status_code == 303 and r.headers["Location"] == page_url
        assert helpers.wait_for_run(staff, run_id, ("failed",), 5)["error"] == "cancelled"
    finally:
        gate.set()
    page = staff.get(page_url + "?lang=zh").get_data(as_text=True)
    assert "已由工作人员取消" in page and "正在取消" in page  # the reason, and the flash of the cancel
    assert "Cancelled by staff." in staff.get(page_url + "?lang=en").get_data(as_text=True)
    again = re.search(r'href="([^"]*\?run=[^"]+)"', page)
    assert again is not None and again.group(1) == f"/staff/study/new?run={run_id}"
    form = staff.get(again.group(1)).get_data(as_text=True)
    assert (
        'value="焦作一中"' in form and 'value="Spring outing"' in form
    )  # the request, to change and send again
    assert app.extensions["tourplan.store"].list_studies() == []

    r = staff.post("/staff/study/new", data=STUDY_FORM)  # the thread is free now
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    assert helpers.wait_for_run(staff, run_id, ("done", "failed"))["status"] == "done"
    r = staff.get(f"/staff/study/runs/{run_id}")
    assert r.status_code == 303 and r.headers["Location"].startswith("/staff/study/")
    plan_page = staff.get(r.headers["Location"]).get_data(as_text=True)
    assert "Spring outing" in plan_page and "焦作一中" in plan_page
    assert (
        staff.post(f"/staff/flow/{run_id}/cancel").headers["Location"].endswith(f"/staff/study/runs/{run_id}")
    )


def test_an_edit_of_a_large_tour_replaces_its_plan(tmp_path: Path) -> None:
    app = _app(tmp_path, STUDY_QUEUE_WORK=0)
    staff = helpers.login(app.test_client())
    first = staff.post("/api/v1/study-tours", json=STUDY).get_json()
    plan_id = helpers.wait_for_run(staff, first["id"], ("done",))["result"]["plan_id"]
    r = staff.post(f"/staff/study/{plan_id}/edit", data={**STUDY_FORM, "name": "Autumn outing"})
    assert r.status_code == 303 and "/staff/study/runs/" in r.headers["Location"]
    run = helpers.wait_for_run(staff, r.headers["Location"].rsplit("/", 1)[1], ("done", "failed"))
    assert run["result"] == {"plan_id": plan_id}
    assert [s.name for s in app.extensions["tourplan.store"].list_studies()] == ["Autumn outing"]


@pytest.mark.slow
def test_a_running_tour_is_stopped_by_a_cancel_or_its_budget(tmp_path: Path) -> None:
    app = _app(tmp_path, STUDY_QUEUE_WORK=0, PLAN_TIME_LIMIT=0.5, STUDY_JOB_TIME_BUDGET=3.0)
    staff = helpers.login(app.test_client())
    run_id = staff.post("/api/v1/study-tours", json=STUDY_LONG).get_json()["id"]
    helpers.wait_for_run(staff, run_id, ("running",))
    time.sleep(0.5)
    assert staff.post(f"/staff/flow/{run_id}/cancel").status_code == 303
    t0 = time.monotonic()
    assert helpers.wait_for_run(staff, run_id, ("done", "failed"), 30)["error"] == "cancelled"
    assert time.monotonic() - t0 < 15  # the next checkpoint: one 0.5 s solve (slower on a busy machine)

    run_id = staff.post("/api/v1/study-tours", json=STUDY_LONG).get_json()["id"]
    run = helpers.wait_for_run(staff, run_id, ("done", "failed"), 60)
    assert run["status"] == "failed" and "past its time budget of 3.0 s" in run["error"]
    assert "Planning was stopped after 3 s" in staff.get(f"/staff/study/runs/{run_id}?lang=en").get_data(
        as_text=True
    )
    assert "规划已停止" in staff.get(f"/staff/study/runs/{run_id}?lang=zh").get_data(as_text=True)


def test_a_tour_the_planner_refuses_before_searching_is_refused_at_once(tmp_path: Path) -> None:
    """Too few bus seats: the form and the API say so in the request, and nothing is queued."""
    app = _app(tmp_path, STUDY_QUEUE_WORK=0)
    staff = helpers.login(app.test_client())
    r = staff.post("/api/v1/study-tours", json={**STUDY, "students": 200, "buses": 4})  # 5 groups
    assert r.status_code == 422 and "bus seats too few" in r.get_json()["error"]
    for lang, words in (("zh", "车辆座位不够"), ("en", "Not enough bus seats")):
        r = staff.post(f"/staff/study/new?lang={lang}", data={**STUDY_FORM, "students": "200", "buses": "4"})
        assert r.status_code == 400  # the form again, with the reason: no run page to wait on
        assert words in r.get_data(as_text=True)
    assert app.extensions["tourplan.store"].list_runs() == []


def test_a_tour_that_cannot_be_planned_says_why_in_both_languages(tmp_path: Path) -> None:
    """A day too short for any visit passes the checks before the search; its run page says why it failed."""
    staff = helpers.login(_app(tmp_path, STUDY_QUEUE_WORK=0).test_client())
    r = staff.post("/api/v1/study-tours", json={**STUDY, "day_end": "09:10"})
    assert r.status_code == 202, r.get_json()
    run = r.get_json()
    assert helpers.wait_for_run(staff, run["id"], ("done", "failed"))["status"] == "failed"
    en = staff.get(f"/staff/study/runs/{run['id']}?lang=en").get_data(as_text=True)
    zh = staff.get(f"/staff/study/runs/{run['id']}?lang=zh").get_data(as_text=True)
    assert "The study tour was not planned: " in en
    assert "研学方案未能规划：" in zh
    assert staff.get("/staff/study/runs/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


@pytest.mark.slow
def test_with_redis_a_worker_plans_the_large_tour(tmp_path: Path, redis_url: str) -> None:
    app = _app(tmp_path, REDIS_URL=redis_url, STUDY_QUEUE_WORK=0)
    staff = helpers.login(app.test_client())
    first = staff.post("/api/v1/study-tours", json=STUDY).get_json()["id"]
    second = staff.post("/api/v1/study-tours", json={**STUDY, "name": "second"}).get_json()["id"]
    assert app.test_client().get("/healthz").get_json()["queue"]["queued"] == 2
    assert (
        staff.post(f"/staff/flow/{second}/cancel").headers["Location"].endswith(f"/staff/study/runs/{second}")
    )
    assert staff.get(f"/api/v1/simulations/{second}").get_json()["error"] == "cancelled"

    out = helpers.worker_burst(app.config["DATABASE_URL"], redis_url)
    assert out.returncode == 0, out.stderr
    run = staff.get(f"/api/v1/simulations/{first}").get_json()
    assert run["status"] == "done", run
    r = staff.get(f"/staff/study/runs/{first}")
    assert r.status_code == 303 and r.headers["Location"] == f"/staff/study/{run['result']['plan_id']}"
    assert [s.name for s in app.extensions["tourplan.store"].list_studies()] == ["Spring outing"]
