"""The printable study-tour page (``templates/study_print.html``).

The map of a plan is drawn by :func:`tourplan.views.study_map`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tourplan._parse import fmt_time
from tourplan.study.capacity import SLOT_MINUTES

if TYPE_CHECKING:
    from tourplan.study.result import StudyTourPlan

__all__ = ["render_print_html"]


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
