"""Put a folium map from :mod:`tourplan.maps` into one of our pages.

folium renders a map as three parts (header, body, script). The header
holds ``<script src>`` links to the vendored Leaflet, small inline scripts
and styles, plus a ``<meta name="viewport">`` that forbids zooming and page
styles (``html, body {height: 100%}``) meant for a map alone on its page.
Inside our own pages those are dropped (the viewport meta fails WCAG 1.4.4);
on a full-page embed the page styles stay. Every inline ``<script>`` gets
the request's CSP nonce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from tourplan import maps

__all__ = ["MapParts", "map_parts"]

_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(r"<script>", re.IGNORECASE)
_PAGE_STYLES = re.compile(
    r"<style>\s*(html,\s*body\s*\{[^}]*\}|#map\s*\{[^}]*\})\s*</style>", re.IGNORECASE | re.DOTALL
)
_MAP_ID = re.compile(r'class="folium-map" id="([^"]+)"')


@dataclass(frozen=True)
class MapParts:
    """A rendered map, ready for a template.

    Attributes
    ----------
    head
        Links and styles for ``<head>`` (inline scripts carry the nonce).
    body
        The map ``<div class="folium-map">``.
    script
        A ``<script nonce=...>`` element that builds the map.
    map_id
        The id of the map div.
    """

    head: Markup
    body: Markup
    script: Markup
    map_id: str


def map_parts(m: Any, nonce: str, *, full_page: bool = False) -> MapParts:
    """Render a map for one of our templates.

    Parameters
    ----------
    m
        A map from ``tourplan.maps.render_*_map``.
    nonce
        The request's CSP nonce.
    full_page
        Keep folium's page styles (the map fills the whole page: embeds).

    Returns
    -------
    MapParts
    """
    comp = maps.render_components(m)
    head = _META.sub("", comp.header)
    if not full_page:
        head = _PAGE_STYLES.sub("", head)
    head = _INLINE_SCRIPT.sub(f'<script nonce="{nonce}">', head)
    found = _MAP_ID.search(comp.html)
    script = f'<script nonce="{nonce}">{comp.script}</script>'
    return MapParts(
        Markup(head),  # folium output; data escaped by tourplan.maps
        Markup(comp.html),
        Markup(script),
        found.group(1) if found else "",
    )
