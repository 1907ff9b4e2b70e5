"""Shared test helpers: an app factory with the test configuration, staff login, flow invariants.

Plain functions (the fixtures that use them are in conftest.py); each web
test module passes its own configuration overrides as keyword arguments.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
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
#: The same tour, stretched to minutes (60 buses, one group per site at a time, so most buses need a 0.5 s
#: engine solve, 20 rounds): tests stop it long before.
STUDY_LONG: dict[str, Any] = {**STUDY_REQUEST, "students": 2400, "buses": 60, "improve_rounds": 20, "time_limit": 0.5,
                              "bound_seconds": 0.5, "max_groups_per_site": 1}  # fmt: skip


def wait_for_run(
    client: Any, run_id: str, statuses: tuple[str, ...] = ("done", "failed"), timeout: float = 120
) -> Any:
    """Poll a run through the API (as ``client``) until it has one of ``statuses``; its JSON."""
    import time

    import pytest

    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/v1/simulations/{run_id}").get_json()
        if run["status"] in statuses:
            return run
        if time.monotonic() > deadline:
            pytest.fail(f"run {run_id} still {run['status']} after {timeout} s, expected {statuses}")
        time.sleep(0.2)


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


#: The staff study-tour form, filled as staff would (six classes of a junior middle school, six buses).
STUDY_FORM: dict[str, Any] = {
    "name": "Spring outing",
    "school": "焦作一中",
    "date": "2026-05-12",
    "grade": "junior",
    "students": "240",
    "groups": "6",
    "buses": "6",
    "seats": "53",
    "start": "jiaozuo_station",
    "day_start": "08:30",
    "day_end": "17:00",
    "products": ["知识科普型"],
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


# --------------------------------------------------------------------------- untranslated English on Chinese pages

#: Words that may stand in Chinese pages: names and units, not sentences.
ALLOWED_ENGLISH = re.compile(
    r"OpenStreetMap|Leaflet|GeoJSON|JSON|API|oEmbed|ICS|GPX|CSV|HTML|iframe|UNESCO|CNY|WGS-84|GCJ-02|BD-09"
    r"|TOURPLAN_BUS_COST_CNY|LB/T|embed|url|lang|tiles|width|height|osm|gaode|tianditu|zh|en",
)
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){2,}")


def english_sentences(texts: list[str], names: set[str]) -> list[str]:
    """Runs of three or more English words that are not a site's English name or an allowed term."""
    bad = []
    for text in texts:
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, " ")
        for run in _ENGLISH_RUN.findall(text):
            rest = ALLOWED_ENGLISH.sub(" ", run)
            if len(re.findall(r"[A-Za-z]{2,}", rest)) >= 3:
                bad.append(run)
    return bad


def english_names(names_en: list[str]) -> set[str]:
    """Sites' English names and their parts (a name may be shown without its bracketed part)."""
    out: set[str] = set()
    for name in names_en:
        if name:
            out.add(name)
            out.add(re.sub(r"\s*\([^)]*\)", "", name))
            out.update(part.strip() for part in re.split(r"[:(),]", name) if part.strip())
    return {n for n in out if n}


class _Text(HTMLParser):
    """Text a reader sees in a page, without scripts, code, hidden parts and parts marked English."""

    _SKIP = frozenset({"script", "style", "code", "pre", "noscript", "template", "textarea"})
    _VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.out: list[str] = []

    def _hidden(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        skip = tag in self._SKIP or a.get("lang") == "en" or "hidden" in a or a.get("type") == "hidden"
        if not skip and not self._hidden():
            self.out.extend(str(a[k]) for k in ("placeholder", "title", "aria-label", "alt") if a.get(k))
        if tag not in self._VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._hidden():
            self.out.append(data.strip())


def page_texts(html: str) -> list[str]:
    """The texts of an HTML page a reader sees (see :class:`_Text`), for :func:`english_sentences`."""
    parser = _Text()
    parser.feed(html)
    return parser.out
