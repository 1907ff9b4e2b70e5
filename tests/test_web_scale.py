"""The web app with Redis: shared rate limits and cache, simulations on the RQ queue, health.

Uses a throwaway redis-server (``redisserver.py``); the rate-limit test runs
the app under gunicorn with two worker processes (``bench/_server.py``).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import time
from pathlib import Path

import helpers
import pytest

from tourplan.shared import RedisCache

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("_server", ROOT / "bench" / "_server.py")
assert _spec is not None and _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("_server", _server)
_spec.loader.exec_module(_server)

QUICK = {"bucket_minutes": 240, "min_plan_share": 0.05, "plan_time_limit": 0.02, "plan_variants": 1}


def test_shared_cache_is_seen_and_cleared_by_every_process(redis_url: str) -> None:
    from redis import Redis

    a = RedisCache(Redis.from_url(redis_url), "showcase")
    b = RedisCache(Redis.from_url(redis_url), "showcase")  # another worker's view
    key = ("history", "2027-10-02", "v1")
    assert key not in b
    a[key] = {"days": [{"stops": [1, 2]}]}
    assert key in b and b[key] == {"days": [{"stops": [1, 2]}]}
    assert list(b) == [list(key)] and len(b) == 1
    b.clear()  # an edit of the site data, made through the other worker
    assert key not in a and len(a) == 0 and a.generation == 1
    with pytest.raises(KeyError):
        a[key]


def test_app_with_redis_uses_the_queue_and_the_shared_cache(tmp_path: Path, redis_url: str) -> None:
    app = helpers.make_app(
        tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD), REDIS_URL=redis_url,
        SIMULATION_OVERRIDES=QUICK,
    )  # fmt: skip
    assert isinstance(app.extensions["tourplan.showcase"], RedisCache)
    health = app.test_client().get("/healthz").get_json()
    assert health["redis"]["ok"] is True and health["redis"]["version"]
    assert health["queue"] == {"runner": "rq", "queued": 0, "running": 0, "failed": 0, "workers": 0}

    staff = helpers.login(app.test_client())
    r = staff.post("/api/v1/simulations", json={"date": "2027-10-02", "visitors": 1500})
    assert r.status_code == 202, r.get_json()
    first = r.get_json()["id"]
    second = staff.post("/api/v1/simulations", json={"date": "2027-10-03", "visitors": 1500}).get_json()["id"]
    assert app.test_client().get("/healthz").get_json()["queue"]["queued"] == 2
    r = staff.post(f"/staff/flow/{second}/cancel")
    assert r.status_code == 303
    assert staff.get(f"/api/v1/simulations/{second}").get_json()["error"] == "cancelled"

    out = helpers.worker_burst(app.config["DATABASE_URL"], redis_url)
    assert out.returncode == 0, out.stderr
    run = staff.get(f"/api/v1/simulations/{first}").get_json()
    assert run["status"] == "done" and run["progress"] == 1.0 and run["result"]["sites"]
    assert staff.get(f"/api/v1/simulations/{second}").get_json()["status"] == "failed"
    r = staff.post(f"/staff/flow/{first}/cancel", follow_redirects=True)
    assert r.status_code == 200  # over: nothing to cancel, the run page again


_LOGIN = b"username=staff&password=wrong-password"
_HEAD = (
    b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(_LOGIN)
)


def _status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    return int(data.split(b" ", 2)[1])


def _held(port: int) -> socket.socket:
    """A login request without its last header line: the sync worker that accepts it waits for the rest."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(_HEAD)
    time.sleep(0.5)  # let a worker accept it
    return sock


def _finish(sock: socket.socket) -> int:
    sock.sendall(b"\r\n" + _LOGIN)
    return _status(sock)


def _login(port: int) -> int:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(_HEAD + b"\r\n" + _LOGIN)
    return _status(sock)


def _split_logins(port: int) -> list[int]:
    """Ten wrong logins, split between two sync workers (each busy with a held request in turn).

    Worker A holds request 1 while B answers three; B then holds request 5
    while A answers request 1 and five more; request 5 ends last.
    """
    first = _held(port)
    codes = [_login(port) for _ in range(3)]  # worker B
    second = _held(port)  # worker B waits on it
    codes.append(_finish(first))  # worker A
    codes += [_login(port) for _ in range(5)]  # worker A
    codes.append(_finish(second))  # worker B
    return codes


@pytest.mark.slow
@pytest.mark.parametrize("redis", [True, False])
def test_login_limit_holds_across_two_gunicorn_workers(tmp_path: Path, redis_url: str, redis: bool) -> None:
    env = {"TOURPLAN_LOGIN_RATE_LIMIT": "5 per minute"}
    if redis:
        env["TOURPLAN_REDIS_URL"] = redis_url
    server = _server.Server(tmp_path, workers=2, threads=1, env=env).start()  # sync workers
    try:
        assert len(server.worker_pids()) == 3  # the master and two workers
        health = json.loads(_server.request(server.url, "GET", "/healthz")[1])
        codes = _split_logins(server.port)
    finally:
        server.stop()
    assert len(codes) == 10 and set(codes) <= {400, 429}, codes
    if redis:
        assert health["redis"]["ok"] is True and health["queue"]["runner"] == "rq"
        assert codes.count(429) == 5, codes  # 5 per minute for the whole server
    else:  # the control: counts per worker let more through (this is what Redis fixes)
        assert health["redis"] is None
        assert codes.count(429) < 5, codes


def test_rate_limit_storage_follows_redis_url(tmp_path: Path, redis_url: str) -> None:
    on = helpers.make_app(tmp_path / "a", REDIS_URL=redis_url, RATELIMIT_ENABLED=True)
    off = helpers.make_app(tmp_path / "b", RATELIMIT_ENABLED=True)
    own = helpers.make_app(
        tmp_path / "c", REDIS_URL=redis_url, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ENABLED=True
    )
    assert type(on.extensions["tourplan.limiter"].storage).__name__ == "RedisStorage"
    assert type(off.extensions["tourplan.limiter"].storage).__name__ == "MemoryStorage"
    assert (
        type(own.extensions["tourplan.limiter"].storage).__name__ == "RedisStorage"
    )  # memory:// is the default
    assert off.test_client().get("/healthz").get_json()["queue"] == {"runner": "thread", "jobs": 0}
    assert off.test_client().get("/healthz").get_json()["redis"] is None
