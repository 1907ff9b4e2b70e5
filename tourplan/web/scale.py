"""Past one process: the job runner, the shared cache and their health.

:func:`init_scale` picks the runner of simulation runs -- RQ on Redis when
``REDIS_URL`` is set (``TOURPLAN_REDIS_URL``), else threads of this process
(:mod:`tourplan.jobs`) -- and, with Redis, puts the showcase-route cache in
Redis so every worker sees the same entries and an upload clears them for
all (:mod:`tourplan.shared`). Rate-limit counts go to the same Redis
(:mod:`tourplan.web.limits`).

Configuration: ``REDIS_URL``; ``JOB_TIME_LIMIT`` (seconds a run may take,
default 600); ``JOB_RETRIES`` (how often the run of a worker that died is
queued again, default 1).

Routes (staff): ``POST /staff/flow/<id>/cancel`` stops a queued or running
run of any kind (simulation, sweep, study tour), from any process;
``/staff/sweeps`` starts a season sweep (:mod:`tourplan.sweep`) as a job
-- on the Dask scheduler at ``SWEEP_SCHEDULER``, else on a local cluster of
``SWEEP_WORKERS`` processes -- and ``/staff/sweeps/<id>`` shows its table and
a sites x days heat map. ``SWEEP_MAX_CASES`` (default 200) caps one sweep.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]
from flask_babel import lazy_gettext as _l  # type: ignore[import-untyped, unused-ignore]
from flask_login import current_user  # type: ignore[import-untyped, unused-ignore]
from flask_wtf import FlaskForm  # type: ignore[import-untyped, unused-ignore]
from wtforms import DateField, IntegerField, StringField  # type: ignore[import-untyped, unused-ignore]
from wtforms.validators import InputRequired, Length, NumberRange, Regexp  # type: ignore[import-untyped, unused-ignore]

from tourplan.errors import RequestValidationError
from tourplan.web.auth import staff_required
from tourplan.web.errors import found

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

    from tourplan.jobs import Runner
    from tourplan.store import RunRecord

__all__ = ["bp", "get_runner", "health", "init_scale", "run_url"]

bp = Blueprint("scale", __name__, url_prefix="/staff")

#: Defaults of the settings this module reads (``app.config`` wins).
DEFAULTS: dict[str, Any] = {
    "REDIS_URL": None,
    "JOB_TIME_LIMIT": 600.0,
    "JOB_RETRIES": 1,
    "SWEEP_SCHEDULER": None,
    "SWEEP_WORKERS": None,
    "SWEEP_MAX_CASES": 200,
}
#: ``scenario["kind"]`` of a sweep's run record.
SWEEP_KIND = "sweep"


def init_scale(app: Flask) -> None:
    """Set up the runner, the shared cache and the cancel route of an app."""
    from tourplan.jobs import QueueRunner, ThreadRunner

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    url = app.config.get("REDIS_URL")
    limit = float(app.config["JOB_TIME_LIMIT"])
    runner: Runner
    if url:
        from tourplan.shared import RedisCache

        queue = QueueRunner(str(url), time_limit=limit, retries=int(app.config["JOB_RETRIES"]))
        runner = queue
        app.extensions["tourplan.redis"] = queue.connection
        app.extensions["tourplan.showcase"] = RedisCache(queue.connection, "showcase")
    else:
        runner = ThreadRunner(app.extensions["tourplan.executor"], time_limit=limit)
    app.extensions["tourplan.runner"] = runner
    app.jinja_env.globals["run_url"] = run_url
    app.register_blueprint(bp)


def get_runner(app: Flask | None = None) -> Runner:
    """The app's runner (the current app's by default)."""
    runner: Runner = (app or current_app).extensions["tourplan.runner"]
    return runner


def health(app: Flask) -> dict[str, Any]:
    """``{"queue": ..., "redis": ...}`` for ``/healthz``.

    ``redis`` is None without Redis; ``queue`` names the runner and counts
    its jobs (and, on RQ, the live workers).
    """
    from tourplan.shared import redis_health

    conn = app.extensions.get("tourplan.redis")
    out: dict[str, Any] = {"redis": None if conn is None else redis_health(conn)}
    try:
        out["queue"] = get_runner(app).health()
    except Exception as exc:  # noqa: BLE001 - a health check reports, never raises
        out["queue"] = {"runner": get_runner(app).name, "error": f"{type(exc).__name__}: {exc}"}
    return out


def run_url(run: RunRecord) -> str:
    """The staff page of a run: a sweep's, a study tour's or a simulation's."""
    from tourplan.web.services.planning import STUDY_KIND

    kind = run.scenario.get("kind")
    if kind == SWEEP_KIND:
        return url_for("scale.sweep", run_id=run.id)
    if kind == STUDY_KIND:
        return url_for("staff.study_run", run_id=run.id)
    return url_for("staff.flow_run", run_id=run.id)


@bp.post("/flow/<id:run_id>/cancel")
@staff_required
def cancel_run(run_id: str) -> ResponseReturnValue:
    """Stop a run, whichever process runs it; back to its page."""
    from tourplan.web.services.data import get_store

    store = get_store()
    rec = found(store.get_run(run_id))
    if rec.status in ("queued", "running") and get_runner().cancel(store, run_id):
        flash(_("Cancelling: the run stops at its next step."))
    else:
        flash(_("This run has already ended."))
    return redirect(run_url(rec), code=303)


# --------------------------------------------------------------------------- season sweeps


class SweepForm(FlaskForm):  # type: ignore[misc]
    """Start a season sweep."""

    date_from = DateField(_l("First day"), validators=[InputRequired()])
    date_to = DateField(_l("Last day"), validators=[InputRequired()])
    visitors = StringField(
        _l("Visitors per day (comma-separated demand levels)"),
        validators=[InputRequired(), Length(max=200), Regexp(r"^\s*\d+(\s*,\s*\d+)*\s*$")],
        default="50000,100000",
    )
    seeds = IntegerField(
        _l("Seeds per day and demand"), validators=[InputRequired(), NumberRange(1, 20)], default=3
    )


def _start_sweep(form: SweepForm) -> str:
    """Record a sweep run and hand it to the runner; its id.

    Raises
    ------
    RequestValidationError
        For a bad range, demand or size.
    """
    from tourplan.jobs import SweepJob
    from tourplan.sweep import make_cases
    from tourplan.web.services.data import get_store, site_data

    cfg = current_app.config
    visitors = [int(v) for v in str(form.visitors.data).split(",")]
    cap = int(cfg["SIMULATION_MAX_VISITORS"])
    if max(visitors) > cap:
        raise RequestValidationError(
            {"visitors": f"expected at most {cap:,} visitors a day, got {max(visitors):,}"}
        )
    cases = make_cases(form.date_from.data, form.date_to.data, visitors, int(form.seeds.data))
    if len(cases) > int(cfg["SWEEP_MAX_CASES"]):
        msg = f"expected at most {int(cfg['SWEEP_MAX_CASES'])} simulations in a sweep started here, got {len(cases)}"
        raise RequestValidationError({"seeds": msg})
    spec = {
        "kind": SWEEP_KIND,
        "from": form.date_from.data.isoformat(),
        "to": form.date_to.data.isoformat(),
        "visitors": visitors,
        "seeds": int(form.seeds.data),
        "cases": len(cases),
    }
    store = get_store()
    run = store.create_run(spec, owner_id=int(current_user.id))
    sd = site_data()
    workers = cfg.get("SWEEP_WORKERS")
    job = SweepJob(
        run.id, tuple(cases), sd.sites, sd.graph, dict(cfg.get("SIMULATION_OVERRIDES") or {}),
        scheduler=cfg.get("SWEEP_SCHEDULER") or None, workers=int(workers) if workers else None,
    )  # fmt: skip
    get_runner().submit(store, job)
    return run.id


@bp.route("/sweeps", methods=["GET", "POST"])
@staff_required
def sweeps() -> ResponseReturnValue:
    """Start a season sweep; list the recent ones."""
    from tourplan.web.services.data import get_store

    form = SweepForm()
    if not form.is_submitted():
        start = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=1)  # CST
        form.date_from.data, form.date_to.data = start, start + dt.timedelta(days=6)
    problem = None
    if form.validate_on_submit():
        try:
            return redirect(url_for("scale.sweep", run_id=_start_sweep(form)), code=303)
        except RequestValidationError as exc:
            problem = str(exc)
    runs = [r for r in get_store().list_runs(200) if r.scenario.get("kind") == SWEEP_KIND][:20]
    status = 400 if (problem or form.errors) else 200
    return render_template("staff/sweeps.html", form=form, problem=problem, runs=runs), status


def heat_class(value: float) -> str:
    """CSS class of a heat-map cell by p90 peak % of C0 (the LB/T 034 tiers, then quieter steps).

    Examples
    --------
    >>> [heat_class(v) for v in (5, 45, 70, 85, 95, 120)]
    ['heat-0', 'heat-1', 'heat-2', 'heat-warn', 'heat-high', 'heat-full']
    """
    if value >= 100:
        return "heat-full"
    if value >= 90:
        return "heat-high"
    if value >= 80:
        return "heat-warn"
    return f"heat-{min(2, int(value // 30))}"


@bp.get("/sweeps/<id:run_id>")
@staff_required
def sweep(run_id: str) -> ResponseReturnValue:
    """One sweep: progress while it runs, then per demand a heat map (sites x days) and the table."""
    from tourplan.sweep import SweepResult
    from tourplan.web.i18n import current_lang
    from tourplan.web.services.data import get_store, site_data

    run = get_store().get_run(run_id)
    if run is None or run.scenario.get("kind") != SWEEP_KIND:
        abort(404)
    result = SweepResult.from_dict(run.result) if run.status == "done" and run.result else None
    sites = site_data().sites
    heats = []
    if result is not None:
        for n in result.demands:
            ids, dates, grid = result.heat(n)
            shown = [(sites.get(sid), sid, row) for sid, row in zip(ids, grid, strict=True) if max(row) > 0]
            heats.append((n, dates, shown))
    labels = {s.id: s.label(current_lang()) for s in sites}
    return render_template(
        "staff/sweep.html", run=run, result=result, heats=heats, labels=labels, heat_class=heat_class
    )
