"""Staff pages (``/staff/...``, login required): study tours, visitor flow, site data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]
from flask_login import current_user, login_user, logout_user  # type: ignore[import-untyped, unused-ignore]

from tourplan import export
from tourplan.errors import (
    DataValidationError,
    InfeasibleRequestError,
    PlaceNotFoundError,
    RequestValidationError,
)
from tourplan.web.auth import StaffUser, safe_next, staff_required
from tourplan.web.forms import (
    ConfirmForm,
    FlowForm,
    LoginForm,
    StudyForm,
    UploadForm,
    place_choices,
    site_choices,
)
from tourplan.web.i18n import current_lang
from tourplan.web.mapview import map_parts
from tourplan.web.security import csp_nonce
from tourplan.web.services import planning, simulations, upload
from tourplan.web.services.data import get_store, has_module, optional_module, site_data

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from tourplan.store import StudyRecord

__all__ = ["bp"]

bp = Blueprint("staff", __name__, url_prefix="/staff")
_PLAN_ERRORS = (RequestValidationError, PlaceNotFoundError, InfeasibleRequestError)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in; go on to ``next`` (a local path) afterwards."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        rec = get_store().check_login(form.username.data or "", form.password.data or "")
        if rec is not None:
            login_user(StaffUser(rec.id, rec.username))
            return redirect(safe_next(request.args.get("next"), url_for("staff.home")), code=303)
        error = _("Wrong user name or password.")
    status = 401 if error else (400 if form.is_submitted() else 200)
    return render_template("staff/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out (a POST with the CSRF token, so no other site can log staff out)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
    return redirect(url_for("visitor.index"), code=303)


@bp.get("/")
@staff_required
def home() -> ResponseReturnValue:
    """Saved study tours, recent simulation runs and the data in use."""
    store = get_store()
    return render_template(
        "staff/home.html",
        studies=store.list_studies(),
        runs=store.list_runs(10),
        data=site_data(),
        has_study=has_module("study"),
        has_flow=has_module("flow"),
    )


# --------------------------------------------------------------------------- study tours


def _study_form(formdata: Any = None) -> StudyForm:
    form = StudyForm(formdata=formdata) if formdata is not None else StudyForm()
    sites = site_data().sites
    form.require.choices = site_choices(sites, current_lang())
    form.start.choices = place_choices(sites, current_lang())
    return form


def _plan_into(form: StudyForm) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """Plan from a valid form: (request values, result) or a message."""
    values: dict[str, Any] = form.to_values()
    try:
        result: dict[str, Any] = planning.plan_study(values)
    except RequestValidationError as exc:
        for name, msg in exc.errors.items():
            short = name.removeprefix("staff.")
            field = getattr(form, short if short in form.STAFF_FIELDS else name, None)
            if field is None or not hasattr(field, "errors") or name == "kept":
                field = form.name  # a kept field of a saved plan: shown at the top of the form
                msg = f"{name}: {msg}"
            field.errors = [*list(field.errors), msg]
        return str(_("Please correct the marked fields."))
    except InfeasibleRequestError as exc:
        # the core's refusal as codes, rendered in the user's language and in the form's own terms
        if exc.messages:
            return " ".join(m.render(current_lang()) for m in exc.messages)
        return str(exc)
    except PlaceNotFoundError as exc:
        return str(exc)
    return values, result


@bp.route("/study/new", methods=["GET", "POST"])
@staff_required
def study_new() -> ResponseReturnValue:
    """Plan study tours for several groups, then save the plan."""
    optional_module("study")
    form = _study_form(request.form if request.method == "POST" else None)
    problem = None
    if request.method == "POST":
        if form.validate():
            planned = _plan_into(form)
            if isinstance(planned, tuple):
                values, result = planned
                rec = get_store().save_study(
                    form.name.data or "", values, result, owner_id=int(current_user.id)
                )
                return redirect(url_for("staff.study", plan_id=rec.id), code=303)
            problem = planned
        else:
            problem = _("Please correct the marked fields.")
    return render_template("staff/study_form.html", form=form, problem=problem, record=None), (
        400 if problem else 200
    )


def _study_record(plan_id: str) -> StudyRecord:
    rec = get_store().get_study(plan_id)
    if rec is None:
        abort(404)
    return rec


@bp.get("/study/<id:plan_id>")
@staff_required
def study(plan_id: str) -> ResponseReturnValue:
    """A saved study-tour plan: timetables, buses, site schedules, staff, cost, map."""
    rec = _study_record(plan_id)
    m = planning.render_study_map(rec.result, lang=current_lang())
    return render_template(
        "staff/study.html",
        record=rec,
        result=rec.result,
        map=map_parts(m, csp_nonce()) if m is not None else None,
    )


@bp.route("/study/<id:plan_id>/edit", methods=["GET", "POST"])
@staff_required
def study_edit(plan_id: str) -> ResponseReturnValue:
    """Change a saved plan's request and plan it again."""
    optional_module("study")
    rec = _study_record(plan_id)
    form = _study_form(request.form if request.method == "POST" else None)
    problem = None
    if request.method == "GET":
        form.fill(rec.request, rec.name)
    elif form.validate():
        planned = _plan_into(form)
        if isinstance(planned, tuple):
            values, result = planned
            get_store().update_study(
                plan_id, name=form.name.data or rec.name, request=values, result=result
            )
            return redirect(url_for("staff.study", plan_id=plan_id), code=303)
        problem = planned
    else:
        problem = _("Please correct the marked fields.")
    return render_template("staff/study_form.html", form=form, problem=problem, record=rec), (
        400 if problem else 200
    )


@bp.get("/study/<id:plan_id>/print")
@staff_required
def study_print(plan_id: str) -> ResponseReturnValue:
    """The printable study-tour document (from ``study.render_print_html``)."""
    rec = _study_record(plan_id)
    html = planning.study_print_html(rec)
    return Response(html, mimetype="text/html")


@bp.get("/study/<id:plan_id>.csv")
@staff_required
def study_csv(plan_id: str) -> ResponseReturnValue:
    """The saved plan's timetable, one row per group and stop (UTF-8 with BOM, so Excel reads Chinese)."""
    rec = _study_record(plan_id)
    resp = Response("\ufeff" + export.study_timetable_csv(rec.result), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="study-{plan_id}.csv"'
    return resp


# --------------------------------------------------------------------------- visitor flow


@bp.route("/flow", methods=["GET", "POST"])
@staff_required
def flow() -> ResponseReturnValue:
    """The flow dashboard: start a simulation, list recent runs."""
    form = FlowForm()
    problem = None
    if request.method == "POST":
        if form.validate():
            try:
                run = simulations.start_simulation(form.to_values(), owner_id=int(current_user.id))
            except RequestValidationError as exc:
                problem = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            else:
                return redirect(url_for("staff.flow_run", run_id=run.id), code=303)
        else:
            problem = _("Please correct the marked fields.")
    available = has_module("flow")
    return render_template(
        "staff/flow.html",
        form=form,
        problem=problem,
        runs=get_store().list_runs(20),
        available=available,
    ), (400 if problem else 200)


@bp.get("/flow/<id:run_id>")
@staff_required
def flow_run(run_id: str) -> ResponseReturnValue:
    """One run: progress while it runs, then map, busiest sites and alerts."""
    run = get_store().get_run(run_id)
    if run is None:
        abort(404)
    view = parts = None
    alerts: list[str] = []
    if run.status == "done" and run.result is not None:
        view = simulations.flow_view(run.result)
        alerts = simulations.alert_texts(view, current_lang())
        m = simulations.render_flow_map(view, lang=current_lang())
        parts = map_parts(m, csp_nonce()) if m is not None else None
    from tourplan import maps

    embed = url_for("embed.flow", run_id=run_id, _external=True)
    return render_template(
        "staff/flow_run.html",
        run=run,
        view=view,
        alerts=alerts,
        map=parts,
        embed_snippet=maps.embed_snippet(embed, "100%", 480, _("Visitor flow")) if parts else None,
        oembed_url=url_for("embed.oembed", url=embed, format="json", _external=True) if parts else None,
    )


@bp.get("/flow/<id:run_id>.csv")
@staff_required
def flow_csv(run_id: str) -> ResponseReturnValue:
    """Occupancy per site and time slot as CSV."""
    run = get_store().get_run(run_id)
    if run is None or run.status != "done" or run.result is None:
        abort(404)
    body = simulations.flow_csv(simulations.flow_view(run.result))
    resp = Response("\ufeff" + body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="flow-{run_id}.csv"'
    return resp


# --------------------------------------------------------------------------- site data


@bp.route("/data", methods=["GET", "POST"])
@staff_required
def data() -> ResponseReturnValue:
    """Upload a new site table: validate and preview; nothing changes yet."""
    form = UploadForm()
    preview = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            f = form.file.data
            preview = upload.preview_upload(f.read(), f.filename or "pois.csv")
            status = 200 if preview.ok else 400
        else:
            status = 400
    return render_template(
        "staff/data.html",
        form=form,
        preview=preview,
        confirm=ConfirmForm(),
        current=site_data(),
        backups=upload.data_backups(),
    ), status


@bp.post("/data/apply")
@staff_required
def data_apply() -> ResponseReturnValue:
    """Replace the active site table with a validated upload."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        new = upload.apply_upload(form.token.data or "")
    except KeyError:
        flash(_("That upload is no longer available; please upload the file again."), "error")
        return redirect(url_for("staff.data"), code=303)
    except DataValidationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.data"), code=303)
    flash(_("The site table was replaced: %(n)d sites are in use now.", n=len(new.sites)), "ok")
    return redirect(url_for("staff.data"), code=303)
