"""Vendored front-end assets (Leaflet and friends) and how maps link them.

Every map tourplan renders loads its JavaScript and CSS from
``static/vendor`` (served by the web app) or inlines them
(:func:`tourplan.maps.to_standalone_html`); nothing comes from a CDN. The
versions here must match the folders in ``static/vendor`` and the table in
``static/vendor/README.md``.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

__all__ = [
    "DEFAULT_ASSETS_URL",
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "TIMEDIMENSION_CSS",
    "TIMEDIMENSION_JS",
    "default_vendor_dir",
    "inline",
    "validate_assets_url",
]

DEFAULT_ASSETS_URL = "/static/vendor"

LEAFLET_VERSION = "1.9.3"  # the version folium 0.20 links
TIMEDIMENSION_VERSION = "1.1.1"  # the version folium's TimestampedGeoJson links
ISO8601_VERSION = "0.2.1"  # leaflet-timedimension's only dependency

# (name, path relative to the vendor folder)
LEAFLET_JS = (("leaflet", f"leaflet-{LEAFLET_VERSION}/leaflet.js"),)
LEAFLET_CSS = (("leaflet_css", f"leaflet-{LEAFLET_VERSION}/leaflet.css"),)
TIMEDIMENSION_JS = (
    ("iso8601", f"iso8601-js-period-{ISO8601_VERSION}/iso8601.js"),
    (
        "leaflet.timedimension",
        f"leaflet-timedimension-{TIMEDIMENSION_VERSION}/leaflet.timedimension.min.js",
    ),
)
TIMEDIMENSION_CSS = (
    (
        "leaflet.timedimension_css",
        f"leaflet-timedimension-{TIMEDIMENSION_VERSION}/leaflet.timedimension.control.css",
    ),
)

_UNSAFE_URL_CHARS = re.compile(r"[\"'<>`\s\\]")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}
_ELEMENTS = {".js": "script", ".css": "style"}


def default_vendor_dir() -> Path:
    """Return the ``static/vendor`` folder of this source tree.

    Returns
    -------
    Path
        ``<repo>/static/vendor``, next to the ``tourplan`` package.
    """
    return Path(__file__).resolve().parent.parent / "static" / "vendor"


def validate_assets_url(assets: str) -> str:
    """Check a base URL for vendored assets and return it without a trailing slash.

    Parameters
    ----------
    assets
        Base URL such as ``"/static/vendor"`` or ``"https://example.org/vendor"``.

    Returns
    -------
    str
        The URL with any trailing ``/`` removed.

    Raises
    ------
    ValueError
        If the URL is empty or holds quotes, angle brackets, backslashes or
        whitespace (it is written into ``src``/``href`` attributes verbatim).

    Examples
    --------
    >>> validate_assets_url("/static/vendor/")
    '/static/vendor'
    """
    if not isinstance(assets, str) or not assets:
        msg = f"assets must be a non-empty base URL such as '/static/vendor', got {assets!r}"
        raise ValueError(msg)
    if _UNSAFE_URL_CHARS.search(assets):
        msg = f"assets must not contain quotes, '<', '>', backslashes or spaces, got {assets!r}"
        raise ValueError(msg)
    return assets.rstrip("/")


def _read_text(vendor_dir: Path, rel: str) -> tuple[Path, str]:
    path = (vendor_dir / rel).resolve()
    if vendor_dir.resolve() not in path.parents:
        msg = f"asset path must stay inside the vendor folder, got {rel!r}"
        raise ValueError(msg)
    if not path.is_file():
        msg = f"vendored asset {rel!r} not found under {str(vendor_dir)!r}"
        raise FileNotFoundError(msg)
    return path, path.read_text(encoding="utf-8")


def inline(vendor_dir: Path, rel: str) -> str:
    """Return a vendored script or stylesheet as an element to write into a page.

    Parameters
    ----------
    vendor_dir
        The vendor folder.
    rel
        Path of a script (``.js``) or stylesheet (``.css``) relative to it.

    Returns
    -------
    str
        ``<script>...</script>`` for a script, its source-map comment dropped;
        ``<style>...</style>`` for a stylesheet, its relative ``url(...)``
        references (Leaflet's layer and marker images) replaced by ``data:``
        URIs, so the result needs no other file.  A closing tag inside the
        code is broken up so it cannot end the element.

    Raises
    ------
    ValueError
        If *rel* is neither a script nor a stylesheet, leaves the vendor
        folder, or is a stylesheet that references an absolute or
        protocol-relative URL.
    """
    tag = _ELEMENTS.get(Path(rel).suffix.lower())
    if tag is None:
        msg = f"asset {rel!r} must be a .js script or a .css stylesheet"
        raise ValueError(msg)
    path, code = _read_text(vendor_dir, rel)
    code = _SOURCE_MAP.sub("", code) if tag == "script" else _embed_urls(code, path, rel)
    code = re.sub(rf"</({tag})", r"<\\/\1", code, flags=re.IGNORECASE)
    return f"<{tag}>\n{code}\n</{tag}>"


def _embed_urls(css: str, path: Path, rel: str) -> str:
    """The stylesheet at *path* with each relative ``url(...)`` made a ``data:`` URI."""

    def data_uri(match: re.Match[str]) -> str:
        ref = match.group(2)
        if ref.startswith(("#", "data:")):
            return match.group(0)
        if ref.startswith(("/", "http:", "https:")) or ":" in ref:
            msg = f"stylesheet {rel!r} references a non-local URL {ref!r}"
            raise ValueError(msg)
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        mime = _MIME.get(target.suffix.lower(), "application/octet-stream")
        payload = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{payload}")'

    return _CSS_URL.sub(data_uri, css)
