"""Compile the numba kernels ahead of the first request.

The optimizer and the flow simulation are compiled by numba on their first
call in a fresh installation (tens of seconds) and cached on disk next to
the code, so later processes load them in about a second.  Running
:func:`warm_up` once after installing (``tourplan warmup``) keeps that first
compile out of a visitor's request and out of timed tests.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["warm_up"]


def warm_up() -> dict[str, float]:
    """Run the optimizer and the flow engine once on tiny inputs.

    Returns
    -------
    dict
        Seconds spent per part (compiling, or loading the cache).
    """
    from tourplan.flow import simulate_stops
    from tourplan.optimize import Problem, Route, VisitGroup, solve

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    travel = np.array([[0.0, 10.0, 12.0, 9.0], [10.0, 0.0, 5.0, 7.0], [12.0, 5.0, 0.0, 6.0], [9.0, 7.0, 6.0, 0.0]])
    problem = Problem(
        travel=travel,
        scores=np.array([0.0, 3.0, 2.0, 1.0]),
        service=np.array([0.0, 30.0, 20.0, 10.0]),
        windows=(((0.0, 600.0),), ((0.0, 200.0), (300.0, 500.0)), ((0.0, 600.0),), ((0.0, 600.0),)),
        routes=(Route(start=0, end=0, earliest=0.0, latest=300.0),),
        groups=(VisitGroup(nodes=frozenset({2, 3}), routes=frozenset({0}), min_visits=0, max_visits=1),),
        load=np.array([[0.0], [1.0], [1.0], [1.0]]),
        capacity=np.array([[5.0]]),
    )
    solve(problem, time_limit=0.05, seed=0)
    timings["optimizer"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate_stops(
        start=np.array([0.0, 5.0, 10.0]),
        stop_ptr=np.array([0, 2, 3, 5]),
        stop_site=np.array([0, 1, 1, 0, 1]),
        stop_dwell=np.array([20.0, 15.0, 10.0, 30.0, 5.0]),
        travel=np.array([[0.0, 4.0], [4.0, 0.0]]),
        capacity=np.array([1, 2]),
        patience=60.0,
    )
    timings["flow"] = time.perf_counter() - t0
    return timings
