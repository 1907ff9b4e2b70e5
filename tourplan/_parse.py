"""Small parsers shared by the request types' ``from_dict`` constructors, and clock times."""

from __future__ import annotations

import datetime as dt
import re

from tourplan.errors import RequestValidationError

__all__ = ["fmt_time", "parse_date", "parse_time"]


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
