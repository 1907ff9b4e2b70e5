"""Simulate one day of visitors: from a scenario to a :class:`~tourplan.flow.FlowResult`.

:func:`simulate` runs in phases, each a function below:

1. :func:`_draw_units` -- who comes: visitors (or school groups) per
   segment x entry point, with their start times (:func:`_move_groups`
   moves the school groups' starts when the measures say so);
2. :func:`_bucket_plans` -- which start-time bucket's plans each unit follows,
   and how many plan variants each segment x entry x bucket cell gets;
3. :func:`_choose_plans` -- the variant each unit follows, planned through the
   :class:`~tourplan.flow.PlanLibrary`;
4. :func:`_site_arrays` -- travel, opening hours and capacities of the day,
   and :func:`_controls` -- quotas, daily caps and each plan stop's
   alternative site when the scenario has measures;
5. :func:`_expand_stops` -- every visitor's own stops (start shift, dwell,
   skipped stops), plus the booked groups, as records;
6. :func:`tourplan.flow.engine.run_packed` -- the compiled event loop;
7. :func:`tourplan.flow.aggregate.aggregate` -- per site, slot and area.

One scenario is a pure function of its inputs and the seed: the random
draws come from one generator, always in this order.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.errors import RequestValidationError
from tourplan.flow import _core as core
from tourplan.flow.aggregate import aggregate, parent_areas
from tourplan.flow.defaults import PROFILE_START, PROFILE_STEP
from tourplan.flow.engine import Controls, Packed, SiteArrays, run_packed
from tourplan.flow.measures import alternatives, controls
from tourplan.flow.plans import Plan, PlanLibrary, area_levers, make_plan, plan_variant
from tourplan.hours import open_intervals
from tourplan.limits import checkpoint

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tourplan.flow._types import FloatArray, IntArray, Progress
    from tourplan.flow.result import FlowResult
    from tourplan.flow.scenario import Scenario, Segment
    from tourplan.graph import SiteGraph
    from tourplan.site import Site, SiteTable

__all__ = ["check_sites", "simulate"]


def check_sites(scenario: Scenario, sites: SiteTable) -> None:
    """Raise if the scenario names a place that is not in ``sites`` (checked before a run is queued).

    Raises
    ------
    RequestValidationError
        Naming ``entries``, ``fixed_arrivals``, ``area_shares``,
        ``measures.quotas`` or ``measures.daily_caps``.
    """
    known = {s.id for s in sites}
    errors: dict[str, str] = {}
    for e in scenario.entries_used:
        if e.place not in known:
            errors["entries"] = f"{e.name}: place {e.place!r} is not a site id"
    for f in scenario.fixed_arrivals:
        if f.site_id not in known:
            errors["fixed_arrivals"] = f"{f.site_id!r} is not a site id"
    for area in scenario.area_shares_used:
        if area not in known:
            errors["area_shares"] = f"{area!r} is not a site id"
    for name, pairs in (("quotas", scenario.measures.quotas), ("daily_caps", scenario.measures.daily_caps)):
        unknown = [sid for sid, _ in pairs if sid not in known]
        if unknown:
            errors[f"measures.{name}"] = f"not site ids: {', '.join(map(repr, unknown))}"
    if errors:
        raise RequestValidationError(errors)


def simulate(
    scenario: Scenario,
    sites: SiteTable,
    graph: SiteGraph,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    plans: PlanLibrary | None = None,
    keep_log: bool = False,
) -> FlowResult:
    """Simulate one day of visitors over the sites.

    Parameters
    ----------
    scenario
        Who comes and how they behave.
    sites, graph
        The site table and its graph.
    seed
        Seed of ``numpy.random.default_rng``: same seed, same result.
    progress
        Called with the fraction done (0 to 1) now and then.
    plans
        A :class:`PlanLibrary` to reuse plans across runs (plans do not
        depend on the seed or the number of visitors).
    keep_log
        Keep every stop in :attr:`FlowResult.log` (for checks; memory heavy).

    Returns
    -------
    FlowResult

    Raises
    ------
    RequestValidationError
        When an entry place or a fixed arrival's site is not in the table.

    Notes
    -----
    Planning costs one optimizer run per segment x entry x start bucket
    holding at least ``min_plan_share`` of the visitors (about 10-20 ms of
    one core each, made on forked workers, one per core), independent of the
    number of visitors, and is cached (in memory and on disk).  The
    simulation is then linear in the V K stops of V visitors of K stops:
    compiled passes that write and read one 40-byte record per stop, and an
    event loop over a bucket queue whose cost per event depends on the events
    due in one 1/16-minute bucket, not on V (see :mod:`tourplan.flow._core`).
    """
    t_begin = time.perf_counter()
    report = progress or (lambda _f: None)
    lib = plans if plans is not None else PlanLibrary()
    plan_s0 = lib.seconds
    rng = np.random.default_rng(seed)

    site_list = list(sites)
    site_ids = [s.id for s in site_list]
    sidx = {sid: i for i, sid in enumerate(site_ids)}
    check_sites(scenario, sites)
    modes = sorted({seg.mode or e.mode for seg in scenario.segments_used for e in scenario.entries_used})

    units, moved = _move_groups(scenario, _draw_units(scenario, rng))
    buckets = _bucket_plans(scenario, units)
    chosen = _choose_plans(scenario, sites, graph, units, buckets, rng, lib, report)
    plan_seconds = lib.seconds - plan_s0
    day = _site_arrays(scenario, site_list, graph, modes)
    ctl, n_quota, n_capped, p_alt = _controls(scenario, site_list, units, chosen, day, modes)
    entries = _entry_arrivals(scenario, units)
    packed, total_events = _expand_stops(
        scenario, units, chosen, sidx, modes, rng, p_alt, gated=ctl is not None
    )
    n_plans = len(chosen.plans)
    del units, buckets, chosen  # the per-unit arrays: the run's memory peak comes next

    chunk = max(200_000, total_events // 20)
    counts = run_packed(
        packed,
        day,
        float(scenario.patience_minutes),
        controls=ctl,
        chunk=chunk,
        on_chunk=lambda done: report(0.5 + 0.45 * min(1.0, done / total_events)),
    )

    cap_daily = np.array([s.capacity_daily for s in site_list], dtype=np.int64)
    result = aggregate(
        scenario, seed, site_ids, day.capacity, cap_daily, packed, counts, n_plans, plan_seconds, t_begin,
        keep_log, *parent_areas(site_list),
        entries=entries,
        measures=(scenario.measures.active, n_quota, n_capped, moved),
        gated=ctl is not None,
    )  # fmt: skip
    report(1.0)
    return result


# ---------------------------------------------------------------------------
# 1. Who comes


@dataclass(frozen=True, eq=False)
class _Units:
    """The day's units (individuals, or groups that move together).

    Cell ``c`` is the pair ``cells[c] = (segment index, entry index)``; unit
    ``u`` is in cell ``cell[u]``, starts at ``start[u]`` and counts ``size[u]``
    visitors.  ``segment_weight`` is the segments' normalised shares.
    """

    cells: tuple[tuple[int, int], ...]
    cell: IntArray
    start: FloatArray
    size: IntArray
    segment_weight: FloatArray


def _allowed_entries(seg: Segment, entry_index: dict[str, int], n_entries: int) -> list[int]:
    """Indices of the entry points a segment uses."""
    return [entry_index[x] for x in seg.entries] if seg.entries else list(range(n_entries))


def _sample_starts(rng: np.random.Generator, weights: FloatArray, n: int) -> FloatArray:
    """Start times (minutes) from half-hourly weights from 06:00, uniform within a bin."""
    if n == 0:
        return np.zeros(0)
    bins = rng.choice(weights.shape[0], size=n, p=weights)
    return PROFILE_START + PROFILE_STEP * (bins + rng.random(n))


def _draw_units(scenario: Scenario, rng: np.random.Generator) -> _Units:
    """Visitors per segment, units per segment x entry point, and their start times."""
    entries = scenario.entries_used
    segments = scenario.segments_used
    seg_w = np.array([s.share for s in segments], dtype=np.float64)
    seg_w /= seg_w.sum()
    seg_counts = rng.multinomial(scenario.n_visitors, seg_w)
    ent_share = np.array([e.share for e in entries], dtype=np.float64)
    ent_index = {e.name: k for k, e in enumerate(entries)}

    cell_starts: list[FloatArray] = []
    cell_sizes: list[IntArray] = []  # group size per unit
    cells: list[tuple[int, int]] = []
    for si, seg in enumerate(segments):
        allowed = _allowed_entries(seg, ent_index, len(entries))
        w = np.zeros(len(entries))
        w[allowed] = ent_share[allowed]
        if w.sum() <= 0:
            w[allowed] = 1.0
        w /= w.sum()
        n_units = math.ceil(int(seg_counts[si]) / seg.group_size)
        unit_counts = rng.multinomial(n_units, w)
        first_cell = len(cell_sizes)
        for ei, nu in enumerate(unit_counts):
            cell_starts.append(_sample_starts(rng, entries[ei].weights(), int(nu)))
            cell_sizes.append(np.full(int(nu), seg.group_size, dtype=np.int64))
            cells.append((si, ei))
        # The segment's last group may be smaller, so the counts add up.
        excess = n_units * seg.group_size - int(seg_counts[si])
        for c in range(len(cell_sizes) - 1, first_cell - 1, -1):
            if excess and cell_sizes[c].size:
                cell_sizes[c][-1] -= excess
                break
    return _Units(
        cells=tuple(cells),
        cell=np.repeat(np.arange(len(cells)), [len(c) for c in cell_starts]),
        start=np.concatenate(cell_starts) if cell_starts else np.zeros(0),
        size=np.concatenate(cell_sizes) if cell_sizes else np.zeros(0, dtype=np.int64),
        segment_weight=seg_w,
    )


def _move_groups(scenario: Scenario, units: _Units) -> tuple[_Units, int]:
    """School groups (units of segments with ``group_size > 1``) start ``group_shift_minutes`` later (错峰)."""
    shift = scenario.measures.group_shift_minutes
    if not shift:
        return units, 0
    grouped = np.array([scenario.segments_used[si].group_size > 1 for si, _ in units.cells], dtype=np.bool_)
    moved = grouped[units.cell] if units.cell.size else np.zeros(0, dtype=np.bool_)
    start = np.where(moved, np.clip(units.start + shift, 0.0, 24 * 60 - 1.0), units.start)
    return replace(units, start=start), int(np.count_nonzero(moved))


def _entry_arrivals(scenario: Scenario, units: _Units) -> tuple[tuple[str, ...], IntArray]:
    """Entry point names, and visitors starting their day at each per reporting slot."""
    names = tuple(e.name for e in scenario.entries_used)
    slot, t0 = scenario.slot_minutes, scenario.day_start
    cell_entry = np.array([ei for _, ei in units.cells], dtype=np.int64)
    n_slots = (scenario.day_end - t0) // slot
    return names, core.count_starts(
        units.cell, cell_entry, units.start, units.size, t0, slot, len(names), n_slots
    )


# ---------------------------------------------------------------------------
# 2. Start-time buckets


@dataclass(frozen=True, eq=False)
class _Buckets:
    """Start-time buckets that share plans.

    Bucket ``b`` starts at ``edges[b]``; ``mass[c, b]`` is the expected share
    of visitors of cell ``c`` starting in it; unit ``u`` follows the plans of
    bucket ``of_unit[u]`` of its cell, which has ``n_var[c, b]`` variants.
    """

    edges: FloatArray
    mass: FloatArray
    of_unit: IntArray
    n_var: IntArray

    @property
    def n(self) -> int:
        """Number of buckets."""
        return int(self.mass.shape[1])


def _bucket_plans(scenario: Scenario, units: _Units) -> _Buckets:
    """Bucket whose plans each unit follows, and plan variants per cell x bucket.

    The expected share of visitors per (cell, bucket) comes from the shares
    and profiles, not the sample, so the plans do not depend on the seed or
    the number of visitors; cells below ``min_plan_share`` borrow the plan of
    the nearest bucket that has one.  Variants per (cell, bucket) follow from
    the expected share of the bucket with the small buckets it lends its
    plans to, never from the sample.
    """
    entries = scenario.entries_used
    segments = scenario.segments_used
    ent_share = np.array([e.share for e in entries], dtype=np.float64)
    ent_index = {e.name: k for k, e in enumerate(entries)}
    longest = max(e.weights().shape[0] for e in entries)
    n_buckets = max(1, math.ceil(PROFILE_STEP * longest / scenario.bucket_minutes))
    edges = PROFILE_START + scenario.bucket_minutes * np.arange(n_buckets + 1)
    unit_bucket = np.clip(np.searchsorted(edges, units.start, side="right") - 1, 0, n_buckets - 1)

    n_cells = len(units.cells)
    prof_t = PROFILE_START + PROFILE_STEP * np.arange(longest)
    mass = np.zeros((n_cells, n_buckets))
    for c, (si, ei) in enumerate(units.cells):
        allowed = _allowed_entries(segments[si], ent_index, len(entries))
        w_e = (
            ent_share[ei] / ent_share[allowed].sum()
            if ei in allowed and ent_share[allowed].sum() > 0
            else 0.0
        )
        prof = entries[ei].weights()
        b_of = np.clip(np.searchsorted(edges, prof_t[: prof.shape[0]], side="right") - 1, 0, n_buckets - 1)
        np.add.at(mass[c], b_of, units.segment_weight[si] * w_e * prof)

    threshold = scenario.min_plan_share
    bucket_map = np.tile(np.arange(n_buckets), (n_cells, 1))
    for c in range(n_cells):
        big = np.flatnonzero(mass[c] >= threshold)
        if big.size == 0:
            big = np.array([int(np.argmax(mass[c]))])
        for b in range(n_buckets):
            if mass[c, b] < threshold:
                bucket_map[c, b] = big[np.argmin(np.abs(big - b))]
    carried = np.zeros_like(mass)
    np.add.at(carried, (np.arange(n_cells)[:, None].repeat(n_buckets, 1), bucket_map), mass)
    n_var = np.clip(np.floor(carried / scenario.variant_share), 1, scenario.plan_variants).astype(np.int64)
    return _Buckets(edges, mass, bucket_map[units.cell, unit_bucket], n_var)


# ---------------------------------------------------------------------------
# 3. Plans


@dataclass(frozen=True, eq=False)
class _Chosen:
    """The plans of the day and the one each unit follows.

    ``plans[p]`` was planned from ``day_start[p]`` for cell ``cell[p]`` with
    the interests ``interests[p]``; unit ``u`` follows ``plans[of_unit[u]]``,
    shifted to its own start.
    """

    plans: list[Plan]
    day_start: FloatArray
    of_unit: IntArray
    cell: IntArray
    interests: list[dict[str, float]]


def _choose_plans(
    scenario: Scenario,
    sites: SiteTable,
    graph: SiteGraph,
    units: _Units,
    buckets: _Buckets,
    rng: np.random.Generator,
    lib: PlanLibrary,
    report: Progress,
) -> _Chosen:
    """Draw each unit's plan variant, and plan every variant used (half of the progress)."""
    entries = scenario.entries_used
    segments = scenario.segments_used
    n_cells, n_buckets = len(units.cells), buckets.n
    levers = area_levers(scenario, sites, entries, units.cells, buckets.mass.sum(axis=1))
    n_var = buckets.n_var
    unit_var = (
        np.floor(rng.random(units.cell.shape[0]) * n_var[units.cell, buckets.of_unit]).astype(np.int64)
        if units.cell.size
        else np.zeros(0, dtype=np.int64)
    )
    max_var = int(n_var.max()) if n_var.size else 1
    # The (cell, bucket, variant) triples in use, in order: a count per code, not a sort.
    codes = (units.cell * n_buckets + buckets.of_unit) * max_var + unit_var
    triple = np.flatnonzero(np.bincount(codes, minlength=n_cells * n_buckets * max_var))
    needed = [
        (int(x) // (n_buckets * max_var), int(x) // max_var % n_buckets, int(x) % max_var) for x in triple
    ]

    checkpoint(len(needed) * scenario.plan_time_limit)  # all planning, charged up front (tourplan.limits)
    plan_ids: dict[tuple[int, int, int], int] = {}
    plan_day_start: list[float] = []
    plan_interests: list[dict[str, float]] = []
    jobs: list[tuple[tuple[Any, ...], Callable[[], Plan]]] = []
    edges = buckets.edges
    for c, b, k in needed:
        checkpoint()  # the wall clock: describing thousands of variants takes a while too
        si, ei = units.cells[c]
        seg, ent = segments[si], entries[ei]
        vkey = (
            scenario.date, scenario.bucket_minutes, scenario.plan_time_limit, scenario.interest_cv,
            scenario.must_see_share, seg.name, tuple(sorted(seg.interests.items())), ent.place, int(edges[b]), k,
            levers[ei],
        )  # fmt: skip
        var = lib.variant(
            vkey, functools.partial(plan_variant, scenario, sites, seg, ent, int(edges[b]), k, levers[ei])
        )
        key = (
            scenario.date, seg.name, seg.pace, seg.mode or ent.mode, seg.day_end, ent.place,
            scenario.outdoor_factor, var,
        )  # fmt: skip
        jobs.append((key, functools.partial(make_plan, sites, graph, scenario, seg, ent, var)))
        plan_ids[(c, b, k)] = len(plan_day_start)
        plan_day_start.append(float(var.day_start))
        plan_interests.append(dict(var.interests))
    scope = (
        scenario.date, scenario.bucket_minutes, scenario.plan_time_limit, scenario.outdoor_factor,
        tuple(seg.name for seg in segments), tuple(ent.place for ent in entries),
    )  # fmt: skip
    store = (lib.data_version(sites, graph), scope) if lib.disk is not None else None
    plan_list = lib.get_many(jobs, lambda done: report(0.5 * done / max(len(jobs), 1)), store=store)

    lookup = np.full((n_cells, n_buckets, max_var), -1, dtype=np.int64)
    for (c, b, k), pid in plan_ids.items():
        lookup[c, b, k] = pid
    of_unit = (
        lookup[units.cell, buckets.of_unit, unit_var] if units.cell.size else np.zeros(0, dtype=np.int64)
    )
    cell_of = np.array([c for c, _, _ in needed], dtype=np.int64)
    return _Chosen(plan_list, np.array(plan_day_start), of_unit, cell_of, plan_interests)


# ---------------------------------------------------------------------------
# 4. Visitors and their stops


_DRAW_CHUNK = 1 << 16
"""Unit stops whose random draws are made (and expanded) at a time: the draws stay in cache."""


def _expand_stops(
    scenario: Scenario,
    units: _Units,
    chosen: _Chosen,
    sidx: dict[str, int],
    modes: Sequence[str],
    rng: np.random.Generator,
    p_alt: IntArray,
    *,
    gated: bool,
) -> tuple[Packed, int]:
    """Units to visitors, plans to stops (start shift, gamma dwell, skipped stops), then the booked groups.

    Dwell and skips are drawn per unit stop, so a group shares them.  A
    booked group is one visitor per member, one stop each at fixed times,
    never skipped.  ``p_alt`` is the alternative site of each of the plans'
    stops, concatenated (empty: none); ``gated`` makes room for controls.
    Returns the arrays and the number of stops not skipped.

    Notes
    -----
    O(S) for S visitor stops, in two compiled passes over the stops in
    chunks of units: first every dwell (all gamma draws come before all
    skip draws, as one call each would make them), then the skips.  The
    draws of a chunk stay in cache, and nothing the size of S is made but
    the arrays themselves.
    """
    entries = scenario.entries_used
    segments = scenario.segments_used
    mode_idx = {m: k for k, m in enumerate(modes)}
    plan_list = chosen.plans
    p_ptr = np.zeros(len(plan_list) + 1, dtype=np.int64)
    np.cumsum([len(p.sites) for p in plan_list], out=p_ptr[1:])
    p_site = np.array([sidx[x] for p in plan_list for x in p.sites], dtype=np.int64)
    p_start = np.array([x for p in plan_list for x in p.start], dtype=np.float64)
    p_dwell = np.array([x for p in plan_list for x in p.dwell], dtype=np.float64)
    cell_entry = np.array([sidx[entries[ei].place] for _, ei in units.cells], dtype=np.int64)
    cell_mode = np.array(
        [mode_idx[segments[si].mode or entries[ei].mode] for si, ei in units.cells], dtype=np.int64
    )
    u_plan, u_size = chosen.of_unit, units.size
    # Chunks of whole units of about _DRAW_CHUNK unit stops: (first unit, end, draws, first visitor, first stop).
    chunks: list[tuple[int, int, int, int, int]] = []
    a = n_unit_v = n_unit_st = 0
    while a < u_plan.shape[0]:
        b, draws, n_v, n_st = (int(x) for x in core.unit_chunk(u_plan, u_size, p_ptr, a, _DRAW_CHUNK))
        chunks.append((a, b, draws, n_unit_v, n_unit_st))
        a, n_unit_v, n_unit_st = b, n_unit_v + n_v, n_unit_st + n_st
    fixed = [f for f in scenario.fixed_arrivals if f.count > 0]
    n_fixed = sum(f.count for f in fixed)
    if n_unit_v + n_fixed >= 1 << core.V_BITS:
        raise RequestValidationError({"visitors": f"at most {(1 << core.V_BITS) - 1:,} visitors in one run"})
    out = Packed.empty(n_unit_v + n_fixed, n_unit_st + n_fixed, gated=gated)
    cv = scenario.dwell_cv
    shape = 1.0 / (cv * cv) if cv > 0 else 1.0
    for a, b, draws, v0, k0 in chunks:
        core.expand(
            u_plan[a:b], u_size[a:b], units.start[a:b], units.cell[a:b], cell_entry, cell_mode, p_ptr, p_site,
            p_start, p_dwell, p_alt, chosen.day_start, rng.gamma(shape, 1.0, draws) if cv > 0 else np.zeros(0),
            shape, v0, k0, out.v_ptr, out.v_start, out.v_entry, out.stops, out.st_visitor, out.st_alt,
        )  # fmt: skip
    skipped = 0
    for a, b, draws, _, k0 in chunks:
        skipped += core.skip_stops(
            u_plan[a:b], u_size[a:b], p_ptr, rng.random(draws), scenario.skip_probability, out.stops, k0
        )
    if fixed:
        cnt = np.array([f.count for f in fixed], dtype=np.int64)
        f_site = np.repeat(np.array([sidx[f.site_id] for f in fixed], dtype=np.int64), cnt)
        f_start = np.repeat(np.array([f.start for f in fixed]), cnt)
        f_dwell = np.repeat(np.array([f.end - f.start for f in fixed]), cnt)
        out.v_ptr[n_unit_v:] = n_unit_st + np.arange(n_fixed + 1)
        out.v_start[n_unit_v:] = f_start
        out.v_entry[n_unit_v:] = f_site
        core.pack(
            out.v_ptr[n_unit_v:], np.zeros(n_fixed, dtype=np.int64), f_site, f_dwell, f_start,
            np.full(n_fixed, core.PENDING, dtype=np.int8), n_unit_v, out.stops[n_unit_st:],
            out.st_visitor[n_unit_st:],
        )  # fmt: skip
    return out, max(n_unit_st + n_fixed - skipped, 1)


# ---------------------------------------------------------------------------
# 5. Sites


def _site_arrays(
    scenario: Scenario, site_list: Sequence[Site], graph: SiteGraph, modes: Sequence[str]
) -> SiteArrays:
    """Travel minutes per mode (1e6 where there is no way), the day's opening intervals, C0."""
    site_ids = [s.id for s in site_list]
    n_sites = len(site_ids)
    travel = np.zeros((max(len(modes), 1), n_sites, n_sites))
    for k, m in enumerate(modes):
        travel[k] = graph.matrices(site_ids, m).minutes
    travel = np.where(np.isfinite(travel), travel, 1e6)
    hours = [open_intervals(s.opening_hours, scenario.date) for s in site_list]
    width = max(1, max((len(h) for h in hours), default=1))
    open_lo = np.zeros((n_sites, width))
    open_hi = np.zeros((n_sites, width))
    n_open = np.zeros(n_sites, dtype=np.int64)
    for i, h in enumerate(hours):
        n_open[i] = len(h)
        for q, (a, b) in enumerate(h):
            open_lo[i, q] = a
            open_hi[i, q] = b
    cap = np.array([s.capacity_instant for s in site_list], dtype=np.int64)
    return SiteArrays(travel, open_lo, open_hi, n_open, cap)


def _controls(
    scenario: Scenario,
    site_list: Sequence[Site],
    units: _Units,
    chosen: _Chosen,
    day: SiteArrays,
    modes: Sequence[str],
) -> tuple[Controls | None, int, int, IntArray]:
    """Quotas and daily caps (``None`` without either), and the alternative site of each of the plans' stops.

    The alternatives are concatenated over the plans (empty without quotas
    or caps); :func:`_expand_stops` hands them to every visitor stop.
    """
    measures = scenario.measures
    if not measures.gates:
        return None, 0, 0, np.zeros(0, dtype=np.int64)
    mode_idx = {m: k for k, m in enumerate(modes)}
    segments, entries = scenario.segments_used, scenario.entries_used
    plan_mode = [
        mode_idx[segments[units.cells[c][0]].mode or entries[units.cells[c][1]].mode] for c in chosen.cell
    ]
    alt_rows = alternatives(
        site_list,
        scenario.date,
        [p.sites for p in chosen.plans],
        chosen.interests,
        [day.travel[m] for m in plan_mode],
    )
    p_alt = np.array([a for row in alt_rows for a in row], dtype=np.int64)
    ctl, n_quota, n_capped = controls(measures, site_list, scenario.slot_minutes, np.zeros(0, dtype=np.int64))
    return ctl, n_quota, n_capped, p_alt
