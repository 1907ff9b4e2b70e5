"""Fault test: SIGKILL the server while it saves plans; nothing acknowledged is lost.

The app runs under gunicorn (a real WSGI server) on 127.0.0.1 with a SQLite
file (WAL journal), then with a PostgreSQL database (a throwaway server, see
``pgserver.py``).  Client threads POST itineraries; in the middle of that
the whole process group gets SIGKILL.  After a restart on the same database,
every itinerary whose POST was acknowledged (201 with an id) must be there,
byte-for-byte the same JSON result.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import sys
import threading
import time
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("_server", Path(__file__).parents[1] / "bench" / "_server.py")
assert _spec is not None and _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
sys.modules["_server"] = _server
_spec.loader.exec_module(_server)

pytestmark = pytest.mark.slow

BODIES = [
    {"date": "2026-10-03", "interests": {"history": 1}, "mode": "walk"},
    {"date": "2026-10-04", "interests": {"mountain": 1}, "mode": "drive"},
    {"date": "2026-05-12", "interests": {"taiji": 1, "culture": 1}, "mode": "bus"},
    {"date": "2026-07-01", "interests": {"shopping": 1, "food": 1}, "mode": "mixed"},
]


def _hammer(url: str, acked: list[tuple[str, dict]], stop: threading.Event, k: int) -> None:
    i = k
    while not stop.is_set():
        body = BODIES[i % len(BODIES)]
        i += 1
        try:
            status, raw = _server.request(url, "POST", "/api/v1/itineraries", body, timeout=60)
        except (OSError, http.client.HTTPException):  # refused, reset or cut short by the kill
            if stop.is_set():
                return  # the server is gone
            continue
        if status == 201:
            data = json.loads(raw)
            acked.append((data["id"], data["result"]))


def _crash_and_check(tmp_path: Path, database_url: str | None) -> int:
    # The bodies' dates are fixed (some now past): the server's "today" is pinned before them; the crowd
    # forecast is off (this test is about saving, and it would run a simulation per worker and day type).
    env = {"TOURPLAN_PLAN_TODAY": "2025-01-01", "TOURPLAN_PLAN_FORECAST": "false"}
    server = _server.Server(tmp_path, workers=2, threads=2, database_url=database_url, env=env).start()
    for body in BODIES:  # warm up the workers (compiled optimizer, graph caches)
        _server.request(server.url, "POST", "/api/v1/itineraries", body, timeout=300)
    acked: list[tuple[str, dict]] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_hammer, args=(server.url, acked, stop, k)) for k in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # mid-flight: requests are still being planned and saved
    stop.set()
    for t in threads:
        t.join(timeout=40)
    assert len(acked) >= 12, "the server saved too few plans before the kill"
    again = _server.Server(tmp_path, workers=1, threads=2, database_url=database_url, port=_server.free_port()).start()
    try:
        for iid, result in acked:
            status, raw = _server.request(again.url, "GET", f"/api/v1/itineraries/{iid}")
            assert status == 200, (iid, status, raw[:200])
            assert json.loads(raw)["result"] == result
    finally:
        again.stop()
    return len(acked)


def test_sigkill_loses_no_acknowledged_plan_sqlite(tmp_path):
    n = _crash_and_check(tmp_path, None)
    assert n >= 12


def test_sigkill_loses_no_acknowledged_plan_postgres(tmp_path, pg_url):  # type: ignore[no-untyped-def]
    n = _crash_and_check(tmp_path, pg_url)
    assert n >= 12
