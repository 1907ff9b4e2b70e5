"""``tourplan study-tour``: a school's study tour (研学旅行), several groups on buses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tourplan._parse import defaults
from tourplan.cli import options as opt
from tourplan.cli._common import echo_result, handle_errors, load, write_html, write_map
from tourplan.site import GRADES, STUDY_PRODUCTS
from tourplan.study.request import LIMITS, LUNCH_MODES, STUDY_THEMES, StaffRules, StudyTourRequest

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["study_tour"]

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
    echo_result(result, fmt, lambda r: r.summary())
    if html_path is not None:
        write_html(html_path, render_print_html(result), "printable plan")
    write_map(map_path, "study_map", result)
