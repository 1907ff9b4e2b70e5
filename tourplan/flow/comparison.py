"""Two runs of one day side by side: as planned, and with countermeasures.

:func:`compare` takes two :class:`~tourplan.flow.FlowResult` of the same day
and sites (typically the same scenario and seed, once without and once with
:class:`~tourplan.flow.Measures`) and returns a :class:`Comparison`: alerts,
episodes, queues and waits of each, what the measures did, and for every
episode of the first run the tier it still reaches in the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.errors import RequestValidationError
from tourplan.flow.alerts import SEVERITY, TIERS, pct_of, tier

if TYPE_CHECKING:
    from tourplan.flow.alerts import Episode
    from tourplan.flow.result import FlowResult

__all__ = ["Comparison", "compare", "run_summary"]


def run_summary(r: FlowResult) -> dict[str, Any]:
    """The figures a side-by-side view shows for one run (people and minutes as whole numbers).

    ``queue_people_minutes`` is the time spent queueing at gates summed
    over everyone; ``mean_wait_minutes`` is that over the admissions (Little's
    law); ``max_queue`` the longest slot-mean queue at one site.
    """
    alerts = {name: 0 for name in TIERS[1:]}
    for a in r.alerts:
        alerts[a.level] += 1
    eps = r.episodes()
    by_level = {name: 0 for name in TIERS[1:]}
    for e in eps:
        by_level[e.level] += 1
    queue_minutes = float(r.queue.sum()) * r.slot_minutes
    visits = int(r.daily_visits.sum())
    m = r.measures
    return {
        "visitors": r.visitors,
        "finished": r.finished,
        "inside_at_end": r.inside_at_end,
        "turned_away": m.turned_away,
        "visits": visits,
        "alerts": alerts,
        "episodes": by_level,
        "max_pct": int(max((e.peak_pct for e in eps), default=0)),
        "max_queue": round(float(r.queue.max())) if r.queue.size else 0,
        "queue_people_minutes": round(queue_minutes),
        "mean_wait_minutes": round(queue_minutes / visits, 1) if visits else 0.0,
        "max_mean_wait_minutes": round(float(np.nanmax(np.r_[r.mean_wait.ravel(), 0.0]))),
        "balked": int(r.balked.sum()),
        "shifted": m.shifted,
        "shift_minutes": round(m.shift_minutes, 1),
        "diverted": m.diverted,
        "skipped": m.skipped,
    }


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two runs of one day: ``planned`` (as planned) and ``measured`` (with measures)."""

    planned: FlowResult
    measured: FlowResult

    def after(self, e: Episode) -> tuple[str, int]:
        """The worst tier and whole percent the measured run reaches at ``e``'s site during ``e``."""
        r = self.measured
        i = r.index(e.site_id)
        a = (e.start - r.day_start) // r.slot_minutes
        b = (e.end - r.day_start) // r.slot_minutes
        c0 = int(r.capacity_instant[i])
        peak = int(r.load[i, a:b].max()) if b > a else 0
        pct = pct_of(peak, c0)
        return tier(pct), pct

    def episodes(self) -> list[dict[str, Any]]:
        """The planned run's episodes, each with ``after`` (tier in the measured run) and ``after_pct``."""
        rows = []
        for e in self.planned.episodes():
            level, pct = self.after(e)
            rows.append(
                {
                    **e.to_dict(),
                    "after": level,
                    "after_pct": pct,
                    "removed": SEVERITY[level] < SEVERITY[e.level],
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``planned`` and ``measured`` summaries, ``measures``, ``episodes``.

        ``removed`` counts the planned episodes whose tier the measures
        lowered; ``new_episodes`` the measured run's episodes at sites and
        times with none before (e.g. where diverted visitors went).
        """
        eps = self.episodes()
        planned_spans = {(e.site_id, t) for e in self.planned.episodes() for t in range(e.start, e.end)}
        new = [
            e.to_dict()
            for e in self.measured.episodes()
            if not any(
                (e.site_id, t) in planned_spans for t in range(e.start, e.end, self.measured.slot_minutes)
            )
        ]
        return {
            "date": self.planned.scenario.date.isoformat(),
            "seed": self.planned.seed,
            "planned": run_summary(self.planned),
            "measured": run_summary(self.measured),
            "measures": {**self.measured.scenario.measures.to_dict(), **self.measured.measures.to_dict()},
            "removed": sum(1 for e in eps if e["removed"]),
            "episodes": eps,
            "new_episodes": new,
        }


def compare(planned: FlowResult, measured: FlowResult) -> Comparison:
    """Put two runs of the same day and sites side by side.

    Raises
    ------
    RequestValidationError
        When the runs are of different dates, sites or time axes.
    """
    a, b = planned, measured
    if (a.scenario.date, a.site_ids, a.day_start, a.slot_minutes, a.n_slots) != (
        b.scenario.date,
        b.site_ids,
        b.day_start,
        b.slot_minutes,
        b.n_slots,
    ):
        raise RequestValidationError(
            {"measured": "expected a run of the same date, sites, day start and slots as the planned run"}
        )
    return Comparison(planned, measured)
