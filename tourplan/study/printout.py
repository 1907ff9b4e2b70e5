"""Views of a plan: the printable page and, for now, the map layers.

``study_layers`` and ``study_map`` stay here until the map code moves to
``tourplan.maps.study`` (issue 18); the printable page renders
``templates/study_print.html``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tourplan._parse import fmt_time
from tourplan.study.capacity import SLOT_MINUTES

if TYPE_CHECKING:
    from tourplan.data import SiteTable
    from tourplan.maps import StudyGroupLayer
    from tourplan.study.result import StudyTourPlan

__all__ = [
    "render_print_html",
    "study_layers",
    "study_map",
]


def study_layers(plan: StudyTourPlan) -> list[StudyGroupLayer]:
    """The plan as :class:`tourplan.maps.StudyGroupLayer` view-models, one per group."""
    from tourplan.maps import MapPoint, MapStop, StudyGroupLayer

    layers: list[StudyGroupLayer] = []
    for g in plan.groups:
        stops = [
            MapStop(
                point=MapPoint(lat=s.lat, lon=s.lon, name_zh=s.name_zh, name_en=s.name_en),
                order=k,
                arrive=fmt_time(s.start),
                leave=fmt_time(s.end),
                activity=s.learn,
                ticket_cny=s.ticket_per_person_cny,
            )
            for k, s in enumerate(g.stops, start=1)
        ]
        path = [
            (plan.start.lat, plan.start.lon),
            *((s.lat, s.lon) for s in g.stops),
            (plan.end.lat, plan.end.lon),
        ]
        layers.append(
            StudyGroupLayer(label=f"{g.label} {g.id} · {g.bus} ({g.students})", stops=stops, bus_path=path)
        )
    return layers


def study_map(plan: StudyTourPlan, sites: SiteTable | None = None, **options: Any) -> Any:
    """Draw the plan with :func:`tourplan.maps.render_study_map` (one layer per group).

    ``sites`` is accepted for symmetry with the other planners; the plan
    already carries every coordinate.  ``options`` go to ``render_study_map``
    (``tiles``, ``lang``, ``assets`` ...).
    """
    from tourplan.maps import render_study_map

    del sites
    return render_study_map(study_layers(plan), **options)


def render_print_html(plan: StudyTourPlan) -> str:
    """The printable plan (``templates/study_print.html``, Jinja autoescaped)."""
    import jinja2

    from tourplan.resources import templates_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["hhmm"] = fmt_time
    return env.get_template("study_print.html").render(plan=plan, req=plan.request, slot=SLOT_MINUTES)
