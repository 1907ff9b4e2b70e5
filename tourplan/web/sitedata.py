"""The web app's site table from the store: every worker follows the store's data version.

:class:`StoreDataHolder` replaces the file-watching holder of
:mod:`tourplan.web.services`: it seeds the store from the configured (or
bundled) ``pois.csv`` on a fresh database, and on each use asks the store
for its data version (one indexed one-row query) and rebuilds the table and
graph when it moved. An edit saved through any worker is used by the next
plan on every other worker, without a restart.

A table is *active* only once it is complete: read, and its site graph
built with every mode's shortest paths (:meth:`SiteGraph.prepare`), then
swapped in by one assignment; a failed build leaves the previous table in
use. An upload is built before it is written anywhere
(:meth:`StoreDataHolder.install`), so a table that cannot be built, or a
worker killed while building it, never becomes the store's current one.
Another worker builds a new data version when it first sees it (edits must
reach the next plan everywhere); the site cap
(:data:`tourplan.limits.MAX_SITES`) bounds that build to a few seconds.

Saved plans carry the data version they were planned on (``data_version``
in the saved result); :func:`data_changes` says what changed since.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_login import current_user  # type: ignore[import-untyped, unused-ignore]

from tourplan.data import parse_sites
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

    def _build(self) -> tuple[int, SiteData]:
        """The store's current table with its graph built (every mode's shortest paths)."""
        version, table = self.sites.table()
        graph = SiteGraph(table, self.edges_for(table)).prepare()
        return version, SiteData(table, graph, str(version), f"store v{version}", version > 1)

    def current(self) -> SiteData:
        """The store's current table and graph, rebuilt completely before a new data version is used."""
        version = self.sites.data_version()
        data = self._data
        if data is not None and version == self._version:
            return data
        with self._lock:
            if self._data is None or version != self._version:
                if version == 0:
                    self.seed()
                # Assigned only once built: a failed build leaves the previous table in use.
                self._version, self._data = self._build()
            return self._data

    def install(self, raw: bytes, *, backup_stamp: str) -> SiteData:
        """Make ``raw`` (a validated site table) the current table, complete before it goes live.

        The table is parsed and its graph built first; only then is it written
        to ``instance/pois.csv`` (through a temporary file and
        :func:`os.replace`, the table in use before kept as
        ``instance/pois.csv.<backup_stamp>.bak``) and recorded in the store
        as a new data version, and swapped in here.

        Raises
        ------
        DataValidationError
            When ``raw`` does not validate (nothing is written then).
        """
        name = self.uploaded_path.name
        table = parse_sites(raw, name=name)
        graph = SiteGraph(table, self.edges_for(table)).prepare()
        previous = self.active_path()
        tmp = self.instance / f".pois.csv.{backup_stamp}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if previous.exists():
            shutil.copy2(previous, self.instance / f"pois.csv.{backup_stamp}.bak")
        os.replace(tmp, self.uploaded_path)
        self.record_upload(raw, name)
        version, stored = self.sites.table()
        if tuple(stored) != tuple(table):  # the store normalised a row: build what it holds
            graph = SiteGraph(stored, self.edges_for(stored)).prepare()
        data = SiteData(stored, graph, str(version), f"store v{version}", version > 1)
        with self._lock:
            if version > self._version:
                self._version, self._data = version, data
        return data

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
