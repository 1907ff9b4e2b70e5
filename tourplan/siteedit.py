"""One edit of a site: its fields checked, then applied to the site's ``pois.csv`` row.

An edit (:class:`SiteEdit`) names the site's version it started from, the
changed columns, where the new values come from and how sure that is, and,
for a moved point, its datum and how it was found. :func:`edited_row` checks
every field with the CSV loader's own rules and says each problem as a
message (:func:`expected_message`), in the user's language on the page, the
API and the command line; :class:`StaleVersionError` is the refusal of an
edit that started from an older version. The store that keeps the rows and
their history is :mod:`tourplan.sitestore`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.coords import DATUMS, to_wgs84
from tourplan.errors import DataValidationError, RequestValidationError, TourplanError
from tourplan.messages import Message
from tourplan.site import CONFIDENCE_LEVELS, SITE_COLUMNS
from tourplan.sitecheck import check_site_row

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tourplan.sitestore import SiteChange, SiteRecord

__all__ = [
    "LOCATION_METHODS",
    "SiteEdit",
    "StaleVersionError",
    "default_location_error",
    "edited_row",
    "expected_message",
    "merged_source",
]

#: How a new point was found; each gives a default ``location_error_m``.
LOCATION_METHODS: tuple[str, ...] = ("map", "paste", "gps")
_TEXT_MAX = 2000
_PICK_PIXELS = 20  # a point picked on a map is good to about this many screen pixels


@dataclass(frozen=True)
class SiteEdit:
    """A change to one site as staff ask for it (web form, API or CLI).

    Attributes
    ----------
    changes
        Column -> new value: text as in ``pois.csv``, or a JSON value
        (numbers, ``true``/``false``, lists for the ``;``-separated columns).
    source
        Where the new values come from (required).
    confidence
        The site's confidence after the change: high, medium or low (required).
    reason
        Why, in the staff member's words.
    datum
        The datum of a new ``lat``/``lon``: wgs84, gcj02 (Gaode, Tencent) or
        bd09 (Baidu); stored as WGS-84.
    method
        How a new point was found (:data:`LOCATION_METHODS`); sets
        ``location_error_m`` unless the change gives it.
    zoom
        The map's zoom level when the point was picked on a map.
    """

    changes: Mapping[str, Any]
    source: str
    confidence: str
    reason: str = ""
    datum: str = "wgs84"
    method: str | None = None
    zoom: float | None = None


class StaleVersionError(TourplanError, ValueError):
    """An edit started from an older version of the site than the stored one.

    ``current`` is the stored record and ``changes`` what landed since the
    version the edit started from (oldest first).
    """

    def __init__(self, expected: int, current: SiteRecord, changes: list[SiteChange]) -> None:
        self.expected = expected
        self.current = current
        self.changes = changes
        fields = sorted({f for c in changes for f in c.fields})
        who = sorted({c.username for c in changes})
        #: The refusal as a message (:func:`tourplan.errors.error_text` renders it).
        self.message = Message(
            "edit_stale",
            {"site": repr(current.id), "version": current.version, "expected": expected,
             "who": who or Message("edit_someone"), "fields": fields or Message("edit_it")},
        )  # fmt: skip
        super().__init__(self.message.render("en"))


def default_location_error(method: str, lat: float, zoom: float | None = None) -> float:
    """The ``location_error_m`` a point found by ``method`` gets by default.

    ``map``: the ground size of about 20 screen pixels at the map's zoom
    (Web Mercator, 256-pixel tiles); ``paste``: 15 m (a point read off a
    map application or a published list); ``gps``: 10 m.

    Examples
    --------
    >>> default_location_error("map", 35.2, zoom=18), default_location_error("map", 35.2, zoom=13)
    (10.0, 310.0)
    >>> default_location_error("paste", 35.2)
    15.0
    """
    if method == "map":
        z = 16.0 if zoom is None else min(max(float(zoom), 0.0), 22.0)
        metres_per_pixel = 156543.03392 * math.cos(math.radians(lat)) / 2**z
        return float(max(5, round(_PICK_PIXELS * metres_per_pixel, -1 if z < 16 else 0)))
    if method == "gps":
        return 10.0
    if method == "paste":
        return 15.0
    msg = f"method: expected one of {', '.join(LOCATION_METHODS)}, got {method!r}"
    raise ValueError(msg)


def _text(value: Any) -> str | None:
    """A JSON value as ``pois.csv`` text, or None when it has no text form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return ";".join(v.strip() for v in value)
    return None


def expected_message(what: Message | str, value: Any = None) -> Message:
    """``expected WHAT[, got VALUE]`` of one field of an edit (*what* a message, or plain text)."""
    if value is None:
        return Message("edit_expected", {"expected": what})
    return Message("edit_expected_got", {"expected": what, "value": repr(value)})


def _field_problems(exc: DataValidationError) -> dict[str, list[Message]]:
    """The problems of a checked row by column (``row`` for a problem of the whole row)."""
    found: dict[str, list[Message]] = {}
    for p in exc.problems:
        found.setdefault(p.column or "row", []).append(expected_message(p.message or p.expected, p.value))
    return found


def _one_of(choices: Sequence[str], value: Any) -> Message:
    return expected_message(Message("data_one_of", {"choices": list(choices)}), value)


def merged_source(new: str, old: str) -> str:
    """The row's ``source`` after a change from ``new``: the new source first, the old kept.

    Examples
    --------
    >>> merged_source("survey 2026", "wiki"), merged_source("wiki", "wiki; book")
    ('survey 2026; wiki', 'wiki; book')
    """
    if not old or new in old.split("; "):
        return new if not old else (old if old.startswith(new) else f"{new}; {old}")
    out = f"{new}; {old}"
    return out if len(out) <= _TEXT_MAX else out[: _TEXT_MAX - 1] + "…"


def edited_row(
    row: Mapping[str, str], edit: SiteEdit, *, known_ids: Sequence[str] | None = None
) -> dict[str, str]:
    """Apply ``edit`` to a site's row; check the result like the CSV loader does.

    Raises
    ------
    RequestValidationError
        Naming each bad field (one message per field); nothing is applied.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> from tourplan.sitecheck import site_row
    >>> row = site_row(load_sites()["jiaozuo_station"])
    >>> edited_row(row, SiteEdit({"lat": 95}, source="survey", confidence="high"))
    Traceback (most recent call last):
    ...
    tourplan.errors.RequestValidationError: invalid request: lat: expected a number from -90 to 90 (WGS-84 degrees), got '95'
    """
    errors: dict[str, Message] = {}
    if edit.datum not in DATUMS:
        errors["datum"] = _one_of(DATUMS, edit.datum)
    if not isinstance(edit.source, str) or not edit.source.strip():
        errors["source"] = expected_message(Message("edit_source"))
    elif len(edit.source) > 500:
        errors["source"] = expected_message(Message("data_max_chars", {"n": 500}))
    if edit.confidence not in CONFIDENCE_LEVELS:
        errors["confidence"] = expected_message(Message("data_confidence"), edit.confidence)
    if edit.method is not None and edit.method not in LOCATION_METHODS:
        errors["method"] = _one_of(LOCATION_METHODS, edit.method)
    texts: dict[str, str] = {}
    for key, value in edit.changes.items():
        if key == "id":
            errors[key] = Message("edit_id_fixed")
        elif key in ("source", "confidence"):
            errors[key] = Message("edit_meta_field")
        elif key not in SITE_COLUMNS:
            errors[key] = Message("edit_unknown_field")
        elif (text := _text(value)) is None:
            errors[key] = expected_message(Message("edit_cell"), value)
        else:
            texts[key] = text
    moved = "lat" in texts or "lon" in texts
    if moved and edit.datum != "wgs84" and edit.datum in DATUMS:
        if "lat" not in texts or "lon" not in texts:
            errors["lat" if "lat" not in texts else "lon"] = Message(
                "edit_both_latlon", {"datum": edit.datum}
            )
        else:
            try:
                lat, lon = float(texts["lat"]), float(texts["lon"])
            except ValueError:
                pass  # the row check below names the bad one
            else:
                if math.isfinite(lat) and math.isfinite(lon):
                    w_lat, w_lon = to_wgs84(lat, lon, edit.datum)
                    texts["lat"], texts["lon"] = f"{w_lat:.7f}", f"{w_lon:.7f}"
    if moved and "location_error_m" not in texts and "method" not in errors:
        try:
            lat = float(texts.get("lat", row.get("lat", "")))
        except ValueError:
            lat = 35.0
        if math.isfinite(lat):
            err = default_location_error(edit.method or "paste", lat, edit.zoom)
            texts["location_error_m"] = f"{err:g}"
    new = {**row, **texts, "confidence": edit.confidence}
    if "source" not in errors:
        new["source"] = merged_source(edit.source.strip(), row.get("source", ""))
    try:
        check_site_row(new, name=str(row.get("id", "<edit>")), known_ids=known_ids)
    except DataValidationError as exc:
        for key, said in _field_problems(exc).items():
            if key in errors:  # the edit's own check of the field first, the row's said once
                said = [errors[key], *(m for m in said if m != errors[key])]
            errors[key] = said[0] if len(said) == 1 else Message("edit_problems", {"problems": said})
    if not errors and new == dict(row):
        errors["changes"] = expected_message(Message("edit_some_change"))
    if errors:
        raise RequestValidationError(errors)
    return new
