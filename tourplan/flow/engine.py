"""Run visitor stops through capacity-limited sites: the driver of the compiled core.

Visitors and their stops are records (:class:`Packed`: one cache line per
visitor and per stop), made from flat arrays (:class:`Stops`, a CSR
layout) or straight from plans by the simulation; sites are travel
matrices, opening intervals and capacities (:class:`SiteArrays`).
:func:`run_packed` hands them to the numba event loop of
:mod:`tourplan.flow._core` and returns when every stop is resolved
(:func:`run` does the same on flat arrays); :func:`occupancy` turns the
times it fills in into head counts.  :func:`simulate_stops` is the whole
engine on explicit paths, without the planner: for checks and reference
comparisons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tourplan.errors import RequestValidationError
from tourplan.flow import _core as core

if TYPE_CHECKING:
    from collections.abc import Callable

    from tourplan.flow._types import FloatArray, IntArray

__all__ = [
    "Controls",
    "Outcome",
    "Packed",
    "SiteArrays",
    "Stops",
    "StopsResult",
    "minute_counts",
    "occupancy",
    "run",
    "run_packed",
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

    def hours(self) -> FloatArray:
        """The opening intervals as the core reads them: ``[s, q] = (open, close)``, unused ones (+inf, -inf)."""
        n_sites, width = self.open_lo.shape
        out = np.empty((n_sites, width, 2))
        used = np.arange(width)[None, :] < self.n_open[:, None]
        out[:, :, 0] = np.where(used, self.open_lo, np.inf)
        out[:, :, 1] = np.where(used, self.open_hi, -np.inf)
        return out


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


@dataclass(frozen=True, eq=False)
class Packed:
    """Visitors and stops as the compiled loop works on them.

    ``stops`` holds a :data:`~tourplan.flow._core.STOP` record per stop;
    visitor ``v`` makes stops ``v_ptr[v]:v_ptr[v+1]``, starting at
    ``v_start[v]`` at node ``v_entry[v]``, and its day ends at ``v_end[v]``
    (NaN until the run).  With controls (``gated``) also each stop's visitor
    and alternative site (-1: none), and the minutes it and its visitor's
    day were put back; empty otherwise.  :func:`run_packed` resolves them in
    place.
    """

    stops: npt.NDArray[Any]
    st_visitor: npt.NDArray[np.int32]
    v_ptr: IntArray
    v_start: FloatArray
    v_entry: IntArray
    v_end: FloatArray
    st_alt: npt.NDArray[np.int32]
    st_shift: FloatArray
    v_shift: FloatArray

    @classmethod
    def empty(cls, n_visitors: int, n_stops: int, *, gated: bool = False) -> Packed:
        """Room for the arrays (the caller fills them, e.g. with :func:`~tourplan.flow._core.expand`).

        Raises
        ------
        RequestValidationError
            When the stops do not fit the event keys (2**31 stops).
        """
        if n_stops >= 1 << core.V_BITS:
            msg = f"at most {(1 << core.V_BITS) - 1:,} stops in one run, got {n_stops:,}"
            raise RequestValidationError({"visitors": msg})
        m = n_stops if gated else 0
        ptr = core.fresh(n_visitors + 1, np.int64)
        ptr[0] = 0
        v_end = core.fresh(n_visitors, np.float64)
        v_end[:] = np.nan
        return cls(
            core.fresh(n_stops, core.STOP), core.fresh(m, np.int32), ptr,
            core.fresh(n_visitors, np.float64), core.fresh(n_visitors, np.int64), v_end,
            np.full(m, -1, dtype=np.int32), np.zeros(m), np.zeros(n_visitors if gated else 0),
        )  # fmt: skip

    @classmethod
    def of(cls, stops: Stops, alt: IntArray | None = None) -> Packed:
        """The arrays of ``stops`` (``alt``: each stop's alternative site, for a run with controls)."""
        out = cls.empty(stops.n_visitors, stops.st_site.shape[0], gated=alt is not None)
        out.v_ptr[:] = stops.v_ptr
        out.v_start[:] = stops.v_start
        out.v_entry[:] = stops.v_entry
        if alt is not None:
            out.st_alt[:] = alt
        i64, f64 = np.int64, np.float64
        core.pack(
            out.v_ptr, np.asarray(stops.v_mode, dtype=i64), np.asarray(stops.st_site, dtype=i64),
            np.asarray(stops.st_dwell, dtype=f64), np.asarray(stops.st_earliest, dtype=f64),
            np.asarray(stops.st_status, dtype=np.int8), 0, out.stops, out.st_visitor,
        )  # fmt: skip
        return out

    @property
    def n_visitors(self) -> int:
        """Number of visitors."""
        return int(self.v_start.shape[0])

    @property
    def gated(self) -> bool:
        """Whether the arrays have room for controls."""
        return bool(
            self.v_shift.shape[0] == self.n_visitors and self.st_shift.shape[0] == self.stops.shape[0]
        )


def run_packed(
    packed: Packed,
    sites: SiteArrays,
    patience: float,
    *,
    controls: Controls | None = None,
    chunk: int = 1 << 62,
    on_chunk: Callable[[int], None] | None = None,
) -> IntArray:
    """Run every visitor through the sites with FIFO queues; return the per-site counters.

    The arrays are resolved in place (each stop's times, status, flags and
    site, each visitor's day end).  ``controls.alt`` is not read: the
    alternatives are ``packed.st_alt`` (``packed`` must be made ``gated``
    for a run with controls).  The counters are ``(n_sites, 3)``, columns
    :data:`~tourplan.flow._core.C_SHIFTED` ... (zero without controls).

    Parameters
    ----------
    packed
        Visitors and stops (:class:`Packed`).
    sites
        Travel, opening hours and capacities.
    patience
        A visitor who would queue longer than this many minutes skips the stop.
    controls
        Countermeasures (quotas, daily caps); ``None``: none.
    chunk
        Events per call into the compiled loop.
    on_chunk
        Called after each chunk with the number of events handed to the loop so far.

    Notes
    -----
    O(E log B) for E stops, B the events due in one 1/16-minute bucket of
    the event queue; an event reads and writes one stop record (40 bytes)
    and the one beside it, whatever the number of visitors.
    """
    st = packed.stops
    n_sites = sites.capacity.shape[0]
    on = controls is not None
    if on and not packed.gated:
        msg = "a run with controls needs arrays made with gated=True"
        raise ValueError(msg)
    per_site = core.site_visits(st, packed.st_alt, n_sites)  # diverted stops arrive at their alternative
    s_size = np.minimum(np.where(sites.capacity > 0, sites.capacity, 0), per_site)
    s_off = np.zeros(n_sites, dtype=np.int64)
    np.cumsum(s_size[:-1], out=s_off[1:])
    s_heap = np.zeros(max(int(s_size.sum()), 1))
    s_len = np.zeros(n_sites, dtype=np.int64)
    if controls is None:
        controls = Controls(
            np.full((n_sites, 1), -1, dtype=np.int64), 1440.0, np.full(n_sites, -1, dtype=np.int64),
            np.full(1, -1, dtype=np.int64), np.full(n_sites, -1, dtype=np.int64), np.zeros(0, dtype=np.int64),
        )  # fmt: skip
    counts = np.zeros((n_sites, 3), dtype=np.int64)
    # Per gated area, room for a departure time per visit its sites can get (diverted ones included).
    gated = controls.area_of >= 0
    a_size = np.bincount(
        controls.area_of[gated], weights=per_site[gated], minlength=controls.area_cap.shape[0]
    ).astype(np.int64)
    a_off = np.zeros(controls.area_cap.shape[0], dtype=np.int64)
    np.cumsum(a_size[:-1], out=a_off[1:])
    a_heap = np.zeros(max(int(a_size.sum()), 1))
    a_len = np.zeros(controls.area_cap.shape[0], dtype=np.int64)
    q_used = np.zeros_like(controls.quota)
    day_used = np.zeros(n_sites, dtype=np.int64)
    q = core.new_queue(packed.n_visitors)
    hours = sites.hours()
    pending = core.start_all(packed.v_ptr, packed.v_start, packed.v_entry, st, sites.travel, hours, q)
    done = 0
    while pending > 0:
        pending = core.run_events(
            chunk, st, packed.st_visitor, sites.travel, hours, sites.capacity, s_off, s_len, s_heap, patience, q, on, packed.st_alt,
            packed.st_shift, packed.v_shift, controls.quota, q_used, float(controls.slot), controls.day_cap,
            day_used, counts, controls.area_of, controls.area_cap, a_off, a_len, a_heap,
        )  # fmt: skip
        done += chunk
        if on_chunk is not None:
            on_chunk(done)
    core.day_ends(packed.v_ptr, packed.v_start, st, packed.v_end)
    return counts


def run(stops: Stops, sites: SiteArrays, patience: float, *, controls: Controls | None = None) -> Outcome:
    """Run every visitor through the sites with FIFO queues (on flat arrays, for checks).

    Parameters
    ----------
    stops
        Visitors and stops; their statuses (and a diverted stop's site) are
        resolved in place.
    sites
        Travel, opening hours and capacities.
    patience
        A visitor who would queue longer than this many minutes skips the stop.
    controls
        Countermeasures (quotas, daily caps, alternatives); ``None``: none.

    Returns
    -------
    Outcome

    Notes
    -----
    Packs the arrays (:class:`Packed`), runs :func:`run_packed` and copies
    the results back out.
    """
    packed = Packed.of(stops, None if controls is None else controls.alt)
    counts = run_packed(packed, sites, patience, controls=controls)
    st = packed.stops
    stops.st_status[:] = st["status"]
    stops.st_site[:] = st["site"]
    admit = np.ascontiguousarray(st["admit"])
    on = controls is not None
    return Outcome(
        np.ascontiguousarray(st["arrive"]), admit, admit + st["dwell"], packed.v_end,
        np.ascontiguousarray(st["flag"]) if on else np.zeros(1, dtype=np.int8),
        packed.st_shift if on else np.zeros(1), packed.v_shift if on else np.zeros(1), counts,
    )  # fmt: skip


def occupancy(packed: Packed, n_sites: int, t0: int, t1: int) -> tuple[IntArray, IntArray]:
    """Visitors inside and queueing per site at each whole minute ``t0..t1-1`` after a run.

    A visitor is inside from admission to departure and queueing from
    arrival to admission (half-open intervals, counted at whole minutes).
    """
    tal = core.tally(
        packed.v_ptr, packed.stops, packed.st_shift, n_sites, t0, t1 - t0, 1,
        np.zeros(n_sites + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), 0,
    )  # fmt: skip
    return minute_counts(tal[0], t1 - t0), minute_counts(tal[1], t1 - t0)


def minute_counts(diff: IntArray, n_min: int) -> IntArray:
    """Head counts per site at each of ``n_min`` minutes from the +1/-1 marks of :func:`~tourplan.flow._core.tally`."""
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
    packed = Packed.of(stops)
    run_packed(packed, sites, float(patience))
    inside, waiting = occupancy(packed, n_sites, day_start, day_end)
    n_slots = (day_end - day_start) // slot_minutes
    st = packed.stops
    return StopsResult(
        inside.reshape(n_sites, n_slots, slot_minutes).mean(axis=2),
        waiting.reshape(n_sites, n_slots, slot_minutes).mean(axis=2),
        np.ascontiguousarray(st["admit"]),
        st["admit"] + st["dwell"],
        np.ascontiguousarray(st["status"]),
    )
