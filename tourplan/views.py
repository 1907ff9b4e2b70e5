"""The one adapter per result: planning results to map and page view-models.

An itinerary, a study-tour plan and a visitor-flow result each have one
adapter here, and each adapter reads one form of its result: the result's
``to_dict()``, the form the web saves and the API returns. A result object
is turned into that form first, so a plan drawn straight after planning
(the CLI) and the same plan loaded back from the store (the web) give the
same view-models and the same map. No other module turns a result into
:mod:`tourplan.maps` view-models; the planners and the maps stay
independent of each other.

A mapping that is not the ``to_dict()`` form of its result (a key missing,
a value of the wrong kind) raises :class:`~tourplan.errors.DataValidationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from tourplan import maps
from tourplan.errors import DataValidationError, Issue, TourplanError
from tourplan.messages import CROWD_TIERS, crowd_level, crowd_text
from tourplan.messages import text_of as message_text  # a warning or reason of a result in a language

if TYPE_CHECKING:
    from collections.abc import Callable

    from tourplan.flow import FlowResult
    from tourplan.itinerary import Itinerary
    from tourplan.site import Site, SiteTable
    from tourplan.study import StudyTourPlan

__all__ = [
    "CROWD_TIERS",
    "FLOW_TOTALS",
    "BusiestSite",
    "DailyAlert",
    "FlowEpisode",
    "FlowSiteView",
    "FlowView",
    "SlotAlert",
    "StopView",
    "crowd_level",
    "day_label",
    "flow_map",
    "flow_sites",
    "flow_view",
    "itinerary_days",
    "itinerary_map",
    "message_text",
    "peak_warnings",
    "place_point",
    "site_map",
    "site_point",
    "study_layers",
    "study_map",
    "stop_views",
]

T = TypeVar("T")


def _form(result: Any) -> Mapping[str, Any]:
    """The ``to_dict()`` form of a result; a mapping is taken to be that form already."""
    if isinstance(result, Mapping):
        return result
    form: Mapping[str, Any] = result.to_dict()
    return form


def _read(what: str, parse: Callable[[Mapping[str, Any]], T], result: Any) -> T:
    """Run ``parse`` on the ``to_dict()`` form of ``result``; a malformed form is a DataValidationError."""
    try:
        return parse(_form(result))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, TourplanError):
            raise
        problem = Issue(what, None, None, f"{type(exc).__name__}: {exc}", f"the to_dict() form of {what}")
        raise DataValidationError([problem], what) from exc


def _clock(text: Any) -> int:
    """``"HH:MM"`` as minutes after midnight."""
    hours, minutes = str(text).split(":")
    return int(hours) * 60 + int(minutes)


def site_point(site: Site) -> maps.MapPoint:
    """A site as a map point (with its location error)."""
    return maps.MapPoint(site.lat, site.lon, site.name_zh, site.name_en, site.location_error_m)


def site_map(site: Site, *, lang: maps.Lang = "zh", **options: Any) -> Any:
    """One site on a map: a single numbered stop with its activity and ticket.

    ``options`` go to :func:`tourplan.maps.render_route_map` (``tiles``,
    ``assets`` ...).
    """
    stop = maps.MapStop(site_point(site), 1, activity=site.activity_text(lang), ticket_cny=site.ticket_cny)
    return maps.render_route_map([maps.RouteDay(site.label(lang), [stop])], lang=lang, **options)


# --------------------------------------------------------------------------- itineraries


def day_label(k: int, date: str, lang: maps.Lang | None = None) -> str:
    """The label of day ``k``: in ``lang``, or in both languages when ``lang`` is None.

    Examples
    --------
    >>> day_label(1, "2025-05-10"), day_label(2, "2025-05-11", "en"), day_label(2, "2025-05-11", "zh")
    ('第1天 Day 1 · 2025-05-10', 'Day 2 · 2025-05-11', '第2天 · 2025-05-11')
    """
    if lang == "en":
        return f"Day {k} · {date}"
    if lang == "zh":
        return f"第{k}天 · {date}"
    return f"第{k}天 Day {k} · {date}"


def place_point(place: Mapping[str, Any], sites: SiteTable) -> maps.MapPoint:
    """A start or end place (a saved ``Place``) as a map point; a site keeps its names and location error."""
    site = sites.get(str(place["site_id"])) if place["site_id"] else None
    if site is not None:
        return site_point(site)
    name = str(place["name"])
    return maps.MapPoint(float(place["lat"]), float(place["lon"]), name, name)


def _lang(lang: str | None) -> maps.Lang:
    return "en" if lang == "en" else "zh"


def _stop_activity(stop: Mapping[str, Any], site: Site | None, lang: str) -> str:
    """What the visitor does at an itinerary stop, in ``lang``.

    The stop's coded activity (lunch included) when the plan has one; a plan
    saved before activities were coded has an English phrase only, so the
    site's own phrase in ``lang`` stands in for it.
    """
    activity = stop.get("activity")
    if isinstance(activity, Mapping):
        return message_text(activity, lang)
    if site is not None:
        return site.activity_text(lang)
    return str(activity or "")


def _itinerary_days(data: Mapping[str, Any], sites: SiteTable, lang: maps.Lang | None) -> list[maps.RouteDay]:
    days = []
    text_lang = _lang(lang)
    for k, d in enumerate(data["days"], start=1):
        stops = []
        for i, s in enumerate(d["stops"], start=1):
            site = sites.get(str(s["site_id"]))
            stops.append(
                maps.MapStop(
                    point=maps.MapPoint(
                        float(s["lat"]),
                        float(s["lon"]),
                        str(s["name_zh"]),
                        str(s["name_en"]),
                        float(s["location_error_m"]),
                    ),
                    order=i,
                    arrive=str(s["arrive"]),
                    leave=str(s["end"]),
                    activity=_stop_activity(s, site, text_lang),
                    ticket_cny=s["ticket_cny"],
                    crowd=crowd_text(s.get("crowd"), text_lang),
                    crowd_level=crowd_level(s.get("crowd")),
                )
            )
        days.append(
            maps.RouteDay(
                day_label(k, str(d["date"]), lang),
                stops,
                start=place_point(d["start"], sites),
                end=place_point(d["end"], sites),
            )
        )
    return days


def itinerary_days(
    itinerary: Itinerary | Mapping[str, Any], sites: SiteTable, *, lang: maps.Lang | None = None
) -> list[maps.RouteDay]:
    """One :class:`tourplan.maps.RouteDay` per day of an itinerary.

    Parameters
    ----------
    itinerary
        An :class:`~tourplan.itinerary.Itinerary` or its ``to_dict()`` form.
    sites
        The site table: a start or end place that is a site is drawn with its names.
    lang
        Language of the day labels; both languages when None.

    Raises
    ------
    DataValidationError
        When a mapping is not an itinerary's ``to_dict()`` form.
    """
    return _read("an itinerary", lambda data: _itinerary_days(data, sites, lang), itinerary)


def itinerary_map(
    itinerary: Itinerary | Mapping[str, Any],
    sites: SiteTable,
    *,
    lang: maps.Lang | None = None,
    **options: Any,
) -> Any:
    """The route map of an itinerary (a folium Map).

    Day labels are in ``lang`` (both languages when None), popups in
    ``lang`` (Chinese when None); ``options`` go to
    :func:`tourplan.maps.render_route_map` (``tiles``, ``assets`` ...).
    """
    return maps.render_route_map(itinerary_days(itinerary, sites, lang=lang), lang=lang or "zh", **options)


def peak_warnings(result: Mapping[str, Any]) -> list[Any]:
    """The warnings of a result about a peak (crowded) day: code ``peak_day`` or a code containing ``peak``."""
    return [
        w
        for w in result.get("warnings") or []
        if isinstance(w, Mapping) and "peak" in str(w.get("code") or "")
    ]


@dataclass(frozen=True)
class StopView:
    """What a page shows for one stop, in one language.

    Attributes
    ----------
    site_id, order
        The stop's site and its 1-based position in the day.
    activity
        What to do there, in the page's language.
    ticket
        How entry is paid (its ticket, the area ticket that covers it, or
        free); empty for a place that is not a sight (a restaurant, a hotel).
    navigation
        ``{"amap", "baidu", "approximate"}``: links to the two navigation apps.
    crowd, crowd_level
        Expected crowding in words and its tier (see :func:`crowd_level`), or None.
    approximate
        True when the stop's point only stands in for the place.
    """

    site_id: str
    order: int
    activity: str
    ticket: str
    navigation: Mapping[str, Any]
    crowd: str | None = None
    crowd_level: str | None = None
    approximate: bool = False


def _stop_view(s: Mapping[str, Any], order: int, sites: SiteTable, lang: str) -> StopView:
    from tourplan.navigation import point_navigation, site_navigation
    from tourplan.sights import is_sight, stop_ticket

    site = sites.get(str(s["site_id"]))
    nav = s.get("navigation")
    if not isinstance(nav, Mapping) or not nav.get("amap") or not nav.get("baidu"):
        if site is not None:
            nav = site_navigation(site, lang=lang).to_dict()
        else:
            nav = point_navigation(
                float(s["lat"]), float(s["lon"]), str(s["name_zh"]), error_m=float(s["location_error_m"])
            ).to_dict()
    activity = _stop_activity(s, site, lang)
    ticket = ""
    if site is not None and (is_sight(site) or site.ticket_cny):
        ticket = stop_ticket(site, sites).render(lang)
    return StopView(
        site_id=str(s["site_id"]),
        order=order,
        activity=activity,
        ticket=ticket,
        navigation=nav,
        crowd=crowd_text(s.get("crowd"), lang),
        crowd_level=crowd_level(s.get("crowd")),
        approximate=float(s["location_error_m"]) >= maps.APPROXIMATE_THRESHOLD_M,
    )


def stop_views(
    itinerary: Itinerary | Mapping[str, Any], sites: SiteTable, *, lang: str = "zh"
) -> list[list[StopView]]:
    """One list of :class:`StopView` per day of an itinerary, in ``lang``.

    A stop's ``navigation`` from the itinerary is used when it has one;
    otherwise the links are made from the stop's site (or its point).

    Raises
    ------
    DataValidationError
        When a mapping is not an itinerary's ``to_dict()`` form.
    """
    return _read(
        "an itinerary",
        lambda data: [
            [_stop_view(s, i, sites, lang) for i, s in enumerate(d["stops"], start=1)] for d in data["days"]
        ],
        itinerary,
    )


# --------------------------------------------------------------------------- study tours


def _study_layers(data: Mapping[str, Any]) -> list[maps.StudyGroupLayer]:
    start, end = data["start"], data["end"]
    layers = []
    for g in data["groups"]:
        stops = [
            maps.MapStop(
                point=maps.MapPoint(float(s["lat"]), float(s["lon"]), str(s["name_zh"]), str(s["name_en"])),
                order=k,
                arrive=str(s["start"]),
                leave=str(s["end"]),
                activity=str(s["learn"]),
                ticket_cny=float(s["ticket_per_person_cny"]),
            )
            for k, s in enumerate(g["stops"], start=1)
        ]
        path = [
            (float(start["lat"]), float(start["lon"])),
            *((float(s["lat"]), float(s["lon"])) for s in g["stops"]),
            (float(end["lat"]), float(end["lon"])),
        ]
        label = f"{g['label']} {g['id']} · {g['bus']} ({g['students']})"
        layers.append(maps.StudyGroupLayer(label=label, stops=stops, bus_path=path))
    return layers


def study_layers(plan: StudyTourPlan | Mapping[str, Any]) -> list[maps.StudyGroupLayer]:
    """One :class:`tourplan.maps.StudyGroupLayer` per group of a study tour.

    Each group's stops are numbered in visit order (times are when the visit
    starts and ends, the activity what the group learns there, the ticket
    per person); its bus path runs from the plan's start through the stops
    to its end.

    Parameters
    ----------
    plan
        A :class:`~tourplan.study.StudyTourPlan` or its ``to_dict()`` form.

    Raises
    ------
    DataValidationError
        When a mapping is not a plan's ``to_dict()`` form (for example a plan
        saved before stops carried their coordinates).
    """
    return _read("a study-tour plan", _study_layers, plan)


def study_map(plan: StudyTourPlan | Mapping[str, Any], **options: Any) -> Any:
    """The study-tour map (a folium Map): one layer per group with its bus route.

    ``options`` go to :func:`tourplan.maps.render_study_map` (``tiles``,
    ``lang``, ``assets`` ...).

    Raises
    ------
    DataValidationError
        For a malformed plan, or one in which no group has a stop.
    """
    return maps.render_study_map(study_layers(plan), **options)


# --------------------------------------------------------------------------- visitor flow

#: Keys of a flow result shown as its totals, in this order.
FLOW_TOTALS = ("date", "day_type", "visitors", "finished", "inside_at_end", "turned_away", "seed")


def _ints(row: Mapping[str, Any], key: str) -> tuple[int, ...]:
    return tuple(round(float(x)) for x in row.get(key, ()))


@dataclass(frozen=True)
class FlowSiteView:
    """One site's day: mean occupancy, people at it (inside plus queueing) against its C0, queue and wait.

    ``load`` and ``pct`` (whole percent of C0, not capped) are what the
    warning tiers and the map colours are taken of; older saved results
    without them fall back to the occupancy.
    """

    site: Site
    occupancy: tuple[float, ...]
    peak: float
    peak_slot: int
    ratio: float
    load: tuple[int, ...] = ()
    pct: tuple[int, ...] = ()
    queue: tuple[int, ...] = ()
    mean_wait: tuple[float, ...] = ()
    arrivals: tuple[int, ...] = ()
    capacity_instant: int = 0
    shifted: int = 0
    refused: int = 0


@dataclass(frozen=True)
class SlotAlert:
    """A site (or a parent area) at or above a warning tier in one slot."""

    site_id: str
    site: Site | None
    time: str
    level: str
    ratio: float
    queue: float


@dataclass(frozen=True)
class DailyAlert:
    """A site (or a parent area) with more visits in the day than its daily capacity C1."""

    site_id: str
    site: Site | None
    visits: int
    capacity_daily: int


@dataclass(frozen=True)
class FlowEpisode:
    """Consecutive alert slots of one site or parent area (times are China Standard Time, ``HH:MM``)."""

    site_id: str
    site: Site | None
    scope: str
    level: str
    start: str
    end: str
    duration_minutes: int
    peak: int
    peak_pct: int
    peak_at: str
    capacity_instant: int
    max_queue: int
    score: int

    def name(self, lang: str) -> str:
        """The site's name in ``lang`` (its id when the table lacks it)."""
        return self.site.label(lang) if self.site is not None else self.site_id


@dataclass(frozen=True)
class BusiestSite:
    """A site's highest share of its C0 over the day (inside plus queueing, not capped at 100 %)."""

    site_id: str
    site: Site | None
    peak: int
    peak_pct: int
    at: str
    capacity_instant: int
    level: str

    def name(self, lang: str) -> str:
        """The site's name in ``lang`` (its id when the table lacks it)."""
        return self.site.label(lang) if self.site is not None else self.site_id


@dataclass(frozen=True)
class FlowView:
    """A simulation result for pages, CSV and maps.

    Attributes
    ----------
    slot_minutes, day_start
        Slot length and the start of the first slot (minutes after midnight, China Standard Time).
    sites
        The sites of the result found in the site table, with occupancy.
    alerts
        Daily-capacity alerts first, then slot alerts in time order.
    totals
        The result's :data:`FLOW_TOTALS` it has.
    episodes
        Site and parent-area episodes, most severe (severity x duration) first.
    ranked
        The result's busiest sites by share of C0 (uncapped).
    entries
        Visitors starting their day per entry point and slot.
    measures
        What the countermeasures did (``MeasureOutcome.to_dict()``), empty without them.
    comparison
        The same day without measures side by side (``Comparison.to_dict()``), when the run had measures.
    compared
        The episodes of the day without measures, each with the tier and
        whole percent the measured run reaches at that site then, most severe first.
    timezone
        The zone of every clock time (Asia/Shanghai).
    """

    slot_minutes: int
    day_start: int
    sites: tuple[FlowSiteView, ...]
    alerts: tuple[DailyAlert | SlotAlert, ...]
    totals: Mapping[str, Any] = field(default_factory=dict)
    episodes: tuple[FlowEpisode, ...] = ()
    ranked: tuple[BusiestSite, ...] = ()
    entries: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    measures: Mapping[str, Any] = field(default_factory=dict)
    comparison: Mapping[str, Any] | None = None
    compared: tuple[tuple[FlowEpisode, str, int], ...] = ()
    timezone: str = "Asia/Shanghai"

    def slot_time(self, i: int) -> str:
        """Clock time of slot ``i``."""
        m = (self.day_start + i * self.slot_minutes) % (24 * 60)
        return f"{m // 60:02d}:{m % 60:02d}"

    @property
    def busiest(self) -> list[FlowSiteView]:
        """Sites by peak load ratio, highest first."""
        return sorted(self.sites, key=lambda s: -s.ratio)

    def site(self, site_id: str | None) -> FlowSiteView | None:
        """The row of ``site_id``; else the top episode's site; else the busiest site (None without sites)."""
        rows = {s.site.id: s for s in self.sites}
        if site_id in rows:
            return rows[str(site_id)]
        for e in self.episodes:
            if e.site_id in rows:
                return rows[e.site_id]
        return self.busiest[0] if self.sites else None


def _site_row(site: Site, row: Mapping[str, Any]) -> FlowSiteView | None:
    series = tuple(float(x) for x in row["occupancy"])
    if not series:
        return None
    c0 = int(row.get("capacity_instant", site.capacity_instant) or 0)
    load = _ints(row, "load") or tuple(round(x) for x in series)
    pct = _ints(row, "pct") or tuple(100 * x // c0 if c0 > 0 else 0 for x in load)
    peak_slot = max(range(len(load)), key=load.__getitem__)
    return FlowSiteView(
        site,
        series,
        float(load[peak_slot]),
        peak_slot,
        load[peak_slot] / max(c0, 1),
        load=load,
        pct=pct,
        queue=_ints(row, "queue"),
        mean_wait=tuple(float(x) for x in row.get("mean_wait", ())),
        arrivals=_ints(row, "arrivals"),
        capacity_instant=c0,
        shifted=int(row.get("shifted", 0)),
        refused=int(row.get("refused", 0)),
    )


def _episode(e: Mapping[str, Any], sites: SiteTable) -> FlowEpisode:
    return FlowEpisode(
        str(e["site_id"]), sites.get(str(e["site_id"])), str(e.get("scope", "site")), str(e["level"]),
        str(e["start"]), str(e["end"]), int(e["duration_minutes"]), int(e["peak"]), int(e["peak_pct"]),
        str(e["peak_at"]), int(e["capacity_instant"]), int(e["max_queue"]), int(e["score"]),
    )  # fmt: skip


def _episodes(data: Mapping[str, Any], sites: SiteTable) -> tuple[FlowEpisode, ...]:
    eps = [_episode(e, sites) for key in ("episodes", "area_episodes") for e in data.get(key, ())]
    return tuple(sorted(eps, key=lambda e: (-e.score, -e.peak_pct, e.start, e.site_id, e.scope)))


def _compared(comparison: Mapping[str, Any] | None, sites: SiteTable) -> tuple[tuple[FlowEpisode, str, int], ...]:
    rows = [(_episode(e, sites), str(e["after"]), int(e["after_pct"])) for e in (comparison or {}).get("episodes", ())]
    return tuple(sorted(rows, key=lambda r: (-r[0].score, -r[0].peak_pct, r[0].start, r[0].site_id)))


def _flow_view(data: Mapping[str, Any], sites: SiteTable) -> FlowView:
    rows = []
    for sid, row in data["sites"].items():
        site = sites.get(str(sid))
        v = _site_row(site, row) if site is not None else None
        if v is not None:
            rows.append(v)
    daily: list[DailyAlert | SlotAlert] = [
        DailyAlert(
            str(a["site_id"]), sites.get(str(a["site_id"])), int(a["visits"]), int(a["capacity_daily"])
        )
        for a in data["daily_alerts"]
    ]
    slots = [
        SlotAlert(
            str(a["site_id"]),
            sites.get(str(a["site_id"])),
            str(a["slot_start"]),
            str(a["level"]),
            float(a["ratio"]),
            float(a["queue"]),
        )
        for a in data["alerts"]
    ]
    slot_minutes = int(data["slot_minutes"])
    if slot_minutes < 1:
        msg = f"slot_minutes must be at least 1, got {slot_minutes}"
        raise ValueError(msg)
    ranked = tuple(
        BusiestSite(
            str(b["site_id"]), sites.get(str(b["site_id"])), int(b["peak"]), int(b["peak_pct"]), str(b["at"]),
            int(b["capacity_instant"]), str(b["level"]),
        )  # fmt: skip
        for b in data.get("busiest", ())
    )
    measures = data.get("measures") or {}
    return FlowView(
        slot_minutes=slot_minutes,
        day_start=_clock(data["day_start"]),
        sites=tuple(rows),
        alerts=(*daily, *slots),
        totals={k: data[k] for k in FLOW_TOTALS if k in data},
        episodes=_episodes(data, sites),
        ranked=ranked,
        entries={str(k): tuple(int(x) for x in v) for k, v in (data.get("entries") or {}).items()},
        measures=dict(measures) if measures.get("active") else {},
        comparison=data.get("comparison"),
        compared=_compared(data.get("comparison"), sites),
        timezone=str(data.get("timezone", "Asia/Shanghai")),
    )


def flow_view(result: FlowResult | Mapping[str, Any], sites: SiteTable) -> FlowView:
    """The page view of a simulation result.

    Parameters
    ----------
    result
        A :class:`~tourplan.flow.FlowResult` or its ``to_dict()`` form
        (a saved run may add ``comparison``, a ``Comparison.to_dict()``).
    sites
        The site table; sites of the result it does not have are left out.

    Raises
    ------
    DataValidationError
        When a mapping is not a flow result's ``to_dict()`` form.
    """
    return _read("a flow result", lambda data: _flow_view(data, sites), result)


def flow_sites(view: FlowView) -> list[maps.FlowSite]:
    """The map view-models of a flow view's sites (cut to the shortest day among them).

    Each site carries the people at it (inside plus queueing) and their
    whole percent of C0 per slot, so the map colours it by the same tier
    as its alerts.
    """
    n = min((len(s.load) for s in view.sites), default=0)
    return [
        maps.FlowSite(
            site_point(s.site), max(s.capacity_instant or s.site.capacity_instant, 1), s.load[:n], pct=s.pct[:n]
        )
        for s in view.sites
    ]


def flow_map(view: FlowView, **options: Any) -> Any:
    """The flow map of a view (a folium Map with a time slider).

    ``options`` go to :func:`tourplan.maps.render_flow_map` (``tiles``,
    ``lang``, ``assets`` ...).

    Raises
    ------
    DataValidationError
        When the view has no site.
    """
    return maps.render_flow_map(
        flow_sites(view), slot_minutes=view.slot_minutes, day_start=view.day_start % (24 * 60), **options
    )
