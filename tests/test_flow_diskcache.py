"""Tests of the plan library on disk (tourplan.flow.diskcache)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import tourplan
from tourplan.flow import PlanLibrary, Scenario, simulate
from tourplan.flow.diskcache import data_version
from tourplan.graph import SiteGraph
from tourplan.site import SiteTable

DATE = dt.date(2026, 10, 3)
SCEN = Scenario(date=DATE, visitors=2000)


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    for name in ("arrivals", "occupancy", "queue", "daily_visits"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.finished, a.inside_at_end) == (b.finished, b.inside_at_end)


def test_a_second_library_reads_the_plans_from_disk(bundled_sites, bundled_graph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = PlanLibrary(disk=tmp_path)
    planned = simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=first)
    assert first.planned == planned.plans > 1 and first.from_disk == 0
    files = list(tmp_path.glob("plans-v*.json"))
    assert len(files) == 1
    second = PlanLibrary(disk=tmp_path)
    cached = simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=second)
    assert second.planned == 0 and second.from_disk == planned.plans
    assert second._plans == first._plans
    _same(planned, cached)
    # A library in memory only plans again, to the same result.
    mem = PlanLibrary(disk=False)
    _same(simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=mem), cached)
    assert mem.planned == planned.plans


def test_a_corrupt_cache_file_is_ignored(bundled_sites, bundled_graph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = PlanLibrary(disk=tmp_path)
    good = simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=first)
    (path,) = tmp_path.glob("plans-v*.json")
    body = json.loads(path.read_text(encoding="utf-8"))
    key = next(iter(body["plans"]))
    bad_rows = [
        ["not", "a", "plan"],
        [["xiaoshan"], [1.0, 2.0], [3.0]],
        [["xiaoshan"], ["nine"], [3.0]],
    ]
    for text in (
        [path.read_text(encoding="utf-8")[:-40], "", "[]"]
        + [json.dumps({**body, "plans": {**body["plans"], key: row}}) for row in bad_rows]
        + [json.dumps({**body, "format": 0})]
    ):
        path.write_text(text, encoding="utf-8")
        lib = PlanLibrary(disk=tmp_path)
        again = simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=lib)
        assert lib.from_disk == 0 and lib.planned == good.plans
        _same(good, again)
    # The last run wrote a good file back.
    lib = PlanLibrary(disk=tmp_path)
    simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=lib)
    assert lib.planned == 0 and lib.from_disk == good.plans


def test_a_change_in_the_site_table_changes_the_key(bundled_sites, bundled_graph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = data_version(bundled_sites, bundled_graph)
    assert base == data_version(bundled_sites, SiteGraph(bundled_sites, bundled_graph.edges))
    site = bundled_sites.sites[3]
    moved = dataclasses.replace(site, capacity_instant=site.capacity_instant + 1)
    table = SiteTable(tuple(moved if s.id == site.id else s for s in bundled_sites), bundled_sites.source)
    graph = SiteGraph(table, bundled_graph.edges)
    assert data_version(table, graph) != base
    assert data_version(bundled_sites, SiteGraph(bundled_sites, bundled_graph.edges[1:])) != base
    # So a library on the changed table does not read the plans of the old one.
    simulate(SCEN, bundled_sites, bundled_graph, seed=2, plans=PlanLibrary(disk=tmp_path))
    lib = PlanLibrary(disk=tmp_path)
    simulate(SCEN, table, graph, seed=2, plans=lib)
    assert lib.from_disk == 0 and lib.planned > 1
    assert len(list(tmp_path.glob("plans-v*.json"))) == 2


def test_the_key_is_the_same_in_another_process(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    """Sets in the site table (themes) iterate in a per-process order; the key must not follow it."""
    code = (
        "from tourplan.data import load_edges, load_sites; from tourplan.graph import SiteGraph;"
        "from tourplan.flow.diskcache import data_version; s = load_sites();"
        "print(data_version(s, SiteGraph(s, load_edges(None, s))))"
    )
    mine = data_version(bundled_sites, bundled_graph)
    for hash_seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "PYTHONPATH": str(Path(tourplan.__file__).parent.parent),
        }
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == mine
