"""The crowd forecast on a visitor's plan.

A visitor's plan uses the flow model's forecast for the kind of day of each
date (:func:`tourplan.flow.day_type`): one default simulation per day type
and site data, run once and kept in memory and on disk
(:func:`day_type_forecast`), so that a plan never waits for a simulation
once the forecasts are warm (:func:`warm_forecasts`).

:class:`TripCrowd` is the planner's crowd hook (see
:class:`tourplan.flow.CrowdHook`) for a whole trip: each day uses the
forecast of its day type; with ``avoid=True`` the optimizer prefers the
quieter time slots, otherwise the forecast is only shown.
:func:`peak_day_warnings` says what to do on a peak day.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan._parse import fmt_time
from tourplan.flow.alerts import tier
from tourplan.flow.calendar import day_type
from tourplan.flow.forecast import CrowdAdjustment, CrowdForecast, CrowdQuery
from tourplan.messages import Message, Name

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from tourplan.flow._types import FloatArray
    from tourplan.graph import SiteGraph
    from tourplan.site import Site, SiteTable

__all__ = [
    "CROWDED_TIERS",
    "PEAK_DAY_TYPES",
    "CrowdAt",
    "TripCrowd",
    "clear_forecasts",
    "day_type_forecast",
    "peak_day_warnings",
    "warm_forecasts",
]

#: Day types on which the plan warns and avoids crowds by default.
PEAK_DAY_TYPES: frozenset[str] = frozenset({"golden_week", "public_holiday"})
#: A representative date per day type: the simulation's opening hours and
#: sunset are those of this date (early October for the peak days).
_TYPICAL_DATE: dict[str, dt.date] = {
    "weekday": dt.date(2026, 10, 14),
    "weekend": dt.date(2026, 10, 17),
    "public_holiday": dt.date(2026, 9, 26),
    "golden_week": dt.date(2026, 10, 3),
}
#: Bump when the simulation or the cached form changes, so old files are not read.
_CACHE_FORMAT = 1

_KIND_NAMES: dict[str, Name] = {
    "golden_week": Name("黄金周假期", "Golden Week holiday"),
    "public_holiday": Name("法定节假日", "public holiday"),
}

#: The forecast tiers at which a plan tells the visitor a stop will be crowded or full (90 % of C0 and above)
#: and offers to plan again avoiding crowds (the web's button, the command line's tip).
CROWDED_TIERS: frozenset[str] = frozenset({"orange", "red"})
#: The share of C0 from which a visit counts as crowded (the lowest alert tier, LB/T 034-2014's 80 %).
_CROWDED = 0.8

_LOCK = threading.Lock()
_MEMORY: dict[tuple[str, str], CrowdForecast] = {}
_FINGERPRINTS: dict[tuple[int, int], tuple[SiteTable, SiteGraph, str]] = {}


@dataclass(frozen=True, slots=True)
class CrowdAt:
    """Expected crowding at a stop: tier, whole percent of C0 and the time it is for."""

    level: str
    pct: int
    at: str

    def to_dict(self) -> dict[str, Any]:
        """``{"level", "pct", "at"}`` (JSON-ready)."""
        return {"level": self.level, "pct": self.pct, "at": self.at}

    def __str__(self) -> str:
        return f"{self.pct} % of capacity at {self.at} ({self.level})"


def _fingerprint(sites: SiteTable, graph: SiteGraph) -> str:
    """The data version the forecast depends on (site table, graph, planner code), the same in every process.

    :func:`tourplan.flow.diskcache.data_version`, kept per table and graph
    object so that a plan does not hash the table again.
    """
    from tourplan.flow.diskcache import data_version

    got = _FINGERPRINTS.get((id(sites), id(graph)))
    if got is not None and got[0] is sites and got[1] is graph:
        return got[2]
    digest = data_version(sites, graph)[:16]
    _FINGERPRINTS[(id(sites), id(graph))] = (sites, graph, digest)
    return digest


def _cache_dir() -> Path | None:
    """``$TOURPLAN_CACHE_DIR`` (an empty value: no disk cache), else the user's cache folder's ``tourplan``."""
    if os.environ.get("TOURPLAN_CACHE_DIR") == "":
        return None
    from tourplan.flow.diskcache import cache_dir

    return cache_dir().parent


def day_type_forecast(kind: str, sites: SiteTable, graph: SiteGraph) -> CrowdForecast:
    """The default forecast of a day type for this site data (simulated once, then cached).

    Cached per (site data, day type) in this process and as JSON in
    ``$TOURPLAN_CACHE_DIR`` (default ``~/.cache/tourplan``; an empty value
    turns the disk cache off).  The simulation takes several seconds, so
    call :func:`warm_forecasts` when a server starts.
    """
    key = (_fingerprint(sites, graph), kind)
    got = _MEMORY.get(key)
    if got is not None:
        return got
    with _LOCK:
        got = _MEMORY.get(key)
        if got is not None:
            return got
        folder = _cache_dir()
        path = None if folder is None else folder / f"forecast-v{_CACHE_FORMAT}-{key[0]}-{kind}.json"
        forecast = None
        if path is not None and path.is_file():
            try:
                forecast = CrowdForecast.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                forecast = None
        if forecast is None:
            from tourplan.flow import Scenario, simulate  # here: a cached forecast needs no simulation code

            result = simulate(Scenario(date=_TYPICAL_DATE[kind], day_type=kind), sites, graph, seed=0)
            forecast = CrowdForecast.from_result(result)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(f".{os.getpid()}.tmp")
                    tmp.write_text(json.dumps(forecast.to_dict()), encoding="utf-8")
                    tmp.replace(path)
                except OSError:
                    pass
        # The forecast stands for every date of its day type.
        forecast = CrowdForecast(
            forecast.ratio, forecast.wait, forecast.slot_minutes, forecast.day_start, None
        )
        _MEMORY[key] = forecast
        return forecast


def warm_forecasts(sites: SiteTable, graph: SiteGraph, kinds: Iterable[str] = tuple(_TYPICAL_DATE)) -> None:
    """Compute (or load) the forecast of every day type ahead of the first plan."""
    for kind in kinds:
        day_type_forecast(kind, sites, graph)


def clear_forecasts() -> None:
    """Forget the in-memory forecasts (the disk cache stays)."""
    with _LOCK:
        _MEMORY.clear()
        _FINGERPRINTS.clear()


class TripCrowd:
    """The crowd hook of a trip: each day uses the forecast of its day type.

    Parameters
    ----------
    forecasts
        Day type -> forecast (:func:`day_type_forecast`).
    avoid
        Steer visits to quieter slots (:meth:`CrowdForecast.adjust`); when
        false the forecast is only reported (:meth:`at`).
    """

    def __init__(self, forecasts: dict[str, CrowdForecast], *, avoid: bool) -> None:
        self.forecasts = forecasts
        self.avoid = avoid

    @classmethod
    def for_dates(
        cls, dates: Sequence[dt.date], sites: SiteTable, graph: SiteGraph, *, avoid: bool
    ) -> TripCrowd:
        """The hook for a trip on these dates."""
        kinds = {day_type(d) for d in dates}
        return cls({k: day_type_forecast(k, sites, graph) for k in kinds}, avoid=avoid)

    def _forecast(self, date: dt.date) -> CrowdForecast | None:
        return self.forecasts.get(day_type(date))

    def adjust(self, query: CrowdQuery) -> CrowdAdjustment:
        """Per day type, :meth:`CrowdForecast.adjust` on that type's days; a site keeps its best factor."""
        out = np.array(query.scores, dtype=np.float64)
        windows = dict(query.route_windows)
        if not self.avoid:
            return CrowdAdjustment(out, windows)
        factor: FloatArray | None = None
        ones = np.ones_like(out)
        dates = query.dates
        for kind, forecast in self.forecasts.items():
            part = {
                k: w
                for k, w in query.route_windows.items()
                if k[0] < len(dates) and day_type(dates[k[0]]) == kind
            }
            if not part:
                continue
            got = forecast.adjust(query._replace(scores=ones, route_windows=part))
            windows.update(got.route_windows)
            factor = got.scores if factor is None else np.maximum(factor, got.scores)
        if factor is not None:
            out *= factor
        return CrowdAdjustment(out, windows)

    def at(self, site_id: str, start_minutes: float, date: dt.date) -> CrowdAt | None:
        """Expected crowding of a visit starting at ``start_minutes`` (``None`` when the site has no C0)."""
        share = self._share(site_id, start_minutes, date)
        if share is None:
            return None
        pct = int(share * 100 + 1e-9)
        return CrowdAt(tier(pct), pct, fmt_time(start_minutes))

    def label(self, site_id: str, start_minutes: float, date: dt.date) -> str | None:
        """The crowding as text (see :class:`CrowdAt`)."""
        got = self.at(site_id, start_minutes, date)
        return None if got is None else str(got)

    def _share(self, site_id: str, start_minutes: float, date: dt.date) -> float | None:
        forecast = self._forecast(date)
        if forecast is None or site_id not in forecast.ratio:
            return None
        return float(forecast.ratio_at(site_id, start_minutes))

    def share_at(self, site_id: str, start_minutes: float, date: dt.date) -> float:
        """Expected share of C0 at a site when a visit starts (0 when unknown)."""
        return self._share(site_id, start_minutes, date) or 0.0

    def peak_time(self, site_id: str, date: dt.date) -> int:
        """Minutes after midnight of the slot where a site is fullest (the forecast's day start when unknown)."""
        forecast = self._forecast(date)
        if forecast is None:
            return 0
        r = forecast.ratio.get(site_id)
        j = 0 if r is None or not r.size else int(np.argmax(r))
        return forecast.day_start + j * forecast.slot_minutes

    def busiest(self, site_id: str, date: dt.date) -> float:
        """Highest expected share of C0 at a site over the day (0 when unknown)."""
        forecast = self._forecast(date)
        r = None if forecast is None else forecast.ratio.get(site_id)
        return 0.0 if r is None or not r.size else float(r.max())


def _quieter(
    busiest: Site, planned: Sequence[Site], sites: SiteTable, crowd: TripCrowd, date: dt.date
) -> Site | None:
    """The most popular sight of ``busiest``'s category, not on the plan, below half its capacity all day."""
    on_plan = {s.id for s in planned}
    quiet = [
        s
        for s in sites
        if s.category == busiest.category
        and s.id not in on_plan
        and s.capacity_instant > 0
        and crowd.busiest(s.id, date) < 0.5
    ]
    return max(quiet, key=lambda s: s.popularity) if quiet else None


def _needs_booking(text: str) -> bool:
    low = text.lower()
    if "no booking" in low or "无需预约" in text or "不需预约" in text:
        return False
    return "booking required" in low or "book ahead" in low or "需预约" in text or "须预约" in text


def peak_day_warnings(
    dates: Sequence[dt.date],
    stops_by_day: Sequence[Sequence[tuple[str, float]]],
    sites: SiteTable,
    crowd: TripCrowd | None,
) -> list[Message]:
    """The peak-day warning for each peak day of the trip.

    ``stops_by_day`` holds each day's planned visits as (site id, start in
    minutes).  The message (code ``peak_day``) says to go early and names
    the planned sites whose data says tickets must be booked ahead.  Its
    crowd advice is about the planned visits, at their planned times:
    ``busiest`` is the visit expected at 80 % of capacity or more (the
    fullest one), with a quieter sight of the same category that is not on
    the plan (``alternative``, when the forecast knows one); when every
    visit is below 80 % but a planned site fills up at another hour of the
    day, ``timed`` names it with that hour and the planned arrival, so the
    visitor knows to keep to the times.
    """
    out: list[Message] = []
    for k, date in enumerate(dates):
        kind = day_type(date)
        if kind not in PEAK_DAY_TYPES:
            continue
        visits = [(sites[sid], start) for sid, start in stops_by_day[k] if sid in sites]
        planned = [site for site, _ in visits]
        book = [
            Name(s.name_zh, s.name_en)
            for s in planned
            if _needs_booking(" ".join((s.note, s.ticket_source, s.source)))
        ]
        busiest = None
        alternative = None
        timed = None
        if crowd is not None and visits:
            at_visit = [(site, start, crowd.share_at(site.id, start, date)) for site, start in visits]
            fullest, _, share = max(at_visit, key=lambda v: v[2])
            if share >= _CROWDED:
                busiest = fullest
                alternative = _quieter(busiest, planned, sites, crowd, date)
            else:
                peaks = [(crowd.busiest(site.id, date), site, start) for site, start in visits]
                peak, site, start = max(peaks, key=lambda p: p[0])
                if peak >= _CROWDED:
                    timed = {
                        "site": Name(site.name_zh, site.name_en),
                        "peak_at": fmt_time(crowd.peak_time(site.id, date)),
                        "peak_pct": int(peak * 100 + 1e-9),
                        "visit_at": fmt_time(start),
                    }
        params: dict[str, Any] = {
            "date": date.isoformat(),
            "day": k + 1,
            "day_type": kind,
            "kind": _KIND_NAMES[kind],
            "book_ahead": book,
            "busiest": None if busiest is None else Name(busiest.name_zh, busiest.name_en),
            "alternative": None if alternative is None else Name(alternative.name_zh, alternative.name_en),
            "alternative_id": None if alternative is None else alternative.id,
            "timed": timed,
        }
        out.append(Message("peak_day", params))
    return out
