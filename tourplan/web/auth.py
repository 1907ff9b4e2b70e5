"""Staff login with Flask-Login over :class:`tourplan.store.Store` users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import redirect, request, url_for
from flask_babel import lazy_gettext  # type: ignore[import-untyped, unused-ignore]
from flask_login import LoginManager, UserMixin, login_required  # type: ignore[import-untyped, unused-ignore]

from tourplan.web.errors import api_error, wants_json

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

__all__ = ["StaffUser", "init_auth", "safe_next", "staff_required"]

F = TypeVar("F", bound=Callable[..., Any])


def staff_required(view: F) -> F:
    """Flask-Login's ``login_required`` with its type kept (JSON 401 on the API)."""
    return cast("F", login_required(view))


@dataclass(frozen=True)
class StaffUser(UserMixin):  # type: ignore[misc]
    """The logged-in staff member."""

    id: int
    username: str

    def get_id(self) -> str:
        """Session key of the user."""
        return str(self.id)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths may be redirected to after login.

    Examples
    --------
    >>> safe_next("/staff/flow", "/staff/"), safe_next("//evil.example/", "/staff/")
    ('/staff/flow', '/staff/')
    """
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


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

    def load(user_id: str) -> StaffUser | None:
        try:
            rec = get_store().get_user(int(user_id))
        except ValueError:
            return None
        return None if rec is None else StaffUser(rec.id, rec.username)

    lm.user_loader(load)
    lm.unauthorized_handler(_unauthorized)
