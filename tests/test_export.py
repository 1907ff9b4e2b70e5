"""GPX, ICS and GeoJSON exports, parsed back with gpxpy and icalendar."""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

import gpxpy
import icalendar
import pytest

from tourplan.export import itinerary_uid, to_geojson, to_gpx, to_ics

TZ = ZoneInfo("Asia/Shanghai")


def _stop(sid: str, lat: float, lon: float, start: str, end: str, **kw: object) -> dict[str, object]:
    return {
        "site_id": sid,
        "name_zh": kw.get("zh", sid),
        "name_en": kw.get("en", sid.upper()),
        "lat": lat,
        "lon": lon,
        "location_error_m": kw.get("err", 50.0),
        "arrive": kw.get("arrive", start),
        "start": start,
        "end": end,
        "activity": kw.get("activity", "Look around"),
        "ticket_cny": kw.get("ticket", 0.0),
        "lunch": kw.get("lunch", False),
        "crowd": kw.get("crowd"),
    }


HOTEL = {"key": "h", "name": "宾馆", "lat": 35.24, "lon": 113.24, "site_id": "h"}
PLAN = {
    "days": [
        {
            "date": "2025-05-10",
            "start": HOTEL,
            "end": HOTEL,
            "stops": [
                _stop(
                    "museum", 35.2164, 113.2355, "09:00", "10:30", zh="博物馆", ticket=20.0, arrive="08:50"
                ),
                _stop("noodles", 35.22, 113.24, "12:00", "12:50", lunch=True),
                _stop("temple", 35.243, 113.221, "13:30", "15:00", err=800.0, crowd="busy"),
            ],
        },
        {
            "date": "2025-05-11",
            "start": HOTEL,
            "end": HOTEL,
            "stops": [_stop("park", 35.26, 113.27, "09:15", "24:00")],
        },
    ],
    "request": {"start_date": "2025-05-10", "days": 2},
}


def test_gpx_waypoints_times_and_routes() -> None:
    gpx = gpxpy.parse(to_gpx(PLAN, name="trip"))
    assert gpx.name == "trip"
    assert [w.name for w in gpx.waypoints] == [
        "1.1 博物馆 (MUSEUM)",
        "1.2 noodles (NOODLES)",
        "1.3 temple (TEMPLE)",
        "2.1 park (PARK)",
    ]
    first = gpx.waypoints[0]
    assert (first.latitude, first.longitude) == (35.2164, 113.2355)
    # Arrival 08:50 in Jiaozuo is 00:50 UTC.
    assert first.time == dt.datetime(2025, 5, 10, 0, 50, tzinfo=dt.UTC)
    assert gpx.waypoints[1].symbol == "Restaurant"
    assert len(gpx.routes) == 2
    # start + 3 stops + end
    assert len(gpx.routes[0].points) == 5
    assert gpx.routes[0].points[0].name == "宾馆"


def test_ics_one_event_per_stop_in_local_time() -> None:
    cal = icalendar.Calendar.from_ical(to_ics(PLAN, uid_prefix="abc", url="https://x.example/i/abc"))
    events = list(cal.walk("VEVENT"))
    assert len(events) == 4
    e = events[0]
    assert str(e["SUMMARY"]) == "博物馆 (MUSEUM)"
    start = e.decoded("DTSTART")
    assert start == dt.datetime(2025, 5, 10, 9, 0, tzinfo=TZ)
    assert e["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert e.decoded("DTEND") == dt.datetime(2025, 5, 10, 10, 30, tzinfo=TZ)
    assert "20 CNY" in str(e["DESCRIPTION"])
    assert str(e["URL"]) == "https://x.example/i/abc"
    assert "Approximate location" in str(events[2]["DESCRIPTION"])
    assert "busy" in str(events[2]["DESCRIPTION"])
    # 24:00 ends at midnight of the next day.
    assert events[3].decoded("DTEND") == dt.datetime(2025, 5, 12, 0, 0, tzinfo=TZ)
    tzids = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert tzids == ["Asia/Shanghai"]


def test_ics_says_the_crowd_forecast_in_words() -> None:
    plan = copy.deepcopy(PLAN)
    plan["days"][0]["stops"][0]["crowd"] = {"level": "red", "pct": 104, "at": "09:00"}
    (first, *_) = icalendar.Calendar.from_ical(to_ics(plan, uid_prefix="abc")).walk("VEVENT")
    text = str(first["DESCRIPTION"])
    assert "预计客流：满员（约为承载量的 104%）" in text and "Expected crowd: full (about 104% of capacity)" in text
    assert "{" not in text and "'level'" not in text  # never the raw forecast


def test_ics_uids_are_stable_and_unique() -> None:
    a = [str(e["UID"]) for e in icalendar.Calendar.from_ical(to_ics(PLAN)).walk("VEVENT")]
    b = [str(e["UID"]) for e in icalendar.Calendar.from_ical(to_ics(PLAN)).walk("VEVENT")]
    assert a == b
    assert len(set(a)) == len(a)
    assert a[0] == f"{itinerary_uid(PLAN)}-d1-s1-museum@tourplan"
    other = {**PLAN, "request": {"start_date": "2025-06-01"}}
    assert itinerary_uid(other) != itinerary_uid(PLAN)


def test_geojson_points_and_lines() -> None:
    fc = to_geojson(PLAN)
    assert fc["type"] == "FeatureCollection"
    points = [f for f in fc["features"] if f["geometry"]["type"] == "Point"]
    lines = [f for f in fc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(points) == 4
    assert len(lines) == 2
    assert points[0]["geometry"]["coordinates"] == [113.2355, 35.2164]  # lon, lat
    assert points[0]["properties"]["order"] == 1
    assert points[3]["properties"]["day"] == 2
    assert lines[0]["geometry"]["coordinates"][0] == [113.24, 35.24]
    assert len(lines[0]["geometry"]["coordinates"]) == 5


@pytest.mark.parametrize("fn", [to_gpx, to_ics, to_geojson])
def test_rejects_a_mapping_without_days(fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="list of days"):
        fn({"days": None})


def test_real_itinerary_object_and_its_dict_export_the_same(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    from tourplan.itinerary import ItineraryRequest, plan_itinerary

    req = ItineraryRequest.from_dict({"date": "2025-05-10", "interests": {"history": 1}, "time_limit": 0.05})
    it = plan_itinerary(req, bundled_sites, bundled_graph)
    assert to_ics(it) == to_ics(it.to_dict())
    assert to_geojson(it) == to_geojson(it.to_dict())
    gpx = gpxpy.parse(to_gpx(it))
    assert len(gpx.waypoints) == len(it.site_ids)
    for w, sid in zip(gpx.waypoints, it.site_ids, strict=True):
        assert (w.latitude, w.longitude) == (bundled_sites[sid].lat, bundled_sites[sid].lon)
