"""Opening hours in OpenStreetMap ``opening_hours`` syntax.

Parsing and evaluation are done by ``opening-hours-py`` (the Rust
``opening-hours`` crate), which implements the OSM specification.  This module
turns an expression into the open intervals of one calendar day, in minutes
after midnight, which is what the planners need.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import opening_hours

__all__ = ["HoursError", "check_hours", "open_intervals"]


class HoursError(ValueError):
    """An opening_hours expression that cannot be parsed."""


# The package's type stubs do not declare its parser error.
_PARSE_ERRORS: tuple[type[BaseException], ...] = (ValueError, getattr(opening_hours, "ParserError", ValueError))


@lru_cache(maxsize=1024)
def _parse(expr: str) -> opening_hours.OpeningHours:
    try:
        return opening_hours.OpeningHours(expr)
    except _PARSE_ERRORS as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        msg = f"not a valid OpenStreetMap opening_hours value: {expr!r} ({first})"
        raise HoursError(msg) from None


def check_hours(expr: str) -> None:
    """Raise :class:`HoursError` unless *expr* parses.

    Examples
    --------
    >>> check_hours("Tu-Su 09:00-17:00; Mo off")
    >>> check_hours("sometimes")
    Traceback (most recent call last):
    ...
    tourplan.hours.HoursError: not a valid OpenStreetMap opening_hours value: 'sometimes' ...
    """
    _parse(expr)


@lru_cache(maxsize=8192)
def open_intervals(expr: str, day: dt.date) -> tuple[tuple[int, int], ...]:
    """Open intervals of *day* in minutes after midnight.

    Parameters
    ----------
    expr
        An OSM opening_hours expression. An empty string means "always open".
    day
        The calendar date (local time, Asia/Shanghai).

    Returns
    -------
    tuple of (start, end)
        Sorted, disjoint intervals; ``end`` may be 1440 for "until midnight".
        An empty tuple means closed all day. "Unknown" states count as closed.

    Examples
    --------
    >>> open_intervals("Tu-Su 09:00-11:00,14:00-17:00; Mo off", dt.date(2026, 10, 6))
    ((540, 660), (840, 1020))
    >>> open_intervals("Tu-Su 09:00-17:00; Mo off", dt.date(2026, 10, 5))
    ()
    """
    if not expr.strip():
        return ((0, 24 * 60),)
    oh = _parse(expr)
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    out: list[tuple[int, int]] = []
    for a, b, state, _comment in oh.intervals(start, end):
        if state != opening_hours.State.OPEN:
            continue
        a_min = max(0, int((a - start).total_seconds() // 60))
        b_min = 24 * 60 if b is None else min(24 * 60, int((b - start).total_seconds() // 60))
        if b_min <= a_min:
            continue
        if out and out[-1][1] >= a_min:
            out[-1] = (out[-1][0], max(out[-1][1], b_min))
        else:
            out.append((a_min, b_min))
    return tuple(out)
