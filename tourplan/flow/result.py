"""What a simulation returns: occupancy, queues and alerts per site and per parent area.

:class:`FlowResult` holds arrivals, occupancy, queues and waits per site per
time slot, daily totals against C1, and capacity alerts at the LB/T 034
warning tiers (80 % yellow, 90 % orange, 100 % red); :class:`AreaFlow` rolls
parent areas up from their parts; :class:`PublicLoad` is the load the
study-tour planner takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tourplan.errors import RequestValidationError, UnknownSiteError
from tourplan.flow._types import FloatArray, IntArray
from tourplan.itinerary import fmt_time

if TYPE_CHECKING:
    from tourplan.flow.scenario import Scenario

__all__ = ["ALERT_LEVELS", "Alert", "AreaFlow", "FlowResult", "PublicLoad", "StopLog"]

ALERT_LEVELS: tuple[tuple[float, str], ...] = ((1.0, "red"), (0.9, "orange"), (0.8, "yellow"))
"""LB/T 034-2014 warning tiers: share of C0 and level name."""


@dataclass(frozen=True)
class Alert:
    """A site (or a parent area) at or above a warning tier in one slot.

    ``scope`` is ``"site"`` (the site alone against its C0) or ``"area"``
    (a parent area with all its parts against the parent's C0; ``site_id``
    is then the parent's id).
    """

    site_id: str
    slot_start: int
    level: str
    ratio: float
    queue: float
    scope: str = "site"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "site_id": self.site_id,
            "scope": self.scope,
            "slot_start": fmt_time(self.slot_start),
            "level": self.level,
            "ratio": round(self.ratio, 3),
            "queue": round(self.queue, 1),
        }


def tier_alerts(
    ids: Sequence[str], peak: IntArray, queue: FloatArray, cap: IntArray, t0: int, slot: int, scope: str
) -> list[Alert]:
    """Alerts at the LB/T 034 tiers for every row and slot with ``peak / cap`` at or above 80 %."""
    alerts: list[Alert] = []
    capf = cap.astype(np.float64)
    for i in (int(x) for x in np.flatnonzero(cap > 0)):
        r = peak[i] / capf[i]
        for j in np.flatnonzero(r >= ALERT_LEVELS[-1][0] - 1e-9):
            level = next(name for lim, name in ALERT_LEVELS if r[j] >= lim - 1e-9)
            alerts.append(Alert(ids[i], int(t0 + j * slot), level, float(r[j]), float(queue[i, j]), scope))
    alerts.sort(key=lambda a: (a.slot_start, a.site_id))
    return alerts


def _load_ratio(peak: FloatArray | IntArray, capacity: IntArray) -> FloatArray:
    """Peak occupancy over instantaneous capacity per row and slot (0 where C0 is 0)."""
    cap = capacity.astype(np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(cap > 0, peak / np.where(cap > 0, cap, 1.0), 0.0)
    return np.asarray(r, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class AreaFlow:
    """Parent areas rolled up from their parts (e.g. 云台山 and its gorges).

    An area's row counts the visitors at the parent site itself plus those
    at every site whose ``parent_id`` chain leads to it.  Arrays are
    ``(n_areas, n_slots)`` on the time axis of the :class:`FlowResult`.

    Attributes
    ----------
    area_ids
        The parent sites' ids.
    members
        Per area, the ids of the sites counted (the parent first).
    capacity_instant, capacity_daily
        The parent's C0 and C1, which LB/T 034 sets for the whole area.
    arrivals
        Arrivals at any member site in the slot (a visitor moving between
        parts arrives again).
    occupancy, peak, queue
        Mean and most visitors inside the area's sites (the per-minute sum
        over members, then the slot mean or maximum), mean visitors queueing.
    daily_visits
        Admissions at member sites over the day (a visitor of three
        gorges counts three times).
    visitors
        Distinct visitors admitted at least once at a member site.
    arrived
        Distinct visitors who reached a member site, including those who
        then gave up in every queue: what the area's gate counts, to
        compare with published daily visitor totals.
    balked
        Visitors who gave up in a member site's queue.
    alerts
        Slots at or above the LB/T 034 tiers against the parent's C0.
    """

    area_ids: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    capacity_instant: IntArray
    capacity_daily: IntArray
    arrivals: IntArray
    occupancy: FloatArray
    peak: IntArray
    queue: FloatArray
    daily_visits: IntArray
    visitors: IntArray
    arrived: IntArray
    balked: IntArray
    alerts: tuple[Alert, ...]

    def __len__(self) -> int:
        return len(self.area_ids)

    def index(self, area_id: str) -> int:
        """Row of an area."""
        try:
            return self.area_ids.index(area_id)
        except ValueError:
            msg = f"no parent area {area_id!r} in this result; areas: {', '.join(self.area_ids) or 'none'}"
            raise UnknownSiteError(msg) from None

    def ratio(self) -> FloatArray:
        """Peak occupancy over the parent's C0 per area and slot (0 where C0 is 0)."""
        return _load_ratio(self.peak, self.capacity_instant)

    def row(self, i: int) -> dict[str, Any]:
        """JSON-ready form of area ``i`` (the same keys as a site row of :meth:`FlowResult.to_dict`)."""
        return {
            "members": list(self.members[i]),
            "occupancy": [round(float(x), 1) for x in self.occupancy[i]],
            "peak": [int(x) for x in self.peak[i]],
            "queue": [round(float(x), 1) for x in self.queue[i]],
            "arrivals": [int(x) for x in self.arrivals[i]],
            "capacity_instant": int(self.capacity_instant[i]),
            "capacity_daily": int(self.capacity_daily[i]),
            "daily_visits": int(self.daily_visits[i]),
            "visitors": int(self.visitors[i]),
            "arrived": int(self.arrived[i]),
            "balked": int(self.balked[i]),
        }


@dataclass(frozen=True)
class StopLog:
    """Every visitor stop of a run (kept when ``keep_log=True``).

    ``status``: 0 visited, 1 closed on arrival, 2 balked at the queue,
    3 skipped by choice.  Times are minutes after midnight (NaN when not
    applicable).
    """

    visitor: IntArray
    site: IntArray
    arrive: FloatArray
    admit: FloatArray
    depart: FloatArray
    status: npt.NDArray[np.int8]
    visitor_start: FloatArray
    visitor_end: FloatArray


class PublicLoad(Mapping[str, FloatArray]):
    """Visitors inside each site per slot: ``site_id -> counts`` plus the time axis.

    Attributes
    ----------
    slot_minutes
        Slot length.
    day_start
        Start of slot 0, minutes after midnight.
    """

    def __init__(self, load: Mapping[str, FloatArray], slot_minutes: int, day_start: int) -> None:
        self._load = dict(load)
        self.slot_minutes = slot_minutes
        self.day_start = day_start

    def __getitem__(self, key: str) -> FloatArray:
        return self._load[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load)

    def __len__(self) -> int:
        return len(self._load)

    @property
    def counts(self) -> dict[str, FloatArray]:
        """``site_id -> visitors per slot`` (a copy)."""
        return dict(self._load)

    def to_dict(self) -> dict[str, Any]:
        """``{counts, slot_minutes, day_start}``: what :class:`tourplan.study.PublicLoad` takes.

        Examples
        --------
        >>> PublicLoad({"a": np.array([3.0, 4.0])}, 15, 360).to_dict()
        {'counts': {'a': [3.0, 4.0]}, 'slot_minutes': 15, 'day_start': 360}
        """
        return {
            "counts": {k: [float(x) for x in v] for k, v in self._load.items()},
            "slot_minutes": self.slot_minutes,
            "day_start": self.day_start,
        }


@dataclass(frozen=True, eq=False)
class FlowResult:
    """Occupancy, queues and waits per site per slot, with totals and alerts.

    Arrays are ``(n_sites, n_slots)`` in the order of :attr:`site_ids`; slot
    ``j`` starts at ``day_start + j * slot_minutes``.

    Attributes
    ----------
    arrivals
        Visitors arriving at the site in the slot (including those who then
        balk at the queue).
    occupancy
        Mean number of visitors inside during the slot.
    peak
        Most visitors inside at any minute of the slot.
    queue
        Mean number of visitors queueing at the gate during the slot.
    mean_wait
        Mean queueing minutes of the visitors admitted who arrived in the slot.
    daily_visits
        Admissions over the day, per site.
    finished
        Visitors whose day ended (last stop left) by ``day_end``.
    inside_at_end
        Visitors still on their way or at a site at ``day_end``.
    alerts
        Site alerts (each site against its own C0).
    areas
        Parent areas rolled up from their parts, with their own alerts
        against the parent's C0 (:class:`AreaFlow`).
    """

    scenario: Scenario
    seed: int
    site_ids: tuple[str, ...]
    capacity_instant: IntArray
    capacity_daily: IntArray
    slot_minutes: int
    day_start: int
    arrivals: IntArray
    occupancy: FloatArray
    peak: IntArray
    queue: FloatArray
    mean_wait: FloatArray
    daily_visits: IntArray
    balked: IntArray
    closed: IntArray
    alerts: tuple[Alert, ...]
    visitors: int
    finished: int
    inside_at_end: int
    plans: int
    runtime: float
    plan_seconds: float
    areas: AreaFlow
    log: StopLog | None = field(default=None, repr=False)

    @property
    def n_slots(self) -> int:
        """Number of slots."""
        return int(self.occupancy.shape[1])

    @property
    def slot_starts(self) -> IntArray:
        """Start of each slot, minutes after midnight."""
        return self.day_start + self.slot_minutes * np.arange(self.n_slots, dtype=np.int64)

    def index(self, site_id: str) -> int:
        """Row of a site."""
        try:
            return self.site_ids.index(site_id)
        except ValueError:
            msg = f"no site {site_id!r} in this result"
            raise UnknownSiteError(msg) from None

    def ratio(self) -> FloatArray:
        """Peak occupancy over C0 per site and slot (0 where C0 is 0)."""
        return _load_ratio(self.peak, self.capacity_instant)

    def busiest(self, k: int = 6) -> list[str]:
        """The ``k`` sites with the highest peak share of C0 (then most visits)."""
        r = self.ratio().max(axis=1)
        order = np.lexsort((-self.daily_visits, -r))
        return [self.site_ids[i] for i in order[:k] if self.daily_visits[i] > 0]

    def public_load(self, *, areas: bool = True) -> PublicLoad:
        """Visitors inside each site per slot, for the study-tour planner.

        Parameters
        ----------
        areas
            Give a parent area's row (e.g. ``yuntai_mountain``) the whole
            area's peak (parent plus parts, :attr:`areas`), since the
            parent's C0 is set for the whole area; ``False`` gives the
            visitors at the parent site alone.

        Returns
        -------
        PublicLoad
            ``site_id -> peak visitors inside per slot`` with ``slot_minutes``
            and ``day_start``; :meth:`PublicLoad.to_dict` is the form
            :class:`tourplan.study.PublicLoad` and the study request take.
        """
        load = {sid: self.peak[i].astype(np.float64) for i, sid in enumerate(self.site_ids)}
        if areas:
            for a, aid in enumerate(self.areas.area_ids):
                load[aid] = self.areas.peak[a].astype(np.float64)
        return PublicLoad(load, self.slot_minutes, self.day_start)

    def summary(self) -> str:
        """Short human-readable description."""
        lines = [
            f"{self.scenario.date.isoformat()} ({self.scenario.kind}): {self.visitors:,} visitors, "
            f"{self.finished:,} finished, {self.inside_at_end:,} still out at {fmt_time(self.scenario.day_end)}; "
            f"{len(self.alerts)} alert slots; {self.plans} plans; {self.runtime:.2f} s "
            f"({self.plan_seconds:.2f} s planning)"
        ]
        r = self.ratio()
        for sid in self.busiest(8):
            i = self.index(sid)
            j = int(np.argmax(r[i]))
            lines.append(
                f"  {sid:32} peak {int(self.peak[i, j]):>7,} / C0 {int(self.capacity_instant[i]):>7,} "
                f"({r[i, j]:.0%}) at {fmt_time(self.day_start + j * self.slot_minutes)}; "
                f"{int(self.daily_visits[i]):,} visits / C1 {int(self.capacity_daily[i]):,}; "
                f"max queue {self.queue[i].max():.0f}, max mean wait {np.nanmax(np.r_[self.mean_wait[i], 0.0]):.0f} min"
            )
        ar = self.areas.ratio()
        for a, aid in enumerate(self.areas.area_ids):
            if self.areas.daily_visits[a] == 0:
                continue
            j = int(np.argmax(ar[a]))
            lines.append(
                f"  area {aid:27} peak {int(self.areas.peak[a, j]):>7,} / C0 {int(self.areas.capacity_instant[a]):>7,} "
                f"({ar[a, j]:.0%}) at {fmt_time(self.day_start + j * self.slot_minutes)}; "
                f"{int(self.areas.visitors[a]):,} visitors ({int(self.areas.daily_visits[a]):,} site visits) "
                f"/ C1 {int(self.areas.capacity_daily[a]):,}; {len(self.areas.members[a]) - 1} parts"
            )
        return "\n".join(lines)

    def to_dict(self, *, all_sites: bool = False, level: Literal["site", "area"] = "site") -> dict[str, Any]:
        """JSON-ready form: per site occupancy, queue and C0; parent areas; alerts; totals.

        Parameters
        ----------
        all_sites
            Keep sites nobody came to.
        level
            ``"site"``: ``sites`` has one row per site (a parent's row is the
            parent site alone).  ``"area"``: in ``sites`` a parent area's
            row is the whole area (the :attr:`areas` roll-up, against the
            parent's C0) and its parts are left out, so a flow map draws one
            marker per area.  ``areas`` and ``area_alerts`` are given either way.
        """
        if level not in ("site", "area"):
            raise RequestValidationError({"level": f"expected 'site' or 'area', got {level!r}"})
        out_sites: dict[str, Any] = {}
        area_rows = {aid: a for a, aid in enumerate(self.areas.area_ids)}
        parts = {m for ms in self.areas.members for m in ms[1:]}
        for i, sid in enumerate(self.site_ids):
            if level == "area" and sid in area_rows:
                a = area_rows[sid]
                if all_sites or self.areas.daily_visits[a] > 0 or self.areas.arrivals[a].sum() > 0:
                    out_sites[sid] = {**self.areas.row(a), "scope": "area"}
                continue
            if level == "area" and sid in parts:
                continue
            if not all_sites and self.daily_visits[i] == 0 and self.arrivals[i].sum() == 0:
                continue
            out_sites[sid] = {
                "occupancy": [round(float(x), 1) for x in self.occupancy[i]],
                "peak": [int(x) for x in self.peak[i]],
                "queue": [round(float(x), 1) for x in self.queue[i]],
                "arrivals": [int(x) for x in self.arrivals[i]],
                "mean_wait": [round(float(x), 1) for x in np.nan_to_num(self.mean_wait[i])],
                "capacity_instant": int(self.capacity_instant[i]),
                "capacity_daily": int(self.capacity_daily[i]),
                "daily_visits": int(self.daily_visits[i]),
                "balked": int(self.balked[i]),
            }
        areas = self.areas
        return {
            "date": self.scenario.date.isoformat(),
            "day_type": self.scenario.kind,
            "seed": self.seed,
            "slot_minutes": self.slot_minutes,
            "day_start": fmt_time(self.day_start),
            "visitors": self.visitors,
            "finished": self.finished,
            "inside_at_end": self.inside_at_end,
            "level": level,
            "sites": out_sites,
            "areas": {aid: areas.row(a) for a, aid in enumerate(areas.area_ids)},
            "alerts": [a.to_dict() for a in self.alerts],
            "area_alerts": [a.to_dict() for a in areas.alerts],
            "daily_alerts": [
                {
                    "site_id": sid,
                    "visits": int(self.daily_visits[i]),
                    "capacity_daily": int(self.capacity_daily[i]),
                }
                for i, sid in enumerate(self.site_ids)
                if self.capacity_daily[i] > 0 and self.daily_visits[i] > self.capacity_daily[i]
            ]
            + [
                {
                    "site_id": aid,
                    "scope": "area",
                    "visits": int(areas.visitors[a]),
                    "capacity_daily": int(areas.capacity_daily[a]),
                }
                for a, aid in enumerate(areas.area_ids)
                if areas.capacity_daily[a] > 0 and areas.visitors[a] > areas.capacity_daily[a]
            ],
        }

    def to_frames(self) -> tuple[Any, Any]:
        """Tidy tables: per site and slot, and daily totals (pandas DataFrames)."""
        import pandas as pd

        s, n = self.occupancy.shape
        slots = pd.DataFrame(
            {
                "site": np.repeat(np.array(self.site_ids, dtype=object), n),
                "slot_start": np.tile([fmt_time(x) for x in self.slot_starts], s),
                "arrivals": self.arrivals.ravel(),
                "occupancy": np.round(self.occupancy.ravel(), 2),
                "peak": self.peak.ravel(),
                "queue": np.round(self.queue.ravel(), 2),
                "mean_wait": np.round(np.nan_to_num(self.mean_wait).ravel(), 2),
                "capacity_instant": np.repeat(self.capacity_instant, n),
            }
        )
        r = self.ratio()
        daily = pd.DataFrame(
            {
                "site": list(self.site_ids),
                "visits": self.daily_visits,
                "capacity_daily": self.capacity_daily,
                "daily_ratio": np.round(
                    self.daily_visits / np.where(self.capacity_daily > 0, self.capacity_daily, 1), 3
                ),
                "peak": self.peak.max(axis=1),
                "capacity_instant": self.capacity_instant,
                "peak_ratio": np.round(r.max(axis=1), 3),
                "balked": self.balked,
                "closed_on_arrival": self.closed,
            }
        )
        return slots, daily
