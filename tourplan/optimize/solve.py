"""Heuristic solver: the one-call entry point of the orienteering engine."""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.errors import SolverError
from tourplan.optimize.check import build_solution
from tourplan.optimize.problem import Problem, Solution

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

WORK_PER_SECOND = 96.0e6
"""Reference work rate: work units (insertion/schedule checks) per CPU second on
the 2-core machine the benchmarks were measured on, with both cores busy
(``python bench/work_rate.py --time-limit 0.5 --jobs 2``: median 96.3 million
over 16 benchmark rows on 2026-12-04, after the work units were re-weighted to
track time; 84 million before). A solve turns its time limit into work with
the rate of the machine it runs on (:func:`tourplan.optimize.rate.work_rate`);
``SolveParams(work_rate=WORK_PER_SECOND)`` does the reference machine's work
anywhere, so results match across machines."""

_BIG_TIME = 1e18


@dataclass(frozen=True)
class SolveParams:
    """Tuning of the search (defaults are what the benchmark was measured with).

    Parameters
    ----------
    budget_fraction
        Fraction of ``time_limit * work_rate`` used as the work budget; the
        rest of the limit covers setting up, checking the result, and problems
        whose work units run slower than the calibration's.
    noise
        Relative random noise on insertion ratios during recreate.
    tau0
        Initial acceptance threshold as a fraction of the best score; it decays
        linearly to zero over the budget.
    restart
        Iterations without a new best before the search goes back to the
        best (a search phase on the 192- and 288-site files at 0.1 s runs
        100-250 iterations, so it can wander off and come back once or twice).
    chunks
        Number of deterministic chunks the budget is cut into; the wall clock
        is only looked at between chunks (a ``deterministic`` run, which never
        looks at it, runs each search phase as one chunk).
    ruin_fraction, ruin_min, ruin_cap
        Each iteration removes ``k`` visits, ``k`` uniform in
        ``1 .. min(ruin_cap, max(ruin_min, ruin_fraction * visits))``.
    iterations_per_site
        Iteration cap ``1000 + iterations_per_site * m * sites``; it only binds
        on tiny problems, which then stop long before the work budget.
    expo
        Recreate inserts by ``value**expo / time consumed``; ``0`` draws the
        exponent uniformly in ``[1, 2]`` each iteration.
    starts, start_share, min_iterations
        Multi-start with successive halving: up to ``starts`` constructions
        (the plain greedy, then noisy greedy ones each seeded with a different
        site spread over the map) share ``start_share`` of the budget the
        constructions leave in halving rounds (each round keeps the better
        half and gives it twice the budget per start); the last one left gets
        the rest. The count is the largest power of two that still gives every
        start of the first round ``min_iterations`` iterations (measured by a
        short probe), after paying for the constructions.
    swap
        After recreate, replace visits by unvisited nodes of higher value (or
        equal value and less time) in the same place.
    big
        Probability per iteration of a long segment ruin (a quarter to a half
        of the visits of one route).
    segment, segment_k, segment_front, segment_sites
        Probability per iteration of re-planning a random run of up to
        ``segment_k`` consecutive visits by a bounded label-setting search
        (``segment_front`` labels kept per site) over the removed and unvisited
        sites between the fixed prefix and suffix; ``segment_sites`` caps the
        sites it chooses from (the removed ones, then the unvisited ones worth
        most per detour; 0: all that fit the gap).
    neighbours
        Granular recreate: after a ruin, a ruined route is re-checked only for
        the sites removed from it and their ``neighbours`` nearest sites
        (travel there and back); 0 re-checks every unvisited site.
    refill_near
        With several routes, the refill after the local search re-checks a
        route the local search changed only for the ``refill_near`` nearest
        sites of each of its visits (at most ``neighbours``); 0 re-checks
        every unvisited site.
    tail
        Probability per iteration (with two or more routes) of the best tail
        exchange (2-opt*) between two random routes that lowers travel.
    free_return
        If no site can be left so late that the way back to a route's end
        would break its budget (true of all OPTW/TOPTW benchmark files), the
        search counts the return leg as free: it constrains nothing, and
        counting it in insertion costs and in the travel tie-break pulls routes
        back towards the depot. The order of the best solution is then settled
        on the true travel times.
    work_rate
        Work units per second that turn the time limit into the budget;
        ``None`` (the default) takes this machine's rate, measured once and
        cached (:func:`tourplan.optimize.rate.work_rate`), so a limit means the
        same wall time on any machine. A number (e.g. ``WORK_PER_SECOND``) makes
        a deterministic run do the same work, and give the same result, on
        every machine.
    threads, syncs
        Threads that search at once (lanes, see :class:`_Run`); the budget is
        wall work, so each of them does about what one thread alone would.
        The starts are shared out among them, and in the last phase each
        searches from the best with its own random stream, all of them
        taking up the best any has found ``syncs`` times. 1 (the default)
        searches on the calling thread only; results depend on the number
        of threads, not on how the threads are scheduled.
    """

    budget_fraction: float = 0.8
    noise: float = 0.8
    tau0: float = 0.025
    restart: int = 80
    chunks: int = 40
    ruin_fraction: float = 0.7
    ruin_min: int = 6
    ruin_cap: int = 10
    iterations_per_site: int = 300
    expo: float = 2.0
    starts: int = 32
    swap: bool = True
    big: float = 0.0
    segment: float = 1.0
    segment_k: int = 6
    segment_front: int = 3
    tail: float = 0.5
    neighbours: int = 40
    segment_sites: int = 24
    refill_near: int = 10
    start_share: float = 0.6
    min_iterations: int = 8
    free_return: bool = True
    work_rate: float | None = None
    threads: int = 1
    syncs: int = 4

    def __post_init__(self) -> None:
        if not (self.budget_fraction > 0 and self.chunks >= 1 and self.restart >= 1 and self.starts >= 1):
            msg = f"SolveParams: expected positive budget, chunks, restart and starts, got {self!r}"
            raise SolverError(msg)
        if not (isinstance(self.threads, int) and 1 <= self.threads <= 64 and self.syncs >= 1):
            msg = f"SolveParams: expected 1-64 threads and at least one sync, got threads={self.threads!r}, syncs={self.syncs!r}"
            raise SolverError(msg)
        if self.work_rate is not None and not (self.work_rate > 0 and math.isfinite(self.work_rate)):
            msg = f"SolveParams.work_rate: expected a positive number of work units per second or None, got {self.work_rate!r}"
            raise SolverError(msg)


def _build(problem: Problem, params: SolveParams) -> tuple[tuple[Any, ...], np.ndarray]:
    """Return the engine's data tuple and the candidate node array."""
    n, m = problem.n, problem.m
    depots = problem.depots
    overrides = {key: wins for key, wins in problem.route_windows.items() if key[1] not in depots}
    width = max(1, *(len(w) for w in problem.windows), *(len(w) for w in overrides.values()))
    base_o = np.full((n, width), _BIG_TIME)
    base_c = np.full((n, width), -_BIG_TIME)
    base_n = np.zeros(n, dtype=np.int64)
    for i, wins in enumerate(problem.windows):
        if i not in depots:
            _fill_windows(base_o[i], base_c[i], wins)
            base_n[i] = len(wins)
    wo = np.repeat(base_o[None], m, axis=0)
    wc = np.repeat(base_c[None], m, axis=0)
    wn = np.repeat(base_n[None], m, axis=0)
    for (r, i), wins in overrides.items():
        wo[r, i], wc[r, i] = _BIG_TIME, -_BIG_TIME
        _fill_windows(wo[r, i], wc[r, i], wins)
        wn[r, i] = len(wins)
    multi = 1.0 if bool(np.any(wn > 1)) else 0.0
    scores = np.array(problem.scores, dtype=np.float64)
    bonus = float(scores.sum()) + 1.0
    val = scores.copy()
    for i in problem.mandatory:
        val[i] += bonus
    rs = np.array([rt.start for rt in problem.routes], dtype=np.int64)
    re_ = np.array([rt.end for rt in problem.routes], dtype=np.int64)
    ra = np.array([max(rt.earliest, -_BIG_TIME) for rt in problem.routes], dtype=np.float64)
    rl = np.array([min(rt.latest, _BIG_TIME) for rt in problem.routes], dtype=np.float64)
    if problem.load is not None and problem.capacity is not None and problem.load.shape[1] > 0:
        load = np.array(problem.load, dtype=np.float64, order="C")
        cap = np.array(np.minimum(problem.capacity, _BIG_TIME), dtype=np.float64, order="C")
    else:
        load = np.zeros((n, 1))
        cap = np.full((m, 1), _BIG_TIME)
    maxn = np.array(problem.max_nodes if problem.max_nodes is not None else [n] * m, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(n)]
    gcount = len(problem.groups)
    gmin = np.zeros((gcount, m), dtype=np.int64)
    gmax = np.full((gcount, m), n + 1, dtype=np.int64)
    for g, group in enumerate(problem.groups):
        for i in group.nodes:
            members[i].append(g)
        for r in group.routes:
            gmin[g, r] = group.min_visits
            gmax[g, r] = group.max_visits
    # highest value first: the swap move stops scanning at the first lower value
    visitable = [i for i in range(n) if i not in depots and wn[:, i].any()]
    cand_list = sorted(visitable, key=lambda i: (-val[i], i))
    gptr = np.zeros(n + 1, dtype=np.int64)
    gptr[1:] = np.cumsum([len(x) for x in members])
    glist = np.array([g for x in members for g in x], dtype=np.int64)
    par = np.array(
        [
            bonus,
            multi,
            params.noise,
            params.tau0,
            float(params.restart),
            params.ruin_fraction,
            float(params.ruin_min),
            float(params.ruin_cap),
            float(1000 + params.iterations_per_site * m * len(cand_list)),
            params.expo,
            float(params.swap),
            params.big,
            params.segment,
            float(params.segment_k),
            float(params.segment_front),
            1.0 if bool(np.any(cap < _BIG_TIME / 2)) else 0.0,
            params.tail,
            float(params.segment_sites),
            float(params.refill_near),
        ]
    )
    # Writable C-order copies throughout: numba compiles one specialisation per
    # array layout and per read-only flag, and an F-ordered matrix (numpy fancy
    # indexing makes one) or a read-only one would cost a fresh compile of the
    # whole engine (about 40 s) on its first solve.
    travel = np.array(problem.travel, dtype=np.float64, order="C")
    if params.free_return:
        _free_return(travel, np.array(problem.service, dtype=np.float64), wc, wn, re_, rl, depots)
    data = (
        travel,
        np.array(problem.service, dtype=np.float64),
        val,
        scores,
        wo,
        wc,
        wn,
        rs,
        re_,
        ra,
        rl,
        load,
        cap,
        maxn,
        gptr,
        glist,
        gmin,
        gmax,
        par,
        np.ascontiguousarray(travel.T),
    )
    cand = np.array(cand_list, dtype=np.int64)
    return data, cand


def _neighbours(travel: np.ndarray, cand: np.ndarray, k: int) -> np.ndarray:
    """Return per node the ``k`` candidate sites nearest to it (travel there and back).

    Rows of nodes that are not candidates are unused. No columns (every site is a
    neighbour) if ``k`` is 0 or leaves out no site.
    """
    n = travel.shape[0]
    if k <= 0 or k >= cand.size - 1:
        return np.zeros((n, 0), dtype=np.int64)
    sub = travel[np.ix_(cand, cand)]
    both = sub + sub.T
    np.fill_diagonal(both, np.inf)
    order = np.argpartition(both, k - 1, axis=1)[:, :k]
    # nearest first (argpartition does not promise an order): the refill takes the first columns
    dist = np.take_along_axis(both, order, axis=1)
    order = np.take_along_axis(order, np.argsort(dist, axis=1, kind="stable"), axis=1)
    near = np.zeros((n, k), dtype=np.int64)
    near[cand] = cand[order]
    return np.ascontiguousarray(near)


def _fill_windows(opens: np.ndarray, closes: np.ndarray, wins: tuple[tuple[float, float], ...]) -> None:
    """Write ``wins`` into one row of the engine's window arrays (infinities clipped)."""
    for q, (a, b) in enumerate(wins):
        opens[q] = max(a, -_BIG_TIME)
        closes[q] = min(b, _BIG_TIME)


def _free_return(
    travel: np.ndarray, service: np.ndarray, wc: np.ndarray, wn: np.ndarray, ends: np.ndarray, latest: np.ndarray,
    depots: frozenset[int],
) -> None:
    """Zero the travel back to each end depot whose budget can never bind.

    If every site allowed on every route ending at ``e`` can leave after its
    last close and still reach ``e`` in time, the return leg constrains
    nothing; counting it in insertion costs and in the travel tie-break only
    pulls routes back towards the depot. The search then works on the open
    path; the returned solution is re-scheduled on the true travel times.
    """
    n = travel.shape[0]
    for e in sorted({int(x) for x in ends}):
        routes = [r for r in range(len(ends)) if int(ends[r]) == e]
        free = True
        for r in routes:
            for j in range(n):
                if j in depots or wn[r, j] == 0:
                    continue
                if wc[r, j, wn[r, j] - 1] + service[j] + travel[j, e] > latest[r] - 1e-6:
                    free = False
                    break
            if not free:
                break
        if free:
            for j in range(n):
                if j not in depots:
                    travel[j, e] = 0.0


def _empty_state(problem: Problem, k: int, gcount: int) -> tuple[np.ndarray, ...]:
    n, m = problem.n, problem.m
    seq = np.zeros((m, n + 2), dtype=np.int64)
    for r, rt in enumerate(problem.routes):
        seq[r, 0], seq[r, 1] = rt.start, rt.end
    return (
        seq,
        np.zeros(m, dtype=np.int64),
        np.zeros((m, n + 2)),
        np.zeros((m, n + 2)),
        np.zeros((m, n + 2)),
        np.zeros((m, n + 2)),
        np.full(n, -1, dtype=np.int64),
        np.zeros((m, k)),
        np.zeros((gcount, m), dtype=np.int64),
        np.zeros((m, n + 2)),
    )


def solve(
    problem: Problem,
    *,
    time_limit: float = 2.0,
    seed: int = 0,
    params: SolveParams | None = None,
    deterministic: bool = False,
) -> Solution:
    """Find a high-scoring feasible itinerary.

    Maximises the total score, then minimises total travel time. Mandatory nodes
    and group minimums come first (a solution that cannot meet them is still
    returned, with ``feasible=False`` and ``unvisited_mandatory`` set).

    Parameters
    ----------
    problem
        The problem.
    time_limit
        Wall time in seconds the solve may take. The one-time JIT compilation
        (about 30 s on a cold cache, cached on disk by numba) or cache load
        (about 1 s), and on a new machine the measurement of its work rate
        (about 0.2 s, cached on disk), happen on the first call in a process,
        before the clock starts.
    seed
        Seed of all randomness.
    params
        Search tuning; defaults are the benchmarked settings.
    deterministic
        If true, never look at the clock: the search stops on its work budget
        only, so the result depends on the problem, the seed, the time limit
        and the work rate alone, not on the load (the runtime may then exceed
        ``time_limit`` on a busy machine). With the default rate, this
        machine's, the result is the same on every run here; with a fixed
        ``params.work_rate`` it is the same on every machine.

    Returns
    -------
    Solution
        Best solution found, re-checked by the independent checker.

    Raises
    ------
    SolverError
        If ``time_limit`` is not positive.

    Notes
    -----
    The search runs on a *work budget* (a count of elementary insertion and
    schedule checks) of ``budget_fraction * time_limit * work_rate`` units,
    where the rate is this machine's (measured once, see
    :func:`tourplan.optimize.rate.work_rate`), so a limit means about the same
    wall time anywhere. Unless ``deterministic``, the clock is looked at
    between budget chunks: the search stops when the next chunk would end past
    the limit (on a busy machine), and if the budget runs out early (a machine
    faster than its measured rate) the last phase goes on until the limit.
    """
    if not (time_limit > 0 and math.isfinite(time_limit)):
        msg = f"time_limit: expected a positive finite number of seconds, got {time_limit!r}"
        raise SolverError(msg)
    warm_up_once()
    params = params or SolveParams()
    if params.work_rate is not None:
        rate = params.work_rate
    else:
        from tourplan.optimize.rate import work_rate

        rate = work_rate()  # measured once per machine, before the clock starts
    t0 = time.perf_counter()
    from tourplan.optimize import _engine as eng  # deferred: numba import is heavy

    data, cand = _build(problem, params)
    budget = int(params.budget_fraction * time_limit * rate)
    run = _Run(eng, data, cand, problem, params, seed, budget, deterministic, t0, time_limit)
    best = run.solve()
    # refill what a local search left room for; if the search ignored the return
    # legs, settle the order on the true travel times
    true = np.array(problem.travel, dtype=np.float64, order="C")
    freed = params.free_return and not np.array_equal(data[0], true)
    eng.settle(data, true, best, cand, run.counters[0:1], freed)
    routes = [tuple(int(x) for x in best[0][r, 1 : best[1][r] + 1]) for r in range(problem.m)]
    return build_solution(problem, routes, runtime=time.perf_counter() - t0, iterations=run.iterations())


State = tuple[np.ndarray, ...]

_POOL: list[ThreadPoolExecutor] = []  # the process's helper threads, made on first use
_POOL_LOCK = threading.Lock()
# a forked child has none of its parent's threads: it makes its own pool if it needs one
os.register_at_fork(after_in_child=_POOL.clear)


def _pool() -> ThreadPoolExecutor:
    """The pool that runs the lanes after the first (solves at once each get their own threads).

    A thread is started only when no idle one is left, so the pool holds as many
    threads as the most lanes ever busy at once, up to 64.
    """
    from concurrent.futures import ThreadPoolExecutor  # deferred: only runs on several threads need it

    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=64, thread_name_prefix="tourplan-solve"))
        return _POOL[0]


def _copy(state: State) -> State:
    return tuple(a.copy() for a in state)


class _Lane:
    """One thread's share of a run: its own work counter, scratch state, random streams and live rate.

    ``counters`` = [work, iterations, last improvement iteration, phase budget,
    work at the start of the phase] (see :func:`_engine.search`). Lane 0 is the
    calling thread's, and its work counter is the run's: a parallel step
    starts every lane at the run's work and leaves it at the most any lane did
    (the wall time). Iterations are counted per lane (a lane's restarts and
    the iteration cap look at its own).
    """

    def __init__(self, index: int) -> None:
        self.index = index
        self.counters = np.array([0, 0, 0, 1, 0], dtype=np.int64)
        self.scratch: State | None = None
        self.c = 0  # chunks searched: each gets its own random stream
        self.search_time = 0.0  # seconds and work units spent in search chunks: the live rate
        self.search_work = 0


class _Run:
    """One call of :func:`solve`: multi-start with successive halving, then intensification.

    ``starts`` constructions (the plain greedy and noisy greedy ones, each
    route of the latter seeded with a different site so that they begin in
    different parts of the map) are searched for a short budget each; the
    better half goes on with a doubled budget, and so on until one is left,
    which gets the rest of the budget. Budgets are work units, so a
    deterministic run depends only on the problem, the seed and the budget.

    With ``params.threads`` lanes, the budget is wall work: the starts are
    built and searched by all lanes at once (the ``i``-th start of a round's
    list, kept in construction order and then best first, on lane
    ``i % threads``), so each halving round gives its starts ``threads`` times
    the work in the same time; the last phase runs one search per lane from
    the best, with its own random stream, and ``params.syncs`` times in it
    every lane takes up the best any lane has found. No lane reads another's
    state while searching, so a deterministic run still depends only on the
    problem, the seed, the budget and the number of threads.
    """

    def __init__(
        self,
        eng: Any,
        data: tuple[Any, ...],
        cand: np.ndarray,
        problem: Problem,
        params: SolveParams,
        seed: int,
        budget: int,
        deterministic: bool,
        t0: float,
        time_limit: float,
    ) -> None:
        self.eng, self.data, self.cand, self.problem, self.params = eng, data, cand, problem, params
        self.seed, self.budget, self.deterministic = seed, budget, deterministic
        self.t0, self.time_limit = t0, time_limit
        self.lanes = [_Lane(i) for i in range(params.threads)]
        self.counters = self.lanes[0].counters
        self.near = _neighbours(data[0], cand, params.neighbours)
        # the clock is only looked at between chunks: a deterministic run needs one
        self.chunk = max(1, budget if deterministic else budget // params.chunks)
        self.cap = float(data[18][8])
        # room after the search to settle the order and check the result
        self.deadline = t0 + 0.99 * time_limit - 0.0005
        self.stop = False
        self.build_work = 0  # work units of one construction (the first)

    def _out_of_time(self, ahead: float = 0.0) -> bool:
        """Would ``ahead`` more seconds end past the deadline? (never in a deterministic run)"""
        return not self.deterministic and time.perf_counter() + ahead > self.deadline

    def _seeds(self, count: int) -> list[list[int]]:
        """Seed sites per start and route: spread over the map, each feasible alone."""
        rows = self.eng.seed_sites(self.data, self.cand, count, self.seed * 104729 + 17)
        return [[int(j) for j in row] for row in rows]

    def _construct(self, k: int, seeds: list[int] | None, lane: _Lane | None = None) -> State:
        eng, data, problem, cand = self.eng, self.data, self.problem, self.cand
        lane = lane or self.lanes[0]
        cur = _empty_state(problem, data[11].shape[1], data[16].shape[0])
        noise = 0.0 if k == 0 else self.params.noise
        row = np.array(seeds if seeds else [], dtype=np.int64)
        eng.construct(data, cur, cand, row, noise, lane.counters[0:1], self.seed * 7919 + k)
        if lane.scratch is None:
            lane.scratch = _copy(cur)
        return cur

    def _search(self, cur: State, best: State, amount: int, lane: _Lane | None = None, phase: bool = True) -> None:
        """Search from ``cur`` for ``amount`` work units, keeping the best in ``best``.

        ``phase``: a new search phase (the acceptance threshold decays over
        ``amount``); otherwise the lane goes on with the phase it is in.
        """
        lane = lane or self.lanes[0]
        counters = lane.counters
        end = min(self.budget, counters[0] + amount)
        if phase:
            counters[3] = max(1, end - counters[0])
            counters[4] = counters[0]
            counters[2] = counters[1]
        assert lane.scratch is not None
        while not self.stop and self.cand.size and counters[0] < end and counters[1] < self.cap:
            lane.c += 1
            target = min(end, counters[0] + self.chunk)
            if lane.search_work and self._out_of_time((target - counters[0]) * lane.search_time / lane.search_work):
                self.stop = True
                break
            seed = self.seed * 1_000_003 + lane.c + 7_919_993 * lane.index
            t, w = time.perf_counter(), int(counters[0])
            self.eng.search(self.data, cur, best, lane.scratch, self.cand, self.near, target, counters, seed)
            lane.search_time += time.perf_counter() - t
            lane.search_work += int(counters[0]) - w
            if self._out_of_time():
                self.stop = True

    def _parallel(self, job: Any, items: list[Any]) -> list[Any]:
        """``job(lane, item)`` for every item, item ``i`` on lane ``i % threads``; results in item order.

        Every lane starts at the run's work; afterwards the run's work is the
        most any lane did.
        """
        lanes = self.lanes[: max(1, min(len(self.lanes), len(items)))]
        main = self.counters
        for lane in lanes[1:]:
            lane.counters[0] = main[0]
            if lane.scratch is None and self.lanes[0].scratch is not None:
                lane.scratch = _copy(self.lanes[0].scratch)
        out: list[Any] = [None] * len(items)

        def run(lane: _Lane) -> None:
            for i in range(lane.index, len(items), len(lanes)):
                out[i] = job(lane, items[i])

        futures = [_pool().submit(run, lane) for lane in lanes[1:]]
        run(lanes[0])
        for f in futures:
            f.result()
        main[0] = max(int(lane.counters[0]) for lane in lanes)
        return out

    def iterations(self) -> int:
        """Search iterations of all lanes."""
        return sum(int(lane.counters[1]) for lane in self.lanes)

    def _key(self, state: State) -> tuple[float, float]:
        v, t, _ = self.eng.evaluate(self.data, state)
        return (float(v), -float(t))

    def solve(self) -> State:
        params = self.params
        nc = int(self.cand.size)
        w0 = int(self.counters[0])
        first = self._construct(0, None)
        self.build_work = int(self.counters[0]) - w0
        members: list[tuple[State, State]] = [(first, _copy(first))]
        starts = self._starts(members[0]) if nc else 1
        seeds = self._seeds(starts - 1) if starts > 1 else []

        def build(lane: _Lane, k: int) -> tuple[State, State] | None:
            if self._out_of_time():
                return None
            cur = self._construct(k, seeds[k - 1], lane)
            return (cur, _copy(cur))

        members += [mb for mb in self._parallel(build, list(range(1, starts))) if mb is not None]
        rounds = max(0, math.ceil(math.log2(len(members)))) if len(members) > 1 else 0
        # the rounds' share is of what the constructions left (wall work, on every lane at once)
        rest = self.budget - int(self.counters[0])
        round_budget = int(params.start_share * rest / rounds) if rounds else 0
        while len(members) > 1 and not self.stop:
            lanes = min(len(self.lanes), len(members))
            each = max(1, round_budget * lanes // len(members))

            def step(lane: _Lane, mb: tuple[State, State], each: int = each) -> None:
                if not (self.stop or self._out_of_time()):
                    self._search(mb[0], mb[1], each, lane)
                else:
                    self.stop = True

            self._parallel(step, members)
            members.sort(key=lambda mb: self._key(mb[1]), reverse=True)
            members = members[: (len(members) + 1) // 2]
        if not self.stop:
            members.sort(key=lambda mb: self._key(mb[1]), reverse=True)
            best = members[0][1]
            lane0 = self.lanes[0]
            if not self.deterministic and lane0.search_time > 0.0:
                # a machine faster than its measured rate: the last phase runs to the deadline
                left = (self.deadline - time.perf_counter()) * lane0.search_work / lane0.search_time
                self.budget = max(self.budget, int(self.counters[0]) + int(left))
            members = [(best, self._last_phase(best))]
        return max((mb[1] for mb in members), key=self._key)

    def _last_phase(self, best: State) -> State:
        """The rest of the budget from ``best``: one search per lane, meeting ``params.syncs`` times."""
        amount = self.budget - int(self.counters[0])
        if len(self.lanes) == 1:
            cur = _copy(best)
            self._search(cur, best, amount)
            return best
        pairs = [(_copy(best), best if lane.index == 0 else _copy(best)) for lane in self.lanes]
        start = int(self.counters[0])
        for lane in self.lanes:
            lane.counters[2], lane.counters[3], lane.counters[4] = lane.counters[1], max(1, amount), start
        syncs = self.params.syncs
        for s in range(syncs):
            if self.stop:
                break
            part = start + amount * (s + 1) // syncs - int(self.counters[0])
            self._parallel(lambda lane, pair, part=part: self._search(pair[0], pair[1], part, lane, phase=False), pairs)
            keys = [self._key(own) for _, own in pairs]
            top = max(range(len(pairs)), key=lambda i: (keys[i], -i))
            for (cur, own), key in zip(pairs, keys, strict=True):
                if key < keys[top]:  # a lane behind takes up the best found, and searches on from it
                    self.eng.copy_state(pairs[top][1], own)
                    self.eng.copy_state(pairs[top][1], cur)
        return max((pair[1] for pair in pairs), key=self._key)

    def _starts(self, member: tuple[State, State]) -> int:
        """Number of starts: as many as leave each a fair number of iterations.

        A short probe search from the first construction measures the work one
        iteration costs on this problem; the count is the largest power of two
        (at most ``params.starts``) whose halving rounds, with what is left
        once the other starts are built (each costs the first construction's
        work, shared by the lanes), give every start of the first round
        ``params.min_iterations`` iterations (on all lanes at once).
        """
        params = self.params
        if params.starts <= 1:
            return 1
        lanes = len(self.lanes)
        w0, i0 = int(self.counters[0]), int(self.counters[1])
        self._search(member[0], member[1], max(1, self.budget // 100))
        its = int(self.counters[1]) - i0
        if its == 0:  # the budget is gone already (or the problem is trivial)
            return 1
        per_it = max(1.0, (int(self.counters[0]) - w0) / its)
        starts = 1
        while starts * 2 <= params.starts:
            s2 = starts * 2
            # the other starts' constructions come out of the budget first
            left = self.budget - int(self.counters[0]) - math.ceil((s2 - 1) / lanes) * self.build_work
            total = params.start_share * left * lanes / per_it
            if total / math.ceil(math.log2(s2)) / s2 < params.min_iterations:
                break
            starts = s2
        return starts


_COMPILED: list[bool] = []  # set once per process by warm_up_once


def warm_up_once() -> None:
    """Compile or load the engine (and the work rate) once per process, outside the time limit."""
    if not _COMPILED:
        _COMPILED.append(True)
        warm_up()


def warm_up() -> None:
    """Compile (or load from the numba cache) the engine, and measure (or load) this machine's work rate."""
    from tourplan.optimize.problem import Route
    from tourplan.optimize.rate import work_rate

    travel = np.array([[0.0, 1.0], [1.0, 0.0]])
    tiny = Problem(travel, np.array([0.0, 1.0]), np.zeros(2), ((), ((0.0, 5.0),)), (Route(0, 0, 0, 10),))
    solve(tiny, time_limit=0.01, params=SolveParams(work_rate=WORK_PER_SECOND), deterministic=True)
    work_rate()
