"""Compiled event loop of the visitor-flow simulation (numba).

Visitors are rows of flat arrays, their stops a CSR layout (``v_ptr``): no
Python object exists per visitor.  One global binary heap keyed by
``(time, visitor)`` holds each visitor's next arrival at a site, so sites
see their arrivals in time order.  Each site with a finite instantaneous
capacity ``c`` is a FIFO ``G/G/c`` queue computed with the Kiefer-Wolfowitz
recursion: a min-heap of at most ``c`` "server free" times; an arrival at
``t`` is admitted at ``max(t, earliest free time)`` once ``c`` visitors are
inside, else at ``t``.  In a FIFO queue the admission time is known on
arrival, so a visitor who would wait longer than their patience balks
(skips the stop) without touching the queue; so does one who would only get in
after the site closes.

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
their patience in all.  Refused visits go to the
stop's alternative site once (``st_alt``, for the same planned time), or are given up while the visitor goes on with the
rest of the plan.  Under timed entry a parent area is gated as a whole
too: a member site under quotas admits only while fewer than the area's
C0 are inside the area's sites (``area_of``, ``area_cap``; a heap per
area of its occupants' departure times).  Stop flags record what happened (:data:`F_RESERVED`,
:data:`F_SHIFTED`, :data:`F_DIVERTED`, :data:`F_REFUSED`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

VISITED = 0
CLOSED = 1
BALKED = 2
SKIPPED = 3
PENDING = 4
REFUSED = 5

#: Stop flags (bits of ``st_flag``): holds an entry slot, was put back to a
#: later slot, went to its alternative site, was refused once.
F_RESERVED = 1
F_SHIFTED = 2
F_DIVERTED = 4
F_REFUSED = 8
#: Columns of the per-site counters: visits shifted, refused, refused by the daily cap.
C_SHIFTED = 0
C_REFUSED = 1
C_DAILY = 2


#: Event keys pack a time and a visitor into one int64, ``(ticks << 31) | v``,
#: with 2**20 ticks a minute (57 microseconds): one compare orders by time,
#: then visitor, and the 4-ary heap over one array stays cache-friendly.
TICKS = float(1 << 20)
V_BITS = 31
V_MASK = (1 << 31) - 1
MAX_TICKS = (1 << 32) - 1  # about 68 hours


@njit(cache=True, inline="always")
def _key(t: float, v: int) -> np.int64:
    ticks = min(max(int(t * TICKS), 0), MAX_TICKS)
    return np.int64((ticks << V_BITS) | v)


@njit(cache=True, inline="always")
def _quantise(t: float) -> float:
    return min(max(int(t * TICKS), 0), MAX_TICKS) / TICKS


@njit(cache=True)
def _gpush(h: np.ndarray, size: int, key: np.int64) -> int:
    i = size
    while i > 0:
        p = (i - 1) >> 2
        if key < h[p]:
            h[i] = h[p]
            i = p
        else:
            break
    h[i] = key
    return size + 1


@njit(cache=True)
def _gpop(h: np.ndarray, size: int) -> int:
    """Remove the root of the 4-ary heap; return the new size (read the root before)."""
    size -= 1
    if size == 0:
        return 0
    key = h[size]
    i = 0
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        last = min(c + 4, size)
        for d in range(c + 1, last):
            if h[d] < h[best]:
                best = d
        if h[best] < key:
            h[i] = h[best]
            i = best
        else:
            break
    h[i] = key
    return size


@njit(cache=True)
def _spush(h: np.ndarray, off: int, size: int, x: float) -> None:
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if x < h[off + p]:
            h[off + i] = h[off + p]
            i = p
        else:
            break
    h[off + i] = x


@njit(cache=True)
def _sreplace_root(h: np.ndarray, off: int, size: int, x: float) -> None:
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and h[off + c + 1] < h[off + c]:
            c += 1
        if h[off + c] < x:
            h[off + i] = h[off + c]
            i = c
        else:
            break
    h[off + i] = x


@njit(cache=True)
def _area_room(
    a: int, t: float, area_cap: np.ndarray, a_off: np.ndarray, a_len: np.ndarray, a_heap: np.ndarray
) -> bool:
    """Drop area ``a``'s occupants who left by ``t``; whether it has room for one more."""
    off = a_off[a]
    n = a_len[a]
    while n > 0 and a_heap[off] <= t:
        n -= 1
        if n > 0:
            _sreplace_root(a_heap, off, n, a_heap[off + n])
    a_len[a] = n
    return bool(n < area_cap[a])


@njit(cache=True)
def _open_time(t: float, s: int, open_lo: np.ndarray, open_hi: np.ndarray, n_open: np.ndarray) -> float:
    """First time >= t at which site s admits visitors, or -1 when it does not any more today."""
    for w in range(n_open[s]):
        if t < open_hi[s, w]:
            return max(t, float(open_lo[s, w]))
    return -1.0


@njit(cache=True)
def _close_time(t: float, s: int, open_hi: np.ndarray, n_open: np.ndarray) -> float:
    """Closing time of the opening interval that contains t."""
    for w in range(n_open[s]):
        if t < open_hi[s, w]:
            return float(open_hi[s, w])
    return t


@njit(cache=True)
def _advance(
    v: int,
    k: int,
    t_now: float,
    loc: int,
    v_ptr: np.ndarray,
    v_mode: np.ndarray,
    st_node: np.ndarray,
    st_site: np.ndarray,
    st_earliest: np.ndarray,
    st_status: np.ndarray,
    st_arrive: np.ndarray,
    travel: np.ndarray,
    open_lo: np.ndarray,
    open_hi: np.ndarray,
    n_open: np.ndarray,
    v_k: np.ndarray,
    v_end: np.ndarray,
    heap: np.ndarray,
    hsize: int,
) -> int:
    """Send visitor v from node ``loc`` at ``t_now`` to its next open stop from ``k`` on."""
    m = v_mode[v]
    end = v_ptr[v + 1]
    while k < end:
        if st_status[k] == SKIPPED:
            k += 1
            continue
        node = st_node[k]
        t_arr = t_now + travel[m, loc, node]
        present = max(t_arr, st_earliest[k])
        present = _open_time(present, st_site[k], open_lo, open_hi, n_open)
        if present >= 0.0:
            present = _quantise(present)
        if present < 0.0:
            st_status[k] = CLOSED
            st_arrive[k] = t_arr
            k += 1
            continue
        st_arrive[k] = present
        v_k[v] = k
        return _gpush(heap, hsize, _key(present, v))
    v_k[v] = end
    v_end[v] = t_now
    return hsize


@njit(cache=True)
def start_all(
    v_ptr: np.ndarray,
    v_start: np.ndarray,
    v_entry: np.ndarray,
    v_mode: np.ndarray,
    st_node: np.ndarray,
    st_site: np.ndarray,
    st_earliest: np.ndarray,
    st_status: np.ndarray,
    st_arrive: np.ndarray,
    travel: np.ndarray,
    open_lo: np.ndarray,
    open_hi: np.ndarray,
    n_open: np.ndarray,
    v_k: np.ndarray,
    v_end: np.ndarray,
    heap: np.ndarray,
) -> int:
    """Schedule every visitor's first arrival; return the heap size."""
    hsize = 0
    for v in range(v_start.shape[0]):
        hsize = _advance(
            v, v_ptr[v], v_start[v], v_entry[v], v_ptr, v_mode, st_node, st_site, st_earliest,
            st_status, st_arrive, travel, open_lo, open_hi, n_open, v_k, v_end, heap, hsize,
        )  # fmt: skip
    return hsize


@njit(cache=True)
def run_events(
    max_events: int,
    hsize: int,
    v_ptr: np.ndarray,
    v_mode: np.ndarray,
    st_node: np.ndarray,
    st_site: np.ndarray,
    st_dwell: np.ndarray,
    st_earliest: np.ndarray,
    st_status: np.ndarray,
    st_arrive: np.ndarray,
    st_admit: np.ndarray,
    st_depart: np.ndarray,
    travel: np.ndarray,
    open_lo: np.ndarray,
    open_hi: np.ndarray,
    n_open: np.ndarray,
    cap: np.ndarray,
    s_off: np.ndarray,
    s_len: np.ndarray,
    s_heap: np.ndarray,
    patience: float,
    v_k: np.ndarray,
    v_end: np.ndarray,
    heap: np.ndarray,
    measures: bool,
    quota: np.ndarray,
    q_used: np.ndarray,
    q_slot: float,
    day_cap: np.ndarray,
    day_used: np.ndarray,
    st_alt: np.ndarray,
    st_flag: np.ndarray,
    st_shift: np.ndarray,
    v_shift: np.ndarray,
    counts: np.ndarray,
    area_of: np.ndarray,
    area_cap: np.ndarray,
    a_off: np.ndarray,
    a_len: np.ndarray,
    a_heap: np.ndarray,
) -> int:
    """Process up to ``max_events`` arrivals in time order; return the heap size left.

    With ``measures``: ``quota[s, j]`` entries of site ``s`` in entry slot
    ``j`` (slots of ``q_slot`` minutes from midnight; ``quota[s, 0] < 0``: no
    quotas at ``s``), used ``q_used``; ``day_cap[s]`` admissions a day (< 0:
    none), used ``day_used``; ``st_alt`` a stop's alternative site (< 0:
    none); per stop ``st_flag`` and the
    minutes ``st_shift`` it was put back; per visitor the minutes
    ``v_shift`` their day was put back; ``counts[s]`` the site counters;
    ``area_of[s]`` the gated area of site ``s`` (< 0: none), ``area_cap``
    its C0, and per area a min-heap ``a_heap[a_off[a]:]`` of ``a_len[a]``
    occupants' departure times.
    """
    done = 0
    n_q = quota.shape[1]
    while hsize > 0 and done < max_events:
        key = heap[0]
        v = int(key & V_MASK)
        t = (key >> V_BITS) / TICKS
        hsize = _gpop(heap, hsize)
        done += 1
        k = v_k[v]
        s = st_site[k]
        c = cap[s]
        adm = t
        full = False
        if c > 0 and s_len[s] >= c:
            full = True
            adm = max(t, s_heap[s_off[s]])
        if measures:
            refuse = False
            if day_cap[s] >= 0 and day_used[s] >= day_cap[s]:
                counts[s, C_DAILY] += 1
                refuse = True
                if st_flag[k] & F_RESERVED:
                    j = min(int(t // q_slot), n_q - 1)
                    q_used[s, j] -= 1
                    st_flag[k] &= ~F_RESERVED
            elif quota[s, 0] >= 0:
                j = min(int(t // q_slot), n_q - 1)
                room = adm <= t
                if room and area_of[s] >= 0:
                    room = _area_room(area_of[s], t, area_cap, a_off, a_len, a_heap)
                if st_flag[k] & F_RESERVED:
                    ok = room
                    if not ok:
                        q_used[s, j] -= 1
                        st_flag[k] &= ~F_RESERVED
                else:
                    ok = room and q_used[s, j] < quota[s, j]
                    if ok:
                        q_used[s, j] += 1
                if not ok:
                    close = _close_time(t, s, open_hi, n_open)
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
                        if not st_flag[k] & F_SHIFTED:
                            counts[s, C_SHIFTED] += 1
                        st_flag[k] |= F_RESERVED | F_SHIFTED
                        later = _quantise(t + (jn - j) * q_slot)
                        st_shift[k] += later - t
                        v_shift[v] += later - t
                        st_arrive[k] = later
                        hsize = _gpush(heap, hsize, _key(later, v))
                        continue
                    refuse = True
            if refuse:
                counts[s, C_REFUSED] += 1
                st_flag[k] |= F_REFUSED
                alt = st_alt[k]
                node = st_node[k]
                if alt >= 0 and not st_flag[k] & F_DIVERTED:
                    st_flag[k] = (st_flag[k] | F_DIVERTED) & ~F_SHIFTED
                    st_site[k] = alt
                    st_node[k] = alt
                    hsize = _advance(
                        v, k, t, node, v_ptr, v_mode, st_node, st_site, st_earliest, st_status,
                        st_arrive, travel, open_lo, open_hi, n_open, v_k, v_end, heap, hsize,
                    )  # fmt: skip
                else:
                    st_status[k] = REFUSED
                    hsize = _advance(
                        v, k + 1, t, node, v_ptr, v_mode, st_node, st_site, st_earliest, st_status,
                        st_arrive, travel, open_lo, open_hi, n_open, v_k, v_end, heap, hsize,
                    )  # fmt: skip
                continue
        if adm - t > patience or adm >= _close_time(t, s, open_hi, n_open):
            st_status[k] = BALKED
            hsize = _advance(
                v, k + 1, t, st_node[k], v_ptr, v_mode, st_node, st_site, st_earliest, st_status,
                st_arrive, travel, open_lo, open_hi, n_open, v_k, v_end, heap, hsize,
            )  # fmt: skip
            continue
        dep = adm + st_dwell[k]
        if measures:
            day_used[s] += 1
            a = area_of[s]
            if a >= 0:
                _spush(a_heap, a_off[a], a_len[a], dep)
                a_len[a] += 1
        if c > 0:
            if full:
                _sreplace_root(s_heap, s_off[s], s_len[s], dep)
            else:
                _spush(s_heap, s_off[s], s_len[s], dep)
                s_len[s] += 1
        st_status[k] = VISITED
        st_admit[k] = adm
        st_depart[k] = dep
        hsize = _advance(
            v, k + 1, dep, st_node[k], v_ptr, v_mode, st_node, st_site, st_earliest, st_status,
            st_arrive, travel, open_lo, open_hi, n_open, v_k, v_end, heap, hsize,
        )  # fmt: skip
    return hsize
