"""Places: where a day starts or ends (a site, a coordinate, or a name to look up), and the stops at sites."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.errors import (
    PlaceNotFoundError,
    UnknownSiteError,
)

if TYPE_CHECKING:
    from tourplan.data import SiteTable

__all__ = [
    "Place",
    "SiteStop",
    "resolve_place",
]


@dataclass(frozen=True, slots=True)
class Place:
    """A start or end point: a site, or a coordinate that is not a site."""

    key: str
    name: str
    lat: float
    lon: float
    site_id: str | None = None


@dataclass(frozen=True, slots=True)
class SiteStop:
    """A stop at a site, as both planners give it: where, when (minutes after midnight), what it costs.

    ``ticket_cny`` is what the stop's tickets cost (the visitor's, or the
    whole group's).  :class:`tourplan.itinerary.Stop` and
    :class:`tourplan.study.GroupStop` add, as keyword fields, what each
    planner knows about the visit.
    """

    site_id: str
    name_zh: str
    name_en: str
    lat: float
    lon: float
    arrive: float
    start: float
    end: float
    ticket_cny: float
    is_lunch: bool = False

    @property
    def wait(self) -> float:
        """Minutes waited between arriving and the visit's start (for opening, for lunch time, on the bus)."""
        return self.start - self.arrive


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
