"""Work and wall-clock budgets of staff planning: study tours and simulations.

Every study tour planned from the web (form, API, a print that re-plans)
runs under ``STUDY_WORK_BUDGET`` optimizer seconds and ``STUDY_TIME_BUDGET``
wall-clock seconds; every simulation under ``SIMULATION_WORK_BUDGET`` and
``SIMULATION_TIME_BUDGET`` (its clock starts when the run starts, not while
it waits in the queue); a large study tour planned as a job under
``STUDY_JOB_WORK_BUDGET`` and ``STUDY_JOB_TIME_BUDGET``. A request that would overrun either is stopped
between two optimizer runs with a message that says which budget ended it
and what to change (see :mod:`tourplan.limits`). A study tour is planned
inside the request, so its time budget stays below a gunicorn worker's
default 30 s timeout.

The message is made in the page's language when it is shown: a stopped
simulation keeps the English text of the error (:func:`describe` turns it
into the reader's language).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]

from tourplan.limits import Budget, BudgetExceededError, budget

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from flask import Flask

__all__ = ["describe", "init_budgets", "simulation_budget", "study_budget", "study_job_budget", "within"]

T = TypeVar("T")
STUDY = "study tour"
SIMULATION = "simulation"


def _budget(what: str, prefix: str) -> Budget:
    cfg = current_app.config
    return Budget(
        work=float(cfg[f"{prefix}_WORK_BUDGET"]), seconds=float(cfg[f"{prefix}_TIME_BUDGET"]), what=what
    )


@contextmanager
def study_budget() -> Iterator[Budget]:
    """Plan a study tour inside this block under the configured budgets.

    Raises
    ------
    BudgetExceededError
        With the message in the request's language, when a budget ran out.
    """
    try:
        with budget(_budget(STUDY, "STUDY")) as b:
            yield b
    except BudgetExceededError as exc:
        raise _localised(exc) from None


def simulation_budget() -> Budget:
    """A fresh simulation budget from the configuration (its clock starts in :func:`within`)."""
    return _budget(SIMULATION, "SIMULATION")


def study_job_budget() -> Budget:
    """A fresh budget of a study tour planned as a job (its clock starts when the job does)."""
    return _budget(STUDY, "STUDY_JOB")


def within(b: Budget, func: Callable[..., T]) -> Callable[..., T]:
    """``func`` run under ``b``: for a background thread, which has no budget of its own."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> T:
        with budget(b):
            return func(*args, **kwargs)

    return run


def _text(exc: BudgetExceededError) -> str:
    limit = f"{exc.limit:g}"
    if exc.what == STUDY and exc.kind == "time":
        msg = _(
            "Planning was stopped after %(limit)s s, the most one study tour may take here. "
            "Plan fewer buses, fewer improvement rounds or a shorter optimizer time per bus.",
            limit=limit,
        )
    elif exc.what == STUDY:
        msg = _(
            "Planning was stopped: this study tour needs more than %(limit)s optimizer-seconds, the most one "
            "study tour may use here. Plan fewer buses, fewer improvement rounds or a shorter optimizer time "
            "per bus.",
            limit=limit,
        )
    elif exc.kind == "time":
        msg = _(
            "The simulation was stopped after %(limit)s s, the most one simulation may run here. Use fewer "
            "plan variants, a larger variant share, a larger minimum plan share or fewer segments and entries.",
            limit=limit,
        )
    else:
        msg = _(
            "The simulation was not run: its itineraries need %(used)s optimizer-seconds of planning, more "
            "than the %(limit)s one simulation may use here. Use fewer plan variants, a larger variant share, "
            "a larger minimum plan share or a shorter planner time.",
            used=format(exc.used, ".0f"),
            limit=limit,
        )
    return str(msg)


def _localised(exc: BudgetExceededError) -> BudgetExceededError:
    out = BudgetExceededError(exc.what, exc.kind, exc.limit, exc.used)
    out.args = (_text(exc),)
    return out


def describe(error: str | None) -> str:
    """A run's stored error in the reader's language (a cancel, the time limit, a budget), else as stored."""
    from tourplan.jobs import CANCELLED

    if error == CANCELLED:
        return str(_("Cancelled by staff."))
    if (error or "").startswith("time limit exceeded"):
        return str(_("Stopped: the run took longer than the time limit of background jobs."))
    exc = BudgetExceededError.parse(error or "")
    return _text(exc) if exc is not None else (error or "")


def init_budgets(app: Flask) -> None:
    """Check the configured budgets at start; ``run_error`` for templates."""
    for prefix in ("STUDY", "STUDY_JOB", "SIMULATION"):
        with app.app_context():
            _budget("check", prefix)  # raises ValueError on a zero or negative budget
    app.jinja_env.filters["run_error"] = describe
