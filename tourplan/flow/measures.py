"""Countermeasures a tourism office takes on a peak day, as the simulation applies them.

* **Timed entry (分时预约)**: a quota of entries per site and slot.  By the
  LB/T 034-2014 method a site turns over ``T / t`` times a day (``t`` its
  mean visit time), so to keep at most C0 inside, a slot of ``Δ`` minutes
  admits ``floor(C0 · Δ / t)`` (:func:`lbt_quota`); or a number given per
  site.  A site under quotas also stops entries while it is full (the red
  tier's 限流), so nobody queues at its gate: a visitor whose slot is used
  up, or who finds the site (or, for a part of a parent area such as
  云台山, the whole area, against the area's C0) full, takes the next slot with quota left
  (shifted), else spends the stop's time at the plan's alternative site
  (:func:`alternatives`), else goes on with
  the rest of the plan; one who gets in nowhere is turned away.
* **Daily cap (限流)**: most admissions a day per site; over it, the same
  alternatives (no later slot helps).
* **Moving school groups (错峰)**: school-group units (segments with
  ``group_size > 1``) start ``group_shift_minutes`` later (or earlier).

:class:`Measures` is part of a :class:`~tourplan.flow.Scenario`;
:func:`controls` turns it into the arrays the compiled core takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tourplan.errors import RequestValidationError
from tourplan.flow.engine import Controls
from tourplan.hours import open_intervals
from tourplan.itinerary import site_score
from tourplan.rules import PASS_THROUGH

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence

    from tourplan.flow._types import FloatArray, IntArray
    from tourplan.site import Site

__all__ = ["ALT_TRAVEL_MINUTES", "ALT_VISIT_FACTOR", "Measures", "alternatives", "controls", "lbt_quota"]

#: ASSUMPTION: a visitor refused at a site goes to an alternative at most this far (their mode's minutes).
ALT_TRAVEL_MINUTES = 45.0
#: ASSUMPTION: nor to a site whose visit takes more than this many times the refused one's.
ALT_VISIT_FACTOR = 1.5


@dataclass(frozen=True)
class Measures:
    """Countermeasures of a scenario (none by default).

    Parameters
    ----------
    timed_entry
        Timed-entry quotas at every site with a C0 and a visit time, by
        :func:`lbt_quota` (``quotas`` override single sites).
    quotas
        ``(site id, entries per slot)`` pairs; the slot is the scenario's
        ``slot_minutes``.
    daily_caps
        ``(site id, admissions a day)`` pairs.
    group_shift_minutes
        Minutes school-group units start later (negative: earlier).
    """

    timed_entry: bool = False
    quotas: tuple[tuple[str, int], ...] = ()
    daily_caps: tuple[tuple[str, int], ...] = ()
    group_shift_minutes: int = 0

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.timed_entry, bool):
            errors["measures.timed_entry"] = f"expected true or false, got {self.timed_entry!r}"
        for name, pairs in (("quotas", self.quotas), ("daily_caps", self.daily_caps)):
            ids = [p[0] for p in pairs]
            if len(set(ids)) != len(ids):
                errors[f"measures.{name}"] = "each site at most once"
            for sid, n in pairs:
                if not (
                    isinstance(sid, str) and sid and isinstance(n, int) and not isinstance(n, bool) and n >= 0
                ):
                    errors[f"measures.{name}"] = f"expected site id: whole number >= 0, got {sid!r}: {n!r}"
        g = self.group_shift_minutes
        if not (isinstance(g, int) and not isinstance(g, bool) and -240 <= g <= 240):
            errors["measures.group_shift_minutes"] = f"expected whole minutes from -240 to 240, got {g!r}"
        if errors:
            raise RequestValidationError(errors)

    @property
    def active(self) -> bool:
        """Whether any measure is set."""
        return bool(self.timed_entry or self.quotas or self.daily_caps or self.group_shift_minutes)

    @property
    def gates(self) -> bool:
        """Whether any site has a quota or a daily cap (the core's controls are needed)."""
        return bool(self.timed_entry or self.quotas or self.daily_caps)

    def to_dict(self) -> dict[str, Any]:
        """The form :meth:`from_dict` reads."""
        return {
            "timed_entry": self.timed_entry,
            "quotas": dict(self.quotas),
            "daily_caps": dict(self.daily_caps),
            "group_shift_minutes": self.group_shift_minutes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measures:
        """Read ``{timed_entry, quotas: {site: n}, daily_caps: {site: n}, group_shift_minutes}``.

        Raises
        ------
        RequestValidationError
            Naming every bad field (``measures.<field>``).

        Examples
        --------
        >>> Measures.from_dict({"timed_entry": True, "daily_caps": {"jiaozuo_museum": 3000}}).daily_caps
        (('jiaozuo_museum', 3000),)
        """
        if not isinstance(data, dict):
            raise RequestValidationError({"measures": f"expected an object, got {data!r}"})
        errors: dict[str, str] = {}
        kw: dict[str, Any] = {}
        known = ("timed_entry", "quotas", "daily_caps", "group_shift_minutes")
        for k in data:
            if k not in known:
                errors[f"measures.{k}"] = "unknown field"
        if data.get("timed_entry") is not None:
            kw["timed_entry"] = data["timed_entry"]
        for name in ("quotas", "daily_caps"):
            if data.get(name) is None:
                continue
            value = data[name]
            if not isinstance(value, dict):
                errors[f"measures.{name}"] = f"expected an object of site id: whole number, got {value!r}"
                continue
            kw[name] = tuple(sorted((str(k), _whole(v)) for k, v in value.items()))
        if data.get("group_shift_minutes") is not None:
            kw["group_shift_minutes"] = _whole(data["group_shift_minutes"])
        try:
            measures = cls(**kw)
        except RequestValidationError as exc:
            errors = {**exc.errors, **errors}
        if errors:
            raise RequestValidationError(errors)
        return measures


def _whole(v: Any) -> Any:
    """A whole number from JSON (``3``, ``3.0``, ``"3"``); anything else unchanged, for the check to name."""
    if isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return v


def lbt_quota(capacity_instant: int, visit_minutes: float, slot_minutes: int) -> int:
    """Entries per slot that keep a site at its C0 by the LB/T 034-2014 turnover (0 if not applicable).

    C1 = C0 x T / t over T minutes open, so a slot of Δ minutes admits
    ``floor(C0 x Δ / t)``, at least 1 where the site has a C0 and a visit time.

    Examples
    --------
    >>> lbt_quota(1200, 120, 15), lbt_quota(100, 20, 15), lbt_quota(0, 60, 15)
    (150, 75, 0)
    """
    if capacity_instant <= 0 or visit_minutes <= 0:
        return 0
    return max(1, math.floor(capacity_instant * slot_minutes / visit_minutes))


def quota_table(measures: Measures, site_list: Sequence[Site], slot_minutes: int) -> dict[str, int]:
    """Entries per slot per site under the measures (timed entry by :func:`lbt_quota`, then the given ones)."""
    out: dict[str, int] = {}
    if measures.timed_entry:
        for s in site_list:
            q = lbt_quota(s.capacity_instant, s.visit_minutes, slot_minutes)
            if q > 0 and s.category not in PASS_THROUGH:
                out[s.id] = q
    out.update(dict(measures.quotas))
    return out


def controls(
    measures: Measures, site_list: Sequence[Site], slot_minutes: int, alt: IntArray
) -> tuple[Controls, int, int]:
    """The core's :class:`~tourplan.flow.engine.Controls`, with the numbers of sites under quotas and caps."""
    idx = {s.id: i for i, s in enumerate(site_list)}
    n = len(site_list)
    n_q = math.ceil(24 * 60 / slot_minutes) + 1
    quota = np.full((n, n_q), -1, dtype=np.int64)
    table = quota_table(measures, site_list, slot_minutes)
    for sid, q in table.items():
        quota[idx[sid], :] = q
    cap = np.full(n, -1, dtype=np.int64)
    for sid, c in measures.daily_caps:
        cap[idx[sid]] = c
    area_of = np.full(n, -1, dtype=np.int64)
    area_cap: list[int] = []
    if measures.timed_entry:
        parents = sorted({s.parent_id for s in site_list if s.parent_id in idx})
        rows = {}
        for p in parents:
            if site_list[idx[p]].capacity_instant > 0:
                rows[p] = len(area_cap)
                area_cap.append(site_list[idx[p]].capacity_instant)
        for i, s in enumerate(site_list):
            area = s.id if s.id in rows else s.parent_id
            if area in rows:
                area_of[i] = rows[area]
    ctl = Controls(quota, float(slot_minutes), cap, alt, area_of, np.array(area_cap, dtype=np.int64))
    return ctl, len(table), len(measures.daily_caps)


def alternatives(
    site_list: Sequence[Site],
    date: dt.date,
    plans: Sequence[tuple[str, ...]],
    interests: Sequence[Mapping[str, float]],
    travel: Sequence[FloatArray],
) -> list[tuple[int, ...]]:
    """Per plan, per stop, the site a visitor refused there goes to instead (-1: none).

    The best match for the plan's interests (:func:`~tourplan.itinerary.site_score`)
    among the sites open that day with a C0 and a visit time that are not in
    the plan, of the same kind (a restaurant for a restaurant, a sight for a
    sight), whose visit time is at most :data:`ALT_VISIT_FACTOR` times the
    refused site's (the visitor spends the stop's planned time there), at
    most :data:`ALT_TRAVEL_MINUTES` away by the plan's travel matrix
    ``travel[p]``.  Deterministic; ties go to the lower site index.
    """
    idx = {s.id: i for i, s in enumerate(site_list)}
    usable = [
        i
        for i, s in enumerate(site_list)
        if s.category not in PASS_THROUGH and s.capacity_instant > 0 and s.visit_minutes > 0
        and open_intervals(s.opening_hours, date)
    ]  # fmt: skip
    ranked: dict[tuple[tuple[str, float], ...], list[int]] = {}
    out: list[tuple[int, ...]] = []
    for sites, weights, mat in zip(plans, interests, travel, strict=True):
        key = tuple(sorted(weights.items()))
        if key not in ranked:
            ranked[key] = sorted(usable, key=lambda i: (-site_score(site_list[i], weights), i))
        in_plan = {idx[x] for x in sites}
        row: list[int] = []
        for x in sites:
            i = idx[x]
            food = site_list[i].category == "food"
            pick = -1
            if site_list[i].category not in PASS_THROUGH:
                for cand in ranked[key]:
                    if cand in in_plan or (site_list[cand].category == "food") != food:
                        continue
                    if site_list[cand].visit_minutes > ALT_VISIT_FACTOR * site_list[i].visit_minutes:
                        continue
                    if mat[i, cand] <= ALT_TRAVEL_MINUTES:
                        pick = cand
                        break
            row.append(pick)
        out.append(tuple(row))
    return out
