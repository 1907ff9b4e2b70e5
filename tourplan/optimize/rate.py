"""The engine's work rate on this machine: work units per second of a solve.

:func:`~tourplan.optimize.solve` turns its time limit into a work budget of
``budget_fraction * time_limit * rate`` units (elementary insertion and
schedule checks) and stops on that budget. A rate measured on one machine makes
a plan take longer than its limit on a slower one, so the rate is measured on
the machine that runs the engine: :func:`work_rate` solves two fixed synthetic
problems (a benchmark-like one with single windows, an itinerary-like one with
two windows per site and one lunch stop a day) for a fixed budget, a few times,
and takes the median of budget / seconds. The seconds are the process's CPU
time, not the wall time, so other programs busy on the machine while it
measures do not make it too slow a figure for good (on a busy machine a
deterministic solve then runs longer than its limit; one that watches the clock
stops on time). That happens once per machine:
the figure is cached on disk, keyed by the machine (host, CPU, core count) and
by the engine's source, so a new engine version is measured again.

The cache file is ``work_rate.json`` in ``$TOURPLAN_CACHE_DIR``, else in
``$XDG_CACHE_HOME/tourplan``, else in ``~/.cache/tourplan``; if none can be
written the figure lives for the process only. ``TOURPLAN_WORK_RATE`` (units
per second) pins the rate without measuring, e.g. to make runs on different
machines do the same work.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tourplan.errors import SolverError

if TYPE_CHECKING:
    from tourplan.optimize.problem import Problem

__all__ = ["machine_key", "measure_work_rate", "rate_cache_path", "work_rate"]

_ENV_RATE = "TOURPLAN_WORK_RATE"
_RUNS = 3  # per calibration problem
_CAL_BUDGET = 2_500_000  # work units per calibration solve (about 30 ms)
_KNOWN: dict[str, float] = {}  # this process's figure, by machine key
_LOCK = threading.Lock()  # threads that solve at once measure once


def rate_cache_path() -> Path:
    """Return the file that keeps measured rates (one entry per machine key)."""
    base = os.environ.get("TOURPLAN_CACHE_DIR")
    if base:
        return Path(base) / "work_rate.json"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "tourplan" / "work_rate.json"


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


@functools.lru_cache(maxsize=1)
def machine_key() -> str:
    """Return the key a measured rate is filed under: machine and engine version.

    Host name, CPU model, core count, Python and numba versions, and a hash of
    the engine's source files (a changed engine does different work per unit).
    """
    import numba

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("_engine.py", "solve.py", "rate.py"):
        digest.update((here / name).read_bytes())
    parts = (
        platform.node(),
        platform.machine(),
        _cpu_model(),
        f"{os.cpu_count()} cores",
        f"python {platform.python_version()}",
        f"numba {numba.__version__}",
        f"engine {digest.hexdigest()[:16]}",
    )
    return " | ".join(parts)


def _calibration_problems() -> list[Problem]:
    """Two fixed problems: 100 sites with single windows, 60 with two windows and lunch."""
    from tourplan.optimize.problem import Problem, Route, VisitGroup

    rng = np.random.default_rng(20261204)
    out: list[Problem] = []
    for n, two_windows in ((100, False), (60, True)):
        xy = rng.uniform(0.0, 100.0, size=(n + 1, 2))
        xy[0] = 50.0
        travel = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        horizon = 480.0
        windows: list[tuple[tuple[float, float], ...]] = [()]
        for _ in range(n):
            a = float(rng.uniform(0.0, 360.0))
            w = float(rng.uniform(60.0, 240.0))
            first = (a, min(a + w, horizon))
            if two_windows and a > 200.0:
                windows.append(((0.0, a - 120.0), first))
            else:
                windows.append((first,))
        scores = np.concatenate([[0.0], rng.integers(1, 11, size=n).astype(float)])
        service = np.concatenate([[0.0], rng.integers(5, 31, size=n).astype(float)])
        routes = tuple(Route(0, 0, 0.0, horizon) for _ in range(2))
        groups = (VisitGroup(frozenset(range(1, 9)), frozenset({0, 1}), 1, 1),) if two_windows else ()
        out.append(Problem(travel, scores, service, tuple(windows), routes, groups=groups))
    return out


def measure_work_rate(runs: int = _RUNS) -> float:
    """Measure this machine's work rate now (about 0.2 s); return units per second.

    Each calibration problem is solved ``runs`` times for a fixed budget with a
    fixed rate (so every run does the same work); the rate is the median of
    budget / CPU seconds over all runs, each solve timed whole (building the
    engine's arrays, searching, checking the result).
    """
    from tourplan.optimize.solve import WORK_PER_SECOND, SolveParams, solve

    params = SolveParams(work_rate=WORK_PER_SECOND)
    limit = _CAL_BUDGET / (params.budget_fraction * WORK_PER_SECOND)
    rates = []
    for problem in _calibration_problems():
        for k in range(runs):
            t0 = time.process_time()
            solve(problem, time_limit=limit, seed=k, params=params, deterministic=True)
            rates.append(_CAL_BUDGET / max(time.process_time() - t0, 1e-6))
    return float(statistics.median(rates))


def _read_cache(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, key: str, rate: float) -> None:
    """Add ``key``'s rate to the cache file (atomic replace; silently skipped if unwritable)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _read_cache(path)
        data[key] = {"rate": rate, "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".work_rate.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)


def work_rate() -> float:
    """Return this machine's work rate in units per second (measured once, then cached).

    Returns
    -------
    float
        ``TOURPLAN_WORK_RATE`` if set; else the figure measured for this
        machine and engine version, from this process, the cache file, or a
        fresh :func:`measure_work_rate` (stored in the cache file).

    Raises
    ------
    SolverError
        If ``TOURPLAN_WORK_RATE`` is not a positive number.
    """
    pinned = os.environ.get(_ENV_RATE)
    if pinned:
        try:
            rate = float(pinned)
        except ValueError:
            rate = float("nan")
        if not (rate > 0 and np.isfinite(rate)):
            msg = f"{_ENV_RATE}: expected a positive number of work units per second, got {pinned!r}"
            raise SolverError(msg)
        return rate
    key = machine_key()
    if key in _KNOWN:
        return _KNOWN[key]
    # Measuring solves, and a process's first solve compiles the engine and
    # then asks for this rate: compile first, outside the lock, or a first
    # call here (before any solve) would wait on the lock it holds.
    from tourplan.optimize.solve import warm_up_once

    warm_up_once()
    if key in _KNOWN:
        return _KNOWN[key]
    with _LOCK:
        if key not in _KNOWN:
            path = rate_cache_path()
            entry = _read_cache(path).get(key)
            stored = entry.get("rate") if isinstance(entry, dict) else None
            rate = float(stored) if isinstance(stored, (int, float)) else 0.0
            if not (rate > 0 and np.isfinite(rate)):
                rate = measure_work_rate()
                _write_cache(path, key, rate)
            _KNOWN[key] = rate
    return _KNOWN[key]
