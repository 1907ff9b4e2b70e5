"""Who comes on one day: entry points, visitor segments, booked groups, the scenario.

A :class:`Scenario` says who comes on a date (how many, when and where they
arrive, what they like, the weather) and how the simulation treats them;
:meth:`Scenario.from_dict` reads one from JSON-like values and names every
bad field at once.  Left out, the entry points and segments are the
defaults below, and the numbers those of :mod:`tourplan.flow.defaults`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan._parse import FieldReader, Range, as_int, parse_time
from tourplan.errors import RequestValidationError
from tourplan.flow.calendar import DAY_TYPES, day_type
from tourplan.flow.defaults import DEFAULT_AREA_SHARES, DEFAULT_VISITORS, PROFILES, SCHOOL_SHARE
from tourplan.flow.measures import Measures
from tourplan.graph import MODES
from tourplan.itinerary import PACES

if TYPE_CHECKING:
    from tourplan.flow._types import FloatArray

__all__ = [
    "DEFAULT_ENTRIES",
    "LIMITS",
    "EntryPoint",
    "FixedArrival",
    "Scenario",
    "Segment",
    "default_segments",
]


@dataclass(frozen=True)
class EntryPoint:
    """Where visitors enter the district: a station, a car park, a hotel.

    Attributes
    ----------
    name
        Key of the entry point.
    place
        Site id (or ``"lat,lon"``) the planner starts and ends the day at.
    share
        Share of visitors entering here.
    profile
        Name in :data:`PROFILES`, or explicit half-hourly weights from 06:00.
    mode
        How visitors entering here travel between sites.
    """

    name: str
    place: str
    share: float
    profile: str | tuple[float, ...] = "car_park"
    mode: str = "drive"

    def weights(self) -> FloatArray:
        """Normalised half-hourly arrival weights from 06:00."""
        raw = PROFILES[self.profile] if isinstance(self.profile, str) else self.profile
        w = np.asarray(raw, dtype=np.float64)
        return np.asarray(w / w.sum(), dtype=np.float64)


#: Default entry points.  Self-drive (car parks, hotels) carries 90 % of the
#: visitors (yts.cc: ~90 % self-drive); how it splits between car parks and
#: how the other 10 % split between stations is an ASSUMPTION, except that the
#: 云台山 gates (car park and hotels, 0.19) stay below the smallest sourced share
#: of visitors whose day includes 云台山 (0.238, :data:`DEFAULT_AREA_SHARES`):
#: ASSUMPTION, about four in five of those start at its gates.
DEFAULT_ENTRIES: tuple[EntryPoint, ...] = (
    # 岸上 gate area of 云台山: the 5,000-space car park (yts.cc).
    EntryPoint("yuntai_car_park", "yuntai_anshang_service_area", 0.16, "car_park", "drive"),
    EntryPoint("city_car_parks", "jiefang_district_government", 0.53, "car_park", "drive"),
    EntryPoint("qingtianhe_car_park", "qingtianhe", 0.18, "car_park", "drive"),
    EntryPoint("yuntai_hotels", "yuntai_tianjie_hotel", 0.03, "hotel", "drive"),
    EntryPoint("jiaozuo_station", "jiaozuo_station", 0.05, "station", "mixed"),
    EntryPoint("jiaozuo_west_station", "jiaozuo_west_station", 0.03, "station", "bus"),
    EntryPoint("bus_terminal", "jiaozuo_bus_terminal", 0.02, "station", "mixed"),
)


@dataclass(frozen=True)
class Segment:
    """A kind of visitor: interests, pace, and how they move.

    Attributes
    ----------
    name
        Key of the segment.
    share
        Relative share of visitors (normalised over segments).
    interests
        Theme weights as in :class:`~tourplan.itinerary.ItineraryRequest`.
    pace
        ``relaxed``, ``normal`` or ``active``.
    mode
        Transport mode, or ``None`` to use the entry point's.
    group_size
        Visitors who move together (a school class: same start, same plan,
        same dwell); 1 for individuals.
    entries
        Entry point names this segment uses (``()`` = all, by their shares).
    day_end
        Latest return, minutes after midnight.
    """

    name: str
    share: float
    interests: Mapping[str, float]
    pace: str = "normal"
    mode: str | None = None
    group_size: int = 1
    entries: tuple[str, ...] = ()
    day_end: int = 18 * 60 + 30


def default_segments(kind: str) -> tuple[Segment, ...]:
    """Visitor segments of a day type (shares are an ASSUMPTION; 云台山 draws most)."""
    school = SCHOOL_SHARE.get(kind, 0.0)
    rest = 1.0 - school
    segs = [
        Segment("mountain", 0.45 * rest, {"mountain": 1.0, "nature": 0.8}, "normal"),
        Segment("family", 0.25 * rest, {"family": 1.0, "nature": 0.6, "science": 0.4}, "relaxed"),
        Segment("culture", 0.15 * rest, {"culture": 1.0, "history": 1.0, "taiji": 0.8}, "normal"),
        Segment("city", 0.15 * rest, {"shopping": 1.0, "food": 1.0, "industry": 0.5, "red": 0.5}, "relaxed"),
    ]
    if school > 0:
        segs.append(
            Segment(
                "school",
                school,
                {"science": 1.0, "history": 0.8, "red": 0.8},
                "normal",
                mode="bus",
                group_size=40,
                entries=("city_car_parks",),
                day_end=17 * 60,
            )
        )
    return tuple(segs)


@dataclass(frozen=True)
class FixedArrival:
    """A booked group at a site (e.g. from a saved study-tour plan)."""

    site_id: str
    start: float
    end: float
    count: int


#: The ranges of a scenario's numeric fields (both ends included), which it
#: checks itself against; fields with an open end are checked in place.
LIMITS: dict[str, Range] = {
    "visitors": Range(0, 20_000_000, "visitors", integer=True),
    "outdoor_factor": Range(0, 2),
    "dwell_cv": Range(0, 2),
    "bucket_minutes": Range(15, 600, "minutes"),
    "plan_time_limit": Range(0.01, 60, "seconds"),
    "plan_variants": Range(1, 64, integer=True),
    "interest_cv": Range(0, 2),
    "must_see_share": Range(0, 1),
}

_ALLOWED_KEYS = {
    "date", "day_type", "visitors", "entries", "segments", "outdoor_factor", "fixed_arrivals",
    "slot_minutes", "day_start", "day_end", "patience_minutes", "skip_probability", "dwell_cv",
    "start_jitter", "bucket_minutes", "plan_time_limit", "min_plan_share", "holidays",
    "plan_variants", "variant_share", "interest_cv", "must_see_share", "area_shares", "measures",
}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """Who comes on one day, and how the simulation treats them.

    Parameters
    ----------
    date
        The day simulated (opening hours and sunset are those of this date).
    day_type
        ``weekday``, ``weekend``, ``public_holiday``, ``golden_week``;
        ``None`` derives it from the date (:func:`day_type`).
    visitors
        Visitors to the district's sites that day; ``None`` takes
        :data:`DEFAULT_VISITORS` of the day type.
    entries
        Entry points; ``()`` means :data:`DEFAULT_ENTRIES`.
    segments
        Visitor segments; ``()`` means :func:`default_segments` of the day type.
    outdoor_factor
        Multiplies the value of outdoor sites when planning; below 1 on a
        rainy day (ASSUMPTION: 0.6 for steady rain).
    fixed_arrivals
        Booked groups that occupy a site from ``start`` to ``end``.
    slot_minutes
        Length of a reporting slot.
    day_start, day_end
        Reporting horizon in minutes after midnight (visitors still inside at
        ``day_end`` are counted as such).
    patience_minutes
        A visitor who would queue longer than this skips the stop
        (ASSUMPTION: 120 min).
    skip_probability
        Chance that a visitor leaves out a planned stop (ASSUMPTION: 5 %).
    dwell_cv
        Coefficient of variation of the gamma-distributed dwell around the
        planned visit length (ASSUMPTION: 0.3).
    bucket_minutes
        Width of the start-time buckets that share one plan; a visitor
        follows the plan of their bucket, shifted to their own start.
    plan_time_limit
        Optimizer time per plan (seconds).
    min_plan_share
        Segment x entry x bucket cells with a smaller share of visitors
        borrow the plan of the nearest planned bucket.
    plan_variants
        Most plan variants per segment x entry x bucket cell.  Variant 0 is
        the segment's own plan from the bucket centre; the others differ in
        optimizer seed, planned start within the bucket, interest weights
        (see ``interest_cv``) and, for a share ``must_see_share`` of them, a
        must-see site drawn from the segment's best-matching sites.  Units
        of a cell pick one of its variants uniformly, so every variant
        carries about the same share of the cell's visitors.
    variant_share
        A cell gets one variant per this share of all visitors (expected,
        from the shares and profiles), between 1 and ``plan_variants``; so
        the plan library depends on the shares, never on the number of
        visitors or the seed.
    interest_cv
        Coefficient of variation of the gamma noise multiplying each theme
        weight of the segment in variants 1 and up (ASSUMPTION: 0.4).
    must_see_share
        Share of variants 1 and up that add a must-see (ASSUMPTION: 1/3).
    area_shares
        ``(area site id, share)`` pairs: the share of the day's visitors whose
        day includes the area (the site and its parts). Visitors who enter at
        the area keep it; of the plan variants of everyone else, a stable
        share leaves the area out, so that the expected share is met if every
        other plan would include it (fewer otherwise: the shares are a cap on
        the planners' pull, which sends most visitors to the best-scored
        area). ``None``: :data:`DEFAULT_AREA_SHARES` of the day type; ``()``:
        no such lever.
    measures
        Countermeasures: timed-entry quotas, daily caps, moved school
        groups (:class:`~tourplan.flow.measures.Measures`; none by default).
    """

    date: dt.date
    day_type: str | None = None
    visitors: int | None = None
    entries: tuple[EntryPoint, ...] = ()
    segments: tuple[Segment, ...] = ()
    outdoor_factor: float = 1.0
    fixed_arrivals: tuple[FixedArrival, ...] = ()
    slot_minutes: int = 15
    day_start: int = 6 * 60
    day_end: int = 24 * 60
    patience_minutes: float = 120.0
    skip_probability: float = 0.05
    dwell_cv: float = 0.3
    bucket_minutes: int = 90
    plan_time_limit: float = 0.015
    min_plan_share: float = 0.002
    plan_variants: int = 8
    variant_share: float = 0.004
    interest_cv: float = 0.4
    must_see_share: float = 1 / 3
    area_shares: tuple[tuple[str, float], ...] | None = None
    measures: Measures = Measures()
    holidays: Mapping[dt.date, str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.date, dt.date):
            errors["date"] = f"expected a date YYYY-MM-DD, got {self.date!r}"
        if self.day_type is not None and self.day_type not in DAY_TYPES:
            errors["day_type"] = f"expected one of {', '.join(DAY_TYPES)}, got {self.day_type!r}"
        for name, limits in LIMITS.items():
            value = getattr(self, name)
            if value is not None or name != "visitors":  # no visitors: the day type's default
                limits.check(value, errors, name)
        if not (isinstance(self.slot_minutes, int) and self.slot_minutes in (5, 10, 15, 20, 30, 60)):
            errors["slot_minutes"] = f"expected 5, 10, 15, 20, 30 or 60, got {self.slot_minutes!r}"
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            errors["day_end"] = (
                f"expected 00:00 <= day_start < day_end <= 24:00, got {self.day_start!r}-{self.day_end!r}"
            )
        elif isinstance(self.slot_minutes, int) and (self.day_end - self.day_start) % self.slot_minutes:
            errors["day_start"] = "the horizon day_start..day_end must be a whole number of slots"
        if not (self.patience_minutes >= 0):
            errors["patience_minutes"] = f"expected a non-negative number, got {self.patience_minutes!r}"
        if not 0 <= self.skip_probability < 1:
            errors["skip_probability"] = f"expected a probability below 1, got {self.skip_probability!r}"
        if not 0 <= self.min_plan_share < 0.5:
            errors["min_plan_share"] = f"expected 0 to 0.5 (not included), got {self.min_plan_share!r}"
        if not 0 < self.variant_share <= 1:
            errors["variant_share"] = f"expected a share above 0 and at most 1, got {self.variant_share!r}"
        for area, share in self.area_shares or ():
            if not (isinstance(area, str) and isinstance(share, int | float) and 0 <= share <= 1):
                errors["area_shares"] = f"expected site id: share from 0 to 1, got {area!r}: {share!r}"
        names = [e.name for e in self.entries_used]
        _check_parts("entries", "entry point", self.entries_used, errors, _entry_problems)
        _check_parts("segments", "segment", self.segments_used, errors, lambda s: _segment_problems(s, names))
        for f in self.fixed_arrivals:
            if not (0 <= f.start < f.end <= 24 * 60 and f.count >= 0):
                errors["fixed_arrivals"] = (
                    f"{f.site_id}: expected 0 <= start < end <= 1440 and count >= 0, got {f!r}"
                )
        if not isinstance(self.measures, Measures):
            errors["measures"] = f"expected Measures, got {self.measures!r}"
        if errors:
            raise RequestValidationError(errors)

    @property
    def kind(self) -> str:
        """The day type (given, or derived from the date)."""
        if self.day_type is not None:
            return self.day_type
        return day_type(self.date, self.holidays)

    @property
    def n_visitors(self) -> int:
        """Visitors of the day (given, or the default of the day type)."""
        return int(self.visitors) if self.visitors is not None else int(DEFAULT_VISITORS[self.kind])

    @property
    def area_shares_used(self) -> dict[str, float]:
        """Target share of visitors per area (given or the default of the day type)."""
        pairs = self.area_shares if self.area_shares is not None else DEFAULT_AREA_SHARES[self.kind]
        return {a: float(x) for a, x in pairs}

    @property
    def entries_used(self) -> tuple[EntryPoint, ...]:
        """The entry points (given or default)."""
        return self.entries or DEFAULT_ENTRIES

    @property
    def segments_used(self) -> tuple[Segment, ...]:
        """The segments (given or default for the day type)."""
        if self.segments:
            return self.segments
        kind = self.day_type if self.day_type in DAY_TYPES else day_type(self.date, self.holidays)
        return default_segments(kind)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build a scenario from JSON-like values (with the request types' field reader).

        Raises
        ------
        RequestValidationError
            Naming every bad field.

        Examples
        --------
        >>> Scenario.from_dict({"date": "2026-10-03", "visitors": 1000}).kind
        'golden_week'
        """
        r = FieldReader(data, known=_ALLOWED_KEYS)
        r.date("date", required=True)
        r.text("day_type")
        for name in ("visitors", "slot_minutes", "bucket_minutes", "plan_variants"):
            r.whole(name)
        for name in (
            "outdoor_factor", "patience_minutes", "skip_probability", "dwell_cv", "plan_time_limit",
            "min_plan_share", "variant_share", "interest_cv", "must_see_share",
        ):  # fmt: skip
            r.number(name)
        for name in ("day_start", "day_end"):
            r.time(name)
        for name, parse, expected in (
            ("entries", _entry, "a list of {name, place, share, profile, mode}"),
            ("segments", _segment, "a list of {name, share, interests, pace, ...}"),
            ("fixed_arrivals", _fixed, "a list of [site_id, start, end, count]"),
        ):
            if data.get(name) is not None:
                try:
                    r.values[name] = tuple(parse(x) for x in data[name])
                except (TypeError, ValueError, KeyError) as exc:
                    r.errors[name] = f"expected {expected}: {exc}"
        if data.get("area_shares") is not None:
            try:
                r.values["area_shares"] = tuple(
                    (str(k), float(v)) for k, v in dict(data["area_shares"]).items()
                )
            except (TypeError, ValueError) as exc:
                r.errors["area_shares"] = f"expected an object of site id: share: {exc}"
        if data.get("measures") is not None:
            try:
                r.values["measures"] = Measures.from_dict(data["measures"])
            except RequestValidationError as exc:
                r.errors.update(exc.errors)
        if data.get("holidays") is not None:
            try:
                r.values["holidays"] = {
                    dt.date.fromisoformat(str(k)): str(v) for k, v in data["holidays"].items()
                }
            except (AttributeError, ValueError) as exc:
                r.errors["holidays"] = f"expected an object of YYYY-MM-DD: day type: {exc}"
        return r.build(cls, {"date": dt.date(2026, 1, 1)})


def _check_parts(
    field: str,
    what: str,
    parts: Sequence[EntryPoint] | Sequence[Segment],
    errors: dict[str, str],
    problems: Callable[[Any], list[str]],
) -> None:
    """Entry points or segments: unique names, non-negative shares with a positive sum, known modes, ``problems``.

    Each problem found is recorded under ``field`` (the last one stands).
    """
    if len({p.name for p in parts}) != len(parts):
        errors[field] = f"{what} names must be unique"
    for p in parts:
        found = []
        if not (p.share >= 0 and math.isfinite(p.share)):
            found.append(f"{p.name}: expected a non-negative share, got {p.share!r}")
        if p.mode is not None and p.mode not in MODES:
            found.append(f"{p.name}: mode must be one of {', '.join(MODES)}, got {p.mode!r}")
        for msg in (*found, *problems(p)):
            errors[field] = msg
    if sum(p.share for p in parts) <= 0:
        errors[field] = f"the {what} shares must have a positive sum"


def _entry_problems(e: EntryPoint) -> list[str]:
    """What is wrong with an entry point's arrival profile."""
    if isinstance(e.profile, str):
        if e.profile not in PROFILES:
            return [
                f"{e.name}: profile must be one of {', '.join(PROFILES)} or a list of weights, got {e.profile!r}"
            ]
    elif not 0 < len(e.profile) <= 36 or any(not (w >= 0) for w in e.profile) or sum(e.profile) <= 0:
        return [
            f"{e.name}: profile must be 1 to 36 half-hourly weights from 06:00, non-negative with a positive sum"
        ]
    return []


def _segment_problems(s: Segment, entry_names: Collection[str]) -> list[str]:
    """What is wrong with a segment's pace, group size and entry points."""
    found = []
    if s.pace not in PACES:
        found.append(f"{s.name}: pace must be one of {', '.join(PACES)}, got {s.pace!r}")
    if not 1 <= s.group_size <= 500:
        found.append(f"{s.name}: group_size must be 1 to 500, got {s.group_size!r}")
    unknown = [x for x in s.entries if x not in entry_names]
    if unknown:
        found.append(f"{s.name}: unknown entry point(s) {', '.join(unknown)}")
    return found


def _minutes(v: Any, field: str) -> int:
    """Minutes after midnight from ``HH:MM`` or whole minutes (a number or digits)."""
    whole = as_int(v)
    return parse_time(whole if whole is not None else str(v), field)


def _entry(e: Any) -> EntryPoint:
    prof = e.get("profile", "car_park")
    return EntryPoint(
        name=str(e["name"]),
        place=str(e["place"]),
        share=float(e["share"]),
        profile=prof if isinstance(prof, str) else tuple(float(x) for x in prof),
        mode=str(e.get("mode", "drive")),
    )


def _segment(s: Any) -> Segment:
    return Segment(
        name=str(s["name"]),
        share=float(s["share"]),
        interests={str(k): float(w) for k, w in dict(s.get("interests", {})).items()},
        pace=str(s.get("pace", "normal")),
        mode=None if s.get("mode") is None else str(s["mode"]),
        group_size=int(s.get("group_size", 1)),
        entries=tuple(str(x) for x in s.get("entries", ())),
        day_end=_minutes(s.get("day_end", 18 * 60 + 30), "segments"),
    )


def _fixed(f: Any) -> FixedArrival:
    if isinstance(f, Mapping):
        sid, a, b, n = f["site_id"], f["start"], f["end"], f["count"]
    else:
        sid, a, b, n = f
    return FixedArrival(
        str(sid), float(_minutes(a, "fixed_arrivals")), float(_minutes(b, "fixed_arrivals")), int(n)
    )


# ---------------------------------------------------------------------------
# Plans
