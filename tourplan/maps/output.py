"""Map output: a full page, its parts for one's own template, a self-contained file, an iframe.

:func:`render_html` and :func:`render_components` render a map from any
``render_*_map``; :func:`to_standalone_html` inlines every vendored script
and style so the file opens anywhere; :func:`embed_snippet` writes the
``<iframe>`` another site pastes to show one of our map pages.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan import _assets
from tourplan.maps.elements import _e

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MapComponents", "embed_snippet", "render_components", "render_html", "to_standalone_html"]


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

    page = _SCRIPT_SRC.sub(lambda mt: _assets.inline(folder, rel_of(mt.group(1))), page)
    page = _CSS_LINK.sub(lambda mt: _assets.inline(folder, rel_of(mt.group(1))), page)
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
