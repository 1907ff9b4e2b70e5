"""Map pages for other sites to frame, and the oEmbed endpoint.

``/embed/...`` pages are the only ones with a permissive ``frame-ancestors``
(see :mod:`tourplan.web.security`). Query parameters: ``width`` and
``height`` (pixels or a percentage; the map fills the frame by default),
``lang`` (``zh``/``en``) and ``tiles`` (``osm``/``gaode``/``tianditu``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]
from flask_login import current_user  # type: ignore[import-untyped, unused-ignore]

from tourplan import maps
from tourplan.errors import RequestValidationError
from tourplan.messages import LANGS, Message
from tourplan.site import THEMES
from tourplan.web.errors import api_error
from tourplan.web.i18n import THEME_LABELS, current_lang
from tourplan.web.mapview import map_parts
from tourplan.web.security import csp_nonce
from tourplan.web.services import planning, simulations
from tourplan.web.services.data import get_store
from tourplan.web.urls import external_url, is_own_url

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["bp", "embed_url_for"]

bp = Blueprint("embed", __name__)

_SIZE = re.compile(r"^(\d{2,4})(px|%)?$")
_TILES = ("osm", "gaode", "tianditu")
_PATHS = (
    (re.compile(r"^/i/([A-Za-z0-9_\-]{8,64})/?$"), "itinerary"),
    (re.compile(r"^/embed/itinerary/([A-Za-z0-9_\-]{8,64})/?$"), "itinerary"),
    (re.compile(r"^/embed/showcase/([a-z]{2,20})/?$"), "showcase"),
    (re.compile(r"^/embed/flow/([A-Za-z0-9_\-]{8,64})/?$"), "flow"),
)


def _bad(field: str, code: str, **params: Any) -> NoReturn:
    """Refuse a query parameter (400), naming it and saying what it must be, in the page's or client's language."""
    raise RequestValidationError({field: Message("field_problem", {"field": field, "text": Message(code, params)})})


def _size(name: str, default: str) -> str:
    raw = request.args.get(name, default).strip()
    m = _SIZE.match(raw)
    if not m:
        _bad(name, "embed_size", value=raw)
    n, unit = int(m.group(1)), m.group(2)
    if unit == "%":
        if not 10 <= n <= 100:
            _bad(name, "embed_percent", value=raw)
        return f"{n}%"
    if not 100 <= n <= 4000:
        _bad(name, "embed_pixels", min=100, max=4000, value=raw)
    return f"{n}px"


def _options() -> dict[str, Any]:
    lang = request.args.get("lang")
    if lang is not None and lang not in ("zh", "en"):
        _bad("lang", "embed_lang", value=lang)
    tiles = request.args.get("tiles") or current_app.config["MAP_TILES"]
    if tiles not in _TILES:
        _bad("tiles", "embed_tiles", choices=", ".join(_TILES), value=tiles)
    if tiles == "tianditu" and not current_app.config.get("TIANDITU_KEY"):
        _bad("tiles", "embed_tianditu_key")
    return {"width": _size("width", "100%"), "height": _size("height", "100%"), "tiles": tiles}


def _page(m: Any, title: str, link: str | None, opts: dict[str, Any]) -> ResponseReturnValue:
    return render_template(
        "embed.html",
        map=map_parts(m, csp_nonce(), full_page=True),
        title=title,
        link=link,
        opts=opts,
        oembed_url=external_url(
            "embed.oembed", url=external_url(str(request.endpoint), **(request.view_args or {})), format="json"
        ),
    )


def _download(m: Any, name: str) -> ResponseReturnValue:
    """The map as one self-contained HTML file (scripts and styles inlined; only tiles load from outside)."""
    body = maps.to_standalone_html(m)
    return Response(
        body,
        mimetype="text/html",
        headers={"Content-Disposition": f'attachment; filename="{name}.html"'},
    )


def _itinerary_map(iid: str, opts: dict[str, Any]) -> Any:
    record = get_store().get_itinerary(iid)
    if record is None:
        abort(404)
    return planning.render_itinerary_map(record.result, lang=current_lang(), tiles=opts["tiles"])


@bp.get("/embed/itinerary/<id:iid>")
def itinerary(iid: str) -> ResponseReturnValue:
    """A saved itinerary's route map."""
    opts = _options()
    m = _itinerary_map(iid, opts)
    return _page(m, _("Trip map"), external_url("visitor.itinerary", iid=iid), opts)


@bp.get("/embed/itinerary/<id:iid>.html")
def itinerary_file(iid: str) -> ResponseReturnValue:
    """A saved itinerary's route map as a standalone HTML file."""
    return _download(_itinerary_map(iid, _options()), f"tourplan-trip-{iid}")


def _showcase_map(theme: str, opts: dict[str, Any]) -> Any:
    if theme not in THEMES:
        abort(404, description=_("There is no ready-made route for this theme."))
    result = planning.showcase_result(theme)
    return planning.render_itinerary_map(result, lang=current_lang(), tiles=opts["tiles"])


@bp.get("/embed/showcase/<theme>")
def showcase(theme: str) -> ResponseReturnValue:
    """A themed one-day route, planned on demand and cached."""
    opts = _options()
    m = _showcase_map(theme, opts)
    title = _("A day of %(theme)s in Jiaozuo", theme=str(THEME_LABELS[theme]))
    return _page(m, title, external_url("visitor.index"), opts)


@bp.get("/embed/showcase/<theme>.html")
def showcase_file(theme: str) -> ResponseReturnValue:
    """A themed one-day route as a standalone HTML file."""
    return _download(_showcase_map(theme, _options()), f"tourplan-{theme}-day")


def _flow_map(run_id: str, opts: dict[str, Any]) -> Any:
    run = get_store().get_run(run_id)
    if run is None or run.status != "done" or run.result is None:
        abort(404)
    if not (run.published or current_user.is_authenticated):  # staff may look before publishing
        abort(404)
    m = simulations.render_flow_map(simulations.flow_view(run.result), lang=current_lang(), tiles=opts["tiles"])
    if m is None:
        abort(404)
    return m


@bp.get("/embed/flow/<id:run_id>")
def flow(run_id: str) -> ResponseReturnValue:
    """The visitor-flow map of a finished simulation run."""
    opts = _options()
    return _page(_flow_map(run_id, opts), _("Visitor flow"), None, opts)


@bp.get("/embed/flow/<id:run_id>.html")
def flow_file(run_id: str) -> ResponseReturnValue:
    """The visitor-flow map of a finished run as a standalone HTML file."""
    return _download(_flow_map(run_id, _options()), f"tourplan-flow-{run_id}")


def embed_url_for(kind: str, key: str) -> str:
    """Absolute URL of the embed page of an itinerary, showcase or flow run."""
    if kind == "itinerary":
        return external_url("embed.itinerary", iid=key)
    if kind == "showcase":
        return external_url("embed.showcase", theme=key)
    return external_url("embed.flow", run_id=key)


def _refuse(status: int, field: str, code: str, value: str, **params: Any) -> ResponseReturnValue:
    """An oEmbed refusal in the API's error shape, its reason in Chinese and English."""
    problem = Message(code, {**params, "value": value})
    whole = {lang: Message("field_problem", {"field": field, "text": problem}).render(lang) for lang in LANGS}
    return api_error(status, whole["en"], {field: problem.render("en")}, coded=(whole, {field: problem}))


@bp.get("/oembed")
def oembed() -> ResponseReturnValue:
    """oEmbed 1.0 (``type: rich``) for itinerary, showcase and flow pages; the title in the request's language."""
    fmt = request.args.get("format", "json")
    if fmt != "json":
        return _refuse(501, "format", "oembed_format", fmt)
    url = request.args.get("url", "")
    parts = urlsplit(url)
    if not url or not is_own_url(url):
        return _refuse(404, "url", "oembed_not_embeddable", url)
    for pattern, kind_ in _PATHS:
        m = pattern.match(parts.path)
        if m:
            kind, key = kind_, m.group(1)
            break
    else:
        return _refuse(404, "url", "oembed_not_embeddable", url)
    store = get_store()
    if kind == "itinerary" and store.get_itinerary(key) is None:
        return _refuse(404, "url", "oembed_no_itinerary", url)
    if kind == "showcase" and key not in THEMES:
        return _refuse(404, "url", "oembed_no_showcase", url)
    if kind == "flow":
        run = store.get_run(key)
        if run is None or run.status != "done" or not run.published:
            return _refuse(404, "url", "oembed_no_run", url)
    size: dict[str, int] = {}
    for name, largest in (("maxwidth", 640), ("maxheight", 480)):
        raw = request.args.get(name, "")
        if raw and not (raw.isdigit() and 50 <= int(raw) <= 4000):
            return _refuse(400, name, "embed_pixels", raw, min=50, max=4000)
        size[name] = min(int(raw), largest) if raw else largest
    width, height = size["maxwidth"], size["maxheight"]
    src = embed_url_for(kind, key)
    if kind == "itinerary":
        title = _("Trip map")
    elif kind == "showcase":
        title = _("A day of %(theme)s in Jiaozuo", theme=str(THEME_LABELS[key]))
    else:
        title = _("Visitor flow")
    return jsonify(
        {
            "version": "1.0",
            "type": "rich",
            "provider_name": "tourplan",
            "provider_url": external_url("visitor.index"),
            "title": title,
            "html": maps.embed_snippet(src, width, height, title),
            "width": width,
            "height": height,
        }
    )
