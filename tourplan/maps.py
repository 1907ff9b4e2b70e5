"""Interactive Leaflet maps of itineraries, study tours and visitor flow.

The planners convert their results into the small frozen view-model classes
below (:class:`MapPoint`, :class:`MapStop`, :class:`RouteDay`,
:class:`StudyGroupLayer`, :class:`FlowSite`); this module turns those into
:class:`folium.Map` objects and never imports a planner. Coordinates are
always WGS-84; they are converted to GCJ-02 only when drawing on Gaode tiles.

Three promises hold for every map built here:

* **No CDN.** Each map gets its own asset lists pointing at the vendored
  files under ``static/vendor`` (base URL ``assets``), or everything is
  inlined by :func:`to_standalone_html`. The only external host a rendered
  map contacts is the chosen tile server.
* **No injection.** Text from data (names, activities, labels, notes) is
  HTML-escaped with :func:`html.escape` and written into scripts as
  JSON with ``<``, ``>``, ``&`` and ``'`` escaped, so it can neither end a
  ``<script>`` element nor run as markup. folium's own ``Popup`` and
  ``Tooltip`` are not used: ``Popup`` needs jQuery and ``Tooltip`` pastes its
  text unescaped into a JavaScript template literal.
* **Self-contained controls.** Numbered stops are ``L.divIcon`` markers and
  flow sites are circle markers, so no marker image or icon font is needed.

Public functions: :func:`render_route_map`, :func:`render_study_map`,
:func:`render_flow_map`, :func:`render_html`, :func:`render_components`,
:func:`to_standalone_html`, :func:`embed_snippet`,
:func:`occupancy_chart_svg`, :func:`load_tier`.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

import folium
from branca.element import MacroElement
from folium.template import Template

from tourplan import _assets
from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError, Problem

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "APPROXIMATE_THRESHOLD_M",
    "DAY_COLORS",
    "FlowSite",
    "LoadTier",
    "MapComponents",
    "MapPoint",
    "MapStop",
    "RouteDay",
    "StudyGroupLayer",
    "embed_snippet",
    "load_tier",
    "occupancy_chart_svg",
    "render_components",
    "render_flow_map",
    "render_html",
    "render_route_map",
    "render_study_map",
    "to_standalone_html",
]

Tiles = Literal["osm", "gaode", "tianditu"]
Lang = Literal["zh", "en"]
LatLon = tuple[float, float]

#: A site whose location error is at least this (metres) is drawn as approximate.
APPROXIMATE_THRESHOLD_M = 500.0

#: Colours given to days (and study groups) in order; they repeat after eight.
DAY_COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
)

_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_TIANDITU_KEY = re.compile(r"^[0-9A-Za-z]{8,64}$")
_FLOW_EPOCH_MS = 946_684_800_000  # 2000-01-01T00:00Z; the slider shows UTC clock time


# --------------------------------------------------------------------------- view models


def _problem(where: str, column: str, value: object, expected: str) -> Problem:
    return Problem(file=where, row=None, column=column, value=repr(value), expected=expected)


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_latlon(where: str, lat: object, lon: object) -> list[Problem]:
    problems = []
    if not (_finite(lat) and -90.0 <= lat <= 90.0):  # type: ignore[operator]
        problems.append(_problem(where, "lat", lat, "a WGS-84 latitude in [-90, 90]"))
    if not (_finite(lon) and -180.0 <= lon <= 180.0):  # type: ignore[operator]
        problems.append(_problem(where, "lon", lon, "a WGS-84 longitude in [-180, 180]"))
    return problems


def _as_path(where: str, path: Iterable[Sequence[float]] | None) -> tuple[LatLon, ...] | None:
    if path is None:
        return None
    out: list[LatLon] = []
    problems: list[Problem] = []
    for i, pair in enumerate(path):
        if len(pair) != 2:
            problems.append(_problem(f"{where}[{i}]", "path", pair, "a (lat, lon) pair"))
            continue
        lat, lon = pair
        problems += _check_latlon(f"{where}[{i}]", lat, lon)
        out.append((float(lat), float(lon)))
    if problems:
        raise DataValidationError(problems)
    return tuple(out)


@dataclass(frozen=True)
class MapPoint:
    """A place drawn on a map.

    Attributes
    ----------
    lat, lon
        WGS-84 latitude and longitude in degrees.
    name_zh
        Chinese name (shown first when ``lang="zh"``).
    name_en
        English name (may be empty).
    location_error_m
        Estimated error of the coordinate in metres. From
        :data:`APPROXIMATE_THRESHOLD_M` (500 m) up the place is drawn as
        approximate: a circle of this radius and a note in its popup.
    note
        Optional free text shown in popups.

    Raises
    ------
    DataValidationError
        If a coordinate is out of range or not finite, the error is negative,
        or both names are empty (all problems are reported at once).
    """

    lat: float
    lon: float
    name_zh: str
    name_en: str = ""
    location_error_m: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        where = f"MapPoint {self.name_zh or self.name_en!r}"
        problems = _check_latlon(where, self.lat, self.lon)
        if not (_finite(self.location_error_m) and self.location_error_m >= 0):
            problems.append(
                _problem(where, "location_error_m", self.location_error_m, "a finite number >= 0")
            )
        if not (str(self.name_zh).strip() or str(self.name_en).strip()):
            problems.append(_problem(where, "name_zh", self.name_zh, "a non-empty name"))
        if problems:
            raise DataValidationError(problems)

    @property
    def approximate(self) -> bool:
        """Whether the location error reaches :data:`APPROXIMATE_THRESHOLD_M`."""
        return self.location_error_m >= APPROXIMATE_THRESHOLD_M

    def name(self, lang: Lang = "zh") -> str:
        """Return the name in ``lang``, falling back to the other language."""
        first, second = (self.name_zh, self.name_en) if lang == "zh" else (self.name_en, self.name_zh)
        return first or second


@dataclass(frozen=True)
class MapStop:
    """One visit in an itinerary or a study-group schedule.

    Attributes
    ----------
    point
        Where the visit happens.
    order
        1-based position in the day; drawn on the marker.
    arrive, leave
        Clock times as display strings, e.g. ``"09:30"``.
    activity
        What the visitor does there.
    ticket_cny
        Ticket price in yuan; ``0`` is shown as free, ``None`` as unknown.
    crowd
        Expected crowding as a display string (e.g. ``"拥挤 busy"``), or ``None``.
    """

    point: MapPoint
    order: int
    arrive: str = ""
    leave: str = ""
    activity: str = ""
    ticket_cny: float | None = None
    crowd: str | None = None

    def __post_init__(self) -> None:
        where = f"MapStop {self.point.name_zh or self.point.name_en!r}"
        problems = []
        if not isinstance(self.order, int) or isinstance(self.order, bool) or self.order < 1:
            problems.append(_problem(where, "order", self.order, "an integer >= 1"))
        if self.ticket_cny is not None and not (_finite(self.ticket_cny) and self.ticket_cny >= 0):
            problems.append(_problem(where, "ticket_cny", self.ticket_cny, "None or a price >= 0"))
        if problems:
            raise DataValidationError(problems)


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


@dataclass(frozen=True)
class StudyGroupLayer:
    """One study-tour group (研学团) and its schedule.

    Attributes
    ----------
    label
        Layer and legend label, e.g. ``"初二(3)班"``.
    stops
        The group's visits; several visits to one site share a marker.
    bus_path
        The bus route as ``(lat, lon)`` pairs; when ``None`` a straight line
        joins the stops in order.
    color
        ``"#rrggbb"``, or ``None`` for the next colour of :data:`DAY_COLORS`.
    """

    label: str
    stops: Sequence[MapStop]
    bus_path: Sequence[LatLon] | None = None
    color: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(self.stops))
        object.__setattr__(
            self, "bus_path", _as_path(f"StudyGroupLayer {self.label!r} bus_path", self.bus_path)
        )
        if self.color is not None and not _HEX_COLOR.match(str(self.color)):
            where = f"StudyGroupLayer {self.label!r}"
            raise DataValidationError([_problem(where, "color", self.color, "'#rrggbb' or None")])


@dataclass(frozen=True)
class FlowSite:
    """A site's expected occupancy over one day, slot by slot.

    Attributes
    ----------
    point
        The site.
    capacity_instant
        Instantaneous maximum carrying capacity C0 (LB/T 034-2014), visitors.
    occupancy
        Visitors present in each time slot (stored as a tuple of floats);
        slot length and day start are arguments of :func:`render_flow_map`.
    """

    point: MapPoint
    capacity_instant: float
    occupancy: Sequence[float] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        where = f"FlowSite {self.point.name_zh or self.point.name_en!r}"
        problems = []
        if not (_finite(self.capacity_instant) and self.capacity_instant > 0):
            problems.append(_problem(where, "capacity_instant", self.capacity_instant, "a number > 0"))
        occ = tuple(float(x) for x in self.occupancy)
        if not occ:
            problems.append(_problem(where, "occupancy", occ, "at least one time slot"))
        bad = [x for x in occ if not (math.isfinite(x) and x >= 0)]
        if bad:
            problems.append(_problem(where, "occupancy", bad[0], "finite visitor counts >= 0"))
        if problems:
            raise DataValidationError(problems)
        object.__setattr__(self, "occupancy", occ)

    def ratios(self) -> tuple[float, ...]:
        """Return occupancy divided by :attr:`capacity_instant`, slot by slot."""
        return tuple(x / self.capacity_instant for x in self.occupancy)


class LoadTier(IntEnum):
    """Warning tier of a load ratio (occupancy / instantaneous capacity).

    Tiers follow the 80 / 90 / 100 % practice around LB/T 034-2014:
    under 80 % normal (green), 80-90 % yellow, 90-100 % orange, over 100 %
    red (stop selling tickets).
    """

    GREEN = 0
    YELLOW = 1
    ORANGE = 2
    RED = 3

    @property
    def color(self) -> str:
        """Display colour of the tier."""
        return _TIER_COLORS[self]


_TIER_COLORS = ("#2e7d32", "#f9a825", "#ef6c00", "#c62828")


def load_tier(ratio: float) -> LoadTier:
    """Return the warning tier of a load ratio.

    Parameters
    ----------
    ratio
        Occupancy divided by instantaneous capacity (1.0 = full).

    Returns
    -------
    LoadTier
        GREEN below 0.8, YELLOW from 0.8 below 0.9, ORANGE from 0.9 up to and
        including 1.0, RED above 1.0.

    Examples
    --------
    >>> [load_tier(r).name for r in (0.79, 0.8, 0.9, 1.0, 1.01)]
    ['GREEN', 'YELLOW', 'ORANGE', 'ORANGE', 'RED']
    """
    if ratio > 1.0:
        return LoadTier.RED
    if ratio >= 0.9:
        return LoadTier.ORANGE
    if ratio >= 0.8:
        return LoadTier.YELLOW
    return LoadTier.GREEN


# --------------------------------------------------------------------------- text

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "arrive": "到达",
        "leave": "离开",
        "activity": "活动",
        "ticket": "门票",
        "free": "免费",
        "crowd": "预计人流",
        "start": "起点",
        "end": "终点",
        "start_end": "起点/终点",
        "start_mark": "起",
        "end_mark": "终",
        "both_mark": "起终",
        "legend": "图例",
        "approx_legend": "位置为近似（虚线圈）",
        "schedule": "日程",
        "bus": "巴士路线",
        "capacity": "瞬时最大承载量",
        "peak": "峰值",
        "at": "于",
        "visitors": "人",
        "load": "负荷（相对承载量）",
        "route": "行程",
        "sites": "景点人流",
        "t0": "< 80% 正常",
        "t1": "80–90% 黄色预警",
        "t2": "90–100% 橙色预警",
        "t3": "> 100% 红色（停止售票）",
    },
    "en": {
        "arrive": "Arrive",
        "leave": "Leave",
        "activity": "Activity",
        "ticket": "Ticket",
        "free": "free",
        "crowd": "Expected crowd",
        "start": "Start",
        "end": "End",
        "start_end": "Start/end",
        "start_mark": "S",
        "end_mark": "E",
        "both_mark": "S/E",
        "legend": "Legend",
        "approx_legend": "Approximate location (dashed circle)",
        "schedule": "Schedule",
        "bus": "bus route",
        "capacity": "Instantaneous capacity",
        "peak": "Peak",
        "at": "at",
        "visitors": "visitors",
        "load": "Load against capacity",
        "route": "Itinerary",
        "sites": "Visitor flow",
        "t0": "< 80% normal",
        "t1": "80–90% yellow warning",
        "t2": "90–100% orange warning",
        "t3": "> 100% red (stop ticket sales)",
    },
}


# branca renders each element's script and then parses the result again as a
# Jinja template (``Element(script(self, kwargs))`` in branca/element.py), so
# ``{{ ... }}`` or ``{% ... %}`` in map data would run on the server. Every
# ``{`` that could open a Jinja tag is escaped: as ``&#123;`` in HTML and as
# ``\\u007b`` in JSON (in JSON such a ``{`` only occurs inside strings).
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def _e(text: object) -> str:
    """HTML-escape any value for element content or a quoted attribute (and ``{`` for branca)."""
    return html.escape(str(text), quote=True).replace("{", "&#123;")


def _js(value: object) -> str:
    """Encode a value as JSON that is safe inside an HTML ``<script>`` element and branca's templates."""
    out = (
        json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
    return _JINJA_OPEN.sub(r"\\u007b", out)


def _hhmm(minutes: float) -> str:
    m = int(round(minutes)) % (24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def _names_html(point: MapPoint, lang: Lang) -> str:
    first = point.name(lang)
    second = point.name_en if first == point.name_zh else point.name_zh
    out = f'<div class="tp-name">{_e(first)}</div>'
    if second and second != first:
        out += f'<div class="tp-name2">{_e(second)}</div>'
    return out


def _approx_html(point: MapPoint) -> str:
    if not point.approximate:
        return ""
    radius = f"{point.location_error_m:,.0f}"
    return f'<div class="tp-approx">位置为近似 / approximate location (±{_e(radius)} m)</div>'


def _note_html(point: MapPoint) -> str:
    return f'<div class="tp-note">{_e(point.note)}</div>' if point.note else ""


def _ticket_text(ticket: float | None, t: dict[str, str]) -> str | None:
    if ticket is None:
        return None
    if ticket == 0:
        return t["free"]
    return f"¥{ticket:,.2f}".rstrip("0").rstrip(".")


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
    return (
        f'<div class="tp-popup">{head}<b class="tp-order">{stop.order}.</b>'
        f"{_names_html(stop.point, lang)}{body}{_note_html(stop.point)}"
        f"{_approx_html(stop.point)}</div>"
    )


# --------------------------------------------------------------------------- elements

_CSS = """
.tp-icon{background:none;border:none}
.tp-stop{box-sizing:border-box;width:26px;height:26px;border-radius:13px;border:2px solid #fff;
 color:#fff;font:bold 13px/22px sans-serif;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.5)}
.tp-stop.tp-approx-stop{border-style:dashed;opacity:.85}
.tp-end-icon{box-sizing:border-box;height:24px;padding:0 4px;border-radius:3px;
 border:2px solid #fff;background:#222;color:#fff;font:bold 12px/20px sans-serif;text-align:center;white-space:nowrap;
 box-shadow:0 1px 3px rgba(0,0,0,.5)}
.tp-popup{font:13px/1.45 sans-serif;min-width:160px}
.tp-popup .tp-name{display:inline;font-weight:bold;margin-left:.3em}
.tp-popup .tp-name2{color:#555}
.tp-popup .tp-day{color:#666;font-size:12px}
.tp-popup .tp-approx{color:#b35900;font-style:italic;margin-top:.3em}
.tp-popup .tp-note{color:#333;margin-top:.2em}
.tp-popup table{border-collapse:collapse}.tp-popup td{padding:0 .4em 0 0;vertical-align:top}
.tp-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;
 font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.4);max-width:240px}
.tp-legend .sw{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;
 border-radius:6px}
.tp-legend summary{cursor:pointer}.tp-legend summary b{margin-left:2px}
.tp-legend:not([open]){padding:3px 8px}
.tp-legend .sq{border-radius:2px;background:#222}
.tp-legend .dc{border:2px dashed #b35900;background:none;box-sizing:border-box}
.tp-chart{display:block;margin-top:4px}
.tp-chart .t0{fill:#2e7d32}.tp-chart .t1{fill:#f9a825}.tp-chart .t2{fill:#ef6c00}
.tp-chart .t3{fill:#c62828}.tp-chart text{font:10px sans-serif;fill:#444}
"""


class _Style(MacroElement):
    """A constant ``<style>`` block in the page header."""

    _template = Template("{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}")

    def __init__(self, css: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "TourplanStyle"
        self.css = css


class _ScrollGuard(MacroElement):
    """Wheel zoom only after a click when the map is part of a longer page or in a frame.

    A map in a page that scrolls (an itinerary, a study plan) or in another
    site's iframe would otherwise catch the wheel and zoom instead of letting
    the reader scroll past; a click (or keyboard focus) on the map turns wheel
    zoom on, leaving the map turns it off. A standalone map filling its own
    window keeps Leaflet's default.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var box = map.getContainer();
  var framed = window.self !== window.top;
  var ownPage = !framed && box.offsetHeight >= 0.9 * window.innerHeight
    && document.documentElement.scrollHeight <= window.innerHeight + 2;
  if (ownPage) { return; }
  map.scrollWheelZoom.disable();
  map.on("click focus", function () { map.scrollWheelZoom.enable(); });
  box.addEventListener("mouseleave", function () { map.scrollWheelZoom.disable(); });
})();
{% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ScrollGuard"


class _Bind(MacroElement):
    """Bind an escaped HTML popup or tooltip to the parent layer, without jQuery."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}({{ this.content }}, {{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        method: Literal["bindPopup", "bindTooltip"],
        content_html: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Bind"
        self.method = method
        self.content = _js(content_html)
        self.options = _js(options or {})


def _popup(layer: Any, content_html: str, max_width: int = 320) -> None:
    layer.add_child(_Bind("bindPopup", content_html, {"maxWidth": max_width}))


def _tooltip(layer: Any, content_html: str) -> None:
    layer.add_child(_Bind("bindTooltip", content_html, {"sticky": True}))


class _Legend(MacroElement):
    """A collapsible legend (escaped HTML in a ``<details>``) drawn as a Leaflet control.

    On a map narrower than :data:`COMPACT_WIDTH` pixels (a phone, a small
    embed) the legend starts folded and the layer control (JS name ``layers``)
    folds into its icon, opening and closing on a tap, so neither hides the route.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var lc = {{ this.layers }};
  var d = null, compact = null;
  var c = L.control({position: {{ this.position }}});
  c.onAdd = function () {
    d = L.DomUtil.create("details", "tp-legend");
    d.innerHTML = {{ this.content }};
    L.DomEvent.disableClickPropagation(d);
    return d;
  };
  c.addTo(map);
  // Wide: legend and layer list open. Narrow (phone, small embed): both folded;
  // a tap on the layers icon opens the list (Leaflet), a tap on the map closes it.
  function fit() {
    var now = map.getSize().x < {{ this.compact }};
    if (now === compact) { return; }
    compact = now;
    d.open = !now;
    if (now) { lc.collapse(); } else { lc.expand(); }
  }
  fit();
  map.on("resize", fit);
  map.on("click", function () { if (compact) { lc.collapse(); } });
})();
{% endmacro %}"""
    )

    def __init__(self, title_html: str, rows_html: str, layers: str, position: str = "bottomright") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.content = _js(f"<summary>{title_html}</summary>{rows_html}")
        self.position = _js(position)
        self.compact = COMPACT_WIDTH
        self.layers = layers


COMPACT_WIDTH = 520
"""Maps narrower than this many pixels fold their legend and layer control."""


def _controls(m: Any, title: str, rows: Sequence[str]) -> None:
    """Add the layer control and the legend (``title`` is plain text, ``rows`` escaped HTML)."""
    layers = folium.LayerControl(collapsed=False)
    layers.add_to(m)
    _Legend(f"<b>{_e(title)}</b>", "".join(rows), layers.get_name()).add_to(m)


class _FlowTimeline(MacroElement):
    """Circle markers restyled by a Leaflet.TimeDimension slider."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.map_name }};
  var group = {{ this._parent.get_name() }};
  var d = {{ this.data }};
  var td = L.timeDimension({times: d.times, currentTime: d.times[0]});
  map.timeDimension = td;
  var Ctl = L.Control.TimeDimension.extend({
    _getDisplayDateFormat: function (date) {
      function p(n) { return (n < 10 ? "0" : "") + n; }
      return p(date.getUTCHours()) + ":" + p(date.getUTCMinutes());
    }
  });
  map.addControl(new Ctl({
    timeDimension: td, position: "bottomleft", autoPlay: false, loopButton: true,
    timeSliderDragUpdate: true, speedSlider: false, timeZones: ["UTC"],
    playerOptions: {transitionTime: 700, loop: true, startOver: true}
  }));
  var markers = d.sites.map(function (s) {
    var m = L.circleMarker([s.lat, s.lon], {
      radius: s.r, weight: 2, opacity: 0.95, fillOpacity: 0.75, className: "tp-flow-site"
    });
    m.bindPopup(s.popup, {maxWidth: 300});
    m.bindTooltip(s.name);
    m.addTo(group);
    return m;
  });
  function show() {
    var i = td.getCurrentTimeIndex();
    markers.forEach(function (m, k) {
      var s = d.sites[k], c = d.colors[+s.tiers.charAt(i)];
      m.setStyle({color: c, fillColor: c});
      m.setTooltipContent(s.name + " " + s.pct[i] + "%");
    });
  }
  td.on("timeload", show);
  show();
  map.tourplanFlow = {timeDimension: td, markers: markers};
})();
{% endmacro %}"""
    )

    def __init__(self, map_name: str, data: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "FlowTimeline"
        self.map_name = map_name
        self.data = _js(data)


# --------------------------------------------------------------------------- base map

Project = Callable[[float, float], LatLon]


def _identity(lat: float, lon: float) -> LatLon:
    return lat, lon


def _check_options(tiles: str, lang: str, tianditu_key: str | None, assets: str) -> str:
    if tiles not in ("osm", "gaode", "tianditu"):
        msg = f"tiles must be 'osm', 'gaode' or 'tianditu', got {tiles!r}"
        raise ValueError(msg)
    if lang not in _TEXT:
        msg = f"lang must be 'zh' or 'en', got {lang!r}"
        raise ValueError(msg)
    if tiles == "tianditu":
        if not tianditu_key:
            msg = (
                "tiles='tianditu' needs tianditu_key (a Tianditu API key, 'tk'); "
                f"got {tianditu_key!r}. Use tiles='osm' or 'gaode' without a key."
            )
            raise ValueError(msg)
        if not _TIANDITU_KEY.match(tianditu_key):
            msg = f"tianditu_key must be 8-64 letters or digits, got {tianditu_key!r}"
            raise ValueError(msg)
    return _assets.validate_assets_url(assets)


def _add_tiles(m: Any, tiles: Tiles, tianditu_key: str | None) -> None:
    if tiles == "osm":
        folium.TileLayer(
            tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
            name="OpenStreetMap",
            max_zoom=19,
        ).add_to(m)
    elif tiles == "gaode":
        folium.TileLayer(
            tiles="https://webrd0{s}.is.autonavi.com/appmaptile"
            "?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="&copy; 高德地图 AutoNavi (GCJ-02)",
            name="高德地图 Gaode",
            subdomains="1234",
            max_zoom=18,
        ).add_to(m)
    else:
        wmts = (
            "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + str(tianditu_key)
        )
        folium.TileLayer(
            tiles=wmts % ("vec", "vec"),
            attr="&copy; 天地图 Tianditu",
            name="天地图 Tianditu",
            subdomains="01234567",
            max_zoom=18,
        ).add_to(m)
        folium.TileLayer(
            tiles=wmts % ("cva", "cva"),
            attr="&copy; 天地图 Tianditu",
            name="天地图注记 labels",
            subdomains="01234567",
            max_zoom=18,
            overlay=True,
            control=False,
        ).add_to(m)


def _base_map(
    latlons: Sequence[LatLon],
    *,
    tiles: Tiles,
    tianditu_key: str | None,
    assets: str,
    time_slider: bool = False,
) -> Any:
    """Create a Map with its own asset lists, tiles and styles, fitted to ``latlons``."""
    lats = [p[0] for p in latlons]
    lons = [p[1] for p in latlons]
    sw, ne = (min(lats), min(lons)), (max(lats), max(lons))
    m: Any = folium.Map(
        location=((sw[0] + ne[0]) / 2, (sw[1] + ne[1]) / 2),
        zoom_start=12,
        tiles=None,
        control_scale=True,
    )
    # Per-instance lists: never touch folium's class-level (shared) lists.
    js = list(_assets.LEAFLET_JS) + (list(_assets.TIMEDIMENSION_JS) if time_slider else [])
    css = list(_assets.LEAFLET_CSS) + (list(_assets.TIMEDIMENSION_CSS) if time_slider else [])
    m.default_js = [(name, f"{assets}/{rel}") for name, rel in js]
    m.default_css = [(name, f"{assets}/{rel}") for name, rel in css]
    m.tourplan_assets = assets
    _add_tiles(m, tiles, tianditu_key)
    _Style(_CSS).add_to(m)
    _ScrollGuard().add_to(m)
    # Keep markers clear of the bottom controls (legend, time slider).
    bottom = 100 if time_slider else 60
    m.fit_bounds([sw, ne], padding_top_left=(24, 24), padding_bottom_right=(24, bottom), max_zoom=16)
    return m


def _divicon(html_: str, width: int = 26, height: int = 26, shift: tuple[int, int] = (0, 0)) -> Any:
    dx, dy = shift  # pixels right/down, so markers of several layers at one site stay visible
    return folium.DivIcon(
        html=html_,
        icon_size=(width, height),
        icon_anchor=(width // 2 - dx, height // 2 - dy),
        popup_anchor=(dx, dy - height // 2),
        class_name="tp-icon",
    )


def _legend_row(swatch_class: str, color: str | None, label_html: str) -> str:
    style = f' style="background:{color}"' if color else ""
    return f'<div><span class="sw {swatch_class}"{style}></span>{label_html}</div>'


# --------------------------------------------------------------------------- route map


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
    if stop.point.approximate:
        circle = folium.Circle(
            location=loc,
            radius=stop.point.location_error_m,
            color="#b35900",
            weight=2,
            dash_array="6 5",
            fill=True,
            fill_opacity=0.08,
        )
        _popup(circle, popup)
        circle.add_to(group)
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
    popup = (
        f'<div class="tp-popup"><div class="tp-day">{_e(day_label)}</div>'
        f"<b>{_e(what)}</b>{_names_html(point, lang)}{_note_html(point)}"
        f"{_approx_html(point)}</div>"
    )
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
    project: Project = wgs84_to_gcj02 if tiles == "gaode" else _identity
    m = _base_map(_route_latlons(days, project), tiles=tiles, tianditu_key=tianditu_key, assets=assets)
    for i, day in enumerate(days):
        color = DAY_COLORS[i % len(DAY_COLORS)]
        group = folium.FeatureGroup(name=_e(day.label), show=True)
        _draw_day(group, day, color, project, lang)
        group.add_to(m)
    _controls(m, _TEXT[lang]["legend"], _route_legend_rows(days, lang))
    return m


# --------------------------------------------------------------------------- study map


def render_study_map(
    groups: Sequence[StudyGroupLayer],
    *,
    tiles: Tiles = "osm",
    lang: Lang = "zh",
    tianditu_key: str | None = None,
    assets: str = _assets.DEFAULT_ASSETS_URL,
) -> Any:
    """Draw a study tour: one toggleable layer per group with its bus route.

    Each group's sites get one marker (numbered with the group's visit
    order; several visits are listed as ``"2,5"``) whose popup is that
    group's schedule at the site.

    Parameters
    ----------
    groups
        One :class:`StudyGroupLayer` per group.
    tiles, lang, tianditu_key, assets
        As for :func:`render_route_map`.

    Returns
    -------
    folium.Map
        One FeatureGroup per group, a LayerControl and a legend.

    Raises
    ------
    DataValidationError
        If no group has a stop.
    ValueError
        For bad ``tiles``, ``lang``, ``tianditu_key`` or ``assets``.
    """
    assets = _check_options(tiles, lang, tianditu_key, assets)
    if not groups or not any(g.stops for g in groups):
        raise DataValidationError(
            [
                Problem(
                    "render_study_map", None, "groups", repr(list(groups)), "at least one group with a stop"
                )
            ]
        )
    project: Project = wgs84_to_gcj02 if tiles == "gaode" else _identity
    t = _TEXT[lang]
    latlons: list[LatLon] = []
    for g in groups:
        latlons += [project(s.point.lat, s.point.lon) for s in g.stops]
        latlons += [project(lat, lon) for lat, lon in g.bus_path or ()]
    m = _base_map(latlons, tiles=tiles, tianditu_key=tianditu_key, assets=assets)
    legend_rows = []
    for i, g in enumerate(groups):
        color = g.color or DAY_COLORS[i % len(DAY_COLORS)]
        group = folium.FeatureGroup(name=_e(g.label), show=True)
        line_src = (
            g.bus_path
            if g.bus_path is not None
            else [(s.point.lat, s.point.lon) for s in sorted(g.stops, key=lambda s: s.order)]
        )
        line = [project(lat, lon) for lat, lon in line_src]
        if len(line) >= 2:
            poly = folium.PolyLine(  # type: ignore[no-untyped-call]
                line, color=color, weight=4, opacity=0.75, dash_array="8 6"
            )
            _tooltip(poly, f"{_e(g.label)} · {_e(t['bus'])}")
            poly.add_to(group)
        visits: dict[tuple[float, float, str, str], list[MapStop]] = {}
        for s in sorted(g.stops, key=lambda s: s.order):
            key = (s.point.lat, s.point.lon, s.point.name_zh, s.point.name_en)
            visits.setdefault(key, []).append(s)
        for stops in visits.values():
            _draw_study_site(group, g.label, stops, color, project, lang, i)
        group.add_to(m)
        legend_rows.append(_legend_row("", color, _e(g.label)))
    if any(s.point.approximate for g in groups for s in g.stops):
        legend_rows.append(_legend_row("dc", None, _e(t["approx_legend"])))
    _controls(m, t["legend"], legend_rows)
    return m


def _draw_study_site(
    group: Any,
    label: str,
    stops: list[MapStop],
    color: str,
    project: Project,
    lang: Lang,
    index: int,
) -> None:
    t = _TEXT[lang]
    point = stops[0].point
    loc = project(point.lat, point.lon)
    rows = []
    for s in stops:
        when = f"{_e(s.arrive or '–')}–{_e(s.leave or '–')}"
        extra = []
        if s.activity:
            extra.append(_e(s.activity))
        ticket = _ticket_text(s.ticket_cny, t)
        if ticket is not None:
            extra.append(f"{_e(t['ticket'])}: {_e(ticket)}")
        if s.crowd:
            extra.append(f"{_e(t['crowd'])}: {_e(s.crowd)}")
        rows.append(f"<tr><td>{s.order}.</td><td>{when}</td><td>{'<br>'.join(extra)}</td></tr>")
    popup = (
        f'<div class="tp-popup"><div class="tp-day">{_e(label)} · {_e(t["schedule"])}</div>'
        f"{_names_html(point, lang)}<table>{''.join(rows)}</table>{_note_html(point)}"
        f"{_approx_html(point)}</div>"
    )
    if point.approximate:
        circle = folium.Circle(
            location=loc,
            radius=point.location_error_m,
            color="#b35900",
            weight=2,
            dash_array="6 5",
            fill=True,
            fill_opacity=0.08,
        )
        _popup(circle, popup)
        circle.add_to(group)
    number = ",".join(str(s.order) for s in stops)
    width = max(26, 12 + 8 * len(number))
    klass = "tp-stop tp-approx-stop" if point.approximate else "tp-stop"
    icon = _divicon(
        f'<div class="{klass}" style="background:{color};width:{width}px">{number}</div>',
        width=width,
        # groups sharing a site sit side by side instead of hiding each other
        shift=(index % 4 * 16, index // 4 % 3 * 16),
    )
    marker = folium.Marker(location=loc, icon=icon)
    _popup(marker, popup)
    _tooltip(marker, f"{_e(label)}: {_e(point.name(lang))}")
    marker.add_to(group)


# --------------------------------------------------------------------------- flow map


def occupancy_chart_svg(
    occupancy: Sequence[float],
    capacity: float,
    *,
    slot_minutes: int = 15,
    day_start: int = 8 * 60,
    width: int = 260,
    height: int = 90,
) -> str:
    """Return a small inline SVG bar chart of a site's occupancy over the day.

    Bars are coloured by :func:`load_tier`; dashed lines mark 80 % and 100 %
    of capacity. The SVG contains only numbers and fixed text, so it is safe
    to embed as is.

    Parameters
    ----------
    occupancy
        Visitors present in each slot.
    capacity
        Instantaneous capacity (visitors), > 0.
    slot_minutes
        Slot length in minutes.
    day_start
        Start of the first slot, minutes after midnight.
    width, height
        Size of the SVG in pixels.

    Returns
    -------
    str
        An ``<svg>`` element (class ``tp-chart``) with ``role="img"`` and an
        ``aria-label`` giving the peak.

    Examples
    --------
    >>> svg = occupancy_chart_svg([10, 85, 120], 100)
    >>> svg.startswith("<svg") and svg.count('<rect class="t') == 3
    True
    """
    occ = [float(x) for x in occupancy]
    if not occ or not capacity > 0:
        msg = f"occupancy must be non-empty and capacity > 0, got {len(occ)} slots, {capacity!r}"
        raise ValueError(msg)
    left, right, top, bottom = 2.0, 2.0, 4.0, 14.0
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = max(max(occ), capacity) * 1.08
    bar_w = plot_w / len(occ)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    peak_i = max(range(len(occ)), key=occ.__getitem__)
    peak_pct = round(100 * occ[peak_i] / capacity)
    label = f"peak {occ[peak_i]:.0f} ({peak_pct}%) at {_hhmm(day_start + peak_i * slot_minutes)}"
    parts = [
        f'<svg class="tp-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa"/>',
    ]
    for i, v in enumerate(occ):
        top_y = y(v)
        parts.append(
            f'<rect class="t{int(load_tier(v / capacity))}" x="{left + i * bar_w:.1f}" '
            f'y="{top_y:.1f}" width="{max(bar_w - 0.6, 0.4):.1f}" '
            f'height="{top + plot_h - top_y:.1f}"/>'
        )
    for frac, colour in ((0.8, "#f9a825"), (1.0, "#c62828")):
        yy = y(capacity * frac)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
            f'stroke="{colour}" stroke-dasharray="3 2" stroke-width="1"/>'
        )
    end = day_start + len(occ) * slot_minutes
    parts.append(f'<text x="{left}" y="{height - 2}">{_hhmm(day_start)}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 2}" text-anchor="end">{_hhmm(end)}</text>')
    parts.append(
        f'<text x="{width / 2:.0f}" y="{height - 2}" text-anchor="middle">'
        f"{peak_pct}% @ {_hhmm(day_start + peak_i * slot_minutes)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _flow_popup(site: FlowSite, slot_minutes: int, day_start: int, lang: Lang) -> str:
    t = _TEXT[lang]
    occ = site.occupancy
    peak_i = max(range(len(occ)), key=occ.__getitem__)
    peak_pct = round(100 * occ[peak_i] / site.capacity_instant)
    chart = occupancy_chart_svg(occ, site.capacity_instant, slot_minutes=slot_minutes, day_start=day_start)
    return (
        f'<div class="tp-popup">{_names_html(site.point, lang)}'
        f"<div>{_e(t['capacity'])}: {site.capacity_instant:,.0f} {_e(t['visitors'])}</div>"
        f"<div>{_e(t['peak'])}: {occ[peak_i]:,.0f} ({peak_pct}%) {_e(t['at'])} "
        f"{_hhmm(day_start + peak_i * slot_minutes)}</div>{chart}"
        f"{_note_html(site.point)}{_approx_html(site.point)}</div>"
    )


def render_flow_map(
    sites: Sequence[FlowSite],
    *,
    slot_minutes: int = 15,
    day_start: int = 8 * 60,
    route: Sequence[RouteDay] | None = None,
    tiles: Tiles = "osm",
    lang: Lang = "zh",
    tianditu_key: str | None = None,
    assets: str = _assets.DEFAULT_ASSETS_URL,
) -> Any:
    """Draw visitor load over a day with a time slider.

    Every site is a circle marker coloured by its load against capacity in
    the slot shown (see :func:`load_tier`); the Leaflet.TimeDimension slider
    (bottom left) steps through the slots. Each popup carries an inline SVG
    chart of the whole day. An itinerary can be drawn on top.

    Parameters
    ----------
    sites
        Sites with one occupancy value per slot; all must have the same
        number of slots.
    slot_minutes
        Length of a slot in minutes (> 0).
    day_start
        Start of the first slot in minutes after midnight (0-1439).
    route
        Optional itinerary drawn above the sites, one layer per day.
    tiles, lang, tianditu_key, assets
        As for :func:`render_route_map`.

    Returns
    -------
    folium.Map
        Layers: the flow sites and each route day, with a LayerControl and a
        legend of the warning tiers.

    Raises
    ------
    DataValidationError
        If ``sites`` is empty or the sites have different slot counts.
    ValueError
        For a bad ``slot_minutes``, ``day_start``, ``tiles``, ``lang``,
        ``tianditu_key`` or ``assets``.

    Notes
    -----
    The page holds sites x slots small numbers plus one chart per site
    (about 4 KB for 48 slots): roughly 0.4 MB for 70 sites over 12 hours.
    """
    assets = _check_options(tiles, lang, tianditu_key, assets)
    if not isinstance(slot_minutes, int) or isinstance(slot_minutes, bool) or slot_minutes <= 0:
        msg = f"slot_minutes must be a positive integer, got {slot_minutes!r}"
        raise ValueError(msg)
    if not isinstance(day_start, int) or not 0 <= day_start < 24 * 60:
        msg = f"day_start must be minutes after midnight in [0, 1440), got {day_start!r}"
        raise ValueError(msg)
    if not sites:
        raise DataValidationError([Problem("render_flow_map", None, "sites", "[]", "at least one FlowSite")])
    n_slots = len(sites[0].occupancy)
    problems = [
        _problem(
            f"FlowSite {s.point.name_zh or s.point.name_en!r}",
            "occupancy",
            len(s.occupancy),
            f"{n_slots} slots like the first site",
        )
        for s in sites
        if len(s.occupancy) != n_slots
    ]
    if problems:
        raise DataValidationError(problems)
    project: Project = wgs84_to_gcj02 if tiles == "gaode" else _identity
    latlons = [project(s.point.lat, s.point.lon) for s in sites]
    if route:
        latlons += _route_latlons(route, project)
    m = _base_map(latlons, tiles=tiles, tianditu_key=tianditu_key, assets=assets, time_slider=True)
    t = _TEXT[lang]
    max_cap = max(s.capacity_instant for s in sites)
    site_data = []
    for s in sites:
        lat, lon = project(s.point.lat, s.point.lon)
        ratios = s.ratios()
        site_data.append(
            {
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "r": round(6 + 10 * math.sqrt(s.capacity_instant / max_cap), 1),
                "name": _e(s.point.name(lang)),
                "popup": _flow_popup(s, slot_minutes, day_start, lang),
                "tiers": "".join(str(int(load_tier(r))) for r in ratios),
                "pct": [round(100 * r) for r in ratios],
            }
        )
    data = {
        "times": [_FLOW_EPOCH_MS + (day_start + i * slot_minutes) * 60_000 for i in range(n_slots)],
        "colors": list(_TIER_COLORS),
        "sites": site_data,
    }
    flow_group = folium.FeatureGroup(name=_e(t["sites"]), show=True)
    flow_group.add_child(_FlowTimeline(m.get_name(), data))
    flow_group.add_to(m)
    legend_rows = [_legend_row("", color, _e(t[f"t{i}"])) for i, color in enumerate(_TIER_COLORS)]
    if route:
        for i, day in enumerate(route):
            color = DAY_COLORS[i % len(DAY_COLORS)]
            group = folium.FeatureGroup(name=_e(f"{t['route']}: {day.label}"), show=True)
            _draw_day(group, day, color, project, lang)
            group.add_to(m)
        legend_rows += _route_legend_rows(route, lang)
    _controls(m, t["load"], legend_rows)
    return m


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class MapComponents:
    """The three parts of a rendered map, for a page template of one's own.

    Attributes
    ----------
    header
        ``<script src>``/``<link>`` tags and styles for ``<head>``.
    html
        The map ``<div>`` for ``<body>``.
    script
        JavaScript that builds the map; put it inside a ``<script>`` element
        after the div.
    """

    header: str
    html: str
    script: str


def render_html(m: Any) -> str:
    """Return the full HTML page of a map (assets linked from ``assets``).

    Parameters
    ----------
    m
        A map from one of the ``render_*_map`` functions.

    Returns
    -------
    str
        A complete ``<!DOCTYPE html>`` document.
    """
    return str(m.get_root().render())


def render_components(m: Any) -> MapComponents:
    """Render a map once and return its header, body HTML and script separately.

    Parameters
    ----------
    m
        A map from one of the ``render_*_map`` functions.

    Returns
    -------
    MapComponents
        Parts to place in one's own template (folium's "components" recipe).
    """
    root = m.get_root()
    root.render()
    return MapComponents(
        header=str(root.header.render()),
        html=str(root.html.render()),
        script=str(root.script.render()),
    )


_SCRIPT_SRC = re.compile(r'<script src="([^"]*)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="([^"]*)"/>')


def to_standalone_html(m: Any, *, vendor_dir: Path | None = None) -> str:
    """Return a single self-contained HTML page with every script and style inlined.

    Leaflet's images referenced from its stylesheet become ``data:`` URIs.
    The only remaining external requests are map tiles.

    Parameters
    ----------
    m
        A map from one of the ``render_*_map`` functions.
    vendor_dir
        Folder holding the vendored files; defaults to ``static/vendor`` of
        this source tree.

    Returns
    -------
    str
        The HTML page, with no ``<script src>`` and no ``<link href>``.

    Raises
    ------
    ValueError
        If the page links an asset that is not one of the vendored files.
    """
    base = getattr(m, "tourplan_assets", None)
    if not isinstance(base, str):
        msg = "to_standalone_html needs a map made by tourplan.maps.render_*_map"
        raise ValueError(msg)
    folder = vendor_dir if vendor_dir is not None else _assets.default_vendor_dir()
    page = render_html(m)

    def rel_of(url: str) -> str:
        prefix = base + "/"
        if not url.startswith(prefix):
            msg = f"asset {url!r} is not under the vendored base URL {base!r}"
            raise ValueError(msg)
        return html.unescape(url[len(prefix) :])

    page = _SCRIPT_SRC.sub(lambda mt: _assets.inline_js(folder, rel_of(mt.group(1))), page)
    page = _CSS_LINK.sub(lambda mt: _assets.inline_css(folder, rel_of(mt.group(1))), page)
    return page


_SIZE = re.compile(r"^(\d{1,5})(px|%)?$")


def embed_snippet(
    url: str, width: int | str = "100%", height: int | str = 480, title: str = "地图 Map"
) -> str:
    """Return an ``<iframe>`` that embeds a rendered map page.

    Parameters
    ----------
    url
        Address of the map page: ``http(s)://...`` or a path starting with ``/``.
    width, height
        Pixels (``480``, ``"480px"``) or a percentage (``"100%"``).
    title
        Accessible name of the frame (read by screen readers).

    Returns
    -------
    str
        ``<iframe src=... title=... loading="lazy">`` with every attribute
        escaped.

    Raises
    ------
    ValueError
        For another URL scheme (``javascript:``, ``data:``...) or a bad size.

    Examples
    --------
    >>> embed_snippet("/maps/1", 600, "50%", 'Day "1"')
    '<iframe src="/maps/1" width="600" height="50%" title="Day &quot;1&quot;" loading="lazy" \
style="border:0" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>'
    """
    u = str(url).strip()
    if not (
        re.match(r"^https?://[^\s/]", u, flags=re.IGNORECASE)
        or (u.startswith("/") and not u.startswith("//"))
    ):
        msg = f"url must be http(s):// or a path starting with '/', got {url!r}"
        raise ValueError(msg)

    def size(name: str, value: int | str) -> str:
        match = _SIZE.match(str(value).strip())
        if isinstance(value, bool) or not match:
            msg = f"{name} must be pixels (e.g. 480 or '480px') or a percentage, got {value!r}"
            raise ValueError(msg)
        return match.group(1) + ("%" if match.group(2) == "%" else "")

    return (
        f'<iframe src="{_e(u)}" width="{size("width", width)}" height="{size("height", height)}" '
        f'title="{_e(title)}" loading="lazy" style="border:0" '
        'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>'
    )
