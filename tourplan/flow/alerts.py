"""Warning tiers, alert slots and alert episodes (LB/T 034-2014).

One function, :func:`tier`, turns a whole percent of the instantaneous
capacity C0 into a tier code: ``"red"`` over 100 %, ``"orange"`` from 90 %
up to 100 %, ``"yellow"`` from 80 % (the 80/90/100 % tiers of Lianyungang
海上云台山, lyg.bendibao.com/jieri/2023423/14419.shtm), ``"normal"`` below.
Alerts, episodes and the flow map's colours all take it of the same whole
percent (:func:`pct_of`, rounded down), so a site is red on the map exactly
when its alert is red.

The share is of the people *at* the site: those inside plus those queueing
at its gate (the ``load`` of a :class:`~tourplan.flow.FlowResult`).  The
simulation never lets more than C0 inside, so 100 % is a full site and red
means more people at it than it holds: a queue at the gate.  The share is
not capped and says how far demand exceeds C0.

An :class:`Alert` is one slot of one site at or above 80 %; an
:class:`Episode` is a run of consecutive alert slots of one site, with its
worst tier and peak, ranked by severity x duration (:func:`find_episodes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.itinerary import fmt_time

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.flow._types import FloatArray, IntArray

__all__ = [
    "ALERT_LEVELS",
    "SEVERITY",
    "TIERS",
    "Alert",
    "Episode",
    "find_episodes",
    "pct_of",
    "tier",
    "tier_alerts",
]

ALERT_LEVELS: tuple[tuple[float, str], ...] = ((1.0, "red"), (0.9, "orange"), (0.8, "yellow"))
"""LB/T 034-2014 warning tiers, worst first: share of C0 and level name (red is *over* its share)."""
TIERS: tuple[str, ...] = ("normal", "yellow", "orange", "red")
"""Tier codes from the lowest; :data:`SEVERITY` is the index."""
SEVERITY: dict[str, int] = {name: k for k, name in enumerate(TIERS)}
"""Severity weight of a tier (normal 0, yellow 1, orange 2, red 3)."""
_EPS = 1e-7


def tier(pct: float) -> str:
    """Tier code of a share of instantaneous capacity in percent (give the whole percent of :func:`pct_of`).

    Red over 100 %, orange from 90 % to 100 %, yellow from 80 %, normal below.

    Examples
    --------
    >>> [tier(p) for p in (79, 80, 89, 90, 99, 100, 101, 143)]
    ['normal', 'yellow', 'yellow', 'orange', 'orange', 'orange', 'red', 'red']
    """
    red, orange, yellow = (100.0 * share for share, _ in ALERT_LEVELS)
    if pct > red:
        return "red"
    if pct >= orange:
        return "orange"
    if pct >= yellow:
        return "yellow"
    return "normal"


def pct_of(people: float, capacity: float) -> int:
    """Whole percent of ``capacity``, rounded down; 0 when C0 is 0.

    Examples
    --------
    >>> pct_of(1430, 1000), pct_of(999, 1000), pct_of(5, 0)
    (143, 99, 0)
    """
    if capacity <= 0:
        return 0
    return math.floor(100.0 * people / capacity + _EPS)


@dataclass(frozen=True)
class Alert:
    """A site (or a parent area) at or above a warning tier in one slot.

    ``ratio`` is the peak number of people at the site (inside plus
    queueing) over C0 and is not capped at 1; ``level`` is :func:`tier` of
    its whole percent.  ``scope`` is ``"site"`` (the
    site alone against its C0) or ``"area"`` (a parent area with all its
    parts against the parent's C0; ``site_id`` is then the parent's id).
    """

    site_id: str
    slot_start: int
    level: str
    ratio: float
    queue: float
    scope: str = "site"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``slot_start`` is local time, Asia/Shanghai; ``queue`` in whole people)."""
        return {
            "site_id": self.site_id,
            "scope": self.scope,
            "slot_start": fmt_time(self.slot_start),
            "level": self.level,
            "ratio": round(self.ratio, 3),
            "pct": math.floor(100.0 * self.ratio + _EPS),
            "queue": round(self.queue),
        }


def tier_alerts(
    ids: Sequence[str], load: IntArray, queue: FloatArray, cap: IntArray, t0: int, slot: int, scope: str
) -> list[Alert]:
    """Alerts for every row and slot whose peak load is at least 80 % of C0, at the :func:`tier` of it."""
    alerts: list[Alert] = []
    capf = cap.astype(np.float64)
    for i in (int(x) for x in np.flatnonzero(cap > 0)):
        r = load[i] / capf[i]
        for j in np.flatnonzero(r >= ALERT_LEVELS[-1][0] - _EPS / 100):
            level = tier(pct_of(int(load[i, j]), int(cap[i])))
            alerts.append(Alert(ids[i], int(t0 + j * slot), level, float(r[j]), float(queue[i, j]), scope))
    alerts.sort(key=lambda a: (a.slot_start, a.site_id))
    return alerts


@dataclass(frozen=True)
class Episode:
    """Consecutive alert slots of one site: when, how bad, how long.

    Attributes
    ----------
    site_id, scope
        As in :class:`Alert`.
    level
        The worst tier reached.
    start, end
        First slot's start and last slot's end, minutes after midnight (local time).
    peak, peak_at
        Most people at the site (inside plus queueing) and the start of that slot.
    peak_pct
        ``peak`` as a whole percent of ``capacity_instant`` (not capped).
    capacity_instant
        The site's (or the parent area's) C0.
    max_queue
        Most people queueing at the gate, slot mean.
    """

    site_id: str
    scope: str
    level: str
    start: int
    end: int
    peak: int
    peak_at: int
    peak_pct: int
    capacity_instant: int
    max_queue: int

    @property
    def duration(self) -> int:
        """Minutes from start to end."""
        return self.end - self.start

    @property
    def score(self) -> int:
        """Severity x duration: the tier's weight (:data:`SEVERITY`) times minutes."""
        return SEVERITY[self.level] * self.duration

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; times are local clock times (Asia/Shanghai, ``HH:MM``)."""
        return {
            "site_id": self.site_id,
            "scope": self.scope,
            "level": self.level,
            "start": fmt_time(self.start),
            "end": fmt_time(self.end),
            "duration_minutes": self.duration,
            "peak_pct": self.peak_pct,
            "peak": self.peak,
            "peak_at": fmt_time(self.peak_at),
            "capacity_instant": self.capacity_instant,
            "max_queue": self.max_queue,
            "score": self.score,
        }


def find_episodes(
    ids: Sequence[str], load: IntArray, queue: FloatArray, cap: IntArray, t0: int, slot: int, scope: str
) -> list[Episode]:
    """Group each row's alert slots into episodes, most severe first.

    Ranked by :attr:`Episode.score` (severity x duration), then peak share,
    then start and id, so the order is total and reproducible.

    Examples
    --------
    One site of C0 100 at 85, 120, 95 people, then quiet, then 80:

    >>> eps = find_episodes(["a"], np.array([[85, 120, 95, 10, 80, 100]]), np.zeros((1, 6)),
    ...                     np.array([100]), 600, 15, "site")
    >>> [(e.level, e.start, e.end, e.peak_pct, e.score) for e in eps]
    [('red', 600, 645, 120, 135), ('orange', 660, 690, 100, 60)]
    """
    out: list[Episode] = []
    for i in (int(x) for x in np.flatnonzero(cap > 0)):
        c0 = int(cap[i])
        hot = load[i] >= 0.8 * c0 - _EPS
        if not hot.any():
            continue
        edges = np.diff(np.r_[0, hot.astype(np.int8), 0])
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            j = int(a + np.argmax(load[i, a:b]))
            peak = int(load[i, j])
            out.append(
                Episode(
                    site_id=ids[i],
                    scope=scope,
                    level=tier(pct_of(peak, c0)),
                    start=int(t0 + a * slot),
                    end=int(t0 + b * slot),
                    peak=peak,
                    peak_at=int(t0 + j * slot),
                    peak_pct=pct_of(peak, c0),
                    capacity_instant=c0,
                    max_queue=round(float(queue[i, a:b].max())),
                )
            )
    out.sort(key=lambda e: (-e.score, -e.peak_pct, e.start, e.site_id))
    return out
