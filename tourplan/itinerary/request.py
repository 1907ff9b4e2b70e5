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

from tourplan._parse import TEXT_MAX, FieldReader, Range, fmt_time
from tourplan.errors import (
    RequestValidationError,
)
from tourplan.graph import MODES
from tourplan.messages import Message
from tourplan.site import THEMES
from tourplan.sun import FIRST_DATE, LAST_DATE, plannable

__all__ = [
    "LIMITS",
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


#: Ranges of the numeric request fields (``interests``: each theme's weight):
#: the one definition the request checks itself against; the web form, the
#: API schema and the CLI read them from here.
LIMITS: Mapping[str, Range] = {
    "days": Range(1, 4, "days", integer=True),
    "interests": Range(0, 10),
    "walk_max_km": Range(0, 20, "km"),
    "time_limit": Range(0.005, 60, "seconds"),
}
#: The request's fields as ``from_dict`` reads them (``date`` is ``start_date``).
_FIELDS = frozenset({
    "date", "start_date", "days", "interests", "day_start", "day_end", "start", "end", "hotel", "pace", "mode",
    "must_see", "exclude", "ticket_budget", "accessible_only", "lunch", "walk_max_km", "locked", "time_limit",
    "avoid_crowds",
})  # fmt: skip


@dataclass(frozen=True)
class ItineraryRequest:
    """What a visitor asks for.

    Times are minutes after midnight (use :func:`parse_time` for ``HH:MM``).
    ``start``, ``end`` and ``hotel`` are site ids, ``"lat,lon"`` (WGS-84) or
    free text matched against site names.  ``locked`` pins sites to a day
    (0-based) when re-planning.  ``avoid_crowds`` steers visits to the
    quieter time slots of the crowd forecast; ``None`` means on for peak
    days (public holidays, golden weeks) and off otherwise.
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
    avoid_crowds: bool | None = None

    def __post_init__(self) -> None:
        errors: dict[str, Any] = {}
        if not isinstance(self.start_date, dt.date):
            errors["date"] = f"expected a date YYYY-MM-DD, got {self.start_date!r}"
        elif not (plannable(self.start_date) and plannable(self.start_date + dt.timedelta(days=3))):
            last = (LAST_DATE - dt.timedelta(days=3)).isoformat()
            errors["date"] = Message("date_range", {"first": FIRST_DATE.isoformat(), "last": last})
        LIMITS["days"].check(self.days, errors, "days")
        for k, v in self.interests.items():
            if k not in THEMES:
                errors["interests"] = f"unknown theme {k!r}; expected keys from {', '.join(THEMES)}"
            else:
                LIMITS["interests"].check(v, errors, "interests", f" as the weight of {k!r}")
        for name in ("start", "end", "hotel"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or len(v) > TEXT_MAX):
                errors[name] = f"expected text of at most {TEXT_MAX} characters, got {v!r}"
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            times = {"start": fmt_time(self.day_start), "end": fmt_time(self.day_end)}
            errors["day_end"] = Message("day_end_before_start", times)
        if self.pace not in PACES:
            errors["pace"] = f"expected one of {', '.join(PACES)}, got {self.pace!r}"
        if self.mode not in MODES:
            errors["mode"] = f"expected one of {', '.join(MODES)}, got {self.mode!r}"
        if self.ticket_budget is not None and not (
            math.isfinite(self.ticket_budget) and self.ticket_budget >= 0
        ):
            errors["ticket_budget"] = f"expected a non-negative amount, got {self.ticket_budget!r}"
        LIMITS["walk_max_km"].check(self.walk_max_km, errors, "walk_max_km")
        for sid, day in self.locked.items():
            if not 0 <= day < self.days:
                errors["locked"] = f"{sid} is locked to day {day + 1}, but the trip has {self.days} day(s)"
        LIMITS["time_limit"].check(self.time_limit, errors, "time_limit")
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
    def from_dict(cls, data: Mapping[str, Any], *, today: dt.date | None = None) -> ItineraryRequest:
        """Build a request from JSON-like values (strings for dates and times).

        With ``today`` (the visitor's today, China Standard Time), an earlier
        date is refused on the ``date`` field.

        Raises
        ------
        RequestValidationError
            Naming every bad field.
        """
        r = FieldReader(data, known=_FIELDS)
        r.date("date", into="start_date", also=("start_date",), required=True)
        for name in ("day_start", "day_end"):
            r.time(name)
        r.whole("days")
        for name in ("ticket_budget", "walk_max_km", "time_limit"):
            r.number(name)
        for name in ("start", "end", "hotel", "pace", "mode"):
            r.text(name)
        for name in ("must_see", "exclude"):
            r.items(name)
        for name in ("accessible_only", "lunch", "avoid_crowds"):
            r.flag(name)
        start = r.values.get("start_date")
        if today is not None and isinstance(start, dt.date) and start < today:
            r.errors["date"] = Message("date_past", {"date": start.isoformat(), "today": today.isoformat()})
        if data.get("interests") is not None:
            v = data["interests"]
            if isinstance(v, str):
                try:
                    v = parse_interests(v)
                except RequestValidationError as exc:
                    r.errors.update(exc.errors)
                    v = {}
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(w, int | float) and not isinstance(w, bool)
                for k, w in v.items()
            ):
                r.errors["interests"] = "expected an object of theme: weight"
            else:
                r.values["interests"] = dict(v)
        if data.get("locked") is not None:
            v = data["locked"]
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(d, int) and not isinstance(d, bool) for k, d in v.items()
            ):
                r.errors["locked"] = "expected an object of site id: day index (0-based)"
            else:
                r.values["locked"] = dict(v)
        return r.build(cls, {"start_date": FIRST_DATE})


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
