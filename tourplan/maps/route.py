"""Route maps of itineraries: numbered stops and a line per day.

:class:`RouteDay` is the view-model of one day; :func:`render_route_map`
draws a list of them. The flow map draws an itinerary on top of its sites
with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import folium

from tourplan import _assets
from tourplan.errors import DataValidationError, Problem
from tourplan.maps._text import _TEXT
from tourplan.maps.elements import (
    DAY_COLORS,
    Lang,
    LatLon,
    MapPoint,
    MapStop,
    Project,
    Tiles,
    _approx_circle,
    _as_path,
    _base_map,
    _check_options,
    _controls,
    _divicon,
    _e,
    _legend_row,
    _place_popup,
    _popup,
    _projection,
    _ticket_text,
    _tooltip,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["RouteDay", "render_route_map"]


@dataclass(frozen=True)
class RouteDay:
    """One day of an itinerary.

    Attributes
    ----------
    label
        Layer and legend label, e.g. ``"第1天 Day 1"``.
    stops
        Visits in order (stored as a tuple).
    path
        The travelled line as ``(lat, lon)`` pairs (e.g. along roads); when
        ``None`` a straight line joins start, stops and end.
    start, end
        Where the day starts and ends (hotel, station), or ``None``.
    """

    label: str
    stops: Sequence[MapStop]
    path: Sequence[LatLon] | None = None
    start: MapPoint | None = None
    end: MapPoint | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(self.stops))
        object.__setattr__(self, "path", _as_path(f"RouteDay {self.label!r} path", self.path))


def _stop_popup(stop: MapStop, lang: Lang, day_label: str | None = None) -> str:
    t = _TEXT[lang]
    rows = []
    if stop.arrive or stop.leave:
        rows.append(f"{t['arrive']} {_e(stop.arrive or '–')} · {t['leave']} {_e(stop.leave or '–')}")
    if stop.activity:
        rows.append(f"{t['activity']}: {_e(stop.activity)}")
    ticket = _ticket_text(stop.ticket_cny, t)
    if ticket is not None:
        rows.append(f"{t['ticket']}: {_e(ticket)}")
    if stop.crowd:
        rows.append(f"{t['crowd']}: {_e(stop.crowd)}")
    head = f'<div class="tp-day">{_e(day_label)}</div>' if day_label else ""
    body = "".join(f"<div>{r}</div>" for r in rows)
    return _place_popup(stop.point, lang, head=f'{head}<b class="tp-order">{stop.order}.</b>', body=body)


def _day_points(day: RouteDay) -> list[MapPoint]:
    pts = [s.point for s in day.stops]
    if day.start is not None:
        pts.insert(0, day.start)
    if day.end is not None:
        pts.append(day.end)
    return pts


def _draw_stop(group: Any, stop: MapStop, color: str, project: Project, lang: Lang, day_label: str) -> None:
    loc = project(stop.point.lat, stop.point.lon)
    popup = _stop_popup(stop, lang, day_label)
    _approx_circle(group, stop.point, loc, popup)
    klass = "tp-stop tp-approx-stop" if stop.point.approximate else "tp-stop"
    icon = _divicon(f'<div class="{klass}" style="background:{color}">{stop.order}</div>')
    marker = folium.Marker(location=loc, icon=icon)
    _popup(marker, popup)
    _tooltip(marker, f"{stop.order}. {_e(stop.point.name(lang))}")
    marker.add_to(group)


def _draw_end(
    group: Any, point: MapPoint, mark: str, what: str, project: Project, lang: Lang, day_label: str
) -> None:
    loc = project(point.lat, point.lon)
    width = 14 + 9 * len(mark)
    icon = _divicon(f'<div class="tp-end-icon">{_e(mark)}</div>', width=max(width, 24), height=24)
    marker = folium.Marker(location=loc, icon=icon)
    popup = _place_popup(point, lang, head=f'<div class="tp-day">{_e(day_label)}</div><b>{_e(what)}</b>')
    _popup(marker, popup)
    _tooltip(marker, f"{_e(what)}: {_e(point.name(lang))}")
    marker.add_to(group)


def _draw_day(group: Any, day: RouteDay, color: str, project: Project, lang: Lang) -> None:
    t = _TEXT[lang]
    if day.path is not None:
        line = [project(lat, lon) for lat, lon in day.path]
    else:
        line = [project(p.lat, p.lon) for p in _day_points(day)]
    if len(line) >= 2:
        poly = folium.PolyLine(  # type: ignore[no-untyped-call]
            line, color=color, weight=4, opacity=0.8
        )
        _tooltip(poly, _e(day.label))
        poly.add_to(group)
    for stop in day.stops:
        _draw_stop(group, stop, color, project, lang, day.label)
    same = (
        day.start is not None
        and day.end is not None
        and (day.start.lat, day.start.lon) == (day.end.lat, day.end.lon)
    )
    if same and day.start is not None:
        _draw_end(group, day.start, t["both_mark"], t["start_end"], project, lang, day.label)
        return
    if day.start is not None:
        _draw_end(group, day.start, t["start_mark"], t["start"], project, lang, day.label)
    if day.end is not None:
        _draw_end(group, day.end, t["end_mark"], t["end"], project, lang, day.label)


def _route_latlons(days: Sequence[RouteDay], project: Project) -> list[LatLon]:
    out: list[LatLon] = []
    for day in days:
        out += [project(p.lat, p.lon) for p in _day_points(day)]
        if day.path is not None:
            out += [project(lat, lon) for lat, lon in day.path]
    return out


def _route_legend_rows(days: Sequence[RouteDay], lang: Lang) -> list[str]:
    t = _TEXT[lang]
    rows = [_legend_row("", DAY_COLORS[i % len(DAY_COLORS)], _e(day.label)) for i, day in enumerate(days)]
    if any(d.start is not None or d.end is not None for d in days):
        rows.append(_legend_row("sq", None, _e(f"{t['start']} / {t['end']}")))
    if any(p.approximate for d in days for p in _day_points(d)):
        rows.append(_legend_row("dc", None, _e(t["approx_legend"])))
    return rows


def _check_days(days: Sequence[RouteDay], where: str) -> None:
    if not days or not any(_day_points(d) for d in days):
        raise DataValidationError(
            [Problem(where, None, "days", repr(list(days)), "at least one day with a place")]
        )


def render_route_map(
    days: Sequence[RouteDay],
    *,
    tiles: Tiles = "osm",
    lang: Lang = "zh",
    tianditu_key: str | None = None,
    assets: str = _assets.DEFAULT_ASSETS_URL,
) -> Any:
    """Draw an itinerary: numbered stops and a line per day.

    Parameters
    ----------
    days
        The itinerary, one :class:`RouteDay` per day.
    tiles
        ``"osm"`` (default), ``"gaode"`` (GCJ-02 tiles; every overlay
        coordinate is converted) or ``"tianditu"`` (needs ``tianditu_key``).
    lang
        ``"zh"`` or ``"en"``: which name comes first and the popup labels.
    tianditu_key
        Tianditu API key (``tk``); required for ``tiles="tianditu"`` only.
    assets
        Base URL of the vendored Leaflet files (``static/vendor`` in the app).

    Returns
    -------
    folium.Map
        One FeatureGroup (toggle) per day, a LayerControl, a legend, and the
        view fitted to the route. Render with :func:`render_html` or
        :func:`to_standalone_html`.

    Raises
    ------
    DataValidationError
        If no day has a place to draw.
    ValueError
        For an unknown ``tiles`` or ``lang``, a missing or malformed Tianditu
        key, or an unsafe ``assets`` URL.

    Examples
    --------
    >>> from tourplan.maps import render_html
    >>> p = MapPoint(35.2164, 113.2355, "焦作市博物馆", "Jiaozuo Museum")
    >>> m = render_route_map([RouteDay("第1天", [MapStop(p, 1, "09:00", "10:30")])])
    >>> page = render_html(m)
    >>> page.count("L.marker("), "cdn." in page
    (1, False)

    Notes
    -----
    O(number of stops + path points); the HTML grows by about 2 KB a stop.
    """
    assets = _check_options(tiles, lang, tianditu_key, assets)
    _check_days(days, "render_route_map")
    project = _projection(tiles)
    m = _base_map(_route_latlons(days, project), tiles=tiles, tianditu_key=tianditu_key, assets=assets)
    for i, day in enumerate(days):
        color = DAY_COLORS[i % len(DAY_COLORS)]
        group = folium.FeatureGroup(name=_e(day.label), show=True)
        _draw_day(group, day, color, project, lang)
        group.add_to(m)
    _controls(m, _TEXT[lang]["legend"], _route_legend_rows(days, lang))
    return m
