"""Glue between the web views and the core: planning, saving, maps, data.

Views parse the request and render; everything they share lives here
(STYLE.md section 2). Functions use the current app (``current_app``) for
the store, the active site data and the configuration, and raise tourplan's
own errors, which the blueprints translate into HTML or JSON.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import importlib
import io
import json
import math
import os
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]

from tourplan import maps
from tourplan.data import load_edges, load_sites, parse_sites
from tourplan.errors import DataValidationError, Problem, RequestValidationError, TourplanError
from tourplan.export import csv_cell
from tourplan.graph import SiteGraph
from tourplan.itinerary import ItineraryRequest, plan_itinerary
from tourplan.store import ItineraryRecord, RunRecord, Store, StudyRecord, new_id
from tourplan.web.i18n import ALERT_LEVEL_LABELS

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor
    from types import ModuleType

    from flask import Flask

    from tourplan.data import Site, SiteTable

__all__ = [
    "FeatureUnavailableError",
    "FlowView",
    "SiteData",
    "UploadPreview",
    "apply_upload",
    "flow_csv",
    "flow_view",
    "get_store",
    "itinerary_route_days",
    "plan_and_save",
    "plan_study",
    "preview_upload",
    "replan",
    "showcase_result",
    "site_data",
    "start_simulation",
    "study_print_html",
]


class FeatureUnavailableError(TourplanError, RuntimeError):
    """A part of tourplan this feature needs is not installed (yet)."""


# --------------------------------------------------------------------------- site data


@dataclass(frozen=True)
class SiteData:
    """The site table in use, its graph, and where it came from."""

    sites: SiteTable
    graph: SiteGraph
    version: str
    path: str
    uploaded: bool


class DataHolder:
    """Holds the active site data and reloads it when the file changes.

    The active table is ``instance/pois.csv`` once staff uploaded one, else
    the configured ``POIS_PATH``, else the bundled table. Checking the
    file's size and modification time on each use lets every worker process
    pick up an upload made through another.
    """

    def __init__(self, instance: Path, pois_path: str | None, edges_path: str | None) -> None:
        self.instance = instance
        self.pois_path = pois_path
        self.edges_path = edges_path
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._data: SiteData | None = None

    @property
    def uploaded_path(self) -> Path:
        """Where an uploaded table lives."""
        return self.instance / "pois.csv"

    def active_path(self) -> Path:
        """The file the active table is read from."""
        if self.uploaded_path.exists():
            return self.uploaded_path
        if self.pois_path:
            return Path(self.pois_path)
        from tourplan.resources import default_pois_path

        return default_pois_path()

    def edges_for(self, sites: SiteTable) -> tuple[Any, ...]:
        """Explicit legs valid for ``sites`` (raises DataValidationError)."""
        if self.edges_path:
            return load_edges(self.edges_path, sites)
        if self.pois_path and not self.uploaded_path.exists():
            return ()
        return load_edges(None, sites)

    def current(self) -> SiteData:
        """The active data, reloaded if its file changed."""
        path = self.active_path()
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        data = self._data
        if data is not None and key == self._key:
            return data
        with self._lock:
            if self._data is not None and key == self._key:
                return self._data
            sites = load_sites(path)
            graph = SiteGraph(sites, self.edges_for(sites))
            self._data = SiteData(
                sites, graph, f"{st.st_mtime_ns:x}-{st.st_size:x}", str(path), path == self.uploaded_path
            )
            self._key = key
            return self._data


def site_data() -> SiteData:
    """The site table and graph the app uses now."""
    holder: DataHolder = current_app.extensions["tourplan.data"]
    return holder.current()


def get_store() -> Store:
    """The app's :class:`~tourplan.store.Store`."""
    store: Store = current_app.extensions["tourplan.store"]
    return store


def jsonable(value: Any) -> Any:
    """A deep copy of ``value`` that ``json.dumps`` accepts (numpy, dates, sets)."""

    def default(o: Any) -> Any:
        if isinstance(o, dt.date | dt.datetime | dt.time):
            return o.isoformat()
        if isinstance(o, set | frozenset | tuple):
            return sorted(o) if isinstance(o, set | frozenset) else list(o)
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        for attr in ("tolist", "item"):
            if hasattr(o, attr):
                return getattr(o, attr)()
        return str(o)

    def finite(o: Any) -> Any:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: finite(v) for k, v in o.items()}
        if isinstance(o, list):
            return [finite(v) for v in o]
        return o

    return finite(json.loads(json.dumps(value, default=default)))


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
    req = ItineraryRequest.from_dict(data)
    sd = site_data()
    errors = {
        name: f"unknown site id(s): {', '.join(sorted(bad))}"
        for name, ids in (("must_see", req.must_see), ("exclude", req.exclude), ("locked", tuple(req.locked)))
        if (bad := {s for s in ids if s not in sd.sites})
    }
    if errors:
        raise RequestValidationError(errors)
    itinerary = plan_itinerary(_capped(req), sd.sites, sd.graph, seed=int(current_app.config["PLAN_SEED"]))
    return jsonable(itinerary.to_dict())  # type: ignore[no-any-return]


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
    record: ItineraryRecord, *, locked: Mapping[str, int], exclude: Sequence[str], add: Sequence[str] = ()
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
    """
    values = dict(record.request)
    values["locked"] = {k: int(v) for k, v in locked.items() if k not in exclude}
    values["exclude"] = list(dict.fromkeys(exclude))
    must = [s for s in [*(values.get("must_see") or []), *add] if s not in exclude]
    values["must_see"] = list(dict.fromkeys(must))
    return plan_and_save(values)


def _point(place: Mapping[str, Any], sites: SiteTable) -> maps.MapPoint:
    site = sites.get(str(place.get("site_id") or "")) if place.get("site_id") else None
    if site is not None:
        return maps.MapPoint(site.lat, site.lon, site.name_zh, site.name_en, site.location_error_m)
    name = str(place.get("name") or place.get("key") or "?")
    return maps.MapPoint(float(place["lat"]), float(place["lon"]), name, name)


def day_label(k: int, date: str, lang: str) -> str:
    """``第1天 · 2025-05-10`` or ``Day 1 · 2025-05-10``."""
    return f"Day {k} · {date}" if lang == "en" else f"第{k}天 · {date}"


def itinerary_route_days(result: Mapping[str, Any], lang: str = "zh") -> list[maps.RouteDay]:
    """The map view-model of a saved itinerary (``Itinerary.to_dict()`` form)."""
    sites = site_data().sites
    out = []
    for k, d in enumerate(result.get("days", []), start=1):
        stops = [
            maps.MapStop(
                maps.MapPoint(
                    float(s["lat"]),
                    float(s["lon"]),
                    s.get("name_zh") or "",
                    s.get("name_en") or "",
                    float(s.get("location_error_m") or 0),
                ),  # fmt: skip
                i,
                str(s.get("arrive", "")),
                str(s.get("end", "")),
                str(s.get("activity", "")),
                s.get("ticket_cny"),
                s.get("crowd"),
            )
            for i, s in enumerate(d.get("stops", []), start=1)
        ]
        start = _point(d["start"], sites) if isinstance(d.get("start"), Mapping) else None
        end = _point(d["end"], sites) if isinstance(d.get("end"), Mapping) else None
        out.append(maps.RouteDay(day_label(k, str(d.get("date", "")), lang), stops, start=start, end=end))
    return out


def render_itinerary_map(result: Mapping[str, Any], *, lang: str, tiles: str | None = None) -> Any:
    """The folium route map of a saved itinerary."""
    cfg = current_app.config
    chosen: Any = tiles or cfg["MAP_TILES"]
    return maps.render_route_map(
        itinerary_route_days(result, lang),
        tiles=chosen,
        lang="en" if lang == "en" else "zh",
        tianditu_key=cfg.get("TIANDITU_KEY"),
        assets=_assets_url(),
    )


def _assets_url() -> str:
    from flask import url_for

    return url_for("static", filename="vendor").rstrip("/")


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


# --------------------------------------------------------------------------- optional modules


def optional_module(name: str) -> ModuleType:
    """Import ``tourplan.<name>``.

    Raises
    ------
    FeatureUnavailableError
        When the module is not there.
    """
    try:
        return importlib.import_module(f"tourplan.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tourplan.{name}":
            raise
        msg = f"this feature needs tourplan.{name}, which is not installed in this version"
        raise FeatureUnavailableError(msg) from None


def has_module(name: str) -> bool:
    """Whether ``tourplan.<name>`` can be imported."""
    try:
        optional_module(name)
    except FeatureUnavailableError:
        return False
    return True


def _cap_time_limit(req: Any) -> Any:
    cap = float(current_app.config["PLAN_TIME_LIMIT"])
    if dataclasses.is_dataclass(req) and any(f.name == "time_limit" for f in dataclasses.fields(req)):
        limit = getattr(req, "time_limit", None)
        if isinstance(limit, int | float) and limit > cap:
            return dataclasses.replace(req, time_limit=cap)  # type: ignore[type-var]
    return req


# --------------------------------------------------------------------------- study tours


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
    req = _bounded_study(_cap_time_limit(study.StudyTourRequest.from_dict(dict(data))))
    sd = site_data()
    plan = study.plan_study_tour(req, sd.sites, sd.graph, seed=int(current_app.config["PLAN_SEED"]))
    return jsonable(plan.to_dict())  # type: ignore[no-any-return]


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
        plan = study.plan_study_tour(
            _cap_time_limit(req), sd.sites, sd.graph, seed=int(current_app.config["PLAN_SEED"])
        )
    return str(study.render_print_html(plan))


def _first(d: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def study_groups(result: Mapping[str, Any], lang: str = "zh") -> list[maps.StudyGroupLayer]:
    """Map layers of a study-tour result, one per group (best effort).

    Reads ``groups`` (or ``schedules``): each a mapping with a label and
    ``stops`` (or ``timetable``) whose entries name a ``site_id`` and times.
    Entries that are not sites (meals on the bus, say) are skipped.
    """
    sites = site_data().sites
    groups = _first(result, "groups", "schedules", default=[])
    out: list[maps.StudyGroupLayer] = []
    if not isinstance(groups, Sequence):
        return out
    for n, g in enumerate(groups, start=1):
        if not isinstance(g, Mapping):
            continue
        label = str(_first(g, "label", "name", "group", "id", default=f"{n}"))
        stops: list[maps.MapStop] = []
        entries = _first(g, "stops", "timetable", "visits", default=[])
        for e in entries if isinstance(entries, Sequence) else []:
            if not isinstance(e, Mapping):
                continue
            site = sites.get(str(e.get("site_id") or ""))
            if site is None:
                continue
            stops.append(
                maps.MapStop(
                    maps.MapPoint(site.lat, site.lon, site.name_zh, site.name_en, site.location_error_m),
                    len(stops) + 1,
                    str(_first(e, "arrive", "start", default="")),
                    str(_first(e, "leave", "end", "depart", default="")),
                    str(_first(e, "learn", "activity", "teaches", default="")),
                )
            )
        if stops:
            out.append(maps.StudyGroupLayer(label, stops))
    return out


def render_study_map(result: Mapping[str, Any], *, lang: str) -> Any | None:
    """The study-tour map, or None when the result has no group with sites."""
    groups = study_groups(result, lang)
    if not groups:
        return None
    cfg = current_app.config
    return maps.render_study_map(
        groups,
        tiles=cfg["MAP_TILES"],
        lang="en" if lang == "en" else "zh",
        tianditu_key=cfg.get("TIANDITU_KEY"),
        assets=_assets_url(),
    )


# --------------------------------------------------------------------------- simulations


def _executor(app: Flask) -> ThreadPoolExecutor:
    ex: ThreadPoolExecutor = app.extensions["tourplan.executor"]
    return ex


def start_simulation(values: Mapping[str, Any], *, owner_id: int | None) -> RunRecord:
    """Validate a scenario, record a run and hand it to the app's runner (tourplan.jobs).

    Parameters
    ----------
    values
        Scenario values as ``flow.Scenario.from_dict`` takes them; the app's
        ``SIMULATION_OVERRIDES`` are applied on top.
    owner_id
        The staff member who started it.

    Returns
    -------
    RunRecord
        The queued run; poll :meth:`Store.get_run` (``/api/v1/simulations/<id>``).

    Raises
    ------
    FeatureUnavailableError
        Without :mod:`tourplan.flow`.
    RequestValidationError
        For a bad scenario (checked before anything is queued).
    """
    flow = optional_module("flow")
    merged = {**jsonable(dict(values)), **current_app.config.get("SIMULATION_OVERRIDES", {})}
    scenario = _bounded_scenario(flow, flow.Scenario.from_dict(merged))
    sd = site_data()
    flow.check_sites(scenario, sd.sites)
    store = get_store()
    run = store.create_run(merged, owner_id=owner_id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    seed = int(app.config["PLAN_SEED"])
    from tourplan.jobs import SimulationJob
    from tourplan.web.scale import get_runner

    get_runner(app).submit(store, SimulationJob(run.id, scenario, sd.sites, sd.graph, seed))
    return run


def _bounded_scenario(flow: ModuleType, scenario: Any) -> Any:
    """Refuse a web simulation above ``SIMULATION_MAX_VISITORS``; cap its planner time.

    The visitors of a scenario without a count are the day type's default,
    so that one is checked too. ``plan_time_limit`` (seconds per planned
    visitor variant) is capped by ``PLAN_TIME_LIMIT`` like every web plan.

    Raises
    ------
    RequestValidationError
        ``{"visitors": ...}`` when the day would be too large.
    """
    cap = int(current_app.config["SIMULATION_MAX_VISITORS"])
    visitors = scenario.visitors
    day_type = scenario.day_type
    if visitors is None:
        day_type = day_type or flow.day_type(scenario.date, scenario.holidays)
        visitors = getattr(flow, "DEFAULT_VISITORS", {}).get(day_type)
    if isinstance(visitors, int) and visitors > cap:
        how = "" if scenario.visitors is not None else f" (the default for a {day_type} day)"
        raise RequestValidationError(
            {
                "visitors": f"expected at most {cap:,} visitors for a simulation run here, got {visitors:,}{how}"
            }
        )
    limit = float(current_app.config["PLAN_TIME_LIMIT"])
    if float(scenario.plan_time_limit) > limit:
        scenario = dataclasses.replace(scenario, plan_time_limit=max(0.01, limit))
    return scenario


def _progress_writer(store: Store, run_id: str) -> Callable[..., None]:
    last = [0.0, -1.0]

    def report(*args: Any, **kwargs: Any) -> None:
        frac: float | None = None
        vals = [
            a for a in (*args, *kwargs.values()) if isinstance(a, int | float) and not isinstance(a, bool)
        ]
        if len(vals) >= 2 and vals[1]:
            frac = float(vals[0]) / float(vals[1])
        elif vals:
            frac = float(vals[0])
            if frac > 1.0:
                frac /= 100.0
        if frac is None:
            return
        now = time.monotonic()
        if frac >= 1.0 or (now - last[0] >= 0.25 and frac - last[1] >= 0.005):
            last[0], last[1] = now, frac
            store.update_run(run_id, progress=min(frac, 0.99))

    return report


def _simulate(store: Store, run_id: str, flow: ModuleType, scenario: Any, sd: SiteData, seed: int) -> None:
    try:
        store.update_run(run_id, status="running", progress=0.0)
        result = flow.simulate(
            scenario, sd.sites, sd.graph, seed=seed, progress=_progress_writer(store, run_id)
        )
        data = jsonable(result.to_dict() if hasattr(result, "to_dict") else result)
        store.update_run(run_id, status="done", progress=1.0, result=data)
    except TourplanError as exc:
        store.update_run(run_id, status="failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crashed run is reported, never lost
        store.update_run(run_id, status="failed", error=f"internal error: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class FlowSiteView:
    """One site's occupancy over the simulated day."""

    site: Site
    occupancy: tuple[float, ...]
    peak: float
    peak_slot: int
    ratio: float


@dataclass(frozen=True)
class FlowView:
    """A simulation result in one shape, whatever the flow module's details."""

    slot_minutes: int
    day_start: int
    sites: tuple[FlowSiteView, ...]
    alerts: tuple[str, ...]
    totals: Mapping[str, Any] = field(default_factory=dict)

    def slot_time(self, i: int) -> str:
        """Clock time of slot ``i``."""
        m = self.day_start + i * self.slot_minutes
        return f"{m // 60:02d}:{m % 60:02d}"

    @property
    def busiest(self) -> list[FlowSiteView]:
        """Sites by peak load ratio, highest first."""
        return sorted(self.sites, key=lambda s: -s.ratio)


def _minutes(v: Any, default: int) -> int:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, str) and ":" in v:
        h, m = v.split(":", 1)
        with contextlib.suppress(ValueError):
            return int(h) * 60 + int(m)
    return default


def _occupancy_map(result: Mapping[str, Any]) -> dict[str, list[float]]:
    occ = _first(result, "occupancy", "occupancy_by_site", default=None)
    if isinstance(occ, Mapping):
        return {str(k): [float(x or 0) for x in v] for k, v in occ.items() if isinstance(v, Sequence)}
    rows = _first(result, "sites", "per_site", default=None)
    out: dict[str, list[float]] = {}
    if isinstance(rows, Mapping):
        for sid, r in rows.items():
            if isinstance(r, Mapping) and isinstance(r.get("occupancy"), Sequence):
                out[str(sid)] = [float(x or 0) for x in r["occupancy"]]
    elif isinstance(rows, Sequence):
        for r in rows:
            if isinstance(r, Mapping) and isinstance(r.get("occupancy"), Sequence):
                out[str(_first(r, "site_id", "id", default=""))] = [float(x or 0) for x in r["occupancy"]]
    return out


def _alert_text(a: Any, sites: SiteTable, lang: str) -> str:
    """One alert of a flow result in the page's language (site names and tier words included)."""
    if isinstance(a, str):
        return a
    if isinstance(a, Mapping):
        msg = _first(a, "message", "text")
        if msg:
            return str(msg)
        site = sites.get(str(a.get("site_id") or ""))
        name = site.label(lang) if site is not None else str(a.get("site_id", ""))
        if "slot_start" in a and "ratio" in a:
            level = str(a.get("level", ""))
            queue = a.get("queue")
            text = _("%(time)s %(site)s: %(level)s (%(pct)d%% of C0)", time=a["slot_start"], site=name,
                     level=str(ALERT_LEVEL_LABELS.get(level, level)), pct=round(100 * float(a["ratio"])))  # fmt: skip
            if isinstance(queue, int | float) and queue:
                text += _(", queue %(n)s", n=format(queue, "g"))
            return str(text)
        if "visits" in a and "capacity_daily" in a:
            visits, cap = format(a["visits"], ","), format(a["capacity_daily"], ",")
            return str(_("%(site)s: %(visits)s visits > daily capacity C1 %(cap)s", site=name, visits=visits, cap=cap))
        return ", ".join(f"{k}: {v}" for k, v in a.items())
    return str(a)


def flow_view(result: Mapping[str, Any], lang: str = "zh") -> FlowView:
    """Normalise a ``FlowResult.to_dict()`` for pages, CSV and maps.

    Understands occupancy given as ``{"occupancy": {site_id: [...]}}`` or as
    ``{"sites": [{"site_id": ..., "occupancy": [...]}, ...]}``, with
    ``slot_minutes`` and ``day_start`` (minutes or ``HH:MM``).
    """
    sites = site_data().sites
    occ = _occupancy_map(result)
    views = []
    for sid, series in occ.items():
        site = sites.get(sid)
        if site is None or not series:
            continue
        peak_slot = max(range(len(series)), key=lambda i: series[i])
        peak = series[peak_slot]
        cap = max(site.capacity_instant, 1)
        views.append(FlowSiteView(site, tuple(series), peak, peak_slot, peak / cap))
    alerts = _first(result, "alerts", "warnings", default=[])
    if isinstance(alerts, Sequence) and isinstance(result.get("daily_alerts"), Sequence):
        alerts = [*result["daily_alerts"], *alerts]
    totals = _first(result, "totals", "summary", default=None)
    if totals is None:
        keys = ("date", "day_type", "visitors", "finished", "inside_at_end", "seed")
        totals = {k: result[k] for k in keys if k in result}
    return FlowView(
        slot_minutes=max(1, _minutes(result.get("slot_minutes"), 15)),
        day_start=_minutes(result.get("day_start"), 8 * 60),
        sites=tuple(views),
        alerts=tuple(_alert_text(a, sites, lang) for a in alerts) if isinstance(alerts, Sequence) else (),
        totals=totals if isinstance(totals, Mapping) else {},
    )


def flow_csv(view: FlowView) -> str:
    """Occupancy per site and time slot as CSV (one row per site and slot)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["site_id", "name_zh", "name_en", "slot", "time", "visitors", "capacity_instant", "load_pct"])
    for s in view.sites:
        cap = max(s.site.capacity_instant, 1)
        for i, x in enumerate(s.occupancy):
            w.writerow(
                [csv_cell(v) for v in (s.site.id, s.site.name_zh, s.site.name_en, i, view.slot_time(i), round(x, 1),
                 s.site.capacity_instant, round(100 * x / cap, 1))]
            )  # fmt: skip
    return buf.getvalue()


def render_flow_map(view: FlowView, *, lang: str, tiles: str | None = None) -> Any | None:
    """The flow map (time slider), or None when no site has occupancy."""
    if not view.sites:
        return None
    n = min(len(s.occupancy) for s in view.sites)
    fs = [
        maps.FlowSite(
            maps.MapPoint(s.site.lat, s.site.lon, s.site.name_zh, s.site.name_en, s.site.location_error_m),
            max(s.site.capacity_instant, 1),
            s.occupancy[:n],
        )
        for s in view.sites
    ]
    cfg = current_app.config
    chosen: Any = tiles or cfg["MAP_TILES"]
    return maps.render_flow_map(
        fs,
        slot_minutes=view.slot_minutes,
        day_start=view.day_start % (24 * 60),
        tiles=chosen,
        lang="en" if lang == "en" else "zh",
        tianditu_key=cfg.get("TIANDITU_KEY"),
        assets=_assets_url(),
    )


# --------------------------------------------------------------------------- site data upload


@dataclass(frozen=True)
class UploadPreview:
    """What an uploaded site table would change, or why it cannot be used."""

    filename: str
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...] = ()
    sites: tuple[Site, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    token: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file may replace the current data."""
        return not self.problems and self.token is not None


def _staging(instance: Path) -> Path:
    d = instance / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _validate(raw: bytes, filename: str) -> tuple[SiteTable | None, list[Problem], list[str]]:
    holder: DataHolder = current_app.extensions["tourplan.data"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = parse_sites(raw, name=filename)
        except DataValidationError as exc:
            return None, list(exc.problems), [str(w.message) for w in caught]
        try:
            holder.edges_for(table)
        except DataValidationError as exc:
            return table, list(exc.problems), [str(w.message) for w in caught]
    return table, [], [str(w.message) for w in caught]


def preview_upload(raw: bytes, filename: str) -> UploadPreview:
    """Validate an uploaded ``pois.csv`` and stage it when valid.

    Parameters
    ----------
    raw
        The file's bytes.
    filename
        Its name as uploaded (used in problem messages only).

    Returns
    -------
    UploadPreview
        Every problem (file, row, column, value, expected), or the new
        table with the ids added, removed and changed, and a token that
        :func:`apply_upload` accepts.
    """
    name = Path(filename or "upload.csv").name[:100] or "upload.csv"
    table, problems, warns = _validate(raw, name)
    if problems or table is None:
        return UploadPreview(name, tuple(problems), tuple(warns))
    current = site_data().sites
    new_ids, old_ids = set(table.ids), set(current.ids)
    changed = tuple(s.id for s in table if s.id in old_ids and current[s.id] != s)
    token = new_id()
    (_staging(current_app.extensions["tourplan.data"].instance) / f"{token}.csv").write_bytes(raw)
    return UploadPreview(
        name,
        (),
        tuple(warns),
        tuple(table),
        tuple(sorted(new_ids - old_ids)),
        tuple(sorted(old_ids - new_ids)),
        changed,
        token,
    )


def apply_upload(token: str) -> SiteData:
    """Make a staged upload the active site table, atomically.

    The staged file is validated again, written to a temporary file in the
    instance folder and moved over ``instance/pois.csv`` with
    :func:`os.replace`; the table in use before is kept as
    ``instance/pois.csv.<UTC timestamp>.bak``. The bundled ``data/pois.csv``
    is never written.

    Raises
    ------
    KeyError
        For an unknown or expired token.
    DataValidationError
        If the staged file no longer validates.
    """
    holder: DataHolder = current_app.extensions["tourplan.data"]
    if not token or not all(c.isalnum() or c in "-_" for c in token):
        raise KeyError(token)
    staged = _staging(holder.instance) / f"{token}.csv"
    if not staged.exists():
        raise KeyError(token)
    raw = staged.read_bytes()
    table, problems, _warnings = _validate(raw, "pois.csv")
    if problems or table is None:
        raise DataValidationError(problems)
    target = holder.uploaded_path
    previous = holder.active_path()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = holder.instance / f".pois.csv.{token}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(raw)
        fh.flush()
        os.fsync(fh.fileno())
    if previous.exists():
        shutil.copy2(previous, holder.instance / f"pois.csv.{stamp}.bak")
    os.replace(tmp, target)
    staged.unlink(missing_ok=True)
    current_app.extensions["tourplan.showcase"].clear()
    return holder.current()


def data_backups() -> list[str]:
    """Names of the kept previous tables, newest first."""
    holder: DataHolder = current_app.extensions["tourplan.data"]
    return sorted((p.name for p in holder.instance.glob("pois.csv.*.bak")), reverse=True)
