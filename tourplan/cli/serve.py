"""Long-running processes: ``tourplan serve`` (the web app) and ``tourplan worker`` (queued jobs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tourplan.cli._common import handle_errors
from tourplan.cli.options import data_option

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["serve", "worker"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@data_option
@handle_errors
def serve(host: str, port: int, debug: bool, data_path: Path | None, edges_path: Path | None) -> None:
    """Run the web app (development server; use gunicorn in production)."""
    from tourplan.web import create_app

    overrides: dict[str, Any] = {}
    if data_path is not None:
        overrides["POIS_PATH"] = str(data_path)
    if edges_path is not None:
        overrides["EDGES_PATH"] = str(edges_path)
    from tourplan.web.serving import QuietRequestHandler

    app = create_app(overrides or None)
    app.run(host=host, port=port, debug=debug, request_handler=QuietRequestHandler)


# ``tourplan worker`` runs RQ jobs from Redis, past one machine (``tourplan sweep`` is in tourplan.cli.flow).


@click.command()
@click.option(
    "--redis-url",
    envvar="TOURPLAN_REDIS_URL",
    required=True,
    help="The queue's Redis [env TOURPLAN_REDIS_URL].",
)
@click.option(
    "--database-url",
    envvar="TOURPLAN_DATABASE_URL",
    default=None,
    help="Where runs are recorded [env TOURPLAN_DATABASE_URL; default: the web app's].",
)
@click.option("--burst", is_flag=True, help="Quit once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: random).")
@click.option("--maintenance-interval", default=600, show_default=True, type=click.IntRange(1),
              help="Seconds between clean-ups that fail or re-queue the jobs of dead workers.")  # fmt: skip
@click.option("--monitoring-interval", default=30, show_default=True, type=click.IntRange(1),
              help="Seconds between heartbeats of a running job.")  # fmt: skip
@click.option("--heartbeat-grace", default=60, show_default=True, type=click.IntRange(1),
              help="Seconds after a missed heartbeat before a job counts as abandoned.")  # fmt: skip
@handle_errors
def worker(
    redis_url: str,
    database_url: str | None,
    burst: bool,
    name: str | None,
    maintenance_interval: int,
    monitoring_interval: int,
    heartbeat_grace: int,
) -> None:
    """Run simulation jobs from the Redis queue (start one or more next to the web app)."""
    from tourplan.jobs import serve as serve_jobs
    from tourplan.store import Store

    if database_url is None:
        from tourplan.web import create_app

        database_url = str(create_app().config["DATABASE_URL"])
    serve_jobs(
        redis_url,
        Store(database_url),
        burst=burst,
        name=name,
        maintenance_interval=maintenance_interval,
        monitoring_interval=monitoring_interval,
        heartbeat_grace=heartbeat_grace,
    )
