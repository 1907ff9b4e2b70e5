"""The Flask web app: :func:`create_app`.

Blueprints:

* ``visitor`` -- public pages: the planning form, results (map, timeline,
  re-plan, exports, share link ``/i/<id>``), the site directory.
* ``staff`` -- ``/staff/...`` behind a login: study tours (print, CSV
  timetable), the visitor-flow dashboard, site-data upload.
* ``api`` -- JSON under ``/api/v1`` (flask-smorest), OpenAPI document at
  ``/api/v1/openapi.json``.
* ``embed`` -- ``/embed/...`` map pages, the only ones other sites may frame,
  the same maps as standalone HTML files (``/embed/.../<key>.html``), and
  ``/oembed``.
* ``developers`` -- ``/developers``: how to embed the maps, and the API
  reference generated from the OpenAPI document.

Configuration: see :mod:`tourplan.web.config`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped, unused-ignore]
from werkzeug.routing import BaseConverter

from tourplan.resources import static_dir, templates_dir
from tourplan.store import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["create_app"]

log = logging.getLogger(__name__)


class IdConverter(BaseConverter):
    """Ids made by :func:`tourplan.store.new_id` (URL-safe base64, no dots)."""

    regex = r"[A-Za-z0-9_\-]{8,64}"


def _instance_path(test_config: Mapping[str, Any] | None) -> str | None:
    raw = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("TOURPLAN_INSTANCE_PATH")
    return str(Path(raw).resolve()) if raw else None


def _warm_forecasts(holder: Any) -> threading.Thread:
    """Compute the crowd forecasts of the current site data in a daemon thread (a plan then never waits)."""

    def run() -> None:
        from tourplan.itinerary.crowd import warm_forecasts

        try:
            data = holder.current()
            warm_forecasts(data.sites, data.graph)
        except RuntimeError as exc:
            if "interpreter shutdown" not in str(exc):  # (else the process is exiting: nothing to warm for)
                log.exception("warming the crowd forecasts failed")
        except Exception:  # a plan computes what is missing itself
            log.exception("warming the crowd forecasts failed")

    thread = threading.Thread(target=run, name="tourplan-forecast-warm", daemon=True)
    thread.start()
    return thread


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    test_config
        Overrides applied last, e.g. ``{"TESTING": True, "DATABASE_URL": ...,
        "INSTANCE_PATH": tmp_path}``.

    Returns
    -------
    Flask
        The configured app with every blueprint registered.

    Examples
    --------
    >>> import tempfile
    >>> app = create_app({"TESTING": True, "INSTANCE_PATH": tempfile.mkdtemp()})
    >>> app.test_client().get("/healthz").get_json()["status"]
    'ok'
    """
    from tourplan.web.config import DefaultConfig, ensure_secret_key

    app = Flask(
        "tourplan",
        template_folder=str(templates_dir()),
        static_folder=str(static_dir()),
        instance_relative_config=True,
        instance_path=_instance_path(test_config),
    )
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TOURPLAN")
    if test_config:
        app.config.update(dict(test_config))
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(instance)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'tourplan.sqlite'}"
    if int(app.config.get("PROXY_FIX") or 0) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.url_map.converters["id"] = IdConverter
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from tourplan.web.sitedata import StoreDataHolder

    store = Store(str(app.config["DATABASE_URL"]))
    if not app.config.get("REDIS_URL"):  # on a queue, RQ fails or re-queues the runs of dead workers
        store.fail_stale_runs("the server stopped during the run", older_than=dt.timedelta(minutes=10))
    app.extensions["tourplan.store"] = store
    # Site data lives in the store (seeded from POIS_PATH or the bundled table): tourplan.web.sitedata
    holder = StoreDataHolder(instance, app.config.get("POIS_PATH"), app.config.get("EDGES_PATH"), store)
    holder.current()  # fail at start on bad data, not on the first visitor
    app.extensions["tourplan.data"] = holder
    warm = app.config.get("PLAN_FORECAST_WARM")
    if app.config.get("PLAN_FORECAST", True) and (not app.testing if warm is None else warm):
        _warm_forecasts(holder)
    app.extensions["tourplan.showcase"] = {}
    app.extensions["tourplan.executor"] = ThreadPoolExecutor(
        max_workers=max(1, int(app.config["SIMULATION_WORKERS"])), thread_name_prefix="tourplan-sim"
    )

    from tourplan.web.auth import init_auth
    from tourplan.web.budgets import init_budgets
    from tourplan.web.errors import init_errors
    from tourplan.web.i18n import init_i18n
    from tourplan.web.limits import init_limits
    from tourplan.web.scale import init_scale
    from tourplan.web.security import init_cors, init_security
    from tourplan.web.urls import init_urls

    init_scale(app)  # the job runner and, with REDIS_URL, the shared cache
    init_limits(app)  # first request hook: a refused client costs nothing more
    init_urls(app)
    init_budgets(app)
    init_i18n(app)
    init_security(app)
    csrf = CSRFProtect(app)
    init_auth(app)
    from tourplan.web.tokens import init_tokens

    init_tokens(app)  # API bearer tokens (tourplan users token NAME)

    from tourplan.web import api, developers, embed, staff, visitor

    app.register_blueprint(visitor.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(embed.bp)
    app.extensions["tourplan.api"] = api.init_api(app, csrf)
    app.register_blueprint(developers.bp)
    from tourplan.web.sites import init_sites

    init_sites(app)  # staff site-data pages (/staff/sites/...) and the old-plan notice
    init_errors(app)
    init_cors(app)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        from tourplan.web.scale import health
        from tourplan.web.services.data import site_data

        return {"status": "ok", "sites": len(site_data().sites), **health(app)}

    @app.get("/favicon.ico")
    def favicon() -> Any:
        """Browsers ask for it on their own; the icon is an SVG under ``static/``."""
        from flask import redirect, url_for

        return redirect(url_for("static", filename="favicon.svg"), code=301)

    return app
