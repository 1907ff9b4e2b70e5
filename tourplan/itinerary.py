"""Visitor itineraries: from a visitor's wishes to an optimized day (or days).

:func:`plan_itinerary` turns an :class:`ItineraryRequest` into an
:class:`Itinerary`.  It builds a team orienteering problem with time windows
(one route per day) over the sites: each site's score is its popularity times
its match to the visitor's interests; its windows come from its OpenStreetMap
opening hours on that date (a visit must end before closing) and, outdoors in
the mountains, from sunset; a lunch stop at a food site is required on every
day that spans lunch; the pace sets visit lengths, the number of stops, and a
daily ascent limit.  The engine in :mod:`tourplan.optimize` solves it, and the
result is turned back into a timed schedule with legs and totals.

A must-see site that cannot fit is never silently dropped: the result says
why, in plain words.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tourplan._parse import parse_date
from tourplan.data import THEMES, Site, SiteTable
from tourplan.errors import (
    InfeasibleRequestError,
    PlaceNotFoundError,
    RequestValidationError,
    UnknownSiteError,
)
from tourplan.graph import MODES, Matrices, SiteGraph, hiking_minutes
from tourplan.hours import open_intervals
from tourplan.optimize import Problem, Route, Solution, VisitGroup, solve
from tourplan.optimize.polish import polish as polish_solution
from tourplan.sun import FIRST_DATE, LAST_DATE, daylight, plannable

__all__ = [
    "PACES",
    "DayPlan",
    "Itinerary",
    "ItineraryRequest",
    "Pace",
    "Place",
    "Stop",
    "TravelLeg",
    "fmt_time",
    "parse_time",
    "plan_itinerary",
    "resolve_place",
]

LUNCH_EARLIEST = 11 * 60 + 30
LUNCH_LATEST_START = 13 * 60
LUNCH_LATEST_END = 13 * 60 + 30
LUNCH_MINUTES = 50
#: A visit at least this long in a mountain area includes lunch inside the
#: area (the big scenic areas have restaurants at their service centres): it
#: counts as the day's lunch when it spans the lunch hours.
LONG_VISIT_LUNCH = 240
LONG_VISIT_LUNCH_EXTRA = 30
LONG_VISIT_LATEST_START = 11 * 60 + 45
#: Categories that are places to pass through, not to visit.
_NOT_VISITED = frozenset({"transport", "hotel"})


@dataclass(frozen=True, slots=True)
class Pace:
    """How a visitor likes to travel.

    Attributes
    ----------
    visit_factor
        Multiplies every site's typical visit length.
    max_stops
        Most sites a day (lunch not counted).
    max_ascent_m
        Most metres of climbing a day (trails and hikes).
    per_kind
        Most sites of one category a day (diminishing returns).
    buffer_min
        Slack added to each visit (toilets, photos, getting lost).
    """

    visit_factor: float
    max_stops: int
    max_ascent_m: float
    per_kind: int
    buffer_min: int


PACES: Mapping[str, Pace] = {
    "relaxed": Pace(visit_factor=1.25, max_stops=4, max_ascent_m=400, per_kind=2, buffer_min=10),
    "normal": Pace(visit_factor=1.0, max_stops=6, max_ascent_m=800, per_kind=3, buffer_min=5),
    "active": Pace(visit_factor=0.85, max_stops=8, max_ascent_m=1500, per_kind=4, buffer_min=0),
}
#: Diminishing returns: the k-th most valuable site of one category on a day counts
#: this much of its value (a property of the day's set of sites, not of their order).
DECAY = 0.75


def parse_time(value: str | int, field_name: str) -> int:
    """``"HH:MM"`` (or minutes) to minutes after midnight."""
    if isinstance(value, int):
        minutes = value
    else:
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
        if not m or int(m.group(2)) >= 60:
            msg = f"expected a time HH:MM, got {value!r}"
            raise RequestValidationError({field_name: msg})
        minutes = int(m.group(1)) * 60 + int(m.group(2))
    if not 0 <= minutes <= 24 * 60:
        raise RequestValidationError({field_name: f"expected a time from 00:00 to 24:00, got {value!r}"})
    return minutes


def fmt_time(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM`` (rounded to the minute)."""
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass(frozen=True)
class ItineraryRequest:
    """What a visitor asks for.

    Times are minutes after midnight (use :func:`parse_time` for ``HH:MM``).
    ``start``, ``end`` and ``hotel`` are site ids, ``"lat,lon"`` (WGS-84) or
    free text matched against site names.  ``locked`` pins sites to a day
    (0-based) when re-planning.
    """

    start_date: dt.date
    days: int = 1
    interests: Mapping[str, float] = field(default_factory=dict)
    day_start: int = 8 * 60 + 30
    day_end: int = 18 * 60
    start: str = "jiaozuo_station"
    end: str | None = None
    hotel: str | None = None
    pace: str = "normal"
    mode: str = "drive"
    must_see: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    ticket_budget: float | None = None
    accessible_only: bool = False
    lunch: bool = True
    walk_max_km: float = 1.5
    locked: Mapping[str, int] = field(default_factory=dict)
    time_limit: float = 0.15

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.start_date, dt.date):
            errors["date"] = f"expected a date YYYY-MM-DD, got {self.start_date!r}"
        elif not (plannable(self.start_date) and plannable(self.start_date + dt.timedelta(days=3))):
            errors["date"] = (
                f"expected a date from {FIRST_DATE} to {LAST_DATE - dt.timedelta(days=3)}, got {self.start_date}"
            )
        if not 1 <= self.days <= 4:
            errors["days"] = f"expected 1 to 4 days, got {self.days}"
        for k, v in self.interests.items():
            if k not in THEMES:
                errors["interests"] = f"unknown theme {k!r}; expected keys from {', '.join(THEMES)}"
            elif not (isinstance(v, int | float) and math.isfinite(v) and 0 <= v <= 10):
                errors["interests"] = f"weight of {k!r} must be a number from 0 to 10, got {v!r}"
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            errors["day_end"] = (
                f"the day must end after it starts (start {fmt_time(self.day_start)}, end {fmt_time(self.day_end)})"
            )
        if self.pace not in PACES:
            errors["pace"] = f"expected one of {', '.join(PACES)}, got {self.pace!r}"
        if self.mode not in MODES:
            errors["mode"] = f"expected one of {', '.join(MODES)}, got {self.mode!r}"
        if self.ticket_budget is not None and not (
            math.isfinite(self.ticket_budget) and self.ticket_budget >= 0
        ):
            errors["ticket_budget"] = f"expected a non-negative amount, got {self.ticket_budget!r}"
        if not (0 <= self.walk_max_km <= 20):
            errors["walk_max_km"] = f"expected 0 to 20 km, got {self.walk_max_km!r}"
        for sid, day in self.locked.items():
            if not 0 <= day < self.days:
                errors["locked"] = f"{sid} is locked to day {day + 1}, but the trip has {self.days} day(s)"
        if not 0.005 <= self.time_limit <= 60:
            errors["time_limit"] = f"expected 0.005 to 60 seconds, got {self.time_limit!r}"
        if set(self.must_see) & set(self.exclude):
            both = ", ".join(sorted(set(self.must_see) & set(self.exclude)))
            errors["must_see"] = f"{both} is both a must-see and excluded"
        if errors:
            raise RequestValidationError(errors)

    @property
    def dates(self) -> list[dt.date]:
        """The calendar days of the trip."""
        return [self.start_date + dt.timedelta(days=k) for k in range(self.days)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItineraryRequest:
        """Build a request from JSON-like values (strings for dates and times).

        Raises
        ------
        RequestValidationError
            Naming every bad field.
        """
        errors: dict[str, str] = {}
        kw: dict[str, Any] = {}
        known = {
            "date", "start_date", "days", "interests", "day_start", "day_end", "start", "end", "hotel",
            "pace", "mode", "must_see", "exclude", "ticket_budget", "accessible_only", "lunch",
            "walk_max_km", "locked", "time_limit",
        }  # fmt: skip
        for k in data:
            if k not in known:
                errors[k] = "unknown field"
        raw_date = data.get("date", data.get("start_date"))
        if raw_date is None:
            errors["date"] = "missing; expected a date YYYY-MM-DD"
        elif (day := parse_date(raw_date, errors)) is not None:
            kw["start_date"] = day
        for name in ("day_start", "day_end"):
            if name in data:
                try:
                    kw[name] = parse_time(data[name], name)
                except RequestValidationError as exc:
                    errors.update(exc.errors)
        for name, typ in (
            ("days", int),
            ("ticket_budget", float),
            ("walk_max_km", float),
            ("time_limit", float),
        ):
            if name in data and data[name] is not None:
                v = data[name]
                if isinstance(v, bool) or not isinstance(v, int | float | str):
                    errors[name] = f"expected a number, got {v!r}"
                    continue
                try:
                    kw[name] = typ(v)
                except (TypeError, ValueError):
                    errors[name] = f"expected a number, got {v!r}"
        for name in ("start", "end", "hotel", "pace", "mode"):
            if name in data and data[name] is not None:
                if not isinstance(data[name], str) or len(data[name]) > 200:
                    errors[name] = f"expected text of at most 200 characters, got {data[name]!r}"
                else:
                    kw[name] = data[name]
        for name in ("must_see", "exclude"):
            if name in data and data[name] is not None:
                v = data[name]
                items = v.split(",") if isinstance(v, str) else v
                if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
                    errors[name] = "expected a list of site ids"
                else:
                    kw[name] = tuple(x.strip() for x in items if x.strip())
        for name in ("accessible_only", "lunch"):
            if name in data:
                if not isinstance(data[name], bool):
                    errors[name] = f"expected true or false, got {data[name]!r}"
                else:
                    kw[name] = data[name]
        if "interests" in data:
            v = data["interests"]
            if isinstance(v, str):
                try:
                    v = parse_interests(v)
                except RequestValidationError as exc:
                    errors.update(exc.errors)
                    v = {}
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(w, int | float) and not isinstance(w, bool)
                for k, w in v.items()
            ):
                errors["interests"] = "expected an object of theme: weight"
            else:
                kw["interests"] = dict(v)
        if "locked" in data:
            v = data["locked"]
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(d, int) and not isinstance(d, bool) for k, d in v.items()
            ):
                errors["locked"] = "expected an object of site id: day index (0-based)"
            else:
                kw["locked"] = dict(v)
        if errors:
            raise RequestValidationError(errors)
        return cls(**kw)


def parse_interests(text: str) -> dict[str, float]:
    """``"mountain=1,history=0.5"`` (or ``"mountain,history"``) to weights."""
    out: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, _, val = part.partition("=")
        key = key.strip()
        try:
            out[key] = float(val) if val.strip() else 1.0
        except ValueError:
            raise RequestValidationError(
                {"interests": f"bad weight in {part!r}; expected theme=number"}
            ) from None
    return out


# ---------------------------------------------------------------------------
# Places


@dataclass(frozen=True, slots=True)
class Place:
    """A start or end point: a site, or a coordinate that is not a site."""

    key: str
    name: str
    lat: float
    lon: float
    site_id: str | None = None


_COORD_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


def resolve_place(text: str, sites: SiteTable, *, geocoder: Any = None, field_name: str = "start") -> Place:
    """Turn a site id, ``"lat,lon"`` or free text into a :class:`Place`.

    Free text is matched against site names in Chinese or English first;
    when that fails and a geopy *geocoder* is given, it is geocoded (the
    result is assumed WGS-84, as OpenStreetMap's Nominatim returns).

    Raises
    ------
    PlaceNotFoundError
        With a message that says what was tried.
    """
    text = text.strip()
    if text in sites:
        s = sites[text]
        return Place(s.id, s.name, s.lat, s.lon, s.id)
    m = _COORD_RE.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (34.0 <= lat <= 36.5 and 112.0 <= lon <= 115.0):
            msg = f"{field_name}: the point {lat},{lon} is not near Jiaozuo (expected WGS-84 lat,lon)"
            raise PlaceNotFoundError(msg)
        return Place(f"{field_name}_point", f"{lat:.5f},{lon:.5f}", lat, lon, None)
    try:
        s = sites.find(text)
    except UnknownSiteError as exc:
        if "several" in str(exc):
            msg = f"{field_name}: {exc}"
            raise PlaceNotFoundError(msg) from None
        if geocoder is None:
            msg = (
                f"{field_name}: could not find {text!r}: it matches no site name (Chinese or English) "
                "and no geocoder is configured (offline); give a site id or 'lat,lon'"
            )
            raise PlaceNotFoundError(msg) from None
        try:
            loc = geocoder.geocode(f"{text}, 焦作")
        except Exception as gexc:  # noqa: BLE001 - any geocoder failure is reported the same way
            msg = f"{field_name}: could not find {text!r}: the geocoder failed ({type(gexc).__name__})"
            raise PlaceNotFoundError(msg) from None
        if loc is None:
            msg = f"{field_name}: could not find {text!r} by site name or by the geocoder"
            raise PlaceNotFoundError(msg) from None
        return Place(f"{field_name}_point", text, float(loc.latitude), float(loc.longitude), None)
    return Place(s.id, s.name, s.lat, s.lon, s.id)


# ---------------------------------------------------------------------------
# Result


@dataclass(frozen=True, slots=True)
class Stop:
    """One visit of the itinerary (times in minutes after midnight)."""

    site_id: str
    name_zh: str
    name_en: str
    lat: float
    lon: float
    location_error_m: float
    arrive: float
    start: float
    end: float
    activity: str
    ticket_cny: float
    is_lunch: bool = False
    crowd: str | None = None
    score: float = 0.0
    ascent_m: float = 0.0

    @property
    def wait(self) -> float:
        """Minutes waited for opening (or for lunch time)."""
        return self.start - self.arrive


@dataclass(frozen=True, slots=True)
class TravelLeg:
    """Travel between two consecutive points of a day."""

    from_key: str
    to_key: str
    mode: str
    minutes: float
    km: float
    ascent_m: float
    walk_km: float
    depart: float
    arrive: float


@dataclass(frozen=True)
class DayPlan:
    """One day: where it starts and ends, its stops and legs."""

    date: dt.date
    start: Place
    end: Place
    depart: float
    back: float
    stops: tuple[Stop, ...]
    legs: tuple[TravelLeg, ...]
    sunset: int
    day_end: int

    @property
    def ascent_m(self) -> float:
        """Metres climbed on the day's legs and trails."""
        return sum(leg.ascent_m for leg in self.legs) + sum(s.ascent_m for s in self.stops)


@dataclass(frozen=True)
class Itinerary:
    """The planned trip with totals, warnings and what could not be placed."""

    request: ItineraryRequest
    days: tuple[DayPlan, ...]
    score: float
    tickets_cny: float
    warnings: tuple[str, ...]
    unplaced: Mapping[str, str]
    solver: str = ""

    @property
    def walk_km(self) -> float:
        """Kilometres on foot (walking legs and trails)."""
        return sum(leg.walk_km for d in self.days for leg in d.legs)

    @property
    def ascent_m(self) -> float:
        """Metres climbed over the trip."""
        return sum(d.ascent_m for d in self.days)

    @property
    def travel_minutes(self) -> float:
        """Minutes spent travelling."""
        return sum(leg.minutes for d in self.days for leg in d.legs)

    @property
    def site_ids(self) -> list[str]:
        """Visited site ids in order."""
        return [s.site_id for d in self.days for s in d.stops]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ``HH:MM``)."""
        req = asdict(self.request)
        req["start_date"] = self.request.start_date.isoformat()
        req["day_start"] = fmt_time(self.request.day_start)
        req["day_end"] = fmt_time(self.request.day_end)
        req["interests"] = dict(self.request.interests)
        req["locked"] = dict(self.request.locked)
        req["must_see"] = list(self.request.must_see)
        req["exclude"] = list(self.request.exclude)
        return {
            "days": [
                {
                    "date": d.date.isoformat(),
                    "start": asdict(d.start),
                    "end": asdict(d.end),
                    "depart": fmt_time(d.depart),
                    "back": fmt_time(d.back),
                    "sunset": fmt_time(d.sunset),
                    "stops": [
                        {
                            "site_id": s.site_id,
                            "name_zh": s.name_zh,
                            "name_en": s.name_en,
                            "lat": s.lat,
                            "lon": s.lon,
                            "location_error_m": s.location_error_m,
                            "arrive": fmt_time(s.arrive),
                            "start": fmt_time(s.start),
                            "end": fmt_time(s.end),
                            "wait_minutes": round(s.wait),
                            "activity": s.activity,
                            "ticket_cny": s.ticket_cny,
                            "lunch": s.is_lunch,
                            "crowd": s.crowd,
                            "score": round(s.score, 3),
                        }
                        for s in d.stops
                    ],
                    "legs": [
                        {
                            "from": leg.from_key,
                            "to": leg.to_key,
                            "mode": leg.mode,
                            "depart": fmt_time(leg.depart),
                            "arrive": fmt_time(leg.arrive),
                            "minutes": round(leg.minutes, 1),
                            "km": round(leg.km, 2),
                            "ascent_m": round(leg.ascent_m),
                        }
                        for leg in d.legs
                    ],
                }
                for d in self.days
            ],
            "score": round(self.score, 3),
            "totals": {
                "score": round(self.score, 3),
                "tickets_cny": round(self.tickets_cny, 2),
                "walk_km": round(self.walk_km, 2),
                "ascent_m": round(self.ascent_m),
                "travel_minutes": round(self.travel_minutes),
                "stops": len(self.site_ids),
            },
            "warnings": list(self.warnings),
            "unplaced": dict(self.unplaced),
            "request": req,
        }


# ---------------------------------------------------------------------------
# Planning


def site_score(site: Site, interests: Mapping[str, float]) -> float:
    """Personal value of a site: popularity times match to the interests.

    The match is the weight of the site's best-matching theme plus a quarter
    of its other matching weights (capped at 1.5), with weights scaled so the
    largest is 1.  A site that matches nothing keeps a tenth of its
    popularity, so a free hour still finds something worth seeing.
    """
    weights = {k: v for k, v in interests.items() if v > 0}
    if not weights:
        weights = dict.fromkeys(THEMES, 1.0)
    top = max(weights.values())
    hits = sorted((weights[t] / top for t in site.themes if t in weights), reverse=True)
    match = min(1.5, hits[0] + 0.25 * sum(hits[1:])) if hits else 0.1
    return site.popularity * match


@dataclass
class _Model:
    problem: Problem
    nodes: list[str]  # node index -> place key or site id
    places: dict[str, Place]
    sites: list[Site | None]
    lunch_nodes: frozenset[int]
    long_nodes: frozenset[int]
    scores: np.ndarray
    service: np.ndarray
    mats: Matrices
    sunsets: list[int]


def _lunch_applies(req: ItineraryRequest) -> bool:
    return req.lunch and req.day_start <= LUNCH_EARLIEST and req.day_end >= LUNCH_LATEST_END + 30


def _is_outdoor_mountain(s: Site) -> bool:
    return (s.category == "mountain" or "mountain" in s.themes) and not s.indoor


def _candidates(
    req: ItineraryRequest, sites: SiteTable, places: Mapping[str, Place]
) -> tuple[list[Site], dict[str, str]]:
    """Sites worth considering, and the reasons for dropping asked-for ones."""
    dropped: dict[str, str] = {}
    wanted = set(req.must_see) | set(req.locked)
    for sid in sorted(wanted | set(req.exclude)):
        if sid not in sites:
            dropped[sid] = f"{sid} is not a site id"
    excluded = set(req.exclude)
    place_sites = {p.site_id for p in places.values() if p.site_id}
    children: dict[str, list[str]] = {}
    for s in sites:
        if s.parent_id:
            children.setdefault(s.parent_id, []).append(s.id)
    out: list[Site] = []
    for s in sites:
        if s.id in excluded:
            continue
        asked = s.id in wanted
        if s.category in _NOT_VISITED or (not s.themes and not asked):
            if asked:
                dropped[s.id] = f"{s.name} is a {s.category}, not a place to visit"
            continue
        if s.id in place_sites and not asked and s.visit_minutes == 0:
            continue
        if req.accessible_only and not s.accessible:
            if asked:
                dropped[s.id] = (
                    f"{s.name} has steep trails or stairs, and the request asks for accessible sites only"
                )
            continue
        # An area with its parts listed: visit the parts, unless the area itself is asked for.
        if s.id in children and not asked and any(c in sites and c not in excluded for c in children[s.id]):
            continue
        if s.parent_id and s.parent_id in wanted:
            continue
        if req.ticket_budget is not None and not asked and _entry_price(s, sites) > req.ticket_budget:
            continue
        out.append(s)
    return out, dropped


def _windows_for(
    s: Site,
    day: dt.date,
    service: float,
    req: ItineraryRequest,
    sunset: int,
    lunch_node: bool,
    long_lunch: bool = False,
) -> tuple[tuple[float, float], ...]:
    wins: list[tuple[float, float]] = []
    for a, b in open_intervals(s.opening_hours, day):
        close = b
        if _is_outdoor_mountain(s):
            close = min(close, sunset)
        lo, hi = float(a), float(close - service)
        if lunch_node:
            lo, hi = max(lo, LUNCH_EARLIEST), min(hi, LUNCH_LATEST_START)
        if long_lunch:
            # the visit must span the lunch hours to stand in for lunch
            lo, hi = max(lo, LUNCH_LATEST_END - service), min(hi, LONG_VISIT_LATEST_START)
        lo = max(lo, float(req.day_start))
        if hi >= lo:
            wins.append((lo, hi))
    return tuple(wins)


def _build_model(
    req: ItineraryRequest,
    sites: SiteTable,
    graph: SiteGraph,
    places: Mapping[str, Place],
    day_places: Sequence[tuple[str, str]],
    cands: Sequence[Site],
    crowd: Any = None,
) -> _Model:
    pace = PACES[req.pace]
    place_keys = list(dict.fromkeys(k for pair in day_places for k in pair))
    nodes = place_keys + [s.id for s in cands]
    points = {k: (places[k].lat, places[k].lon) for k in place_keys if places[k].site_id is None}
    mats = graph.matrices(nodes, req.mode, points=points, walk_max_km=req.walk_max_km)
    n = len(nodes)
    p0 = len(place_keys)
    dates = req.dates
    sunsets = [daylight(d)[1] for d in dates]
    lunch_on = _lunch_applies(req)
    scores = np.zeros(n)
    service = np.zeros(n)
    lunch_nodes: set[int] = set()
    long_nodes: set[int] = set()
    food_w = max(0.0, float(req.interests.get("food", 0.0)))
    for idx, s in enumerate(cands, start=p0):
        is_lunch = (
            lunch_on
            and s.category == "food"
            and any(
                a <= LUNCH_LATEST_START and b >= LUNCH_EARLIEST + LUNCH_MINUTES
                for d in dates
                for a, b in open_intervals(s.opening_hours, d)
            )
        )
        if is_lunch:
            lunch_nodes.add(idx)
            service[idx] = max(LUNCH_MINUTES, round(min(s.visit_minutes, 75) * pace.visit_factor))
            # A small value keeps lunch places comparable; a food lover values them more.
            scores[idx] = 0.2 * s.popularity * (1.0 + food_w)
        else:
            service[idx] = round(visit_minutes(s) * pace.visit_factor) + pace.buffer_min
            scores[idx] = site_score(s, req.interests)
            if lunch_on and _is_outdoor_mountain(s) and service[idx] >= LONG_VISIT_LUNCH:
                long_nodes.add(idx)
                service[idx] += LONG_VISIT_LUNCH_EXTRA
    windows: list[tuple[tuple[float, float], ...]] = [((0.0, 24 * 60.0),)] * n
    route_windows: dict[tuple[int, int], tuple[tuple[float, float], ...]] = {}
    for idx, s in enumerate(cands, start=p0):
        for r, day in enumerate(dates):
            w = _windows_for(
                s, day, float(service[idx]), req, sunsets[r], idx in lunch_nodes, idx in long_nodes
            )
            if s.id in req.locked and req.locked[s.id] != r:
                w = ()
            route_windows[(r, idx)] = w
        windows[idx] = route_windows[(0, idx)]
    routes = tuple(
        Route(
            start=nodes.index(a),
            end=nodes.index(b),
            earliest=float(req.day_start),
            latest=float(req.day_end),
        )
        for a, b in day_places
    )
    groups: list[VisitGroup] = []
    all_routes = frozenset(range(len(routes)))
    if lunch_nodes or long_nodes:
        # At most one lunch stop a day, and lunch somewhere: at a food site
        # or inside a long mountain visit.
        if lunch_nodes:
            groups.append(
                VisitGroup(nodes=frozenset(lunch_nodes), routes=all_routes, min_visits=0, max_visits=1)
            )
        groups.append(
            VisitGroup(
                nodes=frozenset(lunch_nodes | long_nodes), routes=all_routes, min_visits=1, max_visits=2
            )
        )
    by_cat: dict[str, set[int]] = {}
    for idx, s in enumerate(cands, start=p0):
        if idx not in lunch_nodes:
            by_cat.setdefault(s.category, set()).add(idx)
    for cat, members in sorted(by_cat.items()):
        cap = pace.per_kind + (1 if cat == "mountain" else 0)
        if len(members) > cap:
            groups.append(
                VisitGroup(nodes=frozenset(members), routes=all_routes, min_visits=0, max_visits=cap)
            )
    load = np.zeros((n, 2))
    for idx, s in enumerate(cands, start=p0):
        load[idx, 0] = _visit_ascent(s)
        load[idx, 1] = s.ticket_cny
    cap_arr = np.array(
        [
            [pace.max_ascent_m, req.ticket_budget if req.ticket_budget is not None else math.inf]
            for _ in routes
        ]
    )
    if crowd is not None:
        scores, route_windows = crowd.adjust(nodes, scores, service, route_windows, dates)
    mandatory = frozenset(nodes.index(sid) for sid in (*req.must_see, *req.locked) if sid in nodes[p0:])
    problem = Problem(
        travel=mats.minutes,
        scores=scores,
        service=service,
        windows=tuple(windows),
        routes=routes,
        route_windows=route_windows,
        mandatory=mandatory,
        groups=tuple(groups),
        load=load,
        capacity=cap_arr,
        max_nodes=tuple(pace.max_stops + (1 if lunch_nodes else 0) for _ in routes),
    )
    site_of: list[Site | None] = [places[k].site_id and sites[places[k].site_id] for k in place_keys]  # type: ignore[misc]
    site_of += list(cands)
    return _Model(
        problem,
        nodes,
        dict(places),
        site_of,
        frozenset(lunch_nodes),
        frozenset(long_nodes),
        scores,
        service,
        mats,
        sunsets,
    )


def visit_minutes(s: Site) -> float:
    """Typical visit length; for a site with a known trail, at least the hike.

    The hike takes Naismith's time with Langmuir's corrections
    (:func:`tourplan.graph.hiking_minutes`) for the trail out and back with
    its climb, plus a quarter of that for stops along the way.
    """
    if s.trail_km:
        up = s.trail_ascent_m or 0.0
        hike = 1.25 * hiking_minutes(s.trail_km, up, up)
        return max(float(s.visit_minutes), hike)
    return float(s.visit_minutes)


def _visit_ascent(s: Site) -> float:
    """Metres climbed during a visit: a summit's climb is counted where the data has one."""
    return float(s.trail_ascent_m or 0.0)


def plan_itinerary(
    request: ItineraryRequest,
    sites: SiteTable,
    graph: SiteGraph,
    *,
    seed: int = 0,
    geocoder: Any = None,
    crowd: Any = None,
    polish: bool = True,
) -> Itinerary:
    """Plan an optimized itinerary.

    Parameters
    ----------
    request
        The visitor's wishes.
    sites, graph
        The site table and its graph.
    seed
        Seed of the optimizer (same seed, same plan).
    geocoder
        Optional geopy geocoder for free-text places that match no site.
    crowd
        Optional crowd forecast (see :mod:`tourplan.flow`): lowers the value
        of a site in the time slots where it is crowded.
    polish
        Improve the engine's plan on the real, diminishing day value
        (:func:`_polish`; about 10 ms a day). The flow simulation, which plans
        hundreds of itineraries at once, turns it off.

    Raises
    ------
    PlaceNotFoundError
        When a start, end or hotel cannot be found.
    InfeasibleRequestError
        When nothing can be visited at all; the message says why.
    """
    places: dict[str, Place] = {}
    resolved: dict[str, str] = {}
    for name, text in (("start", request.start), ("end", request.end), ("hotel", request.hotel)):
        if text is None:
            continue
        p = resolve_place(text, sites, geocoder=geocoder, field_name=name)
        places[p.key] = p
        resolved[name] = p.key
    start = resolved["start"]
    end = resolved.get("end", start)
    hotel = resolved.get("hotel", end)
    day_places = []
    for k in range(request.days):
        a = start if k == 0 else hotel
        b = end if k == request.days - 1 else hotel
        day_places.append((a, b))
    cands, unplaced = _candidates(request, sites, places)
    model = _build_model(request, sites, graph, places, day_places, cands, crowd)
    # The optimizer stops on a work budget derived from the time limit, never on
    # the clock: the same request gives the same plan on a busy machine too.
    solution = solve(model.problem, time_limit=request.time_limit, seed=seed, deterministic=True)
    # Ticket budget: area tickets (a parent's ticket covers its parts) are
    # only known once the parts are chosen; drop the least valuable paid
    # choice until the total fits.
    excluded: list[str] = []
    for _ in range(6):
        if request.ticket_budget is None:
            break
        total = _tickets(model, solution.routes, sites)
        if total <= request.ticket_budget + 1e-9:
            break
        worst = _least_value_paid(model, solution, sites)
        if not worst:
            break
        excluded.extend(worst)
        req2 = _with_exclusions(request, excluded)
        cands, unplaced2 = _candidates(req2, sites, places)
        model = _build_model(req2, sites, graph, places, day_places, cands, crowd)
        solution = solve(model.problem, time_limit=request.time_limit, seed=seed, deterministic=True)
    if polish:
        solution = _polish(request, sites, model, solution)
    return _assemble(request, sites, model, solution, unplaced, graph, crowd)


def _polish(req: ItineraryRequest, sites: SiteTable, model: _Model, solution: Solution) -> Solution:
    """Re-score the days on their real, diminishing value and improve them by single-site moves.

    The engine adds up site scores (with a cap per category); a day's value
    gives the k-th site of a category ``DECAY**k`` (:func:`_day_credit`).
    Must-see, locked and lunch stops stay; a move must pass the independent
    checker and keep the tickets within the budget.
    """

    def within_budget(routes: list[list[int]]) -> bool:
        if req.ticket_budget is None:
            return True
        return _tickets(model, routes, sites) <= req.ticket_budget + 1e-9

    return polish_solution(
        model.problem,
        solution,
        lambda route: sum(_day_credit(model, route).values()),
        fixed=set(model.problem.mandatory) | set(model.lunch_nodes),
        accept=within_budget,
    )


def _with_exclusions(req: ItineraryRequest, extra: Sequence[str]) -> ItineraryRequest:
    keep = [x for x in extra if x not in req.must_see and x not in req.locked]
    return ItineraryRequest(**{**_fields(req), "exclude": tuple(dict.fromkeys((*req.exclude, *keep)))})


def _fields(req: ItineraryRequest) -> dict[str, Any]:
    return {f: getattr(req, f) for f in req.__dataclass_fields__}


def _entry_price(s: Site, sites: SiteTable) -> float:
    """What entering a site costs on its own: its ticket, or its area's."""
    if s.ticket_cny > 0:
        return s.ticket_cny
    parent = sites.get(s.parent_id) if s.parent_id else None
    return parent.ticket_cny if parent is not None else 0.0


def _paid_ticket(model: _Model, node: int, sites: SiteTable, charged: set[str]) -> float:
    s = model.sites[node]
    if s is None:
        return 0.0
    if s.ticket_cny > 0:
        return s.ticket_cny
    if s.parent_id and s.parent_id in sites:
        parent = sites[s.parent_id]
        if parent.ticket_cny > 0 and parent.id not in charged:
            charged.add(parent.id)
            return float(parent.ticket_cny)
    return 0.0


def _tickets(model: _Model, routes: Sequence[Sequence[int]], sites: SiteTable) -> float:
    total = 0.0
    for route in routes:
        charged: set[str] = set()
        for node in route:
            total += _paid_ticket(model, node, sites, charged)
    return total


def _least_value_paid(model: _Model, solution: Solution, sites: SiteTable) -> list[str]:
    """The paid choice with the least value per yuan: a site, or all parts of a ticketed area."""
    best: tuple[float, list[str]] | None = None
    mandatory = {model.nodes[i] for i in model.problem.mandatory}
    for route in solution.routes:
        charged: set[str] = set()
        for node in route:
            t = _paid_ticket(model, node, sites, charged)
            site = model.sites[node]
            if t <= 0 or site is None or site.id in mandatory:
                continue
            if site.ticket_cny > 0 or not site.parent_id:
                group = [site.id]
            else:
                group = [
                    model.nodes[v]
                    for v in route
                    if (sv := model.sites[v]) is not None and sv.parent_id == site.parent_id
                ]
                group = [g for g in group if g not in mandatory and sites[g].ticket_cny == 0]
            value = sum(float(model.scores[model.nodes.index(g)]) for g in group)
            if group and (best is None or value / t < best[0]):
                best = (value / t, group)
    return [] if best is None else best[1]


def _day_credit(model: _Model, nodes: Sequence[int]) -> dict[int, float]:
    """Value of each (non-lunch) stop of a day: within a category, the k-th most valuable counts ``DECAY**k``."""
    by_kind: dict[str, list[int]] = {}
    for k, i in enumerate(nodes):
        site = model.sites[i]
        if site is not None and i not in model.lunch_nodes:
            by_kind.setdefault(site.category, []).append(k)
    credit: dict[int, float] = {}
    for ks in by_kind.values():
        ranked = sorted(ks, key=lambda k: (-float(model.scores[nodes[k]]), k))
        for rank, k in enumerate(ranked):
            credit[nodes[k]] = float(model.scores[nodes[k]]) * DECAY**rank
    return credit


def _assemble(
    req: ItineraryRequest,
    sites: SiteTable,
    model: _Model,
    solution: Solution,
    unplaced: dict[str, str],
    graph: SiteGraph,
    crowd: Any,
) -> Itinerary:
    del graph
    mats = model.mats
    warnings: list[str] = []
    days: list[DayPlan] = []
    total_score = 0.0
    tickets = 0.0
    dates = req.dates
    for r, route in enumerate(model.problem.routes):
        sched = solution.schedule[r]
        charged: set[str] = set()
        stops: list[Stop] = []
        legs: list[TravelLeg] = []
        credit = _day_credit(model, [v.node for v in sched])
        prev = route.start
        # Leave as late as possible without changing the schedule.
        if sched:
            first = sched[0]
            depart = max(float(req.day_start), first.start - float(mats.minutes[route.start, first.node]))
        else:
            depart = float(req.day_start)
        t = depart
        for v in sched:
            s = model.sites[v.node]
            assert s is not None  # noqa: S101
            tt = float(mats.minutes[prev, v.node])
            legs.append(_leg(model, req, prev, v.node, t, t + tt))
            is_lunch = v.node in model.lunch_nodes
            value = credit.get(v.node, 0.0)
            total_score += value
            ticket = _paid_ticket(model, v.node, sites, charged)
            tickets += ticket
            stops.append(
                Stop(
                    site_id=s.id,
                    name_zh=s.name_zh,
                    name_en=s.name_en,
                    lat=s.lat,
                    lon=s.lon,
                    location_error_m=s.location_error_m,
                    arrive=t + tt,
                    start=v.start,
                    end=v.start + float(model.service[v.node]),
                    activity=_activity(s, is_lunch, v.node in model.long_nodes),
                    ticket_cny=ticket,
                    is_lunch=is_lunch,
                    crowd=crowd.label(s.id, v.start, dates[r]) if crowd is not None else None,
                    score=value,
                    ascent_m=_visit_ascent(s),
                )
            )
            t = v.start + float(model.service[v.node])
            prev = v.node
        tt = float(mats.minutes[prev, route.end])
        legs.append(_leg(model, req, prev, route.end, t, t + tt))
        back = t + tt
        a_key, b_key = model.nodes[route.start], model.nodes[route.end]
        days.append(
            DayPlan(
                date=dates[r],
                start=model.places[a_key],
                end=model.places[b_key],
                depart=depart,
                back=back,
                stops=tuple(stops),
                legs=tuple(legs),
                sunset=model.sunsets[r],
                day_end=req.day_end,
            )
        )
        has_long = any(v.node in model.long_nodes for v in sched)
        if (model.lunch_nodes or model.long_nodes) and not has_long and not any(s.is_lunch for s in stops):
            warnings.append(
                f"Day {r + 1} ({dates[r].isoformat()}): no food site fits a lunch stop between "
                f"{fmt_time(LUNCH_EARLIEST)} and {fmt_time(LUNCH_LATEST_END)} on this route; bring a packed lunch."
            )
    visited = {s.site_id for d in days for s in d.stops}
    for sid in (*req.must_see, *req.locked):
        if sid in visited or sid in unplaced:
            continue
        if sid not in sites:
            unplaced[sid] = f"{sid} is not a site id"
            continue
        unplaced[sid] = _explain(sid, req, sites, model, solution)
    for sid, why in unplaced.items():
        if sid in req.must_see or sid in req.locked:
            warnings.append(f"Must-see not placed: {why}")
    if not visited:
        raise InfeasibleRequestError(_explain_empty(req, model))
    if req.ticket_budget is not None and tickets > req.ticket_budget + 1e-9:
        warnings.append(
            f"Tickets come to {tickets:.0f} CNY, over the budget of {req.ticket_budget:.0f} CNY, "
            "because of must-see sites."
        )
    return Itinerary(
        request=req,
        days=tuple(days),
        score=total_score,
        tickets_cny=tickets,
        warnings=tuple(warnings),
        unplaced=unplaced,
        solver=solution.summary(),
    )


def _activity(s: Site, is_lunch: bool, long_lunch: bool) -> str:
    if is_lunch:
        return "Lunch" + (f": {s.activity}" if s.activity else "")
    if long_lunch:
        return (s.activity + "; " if s.activity else "") + "lunch inside the scenic area"
    return s.activity


def _leg(model: _Model, req: ItineraryRequest, a: int, b: int, depart: float, arrive: float) -> TravelLeg:
    mats = model.mats
    km = float(mats.km[a, b])
    mode = req.mode
    if req.mode == "mixed":
        mode = "walk" if km <= req.walk_max_km else "bus"
    return TravelLeg(
        from_key=model.nodes[a],
        to_key=model.nodes[b],
        mode=mode,
        minutes=float(mats.minutes[a, b]),
        km=km,
        ascent_m=float(mats.ascent_m[a, b]),
        walk_km=float(mats.walk_km[a, b]),
        depart=depart,
        arrive=arrive,
    )


def _explain(sid: str, req: ItineraryRequest, sites: SiteTable, model: _Model, solution: Solution) -> str:
    """Why a must-see site is not in the plan, in plain words."""
    s = sites[sid]
    name = s.name
    if sid not in model.nodes:
        return f"{name} was left out by the request's other settings (a parent area or an exclusion)"
    node = model.nodes.index(sid)
    p = model.problem
    dates = req.dates
    pace = PACES[req.pace]
    if _visit_ascent(s) > pace.max_ascent_m:
        return (
            f"{name} climbs {_visit_ascent(s):.0f} m, more than the {req.pace} pace allows in a day "
            f"({pace.max_ascent_m:.0f} m); choose the active pace"
        )
    if req.ticket_budget is not None and _entry_price(s, sites) > req.ticket_budget:
        return f"{name} costs {_entry_price(s, sites):.0f} CNY, more than the ticket budget of {req.ticket_budget:.0f} CNY"
    allowed = [r for r in range(p.m) if p.windows_on(r, node)]
    if not allowed:
        reasons = []
        for r, day in enumerate(dates):
            if sid in req.locked and req.locked[sid] != r:
                continue
            iv = open_intervals(s.opening_hours, day)
            if not iv:
                reasons.append(
                    f"{name} is closed on {day.isoformat()} ({day.strftime('%A')}); opening hours: {s.opening_hours}"
                )
            else:
                last = max(b for _, b in iv)
                if _is_outdoor_mountain(s):
                    last = min(last, model.sunsets[r])
                need = float(model.service[node])
                reasons.append(
                    f"{name} needs {need:.0f} min but on {day.isoformat()} it is open only "
                    + ", ".join(f"{fmt_time(a)}-{fmt_time(b)}" for a, b in iv)
                    + (
                        f" and the sun sets at {fmt_time(model.sunsets[r])}"
                        if _is_outdoor_mountain(s)
                        else ""
                    )
                    + f" within your day {fmt_time(req.day_start)}-{fmt_time(req.day_end)}"
                )
        return "; ".join(reasons) or f"{name} cannot be visited on any day of the trip"
    # Try every insertion point; report the one that misses by the least.
    best: tuple[float, str] | None = None
    svc = float(model.service[node])
    for r in allowed:
        route = p.routes[r]
        seq = [route.start, *solution.routes[r], route.end]
        wins = p.windows_on(r, node)
        for pos in range(1, len(seq)):
            t = route.earliest
            prev_name = model.places[model.nodes[route.start]].name
            for a_idx in range(1, pos):
                v = seq[a_idx]
                t = t + float(p.travel[seq[a_idx - 1], v])
                t = max(t, min((w[0] for w in p.windows_on(r, v)), default=t))
                t += float(p.service[v])
                site_v = model.sites[v]
                prev_name = site_v.name if site_v else prev_name
            arrive = t + float(p.travel[seq[pos - 1], node])
            feasible_start = [max(arrive, a) for a, b in wins if max(arrive, a) <= b]
            if not feasible_start:
                last_start = max(b for _, b in wins)
                close = last_start + svc
                miss = arrive - last_start
                by_sunset = _is_outdoor_mountain(s) and abs(close - model.sunsets[r]) < 1
                limit = (
                    f"the sun sets at {fmt_time(close)}"
                    if by_sunset
                    else f"{name} closes at {fmt_time(close)}"
                )
                text = (
                    f"{limit} (last start for a {svc:.0f}-minute visit to {name} is {fmt_time(last_start)}); "
                    f"reaching it after {prev_name} on day {r + 1} takes until {fmt_time(arrive)}"
                )
            else:
                done = feasible_start[0] + svc
                back = done + float(p.travel[node, seq[pos]]) if pos == len(seq) - 1 else done
                miss = back - route.latest
                text = (
                    f"{name} takes {svc:.0f} min; visiting it after {prev_name} on day {r + 1} ends at {fmt_time(done)}"
                    + (
                        f" and getting back takes until {fmt_time(back)}, after the day ends at {fmt_time(route.latest)}"
                        if pos == len(seq) - 1
                        else ", which leaves no time for the rest of the day's plan"
                    )
                )
            if best is None or miss < best[0]:
                best = (miss, text)
    assert best is not None  # noqa: S101
    return best[1]


def _explain_empty(req: ItineraryRequest, model: _Model) -> str:
    p = model.problem
    budget = req.day_end - req.day_start
    best: tuple[float, str] | None = None
    route = p.routes[0]
    for node in range(p.n):
        s = model.sites[node]
        if s is None or node in (route.start, route.end):
            continue
        wins = p.windows_on(0, node)
        if not wins:
            continue
        go = float(p.travel[route.start, node])
        back = float(p.travel[node, route.end])
        need = go + float(p.service[node]) + back
        if best is None or need < best[0]:
            best = (
                need,
                f"{s.name} ({go:.0f} min there, {p.service[node]:.0f} min visit, {back:.0f} min back)",
            )
    if best is None:
        return (
            f"No site is open within your day ({fmt_time(req.day_start)}-{fmt_time(req.day_end)}) "
            f"on {req.start_date.isoformat()} with the chosen settings."
        )
    return (
        f"The time budget of {budget} min ({fmt_time(req.day_start)}-{fmt_time(req.day_end)}) is too short to "
        f"visit anything: the quickest possible visit, {best[1]}, needs {best[0]:.0f} min."
    )
