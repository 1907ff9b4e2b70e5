"""tourplan: itineraries, study tours and visitor flow for Jiefang District, Jiaozuo.

The public API re-exports the core functions; the web app and the CLI are
thin layers over them.  The names load on first use (PEP 562), so
``import tourplan`` -- and every ``tourplan`` command's start -- costs
nothing until a name is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan._lazy import attach

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
    from tourplan.flow import FlowResult, Scenario, simulate
    from tourplan.graph import Leg, ModeParams, SiteGraph, build_graph, hiking_minutes
    from tourplan.itinerary import Itinerary, ItineraryRequest, plan_itinerary
    from tourplan.site import Edge, Region, Site, SiteTable
    from tourplan.study import StudyTourPlan, StudyTourRequest, plan_study_tour

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
    **dict.fromkeys(["Itinerary", "ItineraryRequest", "plan_itinerary"], "tourplan.itinerary"),
    **dict.fromkeys(["StudyTourPlan", "StudyTourRequest", "plan_study_tour"], "tourplan.study"),
    **dict.fromkeys(["FlowResult", "Scenario", "simulate"], "tourplan.flow"),
}

__all__ = [
    "DataValidationError",
    "Edge",
    "FlowResult",
    "InfeasibleRequestError",
    "Itinerary",
    "ItineraryRequest",
    "Leg",
    "ModeParams",
    "NoRouteError",
    "PlaceNotFoundError",
    "Region",
    "Scenario",
    "Site",
    "SiteGraph",
    "SiteTable",
    "StudyTourPlan",
    "StudyTourRequest",
    "TourplanError",
    "UnknownSiteError",
    "__version__",
    "build_graph",
    "hiking_minutes",
    "load_edges",
    "load_sites",
    "plan_itinerary",
    "plan_study_tour",
    "simulate",
]


__getattr__, __dir__ = attach(__name__, _HOMES)
