"""Tests of the holiday calendar (tourplan.flow.calendar)."""

from __future__ import annotations

import datetime as dt

import pytest

from tourplan.flow import day_type


@pytest.mark.parametrize(
    ("date", "kind"),
    [
        (dt.date(2026, 10, 3), "golden_week"),
        (dt.date(2025, 10, 8), "golden_week"),
        (dt.date(2026, 2, 15), "golden_week"),
        (dt.date(2026, 5, 1), "public_holiday"),
        (dt.date(2027, 1, 1), "public_holiday"),
        (dt.date(2026, 5, 9), "weekday"),  # Saturday, a make-up working day
        (dt.date(2026, 5, 16), "weekend"),
        (dt.date(2026, 5, 13), "weekday"),
    ],
)
def test_day_type(date: dt.date, kind: str) -> None:
    assert day_type(date) == kind


def test_day_type_override() -> None:
    assert day_type(dt.date(2026, 5, 13), {dt.date(2026, 5, 13): "public_holiday"}) == "public_holiday"
