"""Compiled kernels of the visitor-flow simulation (numba).

Stops are records in one flat array (:data:`STOP`, 40 bytes each): visitor
``v``'s stops are ``v_ptr[v]:v_ptr[v+1]``, the last one marked, each with
the visitor's travel mode, so an event touches one stop record and the next
one beside it; no Python object exists per visitor.  Per-visitor arrays
(start, start node, day end) are read or written once per visitor.

Each visitor's next arrival at a site is an event keyed by ``(time, stop)``
(stop indices grow with the visitor index, so ties go to the lower
visitor) in a bucket queue: buckets of ``2**B_SHIFT`` time ticks hold their
keys in blocks of :data:`BLOCK` keys from a pool; the bucket being processed
is sorted once, and keys that fall into it meanwhile go to a small 4-ary
heap.  Events come out in exactly the order of one global priority queue
(keys are unique), at a cost per event that does not grow with the number
of events waiting in other buckets, and the sorted bucket says which stop
records the next events need: they are fetched into cache
(:data:`LOOKAHEAD` events ahead) while one runs.

Each site with a finite instantaneous capacity ``c`` is a FIFO ``G/G/c``
queue computed with the Kiefer-Wolfowitz recursion: a 4-ary min-heap of at
most ``c`` "server free" times; an arrival at ``t`` is admitted at ``max(t,
earliest free time)`` once ``c`` visitors are inside, else at ``t``.  In a
FIFO queue the admission time is known on arrival, so a visitor who would
wait longer than their patience balks (skips the stop) without touching the
queue; so does one who would only get in after the site closes.

Statuses of a stop: 0 visited, 1 closed on arrival (skipped), 2 balked at
the queue, 3 skipped by the visitor's own choice (set before the run),
4 not reached (the run stopped early; never left after a full run),
5 refused by a countermeasure (and not diverted to an admitted alternative).

Countermeasures (only when ``measures`` is true, so a run without them is
the same loop): a daily cap per site, counted at admission; and per site
timed-entry quotas per entry slot.  A site under quotas admits a visitor
when their slot has quota left and there is room inside; otherwise the
visitor takes the next slot with quota left at the same offset within the
slot (shifted: the visit comes back then, holding that slot) if the site
is still open then and the visitor's day is not put back by more than
their patience in all.  Refused visits go to the stop's alternative site
once (``st_alt``, for the same planned time), or are given up while the
visitor goes on with the rest of the plan.  Under timed entry a parent area
is gated as a whole too: a member site under quotas admits only while fewer
than the area's C0 are inside the area's sites (``area_of``, ``area_cap``;
a heap per area of its occupants' departure times).  Stop flags record what
happened (:data:`F_RESERVED`, :data:`F_SHIFTED`, :data:`F_DIVERTED`,
:data:`F_REFUSED`).

Besides the event loop (:func:`start_all`, :func:`run_events`): the records
are filled by :func:`pack` (from flat arrays) or :func:`expand` (from plans
and per-unit draws), and read back by :func:`tally`, each in one pass.

Why one module over 800 lines: the event loop, its queues and the record
layout are compiled together (numba inlines the helpers into the loop) and
share the record and flag constants; the Python side lives in ``engine.py``.
"""

from __future__ import annotations

import math
import mmap
from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from tourplan._jitcache import load_quickly

VISITED = 0
CLOSED = 1
BALKED = 2
SKIPPED = 3
PENDING = 4
REFUSED = 5

#: Stop flags (bits of a stop's ``flag``): holds an entry slot, was put back
#: to a later slot, went to its alternative site, was refused once.
F_RESERVED = 1
F_SHIFTED = 2
F_DIVERTED = 4
F_REFUSED = 8
#: Columns of the per-site counters: visits shifted, refused, refused by the daily cap.
C_SHIFTED = 0
C_REFUSED = 1
C_DAILY = 2

#: Event keys pack a time and a stop into one int64, ``(ticks << 31) | k``,
#: with 2**20 ticks a minute (57 microseconds): one compare orders by time,
#: then stop (so visitor).
TICKS = float(1 << 20)
V_BITS = 31
V_MASK = (1 << 31) - 1
MAX_TICKS = (1 << 32) - 1  # about 68 hours
#: A queue bucket spans ``2**B_SHIFT`` ticks (1/16 minute); keys are kept in blocks of BLOCK.
B_SHIFT = 16
N_BUCKETS = (MAX_TICKS >> B_SHIFT) + 1
BLOCK = 16

#: A stop: earliest start (on a visitor's last stop, once their day is over,
#: the time it ended: :func:`day_ends` reads it from there), dwell once
#: admitted, arrival and admission (NaN until known; it leaves at admission
#: + dwell), site (the travel-matrix row; an alternative once diverted),
#: status, flags, the visitor's travel mode, and whether it is the visitor's
#: last stop.  40 bytes.
STOP = np.dtype(
    [
        ("earliest", np.float64),
        ("dwell", np.float64),
        ("arrive", np.float64),
        ("admit", np.float64),
        ("site", np.int32),
        ("status", np.int8),
        ("flag", np.int8),
        ("mode", np.int8),
        ("last", np.int8),
    ],
    align=True,
)
#: The event queue is one int64 array (:func:`new_queue`): these slots, then
#: per bucket its first block, last block and the keys in its last block, then
#: per block the next block, then the stack of free blocks, the keys of every
#: block, the keys of the bucket being processed (sorted), and a heap of the
#: keys queued into that bucket while it is processed.
Q_BUCKET = 0  # bucket being processed
Q_HEAP = 1  # keys in its heap
Q_PENDING = 2  # events pending
Q_FREE = 3  # free blocks
Q_BLOCKS = 4  # blocks
Q_RUN = 5  # its sorted keys
Q_NEXT = 6  # the next of them
Q_SLOTS = 8
#: Events ahead whose stops are fetched into cache while one runs.
LOOKAHEAD = 8


def fresh(n: int, dtype: Any) -> np.ndarray:
    """An array of ``n`` items to be written before use; a large one in ordinary memory pages.

    numpy asks the kernel for huge pages for arrays of 4 MB or more; the
    first use of such memory in a process can make the kernel compact
    memory at every fault (about 3 ms a megabyte measured on the 2-core
    test machine, against 0.5 for ordinary pages).  The run's large arrays
    are made once and written through at once, so here ordinary pages, from
    an anonymous memory map (page-aligned: a stop record never straddles two
    cache lines), are the cheaper kind; reading them at random is helped by
    prefetching instead.
    """
    dt = np.dtype(dtype)
    if n * dt.itemsize < 1 << 22:
        return np.empty(n, dtype=dt)
    return np.frombuffer(mmap.mmap(-1, n * dt.itemsize), dtype=dt)


def new_queue(n_visitors: int) -> np.ndarray:
    """An empty event queue for up to ``n_visitors`` pending events (one per visitor at most)."""
    n_blocks = n_visitors // BLOCK + N_BUCKETS + 1
    nb = N_BUCKETS
    q = fresh(Q_SLOTS + 3 * nb + 2 * n_blocks + n_blocks * BLOCK + 2 * max(n_visitors, 1), np.int64)
    q[:Q_SLOTS] = 0
    q[Q_BUCKET] = -1
    q[Q_FREE] = q[Q_BLOCKS] = n_blocks
    q[Q_SLOTS : Q_SLOTS + 2 * nb] = -1
    q[Q_SLOTS + 2 * nb : Q_SLOTS + 3 * nb] = 0
    free = Q_SLOTS + 3 * nb + n_blocks
    q[free : free + n_blocks] = np.arange(n_blocks - 1, -1, -1)
    return q


_I8P = ir.IntType(8).as_pointer()
_PREFETCH = "llvm.prefetch.p0" if str(_I8P) == "ptr" else "llvm.prefetch.p0i8"  # opaque or typed pointers


def _prefetch_typer(typingctx: Any, arr: Any, i: Any) -> Any:
    """Ask the CPU to bring ``arr[i]`` into cache, to be written, without waiting for it (and without faulting)."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        cg: Any = cgutils
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        ptr = cg.get_item_pointer(context, builder, sig.args[0], ary, [args[1]], wraparound=False)
        fnty = ir.FunctionType(ir.VoidType(), [_I8P, ir.IntType(32), ir.IntType(32), ir.IntType(32)])
        fn = cg.get_or_insert_function(builder.module, fnty, _PREFETCH)
        rw, locality, data = (ir.Constant(ir.IntType(32), x) for x in (1, 3, 1))
        builder.call(fn, [builder.bitcast(ptr, _I8P), rw, locality, data])
        return context.get_dummy_value()

    return types.none(arr, types.intp), codegen


_prefetch: Any = intrinsic(_prefetch_typer)


@njit(cache=True, inline="always")
def _key(t: float, v: int) -> np.int64:
    ticks = min(max(int(t * TICKS), 0), MAX_TICKS)
    return np.int64((ticks << V_BITS) | v)


@njit(cache=True, inline="always")
def _quantise(t: float) -> float:
    return min(max(int(t * TICKS), 0), MAX_TICKS) / TICKS


@njit(cache=True, inline="always")
def _hpush(h: np.ndarray, base: int, size: int, key: Any) -> int:
    """Add ``key`` to the 4-ary min-heap ``h[base:base+size]``; return the new size."""
    i = size
    while i > 0:
        p = (i - 1) >> 2
        if key < h[base + p]:
            h[base + i] = h[base + p]
            i = p
        else:
            break
    h[base + i] = key
    return size + 1


@njit(cache=True, inline="always")
def _hreplace(h: np.ndarray, base: int, size: int, key: Any) -> None:
    """Put ``key`` in place of the root of the 4-ary min-heap ``h[base:base+size]``."""
    i = 0
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        for d in range(c + 1, min(c + 4, size)):
            if h[base + d] < h[base + best]:
                best = d
        if h[base + best] < key:
            h[base + i] = h[base + best]
            i = best
        else:
            break
    h[base + i] = key


@njit(cache=True, inline="always")
def _hpop(h: np.ndarray, base: int, size: int) -> int:
    """Remove the root of the 4-ary min-heap; return the new size (read the root before)."""
    size -= 1
    if size > 0:
        _hreplace(h, base, size, h[base + size])
    return size


@njit(cache=True, inline="always")
def _qparts(q: np.ndarray) -> tuple[int, int, int, int, int, int, int, int]:
    """Where the parts of queue ``q`` start: heads, tails, fills, links, free stack, keys, run, heap."""
    nb = N_BUCKETS
    n_blocks = q[Q_BLOCKS]
    nxt = Q_SLOTS + 3 * nb
    keys = nxt + 2 * n_blocks
    run = keys + n_blocks * BLOCK
    return Q_SLOTS, Q_SLOTS + nb, Q_SLOTS + 2 * nb, nxt, nxt + n_blocks, keys, run, run + (len(q) - run) // 2


@njit(cache=True, inline="always")
def _qpush(key: np.int64, q: np.ndarray) -> None:
    """Queue ``key``: into the current bucket's heap, or the last block of a later bucket."""
    head, tail, fill, nxt, free, keys, _, heap = _qparts(q)
    b = (key >> V_BITS) >> B_SHIFT
    q[Q_PENDING] += 1
    if b <= q[Q_BUCKET]:
        q[Q_HEAP] = _hpush(q, heap, q[Q_HEAP], key)
        return
    blk = q[tail + b]
    if blk < 0 or q[fill + b] == BLOCK:
        q[Q_FREE] -= 1
        new = q[free + q[Q_FREE]]
        q[nxt + new] = -1
        if blk < 0:
            q[head + b] = new
        else:
            q[nxt + blk] = new
        q[tail + b] = new
        q[fill + b] = 0
        blk = new
    q[keys + blk * BLOCK + q[fill + b]] = key
    q[fill + b] += 1


@njit(cache=True, inline="always")
def _qpop(q: np.ndarray) -> np.int64:
    """Remove and return the smallest pending key (there must be one)."""
    head, tail, fill, nxt, free, keys, run, heap = _qparts(q)
    if (
        q[Q_NEXT] == q[Q_RUN] and q[Q_HEAP] == 0
    ):  # the next bucket's keys, sorted; its blocks back to the pool
        b = q[Q_BUCKET] + 1
        while q[head + b] < 0:
            b += 1
        q[Q_BUCKET] = b
        blk = q[head + b]
        n = 0
        while blk >= 0:
            after = q[nxt + blk]
            first = keys + blk * BLOCK
            m = BLOCK if after >= 0 else q[fill + b]
            q[run + n : run + n + m] = q[first : first + m]
            n += m
            q[free + q[Q_FREE]] = blk
            q[Q_FREE] += 1
            blk = after
        q[head + b] = -1
        q[tail + b] = -1
        q[run : run + n].sort()
        q[Q_RUN] = n
        q[Q_NEXT] = 0
    i = q[Q_NEXT]
    if i < q[Q_RUN] and (q[Q_HEAP] == 0 or q[run + i] < q[heap]):
        key: np.int64 = q[run + i]
        q[Q_NEXT] = i + 1
    else:
        key = q[heap]
        q[Q_HEAP] = _hpop(q, heap, q[Q_HEAP])
    q[Q_PENDING] -= 1
    return key


@njit(cache=True, inline="always")
def _qahead(q: np.ndarray, d: int) -> int:
    """The stop of the ``d``-th next event of the bucket being processed, or -1 (not counting later arrivals)."""
    i = q[Q_NEXT] + d
    if i >= q[Q_RUN]:
        return -1
    return int(q[_qparts(q)[6] + i] & V_MASK)


@njit(cache=True, inline="always")
def _area_room(
    a: int, t: float, area_cap: np.ndarray, a_off: np.ndarray, a_len: np.ndarray, a_heap: np.ndarray
) -> bool:
    """Drop area ``a``'s occupants who left by ``t``; whether it has room for one more."""
    off = a_off[a]
    n = a_len[a]
    while n > 0 and a_heap[off] <= t:
        n = _hpop(a_heap, off, n)
    a_len[a] = n
    return bool(n < area_cap[a])


@njit(cache=True, inline="always")
def _open_time(t: float, s: int, hours: np.ndarray) -> float:
    """First time >= t at which site s admits visitors, or -1 when it does not any more today."""
    for w in range(hours.shape[1]):
        if t < hours[s, w, 1]:
            return max(t, float(hours[s, w, 0]))
    return -1.0


@njit(cache=True, inline="always")
def _close_time(t: float, s: int, hours: np.ndarray) -> float:
    """Closing time of the opening interval that contains t."""
    for w in range(hours.shape[1]):
        if t < hours[s, w, 1]:
            return float(hours[s, w, 1])
    return t


@njit(cache=True, inline="always")
def _advance(
    k: int,
    t_now: float,
    loc: int,
    st: np.ndarray,
    travel: np.ndarray,
    hours: np.ndarray,
    q: np.ndarray,
) -> None:
    """Send the visitor of stop ``k`` from node ``loc`` at ``t_now`` to their next open stop from ``k`` on."""
    while True:
        s = st[k]
        if s.status != SKIPPED:
            node = s.site
            t_arr = t_now + travel[s.mode, loc, node]
            present = max(t_arr, s.earliest)
            present = _open_time(present, node, hours)
            if present >= 0.0:
                s.arrive = _quantise(present)
                _qpush(_key(s.arrive, k), q)
                return
            s.status = CLOSED
            s.arrive = t_arr
        if s.last:  # the day is over
            s.earliest = t_now
            return
        k += 1


@njit(cache=True)
def start_all(
    v_ptr: np.ndarray,
    v_start: np.ndarray,
    v_entry: np.ndarray,
    st: np.ndarray,
    travel: np.ndarray,
    hours: np.ndarray,
    q: np.ndarray,
) -> int:
    """Schedule every visitor's first arrival (``q`` from :func:`new_queue`); return the events pending."""
    for v in range(v_start.shape[0]):
        if v_ptr[v] < v_ptr[v + 1]:
            _advance(v_ptr[v], v_start[v], v_entry[v], st, travel, hours, q)
    return int(q[Q_PENDING])


@njit(cache=True)
def day_ends(v_ptr: np.ndarray, v_start: np.ndarray, st: np.ndarray, v_end: np.ndarray) -> None:
    """After a run: when each visitor's day ended (their start, for a visitor without stops)."""
    for v in range(v_start.shape[0]):
        v_end[v] = st[v_ptr[v + 1] - 1].earliest if v_ptr[v] < v_ptr[v + 1] else v_start[v]


@njit(cache=True)
def run_events(
    max_events: int,
    st: np.ndarray,
    st_visitor: np.ndarray,
    travel: np.ndarray,
    hours: np.ndarray,
    cap: np.ndarray,
    s_off: np.ndarray,
    s_len: np.ndarray,
    s_heap: np.ndarray,
    patience: float,
    q: np.ndarray,
    measures: bool,
    st_alt: np.ndarray,
    st_shift: np.ndarray,
    v_shift: np.ndarray,
    quota: np.ndarray,
    q_used: np.ndarray,
    q_slot: float,
    day_cap: np.ndarray,
    day_used: np.ndarray,
    counts: np.ndarray,
    area_of: np.ndarray,
    area_cap: np.ndarray,
    a_off: np.ndarray,
    a_len: np.ndarray,
    a_heap: np.ndarray,
) -> int:
    """Process up to ``max_events`` arrivals in time order; return the number of events left.

    Site ``s`` is open from ``hours[s, w, 0]`` to ``hours[s, w, 1]`` for
    each ``w`` (intervals in order; unused ones from +inf to -inf).

    With ``measures``: ``quota[s, j]`` entries of site ``s`` in entry slot
    ``j`` (slots of ``q_slot`` minutes from midnight; ``quota[s, 0] < 0``: no
    quotas at ``s``), used ``q_used``; ``day_cap[s]`` admissions a day (< 0:
    none), used ``day_used``; ``st_alt`` each stop's alternative site (< 0:
    none); per stop the minutes ``st_shift`` it was put back, per visitor
    (``st_visitor`` of each stop) the minutes ``v_shift`` their day was;
    ``counts[s]`` the site counters;
    ``area_of[s]`` the gated area of site ``s`` (< 0: none), ``area_cap``
    its C0, and per area a min-heap ``a_heap[a_off[a]:]`` of ``a_len[a]``
    occupants' departure times.
    """
    done = 0
    n_q = quota.shape[1]
    while q[Q_PENDING] > 0 and done < max_events:
        key = _qpop(q)
        k = int(key & V_MASK)
        t = (key >> V_BITS) / TICKS
        done += 1
        # Fetch the stops of an event a few ahead (and the stop after each) while this one runs.
        ahead = _qahead(q, LOOKAHEAD - 1)
        if ahead >= 0:
            _prefetch(st, ahead)
            _prefetch(st, ahead + 1)
        x = st[k]
        s = x.site
        c = cap[s]
        adm = t
        full = False
        if c > 0 and s_len[s] >= c:
            full = True
            adm = max(t, s_heap[s_off[s]])
        go = k + 1  # where the visitor goes on from, at t_now
        t_now = t
        refuse = False
        if measures:
            if day_cap[s] >= 0 and day_used[s] >= day_cap[s]:
                counts[s, C_DAILY] += 1
                refuse = True
                if x.flag & F_RESERVED:
                    j = min(int(t // q_slot), n_q - 1)
                    q_used[s, j] -= 1
                    x.flag &= ~F_RESERVED
            elif quota[s, 0] >= 0:
                j = min(int(t // q_slot), n_q - 1)
                room = bool(adm <= t)
                if room and area_of[s] >= 0:
                    room = _area_room(area_of[s], t, area_cap, a_off, a_len, a_heap)
                if x.flag & F_RESERVED:
                    ok = room
                    if not ok:
                        q_used[s, j] -= 1
                        x.flag &= ~F_RESERVED
                else:
                    ok = room and q_used[s, j] < quota[s, j]
                    if ok:
                        q_used[s, j] += 1
                if not ok:
                    v = st_visitor[k]
                    close = _close_time(t, s, hours)
                    jn = -1
                    for jj in range(j + 1, n_q):
                        later = t + (jj - j) * q_slot
                        if v_shift[v] + (later - t) > patience or later >= close:
                            break
                        if q_used[s, jj] < quota[s, jj]:
                            jn = jj
                            break
                    if jn >= 0:
                        q_used[s, jn] += 1
                        if not x.flag & F_SHIFTED:
                            counts[s, C_SHIFTED] += 1
                        x.flag |= F_RESERVED | F_SHIFTED
                        later = _quantise(t + (jn - j) * q_slot)
                        st_shift[k] += later - t
                        v_shift[v] += later - t
                        x.arrive = later
                        _qpush(_key(later, k), q)
                        continue
                    refuse = True
            if refuse:
                counts[s, C_REFUSED] += 1
                x.flag |= F_REFUSED
                alt = st_alt[k]
                if alt >= 0 and not x.flag & F_DIVERTED:
                    x.flag = (x.flag | F_DIVERTED) & ~F_SHIFTED
                    x.site = alt
                    go = k  # the same stop, at the alternative
                else:
                    x.status = REFUSED
        if not refuse:
            if adm - t > patience or adm >= _close_time(t, s, hours):
                x.status = BALKED
            else:
                t_now = adm + x.dwell
                if measures:
                    day_used[s] += 1
                    a = area_of[s]
                    if a >= 0:
                        a_len[a] = _hpush(a_heap, a_off[a], a_len[a], t_now)
                if c > 0:
                    if full:
                        _hreplace(s_heap, s_off[s], s_len[s], t_now)
                    else:
                        s_len[s] = _hpush(s_heap, s_off[s], s_len[s], t_now)
                x.status = VISITED
                x.admit = adm
        if go > k and x.last:  # the day is over
            x.earliest = t_now
        else:
            _advance(go, t_now, s, st, travel, hours, q)
    return int(q[Q_PENDING])


# ---------------------------------------------------------------------------
# Filling and reading the records


@njit(cache=True, inline="always")
def _new_stop(x: Any, site: int, dwell: float, earliest: float, status: int, mode: int, last: bool) -> None:
    x.earliest = earliest
    x.dwell = dwell
    x.arrive = np.nan
    x.admit = np.nan
    x.site = site
    x.status = status
    x.flag = 0
    x.mode = mode
    x.last = last


@njit(cache=True)
def pack(
    v_ptr: np.ndarray,
    v_mode: np.ndarray,
    st_site: np.ndarray,
    st_dwell: np.ndarray,
    st_earliest: np.ndarray,
    st_status: np.ndarray,
    v_first: int,
    st: np.ndarray,
    st_visitor: np.ndarray,
) -> None:
    """Fill stop records from flat arrays: visitor ``v_first + v`` makes stops ``v_ptr[v]:v_ptr[v+1]``.

    The records and the flat stop arrays start at stop ``v_ptr[0]``;
    ``st_visitor`` (empty: not kept) gets each stop's visitor.
    """
    k = 0
    for v in range(v_ptr.shape[0] - 1):
        n = v_ptr[v + 1] - v_ptr[v]
        for i in range(n):
            _new_stop(st[k], st_site[k], st_dwell[k], st_earliest[k], st_status[k], v_mode[v], i == n - 1)
            if st_visitor.shape[0] > 0:
                st_visitor[k] = v_first + v
            k += 1


@njit(cache=True)
def unit_chunk(u_plan: np.ndarray, u_size: np.ndarray, p_ptr: np.ndarray, a: int, budget: int) -> np.ndarray:
    """The units from ``a`` whose stops (as drawn: once per unit) come to at most ``budget`` (one at least).

    Returns ``[b, unit stops, visitors, visitor stops]`` of units ``a:b``.
    """
    b = a
    draws = visitors = stops = 0
    while b < u_plan.shape[0]:
        n = p_ptr[u_plan[b] + 1] - p_ptr[u_plan[b]]
        if b > a and draws + n > budget:
            break
        draws += n
        visitors += u_size[b]
        stops += u_size[b] * n
        b += 1
    return np.array([b, draws, visitors, stops], dtype=np.int64)


@njit(cache=True)
def expand(
    u_plan: np.ndarray,
    u_size: np.ndarray,
    u_start: np.ndarray,
    u_cell: np.ndarray,
    cell_entry: np.ndarray,
    cell_mode: np.ndarray,
    p_ptr: np.ndarray,
    p_site: np.ndarray,
    p_start: np.ndarray,
    p_dwell: np.ndarray,
    p_alt: np.ndarray,
    plan_day_start: np.ndarray,
    gamma: np.ndarray,
    gamma_shape: float,
    v_first: int,
    k_first: int,
    v_ptr: np.ndarray,
    v_start: np.ndarray,
    v_entry: np.ndarray,
    st: np.ndarray,
    st_visitor: np.ndarray,
    st_alt: np.ndarray,
) -> None:
    """Units to visitors, plans to stops, straight into the arrays (every stop pending).

    Unit ``u`` of ``u_size[u]`` visitors in cell ``u_cell[u]`` follows plan
    ``u_plan[u]`` (stops ``p_ptr[p]:p_ptr[p+1]``) shifted from the plan's
    start to its own ``u_start[u]``; its ``i``-th stop over the units lasts
    ``gamma[i] * (p_dwell / gamma_shape)`` for every member (the plan's dwell
    when ``gamma`` is empty).  The first unit's first visitor is ``v_first``
    and its first stop ``k_first``.  For a run with controls (non-empty
    ``st_visitor``), ``st_visitor`` and ``st_alt`` get each stop's visitor
    and alternative site (from ``p_alt``, each plan stop's; empty: none).
    """
    v = v_first
    k = k_first
    i0 = 0
    random_dwell = gamma.shape[0] > 0
    has_alt = p_alt.shape[0] > 0
    gated = st_visitor.shape[0] > 0
    for u in range(u_plan.shape[0]):
        p = u_plan[u]
        a, b = p_ptr[p], p_ptr[p + 1]
        shift = u_start[u] - plan_day_start[p]
        entry, mode = cell_entry[u_cell[u]], cell_mode[u_cell[u]]
        for _ in range(u_size[u]):
            v_start[v] = u_start[u]
            v_entry[v] = entry
            for j in range(a, b):
                i = i0 + j - a
                dwell = gamma[i] * (p_dwell[j] / gamma_shape) if random_dwell else p_dwell[j]
                _new_stop(st[k], p_site[j], dwell, p_start[j] + shift, PENDING, mode, j == b - 1)
                if gated:
                    st_visitor[k] = v
                    st_alt[k] = p_alt[j] if has_alt else -1
                k += 1
            v += 1
            v_ptr[v] = k
        i0 += b - a


@njit(cache=True)
def skip_stops(
    u_plan: np.ndarray, u_size: np.ndarray, p_ptr: np.ndarray, uniform: np.ndarray, p: float, st: np.ndarray,
    k_first: int,
) -> int:  # fmt: skip
    """Mark a unit's ``i``-th stop skipped (by every member) when ``uniform[i] < p``; return the stops skipped.

    Units as in :func:`expand`; their first stop record is ``k_first``.
    """
    k = k_first
    i0 = 0
    skipped = 0
    for u in range(u_plan.shape[0]):
        n = p_ptr[u_plan[u] + 1] - p_ptr[u_plan[u]]
        for _ in range(u_size[u]):
            for i in range(i0, i0 + n):
                if uniform[i] < p:
                    st[k].status = SKIPPED
                    skipped += 1
                k += 1
        i0 += n
    return skipped


@njit(cache=True)
def count_starts(
    u_cell: np.ndarray, cell_row: np.ndarray, u_start: np.ndarray, u_size: np.ndarray, t0: int, slot: int,
    n_rows: int, n_slots: int,
) -> np.ndarray:  # fmt: skip
    """Visitors starting per row (``cell_row`` of each unit's cell) and slot of ``slot`` minutes from ``t0``."""
    out = np.zeros((n_rows, n_slots), dtype=np.int64)
    for u in range(u_cell.shape[0]):
        j = math.floor((u_start[u] - t0) / slot)
        if 0 <= j < n_slots:
            out[cell_row[u_cell[u]], j] += u_size[u]
    return out


@njit(cache=True)
def site_visits(st: np.ndarray, st_alt: np.ndarray, n_sites: int) -> np.ndarray:
    """Stops per site, each alternative site counted too (``st_alt`` empty: none): room for the site heaps."""
    out = np.zeros(n_sites, dtype=np.int64)
    for k in range(st.shape[0]):
        out[st[k].site] += 1
    for k in range(st_alt.shape[0]):
        if st_alt[k] >= 0:
            out[st_alt[k]] += 1
    return out


@njit(cache=True, inline="always")
def _minute(t: float, t0: int, width: int) -> int:
    """Index of the first whole minute at or after ``t`` on the horizon from ``t0`` (clipped to 0..width)."""
    return min(max(int(math.ceil(t - t0)), 0), width)


@njit(cache=True, inline="always")
def _count_visitor(v: int, areas: np.ndarray, seen: np.ndarray, count: np.ndarray) -> None:
    """Count visitor ``v`` once in each of ``areas`` (visitors come in order; ``seen`` the last counted)."""
    for a in areas:
        if seen[a] != v:
            seen[a] = v
            count[a] += 1


@njit(cache=True)
def tally(
    v_ptr: np.ndarray,
    st: np.ndarray,
    st_shift: np.ndarray,
    n_sites: int,
    t0: int,
    n_min: int,
    slot: int,
    area_ptr: np.ndarray,
    area_idx: np.ndarray,
    n_areas: int,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
]:  # fmt: skip
    """Per-site and per-visitor figures of a finished run, in one pass over the stops.

    Returns, on ``n_min`` minutes from ``t0`` and slots of ``slot`` minutes:
    +1/-1 marks of the visitors inside and queueing per site and minute
    (:func:`~tourplan.flow.engine.minute_counts` sums them); arrivals (stops
    reached: admitted, balked or refused) and the summed and counted waits
    of admitted stops per site and slot of arrival; admissions, balks and
    stops closed on arrival per site; per area (sites ``area_idx[area_ptr[s]:
    area_ptr[s+1]]`` of site ``s``) the distinct visitors admitted and
    reached; per visitor whether they were turned away (refused, and
    admitted nowhere); and the positive ``st_shift`` in stop order (empty
    ``st_shift``: a run without controls).  Sums run in stop order.
    """
    width = n_min + 1
    n_slots = n_min // slot
    inside = np.zeros((n_sites, width + 1), dtype=np.int64)
    waiting = np.zeros((n_sites, width + 1), dtype=np.int64)
    arrivals = np.zeros(n_sites * n_slots, dtype=np.int64)
    wsum = np.zeros(n_sites * n_slots)
    wcnt = np.zeros(n_sites * n_slots, dtype=np.int64)
    daily = np.zeros(n_sites, dtype=np.int64)
    balked = np.zeros(n_sites, dtype=np.int64)
    closed = np.zeros(n_sites, dtype=np.int64)
    a_visitors = np.zeros(n_areas, dtype=np.int64)
    a_arrived = np.zeros(n_areas, dtype=np.int64)
    seen_vis = np.full(n_areas, -1, dtype=np.int64)
    seen_came = np.full(n_areas, -1, dtype=np.int64)
    n_v = v_ptr.shape[0] - 1
    turned = np.zeros(n_v, dtype=np.bool_)
    shifts = np.zeros(st_shift.shape[0])
    n_shift = 0
    for k in range(st_shift.shape[0]):
        if st_shift[k] > 0:
            shifts[n_shift] = st_shift[k]
            n_shift += 1
    for v in range(n_v):
        refused = False
        admitted = False
        for k in range(v_ptr[v], v_ptr[v + 1]):
            x = st[k]
            s = x.site
            status = x.status
            refused = refused or (x.flag & F_REFUSED) != 0
            if status == CLOSED:
                closed[s] += 1
                continue
            if status != VISITED and status != BALKED and status != REFUSED:
                continue
            if status == BALKED:
                balked[s] += 1
            j = math.floor((x.arrive - t0) / slot) if not math.isnan(x.arrive) else -1
            if 0 <= j < n_slots:
                arrivals[s * n_slots + j] += 1
            _count_visitor(v, area_idx[area_ptr[s] : area_ptr[s + 1]], seen_came, a_arrived)
            if status != VISITED:
                continue
            admitted = True
            daily[s] += 1
            inside[s, _minute(x.admit, t0, width)] += 1
            inside[s, _minute(x.admit + x.dwell, t0, width)] -= 1
            waiting[s, _minute(x.arrive, t0, width)] += 1
            waiting[s, _minute(x.admit, t0, width)] -= 1
            if 0 <= j < n_slots:
                wsum[s * n_slots + j] += x.admit - x.arrive
                wcnt[s * n_slots + j] += 1
            _count_visitor(v, area_idx[area_ptr[s] : area_ptr[s + 1]], seen_vis, a_visitors)
        turned[v] = refused and not admitted
    return (
        inside, waiting, arrivals, wsum, wcnt, daily, balked, closed, a_visitors, a_arrived, turned,
        shifts[:n_shift],
    )  # fmt: skip


load_quickly(globals())  # cached kernels load without setting up the compiler (tourplan/_jitcache.py)
