"""Benchmark of season sweeps on Dask (not a unit test).

Run ``python bench/sweep.py`` from the repository root. It sweeps 56 one-day
simulations -- 7 days (2027-10-01 to 2027-10-07) x 2 demand levels (50,000
and 100,000 visitors) x 4 seeds, default scenarios -- three times:

1. a ``LocalCluster`` with 1 worker process (1 thread),
2. a ``LocalCluster`` with 2 worker processes (1 thread each),
3. a separately started ``dask scheduler`` with two ``dask worker``
   processes (1 thread each), reached by address like ``--scheduler``.

Every worker starts with ``--preload tourplan.sweep`` (its kernels loaded
before it takes a task; cluster start-up, not sweep time).

It prints the wall time of each (cluster start-up excluded, then included),
the simulations' own time summed over the tasks, how busy each worker was
(its tasks' compute time over the sweep's wall time, from Dask's task stream:
below 100 % is time a worker waited, e.g. for a date's plans), the speed-up
of 2 workers over 1, and whether the three results are equal (they must be:
each simulation is a pure function of its inputs).

Every run starts alike: the numba kernels are compiled (or loaded) once
before any timing, and each run gets an empty plan cache of its own
(``TOURPLAN_CACHE_DIR``), so no run reads plans an earlier one wrote to disk.

On a machine shared with other work the speed-up is that of the CPU the
sweep actually got; the load averages printed with each run say how busy it
was. With the kernel's autogroup scheduling (Linux
``/proc/sys/kernel/sched_autogroup_enabled``), the worker processes of a
local cluster share the CPU share of the session that started them, so on a
loaded machine a second worker adds little CPU: workers busy near 100 % with
a speed-up near 1 mean the sweep got no more CPU, not that it serialised.

Options: ``--days N``, ``--seeds N``, ``--visitors 50000,100000`` for other
sizes; ``--skip-remote``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from distributed import Client, LocalCluster, get_task_stream

from tourplan.data import load_edges, load_sites
from tourplan.graph import SiteGraph
from tourplan.sweep import make_cases, sweep_on
from tourplan.warmup import warm_up

ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_cache() -> str:
    """An empty plan cache for the next run (its worker processes inherit the variable)."""
    path = tempfile.mkdtemp(prefix="tourplan-bench-sweep-")
    os.environ["TOURPLAN_CACHE_DIR"] = path
    return path


def _timed(client, cases, sites, graph):  # type: ignore[no-untyped-def]
    """Sweep on ``client``; the result and each worker's busy share of the sweep's wall time."""
    with get_task_stream(client) as stream:
        result = sweep_on(client, cases, sites, graph, {})
    busy: dict[str, float] = defaultdict(float)
    for task in stream.data:
        for part in task["startstops"]:
            if part["action"] == "compute":
                busy[task["worker"]] += part["stop"] - part["start"]
    return result, sorted(b / result.runtime for b in busy.values())


def _local(n: int, cases, sites, graph):  # type: ignore[no-untyped-def]
    cache = _fresh_cache()
    t0 = time.perf_counter()
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40, preload=["tourplan.sweep"]) as cluster, Client(cluster) as client:  # fmt: skip
        ready = time.perf_counter() - t0
        result, busy = _timed(client, cases, sites, graph)
    shutil.rmtree(cache, ignore_errors=True)
    return result, busy, ready, time.perf_counter() - t0


def _remote(cases, sites, graph):  # type: ignore[no-untyped-def]
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOURPLAN_CACHE_DIR": _fresh_cache()}
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                          "--port", str(port), "--dashboard-address", ":0", "--no-show"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ]  # fmt: skip
    for k in range(2):
        procs.append(
            subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                              "--nthreads", "1", "--no-dashboard", "--name", f"w{k}",
                              "--preload", "tourplan.sweep"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )  # fmt: skip
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
            ready = time.perf_counter() - t0
            result, busy = _timed(client, cases, sites, graph)
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        shutil.rmtree(env["TOURPLAN_CACHE_DIR"], ignore_errors=True)
    return result, busy, ready, time.perf_counter() - t0


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--visitors", default="50000,100000")
    ap.add_argument("--skip-remote", action="store_true")
    args = ap.parse_args()
    sites = load_sites()
    graph = SiteGraph(sites, load_edges(None, sites))
    start = dt.date(2027, 10, 1)
    demands = [int(v) for v in args.visitors.split(",")]
    cases = make_cases(start, start + dt.timedelta(days=args.days - 1), demands, args.seeds)
    compiled = warm_up()  # compile (or load) the kernels once, outside every timing
    print(f"{len(cases)} simulations: {args.days} days x {len(demands)} demands {demands} x {args.seeds} seeds;"
          f" {os.cpu_count()} cores; kernels ready in {sum(compiled.values()):.1f} s")  # fmt: skip
    runs = {}
    for label, go in (
        ("LocalCluster, 1 worker", lambda: _local(1, cases, sites, graph)),
        ("LocalCluster, 2 workers", lambda: _local(2, cases, sites, graph)),
        *(
            ()
            if args.skip_remote
            else (("dask scheduler + 2 dask workers", lambda: _remote(cases, sites, graph)),)
        ),
    ):
        before = _load()
        result, busy, ready, total = go()
        runs[label] = result
        print(
            f"{label:34} sweep {result.runtime:7.1f} s   (cluster start {ready:5.1f} s, total {total:6.1f} s;"
            f" simulations {result.task_seconds:6.1f} s; workers busy {', '.join(f'{b:.0%}' for b in busy)};"
            f" {before} -> {_load()})"
        )
    one, two = runs["LocalCluster, 1 worker"], runs["LocalCluster, 2 workers"]
    print(f"speed-up 2 workers / 1 worker: {one.runtime / two.runtime:.2f}x")
    same = all(r == one for r in runs.values())
    print(f"same numbers on every cluster: {same} ({len(one.rows)} site-day rows)")
    hot = sorted(one.rows, key=lambda r: -r.peak_pct_p90)[:5]
    for r in hot:
        print(f"  {r.date} {r.visitors:>7,} {r.site_id:28} p50 {r.peak_pct_p50:6.1f} %  p90 {r.peak_pct_p90:6.1f} %"
              f"  episodes p50 {r.episodes_p50:g} p90 {r.episodes_p90:g}")  # fmt: skip
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
