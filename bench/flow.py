"""Benchmark of the visitor-flow simulation (not a unit test).

Run ``python bench/flow.py`` from the repository root.  It prints, for a
Golden Week day (2026-10-03) with default entries and segments:

* planning time (one optimizer run per segment x entry x start bucket; fixed
  cost, independent of the number of visitors; made on up to 4 threads, one per
  core; cached across runs),
* simulation time for 100,000 and 1,000,000 visitors with the plans cached,
  and the ratio of the two (linear cost gives about 10),
* end-to-end time of a cold 100,000-visitor run (planning included, an
  empty disk cache: the first-ever run),
* the same run in a fresh process that finds the plans in the disk cache the
  first run wrote (imports, data loading and compilation cache loading
  included: the wall time of the whole process),
* the 100,000-visitor run with timed entry at every site (plans cached): its
  time, what the measures did, and the busiest share of C0 left,
* peak memory: the resident set's high-water mark during the 1M run (Linux
  ``VmHWM``, reset just before it: the run's large arrays are memory maps,
  which tracemalloc does not see), and ``ru_maxrss`` of the whole process,
* the share of planned stops given up in a queue (100,000 visitors),
* calibration: 云台山 (parent + parts) daily visitors in the default Golden
  Week and May Day scenarios against the sourced anchors (76,600 on 3 Oct
  2011, yts.cc; 43,100 on 1 May 2017, richsyacht.com), as a ratio, and their
  share of the day's visitors against the sourced share the scenario aims at
  (``Scenario.area_shares``).

Targets: 100k <= 3 s (with or without measures), 1M <= 30 s, peak memory <= 2 GB.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from tourplan.data import load_edges, load_sites
from tourplan.flow import (
    YUNTAI_PEAK_GOLDEN_WEEK,
    YUNTAI_PEAK_MAY_DAY,
    Measures,
    PlanLibrary,
    Scenario,
    simulate,
)
from tourplan.graph import SiteGraph

_FRESH = """
import datetime as dt, time
t = time.perf_counter()
from tourplan.data import load_edges, load_sites
from tourplan.flow import Scenario, simulate
from tourplan.graph import SiteGraph
sites = load_sites()
r = simulate(Scenario(date=dt.date(2026, 10, 3), visitors=100_000), sites, SiteGraph(sites, load_edges(None, sites)), seed=1)
print(f"{time.perf_counter() - t:.2f} {r.plan_seconds:.2f} {r.finished}")
"""


def _peak_rss() -> int | None:
    """The process's resident high-water mark in bytes (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> int | None:
    """Reset the high-water mark to the current resident size (Linux); return it, or None."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return None
    return _peak_rss()


def main() -> None:
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    sites = load_sites()
    graph = SiteGraph(sites, load_edges(None, sites))
    date = dt.date(2026, 10, 3)
    # Warm up: numba compilation of the optimizer and the event loop.
    simulate(Scenario(date=date, visitors=2000), sites, graph, seed=99, plans=PlanLibrary(disk=False))

    cache = tempfile.TemporaryDirectory(prefix="tourplan-bench-")
    cold = PlanLibrary(disk=os.path.join(cache.name, "flow"))
    t = time.perf_counter()
    r = simulate(Scenario(date=date, visitors=100_000), sites, graph, seed=1, plans=cold)
    cold_s = time.perf_counter() - t
    print(f"cold 100k (planning included): {cold_s:.2f} s; {r.plans} plans in {r.plan_seconds:.2f} s")
    env = {**os.environ, "TOURPLAN_CACHE_DIR": cache.name}
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _FRESH], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    print(
        f"cold 100k in a fresh process with the disk cache: {time.perf_counter() - t:.2f} s wall "
        f"({out[0]} s from the first import; planning {out[1]} s; finished {int(out[2]):,})"
    )

    lib = cold
    times = {}
    for n in (100_000, 1_000_000):
        t = time.perf_counter()
        r = simulate(Scenario(date=date, visitors=n), sites, graph, seed=3, plans=lib)
        times[n] = time.perf_counter() - t
        print(
            f"{n:>9,} visitors: {times[n]:.2f} s (planning {r.plan_seconds:.2f} s, {r.plans} plans), "
            f"finished {r.finished:,}, still out {r.inside_at_end:,}, alert slots {len(r.alerts)}"
        )
    t = time.perf_counter()
    timed = Scenario(date=date, visitors=100_000, measures=Measures(timed_entry=True))
    r = simulate(timed, sites, graph, seed=3, plans=lib)
    m, elapsed = r.measures, time.perf_counter() - t
    over = int(((r.load > r.capacity_instant[:, None]) & (r.capacity_instant[:, None] > 0)).sum())
    print(
        f"  100,000 visitors, timed entry: {elapsed:.2f} s (planning {r.plan_seconds:.2f} s), "
        f"finished {r.finished:,}, still out {r.inside_at_end:,}, turned away {m.turned_away:,}; "
        f"shifted {m.shifted:,} (mean {m.shift_minutes:.0f} min), diverted {m.diverted:,}, skipped {m.skipped:,}; "
        f"slots over C0 {over}, highest share {100 * r.ratio().max():.0f} %"
    )
    base = _reset_peak_rss()
    simulate(Scenario(date=date, visitors=1_000_000), sites, graph, seed=4, plans=lib)
    peak = _peak_rss()
    if base is not None and peak is not None:
        above = (peak - base) / 2**20
        print(f"peak resident memory, 1M visitors: {peak / 2**20:.0f} MiB ({above:.0f} MiB above the start)")
    print(f"ratio 1M / 100k time: {times[1_000_000] / times[100_000]:.1f}")
    print(f"ru_maxrss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    r = simulate(Scenario(date=date, visitors=100_000), sites, graph, seed=1, plans=lib, keep_log=True)
    assert r.log is not None
    st = r.log.status
    print(
        f"100k: stops given up in a queue {np.mean(st == 2):.1%} of planned stops "
        f"({np.sum(st == 2) / max(np.sum((st == 0) | (st == 2)), 1):.1%} of stops reached)"
    )
    for day, anchor in ((date, YUNTAI_PEAK_GOLDEN_WEEK), (dt.date(2026, 5, 1), YUNTAI_PEAK_MAY_DAY)):
        sc = Scenario(date=day)
        r = simulate(sc, sites, graph, seed=1, plans=lib)
        y = r.areas.index("yuntai_mountain")
        print(
            f"calibration {day} ({sc.kind}, {sc.n_visitors:,} visitors): 云台山 admitted "
            f"{int(r.areas.visitors[y]):,} = {r.areas.visitors[y] / anchor:.2f} x {anchor:,}; "
            f"arrived {int(r.areas.arrived[y]):,} = {r.areas.arrived[y] / anchor:.2f} x; share of the day's "
            f"visitors {r.areas.arrived[y] / r.visitors:.3f} (sourced {sc.area_shares_used['yuntai_mountain']:.3f})"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    cache.cleanup()


if __name__ == "__main__":
    main()
