"""The web app on PostgreSQL (``DATABASE_URL`` = a real server): what it saves survives a restart.

The same requests as on the default SQLite store, against a throwaway
PostgreSQL server (``pgserver.py``; skipped where no server is installed).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import helpers
import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

STUDY = {
    "name": "春季研学",
    "school": "焦作一中",
    "grade": "junior",
    "students": 80,
    "groups": 2,
    "buses": 2,
    "seats": 53,
    "date": "2026-05-12",
}


def _app(tmp_path: Path, url: str) -> Any:
    return helpers.make_app(
        tmp_path,
        user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD),
        DATABASE_URL=url,
        SIMULATION_OVERRIDES=helpers.FAST_SIMULATION,
    )


def test_plans_survive_a_restart_on_postgres(tmp_path: Path, pg_url: str) -> None:
    app = _app(tmp_path / "a", pg_url)
    assert app.extensions["tourplan.store"].engine.dialect.name == "postgresql"
    client = app.test_client()
    r = client.post("/api/v1/itineraries", json={"date": "2026-10-03", "interests": {"history": 1, "taiji": 1}})
    assert r.status_code == 201, r.get_json()
    itinerary = r.get_json()
    staff = helpers.login(app.test_client())
    r = staff.post("/api/v1/study-tours", json=STUDY)
    assert r.status_code == 201, r.get_json()
    study = r.get_json()
    app.extensions["tourplan.store"].dispose()

    again = _app(tmp_path / "b", pg_url)  # another instance folder: only the database is shared
    client = again.test_client()
    got = client.get(f"/api/v1/itineraries/{itinerary['id']}")
    assert got.status_code == 200
    assert got.get_json()["result"] == itinerary["result"]
    assert client.get(f"/i/{itinerary['id']}").status_code == 200
    staff = helpers.login(again.test_client())  # the account was stored in PostgreSQL too
    got = staff.get(f"/api/v1/study-tours/{study['id']}")
    assert got.status_code == 200
    body = got.get_json()
    assert body["name"] == "春季研学"
    assert body["result"] == study["result"]
    again.extensions["tourplan.store"].dispose()


def test_simulation_progress_on_postgres(tmp_path: Path, pg_url: str) -> None:
    app = _app(tmp_path, pg_url)
    staff = helpers.login(app.test_client())
    r = staff.post("/api/v1/simulations", json={"date": "2026-05-12", "visitors": 1500})
    assert r.status_code == 202, r.get_json()
    run = r.get_json()
    deadline = time.monotonic() + 90
    while run["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = staff.get(f"/api/v1/simulations/{run['id']}").get_json()
        assert 0.0 <= run["progress"] <= 1.0
    assert run["status"] == "done", run
    assert run["progress"] == 1.0
    assert run["result"]["sites"]
    app.extensions["tourplan.store"].dispose()
