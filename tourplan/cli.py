"""The ``tourplan`` command line: a thin layer over the core.

Each command parses its options, calls core functions and formats their
result.  A :class:`~tourplan.errors.TourplanError` (a user's mistake or an
impossible request) becomes one line on stderr and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tourplan import __version__
from tourplan.errors import DataValidationError, TourplanError
from tourplan.site import STUDY_PRODUCTS
from tourplan.study.request import LIMITS as STUDY_LIMITS
from tourplan.study.request import STUDY_THEMES

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USER_ERROR = 2
EXIT_INVALID_DATA = 1


def _fail(message: str, code: int = EXIT_USER_ERROR) -> None:
    click.echo(f"tourplan: error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn tourplan's own errors into one line on stderr and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataValidationError as exc:
            _fail(str(exc), EXIT_INVALID_DATA)
        except TourplanError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        return None

    return wrapper  # type: ignore[return-value]


def path_option(
    *param_decls: str, help: str | None = None, exists: bool = False, folder: bool = False
) -> Callable[[F], F]:
    """An optional path option (default ``None``): a file, or with ``folder`` a directory."""
    if folder:
        kind = click.Path(exists=exists, file_okay=False, path_type=Path)
    else:
        kind = click.Path(exists=exists, dir_okay=False, path_type=Path)
    return click.option(*param_decls, type=kind, default=None, help=help)


def data_option(func: F) -> F:
    """Add ``--data`` and ``--edges`` (another site table and legs)."""
    func = path_option(
        "--edges", "edges_path", help="Explicit legs CSV (default: the bundled data/edges.csv)."
    )(func)
    return path_option(
        "--data", "data_path", help="Site table CSV to use instead of the bundled data/pois.csv."
    )(func)


def seed_option(func: F) -> F:
    """Add ``--seed`` (the random seed, default 0)."""
    return click.option("--seed", default=0, show_default=True, type=int)(func)


def format_option(*choices: str, show_default: bool | None = None) -> Callable[[F], F]:
    """``--format`` (into ``fmt``) among ``choices``, default ``text``."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default="text", show_default=show_default
    )


def day_hours_options(end_time: str) -> Callable[[F], F]:
    """``--start-time`` (default 08:30) and ``--end-time`` (default ``end_time``) of the day."""

    def decorate(func: F) -> F:
        func = click.option("--end-time", default=end_time, show_default=True)(func)
        return click.option("--start-time", default="08:30", show_default=True)(func)

    return decorate


def _echo_result(result: Any, fmt: str, text: Callable[[Any], str], indent: int | None = 1) -> None:
    """Print ``result`` as JSON (its ``to_dict()``) when ``fmt`` is json, else as ``text(result)``."""
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=indent))
    else:
        click.echo(text(result))


def _write_html(path: Path, html: str, what: str) -> None:
    """Write an HTML page and say so on stderr."""
    path.write_text(html, encoding="utf-8")
    click.echo(f"{what} written to {path}", err=True)


def _load(data_path: Path | None, edges_path: Path | None) -> tuple[Any, Any]:
    from tourplan.data import load_edges, load_sites
    from tourplan.graph import SiteGraph

    sites = load_sites(data_path)
    edges = load_edges(edges_path, sites) if (edges_path or data_path is None) else ()
    return sites, SiteGraph(sites, edges)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tourplan")
def main() -> None:
    """tourplan: itineraries, study tours and visitor flow for Jiefang District, Jiaozuo."""
    warnings.showwarning = _show_warning


_python_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Our warnings (say, a coordinate that looks GCJ-02) as one line on stderr, like errors; others as Python prints them."""
    from tourplan.errors import TourplanWarning

    if issubclass(category, TourplanWarning):
        click.echo(f"tourplan: warning: {message}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@path_option("--edges", "edges_path")
@handle_errors
def validate(file: Path | None, edges_path: Path | None) -> None:
    """Check a site table (default: the bundled one) and print every problem."""
    from tourplan.data import load_edges, load_sites
    from tourplan.errors import TourplanWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TourplanWarning)
        try:
            sites = load_sites(file)
            edges = load_edges(edges_path, sites) if (edges_path or file is None) else ()
        except DataValidationError as exc:
            for p in exc.problems:
                click.echo(str(p), err=True)
            n = len(exc.problems)
            _fail(f"{n} problem{'s' if n != 1 else ''} found; nothing was loaded", EXIT_INVALID_DATA)
            return
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    name = file if file is not None else "bundled data/pois.csv"
    click.echo(f"{name}: {len(sites)} sites, {len(edges)} explicit legs, OK")


@main.group("sites", invoke_without_command=True)
@data_option
@click.option("--category", multiple=True, help="Only this category (repeatable).")
@click.option("--theme", multiple=True, help="Only sites with this theme (repeatable).")
@click.option("--grade", type=click.Choice(["primary", "junior", "senior"]), default=None)
@click.option("--search", "text", default=None, help="Text in the name (zh or en).")
@format_option("text", "json", "csv")
@click.pass_context
@handle_errors
def sites_cmd(
    ctx: click.Context,
    data_path: Path | None,
    edges_path: Path | None,
    category: tuple[str, ...],
    theme: tuple[str, ...],
    grade: str | None,
    text: str | None,
    fmt: str,
) -> None:
    """List sites, optionally filtered (``sites export``/``sites edit``: the web app's table).

    CSV cells that a spreadsheet would run as formulas get a leading '.
    """
    from tourplan.data import load_sites, sites_frame
    from tourplan.export import csv_cell

    del edges_path
    if ctx.invoked_subcommand is not None:
        return
    table = load_sites(data_path).filter(
        category=category or None, theme=theme or None, grade=grade, text=text
    )
    frame = sites_frame(table)
    if fmt == "json":
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(frame.map(csv_cell).to_csv(index=False), nl=False)
    else:
        for s in table:
            approx = " ~" + f"{s.location_error_m / 1000:.1f}km" if s.approximate else ""
            click.echo(
                f"{s.id:32} {s.category:11} {s.lat:9.5f} {s.lon:10.5f}{approx:9} {s.name_zh} / {s.name_en}"
            )
        click.echo(f"{len(table)} sites")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@data_option
@handle_errors
def serve(host: str, port: int, debug: bool, data_path: Path | None, edges_path: Path | None) -> None:
    """Run the web app (development server; use gunicorn in production)."""
    from tourplan.web import create_app

    overrides: dict[str, Any] = {}
    if data_path is not None:
        overrides["POIS_PATH"] = str(data_path)
    if edges_path is not None:
        overrides["EDGES_PATH"] = str(edges_path)
    from tourplan.web.serving import QuietRequestHandler

    app = create_app(overrides or None)
    app.run(host=host, port=port, debug=debug, request_handler=QuietRequestHandler)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--routes", "-m", default=1, show_default=True, type=click.IntRange(1, 50))
@click.option("--time-limit", default=2.0, show_default=True, type=click.FloatRange(0.01, 3600))
@seed_option
@click.option(
    "--decimals",
    default=None,
    type=click.IntRange(0, 6),
    help="Truncate travel times (default: 2 for pr*, else 1).",
)
@handle_errors
def optw(file: Path, routes: int, time_limit: float, seed: int, decimals: int | None) -> None:
    """Solve an OPTW/TOPTW benchmark instance and print the result as JSON."""
    from tourplan.optimize import format_result, read_optw, solve

    name, problem = read_optw(file, routes=routes, decimals=decimals)
    solution = solve(problem, time_limit=time_limit, seed=seed)
    click.echo(json.dumps(format_result(name, solution)))


@main.command("import-osm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@path_option("--data", "data_path", help="Site table to merge into (default: the bundled one).")
@click.option(
    "--bbox",
    default="34.8,112.6,35.5,113.7",
    show_default=True,
    help="south,west,north,east in WGS-84 degrees.",
)
@path_option("--output", "-o", help="Write the merged table here (default: print a summary only).")
@handle_errors
def import_osm(file: Path, data_path: Path | None, bbox: str, output: Path | None) -> None:
    """Turn an OpenStreetMap extract (.osm XML or .pbf) into site rows."""
    from tourplan.data import load_sites
    from tourplan.osm import merge_sites, read_osm, write_sites_csv

    try:
        south, west, north, east = (float(x) for x in bbox.split(","))
    except ValueError:
        _fail(f"--bbox: expected four numbers south,west,north,east, got {bbox!r}")
        return
    found = read_osm(file, bbox=(south, west, north, east))
    table = load_sites(data_path)
    merged, report = merge_sites(table, found)
    click.echo(
        f"{len(found)} OSM features in the box; {report.updated} sites got a better point, "
        f"{report.added} new sites, {report.unchanged} matched without change"
    )
    for line in report.details:
        click.echo(f"  {line}")
    if output is not None:
        write_sites_csv(merged, output)
        click.echo(f"wrote {len(merged)} sites to {output}")


@main.command()
@data_option
@click.option(
    "--interests", default="", help="Theme weights, e.g. mountain=1,history=0.5 (default: all themes)."
)
@click.option("--date", "date_", required=True, help="First day, YYYY-MM-DD.")
@click.option("--days", default=1, show_default=True, type=click.IntRange(1, 4))
@click.option(
    "--start", default="jiaozuo_station", show_default=True, help="Site id, 'lat,lon' or a place name."
)
@click.option("--end", default=None, help="Where the trip ends (default: the start).")
@click.option(
    "--hotel", default=None, help="Where each night is spent on a multi-day trip (default: the end)."
)
@day_hours_options(end_time="18:00")
@click.option(
    "--pace", type=click.Choice(["relaxed", "normal", "active"]), default="normal", show_default=True
)
@click.option(
    "--mode", type=click.Choice(["walk", "drive", "bus", "mixed"]), default="drive", show_default=True
)
@click.option("--must-see", default="", help="Comma-separated site ids.")
@click.option("--exclude", default="", help="Comma-separated site ids.")
@click.option("--ticket-budget", type=float, default=None, help="Most CNY to spend on tickets.")
@click.option("--accessible", is_flag=True, help="Only sites without steep trails or stairs.")
@click.option("--no-lunch", is_flag=True, help="Do not plan a lunch stop.")
@seed_option
@click.option(
    "--geocoder",
    type=click.Choice(["none", "nominatim"]),
    default="none",
    show_default=True,
    help="Geocode free-text places that match no site (nominatim needs the internet).",
)
@format_option("json", "text", show_default=True)
@path_option("--map", "map_path", help="Also write the route map as a standalone HTML file.")
@handle_errors
def plan(
    data_path: Path | None,
    edges_path: Path | None,
    interests: str,
    date_: str,
    days: int,
    start: str,
    end: str | None,
    hotel: str | None,
    start_time: str,
    end_time: str,
    pace: str,
    mode: str,
    must_see: str,
    exclude: str,
    ticket_budget: float | None,
    accessible: bool,
    no_lunch: bool,
    seed: int,
    geocoder: str,
    fmt: str,
    map_path: Path | None,
) -> None:
    """Plan a visitor itinerary (one to four days)."""
    from tourplan.itinerary import ItineraryRequest, parse_interests, plan_itinerary

    sites, graph = _load(data_path, edges_path)
    request = ItineraryRequest.from_dict(
        {
            "date": date_,
            "days": days,
            "interests": parse_interests(interests),
            "start": start,
            "end": end,
            "hotel": hotel,
            "day_start": start_time,
            "day_end": end_time,
            "pace": pace,
            "mode": mode,
            "must_see": must_see,
            "exclude": exclude,
            "ticket_budget": ticket_budget,
            "accessible_only": accessible,
            "lunch": not no_lunch,
        }
    )
    coder = None
    if geocoder == "nominatim":
        from geopy.geocoders import Nominatim

        coder = Nominatim(user_agent=f"tourplan/{__version__}", timeout=10)
    itinerary = plan_itinerary(request, sites, graph, seed=seed, geocoder=coder)
    _echo_result(itinerary, fmt, format_itinerary_text)
    if map_path is not None:
        from tourplan.maps import to_standalone_html
        from tourplan.views import itinerary_map

        _write_html(map_path, to_standalone_html(itinerary_map(itinerary, sites)), "map")


def format_itinerary_text(itinerary: Any) -> str:
    """A readable schedule of an itinerary."""
    from tourplan.itinerary import fmt_time

    lines: list[str] = []
    for k, d in enumerate(itinerary.days, start=1):
        lines.append(f"Day {k} — {d.date.isoformat()} (sunset {fmt_time(d.sunset)})")
        lines.append(f"  {fmt_time(d.depart)}  leave {d.start.name}")
        for leg, s in zip(d.legs, d.stops, strict=False):
            lines.append(f"           {leg.mode} {leg.minutes:.0f} min, {leg.km:.1f} km")
            wait = f" (wait {s.wait:.0f} min)" if s.wait >= 1 else ""
            ticket = f", ticket {s.ticket_cny:.0f} CNY" if s.ticket_cny else ""
            crowd = f", {s.crowd}" if s.crowd else ""
            lines.append(
                f"  {fmt_time(s.start)}-{fmt_time(s.end)}  {s.name_zh} / {s.name_en}{wait}{ticket}{crowd}"
            )
            if s.activity:
                lines.append(f"           {s.activity}")
        last = d.legs[-1]
        lines.append(f"           {last.mode} {last.minutes:.0f} min, {last.km:.1f} km")
        lines.append(f"  {fmt_time(d.back)}  back at {d.end.name}")
    lines.append(
        f"Score {itinerary.score:.1f}; tickets {itinerary.tickets_cny:.0f} CNY; "
        f"travel {itinerary.travel_minutes:.0f} min; on foot {itinerary.walk_km:.1f} km"
    )
    for w in itinerary.warnings:
        lines.append(f"Warning: {w}")
    return "\n".join(lines)


def _study_range(name: str) -> click.IntRange | click.FloatRange:
    """A click range for a study-request field, read from :data:`tourplan.study.LIMITS`."""
    r = STUDY_LIMITS[name]
    if r.integer:
        return click.IntRange(int(r.lo), int(r.hi))
    return click.FloatRange(r.lo, r.hi)


@main.command("study-tour")
@data_option
@click.option("--school", required=True, help="School name.")
@click.option(
    "--grade",
    type=click.Choice(["primary", "junior", "senior"]),
    required=True,
    help="Grade band: primary 小学, junior 初中, senior 高中.",
)
@click.option("--grade-years", default="", help="Comma-separated grade years within the band, e.g. 1,2.")
@click.option("--students", type=_study_range("students"), required=True)
@click.option(
    "--group-size",
    type=_study_range("group_size"),
    default=None,
    help="Students per group (class); default 40.",
)
@click.option(
    "--groups", type=_study_range("groups"), default=None, help="Number of groups (instead of --group-size)."
)
@click.option("--buses", type=_study_range("buses"), required=True)
@click.option("--seats", type=_study_range("seats"), required=True, help="Passenger seats per bus.")
@click.option("--date", "date_", required=True, help="YYYY-MM-DD.")
@click.option(
    "--start", default="jiaozuo_station", show_default=True, help="Site id, 'lat,lon' (the school) or a name."
)
@click.option("--end", default=None, help="Where the day ends (default: the start).")
@day_hours_options(end_time="17:00")
@click.option("--themes", default="", help=f"Comma-separated site themes: {','.join(STUDY_THEMES)}.")
@click.option(
    "--products", default="", help=f"Comma-separated 研学 product types: {','.join(STUDY_PRODUCTS)}."
)
@click.option("--require", default="", help="Comma-separated site ids every group visits.")
@click.option("--exclude", default="", help="Comma-separated site ids.")
@click.option(
    "--lunch", type=click.Choice(["group", "together", "packed"]), default="group", show_default=True
)
@click.option("--lunch-site", default=None, help="Site id of the lunch place.")
@click.option(
    "--max-ride",
    type=_study_range("max_ride_minutes"),
    default=None,
    help="Longest bus ride in minutes (default by grade: 60/90/120).",
)
@click.option(
    "--teacher-ratio",
    type=_study_range("staff.students_per_teacher"),
    default=20,
    show_default=True,
    help="Students per accompanying teacher.",
)
@click.option(
    "--bus-cost",
    type=_study_range("bus_cost_cny"),
    default=None,
    help="CNY per bus-day (default: TOURPLAN_BUS_COST_CNY, else 1500, an assumed coach hire; the JSON says which).",
)
@click.option(
    "--staff-separately",
    is_flag=True,
    help="The safety officer and project leader travel separately (no bus seats).",
)
@seed_option
@format_option("json", "text", show_default=True)
@path_option("--html", "html_path", help="Also write the printable plan (HTML).")
@path_option("--map", "map_path", help="Also write the study-tour map as a standalone HTML file.")
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

    sites, graph = _load(data_path, edges_path)
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
    _echo_result(result, fmt, lambda r: r.summary())
    if html_path is not None:
        _write_html(html_path, render_print_html(result), "printable plan")
    if map_path is not None:
        from tourplan.maps import to_standalone_html
        from tourplan.views import study_map

        _write_html(map_path, to_standalone_html(study_map(result)), "map")


# --------------------------------------------------------------------------- staff users (web)


def _user_store() -> Any:
    """The web app's store, as configured (instance folder, ``TOURPLAN_*`` env)."""
    from tourplan.web import create_app

    return create_app().extensions["tourplan.store"]


@main.group("users")
def users() -> None:
    """Staff accounts of the web app (same configuration as ``tourplan serve``)."""


def _password_option(func: F) -> F:
    return click.option(
        "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
    )(func)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("add")
@click.argument("name")
@_password_option
@handle_errors
def users_add(name: str, password_stdin: bool) -> None:
    """Create staff account NAME; prompts for the password unless --password-stdin."""
    password = _read_password(password_stdin)
    try:
        rec = _user_store().add_user(name, password)
    except ValueError as exc:
        _fail(str(exc))
        return
    click.echo(f"added staff user {rec.username!r}")


@users.command("passwd")
@click.argument("name")
@_password_option
@handle_errors
def users_passwd(name: str, password_stdin: bool) -> None:
    """Set the password of staff account NAME; every session of that account ends."""
    store = _user_store()
    if name not in {u.username for u in store.list_users()}:
        _fail(f"users passwd: no staff user {name!r} (see 'tourplan users list')")
        return
    password = _read_password(password_stdin)
    try:
        store.set_password(name, password)
    except ValueError as exc:
        _fail(str(exc))
        return
    except KeyError:
        _fail(f"users passwd: no staff user {name!r} (see 'tourplan users list')")
        return
    click.echo(f"password of staff user {name!r} changed; every session of that account has ended")


@users.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def users_remove(name: str, yes: bool) -> None:
    """Delete staff account NAME (its saved plans and runs stay); its sessions end."""
    if not yes:
        click.confirm(f"Remove staff user {name!r}?", abort=True)
    try:
        _user_store().remove_user(name)
    except KeyError:
        _fail(f"users remove: no staff user {name!r} (see 'tourplan users list')")
        return
    click.echo(f"removed staff user {name!r}")


@users.command("list")
@handle_errors
def users_list() -> None:
    """List staff accounts: name and when each was created."""
    for u in _user_store().list_users():
        click.echo(f"{u.username}\t{u.created:%Y-%m-%d %H:%M} UTC")


@main.command()
@click.option("--date", "date_text", required=True, help="Day to simulate, YYYY-MM-DD.")
@click.option(
    "--visitors",
    type=click.IntRange(0, 20_000_000),
    default=None,
    help="Visitors that day (default: by day type).",
)
@seed_option
@click.option(
    "--slot", "slot", default=15, show_default=True, type=click.Choice(["5", "10", "15", "20", "30", "60"])
)
@click.option(
    "--day-type",
    type=click.Choice(["weekday", "weekend", "public_holiday", "golden_week"]),
    default=None,
    help="Override the day type derived from the date.",
)
@click.option(
    "--rain",
    "outdoor_factor",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 2),
    help="Value factor of outdoor sites (below 1 when it rains).",
)
@path_option(
    "--scenario",
    "scenario_path",
    exists=True,
    help="Scenario JSON (fields of Scenario.from_dict); options override it.",
)
@click.option(
    "--timed-entry",
    is_flag=True,
    help="Timed-entry quotas at every site from its capacity (LB/T 034: C0 x slot / visit time).",
)
@click.option(
    "--quota",
    "quotas",
    multiple=True,
    metavar="SITE=N",
    help="Timed-entry quota: at most N entries per slot at SITE (repeatable; overrides --timed-entry there).",
)
@click.option(
    "--daily-cap",
    "daily_caps",
    multiple=True,
    metavar="SITE=N",
    help="At most N admissions a day at SITE (repeatable).",
)
@click.option(
    "--group-shift",
    type=click.IntRange(-240, 240),
    default=None,
    metavar="MINUTES",
    help="Move school groups' start times this many minutes later (negative: earlier).",
)
@click.option(
    "--compare",
    "compare_runs",
    is_flag=True,
    help="Also run the day without the measures and show both side by side.",
)
@format_option("text", "json")
@path_option("--csv", "csv_dir", folder=True, help="Write slots.csv and daily.csv here.")
@path_option("--plot", "plot_path", help="Draw occupancy against capacity (PNG; needs matplotlib).")
@data_option
@handle_errors
def simulate(
    date_text: str,
    visitors: int | None,
    seed: int,
    slot: str,
    day_type: str | None,
    outdoor_factor: float,
    scenario_path: Path | None,
    timed_entry: bool,
    quotas: tuple[str, ...],
    daily_caps: tuple[str, ...],
    group_shift: int | None,
    compare_runs: bool,
    fmt: str,
    csv_dir: Path | None,
    plot_path: Path | None,
    data_path: Path | None,
    edges_path: Path | None,
) -> None:
    """Simulate a day of visitor flow: occupancy, queues, alert episodes and the effect of measures.

    Measures (timed entry, quotas, daily caps, moved school groups) add to
    those of the scenario file; --compare also runs the day as planned
    (without any) and reports both.
    """
    from dataclasses import replace

    from tourplan.flow import Measures, PlanLibrary, Scenario, compare
    from tourplan.flow import simulate as run_simulation

    spec: dict[str, Any] = {}
    if scenario_path is not None:
        try:
            spec = dict(json.loads(scenario_path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            _fail(f"{scenario_path}: not a JSON object ({exc})")
            return
    spec["date"] = date_text
    spec["slot_minutes"] = int(slot)
    if visitors is not None:
        spec["visitors"] = visitors
    if day_type is not None:
        spec["day_type"] = day_type
    if outdoor_factor != 1.0:
        spec["outdoor_factor"] = outdoor_factor
    measures = dict(spec.get("measures") or {})
    if timed_entry:
        measures["timed_entry"] = True
    for name, pairs in (("quotas", quotas), ("daily_caps", daily_caps)):
        if pairs:
            measures[name] = {
                **dict(measures.get(name) or {}),
                **_site_numbers(pairs, name.replace("_", "-")),
            }
    if group_shift is not None:
        measures["group_shift_minutes"] = group_shift
    if measures:
        spec["measures"] = measures
    scenario = Scenario.from_dict(spec)
    sites, graph = _load(data_path, edges_path)
    plans = PlanLibrary()
    if sys.stderr.isatty():
        with click.progressbar(length=1000, label="simulating", file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(fraction: float) -> None:
                step = int(fraction * 1000) - state["done"]
                if step > 0:
                    bar.update(step)
                    state["done"] += step

            result = run_simulation(scenario, sites, graph, seed=seed, progress=progress, plans=plans)
    else:
        result = run_simulation(scenario, sites, graph, seed=seed, plans=plans)
    comparison = None
    if compare_runs:
        planned = replace(scenario, measures=Measures())
        comparison = compare(run_simulation(planned, sites, graph, seed=seed, plans=plans), result)
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        slots, daily = result.to_frames()
        slots.to_csv(csv_dir / "slots.csv", index=False)
        daily.to_csv(csv_dir / "daily.csv", index=False)
    if plot_path is not None:
        try:
            from tourplan.flow import plot_occupancy
        except ImportError as exc:  # pragma: no cover - matplotlib is optional
            _fail(f"--plot needs matplotlib ({exc})")
            return
        try:
            fig = plot_occupancy(result)
        except ImportError as exc:
            _fail(f"--plot needs matplotlib ({exc})")
            return
        fig.savefig(plot_path, dpi=110)
    if comparison is None:
        _echo_result(result, fmt, format_simulation_text, indent=None)
    elif fmt == "json":
        click.echo(json.dumps({**result.to_dict(), "comparison": comparison.to_dict()}, ensure_ascii=False))
    else:
        click.echo(format_simulation_text(result) + "\n" + format_comparison_text(comparison.to_dict()))


def _site_numbers(pairs: tuple[str, ...], option: str) -> dict[str, int]:
    """``SITE=N`` option values to ``{site: N}``; a malformed one is a usage error."""
    out: dict[str, int] = {}
    for text in pairs:
        sid, sep, num = text.partition("=")
        if not sep or not sid.strip() or not num.strip().isdigit():
            msg = f"expected SITE=N with N a whole number, got {text!r}"
            raise click.BadParameter(msg, param_hint=f"--{option}")
        out[sid.strip()] = int(num)
    return out


def format_simulation_text(result: Any) -> str:
    """A simulation's summary and its 20 worst alert episodes (times are China Standard Time)."""
    lines = [result.summary()]
    episodes = result.episodes()
    for e in episodes[:20]:
        d = e.to_dict()
        lines.append(
            f"  {d['start']}-{d['end']} {d['level']:6} {e.site_id} peak {d['peak_pct']} % "
            f"({d['peak']:,} / C0 {d['capacity_instant']:,}) at {d['peak_at']}, queue up to {d['max_queue']:,}"
        )
    if len(episodes) > 20:
        lines.append(f"  ... {len(episodes) - 20} more episodes (use --format json or --csv)")
    return "\n".join(lines)


def format_comparison_text(c: dict[str, Any]) -> str:
    """As planned against with measures: the figures side by side, then the episodes the measures eased."""
    a, b = c["planned"], c["measured"]
    rows = [
        ("red / orange / yellow episodes", *(
            f"{x['episodes']['red']} / {x['episodes']['orange']} / {x['episodes']['yellow']}" for x in (a, b)
        )),
        ("highest share of C0 (%)", str(a["max_pct"]), str(b["max_pct"])),
        ("longest queue (people)", f"{a['max_queue']:,}", f"{b['max_queue']:,}"),
        ("mean wait (min)", str(a["mean_wait_minutes"]), str(b["mean_wait_minutes"])),
        ("visits", f"{a['visits']:,}", f"{b['visits']:,}"),
        ("visits shifted / diverted / skipped", "0 / 0 / 0",
         f"{b['shifted']:,} / {b['diverted']:,} / {b['skipped']:,}"),
        ("turned away (visitors)", f"{a['turned_away']:,}", f"{b['turned_away']:,}"),
    ]  # fmt: skip
    lines = ["", f"{'':38}{'as planned':>16}{'with measures':>26}"]
    lines += [f"{name:38}{x:>16}{y:>26}" for name, x, y in rows]
    eased = [e for e in c["episodes"] if e["removed"]]
    lines.append(f"episodes eased by the measures: {len(eased)} of {len(c['episodes'])}")
    for e in eased[:20]:
        lines.append(
            f"  {e['start']}-{e['end']} {e['site_id']}: {e['level']} {e['peak_pct']} % -> {e['after']} {e['after_pct']} %"
        )
    return "\n".join(lines)


@main.command()
@handle_errors
def warmup() -> None:
    """Compile the optimizer and the flow engine now (cached on disk) rather than on the first request."""
    from tourplan.warmup import warm_up

    for part, seconds in warm_up().items():
        click.echo(f"{part}: ready in {seconds:.1f} s")


# --------------------------------------------------------------------------- past one machine
# ``tourplan worker`` (RQ jobs from Redis) and ``tourplan sweep`` (season sweeps on Dask).


def _int_list(_ctx: Any, _param: Any, value: str) -> list[int]:
    try:
        out = [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    except ValueError:
        msg = f"expected comma-separated counts, got {value!r}"
        raise click.BadParameter(msg) from None
    if not out or any(v < 0 for v in out):
        msg = f"expected one or more counts >= 0, got {value!r}"
        raise click.BadParameter(msg)
    return out


@main.command()
@click.option(
    "--redis-url",
    envvar="TOURPLAN_REDIS_URL",
    required=True,
    help="The queue's Redis [env TOURPLAN_REDIS_URL].",
)
@click.option(
    "--database-url",
    envvar="TOURPLAN_DATABASE_URL",
    default=None,
    help="Where runs are recorded [env TOURPLAN_DATABASE_URL; default: the web app's].",
)
@click.option("--burst", is_flag=True, help="Quit once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: random).")
@click.option("--maintenance-interval", default=600, show_default=True, type=click.IntRange(1),
              help="Seconds between clean-ups that fail or re-queue the jobs of dead workers.")  # fmt: skip
@click.option("--monitoring-interval", default=30, show_default=True, type=click.IntRange(1),
              help="Seconds between heartbeats of a running job.")  # fmt: skip
@click.option("--heartbeat-grace", default=60, show_default=True, type=click.IntRange(1),
              help="Seconds after a missed heartbeat before a job counts as abandoned.")  # fmt: skip
@handle_errors
def worker(
    redis_url: str,
    database_url: str | None,
    burst: bool,
    name: str | None,
    maintenance_interval: int,
    monitoring_interval: int,
    heartbeat_grace: int,
) -> None:
    """Run simulation jobs from the Redis queue (start one or more next to the web app)."""
    from tourplan.jobs import serve
    from tourplan.store import Store

    if database_url is None:
        from tourplan.web import create_app

        database_url = str(create_app().config["DATABASE_URL"])
    serve(
        redis_url,
        Store(database_url),
        burst=burst,
        name=name,
        maintenance_interval=maintenance_interval,
        monitoring_interval=monitoring_interval,
        heartbeat_grace=heartbeat_grace,
    )


@main.command()
@click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--visitors", required=True, callback=_int_list, help="Demand levels, e.g. 50000,100000.")
@click.option(
    "--seeds", default=3, show_default=True, type=click.IntRange(1, 1000), help="Seeds 0..N-1 per day."
)
@click.option("--rain", "outdoor_factor", default=1.0, show_default=True, type=click.FloatRange(0, 2),
              help="Value factor of outdoor sites (below 1 for a rainy season).")  # fmt: skip
@click.option("--scheduler", default=None, help="A running dask scheduler, tcp://HOST:PORT (default: local).")
@click.option(
    "--workers", default=None, type=click.IntRange(1, 256), help="Local worker processes (default: cores)."
)
@format_option("text", "json")
@data_option
@handle_errors
def sweep(
    date_from: str,
    date_to: str,
    visitors: list[int],
    seeds: int,
    outdoor_factor: float,
    scheduler: str | None,
    workers: int | None,
    fmt: str,
    data_path: Path | None,
    edges_path: Path | None,
) -> None:
    """Simulate every day x demand x seed on Dask; peak load and alert episodes per site and day."""
    from tourplan._parse import parse_date
    from tourplan.errors import RequestValidationError
    from tourplan.sweep import make_cases, run_sweep

    errors: dict[str, str] = {}
    start, end = parse_date(date_from, errors, "from"), parse_date(date_to, errors, "to")
    if errors or start is None or end is None:
        raise RequestValidationError(errors)
    cases = make_cases(start, end, visitors, seeds)
    sites, graph = _load(data_path, edges_path)
    base = {"outdoor_factor": outdoor_factor} if outdoor_factor != 1.0 else {}
    result = run_sweep(cases, sites, graph, base, scheduler=scheduler, workers=workers)
    _echo_result(result, fmt, format_sweep_text)
    click.echo(f"{result.cases} simulations in {result.runtime:.1f} s", err=True)


def format_sweep_text(result: Any) -> str:
    """Per demand level: the sites that reach 80 % of C0 on some day, p90 peak % per day."""
    lines: list[str] = []
    for n in result.demands:
        ids, dates, grid = result.heat(n)
        lines.append(f"{n:,} visitors: p90 peak % of C0 (sites reaching 80 %)")
        lines.append("  " + " ".join(f"{d:%m-%d}" for d in dates) + "  site")
        for sid, row in zip(ids, grid, strict=True):
            if max(row) >= 80:
                lines.append("  " + " ".join(f"{x:5.0f}" for x in row) + f"  {sid}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- site data in the store, API tokens
from tourplan.cli_sites import register as _register_site_commands  # noqa: E402

_register_site_commands(sites_cmd, users)


if __name__ == "__main__":  # pragma: no cover
    main()
