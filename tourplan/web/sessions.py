"""Staff sessions that the server can end.

Flask keeps the session in a signed cookie, so the server cannot delete a
copy an attacker took. Each staff account therefore has a *session epoch*
in the ``users`` table (:meth:`tourplan.store.Store.end_sessions`), and the
session holds ``"<user id>.<epoch>"`` as its Flask-Login id. The user loader
accepts a session only while its epoch is the account's current one, so:

* logging out raises the epoch: that session and every other session of
  the account (other browsers, a copied cookie) end at once;
* changing the password (``tourplan users passwd NAME``) raises it too;
* removing the account (``tourplan users remove NAME``) ends them all, as
  the loader finds no user.

A session cookie from before epochs existed (``"<user id>"`` alone) is not
accepted either: its owner logs in again once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_login import UserMixin  # type: ignore[import-untyped, unused-ignore]

if TYPE_CHECKING:
    from tourplan.store import Store, UserRecord

__all__ = ["StaffUser", "end_sessions", "load_staff_user", "staff_user"]

_SESSION_ID = re.compile(r"^(\d{1,18})\.(\d{1,18})$")


@dataclass(frozen=True)
class StaffUser(UserMixin):  # type: ignore[misc]
    """The logged-in staff member and the session epoch their session was signed with."""

    id: int
    username: str
    epoch: int = 0

    def get_id(self) -> str:
        """Session key: ``"<id>.<epoch>"``."""
        return f"{self.id}.{self.epoch}"


def staff_user(rec: UserRecord) -> StaffUser:
    """The session user of a store record (at the account's current epoch)."""
    return StaffUser(rec.id, rec.username, rec.session_epoch)


def load_staff_user(store: Store, session_id: str) -> StaffUser | None:
    """The user of a session id, or None when it is malformed, unknown or of an ended epoch.

    Examples
    --------
    >>> from tourplan.store import Store
    >>> store = Store("sqlite://")
    >>> rec = store.add_user("alice", "long-password")
    >>> load_staff_user(store, f"{rec.id}.0").username
    'alice'
    >>> _ = store.end_sessions(rec.id)
    >>> load_staff_user(store, f"{rec.id}.0") is None, load_staff_user(store, str(rec.id)) is None
    (True, True)
    """
    m = _SESSION_ID.match(session_id or "")
    if m is None:
        return None
    rec = store.get_user(int(m.group(1)))
    if rec is None or rec.session_epoch != int(m.group(2)):
        return None
    return staff_user(rec)


def end_sessions(store: Store, user: StaffUser) -> None:
    """End every session of ``user``'s account (a vanished account has none left)."""
    try:
        store.end_sessions(user.id)
    except KeyError:
        return
