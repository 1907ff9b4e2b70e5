"""Security headers of every response and the per-request CSP nonce.

* Everything except ``/embed/...`` refuses to be framed:
  ``Content-Security-Policy: frame-ancestors 'none'`` and
  ``X-Frame-Options: DENY``.
* ``/embed/...`` pages may be framed by the sources configured in
  ``EMBED_FRAME_ANCESTORS`` (default ``*``) and send no X-Frame-Options.
* Scripts run only from this origin or with the request's nonce (the inline
  scripts folium writes for a map get it in :mod:`tourplan.web.mapview`);
  images from this origin, ``data:`` and the configured tile servers.
* Always: ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy: strict-origin-when-cross-origin``.
* CORS (flask-cors) only on the public API a page on another site may call:
  ``GET /api/v1/sites...``, ``GET /api/v1/itineraries/<id>`` and its
  exports, ``POST /api/v1/itineraries``; origins from ``CORS_ORIGINS``
  (default ``*``), never with credentials. Staff endpoints and HTML pages
  send no CORS headers, so a browser refuses another site's script their
  answers, and the JSON-only staff API keeps refusing cross-site writes
  (the preflight a JSON body needs is never granted there).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from flask import current_app, g, request

from tourplan.web.config import frame_ancestors

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = ["CORS_RESOURCES", "TILE_SOURCES", "cors_origins", "csp_nonce", "init_cors", "init_security"]

#: Tile servers maps may load images from, per MAP_TILES choice.
TILE_SOURCES: dict[str, tuple[str, ...]] = {
    "osm": ("https://tile.openstreetmap.org",),
    "gaode": ("https://*.is.autonavi.com",),
    "tianditu": ("https://*.tianditu.gov.cn",),
}
_ALL_TILES = tuple(src for srcs in TILE_SOURCES.values() for src in srcs)


def csp_nonce() -> str:
    """Return this request's CSP nonce (created on first use)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        g.csp_nonce = nonce
    return nonce


def is_embed_path(path: str) -> bool:
    """Whether a path is one of the frameable embed pages."""
    return path == "/embed" or path.startswith("/embed/")


def _csp(framed: bool) -> str:
    ancestors = frame_ancestors(current_app.config["EMBED_FRAME_ANCESTORS"]) if framed else "'none'"
    parts = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}'",
        # Leaflet and folium set inline style attributes; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: " + " ".join(_ALL_TILES),
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ]
    return "; ".join(parts)


def _headers(response: Response) -> Response:
    framed = is_embed_path(request.path)
    response.headers["Content-Security-Policy"] = _csp(framed)
    if framed:
        response.headers.pop("X-Frame-Options", None)
    else:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


#: Path patterns of the public API that answer cross-origin requests, and their methods.
CORS_RESOURCES: dict[str, tuple[str, ...]] = {
    r"^/api/v1/sites(/[^/]*)?$": ("GET",),
    r"^/api/v1/itineraries$": ("POST",),
    r"^/api/v1/itineraries/[A-Za-z0-9_\-]{8,64}(\.(gpx|ics|geojson))?$": ("GET",),
    r"^/api/v1/itineraries/[A-Za-z0-9_\-]{8,64}/export$": ("GET",),
}


def cors_origins(value: list[str] | tuple[str, ...] | str | None) -> list[str] | str:
    """Normalise ``CORS_ORIGINS``: ``"*"`` or a list of ``scheme://host[:port]``.

    Raises
    ------
    ValueError
        When an origin is not of that form (a path, a wildcard inside a host).

    Examples
    --------
    >>> cors_origins("https://a.example https://b.example:8443")
    ['https://a.example', 'https://b.example:8443']
    >>> cors_origins(None)
    '*'
    """
    items = value.split() if isinstance(value, str) else list(value or [])
    if not items or items == ["*"]:
        return "*"
    bad = [o for o in items if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?", o)]
    if bad:
        msg = f"CORS_ORIGINS: expected '*' or origins like https://example.org, got {bad!r}"
        raise ValueError(msg)
    return items


def init_cors(app: Flask) -> None:
    """CORS headers on the public API only (see the module docstring)."""
    from flask_cors import CORS  # type: ignore[import-untyped, unused-ignore]

    origins = cors_origins(app.config.get("CORS_ORIGINS"))
    CORS(
        app,
        resources={
            pattern: {"origins": origins, "methods": [*methods, "OPTIONS"]}
            for pattern, methods in CORS_RESOURCES.items()
        },
        supports_credentials=False,
        send_wildcard=origins == "*",
        allow_headers=["Content-Type"],
        expose_headers=["Location", "Retry-After"],
        max_age=600,
        vary_header=True,
    )


def init_security(app: Flask) -> None:
    """Add the headers to every response and ``csp_nonce()`` to templates."""
    frame_ancestors(app.config["EMBED_FRAME_ANCESTORS"])  # fail at start on a bad value
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
