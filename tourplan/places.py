"""Places: what a visitor types as a start, an end or a must-see, resolved to a site; start and end points; stops.

A :class:`PlaceIndex` is built once per site table.  It knows each site by
its id, its Chinese and English names, its ``aliases`` and a few names
derived from the table's own (the part before brackets, the part after
``云台山·``).  Text is compared after :func:`normalize`: full-width
to half-width, case, spaces and separators folded, ``火车站``/``高铁站`` read
as ``站`` and "railway station"/"train station" as "station", and the
suffixes 风景名胜区/风景区/景区 dropped.

:meth:`PlaceIndex.resolve` returns the one matching site or raises
:class:`PlaceResolutionError`, which carries a message code, its parameters
and the closest sites (so the web and the CLI can say "did you mean ..." in
the visitor's language).  :meth:`PlaceIndex.suggest` serves type-ahead.

:class:`Place` is a start or end point of a day (a site, or a coordinate
that is not one) and :func:`resolve_place` finds it from a site id,
``"lat,lon"`` or a name (with an optional geocoder); :class:`SiteStop` is the
stop at a site both planners give.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.errors import PlaceNotFoundError, UnknownSiteError
from tourplan.messages import Message, Name
from tourplan.sights import category_name
from tourplan.site import fold_name

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from tourplan.site import Site, SiteTable

__all__ = [
    "Place",
    "PlaceIndex",
    "PlaceMatch",
    "PlaceResolutionError",
    "SiteStop",
    "Suggestion",
    "normalize",
    "resolve_place",
    "resolve_place_name",
    "suggest",
]

#: How a text matched, best first.
MATCH_KINDS: tuple[str, ...] = ("id", "name", "alias", "derived", "partial")
_MIN_SIMILARITY = 0.5
_STATION = (
    (re.compile(r"(火车站|高铁站|动车站|客运站)$"), "站"),
    (re.compile(r"(railway|train|railroad|hsr)station"), "station"),
)
_SUFFIX = re.compile(r"(风景名胜区|风景区|景区|scenicarea)$")


def normalize(text: str) -> str:
    """Fold a place name for comparison.

    Examples
    --------
    >>> normalize("焦作火车站"), normalize("Jiaozuo  Train Station"), normalize("ＹＵＮＴＡＩ")
    ('焦作站', 'jiaozuostation', 'yuntai')
    >>> normalize("云台山风景名胜区"), normalize("云台山景区")
    ('云台山', '云台山')
    """
    key = fold_name(text)
    for pattern, repl in _STATION:
        key = pattern.sub(repl, key)
    stripped = _SUFFIX.sub("", key)
    return stripped or key


def _derived(name_zh: str) -> set[str]:
    """Shorter names inside a Chinese name: the part outside brackets, the part after ``·``.

    Bracketed text is left out: it is either a note on the stand-in point
    (``焦作站南``, ``紫陵镇入口一带``) or another name, which the ``aliases``
    column lists on its own.
    """
    out: set[str] = set()
    outer = re.sub(r"[（(][^）)]*[）)]", "", name_zh).strip()
    if outer and outer != name_zh:
        out.add(outer)
    for base in (name_zh, outer):
        if "·" in base:
            out.add(base.split("·", 1)[1])
    return out


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A site and how the visitor's text matched it.

    Attributes
    ----------
    site
        The site.
    kind
        One of :data:`MATCH_KINDS`.
    matched
        The name or alias that matched, as written in the table.
    """

    site: Site
    kind: str
    matched: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One type-ahead entry: a site id, its label in the asked language and what matched."""

    site_id: str
    label: str
    matched: str

    def to_dict(self) -> dict[str, str]:
        """``{"id", "label", "matched"}`` for a JSON answer."""
        return {"id": self.site_id, "label": self.label, "matched": self.matched}


class PlaceResolutionError(PlaceNotFoundError):
    """A typed place that names no site, or several.

    Attributes
    ----------
    message
        The :class:`~tourplan.messages.Message` (code ``place_empty``,
        ``place_unknown``, ``place_unknown_no_hint``, ``place_ambiguous`` or
        ``place_not_a_sight``) to render in the visitor's language.
    field
        The request field the text came from (``start``, ``end``, ``must_see``).
    candidates
        The closest sites, best first (empty when none is close).
    """

    def __init__(self, message: Message, field: str, candidates: Iterable[Site] = ()) -> None:
        self.message = message
        self.field = field
        self.candidates = tuple(candidates)
        super().__init__(f"{field}: {message.render('en')}")

    @property
    def code(self) -> str:
        """The message code."""
        return self.message.code

    def to_dict(self) -> dict[str, object]:
        """Field, code, parameters and candidate ids, for a JSON error."""
        return {
            "field": self.field,
            **self.message.to_dict(),
            "candidates": [s.id for s in self.candidates],
        }


class PlaceIndex:
    """Every name a visitor may type, for one site table.

    Parameters
    ----------
    sites
        The table.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> index = PlaceIndex(load_sites())
    >>> index.resolve("焦作火车站").id, index.resolve("云台山").id, index.resolve(" Chenjiagou ").id
    ('jiaozuo_station', 'yuntai_mountain', 'chenjiagou')
    >>> try:
    ...     index.resolve("云台杉")
    ... except PlaceResolutionError as exc:
    ...     print(exc.message.render("zh"))  # doctest: +ELLIPSIS
    找不到“云台杉”。您要找的是不是：云台山风景名胜区、...？

    Notes
    -----
    Building is O(n) in the sites; :meth:`resolve` is O(1) for an exact
    match and O(k) (k = number of names) otherwise.
    """

    def __init__(self, sites: SiteTable | Iterable[Site]) -> None:
        self.sites: tuple[Site, ...] = tuple(sites)
        self._by_id = {s.id: s for s in self.sites}
        # key -> {site id: (kind rank, written name)}
        self._keys: dict[str, dict[str, tuple[int, str]]] = {}
        for s in self.sites:
            self._add(s.id, s, "id")
            for n in (s.name_zh, s.name_en):
                if n:
                    self._add(n, s, "name")
            for a in s.aliases:
                self._add(a, s, "alias")
            for d in _derived(s.name_zh):
                self._add(d, s, "derived")

    def _add(self, written: str, site: Site, kind: str) -> None:
        for key in {normalize(written), fold_name(written)}:
            if not key:
                continue
            rank = MATCH_KINDS.index(kind)
            slot = self._keys.setdefault(key, {})
            if site.id not in slot or slot[site.id][0] > rank:
                slot[site.id] = (rank, written)

    def match(self, text: str) -> list[PlaceMatch]:
        """Every site the text names exactly, else by containment (best kind first)."""
        if text in self._by_id:
            return [PlaceMatch(self._by_id[text], "id", text)]
        key = normalize(text)
        if not key:
            return []
        exact = self._keys.get(key) or self._keys.get(fold_name(text))
        if exact:
            best = min(rank for rank, _ in exact.values())
            return [
                PlaceMatch(self._by_id[sid], MATCH_KINDS[rank], written)
                for sid, (rank, written) in exact.items()
                if rank == best
            ]
        # A part of a longer name ("天阶酒店" of 云台山天阶酒店...) first; else the
        # longest name found inside the text ("焦作站南广场" holds 焦作站).
        inside: dict[str, PlaceMatch] = {}
        holds: dict[str, tuple[int, PlaceMatch]] = {}
        for k, owners in self._keys.items():
            if len(k) < 2:
                continue
            for sid, (_, written) in owners.items():
                if key in k:
                    inside.setdefault(sid, PlaceMatch(self._by_id[sid], "partial", written))
                elif k in key and len(k) > holds.get(sid, (0, None))[0]:
                    holds[sid] = (len(k), PlaceMatch(self._by_id[sid], "partial", written))
        if inside:
            return list(inside.values())
        longest = max((n for n, _ in holds.values()), default=0)
        return [m for n, m in holds.values() if n == longest]

    def closest(self, text: str, *, limit: int = 5, allowed: Collection[str] | None = None) -> list[Site]:
        """The sites whose names or aliases look most like *text* (typos, near misses).

        Parameters
        ----------
        text
            What was typed.
        limit
            At most this many sites.
        allowed
            Only sites of these categories, when given.
        """
        key = normalize(text)
        if not key:
            return []
        scores: dict[str, float] = {}
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(key)
        for k, owners in self._keys.items():
            matcher.set_seq1(k)
            if matcher.real_quick_ratio() < _MIN_SIMILARITY or matcher.quick_ratio() < _MIN_SIMILARITY:
                continue
            score = matcher.ratio()
            if score < _MIN_SIMILARITY:
                continue
            for sid in owners:
                scores[sid] = max(scores.get(sid, 0.0), score)
        ranked = sorted(
            (self._by_id[sid] for sid in scores),
            key=lambda s: (-scores[s.id], -s.popularity, s.id),
        )
        return [s for s in ranked if allowed is None or s.category in allowed][:limit]

    def resolve(
        self,
        text: str,
        *,
        field: str = "start",
        allowed: Collection[str] | None = None,
    ) -> Site:
        """The one site *text* names.

        Parameters
        ----------
        text
            A site id, a Chinese or English name, an alias or a hotel name.
        field
            The request field, named in the error.
        allowed
            Categories the site must have (e.g. sights only for a must-see).

        Returns
        -------
        Site

        Raises
        ------
        PlaceResolutionError
            ``place_empty`` for blank text; ``place_ambiguous`` with the
            candidates when several sites match equally; ``place_unknown``
            with the closest sites (``place_unknown_no_hint`` when none is
            close); ``place_not_a_sight`` when the one match is of a
            category not in *allowed*.
        """
        if not text.strip():
            raise PlaceResolutionError(Message("place_empty"), field)
        matches = self.match(text.strip())
        if allowed is not None and len(matches) > 1:
            matches = [m for m in matches if m.site.category in allowed] or matches
        if len(matches) == 1:
            site = matches[0].site
            if allowed is not None and site.category not in allowed:
                msg = Message(
                    "place_not_a_sight", {"name": _name(site), "category": category_name(site.category)}
                )
                raise PlaceResolutionError(msg, field, self.closest(text, allowed=allowed))
            return site
        if matches:
            ranked = sorted((m.site for m in matches), key=lambda s: (-s.popularity, s.id))
            msg = Message(
                "place_ambiguous", {"text": text.strip(), "candidates": [_name(s) for s in ranked[:6]]}
            )
            raise PlaceResolutionError(msg, field, ranked)
        near = self.closest(text, allowed=allowed)
        if near:
            msg = Message("place_unknown", {"text": text.strip(), "candidates": [_name(s) for s in near]})
        else:
            msg = Message("place_unknown_no_hint", {"text": text.strip()})
        raise PlaceResolutionError(msg, field, near)

    def suggest(
        self,
        prefix: str,
        *,
        lang: str = "zh",
        limit: int = 8,
        allowed: Collection[str] | None = None,
    ) -> list[Suggestion]:
        """Type-ahead: sites with a name or alias starting with, then containing, *prefix*.

        Parameters
        ----------
        prefix
            What has been typed so far.
        lang
            Language of the labels (``"zh"`` or ``"en"``).
        limit
            At most this many entries.
        allowed
            Only sites of these categories, when given.

        Returns
        -------
        list of Suggestion
            Prefix matches before inner matches, then by popularity.

        Examples
        --------
        >>> from tourplan.data import load_sites
        >>> [s.site_id for s in PlaceIndex(load_sites()).suggest("红石", limit=3)]
        ['yuntai_hongshixia']
        """
        key = fold_name(prefix)
        if not key or limit <= 0:
            return []
        best: dict[str, tuple[int, str]] = {}
        for k, owners in self._keys.items():
            if key not in k:
                continue
            where = 0 if k.startswith(key) else 1
            for sid, (rank, written) in owners.items():
                if MATCH_KINDS[rank] == "id":
                    continue
                old = best.get(sid)
                if old is None or where < old[0]:
                    best[sid] = (where, written)
        sites = [self._by_id[sid] for sid in best if allowed is None or self._by_id[sid].category in allowed]
        sites.sort(key=lambda s: (best[s.id][0], -s.popularity, s.label(lang)))
        return [Suggestion(s.id, s.label(lang), best[s.id][1]) for s in sites[:limit]]


def _name(site: Site) -> Name:
    return Name(site.name_zh, site.name_en)


def resolve_place_name(
    text: str,
    sites: SiteTable | Iterable[Site],
    *,
    field: str = "start",
    allowed: Collection[str] | None = None,
) -> Site:
    """One-off :meth:`PlaceIndex.resolve` (build a :class:`PlaceIndex` to resolve many)."""
    return PlaceIndex(sites).resolve(text, field=field, allowed=allowed)


def suggest(
    prefix: str,
    sites: SiteTable | Iterable[Site],
    *,
    lang: str = "zh",
    limit: int = 8,
    allowed: Collection[str] | None = None,
) -> list[Suggestion]:
    """One-off :meth:`PlaceIndex.suggest` (build a :class:`PlaceIndex` to serve many)."""
    return PlaceIndex(sites).suggest(prefix, lang=lang, limit=limit, allowed=allowed)


# ---------------------------------------------------------------------------
# Start and end points, and stops


@dataclass(frozen=True, slots=True)
class Place:
    """A start or end point: a site, or a coordinate that is not a site."""

    key: str
    name: str
    lat: float
    lon: float
    site_id: str | None = None


@dataclass(frozen=True, slots=True)
class SiteStop:
    """A stop at a site, as both planners give it: where, when (minutes after midnight), what it costs.

    ``ticket_cny`` is what the stop's tickets cost (the visitor's, or the
    whole group's).  :class:`tourplan.itinerary.Stop` and
    :class:`tourplan.study.GroupStop` add, as keyword fields, what each
    planner knows about the visit.
    """

    site_id: str
    name_zh: str
    name_en: str
    lat: float
    lon: float
    arrive: float
    start: float
    end: float
    ticket_cny: float
    is_lunch: bool = False

    @property
    def wait(self) -> float:
        """Minutes waited between arriving and the visit's start (for opening, for lunch time, on the bus)."""
        return self.start - self.arrive


_COORD_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


_INDEXES: dict[int, tuple[SiteTable, PlaceIndex]] = {}


def place_index(sites: SiteTable) -> PlaceIndex:
    """The :class:`PlaceIndex` of a site table, built once per table (the last 8 tables are kept)."""
    got = _INDEXES.get(id(sites))
    if got is None or got[0] is not sites:
        if len(_INDEXES) >= 8:
            _INDEXES.pop(next(iter(_INDEXES)))
        got = (sites, PlaceIndex(sites))
        _INDEXES[id(sites)] = got
    return got[1]


def resolve_place(text: str, sites: SiteTable, *, geocoder: Any = None, field_name: str = "start") -> Place:
    """Turn what a planner is given as a start, end or hotel into a :class:`Place`.

    A site id, ``"lat,lon"`` or a site's exact name first; then a name or
    alias through the table's :class:`PlaceIndex`; a name that matches no
    site is geocoded when a geopy *geocoder* is given (the result is assumed
    WGS-84, as OpenStreetMap's Nominatim returns).

    Raises
    ------
    PlaceNotFoundError
        A :class:`PlaceResolutionError` naming the field and the closest
        sites, or a message that says what the geocoder tried.
    """
    try:
        return _resolve_exact(text, sites, field_name=field_name)
    except PlaceNotFoundError:
        pass
    try:
        s = place_index(sites).resolve(text, field=field_name)
    except PlaceResolutionError as exc:
        if geocoder is None:
            # the first words as before ("could not find"), then the closest matches
            exc.args = (f"{field_name}: could not find {text!r}. {exc.message.render('en')}",)
            raise
        return _resolve_exact(text, sites, geocoder=geocoder, field_name=field_name)
    return Place(s.id, s.name, s.lat, s.lon, s.id)


def _resolve_exact(text: str, sites: SiteTable, *, geocoder: Any = None, field_name: str = "start") -> Place:
    """A site id, ``"lat,lon"`` or a site's exact name (Chinese or English), else the geocoder when given.

    Raises
    ------
    PlaceNotFoundError
        With a message that says what was tried.
    """
    text = text.strip()
    if text in sites:
        s = sites[text]
        return Place(s.id, s.name, s.lat, s.lon, s.id)
    m = _COORD_RE.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (34.0 <= lat <= 36.5 and 112.0 <= lon <= 115.0):
            msg = f"{field_name}: the point {lat},{lon} is not near Jiaozuo (expected WGS-84 lat,lon)"
            raise PlaceNotFoundError(msg)
        return Place(f"{field_name}_point", f"{lat:.5f},{lon:.5f}", lat, lon, None)
    try:
        s = sites.find(text)
    except UnknownSiteError as exc:
        if "several" in str(exc):
            msg = f"{field_name}: {exc}"
            raise PlaceNotFoundError(msg) from None
        if geocoder is None:
            msg = (
                f"{field_name}: could not find {text!r}: it matches no site name (Chinese or English) "
                "and no geocoder is configured (offline); give a site id or 'lat,lon'"
            )
            raise PlaceNotFoundError(msg) from None
        try:
            loc = geocoder.geocode(f"{text}, 焦作")
        except Exception as gexc:  # noqa: BLE001 - any geocoder failure is reported the same way
            msg = f"{field_name}: could not find {text!r}: the geocoder failed ({type(gexc).__name__})"
            raise PlaceNotFoundError(msg) from None
        if loc is None:
            msg = f"{field_name}: could not find {text!r} by site name or by the geocoder"
            raise PlaceNotFoundError(msg) from None
        return Place(f"{field_name}_point", text, float(loc.latitude), float(loc.longitude), None)
    return Place(s.id, s.name, s.lat, s.lon, s.id)
