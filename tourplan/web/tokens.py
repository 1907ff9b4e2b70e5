"""Bearer tokens for the JSON API: ``Authorization: Bearer tp_...`` logs a staff script in.

A Flask-Login request loader: a request under ``/api/`` without a session
user but with a live token (see :mod:`tourplan.tokens`) runs as the
token's account, for that request only (nothing is written to a session).
HTML pages ignore the header, so a token never replaces a login form and
its CSRF protection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan.tokens import check_token, ensure_tables
from tourplan.web.sessions import StaffUser, staff_user

if TYPE_CHECKING:
    from flask import Flask, Request

__all__ = ["bearer_token", "init_tokens"]


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, else None.

    Examples
    --------
    >>> bearer_token("Bearer tp_abc"), bearer_token("bearer  tp_abc "), bearer_token("Basic eA==")
    ('tp_abc', 'tp_abc', None)
    """
    scheme, _, value = (header or "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def init_tokens(app: Flask) -> None:
    """Accept bearer tokens on the API (after :func:`tourplan.web.auth.init_auth`)."""
    from tourplan.web.services.data import get_store

    with app.app_context():
        ensure_tables(get_store())

    def load(req: Request) -> StaffUser | None:
        if not req.path.startswith("/api/"):
            return None
        token = bearer_token(req.headers.get("Authorization"))
        if token is None:
            return None
        rec = check_token(get_store(), token)
        return None if rec is None else staff_user(rec)

    app.login_manager.request_loader(load)  # type: ignore[attr-defined]
