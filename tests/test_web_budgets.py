"""Work and wall-clock budgets of staff planning (:mod:`tourplan.limits`, :mod:`tourplan.web.budgets`)."""

from __future__ import annotations

import functools
import threading
import time
from typing import TYPE_CHECKING, Any

import helpers
import pytest

from tourplan.flow import PlanLibrary
from tourplan.limits import Budget, BudgetExceededError, budget, checkpoint
from tourplan.study import StudyTourRequest, plan_study_tour

if TYPE_CHECKING:
    from pathlib import Path

PASSWORD = helpers.STAFF_PASSWORD
make_app = functools.partial(helpers.make_app, user=("staff", PASSWORD))
#: A study tour with every option at its maximum (the API's ranges; the server caps time_limit).
STUDY_MAX = {
    "name": "max", "school": "一中", "grade": "junior", "students": 2400, "groups": 60, "buses": 60, "seats": 53,
    "date": "2026-05-12", "themes": ["science", "history", "nature", "culture", "red", "industry", "taiji"],
    "max_stops": 10, "improve_rounds": 20, "time_limit": 30, "max_groups_per_site": 500,
}  # fmt: skip
#: A simulation with many plan variants and a tiny variant share (thousands of plans).
SIM_MANY_VARIANTS = {
    "date": "2026-10-03", "visitors": 300_000, "plan_variants": 64, "variant_share": 1e-6,
    "min_plan_share": 0.0, "bucket_minutes": 15, "plan_time_limit": 60,
}  # fmt: skip


# --------------------------------------------------------------------------- the core


def test_checkpoint_does_nothing_without_a_budget() -> None:
    checkpoint(1e9)


def test_a_budget_belongs_to_its_thread() -> None:
    seen: list[BaseException | None] = []

    def other() -> None:
        try:
            checkpoint(10.0)
            seen.append(None)
        except BudgetExceededError as exc:
            seen.append(exc)

    with budget(Budget(work=1.0, seconds=60)):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        with pytest.raises(BudgetExceededError, match="work budget of 1.00"):
            checkpoint(10.0)
    assert seen == [None]


def test_the_clock_counts_from_entering() -> None:
    b = Budget(work=10, seconds=0.2, what="simulation")
    time.sleep(0.3)  # waiting in a queue does not count
    with budget(b):
        checkpoint()
        time.sleep(0.3)
        with pytest.raises(
            BudgetExceededError, match=r"simulation stopped: it ran 0\.\d s, past its time budget"
        ):
            checkpoint()


def test_study_work_is_counted_and_never_overrun(bundled_sites: Any, bundled_graph: Any) -> None:
    req = StudyTourRequest.from_dict(
        {
            "school": "一中",
            "grade": "junior",
            "students": 240,
            "groups": 6,
            "buses": 6,
            "seats": 53,
            "date": "2026-05-12",
            "improve_rounds": 3,
        }  # fmt: skip
    )
    full = Budget(work=1e9, seconds=1e9)
    with budget(full):
        plan = plan_study_tour(req, bundled_sites, bundled_graph)
    solves = round(full.spent / req.time_limit)
    assert solves >= 1  # buses of the same make-up may share a solve
    short = Budget(work=full.spent - req.time_limit / 2, seconds=1e9, what="study tour")
    with pytest.raises(BudgetExceededError, match="study tour stopped: it needed") as err, budget(short):
        plan_study_tour(req, bundled_sites, bundled_graph)
    assert short.spent <= short.work
    assert err.value.kind == "work" and err.value.used > short.work
    with budget(Budget(work=full.spent, seconds=1e9)):  # exactly enough: the same plan
        assert plan_study_tour(req, bundled_sites, bundled_graph).to_dict() == plan.to_dict()


def test_a_spent_budget_stops_the_plan_library_without_waiting_for_its_queue() -> None:
    made: list[int] = []

    def make(i: int) -> Any:
        time.sleep(0.05)
        made.append(i)
        return i

    jobs = [((i,), functools.partial(make, i)) for i in range(200)]
    lib = PlanLibrary(workers=2)
    t0 = time.perf_counter()
    with pytest.raises(BudgetExceededError), budget(Budget(work=1, seconds=0.3)):
        lib.get_many(jobs)  # type: ignore[arg-type]
    took = time.perf_counter() - t0
    assert took < 2.0, took  # 200 jobs x 50 ms on 2 threads would be 5 s
    time.sleep(0.2)
    assert len(made) < 60


# --------------------------------------------------------------------------- the web


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("budgets"))


def test_budgets_are_configured_below_the_worker_timeout() -> None:
    from tourplan.web.config import DefaultConfig

    assert 0 < DefaultConfig.STUDY_TIME_BUDGET < 30  # gunicorn's default worker timeout
    assert DefaultConfig.STUDY_WORK_BUDGET > 0
    assert DefaultConfig.SIMULATION_TIME_BUDGET > 0 and DefaultConfig.SIMULATION_WORK_BUDGET > 0


@pytest.mark.slow
def test_a_maximal_study_tour_stops_within_its_budget(tmp_path: Path) -> None:
    """Under the default configuration it is planned or stopped within the time budget (plus one solve)."""
    from tourplan.web.config import DefaultConfig

    # planned in the request however large (the default would plan it as a job: tests/test_web_study_queue.py)
    app = make_app(tmp_path, PLAN_TIME_LIMIT=DefaultConfig.PLAN_TIME_LIMIT, STUDY_QUEUE_WORK=10**9)
    c = helpers.login(app.test_client(), "staff", PASSWORD)
    t0 = time.perf_counter()
    r = c.post("/api/v1/study-tours?lang=en", json=STUDY_MAX)
    took = time.perf_counter() - t0
    assert took < DefaultConfig.STUDY_TIME_BUDGET + 5, took
    if r.status_code != 201:
        assert r.status_code == 422, r.get_json()
        msg = r.get_json()["error"]
        assert "Planning was stopped" in msg and "fewer buses" in msg


def test_the_clock_stops_a_study_tour(tmp_path: Path) -> None:
    limit = 2.0
    app = make_app(
        tmp_path, STUDY_WORK_BUDGET=1e9, STUDY_TIME_BUDGET=limit, PLAN_TIME_LIMIT=0.05, STUDY_QUEUE_WORK=10**9
    )
    c = helpers.login(app.test_client(), "staff", PASSWORD)
    t0 = time.perf_counter()
    r = c.post("/api/v1/study-tours", json=STUDY_MAX)
    took = time.perf_counter() - t0
    assert r.status_code == 422, r.get_json()
    assert "规划已停止" in r.get_json()["error"] and f"{limit:g} 秒" in r.get_json()["error"]
    assert took < limit + 5, took  # one bus plan past the budget at most (on a busy machine)
    page = c.post(
        "/staff/study/new?lang=en",
        data={
            k: str(v)
            for k, v in STUDY_MAX.items()
            if k not in ("themes", "time_limit", "max_groups_per_site")
        }
        | {
            "extra": '{"improve_rounds": 20, "max_stops": 10}',
            "start": "jiaozuo_station",
            "day_start": "08:30",
            "day_end": "17:00",
        },  # fmt: skip
    )
    assert page.status_code == 400
    assert "Planning was stopped after 2 s" in page.get_data(as_text=True)


def _wait(c: Any, run_id: str, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body: dict[str, Any] = c.get(f"/api/v1/simulations/{run_id}").get_json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_a_simulation_with_thousands_of_plans_is_stopped_by_its_work_budget(app: Any, staff: Any) -> None:
    t0 = time.perf_counter()
    r = staff.post("/api/v1/simulations", json=SIM_MANY_VARIANTS)
    assert r.status_code == 202, r.get_json()
    run = _wait(staff, r.get_json()["id"], 60)
    assert run["status"] == "failed", run
    assert "optimizer-seconds" in run["error"] and "work budget" in run["error"]
    assert time.perf_counter() - t0 < 30
    page = staff.get(f"/staff/flow/{run['id']}").get_data(as_text=True)
    assert "模拟未运行" in page and "规划" in page
    en = staff.get(f"/staff/flow/{run['id']}?lang=en").get_data(as_text=True)
    assert "The simulation was not run" in en


def test_the_clock_stops_a_simulation_and_frees_the_worker(tmp_path: Path) -> None:
    limit = 2.0
    app = make_app(tmp_path, SIMULATION_WORK_BUDGET=1e9, SIMULATION_TIME_BUDGET=limit)
    c = helpers.login(app.test_client(), "staff", PASSWORD)
    body = {**SIM_MANY_VARIANTS, "visitors": 20_000, "plan_time_limit": 0.05}
    r = c.post("/api/v1/simulations", json=body)
    assert r.status_code == 202
    run = _wait(c, r.get_json()["id"], 60)
    assert run["status"] == "failed", run
    assert "time budget of 2.0 s" in run["error"]
    from datetime import datetime

    ran = (datetime.fromisoformat(run["updated"]) - datetime.fromisoformat(run["created"])).total_seconds()
    assert ran < limit + 5, ran
    # the one simulation thread is free again: the next run is taken up at once (and ends within the budget)
    t0 = time.perf_counter()
    r = c.post("/api/v1/simulations", json={"date": "2026-05-12", "visitors": 500, "bucket_minutes": 240})
    nxt = _wait(c, r.get_json()["id"], 30)
    assert nxt["status"] in ("done", "failed"), nxt
    assert time.perf_counter() - t0 < limit + 5
