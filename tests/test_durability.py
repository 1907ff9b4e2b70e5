"""Fault test: SIGKILL the server while it saves plans; nothing acknowledged is lost.

The app runs under gunicorn (a real WSGI server) on 127.0.0.1 with a SQLite
file (WAL journal).  Client threads POST itineraries; in the middle of that
the whole process group gets SIGKILL.  After a restart on the same database,
every itinerary whose POST was acknowledged (201 with an id) must be there,
byte-for-byte the same JSON result.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
    server = _server.Server(tmp_path, workers=2, threads=2, database_url=database_url).start()
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


def _pg_available() -> bool:
    return shutil.which("pg_ctlcluster") is not None or Path("/usr/lib/postgresql").exists()


@pytest.mark.skipif(not _pg_available(), reason="PostgreSQL server is not installed on this machine")
def test_sigkill_loses_no_acknowledged_plan_postgres(tmp_path):
    pytest.importorskip("psycopg")
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    if not (bindir / "postgres").exists():
        pytest.skip("PostgreSQL client only; no server binary")
    # The server refuses to run as root: give it a world-traversable folder of its own.
    pgroot = Path(tempfile.mkdtemp(prefix="tourplan-pg-"))
    pgroot.chmod(0o755)
    user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(pgroot, "postgres")
        user = ["runuser", "-u", "postgres", "--"]
    data, sock = pgroot / "data", pgroot / "sock"
    subprocess.run([*user, "mkdir", "-p", str(sock)], check=True)
    subprocess.run(
        [*user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    port = _server.free_port()
    subprocess.run(
        [*user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(pgroot / "pg.log"), "-w",
         "-o", f"-k {sock} -p {port} -c listen_addresses=''", "start"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        url = f"postgresql+psycopg://postgres@/postgres?host={sock}&port={port}"
        n = _crash_and_check(tmp_path, url)
        assert n >= 12
    finally:
        subprocess.run(
            [*user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True, check=False
        )
        shutil.rmtree(pgroot, ignore_errors=True)
