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

Routes: ``POST /staff/flow/<id>/cancel`` stops a queued or running run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]

from tourplan.web.auth import staff_required

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

    from tourplan.jobs import Runner

__all__ = ["bp", "get_runner", "health", "init_scale"]

bp = Blueprint("scale", __name__, url_prefix="/staff")

#: Defaults of the settings this module reads (``app.config`` wins).
DEFAULTS: dict[str, Any] = {"REDIS_URL": None, "JOB_TIME_LIMIT": 600.0, "JOB_RETRIES": 1}


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


@bp.post("/flow/<id:run_id>/cancel")
@staff_required
def cancel_run(run_id: str) -> ResponseReturnValue:
    """Stop a run; back to its page."""
    from tourplan.web.services import get_store

    store = get_store()
    rec = store.get_run(run_id)
    if rec is None:
        abort(404)
    if rec.status in ("queued", "running") and get_runner().cancel(store, run_id):
        flash(_("The simulation is being cancelled."))
    else:
        flash(_("This simulation is not running here."))
    return redirect(url_for("staff.flow_run", run_id=run_id), code=303)
