"""The one field reader of the request types' ``from_dict`` constructors, field ranges, and clock times.

:class:`FieldReader` reads JSON-like request values (strings from a form or
a command line, numbers and lists from JSON) field by field and records one
error per bad field, so a request names every problem at once (like
``_rowcheck.RowChecker`` for table rows).  :class:`Range` is the one definition
of a numeric field's limits, which the request checks itself against and
the web forms, API schema and CLI read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from tourplan.errors import RequestValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

__all__ = [
    "TEXT_MAX",
    "FieldReader",
    "Range",
    "as_int",
    "as_list",
    "defaults",
    "fmt_time",
    "parse_date",
    "parse_time",
]

T = TypeVar("T")

#: Most characters of a free-text request field (a name, a place).
TEXT_MAX = 200


def parse_date(raw: object, errors: dict[str, str], field: str = "date") -> dt.date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string.

    ``None`` gives ``None`` (the caller decides whether that is missing); an
    unreadable value records an error under *field* and gives ``None``.

    Examples
    --------
    >>> errors: dict[str, str] = {}
    >>> parse_date("2026-10-03", errors)
    datetime.date(2026, 10, 3)
    >>> parse_date("2026-13-01", errors), errors
    (None, {'date': "expected a date YYYY-MM-DD, got '2026-13-01'"})
    """
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        errors[field] = f"expected a date YYYY-MM-DD, got {raw!r}"
        return None


def parse_time(value: str | int, field_name: str) -> int:
    """``"HH:MM"`` (or minutes) to minutes after midnight."""
    if isinstance(value, int):
        minutes = value
    else:
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
        if not m or int(m.group(2)) >= 60:
            msg = f"expected a time HH:MM, got {value!r}"
            raise RequestValidationError({field_name: msg})
        minutes = int(m.group(1)) * 60 + int(m.group(2))
    if not 0 <= minutes <= 24 * 60:
        raise RequestValidationError({field_name: f"expected a time from 00:00 to 24:00, got {value!r}"})
    return minutes


def fmt_time(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM`` (rounded to the minute)."""
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def as_int(value: object) -> int | None:
    """A whole number from an int, an integral float or a digit string; else ``None``.

    Examples
    --------
    >>> as_int(3), as_int(3.0), as_int(" 12 "), as_int(2.5), as_int(True)
    (3, 3, 12, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_list(value: object) -> tuple[str, ...] | None:
    """Items from a list of text (or numbers) or from comma-separated text; ``None`` if neither.

    Examples
    --------
    >>> as_list("a, b,,c"), as_list(["x", 2]), as_list(3)
    (('a', 'b', 'c'), ('x', '2'), None)
    """
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(",") if x.strip())
    if isinstance(value, list | tuple) and all(
        isinstance(x, str | int) and not isinstance(x, bool) for x in value
    ):
        return tuple(str(x).strip() for x in value if str(x).strip())
    return None


def defaults(request_type: type) -> dict[str, Any]:
    """The default of each field of a request dataclass that has a plain one.

    The one definition of a request field's default, for the forms and the
    command-line options that show it.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Ask:
    ...     date: str
    ...     days: int = 1
    >>> defaults(Ask)
    {'days': 1}
    """
    return {
        f.name: f.default for f in dataclasses.fields(request_type) if f.default is not dataclasses.MISSING
    }


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Range:
    """The allowed values of one numeric request field: ``lo`` to ``hi``, both included.

    Examples
    --------
    >>> days = Range(1, 4, "days", integer=True)
    >>> 2 in days, 5 in days, 2.5 in days
    (True, False, False)
    >>> errors: dict[str, str] = {}
    >>> days.check(5, errors, "days"); errors
    {'days': 'expected 1 to 4 days, got 5'}
    """

    lo: float
    hi: float
    unit: str = ""
    integer: bool = False

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        return math.isfinite(value) and self.lo <= value <= self.hi

    def expected(self) -> str:
        """``"expected LO to HI UNIT"``."""
        return f"expected {_num(self.lo)} to {_num(self.hi)}" + (f" {self.unit}" if self.unit else "")

    def check(self, value: object, errors: dict[str, str], field: str, more: str = "") -> None:
        """Record an error under ``field`` unless ``value`` is in the range (``more`` adds to the message)."""
        if value not in self:
            errors[field] = f"{self.expected()}{more}, got {value!r}"


class FieldReader:
    """Read a request's fields from JSON-like values, one error per bad field.

    Each reader method takes the field's name, converts a given value and
    stores it in :attr:`values` (for the request's constructor), or records
    what was expected in :attr:`errors`.  A field that is absent or ``None``
    is left out (the request's default applies), except where ``nullable``
    says that ``None`` is a value.  Ranges are checked by the request itself.

    Examples
    --------
    >>> r = FieldReader({"days": "2", "lunch": "yes", "oops": 1}, known={"days", "lunch"})
    >>> r.whole("days"); r.flag("lunch")
    >>> r.values, r.errors
    ({'days': 2}, {'oops': 'unknown field', 'lunch': "expected true or false, got 'yes'"})
    """

    def __init__(self, data: Mapping[str, Any], known: Collection[str]) -> None:
        self.data = data
        self.values: dict[str, Any] = {}
        #: Field -> what was wrong: English text, or a :class:`tourplan.messages.Message`.
        self.errors: dict[str, Any] = {k: "unknown field" for k in data if k not in known}

    def _read(
        self, name: str, convert: Callable[[Any], Any], expected: str, *, nullable: bool = False
    ) -> None:
        raw = self.data.get(name)
        if raw is None:
            if nullable and name in self.data:
                self.values[name] = None
            return
        value = convert(raw)
        if value is None:
            self.errors[name] = f"expected {expected}, got {raw!r}"
        else:
            self.values[name] = value

    def text(self, name: str) -> None:
        """Text, stripped."""
        self._read(name, lambda v: v.strip() if isinstance(v, str) else None, "text")

    def number(self, name: str) -> None:
        """A number (a float)."""

        def convert(v: Any) -> float | None:
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                return None
            try:
                return float(v)
            except ValueError:
                return None

        self._read(name, convert, "a number")

    def whole(self, name: str, *, nullable: bool = False) -> None:
        """A whole number (see :func:`as_int`); with ``nullable``, ``None`` means "none"."""
        self._read(name, as_int, "a whole number", nullable=nullable)

    def flag(self, name: str) -> None:
        """``true`` or ``false``."""
        self._read(name, lambda v: v if isinstance(v, bool) else None, "true or false")

    def items(self, name: str) -> None:
        """A list of text, or comma-separated text (see :func:`as_list`)."""
        self._read(name, as_list, "a list of text (or comma-separated text)")

    def time(self, name: str) -> None:
        """A clock time ``HH:MM`` (or minutes after midnight), see :func:`parse_time`."""
        if self.data.get(name) is None:
            return
        try:
            self.values[name] = parse_time(self.data[name], name)
        except RequestValidationError as exc:
            self.errors.update(exc.errors)

    def date(
        self, name: str, *, into: str | None = None, also: tuple[str, ...] = (), required: bool = False
    ) -> None:
        """A date ``YYYY-MM-DD`` from ``name`` (or the first of ``also`` given), stored under ``into``.

        Errors are reported under ``name``; ``required`` reports a missing date.
        """
        raw = next((self.data[k] for k in (name, *also) if self.data.get(k) is not None), None)
        if raw is None:
            if required:
                self.errors[name] = "missing; expected a date YYYY-MM-DD"
            return
        if (day := parse_date(raw, self.errors, name)) is not None:
            self.values[into or name] = day

    def require(self, *names: str) -> None:
        """Report each of ``names`` that is absent or ``None`` as missing."""
        for name in names:
            if self.data.get(name) is None:
                self.errors.setdefault(name, "missing")

    def build(self, cls: Callable[..., T], placeholders: Mapping[str, Any]) -> T:
        """``cls(**values)``, or raise every error at once.

        With errors, the good values are checked too by building ``cls`` with
        ``placeholders`` standing in for the bad and missing ones, so the
        request's own range checks report alongside the reader's.

        Raises
        ------
        RequestValidationError
            Naming every bad field.
        """
        if not self.errors:
            return cls(**self.values)
        trial = {**placeholders, **{k: v for k, v in self.values.items() if k not in self.errors}}
        try:
            cls(**trial)
        except RequestValidationError as exc:
            self.errors.update({k: v for k, v in exc.errors.items() if k not in self.errors})
        except TypeError:  # pragma: no cover - a field the placeholders miss; the reader's errors stand
            pass
        raise RequestValidationError(self.errors)
