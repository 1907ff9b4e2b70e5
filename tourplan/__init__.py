"""tourplan: itineraries, study tours and visitor flow for Jiefang District, Jiaozuo.

The public API re-exports the core functions; the web app and the CLI are
thin layers over them.
"""

from __future__ import annotations

__version__ = "0.1.0"

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
