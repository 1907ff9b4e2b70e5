"""Places: site ids, coordinates and names resolved to start and end points."""

from __future__ import annotations

import pytest
from planning import SAT, plan

from tourplan.errors import PlaceNotFoundError
from tourplan.itinerary import (
    ItineraryRequest,
    plan_itinerary,
    resolve_place,
)


def test_start_by_free_text(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, start="焦作西站", interests={"history": 1})
    assert it.days[0].start.site_id == "jiaozuo_west_station"
    it2 = plan(bundled_sites, bundled_graph, start="Jiaozuo Railway Station", interests={"history": 1})
    assert it2.days[0].start.site_id == "jiaozuo_station"


def test_unknown_place_offline_explains(bundled_sites, bundled_graph):
    with pytest.raises(PlaceNotFoundError, match="no geocoder is configured"):
        plan_itinerary(
            ItineraryRequest(start_date=SAT, start="Hotel Nowhere 123"), bundled_sites, bundled_graph
        )


def test_geocoder_is_used_when_configured(bundled_sites):
    class FakeGeocoder:
        def geocode(self, query):
            class Loc:
                latitude, longitude = 35.24, 113.22

            assert "焦作" in query
            return Loc()

    p = resolve_place("Some Hotel", bundled_sites, geocoder=FakeGeocoder())
    assert (p.lat, p.lon) == (35.24, 113.22) and p.site_id is None
