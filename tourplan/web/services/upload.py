"""A new site table uploaded by staff: check it, show what it changes, then make it the one in use.

:func:`preview_upload` validates and stages a file; :func:`apply_upload`
swaps it in atomically and keeps the table it replaces.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from tourplan.data import parse_sites
from tourplan.errors import DataValidationError, Issue
from tourplan.store import new_id
from tourplan.web import staging
from tourplan.web.i18n import error_text
from tourplan.web.services.data import DataHolder, SiteData, site_data

if TYPE_CHECKING:
    from tourplan.site import Site, SiteTable
    from tourplan.web.sitedata import StoreDataHolder

__all__ = ["UploadPreview", "apply_upload", "data_backups", "preview_upload"]


@dataclass(frozen=True)
class UploadPreview:
    """What an uploaded site table would change, or why it cannot be used."""

    filename: str
    problems: tuple[Issue, ...]
    warnings: tuple[str, ...] = ()
    sites: tuple[Site, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    token: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file may replace the current data."""
        return not self.problems and self.token is not None


def _staging(instance: Path) -> Path:
    d = instance / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _validate(raw: bytes, filename: str) -> tuple[SiteTable | None, list[Issue], list[str]]:
    """The table, its problems and its warnings (in the page's language)."""
    holder: DataHolder = current_app.extensions["tourplan.data"]
    table: SiteTable | None = None
    problems: list[Issue] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = parse_sites(raw, name=filename)
            holder.edges_for(table)
        except DataValidationError as exc:
            problems = list(exc.problems)
    return table, problems, [error_text(w.message) for w in caught]


def preview_upload(raw: bytes, filename: str) -> UploadPreview:
    """Validate an uploaded ``pois.csv`` and stage it when valid.

    Parameters
    ----------
    raw
        The file's bytes.
    filename
        Its name as uploaded (used in problem messages only).

    Returns
    -------
    UploadPreview
        Every problem (file, row, column, value, expected), or the new
        table with the ids added, removed and changed, and a token that
        :func:`apply_upload` accepts.
    """
    name = Path(filename or "upload.csv").name[:100] or "upload.csv"
    staging.sweep(_staging(current_app.extensions["tourplan.data"].instance))  # hardening: expired stages
    if too_big := staging.over_the_cap(raw, name):  # hardening: size cap before any row is checked
        return UploadPreview(name, tuple(too_big))
    table, problems, warns = _validate(raw, name)
    if problems or table is None:
        return UploadPreview(name, staging.without_paths(problems), tuple(warns))
    current = site_data().sites
    new_ids, old_ids = set(table.ids), set(current.ids)
    changed = tuple(s.id for s in table if s.id in old_ids and current[s.id] != s)
    token = new_id()
    (_staging(current_app.extensions["tourplan.data"].instance) / f"{token}.csv").write_bytes(raw)
    return UploadPreview(
        name,
        (),
        tuple(warns),
        tuple(table),
        tuple(sorted(new_ids - old_ids)),
        tuple(sorted(old_ids - new_ids)),
        changed,
        token,
    )


def apply_upload(token: str) -> SiteData:
    """Make a staged upload the active site table, atomically.

    The staged file is validated again and, with its graph built, installed
    by :meth:`~tourplan.web.sitedata.StoreDataHolder.install` (written to a temporary file, moved over
    ``instance/pois.csv``; the table in use before is kept as
    ``instance/pois.csv.<UTC timestamp>.bak``). The bundled ``data/pois.csv``
    is never written.

    Raises
    ------
    KeyError
        For an unknown or expired token.
    DataValidationError
        If the staged file no longer validates.
    """
    holder: StoreDataHolder = current_app.extensions["tourplan.data"]
    if not token or not all(c.isalnum() or c in "-_" for c in token):
        raise KeyError(token)
    staged = _staging(holder.instance) / f"{token}.csv"
    if staging.expired(staged):  # hardening: staged uploads expire (a missing one counts)
        staged.unlink(missing_ok=True)
        raise KeyError(token)
    raw = staged.read_bytes()
    table, problems, _warnings = _validate(raw, "pois.csv")
    problems = staging.over_the_cap(raw, "pois.csv") or problems  # hardening: the cap again
    if problems or table is None:
        raise DataValidationError(list(staging.without_paths(problems)))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    new = holder.install(raw, backup_stamp=stamp)  # hardening: built (graph too) before it goes live
    staged.unlink(missing_ok=True)
    current_app.extensions["tourplan.showcase"].clear()
    return new


def data_backups() -> list[str]:
    """Names of the kept previous tables, newest first."""
    holder: DataHolder = current_app.extensions["tourplan.data"]
    return sorted((p.name for p in holder.instance.glob("pois.csv.*.bak")), reverse=True)
