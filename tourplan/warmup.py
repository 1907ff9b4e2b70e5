"""Compile the numba kernels ahead of the first request.

The optimizer and the flow simulation are compiled by numba on their first
call in a fresh installation (tens of seconds) and cached on disk next to
the code, so later processes load them in about a second.  Running
:func:`warm_up` once after installing (``tourplan warmup``) keeps that first
compile out of a visitor's request and out of timed tests.  It also
computes the crowd forecast of every day type for the bundled site data
(:func:`tourplan.itinerary.crowd.warm_forecasts`, cached on disk), which a
visitor's plan would otherwise wait for (half a minute).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tourplan.graph import SiteGraph
    from tourplan.site import SiteTable

__all__ = ["warm_up"]


def warm_up(
    sites: SiteTable | None = None, graph: SiteGraph | None = None, *, forecasts: bool = True
) -> dict[str, float]:
    """Run the optimizer and the flow engine once on tiny inputs, then the crowd forecasts.

    Parameters
    ----------
    sites, graph
        The site data whose crowd forecasts to compute; the bundled table
        and legs when not given.
    forecasts
        Compute the crowd forecast of every day type
        (:func:`tourplan.itinerary.crowd.warm_forecasts`).

    Returns
    -------
    dict
        Seconds spent per part (compiling or simulating, or loading the cache).
    """
    from tourplan.flow import simulate_stops
    from tourplan.optimize.solve import warm_up as warm_up_optimizer

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    warm_up_optimizer()
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
    if forecasts:
        from tourplan.itinerary.crowd import warm_forecasts

        t0 = time.perf_counter()
        if sites is None or graph is None:
            from tourplan.data import load_edges, load_sites
            from tourplan.graph import SiteGraph

            sites = load_sites()
            graph = SiteGraph(sites, load_edges(None, sites))
        warm_forecasts(sites, graph)
        timings["crowd forecast"] = time.perf_counter() - t0
    return timings
