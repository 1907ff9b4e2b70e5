"""What a visitor asks for: :class:`ItineraryRequest` and the paces.

Times are minutes after midnight (:func:`tourplan._parse.parse_time` reads
``HH:MM``); :meth:`ItineraryRequest.from_dict` reads JSON-like values and
names every bad field at once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tourplan._parse import fmt_time, parse_date, parse_time
from tourplan.data import THEMES
from tourplan.errors import (
    RequestValidationError,
)
from tourplan.graph import MODES
from tourplan.sun import FIRST_DATE, LAST_DATE, plannable

__all__ = [
    "ItineraryRequest",
    "PACES",
    "Pace",
    "parse_interests",
]


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
