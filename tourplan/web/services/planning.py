"""Itineraries and study tours for the web: plan, save, plan again, draw, print.

Requests are capped by the app's limits (``PLAN_TIME_LIMIT``,
``STUDY_MAX_GROUPS``) before the planners see them; results are saved in
their ``to_dict()`` form and drawn by :mod:`tourplan.views`, the same
adapters the CLI uses. A study tour larger than ``STUDY_QUEUE_WORK``
(:func:`study_work`) is planned as a job (:func:`queue_large_study`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

from flask import current_app

from tourplan import views
from tourplan.errors import DataValidationError, RequestValidationError
from tourplan.itinerary import ItineraryRequest, plan_itinerary
from tourplan.itinerary.crowd import CROWDED_TIERS
from tourplan.messages import Message
from tourplan.places import PlaceResolutionError, place_index
from tourplan.web import budgets
from tourplan.web.services.data import (
    SiteData,
    get_store,
    jsonable,
    map_options,
    optional_module,
    page_lang,
    site_data,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tourplan.store import ItineraryRecord, RunRecord, StudyRecord

__all__ = [
    "STUDY_KIND",
    "plan_and_save",
    "plan_result",
    "plan_study",
    "plan_today",
    "qr_svg",
    "queue_large_study",
    "render_itinerary_map",
    "render_study_map",
    "replan",
    "showcase_date",
    "showcase_result",
    "study_print_html",
    "study_run_problem",
    "study_work",
    "trip_view",
]

#: ``scenario["kind"]`` of the run of a study tour planned as a job.
STUDY_KIND = "study"


# --------------------------------------------------------------------------- itineraries


def _capped(req: ItineraryRequest) -> ItineraryRequest:
    cap = float(current_app.config["PLAN_TIME_LIMIT"])
    return dataclasses.replace(req, time_limit=min(req.time_limit, cap))


def plan_result(data: Mapping[str, Any]) -> dict[str, Any]:
    """Plan an itinerary from request values and return ``Itinerary.to_dict()``.

    Raises
    ------
    RequestValidationError, PlaceNotFoundError, InfeasibleRequestError
        From the planner; their messages are meant for the user.
    """
    req = ItineraryRequest.from_dict(data, today=plan_today())
    sd = site_data()
    req = _must_see_ids(req, sd)
    errors = {
        name: Message("unknown_sites", {"ids": sorted(bad)})
        for name, ids in (("must_see", req.must_see), ("exclude", req.exclude), ("locked", tuple(req.locked)))
        if (bad := {s for s in ids if s not in sd.sites})
    }
    if errors:
        raise RequestValidationError(errors)
    itinerary = plan_itinerary(
        _capped(req),
        sd.sites,
        sd.graph,
        seed=int(current_app.config["PLAN_SEED"]),
        forecast=bool(current_app.config.get("PLAN_FORECAST", True)),
    )
    return {**jsonable(itinerary.to_dict()), **_data_version(sd)}


def plan_today() -> dt.date:
    """The visitors' today (China Standard Time), or the configured ``PLAN_TODAY``; earlier dates are refused."""
    raw = current_app.config.get("PLAN_TODAY")
    if raw:
        return dt.date.fromisoformat(str(raw))
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def _must_see_ids(req: ItineraryRequest, sd: SiteData) -> ItineraryRequest:
    """Must-see sites given by name or alias, as site ids (an unknown name names the field and the closest sites)."""
    if all(s in sd.sites for s in req.must_see):
        return req
    index = place_index(sd.sites)
    try:
        ids = tuple(s if s in sd.sites else index.resolve(s, field="must_see").id for s in req.must_see)
    except PlaceResolutionError as exc:
        raise RequestValidationError({"must_see": exc.message}) from None
    return dataclasses.replace(req, must_see=tuple(dict.fromkeys(ids)))


def plan_and_save(data: Mapping[str, Any]) -> ItineraryRecord:
    """Plan an itinerary and save it under a new share id.

    Parameters
    ----------
    data
        Request values as :meth:`ItineraryRequest.from_dict` takes them.

    Returns
    -------
    ItineraryRecord
    """
    request_values = jsonable(dict(data))
    result = plan_result(request_values)
    return get_store().save_itinerary(request_values, result)


def replan(
    record: ItineraryRecord,
    *,
    locked: Mapping[str, int],
    exclude: Sequence[str],
    add: Sequence[str] = (),
    avoid_crowds: bool | None = None,
) -> ItineraryRecord:
    """Plan again with stops locked to days, stops removed and sites added; save as new.

    Parameters
    ----------
    record
        The saved itinerary.
    locked
        Site id -> 0-based day index (replaces the earlier locks).
    exclude
        Site ids never to visit (replaces the earlier exclusions).
    add
        Site ids to add as must-see (kept with the earlier must-see sites).
    avoid_crowds
        Steer visits to quieter times (True) or not (False); None keeps the earlier choice.
    """
    values = dict(record.request)
    if avoid_crowds is not None:
        values["avoid_crowds"] = avoid_crowds
    values["locked"] = {k: int(v) for k, v in locked.items() if k not in exclude}
    values["exclude"] = list(dict.fromkeys(exclude))
    must = [s for s in [*(values.get("must_see") or []), *add] if s not in exclude]
    values["must_see"] = list(dict.fromkeys(must))
    return plan_and_save(values)


def render_itinerary_map(result: Mapping[str, Any], *, lang: str, tiles: str | None = None) -> Any:
    """The folium route map of a saved itinerary (``Itinerary.to_dict()`` form)."""
    return views.itinerary_map(result, site_data().sites, lang=page_lang(lang), **map_options(tiles))


def trip_view(result: Mapping[str, Any], *, lang: str) -> dict[str, Any]:
    """Page values of a saved itinerary in ``lang``, besides the result itself.

    Returns
    -------
    dict
        ``stop_views`` (one list of :class:`tourplan.views.StopView` per
        day), ``day_tickets`` (each day's ticket lines, an area ticket once),
        ``has_crowd`` (whether any stop has a crowd forecast),
        ``crowded_stops`` (how many are expected crowded or full, the
        forecast's orange and red tiers), ``warnings`` and ``peak_warnings``
        (sentences) and ``unplaced`` (site id -> the reason, as a sentence).
    """
    from tourplan.sights import ticket_lines

    sites = site_data().sites
    stops = views.stop_views(result, sites, lang=lang)
    day_tickets = [
        [
            line.render(lang)
            for line in ticket_lines([str(s["site_id"]) for s in d["stops"]], sites, include_free=False)
        ]
        for d in result.get("days", [])
    ]
    return {
        "stop_views": stops,
        "has_crowd": any(sv.crowd_level for day in stops for sv in day),
        "crowded_stops": sum(sv.crowd_level in CROWDED_TIERS for day in stops for sv in day),
        "day_tickets": day_tickets,
        "warnings": [views.message_text(w, lang) for w in result.get("warnings") or []],
        "peak_warnings": [views.message_text(w, lang) for w in views.peak_warnings(result)],
        "unplaced": {k: views.message_text(v, lang) for k, v in (result.get("unplaced") or {}).items()},
    }


def qr_svg(text: str, *, title: str = "") -> str:
    """A QR code of ``text`` (a share link) as an inline ``<svg>`` element (segno, error level M)."""
    import segno

    svg: str = segno.make(text, error="m").svg_inline(scale=4, title=title or None, svgclass="qr")
    return svg


_SHOWCASE_LOCK = threading.Lock()


def showcase_date() -> dt.date:
    """The configured showcase date, or the next Saturday (Asia/Shanghai)."""
    raw = current_app.config.get("SHOWCASE_DATE")
    if raw:
        return dt.date.fromisoformat(str(raw))
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    return today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)


def showcase_result(theme: str) -> dict[str, Any]:
    """A one-day route for a theme, planned once per theme, date and data version.

    Raises
    ------
    RequestValidationError
        For an unknown theme.
    """
    sd = site_data()
    date = showcase_date()
    key = (theme, date.isoformat(), sd.version)
    cache: dict[tuple[str, str, str], dict[str, Any]] = current_app.extensions["tourplan.showcase"]
    if key in cache:
        return cache[key]
    with _SHOWCASE_LOCK:
        if key not in cache:
            cache[key] = plan_result({"date": date.isoformat(), "days": 1, "interests": {theme: 1.0}})
        return cache[key]


# --------------------------------------------------------------------------- study tours


def _cap_time_limit(req: Any) -> Any:
    cap = float(current_app.config["PLAN_TIME_LIMIT"])
    if dataclasses.is_dataclass(req) and any(f.name == "time_limit" for f in dataclasses.fields(req)):
        limit = getattr(req, "time_limit", None)
        if isinstance(limit, int | float) and limit > cap:
            return dataclasses.replace(req, time_limit=cap)  # type: ignore[type-var]
    return req


def plan_study(data: Mapping[str, Any]) -> dict[str, Any]:
    """Plan a study tour from request values; return the plan's ``to_dict()``.

    Raises
    ------
    FeatureUnavailableError
        Without :mod:`tourplan.study`.
    RequestValidationError, PlaceNotFoundError, InfeasibleRequestError
        From the planner.
    """
    study = optional_module("study")
    req = _study_request(data)
    sd = site_data()
    with budgets.study_budget():  # hardening: work and wall-clock budgets
        plan = study.plan_study_tour(req, sd.sites, sd.graph, seed=int(current_app.config["PLAN_SEED"]))
    return {**jsonable(plan.to_dict()), **_data_version(sd)}


def _study_request(data: Mapping[str, Any]) -> Any:
    """The ``StudyTourRequest`` of request values, its optimizer time capped and its size checked."""
    study = optional_module("study")
    return _bounded_study(_cap_time_limit(study.StudyTourRequest.from_dict(dict(data))))


def study_work(req: Any, sd: SiteData | None = None) -> int:
    """The size rule of study tours: school groups x sites in the table.

    Planning time grows with both (each group's bus is planned over the
    candidate sites, several rounds); a tour above ``STUDY_QUEUE_WORK`` is
    planned as a job.
    """
    return int(req.n_groups) * len((sd or site_data()).sites)


def queue_large_study(
    data: Mapping[str, Any], *, name: str, owner_id: int | None, plan_id: str | None = None
) -> RunRecord | None:
    """Plan a large study tour as a job on the app's runner; None for a small one (use :func:`plan_study`).

    Parameters
    ----------
    data
        Request values (``StudyTourRequest.from_dict``).
    name
        The plan's name.
    owner_id
        The staff member who asked.
    plan_id
        A saved plan the new plan replaces (an edit); a new plan is saved without it.

    Returns
    -------
    RunRecord or None
        The queued run (``scenario["kind"] == "study"``); once done its result
        is ``{"plan_id": ...}``. None when the tour is at most
        ``STUDY_QUEUE_WORK`` (:func:`study_work`).

    Raises
    ------
    FeatureUnavailableError, RequestValidationError, PlaceNotFoundError, InfeasibleRequestError
        As :func:`plan_study` would, before anything is queued: the checks
        that need no search (``check_study_tour``) run first.
    """
    req = _study_request(data)
    sd = site_data()
    work = study_work(req, sd)
    if work <= int(current_app.config["STUDY_QUEUE_WORK"]):
        return None
    with budgets.study_budget():  # a tour the planner refuses before searching is refused here, not on its run page
        optional_module("study").check_study_tour(req, sd.sites, sd.graph)
    from tourplan.jobs import StudyJob
    from tourplan.web.scale import get_runner

    values = jsonable(dict(data))
    scenario = {"kind": STUDY_KIND, "name": name[:200], "date": values.get("date"), "groups": int(req.n_groups),
                "work": work, "plan_id": plan_id, "request": values}  # fmt: skip
    store = get_store()
    run = store.create_run(scenario, owner_id=owner_id)
    job = StudyJob(
        run.id, name[:200], values, sd.sites, sd.graph, int(current_app.config["PLAN_SEED"]),
        budget=budgets.study_job_budget(), owner_id=owner_id, plan_id=plan_id, extra=_data_version(sd),
    )  # fmt: skip
    get_runner().submit(store, job)
    return run


def study_run_problem(run: RunRecord, lang: str) -> str:
    """Why the run of a study tour failed, in ``lang`` (the planner's messages, a cancel, a budget)."""
    messages = (run.result or {}).get("messages") or []
    if messages:
        return " ".join(views.message_text(m, lang) for m in messages)
    return budgets.describe(run.error)


def _data_version(sd: SiteData) -> dict[str, int]:
    """``{"data_version": n}`` for a result planned on store data version n (nothing for file data)."""
    return {"data_version": int(sd.version)} if sd.version.isdigit() else {}


def _bounded_study(req: Any) -> Any:
    """Refuse a web study tour with more groups or buses than ``STUDY_MAX_GROUPS``.

    Raises
    ------
    RequestValidationError
        Naming ``groups`` (or ``group_size`` when it set the count) and ``buses``.
    """
    cap = int(current_app.config["STUDY_MAX_GROUPS"])
    errors: dict[str, str] = {}
    if req.n_groups > cap:
        field = "groups" if req.groups is not None else "group_size"
        errors[field] = f"expected at most {cap} groups in one study tour planned here, got {req.n_groups}"
    if req.buses > cap:
        errors["buses"] = f"expected at most {cap} buses in one study tour planned here, got {req.buses}"
    if errors:
        raise RequestValidationError(errors)
    return req


def study_print_html(record: StudyRecord) -> str:
    """The printable study-tour document of a saved plan, exactly as saved.

    The plan is rebuilt from its saved form (``StudyTourPlan.from_dict``); only
    a record saved before plans carried every field is planned again from its
    saved request with the app's seed (the planner is deterministic).
    """
    study = optional_module("study")
    req = study.StudyTourRequest.from_dict(dict(record.request))
    try:
        plan = study.StudyTourPlan.from_dict(record.result, req)
    except RequestValidationError:
        sd = site_data()
        with budgets.study_budget():  # hardening: work and wall-clock budgets
            plan = study.plan_study_tour(
                _cap_time_limit(req), sd.sites, sd.graph, seed=int(current_app.config["PLAN_SEED"])
            )
    return str(study.render_print_html(plan))


def render_study_map(result: Mapping[str, Any], *, lang: str) -> Any | None:
    """The study-tour map of a saved plan (``StudyTourPlan.to_dict()`` form).

    None when no group has a stop, or when the plan was saved before its
    stops carried their coordinates (its tables still show).
    """
    try:
        return views.study_map(result, lang=page_lang(lang), **map_options())
    except DataValidationError:
        return None
