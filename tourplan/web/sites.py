"""Staff pages for the site data (``/staff/sites/...``, login required).

* the site list, filterable by category, confidence and location error, worst first;
* the editor: every column, a map whose marker is dragged or clicked into
  place, or coordinates pasted in WGS-84, GCJ-02 or BD-09 (the WGS-84 point
  is shown before saving); a source and a confidence are required;
* a site's history, each change revertible;
* imports with a preview (OpenStreetMap extracts, Gaode/Baidu POI exports),
  applying only the ticked rows;
* the data-quality page.

Every change goes through :class:`tourplan.sitestore.SiteStore`, like the
API and ``tourplan sites edit``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]

from tourplan.coords import DATUMS, to_wgs84
from tourplan.errors import DataValidationError, RequestValidationError
from tourplan.site import CATEGORIES, CONFIDENCE_LEVELS, SITE_COLUMNS
from tourplan.siteedit import LOCATION_METHODS, SiteEdit, StaleVersionError
from tourplan.web import sitequality
from tourplan.web.auth import staff_required
from tourplan.web.errors import found
from tourplan.web.i18n import current_lang
from tourplan.web.sitedata import CST, current_editor, data_changes, site_store
from tourplan.web.staging import apply_staged

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

    from tourplan.sitestore import SiteRecord

__all__ = ["bp", "init_sites"]

bp = Blueprint("sites", __name__, url_prefix="/staff/sites")
#: Columns the editor shows as their own inputs (the rest are in "more fields").
_POINT = ("lat", "lon", "location_error_m")
_META = ("source", "confidence")
_TEXTAREAS = ("note", "study_notes", "activity")
_CONFIDENCE_RANK = {"low": 0, "medium": 1, "high": 2}


def _record(site_id: str) -> SiteRecord:
    return found(site_store().get(site_id))


@bp.get("/")
@staff_required
def index() -> ResponseReturnValue:
    """Every site, worst located first; filter by category, confidence and error."""
    _version, recs = site_store().records()
    category = request.args.get("category", "")
    confidence = request.args.get("confidence", "")
    try:
        min_error = max(0.0, float(request.args.get("min_error") or 0))
    except ValueError:
        min_error = 0.0
    rows = [
        r
        for r in recs
        if (not category or r.row.get("category") == category)
        and (not confidence or r.row.get("confidence") == confidence)
        and _error(r) >= min_error
    ]
    rows.sort(key=lambda r: (-_error(r), _CONFIDENCE_RANK.get(r.row.get("confidence", ""), 0), r.id))
    return render_template(
        "staff/sites.html",
        rows=rows,
        categories=CATEGORIES,
        confidences=CONFIDENCE_LEVELS,
        category=category,
        confidence=confidence,
        min_error=min_error,
        data_version=_version,
    )


def _error(r: SiteRecord) -> float:
    try:
        x = float(r.row.get("location_error_m") or 0)
    except ValueError:
        return 0.0
    return x if math.isfinite(x) else 0.0


def _form_edit(rec: SiteRecord, form: Any) -> SiteEdit:
    """The :class:`SiteEdit` a submitted editor form asks for (only fields whose text changed)."""
    changes: dict[str, Any] = {}
    for col in SITE_COLUMNS:
        if col in ("id", *_POINT, *_META) or col not in form:
            continue
        value = str(form.get(col, "")).strip()
        if value != rec.row.get(col, ""):
            changes[col] = value
    datum = str(form.get("datum") or "wgs84")
    lat, lon = str(form.get("lat", "")).strip(), str(form.get("lon", "")).strip()
    if datum != "wgs84" or lat != rec.row.get("lat", "") or lon != rec.row.get("lon", ""):
        changes["lat"], changes["lon"] = lat, lon
    err = str(form.get("location_error_m", "")).strip()
    if err and err != rec.row.get("location_error_m", ""):
        changes["location_error_m"] = err
    try:
        zoom: float | None = float(form.get("zoom") or "")
    except ValueError:
        zoom = None
    method = str(form.get("method") or "") or None
    return SiteEdit(
        changes,
        source=str(form.get("change_source", "")).strip(),
        confidence=str(form.get("confidence", "")),
        reason=str(form.get("reason", "")).strip(),
        datum=datum,
        method=method,
        zoom=zoom if zoom is not None and math.isfinite(zoom) else None,
    )


@bp.route("/<site_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(site_id: str) -> ResponseReturnValue:
    """Edit every column of a site; move its point on the map or paste coordinates."""
    rec = _record(site_id)
    errors: dict[str, str] = {}
    stale: StaleVersionError | None = None
    values = dict(rec.row)
    if request.method == "POST":
        values = {**rec.row, **{k: str(v) for k, v in request.form.items()}}
        try:
            expected = int(request.form.get("version") or "")
        except ValueError:
            expected = -1
        try:
            site_store().edit(site_id, _form_edit(rec, request.form), editor=current_editor(),
                              expected_version=expected)  # fmt: skip
        except RequestValidationError as exc:
            errors = {k: exc.text(k, current_lang()) for k in exc.errors}
        except StaleVersionError as exc:
            stale = exc
        else:
            flash(_("Saved: %(site)s is at version %(v)d now.", site=rec.row.get("name_zh") or site_id,
                    v=rec.version + 1), "ok")  # fmt: skip
            return redirect(url_for("sites.history", site_id=site_id), code=303)
    status = 409 if stale else (400 if errors else 200)
    return render_template(
        "staff/sites_edit.html",
        rec=rec,
        values=values,
        errors=errors,
        stale=stale,
        columns=[c for c in SITE_COLUMNS if c not in ("id", *_POINT, *_META)],
        textareas=_TEXTAREAS,
        datums=DATUMS,
        methods=LOCATION_METHODS,
        confidences=CONFIDENCE_LEVELS,
        tiles=_tiles(),
    ), status


def _tiles() -> dict[str, str]:
    """The editor's base map: OpenStreetMap tiles (WGS-84, so the marker needs no shift)."""
    return {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": "&copy; OpenStreetMap contributors",
    }


@bp.get("/convert")
@staff_required
def convert() -> ResponseReturnValue:
    """``?lat=&lon=&datum=`` -> the WGS-84 point (the editor shows it before saving)."""
    datum = request.args.get("datum", "wgs84")
    try:
        lat, lon = float(request.args.get("lat", "")), float(request.args.get("lon", ""))
    except ValueError:
        return jsonify(error=_("Type a latitude and a longitude in degrees.")), 400
    if datum not in DATUMS or not (math.isfinite(lat) and math.isfinite(lon)):
        return jsonify(error=_("Type a latitude and a longitude in degrees.")), 400
    w_lat, w_lon = to_wgs84(lat, lon, datum)
    return jsonify(lat=round(w_lat, 7), lon=round(w_lon, 7), datum=datum)


@bp.get("/<site_id>/history")
@staff_required
def history(site_id: str) -> ResponseReturnValue:
    """Every recorded change of a site, newest first, each with a revert button."""
    store = site_store()
    rec = store.get(site_id)
    changes = store.history(site_id)
    if rec is None and not changes:
        abort(404)
    return render_template("staff/sites_history.html", rec=rec, site_id=site_id, changes=changes, cst=CST)


@bp.post("/changes/<int:change_id>/revert")
@staff_required
def revert(change_id: int) -> ResponseReturnValue:
    """Undo one change (recorded as a change of kind revert)."""
    store = site_store()
    ch = found(store.change(change_id))
    try:
        store.revert(change_id, editor=current_editor(), reason=str(request.form.get("reason", "")).strip())
    except RequestValidationError as exc:
        flash("; ".join(f"{k}: {exc.text(k, current_lang())}" for k in exc.errors), "error")
    else:
        flash(_("Change %(n)d was reverted.", n=change_id), "ok")
    return redirect(url_for("sites.history", site_id=ch.site_id), code=303)


# --------------------------------------------------------------------------- imports


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_() -> ResponseReturnValue:
    """Upload an OSM extract or a Gaode/Baidu POI export; preview the matches."""
    preview = None
    problem = None
    if request.method == "POST":
        f = request.files.get("file")
        if f is None or not f.filename:
            problem = _("Choose a file.")
        else:
            try:
                preview = sitequality.import_preview(
                    f.read(), f.filename, str(request.form.get("datum") or "")
                )
            except DataValidationError as exc:
                problem = exc.text(current_lang())
    return render_template("staff/sites_import.html", preview=preview, problem=problem, datums=DATUMS), (
        400 if problem else 200
    )


@bp.post("/import/apply")
@staff_required
def import_apply() -> ResponseReturnValue:
    """Apply the ticked rows of a preview (one data version, kind import)."""
    token = str(request.form.get("token", ""))
    ticked = request.form.getlist("row")
    n = apply_staged(
        lambda: sitequality.import_apply(token, ticked, current_editor()),
        gone=_("That import is no longer available; please upload the file again."),
        back="sites.import_",
    )
    flash(_("%(n)d sites were updated from the import.", n=n), "ok")
    return redirect(url_for("sites.index"), code=303)


@bp.get("/quality")
@staff_required
def quality() -> ResponseReturnValue:
    """Data quality: confidence counts, the errors that matter most, shared points, gaps."""
    return render_template("staff/sites_quality.html", q=sitequality.quality_report())


def init_sites(app: Flask) -> None:
    """Register the pages and the template helper ``data_changes(result)`` (old-plan notice)."""
    app.register_blueprint(bp)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"data_changes": _safe_changes}


def _safe_changes(result: Any) -> Any:
    """:func:`data_changes` for templates (no note when the store cannot say)."""
    if not isinstance(result, dict) or "tourplan.data" not in current_app.extensions:
        return None
    return data_changes(result)
