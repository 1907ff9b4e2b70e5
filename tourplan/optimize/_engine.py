"""Compiled core of the orienteering heuristic (numba).

Ruin-and-recreate iterated local search for the team orienteering problem with
(multiple) time windows:

* state per route: visit sequence, earliest start times, departures and the
  forward slack ``MaxShift`` (Vansteenwegen et al. 2009) so an insertion is
  checked in O(1) in the single-window case; with several windows a shift that
  exceeds the slack of the current window falls back to exact propagation that
  stops as soon as the schedule re-synchronises;
* recreate: greedy insertion by ``value^2 / time consumed`` with random noise,
  cached per (node, route); the state before the ruin is saturated, so the
  first pass only looks at ruined routes and removed nodes, and on a ruined
  route only at the nodes removed from it and their nearest sites (a granular
  neighbourhood: a site far from every visit removed from a route rarely fits
  in the room they left there, and a later ruin near it tries again); with one window
  per node the positions tried are cut by a binary search on departures and
  latest starts (both grow along a route) and each check is O(1); after an
  insertion the other nodes' cached positions on that route are refreshed in
  O(1) (a full scan only for a node whose cached place no longer fits), with
  one window per node or several, in visit groups or not; after the first
  pass, a round looks only at the nodes with a cached insertion left;
* ruin: random, segment or related (nearest) removal;
* local search on routes that changed: intra-route relocation (or-opt) and
  2-opt that lower travel time, a same-place swap of a visit for an unvisited
  node of higher value, and a segment re-plan (a bounded label-setting search
  for the best chain of removed and unvisited nodes between a fixed prefix and
  suffix, drawn from the removed ones and the few unvisited ones worth most per
  detour), and with several routes the best tail exchange (2-opt*) between two of
  them, followed by re-insertion on the changed routes of the sites nearest
  to their visits (with one route, the next recreate refills it);
* starts and their budgets are chosen by the caller (``solve.py``: multi-start
  with successive halving);
* acceptance: threshold accepting on a value that decays to zero, restarts
  from the best solution.

Mandatory nodes and group minimums are folded into the value with a bonus
larger than all scores together, so they dominate the objective; group maximums,
capacities and ``max_nodes`` are hard constraints on every insertion.

Everything is driven by a deterministic work counter, never by the clock. Its
units are weighted so that they track CPU time (about 100 per microsecond for
every move on the reference machine, measured by timing each move), which lets
one measured rate turn a time limit into work for benchmark and itinerary
problems alike.
:func:`search` works on views of the arrays that hold no reference
(:func:`_borrowed`), so the many compiled calls inside it take and drop no
references. Every function releases the GIL (``nogil``) and numba keeps one
random state per thread, so independent solves may run on threads at once
(the visitor-flow plan library does) and each stays the same as when run alone;
so may the lanes of one solve (``SolveParams.threads``), each on its own state.

Why one module of this length: numba compiles a kernel together with the
functions it calls, and the search's moves share the route state and the work
counter at every step; split across modules they would only trade one long
file for cross-module imports of private state.
"""

# numba implements only the legacy np.random API inside compiled code
# ruff: noqa: NPY002
# mypy: allow-untyped-defs, allow-untyped-calls
from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.misc.special import literally

from tourplan._jitcache import load_quickly

EPS = 1e-7
INF = 1e300

# indices into the parameter array PAR
P_GB = 0  # group/mandatory bonus
P_MULTI = 1  # 1.0 if any node has several windows
P_NOISE = 2
P_TAU0 = 3
P_RESTART = 4
P_KFRAC = 5
P_KMIN = 6
P_KCAP = 7
P_MAXIT = 8
P_EXPO = 9
P_SWAP = 10
P_BIG = 11
P_SEG = 12  # probability per iteration of a segment re-optimisation
P_SEGK = 13  # longest segment removed by it
P_SEGF = 14  # labels kept per site by it
P_CAPPED = 15  # 1.0 if any route has a finite capacity
P_TAIL = 16  # probability per iteration of a tail exchange between two routes
P_SEGC = 17  # most sites a segment re-plan chooses from (0: all)
P_REFILL = 18  # nearest sites per visit the refill after the local search re-checks (0: all)


@intrinsic
def _borrowed(typingctx, arrays):  # noqa: ANN001, ANN202, ARG001
    """Return the tuple of arrays ``arrays`` as views that own no reference.

    Every compiled call that takes the problem and state tuples (30 arrays)
    takes and drops a reference to each array, an atomic operation; in the
    search loop those came to 10-40 % of the time. The views have no owner, so
    taking and dropping one costs nothing. They are only valid while the
    arrays they view live, so they are made at the top of :func:`search`,
    whose caller holds the arrays, and never leave it.
    """
    members = getattr(arrays, "types", ())
    if not isinstance(arrays, types.BaseTuple) or not all(isinstance(t, types.Array) for t in members):
        return None

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202, ARG001
        out = []
        for k, ty in enumerate(members):
            view = context.make_array(ty)(context, builder, value=builder.extract_value(args[0], k))
            view.meminfo = cgutils.get_null_value(view.meminfo.type)
            out.append(view._getvalue())
        return context.make_tuple(builder, arrays, out)

    return arrays(arrays), codegen


@njit(cache=True, nogil=True, inline="always")
def _start(WO, WC, WN, r, j, t):  # noqa: ANN001, ANN202, N803
    """Return (ok, start, close of the window used) for arrival ``t``."""
    for w in range(WN[r, j]):
        if t <= WC[r, j, w] + EPS:
            s = WO[r, j, w]
            if t > s:
                s = t
            return True, s, WC[r, j, w]
    return False, t, t


@njit(cache=True, nogil=True)
def recompute(D, X, r):  # noqa: ANN001, ANN201, N803
    """Recompute schedule and slack of route ``r``; return feasibility."""
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    L = ln[r]
    ok = True
    st[r, 0] = RA[r]
    dp[r, 0] = RA[r]
    wcl[r, 0] = RA[r]
    arr[r, 0] = RA[r]
    prev = seq[r, 0]
    for p in range(1, L + 1):
        j = seq[r, p]
        a = dp[r, p - 1] + T[prev, j]
        arr[r, p] = a
        good, s, c = _start(WO, WC, WN, r, j, a)
        if not good:
            ok = False
        st[r, p] = s
        wcl[r, p] = c
        dp[r, p] = s + S[j]
        prev = j
    a = dp[r, L] + T[prev, seq[r, L + 1]]
    arr[r, L + 1] = a
    st[r, L + 1] = a
    dp[r, L + 1] = a
    wcl[r, L + 1] = RL[r]
    if a > RL[r] + EPS:
        ok = False
    ms[r, L + 1] = RL[r] - a
    wcl[r, L + 1] = RL[r] + EPS if a <= RL[r] else a + EPS
    for p in range(L, 0, -1):
        j = seq[r, p]
        nxt = dp[r, p] + T[j, seq[r, p + 1]]
        wait = st[r, p + 1] - nxt
        if wait < 0.0:
            wait = 0.0
        v = wait + ms[r, p + 1]
        own = wcl[r, p] - st[r, p]
        ms[r, p] = own if own < v else v
        # from here on wcl holds the latest start that keeps the tail feasible
        wcl[r, p] = st[r, p] + (ms[r, p] if ms[r, p] > 0.0 else 0.0) + EPS
    return ok


@njit(cache=True, nogil=True, inline="always")
def _tail_ok(T, S, WO, WC, WN, RL, seq, ln, st, ms, multi, r, q, a, work):  # noqa: ANN001, ANN202, N803
    """Can position ``q`` of route ``r`` be reached at time ``a`` (rest unchanged)?"""
    if a <= st[r, q] + 1e-12:
        return True
    if a - st[r, q] <= ms[r, q] + EPS:
        return True
    if multi == 0.0:
        return False
    L = ln[r]
    for p in range(q, L + 1):
        work[0] += 1
        j = seq[r, p]
        good, s, c = _start(WO, WC, WN, r, j, a)
        if not good:
            return False
        if s <= st[r, p] + 1e-12:
            return True
        a = s + S[j] + T[j, seq[r, p + 1]]
    return a <= RL[r] + EPS


@njit(cache=True, nogil=True, inline="always")
def _static_ok(WN, LOAD, CAP, MAXN, GPTR, GLIST, GMAX, ln, rload, gcnt, r, j):  # noqa: ANN001, ANN202, N803
    """Window, capacity, max_nodes and group-maximum checks of ``j`` on route ``r``."""
    if WN[r, j] == 0 or ln[r] >= MAXN[r]:
        return False
    for k in range(LOAD.shape[1]):
        if rload[r, k] + LOAD[j, k] > CAP[r, k] + EPS:
            return False
    for q in range(GPTR[j], GPTR[j + 1]):
        g = GLIST[q]
        if gcnt[g, r] >= GMAX[g, r]:
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _gain(VAL, GPTR, GLIST, GMIN, gcnt, gb, r, j):  # noqa: ANN001, ANN202, N803
    """Value of inserting ``j`` into route ``r`` (score, mandatory and group bonuses)."""
    v = VAL[j]
    for q in range(GPTR[j], GPTR[j + 1]):
        g = GLIST[q]
        if gcnt[g, r] < GMIN[g, r]:
            v += gb
    return v


@njit(cache=True, nogil=True, inline="always")
def _best_pos(T, TT, S, WO, WC, WN, RL, seq, ln, st, dp, ms, wcl, arr, several, r, j, work):  # noqa: ANN001, ANN202, N803
    """Return (position, time consumed) of the cheapest feasible insertion or (-1, 0).

    Only positions whose departure is before the last close of ``j`` and whose
    successor can still start after ``j``'s earliest end are looked at: departures
    and latest starts both grow along a route.
    """
    L = ln[r]
    best_p = -1
    best_c = INF
    nw = WN[r, j]
    last_close = WC[r, j, nw - 1] + EPS
    first_end = WO[r, j, 0] + S[j]
    # skip the head of the route whose successor must start before j can end
    # (single windows only: with several, a late successor may jump a window)
    lo = 0
    hi = 0 if several else L
    while lo < hi:
        mid = (lo + hi) // 2
        q = mid + 1
        if wcl[r, q] < first_end:
            lo = mid + 1
        else:
            hi = mid
    if not several:
        o = WO[r, j, 0]
        sj = S[j]
        # the scan ends before the first departure after j's close (departures grow)
        p = lo
        end = L + 1
        while p < end:
            mid = (p + end) // 2
            if dp[r, mid] > last_close:
                end = mid
            else:
                p = mid + 1
        TJ = T[j]
        TTJ = TT[j]
        for p in range(lo, end):
            a = dp[r, p] + TTJ[seq[r, p]]
            s = a if a > o else o
            a2 = s + sj + TJ[seq[r, p + 1]]
            cost = a2 - arr[r, p + 1]
            better = (a <= last_close) & (a2 <= wcl[r, p + 1]) & (cost < best_c)
            best_c = cost if better else best_c
            best_p = p if better else best_p
        work[0] += 1 + (3 * (end - lo)) // 4
        return best_p, best_c
    work[0] += 3 * (L + 1 - lo)  # several windows per site: each check costs about three
    for p in range(lo, L + 1):
        a = dp[r, p] + TT[j, seq[r, p]]
        if a > last_close:
            continue
        good, s, c = _start(WO, WC, WN, r, j, a)
        a2 = s + S[j] + T[j, seq[r, p + 1]]
        cost = a2 - arr[r, p + 1]
        if cost >= best_c:
            continue
        if _tail_ok(T, S, WO, WC, WN, RL, seq, ln, st, ms, 1.0, r, p + 1, a2, work):
            best_c = cost
            best_p = p
    return best_p, best_c


@njit(cache=True, nogil=True)
def insert_at(D, X, r, p, j):  # noqa: ANN001, ANN201, N803
    """Insert ``j`` after position ``p`` of route ``r`` (no feasibility check)."""
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    L = ln[r]
    for q in range(L + 1, p, -1):
        seq[r, q + 1] = seq[r, q]
    seq[r, p + 1] = j
    ln[r] = L + 1
    where[j] = r
    for k in range(LOAD.shape[1]):
        rload[r, k] += LOAD[j, k]
    for q in range(GPTR[j], GPTR[j + 1]):
        gcnt[GLIST[q], r] += 1
    recompute(D, X, r)


@njit(cache=True, nogil=True)
def remove_at(D, X, r, p):  # noqa: ANN001, ANN201, N803
    """Remove the visit at position ``p`` (1-based) of route ``r``; no recompute."""
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    j = seq[r, p]
    L = ln[r]
    for q in range(p, L + 1):
        seq[r, q] = seq[r, q + 1]
    ln[r] = L - 1
    where[j] = -1
    for k in range(LOAD.shape[1]):
        rload[r, k] -= LOAD[j, k]
    for q in range(GPTR[j], GPTR[j + 1]):
        gcnt[GLIST[q], r] -= 1
    return j


@njit(cache=True, nogil=True)
def copy_state(src, dst):  # noqa: ANN001, ANN201
    """Copy state ``src`` into ``dst``.

    Of the per-position arrays only each route's used part (start, visits and
    end) is copied: no kernel reads a route past its end before writing there.
    """
    seq, ln = src[0], src[1]
    for r in range(ln.shape[0]):
        e = ln[r] + 2
        dst[0][r, :e] = seq[r, :e]
        dst[2][r, :e] = src[2][r, :e]
        dst[3][r, :e] = src[3][r, :e]
        dst[4][r, :e] = src[4][r, :e]
        dst[5][r, :e] = src[5][r, :e]
        dst[9][r, :e] = src[9][r, :e]
    dst[1][:] = ln
    dst[6][:] = src[6]
    dst[7][:] = src[7]
    dst[8][:] = src[8]


@njit(cache=True, nogil=True)
def evaluate(D, X):  # noqa: ANN001, ANN201, N803
    """Return (value, travel) of the state; value includes bonuses."""
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    m = ln.shape[0]
    v = 0.0
    tr = 0.0
    sc = 0.0
    for r in range(m):
        for p in range(ln[r] + 1):
            tr += T[seq[r, p], seq[r, p + 1]]
        for p in range(1, ln[r] + 1):
            v += VAL[seq[r, p]]
            sc += SC[seq[r, p]]
    for g in range(gcnt.shape[0]):
        for r in range(m):
            c = gcnt[g, r]
            if c > GMIN[g, r]:
                c = GMIN[g, r]
            v += PAR[P_GB] * c
    return v, tr, sc


@njit(cache=True, nogil=True)
def _better(v1, t1, v2, t2):  # noqa: ANN001, ANN202
    if v1 > v2 + 1e-9:
        return True
    return v1 >= v2 - 1e-9 and t1 < t2 - 1e-9


@njit(cache=True, nogil=True, inline="always")
def _pos_cost(T, TT, S, WO, WC, seq, dp, wcl, arr, r, j, p):  # noqa: ANN001, ANN202, N803
    """Time consumed by inserting ``j`` after position ``p`` of route ``r``, or -1 if infeasible.

    Single-window nodes only: O(1) by the successor's latest feasible start.
    """
    last_close = WC[r, j, 0] + EPS
    a = dp[r, p] + TT[j, seq[r, p]]
    if a > last_close:
        return -1.0
    s = a if a > WO[r, j, 0] else WO[r, j, 0]
    a2 = s + S[j] + T[j, seq[r, p + 1]]
    if a2 > wcl[r, p + 1]:
        return -1.0
    cost = a2 - arr[r, p + 1]
    return cost if cost > 1e-6 else 1e-6


@njit(cache=True, nogil=True, inline="always")
def _pos_cost_multi(T, TT, S, WO, WC, WN, RL, seq, ln, st, dp, ms, wcl, arr, r, j, p, work):  # noqa: ANN001, ANN202, N803
    """:func:`_pos_cost` for sites with several windows: a later arrival at the successor is propagated."""
    work[0] += 3
    good, s, c = _start(WO, WC, WN, r, j, dp[r, p] + TT[j, seq[r, p]])
    if not good:
        return -1.0
    a2 = s + S[j] + T[j, seq[r, p + 1]]
    if a2 > wcl[r, p + 1] and not _tail_ok(T, S, WO, WC, WN, RL, seq, ln, st, ms, 1.0, r, p + 1, a2, work):
        return -1.0
    cost = a2 - arr[r, p + 1]
    return cost if cost > 1e-6 else 1e-6


@njit(cache=True, nogil=True, inline="always")
def _ratio(g, gb, cost, expo, noise):  # noqa: ANN001, ANN202
    """Return (priority, ratio) of an insertion worth ``g`` that consumes ``cost``."""
    if cost < 1e-6:
        cost = 1e-6
    # mandatory / group-minimum insertions come first
    nb = int(g / gb) if gb > 0.0 else 0
    g -= nb * gb
    rr = ((g * g if expo == 2.0 else g**expo) + 1e-9) / cost  # (pow is slow)
    if noise > 0.0:
        rr *= 1.0 + noise * (np.random.random() - 0.5)
    return nb, rr


@njit(cache=True, nogil=True)
def greedy_insert(D, X, cand, noise, work, rdirty, fresh, expo, focus):  # noqa: ANN001, ANN201, N803
    """Insert unvisited nodes of ``cand`` by best noisy ratio until none fits.

    The state is assumed saturated except on routes ``rdirty`` (changed since
    nothing fitted) and for nodes marked in ``fresh`` (just removed): only those
    (node, route) pairs are evaluated on the first pass, and on a route ``r``
    of ``rdirty`` only the nodes ``j`` with ``focus[j, r]`` (all of them, or a
    granular neighbourhood: the nodes removed from ``r`` and their nearest
    sites). An insertion changes
    one route, and only by making it longer, fuller and its group counts
    higher, so a pair that did not fit still does not; the other nodes'
    cached insertions on that route are refreshed in O(1) each: their gain,
    the cached position (shifted past the new visit) and the two positions
    beside the new visit; only a node none of which fits any more is scanned
    again in full.
    """
    if D[18][P_MULTI] != 0.0:
        return _greedy(D, X, cand, noise, work, rdirty, fresh, expo, focus, True)
    return _greedy(D, X, cand, noise, work, rdirty, fresh, expo, focus, False)


@njit(cache=True, nogil=True)
def _greedy(D, X, cand, noise, work, rdirty, fresh, expo, focus, several):  # noqa: ANN001, ANN202, N803
    """Body of :func:`greedy_insert`, compiled once for single and once for several windows.

    The first pass looks at every candidate and keeps in ``live``, in
    candidate order, those with a cached insertion on some route; every later
    round looks only at them (a candidate left without one gets none back
    within the call), so it costs in proportion to their number, not to the
    number of candidates.
    """
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    literally(several)  # one compiled version each for single and several windows
    m = ln.shape[0]
    nc = cand.shape[0]
    gb = PAR[P_GB]
    ratio = np.empty((nc, m))  # -1: no cached insertion; rows of candidates never live stay unset
    prio = np.empty((nc, m), dtype=np.int64)
    pos = np.empty((nc, m), dtype=np.int64)
    live = np.empty(nc, dtype=np.int64)
    nlive = 0
    changed = np.zeros(m, dtype=np.bool_)
    best = -1.0
    bprio = -1
    bi = -1
    br = -1
    work[0] += 5 + (nc * (m + 2)) // 4  # the arrays and the scan over all candidates
    for c in range(nc):
        j = cand[c]
        if where[j] >= 0:
            continue
        fj = fresh[j]
        for r in range(m):
            ratio[c, r] = -1.0
            if (rdirty[r] and focus[j, r]) or fj:
                work[0] += 10 + 4 * (GPTR[j + 1] - GPTR[j])
                if _static_ok(WN, LOAD, CAP, MAXN, GPTR, GLIST, GMAX, ln, rload, gcnt, r, j):
                    g = _gain(VAL, GPTR, GLIST, GMIN, gcnt, gb, r, j)
                    if g > 0.0:
                        p, cost = _best_pos(
                            T, TT, S, WO, WC, WN, RL, seq, ln, st, dp, ms, wcl, arr, several, r, j, work
                        )
                        if p >= 0:
                            prio[c, r], ratio[c, r] = _ratio(g, gb, cost, expo, noise)
                            pos[c, r] = p
        keep, best, bprio, bi, br = _pick(ratio, prio, c, best, bprio, bi, br)
        if keep:
            live[nlive] = c
            nlive += 1
    while bi >= 0:
        p0 = pos[bi, br]
        insert_at(D, X, br, p0, cand[bi])
        changed[br] = True
        work[0] += 20 + 2 * ln[br]  # the insertion and the new schedule
        # only route br changed (its visits, load and group counts), and only
        # by growing: a pair that did not fit still does not
        nlive, bi, br = _refresh(
            D, X, cand, ratio, prio, pos, live, nlive, bi, br, p0, noise, expo, work, several
        )
    return changed


@njit(cache=True, nogil=True, inline="always")
def _refresh(D, X, cand, ratio, prio, pos, live, nlive, ins, r, p0, noise, expo, work, several):  # noqa: ANN001, ANN202, N803
    """Update the cached insertions on route ``r`` after candidate ``ins`` went in after position ``p0``.

    Drops ``ins`` and the candidates left without a cached insertion from
    ``live`` (keeping the order) and returns (how many are left, the best
    insertion's candidate and route, or -1 for none).
    """
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    # (inlined in _greedy, which is compiled per value of several)
    gb = PAR[P_GB]
    best = -1.0
    bprio = -1
    bi = -1
    br = -1
    w = 0
    work[0] += nlive // 4
    for x in range(nlive):
        c = live[x]
        if c == ins:
            continue
        j = cand[c]
        if ratio[c, r] >= 0.0:
            work[0] += 11 + 4 * (GPTR[j + 1] - GPTR[j])
            ratio[c, r] = -1.0
            if _static_ok(WN, LOAD, CAP, MAXN, GPTR, GLIST, GMAX, ln, rload, gcnt, r, j):
                g = _gain(VAL, GPTR, GLIST, GMIN, gcnt, gb, r, j)
                if g > 0.0:
                    q = pos[c, r]
                    bp = -1
                    bc = INF
                    if q != p0:
                        if q > p0:
                            q += 1
                        if not several:
                            cost = _pos_cost(T, TT, S, WO, WC, seq, dp, wcl, arr, r, j, q)
                        else:
                            cost = _pos_cost_multi(
                                T, TT, S, WO, WC, WN, RL, seq, ln, st, dp, ms, wcl, arr, r, j, q, work
                            )
                        if cost >= 0.0:
                            bp = q
                            bc = cost
                    for q in range(p0, p0 + 2):
                        if not several:
                            cost = _pos_cost(T, TT, S, WO, WC, seq, dp, wcl, arr, r, j, q)
                        else:
                            cost = _pos_cost_multi(
                                T, TT, S, WO, WC, WN, RL, seq, ln, st, dp, ms, wcl, arr, r, j, q, work
                            )
                        if cost >= 0.0 and cost < bc:
                            bp = q
                            bc = cost
                    if bp < 0:
                        bp, bc = _best_pos(
                            T, TT, S, WO, WC, WN, RL, seq, ln, st, dp, ms, wcl, arr, several, r, j, work
                        )
                    if bp >= 0:
                        prio[c, r], ratio[c, r] = _ratio(g, gb, bc, expo, noise)
                        pos[c, r] = bp
        keep, best, bprio, bi, br = _pick(ratio, prio, c, best, bprio, bi, br)
        if keep:
            live[w] = c
            w += 1
    return w, bi, br


@njit(cache=True, nogil=True, inline="always")
def _pick(ratio, prio, c, best, bprio, bi, br):  # noqa: ANN001, ANN202
    """Fold candidate ``c``'s cached insertions into the best (``bi``, ``br``) so far.

    Higher priority first, then higher ratio; on a tie the earlier candidate
    and route stay. Also returns whether ``c`` has a cached insertion at all.
    """
    keep = False
    for r in range(ratio.shape[1]):
        if ratio[c, r] >= 0.0:
            keep = True
            if prio[c, r] > bprio or (prio[c, r] == bprio and ratio[c, r] > best):
                best = ratio[c, r]
                bprio = prio[c, r]
                bi = c
                br = r
    return keep, best, bprio, bi, br


@njit(cache=True, nogil=True)
def _route_travel(T, seq, r, L):  # noqa: ANN001, ANN202, N803
    tr = 0.0
    for p in range(L + 1):
        tr += T[seq[r, p], seq[r, p + 1]]
    return tr


@njit(cache=True, nogil=True, inline="always")
def _seq_ok(T, S, WO, WC, WN, RL, seq, ln, st, dp, r, row, lo, hi, work):  # noqa: ANN001, ANN202, N803
    """Is route ``r`` feasible with sequence ``row`` that differs only in ``lo..hi``?

    Starts from the stored departure at ``lo - 1`` and stops as soon as the
    schedule after ``hi`` re-synchronises with the stored one.
    """
    L = ln[r]
    prev = row[lo - 1]
    dep = dp[r, lo - 1]
    for p in range(lo, L + 1):
        work[0] += 1
        j = row[p]
        a = dep + T[prev, j]
        good, s, c = _start(WO, WC, WN, r, j, a)
        if not good:
            return False
        if p > hi and s <= st[r, p] + 1e-12:
            return True
        dep = s + S[j]
        prev = j
    return dep + T[prev, row[L + 1]] <= RL[r] + EPS


@njit(cache=True, nogil=True, inline="always")
def _take(D, X, r, row):  # noqa: ANN001, ANN202, N803
    """Make ``row`` (start and end included) the sequence of route ``r``; return True."""
    X[0][r, : row.shape[0]] = row
    recompute(D, X, r)
    return True


@njit(cache=True, nogil=True)
def improve_route(D, X, r, work):  # noqa: ANN001, ANN201, N803
    """Lower the travel time of route ``r`` by relocation and 2-opt (first improvement)."""
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    L = ln[r]
    if L < 2:
        return False
    row = np.empty(L + 2, dtype=np.int64)
    any_change = False
    improved = True
    passes = 0
    while improved and passes < 3:
        # one pass = every node tried once and every 2-opt pair once: O(L^2)
        improved = False
        passes += 1
        # relocation of one node (or-opt 1)
        for p in range(1, L + 1):
            j = seq[r, p]
            a = seq[r, p - 1]
            b = seq[r, p + 1]
            saving = T[a, j] + T[j, b] - T[a, b]
            if saving <= 1e-9:
                continue
            work[0] += L // 2 + 1
            for q in range(0, L + 1):
                if q == p or q == p - 1:
                    continue
                u = seq[r, q]
                w = seq[r, q + 1]
                delta = T[u, j] + T[j, w] - T[u, w]
                if delta >= saving - 1e-9:
                    continue
                k = 0
                for x in range(L + 2):
                    if x == p:
                        continue
                    row[k] = seq[r, x]
                    k += 1
                    if x == q:
                        row[k] = j
                        k += 1
                lo = p if p < q + 1 else q + 1
                hi = p if p > q else q
                if _seq_ok(T, S, WO, WC, WN, RL, seq, ln, st, dp, r, row, lo, hi, work):
                    improved = any_change = _take(D, X, r, row)
                    break
        # 2-opt: reverse seq[i..k]; segment sums kept incrementally (asymmetric T)
        for i in range(1, L):
            fwd = 0.0
            rev = 0.0
            a = seq[r, i - 1]
            work[0] += (L - i) // 2 + 1
            for k in range(i + 1, L + 1):
                fwd += T[seq[r, k - 1], seq[r, k]]
                rev += T[seq[r, k], seq[r, k - 1]]
                b = seq[r, k + 1]
                old = T[a, seq[r, i]] + fwd + T[seq[r, k], b]
                new = T[a, seq[r, k]] + rev + T[seq[r, i], b]
                if new >= old - 1e-9:
                    continue
                row[:] = seq[r, : L + 2]
                for x in range(i, k + 1):
                    row[x] = seq[r, k - (x - i)]
                if _seq_ok(T, S, WO, WC, WN, RL, seq, ln, st, dp, r, row, i, k, work):
                    improved = any_change = _take(D, X, r, row)
                    break
    return any_change


@njit(cache=True, nogil=True)
def swap_unvisited(D, X, cand, r, work):  # noqa: ANN001, ANN201, N803
    """Replace visits of route ``r`` by unvisited nodes in the same place (first improvement).

    A replacement must raise the value, or keep it and reach the successor
    earlier. Nodes in groups are left alone. Each check is O(1): the successor's
    latest feasible start bounds the new arrival. ``cand`` is sorted by value,
    highest first; the nodes that may replace a visit (unvisited, allowed on
    ``r``, in no group) are drawn from it once, kept in that order with their
    values, service times and (with one window per node) windows beside them,
    and drawn again after each replacement, so the scan for a visit passes over
    no visited node, reads its data in order and stops at the first lower value.
    """
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    nc = cand.shape[0]
    pool = np.empty(nc, dtype=np.int64)
    pval = np.empty(nc, dtype=np.float64)
    pser = np.empty(nc, dtype=np.float64)
    popen = np.empty(nc, dtype=np.float64)
    pclose = np.empty(nc, dtype=np.float64)
    single = PAR[P_MULTI] == 0.0
    npool = -1  # -1: draw the pool (again)
    any_change = False
    improved = True
    rounds = 0
    while improved and rounds < 4:
        improved = False
        rounds += 1
        L = ln[r]
        work[0] += 1
        for p in range(1, L + 1):
            i = seq[r, p]
            if GPTR[i + 1] > GPTR[i]:
                continue
            if npool < 0:
                npool = 0
                for c in range(nc):
                    j = cand[c]
                    if where[j] < 0 and WN[r, j] > 0 and GPTR[j + 1] == GPTR[j]:
                        pool[npool] = j
                        pval[npool] = VAL[j]
                        pser[npool] = S[j]
                        popen[npool] = WO[r, j, 0]
                        pclose[npool] = WC[r, j, 0]
                        npool += 1
                work[0] += nc // 4
            pred = seq[r, p - 1]
            succ = seq[r, p + 1]
            d = dp[r, p - 1]
            lim = wcl[r, p + 1]
            bj = -1
            bv = VAL[i]
            ba = arr[r, p + 1] - 1e-6
            c = 0
            while c < npool and pval[c] >= bv:
                j = pool[c]
                c += 1
                a = d + T[pred, j]
                if single:
                    if a > pclose[c - 1] + EPS:
                        continue
                    st_j = a if a > popen[c - 1] else popen[c - 1]
                else:
                    good, st_j, cl = _start(WO, WC, WN, r, j, a)
                    if not good:
                        continue
                a2 = st_j + pser[c - 1] + TT[succ, j]
                if a2 > lim:
                    continue
                if pval[c - 1] > bv + 1e-9 or a2 < ba:
                    ok = True
                    for k in range(LOAD.shape[1]):
                        if rload[r, k] - LOAD[i, k] + LOAD[j, k] > CAP[r, k] + EPS:
                            ok = False
                    if ok:
                        bj = j
                        bv = pval[c - 1]
                        ba = a2
            work[0] += 2 + c // 2
            if bj >= 0:
                seq[r, p] = bj
                where[i] = -1
                where[bj] = r
                for k in range(LOAD.shape[1]):
                    rload[r, k] += LOAD[bj, k] - LOAD[i, k]
                recompute(D, X, r)
                improved = True
                any_change = True
                npool = -1
    return any_change


@njit(cache=True, nogil=True)
def _row_ok(T, S, WO, WC, WN, RL, RA, r, row, L, work):  # noqa: ANN001, ANN202, N803
    """Full schedule check of sequence ``row[0..L+1]`` on route ``r``."""
    prev = row[0]
    dep = RA[r]
    for p in range(1, L + 1):
        work[0] += 1
        j = row[p]
        if WN[r, j] == 0:
            return False
        good, s, c = _start(WO, WC, WN, r, j, dep + T[prev, j])
        if not good:
            return False
        dep = s + S[j]
        prev = j
    return dep + T[prev, row[L + 1]] <= RL[r] + EPS


@njit(cache=True, nogil=True, inline="always")
def _swap_tails(seq, r1, r2, p1, p2, L1, L2, row1, row2):  # noqa: ANN001, ANN202, N803
    """Write into ``row1``/``row2`` the two routes with their tails after ``p1``/``p2`` swapped.

    Each route keeps its own start and end; returns the new visit counts.
    """
    m1 = p1 + (L2 - p2)
    m2 = p2 + (L1 - p1)
    for q in range(p1 + 1):
        row1[q] = seq[r1, q]
    for q in range(p2 + 1, L2 + 1):
        row1[p1 + q - p2] = seq[r2, q]
    row1[m1 + 1] = seq[r1, L1 + 1]
    for q in range(p2 + 1):
        row2[q] = seq[r2, q]
    for q in range(p1 + 1, L1 + 1):
        row2[p2 + q - p1] = seq[r1, q]
    row2[m2 + 1] = seq[r2, L2 + 1]
    return m1, m2


@njit(cache=True, nogil=True)
def tail_exchange(D, X, r1, r2, work):  # noqa: ANN001, ANN201, N803
    """2-opt* between routes ``r1`` and ``r2``: the tail swap that lowers travel most.

    The visits stay the same, so the value does too; only problems without
    visit groups and capacities take part (those are left to ruin and recreate).
    """
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    if PAR[P_CAPPED] > 0.0 or GLIST.shape[0] > 0:
        return False
    L1 = ln[r1]
    L2 = ln[r2]
    if L1 + L2 == 0:
        return False
    n2 = seq.shape[1]
    row1 = np.empty(n2, dtype=np.int64)
    row2 = np.empty(n2, dtype=np.int64)
    old = _route_travel(T, seq, r1, L1) + _route_travel(T, seq, r2, L2)
    best = old - 1e-9
    b1 = -1
    b2 = -1
    work[0] += (L1 + 1) * (L2 + 1)
    # travel from the start to each position
    P1 = np.zeros(L1 + 1)
    for q in range(1, L1 + 1):
        P1[q] = P1[q - 1] + T[seq[r1, q - 1], seq[r1, q]]
    P2 = np.zeros(L2 + 1)
    for q in range(1, L2 + 1):
        P2[q] = P2[q - 1] + T[seq[r2, q - 1], seq[r2, q]]
    e1 = seq[r1, L1 + 1]
    e2 = seq[r2, L2 + 1]
    for p1 in range(L1 + 1):
        u1 = seq[r1, p1]
        for p2 in range(L2 + 1):
            if p1 == L1 and p2 == L2:
                continue
            m1 = p1 + (L2 - p2)
            m2 = p2 + (L1 - p1)
            if m1 > MAXN[r1] or m2 > MAXN[r2]:
                continue
            u2 = seq[r2, p2]
            # r1's head + r2's tail (+ r1's end), r2's head + r1's tail (+ r2's end)
            if p2 < L2:
                new = P1[p1] + T[u1, seq[r2, p2 + 1]] + P2[L2] - P2[p2 + 1] + T[seq[r2, L2], e1]
            else:
                new = P1[p1] + T[u1, e1]
            if p1 < L1:
                new += P2[p2] + T[u2, seq[r1, p1 + 1]] + P1[L1] - P1[p1 + 1] + T[seq[r1, L1], e2]
            else:
                new += P2[p2] + T[u2, e2]
            if new >= best:
                continue
            _swap_tails(seq, r1, r2, p1, p2, L1, L2, row1, row2)
            if not _row_ok(T, S, WO, WC, WN, RL, RA, r1, row1, m1, work):
                continue
            if not _row_ok(T, S, WO, WC, WN, RL, RA, r2, row2, m2, work):
                continue
            best = new
            b1 = p1
            b2 = p2
    if b1 < 0:
        return False
    m1, m2 = _swap_tails(seq, r1, r2, b1, b2, L1, L2, row1, row2)
    seq[r1, : m1 + 2] = row1[: m1 + 2]
    seq[r2, : m2 + 2] = row2[: m2 + 2]
    ln[r1] = m1
    ln[r2] = m2
    for q in range(1, m1 + 1):
        where[seq[r1, q]] = r1
    for q in range(1, m2 + 1):
        where[seq[r2, q]] = r2
    recompute(D, X, r1)
    recompute(D, X, r2)
    return True


@njit(cache=True, nogil=True)
def _on_path(LN, LP, lab, j):  # noqa: ANN001, ANN202, N803
    while lab > 0:
        if LN[lab] == j:
            return True
        lab = LP[lab]
    return False


@njit(cache=True, nogil=True)
def segment_opt(D, X, cand, r, i, k, extra, F, work):  # noqa: ANN001, ANN201, N803, PLR0912, PLR0915, C901
    """Re-plan the visits between positions ``i`` and ``i + k + 1`` of route ``r``.

    The prefix up to ``i`` and the suffix from ``i + k + 1`` stay. A bounded
    label-setting search (Pareto front of (departure, value) per site, capped at
    ``PAR[P_SEGF]`` labels; paths kept elementary) looks for the best chain of
    the removed and unvisited sites that leaves the prefix at its departure and
    reaches the suffix no later than its latest feasible start. With
    ``PAR[P_SEGC]`` set, the chain is drawn from the removed sites and, of the
    unvisited ones that fit the gap alone, the best by value per detour up to
    that many sites in all (the search is quadratic in their number). The chain
    replaces the segment if it is worth more, or as much and arrives earlier.
    Sites in visit groups and routes with capacities are left to the other moves.
    """
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    L = ln[r]
    if PAR[P_CAPPED] > 0.0 or i < 0 or i + k > L:
        return False
    for p in range(i + 1, i + k + 1):
        j = seq[r, p]
        if GPTR[j + 1] > GPTR[j]:
            return False
    a = seq[r, i]
    d0 = dp[r, i]
    b = seq[r, i + k + 1]
    lb = wcl[r, i + k + 1] - EPS  # latest arrival at b that keeps the tail feasible
    if i + k + 1 <= L and lb < st[r, i + k + 1]:
        lb = st[r, i + k + 1]
    vrem = 0.0
    for p in range(i + 1, i + k + 1):
        vrem += VAL[seq[r, p]]
    cur_arr = arr[r, i + k + 1]
    maxdepth = MAXN[r] - (L - k)
    if maxdepth > k + extra:
        maxdepth = k + extra
    if maxdepth < 0:
        maxdepth = 0
    # candidate sites inside the time-space ellipse of the gap
    nc = cand.shape[0]
    cl = np.empty(nc + k, dtype=np.int64)
    key = np.empty(nc + k)
    m2 = 0
    for c in range(nc + k):
        j = cand[c] if c < nc else seq[r, i + 1 + (c - nc)]
        if c < nc and where[j] >= 0:
            continue
        if WN[r, j] == 0 or GPTR[j + 1] > GPTR[j]:
            continue
        x = d0 + T[a, j]
        good, s, cc = _start(WO, WC, WN, r, j, x)
        if not good or s + S[j] + T[j, b] > lb:
            continue
        cl[m2] = j
        # the removed visits always stay; the others by value per detour
        key[m2] = INF if c >= nc else -VAL[j] / (s + S[j] + T[j, b] - d0 + 1e-6)
        m2 += 1
    work[0] += nc + 4
    top = int(PAR[P_SEGC])
    if top > 0 and m2 > top:
        keep = np.argsort(key[:m2])
        sel = np.empty(top, dtype=np.int64)
        w = 0
        for x in range(m2):
            c = keep[x]
            if key[c] == INF or x < top - k:
                sel[w] = cl[c]
                w += 1
                if w == top:
                    break
        cl[:w] = sel[:w]
        m2 = w
        work[0] += m2 * 4
    cap_lab = 1 + (maxdepth + 1) * m2 * F
    if cap_lab > 2000000:
        cap_lab = 2000000
    LN = np.empty(cap_lab, dtype=np.int64)  # node
    LD = np.empty(cap_lab)  # departure
    LV = np.empty(cap_lab)  # value
    LP = np.empty(cap_lab, dtype=np.int64)  # parent
    alive = np.zeros(cap_lab, dtype=np.bool_)
    # per candidate slot: Pareto front of labels
    front = np.full((m2, F), -1, dtype=np.int64)
    LN[0] = a
    LD[0] = d0
    LV[0] = 0.0
    LP[0] = -1
    alive[0] = True
    nl = 1
    best = -1
    best_v = -INF
    best_a = INF
    if d0 + T[a, b] <= lb:
        best = 0
        best_v = 0.0
        best_a = d0 + T[a, b]
    lo = 0
    hi = 1
    for _depth in range(maxdepth):
        for lab in range(lo, hi):
            if not alive[lab]:
                continue
            u = LN[lab]
            du = LD[lab]
            vu = LV[lab]
            work[0] += m2 + 8
            for c in range(m2):
                j = cl[c]
                x = du + T[u, j]
                good, s, cc = _start(WO, WC, WN, r, j, x)
                if not good:
                    continue
                dj = s + S[j]
                if dj + T[j, b] > lb:
                    continue
                vj = vu + VAL[j]
                # dominated by a kept label at j?
                dom = False
                worst = -1
                for f in range(F):
                    q = front[c, f]
                    if q < 0 or not alive[q]:
                        worst = f
                        continue
                    if LD[q] <= dj + 1e-9 and LV[q] >= vj - 1e-9:
                        dom = True
                        break
                if dom:
                    continue
                if _on_path(LN, LP, lab, j):
                    continue
                if nl >= cap_lab:
                    continue
                # drop the labels the new one dominates
                for f in range(F):
                    q = front[c, f]
                    if q >= 0 and alive[q] and LD[q] >= dj - 1e-9 and LV[q] <= vj + 1e-9:
                        alive[q] = False
                        front[c, f] = -1
                        worst = f
                if worst < 0:
                    # front full: replace its lowest-value label if the new one is worth more
                    wv = INF
                    for f in range(F):
                        q = front[c, f]
                        if LV[q] < wv:
                            wv = LV[q]
                            worst = f
                    if vj <= wv:
                        continue
                    alive[front[c, worst]] = False
                LN[nl] = j
                LD[nl] = dj
                LV[nl] = vj
                LP[nl] = lab
                alive[nl] = True
                front[c, worst] = nl
                ab = dj + T[j, b]
                if vj > best_v + 1e-9 or (vj >= best_v - 1e-9 and ab < best_a - 1e-9):
                    best = nl
                    best_v = vj
                    best_a = ab
                nl += 1
        lo = hi
        hi = nl
        if lo == hi:
            break
    if best < 0:
        return False
    if not (best_v > vrem + 1e-9 or (best_v >= vrem - 1e-9 and best_a < cur_arr - 1e-9)):
        return False
    # the chain, in order
    depth = 0
    q = best
    while q > 0:
        depth += 1
        q = LP[q]
    chain = np.empty(depth, dtype=np.int64)
    q = best
    for x in range(depth - 1, -1, -1):
        chain[x] = LN[q]
        q = LP[q]
    old = seq[r, : L + 2].copy()
    for p in range(i + 1, i + k + 1):
        j = old[p]
        where[j] = -1
        for kk in range(LOAD.shape[1]):
            rload[r, kk] -= LOAD[j, kk]
    w = i + 1
    for x in range(depth):
        seq[r, w] = chain[x]
        where[chain[x]] = r
        for kk in range(LOAD.shape[1]):
            rload[r, kk] += LOAD[chain[x], kk]
        w += 1
    for p in range(i + k + 1, L + 2):
        seq[r, w] = old[p]
        w += 1
    ln[r] = L - k + depth
    if not recompute(D, X, r):
        # numerical edge: undo
        for x in range(depth):
            where[chain[x]] = -1
            for kk in range(LOAD.shape[1]):
                rload[r, kk] -= LOAD[chain[x], kk]
        for p in range(i + 1, i + k + 1):
            where[old[p]] = r
            for kk in range(LOAD.shape[1]):
                rload[r, kk] += LOAD[old[p], kk]
        seq[r, : L + 2] = old
        ln[r] = L
        recompute(D, X, r)
        return False
    return True


@njit(cache=True, nogil=True)
def ruin(D, X, kind, k, work):  # noqa: ANN001, ANN201, N803
    """Remove up to ``k`` visits: 0 random, 1 segment, 2 related; return touched-route mask."""
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    seq, ln, st, dp, ms, wcl, where, rload, gcnt, arr = X
    m = ln.shape[0]
    n = where.shape[0]
    touched = np.zeros(m, dtype=np.bool_)
    total = 0
    for r in range(m):
        total += ln[r]
    if total == 0:
        return touched
    if k > total:
        k = total
    mark = np.zeros(n, dtype=np.bool_)
    if kind == 1:
        r = np.random.randint(m)
        while ln[r] == 0:
            r = np.random.randint(m)
        if k > ln[r]:
            k = ln[r]
        p0 = 1 + np.random.randint(ln[r] - k + 1)
        for p in range(p0, p0 + k):
            mark[seq[r, p]] = True
    else:
        vis = np.empty(total, dtype=np.int64)
        c = 0
        for r in range(m):
            for p in range(1, ln[r] + 1):
                vis[c] = seq[r, p]
                c += 1
        if kind == 0:
            for q in range(k):
                x = q + np.random.randint(total - q)
                vis[q], vis[x] = vis[x], vis[q]
                mark[vis[q]] = True
        else:
            s = vis[np.random.randint(total)]
            d = np.empty(total)
            for q in range(total):
                d[q] = T[s, vis[q]] + T[vis[q], s] + 1e-3 * np.random.random()
            order = np.argsort(d)
            for q in range(k):
                mark[vis[order[q]]] = True
    work[0] += total
    for r in range(m):
        p = 1
        while p <= ln[r]:
            if mark[seq[r, p]]:
                remove_at(D, X, r, p)
                touched[r] = True
            else:
                p += 1
        if touched[r]:
            recompute(D, X, r)
    return touched


@njit(cache=True, nogil=True)
def seed_sites(D, cand, count, seed):  # noqa: ANN001, ANN201, N803
    """Return ``count x m`` seed sites (-1: none), spread over the map.

    Per route, only sites that fit alone (windows, capacities, no visit group)
    qualify, and one start never seeds two routes with the same site. The
    first seed is drawn at random; each next one is the site farthest (travel
    there and back) from all seeds so far, among a random half of the pool.
    """
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    np.random.seed(seed)
    m = RS.shape[0]
    nc = cand.shape[0]
    ok = np.zeros((m, nc), dtype=np.bool_)
    for r in range(m):
        if MAXN[r] < 1:
            continue
        for c in range(nc):
            j = cand[c]
            if WN[r, j] == 0 or GPTR[j + 1] > GPTR[j]:
                continue
            fits = True
            for k in range(LOAD.shape[1]):
                if LOAD[j, k] > CAP[r, k] + 1e-9:
                    fits = False
            if not fits:
                continue
            good, s, cl = _start(WO, WC, WN, r, j, RA[r] + T[RS[r], j])
            ok[r, c] = good and s + S[j] + T[j, RE[r]] <= RL[r] + EPS
    out = np.full((count, m), -1, dtype=np.int64)
    near = np.full(nc, INF)  # travel there and back to the nearest seed so far
    chosen = 0
    for k in range(count):
        for r in range(m):
            pool = 0
            for c in range(nc):
                if ok[r, c] and not _in_row(out, k, r, cand[c]):
                    pool += 1
            if pool == 0:
                continue
            pick = -1
            if chosen == 0:
                x = np.random.randint(pool)
                for c in range(nc):
                    if ok[r, c] and not _in_row(out, k, r, cand[c]):
                        if x == 0:
                            pick = c
                            break
                        x -= 1
            else:
                far = -1.0
                for c in range(nc):
                    if not ok[r, c] or _in_row(out, k, r, cand[c]):
                        continue
                    if pool > 2 and np.random.random() >= 0.5:
                        continue
                    if near[c] > far:
                        far = near[c]
                        pick = c
                if pick < 0:  # the random half came out empty
                    for c in range(nc):
                        if ok[r, c] and not _in_row(out, k, r, cand[c]) and near[c] > far:
                            far = near[c]
                            pick = c
            j = cand[pick]
            out[k, r] = j
            chosen += 1
            for c in range(nc):
                d = T[cand[c], j] + T[j, cand[c]]
                if d < near[c]:
                    near[c] = d
    return out


@njit(cache=True, nogil=True, inline="always")
def _in_row(out, k, r, j):  # noqa: ANN001, ANN202
    """Does start ``k`` seed an earlier route than ``r`` with ``j``?"""
    q = 0
    while q < r and out[k, q] != j:
        q += 1
    return q < r


@njit(cache=True, nogil=True)
def construct(D, X, cand, seeds, noise, work, seed):  # noqa: ANN001, ANN201, N803
    """Build a start in the empty state ``X``: seed sites, greedy insertion, route improvement, refill.

    ``seeds[r]`` is a site that opens route ``r`` (-1: none; dropped if it
    does not fit); the first insertion pass uses ``noise``.
    """
    D, X = _borrowed(D), _borrowed(X)  # type: ignore[call-arg]
    m = X[1].shape[0]
    for r in range(m):
        recompute(D, X, r)
    if cand.shape[0] == 0:
        return
    np.random.seed(seed)
    for r in range(seeds.shape[0]):
        if seeds[r] >= 0:
            insert_at(D, X, r, 0, seeds[r])
            if not recompute(D, X, r):
                remove_at(D, X, r, 1)
                recompute(D, X, r)
    every = np.ones(m, dtype=np.bool_)
    none = np.zeros(X[6].shape[0], dtype=np.bool_)
    alln = np.ones((X[6].shape[0], m), dtype=np.bool_)
    greedy_insert(D, X, cand, noise, work, every, none, 2.0, alln)
    for r in range(m):
        improve_route(D, X, r, work)
    greedy_insert(D, X, cand, 0.0, work, every, none, 2.0, alln)


@njit(cache=True, nogil=True)
def settle(D, true_travel, X, cand, work, free_return):  # noqa: ANN001, ANN201, N803
    """Finish the best state: refill what the search left room for, then, if the
    search counted return legs as free (``free_return``), settle each route's
    order on ``true_travel``."""
    D, X = _borrowed(D), _borrowed(X)  # type: ignore[call-arg]
    m = X[1].shape[0]
    if cand.shape[0] == 0:
        return
    every = np.ones(m, dtype=np.bool_)
    n = X[6].shape[0]
    greedy_insert(D, X, cand, 0.0, work, every, np.zeros(n, dtype=np.bool_), 2.0, np.ones((n, m), dtype=np.bool_))
    if free_return:
        true_data = (true_travel,) + D[1:-1] + (np.ascontiguousarray(true_travel.T),)
        for r in range(m):
            recompute(true_data, X, r)
            improve_route(true_data, X, r, work)


@njit(cache=True, nogil=True)
def state_ok(D, X):  # noqa: ANN001, ANN201, N803
    """Recompute all routes and return whether all are feasible."""
    ok = True
    for r in range(X[1].shape[0]):
        if not recompute(D, X, r):
            ok = False
    return ok


@njit(cache=True, nogil=True)
def search(D, cur, best, work_state, cand, near, budget, counters, seed):  # noqa: ANN001, ANN201, N803
    """Run iterations until ``counters[0]`` (work) reaches ``budget``.

    ``counters`` = [work, iterations, last improvement iteration, phase budget,
    work at the start of the phase]; the acceptance threshold decays over the phase.
    ``near[j]`` lists the sites nearest to ``j`` (no columns: every site): the
    recreate after a ruin re-checks on a ruined route only the sites removed
    from it and their nearest ones (a granular neighbourhood); the others, which
    did not fit before the ruin, are left for a later ruin near them. With
    several routes, the refill after the local search re-checks a changed route
    for the ``PAR[P_REFILL]`` nearest sites of each of its visits.
    """
    # (mypy sees the typing signature of the intrinsic, which also takes the typing context)
    D, cur = _borrowed(D), _borrowed(cur)  # type: ignore[call-arg]
    best, work_state = _borrowed(best), _borrowed(work_state)
    T, S, VAL, SC, WO, WC, WN, RS, RE, RA, RL, LOAD, CAP, MAXN, GPTR, GLIST, GMIN, GMAX, PAR, TT = D
    np.random.seed(seed)
    m = cur[1].shape[0]
    work = counters[0:1]
    X = work_state
    cv, ct, cs = evaluate(D, cur)
    bv, bt, bs = evaluate(D, best)
    total_budget = counters[3]
    noise = PAR[P_NOISE]
    tau0 = PAR[P_TAU0]
    fresh = np.zeros(cur[6].shape[0], dtype=np.bool_)
    fresh_none = np.zeros(cur[6].shape[0], dtype=np.bool_)
    n = cur[6].shape[0]
    every_site = np.ones((n, m), dtype=np.bool_)
    granular = near.shape[1] > 0
    focus = np.ones((n, m), dtype=np.bool_)  # (site, route) pairs recreate re-checks
    owner = np.full(n, -1, dtype=np.int64)  # the route a removed visit came from
    near_refill = min(int(PAR[P_REFILL]), near.shape[1])
    while work[0] < budget and counters[1] < PAR[P_MAXIT]:
        counters[1] += 1
        work[0] += 400 + (9 * n * m) // 8  # copies, ruin and bookkeeping
        it = counters[1]
        copy_state(cur, X)
        visited = 0
        for r in range(m):
            visited += X[1][r]
        kmax = max(int(PAR[P_KMIN]), int(PAR[P_KFRAC] * visited))
        if kmax > PAR[P_KCAP]:
            kmax = int(PAR[P_KCAP])
        k = 1 + np.random.randint(kmax)
        kind = np.random.randint(3)
        if np.random.random() < PAR[P_BIG]:
            # ILS-style shake: a long run of consecutive visits of one route
            kind = 1
            k = max(k, visited // (4 * m) + np.random.randint(visited // (4 * m) + 1))
        fresh[:] = False
        for r in range(m):
            for p in range(1, X[1][r] + 1):
                fresh[X[0][r, p]] = True
                owner[X[0][r, p]] = r
        touched = ruin(D, X, kind, k, work)
        if not state_ok(D, X):
            continue
        for r in range(m):
            for p in range(1, X[1][r] + 1):
                fresh[X[0][r, p]] = False
        if granular:
            # room opened on a route only next to the visits removed from it
            focus[:, :] = False
            for j in range(n):
                if fresh[j]:
                    r = owner[j]
                    focus[j, r] = True
                    for q in range(near.shape[1]):
                        focus[near[j, q], r] = True
            work[0] += (n * m) // 8 + k * near.shape[1]
        expo = PAR[P_EXPO] if PAR[P_EXPO] > 0.0 else 1.0 + np.random.random()
        ins = greedy_insert(D, X, cand, noise, work, touched, fresh, expo, focus)
        for r in range(m):
            touched[r] = touched[r] or ins[r]
        imp = np.zeros(m, dtype=np.bool_)
        changed = False
        for r in range(m):
            if touched[r] and improve_route(D, X, r, work):
                imp[r] = True
                changed = True
            if touched[r] and PAR[P_SWAP] > 0.0 and swap_unvisited(D, X, cand, r, work):
                imp[r] = True
                changed = True
        if m > 1 and PAR[P_TAIL] > 0.0 and np.random.random() < PAR[P_TAIL]:
            r1 = np.random.randint(m)
            r2 = np.random.randint(m - 1)
            if r2 >= r1:
                r2 += 1
            if tail_exchange(D, X, r1, r2, work):
                imp[r1] = True
                imp[r2] = True
                changed = True
        if PAR[P_SEG] > 0.0 and np.random.random() < PAR[P_SEG]:
            r = np.random.randint(m)
            L = X[1][r]
            kk = np.random.randint(int(PAR[P_SEGK]) + 1)
            if kk > L:
                kk = L
            i0 = np.random.randint(L - kk + 1)
            if segment_opt(D, X, cand, r, i0, kk, 3, int(PAR[P_SEGF]), work):
                imp[r] = True
                changed = True
        if changed and m > 1:
            # (with one route the next ruin-and-recreate refills it anyway)
            if near_refill > 0:
                # an improved route, only for the sites nearest to its visits
                focus[:, :] = False
                for r in range(m):
                    if imp[r]:
                        for p in range(1, X[1][r] + 1):
                            j = X[0][r, p]
                            for q in range(near_refill):
                                focus[near[j, q], r] = True
                        work[0] += X[1][r] * near_refill
                work[0] += (n * m) // 8
                greedy_insert(D, X, cand, 0.0, work, imp, fresh_none, expo, focus)
            else:
                greedy_insert(D, X, cand, 0.0, work, imp, fresh_none, expo, every_site)
        v, t, sc = evaluate(D, X)
        frac = (work[0] - counters[4]) / total_budget
        if frac > 1.0:
            frac = 1.0
        thr = tau0 * (1.0 - frac) * (bs if bs > 1.0 else 1.0)
        accept = _better(v, t, cv, ct) or v >= bv - thr
        if accept:
            copy_state(X, cur)
            cv, ct = v, t
            if _better(v, t, bv, bt):
                copy_state(X, best)
                bv, bt, bs = v, t, sc
                counters[2] = it
        if it - counters[2] > PAR[P_RESTART]:
            copy_state(best, cur)
            cv, ct = bv, bt
            counters[2] = it
    return bv, bt


load_quickly(globals())  # cached kernels load without setting up the compiler (tourplan/_jitcache.py)
