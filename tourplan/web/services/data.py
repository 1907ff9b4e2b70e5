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
from typing import TYPE_CHECKING, Any

from flask import current_app

from tourplan.errors import TourplanError
from tourplan.web.sitedata import DataHolder, SiteData

if TYPE_CHECKING:
    from types import ModuleType

    from tourplan.maps import Lang
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


# SiteData and DataHolder live in tourplan.web.sitedata (a table goes live only once built).


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
