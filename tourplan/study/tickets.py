"""A study tour's tickets by the ticket rules, on the row of the site each ticket admits to.

:func:`price_tickets` reprices a planned tour with
:func:`tourplan.tickets.group_tickets`: students as ``school_group``
visitors (half price under the national youth rule, free at a
patriotic-education base, free at a public museum), teachers at the price
their rule gives them, tutors, guides and other staff as adults.  Each
ticket sits on the first stop it admits the group to (the area for its
parts), never on a restaurant or another row with free entry.
:func:`plan_study_tour` is the planner with its tickets so priced.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from tourplan.messages import Message
from tourplan.study import plan as _plan
from tourplan.tickets import group_tickets, rule_name, ticket_payer

if TYPE_CHECKING:
    from tourplan.graph import SiteGraph
    from tourplan.site import SiteTable
    from tourplan.study.request import StudyTourRequest
    from tourplan.study.result import GroupPlan, StudyTourPlan
    from tourplan.tickets import GroupTicket

__all__ = ["group_ticket_lines", "plan_study_tour", "price_tickets"]


def group_ticket_lines(group: GroupPlan, sites: SiteTable) -> list[GroupTicket]:
    """The ticket lines (:class:`tourplan.tickets.GroupTicket`) a group buys for its day."""
    return group_tickets(
        [s.site_id for s in group.stops],
        sites,
        students=group.students,
        teachers=group.teachers,
        adults=group.tutors + group.guides + group.other_staff,
        school_visit=True,
    )


def _price_group(group: GroupPlan, sites: SiteTable) -> GroupPlan:
    lines = {line.site_id: line for line in group_ticket_lines(group, sites)}
    done: set[str] = set()
    stops = []
    for stop in group.stops:
        payer = ticket_payer(sites[stop.site_id], sites)
        cost, full = 0.0, 0.0
        if payer is not None and payer.id not in done and payer.id in lines:
            done.add(payer.id)
            cost, full = float(lines[payer.id].total_cny), float(payer.ticket_cny)
        stops.append(dataclasses.replace(stop, ticket_cny=cost, ticket_per_person_cny=full))
    return dataclasses.replace(
        group,
        stops=tuple(stops),
        tickets_cny=float(sum(s.ticket_cny for s in stops)),
        tickets=tuple(lines.values()),
    )


def _ticket_rule(groups: tuple[GroupPlan, ...]) -> Message:
    """The rules line on tickets: how they are priced, and the site rules this plan used."""
    used = dict.fromkeys(t.rule for g in groups for t in g.tickets)
    if not used:
        return Message("study_rule_no_tickets")
    return Message("study_rule_tickets", {"rules": [rule_name(code) for code in used]})


def price_tickets(plan: StudyTourPlan, sites: SiteTable) -> StudyTourPlan:
    """The plan with every group's tickets priced by the ticket rules.

    A stop's ``ticket_cny`` is the group's whole ticket for the site that
    admits to it (bought there, once a day); its ``ticket_per_person_cny``
    is that ticket's listed adult price (0 where no ticket is bought).  Each
    group keeps its ticket lines (``tickets``: site, rule code, items per
    visitor type), and the plan's rules say which site rules were applied.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> from tourplan.places import Place
    >>> from tourplan.study.result import GroupPlan, GroupStop
    >>> sites = load_sites()
    >>> def stop(i):
    ...     s = sites[i]
    ...     return GroupStop(site_id=i, name_zh=s.name_zh, name_en=s.name_en, lat=s.lat, lon=s.lon,
    ...                      arrive=0, start=0, end=0, ticket_cny=99.0, learn="", themes=(),
    ...                      ticket_per_person_cny=99.0)
    >>> g = GroupPlan("g1", "第1组", 40, 4, 0, 0, 0, "b1", 480, 1000,
    ...               tuple(stop(i) for i in ("yuntai_anshang_service_area", "yuntai_hongshixia",
    ...                                       "jiaying_temple")), 0.0, 0.0)
    >>> [(s.site_id, s.ticket_cny) for s in _price_group(g, sites).stops]
    [('yuntai_anshang_service_area', 0.0), ('yuntai_hongshixia', 2880.0), ('jiaying_temple', 220.0)]
    """
    groups = tuple(_price_group(g, sites) for g in plan.groups)
    rules = [r for r in plan.rules if not (isinstance(r, Message) and r.code.startswith("study_rule_tickets"))]
    at = next((k for k, r in enumerate(rules) if isinstance(r, Message) and r.code == "study_rule_staffing"), None)
    rules.insert(len(rules) if at is None else at, _ticket_rule(groups))
    return dataclasses.replace(
        plan, groups=groups, tickets_cny=float(sum(g.tickets_cny for g in groups)), rules=tuple(rules)
    )


def plan_study_tour(
    request: StudyTourRequest, sites: SiteTable, graph: SiteGraph, *, seed: int = 0
) -> StudyTourPlan:
    """Plan all groups of a study tour together, tickets by the ticket rules (see :func:`price_tickets`)."""
    return price_tickets(_plan.plan_study_tour(request, sites, graph, seed=seed), sites)
