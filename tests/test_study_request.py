"""Study-tour requests: fields, ranges, public load."""

from __future__ import annotations

import pytest
from planning import TUESDAY, make

from tourplan.errors import RequestValidationError
from tourplan.study import LIMITS, PublicLoad, StudyTourRequest


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"grade": "college", "students": 0}, {"grade", "students"}),
        ({"date": "12/05/2026", "seats": "many"}, {"date", "seats"}),
        ({"themes": "science,shopping", "products": "观光型"}, {"themes", "products"}),
        ({"day_start": "18:00", "day_end": "08:00"}, {"day_end"}),
        ({"group_size": 40, "groups": 6}, {"group_size"}),
        ({"require": "jiaozuo_museum", "exclude": "jiaozuo_museum"}, {"require"}),
        ({"lunch": "banquet", "bogus": 1}, {"lunch", "bogus"}),
        ({"grade": "junior", "grade_years": "7"}, {"grade_years"}),
        ({"staff": {"safety_officers": 0}}, {"staff.safety_officers"}),
        ({"public_load": {"counts": {"jiaozuo_museum": [-1]}}}, {"public_load"}),
    ],
)
def test_from_dict_names_every_bad_field(changes, fields):
    with pytest.raises(RequestValidationError) as err:
        make(**changes)
    assert fields <= set(err.value.errors)


def test_public_load_slots_convert():
    pl = PublicLoad({"a": [10, 20]}, slot_minutes=60, day_start=9 * 60)
    per = pl.per_slot("a")
    assert per[9 * 4 : 10 * 4].tolist() == [10] * 4
    assert per[10 * 4 : 11 * 4].tolist() == [20] * 4
    assert per.sum() == 120


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_each_range_is_the_one_the_request_checks(name):
    r = LIMITS[name]
    base = {"school": "一中", "grade": "junior", "students": 400, "buses": 10, "seats": 53, "date": TUESDAY}

    def request(value):  # type: ignore[no-untyped-def]
        if name.startswith("staff."):
            return StudyTourRequest.from_dict({**base, "staff": {name.removeprefix("staff."): value}})
        changes = {name: value}
        if name == "groups":
            changes.update(group_size=None, students=1000)
        if name == "students":
            changes["group_size"] = 100
        return StudyTourRequest.from_dict({**base, **changes})

    for ok in (r.lo, r.hi):
        request(int(ok) if r.integer else ok)
    step = 1 if r.integer else (r.lo / 2 or 0.5)
    for bad in (r.lo - step, r.hi + step):
        with pytest.raises(RequestValidationError) as err:
            request(int(bad) if r.integer else bad)
        assert r.expected() in err.value.errors[name]
