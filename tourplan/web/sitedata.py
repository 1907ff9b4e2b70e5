"""The site table the app serves, and how a new one goes live.

A table is *active* only once it is complete: parsed, validated, its site
graph built with every mode's shortest paths (:meth:`SiteGraph.prepare`).
Nothing a visitor asks for ever waits for that work:

* an upload applied through this process is built first and only then
  written over ``instance/pois.csv`` and swapped in (:meth:`DataHolder.install`);
  if the build fails or the process dies during it, the old table stays
  active and on disk;
* another worker process notices the new file on its next request and
  keeps serving its current table while a background thread builds the new
  one, which then replaces it in one assignment;
* the table in use at start is built before the app serves anything.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tourplan.data import load_edges, load_sites, parse_sites
from tourplan.graph import SiteGraph

if TYPE_CHECKING:
    from tourplan.data import SiteTable

__all__ = ["DataHolder", "SiteData"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteData:
    """The site table in use, its graph, and where it came from."""

    sites: SiteTable
    graph: SiteGraph
    version: str
    path: str
    uploaded: bool


_Key = tuple[str, int, int]


def _key(path: Path, st: os.stat_result) -> _Key:
    return (str(path), st.st_mtime_ns, st.st_size)


class DataHolder:
    """Holds the active site data and follows changes of its file.

    The active table is ``instance/pois.csv`` once staff uploaded one, else
    the configured ``POIS_PATH``, else the bundled table. Checking the
    file's size and modification time on each use lets every worker process
    pick up an upload made through another (see the module docstring).
    """

    def __init__(self, instance: Path, pois_path: str | None, edges_path: str | None) -> None:
        self.instance = instance
        self.pois_path = pois_path
        self.edges_path = edges_path
        self._lock = threading.Lock()
        self._key: _Key | None = None
        self._data: SiteData | None = None
        self._loading: threading.Thread | None = None
        self._failed: _Key | None = None

    @property
    def uploaded_path(self) -> Path:
        """Where an uploaded table lives."""
        return self.instance / "pois.csv"

    def active_path(self) -> Path:
        """The file the active table is read from."""
        if self.uploaded_path.exists():
            return self.uploaded_path
        if self.pois_path:
            return Path(self.pois_path)
        from tourplan.resources import default_pois_path

        return default_pois_path()

    def edges_for(self, sites: SiteTable, *, uploaded: bool | None = None) -> tuple[Any, ...]:
        """Explicit legs valid for ``sites`` (raises DataValidationError).

        ``uploaded`` says whether ``sites`` is (or is about to become) the
        uploaded table; by default, whether an uploaded table exists.
        """
        if self.edges_path:
            return load_edges(self.edges_path, sites)
        if uploaded is None:
            uploaded = self.uploaded_path.exists()
        if self.pois_path and not uploaded:
            return ()
        return load_edges(None, sites)

    def _build(self, sites: SiteTable, path: Path, uploaded: bool) -> SiteData:
        graph = SiteGraph(sites, self.edges_for(sites, uploaded=uploaded)).prepare()
        st = path.stat()
        return SiteData(sites, graph, f"{st.st_mtime_ns:x}-{st.st_size:x}", str(path), uploaded)

    def current(self) -> SiteData:
        """The active data; a changed file is loaded (in the background once something is active)."""
        path = self.active_path()
        key = _key(path, path.stat())
        data = self._data
        if data is not None and key == self._key:
            return data
        if data is not None:
            self._load_in_background(path, key)
            return data
        with self._lock:
            if self._data is None or key != self._key:
                self._data = self._build(load_sites(path), path, path == self.uploaded_path)
                self._key = key
            return self._data

    def _load_in_background(self, path: Path, key: _Key) -> None:
        with self._lock:
            busy = self._loading is not None and self._loading.is_alive()
            if busy or key in (self._key, self._failed):
                return
            self._loading = threading.Thread(
                target=self._load, args=(path, key), name="tourplan-site-data", daemon=True
            )
            self._loading.start()

    def _load(self, path: Path, key: _Key) -> None:
        try:
            data = self._build(load_sites(path), path, path == self.uploaded_path)
        except Exception:  # a bad file must not take down the table in use
            log.exception("could not load the site table %s; the previous one stays in use", path)
            self._failed = key
            return
        with self._lock:
            if _key(path, path.stat()) == key:
                self._data, self._key = data, key

    def install(self, raw: bytes, *, backup_stamp: str) -> SiteData:
        """Make ``raw`` (a validated site table) the uploaded table, complete before it goes live.

        The table is parsed and its graph built first; then it is written to
        a temporary file in the instance folder (fsynced) and moved over
        ``instance/pois.csv`` with :func:`os.replace`; the table in use
        before is kept as ``instance/pois.csv.<backup_stamp>.bak``.

        Raises
        ------
        DataValidationError
            When ``raw`` does not validate (nothing is written then).
        """
        sites = parse_sites(raw, name=self.uploaded_path.name)
        graph = SiteGraph(sites, self.edges_for(sites, uploaded=True)).prepare()
        target = self.uploaded_path
        previous = self.active_path()
        tmp = self.instance / f".pois.csv.{backup_stamp}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if previous.exists():
            shutil.copy2(previous, self.instance / f"pois.csv.{backup_stamp}.bak")
        os.replace(tmp, target)
        st = target.stat()
        data = SiteData(sites, graph, f"{st.st_mtime_ns:x}-{st.st_size:x}", str(target), True)
        with self._lock:
            self._data, self._key = data, _key(target, st)
        return data
