"""Study tours (研学旅行): several school groups planned together for one day.

A school sends several classes at once, and the district hosts several
schools a day.  :func:`plan_study_tour` turns a :class:`StudyTourRequest`
into a :class:`StudyTourPlan`:

1. Students are split into groups (classes), each with its teachers, one
   研学导师 and one guide; the groups are packed onto the buses (a bus carries
   whole groups, so all groups on one bus share one timetable).
2. Every bus is one route of a team orienteering problem with time windows,
   solved by :func:`tourplan.optimize.solve` bus by bus against the load the
   other buses (and the expected public, when a flow forecast is given) put on
   each site: the visit windows of a site lose every time where the bus's
   people would push it over its instantaneous capacity ``capacity_instant``
   (LB/T 034-2014's C0) in some 15-minute slot.  Buses are placed one after the
   other (largest first), then re-planned in turn against the others while
   that improves them; the load per site and slot lives in a numpy array.
3. The result lists per group a timetable with what the group learns at each
   stop, per bus a run sheet, per site its visit schedule, the staff needed
   (with the rule each number comes from), tickets and costs, and warnings.

Rules, not facts
----------------
Several numbers here are planning rules a user can change, not facts the
sources confirm (see ``shared/reference/domain.md`` section 2):

* one accompanying teacher per 20 students, at least one safety officer, one
  project leader, and one 研学导师 and one guide per group are *commonly quoted*
  from LB/T 054-2016 《研学旅行服务规范》 (replaced by LB/T 054-2025
  《研学旅游服务要求》) but were not verified against the clause text;
* the longest bus ride per grade band (小学 60, 初中 90, 高中 120 minutes) is
  this planner's rule; no source gives trip lengths per grade;
* the 2016 MoE opinion (教基一〔2016〕8号) says trips are *usually* made in
  primary grades 4-6, junior and senior grades 1-2 (a warning, not an error);
* capacity_instant comes from the site table (LB/T 034-2014's C0 where a site
  published it, estimates otherwise: see each row's ``source``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tourplan._parse import parse_date
from tourplan.data import GRADES, STUDY_PRODUCTS, Site, SiteTable
from tourplan.errors import InfeasibleRequestError, RequestValidationError, SolverError
from tourplan.hours import open_intervals
from tourplan.itinerary import (
    LUNCH_EARLIEST,
    LUNCH_LATEST_END,
    LUNCH_LATEST_START,
    LUNCH_MINUTES,
    Place,
    _is_outdoor_mountain,
    fmt_time,
    parse_time,
    resolve_place,
)
from tourplan.limits import checkpoint
from tourplan.optimize import Problem, Route, Solution, SolveParams, VisitGroup, solve
from tourplan.optimize.polish import polish
from tourplan.optimize.solve import warm_up
from tourplan.sun import FIRST_DATE, LAST_DATE, daylight, plannable

if TYPE_CHECKING:
    from tourplan.graph import SiteGraph
    from tourplan.maps import StudyGroupLayer

__all__ = [
    "BANDS",
    "DEFAULT_MAX_RIDE",
    "LUNCH_MODES",
    "SLOT_MINUTES",
    "STUDY_THEMES",
    "BusRun",
    "GroupPlan",
    "GroupStop",
    "PublicLoad",
    "RunEvent",
    "SiteSchedule",
    "SiteVisit",
    "StaffLine",
    "StaffRules",
    "StudyTourPlan",
    "StudyTourRequest",
    "group_value_bound",
    "plan_study_tour",
    "render_print_html",
    "study_layers",
    "study_map",
]

#: Themes a study tour may ask for.
STUDY_THEMES: tuple[str, ...] = ("science", "history", "nature", "culture", "red", "industry", "taiji")
#: Grade bands and their Chinese names.
BANDS: Mapping[str, str] = {"primary": "小学", "junior": "初中", "senior": "高中"}
#: Grade years that exist in each band, and those in which the 2016 MoE
#: opinion says study trips are usually made.
_YEARS: Mapping[str, range] = {"primary": range(1, 7), "junior": range(1, 4), "senior": range(1, 4)}
_USUAL_YEARS: Mapping[str, range] = {"primary": range(4, 7), "junior": range(1, 3), "senior": range(1, 3)}
#: Longest single bus ride per grade band in minutes: a RULE of this planner
#: (no source gives ride or trip lengths per grade), not a fact.
DEFAULT_MAX_RIDE: Mapping[str, int] = {"primary": 60, "junior": 90, "senior": 120}
#: Length of the capacity time slot (minutes); the day is cut into 96 slots.
SLOT_MINUTES = 15
_NSLOTS = 24 * 60 // SLOT_MINUTES
#: ``group``: each bus picks a food site; ``together``: one site seats the
#: whole school; ``packed``: no lunch stop (packed lunches).
LUNCH_MODES: tuple[str, ...] = ("group", "together", "packed")
#: Diminishing returns: the k-th stop touching one theme counts DECAY**k of it.
DECAY = 0.7
#: Travel mode of the chartered coaches (the graph's ``drive`` parameters).
COACH_MODE = "drive"
#: Engine tuning: the default work budget (80 % of the time limit), run under
#: a clock limit 2.5 times longer (see :func:`_solve_unit`).
_CLOCK_SLACK = 2.5
_REPAIR_ATTEMPTS = 6
_PARAMS = SolveParams(budget_fraction=0.8 / _CLOCK_SLACK)
_BLOCKED = 1.0e6  # travel time of a leg longer than the ride limit
_FOOD = "food"
_NOT_VISITED = frozenset({"transport", "hotel"})


# ---------------------------------------------------------------------------
# Request


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
        if not 1 <= self.students_per_teacher <= 200:
            errors["staff.students_per_teacher"] = f"expected 1 to 200, got {self.students_per_teacher!r}"
        for name in ("tutors_per_group", "guides_per_group", "project_leaders"):
            v = getattr(self, name)
            if not 0 <= v <= 10:
                errors[f"staff.{name}"] = f"expected 0 to 10, got {v!r}"
        if not 1 <= self.safety_officers <= 20:
            errors["staff.safety_officers"] = (
                f"expected 1 to 20 (at least one safety officer), got {self.safety_officers!r}"
            )
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

    Times are minutes after midnight (see :func:`~tourplan.itinerary.parse_time`).
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
    public_load: PublicLoad | None = None
    time_limit: float = 0.05
    improve_rounds: int = 2

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.school, str) or not self.school.strip() or len(self.school) > 200:
            errors["school"] = f"expected a name of 1 to 200 characters, got {self.school!r}"
        if self.grade not in GRADES:
            errors["grade"] = f"expected one of {', '.join(GRADES)} (小学/初中/高中), got {self.grade!r}"
        elif self.grade_years:
            bad = [y for y in self.grade_years if y not in _YEARS[self.grade]]
            if bad:
                r = _YEARS[self.grade]
                errors["grade_years"] = (
                    f"expected grade years {r.start} to {r.stop - 1} for {self.grade}, got {bad}"
                )
        if not _int(self.students) or not 1 <= self.students <= 20_000:
            errors["students"] = f"expected 1 to 20000 students, got {self.students!r}"
        if not isinstance(self.date, dt.date):
            errors["date"] = f"expected a date YYYY-MM-DD, got {self.date!r}"
        elif not plannable(self.date):
            errors["date"] = f"expected a date from {FIRST_DATE} to {LAST_DATE}, got {self.date}"
        if not _int(self.buses) or not 1 <= self.buses <= 500:
            errors["buses"] = f"expected 1 to 500 buses, got {self.buses!r}"
        if not _int(self.seats) or not 5 <= self.seats <= 100:
            errors["seats"] = f"expected 5 to 100 seats per bus, got {self.seats!r}"
        if (self.group_size is None) == (self.groups is None):
            errors["group_size"] = "give exactly one of group_size (students per group) and groups (how many)"
        elif self.group_size is not None and (not _int(self.group_size) or not 1 <= self.group_size <= 100):
            errors["group_size"] = f"expected 1 to 100 students per group, got {self.group_size!r}"
        elif self.groups is not None and (
            not _int(self.groups)
            or not 1 <= self.groups <= 500
            or (_int(self.students) and self.groups > self.students)
        ):
            errors["groups"] = f"expected 1 to 500 groups, at most one per student, got {self.groups!r}"
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            errors["day_end"] = (
                f"the day must end after it starts (start {fmt_time(self.day_start)}, end {fmt_time(self.day_end)})"
            )
        for name in ("start", "end", "lunch_site"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v.strip() or len(v) > 200):
                errors[name] = f"expected text of 1 to 200 characters, got {v!r}"
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
        if self.max_ride_minutes is not None and (
            not _int(self.max_ride_minutes) or not 5 <= self.max_ride_minutes <= 600
        ):
            errors["max_ride_minutes"] = f"expected 5 to 600 minutes, got {self.max_ride_minutes!r}"
        if not isinstance(self.staff, StaffRules):
            errors["staff"] = f"expected StaffRules, got {self.staff!r}"
        if not _int(self.max_stops) or not 1 <= self.max_stops <= 10:
            errors["max_stops"] = f"expected 1 to 10 stops, got {self.max_stops!r}"
        if not _int(self.boarding_minutes) or not 0 <= self.boarding_minutes <= 60:
            errors["boarding_minutes"] = f"expected 0 to 60 minutes, got {self.boarding_minutes!r}"
        if self.max_groups_per_site is not None and (
            not _int(self.max_groups_per_site) or not 1 <= self.max_groups_per_site <= 500
        ):
            errors["max_groups_per_site"] = (
                f"expected 1 to 500 groups or none, got {self.max_groups_per_site!r}"
            )
        if not (math.isfinite(self.student_ticket_factor) and 0 <= self.student_ticket_factor <= 1):
            errors["student_ticket_factor"] = f"expected 0 to 1, got {self.student_ticket_factor!r}"
        if not (math.isfinite(self.bus_cost_cny) and 0 <= self.bus_cost_cny <= 1e6):
            errors["bus_cost_cny"] = f"expected 0 to 1000000 CNY per bus-day, got {self.bus_cost_cny!r}"
        if self.public_load is not None and not isinstance(self.public_load, PublicLoad):
            errors["public_load"] = f"expected PublicLoad, got {type(self.public_load).__name__}"
        if not (math.isfinite(self.time_limit) and 0.01 <= self.time_limit <= 30):
            errors["time_limit"] = f"expected 0.01 to 30 seconds per bus, got {self.time_limit!r}"
        if not _int(self.improve_rounds) or not 0 <= self.improve_rounds <= 20:
            errors["improve_rounds"] = f"expected 0 to 20, got {self.improve_rounds!r}"
        if errors:
            raise RequestValidationError(errors)

    @property
    def band_zh(self) -> str:
        """小学, 初中 or 高中."""
        return BANDS[self.grade]

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
        errors: dict[str, str] = {}
        kw: dict[str, Any] = {}
        known = {f.name for f in dataclasses.fields(cls)}
        for k in data:
            if k not in known:
                errors[k] = "unknown field"
        for name in ("school", "grade", "start", "end", "lunch", "lunch_site"):
            if data.get(name) is not None:
                if not isinstance(data[name], str):
                    errors[name] = f"expected text, got {data[name]!r}"
                else:
                    kw[name] = data[name].strip()
        for name in ("school", "grade", "students", "date", "buses", "seats"):
            if data.get(name) is None:
                errors.setdefault(name, "missing")
        if (day := parse_date(data.get("date"), errors)) is not None:
            kw["date"] = day
        for name in ("day_start", "day_end"):
            if data.get(name) is not None:
                try:
                    kw[name] = parse_time(data[name], name)
                except RequestValidationError as exc:
                    errors.update(exc.errors)
        ints = ("students", "buses", "seats", "group_size", "groups", "max_ride_minutes", "max_stops",
                "boarding_minutes", "max_groups_per_site", "improve_rounds")  # fmt: skip
        for name in ints:
            if name in data:
                v = data[name]
                if v is None:
                    kw[name] = None
                    continue
                n = _as_int(v)
                if n is None:
                    errors[name] = f"expected a whole number, got {v!r}"
                else:
                    kw[name] = n
        for name in ("student_ticket_factor", "bus_cost_cny", "time_limit"):
            if data.get(name) is not None:
                v = data[name]
                try:
                    if isinstance(v, bool):
                        raise ValueError
                    kw[name] = float(v)
                except (TypeError, ValueError):
                    errors[name] = f"expected a number, got {v!r}"
        if "groups" in data and data["groups"] is not None and "group_size" not in data:
            kw["group_size"] = None
        for name in ("themes", "products", "require", "exclude"):
            if data.get(name) is not None:
                items = _as_list(data[name])
                if items is None:
                    errors[name] = f"expected a list of text (or comma-separated text), got {data[name]!r}"
                else:
                    kw[name] = items
        if data.get("grade_years") is not None:
            items = _as_list(data["grade_years"])
            years = [_as_int(y) for y in items] if items is not None else [None]
            if any(y is None for y in years):
                errors["grade_years"] = f"expected a list of whole numbers, got {data['grade_years']!r}"
            else:
                kw["grade_years"] = tuple(y for y in years if y is not None)
        if "staff_on_buses" in data:
            if not isinstance(data["staff_on_buses"], bool):
                errors["staff_on_buses"] = f"expected true or false, got {data['staff_on_buses']!r}"
            else:
                kw["staff_on_buses"] = data["staff_on_buses"]
        if data.get("staff") is not None:
            v = data["staff"]
            names = {f.name for f in dataclasses.fields(StaffRules)}
            if not isinstance(v, Mapping) or set(v) - names:
                errors["staff"] = f"expected an object with keys from {', '.join(sorted(names))}"
            else:
                vals = {k: _as_int(x) for k, x in v.items()}
                bad = [k for k, x in vals.items() if x is None]
                if bad:
                    errors["staff"] = f"expected whole numbers for {', '.join(bad)}"
                else:
                    try:
                        kw["staff"] = StaffRules(**vals)  # type: ignore[arg-type]
                    except RequestValidationError as exc:
                        errors.update(exc.errors)
        if data.get("public_load") is not None:
            v = data["public_load"]
            try:
                kw["public_load"] = _public_load(v)
            except RequestValidationError as exc:
                errors.update(exc.errors)
        if errors:
            # Check the good fields too, with placeholders for the bad ones, so
            # that every problem is reported at once.
            filler: dict[str, Any] = {
                "school": "-", "grade": "junior", "students": 1, "date": dt.date(2026, 1, 1), "buses": 1, "seats": 53,
            }  # fmt: skip
            trial = {**filler, **{k: v for k, v in kw.items() if k not in errors}}
            try:
                cls(**trial)
            except RequestValidationError as exc:
                errors.update({k: v for k, v in exc.errors.items() if k not in errors})
            except TypeError:  # pragma: no cover - an unknown field already reported
                pass
            raise RequestValidationError(errors)
        return cls(**kw)


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _as_int(v: object) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v.strip())
    return None


def _as_list(v: object) -> tuple[str, ...] | None:
    if isinstance(v, str):
        return tuple(x.strip() for x in v.split(",") if x.strip())
    if isinstance(v, list | tuple) and all(isinstance(x, str | int) and not isinstance(x, bool) for x in v):
        return tuple(str(x).strip() for x in v if str(x).strip())
    return None


def _public_load(v: object) -> PublicLoad:
    if isinstance(v, PublicLoad):
        return v
    if not isinstance(v, Mapping):
        raise RequestValidationError({"public_load": "expected an object {counts, slot_minutes, day_start}"})
    counts = v.get("counts", v if "counts" not in v else None)
    if not isinstance(counts, Mapping):
        raise RequestValidationError({"public_load": "expected counts: {site_id: [visitors per slot]}"})
    slot = _as_int(v.get("slot_minutes", 15))
    start_raw = v.get("day_start", 0)
    start = parse_time(start_raw, "public_load.day_start")
    if slot is None:
        raise RequestValidationError(
            {"public_load.slot_minutes": f"expected minutes, got {v.get('slot_minutes')!r}"}
        )
    return PublicLoad(counts=dict(counts), slot_minutes=slot, day_start=start)


# ---------------------------------------------------------------------------
# Result


@dataclass(frozen=True, slots=True)
class GroupStop:
    """One stop of a group's day."""

    site_id: str
    name_zh: str
    name_en: str
    lat: float
    lon: float
    arrive: int
    start: int
    end: int
    learn: str
    themes: tuple[str, ...]
    ticket_per_person_cny: float
    ticket_cny: float
    is_lunch: bool = False
    value: float = 0.0

    @property
    def wait(self) -> int:
        """Minutes waited (on the bus or in the car park) before the visit starts."""
        return self.start - self.arrive


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """One group (a class) and its day."""

    id: str
    label: str
    students: int
    teachers: int
    tutors: int
    guides: int
    other_staff: int
    bus: str
    depart: int
    back: int
    stops: tuple[GroupStop, ...]
    value: float
    tickets_cny: float

    @property
    def people(self) -> int:
        """Everyone who travels and visits with the group."""
        return self.students + self.teachers + self.tutors + self.guides + self.other_staff

    @property
    def has_lunch(self) -> bool:
        """Whether the day has a lunch stop."""
        return any(s.is_lunch for s in self.stops)


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One line of a bus run sheet."""

    time: int
    place: str
    site_id: str | None
    action: str


@dataclass(frozen=True, slots=True)
class BusRun:
    """A bus, the groups it carries and its run sheet."""

    id: str
    seats: int
    groups: tuple[str, ...]
    people: int
    run: tuple[RunEvent, ...]


@dataclass(frozen=True, slots=True)
class SiteVisit:
    """One group's visit in a site's schedule."""

    group: str
    bus: str
    start: int
    end: int
    people: int


@dataclass(frozen=True, slots=True)
class SiteSchedule:
    """Who is at one site when, and the peak load per 15-minute slot."""

    site_id: str
    name_zh: str
    name_en: str
    capacity_instant: int
    visits: tuple[SiteVisit, ...]
    peak_load: float
    peak_slot: int


@dataclass(frozen=True, slots=True)
class StaffLine:
    """How many of one role are needed, and the rule behind the number."""

    role: str
    role_zh: str
    count: int
    rule: str


@dataclass(frozen=True)
class StudyTourPlan:
    """The planned study tour.

    Attributes
    ----------
    value
        Total study value (sum over groups, diminishing returns per theme).
    value_bound
        Sum over groups of the value of the bus's plan made alone (no other
        buses on the sites): the reference the joint plan is compared with.
    """

    request: StudyTourRequest
    start: Place
    end: Place
    groups: tuple[GroupPlan, ...]
    buses: tuple[BusRun, ...]
    sites: tuple[SiteSchedule, ...]
    staff: tuple[StaffLine, ...]
    tickets_cny: float
    bus_cost_cny: float
    value: float
    value_bound: float
    warnings: tuple[str, ...]
    rules: tuple[str, ...]
    slot_minutes: int = SLOT_MINUTES

    @property
    def total_cost_cny(self) -> float:
        """Tickets plus buses."""
        return self.tickets_cny + self.bus_cost_cny

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ``HH:MM``)."""
        req = self.request
        return {
            "school": req.school,
            "grade": req.grade,
            "grade_zh": req.band_zh,
            "date": req.date.isoformat(),
            "students": req.students,
            "start": dataclasses.asdict(self.start),
            "end": dataclasses.asdict(self.end),
            "day_start": fmt_time(req.day_start),
            "day_end": fmt_time(req.day_end),
            "themes": list(req.wanted_themes),
            "products": list(req.products),
            "groups": [
                {
                    "id": g.id,
                    "label": g.label,
                    "students": g.students,
                    "teachers": g.teachers,
                    "tutors": g.tutors,
                    "guides": g.guides,
                    "other_staff": g.other_staff,
                    "people": g.people,
                    "bus": g.bus,
                    "depart": fmt_time(g.depart),
                    "back": fmt_time(g.back),
                    "value": round(g.value, 3),
                    "tickets_cny": round(g.tickets_cny, 2),
                    "stops": [
                        {
                            "site_id": s.site_id,
                            "name_zh": s.name_zh,
                            "name_en": s.name_en,
                            "arrive": fmt_time(s.arrive),
                            "start": fmt_time(s.start),
                            "end": fmt_time(s.end),
                            "wait_minutes": s.wait,
                            "lunch": s.is_lunch,
                            "learn": s.learn,
                            "themes": list(s.themes),
                            "ticket_per_person_cny": s.ticket_per_person_cny,
                            "ticket_cny": round(s.ticket_cny, 2),
                            "lat": s.lat,
                            "lon": s.lon,
                            "value": round(s.value, 3),
                        }
                        for s in g.stops
                    ],
                }
                for g in self.groups
            ],
            "buses": [
                {
                    "id": b.id,
                    "seats": b.seats,
                    "groups": list(b.groups),
                    "people": b.people,
                    "run": [
                        {"time": fmt_time(e.time), "place": e.place, "site_id": e.site_id, "action": e.action}
                        for e in b.run
                    ],
                }
                for b in self.buses
            ],
            "sites": [
                {
                    "site_id": s.site_id,
                    "name_zh": s.name_zh,
                    "name_en": s.name_en,
                    "capacity_instant": s.capacity_instant,
                    "peak_load": round(s.peak_load, 1),
                    "peak_slot": fmt_time(s.peak_slot * SLOT_MINUTES),
                    "visits": [
                        {
                            "group": v.group,
                            "bus": v.bus,
                            "start": fmt_time(v.start),
                            "end": fmt_time(v.end),
                            "people": v.people,
                        }
                        for v in s.visits
                    ],
                }
                for s in self.sites
            ],
            "staff": {
                line.role: {"count": line.count, "role_zh": line.role_zh, "rule": line.rule}
                for line in self.staff
            },
            "costs": {
                "tickets_cny": round(self.tickets_cny, 2),
                "bus_cny": round(self.bus_cost_cny, 2),
                "total_cny": round(self.total_cost_cny, 2),
            },
            "value": round(self.value, 3),
            "value_bound": round(self.value_bound, 3),
            "slot_minutes": self.slot_minutes,
            "warnings": list(self.warnings),
            "rules": list(self.rules),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], request: StudyTourRequest) -> StudyTourPlan:
        """Rebuild a plan from its :meth:`to_dict` form and the request it was made for.

        A saved plan prints and exports as it was saved: nothing is planned
        again, so new data or a newer planner never changes a saved plan.

        Raises
        ------
        RequestValidationError
            When ``data`` is not a complete ``to_dict()`` form (for example a
            plan saved before stops carried their coordinates).
        """
        try:
            return cls._from_dict(data, request)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, RequestValidationError):
                raise
            raise RequestValidationError({"result": f"not a saved study-tour plan: {exc!r}"}) from exc

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any], request: StudyTourRequest) -> StudyTourPlan:
        def t(value: Any, name: str) -> int:
            return parse_time(str(value), name)

        groups = tuple(
            GroupPlan(
                id=str(g["id"]),
                label=str(g["label"]),
                students=int(g["students"]),
                teachers=int(g["teachers"]),
                tutors=int(g["tutors"]),
                guides=int(g["guides"]),
                other_staff=int(g["other_staff"]),
                bus=str(g["bus"]),
                depart=t(g["depart"], "depart"),
                back=t(g["back"], "back"),
                stops=tuple(
                    GroupStop(
                        site_id=str(x["site_id"]),
                        name_zh=str(x["name_zh"]),
                        name_en=str(x["name_en"]),
                        lat=float(x["lat"]),
                        lon=float(x["lon"]),
                        arrive=t(x["arrive"], "arrive"),
                        start=t(x["start"], "start"),
                        end=t(x["end"], "end"),
                        learn=str(x["learn"]),
                        themes=tuple(str(v) for v in x["themes"]),
                        ticket_per_person_cny=float(x["ticket_per_person_cny"]),
                        ticket_cny=float(x["ticket_cny"]),
                        is_lunch=bool(x["lunch"]),
                        value=float(x.get("value", 0.0)),
                    )
                    for x in g["stops"]
                ),
                value=float(g["value"]),
                tickets_cny=float(g["tickets_cny"]),
            )
            for g in data["groups"]
        )
        buses = tuple(
            BusRun(
                id=str(b["id"]),
                seats=int(b["seats"]),
                groups=tuple(str(v) for v in b["groups"]),
                people=int(b["people"]),
                run=tuple(
                    RunEvent(t(e["time"], "time"), str(e["place"]), e["site_id"], str(e["action"])) for e in b["run"]
                ),
            )
            for b in data["buses"]
        )
        slot = int(data.get("slot_minutes", SLOT_MINUTES))
        sites = tuple(
            SiteSchedule(
                site_id=str(x["site_id"]),
                name_zh=str(x["name_zh"]),
                name_en=str(x["name_en"]),
                capacity_instant=int(x["capacity_instant"]),
                visits=tuple(
                    SiteVisit(str(v["group"]), str(v["bus"]), t(v["start"], "start"), t(v["end"], "end"), int(v["people"]))
                    for v in x["visits"]
                ),
                peak_load=float(x["peak_load"]),
                peak_slot=t(x["peak_slot"], "peak_slot") // slot,
            )
            for x in data["sites"]
        )
        staff = tuple(
            StaffLine(role=str(role), role_zh=str(v["role_zh"]), count=int(v["count"]), rule=str(v["rule"]))
            for role, v in data["staff"].items()
        )
        costs = data["costs"]
        return cls(
            request=request,
            start=Place(**data["start"]),
            end=Place(**data["end"]),
            groups=groups,
            buses=buses,
            sites=sites,
            staff=staff,
            tickets_cny=float(costs["tickets_cny"]),
            bus_cost_cny=float(costs["bus_cny"]),
            value=float(data["value"]),
            value_bound=float(data["value_bound"]),
            warnings=tuple(str(w) for w in data["warnings"]),
            rules=tuple(str(r) for r in data["rules"]),
            slot_minutes=slot,
        )

    def summary(self) -> str:
        """Plain-text timetables, one block per bus."""
        req = self.request
        lines = [
            f"{req.school} · {req.band_zh} ({req.grade}) · {req.students} students · {req.date.isoformat()}",
            f"{len(self.groups)} groups on {len(self.buses)} buses; start {self.start.name}; "
            f"value {self.value:.1f} (each bus planned alone: {self.value_bound:.1f})",
        ]
        by_bus: dict[str, list[GroupPlan]] = {}
        for g in self.groups:
            by_bus.setdefault(g.bus, []).append(g)
        for b in self.buses:
            gs = by_bus.get(b.id, [])
            lines.append("")
            lines.append(
                f"Bus {b.id} ({b.people}/{b.seats} seats): "
                + ", ".join(f"{g.label} ({g.students} students)" for g in gs)
            )
            if gs:
                g = gs[0]
                lines.append(f"  {fmt_time(g.depart)}  depart {self.start.name}")
                for s in g.stops:
                    wait = f" (wait {s.wait} min)" if s.wait else ""
                    tag = "午餐 lunch" if s.is_lunch else s.learn
                    lines.append(
                        f"  {fmt_time(s.start)}-{fmt_time(s.end)}  {s.name_zh} {s.name_en}{wait}: {tag}"
                    )
                lines.append(f"  {fmt_time(g.back)}  back at {self.end.name}")
        lines.append("")
        lines.append("Staff: " + "; ".join(f"{s.role_zh} {s.role} {s.count}" for s in self.staff))
        lines.append(
            f"Costs: tickets {self.tickets_cny:.0f} CNY, buses {self.bus_cost_cny:.0f} CNY, "
            f"total {self.total_cost_cny:.0f} CNY"
        )
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class _Group:
    index: int
    students: int
    teachers: int
    tutors: int
    guides: int

    @property
    def people(self) -> int:
        return self.students + self.teachers + self.tutors + self.guides

    @property
    def id(self) -> str:
        return f"G{self.index + 1}"


@dataclass
class _Unit:
    """A bus and the groups on it: one route."""

    bus: int
    groups: list[_Group]
    floaters: int = 0

    @property
    def people(self) -> int:
        return sum(g.people for g in self.groups) + self.floaters

    @property
    def id(self) -> str:
        return f"B{self.bus + 1}"


@dataclass
class _Ctx:
    req: StudyTourRequest
    start: Place
    end: Place
    nodes: list[str]
    site_of: list[Site | None]
    travel: npt.NDArray[np.float64]
    ride: npt.NDArray[np.float64]
    service: npt.NDArray[np.float64]
    scores: npt.NDArray[np.float64]
    base_windows: list[tuple[tuple[float, float], ...]]
    cap: npt.NDArray[np.float64]
    public: npt.NDArray[np.float64]
    lunch_nodes: frozenset[int]
    mandatory: frozenset[int]
    vgroups: tuple[VisitGroup, ...]
    lunch_on: bool
    warnings: list[str]
    s0: int
    e0: int


@dataclass
class _Result:
    route: tuple[int, ...]
    starts: tuple[int, ...]
    arrives: tuple[int, ...]
    value: float
    missing: frozenset[int]
    lunch_ok: bool

    def key(self) -> tuple[int, int, float]:
        return (-len(self.missing), int(self.lunch_ok), round(self.value, 9))


def _site_value(s: Site, req: StudyTourRequest, seen: Mapping[str, int] | None = None) -> float:
    """Study value of one visit: theme fit x product fit x grade fit x popularity.

    With ``seen`` (stops per theme so far), each theme counts DECAY**seen of
    itself: diminishing returns that balance the requested themes.
    """
    wanted = req.wanted_themes
    seen = seen or {}
    hits = sorted((DECAY ** seen.get(t, 0) for t in s.themes if t in wanted), reverse=True)
    theme = min(1.5, hits[0] + 0.25 * sum(hits[1:])) if hits else 0.1
    product = 1.0 if not req.products or s.study_products & set(req.products) else 0.5
    grade = 1.0 if req.grade in s.study_grades else 0.5
    return float(s.popularity * theme * product * grade)


def _day_value(visited: Sequence[Site], req: StudyTourRequest) -> tuple[float, list[float]]:
    """Study value of a day's visits and of each visit (in visit order).

    Diminishing returns are a property of the set, not of the order: the sites
    are credited from the most valuable down (ties by visit order), so the
    best site touching a theme counts in full, the next ``DECAY`` of it, and
    so on, whichever of them the bus happens to reach first.
    """
    seen: dict[str, int] = {}
    per = [0.0] * len(visited)
    for i in sorted(range(len(visited)), key=lambda i: (-_site_value(visited[i], req), i)):
        s = visited[i]
        per[i] = _site_value(s, req, seen)
        for t in s.themes:
            if t in req.wanted_themes:
                seen[t] = seen.get(t, 0) + 1
    return sum(per), per


def _lunch_applies(req: StudyTourRequest) -> bool:
    return req.lunch != "packed" and req.day_start <= LUNCH_EARLIEST and req.day_end >= LUNCH_LATEST_END + 30


def _lunch_open(s: Site, day: dt.date) -> bool:
    return any(
        a <= LUNCH_LATEST_START and b >= LUNCH_EARLIEST + LUNCH_MINUTES
        for a, b in open_intervals(s.opening_hours, day)
    )


def _open_windows(
    s: Site, req: StudyTourRequest, service: int, sunset: int, lunch: bool
) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    for a, b in open_intervals(s.opening_hours, req.date):
        close = min(b, sunset) if _is_outdoor_mountain(s) else b
        lo, hi = max(a, req.day_start), close - service
        if lunch:
            lo, hi = max(lo, LUNCH_EARLIEST), min(hi, LUNCH_LATEST_START)
        if hi >= lo:
            out.append((float(lo), float(hi)))
    return tuple(out)


def _intersect(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]
) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _free_windows(free: npt.NDArray[np.bool_], service: int) -> list[tuple[float, float]]:
    """Start times at which a visit of ``service`` minutes stays in free slots.

    A visit ``[t, t + service)`` occupies every 15-minute slot it overlaps.
    Starting at ``15a + x`` with ``0 <= x <= 15L - service`` (``L`` =
    ``ceil(service / 15)``) it occupies slots ``a .. a+L-1``; a later start in
    the slot also occupies slot ``a+L``.
    """
    n = free.shape[0]
    span = max(1, -(-service // SLOT_MINUTES))
    bad = np.concatenate(([0], np.cumsum(~free)))
    out: list[tuple[float, float]] = []
    for a in range(n):
        if a + span <= n and bad[a + span] == bad[a]:
            if a + span + 1 <= n and bad[a + span + 1] == bad[a]:
                iv = (float(a * SLOT_MINUTES), float((a + 1) * SLOT_MINUTES))
            else:
                iv = (float(a * SLOT_MINUTES), float(a * SLOT_MINUTES + span * SLOT_MINUTES - service))
            if out and out[-1][1] >= iv[0]:
                out[-1] = (out[-1][0], max(out[-1][1], iv[1]))
            else:
                out.append(iv)
    return out


def _slots(start: int, end: int) -> slice:
    """The slots a stay ``[start, end)`` overlaps."""
    return slice(start // SLOT_MINUTES, (end - 1) // SLOT_MINUTES + 1)


def _build(req: StudyTourRequest, sites: SiteTable, graph: SiteGraph) -> _Ctx:
    warnings: list[str] = []
    errors: dict[str, str] = {}
    for name in ("require", "exclude"):
        bad = [sid for sid in getattr(req, name) if sid not in sites]
        if bad:
            errors[name] = f"unknown site id(s) {', '.join(bad)}"
    if req.lunch_site is not None:
        if req.lunch_site not in sites:
            errors["lunch_site"] = f"unknown site id {req.lunch_site!r}"
        elif req.lunch_site in req.exclude:
            errors["lunch_site"] = f"{req.lunch_site} is the lunch site and excluded"
    if req.public_load is not None:
        bad = [sid for sid in req.public_load.counts if sid not in sites]
        if bad:
            errors["public_load"] = f"unknown site id(s) {', '.join(bad[:5])}"
    if errors:
        raise RequestValidationError(errors)
    start = resolve_place(req.start, sites, field_name="start")
    end = resolve_place(req.end, sites, field_name="end") if req.end is not None else start
    if req.grade_years and any(y not in _USUAL_YEARS[req.grade] for y in req.grade_years):
        r = _USUAL_YEARS[req.grade]
        warnings.append(
            f"The 2016 MoE opinion (教基一〔2016〕8号) says study trips are usually made in {req.band_zh} "
            f"grades {r.start}-{r.stop - 1}; this request has grade(s) {', '.join(map(str, req.grade_years))}."
        )
    lunch_on = _lunch_applies(req)
    required = set(req.require)
    excluded = set(req.exclude)
    place_sites = {p.site_id for p in (start, end) if p.site_id}
    cands: list[Site] = []
    lunch_ids: set[str] = set()
    for s in sites:
        if s.id in excluded or (s.id in place_sites and s.id not in required):
            continue
        if s.id in required:
            if s.category in _NOT_VISITED:
                msg = f"{s.name} ({s.id}) is a {s.category}, not a place to visit"
                raise RequestValidationError({"require": msg})
            if req.grade not in s.study_grades:
                warnings.append(
                    f"{s.name} ({s.id}) is required but not listed as suitable for {req.band_zh} ({req.grade}) "
                    "in the site table's study_grades."
                )
            cands.append(s)
        elif s.category == _FOOD:
            if lunch_on and _lunch_open(s, req.date) and (req.lunch_site is None or s.id == req.lunch_site):
                cands.append(s)
                lunch_ids.add(s.id)
        elif req.grade in s.study_grades and s.category not in _NOT_VISITED:
            cands.append(s)
    if lunch_on and req.lunch_site is not None and req.lunch_site not in lunch_ids:
        ls = sites[req.lunch_site]
        why = (
            "is not a food site"
            if ls.category != _FOOD
            else f"is not open for lunch on {req.date.isoformat()}"
        )
        msg = f"lunch site {ls.name} ({ls.id}) {why} (opening hours: {ls.opening_hours})"
        raise InfeasibleRequestError(msg)
    place_keys = list(dict.fromkeys([start.key, end.key]))
    nodes = place_keys + [s.id for s in cands]
    points = {p.key: (p.lat, p.lon) for p in (start, end) if p.site_id is None}
    mats = graph.matrices(nodes, COACH_MODE, points=points)
    n = len(nodes)
    ride = np.ceil(np.asarray(mats.minutes, dtype=np.float64) - 1e-9)
    np.fill_diagonal(ride, 0.0)
    travel = ride + float(req.boarding_minutes)
    np.fill_diagonal(travel, 0.0)
    travel[ride > req.ride_limit] = _BLOCKED
    sunset = daylight(req.date)[1]
    site_of: list[Site | None] = [sites.get(k) for k in place_keys] + list(cands)
    p0 = len(place_keys)
    service = np.zeros(n)
    scores = np.zeros(n)
    cap = np.full(n, np.inf)
    public = np.zeros((n, _NSLOTS))
    base_windows: list[tuple[tuple[float, float], ...]] = [((0.0, 24.0 * 60),)] * n
    lunch_nodes: set[int] = set()
    for idx, s in enumerate(cands, start=p0):
        is_lunch = s.id in lunch_ids
        if is_lunch:
            lunch_nodes.add(idx)
            service[idx] = LUNCH_MINUTES
            scores[idx] = 0.0
        else:
            service[idx] = max(1, s.visit_minutes)
            scores[idx] = _site_value(s, req)
        base_windows[idx] = _open_windows(s, req, int(service[idx]), sunset, is_lunch)
        cap[idx] = float(s.capacity_instant)
        if req.public_load is not None:
            public[idx] = req.public_load.per_slot(s.id)
    vgroups: list[VisitGroup] = []
    if lunch_on and lunch_nodes:
        vgroups.append(
            VisitGroup(nodes=frozenset(lunch_nodes), routes=frozenset({0}), min_visits=1, max_visits=1)
        )
    # A parent area and its parts are alternatives, never both.
    index = {sid: i for i, sid in enumerate(nodes)}
    for idx, s in enumerate(cands, start=p0):
        if s.parent_id and s.parent_id in index and idx not in lunch_nodes:
            vgroups.append(
                VisitGroup(nodes=frozenset({index[s.parent_id], idx}), routes=frozenset({0}), max_visits=1)
            )
    # Balance the themes: at most a few stops touching one theme.
    per_theme = max(2, -(-req.max_stops // len(req.wanted_themes)) + 1)
    for t in req.wanted_themes:
        members = frozenset(
            idx
            for idx, s in enumerate(cands, start=p0)
            if idx not in lunch_nodes and t in s.themes and s.id not in required
        )
        if len(members) > per_theme:
            vgroups.append(VisitGroup(nodes=members, routes=frozenset({0}), max_visits=per_theme))
    mandatory = frozenset(index[sid] for sid in req.require)
    ctx = _Ctx(
        req=req,
        start=start,
        end=end,
        nodes=nodes,
        site_of=site_of,
        travel=travel,
        ride=ride,
        service=service,
        scores=scores,
        base_windows=base_windows,
        cap=cap,
        public=public,
        lunch_nodes=frozenset(lunch_nodes),
        mandatory=mandatory,
        vgroups=tuple(vgroups),
        lunch_on=lunch_on,
        warnings=warnings,
        s0=index[start.key],
        e0=index[end.key],
    )
    return ctx


# ---------------------------------------------------------------------------
# Groups and buses


def _make_groups(req: StudyTourRequest) -> list[_Group]:
    st = req.staff
    return [
        _Group(
            index=k,
            students=n,
            teachers=-(-n // st.students_per_teacher),
            tutors=st.tutors_per_group,
            guides=st.guides_per_group,
        )
        for k, n in enumerate(req.group_students)
    ]


def _pack(req: StudyTourRequest, groups: Sequence[_Group]) -> tuple[list[_Unit] | None, str]:
    """Pack whole groups onto buses (worst-fit decreasing: spread over all buses).

    Returns the units, or ``None`` and the reason.
    """
    seats = req.seats
    big = max(groups, key=lambda g: g.people)
    if big.people > seats:
        return None, (
            f"a group is {big.people} people ({big.students} students, {big.teachers} teachers, "
            f"{big.tutors} 研学导师, {big.guides} guides) but a bus has {seats} seats and carries whole groups"
        )
    free = [seats] * req.buses
    units: list[list[_Group]] = [[] for _ in range(req.buses)]
    for g in sorted(groups, key=lambda g: (-g.people, g.index)):
        b = max(range(req.buses), key=lambda k: (free[k], -k))
        if free[b] < g.people:
            need = _buses_needed(groups, seats)
            return None, (
                f"{len(groups)} groups of up to {big.people} people (students, teachers, 研学导师 and guide) "
                f"need {need} buses of {seats} seats ({max(1, seats // big.people)} group(s) per bus, a bus carries "
                f"whole groups), {req.buses} given"
            )
        free[b] -= g.people
        units[b].append(g)
    out = [_Unit(bus=b, groups=sorted(gs, key=lambda g: g.index)) for b, gs in enumerate(units) if gs]
    if req.staff_on_buses:
        floaters = req.staff.safety_officers + req.staff.project_leaders
        for _ in range(floaters):
            u = max(out, key=lambda u: (seats - u.people, -u.bus))
            if u.people >= seats:
                total = sum(g.people for g in groups) + floaters
                return None, (
                    f"no seat left for the {req.staff.safety_officers} safety officer(s) and "
                    f"{req.staff.project_leaders} project leader(s): {req.students} students with their staff are "
                    f"{total} people, {req.buses} buses of {seats} seats hold {req.buses * seats} "
                    "(whole groups per bus)"
                )
            u.floaters += 1
    return out, ""


def _assign_buses(req: StudyTourRequest, groups: Sequence[_Group]) -> list[_Unit]:
    """Pack the groups onto the buses, or say what would fit.

    Raises
    ------
    InfeasibleRequestError
        When the groups (or the floating staff) do not fit; the message names
        the fixes that would work: more buses, other group sizes, staff
        travelling separately.
    """
    units, why = _pack(req, groups)
    if units is not None:
        return units
    fixes: list[str] = []
    for extra in range(1, 50):
        more = req.replace(buses=req.buses + extra)
        if _pack(more, groups)[0] is not None:
            fixes.append(f"{extra} more bus(es) of {req.seats} seats")
            break
        regroup = more.replace(groups=more.buses, group_size=None)
        if regroup.buses <= req.students and _pack(regroup, _make_groups(regroup))[0] is not None:
            fixes.append(
                f"{extra} more bus(es) of {req.seats} seats with one group per bus ({regroup.buses} groups)"
            )
            break
    for staff_on in (True, False) if req.staff_on_buses else (False,):
        for n in range(1, min(req.students, 500) + 1):
            alt = req.replace(groups=n, group_size=None, staff_on_buses=staff_on)
            if _pack(alt, _make_groups(alt))[0] is not None:
                sizes = sorted(set(alt.group_students))
                size = "-".join(str(x) for x in sizes[:: max(1, len(sizes) - 1)])
                fix = f"{n} groups of {size} students"
                if not staff_on:
                    fix += " with the safety officer and project leader travelling separately (staff_on_buses=false, CLI --staff-separately)"
                if n != req.n_groups or not staff_on:
                    fixes.append(fix)
                break
        if len(fixes) > 1:
            break
    msg = f"bus seats too few: {why}; fix: " + (" or ".join(fixes) if fixes else "more or bigger buses")
    raise InfeasibleRequestError(msg)


def _buses_needed(groups: Sequence[_Group], seats: int) -> int:
    free: list[int] = []
    for g in sorted(groups, key=lambda g: -g.people):
        for k, f in enumerate(free):
            if f >= g.people:
                free[k] -= g.people
                break
        else:
            free.append(seats - g.people)
    return len(free)


def _max_students_fitting(req: StudyTourRequest, seats: int) -> int:
    st = req.staff
    best = 0
    for n in range(1, seats + 1):
        if n + -(-n // st.students_per_teacher) + st.tutors_per_group + st.guides_per_group <= seats:
            best = n
    return best


# ---------------------------------------------------------------------------
# Solving


def _unit_windows(
    ctx: _Ctx, people: int, ngroups: int, occ: npt.NDArray[np.float64], gcount: npt.NDArray[np.int64]
) -> list[tuple[tuple[float, float], ...]]:
    wins = list(ctx.base_windows)
    load = occ + ctx.public
    maxg = ctx.req.max_groups_per_site
    for i in range(len(ctx.nodes)):
        if not wins[i] or ctx.site_of[i] is None or i in (ctx.s0, ctx.e0):
            continue
        free = load[i] + people <= ctx.cap[i] + 1e-9
        if maxg is not None:
            free &= gcount[i] + ngroups <= maxg
        if free.all():
            continue
        wins[i] = _intersect(wins[i], _free_windows(free, int(ctx.service[i])))
    return wins


def _solve_unit(
    ctx: _Ctx,
    unit: _Unit,
    occ: npt.NDArray[np.float64],
    gcount: npt.NDArray[np.int64],
    seed: int,
) -> _Result:
    req = ctx.req
    wins = _unit_windows(ctx, unit.people, len(unit.groups), occ, gcount)
    wins[ctx.s0] = ((0.0, 24.0 * 60),)
    wins[ctx.e0] = ((0.0, 24.0 * 60),)
    problem = Problem(
        travel=ctx.travel,
        scores=ctx.scores,
        service=ctx.service,
        windows=tuple(wins),
        routes=(Route(start=ctx.s0, end=ctx.e0, earliest=float(req.day_start), latest=float(req.day_end)),),
        mandatory=ctx.mandatory,
        groups=ctx.vgroups,
        max_nodes=(req.max_stops + (1 if ctx.lunch_nodes and ctx.lunch_on else 0),),
    )
    checkpoint(req.time_limit)  # the request's budget (tourplan.limits), if one is active
    # Work budget only (no wall-clock stop): a busy machine gives the same plan.
    sol = solve(problem, time_limit=req.time_limit * _CLOCK_SLACK, seed=seed, params=_PARAMS, deterministic=True)
    return _result(ctx, _polish(ctx, problem, sol))


def _route_value(ctx: _Ctx, route: Sequence[int]) -> float:
    visited = [ctx.site_of[i] for i in route if i not in ctx.lunch_nodes]
    return _day_value([s for s in visited if s is not None], ctx.req)[0]


def _polish(ctx: _Ctx, problem: Problem, sol: Solution) -> Solution:
    """Raise the bus's true study value by single-site moves the engine cannot see.

    The engine maximises the sum of undiminished site values; the day's value
    diminishes with each further stop on a theme (:func:`_day_value`).
    :func:`tourplan.optimize.polish.polish` inserts and replaces sites on that
    value (required and lunch stops stay), each move checked by the
    independent checker against the windows that carry the other buses'
    capacity use, the visit groups and the stop cap.
    """
    return polish(
        problem, sol, lambda route: _route_value(ctx, route), fixed=set(problem.mandatory) | set(ctx.lunch_nodes)
    )


def _result(ctx: _Ctx, sol: Solution) -> _Result:
    visits = sol.schedule[0]
    route = tuple(v.node for v in visits)
    visited = [ctx.site_of[i] for i in route if i not in ctx.lunch_nodes]
    value, _ = _day_value([s for s in visited if s is not None], ctx.req)
    lunch_ok = not ctx.lunch_on or any(i in ctx.lunch_nodes for i in route)
    return _Result(
        route=route,
        starts=tuple(round(v.start) for v in visits),
        arrives=tuple(round(v.arrive) for v in visits),
        value=value * 1.0,
        missing=frozenset(ctx.mandatory - set(route)),
        lunch_ok=lunch_ok,
    )


def _apply(
    ctx: _Ctx,
    res: _Result,
    unit: _Unit,
    occ: npt.NDArray[np.float64],
    gcount: npt.NDArray[np.int64],
    sign: int,
) -> None:
    for i, t in zip(res.route, res.starts, strict=True):
        sl = _slots(t, t + int(ctx.service[i]))
        occ[i, sl] += sign * unit.people
        gcount[i, sl] += sign * len(unit.groups)


def _plan_units(
    ctx: _Ctx, units: Sequence[_Unit], seed: int
) -> tuple[list[_Result], npt.NDArray[np.float64]]:
    n = len(ctx.nodes)
    occ = np.zeros((n, _NSLOTS))
    gcount = np.zeros((n, _NSLOTS), dtype=np.int64)
    order = sorted(range(len(units)), key=lambda u: (-units[u].people, u))
    results: dict[int, _Result] = {}
    for u in order:
        res = _solve_unit(ctx, units[u], occ, gcount, seed * 1009 + u)
        results[u] = res
        _apply(ctx, res, units[u], occ, gcount, +1)

    # Repair: a bus that misses a required site or lunch goes first, the others follow.
    def faults(res: Mapping[int, _Result]) -> tuple[int, int]:
        return (sum(len(r.missing) for r in res.values()), sum(not r.lunch_ok for r in res.values()))

    # A failed attempt is not final: the next one re-plans with other seeds (and the
    # buses that failed this time first), so one unlucky order does not decide.
    for attempt in range(_REPAIR_ATTEMPTS):
        failed = [u for u in order if results[u].missing or not results[u].lunch_ok]
        if not failed:
            break
        occ2 = np.zeros_like(occ)
        g2 = np.zeros_like(gcount)
        res2: dict[int, _Result] = {}
        order2 = failed + [u for u in order if u not in failed]
        for u in order2:
            res2[u] = _solve_unit(ctx, units[u], occ2, g2, seed * 1009 + u + 500 * (attempt + 1))
            _apply(ctx, res2[u], units[u], occ2, g2, +1)
        if faults(res2) < faults(results):
            results, occ, gcount, order = res2, occ2, g2, order2
        else:
            order = order2
    # Improve: re-plan each bus against the others' load; keep what is better.
    bound_cache: dict[int, float] = {}
    zero = np.zeros_like(occ)
    zg = np.zeros_like(gcount)

    def bound(u: int) -> float:
        p = units[u].people * 1000 + len(units[u].groups)
        if p not in bound_cache:
            bound_cache[p] = _solve_unit(ctx, units[u], zero, zg, seed * 1009 + u).value
        return bound_cache[p]

    for rnd in range(ctx.req.improve_rounds):
        changed = False
        seq = order if rnd % 2 == 0 else order[::-1]
        for u in seq:
            cur = results[u]
            if not cur.missing and cur.lunch_ok and cur.value >= bound(u) - 1e-9:
                continue
            _apply(ctx, cur, units[u], occ, gcount, -1)
            new = _solve_unit(ctx, units[u], occ, gcount, seed * 1009 + u + 7919 * (rnd + 1))
            if new.key() > cur.key():
                results[u] = new
                changed = True
            _apply(ctx, results[u], units[u], occ, gcount, +1)
        if not changed:
            break
    return [results[u] for u in range(len(units))], occ


# ---------------------------------------------------------------------------
# Diagnosis


def _precheck(ctx: _Ctx, units: Sequence[_Unit]) -> None:
    """Raise when a hard requirement cannot be met by any plan, naming the fix."""
    req = ctx.req
    reasons: list[str] = []
    big = max(u.people for u in units)
    total = sum(u.people for u in units)
    day = req.date
    for sid in req.require:
        i = ctx.nodes.index(sid)
        s = ctx.site_of[i]
        assert s is not None  # noqa: S101
        iv = open_intervals(s.opening_hours, day)
        if not iv:
            nxt = _next_open(s, day)
            reasons.append(
                f"required site {s.name} ({sid}) is closed on {day.isoformat()} ({day.strftime('%A')}); "
                f"opening hours: {s.opening_hours}; fix: another date" + (f" (open on {nxt})" if nxt else "")
            )
            continue
        if not ctx.base_windows[i]:
            reasons.append(
                f"required site {s.name} ({sid}) needs {int(ctx.service[i])} min but on {day.isoformat()} it is open "
                + ", ".join(f"{fmt_time(a)}-{fmt_time(b)}" for a, b in iv)
                + f" (sunset {fmt_time(daylight(day)[1])} for outdoor mountains) and the day is "
                f"{fmt_time(req.day_start)}-{fmt_time(req.day_end)}; fix: an earlier start or later end, or another date"
            )
            continue
        go, back = ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]
        if max(go, back) > req.ride_limit:
            reasons.append(
                f"required site {s.name} ({sid}) is a {max(go, back):.0f}-min bus ride from {ctx.start.name}, over the "
                f"{req.ride_limit}-min limit for {req.band_zh} ({req.grade}; a planning rule, not a fact); fix: start "
                "from a closer point, drop the site, or raise max_ride_minutes"
            )
            continue
        arrive = req.day_start + float(ctx.travel[ctx.s0, i])
        starts = [max(arrive, a) for a, b in ctx.base_windows[i] if max(arrive, a) <= b]
        if not starts or starts[0] + ctx.service[i] + float(ctx.travel[i, ctx.e0]) > req.day_end:
            reasons.append(
                f"required site {s.name} ({sid}) cannot be reached, visited ({int(ctx.service[i])} min) and left "
                f"within the day {fmt_time(req.day_start)}-{fmt_time(req.day_end)}; fix: an earlier start or later end"
            )
            continue
        room = float(s.capacity_instant) - float(ctx.public[i].min())
        if big > s.capacity_instant:
            fit = _max_students_fitting(req, s.capacity_instant)
            reasons.append(
                f"required site {s.name} ({sid}) holds {s.capacity_instant} visitors at once (capacity_instant) but a "
                f"bus group is {big} people; fix: smaller groups (at most {fit} students) or one group per bus"
            )
        elif big > room:
            reasons.append(
                f"required site {s.name} ({sid}) holds {s.capacity_instant} at once and the expected public load leaves "
                f"at most {room:.0f} places on {day.isoformat()}, fewer than a bus group of {big}; fix: another date"
            )
    if ctx.lunch_on and not ctx.lunch_nodes:
        reasons.append(
            f"no food site is open for lunch ({fmt_time(LUNCH_EARLIEST)}-{fmt_time(LUNCH_LATEST_END)}) on "
            f"{day.isoformat()}; fix: lunch='packed'"
        )
    if ctx.lunch_on and req.lunch == "together":
        best = max((float(ctx.cap[i]) for i in ctx.lunch_nodes), default=0.0)
        if best < total:
            reasons.append(
                f"no lunch site seats the whole school: the largest open food site holds {best:.0f} at once "
                f"(capacity_instant), the school is {total} people; fix: lunch per group (lunch='group') or fewer students"
            )
    if reasons:
        raise InfeasibleRequestError("cannot plan the study tour: " + "; ".join(reasons))


def _lunch_together(ctx: _Ctx, units: Sequence[_Unit], seed: int) -> _Ctx:
    """Keep one lunch site that seats the whole school: the one that gives the best day.

    Each candidate (capacity_instant minus the public load at lunch time at
    least the whole school) is tried with the largest bus planned alone.
    """
    total = sum(u.people for u in units)
    lunch_slots = slice(LUNCH_EARLIEST // SLOT_MINUTES, LUNCH_LATEST_END // SLOT_MINUTES + 1)
    fits = sorted(
        i for i in ctx.lunch_nodes if float(ctx.cap[i]) - float(ctx.public[i, lunch_slots].max()) >= total
    )
    if not fits:
        best = max(float(ctx.cap[i]) - float(ctx.public[i, lunch_slots].max()) for i in ctx.lunch_nodes)
        msg = (
            f"cannot plan the study tour: no lunch site seats the whole school ({total} people) at once: the roomiest "
            f"open food site has {best:.0f} places at lunch time (capacity_instant minus the expected public load); "
            "fix: lunch per group (lunch='group') or fewer students"
        )
        raise InfeasibleRequestError(msg)
    n = len(ctx.nodes)
    zero = np.zeros((n, _NSLOTS))
    zg = np.zeros((n, _NSLOTS), dtype=np.int64)
    big = max(units, key=lambda u: u.people)
    best_ctx: _Ctx | None = None
    best_key: tuple[int, int, float] | None = None
    for i in fits:
        wins = [w if (j not in ctx.lunch_nodes or j == i) else () for j, w in enumerate(ctx.base_windows)]
        trial = dataclasses.replace(ctx, base_windows=wins)
        key = _solve_unit(trial, big, zero, zg, seed * 1009).key()
        if best_key is None or key > best_key:
            best_ctx, best_key = trial, key
    assert best_ctx is not None  # noqa: S101
    return best_ctx


def _next_open(s: Site, day: dt.date) -> str:
    for k in range(1, 8):
        d = day + dt.timedelta(days=k)
        if open_intervals(s.opening_hours, d):
            return f"{d.isoformat()} ({d.strftime('%A')})"
    return ""


def _explain_missing(ctx: _Ctx, units: Sequence[_Unit], results: Sequence[_Result]) -> str:
    req = ctx.req
    parts: list[str] = []
    for i in sorted(ctx.mandatory):
        s = ctx.site_of[i]
        assert s is not None  # noqa: S101
        ok = [u for u, r in zip(units, results, strict=True) if i not in r.missing]
        bad = [u for u, r in zip(units, results, strict=True) if i in r.missing]
        if not bad:
            continue
        n = len(ctx.nodes)
        alone = _solve_unit(ctx, bad[0], np.zeros((n, _NSLOTS)), np.zeros((n, _NSLOTS), dtype=np.int64), 0)
        if i in alone.missing:
            go, back = ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]
            lunch = (
                f" together with the lunch stop ({fmt_time(LUNCH_EARLIEST)}-{fmt_time(LUNCH_LATEST_END)})"
                if ctx.lunch_on
                else ""
            )
            parts.append(
                f"the required site {s.name} ({s.id}), {go:.0f} min by bus there and {back:.0f} min back (plus "
                f"{req.boarding_minutes} min boarding per leg) with a {int(ctx.service[i])}-min visit, does not fit "
                f"into the day {fmt_time(req.day_start)}-{fmt_time(req.day_end)}{lunch} even for a bus alone; fix: a "
                "later end time or earlier start"
                + (", lunch='packed'" if ctx.lunch_on else "")
                + ", or drop the site"
            )
            continue
        wins = ", ".join(f"{fmt_time(a)}-{fmt_time(b + ctx.service[i])}" for a, b in ctx.base_windows[i])
        pub = float(ctx.public[i].max())
        people = max(u.people for u in bad)
        at_once = int((s.capacity_instant - pub) // people) if people else 0
        parts.append(
            f"only {len(ok)} of {len(units)} bus groups can visit the required site {s.name} ({s.id}) on "
            f"{req.date.isoformat()}: it holds {s.capacity_instant} visitors at once (capacity_instant"
            + (f", expected public load up to {pub:.0f}" if pub else "")
            + f"), i.e. about {max(at_once, 0)} bus group(s) of {people} at a time, for {int(ctx.service[i])} min each, "
            f"within {wins}; fix: fewer groups, another date, a longer day, or drop it from the required sites"
        )
    return "cannot plan the study tour: " + "; ".join(parts)


def _explain_empty(ctx: _Ctx, unit: _Unit) -> str:
    req = ctx.req
    reach = [
        i
        for i, s in enumerate(ctx.site_of)
        if s is not None and i not in ctx.lunch_nodes and i not in (ctx.s0, ctx.e0)
    ]
    if not reach:
        return (
            f"no site in the table is suitable for {req.band_zh} ({req.grade}) with these exclusions; "
            "fix: fewer exclusions or required sites"
        )
    close = [i for i in reach if max(ctx.ride[ctx.s0, i], ctx.ride[i, ctx.e0]) <= req.ride_limit]
    if not close:
        return (
            f"every suitable site is more than {req.ride_limit} min by bus from {ctx.start.name} (the ride limit for "
            f"{req.band_zh}, a planning rule); fix: a closer start or a higher max_ride_minutes"
        )
    open_ = [i for i in close if ctx.base_windows[i]]
    if not open_:
        return (
            f"no suitable site within reach is open long enough on {req.date.isoformat()} between "
            f"{fmt_time(req.day_start)} and {fmt_time(req.day_end)}; fix: another date or a longer day"
        )
    roomy = [i for i in open_ if float(ctx.cap[i]) - float(ctx.public[i].min()) >= unit.people]
    if not roomy:
        return (
            f"site capacity: none of the {len(open_)} suitable open sites has room for a bus group of {unit.people} "
            f"people on {req.date.isoformat()} (capacity_instant minus the expected public load); fix: smaller groups, "
            "fewer groups, or another date"
        )
    return (
        f"site capacity: the {len(roomy)} suitable open sites with room are full in every slot this bus group could "
        f"use ({unit.people} people) once the other groups are placed; fix: fewer groups, a longer day, or another date"
    )


# ---------------------------------------------------------------------------
# Assembly


def _paid(s: Site, sites: SiteTable, charged: set[str]) -> float:
    if s.ticket_cny > 0:
        return float(s.ticket_cny)
    if s.parent_id and s.parent_id in sites and s.parent_id not in charged:
        parent = sites[s.parent_id]
        if parent.ticket_cny > 0:
            charged.add(parent.id)
            return float(parent.ticket_cny)
    return 0.0


def _learn(s: Site, req: StudyTourRequest, is_lunch: bool) -> str:
    if is_lunch:
        return "午餐 lunch" + (f" ({s.activity})" if s.activity else "")
    if s.study_notes:
        return s.study_notes
    themes = ", ".join(t for t in sorted(s.themes) if t in STUDY_THEMES)
    return f"{s.name}: {themes or s.category}" + (f"; {s.activity}" if s.activity else "")


def _staff_lines(req: StudyTourRequest, groups: Sequence[_Group]) -> tuple[StaffLine, ...]:
    st = req.staff
    n = len(groups)
    src = "LB/T 054-2016 (now LB/T 054-2025), commonly quoted, unverified: a rule, not a fact"
    return (
        StaffLine(
            "teachers", "带队教师", sum(g.teachers for g in groups),
            f"one accompanying teacher per {st.students_per_teacher} students, rounded up per group ({src})",
        ),
        StaffLine(
            "organiser_representative", "主办方代表", 1,
            f"the school (organiser) names at least one representative; may be one of the teachers ({src})",
        ),
        StaffLine("tutors", "研学导师", st.tutors_per_group * n, f"{st.tutors_per_group} 研学导师 per group ({src})"),
        StaffLine("guides", "导游", st.guides_per_group * n, f"{st.guides_per_group} guide per group ({src})"),
        StaffLine(
            "safety_officers", "安全员", st.safety_officers,
            f"at least one safety officer for the activity; {st.safety_officers} planned ({src})",
        ),
        StaffLine(
            "project_leaders", "项目负责人", st.project_leaders,
            f"the contractor's project leader for the activity; {st.project_leaders} planned ({src})",
        ),
    )  # fmt: skip


def _rules(req: StudyTourRequest) -> tuple[str, ...]:
    return (
        f"Longest bus ride {req.ride_limit} min for {req.band_zh} ({req.grade})"
        + (
            ""
            if req.max_ride_minutes is not None
            else " (this planner's default per grade band: 60/90/120 min; a rule, not a fact)"
        ),
        f"Capacity: in no {SLOT_MINUTES}-minute slot may a site hold more than its capacity_instant (LB/T 034-2014 C0, "
        "from the site table); a group counts for every slot its visit overlaps; waiting happens on the bus",
        f"Coach legs: the graph's '{COACH_MODE}' times rounded up to the minute, plus {req.boarding_minutes} min to board "
        "and leave the bus (a rule)",
        "Bus seats: a bus carries whole groups; seats count students, teachers, 研学导师, guides and floating staff",
        f"Tickets: listed adult prices; students pay {req.student_ticket_factor:.0%} of them (student discounts vary by "
        "site: a rule, not a fact); an area ticket covers its parts; meals are not priced",
        "Staffing: LB/T 054 numbers are commonly quoted, not verified against the standard's text",
    )


def _assemble(
    ctx: _Ctx,
    sites: SiteTable,
    units: Sequence[_Unit],
    results: Sequence[_Result],
    groups: Sequence[_Group],
    bound: float,
) -> StudyTourPlan:
    req = ctx.req
    warnings = list(ctx.warnings)
    gplans: list[GroupPlan] = []
    buses: list[BusRun] = []
    site_visits: dict[str, list[SiteVisit]] = {}
    tickets_total = 0.0
    value_total = 0.0
    for unit, res in zip(units, results, strict=True):
        stops_sites = [ctx.site_of[i] for i in res.route]
        study_sites = [
            s for i, s in zip(res.route, stops_sites, strict=True) if i not in ctx.lunch_nodes and s
        ]
        _, per = _day_value(study_sites, req)
        per_iter = iter(per)
        if res.route:
            first = res.route[0]
            depart = max(req.day_start, res.starts[0] - int(ctx.travel[ctx.s0, first]))
            last = res.route[-1]
            back = res.starts[-1] + int(ctx.service[last]) + int(ctx.travel[last, ctx.e0])
        else:
            depart = back = req.day_start
        base_stops: list[tuple[Site, int, int, int, bool, float, float]] = []
        charged: set[str] = set()
        prev_end, prev = depart, ctx.s0
        for i, t in zip(res.route, res.starts, strict=True):
            s = ctx.site_of[i]
            assert s is not None  # noqa: S101
            is_lunch = i in ctx.lunch_nodes
            arrive = prev_end + int(ctx.travel[prev, i])
            price = _paid(s, sites, charged)
            value = 0.0 if is_lunch else next(per_iter)
            base_stops.append((s, arrive, t, t + int(ctx.service[i]), is_lunch, price, value))
            prev_end, prev = t + int(ctx.service[i]), i
        run: list[RunEvent] = [RunEvent(depart, ctx.start.name, ctx.start.site_id, "depart (出发)")]
        for s, arrive, t, end, is_lunch, _, _ in base_stops:
            run.append(
                RunEvent(
                    arrive,
                    s.name,
                    s.id,
                    "arrive, drop off (到达下车)" + (f"; visit starts {fmt_time(t)}" if t > arrive else ""),
                )
            )
            run.append(
                RunEvent(
                    end,
                    s.name,
                    s.id,
                    "pick up, depart (上车出发)" if not is_lunch else "after lunch, depart (午餐后出发)",
                )
            )
        run.append(RunEvent(back, ctx.end.name, ctx.end.site_id, "arrive back (返回)"))
        buses.append(
            BusRun(
                id=unit.id,
                seats=req.seats,
                groups=tuple(g.id for g in unit.groups),
                people=unit.people,
                run=tuple(run),
            )
        )
        for k, g in enumerate(unit.groups):
            other = unit.floaters if k == 0 else 0
            people = g.people + other
            stops: list[GroupStop] = []
            g_tickets = 0.0
            for s, arrive, t, end, is_lunch, price, value in base_stops:
                cost = price * (g.students * req.student_ticket_factor + (people - g.students))
                g_tickets += cost
                stops.append(
                    GroupStop(
                        site_id=s.id, name_zh=s.name_zh, name_en=s.name_en, lat=s.lat, lon=s.lon,
                        arrive=arrive, start=t, end=end, learn=_learn(s, req, is_lunch),
                        themes=tuple(sorted(x for x in s.themes if x in req.wanted_themes)),
                        ticket_per_person_cny=price, ticket_cny=cost, is_lunch=is_lunch, value=value,
                    )
                )  # fmt: skip
                site_visits.setdefault(s.id, []).append(SiteVisit(g.id, unit.id, t, end, people))
            tickets_total += g_tickets
            value_total += res.value
            gplans.append(
                GroupPlan(
                    id=g.id, label=f"第{g.index + 1}组", students=g.students, teachers=g.teachers,
                    tutors=g.tutors, guides=g.guides, other_staff=other, bus=unit.id,
                    depart=depart, back=back, stops=tuple(stops), value=res.value, tickets_cny=g_tickets,
                )
            )  # fmt: skip
        if not res.route:
            warnings.append(
                f"Bus {unit.id} ({', '.join(g.id for g in unit.groups)}) has no stop: "
                + _explain_empty(ctx, unit)
            )
        elif ctx.lunch_on and not res.lunch_ok:
            warnings.append(
                f"Bus {unit.id} ({', '.join(g.id for g in unit.groups)}): no lunch stop fits between "
                f"{fmt_time(LUNCH_EARLIEST)} and {fmt_time(LUNCH_LATEST_END)} on this route (required sites, the "
                "free times of the sites and the end of the day leave no room); bring packed lunches."
            )
    gplans.sort(key=lambda g: int(g.id[1:]))
    # Per-site schedules and peak load, recounted from the visits.
    schedules: list[SiteSchedule] = []
    for sid, visits in sorted(site_visits.items(), key=lambda kv: min(v.start for v in kv[1])):
        s = sites[sid]
        load = req.public_load.per_slot(sid) if req.public_load is not None else np.zeros(_NSLOTS)
        for v in visits:
            load[_slots(v.start, v.end)] += v.people
        peak = int(np.argmax(load))
        if load[peak] > s.capacity_instant + 1e-9:
            msg = f"internal error: {sid} over capacity ({load[peak]:.0f} > {s.capacity_instant}) at {fmt_time(peak * 15)}"
            raise SolverError(msg)
        schedules.append(
            SiteSchedule(
                site_id=sid, name_zh=s.name_zh, name_en=s.name_en, capacity_instant=s.capacity_instant,
                visits=tuple(sorted(visits, key=lambda v: (v.start, v.group))),
                peak_load=float(load[peak]), peak_slot=peak,
            )
        )  # fmt: skip
    bus_cost = req.bus_cost_cny * len(units)
    unused = req.buses - len(units)
    if unused > 0:
        warnings.append(f"{unused} of {req.buses} buses are not needed.")
    return StudyTourPlan(
        request=req,
        start=ctx.start,
        end=ctx.end,
        groups=tuple(gplans),
        buses=tuple(buses),
        sites=tuple(schedules),
        staff=_staff_lines(req, groups),
        tickets_cny=tickets_total,
        bus_cost_cny=bus_cost,
        value=value_total,
        value_bound=bound,
        warnings=tuple(warnings),
        rules=_rules(req),
    )


# ---------------------------------------------------------------------------
# Public API


def plan_study_tour(
    request: StudyTourRequest, sites: SiteTable, graph: SiteGraph, *, seed: int = 0
) -> StudyTourPlan:
    """Plan all groups of a study tour together.

    Parameters
    ----------
    request
        The school's request.
    sites, graph
        The site table and its graph.
    seed
        Seed of the optimizer (same seed, same plan).

    Returns
    -------
    StudyTourPlan
        Timetables per group, run sheets per bus, visit schedules per site,
        staff, costs and warnings.

    Raises
    ------
    RequestValidationError
        When a site id in the request is unknown.
    PlaceNotFoundError
        When the start or end cannot be found.
    InfeasibleRequestError
        When the request cannot be met (bus seats, a required site closed,
        too far or too small, lunch capacity, site capacity); the message names
        the binding constraint and what would fix it.

    Notes
    -----
    Cost: ``(1 + rounds) * buses`` engine solves of ``request.time_limit``
    seconds at most (rounds stop early when nothing improves, and a bus whose
    plan already equals its plan made alone is not re-planned), plus one solve
    per distinct bus size for the alone reference.  Capacity bookkeeping is
    ``O(sites x 96)`` per bus.
    """
    ctx = _build(request, sites, graph)
    groups = _make_groups(request)
    units = _assign_buses(request, groups)
    _precheck(ctx, units)
    warm_up()  # compile (or load) the engine first, so no solve is cut short by it
    if ctx.lunch_on and request.lunch == "together":
        ctx = _lunch_together(ctx, units, seed)
    results, _ = _plan_units(ctx, units, seed)
    if any(r.missing for r in results):
        raise InfeasibleRequestError(_explain_missing(ctx, units, results))
    if not any(r.route for r in results):
        msg = "cannot plan the study tour: " + _explain_empty(ctx, max(units, key=lambda u: u.people))
        raise InfeasibleRequestError(msg)
    bound = _bound(ctx, units, seed)
    return _assemble(ctx, sites, units, results, groups, bound)


def _bound(ctx: _Ctx, units: Sequence[_Unit], seed: int, time_limit: float | None = None) -> float:
    n = len(ctx.nodes)
    zero = np.zeros((n, _NSLOTS))
    zg = np.zeros((n, _NSLOTS), dtype=np.int64)
    cache: dict[tuple[int, int], float] = {}
    total = 0.0
    c = ctx if time_limit is None else dataclasses.replace(ctx, req=ctx.req.replace(time_limit=time_limit))
    for u, unit in enumerate(units):
        key = (unit.people, len(unit.groups))
        if key not in cache:
            cache[key] = _solve_unit(c, unit, zero, zg, seed * 1009 + u).value
        total += cache[key] * len(unit.groups)
    return total


def group_value_bound(
    request: StudyTourRequest,
    sites: SiteTable,
    graph: SiteGraph,
    *,
    seed: int = 0,
    time_limit: float | None = None,
) -> float:
    """Sum over groups of the value of each bus's best plan made alone.

    With no other group on the sites, capacity removes fewer options, so this
    is the reference the joint plan is compared with. It is a heuristic value,
    not a strict bound: a solve alone can miss what the joint plan, pushed to
    other sites by capacity, happens to find.

    Parameters
    ----------
    time_limit
        Seconds per engine solve (default: the request's).
    """
    ctx = _build(request, sites, graph)
    units = _assign_buses(request, _make_groups(request))
    warm_up()
    return _bound(ctx, units, seed, time_limit)


# ---------------------------------------------------------------------------
# Views: map and printable page


def study_layers(plan: StudyTourPlan) -> list[StudyGroupLayer]:
    """The plan as :class:`tourplan.maps.StudyGroupLayer` view-models, one per group."""
    from tourplan.maps import MapPoint, MapStop, StudyGroupLayer

    layers: list[StudyGroupLayer] = []
    for g in plan.groups:
        stops = [
            MapStop(
                point=MapPoint(lat=s.lat, lon=s.lon, name_zh=s.name_zh, name_en=s.name_en),
                order=k,
                arrive=fmt_time(s.start),
                leave=fmt_time(s.end),
                activity=s.learn,
                ticket_cny=s.ticket_per_person_cny,
            )
            for k, s in enumerate(g.stops, start=1)
        ]
        path = [
            (plan.start.lat, plan.start.lon),
            *((s.lat, s.lon) for s in g.stops),
            (plan.end.lat, plan.end.lon),
        ]
        layers.append(
            StudyGroupLayer(label=f"{g.label} {g.id} · {g.bus} ({g.students})", stops=stops, bus_path=path)
        )
    return layers


def study_map(plan: StudyTourPlan, sites: SiteTable | None = None, **options: Any) -> Any:
    """Draw the plan with :func:`tourplan.maps.render_study_map` (one layer per group).

    ``sites`` is accepted for symmetry with the other planners; the plan
    already carries every coordinate.  ``options`` go to ``render_study_map``
    (``tiles``, ``lang``, ``assets`` ...).
    """
    from tourplan.maps import render_study_map

    del sites
    return render_study_map(study_layers(plan), **options)


def render_print_html(plan: StudyTourPlan) -> str:
    """The printable plan (``templates/study_print.html``, Jinja autoescaped)."""
    import jinja2

    from tourplan.resources import templates_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["hhmm"] = fmt_time
    return env.get_template("study_print.html").render(plan=plan, req=plan.request, slot=SLOT_MINUTES)
