"""Flow maps: visitor load against capacity over a day, with a time slider.

:class:`FlowSite` is the view-model of one site's day, :func:`load_tier`
gives the warning tier of a load ratio, and :func:`render_flow_map` draws
the sites (optionally under an itinerary) with a Leaflet.TimeDimension
slider; :func:`occupancy_chart_svg` is the small chart in each popup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import folium
from branca.element import MacroElement
from folium.template import Template

from tourplan import _assets
from tourplan.errors import DataValidationError, Issue
from tourplan.maps import elements as el
from tourplan.maps._text import _TEXT
from tourplan.maps.elements import DAY_COLORS, MapPoint, _e
from tourplan.maps.route import RouteDay, _draw_day, _route_latlons, _route_legend_rows

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.maps.elements import Lang, Tiles

__all__ = ["FlowSite", "LoadTier", "load_tier", "occupancy_chart_svg", "render_flow_map"]

_FLOW_EPOCH_MS = 946_684_800_000  # 2000-01-01T00:00Z; the slider shows UTC clock time


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
    pct
        Optional whole percent of C0 per slot, as the flow alerts take it
        (``tourplan.flow.pct_of``); when given, the marker's colour is
        ``tourplan.flow.tier`` of it, so a site is red exactly when its alert
        is red.  Otherwise the percent is taken of :attr:`occupancy`.
    """

    point: MapPoint
    capacity_instant: float
    occupancy: Sequence[float] = field(default_factory=tuple)
    pct: Sequence[int] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        where = f"FlowSite {self.point.name_zh or self.point.name_en!r}"
        problems = []
        if not (el._finite(self.capacity_instant) and self.capacity_instant > 0):
            problems.append(el._problem(where, "capacity_instant", self.capacity_instant, "a number > 0"))
        occ = tuple(float(x) for x in self.occupancy)
        if not occ:
            problems.append(el._problem(where, "occupancy", occ, "at least one time slot"))
        bad = [x for x in occ if not (math.isfinite(x) and x >= 0)]
        if bad:
            problems.append(el._problem(where, "occupancy", bad[0], "finite visitor counts >= 0"))
        pct = tuple(int(x) for x in self.pct)
        if pct and len(pct) != len(occ):
            problems.append(el._problem(where, "pct", len(pct), f"one percent per slot ({len(occ)})"))
        if problems:
            raise DataValidationError(problems)
        object.__setattr__(self, "occupancy", occ)
        object.__setattr__(self, "pct", pct)

    def ratios(self) -> tuple[float, ...]:
        """Return occupancy divided by :attr:`capacity_instant`, slot by slot."""
        return tuple(x / self.capacity_instant for x in self.occupancy)

    def percents(self) -> tuple[int, ...]:
        """Whole percent of C0 per slot: :attr:`pct` when given, else occupancy over C0 rounded down."""
        if self.pct:
            return tuple(self.pct)
        return tuple(math.floor(100.0 * x / self.capacity_instant + 1e-7) for x in self.occupancy)

    def tiers(self) -> tuple[LoadTier, ...]:
        """Warning tier per slot, by the flow alerts' own :func:`tourplan.flow.tier` of :meth:`percents`."""
        from tourplan.flow.alerts import TIERS, tier

        return tuple(LoadTier(TIERS.index(tier(p))) for p in self.percents())


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
        GREEN below 80 %, YELLOW from 80 % below 90 %, ORANGE from 90 % up to
        and including 100 %, RED above 100 %, of the whole percent rounded
        down (as the flow alerts take it, so 100.5 % is still orange).

    Examples
    --------
    >>> [load_tier(r).name for r in (0.79, 0.8, 0.9, 1.0, 1.005, 1.01)]
    ['GREEN', 'YELLOW', 'ORANGE', 'ORANGE', 'ORANGE', 'RED']
    """
    pct = math.floor(100.0 * ratio + 1e-7)  # the whole percent the flow alerts take (tourplan.flow.pct_of)
    if pct > 100:
        return LoadTier.RED
    if pct >= 90:
        return LoadTier.ORANGE
    if pct >= 80:
        return LoadTier.YELLOW
    return LoadTier.GREEN


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
        self.data = el._js(data)


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
    label = f"peak {occ[peak_i]:.0f} ({peak_pct}%) at {el._hhmm(day_start + peak_i * slot_minutes)}"
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
    parts.append(f'<text x="{left}" y="{height - 2}">{el._hhmm(day_start)}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 2}" text-anchor="end">{el._hhmm(end)}</text>')
    parts.append(
        f'<text x="{width / 2:.0f}" y="{height - 2}" text-anchor="middle">'
        f"{peak_pct}% @ {el._hhmm(day_start + peak_i * slot_minutes)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _flow_popup(site: FlowSite, slot_minutes: int, day_start: int, lang: Lang) -> str:
    t = _TEXT[lang]
    occ = site.occupancy
    peak_i = max(range(len(occ)), key=occ.__getitem__)
    peak_pct = site.percents()[peak_i]
    chart = occupancy_chart_svg(occ, site.capacity_instant, slot_minutes=slot_minutes, day_start=day_start)
    body = (
        f"<div>{_e(t['capacity'])}: {site.capacity_instant:,.0f} {_e(t['visitors'])}</div>"
        f"<div>{_e(t['peak'])}: {occ[peak_i]:,.0f} ({peak_pct}%) {_e(t['at'])} "
        f"{el._hhmm(day_start + peak_i * slot_minutes)}</div>{chart}"
    )
    return el._place_popup(site.point, lang, body=body)


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
    assets = el._check_options(tiles, lang, tianditu_key, assets)
    if not isinstance(slot_minutes, int) or isinstance(slot_minutes, bool) or slot_minutes <= 0:
        msg = f"slot_minutes must be a positive integer, got {slot_minutes!r}"
        raise ValueError(msg)
    if not isinstance(day_start, int) or not 0 <= day_start < 24 * 60:
        msg = f"day_start must be minutes after midnight in [0, 1440), got {day_start!r}"
        raise ValueError(msg)
    if not sites:
        raise DataValidationError([Issue("render_flow_map", None, "sites", "[]", "at least one FlowSite")])
    n_slots = len(sites[0].occupancy)
    problems = [
        el._problem(
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
    project = el._projection(tiles)
    latlons = [project(s.point.lat, s.point.lon) for s in sites]
    if route:
        latlons += _route_latlons(route, project)
    m = el._base_map(latlons, tiles=tiles, tianditu_key=tianditu_key, assets=assets, time_slider=True)
    t = _TEXT[lang]
    max_cap = max(s.capacity_instant for s in sites)
    site_data = []
    for s in sites:
        lat, lon = project(s.point.lat, s.point.lon)
        site_data.append(
            {
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "r": round(6 + 10 * math.sqrt(s.capacity_instant / max_cap), 1),
                "name": _e(s.point.name(lang)),
                "popup": _flow_popup(s, slot_minutes, day_start, lang),
                "tiers": "".join(str(int(t)) for t in s.tiers()),
                "pct": list(s.percents()),
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
    legend_rows = [el._legend_row("", color, _e(t[f"t{i}"])) for i, color in enumerate(_TIER_COLORS)]
    if route:
        for i, day in enumerate(route):
            color = DAY_COLORS[i % len(DAY_COLORS)]
            group = folium.FeatureGroup(name=_e(f"{t['route']}: {day.label}"), show=True)
            _draw_day(group, day, color, project, lang)
            group.add_to(m)
        legend_rows += _route_legend_rows(route, lang)
    el._controls(m, t["load"], legend_rows)
    return m
