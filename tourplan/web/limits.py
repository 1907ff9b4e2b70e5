"""Limits that keep one client from taking the server down.

* Rate limits per client IP (flask-limiter): ``LOGIN_RATE_LIMIT`` on
  ``POST /staff/login``, ``PLAN_RATE_LIMIT`` on the public planning
  endpoints (``POST /plan``, ``POST /i/<id>/replan``,
  ``POST /api/v1/itineraries``). Counts live in ``RATELIMIT_STORAGE_URI``
  (in memory by default, so per worker process; a shared store such as
  Redis makes them per server; ``REDIS_URL`` is used when this is left at
  ``memory://``). A refused request gets 429 with
  ``Retry-After``: JSON under ``/api/``, the error page elsewhere
  (:mod:`tourplan.web.errors`).
* Request bodies: ``MAX_CONTENT_LENGTH`` for every request (the site-table
  upload), and the smaller ``API_MAX_CONTENT_LENGTH`` for JSON bodies under
  ``/api/`` (413, JSON).
* The optimizer's time per plan is capped by ``PLAN_TIME_LIMIT``, a web
  simulation's size by ``SIMULATION_MAX_VISITORS`` and a study tour's groups
  and buses by ``STUDY_MAX_GROUPS`` (see
  :mod:`tourplan.web.services`).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from flask import abort, current_app, request
from flask_limiter import Limit, Limiter
from flask_limiter.util import get_remote_address

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask

__all__ = ["LIMITED_ENDPOINTS", "init_limits"]

#: Config key of a limit -> the endpoints that share it (POST only).
LIMITED_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "LOGIN_RATE_LIMIT": ("staff.login",),
    "PLAN_RATE_LIMIT": ("visitor.plan", "visitor.replan", "api.Itineraries"),
}


def _configured(key: str) -> Callable[[], str]:
    def value() -> str:
        return str(current_app.config[key])

    return value


def _message(key: str) -> Callable[[], str]:
    def value() -> str:
        return f"too many requests from your address (limit: {current_app.config[key]}); try again later"

    return value


def _not_on(endpoints: tuple[str, ...]) -> Callable[[], bool]:
    def exempt() -> bool:
        return request.endpoint not in endpoints

    return exempt


def _api_body_limit() -> None:
    """413 for an API body over ``API_MAX_CONTENT_LENGTH``, with or without a length.

    A body with ``Content-Length`` is refused by werkzeug when read. A chunked
    body (no length) would only be cut short there, which reads as bad JSON;
    it is read here, at most one byte past the limit, and refused with 413.
    """
    path = request.path
    if not (path == "/api" or path.startswith("/api/")):
        return
    cap = int(current_app.config["API_MAX_CONTENT_LENGTH"])
    request.max_content_length = cap
    env = request.environ
    if request.content_length is None and env.get("wsgi.input_terminated"):
        raw = env["wsgi.input"].read(cap + 1)
        if len(raw) > cap:
            abort(413)
        env["wsgi.input"] = io.BytesIO(raw)


def _storage_uri(app: Flask) -> str:
    """``RATELIMIT_STORAGE_URI``; left at ``memory://`` while ``REDIS_URL`` is set, that Redis."""
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    redis_url = app.config.get("REDIS_URL")
    return str(redis_url) if uri == "memory://" and redis_url else uri


def init_limits(app: Flask) -> Limiter:
    """Add the rate limits and the API body limit to an app.

    Call before anything else registers a ``before_request`` hook (CSRF
    checks in particular): a refused client is answered 429 before any other
    work. The limits are flask-limiter *default* limits, each exempt outside
    its endpoints and shared between them, so one budget covers the web form
    and the API. Each app gets its own :class:`~flask_limiter.Limiter`, so
    two apps in one process (tests) do not share counts.

    Returns
    -------
    Limiter
        Also kept in ``app.extensions["tourplan.limiter"]``.
    """
    limits: list[str | Callable[[], str] | Limit] = []
    for key, endpoints in LIMITED_ENDPOINTS.items():
        app.config[key]  # noqa: B018 - fail at start when a limit is not configured
        limits.append(
            Limit(
                _configured(key),
                methods=["POST"],
                exempt_when=_not_on(endpoints),
                error_message=_message(key),
                shared=True,
                scope=key.lower(),
            )
        )
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=_storage_uri(app),
        default_limits=limits,
        headers_enabled=bool(app.config.get("RATELIMIT_HEADERS_ENABLED", True)),
    )
    app.before_request(_api_body_limit)
    app.extensions["tourplan.limiter"] = limiter
    return limiter
