"""What a simulation returns: occupancy, queues and alerts per site and per parent area.

:class:`FlowResult` holds arrivals, occupancy, queues and waits per site per
time slot, daily totals against C1, and capacity alerts at the LB/T 034
warning tiers (80 % yellow, 90 % orange, 100 % red); :class:`AreaFlow` rolls
parent areas up from their parts; :class:`PublicLoad` is the load the
study-tour planner takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tourplan.errors import RequestValidationError, UnknownSiteError
from tourplan.flow._types import FloatArray, IntArray
from tourplan.flow.alerts import ALERT_LEVELS, Alert, Episode, find_episodes, pct_of, tier
from tourplan.itinerary import fmt_time

if TYPE_CHECKING:
    from tourplan.flow.scenario import Scenario

__all__ = ["ALERT_LEVELS", "Alert", "AreaFlow", "FlowResult", "MeasureOutcome", "PublicLoad", "StopLog"]

#: Clock times in a result's JSON are local times of this zone (China Standard Time, UTC+08:00).
TIMEZONE = "Asia/Shanghai"


def _load_ratio(peak: FloatArray | IntArray, capacity: IntArray) -> FloatArray:
    """People per row and slot over instantaneous capacity (0 where C0 is 0)."""
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
    load
        Most people at the area's sites at any minute of the slot: inside
        plus queueing at the members' gates (what the tiers are taken of).
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
    day_start, slot_minutes
        The time axis (as in the :class:`FlowResult`).
    """

    area_ids: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    capacity_instant: IntArray
    capacity_daily: IntArray
    arrivals: IntArray
    occupancy: FloatArray
    peak: IntArray
    queue: FloatArray
    load: IntArray
    daily_visits: IntArray
    visitors: IntArray
    arrived: IntArray
    balked: IntArray
    alerts: tuple[Alert, ...]
    day_start: int
    slot_minutes: int

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
        """Peak load (inside plus queueing) over the parent's C0 per area and slot (0 where C0 is 0)."""
        return _load_ratio(self.load, self.capacity_instant)

    def episodes(self) -> list[Episode]:
        """The areas' alert slots grouped into episodes, most severe first."""
        return find_episodes(
            self.area_ids,
            self.load,
            self.queue,
            self.capacity_instant,
            self.day_start,
            self.slot_minutes,
            "area",
        )

    def row(self, i: int) -> dict[str, Any]:
        """JSON-ready form of area ``i`` (the same keys as a site row of :meth:`FlowResult.to_dict`)."""
        return {
            "members": list(self.members[i]),
            **_series(
                self.occupancy[i], self.peak[i], self.queue[i], self.load[i], int(self.capacity_instant[i])
            ),
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
    3 skipped by choice, 5 refused by a countermeasure (quota or daily cap).  Times are minutes after midnight (NaN when not
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


def _series(
    occupancy: FloatArray, peak: IntArray, queue: FloatArray, load: IntArray, c0: int
) -> dict[str, Any]:
    """One row's per-slot series in whole people, and the load as whole percent of C0."""
    return {
        "occupancy": [round(float(x)) for x in occupancy],
        "peak": [int(x) for x in peak],
        "queue": [round(float(x)) for x in queue],
        "load": [int(x) for x in load],
        "pct": [pct_of(int(x), c0) for x in load],
        "capacity_instant": c0,
    }


@dataclass(frozen=True)
class MeasureOutcome:
    """What the countermeasures of a run did (all zero when it had none).

    Attributes
    ----------
    active
        The scenario had measures (quotas, daily caps or moved groups).
    quota_sites, capped_sites
        Sites with a timed-entry quota, with a daily cap.
    shifted
        Visits that took a later entry slot (over the slot's quota, or the
        site full at their slot).
    shift_minutes
        Mean minutes those visits were put back.
    diverted
        Visits refused at a site that went to their plan's alternative site.
    skipped
        Visits refused at a site after which the visitor went on with the
        rest of their plan.
    turned_away
        Visitors refused by a measure who got in nowhere that day.
    refused_daily
        Refusals because a site's daily cap was reached (included in
        ``diverted`` and ``skipped`` and, for their visitors, ``turned_away``).
    groups_moved
        School-group units whose start was moved (错峰).
    """

    active: bool = False
    quota_sites: int = 0
    capped_sites: int = 0
    shifted: int = 0
    shift_minutes: float = 0.0
    diverted: int = 0
    skipped: int = 0
    turned_away: int = 0
    refused_daily: int = 0
    groups_moved: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (counts of visits, except ``turned_away`` and ``groups_moved``)."""
        return {
            "active": self.active,
            "quota_sites": self.quota_sites,
            "capped_sites": self.capped_sites,
            "shifted": self.shifted,
            "shift_minutes": round(self.shift_minutes, 1),
            "diverted": self.diverted,
            "skipped": self.skipped,
            "turned_away": self.turned_away,
            "refused_daily": self.refused_daily,
            "groups_moved": self.groups_moved,
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
        balk at the queue or are refused by a measure; a visit shifted to a
        later slot arrives in that slot).
    occupancy
        Mean number of visitors inside during the slot.
    peak
        Most visitors inside at any minute of the slot.
    queue
        Mean number of visitors queueing at the gate during the slot.
    load
        Most people at the site at any minute of the slot: inside plus
        queueing.  Not bounded by C0, so ``load / C0`` says how far demand
        goes past capacity; the warning tiers are taken of it.
    mean_wait
        Mean queueing minutes of the visitors admitted who arrived in the slot.
    daily_visits
        Admissions over the day, per site.
    shifted, refused
        Per site, visits put back to a later entry slot, and visits refused
        by a quota or daily cap (zero without measures).
    entry_ids, entry_arrivals
        Entry points, and visitors starting their day at each per slot
        (booked groups are not counted).
    finished
        Visitors whose day ended (last stop left) by ``day_end``, other than
        those turned away.
    inside_at_end
        Visitors still on their way or at a site at ``day_end``.
    measures
        What the countermeasures did; ``finished + inside_at_end +
        measures.turned_away == visitors``.
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
    load: IntArray
    mean_wait: FloatArray
    daily_visits: IntArray
    balked: IntArray
    closed: IntArray
    shifted: IntArray
    refused: IntArray
    entry_ids: tuple[str, ...]
    entry_arrivals: IntArray
    alerts: tuple[Alert, ...]
    visitors: int
    finished: int
    inside_at_end: int
    measures: MeasureOutcome
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
        """Peak load (inside plus queueing) over C0 per site and slot (0 where C0 is 0; not capped at 1)."""
        return _load_ratio(self.load, self.capacity_instant)

    def busiest(self, k: int = 6) -> list[str]:
        """The ``k`` sites with the highest peak share of C0 (inside plus queueing; then most visits)."""
        r = self.ratio().max(axis=1)
        order = np.lexsort((-self.daily_visits, -r))
        return [self.site_ids[i] for i in order[:k] if self.daily_visits[i] > 0]

    def episodes(self) -> list[Episode]:
        """The site alert slots grouped into episodes per site, most severe (severity x duration) first."""
        return find_episodes(
            self.site_ids,
            self.load,
            self.queue,
            self.capacity_instant,
            self.day_start,
            self.slot_minutes,
            "site",
        )

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

    def busiest_rows(self, k: int = 10) -> list[dict[str, Any]]:
        """The :meth:`busiest` sites with their peak: ``site_id, peak_pct, peak, at, capacity_instant``."""
        r = self.ratio()
        rows = []
        for sid in self.busiest(k):
            i = self.index(sid)
            j = int(np.argmax(r[i]))
            c0 = int(self.capacity_instant[i])
            rows.append(
                {
                    "site_id": sid,
                    "peak_pct": pct_of(int(self.load[i, j]), c0),
                    "peak": int(self.load[i, j]),
                    "at": fmt_time(self.day_start + j * self.slot_minutes),
                    "capacity_instant": c0,
                    "level": tier(pct_of(int(self.load[i, j]), c0)),
                }
            )
        return rows

    def to_dict(self, *, all_sites: bool = False, level: Literal["site", "area"] = "site") -> dict[str, Any]:
        """JSON-ready form: per site series, parent areas, alerts, episodes, measures, totals.

        Numbers of people are whole numbers (slot means rounded); clock
        times (``HH:MM``) are local times on :attr:`scenario` ``.date`` in
        the zone named by the ``timezone`` key (Asia/Shanghai, UTC+08:00).

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

        Notes
        -----
        A site row holds per slot ``occupancy`` (mean inside), ``peak`` (most
        inside), ``queue`` (mean queueing), ``load`` (most inside plus
        queueing), ``pct`` (``load`` as whole percent of C0: the map colours
        a site by ``tier(pct[j])``, the same function as the alerts),
        ``arrivals`` and ``mean_wait`` (minutes); and per day
        ``capacity_instant``, ``capacity_daily``, ``daily_visits``,
        ``balked``, ``shifted`` and ``refused``.  ``episodes`` (and
        ``area_episodes``) are the alert slots grouped per site and ranked by
        severity x duration; ``busiest`` ranks sites by peak share of C0
        (not capped at 100 %); ``entries`` is the visitors starting their day
        at each entry point per slot; ``measures`` is :class:`MeasureOutcome`.
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
                **_series(
                    self.occupancy[i],
                    self.peak[i],
                    self.queue[i],
                    self.load[i],
                    int(self.capacity_instant[i]),
                ),
                "arrivals": [int(x) for x in self.arrivals[i]],
                "mean_wait": [round(float(x), 1) for x in np.nan_to_num(self.mean_wait[i])],
                "capacity_daily": int(self.capacity_daily[i]),
                "daily_visits": int(self.daily_visits[i]),
                "balked": int(self.balked[i]),
                "shifted": int(self.shifted[i]),
                "refused": int(self.refused[i]),
            }
        areas = self.areas
        return {
            "date": self.scenario.date.isoformat(),
            "timezone": TIMEZONE,
            "day_type": self.scenario.kind,
            "seed": self.seed,
            "slot_minutes": self.slot_minutes,
            "day_start": fmt_time(self.day_start),
            "visitors": self.visitors,
            "finished": self.finished,
            "inside_at_end": self.inside_at_end,
            "turned_away": self.measures.turned_away,
            "measures": self.measures.to_dict(),
            "level": level,
            "sites": out_sites,
            "areas": {aid: areas.row(a) for a, aid in enumerate(areas.area_ids)},
            "entries": {e: [int(x) for x in self.entry_arrivals[k]] for k, e in enumerate(self.entry_ids)},
            "busiest": self.busiest_rows(),
            "episodes": [e.to_dict() for e in self.episodes()],
            "area_episodes": [e.to_dict() for e in areas.episodes()],
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
                "load": self.load.ravel(),
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
                "shifted": self.shifted,
                "refused": self.refused,
            }
        )
        return slots, daily
