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
from tourplan.flow.engine import count_at_minutes
from tourplan.flow.result import AreaFlow, FlowResult, StopLog, tier_alerts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.data import Site
    from tourplan.flow._types import FloatArray, IntArray
    from tourplan.flow.engine import Outcome, Stops
    from tourplan.flow.scenario import Scenario

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
) -> FlowResult:
    """The result of a run: per site and slot, per area, totals, alerts (and the log if kept)."""
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

    came = (st_status == core.VISITED) | (st_status == core.BALKED)
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

    alerts = tier_alerts(site_ids, peak, queue, cap, t0, slot, "site")
    st_visitor = np.repeat(np.arange(stops.v_ptr.shape[0] - 1, dtype=np.int64), np.diff(stops.v_ptr))
    areas = _area_flow(
        site_ids, area_site, area_member, cap, cap_daily, inside, waiting, arrivals, daily, balked,
        (st_visitor[vis], s_v), (st_visitor[came], st_site[came]), t0, slot,
    )  # fmt: skip

    v_start, v_end = stops.v_start, out.v_end
    finished = int(np.count_nonzero(v_end <= t1))
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
        mean_wait=mean_wait,
        daily_visits=daily,
        balked=balked,
        closed=closed,
        alerts=tuple(alerts),
        visitors=int(v_start.shape[0]),
        finished=finished,
        inside_at_end=int(v_start.shape[0]) - finished,
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
        daily_visits=mf @ daily,
        visitors=a_visitors,
        arrived=a_arrived,
        balked=mf @ balked,
        alerts=tuple(tier_alerts(area_ids, a_peak, a_queue, a_cap, t0, slot, "area")),
    )
