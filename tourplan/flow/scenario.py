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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan._parse import parse_date
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
        if self.visitors is not None and not (
            isinstance(self.visitors, int) and 0 <= self.visitors <= 20_000_000
        ):
            errors["visitors"] = f"expected a whole number from 0 to 20,000,000, got {self.visitors!r}"
        if not (math.isfinite(self.outdoor_factor) and 0 <= self.outdoor_factor <= 2):
            errors["outdoor_factor"] = f"expected a number from 0 to 2, got {self.outdoor_factor!r}"
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
        if not 0 <= self.dwell_cv <= 2:
            errors["dwell_cv"] = f"expected 0 to 2, got {self.dwell_cv!r}"
        if not 15 <= self.bucket_minutes <= 600:
            errors["bucket_minutes"] = f"expected 15 to 600 minutes, got {self.bucket_minutes!r}"
        if not 0.01 <= self.plan_time_limit <= 60:
            errors["plan_time_limit"] = f"expected 0.01 to 60 seconds, got {self.plan_time_limit!r}"
        if not 0 <= self.min_plan_share < 0.5:
            errors["min_plan_share"] = f"expected 0 to 0.5, got {self.min_plan_share!r}"
        if not (isinstance(self.plan_variants, int) and 1 <= self.plan_variants <= 64):
            errors["plan_variants"] = f"expected a whole number from 1 to 64, got {self.plan_variants!r}"
        if not 0 < self.variant_share <= 1:
            errors["variant_share"] = f"expected a share above 0 and at most 1, got {self.variant_share!r}"
        if not 0 <= self.interest_cv <= 2:
            errors["interest_cv"] = f"expected 0 to 2, got {self.interest_cv!r}"
        if not 0 <= self.must_see_share <= 1:
            errors["must_see_share"] = f"expected a share from 0 to 1, got {self.must_see_share!r}"
        for area, share in self.area_shares or ():
            if not (isinstance(area, str) and isinstance(share, int | float) and 0 <= share <= 1):
                errors["area_shares"] = f"expected site id: share from 0 to 1, got {area!r}: {share!r}"
        names = [e.name for e in self.entries_used]
        if len(set(names)) != len(names):
            errors["entries"] = "entry point names must be unique"
        for e in self.entries_used:
            if not (e.share >= 0 and math.isfinite(e.share)):
                errors["entries"] = f"{e.name}: expected a non-negative share, got {e.share!r}"
            if e.mode not in MODES:
                errors["entries"] = f"{e.name}: mode must be one of {', '.join(MODES)}, got {e.mode!r}"
            if isinstance(e.profile, str):
                if e.profile not in PROFILES:
                    errors["entries"] = (
                        f"{e.name}: profile must be one of {', '.join(PROFILES)} or a list of weights, "
                        f"got {e.profile!r}"
                    )
            elif not 0 < len(e.profile) <= 36 or any(not (w >= 0) for w in e.profile) or sum(e.profile) <= 0:
                errors["entries"] = (
                    f"{e.name}: profile must be 1 to 36 half-hourly weights from 06:00, "
                    "non-negative with a positive sum"
                )
        if sum(e.share for e in self.entries_used) <= 0:
            errors["entries"] = "the entry shares must have a positive sum"
        seg_names = [s.name for s in self.segments_used]
        if len(set(seg_names)) != len(seg_names):
            errors["segments"] = "segment names must be unique"
        for s in self.segments_used:
            if not (s.share >= 0 and math.isfinite(s.share)):
                errors["segments"] = f"{s.name}: expected a non-negative share, got {s.share!r}"
            if s.pace not in PACES:
                errors["segments"] = f"{s.name}: pace must be one of {', '.join(PACES)}, got {s.pace!r}"
            if s.mode is not None and s.mode not in MODES:
                errors["segments"] = f"{s.name}: mode must be one of {', '.join(MODES)}, got {s.mode!r}"
            if not 1 <= s.group_size <= 500:
                errors["segments"] = f"{s.name}: group_size must be 1 to 500, got {s.group_size!r}"
            unknown = [x for x in s.entries if x not in names]
            if unknown:
                errors["segments"] = f"{s.name}: unknown entry point(s) {', '.join(unknown)}"
        if sum(s.share for s in self.segments_used) <= 0:
            errors["segments"] = "the segment shares must have a positive sum"
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
        """Build a scenario from JSON-like values.

        Raises
        ------
        RequestValidationError
            Naming every bad field.

        Examples
        --------
        >>> Scenario.from_dict({"date": "2026-10-03", "visitors": 1000}).kind
        'golden_week'
        """
        errors: dict[str, str] = {}
        kw: dict[str, Any] = {}
        for k in data:
            if k not in _ALLOWED_KEYS:
                errors[k] = "unknown field"
        if data.get("date") is None:
            errors["date"] = "missing; expected a date YYYY-MM-DD"
        elif (day := parse_date(data["date"], errors)) is not None:
            kw["date"] = day
        if data.get("day_type") is not None:
            kw["day_type"] = str(data["day_type"])
        ints = ("visitors", "slot_minutes", "bucket_minutes", "plan_variants")
        floats = (
            "outdoor_factor", "patience_minutes", "skip_probability", "dwell_cv",
            "plan_time_limit", "min_plan_share", "variant_share", "interest_cv", "must_see_share",
        )  # fmt: skip
        for name in (*ints, *floats):
            v = data.get(name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                errors[name] = f"expected a number, got {v!r}"
                continue
            try:
                num = float(v)
            except ValueError:
                errors[name] = f"expected a number, got {v!r}"
                continue
            if name in ints:
                if not num.is_integer():
                    errors[name] = f"expected a whole number, got {v!r}"
                    continue
                kw[name] = int(num)
            else:
                kw[name] = num
        for name in ("day_start", "day_end"):
            v = data.get(name)
            if v is None:
                continue
            try:
                kw[name] = _minutes(v)
            except ValueError:
                errors[name] = f"expected a time HH:MM or minutes, got {v!r}"
        if data.get("entries") is not None:
            try:
                kw["entries"] = tuple(_entry(e) for e in data["entries"])
            except (TypeError, ValueError, KeyError) as exc:
                errors["entries"] = f"expected a list of {{name, place, share, profile, mode}}: {exc}"
        if data.get("segments") is not None:
            try:
                kw["segments"] = tuple(_segment(s) for s in data["segments"])
            except (TypeError, ValueError, KeyError) as exc:
                errors["segments"] = f"expected a list of {{name, share, interests, pace, ...}}: {exc}"
        if data.get("fixed_arrivals") is not None:
            try:
                kw["fixed_arrivals"] = tuple(_fixed(f) for f in data["fixed_arrivals"])
            except (TypeError, ValueError, KeyError) as exc:
                errors["fixed_arrivals"] = f"expected a list of [site_id, start, end, count]: {exc}"
        if data.get("area_shares") is not None:
            try:
                kw["area_shares"] = tuple((str(k), float(v)) for k, v in dict(data["area_shares"]).items())
            except (TypeError, ValueError) as exc:
                errors["area_shares"] = f"expected an object of site id: share: {exc}"
        if data.get("measures") is not None:
            try:
                kw["measures"] = Measures.from_dict(data["measures"])
            except RequestValidationError as exc:
                errors.update(exc.errors)
        if data.get("holidays") is not None:
            try:
                kw["holidays"] = {dt.date.fromisoformat(str(k)): str(v) for k, v in data["holidays"].items()}
            except (AttributeError, ValueError) as exc:
                errors["holidays"] = f"expected an object of YYYY-MM-DD: day type: {exc}"
        if errors:
            # Check the fields that did parse too, so every problem is named at once.
            try:
                cls(**{"date": dt.date(2026, 1, 1), **kw})
            except RequestValidationError as exc:
                errors = {**exc.errors, **errors}
            raise RequestValidationError(errors)
        return cls(**kw)


def _minutes(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        return v
    text = str(v).strip()
    if ":" in text:
        h, m = text.split(":")
        return int(h) * 60 + int(m)
    return int(text)


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
        day_end=_minutes(s.get("day_end", 18 * 60 + 30)),
    )


def _fixed(f: Any) -> FixedArrival:
    if isinstance(f, Mapping):
        return FixedArrival(
            str(f["site_id"]), float(_minutes(f["start"])), float(_minutes(f["end"])), int(f["count"])
        )
    sid, a, b, n = f
    return FixedArrival(str(sid), float(_minutes(a)), float(_minutes(b)), int(n))


# ---------------------------------------------------------------------------
# Plans
