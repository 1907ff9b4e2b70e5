"""The saved form of a study-tour plan."""

from __future__ import annotations

import json

import pytest
from planning import make

from tourplan.errors import RequestValidationError
from tourplan.study import (
    StudyTourPlan,
    plan_study_tour,
    render_print_html,
)


def test_plan_round_trips_through_its_saved_form(bundled_sites, bundled_graph):
    req = make(students=120, buses=3)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    saved = json.loads(json.dumps(plan.to_dict()))  # as the store keeps it
    again = StudyTourPlan.from_dict(saved, req)
    assert again.to_dict() == saved
    assert render_print_html(again) == render_print_html(plan)
    assert [s.lat for g in again.groups for s in g.stops] == [s.lat for g in plan.groups for s in g.stops]


def test_from_dict_names_an_incomplete_saved_form(bundled_sites, bundled_graph):
    req = make(students=40, buses=1)
    saved = plan_study_tour(req, bundled_sites, bundled_graph).to_dict()
    for g in saved["groups"]:
        for s in g["stops"]:
            del s["lat"]
    with pytest.raises(RequestValidationError, match="result"):
        StudyTourPlan.from_dict(saved, req)
