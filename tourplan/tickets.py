"""Ticket prices per visitor type, by each site's ticket rule, and a group's tickets.

Every row of the site table names a ticket rule (column ``ticket_rule``, one
of :data:`tourplan.site.TICKET_RULES`) and its source (``ticket_source``).
The rules, as the sources state them:

- ``national_youth_2012`` (NDRC 发改价格〔2012〕283号, for sites under
  government or government-guided pricing): children of 6 or under (or
  1.2 m or under) free; minors over 6 up to 18 and full-time students up to
  undergraduate level half price.  Nothing for teachers.
- ``henan_public_scenic_2020``: the national rule, plus the revised
  河南省旅游条例 (in force 2020-04-01): a scenic area built on public
  resources is free for people of 60 and over (and for children under
  1.4 m, which an age type cannot express: a minor stays at half price).
- ``patriotic_base_free_school``: the national rule, and free for organised
  visits of school and university students (the same NDRC notice).
- ``free_public_museum_2008``: free for everyone (中宣发〔2008〕2号).
- ``site_specific``: the site's own published concession prices where the
  table gives them; the national rule where it gives none, and wherever the
  national rule is kinder (the notice makes it a floor).
- ``area_ticket``: entered on the parent area's ticket, whose rule applies.
- ``free``: no ticket for anyone.

A senior pays the full price unless a rule gives a sourced reduction.

:func:`visitor_price` prices a site's own ticket for one visitor type;
:func:`fare` says which ticket admits a visitor to a stop (the stop's own,
its area's, or none) and labels it; :func:`group_tickets` lists the tickets
a group buys for a day's stops, one line per site that sells a ticket (the
area for its parts, never a restaurant or other free row), each once.

Names of rules, visitor types and reasons come in Chinese and English
(:class:`~tourplan.messages.Name`); sentences are
:class:`~tourplan.messages.Message` codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.messages import Message, Name, WithMessage
from tourplan.site import TICKET_RULES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tourplan.site import Site, SiteTable

__all__ = [
    "FARE_REASONS",
    "TICKET_RULE_NAMES",
    "VISITORS",
    "VISITOR_NAMES",
    "Fare",
    "GroupTicket",
    "TicketItem",
    "admissions",
    "fare",
    "group_tickets",
    "group_tickets_total",
    "rule_name",
    "ticket_payer",
    "ticket_rule",
    "visitor_price",
]

#: Visitor types: ``student`` a full-time student (up to undergraduate),
#: ``minor`` over 6 up to 18, ``child`` 6 or under, ``teacher`` an adult
#: accompanying a school group, ``senior`` 60 or over, ``school_group`` a
#: student on an organised school visit.
VISITORS: tuple[str, ...] = ("adult", "student", "minor", "child", "teacher", "senior", "school_group")

VISITOR_NAMES: dict[str, Name] = {
    "adult": Name("成人", "adult"),
    "student": Name("学生", "student"),
    "minor": Name("未成年人（6–18周岁）", "minor (6–18)"),
    "child": Name("儿童（6周岁及以下）", "child (6 or under)"),
    "teacher": Name("带队教师", "accompanying teacher"),
    "senior": Name("老年人（60周岁及以上）", "senior (60 or over)"),
    "school_group": Name("学校集体参观学生", "student on a school visit"),
}

#: The rules' names, for a staff page or a cost sheet.
TICKET_RULE_NAMES: dict[str, Name] = {
    "national_youth_2012": Name(
        "国家青少年门票优惠（发改价格〔2012〕283号）", "national youth concessions (NDRC notice 2012 No. 283)"
    ),
    "henan_public_scenic_2020": Name(
        "国家青少年门票优惠及河南省旅游条例（公共资源景区）",
        "national youth concessions and the Henan tourism regulation (public-resource scenic area)",
    ),
    "patriotic_base_free_school": Name(
        "爱国主义教育基地（学生集体参观免票）", "patriotic-education base (organised school visits free)"
    ),
    "free_public_museum_2008": Name(
        "博物馆、纪念馆免费开放（中宣发〔2008〕2号）", "free public museum or memorial hall (2008 policy)"
    ),
    "site_specific": Name("景点公布的优惠票价", "the site's own published concessions"),
    "area_ticket": Name("含在所属景区门票内", "included in the area ticket"),
    "free": Name("免费", "free entry"),
}

#: Why a visitor pays what they pay (the reason codes of :func:`visitor_price`).
FARE_REASONS: dict[str, Name] = {
    "full": Name("全价", "full price"),
    "teacher_full": Name("教师无国家优惠，全价", "no national concession for teachers: full price"),
    "senior_no_source": Name(
        "未查到老年人优惠的来源，全价", "no source found for a senior concession: full price"
    ),
    "child_free": Name(
        "6周岁（含）以下或身高1.2米（含）以下儿童免票", "children of 6 or under, or 1.2 m or under, free"
    ),
    "youth_half": Name(
        "6周岁以上至18周岁未成年人及全日制本科及以下学生半价",
        "minors over 6 up to 18 and full-time students: half price",
    ),
    "school_group_free": Name(
        "爱国主义教育基地，大中小学生集体参观免票", "patriotic-education base: organised school visits free"
    ),
    "senior_free_henan": Name(
        "河南省公共资源景区，60周岁及以上免票", "Henan public-resource scenic area: free from 60"
    ),
    "museum_free": Name("博物馆、纪念馆免费开放", "public museum or memorial hall: free"),
    "free": Name("免费", "free entry"),
    "site_price": Name("景点公布的优惠价", "the site's published concession price"),
}

#: Rules under which the NDRC youth concessions apply.
_YOUTH_RULES = frozenset(
    {"national_youth_2012", "henan_public_scenic_2020", "patriotic_base_free_school", "site_specific"}
)


def rule_name(code: str) -> Name:
    """A rule's name in both languages.

    Examples
    --------
    >>> rule_name("free_public_museum_2008").text("zh")
    '博物馆、纪念馆免费开放（中宣发〔2008〕2号）'
    >>> rule_name("area_ticket").text("en")
    'included in the area ticket'
    """
    try:
        return TICKET_RULE_NAMES[code]
    except KeyError:
        msg = f"code must be one of {', '.join(TICKET_RULES)}, got {code!r}"
        raise ValueError(msg) from None


def ticket_rule(site: Site, sites: Mapping[str, Site] | SiteTable) -> str:
    """The site's ticket rule: the row's, or inferred when the row gives none.

    A row without a rule (an older table) gets ``national_youth_2012`` when
    it has a price (the national rule assumed), ``area_ticket`` when its
    parent area has one, else ``free``.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> ticket_rule(sites["jiaying_temple"], sites)
    'patriotic_base_free_school'
    >>> ticket_rule(replace(sites["yuntai_zhuyufeng"], ticket_rule=""), sites)
    'area_ticket'
    """
    if site.ticket_rule:
        return site.ticket_rule
    if site.ticket_cny > 0:
        return "national_youth_2012"
    parent = sites.get(site.parent_id) if site.parent_id else None
    if parent is not None and parent.ticket_cny > 0:
        return "area_ticket"
    return "free"


def ticket_payer(site: Site, sites: Mapping[str, Site] | SiteTable) -> Site | None:
    """The site whose ticket admits a visitor to *site*; None when entry is free.

    A site with a price sells its own ticket; a part under ``area_ticket`` is
    entered on its parent's; anything else (``free``, a free museum, a
    restaurant at an area's gate) needs no ticket.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> ticket_payer(sites["yuntai_hongshixia"], sites).id
    'yuntai_mountain'
    >>> ticket_payer(sites["yuntai_anshang_service_area"], sites) is None
    True
    """
    if site.ticket_cny > 0:
        return site
    if ticket_rule(site, sites) == "area_ticket" and site.parent_id:
        parent = sites.get(site.parent_id)
        if parent is not None and parent.ticket_cny > 0:
            return parent
    return None


def visitor_price(site: Site, visitor: str, rule: str | None = None) -> tuple[float, str]:
    """The price of *site*'s own ticket for one visitor type, and the reason code.

    Parameters
    ----------
    site
        A site that sells a ticket (for a part of an area, pass the area:
        see :func:`ticket_payer`).
    visitor
        One of :data:`VISITORS`.
    rule
        The rule to apply; the site's own (:attr:`Site.ticket_rule`, or
        ``national_youth_2012`` when empty) by default.

    Returns
    -------
    tuple of float and str
        CNY, and a key of :data:`FARE_REASONS`.

    Raises
    ------
    ValueError
        For an unknown visitor type or rule.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> temple = sites["jiaying_temple"]
    >>> [visitor_price(temple, v) for v in ("adult", "minor", "child", "school_group", "teacher")]
    [(55.0, 'full'), (27.5, 'youth_half'), (0.0, 'child_free'), (0.0, 'school_group_free'), (55.0, 'teacher_full')]
    >>> visitor_price(sites["yuntai_mountain"], "senior")
    (0.0, 'senior_free_henan')

    Notes
    -----
    Constant time.
    """
    if visitor not in VISITORS:
        msg = f"visitor must be one of {', '.join(VISITORS)}, got {visitor!r}"
        raise ValueError(msg)
    rule = rule or site.ticket_rule or "national_youth_2012"
    if rule not in TICKET_RULES:
        msg = f"rule must be one of {', '.join(TICKET_RULES)}, got {rule!r}"
        raise ValueError(msg)
    full = float(site.ticket_cny)
    if rule == "free" or full <= 0:
        return 0.0, "free"
    if rule == "free_public_museum_2008":
        return 0.0, "museum_free"
    if rule == "area_ticket":  # a part with its own price: the national rule
        rule = "national_youth_2012"
    price, reason = _national(full, visitor, rule)
    if rule == "site_specific":
        own = {
            "student": site.ticket_student_cny,
            "school_group": site.ticket_student_cny,
            "child": site.ticket_child_cny,
        }.get(visitor)
        if own is not None and own < price:
            return float(own), "site_price"
    return price, reason


def _national(full: float, visitor: str, rule: str) -> tuple[float, str]:
    """The national (and Henan) rule's price for a visitor type."""
    half = round(full / 2, 2)
    if visitor == "child":
        return 0.0, "child_free"
    if visitor == "school_group" and rule == "patriotic_base_free_school":
        return 0.0, "school_group_free"
    if visitor in ("student", "minor", "school_group"):
        return half, "youth_half"
    if visitor == "senior":
        if rule == "henan_public_scenic_2020":
            return 0.0, "senior_free_henan"
        return full, "senior_no_source"
    if visitor == "teacher":
        return full, "teacher_full"
    return full, "full"


def _price(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _name(site: Site, within: Site | None = None) -> Name:
    from tourplan.sights import short_name  # sights imports this module

    return short_name(site, within=within)


def admissions(
    stops: Iterable[Site | str], sites: Mapping[str, Site] | SiteTable
) -> list[tuple[Site, tuple[Site, ...] | None]]:
    """The tickets a day's stops need, each once, in order of the first stop each admits to.

    Parameters
    ----------
    stops
        Sites or ids in visiting order; repeats count once.
    sites
        The site table (for the areas).

    Returns
    -------
    list of (Site, tuple of Site or None)
        ``(payer, parts)`` for a ticket, with the other stops it admits to
        (the parts of an area); ``(stop, None)`` for a stop with free entry.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> [(s.id, parts and [p.id for p in parts]) for s, parts in
    ...  admissions(["yuntai_hongshixia", "chenjiagou", "yuntai_mountain", "yuntai_zhuyufeng"], sites)]
    [('yuntai_mountain', ['yuntai_hongshixia', 'yuntai_zhuyufeng']), ('chenjiagou', None)]
    """
    order: list[tuple[Site, list[Site] | None]] = []
    parts: dict[str, list[Site]] = {}
    seen: set[str] = set()
    for stop in stops:
        site = sites[stop] if isinstance(stop, str) else stop
        if site.id in seen:
            continue
        seen.add(site.id)
        payer = ticket_payer(site, sites)
        if payer is None:
            order.append((site, None))
            continue
        if payer.id not in parts:
            parts[payer.id] = []
            order.append((payer, parts[payer.id]))
        if payer.id != site.id:
            parts[payer.id].append(site)
    return [(s, None if covered is None else tuple(covered)) for s, covered in order]


@dataclass(frozen=True, slots=True)
class Fare(WithMessage):
    """Which ticket admits one visitor type to a stop, and at what price.

    Attributes
    ----------
    site_id
        The stop.
    payer_id
        The site that sells the ticket (the stop, or its area); None when
        entry is free.
    visitor
        A visitor type of :data:`VISITORS`.
    price_cny
        The price of that ticket for this visitor.  For a part of an area
        it is the area's ticket, bought once for all its parts
        (:func:`group_tickets` counts it once).
    full_cny
        The ticket's adult price.
    rule
        The payer's rule (the stop's own when entry is free).
    reason
        A key of :data:`FARE_REASONS`.
    message
        ``ticket_fare``, ``ticket_covered`` (never "free" for a part of a
        paid area) or ``ticket_free``, ready to render.
    """

    site_id: str
    payer_id: str | None
    visitor: str
    price_cny: float
    full_cny: float
    rule: str
    reason: str
    message: Message


def fare(site: Site, sites: Mapping[str, Site] | SiteTable, visitor: str = "adult") -> Fare:
    """The ticket one visitor type needs for a stop, with its label.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> f = fare(sites["yuntai_hongshixia"], sites, "student")
    >>> f.payer_id, f.price_cny, f.render("en")
    ('yuntai_mountain', 60.0, 'included in the Yuntai Mountain scenic area ticket')
    >>> fare(sites["jiaying_temple"], sites, "minor").render("zh")
    '嘉应观 未成年人（6–18周岁）票 ¥27.5（6周岁以上至18周岁未成年人及全日制本科及以下学生半价）'
    >>> fare(sites["jiaozuo_museum"], sites, "adult").render("en")
    'Jiaozuo Museum: free entry'
    """
    payer = ticket_payer(site, sites)
    if payer is None:
        rule = ticket_rule(site, sites)
        price, reason = visitor_price(site, visitor, rule)
        msg = Message("ticket_free", {"site": _name(site)})
        return Fare(site.id, None, visitor, price, 0.0, rule, reason, msg)
    rule = ticket_rule(payer, sites)
    price, reason = visitor_price(payer, visitor, rule)
    if payer.id != site.id:
        msg = Message("ticket_covered", {"area": _name(payer)})
    else:
        msg = Message(
            "ticket_fare",
            {
                "site": _name(site),
                "visitor": VISITOR_NAMES[visitor],
                "price": _price(price),
                "reason": FARE_REASONS[reason],
            },
        )
    return Fare(site.id, payer.id, visitor, price, float(payer.ticket_cny), rule, reason, msg)


@dataclass(frozen=True, slots=True)
class TicketItem:
    """Tickets of one visitor type on a group's line."""

    visitor: str
    count: int
    unit_cny: float
    reason: str

    @property
    def total_cny(self) -> float:
        """Count times unit price."""
        return self.count * self.unit_cny

    def label(self) -> Name:
        """The item in both languages: 学生 40 人 × ¥60, 40 × student ¥60."""
        who = VISITOR_NAMES[self.visitor]
        price = _price(self.unit_cny)
        return Name(f"{who.zh} {self.count} 人 × ¥{price}", f"{self.count} × {who.en} ¥{price}")

    def to_dict(self) -> dict[str, object]:
        """Visitor type, count, unit price, total and reason."""
        return {
            "visitor": self.visitor,
            "count": self.count,
            "unit_cny": self.unit_cny,
            "total_cny": round(self.total_cny, 2),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class GroupTicket(WithMessage):
    """A group's tickets at one site that sells them.

    Attributes
    ----------
    site_id
        The site the tickets are bought at (an area for its parts; never a
        restaurant or any row that sells nothing).
    rule
        The site's ticket rule (a code of :data:`tourplan.site.TICKET_RULES`).
    full_cny
        The adult price.
    covers
        The stops other than ``site_id`` that the ticket admits to.
    items
        One per visitor type present: students, teachers, adults,
        children, seniors.
    """

    site_id: str
    rule: str
    full_cny: float
    covers: tuple[str, ...]
    items: tuple[TicketItem, ...]
    message: Message

    @property
    def total_cny(self) -> float:
        """What the group pays here."""
        return sum(i.total_cny for i in self.items)

    def fields_dict(self) -> dict[str, object]:
        """The line as JSON-ready values, with the rule's code and names (the message follows them)."""
        name = rule_name(self.rule)
        return {
            "site_id": self.site_id,
            "rule": self.rule,
            "rule_name": {"zh": name.zh, "en": name.en},
            "full_cny": self.full_cny,
            "covers": list(self.covers),
            "items": [i.to_dict() for i in self.items],
            "total_cny": round(self.total_cny, 2),
        }

    def to_dict(self) -> dict[str, object]:
        """The fields and the line as a message: code, parameters and both sentences.

        (:meth:`tourplan.messages.Message.to_json`), so a saved plan shows its
        tickets in either language; :meth:`from_dict` reads it back.
        """
        return {**self.fields_dict(), **self.message.to_json()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupTicket:
        """A line from its :meth:`to_dict` form.

        Examples
        --------
        >>> from tourplan import load_sites
        >>> (line,) = group_tickets(["jiaying_temple"], load_sites(), students=40, teachers=4)
        >>> GroupTicket.from_dict(line.to_dict()) == line
        True
        """
        items = tuple(
            TicketItem(str(i["visitor"]), int(i["count"]), float(i["unit_cny"]), str(i["reason"]))
            for i in data["items"]
        )
        return cls(
            str(data["site_id"]),
            str(data["rule"]),
            float(data["full_cny"]),
            tuple(str(c) for c in data["covers"]),
            items,
            Message.from_dict(data),
        )


def group_tickets(
    stops: Iterable[Site | str],
    sites: Mapping[str, Site] | SiteTable,
    *,
    students: int,
    teachers: int = 0,
    adults: int = 0,
    children: int = 0,
    seniors: int = 0,
    school_visit: bool = True,
) -> list[GroupTicket]:
    """The tickets a group buys for a day's stops, one line per site that sells them.

    Parameters
    ----------
    stops
        The day's stops (sites or ids) in visiting order; repeats count once,
        and an area's ticket is bought once for all its parts.
    sites
        The site table (for the areas).
    students
        Students (all over 6).  On an organised school visit they are
        ``school_group`` visitors (free at a patriotic-education base),
        else ``student``.
    teachers, adults, children, seniors
        Accompanying teachers, other adults, children of 6 or under, people
        of 60 or over.
    school_visit
        Whether the students come as an organised school visit.

    Returns
    -------
    list of GroupTicket
        In order of the first stop each ticket admits to.  Stops with free
        entry get no line.

    Raises
    ------
    ValueError
        For a negative count.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> lines = group_tickets(
    ...     ["yuntai_anshang_service_area", "yuntai_hongshixia", "jiaying_temple", "jiaozuo_museum"],
    ...     sites, students=40, teachers=4)
    >>> [(g.site_id, g.rule, g.total_cny) for g in lines]
    [('yuntai_mountain', 'henan_public_scenic_2020', 2880.0), ('jiaying_temple', 'patriotic_base_free_school', 220.0)]
    >>> lines[0].render("zh")
    '云台山风景名胜区门票 ¥2880：学校集体参观学生 40 人 × ¥60、带队教师 4 人 × ¥120，含红石峡。规则：国家青少年门票优惠及河南省旅游条例（公共资源景区）'
    >>> lines[1].render("en")
    'Jiaying Temple tickets ¥220: 40 × student on a school visit ¥0, 4 × accompanying teacher ¥55. Rule: patriotic-education base (organised school visits free)'

    Notes
    -----
    Linear in the number of stops.
    """
    counts = {
        "school_group" if school_visit else "student": students,
        "teacher": teachers,
        "adult": adults,
        "child": children,
        "senior": seniors,
    }
    bad = {k: v for k, v in counts.items() if v < 0}
    if bad:
        msg = f"visitor counts must be 0 or more, got {bad}"
        raise ValueError(msg)
    lines: list[GroupTicket] = []
    for payer, parts in admissions(stops, sites):
        if parts is None:
            continue
        rule = ticket_rule(payer, sites)
        items = []
        for visitor, n in counts.items():
            if n:
                unit, reason = visitor_price(payer, visitor, rule)
                items.append(TicketItem(visitor, n, unit, reason))
        if not items:
            continue
        total = _price(sum(i.total_cny for i in items))
        params: dict[str, object] = {
            "site": _name(payer),
            "total": total,
            "items": [i.label() for i in items],
        }
        params["rule"] = rule_name(rule)
        if parts:
            params["parts"] = [_name(p, within=payer) for p in parts]
        message = Message("ticket_group_area" if parts else "ticket_group", params)
        lines.append(
            GroupTicket(
                payer.id, rule, float(payer.ticket_cny), tuple(p.id for p in parts), tuple(items), message
            )
        )
    return lines


def group_tickets_total(lines: Iterable[GroupTicket]) -> Message:
    """The group's tickets in total, as a ``tickets_total`` message.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> group_tickets_total(group_tickets(["jiaying_temple"], sites, students=10, teachers=1)).render("en")
    'Tickets in total ¥55'
    """
    return Message("tickets_total", {"price": _price(sum(line.total_cny for line in lines))})
