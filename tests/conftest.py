"""Shared fixtures and the Hypothesis profiles."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

pytest.register_assert_rewrite("helpers")

# Plan-library and crowd-forecast caches of this test session (and of the servers it starts) live in a
# fresh folder, never in the user's ~/.cache: a run starts from what the code computes, not from old files.
os.environ.setdefault("TOURPLAN_CACHE_DIR", tempfile.mkdtemp(prefix="tourplan-test-cache-"))
# The command line speaks the locale's language; tests that read its English say so here, whatever the machine's
# locale (the language tests set TOURPLAN_LANG and the locale themselves).
os.environ["TOURPLAN_LANG"] = "en"

from helpers import STAFF_PASSWORD, STAFF_USER, login  # noqa: E402

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def optw_bench() -> Path:
    """The public OPTW benchmark (``../shared/bench/optw``); skips when it is not there."""
    for path in (Path("/work/shared/bench/optw"), Path(__file__).resolve().parents[2] / "shared" / "bench" / "optw"):
        if (path / "bks.csv").exists():
            return path
    pytest.skip("benchmark instances not available")


@pytest.fixture(scope="session")
def small_pois() -> Path:
    return DATA / "pois_small.csv"


@pytest.fixture(scope="session")
def small_edges() -> Path:
    return DATA / "edges_small.csv"


@pytest.fixture(scope="session")
def small_sites(small_pois):  # type: ignore[no-untyped-def]
    from tourplan.data import load_sites

    return load_sites(small_pois)


@pytest.fixture(scope="session")
def bundled_sites():  # type: ignore[no-untyped-def]
    from tourplan.data import load_sites

    return load_sites()


@pytest.fixture(scope="session")
def bundled_graph(bundled_sites):  # type: ignore[no-untyped-def]
    from tourplan.data import load_edges
    from tourplan.graph import SiteGraph

    return SiteGraph(bundled_sites, load_edges(None, bundled_sites))


# --------------------------------------------------------------------------- visitor flow


@pytest.fixture(scope="session")
def flow_plans():  # type: ignore[no-untyped-def]
    """One plan library for the flow tests (a plan depends only on its key, never on the run)."""
    from tourplan.flow import PlanLibrary

    return PlanLibrary()


@pytest.fixture(scope="session")
def flow_run(bundled_sites, bundled_graph, flow_plans):  # type: ignore[no-untyped-def]
    """3,000 visitors on Golden Week day 2026-10-03 (seed 5), with the stop log."""
    import datetime as dt

    from tourplan.flow import Scenario, simulate

    scenario = Scenario(date=dt.date(2026, 10, 3), visitors=3000)
    return simulate(scenario, bundled_sites, bundled_graph, seed=5, plans=flow_plans, keep_log=True)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """URL of a throwaway PostgreSQL server for this session (skips if none is installed)."""
    pytest.importorskip("psycopg")
    from pgserver import postgres_server, server_binaries

    if server_binaries() is None:
        pytest.skip("PostgreSQL server is not installed on this machine (scripts/test.sh installs it)")
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """URL of an empty database of its own on the session's PostgreSQL server."""
    from pgserver import fresh_database

    return fresh_database(pg_server, f"t{next(_PG_IDS)}")


_PG_IDS = itertools.count(1)


# --------------------------------------------------------------------------- Redis


@pytest.fixture(scope="session")
def redis_server_url() -> Any:
    """URL of a throwaway redis-server for this session (skips if none is installed)."""
    pytest.importorskip("redis")
    from redisserver import redis_server, server_binary

    if server_binary() is None:
        pytest.skip("redis-server is not installed on this machine (scripts/test.sh installs it)")
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The session's Redis, emptied for this test."""
    from redis import Redis

    conn = Redis.from_url(redis_server_url)
    conn.flushall()
    conn.close()
    return redis_server_url


# --------------------------------------------------------------------------- web apps
# A web test module defines a module-scoped ``app`` (helpers.make_app with its
# own configuration); these give it a client and a logged-in staff client.


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="module")
def staff_login() -> tuple[str, str]:
    """Username and password of the staff account of the module's ``app`` (override to change)."""
    return STAFF_USER, STAFF_PASSWORD


@pytest.fixture
def staff(app: Any, staff_login: tuple[str, str]) -> Any:
    return login(app.test_client(), *staff_login)
