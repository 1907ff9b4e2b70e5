"""Staff login with Flask-Login over :class:`tourplan.store.Store` users."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import redirect, request, url_for
from flask_babel import lazy_gettext  # type: ignore[import-untyped, unused-ignore]
from flask_login import LoginManager, login_required  # type: ignore[import-untyped, unused-ignore]

from tourplan.web.errors import api_error, wants_json
from tourplan.web.sessions import StaffUser, load_staff_user

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

__all__ = ["StaffUser", "init_auth", "staff_required"]

F = TypeVar("F", bound=Callable[..., Any])


def staff_required(view: F) -> F:
    """Flask-Login's ``login_required`` with its type kept (JSON 401 on the API)."""
    return cast("F", login_required(view))


def _unauthorized() -> ResponseReturnValue:
    if wants_json():
        return api_error(401, "staff login required")
    return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))


def init_auth(app: Flask) -> None:
    """Set up Flask-Login."""
    from tourplan.web.services.data import get_store

    lm = LoginManager(app)
    lm.login_view = "staff.login"
    lm.login_message = lazy_gettext("Please log in to see staff pages.")
    lm.session_protection = "strong"

    def load(session_id: str) -> StaffUser | None:
        return load_staff_user(get_store(), session_id)

    lm.user_loader(load)
    lm.unauthorized_handler(_unauthorized)
