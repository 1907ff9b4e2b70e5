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
4 not reached (the run stopped early; never left after a full run).
"""

from __future__ import annotations

import numpy as np
from numba import njit

VISITED = 0
CLOSED = 1
BALKED = 2
SKIPPED = 3
PENDING = 4


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
) -> int:
    """Process up to ``max_events`` arrivals in time order; return the heap size left."""
    done = 0
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
        if adm - t > patience or adm >= _close_time(t, s, open_hi, n_open):
            st_status[k] = BALKED
            hsize = _advance(
                v, k + 1, t, st_node[k], v_ptr, v_mode, st_node, st_site, st_earliest, st_status,
                st_arrive, travel, open_lo, open_hi, n_open, v_k, v_end, heap, hsize,
            )  # fmt: skip
            continue
        dep = adm + st_dwell[k]
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
