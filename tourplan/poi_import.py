"""Points for existing sites from outside sources: Gaode/Baidu POI exports and OpenStreetMap.

:func:`read_poi_export` reads a POI export of a Chinese map provider -- the
JSON of Gaode's place search (``{"pois": [{"name", "location": "lon,lat"}]}``,
GCJ-02), of Baidu's (``{"results": [{"name", "location": {"lat", "lng"}}]}``,
BD-09), or a CSV with a name and longitude/latitude columns (English or
Chinese headers) -- and converts every point to WGS-84.
:func:`match_points` pairs them with sites by name and says, per site, how
far its point would move and its old and new confidence; staff tick the
rows to apply (see :mod:`tourplan.web.sites`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.coords import DATUMS, to_wgs84
from tourplan.errors import DataValidationError, Issue
from tourplan.geodesy import distance_km
from tourplan.messages import Message

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tourplan.site import SiteTable

__all__ = ["ImportMatch", "PoiPoint", "match_points", "read_poi_export"]

#: location_error_m given to a provider's POI point (the POI marks the place, not the gate).
POI_ERROR_M = 30.0
_LON = ("lon", "lng", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")
_NAME = ("name", "名称", "poi名称", "title")
_ID = ("id", "uid", "poiid", "poi_id")


@dataclass(frozen=True)
class PoiPoint:
    """A named point from an import, already in WGS-84."""

    name: str
    lat: float
    lon: float
    source: str
    error_m: float = POI_ERROR_M


@dataclass(frozen=True)
class ImportMatch:
    """What applying one imported point to one site would change."""

    site_id: str
    site_name: str
    point: PoiPoint
    old_lat: float
    old_lon: float
    moved_m: float
    old_error_m: float
    new_error_m: float
    old_confidence: str
    new_confidence: str
    exact: bool

    @property
    def improves(self) -> bool:
        """Whether the new point claims a smaller error than the site's."""
        return self.new_error_m < self.old_error_m

    def row(self) -> dict[str, str]:
        """The columns to write (a partial ``pois.csv`` row)."""
        return {
            "id": self.site_id,
            "lat": f"{self.point.lat:.7f}",
            "lon": f"{self.point.lon:.7f}",
            "location_error_m": f"{self.new_error_m:g}",
            "confidence": self.new_confidence,
        }


def _pick(rec: dict[str, Any], keys: Iterable[str]) -> Any:
    low = {str(k).strip().lower(): v for k, v in rec.items()}
    for k in keys:
        if k in low and low[k] not in (None, ""):
            return low[k]
    return None


def read_poi_export(raw: bytes, *, name: str = "<import>", datum: str | None = None) -> list[PoiPoint]:
    """Named points of a Gaode/Baidu POI export (JSON or CSV), converted to WGS-84.

    Parameters
    ----------
    raw
        The file's bytes (UTF-8).
    name
        The file name (messages and the points' source).
    datum
        The datum of the coordinates; by default gcj02 for Gaode JSON,
        bd09 for Baidu JSON and gcj02 for CSV.

    Raises
    ------
    DataValidationError
        Naming the file and each bad record.

    Examples
    --------
    >>> gaode = '{"pois": [{"id": "B1", "name": "嘉应观", "location": "113.2464,35.2157"}]}'
    >>> (p,) = read_poi_export(gaode.encode())
    >>> p.name, round(p.lat, 4), round(p.lon, 4), p.source
    ('嘉应观', 35.2162, 113.24, 'gaode B1 (<import>, gcj02)')
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataValidationError(
            [Issue.coded(name, None, None, None, Message("data_utf8_plain"))], what="import"
        ) from None
    if datum is not None and datum not in DATUMS:
        raise DataValidationError(
            [Issue.coded(name, None, "datum", datum, Message("data_one_of", {"choices": list(DATUMS)}))],
            "import",
        )
    records: list[dict[str, Any]]
    provider = "csv"
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataValidationError(
                [Issue.coded(name, None, None, None, Message("data_json", {"error": exc}))], "import"
            ) from None
        if isinstance(data, dict) and isinstance(data.get("pois"), list):
            provider, records = "gaode", data["pois"]
        elif isinstance(data, dict) and isinstance(data.get("results"), list):
            provider, records = "baidu", data["results"]
        elif isinstance(data, list):
            records = data
        else:
            raise DataValidationError(
                [Issue.coded(name, None, None, None, Message("data_poi_list"))], "import"
            )
    else:
        records = list(csv.DictReader(io.StringIO(text)))
    used = datum or ("bd09" if provider == "baidu" else "gcj02")
    points: list[PoiPoint] = []
    problems: list[Issue] = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            problems.append(Issue.coded(name, i, None, None, Message("data_poi_object")))
            continue
        label = str(_pick(rec, _NAME) or "").strip()
        lat, lon = _coords(rec)
        if not label:
            problems.append(Issue.coded(name, i, "name", None, Message("data_poi_name")))
        if lat is None or lon is None:
            problems.append(Issue.coded(name, i, "location", None, Message("data_poi_location")))
        if not label or lat is None or lon is None:
            continue
        w_lat, w_lon = to_wgs84(lat, lon, used)
        ref = str(_pick(rec, _ID) or "").strip()
        where = f"{provider} {ref}".strip() if ref else provider
        points.append(PoiPoint(label, round(w_lat, 7), round(w_lon, 7), f"{where} ({name}, {used})"))
    if problems:
        raise DataValidationError(problems, what="import")
    return points


def _coords(rec: dict[str, Any]) -> tuple[float | None, float | None]:
    loc = rec.get("location")
    lat: Any = None
    lon: Any = None
    if isinstance(loc, str) and "," in loc:
        lon, lat = loc.split(",", 1)
    elif isinstance(loc, dict):
        lat, lon = loc.get("lat"), loc.get("lng", loc.get("lon"))
    else:
        lat, lon = _pick(rec, _LAT), _pick(rec, _LON)
    try:
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None, None
    if not (math.isfinite(flat) and math.isfinite(flon) and -90 <= flat <= 90 and -180 <= flon <= 180):
        return None, None
    return flat, flon


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[（(].*?[)）]", "", text)
    return re.sub(r"[\s·・\-_'\"]+", "", text)


def match_points(table: SiteTable, points: Iterable[PoiPoint]) -> list[ImportMatch]:
    """Pair imported points with sites by name (exact first, then one name inside the other).

    Each site takes its first exact match, else its first partial one
    (names of at least three characters). An exact match gives confidence
    high, a partial one medium.
    """
    pts = list(points)
    out: list[ImportMatch] = []
    for s in table:
        keys = {k for k in (_fold(s.name_zh), _fold(s.name_en)) if len(k) >= 2}
        exact = next((p for p in pts if _fold(p.name) in keys), None)
        partial = None
        if exact is None:
            partial = next(
                (p for p in pts if any(min(len(k), len(_fold(p.name))) >= 3 and (k in _fold(p.name) or _fold(p.name) in k)
                                       for k in keys)),
                None,
            )  # fmt: skip
        p = exact or partial
        if p is None:
            continue
        moved = float(distance_km(s.lat, s.lon, p.lat, p.lon)) * 1000
        out.append(
            ImportMatch(
                site_id=s.id,
                site_name=s.name,
                point=p,
                old_lat=s.lat,
                old_lon=s.lon,
                moved_m=moved,
                old_error_m=s.location_error_m,
                new_error_m=p.error_m,
                old_confidence=s.confidence,
                new_confidence="high" if exact is not None else "medium",
                exact=exact is not None,
            )  # fmt: skip
        )
    out.sort(key=lambda m: -m.moved_m)
    return out
