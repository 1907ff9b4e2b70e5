"""Season sweeps: many simulated days, aggregated per site and day, run on Dask.

A sweep is a list of :class:`SweepCase` (date, visitors, seed). Each case is
one :func:`tourplan.flow.simulate` run -- a pure function of the scenario,
the sites and the seed -- boiled down to a :class:`CaseSummary` (peak load
and alert episodes per site). :func:`aggregate` turns the summaries into one
:class:`SiteDay` per site, date and demand level, with the median (p50) and
the 90th percentile (p90) over the seeds.

:func:`run_sweep` runs the cases as Dask tasks: on a ``LocalCluster`` of
worker processes by default, or on a running ``dask scheduler`` given its
address. Plans do not depend on the seed (:class:`tourplan.flow.PlanLibrary`),
so each date is planned once, by the task that simulates its case of largest
demand (run before the others), and that date's other simulations take its
plans. Results do not depend
on where the tasks ran: the same inputs give the same numbers on any cluster
(:func:`sweep_serial` gives them without Dask).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.errors import RequestValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from tourplan.flow import FlowResult, PlanLibrary, Scenario
    from tourplan.graph import SiteGraph
    from tourplan.site import SiteTable

__all__ = [
    "CaseSummary",
    "SiteDay",
    "SweepCase",
    "SweepResult",
    "aggregate",
    "dask_setup",
    "make_cases",
    "run_sweep",
    "simulate_case",
    "summarize",
    "sweep_on",
    "sweep_serial",
]

#: Share of C0 at which a slot counts as alerting (LB/T 034 yellow tier).
ALERT_RATIO = 0.8
#: Most cases one sweep may hold.
MAX_CASES = 20_000


@dataclass(frozen=True, order=True)
class SweepCase:
    """One simulated day: date, visitors and seed."""

    date: dt.date
    visitors: int
    seed: int = 0

    def __post_init__(self) -> None:
        if self.visitors < 0:
            msg = f"visitors: expected a count >= 0, got {self.visitors}"
            raise ValueError(msg)


@dataclass(frozen=True)
class CaseSummary:
    """What a sweep keeps of one simulation: per site, peak % of C0 and alert episodes."""

    case: SweepCase
    site_ids: tuple[str, ...]
    peak_pct: tuple[float, ...]
    episodes: tuple[int, ...]
    daily_visits: tuple[int, ...]
    seconds: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class SiteDay:
    """One site on one date at one demand level, over the seeds."""

    date: dt.date
    visitors: int
    site_id: str
    seeds: int
    peak_pct_p50: float
    peak_pct_p90: float
    episodes_p50: float
    episodes_p90: float
    visits_p50: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "date": self.date.isoformat(),
            "visitors": self.visitors,
            "site_id": self.site_id,
            "seeds": self.seeds,
            "peak_pct_p50": self.peak_pct_p50,
            "peak_pct_p90": self.peak_pct_p90,
            "episodes_p50": self.episodes_p50,
            "episodes_p90": self.episodes_p90,
            "visits_p50": self.visits_p50,
        }


@dataclass(frozen=True)
class SweepResult:
    """Every :class:`SiteDay` of a sweep, by date, demand and site order.

    ``runtime`` is the sweep's wall time and ``task_seconds`` the sum of the
    simulations' own times (seconds; neither takes part in comparisons).
    """

    rows: tuple[SiteDay, ...]
    cases: int
    runtime: float = field(default=0.0, compare=False)
    task_seconds: float = field(default=0.0, compare=False)

    @property
    def dates(self) -> list[dt.date]:
        """The dates swept."""
        return sorted({r.date for r in self.rows})

    @property
    def demands(self) -> list[int]:
        """The visitor counts swept."""
        return sorted({r.visitors for r in self.rows})

    def heat(
        self, visitors: int, *, value: str = "peak_pct_p90"
    ) -> tuple[list[str], list[dt.date], list[list[float]]]:
        """A sites x days matrix of one value at one demand level (sites busiest first).

        Returns
        -------
        tuple
            Site ids, dates, and one row of values per site.
        """
        dates = self.dates
        col = {d: j for j, d in enumerate(dates)}
        grid: dict[str, list[float]] = {}
        for r in self.rows:
            if r.visitors == visitors:
                grid.setdefault(r.site_id, [math.nan] * len(dates))[col[r.date]] = float(getattr(r, value))
        ids = sorted(grid, key=lambda s: -max((x for x in grid[s] if not math.isnan(x)), default=0.0))
        return ids, dates, [grid[s] for s in ids]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cases": self.cases,
            "dates": [d.isoformat() for d in self.dates],
            "visitors": self.demands,
            "rows": [r.to_dict() for r in self.rows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepResult:
        """Read back :meth:`to_dict`."""
        rows = tuple(
            SiteDay(
                dt.date.fromisoformat(str(r["date"])),
                int(r["visitors"]),
                str(r["site_id"]),
                int(r["seeds"]),
                float(r["peak_pct_p50"]),
                float(r["peak_pct_p90"]),
                float(r["episodes_p50"]),
                float(r["episodes_p90"]),
                float(r["visits_p50"]),
            )  # fmt: skip
            for r in data.get("rows", [])
        )
        return cls(rows, int(data.get("cases", 0)))


def make_cases(
    start: dt.date, end: dt.date, visitors: Sequence[int], seeds: int | Sequence[int]
) -> list[SweepCase]:
    """Every (date, visitors, seed) from ``start`` to ``end`` (inclusive).

    Parameters
    ----------
    seeds
        A count ``n`` (seeds ``0 .. n-1``) or the seeds themselves.

    Raises
    ------
    RequestValidationError
        For an empty or reversed date range, no demand, no seed, or more
        than :data:`MAX_CASES` cases.

    Examples
    --------
    >>> len(make_cases(dt.date(2027, 10, 1), dt.date(2027, 10, 7), [50_000, 100_000], 4))
    56
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    errors: dict[str, str] = {}
    if end < start:
        errors["to"] = f"expected a date on or after {start.isoformat()}, got {end.isoformat()}"
    if not visitors or any(v < 0 for v in visitors):
        errors["visitors"] = f"expected one or more counts >= 0, got {list(visitors)}"
    if not seed_list:
        errors["seeds"] = f"expected at least one seed, got {seeds!r}"
    days = (end - start).days + 1
    if not errors and days * len(visitors) * len(seed_list) > MAX_CASES:
        errors["seeds"] = (
            f"expected at most {MAX_CASES:,} cases, got {days * len(visitors) * len(seed_list):,}"
        )
    if errors:
        raise RequestValidationError(errors)
    dates = [start + dt.timedelta(days=k) for k in range(days)]
    return [
        SweepCase(d, int(v), s)
        for d in dates
        for v in dict.fromkeys(visitors)
        for s in dict.fromkeys(seed_list)
    ]


def _episodes(alerting: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Runs of consecutive alerting slots per row."""
    starts = alerting.copy()
    starts[:, 1:] &= ~alerting[:, :-1]
    return np.asarray(starts.sum(axis=1), dtype=np.int64)


def summarize(result: FlowResult, case: SweepCase) -> CaseSummary:
    """Peak % of C0, alert episodes (runs of slots at >= 80 % of C0) and visits per site.

    Sites without an instantaneous capacity (C0 = 0) have peak 0 and no episode.
    """
    ratio = result.ratio()
    alerting = ratio >= ALERT_RATIO - 1e-9
    peak = ratio.max(axis=1) if ratio.shape[1] else np.zeros(len(result.site_ids))
    return CaseSummary(
        case,
        tuple(result.site_ids),
        tuple(round(100.0 * float(x), 3) for x in peak),
        tuple(int(x) for x in _episodes(alerting)),
        tuple(int(x) for x in result.daily_visits),
        float(result.runtime),
    )


def _scenario(case: SweepCase, base: Mapping[str, Any]) -> Scenario:
    from tourplan.flow import Scenario

    return Scenario.from_dict({**base, "date": case.date.isoformat(), "visitors": case.visitors})


def plan_date(
    case: SweepCase, sites: SiteTable, graph: SiteGraph, base: Mapping[str, Any]
) -> tuple[PlanLibrary, CaseSummary]:
    """The plans of ``case.date``, made on one thread while simulating ``case``; and that case's summary.

    Plans depend on the date, the scenario and the sites, never on the seed;
    the cells that get visitors (so the plans needed) grow with the demand,
    so planning by a case of the date's largest demand covers its smaller
    ones (a plan still missing is made when needed, the same plan wherever
    it is made). The simulation that plans is a case of the sweep, so no
    simulation is run only to plan.
    """
    from tourplan.flow import PlanLibrary

    lib = PlanLibrary(workers=1)
    return lib, simulate_case(case, sites, graph, base, lib)


def _plans(planned: tuple[PlanLibrary, CaseSummary]) -> PlanLibrary:
    """The library of a :func:`plan_date` result (a Dask task of its own, so cases can depend on it)."""
    return planned[0]


def _summary(planned: tuple[PlanLibrary, CaseSummary]) -> CaseSummary:
    """The case summary of a :func:`plan_date` result."""
    return planned[1]


def simulate_case(
    case: SweepCase,
    sites: SiteTable,
    graph: SiteGraph,
    base: Mapping[str, Any] | None = None,
    plans: PlanLibrary | None = None,
) -> CaseSummary:
    """Simulate one case and summarise it (a pure function of its arguments)."""
    from tourplan.flow import PlanLibrary, simulate

    lib = plans if plans is not None else PlanLibrary(workers=1)
    result = simulate(_scenario(case, base or {}), sites, graph, seed=case.seed, plans=lib)
    return summarize(result, case)


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values, dtype=np.float64), q)), 3)


def aggregate(summaries: Iterable[CaseSummary]) -> SweepResult:
    """One :class:`SiteDay` per date, demand and site: p50 and p90 over the seeds.

    Independent of the order of ``summaries``.
    """
    groups: dict[tuple[dt.date, int], list[CaseSummary]] = defaultdict(list)
    n = 0
    for s in summaries:
        groups[(s.case.date, s.case.visitors)].append(s)
        n += 1
    rows: list[SiteDay] = []
    for key in sorted(groups):
        runs = sorted(groups[key], key=lambda s: s.case.seed)
        ids = runs[0].site_ids
        for i, sid in enumerate(ids):
            peak = [r.peak_pct[i] for r in runs]
            eps = [float(r.episodes[i]) for r in runs]
            visits = [float(r.daily_visits[i]) for r in runs]
            rows.append(
                SiteDay(
                    key[0],
                    key[1],
                    sid,
                    len(runs),
                    _pct(peak, 50),
                    _pct(peak, 90),
                    _pct(eps, 50),
                    _pct(eps, 90),
                    _pct(visits, 50),
                )  # fmt: skip
            )
    return SweepResult(tuple(rows), n, task_seconds=sum(s.seconds for g in groups.values() for s in g))


def _planning_cases(cases: Sequence[SweepCase]) -> tuple[dict[dt.date, SweepCase], list[SweepCase]]:
    """Per date, the case that plans it (largest demand, then smallest seed); and every other case."""
    first: dict[dt.date, SweepCase] = {}
    for c in cases:
        best = first.get(c.date)
        if best is None or (c.visitors, -c.seed) > (best.visitors, -best.seed):
            first[c.date] = c
    rest = list(cases)
    for c in first.values():
        rest.remove(c)
    return first, rest


def sweep_serial(
    cases: Sequence[SweepCase], sites: SiteTable, graph: SiteGraph, base: Mapping[str, Any] | None = None
) -> SweepResult:
    """The sweep on this thread, without Dask (the reference result)."""
    first, rest = _planning_cases(cases)
    planned = {d: plan_date(c, sites, graph, base or {}) for d, c in first.items()}
    heads = [summary for _lib, summary in planned.values()]
    return aggregate([*heads, *(simulate_case(c, sites, graph, base, planned[c.date][0]) for c in rest)])


def run_sweep(
    cases: Sequence[SweepCase],
    sites: SiteTable,
    graph: SiteGraph,
    base: Mapping[str, Any] | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> SweepResult:
    """Run a sweep as Dask tasks and aggregate it.

    Parameters
    ----------
    cases
        What to simulate (:func:`make_cases`).
    sites, graph
        The site table and its graph (sent to every worker once).
    base
        Scenario fields shared by every case (``Scenario.from_dict`` keys,
        e.g. ``{"outdoor_factor": 0.6}`` for a rainy season).
    scheduler
        Address of a running ``dask scheduler`` (``tcp://host:8786``); None
        starts a ``LocalCluster`` for this sweep.
    workers
        Worker processes of the local cluster (default: one per core), each
        with one thread: the simulation's event loop holds the GIL.
    progress
        Called with the share of cases done (see :func:`sweep_on`).

    Returns
    -------
    SweepResult
        With ``runtime`` the wall time in seconds.

    Notes
    -----
    One task per date plans it while simulating one of its cases (5-10 s at
    the defaults on one thread), and one task per other case (about 0.5 s at
    50,000 visitors with the plans made).
    """
    import os

    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    base = dict(base or {})
    if not cases:
        return aggregate(())
    if scheduler:
        client = Client(scheduler, timeout="30s")
        cluster = None
    else:
        n = workers or os.cpu_count() or 1
        # ":0" puts the scheduler's HTTP server on a free port: with None,
        # distributed still binds 8787 and warns when another cluster has it.
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40,
            preload=[__name__],
        )  # fmt: skip
        client = Client(cluster)
    try:
        result = sweep_on(client, cases, sites, graph, base, progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return SweepResult(result.rows, result.cases, time.perf_counter() - t0, result.task_seconds)


def dask_setup(worker: Any) -> None:
    """Preload hook of a Dask worker: ``dask worker --preload tourplan.sweep`` (and local clusters).

    Imports the simulation and the optimizer and loads their compiled kernels
    (:func:`tourplan.warmup.warm_up`) while the worker starts, so that its
    first sweep task does not pay for them.
    """
    from tourplan.warmup import warm_up

    warm_up()


def sweep_on(
    client: Any,
    cases: Sequence[SweepCase],
    sites: SiteTable,
    graph: SiteGraph,
    base: Mapping[str, Any],
    progress: Callable[[float], None] | None = None,
) -> SweepResult:
    """Run a sweep on a connected ``distributed.Client`` (its cluster stays up).

    The sites and graph go to every worker once; one task per date plans it
    while simulating one of its cases (:func:`plan_date`, run before the
    rest), and one task per other case simulates with its date's plans. ``progress`` is
    called with the share of cases done; if it raises, the remaining tasks
    are cancelled and the exception propagates.
    """
    from distributed import as_completed

    t0 = time.perf_counter()
    data = client.scatter([sites, graph], broadcast=True)
    first, rest = _planning_cases(cases)
    # Planning first (priority): the cases of a date wait for its plans, and a
    # date planned last would leave the other workers idle at the end.
    planned = {
        d: client.submit(plan_date, c, data[0], data[1], base, pure=False, priority=10) for d, c in first.items()
    }
    libs = {d: client.submit(_plans, f, pure=False, priority=10) for d, f in planned.items()}
    futures = [client.submit(_summary, f, pure=False, priority=10) for f in planned.values()]
    futures += [client.submit(simulate_case, c, data[0], data[1], base, libs[c.date], pure=False) for c in rest]
    summaries: list[CaseSummary] = []
    try:
        for fut in as_completed(futures):
            summaries.append(fut.result())
            if progress is not None:
                progress(len(summaries) / len(futures))
    finally:
        client.cancel([*futures, *libs.values(), *planned.values()])
    result = aggregate(summaries)
    return SweepResult(result.rows, result.cases, time.perf_counter() - t0, result.task_seconds)
