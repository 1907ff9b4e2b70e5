"""Sites: the record types of the site table and the words they use.

A :class:`Site` is one validated row of ``data/pois.csv`` and a
:class:`SiteTable` the ordered, immutable table of them with lookup by id
and name; an :class:`Edge` is one explicit leg of ``edges.csv``.  The
vocabularies (themes, categories, grades, study products, ticket rules,
columns) are the one definition that the checks of
:mod:`tourplan.sitecheck`, the planners, the forms and the API read.

Loading and checking live elsewhere: :mod:`tourplan.data` reads the files,
:mod:`tourplan.sitecheck` checks their rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tourplan.errors import UnknownSiteError
from tourplan.hours import describe_hours

__all__ = [
    "CATEGORIES",
    "CONFIDENCE_LEVELS",
    "EDGE_COLUMNS",
    "EDGE_MODES",
    "GRADES",
    "MAINTAINER_FIELDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SITE_COLUMNS",
    "STUDY_PRODUCTS",
    "THEMES",
    "TICKET_RULES",
    "VISITOR_FIELDS",
    "Edge",
    "Region",
    "Site",
    "SiteTable",
    "fold_name",
    "visitor_fields",
]

#: The theme vocabulary shared by the site table and every planner.
THEMES: tuple[str, ...] = (
    "mountain",
    "nature",
    "history",
    "culture",
    "science",
    "taiji",
    "shopping",
    "food",
    "family",
    "red",
    "industry",
)
CATEGORIES: tuple[str, ...] = (
    "transport",
    "mountain",
    "park",
    "museum",
    "heritage",
    "culture",
    "study_base",
    "shopping",
    "food",
    "hotel",
    "plaza",
    "other",
)
CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low")
#: Study-tour grade bands: 小学, 初中, 高中.
GRADES: tuple[str, ...] = ("primary", "junior", "senior")
#: 研学 product types of LB/T 054 (see shared/reference/domain.md).
STUDY_PRODUCTS: tuple[str, ...] = (
    "知识科普型",
    "自然观赏型",
    "体验考察型",
    "励志拓展型",
    "文化康乐型",
)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "name_zh",
    "name_en",
    "category",
    "themes",
    "lat",
    "lon",
    "location_error_m",
    "elevation_m",
    "opening_hours",
    "visit_minutes",
    "ticket_cny",
    "capacity_instant",
    "capacity_daily",
    "popularity",
    "indoor",
    "study_grades",
    "source",
    "confidence",
)
#: Columns that may be absent; absent means the default in :class:`Site`.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "accessible",
    "study_products",
    "study_notes",
    "activity_en",
    "activity_zh",
    "aliases",
    "parent_id",
    "district",
    "note",
    "trail_km",
    "trail_ascent_m",
    "ticket_rule",
    "ticket_student_cny",
    "ticket_child_cny",
    "ticket_source",
)

#: Ticket rule codes (column ``ticket_rule``); :mod:`tourplan.tickets` prices
#: each visitor type by them and names them in Chinese and English.
#:
#: ``national_youth_2012``
#:     NDRC 发改价格〔2012〕283号: children of 6 or under (or 1.2 m or under)
#:     free, minors over 6 up to 18 and full-time students half price.
#: ``henan_public_scenic_2020``
#:     The national rule plus the revised 河南省旅游条例 (in force
#:     2020-04-01): a scenic area built on public resources is free for
#:     people of 60 and over and for children under 1.4 m.
#: ``patriotic_base_free_school``
#:     A patriotic-education base (爱国主义教育基地): the national rule, and
#:     free for organised visits of school and university students.
#: ``free_public_museum_2008``
#:     A public museum or memorial hall, free for everyone (中宣发〔2008〕2号).
#: ``site_specific``
#:     The site publishes its own concession prices (``ticket_student_cny``,
#:     ``ticket_child_cny``, from a cited source).
#: ``area_ticket``
#:     A part of an area (``parent_id``) entered on the area's ticket.
#: ``free``
#:     No entry ticket for anyone (an open street, park or village, a
#:     station, a restaurant).
#:
#: A row must name its ``ticket_source``: the notice or page the rule comes
#: from, saying where the rule is assumed (no site-specific source).
TICKET_RULES: tuple[str, ...] = (
    "national_youth_2012",
    "henan_public_scenic_2020",
    "patriotic_base_free_school",
    "free_public_museum_2008",
    "site_specific",
    "area_ticket",
    "free",
)

#: Every column of ``pois.csv``, in the bundled file's order (the trail columns last).
SITE_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "aliases", "category", "themes", "lat", "lon", "location_error_m", "elevation_m",
    "opening_hours", "visit_minutes", "ticket_cny", "capacity_instant", "capacity_daily", "popularity",
    "indoor", "accessible", "study_grades", "study_products", "study_notes", "activity_en", "activity_zh",
    "parent_id", "district", "source", "confidence", "note", "ticket_rule", "ticket_student_cny",
    "ticket_child_cny", "ticket_source", "trail_km", "trail_ascent_m",
)  # fmt: skip

#: Fields of :class:`Site` a visitor may be shown (names, what to do, hours,
#: price, where); :func:`visitor_fields` renders them in one language, with
#: ``opening_hours`` in words.  Everything else is for planners or data
#: maintainers.
VISITOR_FIELDS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "aliases", "category", "themes", "lat", "lon",
    "location_error_m", "elevation_m", "opening_hours", "visit_minutes", "ticket_cny", "indoor", "accessible", "study_notes",
    "activity", "activity_zh", "parent_id", "district",
)  # fmt: skip
#: Fields written for the people who keep the data: where a value comes from,
#: how sure it is and how it was derived (``note`` carries the ``[CRS: ...]``
#: tag and the capacity arithmetic).  Never put them on a visitor's page.
MAINTAINER_FIELDS: tuple[str, ...] = ("source", "confidence", "note", "ticket_source")


@dataclass(frozen=True, slots=True)
class Region:
    """A bounding box that every site must lie in (WGS-84 degrees).

    The default covers Jiaozuo's prefecture (about 34.8-35.5 N,
    112.6-113.7 E) with a margin of some 20 km.
    """

    south: float = 34.6
    north: float = 35.7
    west: float = 112.3
    east: float = 114.0
    name: str = "Jiaozuo"

    def __post_init__(self) -> None:
        if not (self.south < self.north and self.west < self.east):
            msg = f"Region bounds must satisfy south < north and west < east, got {self!r}"
            raise ValueError(msg)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies inside the box."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east


@dataclass(frozen=True, slots=True)
class Site:
    """One site of the table (a validated row of ``pois.csv``).

    Coordinates are WGS-84.  ``location_error_m`` is the honest radius within
    which the real site lies; a large value marks a placeholder point.
    ``activity`` is the English phrase of what a visitor does there (column
    ``activity_en``, formerly ``activity``) and ``activity_zh`` the Chinese
    one; ``aliases`` are other names a visitor may type.  ``source``,
    ``confidence``, ``note`` and ``ticket_source`` are for data maintainers
    only (see :data:`MAINTAINER_FIELDS`).

    ``ticket_rule`` is a code of :data:`TICKET_RULES` (empty: not given, and
    :func:`tourplan.tickets.ticket_rule` infers it from the price and the
    parent area); ``ticket_student_cny`` and ``ticket_child_cny`` are a
    site's own published concession prices, given only with the
    ``site_specific`` rule.
    """

    id: str
    name_zh: str
    name_en: str
    category: str
    themes: frozenset[str]
    lat: float
    lon: float
    location_error_m: float
    elevation_m: float | None
    opening_hours: str
    visit_minutes: int
    ticket_cny: float
    capacity_instant: int
    capacity_daily: int
    popularity: float
    indoor: bool
    study_grades: frozenset[str]
    source: str
    confidence: str
    accessible: bool = True
    study_products: frozenset[str] = frozenset()
    study_notes: str = ""
    activity: str = ""
    parent_id: str | None = None
    district: str = ""
    note: str = ""
    trail_km: float | None = None
    trail_ascent_m: float | None = None
    activity_zh: str = ""
    aliases: tuple[str, ...] = ()
    ticket_rule: str = ""
    ticket_student_cny: float | None = None
    ticket_child_cny: float | None = None
    ticket_source: str = ""

    @property
    def name(self) -> str:
        """Chinese name, falling back to the English one."""
        return self.name_zh or self.name_en

    @property
    def approximate(self) -> bool:
        """True when the point stands in for an area (error of 500 m or more)."""
        return self.location_error_m >= 500

    def label(self, lang: str = "zh") -> str:
        """Name in the given language (``"zh"`` or ``"en"``), with a fallback."""
        if lang == "en":
            return self.name_en or self.name_zh
        return self.name_zh or self.name_en

    def activity_text(self, lang: str = "zh") -> str:
        """What a visitor does here, in the given language, with a fallback.

        Examples
        --------
        >>> from tourplan.data import load_sites
        >>> s = load_sites()["yuntai_zhuyufeng"]
        >>> s.activity_text("zh"), s.activity_text("en")
        ('沿石阶登上茱萸峰', 'Climb the stone steps to Zhuyu Peak')
        """
        if lang == "en":
            return self.activity or self.activity_zh
        return self.activity_zh or self.activity


@dataclass(frozen=True, slots=True)
class Edge:
    """An explicit leg between two sites that overrides the default one."""

    from_id: str
    to_id: str
    mode: str
    minutes: float | None
    distance_km: float
    ascent_m: float = 0.0
    descent_m: float = 0.0
    bidirectional: bool = True
    kind: str = ""
    source: str = ""
    note: str = ""


EDGE_MODES: tuple[str, ...] = ("walk", "drive", "bus", "hike", "shuttle", "cable")
EDGE_COLUMNS: tuple[str, ...] = (
    "from_id",
    "to_id",
    "mode",
    "minutes",
    "distance_km",
    "ascent_m",
    "descent_m",
    "bidirectional",
    "kind",
    "source",
    "note",
)
_EDGE_REQUIRED = ("from_id", "to_id", "mode", "distance_km")


def fold_name(text: str) -> str:
    """A name folded for comparison: NFKC width, case, no spaces or separators.

    Examples
    --------
    >>> fold_name("Ｊｉａｏｚｕｏ  Station"), fold_name("云台山·红石峡（温盘峪）")
    ('jiaozuostation', '云台山红石峡温盘峪')
    """
    return re.sub(r"[\s·・()（）\-_'’]+", "", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class SiteTable(Sequence[Site]):
    """An ordered, immutable collection of sites with lookup by id and name.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> table = load_sites()
    >>> table["jiaozuo_station"].name_zh
    '焦作站'
    >>> table.find("Jiaozuo Railway Station").id
    'jiaozuo_station'
    """

    sites: tuple[Site, ...]
    source: str = "<memory>"
    _by_id: Mapping[str, Site] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Site] = {}
        for s in self.sites:
            if s.id in by_id:
                msg = f"duplicate site id {s.id!r} in SiteTable"
                raise ValueError(msg)
            by_id[s.id] = s
        object.__setattr__(self, "_by_id", by_id)

    def __len__(self) -> int:
        return len(self.sites)

    def __iter__(self) -> Iterator[Site]:
        return iter(self.sites)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._by_id[key]
            except KeyError:
                msg = f"unknown site id {key!r}"
                raise UnknownSiteError(msg) from None
        return self.sites[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key in self._by_id
        return any(key == s for s in self.sites)

    def get(self, site_id: str) -> Site | None:
        """The site with this id, or None."""
        return self._by_id.get(site_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Site ids in table order."""
        return tuple(s.id for s in self.sites)

    def find(self, text: str) -> Site:
        """Match free text against site ids and names (Chinese or English).

        Exact matches (after folding case, width and spaces) win, then a
        unique containment match (the text in a name or a name in the text).

        Raises
        ------
        UnknownSiteError
            When nothing matches, or the text is ambiguous.
        """
        key = fold_name(text)
        if not key:
            msg = "empty place name"
            raise UnknownSiteError(msg)
        if text in self._by_id:
            return self._by_id[text]
        exact = [
            s for s in self.sites if key in {fold_name(s.id), fold_name(s.name_zh), fold_name(s.name_en)}
        ]
        if len(exact) == 1:
            return exact[0]
        partial = [
            s
            for s in self.sites
            if any(
                n and (key in n or (len(n) >= 2 and n in key))
                for n in (fold_name(s.name_zh), fold_name(s.name_en))
            )
        ]
        if len(partial) == 1:
            return partial[0]
        if not partial and not exact:
            msg = f"no site matches {text!r}"
            raise UnknownSiteError(msg)
        options = ", ".join(s.id for s in (exact or partial)[:6])
        msg = f"{text!r} matches several sites ({options}); use a site id"
        raise UnknownSiteError(msg)

    def filter(
        self,
        *,
        category: str | Iterable[str] | None = None,
        theme: str | Iterable[str] | None = None,
        grade: str | None = None,
        text: str | None = None,
    ) -> SiteTable:
        """Sites matching every given criterion (any of several values)."""
        cats = {category} if isinstance(category, str) else set(category or ())
        themes = {theme} if isinstance(theme, str) else set(theme or ())
        key = fold_name(text or "")
        out = [
            s
            for s in self.sites
            if (not cats or s.category in cats)
            and (not themes or s.themes & themes)
            and (grade is None or grade in s.study_grades)
            and (not key or key in fold_name(s.name_zh) or key in fold_name(s.name_en) or key in s.id)
        ]
        return SiteTable(tuple(out), source=self.source)


def visitor_fields(site: Site, lang: str = "zh") -> dict[str, Any]:
    """What a visitor page may show of a site, in one language.

    Only :data:`VISITOR_FIELDS` are read: never ``source``, ``confidence`` or
    ``note`` (see :data:`MAINTAINER_FIELDS`).  Opening hours come in words
    (:func:`~tourplan.hours.describe_hours`), the name and activity in
    *lang* with the other-language name beside it.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> v = visitor_fields(load_sites()["jiaozuo_city_library"], "en")
    >>> v["name"], v["hours"], v["approximate"]
    ('Jiaozuo City Library', 'Tue–Sun 09:00–17:00; closed Mon', True)
    >>> sorted(set(v) & set(MAINTAINER_FIELDS))
    []
    """
    lang = "zh" if lang == "zh" else "en"
    other = "en" if lang == "zh" else "zh"
    return {
        "id": site.id,
        "name": site.label(lang),
        "name_other": site.label(other),
        "aliases": list(site.aliases),
        "category": site.category,
        "themes": sorted(site.themes),
        "lat": site.lat,
        "lon": site.lon,
        "location_error_m": site.location_error_m,
        "approximate": site.approximate,
        "elevation_m": site.elevation_m,
        "hours": describe_hours(site.opening_hours, lang),
        "visit_minutes": site.visit_minutes,
        "ticket_cny": site.ticket_cny,
        "indoor": site.indoor,
        "accessible": site.accessible,
        "activity": site.activity_text(lang),
        "study_notes": site.study_notes if lang == "zh" else "",  # written in Chinese only
        "parent_id": site.parent_id,
        "district": site.district,
    }
