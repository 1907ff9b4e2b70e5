"""Tests of the job runners (tourplan.jobs): in-process threads and RQ on a real Redis.

The RQ tests start ``tourplan worker`` processes against a throwaway
redis-server (``redisserver.py``) and a SQLite store, and kill them with
SIGKILL in the middle of a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import helpers
import psutil
import pytest

from tourplan.flow import Scenario
from tourplan.jobs import CANCELLED, QueueRunner, SimulationJob, StudyJob, ThreadRunner, run_job
from tourplan.store import Store
from tourplan.study import StudyTourRequest, plan_study_tour

ROOT = Path(__file__).parents[1]
#: A run of about two seconds (one 4-hour bucket, one variant, 20 ms per plan).
QUICK = {"bucket_minutes": 240, "min_plan_share": 0.05, "plan_time_limit": 0.02, "plan_variants": 1}
#: A run of ten seconds or more (the default buckets and variants).
LONG = {"plan_time_limit": 0.05}
#: A study tour of a few seconds, and one of minutes.
STUDY, STUDY_LONG = helpers.STUDY_REQUEST, helpers.STUDY_LONG


def _job(store: Store, sites: Any, graph: Any, over: dict[str, Any], visitors: int = 3000) -> SimulationJob:
    values = {"date": "2027-10-02", "visitors": visitors, **over}
    run = store.create_run(values, owner_id=None)
    return SimulationJob(run.id, Scenario.from_dict(values), sites, graph, seed=1)


def _study_job(
    store: Store, sites: Any, graph: Any, values: dict[str, Any], plan_id: str | None = None
) -> StudyJob:
    run = store.create_run({"kind": "study", "request": values}, owner_id=None)
    return StudyJob(run.id, "spring trip", values, sites, graph, seed=0, plan_id=plan_id)


def _wait(store: Store, run_id: str, statuses: tuple[str, ...], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = store.get_run(run_id)
        if rec is not None and rec.status in statuses:
            return rec
        time.sleep(0.1)
    rec = store.get_run(run_id)
    pytest.fail(f"run {run_id} still {rec.status if rec else None!r} after {timeout} s, expected {statuses}")


# --------------------------------------------------------------------------- the job itself


def test_run_job_records_the_result(tmp_path, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    job = _job(store, bundled_sites, bundled_graph, QUICK, visitors=1500)
    assert run_job(store, job) == "done"
    rec = store.get_run(job.run_id)
    assert rec is not None and rec.progress == 1.0 and rec.error is None
    assert rec.result is not None and rec.result["visitors"] == 1500 and rec.result["seed"] == 1


def test_run_job_stops_when_asked(tmp_path, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    job = _job(store, bundled_sites, bundled_graph, QUICK)
    assert run_job(store, job, stop=lambda: "stop now") == "failed"
    rec = store.get_run(job.run_id)
    assert rec is not None and rec.error == "stop now" and rec.result is None


def test_a_study_job_saves_its_plan_and_an_edit_replaces_it(tmp_path, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    job = _study_job(store, bundled_sites, bundled_graph, STUDY)
    assert run_job(store, job) == "done"
    rec = store.get_run(job.run_id)
    assert rec is not None and rec.progress == 1.0 and set(rec.result or {}) == {"plan_id"}
    plan = store.get_study(rec.result["plan_id"])  # type: ignore[index]
    assert plan is not None and plan.name == "spring trip" and plan.request == STUDY
    direct = plan_study_tour(StudyTourRequest.from_dict(STUDY), bundled_sites, bundled_graph, seed=0)
    assert plan.result["groups"] == json.loads(
        json.dumps(direct.to_dict()["groups"])
    )  # the planner's own plan

    edit = _study_job(store, bundled_sites, bundled_graph, {**STUDY, "school": "二中"}, plan_id=plan.id)
    assert run_job(store, edit) == "done"
    assert store.get_run(edit.run_id).result == {"plan_id": plan.id}  # type: ignore[union-attr]
    assert [s.request["school"] for s in store.list_studies()] == ["二中"]


def test_a_study_job_that_cannot_be_planned_keeps_the_reasons(tmp_path, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    job = _study_job(
        store, bundled_sites, bundled_graph, {**STUDY, "students": 200, "buses": 4}
    )  # 5 groups, 4 buses
    assert run_job(store, job) == "failed"
    rec = store.get_run(job.run_id)
    assert rec is not None and "bus seats too few" in (rec.error or "")
    (reason,) = rec.result["messages"]  # type: ignore[index]
    assert reason["en"].startswith("Not enough bus seats") and reason["zh"].startswith("车辆座位不够"), reason
    assert store.list_studies() == []


def test_run_job_reads_a_stop_request_from_the_store(tmp_path, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    job = _job(store, bundled_sites, bundled_graph, QUICK)
    assert store.request_stop(job.run_id, CANCELLED)
    assert run_job(store, job) == "failed"  # cancelled while queued: never starts
    rec = store.get_run(job.run_id)
    assert rec is not None and (rec.error, rec.stop, rec.progress) == (CANCELLED, CANCELLED, 0.0)
    assert not store.request_stop(job.run_id, CANCELLED)  # over
    assert not store.request_stop("no-such-run", CANCELLED)


# --------------------------------------------------------------------------- threads


def test_thread_runner_time_limit_and_cancel(tmp_path, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with ThreadPoolExecutor(max_workers=1) as pool:
        timed = ThreadRunner(pool, time_limit=0.0)
        job = _job(store, bundled_sites, bundled_graph, QUICK)
        timed.submit(store, job)
        rec = _wait(store, job.run_id, ("done", "failed"), 120)
        assert rec.status == "failed" and rec.error.startswith("time limit exceeded")

        runner = ThreadRunner(pool, time_limit=600)
        first = _job(store, bundled_sites, bundled_graph, LONG, visitors=20_000)
        queued = _job(store, bundled_sites, bundled_graph, QUICK)
        runner.submit(store, first)
        runner.submit(store, queued)  # waits: the pool has one thread
        _wait(store, first.run_id, ("running",), 60)
        assert runner.cancel(store, queued.run_id)
        assert runner.cancel(store, first.run_id)
        for run_id in (first.run_id, queued.run_id):
            rec = _wait(store, run_id, ("done", "failed"), 120)
            assert (rec.status, rec.error) == ("failed", CANCELLED)
        assert not runner.cancel(store, first.run_id)  # over: nothing to cancel
        assert runner.health() == {"runner": "thread", "jobs": 0}


#: Another web worker without Redis: runs pickled jobs on a thread runner of its own, until they end.
_OTHER_PROCESS = """
import pickle, sys
from concurrent.futures import ThreadPoolExecutor
from tourplan.jobs import ThreadRunner
from tourplan.store import Store

store = Store(sys.argv[1])
with open(sys.argv[2], "rb") as fh:
    jobs = pickle.load(fh)
with ThreadPoolExecutor(max_workers=1) as pool:
    runner = ThreadRunner(pool, time_limit=600)
    for job in jobs:
        runner.submit(store, job)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["simulation", "study tour"])
def test_a_cancel_reaches_the_thread_runs_of_another_process(tmp_path, bundled_sites, bundled_graph, kind):  # type: ignore[no-untyped-def]
    """A running and a queued run of another process are both stopped from this one, through the store."""
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    store = Store(db)
    if kind == "simulation":
        running = _job(store, bundled_sites, bundled_graph, LONG, visitors=20_000)
    else:  # stopped by the study planner's checkpoints (tourplan.limits.watch)
        running = _study_job(store, bundled_sites, bundled_graph, STUDY_LONG)
    waiting = _job(store, bundled_sites, bundled_graph, QUICK)
    (tmp_path / "jobs.pickle").write_bytes(pickle.dumps([running, waiting]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOURPLAN_CACHE_DIR": str(tmp_path / "cache")}
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER_PROCESS, db, str(tmp_path / "jobs.pickle")], cwd=ROOT, env=env
    )
    try:
        _wait(store, running.run_id, ("running",), 120)
        time.sleep(1.0)
        assert store.get_run(waiting.run_id).status == "queued"  # type: ignore[union-attr]
        with ThreadPoolExecutor(max_workers=1) as pool:
            here = ThreadRunner(pool)  # this process runs neither
            assert here.cancel(store, running.run_id) and here.cancel(store, waiting.run_id)
            asked = time.monotonic()
            for run_id in (running.run_id, waiting.run_id):
                rec = _wait(store, run_id, ("done", "failed"), 60)
                assert (rec.status, rec.error) == ("failed", CANCELLED)
            stopped_after = time.monotonic() - asked
            assert not here.cancel(store, running.run_id)  # over: nothing to cancel
        assert other.wait(timeout=60) == 0
        assert stopped_after < 20, stopped_after  # one checkpoint later (a 0.5 s solve on a busy machine)
        assert store.get_run(waiting.run_id).progress == 0.0  # type: ignore[union-attr]  # it never ran
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()


# --------------------------------------------------------------------------- RQ


def _worker(tmp_path: Path, redis_url: str, db: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TOURPLAN_REDIS_URL": redis_url,
        "TOURPLAN_DATABASE_URL": db,
        # a cache of this test's own: plans cached on disk by an earlier run would end a "long" run too soon
        "TOURPLAN_CACHE_DIR": str(tmp_path / "cache"),
    }
    cmd = [sys.executable, "-m", "tourplan.cli", "worker", *extra]
    with (tmp_path / "worker.log").open("ab") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its work horse (RQ puts the horse in a process group of its own)."""
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _idle(runner: QueueRunner, timeout: float = 30) -> bool:
    """Whether RQ counts no running job within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while runner.health()["running"] and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(runner.health()["running"] == 0)


def _queue(tmp_path: Path, redis_url: str, **runner: Any) -> tuple[str, Store, QueueRunner]:
    """A store in ``tmp_path`` (its URL, for the workers) and a queue runner with a 600 s job limit."""
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    return db, Store(db), QueueRunner(redis_url, time_limit=600, **runner)


#: Short RQ intervals so that a dead worker's job is found within seconds.
FAST_CLEANUP = ("--maintenance-interval", "2", "--monitoring-interval", "1", "--heartbeat-grace", "2")


@pytest.mark.slow
def test_queue_runs_cancels_and_limits(tmp_path, redis_url, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    db, store, runner = _queue(tmp_path, redis_url)
    done = _job(store, bundled_sites, bundled_graph, QUICK)
    cancelled = _job(store, bundled_sites, bundled_graph, QUICK)
    runner.submit(store, done)
    runner.submit(store, cancelled)
    assert runner.health()["queued"] == 2
    assert runner.cancel(store, cancelled.run_id)
    assert store.get_run(cancelled.run_id).error == CANCELLED  # type: ignore[union-attr]
    short = QueueRunner(redis_url, time_limit=1)
    timed = _job(store, bundled_sites, bundled_graph, LONG, visitors=20_000)
    short.submit(store, timed)
    proc = _worker(tmp_path, redis_url, db, "--burst")
    assert proc.wait(timeout=300) == 0, (tmp_path / "worker.log").read_text()
    rec = store.get_run(done.run_id)
    assert rec is not None and rec.status == "done" and rec.result is not None
    rec = store.get_run(timed.run_id)
    assert rec is not None and rec.status == "failed" and "time limit exceeded" in (rec.error or "")
    assert store.get_run(cancelled.run_id).status == "failed"  # type: ignore[union-attr]
    health = runner.health()
    assert health["queued"] == 0 and health["running"] == 0


@pytest.mark.slow
def test_queue_stops_a_running_job(tmp_path, redis_url, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    db, store, runner = _queue(tmp_path, redis_url)
    job = _job(store, bundled_sites, bundled_graph, LONG, visitors=20_000)
    runner.submit(store, job)
    proc = _worker(tmp_path, redis_url, db)
    try:
        _wait(store, job.run_id, ("running",), 120)
        time.sleep(0.5)  # let the worker register the execution
        assert runner.cancel(store, job.run_id)
        rec = _wait(store, job.run_id, ("done", "failed"), 60)
        assert (rec.status, rec.error) == ("failed", CANCELLED)
    finally:
        _kill_tree(proc)


@pytest.mark.slow
@pytest.mark.parametrize("retries", [1, 0])
def test_sigkilled_worker_never_leaves_a_run_running(  # type: ignore[no-untyped-def]
    tmp_path, redis_url, bundled_sites, bundled_graph, retries
):
    """Kill a worker and its horse mid-run; another worker re-queues (then completes) or fails it."""
    db, store, runner = _queue(tmp_path, redis_url, retries=retries)
    job = _job(store, bundled_sites, bundled_graph, LONG, visitors=20_000)
    runner.submit(store, job)
    first = _worker(tmp_path, redis_url, db, *FAST_CLEANUP)
    try:
        _wait(store, job.run_id, ("running",), 120)
        time.sleep(1.0)
        assert store.get_run(job.run_id).status == "running"  # type: ignore[union-attr]
    finally:
        _kill_tree(first)
    second = _worker(tmp_path, redis_url, db, *FAST_CLEANUP)
    try:
        rec = _wait(store, job.run_id, ("done", "failed"), 240)
        assert _idle(runner)  # the run is recorded just before RQ's own bookkeeping ends
    finally:
        _kill_tree(second)
    if retries:
        assert rec.status == "done" and rec.result is not None
    else:
        assert rec.status == "failed" and "AbandonedJobError" in (rec.error or "")


@pytest.mark.slow
def test_a_queue_job_stops_at_a_stop_request_in_the_store(tmp_path, redis_url, bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    """Without RQ's stop command: the work horse reads the request at the study planner's next checkpoint."""
    db, store, runner = _queue(tmp_path, redis_url)
    job = _study_job(store, bundled_sites, bundled_graph, STUDY_LONG)
    runner.submit(store, job)
    proc = _worker(tmp_path, redis_url, db)
    try:
        _wait(store, job.run_id, ("running",), 120)
        assert store.request_stop(job.run_id, CANCELLED)
        rec = _wait(store, job.run_id, ("done", "failed"), 60)
        assert (rec.status, rec.error) == ("failed", CANCELLED)
        assert _idle(runner) and store.list_studies() == []
    finally:
        _kill_tree(proc)
