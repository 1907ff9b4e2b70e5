"""The plan library: the itineraries visitors follow, planned once and shared.

Visitors are grouped in cells (segment x entry point x start-time bucket);
each cell gets a few plan variants (:func:`plan_variant`: start, optimizer seed,
interest noise, a must-see, areas left out by the area levers), and each
variant is one run of the itinerary planner (:func:`make_plan`).  A
:class:`PlanLibrary` caches both, so a sweep over visitor counts or seeds
plans only once.
"""

from __future__ import annotations

import contextlib
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.errors import InfeasibleRequestError, RequestValidationError
from tourplan.flow import diskcache
from tourplan.flow._parallel import run_all
from tourplan.flow.forecast import CrowdAdjustment, CrowdHook, CrowdQuery
from tourplan.hours import open_intervals
from tourplan.itinerary import ItineraryRequest, plan_itinerary, site_score
from tourplan.limits import checkpoint
from tourplan.rules import PASS_THROUGH

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Collection, Mapping, Sequence

    from tourplan.flow._types import FloatArray
    from tourplan.flow.scenario import EntryPoint, Scenario, Segment
    from tourplan.graph import SiteGraph
    from tourplan.site import SiteTable

__all__ = ["AreaLever", "Plan", "PlanLibrary", "Variant", "area_levers", "make_plan", "plan_variant"]


@dataclass(frozen=True)
class Plan:
    """One planned itinerary: its sites in order, with planned start and dwell minutes."""

    sites: tuple[str, ...]
    start: tuple[float, ...]
    dwell: tuple[float, ...]


_PLAN_WORKERS = 4
"""Most workers a :class:`PlanLibrary` plans on (fewer on a machine with fewer cores)."""


class PlanLibrary:
    """A cache of itinerary plans shared by simulations (pass it to :func:`simulate`).

    Plans depend on the date, segment, entry, bucket, variant and weather,
    never on the number of visitors or the seed, so a sweep over visitor
    counts or seeds plans only once.

    With ``disk`` (True: :func:`~tourplan.flow.diskcache.cache_dir`; or a
    directory; False: memory only) the plans are also kept on disk, per data
    version and plan scope (see :mod:`tourplan.flow.diskcache`), so another
    process reads them instead of planning again.
    """

    def __init__(self, workers: int | None = None, *, disk: bool | str | Path = True) -> None:
        self.workers = workers if workers is not None else min(_PLAN_WORKERS, os.cpu_count() or 1)
        self.disk: Path | None = (
            (diskcache.cache_dir() if disk is True else Path(disk)) if disk is not False else None
        )
        self._loaded: set[Path] = set()
        self.from_disk = 0
        self._version: tuple[tuple[int, int], str, object, object] | None = None
        self._plans: dict[tuple[Any, ...], Plan] = {}
        self._variants: dict[tuple[Any, ...], Variant] = {}
        self.planned = 0
        self.seconds = 0.0

    def __len__(self) -> int:
        return len(self._plans)

    def get_many(
        self,
        jobs: Sequence[tuple[tuple[Any, ...], Callable[[], Plan]]],
        progress: Callable[[int], None] | None = None,
        *,
        store: tuple[str, object] | None = None,
    ) -> list[Plan]:
        """Return the plans of ``jobs`` (key, maker) in order, making the missing ones in parallel.

        ``store`` (data version, scope) names the disk file the plans are read
        from first and written back to when some had to be made (only with
        :attr:`disk` set); a plan is taken from it only under the ``repr`` of
        its own key.

        Up to :attr:`workers` plans are made at once, on forked processes
        where the platform has them, else on threads (see
        :mod:`tourplan.flow._parallel`). Each plan depends only on its key (its
        own seed, planned start to end by one worker), so the result does not
        depend on the number of workers or on their timing.
        """
        path = (
            diskcache.scope_path(self.disk, *store) if self.disk is not None and store is not None else None
        )
        if path is not None and path not in self._loaded and store is not None:
            self._loaded.add(path)
            stored = diskcache.read_plans(path, store[0])
            for key, _ in jobs:
                plan = stored.get(repr(key))
                if plan is not None and key not in self._plans:
                    self._plans[key] = plan
                    self.from_disk += 1
        missing: dict[tuple[Any, ...], Callable[[], Plan]] = {}
        for key, make in jobs:
            if key not in self._plans and key not in missing:
                missing[key] = make
        t0 = time.perf_counter()
        done = len(jobs) - len(missing)
        keys, makers = list(missing), list(missing.values())
        if makers:  # the first here: it loads the planner's compiled code once, before any worker starts
            self._plans[keys[0]] = makers[0]()
            done += 1
            checkpoint()  # the wall clock of the caller's budget (tourplan.limits), if any
        rest = makers[1:]
        with contextlib.closing(run_all(rest, min(self.workers, len(rest)))) as results:
            for i, plan in results:
                self._plans[keys[i + 1]] = plan
                done += 1
                checkpoint()
                if progress is not None:
                    progress(done)
        if path is not None and store is not None and missing:
            merged = diskcache.read_plans(path, store[0])
            merged.update((repr(key), self._plans[key]) for key, _ in jobs)
            diskcache.write_plans(path, store[0], merged)
        self.seconds += time.perf_counter() - t0
        self.planned += len(missing)
        if progress is not None:
            progress(len(jobs))
        return [self._plans[key] for key, _ in jobs]

    def data_version(self, sites: SiteTable, graph: SiteGraph) -> str:
        """:func:`~tourplan.flow.diskcache.data_version` of ``sites`` and ``graph``, remembered per pair."""
        memo = (id(sites), id(graph))
        if self._version is None or self._version[0] != memo:
            self._version = (memo, diskcache.data_version(sites, graph), sites, graph)
        return self._version[1]

    def __getstate__(self) -> dict[str, Any]:
        """What a pickle (a library shipped to a sweep's worker) keeps: the plans, not the remembered data version.

        The data version is remembered with the site table and graph it was
        computed from (and keyed by their ``id``, meaningless in another
        process); a worker computes it again from its own copies.
        """
        state = dict(self.__dict__)
        state["_version"] = None
        return state

    def variant(self, key: tuple[Any, ...], make: Callable[[], Variant]) -> Variant:
        """Return the cached variant description for ``key``, making it first if needed."""
        var = self._variants.get(key)
        if var is None:
            var = make()
            self._variants[key] = var
        return var


class _Weather:
    """A :class:`~tourplan.flow.forecast.CrowdHook` that scales the value of outdoor sites (rain)."""

    def __init__(self, sites: SiteTable, factor: float) -> None:
        self._outdoor = {s.id for s in sites if not s.indoor}
        self._factor = factor

    def adjust(self, query: CrowdQuery) -> CrowdAdjustment:
        out = np.array(query.scores, dtype=np.float64)
        for i, sid in enumerate(query.nodes):
            if sid in self._outdoor:
                out[i] *= self._factor
        return CrowdAdjustment(out, dict(query.route_windows))

    def label(self, site_id: str, start_minutes: float, date: dt.date) -> str | None:
        return None


@dataclass(frozen=True)
class Variant:
    """How one plan variant differs from the segment's own plan."""

    day_start: int
    seed: int
    interests: tuple[tuple[str, float], ...]
    must_see: tuple[str, ...]
    time_limit: float
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class AreaLever:
    """Leave ``members`` (an area and its parts) out of a share ``leave_out`` of plan variants."""

    area: str
    members: tuple[str, ...]
    leave_out: float


def area_levers(
    scenario: Scenario,
    sites: SiteTable,
    entries: Sequence[EntryPoint],
    cell_key: Sequence[tuple[int, int]],
    cell_mass: FloatArray,
) -> dict[int, tuple[AreaLever, ...]]:
    """Per entry point: the levers of the areas it is not in (see ``Scenario.area_shares``).

    With ``E`` the expected share of visitors who enter inside the area and
    ``s`` its target share, the plans of everyone else leave the area out with
    probability ``1 - (s - E) / (1 - E)`` (clipped to 0..1): the target if all
    their other plans would include it.
    """
    out: dict[int, list[AreaLever]] = {ei: [] for ei in range(len(entries))}
    total = float(cell_mass.sum())
    for area, share in sorted(scenario.area_shares_used.items()):
        members = (area, *sorted(s.id for s in sites if s.parent_id == area))
        inside = {ei for ei, e in enumerate(entries) if e.place in members}
        e_in = sum(float(cell_mass[c]) for c, (_, ei) in enumerate(cell_key) if ei in inside)
        e_in = e_in / total if total > 0 else 0.0
        if e_in >= 1.0:
            continue
        leave = min(1.0, max(0.0, 1.0 - (share - e_in) / (1.0 - e_in)))
        if leave <= 0.0:
            continue
        for ei in range(len(entries)):
            if ei not in inside:
                out[ei].append(AreaLever(area, members, leave))
    return {ei: tuple(v) for ei, v in out.items()}


def _stable_seed(*parts: object) -> int:
    """A seed from values, the same in every process (unlike ``hash``)."""
    return zlib.crc32("|".join(repr(p) for p in parts).encode("utf-8"))


def _must_see_pool(
    sites: SiteTable, date: dt.date, interests: Mapping[str, float], exclude: Collection[str], k: int = 10
) -> tuple[list[str], FloatArray]:
    """The ``k`` best-matching sites open on ``date`` and their scores (weights for a must-see draw)."""
    cands: list[tuple[float, str]] = []
    for s in sites:
        if s.id in exclude or s.category in PASS_THROUGH or s.capacity_instant <= 0:
            continue
        if not open_intervals(s.opening_hours, date):
            continue
        cands.append((site_score(s, interests), s.id))
    cands.sort(key=lambda x: (-x[0], x[1]))
    top = cands[:k]
    return [sid for _, sid in top], np.array([sc for sc, _ in top], dtype=np.float64)


def plan_variant(
    scenario: Scenario,
    sites: SiteTable,
    seg: Segment,
    entry: EntryPoint,
    bucket_start: int,
    k: int,
    levers: tuple[AreaLever, ...] = (),
) -> Variant:
    """Variant ``k`` of the plan of a segment x entry x bucket cell (0 = the segment's own plan).

    Deterministic in its arguments: the random draws come from a generator
    seeded with a stable hash of the segment, entry, bucket and ``k``; each
    area lever leaves its area out with its probability, drawn from a
    generator of its own (so the other draws do not depend on the levers).
    """
    width = scenario.bucket_minutes
    centre = int(bucket_start + width // 2)
    base = tuple(sorted((t, float(w)) for t, w in seg.interests.items()))
    exclude: list[str] = []
    for lever in levers:
        draw = np.random.default_rng(
            _stable_seed("area", lever.area, seg.name, entry.place, bucket_start, width, k)
        )
        if draw.random() < lever.leave_out:
            exclude.extend(lever.members)
    if k == 0:
        return Variant(centre, 0, base, (), scenario.plan_time_limit, tuple(exclude))
    rng = np.random.default_rng(_stable_seed(seg.name, base, entry.place, bucket_start, width, k))
    start = int(bucket_start + round(width * rng.uniform(0.1, 0.9)))
    cv = scenario.interest_cv
    if cv > 0 and base:
        shape = 1.0 / (cv * cv)
        noise = rng.gamma(shape, 1.0 / shape, len(base))
        interests = tuple((t, round(w * float(f), 3)) for (t, w), f in zip(base, noise, strict=True))
    else:
        interests = base
    must: tuple[str, ...] = ()
    if rng.random() < scenario.must_see_share:
        pool, score = _must_see_pool(sites, scenario.date, dict(interests), {entry.place, *exclude})
        if pool:
            must = (pool[int(rng.choice(len(pool), p=score / score.sum()))],)
    # Variants are many and cheap: a third of the segment plan's optimizer time.
    return Variant(start, k, interests, must, max(0.005, scenario.plan_time_limit / 3), tuple(exclude))


def make_plan(
    sites: SiteTable,
    graph: SiteGraph,
    scenario: Scenario,
    seg: Segment,
    entry: EntryPoint,
    var: Variant,
) -> Plan:
    hook: CrowdHook | None = (
        _Weather(sites, scenario.outdoor_factor) if scenario.outdoor_factor != 1.0 else None
    )
    day_end = max(seg.day_end, var.day_start + 60)

    def request(must: tuple[str, ...]) -> ItineraryRequest:
        return ItineraryRequest(
            start_date=scenario.date,
            interests=dict(var.interests),
            day_start=var.day_start,
            day_end=min(day_end, 24 * 60),
            start=entry.place,
            pace=seg.pace,
            mode=seg.mode or entry.mode,
            must_see=must,
            exclude=var.exclude,
            time_limit=var.time_limit,
        )

    try:
        it = plan_itinerary(request(var.must_see), sites, graph, seed=var.seed, crowd=hook, polish=False)
    except (InfeasibleRequestError, RequestValidationError):
        if not var.must_see:
            return Plan((), (), ())
        try:
            it = plan_itinerary(request(()), sites, graph, seed=var.seed, crowd=hook, polish=False)
        except (InfeasibleRequestError, RequestValidationError):
            return Plan((), (), ())
    stops = [s for d in it.days for s in d.stops]
    return Plan(
        tuple(s.site_id for s in stops),
        tuple(float(s.start) for s in stops),
        tuple(float(s.end - s.start) for s in stops),
    )


# ---------------------------------------------------------------------------
# Result
