"""Tests of scenarios, their defaults and their parsing (tourplan.flow.scenario, tourplan.flow.defaults)."""

from __future__ import annotations

import datetime as dt

import pytest

from tourplan.errors import RequestValidationError
from tourplan.flow import Scenario

DATE = dt.date(2026, 10, 3)


def test_holidays_override_the_day_type() -> None:
    sc = Scenario.from_dict({"date": "2026-05-13", "holidays": {"2026-05-13": "golden_week"}})
    assert sc.kind == "golden_week"


def test_defaults_follow_the_day_type() -> None:
    gw = Scenario(date=DATE)
    wd = Scenario(date=dt.date(2026, 5, 13))
    assert gw.n_visitors == round(1_683_400 / 8)
    assert wd.n_visitors < gw.n_visitors
    assert "school" in {s.name for s in wd.segments_used}
    assert "school" not in {s.name for s in gw.segments_used}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "date"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": "2026-10-03", "visitors": -5}, "visitors"),
        ({"date": "2026-10-03", "visitors": "many"}, "visitors"),
        ({"date": "2026-10-03", "slot_minutes": 7}, "slot_minutes"),
        ({"date": "2026-10-03", "day_type": "festival"}, "day_type"),
        ({"date": "2026-10-03", "outdoor_factor": -1}, "outdoor_factor"),
        ({"date": "2026-10-03", "colour": "red"}, "colour"),
        ({"date": "2026-10-03", "entries": [{"name": "x"}]}, "entries"),
        ({"date": "2026-10-03", "segments": [{"name": "a", "share": 1, "pace": "run"}]}, "segments"),
        ({"date": "2026-10-03", "fixed_arrivals": [["jiaozuo_museum", 600, 500, 10]]}, "fixed_arrivals"),
    ],
)
def test_scenario_from_dict_names_bad_fields(data: dict[str, object], field: str) -> None:
    with pytest.raises(RequestValidationError, match=field) as info:
        Scenario.from_dict(data)
    assert field in info.value.errors


def test_scenario_gathers_every_problem() -> None:
    with pytest.raises(RequestValidationError) as info:
        Scenario.from_dict({"date": "x", "visitors": -1, "slot_minutes": 7})
    assert {"date", "visitors", "slot_minutes"} <= set(info.value.errors)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"yuntai_mountain": 1.5}, "share from 0 to 1"),
        ({"yuntai_mountain": "lots"}, "site id: share"),
        ([1, 2], "site id: share"),
    ],
)
def test_bad_area_shares_are_named(value, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RequestValidationError) as exc:
        Scenario.from_dict({"date": "2026-10-03", "area_shares": value})
    assert "area_shares" in exc.value.errors
    assert message in exc.value.errors["area_shares"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"visitors": "many"}, "visitors", "expected a whole number, got 'many'"),
        ({"visitors": 2.5}, "visitors", "expected a whole number, got 2.5"),
        ({"visitors": 30_000_000}, "visitors", "expected 0 to 20000000 visitors, got 30000000"),
        ({"outdoor_factor": 3}, "outdoor_factor", "expected 0 to 2, got 3.0"),
        ({"dwell_cv": "x"}, "dwell_cv", "expected a number, got 'x'"),
        ({"day_start": "25:00"}, "day_start", "expected a time from 00:00 to 24:00"),
        ({"day_type": 5}, "day_type", "expected text, got 5"),
        ({"plan_variants": 65}, "plan_variants", "expected 1 to 64, got 65"),
        ({"entries": [{"name": "a", "place": "p", "share": 1}] * 2}, "entries", "names must be unique"),
        (
            {"segments": [{"name": "a", "share": 1, "entries": ["nowhere"]}]},
            "segments",
            "unknown entry point",
        ),
        ({"segments": [{"name": "a", "share": 0}]}, "segments", "must have a positive sum"),
    ],
)
def test_scenario_fields_read_like_the_other_requests(
    data: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(RequestValidationError) as info:
        Scenario.from_dict({"date": "2026-10-03", **data})
    assert message in info.value.errors[field]


def test_times_read_as_clock_times_or_minutes() -> None:
    fixed = [
        ["jiaozuo_museum", "10:00", "660", 40],
        {"site_id": "a", "start": 540, "end": "9:45", "count": 5},
    ]
    sc = Scenario.from_dict(
        {"date": "2026-10-03", "day_start": "06:30", "day_end": 1290, "fixed_arrivals": fixed}
    )
    assert (sc.day_start, sc.day_end) == (390, 1290)
    assert [(f.start, f.end, f.count) for f in sc.fixed_arrivals] == [(600.0, 660.0, 40), (540.0, 585.0, 5)]
