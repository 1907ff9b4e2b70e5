"""Visitor itineraries: from a visitor's wishes to an optimized day (or days).

:func:`plan_itinerary` turns an :class:`ItineraryRequest` into an
:class:`Itinerary`; :func:`check_itinerary` re-checks one from the raw data.

Modules, one concern each:

* :mod:`~tourplan.itinerary.request`: what a visitor asks for, the paces;
* :mod:`~tourplan.itinerary.result`: the planned trip and its ``to_dict``;
* :mod:`~tourplan.itinerary.model`: candidate sites, values, windows, the problem;
* :mod:`~tourplan.itinerary.plan`: solve, ticket budget, polish, assemble;
* :mod:`~tourplan.itinerary.explain`: why a must-see site does not fit;
* :mod:`~tourplan.itinerary.check`: the independent checker.

The shared domain rules (lunch, sunset, tickets, diminishing returns) live in
:mod:`tourplan.rules`.
"""

from __future__ import annotations

from tourplan._parse import fmt_time, parse_time
from tourplan.itinerary.check import check_itinerary
from tourplan.itinerary.model import site_score, visit_minutes
from tourplan.itinerary.plan import plan_itinerary
from tourplan.itinerary.request import LIMITS, PACES, ItineraryRequest, Pace, parse_interests
from tourplan.itinerary.result import DayPlan, Itinerary, Stop, TravelLeg
from tourplan.places import Place, resolve_place

__all__ = [
    "LIMITS",
    "PACES",
    "DayPlan",
    "Itinerary",
    "ItineraryRequest",
    "Pace",
    "Place",
    "Stop",
    "TravelLeg",
    "check_itinerary",
    "fmt_time",
    "parse_interests",
    "parse_time",
    "plan_itinerary",
    "resolve_place",
    "site_score",
    "visit_minutes",
]
