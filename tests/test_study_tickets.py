"""A study tour's tickets, recounted per site from the plan's JSON against the ticket rules of the site table."""

from __future__ import annotations

import json

import pytest
from planning import make

from tourplan.study import StudyTourPlan, plan_study_tour

REQUESTS = {
    "junior-default": {},
    "senior-red": {"grade": "senior", "students": 200, "themes": "red,history,industry"},
    "mountain-lunch": {"grade": "primary", "students": 150, "groups": 4, "group_size": None, "themes": "nature,science"},
}


def _payer(site_id: str, sites):  # type: ignore[no-untyped-def]
    """The row whose ticket admits to the site, read straight from the table's columns."""
    s = sites[site_id]
    if s.ticket_cny > 0:
        return s
    parent = sites.get(s.parent_id) if s.parent_id else None
    if s.ticket_rule == "area_ticket" and parent is not None and parent.ticket_cny > 0:
        return parent
    return None


def _unit(site, visitor: str) -> float:  # type: ignore[no-untyped-def]
    """A school group member's price at a site that sells a ticket, as the rules' sources state it."""
    full, rule = float(site.ticket_cny), site.ticket_rule or "national_youth_2012"
    if rule in ("free", "free_public_museum_2008"):
        return 0.0
    if visitor != "student":
        return full  # teachers, tutors, guides: no concession in any of the rules
    if rule == "patriotic_base_free_school":
        return 0.0
    half = round(full / 2, 2)
    own = site.ticket_student_cny if rule == "site_specific" else None
    return min(half, own) if own is not None else half


@pytest.fixture(scope="module")
def plans(bundled_sites, bundled_graph):  # type: ignore[no-untyped-def]
    cache: dict[str, StudyTourPlan] = {}

    def get(name: str) -> StudyTourPlan:
        if name not in cache:
            cache[name] = plan_study_tour(make(**REQUESTS[name]), bundled_sites, bundled_graph)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(REQUESTS))
def test_tickets_recounted_per_site_match_the_rules(name, plans, bundled_sites):
    plan = plans(name)
    data = json.loads(json.dumps(plan.to_dict(), ensure_ascii=False))
    total = 0.0
    for g in data["groups"]:
        adults = g["people"] - g["students"]
        bought: dict[str, float] = {}
        for stop in g["stops"]:
            payer = _payer(stop["site_id"], bundled_sites)
            if payer is None or payer.id in bought:
                # free entry (a restaurant at an area's gate included), or a ticket already bought that day
                assert stop["ticket_cny"] == 0, (g["id"], stop["site_id"])
                continue
            want = g["students"] * _unit(payer, "student") + adults * _unit(payer, "teacher")
            bought[payer.id] = want
            assert stop["ticket_cny"] == pytest.approx(want, abs=0.01), (g["id"], stop["site_id"], payer.id)
        assert g["tickets_cny"] == pytest.approx(sum(bought.values()), abs=0.01)
        total += g["tickets_cny"]
    assert data["costs"]["tickets_cny"] == pytest.approx(total, abs=0.05)


def test_students_pay_less_than_adults_somewhere(plans):
    plan = plans("mountain-lunch")
    full = sum(
        s.ticket_per_person_cny * g.people for g in plan.groups for s in g.stops if s.ticket_cny > 0
    )
    assert 0 < plan.tickets_cny < full


def test_no_lunch_row_carries_an_area_ticket(plans, bundled_sites):
    plan = plans("mountain-lunch")
    for g in plan.groups:
        for s in g.stops:
            if s.is_lunch and bundled_sites[s.site_id].ticket_cny == 0:
                assert s.ticket_cny == 0, (g.id, s.site_id)


def test_every_time_in_the_json_is_declared_china_standard_time(plans):
    data = plans("junior-default").to_dict()
    assert (data["timezone"], data["utc_offset"]) == ("Asia/Shanghai", "+08:00")
    times = [data["day_start"], data["day_end"]]
    for g in data["groups"]:
        times += [g["depart"], g["back"], *(s[k] for s in g["stops"] for k in ("arrive", "start", "end"))]
    times += [e["time"] for b in data["buses"] for e in b["run"]]
    assert times and all(len(t) == 5 and t[2] == ":" for t in times)  # local HH:MM, no other zone anywhere


def test_bus_cost_is_never_a_silent_zero(monkeypatch, bundled_sites):
    base = {"school": "x", "grade": "junior", "students": 80, "buses": 2, "seats": 53, "date": "2027-05-12"}
    from tourplan.study import StudyTourRequest

    monkeypatch.delenv("TOURPLAN_BUS_COST_CNY", raising=False)
    r = StudyTourRequest.from_dict(base)
    assert (r.bus_cost_cny, r.bus_cost_source) == (1500.0, "default")
    monkeypatch.setenv("TOURPLAN_BUS_COST_CNY", "1800")
    r = StudyTourRequest.from_dict(base)
    assert (r.bus_cost_cny, r.bus_cost_source) == (1800.0, "config")
    r = StudyTourRequest.from_dict({**base, "bus_cost_cny": 0})
    assert (r.bus_cost_cny, r.bus_cost_source) == (0.0, "request")


def test_the_plan_json_keeps_each_ticket_rule_and_the_rules_say_which_were_applied(plans, bundled_sites):
    from tourplan.messages import Message
    from tourplan.tickets import rule_name, ticket_rule

    plan = plans("mountain-lunch")
    data = json.loads(json.dumps(plan.to_dict(), ensure_ascii=False))
    for g in data["groups"]:
        assert sum(t["total_cny"] for t in g["tickets"]) == pytest.approx(g["tickets_cny"], abs=0.01)
        for t in g["tickets"]:
            assert t["rule"] == ticket_rule(bundled_sites[t["site_id"]], bundled_sites)
            assert {i["visitor"] for i in t["items"]} <= {"school_group", "teacher", "adult"}
            assert Message.from_dict(t).render("zh") == t["zh"] and t["en"].endswith(rule_name(t["rule"]).en)
    used = {t["rule"] for g in data["groups"] for t in g["tickets"]}
    assert used
    (line,) = [r for r in data["rules"] if r["code"] == "study_rule_tickets"]
    for code in used:
        assert rule_name(code).zh in line["zh"] and rule_name(code).en in line["en"]
    assert not any("students pay" in r["en"] or "student_ticket_factor" in r["en"] for r in data["rules"])
    # a saved plan is shown again in either language, from its codes
    again = StudyTourPlan.from_dict(data, plan.request)
    assert [t.render("en") for t in again.groups[0].tickets] == [t["en"] for t in data["groups"][0]["tickets"]]


def test_the_bus_cost_says_where_it_comes_from(plans):
    data = plans("junior-default").to_dict()
    costs = data["costs"]
    note = costs["bus_cost_note"]
    assert note["code"] == f"bus_cost_{costs['bus_cost_source']}"
    assert f"¥{costs['bus_cost_per_bus_cny']:g}" in note["zh"] and f"¥{costs['bus_cost_per_bus_cny']:g}" in note["en"]
