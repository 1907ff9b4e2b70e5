"""API bearer tokens of staff accounts, kept hashed in the store.

``tourplan users token NAME`` issues a token: 32 random bytes (URL-safe
base64 behind a ``tp_`` prefix), shown once. Only its SHA-256 is stored (a
token is random enough that a slow hash adds nothing), with the first
characters kept to tell tokens apart when listing or revoking them.
Scripts send it as ``Authorization: Bearer tp_...``.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - SQLAlchemy resolves Mapped[dt.datetime] at run time
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from tourplan.store import _aware, _Base, _now, _User

if TYPE_CHECKING:
    from tourplan.store import Store, UserRecord

__all__ = ["PREFIX", "TokenRecord", "check_token", "ensure_tables", "issue_token", "list_tokens", "revoke_tokens"]

#: Every token starts with this, so a leaked one is easy to recognise.
PREFIX = "tp_"
_SHOWN = 10  # characters kept in clear to tell tokens apart


class _ApiToken(_Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    last_used: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class TokenRecord:
    """A token's public facts (never the token itself)."""

    id: int
    username: str
    prefix: str
    created: dt.datetime
    last_used: dt.datetime | None
    revoked: dt.datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_tables(store: Store) -> None:
    """Create the token table when missing (idempotent)."""
    store._create_tables()  # noqa: SLF001 - the store creates every table on its base, ours included


def issue_token(store: Store, username: str) -> tuple[TokenRecord, str]:
    """Make a new token for a staff account; return its record and the token (shown once).

    Raises
    ------
    KeyError
        If there is no such user.

    Examples
    --------
    >>> from tourplan.store import Store
    >>> store = Store("sqlite://")
    >>> _ = store.add_user("wang", "long-enough-1")
    >>> rec, token = issue_token(store, "wang")
    >>> token.startswith(PREFIX), check_token(store, token).username, check_token(store, token + "x")
    (True, 'wang', None)
    >>> revoke_tokens(store, "wang"), check_token(store, token)
    (1, None)
    """
    ensure_tables(store)
    token = PREFIX + secrets.token_urlsafe(32)
    with store._tx() as s, s.begin():  # noqa: SLF001
        user = s.scalar(select(_User).where(_User.username == username.strip()))
        if user is None:
            raise KeyError(username)
        row = _ApiToken(user_id=user.id, token_hash=_hash(token), prefix=token[:_SHOWN], created=_now())
        s.add(row)
        s.flush()
        return _record(row, user.username), token


def check_token(store: Store, token: str) -> UserRecord | None:
    """The account a live token belongs to, or None (unknown, revoked, or not a token)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with store._tx() as s, s.begin():  # noqa: SLF001
        row = s.scalar(select(_ApiToken).where(_ApiToken.token_hash == _hash(token)))
        if row is None or row.revoked is not None:
            return None
        now = _now()
        if row.last_used is None or now - _aware(row.last_used) > dt.timedelta(minutes=1):
            row.last_used = now
        user_id = row.user_id
    return store.get_user(user_id)


def list_tokens(store: Store, username: str | None = None) -> list[TokenRecord]:
    """Tokens (of one account, or of all), newest first."""
    ensure_tables(store)
    q = (
        select(_ApiToken, _User.username)
        .join(_User, _User.id == _ApiToken.user_id)
        .order_by(_ApiToken.id.desc())
    )
    if username is not None:
        q = q.where(_User.username == username)
    with store._tx() as s:  # noqa: SLF001
        return [_record(t, name) for t, name in s.execute(q).tuples()]


def revoke_tokens(store: Store, which: str) -> int:
    """Revoke every live token of account ``which``, or the token whose id or prefix is ``which``.

    Returns
    -------
    int
        How many tokens were revoked.
    """
    ensure_tables(store)
    with store._tx() as s, s.begin():  # noqa: SLF001
        q = select(_ApiToken).where(_ApiToken.revoked.is_(None))
        user = s.scalar(select(_User).where(_User.username == which))
        if user is not None:
            q = q.where(_ApiToken.user_id == user.id)
        elif which.isdigit():
            q = q.where(_ApiToken.id == int(which))
        elif which.startswith(PREFIX) and len(which) >= 6:
            q = q.where(_ApiToken.prefix.startswith(which[:_SHOWN]))
        else:
            return 0
        rows = list(s.scalars(q))
        for row in rows:
            row.revoked = _now()
        return len(rows)


def _record(row: _ApiToken, username: str) -> TokenRecord:
    return TokenRecord(
        row.id,
        username,
        row.prefix,
        _aware(row.created),
        None if row.last_used is None else _aware(row.last_used),
        None if row.revoked is None else _aware(row.revoked),
    )
