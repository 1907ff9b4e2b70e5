"""The site table: loading, validation and lookup.

``data/pois.csv`` holds one row per site (see ``data/README.md`` for the
columns).  :func:`load_sites` reads it, checks every row, gathers
every problem and raises one :class:`~tourplan.errors.DataValidationError`
naming file, row, column, the bad value and what was expected.  A file that
passes becomes a :class:`SiteTable` of frozen :class:`Site` records.

Row numbers in messages are data rows counted from 1 (the header is not a
row); the matching line number of the file is given as well.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tourplan.errors import DataValidationError, Issue, LikelyGCJ02Warning, UnknownSiteError
from tourplan.hours import HoursError, check_hours, describe_hours

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CATEGORIES",
    "CONFIDENCE_LEVELS",
    "EDGE_COLUMNS",
    "EDGE_MODES",
    "GRADES",
    "MAINTAINER_FIELDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STUDY_PRODUCTS",
    "THEMES",
    "TICKET_RULES",
    "VISITOR_FIELDS",
    "Edge",
    "Region",
    "SITE_COLUMNS",
    "Site",
    "SiteTable",
    "check_site_row",
    "load_edges",
    "fold_name",
    "load_sites",
    "parse_sites",
    "site_row",
    "sites_frame",
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
#: Rules for a site that sells its own ticket (``ticket_cny`` above 0).
_PRICED_RULES = frozenset(
    {"national_youth_2012", "henan_public_scenic_2020", "patriotic_base_free_school", "site_specific"}
)

#: An older name of ``activity_en``, still accepted when reading a table.
_LEGACY_ACTIVITY = "activity"
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
_MAX_ALIASES = 20
_MAX_ALIAS_LEN = 100
_CJK_RE = re.compile(r"[\u3400-\u9fff]")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}
_MAX_ROWS = 20_000
_MAX_COLUMNS = 200


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


@dataclass(frozen=True)
class SiteTable(Sequence[Site]):
    """An ordered, immutable collection of sites with lookup by id and name.

    Examples
    --------
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
        key = _fold(text)
        if not key:
            msg = "empty place name"
            raise UnknownSiteError(msg)
        if text in self._by_id:
            return self._by_id[text]
        exact = [s for s in self.sites if key in {_fold(s.id), _fold(s.name_zh), _fold(s.name_en)}]
        if len(exact) == 1:
            return exact[0]
        partial = [
            s
            for s in self.sites
            if any(
                n and (key in n or (len(n) >= 2 and n in key))
                for n in (_fold(s.name_zh), _fold(s.name_en))
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
        key = _fold(text or "")
        out = [
            s
            for s in self.sites
            if (not cats or s.category in cats)
            and (not themes or s.themes & themes)
            and (grade is None or grade in s.study_grades)
            and (not key or key in _fold(s.name_zh) or key in _fold(s.name_en) or key in s.id)
        ]
        return SiteTable(tuple(out), source=self.source)


def fold_name(text: str) -> str:
    """A name folded for comparison: NFKC width, case, no spaces or separators.

    Examples
    --------
    >>> fold_name("Ｊｉａｏｚｕｏ  Station"), fold_name("云台山·红石峡（温盘峪）")
    ('jiaozuostation', '云台山红石峡温盘峪')
    """
    return re.sub(r"[\s·・()（）\-_'’]+", "", unicodedata.normalize("NFKC", text).casefold())


_fold = fold_name


# ---------------------------------------------------------------------------
# Loading


def load_sites(
    path: str | Path | None = None,
    *,
    region: Region | None = None,
) -> SiteTable:
    """Read and validate a site table.

    Parameters
    ----------
    path
        A ``pois.csv`` file; the bundled table when None.
    region
        The box every site must lie in; Jiaozuo by default.

    Returns
    -------
    SiteTable

    Raises
    ------
    DataValidationError
        With every problem found, each naming file, row, column and value.

    Warns
    -----
    LikelyGCJ02Warning
        For a point that sits where a known reference point would appear on
        a GCJ-02 (Chinese street map) layer.
    """
    if path is None:
        from tourplan.resources import default_pois_path

        path = default_pois_path()
    path = Path(path)
    return parse_sites(_read_bytes(path), name=str(path), region=region)


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, or one DataValidationError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataValidationError(
            [Issue(str(path), None, None, None, f"a readable file ({exc.strerror or exc})")]
        ) from None


def _read_table(raw: bytes, name: str, required: Sequence[str]) -> list[dict[str, Any]]:
    """Decode and parse CSV bytes into records of strings (keyed by column), or raise once."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [
                Issue(
                    name,
                    None,
                    None,
                    f"byte 0x{raw[exc.start]:02x} at offset {exc.start}",
                    "UTF-8 text (save the file as CSV UTF-8)",
                )
            ]
        ) from None
    if not text.strip():
        raise DataValidationError([Issue(name, None, None, None, "a CSV file with a header row")])
    header = _header(text, name)
    header_fields = len(header)
    if header_fields > _MAX_COLUMNS:
        raise DataValidationError(
            [
                Issue(
                    name, None, None, f"{header_fields} columns", f"at most {_MAX_COLUMNS} columns"
                )
            ]
        )
    counts = Counter(h.strip() for h in header)  # O(columns): the header is bounded above
    dupes = sorted(c for c, k in counts.items() if k > 1)
    lines = text.splitlines()
    if len(lines) - 1 > _MAX_ROWS:
        raise DataValidationError(
            [Issue(name, None, None, f"{len(lines) - 1} lines", f"at most {_MAX_ROWS} rows")]
        )
    columns, records = _plain_records(text, header) or _pandas_records(text, name, header_fields)
    problems = [
        Issue(name, None, col, None, "this column in the header")
        for col in required
        if col not in columns
    ]
    problems += [Issue(name, None, c, None, "each column once") for c in dupes]
    if problems:
        raise DataValidationError(problems)
    return records


def _plain_records(text: str, header: list[str]) -> tuple[list[str], list[dict[str, Any]]] | None:
    r"""The records of a regular CSV, read without pandas; None for any other file.

    Regular: unique, non-empty column names and every row as wide as the
    header.  For such a file the csv module reads what pandas reads, and
    loading pandas would cost a third of a second at each command's start;
    anything else goes to :func:`_pandas_records`, whose messages the
    problems quote.

    Examples
    --------
    >>> _plain_records('a,b\n1,"x, y"\n\n2,\n', ["a", "b"])
    (['a', 'b'], [{'a': '1', 'b': 'x, y'}, {'a': '2', 'b': ''}])
    >>> _plain_records("a,b\n1,2,3\n", ["a", "b"]) is None
    True
    """
    names = [h.strip() for h in header]
    if len(header) < 2 or not all(names) or len(set(header)) < len(header) or len(set(names)) < len(names):
        return None
    try:
        rows = [r for r in csv.reader(io.StringIO(text), strict=True) if r]
    except csv.Error:
        return None
    if any(len(r) != len(header) for r in rows):
        return None
    return names, [dict(zip(names, r, strict=True)) for r in rows[1:]]


def _pandas_records(text: str, name: str, header_fields: int) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and records as pandas reads them (blank lines skipped), or one error naming the line."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=False,
            on_bad_lines="error",
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        if m:
            line = int(m.group(1))
            problem = Issue(
                name,
                line - 1,
                None,
                f"{m.group(2)} fields",
                f"{header_fields} fields as in the header (line {line}; quote values with commas)",
            )
        else:
            problem = Issue(name, None, None, None, f"well-formed CSV ({str(exc).strip()})")
        raise DataValidationError([problem]) from None
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    return columns, [{str(k): v for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


def _header(text: str, name: str) -> list[str]:
    r"""The header record as a CSV reader sees it: quoted commas and newlines stay inside a name.

    Counting the commas of the first physical line would let a header whose
    names hold quoted newlines pass any column limit.

    Examples
    --------
    >>> _header('a,"b\nc",d\n1,2,3\n', "x.csv")
    ['a', 'b\nc', 'd']
    """
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise DataValidationError([Issue(name, None, None, None, f"well-formed CSV ({exc})")]) from None


def parse_sites(
    raw: bytes | str,
    *,
    name: str = "<upload>",
    region: Region | None = None,
) -> SiteTable:
    """Validate CSV content (bytes or text) and build a :class:`SiteTable`.

    Used by :func:`load_sites` and by uploads, which have no file on disk.
    """
    region = region or Region()
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    rows = _read_table(data, name, REQUIRED_COLUMNS)
    problems: list[Issue] = []
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(rows, start=1):
        row = {str(k): str(v).strip() for k, v in rec.items()}
        check = _RowChecker(name, i, row, problems)
        site = check.site(region)
        if site is None:
            continue
        if site.id in seen:
            problems.append(
                Issue(name, i, "id", site.id, f"a unique id (row {seen[site.id]} has it already)")
            )
            continue
        seen[site.id] = i
        sites.append(site)
    ids = set(seen)
    for s in sites:
        if s.parent_id is not None and s.parent_id not in ids:
            problems.append(
                Issue(name, seen[s.id], "parent_id", s.parent_id, "the id of another row")
            )
    problems += _alias_clashes(sites, seen, name)
    problems += _area_ticket_parents(sites, seen, name)
    if not rows:
        problems.append(Issue(name, None, None, None, "at least one data row"))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise DataValidationError(problems)
    table = SiteTable(tuple(sites), source=name)
    for s, ref in _likely_gcj02(table):
        warnings.warn(
            f"{name}, row {seen[s.id]} ({s.id}): point {s.lat:.5f},{s.lon:.5f} lies within 60 m "
            f"of where {ref} appears on a GCJ-02 map; it was probably read off a Chinese street "
            "map (GCJ-02), not WGS-84",
            LikelyGCJ02Warning,
            stacklevel=2,
        )
    return table


def _area_ticket_parents(
    sites: Sequence[Site], rows: Mapping[str, int], file: str
) -> list[Issue]:
    """An ``area_ticket`` row's parent must sell a ticket (else nothing admits to it).

    Examples
    --------
    >>> from dataclasses import replace
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


#: Every column of ``pois.csv``, in the bundled file's order (the trail columns last).
SITE_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "aliases", "category", "themes", "lat", "lon", "location_error_m", "elevation_m",
    "opening_hours", "visit_minutes", "ticket_cny", "capacity_instant", "capacity_daily", "popularity",
    "indoor", "accessible", "study_grades", "study_products", "study_notes", "activity_en", "activity_zh",
    "parent_id", "district", "source", "confidence", "note", "ticket_rule", "ticket_student_cny",
    "ticket_child_cny", "ticket_source", "trail_km", "trail_ascent_m",
)  # fmt: skip


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
    """Parse one row's fields, appending an Issue for each bad value."""

    def __init__(self, file: str, row: int | None, rec: dict[str, str], out: list[Issue]) -> None:
        self.file, self.row, self.rec, self.out = file, row, rec, out
        self.ok = True

    def bad(self, column: str, value: str | None, expected: str) -> None:
        self.ok = False
        self.out.append(Issue(self.file, self.row, column, value, expected))

    def text(self, col: str, *, required: bool = False, max_len: int = 2000) -> str:
        val = self.rec.get(col, "")
        if required and not val:
            self.bad(col, val, "a non-empty value")
        elif len(val) > max_len:
            self.bad(col, val[:40] + "…", f"at most {max_len} characters")
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
        return x

    def boolean(self, col: str, *, default: bool | None = None) -> bool | None:
        val = self.rec.get(col, "").lower()
        if val == "" and default is not None:
            return default
        if val in _TRUE:
            return True
        if val in _FALSE:
            return False
        self.bad(col, self.rec.get(col, ""), "true or false")
        return None

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
        return frozenset(p for p in items if p in vocab)

    def activities(self) -> tuple[str, str]:
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
        return en or old, zh

    def tickets(
        self, price: float | None, parent: str | None
    ) -> tuple[str, float | None, float | None, str]:
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
            return "", None, None, source
        if rule not in TICKET_RULES:
            self.bad("ticket_rule", rule, f"one of {', '.join(TICKET_RULES)}")
            return "", None, None, source
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
        return rule, student, child, source

    def aliases(self, names: tuple[str, str]) -> tuple[str, ...]:
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
        return tuple(out)

    def site(self, region: Region) -> Site | None:
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
        themes = self.keys("themes", THEMES)
        lat = self.number("lat")
        lon = self.number("lon")
        if lat is not None and lon is not None and not region.contains(lat, lon):
            if region.contains(lon, lat):
                self.bad(
                    "lat", self.rec["lat"], f"a latitude; lat and lon look swapped ({lat}, {lon})"
                )
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
        err = self.number("location_error_m", lo=0, hi=200_000)
        elev = self.number("elevation_m", lo=-500, hi=9000, optional=True)
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
        visit = self.number("visit_minutes", lo=0, hi=24 * 60, integer=True)
        ticket = self.number("ticket_cny", lo=0, hi=100_000)
        c0 = self.number("capacity_instant", lo=0, integer=True)
        c1 = self.number("capacity_daily", lo=0, integer=True)
        if c0 is not None and c1 is not None and c0 > 0 and c1 > 0 and c1 < c0:
            self.bad(
                "capacity_daily",
                self.rec["capacity_daily"],
                f"at least capacity_instant ({int(c0)}): daily = instantaneous x turnovers",
            )
        popularity = self.number("popularity", lo=0, hi=10)
        indoor = self.boolean("indoor")
        accessible = self.boolean("accessible", default=True)
        grades = self.keys("study_grades", GRADES)
        products = self.keys("study_products", STUDY_PRODUCTS)
        source = self.text("source", required=True)
        confidence = self.text("confidence", required=True)
        if confidence and confidence not in CONFIDENCE_LEVELS:
            self.bad("confidence", confidence, "high, medium or low")
        trail_km = self.number("trail_km", lo=0, hi=100, optional=True)
        trail_up = self.number("trail_ascent_m", lo=0, hi=5000, optional=True)
        parent = self.text("parent_id") or None
        if parent is not None and parent == sid:
            self.bad("parent_id", parent, "another row's id, not the row's own")
        activity_en, activity_zh = self.activities()
        aliases = self.aliases((name_zh, name_en))
        rule, student_price, child_price, ticket_source = self.tickets(ticket, parent)
        if not self.ok:
            return None
        assert lat is not None
        assert lon is not None
        assert err is not None
        assert visit is not None
        assert ticket is not None
        assert popularity is not None
        assert c0 is not None
        assert c1 is not None
        assert indoor is not None
        return Site(
            id=sid,
            name_zh=name_zh,
            name_en=name_en,
            category=category,
            themes=themes,
            lat=lat,
            lon=lon,
            location_error_m=err,
            elevation_m=elev,
            opening_hours=hours,
            visit_minutes=int(visit),
            ticket_cny=ticket,
            capacity_instant=int(c0),
            capacity_daily=int(c1),
            popularity=popularity,
            indoor=indoor,
            study_grades=grades,
            source=source,
            confidence=confidence,
            accessible=bool(accessible),
            study_products=products,
            study_notes=self.text("study_notes"),
            activity=activity_en,
            activity_zh=activity_zh,
            aliases=aliases,
            parent_id=parent,
            district=self.text("district", max_len=100),
            note=self.text("note", max_len=5000),
            trail_km=trail_km,
            trail_ascent_m=trail_up,
            ticket_rule=rule,
            ticket_student_cny=student_price,
            ticket_child_cny=child_price,
            ticket_source=ticket_source,
        )


def _range_words(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"from {lo:g} to {hi:g}"
    if lo is not None:
        return f"of at least {lo:g}"
    if hi is not None:
        return f"of at most {hi:g}"
    return ""


def _likely_gcj02(table: SiteTable) -> list[tuple[Site, str]]:
    """Sites whose point equals a reference point shifted to GCJ-02.

    The reference points are the other sites of the table and the bundled
    gazetteer (administrative unit seats, WGS-84).  A WGS-84 point read off a
    Gaode or Tencent map sits 500-700 m from the truth near Jiaozuo, at the
    place where the GCJ-02 transform puts the true point.  So a site within
    60 m of ``wgs84_to_gcj02(ref)`` for some reference, and not itself
    within 60 m of any reference, is flagged.
    """
    from tourplan.geodesy import distance_km

    try:
        from tourplan.coords import wgs84_to_gcj02
    except ImportError:  # pragma: no cover - coords module is part of the package
        return []
    refs: list[tuple[float, float, str]] = [(s.lat, s.lon, s.id) for s in table]
    refs += _gazetteer_points()
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


def _gazetteer_points() -> list[tuple[float, float, str]]:
    from tourplan.resources import data_dir

    path = data_dir() / "gazetteer.csv"
    if not path.exists():
        return []
    out: list[tuple[float, float, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    for rec in records:
        if rec.get("lat") and rec.get("lon"):
            out.append((float(rec["lat"]), float(rec["lon"]), f"{rec['name_zh']} (gazetteer)"))
    return out


def visitor_fields(site: Site, lang: str = "zh") -> dict[str, Any]:
    """What a visitor page may show of a site, in one language.

    Only :data:`VISITOR_FIELDS` are read: never ``source``, ``confidence`` or
    ``note`` (see :data:`MAINTAINER_FIELDS`).  Opening hours come in words
    (:func:`~tourplan.hours.describe_hours`), the name and activity in
    *lang* with the other-language name beside it.

    Examples
    --------
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


def sites_frame(sites: Iterable[Site]) -> pd.DataFrame:
    """The sites as a pandas DataFrame (one row per site, list fields joined)."""
    import pandas as pd

    recs = []
    for s in sites:
        recs.append(
            {
                "id": s.id,
                "name_zh": s.name_zh,
                "name_en": s.name_en,
                "category": s.category,
                "themes": ";".join(sorted(s.themes)),
                "lat": s.lat,
                "lon": s.lon,
                "location_error_m": s.location_error_m,
                "confidence": s.confidence,
                "opening_hours": s.opening_hours,
                "visit_minutes": s.visit_minutes,
                "ticket_cny": s.ticket_cny,
                "capacity_instant": s.capacity_instant,
                "capacity_daily": s.capacity_daily,
                "popularity": s.popularity,
                "district": s.district,
            }
        )
    return pd.DataFrame.from_records(recs)


# ---------------------------------------------------------------------------
# Edges


def load_edges(
    path: str | Path | None,
    sites: SiteTable,
) -> tuple[Edge, ...]:
    """Read and validate explicit legs (``edges.csv``).

    Parameters
    ----------
    path
        The file; the bundled ``edges.csv`` when None.  A missing bundled
        file means no explicit legs.
    sites
        The site table the legs must refer to.
    """
    if path is None:
        from tourplan.resources import default_edges_path

        path = default_edges_path()
        if not path.exists():
            return ()
    path = Path(path)
    name = str(path)
    records = _read_table(_read_bytes(path), name, _EDGE_REQUIRED)
    problems: list[Issue] = []
    edges: list[Edge] = []
    for i, rec in enumerate(records, start=1):
        row = {str(k): str(v).strip() for k, v in rec.items()}
        c = _RowChecker(name, i, row, problems)
        a = c.text("from_id", required=True)
        b = c.text("to_id", required=True)
        for col, sid in (("from_id", a), ("to_id", b)):
            if sid and sites.get(sid) is None:
                c.bad(col, sid, "the id of a site in the site table")
        if a and a == b:
            c.bad("to_id", b, "a site other than from_id")
        mode = c.text("mode", required=True)
        if mode and mode not in EDGE_MODES:
            c.bad("mode", mode, f"one of {', '.join(EDGE_MODES)}")
        minutes = c.number("minutes", lo=0, hi=24 * 60, optional=True)
        dist = c.number("distance_km", lo=0, hi=1000)
        ascent = c.number("ascent_m", lo=0, hi=9000, optional=True, default=0.0)
        descent = c.number("descent_m", lo=0, hi=9000, optional=True, default=0.0)
        bidi = c.boolean("bidirectional", default=True)
        if minutes is None and dist is not None and dist == 0:
            c.bad("minutes", "", "minutes when distance_km is 0")
        if not c.ok:
            continue
        assert dist is not None  # noqa: S101
        edges.append(
            Edge(
                from_id=a,
                to_id=b,
                mode=mode,
                minutes=minutes,
                distance_km=dist,
                ascent_m=ascent or 0.0,
                descent_m=descent or 0.0,
                bidirectional=bool(bidi),
                kind=c.text("kind"),
                source=c.text("source"),
                note=c.text("note"),
            )
        )
    if problems:
        raise DataValidationError(problems)
    return tuple(edges)
