"""Persistent state of the web app: staff users, saved plans, simulation runs.

Plain SQLAlchemy 2 (no Flask), so the CLI and the tests use it directly.
A :class:`Store` wraps one engine: a SQLite file by default (WAL journal,
foreign keys on, a busy timeout so concurrent writers wait instead of
failing) or PostgreSQL by URL (``postgresql+psycopg://...``). Every public
method runs in its own transaction and returns plain frozen records, never
ORM objects bound to a session.

Ids of saved itineraries, study-tour plans and simulation runs come from
:func:`secrets.token_urlsafe` (16 bytes, 22 characters): a share link can
be given out without revealing or enumerating others.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    false,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Select
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

__all__ = [
    "RUN_STATUSES",
    "ItineraryRecord",
    "RunRecord",
    "Store",
    "StudyRecord",
    "UserRecord",
    "new_id",
]

#: Life cycle of a simulation run.
RUN_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")
_USERNAME_MAX = 64
_PASSWORD_MIN = 8


def new_id() -> str:
    """Return an unguessable id (``secrets.token_urlsafe(16)``, 22 characters)."""
    return secrets.token_urlsafe(16)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite drops the zone of stored times; they are UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


class _Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


_Row = TypeVar("_Row", bound=_Base)
_Rec = TypeVar("_Rec")


class _User(_Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(_USERNAME_MAX), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    #: Raised by a logout or a password change: sessions signed with an older value end.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class _Itinerary(_Base):
    __tablename__ = "itineraries"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class _StudyPlan(_Base):
    __tablename__ = "study_plans"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class _Run(_Base):
    __tablename__ = "simulation_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    #: Staff published the run for embedding: its map and result are public.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Why the run was asked to stop (``cancelled``), by any process; the run reads it at its checkpoints.
    stop: Mapped[str | None] = mapped_column(Text, nullable=True)


def _existing(s: Session, model: type[_Row], key: object) -> _Row:
    """The row of *model* with this primary key, or KeyError."""
    row = s.get(model, key)
    if row is None:
        raise KeyError(key)
    return row


def _owned(model: type[_Row], owner_id: int | None, **fields: Any) -> _Row:
    """A new plan or run of *owner_id*: an unguessable id, created and updated now."""
    now = _now()
    return model(id=new_id(), owner_id=owner_id, created=now, updated=now, **fields)


def _named(s: Session, username: str) -> _User:
    """The user with this name, or KeyError."""
    u = s.scalar(select(_User).where(_User.username == username))
    if u is None:
        raise KeyError(username)
    return u


@dataclass(frozen=True)
class UserRecord:
    """A staff account (the password hash never leaves the store)."""

    id: int
    username: str
    created: dt.datetime
    session_epoch: int = 0


@dataclass(frozen=True)
class ItineraryRecord:
    """A saved visitor itinerary: the request and the planned result."""

    id: str
    request: dict[str, Any]
    result: dict[str, Any]
    created: dt.datetime


@dataclass(frozen=True)
class StudyRecord:
    """A saved, editable study-tour plan."""

    id: str
    owner_id: int | None
    name: str
    request: dict[str, Any]
    result: dict[str, Any]
    created: dt.datetime
    updated: dt.datetime


@dataclass(frozen=True)
class RunRecord:
    """A visitor-flow simulation run and how far it got."""

    id: str
    owner_id: int | None
    status: str
    progress: float
    scenario: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created: dt.datetime
    updated: dt.datetime
    published: bool = False
    #: Set when the run was asked to stop and has not ended yet (or ended by it).
    stop: str | None = None


def _user(u: _User) -> UserRecord:
    return UserRecord(u.id, u.username, _aware(u.created), int(u.session_epoch or 0))


def _itin(r: _Itinerary) -> ItineraryRecord:
    return ItineraryRecord(r.id, dict(r.request), dict(r.result), _aware(r.created))


def _study(r: _StudyPlan) -> StudyRecord:
    return StudyRecord(
        r.id, r.owner_id, r.name, dict(r.request), dict(r.result), _aware(r.created), _aware(r.updated)
    )


def _run(r: _Run) -> RunRecord:
    return RunRecord(
        r.id,
        r.owner_id,
        r.status,
        float(r.progress),
        dict(r.scenario),
        None if r.result is None else dict(r.result),
        r.error,
        _aware(r.created),
        _aware(r.updated),
        bool(r.published),
        r.stop,
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=FULL")  # an acknowledged save survives power loss too
    finally:
        cur.close()


class Store:
    """All persistent state behind one database URL.

    Parameters
    ----------
    url
        SQLAlchemy URL, e.g. ``"sqlite:////srv/tourplan/instance/tourplan.sqlite"``
        or ``"postgresql+psycopg://user@host/tourplan"``.
    create
        Create missing tables (idempotent).

    Examples
    --------
    >>> store = Store("sqlite://")
    >>> rec = store.save_itinerary({"date": "2025-05-10"}, {"days": []})
    >>> store.get_itinerary(rec.id).request
    {'date': '2025-05-10'}
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self._create_tables()

    def _create_tables(self) -> None:
        """Create missing tables, safely when several workers start at once.

        On PostgreSQL a transaction-level advisory lock serialises the
        workers; elsewhere (SQLite) a worker that loses the race sees the
        other's tables on its next, check-first attempt. Columns added to a
        table after its first release are added to an existing database
        here too (:data:`_ADDED_COLUMNS`).
        """
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(7401802)"))
                    _Base.metadata.create_all(conn)
                    _add_missing_columns(conn)
                return
            except (IntegrityError, OperationalError, ProgrammingError):
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _tx(self) -> Session:
        return self._session()

    def _add(self, row: _Row, record: Callable[[_Row], _Rec]) -> _Rec:
        """Insert a new row; return it as a record."""
        with self._tx() as s, s.begin():
            s.add(row)
            s.flush()
            return record(row)

    def _change(
        self, model: type[_Row], key: object, changes: dict[str, Any], record: Callable[[_Row], _Rec]
    ) -> _Rec:
        """Set some columns of an existing row (KeyError if there is none); return it as a record."""
        with self._tx() as s, s.begin():
            row = _existing(s, model, key)
            for column, value in changes.items():
                setattr(row, column, value)
            s.flush()
            return record(row)

    def _get(self, model: type[_Row], key: object, record: Callable[[_Row], _Rec]) -> _Rec | None:
        """The row with this primary key as a record, or None."""
        with self._tx() as s:
            row = s.get(model, key)
            return None if row is None else record(row)

    def _list(self, query: Select[_Row], record: Callable[[_Row], _Rec]) -> list[_Rec]:
        """The rows a query selects, as records."""
        with self._tx() as s:
            return [record(row) for row in s.scalars(query)]

    # -- users ---------------------------------------------------------------

    def add_user(self, username: str, password: str) -> UserRecord:
        """Create a staff account with a scrypt-hashed password.

        Raises
        ------
        ValueError
            For an empty or too long name, a short password, or a name in use.
        """
        name = username.strip()
        if not name or len(name) > _USERNAME_MAX or any(c.isspace() for c in name):
            msg = f"username: expected 1-{_USERNAME_MAX} characters without spaces, got {username!r}"
            raise ValueError(msg)
        if len(password) < _PASSWORD_MIN:
            msg = f"password: expected at least {_PASSWORD_MIN} characters, got {len(password)}"
            raise ValueError(msg)
        with self._tx() as s, s.begin():
            if s.scalar(select(_User).where(_User.username == name)) is not None:
                msg = f"username: {name!r} is already taken"
                raise ValueError(msg)
            u = _User(username=name, password_hash=generate_password_hash(password, method="scrypt"))
            s.add(u)
            s.flush()
            return _user(u)

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password and end every session they have.

        Raises
        ------
        KeyError
            If there is no such user.
        ValueError
            For a short password.
        """
        if len(password) < _PASSWORD_MIN:
            msg = f"password: expected at least {_PASSWORD_MIN} characters, got {len(password)}"
            raise ValueError(msg)
        with self._tx() as s, s.begin():
            u = _named(s, username)
            u.password_hash = generate_password_hash(password, method="scrypt")
            u.session_epoch = int(u.session_epoch or 0) + 1

    def end_sessions(self, user_id: int) -> int:
        """End every session of a user (their session epoch goes up); return the new epoch.

        Raises
        ------
        KeyError
            If there is no such user.
        """
        with self._tx() as s, s.begin():
            u = _existing(s, _User, user_id)
            u.session_epoch = int(u.session_epoch or 0) + 1
            return u.session_epoch

    def remove_user(self, username: str) -> None:
        """Delete a staff account; its saved plans and runs stay, without an owner.

        Raises
        ------
        KeyError
            If there is no such user.
        """
        with self._tx() as s, s.begin():
            u = _named(s, username)
            for model in (_StudyPlan, _Run):
                s.execute(update(model).where(model.owner_id == u.id).values(owner_id=None))
            s.delete(u)

    def check_login(self, username: str, password: str) -> UserRecord | None:
        """Return the user when the password matches, else None."""
        with self._tx() as s:
            u = s.scalar(select(_User).where(_User.username == username.strip()))
            if u is None:
                # Spend the same time as a real check, so names cannot be probed.
                check_password_hash(_dummy_hash(), password)
                return None
            return _user(u) if check_password_hash(u.password_hash, password) else None

    def get_user(self, user_id: int) -> UserRecord | None:
        """The user with this id, or None."""
        return self._get(_User, user_id, _user)

    def list_users(self) -> list[UserRecord]:
        """Every staff account, by name."""
        return self._list(select(_User).order_by(_User.username), _user)

    # -- itineraries ---------------------------------------------------------

    def save_itinerary(self, request: dict[str, Any], result: dict[str, Any]) -> ItineraryRecord:
        """Save a planned itinerary under a new unguessable id."""
        return self._add(_Itinerary(id=new_id(), request=request, result=result, created=_now()), _itin)

    def get_itinerary(self, itinerary_id: str) -> ItineraryRecord | None:
        """The saved itinerary, or None."""
        return self._get(_Itinerary, itinerary_id, _itin)

    def count_itineraries(self) -> int:
        """How many itineraries are saved."""
        with self._tx() as s:
            return len(s.scalars(select(_Itinerary.id)).all())

    # -- study-tour plans ----------------------------------------------------

    def save_study(
        self, name: str, request: dict[str, Any], result: dict[str, Any], *, owner_id: int | None
    ) -> StudyRecord:
        """Save a new study-tour plan."""
        return self._add(
            _owned(_StudyPlan, owner_id, name=name[:200], request=request, result=result), _study
        )

    def update_study(
        self, plan_id: str, *, name: str, request: dict[str, Any], result: dict[str, Any]
    ) -> StudyRecord:
        """Replace a plan's name, request and result.

        Raises
        ------
        KeyError
            If there is no such plan.
        """
        changes = {"name": name[:200], "request": request, "result": result, "updated": _now()}
        return self._change(_StudyPlan, plan_id, changes, _study)

    def get_study(self, plan_id: str) -> StudyRecord | None:
        """The plan, or None."""
        return self._get(_StudyPlan, plan_id, _study)

    def list_studies(self, limit: int = 100) -> list[StudyRecord]:
        """The most recently updated plans first."""
        return self._list(select(_StudyPlan).order_by(_StudyPlan.updated.desc()).limit(limit), _study)

    # -- simulation runs -----------------------------------------------------

    def create_run(self, scenario: dict[str, Any], *, owner_id: int | None) -> RunRecord:
        """Record a queued simulation run."""
        return self._add(_owned(_Run, owner_id, status="queued", progress=0.0, scenario=scenario), _run)

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        progress: float | None = None,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Change a run's status, progress (0-1), result or error.

        Raises
        ------
        KeyError
            If there is no such run.
        ValueError
            For an unknown status.
        """
        if status is not None and status not in RUN_STATUSES:
            msg = f"status: expected one of {', '.join(RUN_STATUSES)}, got {status!r}"
            raise ValueError(msg)
        with self._tx() as s, s.begin():
            r = _existing(s, _Run, run_id)
            if status is not None:
                r.status = status
            if progress is not None:
                r.progress = min(1.0, max(0.0, float(progress)))
            if result is not None:
                r.result = result
            if error is not None:
                r.error = error
            r.updated = _now()

    def publish_run(self, run_id: str, published: bool = True) -> RunRecord:
        """Publish a run for embedding (its map and result become public), or withdraw it.

        Raises
        ------
        KeyError
            If there is no such run.
        """
        return self._change(_Run, run_id, {"published": bool(published)}, _run)

    def request_stop(self, run_id: str, reason: str) -> bool:
        """Ask a queued or running run to stop with ``reason``; False when it is unknown or over.

        The process running it (any web or worker process) sees the request
        at its next checkpoint (:meth:`stop_requested`) and ends the run
        failed with ``reason``.
        """
        with self._tx() as s, s.begin():
            r = s.get(_Run, run_id)
            if r is None or r.status not in ("queued", "running"):
                return False
            r.stop = reason
            return True

    def stop_requested(self, run_id: str) -> str | None:
        """Why the run was asked to stop, or None (also for an unknown run)."""
        with self._tx() as s:
            return s.scalar(select(_Run.stop).where(_Run.id == run_id))

    def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None."""
        return self._get(_Run, run_id, _run)

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        """The most recent runs first."""
        return self._list(select(_Run).order_by(_Run.created.desc()).limit(limit), _run)

    def fail_stale_runs(self, reason: str, *, older_than: dt.timedelta) -> int:
        """Mark runs left queued or running (by a stopped server) as failed.

        A run counts as left behind when it has not reported progress for
        ``older_than``; live runs report often, so other workers' runs are
        not touched.
        """
        cutoff = _now() - older_than
        with self._tx() as s, s.begin():
            rows = [
                r
                for r in s.scalars(select(_Run).where(_Run.status.in_(("queued", "running"))))
                if _aware(r.updated) < cutoff
            ]
            for r in rows:
                r.status = "failed"
                r.error = reason
                r.updated = _now()
            return len(rows)


#: Columns added after a table's first release: (table, column, column DDL).
#: ``create_all`` makes missing tables only, so an existing database gets them here.
_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("users", "session_epoch", "INTEGER NOT NULL DEFAULT 0"),
    ("simulation_runs", "published", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("simulation_runs", "stop", "TEXT"),
)


def _add_missing_columns(conn: Connection) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for each of :data:`_ADDED_COLUMNS` the database lacks."""
    insp = inspect(conn)
    for table, column, ddl in _ADDED_COLUMNS:
        if column not in {c["name"] for c in insp.get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")
