"""Adapters from planning results to the map view-models of :mod:`tourplan.maps`.

The planners and the maps stay independent of each other; these functions
are the one place that knows both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tourplan import maps
from tourplan.itinerary import Itinerary, Place, fmt_time

if TYPE_CHECKING:
    from tourplan.data import SiteTable

__all__ = ["itinerary_days", "itinerary_map", "place_point"]


def place_point(place: Place, sites: SiteTable) -> maps.MapPoint:
    """A start or end place as a map point (a site keeps its location error)."""
    site = sites.get(place.site_id) if place.site_id else None
    if site is not None:
        return maps.MapPoint(site.lat, site.lon, site.name_zh, site.name_en, site.location_error_m)
    return maps.MapPoint(place.lat, place.lon, place.name, place.name)


def itinerary_days(itinerary: Itinerary, sites: SiteTable) -> list[maps.RouteDay]:
    """One :class:`maps.RouteDay` per day of the itinerary."""
    days = []
    for k, d in enumerate(itinerary.days, start=1):
        stops = []
        for i, s in enumerate(d.stops, start=1):
            stops.append(
                maps.MapStop(
                    point=maps.MapPoint(s.lat, s.lon, s.name_zh, s.name_en, s.location_error_m),
                    order=i,
                    arrive=fmt_time(s.arrive),
                    leave=fmt_time(s.end),
                    activity=s.activity,
                    ticket_cny=s.ticket_cny,
                    crowd=s.crowd,
                )
            )
        label = f"第{k}天 Day {k} · {d.date.isoformat()}"
        days.append(
            maps.RouteDay(
                label=label, stops=stops, start=place_point(d.start, sites), end=place_point(d.end, sites)
            )
        )
    return days


def itinerary_map(itinerary: Itinerary, sites: SiteTable, **options: Any) -> Any:
    """The route map of an itinerary (a folium Map); options go to :func:`maps.render_route_map`."""
    return maps.render_route_map(itinerary_days(itinerary, sites), **options)
