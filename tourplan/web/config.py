"""Configuration of the web app.

Order (later wins): :class:`DefaultConfig`, then ``config.py`` in the
instance folder, then ``TOURPLAN_*`` environment variables (values parsed as
JSON when they look like it, e.g. ``TOURPLAN_PLAN_TIME_LIMIT=0.5``), then the
mapping given to :func:`tourplan.web.create_app` (tests).

No secret lives in git: when ``SECRET_KEY`` is not configured a random key is
written once to ``instance/secret_key`` (mode 0600) and reused, so sessions
survive restarts.
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Any

from tourplan.limits import MAX_SITES

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["DefaultConfig", "ensure_secret_key", "frame_ancestors"]


class DefaultConfig:
    """Defaults; every name can be overridden (see the module docstring)."""

    #: Session signing key; generated into the instance folder when unset.
    SECRET_KEY: str | None = None
    #: SQLAlchemy URL; default ``sqlite:///<instance>/tourplan.sqlite``.
    DATABASE_URL: str | None = None
    #: Site table that seeds a fresh database (then the store's table is used: tourplan.web.sitedata).
    POIS_PATH: str | None = None
    #: Explicit legs; the bundled ``data/edges.csv`` when unset.
    EDGES_PATH: str | None = None
    #: Upper bound of the optimizer's time per plan, seconds.
    PLAN_TIME_LIMIT: float = 0.5
    #: Seed of every plan (same request, same plan).
    PLAN_SEED: int = 0
    #: Put the flow model's crowd forecast of the date's day type on every plan.
    PLAN_FORECAST: bool = True
    #: Compute the crowd forecasts (one flow simulation per day type, cached on disk) in a background
    #: thread when the app starts, so no visitor waits for them; None: unless TESTING.
    PLAN_FORECAST_WARM: bool | None = None
    #: The visitors' today (ISO) before which dates are refused; China Standard Time today when unset.
    PLAN_TODAY: str | None = None
    #: Base tiles of maps: ``osm``, ``gaode`` or ``tianditu`` (needs TIANDITU_KEY).
    MAP_TILES: str = "osm"
    TIANDITU_KEY: str | None = None
    #: Who may frame ``/embed/...`` pages: CSP ``frame-ancestors`` sources
    #: (a list, or one space-separated string). ``*`` = any site.
    EMBED_FRAME_ANCESTORS: list[str] | str = "*"
    #: Date of the themed showcase routes (ISO); the next Saturday when unset.
    SHOWCASE_DATE: str | None = None
    #: Set True behind HTTPS: session cookie gets ``Secure``.
    SESSION_COOKIE_SECURE: bool = False
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    #: Number of reverse proxies in front (enables werkzeug ProxyFix when > 0).
    PROXY_FIX: int = 0
    #: Largest request body (the pois.csv upload), bytes.
    MAX_CONTENT_LENGTH: int = 5 * 1024 * 1024
    #: Most sites an uploaded table may have: the largest table the planner
    #: serves within its time targets (``bench/table_size.py``).
    UPLOAD_MAX_SITES: int = MAX_SITES
    #: Seconds a checked upload waits to be applied before it expires.
    UPLOAD_STAGING_TTL: float = 3600.0
    #: Largest JSON request body under ``/api/``, bytes (413 beyond).
    API_MAX_CONTENT_LENGTH: int = 256 * 1024
    #: Simulation runs at once (background threads).
    SIMULATION_WORKERS: int = 1
    #: Most visitors one simulation started from the web may model (the
    #: day-type default counts when the request gives none).
    SIMULATION_MAX_VISITORS: int = 300_000
    #: Most school groups, and most buses, in one study tour planned from the
    #: web (planning time grows with them: 60 buses take about 8 s).
    STUDY_MAX_GROUPS: int = 60
    #: Budgets of one study tour planned from the web: optimizer seconds (the
    #: time limit of every bus plan it starts) and wall-clock seconds (below
    #: gunicorn's default 30 s worker timeout). See tourplan.web.budgets.
    STUDY_WORK_BUDGET: float = 15.0
    STUDY_TIME_BUDGET: float = 25.0
    #: A study tour larger than this, counted as school groups x sites in
    #: the table, is planned as a background job on the simulations' runner
    #: (a ``tourplan worker`` with Redis) and its page polls; smaller ones are
    #: planned in the request. 1,200 is 20 groups on the bundled 61 sites,
    #: about 2 s of planning (``bench/study_tour.py``: 30 groups in 3 s).
    STUDY_QUEUE_WORK: int = 1200
    #: Budgets of a study tour planned as a job (its clock starts when it starts;
    #: ``JOB_TIME_LIMIT`` still ends any job).
    STUDY_JOB_WORK_BUDGET: float = 120.0
    STUDY_JOB_TIME_BUDGET: float = 300.0
    #: Budgets of one simulation (a background run): optimizer seconds of its
    #: itinerary plans, and wall-clock seconds from the run's start.
    SIMULATION_WORK_BUDGET: float = 120.0
    SIMULATION_TIME_BUDGET: float = 180.0
    #: Rate limits (flask-limiter strings, per client IP; with PROXY_FIX the
    #: IP is the one the proxy reports). ``RATELIMIT_ENABLED = False`` turns
    #: them all off; ``RATELIMIT_STORAGE_URI`` shares counts between worker
    #: processes (e.g. ``redis://...``; default: in memory, per process).
    RATELIMIT_ENABLED: bool = True
    RATELIMIT_STORAGE_URI: str = "memory://"
    RATELIMIT_HEADERS_ENABLED: bool = True
    #: POST /staff/login.
    LOGIN_RATE_LIMIT: str = "5 per minute;20 per hour"
    #: Planning: POST /plan, POST /i/<id>/replan, POST /api/v1/itineraries.
    PLAN_RATE_LIMIT: str = "30 per minute"
    #: Origins allowed to call the public API from a browser (CORS, never with
    #: credentials): ``*``, or a list / space-separated string of origins.
    CORS_ORIGINS: list[str] | str = "*"
    #: Scenario keys forced on every simulation (tests make runs small).
    SIMULATION_OVERRIDES: dict[str, Any] = {}
    WTF_CSRF_TIME_LIMIT: int | None = 8 * 3600
    BABEL_DEFAULT_LOCALE: str = "zh"
    BABEL_DEFAULT_TIMEZONE: str = "Asia/Shanghai"
    # flask-smorest / OpenAPI
    API_TITLE: str = "tourplan API"
    API_VERSION: str = "v1"
    OPENAPI_VERSION: str = "3.0.3"
    OPENAPI_URL_PREFIX: str = "/api/v1"
    OPENAPI_JSON_PATH: str = "openapi.json"
    JSON_SORT_KEYS: bool = False


def ensure_secret_key(instance: Path) -> str:
    """Return the key stored in ``instance/secret_key``, creating it if needed.

    Parameters
    ----------
    instance
        The app's instance folder (created if missing).

    Returns
    -------
    str
        64 hex digits.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def frame_ancestors(value: list[str] | tuple[str, ...] | str | None) -> str:
    """Normalise the configured ``EMBED_FRAME_ANCESTORS`` into a CSP source list.

    Parameters
    ----------
    value
        ``"*"``, ``"https://a.example https://b.example"``, a list of such
        sources, or None/empty for ``'none'``.

    Returns
    -------
    str
        A space-separated source list.

    Raises
    ------
    ValueError
        When a source holds characters that could break the header.

    Examples
    --------
    >>> frame_ancestors(["https://a.example", "'self'"])
    "https://a.example 'self'"
    >>> frame_ancestors("")
    "'none'"
    """
    items = value.split() if isinstance(value, str) else list(value or [])
    for item in items:
        if any(c in item for c in ';,\r\n"') or not item.strip():
            msg = f"EMBED_FRAME_ANCESTORS: bad source {item!r}"
            raise ValueError(msg)
    return " ".join(items) if items else "'none'"
