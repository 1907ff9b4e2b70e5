"""How many people fit: whole groups on bus seats, visits on site capacity.

A bus carries whole groups (students, teachers, 研学导师 and guide) and the
floating staff; :func:`_assign_buses` packs them or says what would fit.
A site holds at most its instantaneous capacity ``capacity_instant``
(LB/T 034-2014's C0) in every 15-minute slot: the planner keeps the load per
site and slot in a numpy array and cuts a bus's visit windows to the starts
whose slots have room (:func:`_unit_windows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tourplan.errors import InfeasibleRequestError
from tourplan.messages import Message

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.study.model import _Ctx, _Result
    from tourplan.study.request import StudyTourRequest

__all__ = [
    "SLOT_MINUTES",
]


#: Length of the capacity time slot (minutes); the day is cut into 96 slots.
SLOT_MINUTES = 15

_NSLOTS = 24 * 60 // SLOT_MINUTES


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


@dataclass(frozen=True)
class _Load:
    """What the planned buses put on each node in each slot: people and school groups."""

    people: npt.NDArray[np.float64]
    groups: npt.NDArray[np.int64]

    @classmethod
    def empty(cls, nodes: int) -> _Load:
        """No bus anywhere (``nodes`` rows of :data:`_NSLOTS` slots)."""
        return cls(np.zeros((nodes, _NSLOTS)), np.zeros((nodes, _NSLOTS), dtype=np.int64))


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


def _pack(req: StudyTourRequest, groups: Sequence[_Group]) -> tuple[list[_Unit] | None, str, Message | None]:
    """Pack whole groups onto buses (worst-fit decreasing: spread over all buses).

    Returns the units, or ``None`` and the reason (in English, and as a message code).
    """
    seats = req.seats
    big = max(groups, key=lambda g: g.people)
    if big.people > seats:
        why = Message("study_seats_group_too_big", {"people": big.people, "seats": seats})
        return (
            None,
            (
                f"a group is {big.people} people ({big.students} students, {big.teachers} teachers, "
                f"{big.tutors} 研学导师, {big.guides} guides) but a bus has {seats} seats and carries whole groups"
            ),
            why,
        )
    free = [seats] * req.buses
    units: list[list[_Group]] = [[] for _ in range(req.buses)]
    for g in sorted(groups, key=lambda g: (-g.people, g.index)):
        b = max(range(req.buses), key=lambda k: (free[k], -k))
        if free[b] < g.people:
            need = _buses_needed(groups, seats)
            why = Message(
                "study_seats_need_buses",
                {"groups": len(groups), "need": need, "seats": seats, "given": req.buses},
            )
            return (
                None,
                (
                    f"{len(groups)} groups of up to {big.people} people (students, teachers, 研学导师 and guide) "
                    f"need {need} buses of {seats} seats ({max(1, seats // big.people)} group(s) per bus, a bus carries "
                    f"whole groups), {req.buses} given"
                ),
                why,
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
                why = Message("study_seats_no_staff_seat", {"total": total, "hold": req.buses * seats})
                return (
                    None,
                    (
                        f"no seat left for the {req.staff.safety_officers} safety officer(s) and "
                        f"{req.staff.project_leaders} project leader(s): {req.students} students with their staff are "
                        f"{total} people, {req.buses} buses of {seats} seats hold {req.buses * seats} "
                        "(whole groups per bus)"
                    ),
                    why,
                )
            u.floaters += 1
    return out, "", None


def _assign_buses(req: StudyTourRequest, groups: Sequence[_Group]) -> list[_Unit]:
    """Pack the groups onto the buses, or say what would fit.

    Raises
    ------
    InfeasibleRequestError
        When the groups (or the floating staff) do not fit; the message names
        the fixes that would work: more buses, other group sizes, staff
        travelling separately.
    """
    units, why, why_code = _pack(req, groups)
    if units is not None:
        return units
    fixes: list[str] = []
    codes: list[Message] = []
    for extra in range(1, 50):
        more = req.replace(buses=req.buses + extra)
        if _pack(more, groups)[0] is not None:
            fixes.append(f"{extra} more bus(es) of {req.seats} seats")
            codes.append(Message("study_fix_more_buses", {"n": extra, "seats": req.seats}))
            break
        regroup = more.replace(groups=more.buses, group_size=None)
        if regroup.buses <= req.students and _pack(regroup, _make_groups(regroup))[0] is not None:
            fixes.append(
                f"{extra} more bus(es) of {req.seats} seats with one group per bus ({regroup.buses} groups)"
            )
            codes.append(
                Message(
                    "study_fix_more_buses_regroup", {"n": extra, "seats": req.seats, "groups": regroup.buses}
                )
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
                    code = "study_fix_groups" if staff_on else "study_fix_groups_staff_apart"
                    codes.append(Message(code, {"n": n, "size": size}))
                break
        if len(fixes) > 1:
            break
    msg = f"bus seats too few: {why}; fix: " + (" or ".join(fixes) if fixes else "more or bigger buses")
    refusal = Message(
        "study_bus_seats", {"why": why_code, "fixes": codes or [Message("study_fix_bigger_buses")]}
    )
    raise InfeasibleRequestError(msg, messages=(refusal,))


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


def _unit_windows(ctx: _Ctx, people: int, ngroups: int, busy: _Load) -> list[tuple[tuple[float, float], ...]]:
    wins = list(ctx.base_windows)
    load = busy.people + ctx.public
    maxg = ctx.req.max_groups_per_site
    for i in range(len(ctx.nodes)):
        if not wins[i] or ctx.site_of[i] is None or i in (ctx.s0, ctx.e0):
            continue
        free = load[i] + people <= ctx.cap[i] + 1e-9
        if maxg is not None:
            free &= busy.groups[i] + ngroups <= maxg
        if free.all():
            continue
        wins[i] = _intersect(wins[i], _free_windows(free, int(ctx.service[i])))
    return wins


def _apply(ctx: _Ctx, res: _Result, unit: _Unit, busy: _Load, sign: int) -> None:
    """Add (``sign`` +1) or take away (-1) the load of ``unit``'s day ``res``."""
    for i, t in zip(res.route, res.starts, strict=True):
        sl = _slots(t, t + int(ctx.service[i]))
        busy.people[i, sl] += sign * unit.people
        busy.groups[i, sl] += sign * len(unit.groups)
