"""The planned trip: :class:`Itinerary` with its days, stops and travel legs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tourplan._parse import fmt_time
from tourplan.places import SiteStop

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

    from tourplan.itinerary.crowd import CrowdAt
    from tourplan.itinerary.request import ItineraryRequest
    from tourplan.messages import Message
    from tourplan.places import Place

__all__ = [
    "DayPlan",
    "Itinerary",
    "Stop",
    "TravelLeg",
]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop(SiteStop):
    """One visit of the itinerary; its wait is for opening or for lunch time."""

    location_error_m: float
    #: What the visitor does there, as a message (rendered in the reader's language).
    activity: Message
    crowd: CrowdAt | None = None
    score: float = 0.0
    ascent_m: float = 0.0
    navigation: Mapping[str, Any] | None = None


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
    #: Warnings as codes and parameters (rendered in the reader's language).
    warnings: tuple[Message, ...]
    #: Asked-for sites (must-see, locked) not in the plan -> why, as a message.
    unplaced: Mapping[str, Message]
    solver: str = ""
    #: Whether the planner steered visits to quieter slots (``None``: no crowd forecast used).
    avoid_crowds: bool | None = None
    #: No interests were given: the plan shows the highlights (most popular sights).
    highlights: bool = False

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
        """JSON-ready form (times as ``HH:MM``).

        ``warnings`` (a list) and ``unplaced`` (site id -> why) hold
        messages as ``{"code", "params", "zh", "en"}``
        (:meth:`tourplan.messages.Message.to_json`): the code and its
        parameters to render anew, and the sentence in both languages.
        """
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
                            "activity": s.activity.to_json(),
                            "ticket_cny": s.ticket_cny,
                            "lunch": s.is_lunch,
                            "crowd": None if s.crowd is None else s.crowd.to_dict(),
                            "navigation": None if s.navigation is None else dict(s.navigation),
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
            "warnings": [m.to_json() for m in self.warnings],
            "avoid_crowds": self.avoid_crowds,
            "interests_default": "highlights" if self.highlights else None,
            "unplaced": {sid: m.to_json() for sid, m in self.unplaced.items()},
            "request": req,
        }
