"""Sights for a visitor: what can be picked as a must-see, and tickets shown once.

Stations, hotels and ``other`` rows (government seats, a care home) are
places to start from, not sights (:data:`tourplan.rules.NOT_SIGHTS`).  The must-see picker
shows the sights grouped by category, with the categories and the sites in
each ordered by popularity (:func:`sight_groups`).

Tickets follow the table's ``parent_id``/``ticket_cny`` rule: a part of an
area (云台山's gorges, 青天河's dining) with ``ticket_cny`` 0 is covered by
its area's ticket when the area has a price; a part with its own price
(青龙峡, 峰林峡) is paid on its own.  :func:`ticket_lines` lists a day's
tickets with each area ticket once, naming the parts it covers, and
:func:`stop_ticket` labels one stop: its own price, "included in the area
ticket", or free only when nothing is charged at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tourplan.messages import Message, Name, WithMessage
from tourplan.rules import NOT_SIGHTS
from tourplan.tickets import admissions, ticket_payer

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tourplan.site import Site, SiteTable

__all__ = [
    "CATEGORY_NAMES",
    "NOT_SIGHTS",
    "THEME_NAMES",
    "SightGroup",
    "TicketLine",
    "category_name",
    "is_sight",
    "short_name",
    "sight_groups",
    "stop_ticket",
    "ticket_lines",
    "tickets_total",
]


#: The site categories in Chinese and English (as the web catalog words them).
CATEGORY_NAMES: dict[str, Name] = {
    "transport": Name("车站", "station"),
    "mountain": Name("山岳景区", "mountain area"),
    "park": Name("公园", "park"),
    "museum": Name("博物馆", "museum"),
    "heritage": Name("文物古迹", "heritage site"),
    "culture": Name("文化场馆", "culture venue"),
    "study_base": Name("研学基地", "study-tour base"),
    "shopping": Name("购物", "shopping"),
    "food": Name("美食", "food"),
    "hotel": Name("酒店", "hotel"),
    "plaza": Name("广场", "square"),
    "other": Name("其他", "other place"),
}


#: Site themes in both languages, as the forms name them.
THEME_NAMES: dict[str, Name] = {
    "mountain": Name("山水", "mountains"),
    "nature": Name("自然", "nature"),
    "history": Name("历史", "history"),
    "culture": Name("文化艺术", "culture & arts"),
    "science": Name("科普", "science"),
    "taiji": Name("太极", "taiji"),
    "shopping": Name("购物", "shopping"),
    "food": Name("美食", "food"),
    "family": Name("亲子", "family"),
    "red": Name("红色旅游", "revolutionary history"),
    "industry": Name("工业遗产", "industrial heritage"),
}


def category_name(category: str) -> Name:
    """A category's name in both languages (the key itself when unknown).

    Examples
    --------
    >>> category_name("heritage").text("zh"), category_name("heritage").text("en")
    ('文物古迹', 'heritage site')
    """
    return CATEGORY_NAMES.get(category, Name(category, category))


def is_sight(site: Site) -> bool:
    """Whether a visitor would pick this site to visit (not a station, hotel or office).

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> is_sight(sites["yuntai_hongshixia"]), is_sight(sites["jiaozuo_station"])
    (True, False)
    """
    return site.category not in NOT_SIGHTS and site.visit_minutes > 0


@dataclass(frozen=True, slots=True)
class SightGroup:
    """The sights of one category, most popular first."""

    category: str
    name: Name
    sites: tuple[Site, ...]

    def label(self, lang: str = "zh") -> str:
        """The category's name in *lang*."""
        return self.name.text(lang)


def sight_groups(sites: Iterable[Site], *, lang: str = "zh") -> list[SightGroup]:
    """Sights grouped by category for the must-see picker.

    Parameters
    ----------
    sites
        The site table.
    lang
        Breaks popularity ties by the name in this language.

    Returns
    -------
    list of SightGroup
        Groups ordered by their most popular site, then by category key;
        sites in a group by popularity, then name.  No station, hotel or
        office appears.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> groups = sight_groups(load_sites())
    >>> groups[0].label("zh"), groups[0].sites[0].id
    ('山岳景区', 'yuntai_mountain')
    """
    by_cat: dict[str, list[Site]] = {}
    for s in sites:
        if is_sight(s):
            by_cat.setdefault(s.category, []).append(s)
    groups = [
        SightGroup(
            cat,
            category_name(cat),
            tuple(sorted(members, key=lambda s: (-s.popularity, s.label(lang)))),
        )
        for cat, members in by_cat.items()
    ]
    groups.sort(key=lambda g: (-g.sites[0].popularity, g.category))
    return groups


# ---------------------------------------------------------------------------
# Tickets


@dataclass(frozen=True, slots=True)
class TicketLine(WithMessage):
    """One ticket of a day, or a free sight.

    Attributes
    ----------
    site_id
        Who sells the ticket: the site, or the area that covers the parts.
    price
        CNY; 0 for a free sight.
    covers
        Ids of the stops the ticket covers other than ``site_id`` itself
        (the parts of an area).
    message
        ``ticket_area``, ``ticket_site`` or ``ticket_free``, ready to render.
    """

    site_id: str
    price: float
    covers: tuple[str, ...]
    message: Message

    def fields_dict(self) -> dict[str, object]:
        """Site, price and covered ids, for the JSON (the message follows them)."""
        return {"site_id": self.site_id, "price_cny": self.price, "covers": list(self.covers)}


def _name(site: Site) -> Name:
    return short_name(site)


def short_name(site: Site, *, within: Site | None = None) -> Name:
    """A site's names without bracketed notes, and without the area prefix inside *within*.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> part, area = sites["yuntai_hongshixia"], sites["yuntai_mountain"]
    >>> short_name(part, within=area)
    Name(zh='红石峡', en='Red Stone Gorge')
    >>> short_name(area)
    Name(zh='云台山风景名胜区', en='Yuntai Mountain scenic area')
    """
    zh = re.sub(r"\s*[（(][^）)]*[）)]", "", site.name_zh).strip() or site.name_zh
    en = re.sub(r"\s*\([^)]*\)", "", site.name_en).strip() or site.name_en
    if within is not None and site.parent_id == within.id:
        zh = zh.split("·", 1)[-1]
        en = en.split(": ", 1)[-1]
    return Name(zh, en)


def _payer(site: Site, sites: Mapping[str, Site] | SiteTable) -> Site | None:
    """The site whose ticket admits a visitor to *site*, or None when entry is free.

    The table's ticket rules decide (:func:`tourplan.tickets.ticket_payer`):
    a part under ``area_ticket`` is entered on its area's ticket, a ``free``
    row (a restaurant at an area's gate) on none.
    """
    return ticket_payer(site, sites)


def _price(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def stop_ticket(site: Site, sites: Mapping[str, Site] | SiteTable) -> Message:
    """How to label one stop's entry: its ticket, the area ticket that covers it, or free.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> stop_ticket(sites["yuntai_hongshixia"], sites).render("en")
    'included in the Yuntai Mountain scenic area ticket'
    >>> stop_ticket(sites["jiaying_temple"], sites).render("zh")
    '嘉应观门票 ¥55'
    """
    payer = _payer(site, sites)
    if payer is None:
        return Message("ticket_free", {"site": _name(site)})
    if payer.id != site.id:
        return Message("ticket_covered", {"area": _name(payer)})
    return Message("ticket_site", {"site": _name(site), "price": _price(site.ticket_cny)})


def ticket_lines(
    stops: Iterable[Site | str],
    sites: Mapping[str, Site] | SiteTable,
    *,
    include_free: bool = True,
) -> list[TicketLine]:
    """The tickets a list of stops needs, each area ticket once.

    Parameters
    ----------
    stops
        The stops (sites or ids) in visiting order; repeats count once.
        Pass one day's stops for a day's tickets.
    sites
        The site table (for the areas).
    include_free
        Add a ``ticket_free`` line for each free sight (stations, hotels and
        offices never get one).

    Returns
    -------
    list of TicketLine
        In order of the first stop each ticket admits to.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> lines = ticket_lines(["jiaozuo_station", "yuntai_hongshixia", "yuntai_zhuyufeng", "chenjiagou"], sites)
    >>> [line.render("zh") for line in lines]
    ['云台山风景名胜区门票 ¥120，含红石峡、茱萸峰', '陈家沟免费']
    >>> lines[0].render("en")
    'Yuntai Mountain scenic area ticket ¥120, covers Red Stone Gorge, Zhuyu Peak'
    """
    lines: list[TicketLine] = []
    for site, parts in admissions(stops, sites):
        if parts is None:
            if include_free and is_sight(site):
                lines.append(TicketLine(site.id, 0.0, (), Message("ticket_free", {"site": _name(site)})))
            continue
        price = _price(site.ticket_cny)
        if parts:
            names = [short_name(p, within=site) for p in parts]
            msg = Message("ticket_area", {"area": _name(site), "price": price, "parts": names})
        else:
            msg = Message("ticket_site", {"site": _name(site), "price": price})
        lines.append(TicketLine(site.id, float(site.ticket_cny), tuple(p.id for p in parts), msg))
    return lines


def tickets_total(lines: Iterable[TicketLine]) -> Message:
    """The sum of the lines' prices, as a ``tickets_total`` message.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> tickets_total(ticket_lines(["yuntai_hongshixia", "yuntai_tanpuxia", "jiaying_temple"], sites)).render("en")
    'Tickets in total ¥175'
    """
    return Message("tickets_total", {"price": _price(sum(line.price for line in lines))})
