"""The package's public surface: the entry points import from ``tourplan`` itself."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

import tourplan


def test_every_public_name_resolves_to_its_home() -> None:
    for name in tourplan.__all__:
        if name == "__version__":
            continue
        value = getattr(tourplan, name)
        home = tourplan._HOMES[name]
        assert getattr(importlib.import_module(home), name) is value, name


def test_entry_points_plan_a_day_through_the_public_names() -> None:
    from tourplan import Itinerary, ItineraryRequest, build_graph, load_sites, plan_itinerary

    sites = load_sites()
    plan = plan_itinerary(
        ItineraryRequest(start_date=dt.date(2027, 5, 12), interests={"history": 1.0}),
        sites,
        build_graph(sites),
    )
    assert isinstance(plan, Itinerary)
    assert any(stop.site_id in sites for day in plan.days for stop in day.stops)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'plan_everything'"):
        tourplan.plan_everything  # noqa: B018
