"""The planned study tour: :class:`StudyTourPlan`, its ``to_dict`` and ``from_dict`` forms."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from tourplan._parse import fmt_time, parse_time
from tourplan.errors import RequestValidationError
from tourplan.messages import Message
from tourplan.places import Place, SiteStop
from tourplan.study.capacity import SLOT_MINUTES
from tourplan.study.request import bus_cost_note
from tourplan.tickets import GroupTicket

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from _typeshed import DataclassInstance

    from tourplan.study.request import StudyTourRequest

__all__ = [
    "TIMEZONE",
    "UTC_OFFSET",
    "BusRun",
    "GroupPlan",
    "GroupStop",
    "RunEvent",
    "SiteSchedule",
    "SiteVisit",
    "StaffLine",
    "StudyTourPlan",
]

_T = TypeVar("_T", bound="DataclassInstance")


#: The zone of every ``HH:MM`` time in a plan's JSON (China Standard Time).
TIMEZONE = "Asia/Shanghai"
#: Its offset from UTC, which is the same all year (China keeps no daylight saving).
UTC_OFFSET = "+08:00"


def _json(value: Message | str) -> Any:
    """A message in a plan's JSON (``Message.to_json``); older plain text as it is."""
    return value.to_json() if isinstance(value, Message) else value


def _read(value: Any) -> Message | str:
    """The inverse of :func:`_json`."""
    if isinstance(value, dict) and "code" in value:
        return Message.from_dict(value)
    return str(value)


#: How :func:`_load` reads a field of each annotation from a plan's JSON.
_CASTS: dict[str, Callable[[Any], Any]] = {"str": str, "int": int, "float": float, "bool": bool}


def _load(cls: type[_T], row: Mapping[str, Any], *, times: tuple[str, ...] = (), **given: Any) -> _T:
    """One record of a saved plan, read back field by field from its dataclass.

    The fields in ``given`` take those values; those named in ``times`` are
    ``HH:MM`` read as minutes; every other field is ``row[name]`` cast by its
    annotation (``str``, ``int``, ``float``, ``bool``), or its default where
    ``row`` lacks it (a plan saved before the field existed).

    Examples
    --------
    >>> _load(SiteVisit, {"group": "G1", "bus": "B1", "start": "09:30", "end": "10:00", "people": "44"},
    ...       times=("start", "end"))
    SiteVisit(group='G1', bus='B1', start=570, end=600, people=44)
    """
    values = dict(given)
    for f in dataclasses.fields(cls):
        if f.name in values or (f.name not in row and f.default is not dataclasses.MISSING):
            continue
        if f.name in times:
            values[f.name] = parse_time(str(row[f.name]), f.name)
        else:
            values[f.name] = _CASTS[str(f.type)](row[f.name])
    return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupStop(SiteStop):
    """One stop of a group's day (whole minutes); its wait is on the bus or in the car park."""

    #: What the group does there, in Chinese (``learn_en``: in English).
    learn: str
    themes: tuple[str, ...]
    ticket_per_person_cny: float
    value: float = 0.0
    learn_en: str = ""


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
    #: The tickets the group buys, one line per site that sells them, with the rule applied.
    tickets: tuple[GroupTicket, ...] = ()

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
    #: What happens (a message; text in a plan saved before run sheets were coded).
    action: Message | str


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
    #: The rule behind the number (a message; text in a plan saved before rules were coded).
    rule: Message | str


@dataclass(frozen=True)
class StudyTourPlan:
    """The planned study tour.

    Attributes
    ----------
    value
        Total study value (sum over groups, diminishing returns per theme).
    value_upper_bound
        A true upper bound on ``value``: each group's best possible solo day,
        less what sharing the sites' capacity must cost
        (:mod:`tourplan.study.bound`, :mod:`tourplan.study.relax`); ``None``
        for a plan saved before it existed.
    bound_exact
        Every solo-day search closed (each is the optimum, not just a cap).
    value_solo_bound
        The sum over groups of each group's best possible solo day (no other
        group on the sites); ``value_solo_bound - value_upper_bound`` is what
        shared capacity costs at least.  ``None`` for a plan saved before it
        existed.
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
    value_upper_bound: float | None
    #: Warnings and the rules applied, as messages (text in a plan saved before they were coded).
    warnings: tuple[Message | str, ...]
    rules: tuple[Message | str, ...]
    slot_minutes: int = SLOT_MINUTES
    bound_exact: bool = False
    value_solo_bound: float | None = None

    @property
    def value_share(self) -> float | None:
        """``value / value_upper_bound``: how much of the best possible for these groups the plan reaches."""
        if self.value_upper_bound is None or self.value_upper_bound <= 0:
            return None
        return min(1.0, self.value / self.value_upper_bound)

    @property
    def total_cost_cny(self) -> float:
        """Tickets plus buses."""
        return self.tickets_cny + self.bus_cost_cny

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        Every time (``HH:MM``: departures, arrivals, visits, bus runs, site
        slots) is local clock time in China Standard Time (Asia/Shanghai,
        UTC+08:00, no daylight saving) on ``date``; ``timezone`` and
        ``utc_offset`` say so in the JSON itself.
        """
        req = self.request
        return {
            "timezone": TIMEZONE,
            "utc_offset": UTC_OFFSET,
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
                            "learn_en": s.learn_en or s.learn,
                            "themes": list(s.themes),
                            "ticket_per_person_cny": s.ticket_per_person_cny,
                            "ticket_cny": round(s.ticket_cny, 2),
                            "lat": s.lat,
                            "lon": s.lon,
                            "value": round(s.value, 3),
                        }
                        for s in g.stops
                    ],
                    "tickets": [t.to_dict() for t in g.tickets],
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
                        {"time": fmt_time(e.time), "place": e.place, "site_id": e.site_id, "action": _json(e.action)}
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
                line.role: {"count": line.count, "role_zh": line.role_zh, "rule": _json(line.rule)}
                for line in self.staff
            },
            "costs": {
                "tickets_cny": round(self.tickets_cny, 2),
                "bus_cny": round(self.bus_cost_cny, 2),
                "bus_cost_per_bus_cny": req.bus_cost_cny,
                "bus_cost_source": req.bus_cost_source,
                "bus_cost_note": bus_cost_note(req).to_json(),
                "total_cny": round(self.total_cost_cny, 2),
            },
            "value": round(self.value, 3),
            "value_upper_bound": None if self.value_upper_bound is None else round(self.value_upper_bound, 3),
            "value_bound_exact": self.bound_exact,
            "value_solo_bound": None if self.value_solo_bound is None else round(self.value_solo_bound, 3),
            "value_share": None if self.value_share is None else round(self.value_share, 4),
            "slot_minutes": self.slot_minutes,
            "warnings": [_json(w) for w in self.warnings],
            "rules": [_json(r) for r in self.rules],
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
        slot = int(data.get("slot_minutes", SLOT_MINUTES))
        groups = tuple(
            _load(
                GroupPlan,
                g,
                times=("depart", "back"),
                stops=tuple(
                    _load(
                        GroupStop,
                        x,
                        times=("arrive", "start", "end"),
                        is_lunch=bool(x["lunch"]),
                        learn_en=str(x.get("learn_en") or ""),
                        themes=tuple(str(v) for v in x["themes"]),
                    )
                    for x in g["stops"]
                ),
                tickets=tuple(GroupTicket.from_dict(t) for t in g.get("tickets") or ()),
            )
            for g in data["groups"]
        )
        buses = tuple(
            _load(
                BusRun,
                b,
                groups=tuple(str(v) for v in b["groups"]),
                run=tuple(
                    _load(RunEvent, e, times=("time",), site_id=e["site_id"], action=_read(e["action"]))
                    for e in b["run"]
                ),
            )
            for b in data["buses"]
        )
        sites = tuple(
            _load(
                SiteSchedule,
                x,
                visits=tuple(_load(SiteVisit, v, times=("start", "end")) for v in x["visits"]),
                peak_slot=parse_time(str(x["peak_slot"]), "peak_slot") // slot,
            )
            for x in data["sites"]
        )
        staff = tuple(
            _load(StaffLine, v, role=str(role), rule=_read(v["rule"])) for role, v in data["staff"].items()
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
            value_upper_bound=None if data.get("value_upper_bound") is None else float(data["value_upper_bound"]),
            bound_exact=bool(data.get("value_bound_exact", False)),
            value_solo_bound=None if data.get("value_solo_bound") is None else float(data["value_solo_bound"]),
            warnings=tuple(_read(w) for w in data["warnings"]),
            rules=tuple(_read(r) for r in data["rules"]),
            slot_minutes=slot,
        )
