"""The printable study-tour page (``templates/study_print.html``).

The map of a plan is drawn by :func:`tourplan.views.study_map`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan._parse import fmt_time
from tourplan.messages import text_of
from tourplan.study.capacity import SLOT_MINUTES
from tourplan.study.request import bus_cost_note

if TYPE_CHECKING:
    from tourplan.study.result import StudyTourPlan

__all__ = ["render_print_html"]


def render_print_html(plan: StudyTourPlan) -> str:
    """The printable plan (``templates/study_print.html``, Jinja autoescaped).

    The page is in Chinese with the English beside it (marked ``lang="en"``):
    a printed plan goes to drivers, sites and teachers alike.  Warnings,
    rules, run sheets and ticket lines are the plan's messages rendered in
    both languages.
    """
    import jinja2

    from tourplan.resources import templates_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["hhmm"] = fmt_time
    env.filters["zh"] = lambda item: text_of(item, "zh")
    env.filters["en"] = lambda item: text_of(item, "en")
    return env.get_template("study_print.html").render(
        plan=plan, req=plan.request, slot=SLOT_MINUTES, bus_cost=bus_cost_note(plan.request)
    )
