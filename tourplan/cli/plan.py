"""``tourplan plan``: a visitor's itinerary of one to four days."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tourplan import __version__
from tourplan._parse import defaults
from tourplan.cli import options as opt
from tourplan.cli._common import echo_result, handle_errors, load, write_map
from tourplan.cli.lang import CLAUSE_SEP, N_, current_lang, ngettext
from tourplan.cli.lang import gettext as _
from tourplan.graph import MODES
from tourplan.itinerary.request import LIMITS, PACES, ItineraryRequest

if TYPE_CHECKING:
    from pathlib import Path

    from tourplan.itinerary import Itinerary
    from tourplan.itinerary.result import DayPlan, TravelLeg

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
@click.option(
    "--crowd/--no-crowd",
    default=True,
    show_default=True,
    help="Show each sight's expected crowding (the flow model's forecast for the day) and warn on peak days.",
)
@click.option(
    "--avoid-crowds/--no-avoid-crowds",
    default=None,
    help="Prefer the quieter time slots (default: on peak days only; needs --crowd).",
)
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
    crowd: bool,
    avoid_crowds: bool | None,
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
            "avoid_crowds": avoid_crowds,
        }
    )
    coder = None
    if geocoder == "nominatim":
        from geopy.geocoders import Nominatim

        coder = Nominatim(user_agent=f"tourplan/{__version__}", timeout=10)
    itinerary = plan_itinerary(request, sites, graph, seed=seed, geocoder=coder, forecast=crowd)
    echo_result(itinerary, fmt, format_itinerary_text)
    write_map(map_path, "itinerary_map", itinerary, sites)


#: The transport modes' words: the web form's labels, so both say the same (``_(MODE_WORDS[mode])``).
MODE_WORDS = {"walk": N_("On foot"), "drive": N_("Car / taxi"), "bus": N_("Bus"), "mixed": N_("Mixed")}


def _day_lines(k: int, d: DayPlan, lang: str) -> list[str]:
    """The timetable of day ``k`` (1-based): leave, each leg and stop, back."""
    from tourplan._parse import fmt_time
    from tourplan.messages import crowd_text

    def leg_line(leg: TravelLeg) -> str:
        mode = _(MODE_WORDS.get(leg.mode, leg.mode))
        return "           " + _("%(mode)s %(minutes)d min, %(km).1f km") % {
            "mode": mode,
            "minutes": round(leg.minutes),
            "km": leg.km,
        }

    lines = [
        _("Day %(n)d") % {"n": k}
        + f" — {d.date.isoformat()} ("
        + _("sunset %(t)s") % {"t": fmt_time(d.sunset)}
        + ")",
        f"  {fmt_time(d.depart)}  " + _("leave %(place)s") % {"place": d.start.name},
    ]
    for leg, s in zip(d.legs, d.stops, strict=False):
        lines.append(leg_line(leg))
        extra = [_("Lunch")] if s.is_lunch else []
        if s.wait >= 1:
            extra.append(_("wait %(m)d min") % {"m": round(s.wait)})
        if s.ticket_cny:
            extra.append(_("ticket %(c)s CNY") % {"c": f"{s.ticket_cny:.0f}"})
        crowd = crowd_text(None if s.crowd is None else s.crowd.to_dict(), lang)
        if crowd:
            extra.append(_("expected crowd: %(c)s") % {"c": crowd})
        tail = f" ({CLAUSE_SEP[lang].join(extra)})" if extra else ""
        lines.append(f"  {fmt_time(s.start)}-{fmt_time(s.end)}  {s.name_zh} / {s.name_en}{tail}")
        activity = s.activity.render(lang)
        if activity:
            lines.append(f"           {activity}")
    lines.append(leg_line(d.legs[-1]))
    lines.append(f"  {fmt_time(d.back)}  " + _("back at %(place)s") % {"place": d.end.name})
    return lines


def format_itinerary_text(itinerary: Itinerary, lang: str | None = None) -> str:
    """A readable schedule of an itinerary in ``lang`` (default: the run's): each day, the totals, the warnings."""
    lang = lang or current_lang()
    days = [line for k, d in enumerate(itinerary.days, start=1) for line in _day_lines(k, d, lang)]
    values = {
        "score": itinerary.score,
        "tickets": f"{itinerary.tickets_cny:.0f}",
        "minutes": round(itinerary.travel_minutes),
        "km": itinerary.walk_km,
    }
    if round(itinerary.walk_km, 1) > 0:
        totals = (
            _("Score %(score).1f; tickets %(tickets)s CNY; travel %(minutes)d min; on foot %(km).1f km")
            % values
        )
    else:  # (a plan that walks nowhere: no "on foot 0.0 km")
        totals = _("Score %(score).1f; tickets %(tickets)s CNY; travel %(minutes)d min") % values
    notes = [_("Warning: %(text)s") % {"text": w.render(lang)} for w in itinerary.warnings]
    from tourplan.itinerary.crowd import CROWDED_TIERS  # (here: help and the other commands do not need it)

    crowded = sum(s.crowd is not None and s.crowd.level in CROWDED_TIERS for d in itinerary.days for s in d.stops)
    if crowded and itinerary.avoid_crowds is False:  # the web offers a button; here, the option
        notes.append(
            ngettext(
                "Tip: %(num)d stop is expected to be crowded or full when you arrive; --avoid-crowds plans it "
                "again steering visits to quieter times.",
                "Tip: %(num)d stops are expected to be crowded or full when you arrive; --avoid-crowds plans them "
                "again steering visits to quieter times.",
                crowded,
            )
            % {"num": crowded}
        )
    return "\n".join([*days, totals, *notes])
