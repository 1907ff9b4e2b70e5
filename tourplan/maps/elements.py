"""What every map of :mod:`tourplan.maps` shares: view-models, text, elements and the base map.

:class:`MapPoint` and :class:`MapStop` are the view-models of places and
visits (the route, study and flow modules add their own on top); the
helpers here escape text (``_e`` for HTML, ``_js`` for scripts), build
popups, legends and the layer control, and make the base map with its own
asset lists and tiles. Everything named with a leading underscore is for
the modules of this package only.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import folium
from branca.element import MacroElement
from folium.template import Template

from tourplan import _assets
from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError, Issue
from tourplan.maps._text import _TEXT

__all__ = [
    "APPROXIMATE_THRESHOLD_M",
    "COMPACT_WIDTH",
    "CROWD_COLORS",
    "DAY_COLORS",
    "Lang",
    "LatLon",
    "MapPoint",
    "MapStop",
    "Tiles",
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

#: Ring colour of a stop by its expected crowd tier (the flow map's warning colours).
CROWD_COLORS: dict[str, str] = {
    "normal": "#2e7d32",
    "yellow": "#f9a825",
    "orange": "#ef6c00",
    "red": "#c62828",
}

_TIANDITU_KEY = re.compile(r"^[0-9A-Za-z]{8,64}$")


# --------------------------------------------------------------------------- view models


def _problem(where: str, column: str, value: object, expected: str) -> Issue:
    return Issue(file=where, row=None, column=column, value=repr(value), expected=expected)


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_latlon(where: str, lat: object, lon: object) -> list[Issue]:
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
    problems: list[Issue] = []
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
    crowd_level
        Its warning tier (``"normal"``, ``"yellow"``, ``"orange"``, ``"red"``)
        when forecast, or ``None``; the marker is ringed in the tier's colour.
    """

    point: MapPoint
    order: int
    arrive: str = ""
    leave: str = ""
    activity: str = ""
    ticket_cny: float | None = None
    crowd: str | None = None
    crowd_level: str | None = None

    def __post_init__(self) -> None:
        where = f"MapStop {self.point.name_zh or self.point.name_en!r}"
        problems = []
        if not isinstance(self.order, int) or isinstance(self.order, bool) or self.order < 1:
            problems.append(_problem(where, "order", self.order, "an integer >= 1"))
        if self.ticket_cny is not None and not (_finite(self.ticket_cny) and self.ticket_cny >= 0):
            problems.append(_problem(where, "ticket_cny", self.ticket_cny, "None or a price >= 0"))
        if self.crowd_level is not None and self.crowd_level not in CROWD_COLORS:
            problems.append(
                _problem(where, "crowd_level", self.crowd_level, f"None or one of {list(CROWD_COLORS)}")
            )
        if problems:
            raise DataValidationError(problems)


# --------------------------------------------------------------------------- text

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


def _approx_html(point: MapPoint, lang: Lang | None = None) -> str:
    if not point.approximate:
        return ""
    radius = f"{point.location_error_m:,.0f}"
    if lang is None:
        text = f"位置为近似 / approximate location (±{radius} m)"
    else:
        text = _TEXT[lang]["approx_note"].format(m=radius)
    return f'<div class="tp-approx">{_e(text)}</div>'


def _note_html(point: MapPoint) -> str:
    return f'<div class="tp-note">{_e(point.note)}</div>' if point.note else ""


def _place_popup(point: MapPoint, lang: Lang, *, head: str = "", body: str = "") -> str:
    """A popup about one place: ``head``, the names, ``body``, the note and the approximate-location line.

    ``head`` and ``body`` are HTML the caller escaped.
    """
    return (
        f'<div class="tp-popup">{head}{_names_html(point, lang)}{body}'
        f"{_note_html(point)}{_approx_html(point, lang)}</div>"
    )


def _ticket_text(ticket: float | None, t: dict[str, str]) -> str | None:
    if ticket is None:
        return None
    if ticket == 0:
        return t["free"]
    return f"¥{ticket:,.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- elements

_CSS = """
.tp-icon{background:none;border:none}
.tp-stop{box-sizing:border-box;width:26px;height:26px;border-radius:13px;border:2px solid #fff;
 color:#fff;font:bold 13px/22px sans-serif;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.5)}
.tp-stop.tp-approx-stop{border-style:dashed;opacity:.85}
.tp-stop.tp-crowd{box-shadow:0 0 0 3px var(--tp-crowd),0 1px 3px rgba(0,0,0,.5)}
.tp-fan{position:relative;width:26px;height:26px}
.tp-leader{position:absolute;left:13px;top:13px;height:0;border-top:1.5px solid #333;
 transform-origin:0 0;z-index:-1;pointer-events:none}
.tp-legend .ln{width:18px;height:0;border-radius:0;border-top:3px dashed #555;vertical-align:3px}
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


# --------------------------------------------------------------------------- base map

Project = Callable[[float, float], LatLon]


def _identity(lat: float, lon: float) -> LatLon:
    return lat, lon


def _projection(tiles: Tiles) -> Project:
    """How WGS-84 coordinates are drawn on ``tiles``: converted to GCJ-02 on Gaode's, as they are elsewhere."""
    return wgs84_to_gcj02 if tiles == "gaode" else _identity


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
        # the vector base layer, then its labels as an overlay without a switch
        for layer, name, overlay in (("vec", "天地图 Tianditu", False), ("cva", "天地图注记 labels", True)):
            folium.TileLayer(
                tiles=wmts % (layer, layer),
                attr="&copy; 天地图 Tianditu",
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=overlay,
                control=not overlay,
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
    # Keep markers clear of the controls: zoom and layers at the top, legend and
    # time slider at the bottom; fanned-out markers sit up to ~40 px off their point.
    bottom = 100 if time_slider else 60
    m.fit_bounds([sw, ne], padding_top_left=(48, 56), padding_bottom_right=(56, bottom), max_zoom=16)
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


def _marker(
    group: Any,
    loc: LatLon,
    icon_html: str,
    popup_html: str,
    tooltip_html: str,
    *,
    width: int = 26,
    height: int = 26,
    shift: tuple[int, int] = (0, 0),
) -> None:
    """Add a marker drawn by ``icon_html`` (:func:`_divicon`) at ``loc``, with its popup and tooltip."""
    marker = folium.Marker(location=loc, icon=_divicon(icon_html, width, height, shift))
    _popup(marker, popup_html)
    _tooltip(marker, tooltip_html)
    marker.add_to(group)


def _approx_circle(group: Any, point: MapPoint, loc: LatLon, popup_html: str) -> None:
    """Add a dashed circle of the location error around an approximate point (nothing for an exact one)."""
    if not point.approximate:
        return
    circle = folium.Circle(
        location=loc,
        radius=point.location_error_m,
        color="#b35900",
        weight=2,
        dash_array="6 5",
        fill=True,
        fill_opacity=0.08,
    )
    _popup(circle, popup_html)
    circle.add_to(group)


def _legend_row(swatch_class: str, color: str | None, label_html: str) -> str:
    style = f' style="background:{color}"' if color else ""
    return f'<div><span class="sw {swatch_class}"{style}></span>{label_html}</div>'
