"""Study-tour maps: one toggleable layer per group with its bus route.

:class:`StudyGroupLayer` is the view-model of one group (研学团);
:func:`render_study_map` draws a list of them. Turning a
:class:`tourplan.study.StudyTourPlan` into layers is the job of
:mod:`tourplan.views`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import folium

from tourplan import _assets
from tourplan.errors import DataValidationError, Issue
from tourplan.maps import elements as el
from tourplan.maps._text import _TEXT
from tourplan.maps.elements import DAY_COLORS, MapStop, _e

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.maps.elements import Lang, LatLon, Project, Tiles

__all__ = ["StudyGroupLayer", "render_study_map"]

_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


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
            self, "bus_path", el._as_path(f"StudyGroupLayer {self.label!r} bus_path", self.bus_path)
        )
        if self.color is not None and not _HEX_COLOR.match(str(self.color)):
            where = f"StudyGroupLayer {self.label!r}"
            raise DataValidationError([el._problem(where, "color", self.color, "'#rrggbb' or None")])


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
    assets = el._check_options(tiles, lang, tianditu_key, assets)
    if not groups or not any(g.stops for g in groups):
        raise DataValidationError(
            [
                Issue(
                    "render_study_map", None, "groups", repr(list(groups)), "at least one group with a stop"
                )
            ]
        )
    project = el._projection(tiles)
    t = _TEXT[lang]
    latlons: list[LatLon] = []
    for g in groups:
        latlons += [project(s.point.lat, s.point.lon) for s in g.stops]
        latlons += [project(lat, lon) for lat, lon in g.bus_path or ()]
    m = el._base_map(latlons, tiles=tiles, tianditu_key=tianditu_key, assets=assets)
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
            el._tooltip(poly, f"{_e(g.label)} · {_e(t['bus'])}")
            poly.add_to(group)
        visits: dict[tuple[float, float, str, str], list[MapStop]] = {}
        for s in sorted(g.stops, key=lambda s: s.order):
            key = (s.point.lat, s.point.lon, s.point.name_zh, s.point.name_en)
            visits.setdefault(key, []).append(s)
        for stops in visits.values():
            _draw_study_site(group, g.label, stops, color, project, lang, i)
        group.add_to(m)
        legend_rows.append(el._legend_row("", color, _e(g.label)))
    if any(s.point.approximate for g in groups for s in g.stops):
        legend_rows.append(el._legend_row("dc", None, _e(t["approx_legend"])))
    el._controls(m, t["legend"], legend_rows)
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
        ticket = el._ticket_text(s.ticket_cny, t)
        if ticket is not None:
            extra.append(f"{_e(t['ticket'])}: {_e(ticket)}")
        if s.crowd:
            extra.append(f"{_e(t['crowd'])}: {_e(s.crowd)}")
        rows.append(f"<tr><td>{s.order}.</td><td>{when}</td><td>{'<br>'.join(extra)}</td></tr>")
    head = f'<div class="tp-day">{_e(label)} · {_e(t["schedule"])}</div>'
    popup = el._place_popup(point, lang, head=head, body=f"<table>{''.join(rows)}</table>")
    el._approx_circle(group, point, loc, popup)
    number = ",".join(str(s.order) for s in stops)
    width = max(26, 12 + 8 * len(number))
    klass = "tp-stop tp-approx-stop" if point.approximate else "tp-stop"
    el._marker(
        group,
        loc,
        f'<div class="{klass}" style="background:{color};width:{width}px">{number}</div>',
        popup,
        f"{_e(label)}: {_e(point.name(lang))}",
        width=width,
        # groups sharing a site sit side by side instead of hiding each other
        shift=(index % 4 * 16, index // 4 % 3 * 16),
    )
