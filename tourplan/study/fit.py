"""Fit a bus's good days into the room the other buses leave: :func:`_fit_day`.

The upper bound's search (:mod:`tourplan.study.bound`) lists for each bus the
solo days worth having, best first.  With other buses on the sites a day
fits when some visit order reaches every site inside the windows their load
leaves (:func:`tourplan.study.capacity._unit_windows`), and the bus is back
in time.  At the sites the buses cannot all use at once, the order that
leaves them earliest and fills the fewest slots is taken (waiting for a
slot boundary where that fills one slot less), so more buses get in after.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tourplan.optimize.check import TOL
from tourplan.study.capacity import SLOT_MINUTES, _Load, _unit_windows
from tourplan.study.model import _Result

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from tourplan.study.capacity import _Unit
    from tourplan.study.model import _Ctx
    from tourplan.study.relax import Day

__all__: list[str] = []

Windows = tuple[tuple[float, float], ...]

#: A fitted day: visits in order, start of each visit, arrival at each.
Fitted = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def _first_start(wins: Windows, arrive: float) -> float | None:
    for a, b in wins:
        if arrive <= b + TOL:
            return a if a > arrive else arrive
    return None


def _slot_count(start: float, length: float) -> int:
    return math.floor((start + length - 1) / SLOT_MINUTES) - math.floor(start / SLOT_MINUTES) + 1


def _fit_day(
    ctx: _Ctx, day: Sequence[int], wins: Sequence[Windows], crowded: Collection[int] = ()
) -> Fitted | None:
    """A visit order and times for the sites ``day`` inside ``wins``, or ``None``.

    A visit starts at the first time its windows allow after arrival; at a
    site in ``crowded`` (one the buses cannot all use at once) it may also
    wait for the next slot boundary when that fills one slot less.  Without
    crowded sites the first order that fits is taken (``day``'s own order
    first); with them, of all orders that fit, the one that leaves them in
    the earliest slots, then the one that fills the fewest of their slots,
    so the buses after it find the most room (as earliest finish first packs
    the most visits on one resource).

    Notes
    -----
    At most ``k!`` orders of ``k`` sites (a study day has five at most,
    times two start choices per crowded site), cut as soon as a prefix
    cannot be scheduled.
    """
    route = ctx.problem.routes[0]
    nodes = [ctx.s0, ctx.e0, *day]
    legs = {i: {j: float(ctx.travel[i, j]) for j in nodes} for i in nodes}
    length = {j: float(ctx.service[j]) for j in day}
    busy = any(j in crowded for j in day)
    order: list[int] = []
    starts: list[float] = []
    arrives: list[float] = []
    best: tuple[tuple[int, int], Fitted] | None = None

    def times(j: int, arrive: float) -> list[float]:
        first = _first_start(wins[j], arrive)
        if first is None:
            return []
        if (
            busy
            and j in crowded
            and _slot_count(first, length[j]) > max(1, math.ceil(length[j] / SLOT_MINUTES))
        ):
            edge = math.ceil(first / SLOT_MINUTES) * SLOT_MINUTES
            if _first_start(wins[j], edge) == edge:
                return [first, float(edge)]
        return [first]

    def extend(cur: int, t: float, left: list[int], rest: float, key: tuple[int, int]) -> bool:
        """Depth first over the orders; True stops the search.

        ``rest`` is the visiting time still to come; ``key`` the crowded
        sites' last slots and slot counts so far, which only grow.
        """
        nonlocal best
        if t + rest > route.latest + TOL or (best is not None and key >= best[0]):
            return False
        if not left:
            if t + legs[cur][ctx.e0] > route.latest + TOL:
                return False
            best = (key, (tuple(order), tuple(round(x) for x in starts), tuple(round(x) for x in arrives)))
            return not busy
        for k, j in enumerate(left):
            arrive = t + legs[cur][j]
            for start in times(j, arrive):
                more = key
                if j in crowded:
                    end = start + length[j]
                    more = (
                        key[0] + math.floor((end - 1) / SLOT_MINUTES),
                        key[1] + _slot_count(start, length[j]),
                    )
                order.append(j)
                starts.append(start)
                arrives.append(arrive)
                stop = extend(j, start + length[j], left[:k] + left[k + 1 :], rest - length[j], more)
                order.pop()
                starts.pop()
                arrives.pop()
                if stop:
                    return True
        return False

    extend(ctx.s0, route.earliest, list(day), sum(length.values()), (0, 0))
    return None if best is None else best[1]


def _best_fit(
    ctx: _Ctx,
    unit: _Unit,
    busy: _Load,
    days: Sequence[Day],
    crowded: Collection[int],
    cache: dict[tuple[frozenset[int], tuple[Windows, ...]], Fitted | None],
    *,
    pack: bool = False,
    floor: float = -math.inf,
) -> _Result | None:
    """The first of ``days`` (best first) that fits the room the load leaves ``unit``, or ``None``.

    With ``pack``, of all the days that fit, the one that leaves the crowded
    sites earliest (none is earliest), then the best: the bus makes room for
    another.  Days worth less than ``floor`` are not tried.  ``cache`` remembers each day's fit by the windows of its sites,
    which is all the fit reads: buses that see the same room share it.
    """
    wins = _unit_windows(ctx, unit.people, len(unit.groups), busy)
    best: tuple[int, Fitted] | None = None
    for day, value in days:
        if value < floor - 1e-9:
            break
        if any(not wins[j] for j in day):
            continue
        key = (frozenset(day), tuple(wins[j] for j in sorted(day)))
        if key not in cache:
            cache[key] = _fit_day(ctx, day, wins, crowded)
        fitted = cache[key]
        if fitted is None:
            continue
        if not pack:
            best = (0, fitted)
            break
        late = sum(
            math.floor((t + float(ctx.service[j]) - 1) / SLOT_MINUTES)
            for j, t in zip(fitted[0], fitted[1], strict=True)
            if j in crowded
        )
        if best is None or late < best[0]:
            best = (late, fitted)
    if best is None:
        return None
    route, starts, arrives = best[1]
    return _Result(
        route=route,
        starts=starts,
        arrives=arrives,
        value=ctx.route_value(route),
        missing=frozenset(ctx.mandatory - set(route)),
        lunch_ok=not ctx.lunch_on or any(i in ctx.lunch_nodes for i in route),
    )
