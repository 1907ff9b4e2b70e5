"""Start and stop the app under gunicorn for load, soak and fault tests.

Used by ``bench/load.py``, ``bench/soak.py`` and ``tests/test_durability.py``.
The server binds to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A gunicorn process group serving ``tourplan.web:create_app()``."""

    workdir: Path
    port: int = field(default_factory=free_port)
    workers: int = 2
    threads: int = 4
    database_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        db = self.database_url or f"sqlite:///{self.workdir / 'tourplan.sqlite'}"
        env = dict(os.environ)
        env.update(
            {
                "TOURPLAN_DATABASE_URL": db,
                "TOURPLAN_SECRET_KEY": "bench-secret-not-for-production",
                "TOURPLAN_PLAN_TIME_LIMIT": env.get("TOURPLAN_PLAN_TIME_LIMIT", "0.3"),
            }
        )
        env.update(self.env)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "tourplan.web:create_app()",
        ]
        with (self.workdir / "gunicorn.log").open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = f"gunicorn exited with {self.proc.returncode}; see {self.workdir / 'gunicorn.log'}"
                raise RuntimeError(msg)
            try:
                status, _ = request(self.url, "GET", "/healthz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        msg = f"gunicorn did not answer /healthz within {timeout} s"
        raise RuntimeError(msg)

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers): a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if needed."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def worker_pids(self) -> list[int]:
        """PIDs of the master and its workers."""
        if self.proc is None:
            return []
        out = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(x) for x in out.stdout.split()]

    def rss_kib(self) -> int:
        """Resident memory of the master and workers, KiB."""
        total = 0
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    timeout: float = 60.0,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:
    """One HTTP request; JSON body when given. Returns (status, body)."""
    host, port = base.removeprefix("http://").split(":")
    own = conn is None
    c = conn or http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        if own:
            c.close()
