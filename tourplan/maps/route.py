"""Route maps of itineraries: numbered stops and a line per day.

:class:`RouteDay` is the view-model of one day; :func:`render_route_map`
draws a list of them. The flow map draws an itinerary on top of its sites
with the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import folium

from tourplan import _assets
from tourplan.errors import DataValidationError, Issue
from tourplan.maps import elements as el
from tourplan.maps._text import _TEXT
from tourplan.maps.elements import CROWD_COLORS, DAY_COLORS, MapPoint, MapStop, _e

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.maps.elements import Lang, LatLon, Project, Tiles

__all__ = ["FAN_PIXELS", "RouteDay", "fan_offsets", "render_route_map"]

#: Markers whose points would lie closer than this many pixels at the map's
#: first zoom are fanned out around their mean point.
FAN_PIXELS = 30


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
        object.__setattr__(self, "path", el._as_path(f"RouteDay {self.label!r} path", self.path))


def _first_zoom(latlons: Sequence[LatLon], width: int = 360, height: int = 300) -> int:
    """The zoom Leaflet's fit to ``latlons`` picks on a phone-sized map (about 360 × 300 px), at most 16."""
    lats = [p[0] for p in latlons]
    lons = [p[1] for p in latlons]
    lon_span = max(max(lons) - min(lons), 1e-9)
    y = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in lats]
    lat_span = max(max(y) - min(y), 1e-9)
    zx = math.log2(width * 360.0 / (256.0 * lon_span))
    zy = math.log2(height * 2 * math.pi / (256.0 * lat_span))
    return max(0, min(16, math.floor(min(zx, zy))))


def fan_offsets(latlons: Sequence[LatLon], *, zoom: int, pixels: int = FAN_PIXELS) -> list[tuple[int, int]]:
    """Pixel offsets that keep markers at (nearly) one point apart at ``zoom``.

    Points closer than ``pixels`` to each other at ``zoom`` (chained) form a
    group; the members of a group of ``n > 1`` are spread on a circle around
    the group's mean point, in input order clockwise from the top, far enough
    apart that no two markers overlap. A lone point keeps ``(0, 0)``.

    Parameters
    ----------
    latlons
        Marker points as drawn.
    zoom
        Web-Mercator zoom level at which the markers must not overlap.
    pixels
        Markers this close (in pixels) are fanned out.

    Returns
    -------
    list of (dx, dy)
        Pixels right and down from each point.

    Examples
    --------
    >>> fan_offsets([(35.43, 113.35), (35.43, 113.35), (35.2, 113.2)], zoom=12)
    [(0, -22), (0, 22), (0, 0)]

    Notes
    -----
    O(n²) in the number of markers (a day has a dozen at most).
    """
    scale = 256 * 2**zoom
    px = [
        (
            (lon + 180.0) / 360.0 * scale,
            (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * scale,
        )
        for lat, lon in latlons
    ]
    parent = list(range(len(px)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(px)):
        for j in range(i):
            if math.dist(px[i], px[j]) < pixels:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(px)):
        groups.setdefault(root(i), []).append(i)
    out = [(0, 0)] * len(px)
    for members in groups.values():
        n = len(members)
        if n == 1:
            continue
        cx = sum(px[i][0] for i in members) / n
        cy = sum(px[i][1] for i in members) / n
        radius = max(22.0, (pixels / 2) / math.sin(math.pi / n))
        for k, i in enumerate(members):
            angle = 2 * math.pi * k / n
            tx, ty = cx + radius * math.sin(angle), cy - radius * math.cos(angle)
            out[i] = (round(tx - px[i][0]), round(ty - px[i][1]))
    return out


def _fan_html(inner: str, shift: tuple[int, int]) -> str:
    """A marker's HTML with a thin leader line from the shifted marker back to its true point."""
    dx, dy = shift
    if (dx, dy) == (0, 0):
        return inner
    length = math.hypot(dx, dy)
    angle = math.degrees(math.atan2(-dy, -dx))
    leader = f'<span class="tp-leader" style="width:{length:.0f}px;transform:rotate({angle:.1f}deg)"></span>'
    return f'<div class="tp-fan">{leader}{inner}</div>'


def _stop_popup(stop: MapStop, lang: Lang, day_label: str | None = None) -> str:
    t = _TEXT[lang]
    rows = []
    if stop.arrive or stop.leave:
        rows.append(f"{t['arrive']} {_e(stop.arrive or '–')} · {t['leave']} {_e(stop.leave or '–')}")
    if stop.activity:
        rows.append(f"{t['activity']}: {_e(stop.activity)}")
    ticket = el._ticket_text(stop.ticket_cny, t)
    if ticket is not None:
        rows.append(f"{t['ticket']}: {_e(ticket)}")
    if stop.crowd:
        rows.append(f"{t['crowd']}: {_e(stop.crowd)}")
    head = f'<div class="tp-day">{_e(day_label)}</div>' if day_label else ""
    body = "".join(f"<div>{r}</div>" for r in rows)
    return el._place_popup(stop.point, lang, head=f'{head}<b class="tp-order">{stop.order}.</b>', body=body)


def _day_points(day: RouteDay) -> list[MapPoint]:
    pts = [s.point for s in day.stops]
    if day.start is not None:
        pts.insert(0, day.start)
    if day.end is not None:
        pts.append(day.end)
    return pts


def _draw_stop(
    group: Any,
    stop: MapStop,
    color: str,
    project: Project,
    lang: Lang,
    day_label: str,
    shift: tuple[int, int] = (0, 0),
) -> None:
    loc = project(stop.point.lat, stop.point.lon)
    popup = _stop_popup(stop, lang, day_label)
    el._approx_circle(group, stop.point, loc, popup)
    klass = "tp-stop tp-approx-stop" if stop.point.approximate else "tp-stop"
    style = f"background:{color}"
    if stop.crowd_level is not None:
        klass += f" tp-crowd tp-crowd-{stop.crowd_level}"
        style += f";--tp-crowd:{CROWD_COLORS[stop.crowd_level]}"
    inner = f'<div class="{klass}" style="{style}" data-order="{stop.order}">{stop.order}</div>'
    tooltip = f"{stop.order}. {_e(stop.point.name(lang))}"
    el._marker(group, loc, _fan_html(inner, shift), popup, tooltip, shift=shift)


def _draw_end(
    group: Any,
    point: MapPoint,
    mark: str,
    what: str,
    project: Project,
    lang: Lang,
    day_label: str,
    shift: tuple[int, int] = (0, 0),
) -> None:
    loc = project(point.lat, point.lon)
    width = max(14 + 9 * len(mark), 24)
    inner = f'<div class="tp-end-icon">{_e(mark)}</div>'
    if shift != (0, 0):
        inner = _fan_html(inner, shift).replace(
            'class="tp-fan"', f'class="tp-fan" style="width:{width}px;height:24px"'
        )
    popup = el._place_popup(point, lang, head=f'<div class="tp-day">{_e(day_label)}</div><b>{_e(what)}</b>')
    tooltip = f"{_e(what)}: {_e(point.name(lang))}"
    el._marker(group, loc, inner, popup, tooltip, width=width, height=24, shift=shift)


def _draw_day(
    group: Any,
    day: RouteDay,
    color: str,
    project: Project,
    lang: Lang,
    shifts: Sequence[tuple[int, int]] | None = None,
) -> None:
    """Draw one day; ``shifts`` has the pixel offset of each marker (stops, then start, then end)."""
    t = _TEXT[lang]
    if shifts is None:
        shifts = [(0, 0)] * (len(day.stops) + 2)
    if day.path is not None:
        line = [project(lat, lon) for lat, lon in day.path]
    else:
        line = [project(p.lat, p.lon) for p in _day_points(day)]
    if len(line) >= 2:
        if day.path is not None:
            poly = folium.PolyLine(line, color=color, weight=4, opacity=0.8)  # type: ignore[no-untyped-call]
            el._tooltip(poly, _e(day.label))
        else:
            # No road geometry: a straight, dashed line that nobody takes for a road.
            poly = folium.PolyLine(  # type: ignore[no-untyped-call]
                line, color=color, weight=3, opacity=0.75, dash_array="8 8", class_name="tp-straight"
            )
            el._tooltip(poly, f"{_e(day.label)} · {_e(t['straight'])}")
        poly.add_to(group)
    n = len(day.stops)
    for k, stop in enumerate(day.stops):
        _draw_stop(group, stop, color, project, lang, day.label, shifts[k])
    same = (
        day.start is not None
        and day.end is not None
        and (day.start.lat, day.start.lon) == (day.end.lat, day.end.lon)
    )
    if same and day.start is not None:
        _draw_end(group, day.start, t["both_mark"], t["start_end"], project, lang, day.label, shifts[n])
        return
    if day.start is not None:
        _draw_end(group, day.start, t["start_mark"], t["start"], project, lang, day.label, shifts[n])
    if day.end is not None:
        k = n + (day.start is not None)
        _draw_end(group, day.end, t["end_mark"], t["end"], project, lang, day.label, shifts[k])


def _marker_points(day: RouteDay) -> list[MapPoint]:
    """The points that get a marker, in the order :func:`_draw_day` draws them."""
    pts = [s.point for s in day.stops]
    same = (
        day.start is not None
        and day.end is not None
        and (day.start.lat, day.start.lon) == (day.end.lat, day.end.lon)
    )
    if day.start is not None:
        pts.append(day.start)
    if day.end is not None and not same:
        pts.append(day.end)
    return pts


def _day_shifts(days: Sequence[RouteDay], project: Project) -> list[list[tuple[int, int]]]:
    """Pixel offsets of every marker of every day, fanned out over the whole map at its first zoom."""
    points = [[project(p.lat, p.lon) for p in _marker_points(d)] for d in days]
    flat = [p for pts in points for p in pts]
    offsets = fan_offsets(flat, zoom=_first_zoom(_route_latlons(days, project)))
    out, k = [], 0
    for pts in points:
        out.append([*offsets[k : k + len(pts)], (0, 0), (0, 0)])
        k += len(pts)
    return out


def _route_latlons(days: Sequence[RouteDay], project: Project) -> list[LatLon]:
    out: list[LatLon] = []
    for day in days:
        out += [project(p.lat, p.lon) for p in _day_points(day)]
        if day.path is not None:
            out += [project(lat, lon) for lat, lon in day.path]
    return out


def _route_legend_rows(days: Sequence[RouteDay], lang: Lang) -> list[str]:
    t = _TEXT[lang]
    rows = [el._legend_row("", DAY_COLORS[i % len(DAY_COLORS)], _e(day.label)) for i, day in enumerate(days)]
    if any(d.start is not None or d.end is not None for d in days):
        rows.append(el._legend_row("sq", None, _e(f"{t['start']} / {t['end']}")))
    if any(d.path is None and len(_day_points(d)) >= 2 for d in days):
        rows.append(el._legend_row("ln", None, _e(t["straight"])))
    if any(p.approximate for d in days for p in _day_points(d)):
        rows.append(el._legend_row("dc", None, _e(t["approx_legend"])))
    levels = {s.crowd_level for d in days for s in d.stops if s.crowd_level is not None}
    if levels:
        rows.append(f"<div><b>{_e(t['crowd_legend'])}</b></div>")
        tiers = ("normal", "yellow", "orange", "red")
        rows += [el._legend_row("", CROWD_COLORS[lv], _e(t[f"t{i}"])) for i, lv in enumerate(tiers)]
    return rows


def _check_days(days: Sequence[RouteDay], where: str) -> None:
    if not days or not any(_day_points(d) for d in days):
        raise DataValidationError(
            [Issue(where, None, "days", repr(list(days)), "at least one day with a place")]
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
    assets = el._check_options(tiles, lang, tianditu_key, assets)
    _check_days(days, "render_route_map")
    project = el._projection(tiles)
    m = el._base_map(_route_latlons(days, project), tiles=tiles, tianditu_key=tianditu_key, assets=assets)
    shifts = _day_shifts(days, project)
    for i, day in enumerate(days):
        color = DAY_COLORS[i % len(DAY_COLORS)]
        group = folium.FeatureGroup(name=_e(day.label), show=True)
        _draw_day(group, day, color, project, lang, shifts[i])
        group.add_to(m)
    el._controls(m, _TEXT[lang]["legend"], _route_legend_rows(days, lang))
    return m
