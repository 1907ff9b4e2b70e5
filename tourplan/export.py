"""Export an itinerary as GPX, iCalendar (ICS) or GeoJSON.

Pure functions over an :class:`~tourplan.itinerary.Itinerary` or the mapping
its :meth:`~tourplan.itinerary.Itinerary.to_dict` returns (what the web app
stores), so a saved plan exports exactly like a fresh one; a mapping without
a list of days raises ``ValueError``.

* :func:`to_gpx` -- one waypoint per stop (with its arrival time in UTC, as
  GPX requires) and one route per day, start and end included. Written with
  ``gpxpy``.
* :func:`to_ics` -- one ``VEVENT`` per stop, in local time with
  ``TZID=Asia/Shanghai`` and a ``VTIMEZONE``; every UID is derived from the
  itinerary and the stop, so exporting the same plan twice gives the same
  UIDs and a calendar app updates events instead of duplicating them.
  Written with ``icalendar``.
* :func:`to_geojson` -- a FeatureCollection of stop points and one line
  string per day (RFC 7946: ``[lon, lat]``, WGS-84).
* :func:`study_timetable_csv` -- a study-tour plan as one CSV row per group
  and stop, every text cell guarded against spreadsheet formulas
  (:func:`csv_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import gpxpy
import gpxpy.gpx
import icalendar

from tourplan.messages import crowd_text, text_of

if TYPE_CHECKING:
    from tourplan.itinerary import Itinerary

__all__ = ["TIMEZONE", "csv_cell", "itinerary_uid", "study_timetable_csv", "to_geojson", "to_gpx", "to_ics"]

#: Time zone of every clock time in an itinerary.
TIMEZONE = "Asia/Shanghai"
_TZ = ZoneInfo(TIMEZONE)
_PRODID = "-//tourplan//Jiefang District itinerary//EN"


def _as_dict(itinerary: Itinerary | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(itinerary, Mapping):
        return itinerary
    return itinerary.to_dict()


def _local(date: str, hhmm: str) -> dt.datetime:
    """A day's ``YYYY-MM-DD`` and an ``HH:MM`` (``24:00`` allowed) as aware local time."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    day = dt.date.fromisoformat(date)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=_TZ) + dt.timedelta(hours=hours, minutes=minutes)


def _name(stop: Mapping[str, Any]) -> str:
    zh, en = str(stop.get("name_zh") or ""), str(stop.get("name_en") or "")
    if zh and en and zh != en:
        return f"{zh} ({en})"
    return zh or en or str(stop.get("site_id", ""))


def _activity(stop: Mapping[str, Any]) -> str:
    """A stop's activity in Chinese then English (the files are read in either language).

    >>> _activity({"activity": {"code": "stop_lunch_only", "params": {}}})
    '午餐 / Lunch'
    >>> _activity({"activity": "Walk the gorge"})
    'Walk the gorge'
    """
    activity = stop.get("activity")
    if not isinstance(activity, Mapping):  # a plan saved before activities were coded
        return str(activity or "")
    zh, en = text_of(activity, "zh"), text_of(activity, "en")
    return f"{zh} / {en}" if zh and en and zh != en else zh or en


def _days(data: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    days = data.get("days")
    if not isinstance(days, Sequence):
        msg = f"expected an itinerary with a list of days, got {type(days).__name__}"
        raise ValueError(msg)
    return days


def _route(day: Mapping[str, Any]) -> list[tuple[int | None, Mapping[str, Any]]]:
    """The points of a day's route: its start and end (where the plan gives them) around its stops.

    Each stop comes with its number (1, 2, ...), the start and the end with None.
    """
    start, end = day.get("start"), day.get("end")
    head = [(None, start)] if isinstance(start, Mapping) else []
    tail = [(None, end)] if isinstance(end, Mapping) else []
    return [*head, *enumerate(day.get("stops", []), start=1), *tail]


def itinerary_uid(itinerary: Itinerary | Mapping[str, Any]) -> str:
    """Return a short, stable fingerprint of an itinerary (the plan, or its ``to_dict()`` form).

    The fingerprint is 16 hex digits of the SHA-256 of the plan's request and
    stops, the same for equal plans on every machine.
    """
    data = _as_dict(itinerary)
    key = {
        "request": data.get("request"),
        "stops": [
            [d.get("date"), [(s.get("site_id"), s.get("start")) for s in d.get("stops", [])]]
            for d in _days(data)
        ],
    }
    blob = json.dumps(key, sort_keys=True, ensure_ascii=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def to_gpx(itinerary: Itinerary | Mapping[str, Any], *, name: str = "tourplan itinerary") -> str:
    """Write an itinerary as GPX 1.1.

    Parameters
    ----------
    itinerary
        The plan, or its ``to_dict()`` form.
    name
        Name of the GPX document.

    Returns
    -------
    str
        GPX XML. Waypoints: every stop, named ``"<day>.<order> <name>"`` with
        its arrival time (UTC) and activity. Routes: one per day, through the
        day's start, stops and end.

    Raises
    ------
    ValueError
        If the mapping has no list of days.

    Notes
    -----
    O(number of stops).

    Examples
    --------
    >>> import gpxpy
    >>> plan = {"days": [{"date": "2025-05-10", "stops": [{"site_id": "a", "name_zh": "甲",
    ...     "lat": 35.2, "lon": 113.2, "arrive": "09:00", "start": "09:00", "end": "10:00"}]}]}
    >>> gpx = gpxpy.parse(to_gpx(plan))
    >>> gpx.waypoints[0].name, gpx.waypoints[0].time.isoformat()
    ('1.1 甲', '2025-05-10T01:00:00+00:00')
    """
    data = _as_dict(itinerary)
    doc = gpxpy.gpx.GPX()
    doc.name = name
    doc.creator = "tourplan"
    for k, day in enumerate(_days(data), start=1):
        date = str(day.get("date"))
        route = gpxpy.gpx.GPXRoute(name=f"第{k}天 / Day {k} {date}")
        for i, p in _route(day):
            lat, lon = float(p["lat"]), float(p["lon"])
            if i is None:  # the day's start or end
                route.points.append(gpxpy.gpx.GPXRoutePoint(lat, lon, name=str(p.get("name", ""))))
                continue
            when = _local(date, str(p["arrive"])).astimezone(dt.UTC)
            label = f"{k}.{i} {_name(p)}"
            desc = f"{p.get('start', '')}-{p.get('end', '')} {_activity(p)}".strip()
            wpt = gpxpy.gpx.GPXWaypoint(lat, lon, time=when, name=label, description=desc)
            wpt.symbol = "Restaurant" if p.get("lunch") else "Scenic Area"
            doc.waypoints.append(wpt)
            route.points.append(gpxpy.gpx.GPXRoutePoint(lat, lon, time=when, name=label))
        doc.routes.append(route)
    return str(doc.to_xml(version="1.1"))


def to_ics(
    itinerary: Itinerary | Mapping[str, Any],
    *,
    uid_prefix: str | None = None,
    url: str | None = None,
) -> bytes:
    """Write an itinerary as an iCalendar file, one event per stop.

    Parameters
    ----------
    itinerary
        As for :func:`to_gpx`.
    uid_prefix
        Stable identity of the plan used in every UID (the web app passes
        the saved itinerary's id); by default :func:`itinerary_uid`.
    url
        Optional link to the plan, added to each event.

    Returns
    -------
    bytes
        The ``text/calendar`` content (UTF-8, CRLF line ends). Events start
        and end in local time with ``TZID=Asia/Shanghai``; the calendar
        carries the matching ``VTIMEZONE``. The UID of a stop is
        ``<prefix>-d<day>-s<order>-<site id>@tourplan``.

    Raises
    ------
    ValueError
        As for :func:`to_gpx`.

    Notes
    -----
    O(number of stops).

    Examples
    --------
    A stop with a ticket, on the second day of a plan:

    >>> import icalendar
    >>> museum = {"site_id": "m", "name_zh": "博物馆", "name_en": "Museum", "lat": 35.21, "lon": 113.24,
    ...     "arrive": "13:50", "start": "14:00", "end": "15:30", "ticket_cny": 20}
    >>> plan = {"days": [{"date": "2025-05-10", "stops": []}, {"date": "2025-05-11", "stops": [museum]}]}
    >>> event = icalendar.Calendar.from_ical(to_ics(plan, uid_prefix="x")).walk("VEVENT")[0]
    >>> str(event["UID"]), event["DTSTART"].dt.isoformat(), str(event["DESCRIPTION"])
    ('x-d2-s1-m@tourplan', '2025-05-11T14:00:00+08:00', 'Ticket / 门票: 20 CNY')
    """
    data = _as_dict(itinerary)
    prefix = uid_prefix or itinerary_uid(data)
    cal = icalendar.Calendar()
    cal.add("prodid", _PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "tourplan")
    cal.add("x-wr-timezone", TIMEZONE)
    stamp = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for k, day in enumerate(_days(data), start=1):
        date = str(day.get("date"))
        for i, stop in enumerate(day.get("stops", []), start=1):
            event = icalendar.Event()
            event.add("uid", f"{prefix}-d{k}-s{i}-{stop.get('site_id', 'stop')}@tourplan")
            event.add("dtstamp", stamp)
            event.add("summary", _name(stop))
            event.add("dtstart", _local(date, str(stop.get("start") or stop["arrive"])))
            event.add("dtend", _local(date, str(stop["end"])))
            event.add("geo", (float(stop["lat"]), float(stop["lon"])))
            lines = [_activity(stop)]
            ticket = stop.get("ticket_cny")
            if isinstance(ticket, int | float) and ticket > 0:
                lines.append(f"Ticket / 门票: {ticket:g} CNY")
            crowd = _crowd_line(stop.get("crowd"))
            if crowd:
                lines.append(crowd)
            if float(stop.get("location_error_m") or 0) >= 500:
                lines.append(
                    f"Approximate location / 位置为近似值 (±{float(stop['location_error_m']) / 1000:.1f} km)"
                )
            event.add("description", "\n".join(x for x in lines if x))
            event.add("location", f"{_name(stop)} ({float(stop['lat']):.5f},{float(stop['lon']):.5f})")
            if url:
                event.add("url", url)
            cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _crowd_line(crowd: Any) -> str:
    """A stop's expected crowding in words, Chinese then English (empty without a forecast).

    Examples
    --------
    >>> _crowd_line({"level": "orange", "pct": 93, "at": "10:00"})
    '预计客流：拥挤（约为承载量的 93%） / Expected crowd: crowded (about 93% of capacity)'
    >>> _crowd_line(None)
    ''
    """
    zh, en = crowd_text(crowd, "zh"), crowd_text(crowd, "en")
    return f"预计客流：{zh} / Expected crowd: {en}" if zh and en else ""


def to_geojson(itinerary: Itinerary | Mapping[str, Any]) -> dict[str, Any]:
    """Return an itinerary as a GeoJSON FeatureCollection.

    Parameters
    ----------
    itinerary
        As for :func:`to_gpx`.

    Returns
    -------
    dict
        Point features (``"kind": "stop"``) with day, order, site id, names,
        times, activity, ticket and location error; one LineString
        (``"kind": "route"``) per day through start, stops and end.
        Coordinates are ``[lon, lat]`` (RFC 7946).

    Raises
    ------
    ValueError
        As for :func:`to_gpx`.

    Examples
    --------
    A day from a station to one site and back: the site's point, then the day's line.

    >>> station = {"name": "Jiaozuo station", "lat": 35.2, "lon": 113.2}
    >>> site = {"site_id": "a", "lat": 35.3, "lon": 113.4, "arrive": "09:00", "start": "09:00", "end": "10:00"}
    >>> day = {"date": "2025-05-10", "start": station, "stops": [site], "end": station}
    >>> [f["geometry"] for f in to_geojson({"days": [day]})["features"]]  # doctest: +NORMALIZE_WHITESPACE
    [{'type': 'Point', 'coordinates': [113.4, 35.3]},
     {'type': 'LineString', 'coordinates': [[113.2, 35.2], [113.4, 35.3], [113.2, 35.2]]}]
    """
    data = _as_dict(itinerary)
    features: list[dict[str, Any]] = []
    for k, day in enumerate(_days(data), start=1):
        line: list[list[float]] = []
        for i, stop in _route(day):
            coords = [float(stop["lon"]), float(stop["lat"])]
            line.append(coords)
            if i is None:  # the day's start or end: on the line only
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": coords},
                    "properties": {
                        "kind": "stop",
                        "day": k,
                        "date": day.get("date"),
                        "order": i,
                        "site_id": stop.get("site_id"),
                        "name_zh": stop.get("name_zh"),
                        "name_en": stop.get("name_en"),
                        "arrive": stop.get("arrive"),
                        "start": stop.get("start"),
                        "end": stop.get("end"),
                        "activity": stop.get("activity"),
                        "ticket_cny": stop.get("ticket_cny"),
                        "lunch": bool(stop.get("lunch")),
                        "crowd": stop.get("crowd"),
                        "location_error_m": stop.get("location_error_m"),
                    },
                }
            )
        if len(line) >= 2:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": line},
                    "properties": {"kind": "route", "day": k, "date": day.get("date")},
                }
            )
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- spreadsheets

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value safe for a spreadsheet: text that would start a formula gets a leading ``'``.

    Site names and notes come from uploaded data; Excel and LibreOffice run a
    cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV
    injection, OWASP). Numbers pass unchanged.

    Examples
    --------
    >>> csv_cell("=SUM(A1:A9)"), csv_cell("@cmd"), csv_cell("云台山"), csv_cell(-3.5)
    ("'=SUM(A1:A9)", "'@cmd", '云台山', -3.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def study_timetable_csv(plan: Mapping[str, Any]) -> str:
    """A study-tour plan (``StudyTourPlan.to_dict()``) as CSV: one row per group and stop.

    The columns are what a coordinator hands to drivers and sites: group,
    bus, stop number, site, arrival, visit start and end, lunch, the
    group's students and people, the stop's tickets and what the students
    learn there. Sorted by group, then time; sort by site and start in a
    spreadsheet for each site's booking list.

    Examples
    --------
    >>> plan = {"groups": [{"id": "G1", "label": "第1组", "bus": "B1", "students": 40, "people": 44,
    ...     "depart": "08:30", "back": "16:00", "stops": [{"site_id": "a", "name_zh": "甲", "name_en": "A",
    ...     "arrive": "09:00", "start": "09:05", "end": "10:00", "wait_minutes": 5, "lunch": False,
    ...     "ticket_cny": 0.0, "learn": "=1+1"}]}]}
    >>> print(study_timetable_csv(plan))  # doctest: +NORMALIZE_WHITESPACE
    group,label,bus,depart,back,stop,site_id,name_zh,name_en,arrive,start,end,wait_minutes,lunch,students,people,ticket_cny,learn
    G1,第1组,B1,08:30,16:00,1,a,甲,A,09:00,09:05,10:00,5,no,40,44,0,'=1+1
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["group", "label", "bus", "depart", "back", "stop", "site_id", "name_zh", "name_en", "arrive", "start",
         "end", "wait_minutes", "lunch", "students", "people", "ticket_cny", "learn"]
    )  # fmt: skip
    for g in plan.get("groups", ()):
        for i, s in enumerate(g.get("stops", ()), start=1):
            row = [
                g.get("id"), g.get("label"), g.get("bus"), g.get("depart"), g.get("back"), i, s.get("site_id"),
                s.get("name_zh"), s.get("name_en"), s.get("arrive"), s.get("start"), s.get("end"),
                s.get("wait_minutes", 0), "yes" if s.get("lunch") else "no", g.get("students"), g.get("people"),
                f"{float(s.get('ticket_cny') or 0):g}", s.get("learn", ""),
            ]  # fmt: skip
            w.writerow([csv_cell(x) for x in row])
    return buf.getvalue()
