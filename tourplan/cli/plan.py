"""``tourplan plan``: a visitor's itinerary of one to four days."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tourplan import __version__
from tourplan._parse import defaults
from tourplan.cli import options as opt
from tourplan.cli._common import echo_result, handle_errors, load, write_map
from tourplan.graph import MODES
from tourplan.itinerary.request import LIMITS, PACES, ItineraryRequest

if TYPE_CHECKING:
    from pathlib import Path

    from tourplan.itinerary import Itinerary
    from tourplan.itinerary.result import DayPlan

__all__ = ["format_itinerary_text", "plan"]

_DEFAULT = defaults(ItineraryRequest)


@click.command()
@opt.data_option
@click.option(
    "--interests", default="", help="Theme weights, e.g. mountain=1,history=0.5 (default: all themes)."
)
@click.option("--date", "date_", required=True, help="First day, YYYY-MM-DD.")
@click.option("--days", default=_DEFAULT["days"], show_default=True, type=opt.limit(LIMITS, "days"))
@click.option(
    "--start", default=_DEFAULT["start"], show_default=True, help="Site id, 'lat,lon' or a place name."
)
@click.option("--end", default=None, help="Where the trip ends (default: the start).")
@click.option(
    "--hotel", default=None, help="Where each night is spent on a multi-day trip (default: the end)."
)
@opt.day_hours_options(_DEFAULT)
@click.option("--pace", type=click.Choice(list(PACES)), default=_DEFAULT["pace"], show_default=True)
@click.option("--mode", type=click.Choice(MODES), default=_DEFAULT["mode"], show_default=True)
@click.option("--must-see", default="", help="Comma-separated site ids.")
@click.option("--exclude", default="", help="Comma-separated site ids.")
@click.option("--ticket-budget", type=float, default=None, help="Most CNY to spend on tickets.")
@click.option("--accessible", is_flag=True, help="Only sites without steep trails or stairs.")
@click.option("--no-lunch", is_flag=True, help="Do not plan a lunch stop.")
@opt.seed_option
@click.option(
    "--geocoder",
    type=click.Choice(["none", "nominatim"]),
    default="none",
    show_default=True,
    help="Geocode free-text places that match no site (nominatim needs the internet).",
)
@opt.format_option("json", "text", show_default=True)
@opt.path_option("--map", "map_path", help="Also write the route map as a standalone HTML file.")
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

    sites, graph = load(data_path, edges_path)
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
    echo_result(itinerary, fmt, format_itinerary_text)
    write_map(map_path, "itinerary_map", itinerary, sites)


def _day_lines(k: int, d: DayPlan) -> list[str]:
    """The timetable of day ``k`` (1-based): leave, each leg and stop, back."""
    from tourplan._parse import fmt_time

    lines = [
        f"Day {k} — {d.date.isoformat()} (sunset {fmt_time(d.sunset)})",
        f"  {fmt_time(d.depart)}  leave {d.start.name}",
    ]
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
    return lines


def format_itinerary_text(itinerary: Itinerary) -> str:
    """A readable schedule of an itinerary: each day's timetable, the totals and any warnings."""
    days = [line for k, d in enumerate(itinerary.days, start=1) for line in _day_lines(k, d)]
    totals = (
        f"Score {itinerary.score:.1f}; tickets {itinerary.tickets_cny:.0f} CNY; "
        f"travel {itinerary.travel_minutes:.0f} min; on foot {itinerary.walk_km:.1f} km"
    )
    return "\n".join([*days, totals, *(f"Warning: {w}" for w in itinerary.warnings)])
