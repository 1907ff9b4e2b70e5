"""A throwaway PostgreSQL server for the tests that run the store on PostgreSQL.

``scripts/test.sh`` installs Debian's ``postgresql`` package; on a machine
without it the PostgreSQL tests are skipped (with that reason), never faked.
The server runs in a temporary folder, listens only on a Unix socket and is
stopped (immediate mode) and deleted at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


def server_binaries() -> Path | None:
    """The ``bin`` folder of the newest installed PostgreSQL server, or None."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for bindir in reversed(dirs):
        if (bindir / "postgres").exists() and (bindir / "initdb").exists():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a fresh cluster; yield the SQLAlchemy URL of its ``postgres`` database."""
    bindir = server_binaries()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    # The server refuses to run as root: give it a world-traversable folder of its own.
    root = Path(tempfile.mkdtemp(prefix="tourplan-pg-"))
    root.chmod(0o755)
    user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        user = ["runuser", "-u", "postgres", "--"]
    data, sock = root / "data", root / "sock"
    subprocess.run([*user, "mkdir", "-p", str(sock)], check=True)
    subprocess.run(
        [*user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    subprocess.run(
        [*user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "pg.log"), "-w",
         "-o", f"-k {sock} -p {port} -c listen_addresses=''", "start"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(
            [*user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database ``name`` on the server; return its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.replace("/postgres?", f"/{name}?", 1)
