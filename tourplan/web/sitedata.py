"""The web app's site table from the store: every worker follows the store's data version.

:class:`StoreDataHolder` replaces the file-watching holder of
:mod:`tourplan.web.services`: it seeds the store from the configured (or
bundled) ``pois.csv`` on a fresh database, and on each use asks the store
for its data version (one indexed one-row query) and rebuilds the table and
graph when it moved. An edit saved through any worker is used by the next
plan on every other worker, without a restart.

Saved plans carry the data version they were planned on (``data_version``
in the saved result); :func:`data_changes` says what changed since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_login import current_user  # type: ignore[import-untyped, unused-ignore]

from tourplan.graph import SiteGraph
from tourplan.sitestore import Editor, SiteChange, SiteStore, read_rows
from tourplan.web.services.data import DataHolder, SiteData

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tourplan.store import Store

__all__ = [
    "CST",
    "DataChangeNote",
    "StoreDataHolder",
    "current_editor",
    "data_changes",
    "plan_site_ids",
    "site_store",
]

#: China Standard Time, the zone every time shown to staff is in.
CST = dt.timezone(dt.timedelta(hours=8), "CST")


class StoreDataHolder(DataHolder):
    """The active site data, read from the store and rebuilt when its data version moves."""

    def __init__(self, instance: Path, pois_path: str | None, edges_path: str | None, store: Store) -> None:
        super().__init__(instance, pois_path, edges_path)
        self.sites = SiteStore(store)
        self._version = -1

    def seed(self) -> None:
        """Fill a fresh store from the configured file (or the bundled table)."""
        if self.sites.data_version() == 0:
            self.sites.seed(read_rows(self.active_path()))

    def current(self) -> SiteData:
        """The store's current table and graph (rebuilt only when the data version moved)."""
        version = self.sites.data_version()
        data = self._data
        if data is not None and version == self._version:
            return data
        with self._lock:
            if self._data is not None and version == self._version:
                return self._data
            if version == 0:
                self.seed()
            version, table = self.sites.table()
            graph = SiteGraph(table, self.edges_for(table))
            self._data = SiteData(table, graph, str(version), f"store v{version}", version > 1)
            self._version = version
            return self._data

    def record_upload(self, raw: bytes, filename: str) -> None:
        """Make a validated upload the store's table (one data version, kind ``upload``)."""
        self.sites.apply_rows(
            read_rows(raw, name=filename),
            kind="upload",
            editor=current_editor(),
            reason=f"upload of {filename}",
            source=filename,
            remove_missing=True,
        )


def site_store() -> SiteStore:
    """The app's :class:`~tourplan.sitestore.SiteStore`."""
    holder: StoreDataHolder = current_app.extensions["tourplan.data"]
    return holder.sites


def current_editor() -> Editor:
    """The logged-in staff member (session or bearer token) as the author of a change."""
    if getattr(current_user, "is_authenticated", False):
        return Editor(str(current_user.username), int(current_user.id))
    return Editor("anonymous")


@dataclass(frozen=True)
class DataChangeNote:
    """What changed in the site data since a plan was made."""

    planned_on: int
    current: int
    changes: int
    last_change: dt.datetime | None
    plan_sites: tuple[str, ...]


def data_changes(result: Mapping[str, Any]) -> DataChangeNote | None:
    """A note when the site data changed since ``result`` was planned, else None.

    ``plan_sites`` are the plan's sites among the changed ones. A plan saved
    before plans carried a data version gets no note.
    """
    planned = result.get("data_version")
    if not isinstance(planned, int) or isinstance(planned, bool):
        return None
    store = site_store()
    now = store.data_version()
    if now <= planned:
        return None
    changes: list[SiteChange] = store.changes_since(planned)
    in_plan = plan_site_ids(result)
    touched = tuple(dict.fromkeys(c.site_id for c in changes if c.site_id in in_plan))
    last = max((c.at for c in changes), default=None)
    return DataChangeNote(planned, now, len(changes), last.astimezone(CST) if last else None, touched)


def data_changes_json(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`data_changes` as JSON (the API's ``data_changed``), or None."""
    note = data_changes(result)
    if note is None:
        return None
    return {
        "planned_on": note.planned_on,
        "current": note.current,
        "changes": note.changes,
        "last_change": note.last_change.isoformat() if note.last_change else None,
        "sites": list(note.plan_sites),
    }


def plan_site_ids(result: Mapping[str, Any]) -> set[str]:
    """Site ids a saved itinerary or study-tour result visits."""
    out: set[str] = set()
    for day in result.get("days") or []:
        for stop in day.get("stops") or [] if isinstance(day, dict) else []:
            if isinstance(stop, dict) and stop.get("site_id"):
                out.add(str(stop["site_id"]))
    for group in result.get("groups") or result.get("schedules") or []:
        if not isinstance(group, dict):
            continue
        for key in ("stops", "timetable", "visits"):
            for stop in group.get(key) or []:
                if isinstance(stop, dict) and stop.get("site_id"):
                    out.add(str(stop["site_id"]))
    return out
