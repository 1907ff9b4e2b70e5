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

from typing import TYPE_CHECKING, Any

from tourplan._rowcheck import RowChecker
from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError, Issue
from tourplan.messages import Message
from tourplan.site import SITE_COLUMNS, Region, fold_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from tourplan.site import Edge, Site, SiteTable

__all__ = [
    "check_edge_table",
    "check_site_row",
    "check_site_table",
    "likely_gcj02",
    "site_row",
]


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
    >>> import tourplan
    >>> row = site_row(tourplan.load_sites()["jiaozuo_station"])
    >>> check_site_row({**row, "lat": "95"})
    Traceback (most recent call last):
    ...
    tourplan.errors.DataValidationError: 1 problem in site data: <edit>, column 'lat': got '95'; expected a number from -90 to 90 (WGS-84 degrees)
    """
    problems: list[Issue] = []
    rec = {str(k): str(v).strip() for k, v in row.items()}
    site = RowChecker(name, row_number, rec, problems).site(region or Region())
    parent = None if site is None else site.parent_id
    if parent is not None and known_ids is not None and parent not in set(known_ids):
        problems.append(Issue.coded(name, row_number, "parent_id", parent, Message("data_parent_unknown")))
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
    row = {col: _cell(getattr(site, "activity" if col == "activity_en" else col)) for col in SITE_COLUMNS}
    row["lat"], row["lon"] = repr(site.lat), repr(site.lon)  # every digit, and always a decimal point
    return row


def _cell(value: object) -> str:
    """A field as text of ``pois.csv``: lists ``;``-separated (sets sorted), whole numbers without a point.

    Examples
    --------
    >>> [_cell(v) for v in (None, True, frozenset({"b", "a"}), ("x", "y"), 30, 2.0, 2.5, "text")]
    ['', 'true', 'a;b', 'x;y', '30', '2', '2.5', 'text']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, frozenset):
        return ";".join(sorted(value))
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, float) and value != int(value):
        return repr(value)
    if isinstance(value, int | float):
        return str(int(value))
    return str(value)


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
        site = RowChecker(name, count, row, problems).site(region)
        if site is None:
            continue
        if site.id in seen:
            dup = Message("data_duplicate_id", {"row": seen[site.id]})
            problems.append(Issue.coded(name, count, "id", site.id, dup))
            continue
        seen[site.id] = count
        sites.append(site)
    for s in sites:
        if s.parent_id is not None and s.parent_id not in seen:
            problems.append(
                Issue.coded(name, seen[s.id], "parent_id", s.parent_id, Message("data_parent_unknown"))
            )
    problems += _alias_clashes(sites, seen, name)
    problems += _area_ticket_parents(sites, seen, name)
    if not count:
        problems.append(Issue.coded(name, None, None, None, Message("data_no_rows")))
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
        edge = RowChecker(name, i, row, problems).edge(sites)
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
            why = Message("data_area_parent_free", {"parent": parent.id, "row": rows[parent.id]})
            out.append(Issue.coded(file, rows[s.id], "ticket_rule", s.ticket_rule, why))
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
                taken = Message("data_alias_taken", {"row": rows[other], "other": other})
                out.append(Issue.coded(file, rows[s.id], "aliases", a, taken))
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
    from tourplan.geodesy import distance_km

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
            if 1000 * float(distance_km(glat, glon, s.lat, s.lon)) <= 60:
                near_true = any(
                    abs(lat - s.lat) < 0.0007 and abs(lon - s.lon) < 0.0007
                    for lat, lon, lab in refs
                    if lab != s.id
                )
                if not near_true:
                    flagged.append((s, label))
                break
    return flagged
