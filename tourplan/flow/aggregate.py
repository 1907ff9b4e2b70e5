"""Roll the stop times of a run up into a :class:`~tourplan.flow.FlowResult`.

Per site and time slot first (head counts minute by minute, then the slot's
mean and peak), then per parent area: an area's rows sum its member sites
minute by minute, and count distinct visitors.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tourplan.flow import _core as core
from tourplan.flow.alerts import tier_alerts
from tourplan.flow.engine import count_at_minutes
from tourplan.flow.result import AreaFlow, FlowResult, MeasureOutcome, StopLog

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.flow._types import FloatArray, IntArray
    from tourplan.flow.engine import Outcome, Stops
    from tourplan.flow.scenario import Scenario
    from tourplan.site import Site

__all__ = ["aggregate", "parent_areas"]


def parent_areas(site_list: Sequence[Site]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Parent areas of a site list: their rows, and which sites each one counts.

    A site counts in every area on its ``parent_id`` chain; a parent counts
    in its own area.  Parents missing from the list are ignored.
    """
    idx = {s.id: i for i, s in enumerate(site_list)}
    parent = [idx.get(s.parent_id, -1) if s.parent_id is not None else -1 for s in site_list]
    roots = sorted({p for p in parent if p >= 0})
    row = {p: a for a, p in enumerate(roots)}
    member = np.zeros((len(roots), len(site_list)), dtype=np.bool_)
    for i in range(len(site_list)):
        if i in row:
            member[row[i], i] = True
        p, seen = parent[i], {i}
        while p >= 0 and p not in seen:  # a cycle would be a data error; stop rather than loop
            member[row[p], i] = True
            seen.add(p)
            p = parent[p]
    return np.array(roots, dtype=np.int64), member


def aggregate(
    scenario: Scenario,
    seed: int,
    site_ids: list[str],
    cap: IntArray,
    cap_daily: IntArray,
    stops: Stops,
    out: Outcome,
    n_plans: int,
    plan_seconds: float,
    t_begin: float,
    keep_log: bool,
    area_site: IntArray,
    area_member: npt.NDArray[np.bool_],
    *,
    entries: tuple[tuple[str, ...], IntArray],
    measures: tuple[bool, int, int, int] = (False, 0, 0, 0),
) -> FlowResult:
    """The result of a run: per site and slot, per area, totals, alerts (and the log if kept).

    ``entries`` is the entry point names and visitors starting at each per
    slot; ``measures`` is whether the scenario had measures, the numbers of
    sites under quotas and under daily caps, and the school groups moved.
    """
    n_sites = len(site_ids)
    t0, t1 = scenario.day_start, scenario.day_end
    slot = scenario.slot_minutes
    n_slots = (t1 - t0) // slot
    st_site, st_status = stops.st_site, stops.st_status
    vis = st_status == core.VISITED
    s_v = st_site[vis]
    arr_v, adm_v, dep_v = out.arrive[vis], out.admit[vis], out.depart[vis]

    inside = count_at_minutes(s_v, adm_v, dep_v, n_sites, t0, t1)
    waiting = count_at_minutes(s_v, arr_v, adm_v, n_sites, t0, t1)
    occ = inside.reshape(n_sites, n_slots, slot)
    occupancy = occ.mean(axis=2)
    peak = occ.max(axis=2)
    queue = waiting.reshape(n_sites, n_slots, slot).mean(axis=2)
    load = (inside + waiting).reshape(n_sites, n_slots, slot).max(axis=2)

    came = (st_status == core.VISITED) | (st_status == core.BALKED) | (st_status == core.REFUSED)
    j_all = np.floor((out.arrive[came] - t0) / slot).astype(np.int64)
    ok = (j_all >= 0) & (j_all < n_slots)
    arrivals = np.bincount(st_site[came][ok] * n_slots + j_all[ok], minlength=n_sites * n_slots).reshape(
        n_sites, n_slots
    )
    j_v = np.floor((arr_v - t0) / slot).astype(np.int64)
    okv = (j_v >= 0) & (j_v < n_slots)
    flat = s_v[okv] * n_slots + j_v[okv]
    wsum = np.bincount(flat, weights=(adm_v - arr_v)[okv], minlength=n_sites * n_slots)
    wcnt = np.bincount(flat, minlength=n_sites * n_slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(wcnt > 0, wsum / np.where(wcnt > 0, wcnt, 1), np.nan).reshape(n_sites, n_slots)
    daily = np.bincount(s_v, minlength=n_sites)
    balked = np.bincount(st_site[st_status == core.BALKED], minlength=n_sites)
    closed = np.bincount(st_site[st_status == core.CLOSED], minlength=n_sites)

    alerts = tier_alerts(site_ids, load, queue, cap, t0, slot, "site")
    st_visitor = np.repeat(np.arange(stops.v_ptr.shape[0] - 1, dtype=np.int64), np.diff(stops.v_ptr))
    areas = _area_flow(
        site_ids, area_site, area_member, cap, cap_daily, inside, waiting, arrivals, daily, balked,
        (st_visitor[vis], s_v), (st_visitor[came], st_site[came]), t0, slot,
    )  # fmt: skip

    v_start, v_end = stops.v_start, out.v_end
    outcome, turned = _measure_outcome(stops, out, st_visitor, measures)
    finished = int(np.count_nonzero((v_end <= t1) & ~turned))
    log = None
    if keep_log:
        visitor = np.repeat(np.arange(v_start.shape[0]), np.diff(stops.v_ptr))
        log = StopLog(visitor, st_site, out.arrive, out.admit, out.depart, st_status, v_start, v_end)
    return FlowResult(
        scenario=scenario,
        seed=seed,
        site_ids=tuple(site_ids),
        capacity_instant=cap,
        capacity_daily=cap_daily,
        slot_minutes=slot,
        day_start=t0,
        arrivals=arrivals,
        occupancy=occupancy,
        peak=peak,
        queue=queue,
        load=load,
        mean_wait=mean_wait,
        daily_visits=daily,
        balked=balked,
        closed=closed,
        shifted=out.counts[:, core.C_SHIFTED].copy(),
        refused=out.counts[:, core.C_REFUSED].copy(),
        entry_ids=entries[0],
        entry_arrivals=entries[1],
        alerts=tuple(alerts),
        visitors=int(v_start.shape[0]),
        finished=finished,
        inside_at_end=int(v_start.shape[0]) - finished - outcome.turned_away,
        measures=outcome,
        plans=n_plans,
        runtime=time.perf_counter() - t_begin,
        plan_seconds=plan_seconds,
        areas=areas,
        log=log,
    )


def _area_flow(
    site_ids: list[str],
    area_site: IntArray,
    member: npt.NDArray[np.bool_],
    cap: IntArray,
    cap_daily: IntArray,
    inside: IntArray,
    waiting: IntArray,
    arrivals: IntArray,
    daily: IntArray,
    balked: IntArray,
    visited: tuple[IntArray, IntArray],
    reached: tuple[IntArray, IntArray],
    t0: int,
    slot: int,
) -> AreaFlow:
    """Parent areas: the members summed minute by minute, and distinct visitors.

    ``member`` is ``(n_areas, n_sites)``; ``inside`` and ``waiting`` are per
    site and minute; ``visited`` and ``reached`` are ``(visitor, site)`` of
    the stops admitted and of those reached (admitted or balked).
    """
    n_areas = member.shape[0]
    n_slots = inside.shape[1] // slot
    mf = member.astype(np.int64)
    a_inside = (mf @ inside).reshape(n_areas, n_slots, slot)
    a_waiting = (mf @ waiting).reshape(n_areas, n_slots, slot)
    a_visitors = np.zeros(n_areas, dtype=np.int64)
    a_arrived = np.zeros(n_areas, dtype=np.int64)
    (vis_visitor, vis_site), (came_visitor, came_site) = visited, reached
    for a in range(n_areas):
        a_visitors[a] = np.unique(vis_visitor[member[a, vis_site]]).shape[0]
        a_arrived[a] = np.unique(came_visitor[member[a, came_site]]).shape[0]
    a_peak = a_inside.max(axis=2)
    a_queue: FloatArray = a_waiting.mean(axis=2)
    a_load = (a_inside + a_waiting).max(axis=2)
    a_cap = cap[area_site]
    area_ids = [site_ids[i] for i in area_site]
    return AreaFlow(
        area_ids=tuple(area_ids),
        members=tuple(
            tuple(
                site_ids[i]
                for i in [int(area_site[a])]
                + [int(x) for x in np.flatnonzero(member[a]) if x != area_site[a]]
            )
            for a in range(n_areas)
        ),
        capacity_instant=a_cap,
        capacity_daily=cap_daily[area_site],
        arrivals=mf @ arrivals,
        occupancy=a_inside.mean(axis=2),
        peak=a_peak,
        queue=a_queue,
        load=a_load,
        daily_visits=mf @ daily,
        visitors=a_visitors,
        arrived=a_arrived,
        balked=mf @ balked,
        alerts=tuple(tier_alerts(area_ids, a_load, a_queue, a_cap, t0, slot, "area")),
        day_start=t0,
        slot_minutes=slot,
    )


def _measure_outcome(
    stops: Stops, out: Outcome, st_visitor: IntArray, measures: tuple[bool, int, int, int]
) -> tuple[MeasureOutcome, npt.NDArray[np.bool_]]:
    """What the measures did, and which visitors were turned away (refused, and admitted nowhere)."""
    active, n_quota, n_capped, moved = measures
    n_v = stops.n_visitors
    if out.flag.shape[0] != stops.st_site.shape[0]:  # the run had no controls
        return MeasureOutcome(active=active, groups_moved=moved), np.zeros(n_v, dtype=np.bool_)
    flag = out.flag
    refused_v = np.zeros(n_v, dtype=np.bool_)
    refused_v[st_visitor[(flag & core.F_REFUSED) != 0]] = True
    admitted_v = np.zeros(n_v, dtype=np.bool_)
    admitted_v[st_visitor[stops.st_status == core.VISITED]] = True
    turned = refused_v & ~admitted_v
    put_back = out.shift > 0
    return (
        MeasureOutcome(
            active=active,
            quota_sites=n_quota,
            capped_sites=n_capped,
            shifted=int(out.counts[:, core.C_SHIFTED].sum()),
            shift_minutes=float(out.shift[put_back].mean()) if put_back.any() else 0.0,
            diverted=int(np.count_nonzero(flag & core.F_DIVERTED)),
            skipped=int(np.count_nonzero(stops.st_status == core.REFUSED)),
            turned_away=int(np.count_nonzero(turned)),
            refused_daily=int(out.counts[:, core.C_DAILY].sum()),
            groups_moved=moved,
        ),
        turned,
    )
