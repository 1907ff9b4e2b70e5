"""Itinerary requests: fields, ranges, every bad field named at once."""

from __future__ import annotations

import pytest
from planning import SAT

from tourplan.errors import RequestValidationError
from tourplan.itinerary import (
    LIMITS,
    ItineraryRequest,
    parse_interests,
)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"date": "2026-10-03", "days": 9}, "days"),
        ({"date": "2026-10-03", "interests": {"karaoke": 1}}, "interests"),
        ({"date": "2026-10-03", "pace": "sprint"}, "pace"),
        ({"date": "2026-10-03", "mode": "rocket"}, "mode"),
        ({"date": "2026-10-03", "day_start": "25:00"}, "day_start"),
        ({"date": "2026-10-03", "day_start": "18:00", "day_end": "09:00"}, "day_end"),
        ({"date": "2026-10-03", "ticket_budget": -5}, "ticket_budget"),
        ({"date": "2026-10-03", "surprise": 1}, "surprise"),
        ({}, "date"),
    ],
)
def test_bad_requests_name_the_field(data, field):
    with pytest.raises(RequestValidationError) as info:
        ItineraryRequest.from_dict(data)
    assert field in info.value.errors


def test_parse_interests():
    assert parse_interests("mountain=1,history=0.5") == {"mountain": 1.0, "history": 0.5}
    assert parse_interests("taiji") == {"taiji": 1.0}
    with pytest.raises(RequestValidationError):
        parse_interests("mountain=lots")


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_each_range_is_the_one_the_request_checks(name):
    r = LIMITS[name]

    def make(value):  # type: ignore[no-untyped-def]
        if name == "interests":
            return ItineraryRequest(start_date=SAT, interests={"history": value})
        return ItineraryRequest(start_date=SAT, **{name: value})

    for ok in (r.lo, r.hi):
        make(int(ok) if r.integer else ok)
    step = 1 if r.integer else r.lo / 2 or 0.5
    for bad in (r.lo - step, r.hi + step):
        with pytest.raises(RequestValidationError) as err:
            make(int(bad) if r.integer else bad)
        assert r.expected() in err.value.errors[name]


def test_from_dict_names_every_bad_field_at_once():
    with pytest.raises(RequestValidationError) as err:
        ItineraryRequest.from_dict(
            {
                "date": "2026-10-03",
                "days": 2.5,
                "walk_max_km": 99,
                "lunch": "yes",
                "start": "x" * 300,
                "mode": "ufo",
            }
        )
    assert set(err.value.errors) == {"days", "walk_max_km", "lunch", "start", "mode"}
    assert "whole number" in err.value.errors["days"]


def test_from_dict_reads_text_lists_and_numbers():
    req = ItineraryRequest.from_dict(
        {
            "start_date": "2026-10-03",
            "days": "2",
            "must_see": "chenjiagou, jiaozuo_museum",
            "ticket_budget": "80",
        }
    )
    assert (req.days, req.must_see, req.ticket_budget) == (2, ("chenjiagou", "jiaozuo_museum"), 80.0)
