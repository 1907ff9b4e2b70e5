"""Visitor-flow simulations for the web: start a run in the background, then show, chart and export it.

A run is validated and capped (``SIMULATION_MAX_VISITORS``,
``PLAN_TIME_LIMIT``) before it is queued; the thread pool of the app
simulates it and saves ``FlowResult.to_dict()`` in the store. Pages read
a saved result through :func:`tourplan.views.flow_view`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]

from tourplan import charts, views
from tourplan.errors import RequestValidationError
from tourplan.export import csv_cell
from tourplan.web import budgets
from tourplan.web.i18n import ALERT_LEVEL_LABELS, ENTRY_LABELS, EPISODE_STATE_LABELS
from tourplan.web.services.data import get_store, jsonable, map_options, optional_module, page_lang, site_data

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

    from tourplan.store import RunRecord

__all__ = [
    "TIER_COLORS",
    "alert_text",
    "alert_texts",
    "entries_chart",
    "entry_label",
    "episode_text",
    "flow_csv",
    "flow_view",
    "render_flow_map",
    "site_charts",
    "start_simulation",
]


# --------------------------------------------------------------------------- runs


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

    job = SimulationJob(run.id, scenario, sd.sites, sd.graph, seed, budget=budgets.simulation_budget())
    get_runner(app).submit(store, job)
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


# --------------------------------------------------------------------------- results


def flow_view(result: Mapping[str, Any]) -> views.FlowView:
    """The page view of a saved simulation result (``FlowResult.to_dict()`` form)."""
    return views.flow_view(result, site_data().sites)


def alert_text(alert: views.DailyAlert | views.SlotAlert, lang: str) -> str:
    """One alert of a flow result in the page's language (site names and tier words included)."""
    name = alert.site.label(lang) if alert.site is not None else alert.site_id
    if isinstance(alert, views.DailyAlert):
        visits, cap = format(alert.visits, ","), format(alert.capacity_daily, ",")
        return str(
            _("%(site)s: %(visits)s visits > daily capacity C1 %(cap)s", site=name, visits=visits, cap=cap)
        )
    text = _("%(time)s %(site)s: %(level)s (%(pct)d%% of C0)", time=alert.time, site=name,
             level=str(ALERT_LEVEL_LABELS.get(alert.level, alert.level)), pct=round(100 * alert.ratio))  # fmt: skip
    if alert.queue:
        text += _(", queue %(n)s", n=format(alert.queue, "g"))
    return str(text)


def alert_texts(view: views.FlowView, lang: str) -> list[str]:
    """Every alert of a flow view in the page's language, daily-capacity alerts first."""
    return [alert_text(a, lang) for a in view.alerts]


def flow_csv(view: views.FlowView) -> str:
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


def render_flow_map(view: views.FlowView, *, lang: str, tiles: str | None = None) -> Any | None:
    """The flow map (time slider), or None when no site has occupancy."""
    if not view.sites:
        return None
    return views.flow_map(view, lang=page_lang(lang), **map_options(tiles))


# --------------------------------------------------------------------------- dashboard

#: Colours of the warning tiers (normal, yellow, orange, red), the flow map's own.
TIER_COLORS: dict[str, str] = {"normal": "#2e7d32", "yellow": "#f9a825", "orange": "#ef6c00", "red": "#c62828"}


def _name(site_id: str, lang: str) -> str:
    site = site_data().sites.get(site_id)
    return site.label(lang) if site is not None else site_id


def episode_text(e: views.FlowEpisode, lang: str) -> str:
    """One episode in the page's language: "红石峡 10:15–14:30 超载，峰值 143 %"."""
    state = EPISODE_STATE_LABELS.get(e.level, e.level)
    name = e.name(lang)
    if e.scope == "area":
        name = str(_("%(site)s (whole area)", site=name))
    return str(
        _("%(site)s %(start)s–%(end)s %(state)s, peak %(pct)d %%", site=name, start=e.start, end=e.end,
          state=str(state), pct=e.peak_pct)
    )  # fmt: skip


def entry_label(entry: str, lang: str) -> str:
    """The name of an entry point in the page's language (a site's name when it is a site id)."""
    if entry in ENTRY_LABELS:
        return str(ENTRY_LABELS[entry])
    return _name(entry, lang)


def _tier_colors(pct: tuple[int, ...]) -> list[str]:
    tier = optional_module("flow").tier
    return [TIER_COLORS[tier(p)] for p in pct]


def site_charts(view: views.FlowView, row: views.FlowSiteView, lang: str) -> dict[str, str]:
    """Inline SVG charts of one site: people against C0 over the day, queue, and mean wait.

    Bars of the occupancy chart take the colour of the alerts' tier
    (``flow.tier`` of the slot's whole percent), so they match the episodes and the map.
    """
    times = [view.slot_time(j) for j in range(len(row.load))]
    tick = max(1, 60 // view.slot_minutes)
    name = row.site.label(lang)
    c0 = row.capacity_instant or row.site.capacity_instant
    occupancy = charts.svg_chart(
        [
            charts.Series(str(_("People at the site (inside and queueing)")), row.load, "#90a4ae", "bar",
                          _tier_colors(row.pct)),
            charts.Series(str(_("Inside (slot mean)")), row.occupancy, "#1565c0"),
        ],
        times=times, tick_every=tick, unit=str(_("people")),
        title=str(_("%(site)s: people against capacity over the day", site=name)),
        rules=[charts.Rule(c0, str(_("Capacity C0 %(n)s", n=format(c0, ","))), TIER_COLORS["red"]),
               charts.Rule(0.8 * c0, "80 %", TIER_COLORS["yellow"])],
    )  # fmt: skip
    n = len(times)
    queue = charts.svg_chart(
        [charts.Series(str(_("Queueing at the gate")), (row.queue or (0,) * n)[:n], "#ef6c00", "bar")],
        times=times, tick_every=tick, unit=str(_("people")), height=180,
        title=str(_("%(site)s: queue at the gate", site=name)),
    )  # fmt: skip
    wait = charts.svg_chart(
        [charts.Series(str(_("Mean wait of arrivals")), (row.mean_wait or (0.0,) * n)[:n], "#6a1b9a")],
        times=times, tick_every=tick, unit=str(_("minutes")), height=180,
        title=str(_("%(site)s: mean wait", site=name)),
    )  # fmt: skip
    return {"occupancy": occupancy, "queue": queue, "wait": wait}


_ENTRY_COLORS = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#9e9d24")


def entries_chart(view: views.FlowView, lang: str) -> str | None:
    """Arrivals by entry point per slot (one line each), or None without entries."""
    rows = [(k, v) for k, v in view.entries.items() if sum(v)]
    if not rows:
        return None
    n = min(len(v) for _k, v in rows)
    return charts.svg_chart(
        [charts.Series(entry_label(k, lang), v[:n], _ENTRY_COLORS[i % len(_ENTRY_COLORS)])
         for i, (k, v) in enumerate(rows)],
        times=[view.slot_time(j) for j in range(n)], tick_every=max(1, 60 // view.slot_minutes),
        unit=str(_("visitors per slot")), height=260, title=str(_("Arrivals by entry point")),
    )  # fmt: skip
