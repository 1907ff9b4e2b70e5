"""What the app gives away: formula cells in CSV, unpublished simulation runs, the server's versions."""

from __future__ import annotations

import csv
import functools
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import helpers
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tourplan.cli import main
from tourplan.store import Store

PASSWORD = helpers.STAFF_PASSWORD
make_app = functools.partial(helpers.make_app, user=("staff", PASSWORD))
ROOT = Path(__file__).resolve().parents[1]
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-3+4", "@SUM(A1)"]


# --------------------------------------------------------------------------- CSV


def test_sites_csv_guards_formula_cells(small_pois: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(small_pois.read_text(encoding="utf-8"))))
    for row, bad in zip(rows, FORMULAS, strict=False):
        row["name_en"] = bad
        row["district"] = bad
    data = tmp_path / "pois.csv"
    with open(data, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = CliRunner().invoke(main, ["sites", "--data", str(data), "--format", "csv"])
    assert r.exit_code == 0, r.output
    out = list(csv.DictReader(io.StringIO(r.output)))
    by_id = {o["id"]: o for o in out}
    for row, bad in zip(rows, FORMULAS, strict=False):
        assert by_id[row["id"]]["name_en"] == "'" + bad
        assert by_id[row["id"]]["district"] == "'" + bad
    assert all(not v.startswith(("=", "+", "@")) for o in out for v in o.values())
    assert float(out[0]["lat"]) > 30  # numbers stay numbers


# --------------------------------------------------------------------------- simulation runs


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("exposure"))


@pytest.fixture(scope="module")
def run_id(app: Any) -> str:
    """A finished run with a result, as the simulation thread leaves it."""
    store: Store = app.extensions["tourplan.store"]
    run = store.create_run({"date": "2026-05-12"}, owner_id=None)
    result = {
        "date": "2026-05-12", "day_type": "weekday", "seed": 0, "slot_minutes": 15, "day_start": "08:00",
        "visitors": 100, "finished": 100, "inside_at_end": 0, "alerts": [], "daily_alerts": [],
        "sites": {"jiaozuo_museum": {"occupancy": [0.0, 5.0, 12.0, 3.0]}},
    }  # fmt: skip
    store.update_run(run.id, status="done", progress=1.0, result=result)
    return run.id


def test_an_unpublished_run_is_for_staff_only(app: Any, client: Any, staff: Any, run_id: str) -> None:
    unknown = client.get("/api/v1/simulations/AAAAAAAAAAAAAAAAAAAAAA")
    hidden = client.get(f"/api/v1/simulations/{run_id}")
    assert hidden.status_code == unknown.status_code == 401
    assert hidden.get_json() == unknown.get_json()  # no way to tell a real id from a made-up one
    assert "jiaozuo_museum" not in hidden.get_data(as_text=True)
    assert client.get(f"/embed/flow/{run_id}").status_code == 404
    assert client.get(f"/embed/flow/{run_id}.html").status_code == 404
    r = client.get("/oembed", query_string={"url": f"http://localhost/embed/flow/{run_id}"})
    assert r.status_code == 404
    body = staff.get(f"/api/v1/simulations/{run_id}").get_json()
    assert body["published"] is False and body["result"]["sites"]
    assert staff.get("/api/v1/simulations/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert staff.get(f"/embed/flow/{run_id}").status_code == 200  # staff may look before publishing


def test_publishing_opens_a_run_and_withdrawing_closes_it(
    app: Any, client: Any, staff: Any, run_id: str
) -> None:
    assert client.post(f"/staff/flow/{run_id}/publish", data={"publish": "1"}).status_code == 302  # to login
    assert client.get(f"/api/v1/simulations/{run_id}").status_code == 401
    assert staff.post(f"/staff/flow/{run_id}/publish", data={"publish": "yes"}).status_code == 400
    r = staff.post(f"/staff/flow/{run_id}/publish?lang=en", data={"publish": "1"}, follow_redirects=True)
    assert "Published:" in r.get_data(as_text=True)
    public = client.get(f"/api/v1/simulations/{run_id}").get_json()
    assert public["published"] is True and public["result"]["sites"]
    assert client.get(f"/embed/flow/{run_id}").status_code == 200
    assert (
        client.get("/oembed", query_string={"url": f"http://localhost/embed/flow/{run_id}"}).status_code
        == 200
    )
    staff.post(f"/staff/flow/{run_id}/publish", data={"publish": "0"})
    assert client.get(f"/api/v1/simulations/{run_id}").status_code == 401
    assert client.get(f"/embed/flow/{run_id}").status_code == 404


def test_an_unfinished_run_cannot_be_published(app: Any, staff: Any) -> None:
    run = app.extensions["tourplan.store"].create_run({"date": "2026-05-12"}, owner_id=None)
    assert staff.post(f"/staff/flow/{run.id}/publish", data={"publish": "1"}).status_code == 404


def test_publishing_needs_the_csrf_token(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    run = app.extensions["tourplan.store"].create_run({"date": "2026-05-12"}, owner_id=None)
    app.extensions["tourplan.store"].update_run(run.id, status="done", result={"sites": {}})
    c = app.test_client()
    page = c.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    c.post("/staff/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token})
    assert c.post(f"/staff/flow/{run.id}/publish", data={"publish": "1"}).status_code == 400
    assert app.extensions["tourplan.store"].get_run(run.id).published is False


def test_an_existing_database_gets_the_published_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = Store(url)
    run = store.create_run({"date": "2026-05-12"}, owner_id=None)
    with store.engine.begin() as c:
        c.execute(text("ALTER TABLE simulation_runs DROP COLUMN published"))  # as the first release made it
    store.dispose()
    again = Store(url)
    assert again.get_run(run.id).published is False  # type: ignore[union-attr]
    assert again.publish_run(run.id).published is True
    again.dispose()


# --------------------------------------------------------------------------- tourplan serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_does_not_announce_its_versions(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TOURPLAN_INSTANCE_PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tourplan.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                    headers = resp.headers
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        assert headers["Server"] == "tourplan"
        assert "Werkzeug" not in str(headers) and "Python" not in str(headers)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
