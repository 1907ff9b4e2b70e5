"""The site table in the store: current rows, the history of every change, data versions.

``data/pois.csv`` (or a configured file) seeds the table of a fresh
database; from then on the store is the truth and ``tourplan sites export``
writes it back out as ``pois.csv``. Rows are kept as ``pois.csv`` text
(column -> string), so an export reproduces what was loaded, and every
write is checked with the CSV loader's own rules
(:func:`tourplan.sitecheck.check_site_row`).

Every write runs in one transaction that first raises the **data version**
(one row, ``site_data_state``): that takes the database's write lock, so
writers queue, the version only ever grows, and a failed write leaves it
as it was. Each site has its own **version** for optimistic locking: an
edit names the version it started from and is refused with
:class:`~tourplan.siteedit.StaleVersionError` (what changed meanwhile) when another landed
first. Each change is recorded in ``site_changes`` with who, when, why,
the source, the old and new values of the fields it changed, and its kind
(``edit``, ``upload``, ``import`` or ``revert``); any change can be
reverted, which is a change of its own.

Plain SQLAlchemy on the :class:`~tourplan.store.Store`'s engine and tables
base, so the same code runs on SQLite and PostgreSQL, from the web app and
from the CLI.
"""

from __future__ import annotations

import csv
import datetime as dt  # noqa: TC003 - SQLAlchemy resolves Mapped[dt.datetime] at run time
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tourplan.data import parse_sites
from tourplan.errors import (
    DataValidationError,
    Issue,
    RequestValidationError,
    UnknownSiteError,
)
from tourplan.geodesy import distance_km
from tourplan.messages import Message
from tourplan.site import SITE_COLUMNS, SiteTable
from tourplan.sitecheck import check_site_row
from tourplan.siteedit import (
    _TEXT_MAX,
    SiteEdit,
    StaleVersionError,
    _field_problems,
    edited_row,
)
from tourplan.store import _aware, _Base, _now

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.orm import Session

    from tourplan.store import Store

__all__ = ["CHANGE_KINDS", "Editor", "SiteChange", "SiteRecord", "SiteStore", "read_rows"]

#: What made a change.
CHANGE_KINDS: tuple[str, ...] = ("edit", "upload", "import", "revert")


class _SiteRow(_Base):
    __tablename__ = "site_rows"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    row: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _SiteState(_Base):
    __tablename__ = "site_data_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _SiteChange(_Base):
    __tablename__ = "site_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    data_version: Mapped[int] = mapped_column(Integer, index=True)
    site_id: Mapped[str] = mapped_column(String(80), index=True)
    site_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    # No foreign key: the history outlives the accounts it names.
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reverts: Mapped[int | None] = mapped_column(Integer, nullable=True)


@dataclass(frozen=True)
class Editor:
    """Who makes a change: a staff account's name (and id, when known)."""

    username: str
    user_id: int | None = None


@dataclass(frozen=True)
class SiteRecord:
    """A site's current row (``pois.csv`` text) and its version."""

    id: str
    version: int
    row: dict[str, str]
    updated: dt.datetime


@dataclass(frozen=True)
class SiteChange:
    """One recorded change of one site.

    ``old`` and ``new`` hold the fields the change touched; ``old`` is None
    when the change added the site and ``new`` when it removed it.
    ``site_version`` is the site's version after the change.
    """

    id: int
    data_version: int
    site_id: str
    site_version: int
    kind: str
    username: str
    user_id: int | None
    at: dt.datetime
    reason: str
    source: str
    old: dict[str, str] | None
    new: dict[str, str] | None
    reverts: int | None = None

    @property
    def fields(self) -> list[str]:
        """The columns the change touched, in table order."""
        keys = set(self.old or {}) | set(self.new or {})
        return [c for c in SITE_COLUMNS if c in keys] + sorted(keys - set(SITE_COLUMNS))

    @property
    def moved_m(self) -> float | None:
        """How far the change moved the point, metres (None when it did not)."""
        old, new = self.old or {}, self.new or {}
        if not ({"lat", "lon"} & set(new)) or not old or not new:
            return None
        try:
            a = (float(old.get("lat", new.get("lat", ""))), float(old.get("lon", new.get("lon", ""))))
            b = (float(new.get("lat", old.get("lat", ""))), float(new.get("lon", old.get("lon", ""))))
        except ValueError:
            return None
        return float(distance_km(*a, *b)) * 1000.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's history entries)."""
        return {
            "id": self.id,
            "data_version": self.data_version,
            "site_id": self.site_id,
            "site_version": self.site_version,
            "kind": self.kind,
            "user": self.username,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "source": self.source,
            "fields": self.fields,
            "old": self.old,
            "new": self.new,
            "reverts": self.reverts,
        }


def read_rows(source: str | Path | bytes, *, name: str | None = None) -> list[dict[str, str]]:
    """The rows of a valid ``pois.csv`` (a path, or the file's bytes) as text.

    The loader checks the whole file first.

    Raises
    ------
    DataValidationError
        When the file does not pass :func:`tourplan.data.parse_sites`.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a GCJ-02 hint is for the person who loads the file
        parse_sites(raw, name=name or ("<upload>" if isinstance(source, bytes) else str(source)))
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
    keep = [c.strip() for c in reader.fieldnames or () if c and c.strip() in SITE_COLUMNS]
    return [
        {c: str(rec.get(c) or "").strip() for c in keep}
        for rec in ({(k or "").strip(): v for k, v in r.items()} for r in reader)
    ]


def _diff(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    keys = [k for k in {**old, **new} if old.get(k, "") != new.get(k, "")]
    return {k: old.get(k, "") for k in keys}, {k: new.get(k, "") for k in keys}


class SiteStore:
    """The site table of a :class:`~tourplan.store.Store`.

    Parameters
    ----------
    store
        The store whose database holds the table (its tables are created
        when missing).

    Examples
    --------
    >>> from tourplan.resources import default_pois_path
    >>> from tourplan.store import Store
    >>> sites = SiteStore(Store("sqlite://"))
    >>> sites.seed(read_rows(default_pois_path()))
    True
    >>> rec = sites.get("jiaozuo_station")
    >>> edit = SiteEdit({"lat": 35.2227, "lon": 113.2293}, source="site survey", confidence="high")
    >>> sites.edit("jiaozuo_station", edit, editor=Editor("wang"), expected_version=rec.version).version
    2
    >>> sites.data_version(), [c.username for c in sites.history("jiaozuo_station")]
    (2, ['wang'])
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        store._create_tables()  # noqa: SLF001 - the store creates every table on its base, ours included

    def _tx(self) -> Session:
        return self._store._tx()  # noqa: SLF001

    # -- reading ------------------------------------------------------------

    def data_version(self) -> int:
        """The current data version (0 before the table is seeded); a cheap query."""
        with self._tx() as s:
            v = s.scalar(select(_SiteState.version).where(_SiteState.id == 1))
            return int(v or 0)

    def records(self) -> tuple[int, list[SiteRecord]]:
        """The data version and every current row, in table order, as one snapshot."""
        for _ in range(5):
            with self._tx() as s:
                before = self.data_version()
                rows = [_record(r) for r in s.scalars(select(_SiteRow).order_by(_SiteRow.position))]
            if self.data_version() == before:
                return before, rows
        return before, rows

    def table(self, *, name: str = "store") -> tuple[int, SiteTable]:
        """The data version and the current rows as a validated :class:`SiteTable`.

        Raises
        ------
        DataValidationError
            When a stored row no longer passes the loader's checks.
        """
        version, recs = self.records()
        ids = [r.id for r in recs]
        problems: list[Issue] = []
        sites = []
        for i, r in enumerate(recs, start=1):
            try:
                sites.append(check_site_row(r.row, name=name, row_number=i, known_ids=ids))
            except DataValidationError as exc:
                problems += exc.problems
        if problems:
            raise DataValidationError(problems)
        return version, SiteTable(tuple(sites), source=f"{name} v{version}")

    def get(self, site_id: str) -> SiteRecord | None:
        """The site's current row and version, or None."""
        with self._tx() as s:
            r = s.get(_SiteRow, site_id)
            return None if r is None else _record(r)

    def history(self, site_id: str | None = None, *, limit: int = 200) -> list[SiteChange]:
        """Recorded changes, newest first (of one site, or of all)."""
        q = select(_SiteChange).order_by(_SiteChange.id.desc()).limit(limit)
        if site_id is not None:
            q = q.where(_SiteChange.site_id == site_id)
        with self._tx() as s:
            return [_change(c) for c in s.scalars(q)]

    def change(self, change_id: int) -> SiteChange | None:
        """One recorded change, or None."""
        with self._tx() as s:
            c = s.get(_SiteChange, change_id)
            return None if c is None else _change(c)

    def changes_since(self, data_version: int, *, limit: int = 500) -> list[SiteChange]:
        """Changes made after ``data_version``, oldest first."""
        q = (
            select(_SiteChange)
            .where(_SiteChange.data_version > data_version)
            .order_by(_SiteChange.id)
            .limit(limit)
        )
        with self._tx() as s:
            return [_change(c) for c in s.scalars(q)]

    def export_csv(self) -> str:
        """The current table as ``pois.csv`` text (the trail columns only when used)."""
        _version, recs = self.records()
        extra = [c for c in ("trail_km", "trail_ascent_m") if any(r.row.get(c) for r in recs)]
        columns = [c for c in SITE_COLUMNS if c not in ("trail_km", "trail_ascent_m")] + extra
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in recs:
            w.writerow({c: r.row.get(c, "") for c in columns})
        return buf.getvalue()

    # -- writing ------------------------------------------------------------

    def seed(self, rows: Sequence[Mapping[str, str]]) -> bool:
        """Fill an empty store with ``rows`` (data version 1); False when it was seeded already.

        Safe when several workers start at once: one seeds, the others see
        its rows.
        """
        if self.data_version() > 0:
            return False
        try:
            with self._tx() as s, s.begin():
                s.add(_SiteState(id=1, version=1, updated=_now()))
                s.flush()
                for i, row in enumerate(rows):
                    s.add(_SiteRow(id=row["id"], position=i, version=1, row=dict(row), updated=_now()))
        except IntegrityError:
            return False
        return True

    def _bump(self, s: Session) -> int:
        """Raise the data version (taking the write lock first); return the new one."""
        s.execute(
            update(_SiteState)
            .where(_SiteState.id == 1)
            .values(version=_SiteState.version + 1, updated=_now())
        )
        v = s.scalar(select(_SiteState.version).where(_SiteState.id == 1))
        if v is None:
            msg = "the site table of this store has not been seeded"
            raise DataValidationError([Issue("store", None, None, None, msg)])
        return int(v)

    def edit(
        self, site_id: str, edit: SiteEdit, *, editor: Editor, expected_version: int | None
    ) -> SiteRecord:
        """Change one site (kind ``edit``); return its new record.

        Parameters
        ----------
        site_id
            The site.
        edit
            What to change, the source, confidence and reason.
        editor
            Who changes it.
        expected_version
            The site version the change was made on (``If-Match``); None
            skips the check (only the CLI does, on a fresh read).

        Raises
        ------
        UnknownSiteError
            For an unknown site.
        StaleVersionError
            When the site is no longer at ``expected_version``; nothing changes.
        RequestValidationError
            Naming each bad field; nothing changes.
        """
        with self._tx() as s, s.begin():
            version = self._bump(s)
            rec = s.get(_SiteRow, site_id)
            if rec is None:
                msg = f"unknown site id {site_id!r}"
                raise UnknownSiteError(msg)
            if expected_version is not None and rec.version != expected_version:
                since = s.scalars(
                    select(_SiteChange)
                    .where(_SiteChange.site_id == site_id, _SiteChange.site_version > expected_version)
                    .order_by(_SiteChange.id)
                )
                raise StaleVersionError(expected_version, _record(rec), [_change(c) for c in since])
            ids = list(s.scalars(select(_SiteRow.id)))
            new = edited_row(rec.row, edit, known_ids=ids)
            old_vals, new_vals = _diff(rec.row, new)
            rec.row = new
            rec.version += 1
            rec.updated = _now()
            s.add(_new_change(version, site_id, rec.version, "edit", editor, edit.reason, edit.source,
                              old_vals, new_vals))  # fmt: skip
            s.flush()
            return _record(rec)

    def apply_rows(
        self,
        rows: Sequence[Mapping[str, str]],
        *,
        kind: str,
        editor: Editor,
        reason: str,
        source: str,
        remove_missing: bool = False,
    ) -> int:
        """Write several rows as one data version (an upload or an import).

        A row whose id exists updates that site with the columns it has; a
        new id adds a site (the row must then be complete). With
        ``remove_missing`` (a whole table uploaded) sites absent from
        ``rows`` are removed. Unchanged rows record nothing.

        Returns
        -------
        int
            The new data version (the old one when nothing changed).

        Raises
        ------
        DataValidationError
            With every problem of every row; nothing changes.
        """
        if kind not in CHANGE_KINDS:
            msg = f"kind: expected one of {', '.join(CHANGE_KINDS)}, got {kind!r}"
            raise ValueError(msg)
        with self._tx() as s, s.begin():
            version = self._bump(s)
            current = {r.id: r for r in s.scalars(select(_SiteRow))}
            incoming = {str(r["id"]): r for r in rows}
            ids = set(incoming) | (set() if remove_missing else set(current))
            problems: list[Issue] = []
            merged: dict[str, dict[str, str]] = {}
            for n, (sid, row) in enumerate(incoming.items(), start=1):
                # a whole table replaces each row (an absent column means its default, as in the loader)
                base = current[sid].row if sid in current and not remove_missing else {}
                new = {**base, **{k: str(v).strip() for k, v in row.items()}}
                try:
                    check_site_row(new, name=kind, row_number=n, known_ids=ids)
                except DataValidationError as exc:
                    problems += exc.problems
                merged[sid] = new
            if problems:
                raise DataValidationError(problems)
            changed = 0
            position = max((r.position for r in current.values()), default=-1) + 1
            for sid, new in merged.items():
                rec = current.get(sid)
                if rec is None:
                    s.add(_SiteRow(id=sid, position=position, version=1, row=new, updated=_now()))
                    position += 1
                    s.add(_new_change(version, sid, 1, kind, editor, reason, source, None, new))
                    changed += 1
                    continue
                old_vals, new_vals = _diff(rec.row, new)
                if not new_vals:
                    continue
                rec.row, rec.version, rec.updated = new, rec.version + 1, _now()
                s.add(
                    _new_change(version, sid, rec.version, kind, editor, reason, source, old_vals, new_vals)
                )
                changed += 1
            if remove_missing:
                for sid, rec in current.items():
                    if sid not in incoming:
                        s.add(_new_change(version, sid, 0, kind, editor, reason, source, dict(rec.row), None))
                        s.delete(rec)
                        changed += 1
            if not changed:
                s.rollback()
                return version - 1
            return version

    def revert(self, change_id: int, *, editor: Editor, reason: str = "") -> SiteChange:
        """Undo one recorded change (restore the old values of the fields it touched).

        A change that added a site removes it; one that removed a site adds
        it back. The revert is a change of its own (kind ``revert``).

        Raises
        ------
        KeyError
            For an unknown change.
        RequestValidationError
            When the restored row would not pass the checks (naming fields),
            or there is nothing to undo.
        """
        with self._tx() as s, s.begin():
            version = self._bump(s)
            ch = s.get(_SiteChange, change_id)
            if ch is None:
                raise KeyError(change_id)
            rec = s.get(_SiteRow, ch.site_id)
            why = reason or f"revert change {change_id}"
            source = f"revert of change {change_id}"
            if ch.new is None:  # the change removed the site: add it back
                if rec is not None:
                    raise RequestValidationError(
                        {"id": Message("edit_revert_exists", {"site": repr(ch.site_id)})}
                    )
                row = dict(ch.old or {})
                _check_or_fields(row, list(s.scalars(select(_SiteRow.id))) + [ch.site_id])
                last = s.scalar(select(func.max(_SiteRow.position))) or 0
                s.add(_SiteRow(id=ch.site_id, position=int(last) + 1, version=1, row=row, updated=_now()))
                new_change = _new_change(version, ch.site_id, 1, "revert", editor, why, source, None, row)
            elif rec is None:
                raise RequestValidationError({"id": Message("edit_revert_gone", {"site": repr(ch.site_id)})})
            elif ch.old is None:  # the change added the site: remove it
                children = [
                    i
                    for i, r in ((r.id, r.row) for r in s.scalars(select(_SiteRow)))
                    if r.get("parent_id") == ch.site_id
                ]
                if children:
                    raise RequestValidationError(
                        {"parent_id": Message("edit_revert_parent", {"sites": children})}
                    )
                new_change = _new_change(
                    version, ch.site_id, 0, "revert", editor, why, source, dict(rec.row), None
                )
                s.execute(delete(_SiteRow).where(_SiteRow.id == ch.site_id))
            else:
                row = {**rec.row, **{k: str(v) for k, v in ch.old.items()}}
                _check_or_fields(row, list(s.scalars(select(_SiteRow.id))))
                old_vals, new_vals = _diff(rec.row, row)
                if not new_vals:
                    raise RequestValidationError({"change": Message("edit_revert_same")})
                rec.row, rec.version, rec.updated = row, rec.version + 1, _now()
                new_change = _new_change(version, ch.site_id, rec.version, "revert", editor, why, source,
                                         old_vals, new_vals)  # fmt: skip
            new_change.reverts = change_id
            s.add(new_change)
            s.flush()
            return _change(new_change)


def _check_or_fields(row: Mapping[str, str], ids: Sequence[str]) -> None:
    try:
        check_site_row(row, name=str(row.get("id", "")), known_ids=ids)
    except DataValidationError as exc:
        problems = {k: Message("edit_problems", {"problems": v}) for k, v in _field_problems(exc).items()}
        raise RequestValidationError(problems) from None


def _new_change(
    version: int,
    site_id: str,
    site_version: int,
    kind: str,
    editor: Editor,
    reason: str,
    source: str,
    old: dict[str, str] | None,
    new: dict[str, str] | None,
) -> _SiteChange:
    return _SiteChange(
        data_version=version, site_id=site_id, site_version=site_version, kind=kind, user_id=editor.user_id,
        username=editor.username[:64], at=_now(), reason=reason[:_TEXT_MAX], source=source[:_TEXT_MAX],
        old=old, new=new,
    )  # fmt: skip


def _record(r: _SiteRow) -> SiteRecord:
    return SiteRecord(r.id, int(r.version), {str(k): str(v) for k, v in r.row.items()}, _aware(r.updated))


def _change(c: _SiteChange) -> SiteChange:
    return SiteChange(
        id=int(c.id), data_version=int(c.data_version), site_id=c.site_id, site_version=int(c.site_version),
        kind=c.kind, username=c.username, user_id=c.user_id, at=_aware(c.at), reason=c.reason, source=c.source,
        old=None if c.old is None else {str(k): str(v) for k, v in c.old.items()},
        new=None if c.new is None else {str(k): str(v) for k, v in c.new.items()},
        reverts=c.reverts,
    )  # fmt: skip
