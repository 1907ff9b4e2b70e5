"""The domain rules shared by itineraries and study tours (tourplan.rules)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan import rules
from tourplan.site import CATEGORIES, Site, SiteTable
from tourplan.sun import daylight

SAT = dt.date(2026, 10, 3)


def site(**kw: object) -> Site:
    base: dict[str, object] = {
        "id": "s", "name_zh": "测试", "name_en": "Test", "category": "museum", "themes": frozenset({"history"}),
        "lat": 35.2, "lon": 113.2, "location_error_m": 10.0, "elevation_m": None, "opening_hours": "08:00-18:00",
        "visit_minutes": 60, "ticket_cny": 0.0, "capacity_instant": 100, "capacity_daily": 1000, "popularity": 1.0,
        "indoor": True, "study_grades": frozenset(), "source": "test", "confidence": "high",
    }  # fmt: skip
    base.update(kw)
    return Site(**base)  # type: ignore[arg-type]


def test_not_sights_are_categories_of_the_site_table():
    assert set(CATEGORIES) >= rules.NOT_SIGHTS
    assert rules.FOOD in CATEGORIES


@pytest.mark.parametrize(
    ("wanted", "start", "end", "applies"),
    [
        (True, 8 * 60, 18 * 60, True),
        (True, rules.LUNCH_EARLIEST, rules.LUNCH_LATEST_END + rules.LUNCH_DAY_MARGIN, True),
        (True, rules.LUNCH_EARLIEST + 1, 18 * 60, False),  # the day starts after lunch could begin
        (True, 8 * 60, rules.LUNCH_LATEST_END + rules.LUNCH_DAY_MARGIN - 1, False),  # ends around lunch
        (False, 8 * 60, 18 * 60, False),
    ],
)
def test_lunch_applies_to_days_that_span_it(wanted, start, end, applies):
    assert rules.lunch_applies(wanted, start, end) is applies


def test_open_for_lunch_means_open_in_the_lunch_hours():
    day = SAT
    assert rules.open_for_lunch(site(opening_hours="11:00-14:00"), day)
    assert rules.open_for_lunch(site(opening_hours="12:00-12:30"), day)  # open past the earliest lunch's end
    assert not rules.open_for_lunch(site(opening_hours="10:00-12:15"), day)  # closes before it
    assert not rules.open_for_lunch(site(opening_hours="14:00-20:00"), day)
    assert rules.serves_lunch(site(category="food", opening_hours="11:00-14:00"), [day])
    assert not rules.serves_lunch(site(category="museum", opening_hours="11:00-14:00"), [day])


def test_visit_windows_end_by_closing_and_by_sunset_outdoors():
    sunset = daylight(SAT)[1]
    indoor = site(opening_hours="08:00-22:00")
    outdoor = dataclasses.replace(indoor, category="mountain", indoor=False, themes=frozenset({"mountain"}))
    assert rules.visit_windows(indoor, SAT, 60, day_start=9 * 60, sunset=sunset) == ((9 * 60.0, 21 * 60.0),)
    assert rules.visit_windows(outdoor, SAT, 60, day_start=9 * 60, sunset=sunset) == (
        (9 * 60.0, sunset - 60.0),
    )
    assert rules.visit_windows(indoor, SAT, 15 * 60, day_start=9 * 60, sunset=sunset) == ()  # too long to fit


def test_visit_windows_for_lunch_and_for_a_long_visit_that_includes_it():
    s = site(opening_hours="08:00-20:00")
    lunch = rules.visit_windows(s, SAT, 50, day_start=8 * 60, sunset=18 * 60, lunch=True)
    assert lunch == ((float(rules.LUNCH_EARLIEST), float(rules.LUNCH_LATEST_START)),)
    long_visit = rules.visit_windows(s, SAT, 300, day_start=8 * 60, sunset=18 * 60, long_lunch=True)
    ((lo, hi),) = long_visit
    assert lo + 300 >= rules.LUNCH_LATEST_END and hi <= rules.LONG_VISIT_LATEST_START


def test_lunch_groups():
    assert rules.lunch_groups(set(), set()) == []
    assert rules.lunch_groups({"f"}, {"m"}) == [(frozenset({"f"}), 0, 1), (frozenset({"f", "m"}), 1, 2)]
    assert rules.lunch_groups(set(), {"m"}) == [(frozenset({"m"}), 1, 2)]


@pytest.mark.parametrize(("hits", "match"), [([], 0.1), ([1.0], 1.0), ([0.5, 1.0], 1.125), ([1.0] * 5, 1.5)])
def test_theme_match(hits, match):
    assert rules.theme_match(hits) == pytest.approx(match)


def test_an_area_ticket_is_paid_once_a_day_for_its_parts():
    area = site(id="area", ticket_cny=120.0)
    part_a = site(id="a", parent_id="area")
    part_b = site(id="b", parent_id="area")
    own = site(id="c", parent_id="area", ticket_cny=30.0)
    table = SiteTable([area, part_a, part_b, own])
    charged: set[str] = set()
    assert [rules.paid_ticket(s, table, charged) for s in (part_a, part_b, own)] == [120.0, 0.0, 30.0]
    assert rules.entry_price(part_b, table) == 120.0
    assert rules.entry_price(own, table) == 30.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.1, 10.0), st.sets(st.sampled_from("abc"), max_size=2)), min_size=1, max_size=5
    )
)
def test_diminishing_credit_depends_on_the_set_not_the_order(items):
    def credits(order):  # type: ignore[no-untyped-def]
        base = [items[i][0] for i in order]
        kinds = [items[i][1] for i in order]
        out = rules.diminishing(base, kinds, lambda k, w: base[k] * min((w(x) for x in kinds[k]), default=1.0),
                                decay=rules.DECAY)  # fmt: skip
        return {i: round(c, 9) for i, c in zip(order, out, strict=True)}

    first = credits(list(range(len(items))))
    for order in itertools.islice(itertools.permutations(range(len(items))), 24):
        # equal base values may swap which one is credited first; their totals agree
        assert sum(credits(list(order)).values()) == pytest.approx(sum(first.values()))
    ranked = sorted(range(len(items)), key=lambda i: -items[i][0])
    assert first[ranked[0]] == pytest.approx(items[ranked[0]][0])  # the most valuable counts in full
