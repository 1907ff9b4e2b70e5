"""The Flask web app: ``create_app(config)``.

Configuration comes from the defaults here, then ``TOURPLAN_*`` environment
variables, then the mapping passed by the caller (tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, render_template

from tourplan.data import load_edges, load_sites
from tourplan.graph import SiteGraph
from tourplan.resources import static_dir, templates_dir

if TYPE_CHECKING:
    from collections.abc import Mapping


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    test_config
        Overrides applied last (e.g. ``{"TESTING": True, "POIS_PATH": ...}``).
    """
    app = Flask(
        "tourplan",
        template_folder=str(templates_dir()),
        static_folder=str(static_dir()),
        instance_relative_config=True,
    )
    app.config.from_mapping(POIS_PATH=None, EDGES_PATH=None)
    app.config.from_prefixed_env("TOURPLAN")
    if test_config:
        app.config.update(dict(test_config))
    sites = load_sites(app.config["POIS_PATH"])
    edges = (
        load_edges(app.config["EDGES_PATH"], sites)
        if (app.config["EDGES_PATH"] or app.config["POIS_PATH"] is None)
        else ()
    )
    app.extensions["tourplan.sites"] = sites
    app.extensions["tourplan.graph"] = SiteGraph(sites, edges)

    @app.get("/")
    def index() -> str:
        return render_template("index.html", sites=app.extensions["tourplan.sites"])

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "sites": len(app.extensions["tourplan.sites"])}

    return app
