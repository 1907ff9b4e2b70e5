"""Visitor-flow simulation: how a day's visitors spread over the sites.

A :class:`Scenario` says who comes on a date (how many, when and where they
arrive, what they like, the weather); :func:`simulate` plans one itinerary
per visitor segment x entry point x start-time bucket with the itinerary
planner, gives each visitor their own variant of it (start time, dwell,
skipped stops), and runs every visitor through the sites with FIFO queues
where a site is at its instantaneous capacity (LB/T 034-2014 C0).  The
:class:`FlowResult` holds arrivals, occupancy, queues and waits per site per
time slot, daily totals against C1, and capacity alerts at the LB/T 034
warning tiers (80 % yellow, 90 % orange, 100 % red).  A
:class:`CrowdForecast` built from a result feeds back into planning.

One scenario is a pure function of its inputs and the seed.

Modules
-------
calendar
    Holidays and the kind of day.
defaults
    Sourced default figures (visitors per day type, area shares, profiles).
scenario
    Entry points, segments, booked groups, :class:`Scenario` and its parsing.
plans
    The plan library: plan variants and the planner runs behind them.
simulate
    :func:`simulate`, phase by phase.
engine, _core
    The event loop (compiled with numba) and its driver, :func:`simulate_stops`.
aggregate
    Stop times to per-site, per-slot and per-area figures.
alerts
    Warning tiers (:func:`tier`), :class:`Alert`, :class:`Episode`.
compare
    :func:`compare`: a run as planned and one with measures, side by side.
measures
    Countermeasures: :class:`Measures` (timed entry, daily caps, moved groups).
result
    :class:`FlowResult`, :class:`AreaFlow`, :class:`MeasureOutcome`, :class:`PublicLoad`.
forecast
    The planner's crowd hook (:class:`CrowdHook`) and :class:`CrowdForecast`.
plot
    :func:`plot_occupancy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan._lazy import attach

if TYPE_CHECKING:  # the names for type checkers; at run time they load on first use (``__getattr__``)
    from tourplan.flow.alerts import TIERS, Episode, tier
    from tourplan.flow.calendar import DAY_TYPES, HOLIDAYS, MAKEUP_WORKDAYS, day_type
    from tourplan.flow.comparison import Comparison, compare
    from tourplan.flow.defaults import (
        DEFAULT_AREA_SHARES,
        DEFAULT_VISITORS,
        PROFILES,
        SELF_DRIVE_SHARE,
        YUNTAI_PEAK_GOLDEN_WEEK,
        YUNTAI_PEAK_MAY_DAY,
    )
    from tourplan.flow.engine import StopsResult, simulate_stops
    from tourplan.flow.forecast import CrowdAdjustment, CrowdForecast, CrowdHook, CrowdQuery
    from tourplan.flow.measures import Measures, lbt_quota
    from tourplan.flow.plans import PlanLibrary
    from tourplan.flow.plot import plot_occupancy
    from tourplan.flow.result import (
        ALERT_LEVELS,
        Alert,
        AreaFlow,
        FlowResult,
        MeasureOutcome,
        PublicLoad,
        StopLog,
    )
    from tourplan.flow.scenario import (
        DEFAULT_ENTRIES,
        EntryPoint,
        FixedArrival,
        Scenario,
        Segment,
        default_segments,
    )
    from tourplan.flow.simulation import check_sites, simulate

#: Where each public name lives: a module is imported when one of its names is first used, so that
#: ``tourplan.flow.forecast`` (say, a crowd forecast read from the disk cache) does not load the
#: compiled simulation kernels.
_HOMES: dict[str, str] = {
    **dict.fromkeys(["TIERS", "Episode", "tier"], "tourplan.flow.alerts"),
    **dict.fromkeys(["DAY_TYPES", "HOLIDAYS", "MAKEUP_WORKDAYS", "day_type"], "tourplan.flow.calendar"),
    **dict.fromkeys(["Comparison", "compare"], "tourplan.flow.comparison"),
    **dict.fromkeys(["DEFAULT_AREA_SHARES", "DEFAULT_VISITORS", "PROFILES", "SELF_DRIVE_SHARE", "YUNTAI_PEAK_GOLDEN_WEEK", "YUNTAI_PEAK_MAY_DAY"], "tourplan.flow.defaults"),
    **dict.fromkeys(["StopsResult", "simulate_stops"], "tourplan.flow.engine"),
    **dict.fromkeys(["CrowdAdjustment", "CrowdForecast", "CrowdHook", "CrowdQuery"], "tourplan.flow.forecast"),
    **dict.fromkeys(["Measures", "lbt_quota"], "tourplan.flow.measures"),
    **dict.fromkeys(["PlanLibrary"], "tourplan.flow.plans"),
    **dict.fromkeys(["plot_occupancy"], "tourplan.flow.plot"),
    **dict.fromkeys(["ALERT_LEVELS", "Alert", "AreaFlow", "FlowResult", "MeasureOutcome", "PublicLoad", "StopLog"], "tourplan.flow.result"),
    **dict.fromkeys(["DEFAULT_ENTRIES", "EntryPoint", "FixedArrival", "Scenario", "Segment", "default_segments"], "tourplan.flow.scenario"),
    **dict.fromkeys(["check_sites", "simulate"], "tourplan.flow.simulation"),
}


__all__ = [
    "ALERT_LEVELS",
    "DAY_TYPES",
    "DEFAULT_AREA_SHARES",
    "DEFAULT_ENTRIES",
    "DEFAULT_VISITORS",
    "HOLIDAYS",
    "MAKEUP_WORKDAYS",
    "PROFILES",
    "SELF_DRIVE_SHARE",
    "TIERS",
    "YUNTAI_PEAK_GOLDEN_WEEK",
    "YUNTAI_PEAK_MAY_DAY",
    "Alert",
    "AreaFlow",
    "Comparison",
    "CrowdAdjustment",
    "CrowdForecast",
    "CrowdHook",
    "CrowdQuery",
    "EntryPoint",
    "Episode",
    "FixedArrival",
    "FlowResult",
    "MeasureOutcome",
    "Measures",
    "PlanLibrary",
    "PublicLoad",
    "Scenario",
    "Segment",
    "StopLog",
    "StopsResult",
    "check_sites",
    "compare",
    "day_type",
    "default_segments",
    "lbt_quota",
    "plot_occupancy",
    "simulate",
    "simulate_stops",
    "tier",
]


__getattr__, __dir__ = attach(__name__, _HOMES)
