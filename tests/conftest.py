"""Shared fixtures and the Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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
