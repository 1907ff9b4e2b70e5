"""tourplan: itineraries, study tours and visitor flow for Jiefang District, Jiaozuo.

The public API re-exports the core functions; the web app and the CLI are
thin layers over them.  The names load on first use (PEP 562), so
``import tourplan`` -- and every ``tourplan`` command's start -- costs
nothing until a name is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tourplan.data import load_edges, load_sites
    from tourplan.errors import (
        DataValidationError,
        InfeasibleRequestError,
        NoRouteError,
        PlaceNotFoundError,
        TourplanError,
        UnknownSiteError,
    )
    from tourplan.graph import Leg, ModeParams, SiteGraph, build_graph, hiking_minutes
    from tourplan.site import Edge, Region, Site, SiteTable

#: The module of each public name.
_HOMES: dict[str, str] = {
    **dict.fromkeys(["load_edges", "load_sites"], "tourplan.data"),
    **dict.fromkeys(["Edge", "Region", "Site", "SiteTable"], "tourplan.site"),
    **dict.fromkeys(
        [
            "DataValidationError",
            "InfeasibleRequestError",
            "NoRouteError",
            "PlaceNotFoundError",
            "TourplanError",
            "UnknownSiteError",
        ],
        "tourplan.errors",
    ),
    **dict.fromkeys(["Leg", "ModeParams", "SiteGraph", "build_graph", "hiking_minutes"], "tourplan.graph"),
}

__all__ = [
    "DataValidationError",
    "Edge",
    "InfeasibleRequestError",
    "Leg",
    "ModeParams",
    "NoRouteError",
    "PlaceNotFoundError",
    "Region",
    "Site",
    "SiteGraph",
    "SiteTable",
    "TourplanError",
    "UnknownSiteError",
    "__version__",
    "build_graph",
    "hiking_minutes",
    "load_edges",
    "load_sites",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first used."""
    home = _HOMES.get(name)
    if home is None:
        msg = f"module 'tourplan' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
