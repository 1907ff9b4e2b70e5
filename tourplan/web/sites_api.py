# flask-smorest is untyped; its decorators are the documented way to declare endpoints.
# mypy: disable-error-code="untyped-decorator"
"""Site data API under ``/api/v1/sites/<id>``: read with a version, change with ``If-Match``, history.

``GET`` is public and answers the site with its ``version`` (also as the
``ETag``). ``PATCH`` (staff: a session or ``Authorization: Bearer <token>``)
takes a JSON object of the changed columns plus ``source`` and
``confidence`` (both required), ``reason``, ``datum`` (``wgs84``, ``gcj02``
or ``bd09``: a new ``lat``/``lon`` is stored as WGS-84), ``method`` and
``zoom`` (how a new point was found, which sets ``location_error_m`` unless
it is given), and ``If-Match: <version>``:

* 200 with the site and its new version;
* 412 when the site moved on since that version (the body lists what
  changed meanwhile), 400 without a version in ``If-Match``;
* 422 naming each bad field (the CSV loader's checks); nothing is saved;
* 401 without a session or token.

The same edit runs from the staff pages and ``tourplan sites edit``
(:meth:`tourplan.sitestore.SiteStore.edit`).
"""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint  # type: ignore[import-untyped, unused-ignore]

from tourplan.coords import DATUMS
from tourplan.errors import RequestValidationError, UnknownSiteError
from tourplan.messages import Message
from tourplan.sitecheck import check_site_row
from tourplan.siteedit import LOCATION_METHODS, SiteEdit, StaleVersionError, expected_message
from tourplan.web.api import ErrorSchema, SiteSchema, _site
from tourplan.web.auth import staff_required
from tourplan.web.errors import api_error
from tourplan.web.sitedata import current_editor, site_store

__all__ = ["blp", "parse_if_match"]

blp = Blueprint(
    "sites_api",
    __name__,
    url_prefix="/api/v1",
    description="Site data: versions, changes and history (staff).",
)
_META = ("source", "confidence", "reason", "datum", "method", "zoom")


class VersionedSiteSchema(SiteSchema):
    version = ma.fields.Integer(metadata={"description": "The site's version: send it back as If-Match"})
    data_version = ma.fields.Integer(metadata={"description": "The whole table's data version"})
    note = ma.fields.String()
    study_notes = ma.fields.String()


#: The PATCH body, documented for the OpenAPI reference (the store checks every field itself).
_PATCH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["source", "confidence"],
                "additionalProperties": {"description": "any other column of pois.csv but id"},
                "properties": {
                    "source": {"type": "string", "description": "Where the new values come from"},
                    "confidence": {"type": "string", "enum": ["high", "medium", "low"]},
                    "reason": {"type": "string", "description": "Why (shown in the history)"},
                    "datum": {"type": "string", "enum": list(DATUMS), "description": "of lat/lon"},
                    "method": {"type": "string", "enum": list(LOCATION_METHODS)},
                    "zoom": {"type": "number", "description": "Map zoom when method is map"},
                    "lat": {"type": "number", "example": 35.2158},
                    "lon": {"type": "number", "example": 113.2463},
                },
            }
        }
    },
}


class ChangeSchema(ma.Schema):
    id = ma.fields.Integer()
    data_version = ma.fields.Integer()
    site_id = ma.fields.String()
    site_version = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "edit, upload, import or revert"})
    user = ma.fields.String()
    at = ma.fields.String(metadata={"description": "ISO time (UTC)"})
    reason = ma.fields.String()
    source = ma.fields.String()
    fields_ = ma.fields.List(ma.fields.String(), data_key="fields", attribute="fields")
    old = ma.fields.Dict(allow_none=True)
    new = ma.fields.Dict(allow_none=True)
    reverts = ma.fields.Integer(allow_none=True)


class HistorySchema(ma.Schema):
    site_id = ma.fields.String()
    version = ma.fields.Integer()
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))


def parse_if_match(value: str | None) -> int | None:
    """The site version in an ``If-Match`` header (``3``, ``"3"`` or ``W/"3"``), else None.

    Examples
    --------
    >>> parse_if_match('W/"3"'), parse_if_match("12"), parse_if_match("*"), parse_if_match(None)
    (3, 12, None, None)
    """
    text = (value or "").strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() and len(text) < 12 else None


def _body(site_id: str) -> dict[str, Any]:
    store = site_store()
    rec = store.get(site_id)
    if rec is None:
        msg = f"unknown site id {site_id!r}"
        raise UnknownSiteError(msg)
    site = check_site_row(rec.row, name=site_id)
    return {**_site(site), "note": site.note, "study_notes": site.study_notes, "version": rec.version,
            "data_version": store.data_version()}  # fmt: skip


def _with_etag(body: dict[str, Any], status: int = 200) -> Any:
    return body, status, {"ETag": f'"{body["version"]}"'}


def _not_found(site_id: str) -> Any:
    return api_error(404, "no site has this id", {"site_id": f"unknown site id {site_id!r}"})


@blp.route("/sites/<site_id>")
class SiteItem(MethodView):
    @blp.response(200, VersionedSiteSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, site_id: str) -> Any:
        """One site, with its version (also the ETag)."""
        try:
            return _with_etag(_body(site_id))
        except UnknownSiteError:
            return _not_found(site_id)

    @staff_required
    @blp.doc(
        parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
                     "description": "The version the change was made on"}],
        requestBody=_PATCH_BODY,
    )  # fmt: skip
    @blp.response(200, VersionedSiteSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Staff login or bearer token required")
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(412, schema=ErrorSchema, description="The site changed since that version")
    @blp.alt_response(422, schema=ErrorSchema, description="Bad fields, each named; nothing saved")
    @blp.alt_response(400, schema=ErrorSchema, description="If-Match missing or not a version")
    def patch(self, site_id: str) -> Any:
        """Change a site (staff); answers the new version."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return api_error(422, "expected a JSON object", {"body": "expected a JSON object of fields"})
        expected = parse_if_match(request.headers.get("If-Match"))
        if expected is None:
            msg = 'expected the site\'s version (as from GET, e.g. "3")'
            return api_error(400, "If-Match with the site's version is required", {"If-Match": msg})
        try:
            edit = _edit_from_json(data)
            site_store().edit(site_id, edit, editor=current_editor(), expected_version=expected)
        except UnknownSiteError:
            return _not_found(site_id)
        except StaleVersionError as exc:
            resp = jsonify(
                error=str(exc),
                errors={"If-Match": f"the site is at version {exc.current.version}"},
                version=exc.current.version,
                changed=[c.to_dict() for c in exc.changes],
            )
            resp.status_code = 412
            resp.headers["ETag"] = f'"{exc.current.version}"'
            return resp
        except RequestValidationError as exc:
            return api_error(422, "invalid site data; nothing was saved", exc.errors, exc)
        return _with_etag(_body(site_id))


def _edit_from_json(data: dict[str, Any]) -> SiteEdit:
    """A :class:`SiteEdit` from a PATCH body (bad meta fields named in RequestValidationError)."""
    errors: dict[str, Message] = {}
    meta = {k: data.get(k) for k in _META}
    for key in ("source", "confidence", "reason", "datum", "method"):
        if meta[key] is not None and not isinstance(meta[key], str):
            errors[key] = expected_message(Message("edit_text"), meta[key])
    zoom = meta["zoom"]
    if zoom is not None and (
        isinstance(zoom, bool)
        or not isinstance(zoom, int | float)
        or not math.isfinite(zoom)
        or not 0 <= zoom <= 22
    ):
        errors["zoom"] = expected_message(Message("edit_zoom"), zoom)
    if errors:
        raise RequestValidationError(errors)
    return SiteEdit(
        changes={k: v for k, v in data.items() if k not in _META},
        source=str(meta["source"] or ""),
        confidence=str(meta["confidence"] or ""),
        reason=str(meta["reason"] or ""),
        datum=str(meta["datum"] or "wgs84"),
        method=None if meta["method"] is None else str(meta["method"]),
        zoom=None if zoom is None else float(zoom),
    )


@blp.route("/sites/<site_id>/history")
class SiteHistory(MethodView):
    decorators = [staff_required]

    @blp.response(200, HistorySchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Staff login or bearer token required")
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, site_id: str) -> Any:
        """Every recorded change of a site, newest first (staff)."""
        store = site_store()
        rec = store.get(site_id)
        changes = store.history(site_id)
        if rec is None and not changes:
            return _not_found(site_id)
        return {
            "site_id": site_id,
            "version": rec.version if rec is not None else 0,
            "changes": [c.to_dict() for c in changes],
        }
