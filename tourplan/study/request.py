"""What a school asks for: :class:`StudyTourRequest`, staffing rules, public load."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tourplan._parse import TEXT_MAX, FieldReader, Range, as_int, as_list, fmt_time, parse_time
from tourplan.errors import RequestValidationError
from tourplan.messages import Message, Name
from tourplan.site import GRADES, STUDY_PRODUCTS
from tourplan.study.capacity import _NSLOTS, SLOT_MINUTES
from tourplan.sun import FIRST_DATE, LAST_DATE, plannable

__all__ = [
    "BANDS",
    "DEFAULT_MAX_RIDE",
    "LUNCH_MODES",
    "PublicLoad",
    "STUDY_THEMES",
    "StaffRules",
    "StudyTourRequest",
    "bus_cost_note",
    "default_bus_cost",
]


#: Themes a study tour may ask for.
STUDY_THEMES: tuple[str, ...] = ("science", "history", "nature", "culture", "red", "industry", "taiji")

#: CNY per coach and day when neither the request nor the deployment gives one:
#: an ASSUMPTION (a day's hire of a 45-55 seat coach with driver, fuel and
#: tolls within a prefecture is commonly quoted at 1,200-2,000 CNY in Henan;
#: no official tariff), so a plan never shows a silent 0.  A deployment sets
#: its own with the environment variable ``TOURPLAN_BUS_COST_CNY``.
DEFAULT_BUS_COST_CNY: float = 1500.0
#: Values of :attr:`StudyTourRequest.bus_cost_source`.
BUS_COST_SOURCES: tuple[str, ...] = ("request", "form", "config", "default")


def default_bus_cost(environ: Mapping[str, str] | None = None) -> tuple[float, str]:
    """The bus cost per coach-day to use when a request gives none, and where it comes from.

    Returns ``(cny, source)`` with source ``"config"`` (``TOURPLAN_BUS_COST_CNY``)
    or ``"default"`` (:data:`DEFAULT_BUS_COST_CNY`, an assumption).

    Examples
    --------
    >>> default_bus_cost({})
    (1500.0, 'default')
    >>> default_bus_cost({"TOURPLAN_BUS_COST_CNY": "1800"})
    (1800.0, 'config')
    """
    import os

    env = os.environ if environ is None else environ
    raw = env.get("TOURPLAN_BUS_COST_CNY", "").strip()
    if raw:
        value = float(raw)
        if not LIMITS["bus_cost_cny"].lo <= value <= LIMITS["bus_cost_cny"].hi:
            msg = f"TOURPLAN_BUS_COST_CNY must be a number of CNY from 0 to {LIMITS['bus_cost_cny'].hi:g}, got {raw!r}"
            raise ValueError(msg)
        return value, "config"
    return DEFAULT_BUS_COST_CNY, "default"


def bus_cost_note(req: StudyTourRequest) -> Message:
    """The bus cost per bus-day and where it comes from (never a silent number).

    Examples
    --------
    >>> from tourplan.study.request import StudyTourRequest
    >>> import datetime as dt
    >>> req = StudyTourRequest(school="x", grade="junior", students=40, buses=1, seats=53,
    ...                        date=dt.date(2026, 5, 12), bus_cost_cny=1500, bus_cost_source="default")
    >>> bus_cost_note(req).render("en").split(",")[0]
    '¥1500 per bus and day'
    """
    return Message(f"bus_cost_{req.bus_cost_source}", {"cny": req.bus_cost_cny})


#: Grade bands and their Chinese names.
BANDS: Mapping[str, str] = {"primary": "小学", "junior": "初中", "senior": "高中"}

#: Grade bands in both languages, as the staff form names them.
BAND_NAMES: Mapping[str, Name] = {
    "primary": Name("小学", "primary school"),
    "junior": Name("初中", "junior middle school"),
    "senior": Name("高中", "senior middle school"),
}

#: Grade years that exist in each band, and those in which the 2016 MoE
#: opinion says study trips are usually made.
_YEARS: Mapping[str, range] = {"primary": range(1, 7), "junior": range(1, 4), "senior": range(1, 4)}

_USUAL_YEARS: Mapping[str, range] = {"primary": range(4, 7), "junior": range(1, 3), "senior": range(1, 3)}

#: Longest single bus ride per grade band in minutes: a RULE of this planner
#: (no source gives ride or trip lengths per grade), not a fact.
DEFAULT_MAX_RIDE: Mapping[str, int] = {"primary": 60, "junior": 90, "senior": 120}

#: ``group``: each bus picks a food site; ``together``: one site seats the
#: whole school; ``packed``: no lunch stop (packed lunches).
LUNCH_MODES: tuple[str, ...] = ("group", "together", "packed")


#: Ranges of the numeric request fields (``staff.*``: the StaffRules fields):
#: the one definition the request checks itself against; the web form, the
#: API schema and the CLI read them from here.
LIMITS: Mapping[str, Range] = {
    "students": Range(1, 20_000, "students", integer=True),
    "buses": Range(1, 500, "buses", integer=True),
    "seats": Range(5, 100, "seats per bus", integer=True),
    "group_size": Range(1, 100, "students per group", integer=True),
    "groups": Range(1, 500, "groups", integer=True),
    "max_ride_minutes": Range(5, 600, "minutes", integer=True),
    "max_stops": Range(1, 10, "stops", integer=True),
    "boarding_minutes": Range(0, 60, "minutes", integer=True),
    "max_groups_per_site": Range(1, 500, "groups", integer=True),
    "student_ticket_factor": Range(0, 1),
    "bus_cost_cny": Range(0, 1_000_000, "CNY per bus-day"),
    "time_limit": Range(0.01, 30, "seconds per bus"),
    "improve_rounds": Range(0, 20, integer=True),
    "bound_seconds": Range(0.01, 60, "seconds for the value's upper bound"),
    "staff.students_per_teacher": Range(1, 200, integer=True),
    "staff.tutors_per_group": Range(0, 10, integer=True),
    "staff.guides_per_group": Range(0, 10, integer=True),
    "staff.safety_officers": Range(1, 20, integer=True),
    "staff.project_leaders": Range(0, 10, integer=True),
}


#: The staff roles of a study tour (``StaffLine.role``), named in both languages.
STAFF_ROLES: dict[str, Name] = {
    "teachers": Name("带队教师", "Accompanying teachers"),
    "organiser_representative": Name("主办方代表", "School representative"),
    "tutors": Name("研学导师", "Study tutors"),
    "guides": Name("导游", "Guides"),
    "safety_officers": Name("安全员", "Safety officers"),
    "project_leaders": Name("项目负责人", "Project leaders"),
}


@dataclass(frozen=True, slots=True)
class StaffRules:
    """Staffing rules (commonly quoted from LB/T 054; unverified, so configurable).

    Attributes
    ----------
    students_per_teacher
        One accompanying teacher per this many students (per group, rounded up).
    tutors_per_group
        研学导师 per group.
    guides_per_group
        Guides (导游/讲解员) per group.
    safety_officers
        Safety officers for the whole activity (at least one).
    project_leaders
        Contractor's project leaders for the whole activity.
    """

    students_per_teacher: int = 20
    tutors_per_group: int = 1
    guides_per_group: int = 1
    safety_officers: int = 1
    project_leaders: int = 1

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        for f in dataclasses.fields(self):
            more = " (at least one safety officer)" if f.name == "safety_officers" else ""
            LIMITS[f"staff.{f.name}"].check(getattr(self, f.name), errors, f"staff.{f.name}", more)
        if errors:
            raise RequestValidationError(errors)


@dataclass(frozen=True)
class PublicLoad:
    """Expected public visitors per site and time slot (e.g. from :mod:`tourplan.flow`).

    Attributes
    ----------
    counts
        ``site_id -> visitors present`` in each slot, slot 0 starting at ``day_start``.
    slot_minutes
        Length of one slot in minutes.
    day_start
        Start of slot 0, minutes after midnight.
    """

    counts: Mapping[str, Sequence[float]]
    slot_minutes: int = 15
    day_start: int = 0

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        clean: dict[str, tuple[float, ...]] = {}
        for sid, seq in dict(self.counts).items():
            try:
                vals = tuple(float(x) for x in seq)
            except (TypeError, ValueError):
                errors["public_load"] = f"{sid}: expected a list of visitor counts, got {seq!r}"
                continue
            if any(not (math.isfinite(x) and x >= 0) for x in vals):
                errors["public_load"] = f"{sid}: expected finite counts >= 0"
                continue
            clean[str(sid)] = vals
        if not 1 <= self.slot_minutes <= 24 * 60:
            errors["public_load.slot_minutes"] = f"expected 1 to 1440, got {self.slot_minutes!r}"
        if not 0 <= self.day_start < 24 * 60:
            errors["public_load.day_start"] = f"expected 00:00 to 23:59, got {self.day_start!r}"
        if errors:
            raise RequestValidationError(errors)
        object.__setattr__(self, "counts", clean)

    def per_slot(self, site_id: str) -> npt.NDArray[np.float64]:
        """Visitors in each of the day's 15-minute slots (the maximum over overlapping input slots)."""
        out = np.zeros(_NSLOTS)
        vals = self.counts.get(site_id)
        if not vals:
            return out
        for j, v in enumerate(vals):
            a = self.day_start + j * self.slot_minutes
            b = a + self.slot_minutes
            if b <= 0 or a >= 24 * 60:
                continue
            k0 = max(0, a // SLOT_MINUTES)
            k1 = min(_NSLOTS - 1, (b - 1) // SLOT_MINUTES)
            out[k0 : k1 + 1] = np.maximum(out[k0 : k1 + 1], v)
        return out


@dataclass(frozen=True)
class StudyTourRequest:
    """What a school asks for.

    Times are minutes after midnight (see :func:`tourplan._parse.parse_time`).
    Give either ``group_size`` (students per class) or ``groups`` (number of
    groups); students are split as evenly as possible.  ``start``/``end`` are
    a site id (a station, say), ``"lat,lon"`` (the school, WGS-84) or a site
    name.

    Examples
    --------
    >>> r = StudyTourRequest.from_dict({"school": "焦作一中", "grade": "junior", "students": 80,
    ...                                 "buses": 2, "seats": 53, "date": "2026-05-12"})
    >>> r.n_groups, r.group_students
    (2, (40, 40))
    """

    school: str
    grade: str
    students: int
    date: dt.date
    buses: int
    seats: int
    group_size: int | None = 40
    groups: int | None = None
    grade_years: tuple[int, ...] = ()
    day_start: int = 8 * 60 + 30
    day_end: int = 17 * 60
    start: str = "jiaozuo_station"
    end: str | None = None
    themes: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    lunch: str = "group"
    lunch_site: str | None = None
    max_ride_minutes: int | None = None
    staff: StaffRules = field(default_factory=StaffRules)
    staff_on_buses: bool = True
    max_stops: int = 4
    boarding_minutes: int = 10
    max_groups_per_site: int | None = None
    student_ticket_factor: float = 1.0
    bus_cost_cny: float = 0.0
    #: Where ``bus_cost_cny`` comes from: ``request`` (given by the caller),
    #: ``form`` (typed on the staff form), ``config`` (``TOURPLAN_BUS_COST_CNY``)
    #: or ``default`` (:data:`DEFAULT_BUS_COST_CNY`, an assumption).
    bus_cost_source: str = "request"
    public_load: PublicLoad | None = None
    time_limit: float = 0.05
    improve_rounds: int = 2
    bound_seconds: float = 10.0

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.school, str) or not self.school.strip() or len(self.school) > TEXT_MAX:
            errors["school"] = f"expected a name of 1 to {TEXT_MAX} characters, got {self.school!r}"
        if self.grade not in GRADES:
            errors["grade"] = f"expected one of {', '.join(GRADES)} (小学/初中/高中), got {self.grade!r}"
        elif self.grade_years:
            bad = [y for y in self.grade_years if y not in _YEARS[self.grade]]
            if bad:
                r = _YEARS[self.grade]
                errors["grade_years"] = (
                    f"expected grade years {r.start} to {r.stop - 1} for {self.grade}, got {bad}"
                )
        LIMITS["students"].check(self.students, errors, "students")
        if not isinstance(self.date, dt.date):
            errors["date"] = f"expected a date YYYY-MM-DD, got {self.date!r}"
        elif not plannable(self.date):
            errors["date"] = f"expected a date from {FIRST_DATE} to {LAST_DATE}, got {self.date}"
        LIMITS["buses"].check(self.buses, errors, "buses")
        LIMITS["seats"].check(self.seats, errors, "seats")
        if (self.group_size is None) == (self.groups is None):
            errors["group_size"] = "give exactly one of group_size (students per group) and groups (how many)"
        elif self.group_size is not None:
            LIMITS["group_size"].check(self.group_size, errors, "group_size")
        elif self.groups not in LIMITS["groups"] or (
            isinstance(self.students, int) and self.groups is not None and self.groups > self.students
        ):
            errors["groups"] = f"{LIMITS['groups'].expected()}, at most one per student, got {self.groups!r}"
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            errors["day_end"] = (
                f"the day must end after it starts (start {fmt_time(self.day_start)}, end {fmt_time(self.day_end)})"
            )
        for name in ("start", "end", "lunch_site"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v.strip() or len(v) > TEXT_MAX):
                errors[name] = f"expected text of 1 to {TEXT_MAX} characters, got {v!r}"
        bad_t = [t for t in self.themes if t not in STUDY_THEMES]
        if bad_t:
            errors["themes"] = (
                f"unknown theme(s) {', '.join(map(repr, bad_t))}; expected some of {', '.join(STUDY_THEMES)}"
            )
        bad_p = [p for p in self.products if p not in STUDY_PRODUCTS]
        if bad_p:
            errors["products"] = (
                f"unknown product type(s) {', '.join(map(repr, bad_p))}; expected some of {', '.join(STUDY_PRODUCTS)}"
            )
        both = sorted(set(self.require) & set(self.exclude))
        if both:
            errors["require"] = f"{', '.join(both)} is both required and excluded"
        if self.lunch not in LUNCH_MODES:
            errors["lunch"] = f"expected one of {', '.join(LUNCH_MODES)}, got {self.lunch!r}"
        elif self.lunch == "packed" and self.lunch_site is not None:
            errors["lunch_site"] = "a lunch site was given but lunch is 'packed'"
        for name in ("max_ride_minutes", "max_groups_per_site"):
            if getattr(self, name) is not None:
                LIMITS[name].check(
                    getattr(self, name), errors, name, " or none" if name == "max_groups_per_site" else ""
                )
        if not isinstance(self.staff, StaffRules):
            errors["staff"] = f"expected StaffRules, got {self.staff!r}"
        for name in ("max_stops", "boarding_minutes", "student_ticket_factor", "bus_cost_cny"):
            LIMITS[name].check(getattr(self, name), errors, name)
        if self.public_load is not None and not isinstance(self.public_load, PublicLoad):
            errors["public_load"] = f"expected PublicLoad, got {type(self.public_load).__name__}"
        LIMITS["time_limit"].check(self.time_limit, errors, "time_limit")
        LIMITS["improve_rounds"].check(self.improve_rounds, errors, "improve_rounds")
        LIMITS["bound_seconds"].check(self.bound_seconds, errors, "bound_seconds")
        if errors:
            raise RequestValidationError(errors)

    @property
    def band_zh(self) -> str:
        """小学, 初中 or 高中."""
        return BANDS[self.grade]

    @property
    def band(self) -> Name:
        """The grade band in both languages (for messages)."""
        return BAND_NAMES[self.grade]

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        if self.groups is not None:
            return self.groups
        assert self.group_size is not None  # noqa: S101 - checked in __post_init__
        return -(-self.students // self.group_size)

    @property
    def group_students(self) -> tuple[int, ...]:
        """Students per group, split as evenly as possible (larger groups first)."""
        n = self.n_groups
        base, extra = divmod(self.students, n)
        return tuple(base + (1 if k < extra else 0) for k in range(n))

    @property
    def ride_limit(self) -> int:
        """Longest single bus ride in minutes (the request's, or the band's rule)."""
        return self.max_ride_minutes if self.max_ride_minutes is not None else DEFAULT_MAX_RIDE[self.grade]

    @property
    def wanted_themes(self) -> tuple[str, ...]:
        """The requested themes, or all study themes when none were given."""
        return self.themes or STUDY_THEMES

    def replace(self, **changes: Any) -> StudyTourRequest:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyTourRequest:
        """Build a request from JSON-like values (strings for dates, times and lists).

        Raises
        ------
        RequestValidationError
            Naming every bad field.
        """
        r = FieldReader(data, known={f.name for f in dataclasses.fields(cls)})
        r.require("school", "grade", "students", "buses", "seats")
        for name in ("school", "grade", "start", "end", "lunch", "lunch_site", "bus_cost_source"):
            r.text(name)
        if data.get("bus_cost_source") is not None and data["bus_cost_source"] not in BUS_COST_SOURCES:
            r.errors["bus_cost_source"] = f"expected one of {', '.join(BUS_COST_SOURCES)}"
        r.date("date", required=True)
        for name in ("day_start", "day_end"):
            r.time(name)
        for name in ("students", "buses", "seats", "max_stops", "boarding_minutes", "improve_rounds"):
            r.whole(name)
        for name in ("group_size", "groups", "max_ride_minutes", "max_groups_per_site"):
            r.whole(name, nullable=True)
        for name in ("student_ticket_factor", "bus_cost_cny", "time_limit", "bound_seconds"):
            r.number(name)
        if data.get("groups") is not None and "group_size" not in data:
            r.values["group_size"] = None
        for name in ("themes", "products", "require", "exclude"):
            r.items(name)
        r.flag("staff_on_buses")
        if data.get("grade_years") is not None:
            items = as_list(data["grade_years"])
            years = [as_int(y) for y in items] if items is not None else [None]
            if any(y is None for y in years):
                r.errors["grade_years"] = f"expected a list of whole numbers, got {data['grade_years']!r}"
            else:
                r.values["grade_years"] = tuple(y for y in years if y is not None)
        if data.get("staff") is not None:
            v = data["staff"]
            names = {f.name for f in dataclasses.fields(StaffRules)}
            if not isinstance(v, Mapping) or set(v) - names:
                r.errors["staff"] = f"expected an object with keys from {', '.join(sorted(names))}"
            else:
                vals = {k: as_int(x) for k, x in v.items()}
                bad = [k for k, x in vals.items() if x is None]
                if bad:
                    r.errors["staff"] = f"expected whole numbers for {', '.join(bad)}"
                else:
                    try:
                        r.values["staff"] = StaffRules(**vals)  # type: ignore[arg-type]
                    except RequestValidationError as exc:
                        r.errors.update(exc.errors)
        if data.get("public_load") is not None:
            try:
                r.values["public_load"] = _public_load(data["public_load"])
            except RequestValidationError as exc:
                r.errors.update(exc.errors)
        placeholders = {
            "school": "-",
            "grade": "junior",
            "students": 1,
            "date": FIRST_DATE,
            "buses": 1,
            "seats": 53,
        }
        if data.get("bus_cost_cny") is None:  # never a silent 0: the configured or documented default
            r.values["bus_cost_cny"], r.values["bus_cost_source"] = default_bus_cost()
        return r.build(cls, placeholders)


def _public_load(v: object) -> PublicLoad:
    if isinstance(v, PublicLoad):
        return v
    if not isinstance(v, Mapping):
        raise RequestValidationError({"public_load": "expected an object {counts, slot_minutes, day_start}"})
    counts = v.get("counts", v if "counts" not in v else None)
    if not isinstance(counts, Mapping):
        raise RequestValidationError({"public_load": "expected counts: {site_id: [visitors per slot]}"})
    slot = as_int(v.get("slot_minutes", 15))
    start_raw = v.get("day_start", 0)
    start = parse_time(start_raw, "public_load.day_start")
    if slot is None:
        raise RequestValidationError(
            {"public_load.slot_minutes": f"expected minutes, got {v.get('slot_minutes')!r}"}
        )
    return PublicLoad(counts=dict(counts), slot_minutes=slot, day_start=start)
