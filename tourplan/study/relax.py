"""Shared capacity in the upper bound: how many bus visits a site can take, and their price.

The sum of the groups' solo days (:mod:`tourplan.study.bound`) ignores that
the groups share the sites.  This module tightens it by a Lagrangian
relaxation of one consequence of site capacity:

* **Visit room.**  In each 15-minute slot a site holds at most
  ``floor((capacity_instant - public load) / p)`` buses of ``p`` people (``p``
  the smallest bus), and a visit of ``d`` minutes fills at least
  ``ceil(d / 15)`` consecutive slots, all of them with room.  So in a run of
  ``B`` consecutive slots with room ``c_s`` at most
  ``min(floor(sum c_s / L), max c_s * floor(B / L))`` visits fit (the second:
  visits that never overlap more than ``c`` at once form ``c`` chains of
  disjoint visits).  :func:`_visit_room` sums this over a site's runs.
* **Prices.**  Every plan keeps, for each site ``i``, the number of buses
  visiting it at most ``room_i``.  For prices ``y_i >= 0`` on those visits,
  ``sum over buses of max over its days (value - price of its visits) +
  sum_i y_i room_i`` is at least the value of every plan, whatever the
  prices (weak duality).  :func:`_prices` picks good prices: the duals of the
  linear programme that mixes each kind of bus over its days
  (:func:`_lp_duals`); :func:`_priced_bound` evaluates the bound exactly for
  them, so a loose or failed linear programme only makes the bound looser,
  never wrong.

Only days worth more than the best day avoiding every scarce site can be a
bus's priced best, so the days searched are few (``best_day(avoid=...)``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tourplan.study.capacity import _NSLOTS, SLOT_MINUTES

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from tourplan.study.capacity import _Unit
    from tourplan.study.model import _Ctx

__all__: list[str] = []

_TOL = 1e-9

#: A day: its visits (node ids, in an order that fits) and its value.
Day = tuple[tuple[int, ...], float]


def _visit_room(ctx: _Ctx, units: Sequence[_Unit]) -> tuple[npt.NDArray[np.float64], frozenset[int]]:
    """Most bus visits each node can take in one day (``inf`` for the start and end places).

    Also returns the crowded sites: those that cannot hold every bus at once
    in some slot a visit could use.

    Examples
    --------
    A run of 8 slots holding 2 buses each, 45-minute visits (3 slots): 2 x 2.

    >>> _runs_room(np.array([2, 2, 2, 2, 2, 2, 2, 2]), 3)
    4
    """
    n = len(ctx.nodes)
    room = np.full(n, np.inf)
    crowded: set[int] = set()
    people = min(u.people for u in units)
    groups = min(len(u.groups) for u in units)
    most = ctx.req.max_groups_per_site
    route = ctx.problem.routes[0]
    for i in range(n):
        if ctx.site_of[i] is None or i in (ctx.s0, ctx.e0):
            continue
        d = float(ctx.service[i])
        per = np.floor((ctx.cap[i] - ctx.public[i]) / people + _TOL)
        if most is not None:
            per = np.minimum(per, most // groups)
        usable = np.zeros(_NSLOTS, dtype=bool)
        for a, b in ctx.base_windows[i]:
            lo = max(a, route.earliest + float(ctx.travel[ctx.s0, i]))
            hi = min(b, route.latest - float(ctx.travel[i, ctx.e0]) - d)
            if lo <= hi + _TOL:
                first = math.floor(lo / SLOT_MINUTES)
                last = max(first, math.ceil((hi + d) / SLOT_MINUTES) - 1)
                usable[first : min(last, _NSLOTS - 1) + 1] = True
        room[i] = _runs_room(np.where(usable, np.maximum(per, 0), 0), max(1, math.ceil(d / SLOT_MINUTES)))
        if (per[usable] < len(units)).any():
            crowded.add(i)
    return room, frozenset(crowded)


def _runs_room(per_slot: npt.NDArray[np.float64], span: int) -> int:
    """Visits of ``span`` slots that fit ``per_slot`` buses at once, over each run of slots with room."""
    total = 0
    k = 0
    n = len(per_slot)
    while k < n:
        if per_slot[k] < 1:
            k += 1
            continue
        end = k
        while end < n and per_slot[end] >= 1:
            end += 1
        run = per_slot[k:end]
        total += int(min(run.sum() // span, run.max() * (len(run) // span)))
        k = end
    return total


def _lp_duals(
    values: npt.NDArray[np.float64],
    uses: npt.NDArray[np.float64],
    room: npt.NDArray[np.float64],
    kinds: npt.NDArray[np.int64],
    counts: npt.NDArray[np.float64],
    max_pivots: int = 500,
) -> npt.NDArray[np.float64]:
    """Duals of the room rows of ``max values.x`` s.t. ``uses.x <= room``, per kind ``sum x = count``, ``x >= 0``.

    A dense revised simplex for a few rows (one per scarce site and per kind
    of bus) and many columns (days): Dantzig's rule, Bland's after a run of
    degenerate pivots; kinds start on artificial columns of a large negative
    value.  Approximate duals are fine: the caller evaluates the bound for
    them exactly.

    Examples
    --------
    Two days for 3 buses, the better one uses a site that takes 1 visit:

    >>> _lp_duals(np.array([5.0, 3.0]), np.array([[1.0, 0.0]]), np.array([1.0]),
    ...           np.array([0, 0]), np.array([3.0]))
    array([2.])
    """
    nr = uses.shape[0]
    nk = len(counts)
    ncol = len(values)
    m = nr + nk
    big = 1.0e3 * (1.0 + float(np.abs(values).max(initial=0.0)))
    mat = np.zeros((m, ncol + m))
    mat[:nr, :ncol] = uses
    mat[nr + kinds, np.arange(ncol)] = 1.0
    mat[:, ncol:] = np.eye(m)
    cost = np.concatenate([values, np.zeros(nr), np.full(nk, -big)])
    rhs = np.concatenate([room, counts])
    basis = list(range(ncol, ncol + m))
    degenerate = 0
    duals = np.zeros(m)
    for _ in range(max_pivots):
        inv = np.linalg.inv(mat[:, basis])
        xb = inv @ rhs
        duals = cost[basis] @ inv
        reduced = cost - duals @ mat
        reduced[basis] = 0.0
        if degenerate > 10:  # Bland: the first improving column, the first tied row
            better = np.flatnonzero(reduced > _TOL)
            if not len(better):
                break
            j = int(better[0])
        else:
            j = int(np.argmax(reduced))
            if reduced[j] <= _TOL:
                break
        col = inv @ mat[:, j]
        rows = np.flatnonzero(col > _TOL)
        if not len(rows):
            break  # unbounded: cannot happen with a count row per kind
        ratios = xb[rows] / col[rows]
        low = ratios.min()
        ties = rows[ratios <= low + _TOL]
        r = int(min(ties, key=lambda q: basis[q]))
        degenerate = degenerate + 1 if low <= _TOL else 0
        basis[r] = j
    return np.maximum(duals[:nr], 0.0)


def _priced_bound(
    days: Sequence[Sequence[Day]],
    open_bounds: Sequence[float],
    weights: Sequence[int],
    scarce: Sequence[int],
    room: npt.NDArray[np.float64],
    prices: npt.NDArray[np.float64],
) -> float:
    """``sum over buses of max (weight x value - prices of its scarce visits) + prices . room``.

    ``days[u]`` must hold every day of bus ``u`` that can be its priced best
    except those worth at most ``open_bounds[u]`` (days its search left
    unexplored).
    """
    at = {i: k for k, i in enumerate(scarce)}
    total = float(prices @ room[list(scarce)]) if len(scarce) else 0.0
    for pool, cap, w in zip(days, open_bounds, weights, strict=True):
        best = w * cap
        for route, value in pool:
            best = max(best, w * value - sum(float(prices[at[i]]) for i in route if i in at))
        total += best
    return total


def _prices(
    kinds: Sequence[Sequence[Day]],
    units_of: Sequence[Sequence[int]],
    weights: Sequence[int],
    scarce: Sequence[int],
    room: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Prices of the scarce sites' visits: the duals of the mix of days (:func:`_lp_duals`).

    ``kinds[k]`` are the days of the buses ``units_of[k]``; a kind is split
    by the weight (groups on the bus) of its buses.
    """
    values: list[float] = []
    columns: list[list[int]] = []
    owner: list[int] = []
    counts: list[float] = []
    for k, pool in enumerate(kinds):
        by_weight: dict[int, int] = {}
        for u in units_of[k]:
            by_weight[weights[u]] = by_weight.get(weights[u], 0) + 1
        for w, c in sorted(by_weight.items()):
            for route, value in pool:
                values.append(w * value)
                columns.append([q for q, i in enumerate(scarce) if i in route])
                owner.append(len(counts))
            counts.append(float(c))
    if not values or not scarce:
        return np.zeros(len(scarce))
    uses = np.zeros((len(scarce), len(values)))
    for j, rows in enumerate(columns):
        uses[rows, j] = 1.0
    return _lp_duals(
        np.array(values), uses, room[list(scarce)], np.array(owner, dtype=np.int64), np.array(counts)
    )
