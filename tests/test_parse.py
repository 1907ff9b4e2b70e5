"""The shared request field reader and field ranges (tourplan._parse)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tourplan._parse import FieldReader, Range
from tourplan.errors import RequestValidationError


@dataclasses.dataclass(frozen=True)
class Req:
    """A request with one ranged field, as the planners' requests check themselves."""

    when: dt.date
    count: int = 1
    size: int | None = 3
    note: str = ""
    tags: tuple[str, ...] = ()
    ok: bool = True

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        Range(1, 9, "things", integer=True).check(self.count, errors, "count")
        if errors:
            raise RequestValidationError(errors)


def read(data: dict[str, object]) -> Req:
    r = FieldReader(data, known={f.name for f in dataclasses.fields(Req)})
    r.date("when", required=True)
    r.whole("count")
    r.whole("size", nullable=True)
    r.text("note")
    r.items("tags")
    r.flag("ok")
    return r.build(Req, {"when": dt.date(2026, 1, 1)})


def test_good_values_are_converted():
    req = read(
        {"when": "2026-05-12", "count": "4", "size": None, "note": "  hi ", "tags": "a, b", "ok": False}
    )
    assert req == Req(dt.date(2026, 5, 12), 4, None, "hi", ("a", "b"), False)


def test_absent_and_null_fields_keep_their_defaults():
    assert read({"when": "2026-05-12", "count": None, "note": None}) == Req(dt.date(2026, 5, 12))


def test_every_bad_field_is_named_at_once_with_the_range_check_too():
    with pytest.raises(RequestValidationError) as err:
        read({"when": "soon", "count": 12, "size": 2.5, "note": 3, "tags": 7, "ok": "yes", "extra": 1})
    assert err.value.errors == {
        "extra": "unknown field",
        "when": "expected a date YYYY-MM-DD, got 'soon'",
        "size": "expected a whole number, got 2.5",
        "note": "expected text, got 3",
        "tags": "expected a list of text (or comma-separated text), got 7",
        "ok": "expected true or false, got 'yes'",
        "count": "expected 1 to 9 things, got 12",
    }


def test_a_missing_required_date():
    with pytest.raises(RequestValidationError) as err:
        read({})
    assert err.value.errors == {"when": "missing; expected a date YYYY-MM-DD"}


@pytest.mark.parametrize(
    ("r", "inside", "outside"),
    [
        (Range(1, 4, integer=True), [1, 4], [0, 5, 2.0, True, "2"]),
        (Range(0.005, 60), [0.005, 60, 30], [0.001, 61, float("nan"), float("inf")]),
    ],
)
def test_range_membership(r, inside, outside):
    assert all(x in r for x in inside)
    assert not any(x in r for x in outside)
