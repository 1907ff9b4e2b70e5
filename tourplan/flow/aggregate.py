"""Roll the stop times of a run up into a :class:`~tourplan.flow.FlowResult`.

Per site and time slot first (head counts minute by minute, then the slot's
mean and peak), then per parent area: an area's rows sum its member sites
minute by minute, and count distinct visitors.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tourplan.flow import _core as core
from tourplan.flow.alerts import tier_alerts
from tourplan.flow.engine import minute_counts
from tourplan.flow.result import AreaFlow, FlowResult, MeasureOutcome, StopLog

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.flow._types import FloatArray, IntArray
    from tourplan.flow.engine import Packed
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
    packed: Packed,
    counts: IntArray,
    n_plans: int,
    plan_seconds: float,
    t_begin: float,
    keep_log: bool,
    area_site: IntArray,
    area_member: npt.NDArray[np.bool_],
    *,
    entries: tuple[tuple[str, ...], IntArray],
    measures: tuple[bool, int, int, int] = (False, 0, 0, 0),
    gated: bool = False,
) -> FlowResult:
    """The result of a run: per site and slot, per area, totals, alerts (and the log if kept).

    ``packed`` and ``counts`` are the arrays and per-site counters of
    :func:`~tourplan.flow.engine.run_packed`, ``gated`` whether it ran with
    controls.  ``entries`` is the entry point names and visitors starting at
    each per slot; ``measures`` is whether the scenario had measures, the
    numbers of sites under quotas and under daily caps, and the school
    groups moved.
    """
    n_sites = len(site_ids)
    t0, t1 = scenario.day_start, scenario.day_end
    slot = scenario.slot_minutes
    n_slots = (t1 - t0) // slot
    n_areas = area_member.shape[0]
    # Per site, the areas it counts in (a CSR layout over the membership matrix's columns).
    a_site, a_row = np.nonzero(area_member.T)
    area_ptr = np.zeros(n_sites + 1, dtype=np.int64)
    np.cumsum(np.bincount(a_site, minlength=n_sites), out=area_ptr[1:])
    (
        inside_diff, waiting_diff, arrivals, wsum, wcnt, daily, balked, closed, a_visitors, a_arrived, turned,
        shifts,
    ) = core.tally(
        packed.v_ptr, packed.stops, packed.st_shift, n_sites, t0, t1 - t0, slot, area_ptr,
        a_row.astype(np.int64), n_areas,
    )  # fmt: skip
    inside = minute_counts(inside_diff, t1 - t0)
    waiting = minute_counts(waiting_diff, t1 - t0)
    occ = inside.reshape(n_sites, n_slots, slot)
    occupancy = occ.mean(axis=2)
    peak = occ.max(axis=2)
    queue = waiting.reshape(n_sites, n_slots, slot).mean(axis=2)
    load = (inside + waiting).reshape(n_sites, n_slots, slot).max(axis=2)
    arrivals = arrivals.reshape(n_sites, n_slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(wcnt > 0, wsum / np.where(wcnt > 0, wcnt, 1), np.nan).reshape(n_sites, n_slots)

    alerts = tier_alerts(site_ids, load, queue, cap, t0, slot, "site")
    areas = _area_flow(
        site_ids, area_site, area_member, cap, cap_daily, inside, waiting, arrivals, daily, balked,
        a_visitors, a_arrived, t0, slot,
    )  # fmt: skip

    st, v_start, v_end = packed.stops, packed.v_start, packed.v_end
    outcome = _measure_outcome(st, counts, turned, shifts, measures, gated=gated)
    finished = int(np.count_nonzero((v_end <= t1) & ~turned))
    log = None
    if keep_log:
        visitor = np.repeat(np.arange(v_start.shape[0]), np.diff(packed.v_ptr))
        admit = np.ascontiguousarray(st["admit"])
        log = StopLog(
            visitor, st["site"].astype(np.int64), np.ascontiguousarray(st["arrive"]), admit,
            admit + st["dwell"], np.ascontiguousarray(st["status"]), v_start, v_end,
        )  # fmt: skip
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
        shifted=counts[:, core.C_SHIFTED].copy(),
        refused=counts[:, core.C_REFUSED].copy(),
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
    a_visitors: IntArray,
    a_arrived: IntArray,
    t0: int,
    slot: int,
) -> AreaFlow:
    """Parent areas: the members summed minute by minute; distinct visitors admitted and reached.

    ``member`` is ``(n_areas, n_sites)``; ``inside`` and ``waiting`` are per
    site and minute; ``a_visitors`` and ``a_arrived`` the distinct visitors
    per area admitted and reached (admitted, balked or refused) at a member.
    """
    n_areas = member.shape[0]
    n_slots = inside.shape[1] // slot
    mf = member.astype(np.int64)
    a_inside = (mf @ inside).reshape(n_areas, n_slots, slot)
    a_waiting = (mf @ waiting).reshape(n_areas, n_slots, slot)
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
    st: npt.NDArray[Any],
    counts: IntArray,
    turned: npt.NDArray[np.bool_],
    shifts: FloatArray,
    measures: tuple[bool, int, int, int],
    *,
    gated: bool,
) -> MeasureOutcome:
    """What the measures did (``turned``: per visitor refused and admitted nowhere; ``shifts``: positive stop shifts)."""
    active, n_quota, n_capped, moved = measures
    if not gated:  # the run had no controls
        return MeasureOutcome(active=active, groups_moved=moved)
    return MeasureOutcome(
        active=active,
        quota_sites=n_quota,
        capped_sites=n_capped,
        shifted=int(counts[:, core.C_SHIFTED].sum()),
        shift_minutes=float(shifts.mean()) if shifts.shape[0] else 0.0,
        diverted=int(np.count_nonzero(st["flag"] & core.F_DIVERTED)),
        skipped=int(np.count_nonzero(st["status"] == core.REFUSED)),
        turned_away=int(np.count_nonzero(turned)),
        refused_daily=int(counts[:, core.C_DAILY].sum()),
        groups_moved=moved,
    )
