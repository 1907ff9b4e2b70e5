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

from tourplan import views
from tourplan.errors import RequestValidationError
from tourplan.export import csv_cell
from tourplan.web import budgets
from tourplan.web.i18n import ALERT_LEVEL_LABELS
from tourplan.web.services.data import get_store, jsonable, map_options, optional_module, page_lang, site_data

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

    from tourplan.store import RunRecord

__all__ = ["alert_text", "alert_texts", "flow_csv", "flow_view", "render_flow_map", "start_simulation"]


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
