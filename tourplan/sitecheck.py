"""Checks of the site data's rows: one row, a whole table, the way back.

:func:`check_site_row` turns one ``pois.csv`` row (column -> text) into a
:class:`~tourplan.site.Site` or one :class:`~tourplan.errors.DataValidationError`
naming every bad column; :func:`site_row` writes a site back as such a row.
:func:`check_site_table` checks every row of a table and what lies between
rows (unique ids, parents, aliases, area tickets), :func:`check_edge_table`
the rows of ``edges.csv``, and :func:`likely_gcj02` finds points that were
probably read off a Chinese street map.  Reading the files is
:mod:`tourplan.data`'s part.

Row numbers in messages are data rows counted from 1 (the header is not a
row).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError, Issue
from tourplan.hours import HoursError, check_hours
from tourplan.site import (
    CATEGORIES,
    CONFIDENCE_LEVELS,
    EDGE_MODES,
    GRADES,
    STUDY_PRODUCTS,
    THEMES,
    TICKET_RULES,
    Edge,
    Region,
    Site,
    SiteTable,
    fold_name,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "check_edge_table",
    "check_site_row",
    "check_site_table",
    "likely_gcj02",
    "site_row",
]


#: Rules for a site that sells its own ticket (``ticket_cny`` above 0).
_PRICED_RULES = frozenset(
    {"national_youth_2012", "henan_public_scenic_2020", "patriotic_base_free_school", "site_specific"}
)

#: An older name of ``activity_en``, still accepted when reading a table.
_LEGACY_ACTIVITY = "activity"
_MAX_ALIASES = 20
_MAX_ALIAS_LEN = 100
_CJK_RE = re.compile(r"[\u3400-\u9fff]")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def check_site_row(
    row: Mapping[str, str],
    *,
    name: str = "<edit>",
    row_number: int | None = None,
    region: Region | None = None,
    known_ids: Iterable[str] | None = None,
) -> Site:
    """Validate one row with exactly the rules of :func:`parse_sites`.

    Parameters
    ----------
    row
        Column -> text, as in ``pois.csv`` (values are stripped first).
    name, row_number
        Where the row comes from, for the messages.
    region
        The box every site must lie in; Jiaozuo by default.
    known_ids
        When given, ``parent_id`` must be one of them.

    Returns
    -------
    Site

    Raises
    ------
    DataValidationError
        With one problem per bad column.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> row = site_row(load_sites()["jiaozuo_station"])
    >>> check_site_row({**row, "lat": "95"})
    Traceback (most recent call last):
    ...
    tourplan.errors.DataValidationError: 1 problem in site data: <edit>, column 'lat': got '95'; expected a number from -90 to 90 (WGS-84 degrees)
    """
    problems: list[Issue] = []
    rec = {str(k): str(v).strip() for k, v in row.items()}
    site = _RowChecker(name, row_number, rec, problems).site(region or Region())
    parent = None if site is None else site.parent_id
    if parent is not None and known_ids is not None and parent not in set(known_ids):
        problems.append(Issue(name, row_number, "parent_id", parent, "the id of another row"))
    if problems or site is None:
        raise DataValidationError(problems)
    return site


def site_row(site: Site) -> dict[str, str]:
    """A site as a ``pois.csv`` row (column -> text); :func:`check_site_row` reads it back.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> s = load_sites()["jiaozuo_station"]
    >>> check_site_row(site_row(s)) == s
    True
    """

    def num(x: float | None) -> str:
        return "" if x is None else repr(float(x)) if x != int(x) else str(int(x))

    return {
        "id": site.id,
        "name_zh": site.name_zh,
        "name_en": site.name_en,
        "aliases": ";".join(site.aliases),
        "category": site.category,
        "themes": ";".join(sorted(site.themes)),
        "lat": repr(site.lat),
        "lon": repr(site.lon),
        "location_error_m": num(site.location_error_m),
        "elevation_m": num(site.elevation_m),
        "opening_hours": site.opening_hours,
        "visit_minutes": str(site.visit_minutes),
        "ticket_cny": num(site.ticket_cny),
        "capacity_instant": str(site.capacity_instant),
        "capacity_daily": str(site.capacity_daily),
        "popularity": num(site.popularity),
        "indoor": str(site.indoor).lower(),
        "accessible": str(site.accessible).lower(),
        "study_grades": ";".join(sorted(site.study_grades)),
        "study_products": ";".join(sorted(site.study_products)),
        "study_notes": site.study_notes,
        "activity_en": site.activity,
        "activity_zh": site.activity_zh,
        "parent_id": site.parent_id or "",
        "district": site.district,
        "source": site.source,
        "confidence": site.confidence,
        "note": site.note,
        "ticket_rule": site.ticket_rule,
        "ticket_student_cny": num(site.ticket_student_cny),
        "ticket_child_cny": num(site.ticket_child_cny),
        "ticket_source": site.ticket_source,
        "trail_km": num(site.trail_km),
        "trail_ascent_m": num(site.trail_ascent_m),
    }


class _RowChecker:
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

    def bad(self, column: str, value: str | None, expected: str) -> None:
        self.ok = False
        self.out.append(Issue(self.file, self.row, column, value, expected))

    def text(self, col: str, *, required: bool = False, max_len: int = 2000) -> str:
        val = self.rec.get(col, "")
        if required and not val:
            self.bad(col, val, "a non-empty value")
        elif len(val) > max_len:
            self.bad(col, val[:40] + "…", f"at most {max_len} characters")
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
            self.bad(col, val, "a number")
            return None
        try:
            x = float(val)
        except ValueError:
            self.bad(col, val, "a number")
            return None
        if not math.isfinite(x):
            self.bad(col, val, "a finite number")
            return None
        if integer and x != int(x):
            self.bad(col, val, "a whole number")
            return None
        rng = _range_words(lo, hi)
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            self.bad(col, val, f"a number {rng}")
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
            self.bad(col, self.rec.get(col, ""), "true or false")
            return None
        self.values[col] = flag
        return flag

    def keys(self, col: str, vocab: Sequence[str]) -> frozenset[str]:
        val = self.rec.get(col, "")
        items = [p.strip() for p in re.split(r"[;,|]", val) if p.strip()]
        unknown = [p for p in items if p not in vocab]
        if unknown:
            self.bad(
                col,
                val,
                f"';'-separated keys from: {', '.join(vocab)} (unknown: {', '.join(unknown)})",
            )
        keys = frozenset(p for p in items if p in vocab)
        self.values[col] = keys
        return keys

    def activities(self) -> None:
        """The English and Chinese activity phrases (``activity`` is the old English column)."""
        en = self.text("activity_en", max_len=300)
        old = self.text(_LEGACY_ACTIVITY, max_len=300)
        if en and old and en != old:
            self.bad(
                _LEGACY_ACTIVITY,
                old,
                "the same text as activity_en, or an empty cell (activity is the old name of activity_en)",
            )
        zh = self.text("activity_zh", max_len=300)
        if zh and not _CJK_RE.search(zh):
            self.bad("activity_zh", zh, "Chinese text (the English phrase goes in activity_en)")
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
                    self.bad(col, self.rec[col], "an empty cell unless ticket_rule is site_specific")
            return
        if rule not in TICKET_RULES:
            self.bad("ticket_rule", rule, f"one of {', '.join(TICKET_RULES)}")
            return
        if not source:
            self.bad(
                "ticket_source",
                source,
                f"the source of ticket rule {rule} (a notice or page; say 'assumed' where no "
                "site-specific source exists)",
            )
        if price is not None:
            if rule in _PRICED_RULES and price <= 0:
                self.bad(
                    "ticket_rule",
                    rule,
                    f"a rule for a free site (free, free_public_museum_2008 or area_ticket): "
                    f"{rule} needs a ticket_cny above 0",
                )
            elif rule not in _PRICED_RULES and price > 0:
                self.bad(
                    "ticket_rule",
                    rule,
                    f"a rule for a priced site ({', '.join(sorted(_PRICED_RULES))}): "
                    f"ticket_cny is {price:g}, not 0",
                )
        if rule == "area_ticket" and parent is None:
            self.bad("ticket_rule", rule, "a parent_id for area_ticket (the area whose ticket admits)")
        if rule == "site_specific":
            if student is None and child is None:
                self.bad(
                    "ticket_student_cny",
                    "",
                    "a sourced student or child price (ticket_student_cny or ticket_child_cny) "
                    "for ticket_rule site_specific",
                )
            for col, val in (("ticket_student_cny", student), ("ticket_child_cny", child)):
                if val is not None and price is not None and val > price:
                    self.bad(col, self.rec[col], f"at most the adult ticket_cny ({price:g})")
        else:
            for col, val in (("ticket_student_cny", student), ("ticket_child_cny", child)):
                if val is not None:
                    self.bad(
                        col,
                        self.rec[col],
                        f"an empty cell: rule {rule} sets this price (give it only with site_specific)",
                    )

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
                self.bad("aliases", a[:40] + "…", f"names of at most {_MAX_ALIAS_LEN} characters")
            elif not key:
                self.bad("aliases", a, "a name with letters or characters in it")
            elif key not in own and key not in seen:
                seen.add(key)
                out.append(a)
        if len(items) > _MAX_ALIASES:
            self.bad("aliases", val[:40] + "…", f"at most {_MAX_ALIASES} aliases")
        self.values["aliases"] = tuple(out)

    def site(self, region: Region) -> Site | None:
        """The row as a :class:`Site`, or None when a column is bad (each one recorded)."""
        sid = self.text("id", required=True)
        if sid and not _ID_RE.match(sid):
            self.bad("id", sid, "lower-case letters, digits, '_' or '-' (at most 80)")
        name_zh = self.text("name_zh", max_len=200)
        name_en = self.text("name_en", max_len=200)
        if not name_zh and not name_en:
            self.bad("name_zh", name_zh, "a name in name_zh or name_en")
        category = self.text("category", required=True)
        if category and category not in CATEGORIES:
            self.bad("category", category, f"one of {', '.join(CATEGORIES)}")
        self.keys("themes", THEMES)
        lat = self.number("lat")
        lon = self.number("lon")
        if lat is not None and lon is not None and not region.contains(lat, lon):
            if region.contains(lon, lat):
                self.bad("lat", self.rec["lat"], f"a latitude; lat and lon look swapped ({lat}, {lon})")
            elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
                col = "lat" if not -90 <= lat <= 90 else "lon"
                rng = "from -90 to 90" if col == "lat" else "from -180 to 180"
                self.bad(col, self.rec[col], f"a number {rng} (WGS-84 degrees)")
            else:
                self.bad(
                    "lat",
                    f"{self.rec['lat']},{self.rec['lon']}",
                    f"a WGS-84 point within {region.name} (lat {region.south}-{region.north}, "
                    f"lon {region.west}-{region.east})",
                )
        self.number("location_error_m", lo=0, hi=200_000)
        self.number("elevation_m", lo=-500, hi=9000, optional=True)
        hours = self.text("opening_hours")
        if hours:
            try:
                check_hours(hours)
            except HoursError:
                self.bad(
                    "opening_hours",
                    hours,
                    "an OpenStreetMap opening_hours value, e.g. 'Tu-Su 09:00-17:00'",
                )
        self.number("visit_minutes", lo=0, hi=24 * 60, integer=True)
        ticket = self.number("ticket_cny", lo=0, hi=100_000)
        c0 = self.number("capacity_instant", lo=0, integer=True)
        c1 = self.number("capacity_daily", lo=0, integer=True)
        if c0 is not None and c1 is not None and c0 > 0 and c1 > 0 and c1 < c0:
            self.bad(
                "capacity_daily",
                self.rec["capacity_daily"],
                f"at least capacity_instant ({int(c0)}): daily = instantaneous x turnovers",
            )
        self.number("popularity", lo=0, hi=10)
        self.boolean("indoor")
        self.boolean("accessible", default=True)
        self.keys("study_grades", GRADES)
        self.keys("study_products", STUDY_PRODUCTS)
        self.text("source", required=True)
        confidence = self.text("confidence", required=True)
        if confidence and confidence not in CONFIDENCE_LEVELS:
            self.bad("confidence", confidence, "high, medium or low")
        self.number("trail_km", lo=0, hi=100, optional=True)
        self.number("trail_ascent_m", lo=0, hi=5000, optional=True)
        parent = self.text("parent_id") or None
        self.values["parent_id"] = parent
        if parent is not None and parent == sid:
            self.bad("parent_id", parent, "another row's id, not the row's own")
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
                self.bad(col, sid, "the id of a site in the site table")
        if a and a == b:
            self.bad("to_id", b, "a site other than from_id")
        mode = self.text("mode", required=True)
        if mode and mode not in EDGE_MODES:
            self.bad("mode", mode, f"one of {', '.join(EDGE_MODES)}")
        minutes = self.number("minutes", lo=0, hi=24 * 60, optional=True)
        dist = self.number("distance_km", lo=0, hi=1000)
        self.number("ascent_m", lo=0, hi=9000, optional=True, default=0.0)
        self.number("descent_m", lo=0, hi=9000, optional=True, default=0.0)
        self.boolean("bidirectional", default=True)
        if minutes is None and dist is not None and dist == 0:
            self.bad("minutes", "", "minutes when distance_km is 0")
        if not self.ok:
            return None
        for col in ("kind", "source", "note"):
            self.text(col)
        return Edge(**self.values)


def _range_words(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"from {lo:g} to {hi:g}"
    if lo is not None:
        return f"of at least {lo:g}"
    if hi is not None:
        return f"of at most {hi:g}"
    return ""


def check_site_table(
    records: Iterable[Mapping[Any, object]], *, name: str, region: Region
) -> tuple[tuple[Site, ...], dict[str, int]]:
    """Check every row of a site table and what lies between the rows.

    Parameters
    ----------
    records
        The rows in file order, column -> cell (each made text and stripped).
    name
        The file, for the messages.
    region
        The box every site must lie in.

    Returns
    -------
    tuple
        The sites in row order and each site's row number (from 1).

    Raises
    ------
    DataValidationError
        With every problem of every row, by row: a bad value, an id used
        twice, a ``parent_id`` no row has, an alias another row uses, an area
        ticket of an area that sells none, or no row at all.
    """
    problems: list[Issue] = []
    sites: list[Site] = []
    seen: dict[str, int] = {}
    count = 0
    for count, rec in enumerate(records, start=1):
        row = {str(k): str(v).strip() for k, v in rec.items()}
        site = _RowChecker(name, count, row, problems).site(region)
        if site is None:
            continue
        if site.id in seen:
            problems.append(
                Issue(name, count, "id", site.id, f"a unique id (row {seen[site.id]} has it already)")
            )
            continue
        seen[site.id] = count
        sites.append(site)
    for s in sites:
        if s.parent_id is not None and s.parent_id not in seen:
            problems.append(Issue(name, seen[s.id], "parent_id", s.parent_id, "the id of another row"))
    problems += _alias_clashes(sites, seen, name)
    problems += _area_ticket_parents(sites, seen, name)
    if not count:
        problems.append(Issue(name, None, None, None, "at least one data row"))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise DataValidationError(problems)
    return tuple(sites), seen


def check_edge_table(
    records: Iterable[Mapping[Any, object]], sites: SiteTable, *, name: str
) -> tuple[Edge, ...]:
    """Check every row of ``edges.csv`` against the site table.

    Raises
    ------
    DataValidationError
        With every bad value of every row, each naming row and column.
    """
    problems: list[Issue] = []
    edges: list[Edge] = []
    for i, rec in enumerate(records, start=1):
        row = {str(k): str(v).strip() for k, v in rec.items()}
        edge = _RowChecker(name, i, row, problems).edge(sites)
        if edge is not None:
            edges.append(edge)
    if problems:
        raise DataValidationError(problems)
    return tuple(edges)


def _area_ticket_parents(sites: Sequence[Site], rows: Mapping[str, int], file: str) -> list[Issue]:
    """An ``area_ticket`` row's parent must sell a ticket (else nothing admits to it).

    Examples
    --------
    >>> from dataclasses import replace
    >>> from tourplan.data import load_sites
    >>> t = load_sites()
    >>> part = replace(t["chenjiagou_taiji_street"], ticket_rule="area_ticket")
    >>> print(_area_ticket_parents([t["chenjiagou"], part], {"chenjiagou": 3, part.id: 37}, "t.csv")[0])
    t.csv, row 37, column 'ticket_rule': got 'area_ticket'; expected free or another rule: the parent chenjiagou (row 3) sells no ticket (ticket_cny 0)
    """
    by_id = {s.id: s for s in sites}
    out: list[Issue] = []
    for s in sites:
        parent = by_id.get(s.parent_id) if s.parent_id else None
        if s.ticket_rule == "area_ticket" and parent is not None and parent.ticket_cny <= 0:
            out.append(
                Issue(
                    file,
                    rows[s.id],
                    "ticket_rule",
                    s.ticket_rule,
                    f"free or another rule: the parent {parent.id} (row {rows[parent.id]}) sells no "
                    "ticket (ticket_cny 0)",
                )
            )
    return out


def _alias_clashes(sites: Sequence[Site], rows: Mapping[str, int], file: str) -> list[Issue]:
    """An alias must name one place only: not another row's name or alias.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> a = load_sites()["yuntai_mountain"]
    >>> from dataclasses import replace
    >>> b = replace(a, id="copy", name_zh="别处", name_en="Elsewhere", aliases=("云台山",))
    >>> print(_alias_clashes([a, b], {"yuntai_mountain": 6, "copy": 7}, "t.csv")[0])
    t.csv, row 7, column 'aliases': got '云台山'; expected a name no other row uses (row 6 (yuntai_mountain) has it)
    """
    owner: dict[str, str] = {}
    for s in sites:
        for n in (s.name_zh, s.name_en):
            if n:
                owner.setdefault(fold_name(n), s.id)
    out: list[Issue] = []
    for s in sites:
        for a in s.aliases:
            other = owner.setdefault(fold_name(a), s.id)
            if other != s.id:
                out.append(
                    Issue(
                        file,
                        rows[s.id],
                        "aliases",
                        a,
                        f"a name no other row uses (row {rows[other]} ({other}) has it)",
                    )
                )
    return out


def likely_gcj02(
    table: SiteTable, references: Iterable[tuple[float, float, str]] = ()
) -> list[tuple[Site, str]]:
    """Sites whose point equals a reference point shifted to GCJ-02.

    The reference points are the other sites of the table and *references*
    (latitude, longitude, label; :mod:`tourplan.data` passes the bundled
    gazetteer's administrative unit seats, WGS-84).  A WGS-84 point read off a
    Gaode or Tencent map sits 500-700 m from the truth near Jiaozuo, at the
    place where the GCJ-02 transform puts the true point.  So a site within
    60 m of ``wgs84_to_gcj02(ref)`` for some reference, and not itself
    within 60 m of any reference, is flagged.
    """
    from geopy.distance import geodesic

    refs: list[tuple[float, float, str]] = [(s.lat, s.lon, s.id) for s in table]
    refs += references
    flagged: list[tuple[Site, str]] = []
    shifted = [(*wgs84_to_gcj02(lat, lon), label) for lat, lon, label in refs]
    for s in table:
        for glat, glon, label in shifted:
            if label == s.id:
                continue
            if abs(glat - s.lat) > 0.001 or abs(glon - s.lon) > 0.001:
                continue
            if geodesic((glat, glon), (s.lat, s.lon)).m <= 60:
                near_true = any(
                    abs(lat - s.lat) < 0.0007 and abs(lon - s.lon) < 0.0007
                    for lat, lon, lab in refs
                    if lab != s.id
                )
                if not near_true:
                    flagged.append((s, label))
                break
    return flagged
