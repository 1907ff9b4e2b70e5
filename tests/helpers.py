"""Shared helpers for the web tests: an app factory with the test configuration, and staff login.

Plain functions (the fixtures that use them are in conftest.py); each test
module passes its own configuration overrides as keyword arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

STAFF_USER = "staff"
STAFF_PASSWORD = "staff-password-1"
#: The SIMULATION_OVERRIDES most web tests use (4-hour buckets, low plan share).
FAST_SIMULATION = {"bucket_minutes": 240, "min_plan_share": 0.05}


def make_app(instance: Path, *, user: tuple[str, str] | None = None, **over: Any) -> Any:
    """An app under ``instance`` with the test configuration, updated with ``over``.

    With ``user`` (username, password), that staff account is added when the
    store has no user yet.
    """
    from tourplan.web import create_app  # here: conftest imports this module for every test

    cfg: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret",
        "PLAN_TIME_LIMIT": 0.05,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    cfg.update(over)
    app = create_app(cfg)
    if user is not None:
        store = app.extensions["tourplan.store"]
        if not store.list_users():
            store.add_user(*user)
    return app


def login(client: Any, username: str = STAFF_USER, password: str = STAFF_PASSWORD) -> Any:
    """Log ``client`` in as staff (asserting the redirect that means success); returns it."""
    r = client.post("/staff/login", data={"username": username, "password": password})
    assert r.status_code == 303
    return client
