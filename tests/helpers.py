"""Shared test helpers: an app factory with the test configuration, staff login, flow invariants.

Plain functions (the fixtures that use them are in conftest.py); each web
test module passes its own configuration overrides as keyword arguments.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).parents[1]
STAFF_USER = "staff"
STAFF_PASSWORD = "staff-password-1"
#: The SIMULATION_OVERRIDES most web tests use (4-hour buckets, low plan share).
FAST_SIMULATION = {"bucket_minutes": 240, "min_plan_share": 0.05}


#: A study tour of six groups of 40 (a few seconds of planning; StudyTourRequest.from_dict values).
STUDY_REQUEST: dict[str, Any] = {"school": "焦作一中", "grade": "junior", "students": 240, "group_size": 40, "buses": 6,
                                 "seats": 53, "date": "2026-05-12", "themes": ["science", "history"]}  # fmt: skip
#: The same tour, stretched to minutes (60 buses, 20 rounds of 0.5 s solves): tests stop it long before.
STUDY_LONG: dict[str, Any] = {**STUDY_REQUEST, "students": 2400, "buses": 60, "improve_rounds": 20, "time_limit": 0.5,
                              "bound_seconds": 0.5}  # fmt: skip


def worker_burst(database_url: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    """Run ``tourplan worker --burst`` (this checkout's code) until the queue is empty."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOURPLAN_REDIS_URL": redis_url,
           "TOURPLAN_DATABASE_URL": database_url}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "tourplan.cli", "worker", "--burst"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


#: The visitor's planning form, filled as a visitor would (a Saturday, by car from Jiaozuo Station).
VISITOR_FORM: dict[str, Any] = {
    "date": "2025-05-10",
    "days": "1",
    "interests": ["history", "culture"],
    "start": "jiaozuo_station",
    "start_text": "",
    "day_start": "08:30",
    "day_end": "18:00",
    "pace": "normal",
    "mode": "drive",
    "lunch": "y",
}


def plan_through_form(app: Any, form: dict[str, Any]) -> str:
    """Post the planning form and return the share id it redirects to."""
    r = app.test_client().post("/plan", data=form)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    m = re.fullmatch(r"/i/([A-Za-z0-9_\-]{22})", r.headers["Location"])
    assert m
    return m.group(1)


def make_app(instance: Path, *, user: tuple[str, str] | None = None, **over: Any) -> Any:
    """An app under ``instance`` with the test configuration, updated with ``over``.

    With ``user`` (username, password), that staff account is added when the
    store has no user yet.
    """
    from tourplan.web import create_app  # here: conftest imports this module for every test

    cfg: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret",
        "PLAN_TIME_LIMIT": 0.05,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # the fixtures' trip dates (2025-2026) stay plannable whatever the clock says
        "PLAN_TODAY": "2025-01-01",
    }
    cfg.update(over)
    app = create_app(cfg)
    if user is not None:
        store = app.extensions["tourplan.store"]
        if not store.list_users():
            store.add_user(*user)
    return app


def login(client: Any, username: str = STAFF_USER, password: str = STAFF_PASSWORD) -> Any:
    """Log ``client`` in as staff (asserting the redirect that means success); returns it."""
    r = client.post("/staff/login", data={"username": username, "password": password})
    assert r.status_code == 303
    return client


def check_flow_invariants(r: Any) -> None:
    """Conservation, non-negative occupancy, C0 respected, queues only at capacity.

    ``r`` is a :class:`tourplan.flow.FlowResult` run with ``keep_log=True``.
    """
    log = r.log
    assert log is not None
    # Every stop is resolved; every visitor's day ends (left or still out).
    assert set(np.unique(log.status)) <= {0, 1, 2, 3}
    assert np.isfinite(log.visitor_end).all()
    assert r.finished + r.inside_at_end == r.visitors == log.visitor_start.shape[0]
    vis = log.status == 0
    assert (log.admit[vis] >= log.arrive[vis]).all()
    assert (log.depart[vis] > log.admit[vis]).all()
    # A visitor's stops are in time order and the day ends after the last one.
    dep = np.where(vis, log.depart, -np.inf)
    last = np.full(r.visitors, -np.inf)
    np.maximum.at(last, log.visitor, dep)
    assert (log.visitor_end >= np.where(np.isfinite(last), last, -np.inf) - 1e-9).all()
    # Occupancy never negative, never above C0; arrivals conserve.
    assert (r.occupancy >= 0).all()
    assert (r.queue >= 0).all()
    cap = r.capacity_instant[:, None]
    assert ((r.peak <= cap) | (cap == 0)).all()
    assert r.daily_visits.sum() == vis.sum()
    # Queues only where the site is full: recount minute by minute from the log.
    for s in np.unique(log.site[vis]):
        c0 = int(r.capacity_instant[s])
        m = vis & (log.site == s)
        t = np.arange(0, 3000)
        inside = np.searchsorted(np.sort(log.admit[m]), t, side="right") - np.searchsorted(
            np.sort(log.depart[m]), t, side="right"
        )
        waiting = np.searchsorted(np.sort(log.arrive[m]), t, side="right") - np.searchsorted(
            np.sort(log.admit[m]), t, side="right"
        )
        assert (inside >= 0).all()
        if c0 > 0:
            assert (inside <= c0).all()
            assert (inside[waiting > 0] == c0).all(), r.site_ids[s]
        else:
            assert (waiting == 0).all()
