"""What the app holds: the site data in use, the store, the map settings and the optional modules.

The small accessors every other service module and blueprint reads
(flaskr's ``get_db``): they look things up on the current app, which
:func:`tourplan.web.create_app` set up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app

from tourplan.data import load_edges, load_sites
from tourplan.errors import TourplanError
from tourplan.graph import SiteGraph

if TYPE_CHECKING:
    from types import ModuleType

    from tourplan.maps import Lang
    from tourplan.site import SiteTable
    from tourplan.store import Store

__all__ = [
    "DataHolder",
    "FeatureUnavailableError",
    "SiteData",
    "assets_url",
    "get_store",
    "has_module",
    "jsonable",
    "map_options",
    "optional_module",
    "page_lang",
    "site_data",
]


class FeatureUnavailableError(TourplanError, RuntimeError):
    """A part of tourplan this feature needs is not installed (yet)."""


# --------------------------------------------------------------------------- site data


@dataclass(frozen=True)
class SiteData:
    """The site table in use, its graph, and where it came from."""

    sites: SiteTable
    graph: SiteGraph
    version: str
    path: str
    uploaded: bool


class DataHolder:
    """Holds the active site data and reloads it when the file changes.

    The active table is ``instance/pois.csv`` once staff uploaded one, else
    the configured ``POIS_PATH``, else the bundled table. Checking the
    file's size and modification time on each use lets every worker process
    pick up an upload made through another.
    """

    def __init__(self, instance: Path, pois_path: str | None, edges_path: str | None) -> None:
        self.instance = instance
        self.pois_path = pois_path
        self.edges_path = edges_path
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._data: SiteData | None = None

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

    def edges_for(self, sites: SiteTable) -> tuple[Any, ...]:
        """Explicit legs valid for ``sites`` (raises DataValidationError)."""
        if self.edges_path:
            return load_edges(self.edges_path, sites)
        if self.pois_path and not self.uploaded_path.exists():
            return ()
        return load_edges(None, sites)

    def record_upload(self, raw: bytes, filename: str) -> None:
        """Hook for a store-backed holder (tourplan.web.sitedata); a file-backed one has the file."""
        del raw, filename

    def current(self) -> SiteData:
        """The active data, reloaded if its file changed."""
        path = self.active_path()
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        data = self._data
        if data is not None and key == self._key:
            return data
        with self._lock:
            if self._data is not None and key == self._key:
                return self._data
            sites = load_sites(path)
            graph = SiteGraph(sites, self.edges_for(sites))
            self._data = SiteData(
                sites, graph, f"{st.st_mtime_ns:x}-{st.st_size:x}", str(path), path == self.uploaded_path
            )
            self._key = key
            return self._data


def site_data() -> SiteData:
    """The site table and graph the app uses now."""
    holder: DataHolder = current_app.extensions["tourplan.data"]
    return holder.current()


def get_store() -> Store:
    """The app's :class:`~tourplan.store.Store`."""
    store: Store = current_app.extensions["tourplan.store"]
    return store


def jsonable(value: Any) -> Any:
    """A deep copy of ``value`` that ``json.dumps`` accepts (numpy, dates, sets)."""

    def default(o: Any) -> Any:
        if isinstance(o, dt.date | dt.datetime | dt.time):
            return o.isoformat()
        if isinstance(o, set | frozenset | tuple):
            return sorted(o) if isinstance(o, set | frozenset) else list(o)
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        for attr in ("tolist", "item"):
            if hasattr(o, attr):
                return getattr(o, attr)()
        return str(o)

    def finite(o: Any) -> Any:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: finite(v) for k, v in o.items()}
        if isinstance(o, list):
            return [finite(v) for v in o]
        return o

    return finite(json.loads(json.dumps(value, default=default)))


# --------------------------------------------------------------------------- maps


def map_options(tiles: str | None = None) -> dict[str, Any]:
    """The app's map settings as options of the ``render_*_map`` functions (``tiles`` overrides ``MAP_TILES``)."""
    cfg = current_app.config
    return {
        "tiles": tiles or cfg["MAP_TILES"],
        "tianditu_key": cfg.get("TIANDITU_KEY"),
        "assets": assets_url(),
    }


def assets_url() -> str:
    """Base URL of the vendored Leaflet files (``static/vendor``)."""
    from flask import url_for

    return url_for("static", filename="vendor").rstrip("/")


def page_lang(lang: str) -> Lang:
    """The map language of a page language (Chinese unless English)."""
    return "en" if lang == "en" else "zh"


# --------------------------------------------------------------------------- optional modules


def optional_module(name: str) -> ModuleType:
    """Import ``tourplan.<name>``.

    Raises
    ------
    FeatureUnavailableError
        When the module is not there.
    """
    try:
        return importlib.import_module(f"tourplan.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tourplan.{name}":
            raise
        msg = f"this feature needs tourplan.{name}, which is not installed in this version"
        raise FeatureUnavailableError(msg) from None


def has_module(name: str) -> bool:
    """Whether ``tourplan.<name>`` can be imported."""
    try:
        optional_module(name)
    except FeatureUnavailableError:
        return False
    return True
