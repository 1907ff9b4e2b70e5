"""Interactive Leaflet maps of itineraries, study tours and visitor flow.

The small frozen view-model classes (:class:`MapPoint`, :class:`MapStop`,
:class:`RouteDay`, :class:`StudyGroupLayer`, :class:`FlowSite`) are what a
map is drawn from; :mod:`tourplan.views` makes them from planning results.
This package turns them into :class:`folium.Map` objects and never imports
a planner. Coordinates are always WGS-84; they are converted to GCJ-02 only
when drawing on Gaode tiles.

Modules: :mod:`~tourplan.maps.elements` (view-models, text, popups,
legend, base map), :mod:`~tourplan.maps.route` (itineraries),
:mod:`~tourplan.maps.study` (study tours), :mod:`~tourplan.maps.flow`
(visitor flow with a time slider) and :mod:`~tourplan.maps.output`
(pages, standalone files, iframes).

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

from tourplan.maps import elements
from tourplan.maps.elements import *  # noqa: F403  (the view-model types and constants, ``elements.__all__``)
from tourplan.maps.flow import FlowSite, LoadTier, load_tier, occupancy_chart_svg, render_flow_map
from tourplan.maps.output import (
    MapComponents,
    embed_snippet,
    render_components,
    render_html,
    to_standalone_html,
)
from tourplan.maps.route import RouteDay, fan_offsets, render_route_map
from tourplan.maps.study import StudyGroupLayer, render_study_map

__all__ = [
    "FlowSite",
    "LoadTier",
    "MapComponents",
    "RouteDay",
    "StudyGroupLayer",
    "embed_snippet",
    "fan_offsets",
    "load_tier",
    "occupancy_chart_svg",
    "render_components",
    "render_flow_map",
    "render_html",
    "render_route_map",
    "render_study_map",
    "to_standalone_html",
]
__all__ += elements.__all__
