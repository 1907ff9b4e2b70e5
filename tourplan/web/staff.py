"""Staff pages (``/staff/...``, login required): study tours, visitor flow, site data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]
from flask_login import current_user, login_user, logout_user  # type: ignore[import-untyped, unused-ignore]

from tourplan import export, views
from tourplan.errors import (
    InfeasibleRequestError,
    PlaceNotFoundError,
    RequestValidationError,
)
from tourplan.limits import BudgetExceededError
from tourplan.store import RunRecord
from tourplan.web.auth import staff_required
from tourplan.web.errors import found
from tourplan.web.forms import (
    ConfirmForm,
    FlowForm,
    LoginForm,
    StudyForm,
    UploadForm,
    place_choices,
    site_choices,
)
from tourplan.web.i18n import current_lang, error_text
from tourplan.web.mapview import map_parts
from tourplan.web.security import csp_nonce
from tourplan.web.services import planning, simulations, upload
from tourplan.web.services.data import get_store, has_module, optional_module, site_data
from tourplan.web.sessions import end_sessions, staff_user
from tourplan.web.sitedata import CST
from tourplan.web.staging import apply_staged
from tourplan.web.urls import external_url, safe_redirect

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
            login_user(staff_user(rec))
            return redirect(safe_redirect(request.args.get("next"), url_for("staff.home")), code=303)
        error = _("Wrong user name or password.")
    status = 401 if error else (400 if form.is_submitted() else 200)
    return render_template("staff/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out (a POST with the CSRF token, so no other site can log staff out).

    Every session of the account ends, not only this browser's
    (:mod:`tourplan.web.sessions`).
    """
    form = ConfirmForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            end_sessions(get_store(), current_user)
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


def _plan_into(
    form: StudyForm, *, plan_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | RunRecord | str:
    """Plan from a valid form: (request values, result), the run of a large tour planned as a job, or a message."""
    values: dict[str, Any] = form.to_values()
    try:
        run = planning.queue_large_study(
            values, name=form.name.data or "", owner_id=int(current_user.id), plan_id=plan_id
        )
        if run is not None:
            return run
        result: dict[str, Any] = planning.plan_study(values)
    except RequestValidationError as exc:
        for name in exc.errors:
            msg = exc.text(name, current_lang())
            short = name.removeprefix("staff.")
            field = getattr(form, short if short in form.STAFF_FIELDS else name, None)
            if field is None or not hasattr(field, "errors") or name == "kept":
                field = form.name  # a kept field of a saved plan: shown at the top of the form
                msg = f"{name}: {msg}"
            field.errors = [*list(field.errors), msg]
        return str(_("Please correct the marked fields."))
    except (InfeasibleRequestError, PlaceNotFoundError, BudgetExceededError) as exc:
        # the core's refusal as codes, rendered in the user's language and in the form's own terms
        return error_text(exc)
    return values, result


@bp.route("/study/new", methods=["GET", "POST"])
@staff_required
def study_new() -> ResponseReturnValue:
    """Plan study tours for several groups, then save the plan."""
    optional_module("study")
    form = _study_form(request.form if request.method == "POST" else None)
    problem = None
    if request.method == "GET" and request.args.get("run"):
        run = get_store().get_run(request.args["run"])  # "change the request" of a failed job
        if run is not None and run.scenario.get("kind") == planning.STUDY_KIND:
            form.fill(dict(run.scenario.get("request") or {}), str(run.scenario.get("name") or ""))
    if request.method == "POST":
        if form.validate():
            planned = _plan_into(form)
            if isinstance(planned, RunRecord):
                return redirect(url_for("staff.study_run", run_id=planned.id), code=303)
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
    return found(get_store().get_study(plan_id))


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
        planned = _plan_into(form, plan_id=plan_id)
        if isinstance(planned, RunRecord):
            return redirect(url_for("staff.study_run", run_id=planned.id), code=303)
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


@bp.get("/study/runs/<id:run_id>")
@staff_required
def study_run(run_id: str) -> ResponseReturnValue:
    """A large study tour planned as a job: progress and cancel, then its plan (or why it failed)."""
    run = get_store().get_run(run_id)
    if run is None or run.scenario.get("kind") != planning.STUDY_KIND:
        abort(404)
    plan_id = (run.result or {}).get("plan_id") if run.status == "done" else None
    if plan_id:
        return redirect(url_for("staff.study", plan_id=plan_id), code=303)
    edited = run.scenario.get("plan_id")
    again = url_for("staff.study_edit", plan_id=edited) if edited else url_for("staff.study_new", run=run.id)
    problem = planning.study_run_problem(run, current_lang()) if run.status == "failed" else None
    return render_template("staff/study_run.html", run=run, problem=problem, again=again)


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
    return _csv_download(export.study_timetable_csv(_study_record(plan_id).result), f"study-{plan_id}.csv")


def _csv_download(body: str, filename: str) -> Response:
    """``body`` as a CSV download, after a BOM so that Excel reads the Chinese as UTF-8."""
    resp = Response("\ufeff" + body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# --------------------------------------------------------------------------- visitor flow


@bp.route("/flow", methods=["GET", "POST"])
@staff_required
def flow() -> ResponseReturnValue:
    """The flow dashboard: start a simulation (with countermeasures), list recent runs."""
    form = FlowForm()
    form.set_sites(site_choices(site_data().sites, current_lang()))
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
    """One run: progress while it runs, then episodes, charts, map, busiest sites and measures.

    ``?site=ID`` picks the site of the charts (default: the top episode's site).
    """
    run = found(get_store().get_run(run_id))
    view = parts = chosen = None
    alerts: list[str] = []
    episodes: list[tuple[views.FlowEpisode, str]] = []
    site_svgs: dict[str, str] = {}
    entries_svg = None
    lang = current_lang()
    if run.status == "done" and run.result is not None:
        view = simulations.flow_view(run.result)
        alerts = simulations.alert_texts(view, lang)
        episodes = [(e, simulations.episode_text(e, lang)) for e in view.episodes]
        chosen = view.site(request.args.get("site"))
        if chosen is not None:
            site_svgs = simulations.site_charts(view, chosen, lang)
        entries_svg = simulations.entries_chart(view, lang)
        m = simulations.render_flow_map(view, lang=lang)
        parts = map_parts(m, csp_nonce()) if m is not None else None
    from tourplan import maps

    embed = external_url("embed.flow", run_id=run_id)
    shown = parts is not None and run.published  # the embed code of a published run only
    return render_template(
        "staff/flow_run.html",
        run=run,
        view=view,
        alerts=alerts,
        episodes=episodes,
        chosen=chosen,
        chart_sites=sorted(((s.site.id, s.site.label(lang)) for s in view.sites), key=lambda x: x[1]) if view else [],
        site_svgs=site_svgs,
        entries_svg=entries_svg,
        tier_colors=simulations.TIER_COLORS,
        entry_label=simulations.entry_label,
        episode_text=simulations.episode_text,
        created=run.created.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
        map=parts,
        confirm=ConfirmForm(),
        embed_snippet=maps.embed_snippet(embed, "100%", 480, _("Visitor flow")) if shown else None,
        oembed_url=external_url("embed.oembed", url=embed, format="json") if shown else None,
    )


@bp.post("/flow/<id:run_id>/publish")
@staff_required
def flow_publish(run_id: str) -> ResponseReturnValue:
    """Publish a finished run for embedding (``publish=1``), or withdraw it (``publish=0``).

    A published run's map (``/embed/flow/<id>``), oEmbed answer and API
    result (``/api/v1/simulations/<id>``) are public; an unpublished run's
    are for staff only.
    """
    form = ConfirmForm()
    choice = request.form.get("publish")
    if not form.validate_on_submit() or choice not in ("0", "1"):
        abort(400)
    run = get_store().get_run(run_id)
    if run is None or (choice == "1" and run.status != "done"):
        abort(404)
    get_store().publish_run(run_id, choice == "1")
    if choice == "1":
        flash(_("Published: the map and result of this run can now be embedded and read without login."), "ok")
    else:
        flash(_("No longer published: the map and result of this run are for staff only again."), "ok")
    return redirect(url_for("staff.flow_run", run_id=run_id), code=303)


@bp.get("/flow/<id:run_id>.csv")
@staff_required
def flow_csv(run_id: str) -> ResponseReturnValue:
    """Occupancy per site and time slot as CSV."""
    run = get_store().get_run(run_id)
    if run is None or run.status != "done" or run.result is None:
        abort(404)
    return _csv_download(simulations.flow_csv(simulations.flow_view(run.result)), f"flow-{run_id}.csv")


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
    new = apply_staged(
        lambda: upload.apply_upload(form.token.data or ""),
        gone=_("That upload is no longer available; please upload the file again."),
        back="staff.data",
    )
    flash(_("The site table was replaced: %(n)d sites are in use now.", n=len(new.sites)), "ok")
    return redirect(url_for("staff.data"), code=303)
