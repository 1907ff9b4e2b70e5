"""``tourplan study-tour``: a school's study tour (研学旅行), several groups on buses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tourplan._parse import defaults
from tourplan.cli import options as opt
from tourplan.cli._common import echo_result, handle_errors, load, write_html, write_map
from tourplan.cli.lang import CLAUSE_SEP, LIST_SEP, N_, current_lang
from tourplan.cli.lang import gettext as _
from tourplan.site import GRADES, STUDY_PRODUCTS
from tourplan.study.request import LIMITS, LUNCH_MODES, STUDY_THEMES, StaffRules, StudyTourRequest

if TYPE_CHECKING:
    from pathlib import Path

    from tourplan.study.result import GroupPlan, StudyTourPlan

__all__ = ["format_study_text", "study_tour"]

_DEFAULT = defaults(StudyTourRequest)


@click.command("study-tour")
@opt.data_option
@click.option("--school", required=True, help="School name.")
@click.option(
    "--grade",
    type=click.Choice(GRADES),
    required=True,
    help="Grade band: primary 小学, junior 初中, senior 高中.",
)
@click.option("--grade-years", default="", help="Comma-separated grade years within the band, e.g. 1,2.")
@click.option("--students", type=opt.limit(LIMITS, "students"), required=True)
@click.option(
    "--group-size",
    type=opt.limit(LIMITS, "group_size"),
    default=None,
    help="Students per group (class); default 40.",
)
@click.option(
    "--groups",
    type=opt.limit(LIMITS, "groups"),
    default=None,
    help="Number of groups (instead of --group-size).",
)
@click.option("--buses", type=opt.limit(LIMITS, "buses"), required=True)
@click.option("--seats", type=opt.limit(LIMITS, "seats"), required=True, help="Passenger seats per bus.")
@click.option("--date", "date_", required=True, help="YYYY-MM-DD.")
@click.option(
    "--start", default=_DEFAULT["start"], show_default=True, help="Site id, 'lat,lon' (the school) or a name."
)
@click.option("--end", default=None, help="Where the day ends (default: the start).")
@opt.day_hours_options(_DEFAULT)
@click.option("--themes", default="", help=f"Comma-separated site themes: {','.join(STUDY_THEMES)}.")
@click.option(
    "--products", default="", help=f"Comma-separated 研学 product types: {','.join(STUDY_PRODUCTS)}."
)
@click.option("--require", default="", help="Comma-separated site ids every group visits.")
@click.option("--exclude", default="", help="Comma-separated site ids.")
@click.option("--lunch", type=click.Choice(LUNCH_MODES), default=_DEFAULT["lunch"], show_default=True)
@click.option("--lunch-site", default=None, help="Site id of the lunch place.")
@click.option(
    "--max-ride",
    type=opt.limit(LIMITS, "max_ride_minutes"),
    default=None,
    help="Longest bus ride in minutes (default by grade: 60/90/120).",
)
@click.option(
    "--teacher-ratio",
    type=opt.limit(LIMITS, "staff.students_per_teacher"),
    default=defaults(StaffRules)["students_per_teacher"],
    show_default=True,
    help="Students per accompanying teacher.",
)
@click.option(
    "--bus-cost",
    type=opt.limit(LIMITS, "bus_cost_cny"),
    default=None,
    help="CNY per bus-day (default: TOURPLAN_BUS_COST_CNY, else 1500, an assumed coach hire; the JSON says which).",
)
@click.option(
    "--staff-separately",
    is_flag=True,
    help="The safety officer and project leader travel separately (no bus seats).",
)
@opt.seed_option
@opt.format_option("json", "text", show_default=True)
@opt.path_option("--html", "html_path", help="Also write the printable plan (HTML).")
@opt.path_option("--map", "map_path", help="Also write the study-tour map as a standalone HTML file.")
@handle_errors
def study_tour(
    data_path: Path | None,
    edges_path: Path | None,
    school: str,
    grade: str,
    grade_years: str,
    students: int,
    group_size: int | None,
    groups: int | None,
    buses: int,
    seats: int,
    date_: str,
    start: str,
    end: str | None,
    start_time: str,
    end_time: str,
    themes: str,
    products: str,
    require: str,
    exclude: str,
    lunch: str,
    lunch_site: str | None,
    max_ride: int | None,
    teacher_ratio: int,
    bus_cost: float | None,
    staff_separately: bool,
    seed: int,
    fmt: str,
    html_path: Path | None,
    map_path: Path | None,
) -> None:
    """Plan a study tour (研学旅行): several groups of a school together."""
    from tourplan.study import StudyTourRequest, plan_study_tour, render_print_html

    sites, graph = load(data_path, edges_path)
    raw: dict[str, Any] = {
        "school": school,
        "grade": grade,
        "grade_years": grade_years or None,
        "students": students,
        "buses": buses,
        "seats": seats,
        "date": date_,
        "start": start,
        "end": end,
        "day_start": start_time,
        "day_end": end_time,
        "themes": themes,
        "products": products,
        "require": require,
        "exclude": exclude,
        "lunch": lunch,
        "lunch_site": lunch_site,
        "max_ride_minutes": max_ride,
        "staff": {"students_per_teacher": teacher_ratio},
        "bus_cost_cny": bus_cost,
        "staff_on_buses": not staff_separately,
    }
    if groups is not None:
        raw["groups"] = groups
        raw["group_size"] = group_size
    elif group_size is not None:
        raw["group_size"] = group_size
    request = StudyTourRequest.from_dict(raw)
    result = plan_study_tour(request, sites, graph, seed=seed)
    echo_result(result, fmt, format_study_text)
    if html_path is not None:
        write_html(html_path, render_print_html(result), N_("printable plan"))
    write_map(map_path, "study_map", result)


def _group_lines(plan: StudyTourPlan, group: GroupPlan, lang: str) -> list[str]:
    """One bus's timetable (its first group's): depart, each stop with what the group does, back."""
    from tourplan._parse import fmt_time

    lines = [f"  {fmt_time(group.depart)}  " + _("leave %(place)s") % {"place": plan.start.name}]
    for s in group.stops:
        wait = f" ({_('wait %(m)d min') % {'m': round(s.wait)}})" if s.wait else ""
        name = s.name_zh if lang == "zh" else f"{s.name_en} ({s.name_zh})"
        what = _("Lunch") if s.is_lunch else (s.learn if lang == "zh" else s.learn_en or s.learn)
        colon = "：" if lang == "zh" else ": "
        lines.append(f"  {fmt_time(s.start)}-{fmt_time(s.end)}  {name}{wait}{colon}{what}")
    lines.append(f"  {fmt_time(group.back)}  " + _("back at %(place)s") % {"place": plan.end.name})
    return lines


def _role(role: str, role_zh: str, lang: str) -> str:
    from tourplan.messages import Name
    from tourplan.study.request import STAFF_ROLES

    return STAFF_ROLES.get(role, Name(role_zh, role.replace("_", " "))).text(lang)


def format_study_text(plan: StudyTourPlan, lang: str | None = None) -> str:
    """A study tour as text in ``lang`` (default: the run's): the school, each bus's timetable, staff, costs, warnings."""
    from tourplan.messages import text_of

    lang = lang or current_lang()
    req = plan.request
    head = _("%(school)s · %(band)s (%(grade)s) · %(students)d students · %(date)s") % {
        "school": req.school, "band": req.band.text(lang), "grade": req.grade,
        "students": req.students, "date": req.date.isoformat(),
    }  # fmt: skip
    groups = _("%(groups)d groups on %(buses)d buses; start %(place)s; value %(value).1f") % {
        "groups": len(plan.groups), "buses": len(plan.buses), "place": plan.start.name, "value": plan.value,
    }  # fmt: skip
    if plan.value_share is not None:
        groups += ("" if lang == "zh" else " ") + _("(%(share)d%% of the best possible for these groups, %(bound).1f)") % {
            "share": round(100 * plan.value_share), "bound": plan.value_upper_bound,
        }  # fmt: skip
    lines = [head, groups]
    by_bus: dict[str, list[GroupPlan]] = {}
    for g in plan.groups:
        by_bus.setdefault(g.bus, []).append(g)
    for b in plan.buses:
        gs = by_bus.get(b.id, [])
        riders = LIST_SEP[lang].join(
            _("%(label)s (%(n)d students)") % {"label": g.label, "n": g.students} for g in gs
        )
        lines += ["", _("Bus %(bus)s (%(people)d/%(seats)d seats): %(groups)s") % {
            "bus": b.id, "people": b.people, "seats": b.seats, "groups": riders,
        }]  # fmt: skip
        if gs:
            lines += _group_lines(plan, gs[0], lang)
    staff = CLAUSE_SEP[lang].join(f"{_role(s.role, s.role_zh, lang)} {s.count}" for s in plan.staff)
    lines += ["", _("Staff: %(staff)s") % {"staff": staff}]
    lines.append(
        _("Costs: tickets %(tickets)s CNY, buses %(buses)s CNY, total %(total)s CNY") % {
            "tickets": f"{plan.tickets_cny:.0f}", "buses": f"{plan.bus_cost_cny:.0f}",
            "total": f"{plan.total_cost_cny:.0f}",
        }
    )  # fmt: skip
    lines += [_("Warning: %(text)s") % {"text": text_of(w, lang)} for w in plan.warnings]
    return "\n".join(lines)
