"""Two gunicorn workers: an edit saved through one is used by plans on every worker within a second."""

from __future__ import annotations

import http.client
import importlib.util
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tourplan.resources import default_pois_path
from tourplan.sitestore import SiteStore, read_rows
from tourplan.store import Store
from tourplan.tokens import issue_token

_spec = importlib.util.spec_from_file_location("_server", Path(__file__).parents[1] / "bench" / "_server.py")
assert _spec is not None and _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("_server", _server)
_spec.loader.exec_module(_server)

pytestmark = pytest.mark.slow

SITE = "jiaying_temple"
TRIP = {"date": "2026-10-03", "interests": {"history": 1}, "must_see": [SITE], "mode": "drive"}


def _call(url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    host, port = url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        hdrs = {"Accept": "application/json", "Connection": "close", **(headers or {})}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=hdrs)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def _plans(url: str, n: int) -> list[tuple[float, float, int]]:
    """``n`` plans at once (more than one worker can take: sync workers serve one request each)."""
    out: list[tuple[float, float, int]] = []

    def one() -> None:
        status, body = _call(url, "POST", "/api/v1/itineraries", TRIP)
        assert status == 201, body
        stop = next(s for d in body["result"]["days"] for s in d["stops"] if s["site_id"] == SITE)
        out.append((stop["lat"], stop["lon"], body["result"]["data_version"]))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == n
    return out


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_edit_on_one_worker_is_used_by_plans_on_the_other(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'tourplan.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(url)  # the site table is not seeded: both workers race to seed it at start
    store.add_user("staff", "staff-password-1")
    _rec, token = issue_token(store, "staff")
    store.dispose()
    server = _server.Server(
        tmp_path, workers=2, threads=1, database_url=url,
        env={"TOURPLAN_INSTANCE_PATH": str(tmp_path), "TOURPLAN_PLAN_TIME_LIMIT": "0.05",
             "TOURPLAN_PLAN_TODAY": "2025-01-01", "TOURPLAN_PLAN_FORECAST": "false"},
    ).start(timeout=180)  # fmt: skip
    try:
        for _ in range(3):  # every worker has planned on version 1 (and cached its table)
            assert {p[2] for p in _plans(server.url, 4)} == {1}
        status, site = _call(server.url, "GET", f"/api/v1/sites/{SITE}")
        assert status == 200
        body = {"lat": site["lat"] + 0.01, "lon": site["lon"] + 0.01, "source": "survey", "confidence": "high"}
        auth = {"Authorization": f"Bearer {token}", "If-Match": str(site["version"])}
        status, new = _call(server.url, "PATCH", f"/api/v1/sites/{SITE}", body, auth)
        assert status == 200, new
        saved = time.monotonic()
        plans = _plans(server.url, 6)
        assert time.monotonic() - saved < 10  # the plans themselves take a moment on a busy machine
        assert set(plans) == {(new["lat"], new["lon"], 2)}
    finally:
        server.stop()
    store = Store(url)
    sites = SiteStore(store)
    assert sites.data_version() == 2 and len(sites.records()[1]) == len(read_rows(default_pois_path()))
    assert [c.username for c in sites.history(SITE)] == ["staff"]
    store.dispose()
