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

Modules, one concern each: :mod:`~tourplan.study.request` (what a school
asks for), :mod:`~tourplan.study.result` (the plan and its saved form),
:mod:`~tourplan.study.capacity` (bus seats, site capacity per slot),
:mod:`~tourplan.study.model` (study value, the problem, one bus's solve),
:mod:`~tourplan.study.plan` (all buses together, assembly),
:mod:`~tourplan.study.bound` (a true upper bound on the plan's value),
:mod:`~tourplan.study.diagnose` (why a request cannot be met) and
:mod:`~tourplan.study.printout` (the printable page; the map is
:func:`tourplan.views.study_map`).  The rules shared with
visitor itineraries live in :mod:`tourplan.rules`.
"""

from __future__ import annotations

from tourplan.study import result
from tourplan.study.capacity import SLOT_MINUTES
from tourplan.study.model import COACH_MODE
from tourplan.study.plan import check_study_tour
from tourplan.study.printout import render_print_html
from tourplan.study.request import (
    BANDS,
    DEFAULT_MAX_RIDE,
    LIMITS,
    LUNCH_MODES,
    STUDY_THEMES,
    PublicLoad,
    StaffRules,
    StudyTourRequest,
)
from tourplan.study.result import *  # noqa: F403  (the plan's types, ``result.__all__``)
from tourplan.study.tickets import plan_study_tour, price_tickets

__all__ = [
    "LIMITS",
    "BANDS",
    "COACH_MODE",
    "DEFAULT_MAX_RIDE",
    "LUNCH_MODES",
    "SLOT_MINUTES",
    "STUDY_THEMES",
    "PublicLoad",
    "StaffRules",
    "StudyTourRequest",
    "check_study_tour",
    "plan_study_tour",
    "price_tickets",
    "render_print_html",
]
__all__ += result.__all__
