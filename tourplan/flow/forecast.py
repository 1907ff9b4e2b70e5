"""Crowd-aware planning: the planner's crowd hook and the forecast that implements it.

The itinerary planner takes an optional ``crowd`` hook (see
:func:`tourplan.itinerary.plan_itinerary`), any object of the
:class:`CrowdHook` protocol.  :class:`CrowdForecast`, built from a
:class:`~tourplan.flow.FlowResult` or loaded from JSON, is the one that
steers visits away from crowded slots.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from tourplan.errors import RequestValidationError

if TYPE_CHECKING:
    from tourplan.flow._types import FloatArray
    from tourplan.flow.result import FlowResult

__all__ = ["CrowdAdjustment", "CrowdForecast", "CrowdHook", "CrowdQuery", "RouteWindows"]

#: Allowed visit starts per ``(route, node)``: the planner's ``route_windows``.
RouteWindows = Mapping[tuple[int, int], tuple[tuple[float, float], ...]]


class CrowdAdjustment(NamedTuple):
    """What a crowd hook gives back: new scores and new visit windows."""

    scores: FloatArray
    route_windows: dict[tuple[int, int], tuple[tuple[float, float], ...]]


class CrowdQuery(NamedTuple):
    """What the itinerary planner hands its crowd hook.

    Attributes
    ----------
    nodes
        Site id (or place key) of each node of the problem.
    scores, service
        Value and visit minutes per node.
    route_windows
        Allowed visit starts per ``(day index, node index)``.
    dates
        The date of each day index.
    """

    nodes: Sequence[str]
    scores: FloatArray
    service: FloatArray
    route_windows: RouteWindows
    dates: Sequence[dt.date]


class CrowdHook(Protocol):
    """What the itinerary planner asks of its ``crowd`` argument.

    Both methods are pure: :meth:`adjust` returns new scores and windows and
    leaves the planner's arrays and mappings as they were.
    """

    def adjust(self, query: CrowdQuery) -> CrowdAdjustment:
        """Scores and visit windows for the optimizer, from the planner's (a :class:`CrowdQuery`).

        Returns
        -------
        CrowdAdjustment
            The scores and the windows to build the problem from (new objects).
        """
        ...

    def label(self, site_id: str, start_minutes: float, date: dt.date) -> str | None:
        """Text shown with a visit (e.g. the expected crowd), or ``None``."""
        ...


@dataclass(frozen=True, eq=False)
class CrowdForecast:
    """Expected crowding per site and slot, for crowd-aware itineraries.

    A :class:`CrowdHook` for :func:`tourplan.itinerary.plan_itinerary`:
    :meth:`adjust` and :meth:`label`.

    Parameters
    ----------
    ratio
        ``site_id -> visitors inside / C0`` per slot (peak of the slot).
    wait
        ``site_id -> mean queueing minutes`` per slot.
    slot_minutes, day_start
        The time axis: slot ``j`` starts at ``day_start + j * slot_minutes``.
    date
        The day the forecast is for; ``None`` applies it to any date.
    quiet
        Share of C0 up to which a visit keeps its full value.
    strength
        Value lost at 100 % of C0 and above (before queueing time).
    slack
        Visit starts whose value factor is within ``slack`` of the best
        feasible one are kept; the others are removed from the windows, so
        the optimizer visits when it is less crowded.
    """

    ratio: Mapping[str, FloatArray]
    wait: Mapping[str, FloatArray]
    slot_minutes: int = 15
    day_start: int = 6 * 60
    date: dt.date | None = None
    quiet: float = 0.5
    strength: float = 0.6
    slack: float = 0.1

    @classmethod
    def from_result(cls, result: FlowResult, **kwargs: Any) -> CrowdForecast:
        """Forecast from a simulation (its date, peak share of C0 and mean waits)."""
        r = result.ratio()
        ratio = {sid: r[i] for i, sid in enumerate(result.site_ids) if result.capacity_instant[i] > 0}
        wait = {sid: np.nan_to_num(result.mean_wait[i]) for i, sid in enumerate(result.site_ids)}
        return cls(ratio, wait, result.slot_minutes, result.day_start, result.scenario.date, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (round-trips through :meth:`from_dict`)."""
        return {
            "slot_minutes": self.slot_minutes,
            "day_start": self.day_start,
            "date": None if self.date is None else self.date.isoformat(),
            "ratio": {k: [round(float(x), 4) for x in v] for k, v in self.ratio.items()},
            "wait": {k: [round(float(x), 2) for x in v] for k, v in self.wait.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrowdForecast:
        """Load a forecast saved with :meth:`to_dict`."""
        try:
            date = None if data.get("date") is None else dt.date.fromisoformat(str(data["date"]))
            return cls(
                {str(k): np.asarray(v, dtype=np.float64) for k, v in data["ratio"].items()},
                {str(k): np.asarray(v, dtype=np.float64) for k, v in data.get("wait", {}).items()},
                int(data.get("slot_minutes", 15)),
                int(data.get("day_start", 360)),
                date,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RequestValidationError({"forecast": f"expected ratio/wait per site: {exc}"}) from None

    def _applies(self, date: dt.date) -> bool:
        return self.date is None or self.date == date

    def _slot(self, minute: float) -> int:
        return int((minute - self.day_start) // self.slot_minutes)

    def ratio_at(self, site_id: str, minute: float) -> float:
        """Share of C0 expected at a site at a time (0 when unknown)."""
        r = self.ratio.get(site_id)
        j = self._slot(minute)
        if r is None or not 0 <= j < r.shape[0]:
            return 0.0
        return float(r[j])

    def wait_at(self, site_id: str, minute: float) -> float:
        """Expected queueing minutes at a site at a time."""
        w = self.wait.get(site_id)
        j = self._slot(minute)
        if w is None or not 0 <= j < w.shape[0]:
            return 0.0
        return float(w[j])

    def factor(self, site_id: str, start: float, service: float) -> float:
        """Value kept by a visit starting at ``start`` (1 = quiet).

        The crowding is the mean share of C0 over the slots the visit covers;
        value falls linearly from ``quiet`` to 100 % by ``strength``, and is
        further scaled by ``service / (service + expected wait)``.
        """
        r = self.ratio.get(site_id)
        if r is None:
            return 1.0
        j0 = self._slot(start)
        j1 = self._slot(start + max(service, 1.0) - 1e-9)
        lo, hi = max(j0, 0), min(j1, r.shape[0] - 1)
        crowd = float(r[lo : hi + 1].mean()) if hi >= lo else 0.0
        c = min(max((crowd - self.quiet) / max(1.0 - self.quiet, 1e-9), 0.0), 1.0)
        wait = self.wait_at(site_id, start)
        svc = max(service, 1.0)
        return (1.0 - self.strength * c) * svc / (svc + wait)

    def adjust(self, query: CrowdQuery) -> CrowdAdjustment:
        """Lower the value of crowded sites and steer visits to quieter slots.

        For each site and day the visit starts allowed by ``route_windows``
        are scanned slot by slot.  The site's score is multiplied by the best
        value factor (:meth:`factor`) it can reach, and its windows are cut to
        the starts within ``slack`` of that best, so the optimizer can only
        place the visit at a less crowded time.

        Returns
        -------
        CrowdAdjustment
            The adjusted scores (a new array) and windows (a new dict with
            the cut windows; the other entries as given).

        Examples
        --------
        >>> f = CrowdForecast({"a": np.array([1.0, 0.0])}, {"a": np.zeros(2)}, 60, 600)
        >>> wins = {(0, 0): ((600.0, 720.0),)}
        >>> f.adjust(CrowdQuery(["a"], np.array([2.0]), np.array([30.0]), wins, [dt.date(2026, 5, 12)]))
        CrowdAdjustment(scores=array([2.]), route_windows={(0, 0): ((660.0, 720.0),)})
        >>> wins
        {(0, 0): ((600.0, 720.0),)}
        """
        nodes, scores, service, route_windows, dates = query
        out = np.array(scores, dtype=np.float64)
        windows = dict(route_windows)
        step = float(self.slot_minutes)
        best_by_node: dict[int, float] = {}
        for (r, idx), wins in route_windows.items():
            if r >= len(dates) or not self._applies(dates[r]) or idx >= len(nodes):
                continue
            sid = nodes[idx]
            if sid not in self.ratio or not wins:
                continue
            svc = float(service[idx])
            cands: list[tuple[float, float, float]] = []  # (piece start, piece end, factor)
            for lo, hi in wins:
                j0 = math.floor((lo - self.day_start) / step) + 1
                cuts = [lo]
                x = self.day_start + j0 * step
                while x < hi:
                    cuts.append(x)
                    x += step
                cuts.append(hi)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                    cands.append((a, b, self.factor(sid, a, svc)))
            if not cands:
                continue
            best = max(f for _, _, f in cands)
            keep = [(a, b) for a, b, f in cands if f >= best - self.slack]
            merged: list[tuple[float, float]] = []
            for a, b in keep:
                if merged and a <= merged[-1][1] + 1e-9:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            windows[(r, idx)] = tuple(merged)
            best_by_node[idx] = max(best_by_node.get(idx, 0.0), best)
        for idx, best in best_by_node.items():
            out[idx] *= best
        return CrowdAdjustment(out, windows)

    def label(self, site_id: str, start_minutes: float, date: dt.date) -> str | None:
        """Expected crowd text for a visit, e.g. ``"busy (85 %)"``; ``None`` when unknown."""
        if not self._applies(date) or site_id not in self.ratio:
            return None
        r = self.ratio_at(site_id, start_minutes)
        w = self.wait_at(site_id, start_minutes)
        if r >= 0.999:
            return f"very busy — queue ~{round(w)} min" if w >= 1 else "full (100 %)"
        if r >= 0.8:
            return f"busy ({round(r * 100)} %)"
        if r >= 0.5:
            return f"moderate ({round(r * 100)} %)"
        return "quiet"
