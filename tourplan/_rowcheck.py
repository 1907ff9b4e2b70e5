"""The reader of one row of the site data: each cell checked, each problem recorded.

:class:`RowChecker` reads a row of ``pois.csv`` (:meth:`RowChecker.site`) or
of ``edges.csv`` (:meth:`RowChecker.edge`) cell by cell, appends an
:class:`~tourplan.errors.Issue` for every bad value and builds the record
when every cell has passed.  The public checks over rows and tables are in
:mod:`tourplan.sitecheck`.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from tourplan.errors import Issue
from tourplan.hours import HoursError, check_hours
from tourplan.messages import Message, Name
from tourplan.site import (
    CATEGORIES,
    CONFIDENCE_LEVELS,
    EDGE_MODES,
    GRADES,
    STUDY_PRODUCTS,
    THEMES,
    TICKET_RULES,
    Edge,
    Site,
    fold_name,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tourplan.site import Region, SiteTable

__all__ = ["RowChecker"]

#: Rules for a site that sells its own ticket (``ticket_cny`` above 0).
_PRICED_RULES = frozenset(
    {"national_youth_2012", "henan_public_scenic_2020", "patriotic_base_free_school", "site_specific"}
)

#: An older name of ``activity_en``, still accepted when reading a table.
_LEGACY_ACTIVITY = "activity"
_MAX_ALIASES = 20
_MAX_ALIAS_LEN = 100
#: Chinese names of the regions (the default region's; another is named as given).
_REGION_ZH = {"Jiaozuo": "焦作"}
_CJK_RE = re.compile(r"[\u3400-\u9fff]")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


class RowChecker:
    """Parse one row's fields, appending an Issue for each bad value.

    Every good value is kept in :attr:`values` under its column's name,
    which is also the name of the record's field (``activity_en`` apart: it
    fills ``Site.activity``), so :meth:`site` and :meth:`edge` build their
    record from them.
    """

    def __init__(self, file: str, row: int | None, rec: dict[str, str], out: list[Issue]) -> None:
        self.file, self.row, self.rec, self.out = file, row, rec, out
        self.ok = True
        self.values: dict[str, Any] = {}

    def bad(self, column: str, value: str | None, code: str, **params: Any) -> None:
        """Record a bad value of *column*: what was expected is message *code* with *params*."""
        self.ok = False
        self.out.append(Issue.coded(self.file, self.row, column, value, Message(code, params)))

    def text(self, col: str, *, required: bool = False, max_len: int = 2000) -> str:
        val = self.rec.get(col, "")
        if required and not val:
            self.bad(col, val, "data_nonempty")
        elif len(val) > max_len:
            self.bad(col, val[:40] + "…", "data_max_chars", n=max_len)
        self.values[col] = val
        return val

    def number(
        self,
        col: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        optional: bool = False,
        integer: bool = False,
        default: float | None = None,
    ) -> float | None:
        val = self.rec.get(col, "")
        if val == "":
            if optional:
                self.values[col] = default
                return default
            self.bad(col, val, "data_number")
            return None
        try:
            x = float(val)
        except ValueError:
            self.bad(col, val, "data_number")
            return None
        if not math.isfinite(x):
            self.bad(col, val, "data_finite")
            return None
        if integer and x != int(x):
            self.bad(col, val, "data_whole")
            return None
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            code, bounds = _range(lo, hi)
            self.bad(col, val, code, **bounds)
            return None
        if integer:
            x = int(x)
        self.values[col] = x
        return x

    def boolean(self, col: str, *, default: bool | None = None) -> bool | None:
        val = self.rec.get(col, "").lower()
        if val == "" and default is not None:
            flag = default
        elif val in _TRUE or val in _FALSE:
            flag = val in _TRUE
        else:
            self.bad(col, self.rec.get(col, ""), "data_bool")
            return None
        self.values[col] = flag
        return flag

    def keys(self, col: str, vocab: Sequence[str]) -> frozenset[str]:
        val = self.rec.get(col, "")
        items = [p.strip() for p in re.split(r"[;,|]", val) if p.strip()]
        unknown = [p for p in items if p not in vocab]
        if unknown:
            self.bad(col, val, "data_keys", vocab=list(vocab), unknown=unknown)
        keys = frozenset(p for p in items if p in vocab)
        self.values[col] = keys
        return keys

    def activities(self) -> None:
        """The English and Chinese activity phrases (``activity`` is the old English column)."""
        en = self.text("activity_en", max_len=300)
        old = self.text(_LEGACY_ACTIVITY, max_len=300)
        if en and old and en != old:
            self.bad(_LEGACY_ACTIVITY, old, "data_activity_legacy")
        zh = self.text("activity_zh", max_len=300)
        if zh and not _CJK_RE.search(zh):
            self.bad("activity_zh", zh, "data_activity_zh")
        del self.values["activity_en"]
        self.values["activity"] = en or old  # Site.activity is the English phrase

    def tickets(self, price: float | None, parent: str | None) -> None:
        """The ticket rule, the sourced concession prices and the rule's source.

        The rule must fit the row's price: a priced rule needs ``ticket_cny``
        above 0, ``free`` and ``free_public_museum_2008`` need 0, and
        ``area_ticket`` needs 0 and a ``parent_id`` (that the parent sells a
        ticket is checked over the whole table).  Concession prices come only
        with ``site_specific`` (which needs at least one), each at most the
        adult price.
        """
        rule = self.text("ticket_rule", max_len=40)
        source = self.text("ticket_source")
        student = self.number("ticket_student_cny", lo=0, hi=100_000, optional=True)
        child = self.number("ticket_child_cny", lo=0, hi=100_000, optional=True)
        if not rule:
            for col, val in (("ticket_student_cny", student), ("ticket_child_cny", child)):
                if val is not None:
                    self.bad(col, self.rec[col], "data_concession_no_rule")
            return
        if rule not in TICKET_RULES:
            self.bad("ticket_rule", rule, "data_one_of", choices=list(TICKET_RULES))
            return
        if not source:
            self.bad("ticket_source", source, "data_ticket_source", rule=rule)
        if price is not None:
            if rule in _PRICED_RULES and price <= 0:
                self.bad("ticket_rule", rule, "data_rule_for_free", rule=rule)
            elif rule not in _PRICED_RULES and price > 0:
                self.bad(
                    "ticket_rule",
                    rule,
                    "data_rule_for_priced",
                    rules=sorted(_PRICED_RULES),
                    price=f"{price:g}",
                )
        if rule == "area_ticket" and parent is None:
            self.bad("ticket_rule", rule, "data_area_ticket_parent")
        if rule == "site_specific":
            if student is None and child is None:
                self.bad("ticket_student_cny", "", "data_site_specific_price")
            for col, val in (("ticket_student_cny", student), ("ticket_child_cny", child)):
                if val is not None and price is not None and val > price:
                    self.bad(col, self.rec[col], "data_at_most_adult", price=f"{price:g}")
        else:
            for col, val in (("ticket_student_cny", student), ("ticket_child_cny", child)):
                if val is not None:
                    self.bad(col, self.rec[col], "data_concession_by_rule", rule=rule)

    def aliases(self, names: tuple[str, str]) -> None:
        """Other names of the place, ``;``-separated.

        Repeats and aliases equal to the row's own names are dropped (a
        renamed site may keep its old name as an alias and vice versa).
        """
        val = self.rec.get("aliases", "")
        items = [a.strip() for a in re.split(r"[;；]", val) if a.strip()]
        own = {fold_name(n) for n in names if n}
        out: list[str] = []
        seen: set[str] = set()
        for a in items:
            key = fold_name(a)
            if len(a) > _MAX_ALIAS_LEN:
                self.bad("aliases", a[:40] + "…", "data_alias_len", n=_MAX_ALIAS_LEN)
            elif not key:
                self.bad("aliases", a, "data_alias_blank")
            elif key not in own and key not in seen:
                seen.add(key)
                out.append(a)
        if len(items) > _MAX_ALIASES:
            self.bad("aliases", val[:40] + "…", "data_alias_count", n=_MAX_ALIASES)
        self.values["aliases"] = tuple(out)

    def site(self, region: Region) -> Site | None:
        """The row as a :class:`Site`, or None when a column is bad (each one recorded)."""
        sid = self.text("id", required=True)
        if sid and not _ID_RE.match(sid):
            self.bad("id", sid, "data_id_chars")
        name_zh = self.text("name_zh", max_len=200)
        name_en = self.text("name_en", max_len=200)
        if not name_zh and not name_en:
            self.bad("name_zh", name_zh, "data_name_needed")
        category = self.text("category", required=True)
        if category and category not in CATEGORIES:
            self.bad("category", category, "data_one_of", choices=list(CATEGORIES))
        self.keys("themes", THEMES)
        lat = self.number("lat")
        lon = self.number("lon")
        if lat is not None and lon is not None and not region.contains(lat, lon):
            if region.contains(lon, lat):
                self.bad("lat", self.rec["lat"], "data_latlon_swapped", lat=str(lat), lon=str(lon))
            elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
                col, limit = ("lat", 90) if not -90 <= lat <= 90 else ("lon", 180)
                self.bad(col, self.rec[col], "data_degrees", lo=-limit, hi=limit)
            else:
                self.bad(
                    "lat",
                    f"{self.rec['lat']},{self.rec['lon']}",
                    "data_point_in_region",
                    region=Name(_REGION_ZH.get(region.name, region.name), region.name),
                    **{k: str(getattr(region, k)) for k in ("south", "north", "west", "east")},
                )
        self.number("location_error_m", lo=0, hi=200_000)
        self.number("elevation_m", lo=-500, hi=9000, optional=True)
        hours = self.text("opening_hours")
        if hours:
            try:
                check_hours(hours)
            except HoursError:
                self.bad("opening_hours", hours, "data_hours")
        self.number("visit_minutes", lo=0, hi=24 * 60, integer=True)
        ticket = self.number("ticket_cny", lo=0, hi=100_000)
        c0 = self.number("capacity_instant", lo=0, integer=True)
        c1 = self.number("capacity_daily", lo=0, integer=True)
        if c0 is not None and c1 is not None and c0 > 0 and c1 > 0 and c1 < c0:
            self.bad("capacity_daily", self.rec["capacity_daily"], "data_capacity_daily", c0=int(c0))
        self.number("popularity", lo=0, hi=10)
        self.boolean("indoor")
        self.boolean("accessible", default=True)
        self.keys("study_grades", GRADES)
        self.keys("study_products", STUDY_PRODUCTS)
        self.text("source", required=True)
        confidence = self.text("confidence", required=True)
        if confidence and confidence not in CONFIDENCE_LEVELS:
            self.bad("confidence", confidence, "data_confidence")
        self.number("trail_km", lo=0, hi=100, optional=True)
        self.number("trail_ascent_m", lo=0, hi=5000, optional=True)
        parent = self.text("parent_id") or None
        self.values["parent_id"] = parent
        if parent is not None and parent == sid:
            self.bad("parent_id", parent, "data_parent_self")
        self.activities()
        self.aliases((name_zh, name_en))
        self.tickets(ticket, parent)
        if not self.ok:
            return None
        # The free texts come last, once the rest has passed: a row whose only
        # fault is a text too long still gives its Site (and the problem).
        self.text("study_notes")
        self.text("district", max_len=100)
        self.text("note", max_len=5000)
        return Site(**self.values)

    def edge(self, sites: SiteTable) -> Edge | None:
        """The row of ``edges.csv`` as an :class:`Edge` between two sites of *sites*, or None."""
        a = self.text("from_id", required=True)
        b = self.text("to_id", required=True)
        for col, sid in (("from_id", a), ("to_id", b)):
            if sid and sites.get(sid) is None:
                self.bad(col, sid, "data_site_id")
        if a and a == b:
            self.bad("to_id", b, "data_other_than_from")
        mode = self.text("mode", required=True)
        if mode and mode not in EDGE_MODES:
            self.bad("mode", mode, "data_one_of", choices=list(EDGE_MODES))
        minutes = self.number("minutes", lo=0, hi=24 * 60, optional=True)
        dist = self.number("distance_km", lo=0, hi=1000)
        self.number("ascent_m", lo=0, hi=9000, optional=True, default=0.0)
        self.number("descent_m", lo=0, hi=9000, optional=True, default=0.0)
        self.boolean("bidirectional", default=True)
        if minutes is None and dist is not None and dist == 0:
            self.bad("minutes", "", "data_minutes_needed")
        if not self.ok:
            return None
        for col in ("kind", "source", "note"):
            self.text(col)
        return Edge(**self.values)


def _range(lo: float | None, hi: float | None) -> tuple[str, dict[str, str]]:
    """The message of a number out of range: its code and its bounds as text."""
    if lo is not None and hi is not None:
        return "data_number_range", {"lo": f"{lo:g}", "hi": f"{hi:g}"}
    if lo is not None:
        return "data_number_min", {"lo": f"{lo:g}"}
    return "data_number_max", {"hi": f"{hi:g}"}
