"""Import sites from an OpenStreetMap extract.

A regional extract (``.osm`` XML or ``.pbf``, e.g. a Henan extract a user
downloads) is read with pyosmium, which handles both formats.  Nodes, and
ways by the centroid of their nodes, that carry a ``tourism``, ``historic``,
``leisure``, ``shop`` or ``amenity`` tag of interest and a name become
:class:`OsmFeature` records with WGS-84 coordinates (OSM's own datum).
:func:`merge_sites` matches them to existing sites by name (Chinese or
English) so that a precise OSM point replaces a placeholder, and turns the
rest into new rows with the OSM id as source.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from geopy.distance import geodesic

from tourplan.errors import DataValidationError, Issue
from tourplan.hours import HoursError, check_hours
from tourplan.messages import Message
from tourplan.site import Site, SiteTable

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["MergeReport", "OsmFeature", "merge_sites", "read_osm", "write_sites_csv"]

# tag key -> values worth a site (None = every value)
_INTERESTING: dict[str, frozenset[str] | None] = {
    "tourism": frozenset(
        {
            "attraction",
            "museum",
            "viewpoint",
            "theme_park",
            "zoo",
            "gallery",
            "artwork",
            "hotel",
            "information",
        }
    ),
    "historic": None,
    "leisure": frozenset({"park", "garden", "nature_reserve", "stadium"}),
    "shop": frozenset({"mall", "department_store", "marketplace"}),
    "amenity": frozenset(
        {
            "restaurant",
            "food_court",
            "marketplace",
            "library",
            "university",
            "theatre",
            "arts_centre",
        }
    ),
    "railway": frozenset({"station"}),
    "natural": frozenset({"peak"}),
}

#: Location error assumed for an OSM point: a node marks the feature within
#: tens of metres; a way's centroid is within the way, so half its extent.
_NODE_ERROR_M = 30.0


@dataclass(frozen=True, slots=True)
class OsmFeature:
    """A named feature of an OSM extract."""

    osm_type: str  # "node" or "way"
    osm_id: int
    lat: float
    lon: float
    name: str
    name_zh: str
    name_en: str
    tags: dict[str, str] = field(hash=False, compare=False)
    extent_m: float = 0.0

    @property
    def source(self) -> str:
        """The OpenStreetMap URL of the feature."""
        return f"https://www.openstreetmap.org/{self.osm_type}/{self.osm_id}"

    @property
    def category(self) -> str:
        """tourplan category guessed from the tags."""
        t = self.tags
        if t.get("railway") == "station" or t.get("public_transport") == "station":
            return "transport"
        if t.get("tourism") == "museum":
            return "museum"
        if t.get("tourism") == "hotel":
            return "hotel"
        if "historic" in t:
            return "heritage"
        if t.get("natural") == "peak":
            return "mountain"
        if t.get("leisure") in {"park", "garden", "nature_reserve"}:
            return "park"
        if t.get("amenity") in {"restaurant", "food_court"}:
            return "food"
        if "shop" in t or t.get("amenity") == "marketplace":
            return "shopping"
        if t.get("amenity") == "university":
            return "study_base"
        return "culture"


def _wanted(tags: dict[str, str]) -> bool:
    if not (tags.get("name") or tags.get("name:zh") or tags.get("name:en")):
        return False
    for key, values in _INTERESTING.items():
        v = tags.get(key)
        if v is not None and (values is None or v in values):
            return True
    return False


def read_osm(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] = (34.8, 112.6, 35.5, 113.7),
) -> list[OsmFeature]:
    """Named features of interest inside a box (south, west, north, east).

    Raises
    ------
    DataValidationError
        When the file cannot be read as OSM data.
    """
    import osmium

    south, west, north, east = bbox
    path = Path(path)
    feats: list[OsmFeature] = []
    try:
        fp = osmium.FileProcessor(str(path)).with_locations()
        for obj in fp:
            if not isinstance(obj, osmium.osm.Node | osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in obj.tags}
            if not _wanted(tags):
                continue
            if isinstance(obj, osmium.osm.Node):
                if not obj.location.valid():
                    continue
                lat, lon, extent, kind = obj.location.lat, obj.location.lon, 0.0, "node"
            else:
                pts = [(n.location.lat, n.location.lon) for n in obj.nodes if n.location.valid()]
                if not pts:
                    continue
                lats = [p[0] for p in pts]
                lons = [p[1] for p in pts]
                lat, lon = sum(lats) / len(lats), sum(lons) / len(lons)
                extent = float(geodesic((min(lats), min(lons)), (max(lats), max(lons))).m)
                kind = "way"
            if not (south <= lat <= north and west <= lon <= east):
                continue
            name = tags.get("name", "")
            feats.append(
                OsmFeature(
                    osm_type=kind,
                    osm_id=int(obj.id),
                    lat=round(float(lat), 6),
                    lon=round(float(lon), 6),
                    name=name,
                    name_zh=tags.get("name:zh", "") or (name if _has_cjk(name) else ""),
                    name_en=tags.get("name:en", "") or ("" if _has_cjk(name) else name),
                    tags=tags,
                    extent_m=extent,
                )
            )
    except RuntimeError as exc:
        raise DataValidationError(
            [Issue.coded(str(path), None, None, None, Message("data_osm_file", {"error": exc}))]
        ) from None
    return feats


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[（(].*?[)）]", "", text)
    return re.sub(r"[\s·・\-_'\"]+", "", text)


@dataclass
class MergeReport:
    """What :func:`merge_sites` did."""

    updated: int = 0
    added: int = 0
    unchanged: int = 0
    details: list[str] = field(default_factory=list)


def _match(site: Site, feats: Sequence[OsmFeature]) -> OsmFeature | None:
    keys = {k for k in (_fold(site.name_zh), _fold(site.name_en)) if len(k) >= 2}
    best: OsmFeature | None = None
    for f in feats:
        names = {k for k in (_fold(f.name), _fold(f.name_zh), _fold(f.name_en)) if len(k) >= 2}
        if keys & names:
            return f
        if best is None and any(
            a in b or b in a for a in keys for b in names if min(len(a), len(b)) >= 3
        ):
            best = f
    return best


def merge_sites(table: SiteTable, feats: Iterable[OsmFeature]) -> tuple[SiteTable, MergeReport]:
    """Merge OSM features into a site table.

    A site whose name (zh or en) matches a feature's name gets the OSM point
    when that point is more precise than the site's own (smaller location
    error); its source gains the OSM URL and its confidence becomes high.
    Features that match no site become new rows (category guessed from the
    tags, defaults for visit length and capacity marked in the note).
    """
    feats = list(feats)
    report = MergeReport()
    used: set[tuple[str, int]] = set()
    out: list[Site] = []
    for s in table:
        f = _match(s, feats)
        if f is None:
            out.append(s)
            continue
        used.add((f.osm_type, f.osm_id))
        err = max(_NODE_ERROR_M, f.extent_m / 2)
        if err < s.location_error_m:
            out.append(
                replace(
                    s,
                    lat=f.lat,
                    lon=f.lon,
                    location_error_m=round(err),
                    confidence="high",
                    source=f"{f.source}; {s.source}",
                    note=(s.note + " " if s.note else "")
                    + f"[point from OpenStreetMap {f.osm_type} {f.osm_id}; was {s.lat:.5f},{s.lon:.5f} ±{s.location_error_m:.0f} m]",
                )
            )
            report.updated += 1
            report.details.append(
                f"{s.id}: {s.lat:.5f},{s.lon:.5f} ±{s.location_error_m:.0f} m -> {f.lat:.5f},{f.lon:.5f} ({f.source})"
            )
        else:
            out.append(s)
            report.unchanged += 1
    ids = {s.id for s in out}
    for f in feats:
        if (f.osm_type, f.osm_id) in used:
            continue
        sid = f"osm_{f.osm_type[0]}{f.osm_id}"
        if sid in ids:
            continue
        ids.add(sid)
        out.append(
            Site(
                id=sid,
                name_zh=f.name_zh or f.name,
                name_en=f.name_en,
                category=f.category,
                themes=frozenset(),
                lat=f.lat,
                lon=f.lon,
                location_error_m=round(max(_NODE_ERROR_M, f.extent_m / 2)),
                elevation_m=float(f.tags["ele"]) if _is_number(f.tags.get("ele", "")) else None,
                opening_hours=_valid_hours(f.tags.get("opening_hours", "")),
                visit_minutes=60 if f.category != "transport" else 0,
                ticket_cny=0.0,
                capacity_instant=0,
                capacity_daily=0,
                popularity=1.0,
                indoor=f.category in {"museum", "culture"},
                study_grades=frozenset(),
                source=f.source,
                confidence="high",
                note="Imported from OpenStreetMap; visit length, ticket and capacity are defaults to review.",
            )
        )
        report.added += 1
        report.details.append(f"{sid}: new {f.category} {f.name!r} at {f.lat:.5f},{f.lon:.5f}")
    return SiteTable(tuple(out), source=table.source), report


def _valid_hours(expr: str) -> str:
    try:
        check_hours(expr)
    except HoursError:
        return ""
    return expr


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_COLUMNS = ["id", "name_zh", "name_en", "aliases", "category", "themes", "lat", "lon", "location_error_m", "elevation_m", "opening_hours", "visit_minutes", "ticket_cny", "capacity_instant", "capacity_daily", "popularity", "indoor", "accessible", "study_grades", "study_products", "study_notes", "activity_en", "activity_zh", "parent_id", "district", "source", "confidence", "note"]


def write_sites_csv(sites: Iterable[Site], path: str | Path) -> None:
    """Write sites in the ``pois.csv`` format (readable by :func:`load_sites`)."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_COLUMNS)
        for s in sites:
            w.writerow(
                [
                    s.id,
                    s.name_zh,
                    s.name_en,
                    ";".join(s.aliases),
                    s.category,
                    ";".join(sorted(s.themes)),
                    f"{s.lat:.6f}",
                    f"{s.lon:.6f}",
                    f"{s.location_error_m:g}",
                    "" if s.elevation_m is None else f"{s.elevation_m:g}",
                    s.opening_hours,
                    s.visit_minutes,
                    f"{s.ticket_cny:g}",
                    s.capacity_instant,
                    s.capacity_daily,
                    f"{s.popularity:g}",
                    str(s.indoor).lower(),
                    str(s.accessible).lower(),
                    ";".join(sorted(s.study_grades)),
                    ";".join(sorted(s.study_products)),
                    s.study_notes,
                    s.activity,
                    s.activity_zh,
                    s.parent_id or "",
                    s.district,
                    s.source,
                    s.confidence,
                    s.note,
                ]
            )
