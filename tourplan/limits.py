"""Limits that keep a request's work within what the planners were measured to carry.

Counts alone (rows, groups, variants) do not bound work: a site table of a
few thousand rows is a small file, but its graph takes minutes to build and
every plan over it misses its time target. The figures here are stated in
work and measured:

* :data:`MAX_SITES` -- the largest site table the visitor planner serves
  within its targets (a one-day plan at most 300 ms at the median, three
  days at most 1 s), measured by ``bench/table_size.py``. The web app
  refuses a larger upload when it is checked, before anything else is done
  with it.
* :class:`Budget` -- a work budget and a wall-clock budget for one planning
  request. Work is counted in *optimizer seconds*: the time limit of every
  optimizer run the request starts (a study tour's bus plans, a
  simulation's itinerary plans), charged before the run starts, so the
  work budget is never overrun. The planners call :func:`checkpoint`
  between runs; with a budget active (:func:`budget`) it raises
  :class:`BudgetExceededError` when the next run would overrun the work
  budget or the clock is past the time budget. So a request ends within
  its time budget plus one optimizer run.

* :func:`watch` -- a hook every checkpoint calls (after the budget's
  charge): a background job's cancel and time limit are read there, so a
  planner stops at its next checkpoint when its job is cancelled, from
  whichever process (:mod:`tourplan.jobs`).

The active budget and the hooks are kept in :class:`contextvars.ContextVar`
objects (the module's only state, here so the planners need no extra
parameter): they belong to the thread, or task, that entered :func:`budget`
or :func:`watch`, and other threads' checkpoints do not see them. Without
either, :func:`checkpoint` does nothing, so the library and the command
line run unbounded.
"""

from __future__ import annotations

import contextvars
import math
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tourplan.errors import TourplanError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["MAX_SITES", "Budget", "BudgetExceededError", "budget", "checkpoint", "watch"]

#: Largest site table the web app accepts (``python bench/table_size.py``; README, "Site table size").
MAX_SITES = 500


class BudgetExceededError(TourplanError, RuntimeError):
    """A request used up its work or wall-clock budget and was stopped.

    Attributes
    ----------
    what
        What was stopped (``"study tour"``, ``"simulation"``...).
    kind
        ``"work"`` or ``"time"``.
    limit
        The budget: optimizer seconds, or wall-clock seconds.
    used
        Optimizer seconds the request asked for in all (``work``), or
        seconds it had run (``time``).
    """

    _FORMAT = re.compile(
        r"^(?P<what>[a-z ]+) stopped: (?:it needed (?P<work>[0-9.]+) optimizer-seconds, more than its work "
        r"budget of (?P<wlimit>[0-9.]+)|it ran (?P<time>[0-9.]+) s, past its time budget of (?P<tlimit>[0-9.]+) s)"
    )

    def __init__(self, what: str, kind: Literal["work", "time"], limit: float, used: float) -> None:
        self.what, self.kind, self.limit, self.used = what, kind, float(limit), float(used)
        if kind == "work":
            reason = f"it needed {used:.2f} optimizer-seconds, more than its work budget of {limit:.2f}"
        else:
            reason = f"it ran {used:.1f} s, past its time budget of {limit:.1f} s"
        super().__init__(f"{what} stopped: {reason}")

    @classmethod
    def parse(cls, message: str) -> BudgetExceededError | None:
        """The error a message (say, a stored run's) was made from, or None.

        Examples
        --------
        >>> e = BudgetExceededError.parse(str(BudgetExceededError("simulation", "time", 120, 121.5)))
        >>> e.what, e.kind, e.limit, e.used
        ('simulation', 'time', 120.0, 121.5)
        """
        m = cls._FORMAT.match(message or "")
        if m is None:
            return None
        if m.group("work") is not None:
            return cls(m.group("what"), "work", float(m.group("wlimit")), float(m.group("work")))
        return cls(m.group("what"), "time", float(m.group("tlimit")), float(m.group("time")))


@dataclass
class Budget:
    """How much one request may plan: optimizer seconds and wall-clock seconds.

    The clock starts when the budget is entered (:func:`budget`), not when
    it is made, so a queued simulation's wait does not count.

    Examples
    --------
    >>> b = Budget(work=1.0, seconds=60, what="study tour")
    >>> with budget(b):
    ...     checkpoint(0.6)
    ...     checkpoint(0.6)
    Traceback (most recent call last):
    ...
    tourplan.limits.BudgetExceededError: study tour stopped: it needed 1.20 optimizer-seconds, more than its work budget of 1.00
    >>> b.spent
    0.6
    """

    work: float
    seconds: float
    what: str = "request"
    spent: float = 0.0
    started: float = field(default=math.nan, repr=False)

    def __post_init__(self) -> None:
        if not (self.work > 0 and self.seconds > 0):
            msg = f"Budget: expected positive work and seconds, got work={self.work!r}, seconds={self.seconds!r}"
            raise ValueError(msg)

    @property
    def elapsed(self) -> float:
        """Seconds since the budget was entered (0 before)."""
        return 0.0 if math.isnan(self.started) else time.monotonic() - self.started

    def charge(self, work: float = 0.0) -> None:
        """Book ``work`` optimizer seconds about to be spent, or raise if the budget does not allow it.

        Raises
        ------
        BudgetExceededError
            When the clock is past :attr:`seconds`, or ``spent + work`` would
            exceed :attr:`work` (nothing is booked then).
        """
        elapsed = self.elapsed
        if elapsed > self.seconds:
            raise BudgetExceededError(self.what, "time", self.seconds, elapsed)
        if self.spent + work > self.work + 1e-9:
            raise BudgetExceededError(self.what, "work", self.work, self.spent + work)
        self.spent += work


_ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("tourplan_budget", default=None)
_HOOKS: contextvars.ContextVar[tuple[Callable[[float], None], ...]] = contextvars.ContextVar(
    "tourplan_checkpoint_hooks", default=()
)


@contextmanager
def budget(b: Budget) -> Iterator[Budget]:
    """Make ``b`` the active budget of this thread (or task) and start its clock."""
    if math.isnan(b.started):
        b.started = time.monotonic()
    token = _ACTIVE.set(b)
    try:
        yield b
    finally:
        _ACTIVE.reset(token)


@contextmanager
def watch(hook: Callable[[float], None]) -> Iterator[None]:
    """Call ``hook(work)`` at every :func:`checkpoint` of this thread (or task) inside the block.

    Hooks nest (the outer ones are called first); a hook stops the planner
    by raising, and the exception propagates out of the checkpoint.

    Examples
    --------
    >>> seen = []
    >>> with watch(seen.append):
    ...     checkpoint(0.5)
    ...     checkpoint()
    >>> checkpoint(1.0)  # outside the block: not seen
    >>> seen
    [0.5, 0.0]
    """
    token = _HOOKS.set((*_HOOKS.get(), hook))
    try:
        yield
    finally:
        _HOOKS.reset(token)


def checkpoint(work: float = 0.0) -> None:
    """Charge ``work`` optimizer seconds to the active budget, if any, then call the hooks of :func:`watch`.

    See :meth:`Budget.charge` for what the budget raises.
    """
    b = _ACTIVE.get()
    if b is not None:
        b.charge(work)
    for hook in _HOOKS.get():
        hook(work)
