"""Run visitor stops through capacity-limited sites: the driver of the compiled core.

Visitors and their stops are flat arrays (:class:`Stops`, a CSR layout);
sites are travel matrices, opening intervals and capacities
(:class:`SiteArrays`).  :func:`run` hands them to the numba event loop of
:mod:`tourplan.flow._core` and returns when every stop is resolved;
:func:`count_at_minutes` turns the times it fills in into head counts.
:func:`simulate_stops` is the whole engine on explicit paths, without the
planner: for checks and reference comparisons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tourplan.flow import _core as core

if TYPE_CHECKING:
    from collections.abc import Callable

    from tourplan.flow._types import FloatArray, IntArray

__all__ = [
    "Controls",
    "Outcome",
    "SiteArrays",
    "Stops",
    "StopsResult",
    "count_at_minutes",
    "run",
    "simulate_stops",
]


@dataclass(frozen=True, eq=False)
class Stops:
    """Visitors and their stops as the core takes them.

    Visitor ``v`` starts at ``v_start[v]`` at node ``v_entry[v]``, travels by
    mode ``v_mode[v]`` and makes the stops ``v_ptr[v]:v_ptr[v+1]``.  A stop
    is at site ``st_site``, lasts ``st_dwell`` minutes once admitted, starts
    no earlier than ``st_earliest``; ``st_status`` is
    :data:`~tourplan.flow._core.PENDING` or
    :data:`~tourplan.flow._core.SKIPPED` before the run and is resolved
    **in place** by :func:`run` (which also puts a diverted stop's
    alternative site in ``st_site``).
    """

    v_ptr: IntArray
    v_start: FloatArray
    v_entry: IntArray
    v_mode: IntArray
    st_site: IntArray
    st_dwell: FloatArray
    st_earliest: FloatArray
    st_status: npt.NDArray[np.int8]

    @property
    def n_visitors(self) -> int:
        """Number of visitors."""
        return int(self.v_start.shape[0])


@dataclass(frozen=True, eq=False)
class SiteArrays:
    """The sites as the core sees them.

    ``travel[mode, a, b]`` is minutes between sites (large where there is no
    way); site ``s`` is open ``open_lo[s, q]..open_hi[s, q]`` for ``q <
    n_open[s]``; ``capacity`` is its C0 (0 or less: no limit).
    """

    travel: FloatArray
    open_lo: FloatArray
    open_hi: FloatArray
    n_open: IntArray
    capacity: IntArray


@dataclass(frozen=True, eq=False)
class Controls:
    """Countermeasures as the core takes them.

    ``quota[s, j]`` entries at site ``s`` in entry slot ``j`` (``slot``
    minutes from midnight; a row of -1: no quotas at ``s``); ``day_cap[s]``
    admissions a day (-1: none); ``alt[k]`` the alternative site of stop
    ``k`` (-1: none); ``area_of[s]`` the parent area (row of ``area_cap``,
    its C0) gated as a whole that site ``s`` counts in (-1: none).
    """

    quota: IntArray
    slot: float
    day_cap: IntArray
    alt: IntArray
    area_of: IntArray
    area_cap: IntArray


@dataclass(frozen=True, eq=False)
class Outcome:
    """What the run filled in: per stop arrival, admission, departure; per visitor the day's end.

    NaN where a stop was not reached or not admitted.  With controls, per
    stop the flags (:data:`~tourplan.flow._core.F_SHIFTED` ...) and the
    minutes it was put back, per visitor the minutes their day was put back,
    and per site the counters
    (:data:`~tourplan.flow._core.C_SHIFTED` ...); otherwise empty.
    """

    arrive: FloatArray
    admit: FloatArray
    depart: FloatArray
    v_end: FloatArray
    flag: npt.NDArray[np.int8]
    shift: FloatArray
    v_shift: FloatArray
    counts: IntArray


def run(
    stops: Stops,
    sites: SiteArrays,
    patience: float,
    *,
    controls: Controls | None = None,
    chunk: int = 1 << 62,
    on_chunk: Callable[[int], None] | None = None,
) -> Outcome:
    """Run every visitor through the sites with FIFO queues.

    Parameters
    ----------
    stops
        Visitors and stops; their statuses are resolved in place.
    sites
        Travel, opening hours and capacities.
    patience
        A visitor who would queue longer than this many minutes skips the stop.
    controls
        Countermeasures (quotas, daily caps, alternatives); ``None``: none.
    chunk
        Events per call into the compiled loop.
    on_chunk
        Called after each chunk with the number of events handed to the loop so far.

    Returns
    -------
    Outcome

    Notes
    -----
    O(E log V) for E stops of V visitors: one binary heap of next arrivals,
    and per site a heap of at most C0 departure times.
    """
    n_v = stops.n_visitors
    n_stops = stops.st_site.shape[0]
    n_sites = sites.capacity.shape[0]
    per_site = np.bincount(stops.st_site, minlength=n_sites)
    if controls is not None:  # diverted stops arrive at their alternative
        per_site += np.bincount(controls.alt[controls.alt >= 0], minlength=n_sites)
    s_size = np.minimum(np.where(sites.capacity > 0, sites.capacity, 0), per_site)
    s_off = np.zeros(n_sites, dtype=np.int64)
    np.cumsum(s_size[:-1], out=s_off[1:])
    s_heap = np.zeros(max(int(s_size.sum()), 1))
    s_len = np.zeros(n_sites, dtype=np.int64)
    on = controls is not None
    if controls is None:
        controls = Controls(
            np.full((n_sites, 1), -1, dtype=np.int64), 1440.0, np.full(n_sites, -1, dtype=np.int64),
            np.full(1, -1, dtype=np.int64), np.full(n_sites, -1, dtype=np.int64), np.zeros(0, dtype=np.int64),
        )  # fmt: skip
    n_flag = n_stops if on else 0
    out = Outcome(
        np.full(n_stops, np.nan), np.full(n_stops, np.nan), np.full(n_stops, np.nan), np.full(n_v, np.nan),
        np.zeros(max(n_flag, 1), dtype=np.int8), np.zeros(max(n_flag, 1)), np.zeros(n_v if on else 1),
        np.zeros((n_sites, 3), dtype=np.int64),
    )  # fmt: skip
    # Per gated area, room for a departure time per visit its sites can get (diverted ones included).
    a_size = np.bincount(controls.area_of[controls.area_of >= 0], weights=per_site[controls.area_of >= 0],
                         minlength=controls.area_cap.shape[0]).astype(np.int64)  # fmt: skip
    a_off = np.zeros(controls.area_cap.shape[0], dtype=np.int64)
    np.cumsum(a_size[:-1], out=a_off[1:])
    a_heap = np.zeros(max(int(a_size.sum()), 1))
    a_len = np.zeros(controls.area_cap.shape[0], dtype=np.int64)
    q_used = np.zeros_like(controls.quota)
    day_used = np.zeros(n_sites, dtype=np.int64)
    v_k = np.zeros(n_v, dtype=np.int64)
    heap = np.zeros(max(n_v, 1), dtype=np.int64)
    st_node = stops.st_site  # site nodes are the travel matrix rows
    hsize = core.start_all(
        stops.v_ptr, stops.v_start, stops.v_entry, stops.v_mode, st_node, stops.st_site, stops.st_earliest,
        stops.st_status, out.arrive, sites.travel, sites.open_lo, sites.open_hi, sites.n_open, v_k, out.v_end,
        heap,
    )  # fmt: skip
    done = 0
    while hsize > 0:
        hsize = core.run_events(
            chunk, hsize, stops.v_ptr, stops.v_mode, st_node, stops.st_site, stops.st_dwell, stops.st_earliest,
            stops.st_status, out.arrive, out.admit, out.depart, sites.travel, sites.open_lo, sites.open_hi,
            sites.n_open, sites.capacity, s_off, s_len, s_heap, patience, v_k, out.v_end, heap,
            on, controls.quota, q_used, float(controls.slot), controls.day_cap, day_used, controls.alt,
            out.flag, out.shift, out.v_shift, out.counts, controls.area_of, controls.area_cap, a_off, a_len,
            a_heap,
        )  # fmt: skip
        done += chunk
        if on_chunk is not None:
            on_chunk(done)
    return out


def count_at_minutes(
    site: IntArray, start: FloatArray, end: FloatArray, n_sites: int, t0: int, t1: int
) -> IntArray:
    """Intervals ``[start, end)`` open at each integer minute ``t0..t1-1``, per site."""
    n_min = t1 - t0
    width = n_min + 1
    a = np.clip(np.ceil(start - t0), 0, width).astype(np.int64)
    b = np.clip(np.ceil(end - t0), 0, width).astype(np.int64)
    plus = np.bincount(site * (width + 1) + a, minlength=n_sites * (width + 1))
    minus = np.bincount(site * (width + 1) + b, minlength=n_sites * (width + 1))
    diff = (plus - minus).reshape(n_sites, width + 1)
    return np.asarray(np.cumsum(diff, axis=1)[:, :n_min], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class StopsResult:
    """Occupancy and queue per site per slot from :func:`simulate_stops`."""

    occupancy: FloatArray
    queue: FloatArray
    admit: FloatArray
    depart: FloatArray
    status: npt.NDArray[np.int8]


def simulate_stops(
    start: FloatArray,
    stop_ptr: IntArray,
    stop_site: IntArray,
    stop_dwell: FloatArray,
    travel: FloatArray,
    capacity: IntArray,
    *,
    entry: IntArray | None = None,
    earliest: FloatArray | None = None,
    patience: float = math.inf,
    day_start: int = 0,
    day_end: int = 24 * 60,
    slot_minutes: int = 15,
) -> StopsResult:
    """Run given visitor paths through capacity-limited sites (no planner).

    The engine of :func:`tourplan.flow.simulate` on explicit arrays, for
    checks and reference comparisons: visitor ``v`` starts at ``start[v]``
    at node ``entry[v]`` (default: its first site), visits
    ``stop_site[stop_ptr[v]: stop_ptr[v+1]]`` in order for ``stop_dwell``
    minutes each, travelling ``travel[a, b]`` minutes between sites; sites
    are always open.

    Returns
    -------
    StopsResult
        Mean occupancy and queue per site and slot over
        ``day_start..day_end``, and each stop's admission, departure and status.

    Examples
    --------
    Two visitors, one place at a site that takes 30 minutes: the second waits.

    >>> r = simulate_stops(
    ...     np.array([0.0, 10.0]), np.array([0, 1, 2]), np.array([0, 0]), np.array([30.0, 30.0]),
    ...     np.zeros((1, 1)), np.array([1]), day_end=60, slot_minutes=30,
    ... )
    >>> r.admit.tolist(), r.queue.tolist()
    ([0.0, 30.0], [[0.6666666666666666, 0.0]])
    """
    n_v = start.shape[0]
    n_sites = capacity.shape[0]
    st_site = np.asarray(stop_site, dtype=np.int64)
    n_stops = st_site.shape[0]
    stops = Stops(
        v_ptr=stop_ptr,
        v_start=np.asarray(start, dtype=np.float64),
        v_entry=st_site[stop_ptr[:-1].clip(max=max(n_stops - 1, 0))] if entry is None else entry,
        v_mode=np.zeros(n_v, dtype=np.int64),
        st_site=st_site,
        st_dwell=np.asarray(stop_dwell, dtype=np.float64),
        st_earliest=np.full(n_stops, -1.0) if earliest is None else earliest,
        st_status=np.full(n_stops, core.PENDING, dtype=np.int8),
    )
    sites = SiteArrays(
        travel=np.asarray(travel, dtype=np.float64)[None, :, :],
        open_lo=np.zeros((n_sites, 1)),
        open_hi=np.full((n_sites, 1), 1e9),
        n_open=np.ones(n_sites, dtype=np.int64),
        capacity=np.asarray(capacity, dtype=np.int64),
    )
    out = run(stops, sites, float(patience))
    vis = stops.st_status == core.VISITED
    inside = count_at_minutes(st_site[vis], out.admit[vis], out.depart[vis], n_sites, day_start, day_end)
    waiting = count_at_minutes(st_site[vis], out.arrive[vis], out.admit[vis], n_sites, day_start, day_end)
    n_slots = (day_end - day_start) // slot_minutes
    return StopsResult(
        inside.reshape(n_sites, n_slots, slot_minutes).mean(axis=2),
        waiting.reshape(n_sites, n_slots, slot_minutes).mean(axis=2),
        out.admit,
        out.depart,
        stops.st_status,
    )
