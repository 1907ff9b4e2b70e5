"""Small parsers shared by the request types' ``from_dict`` constructors."""

from __future__ import annotations

import datetime as dt

__all__ = ["parse_date"]


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
