"""Services of the site-data pages: import previews and the data-quality report."""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from tourplan.errors import DataValidationError, Issue, TourplanError
from tourplan.messages import Message
from tourplan.poi_import import ImportMatch, PoiPoint, match_points, read_poi_export
from tourplan.site import CONFIDENCE_LEVELS, THEMES
from tourplan.siteedit import merged_source
from tourplan.store import _Itinerary, _StudyPlan, new_id
from tourplan.web.services.data import get_store, site_data
from tourplan.web.services.planning import showcase_result
from tourplan.web.sitedata import plan_site_ids, site_store

if TYPE_CHECKING:
    from tourplan.sitestore import Editor, SiteRecord

__all__ = ["ImportPreview", "QualityReport", "import_apply", "import_preview", "quality_report"]

_OSM_SUFFIXES = (".osm", ".pbf", ".xml", ".bz2")
_HOURS_ASSUMED = re.compile(r"hours assumed", re.IGNORECASE)
_TICKET_GUESSED = re.compile(r"ticket[^.]*\bestimate\b|free entry assumed", re.IGNORECASE)


@dataclass(frozen=True)
class ImportPreview:
    """The matched sites of an uploaded file (nothing applied yet)."""

    filename: str
    points: int
    matches: tuple[ImportMatch, ...]
    token: str


def _staging() -> Path:
    d = Path(current_app.instance_path) / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _osm_points(raw: bytes, filename: str) -> list[PoiPoint]:
    from tourplan.osm import read_osm

    suffix = "".join(Path(filename).suffixes[-2:]) or ".osm"
    with tempfile.NamedTemporaryFile(suffix=suffix, dir=_staging()) as fh:
        fh.write(raw)
        fh.flush()
        feats = read_osm(fh.name)
    out = []
    for f in feats:
        for label in dict.fromkeys(n for n in (f.name, f.name_zh, f.name_en) if n):
            out.append(PoiPoint(label, f.lat, f.lon, f.source, max(30.0, round(f.extent_m / 2))))
    return out


def import_preview(raw: bytes, filename: str, datum: str) -> ImportPreview:
    """Read an OSM extract or a Gaode/Baidu export, match it to the sites and stage it.

    Raises
    ------
    DataValidationError
        When the file cannot be read (every bad record named).
    """
    name = Path(filename).name[:100] or "import"
    if name.lower().endswith(_OSM_SUFFIXES):
        points = _osm_points(raw, name)
    else:
        points = read_poi_export(raw, name=name, datum=datum or None)
    matches = tuple(match_points(site_data().sites, points))
    token = new_id()
    staged = [{"row": m.row(), "source": m.point.source} for m in matches]
    (_staging() / f"import-{token}.json").write_text(json.dumps({"file": name, "rows": staged}), "utf-8")
    return ImportPreview(name, len(points), matches, token)


def import_apply(token: str, site_ids: list[str], editor: Editor) -> int:
    """Apply the staged rows of the ticked sites (kind ``import``); return how many.

    Raises
    ------
    KeyError
        For an unknown or used token.
    DataValidationError
        When a row no longer passes the checks (nothing is applied).
    """
    if not token or not all(c.isalnum() or c in "-_" for c in token):
        raise KeyError(token)
    path = _staging() / f"import-{token}.json"
    if not path.exists():
        raise KeyError(token)
    staged = json.loads(path.read_text("utf-8"))
    store = site_store()
    chosen = [r for r in staged["rows"] if r["row"]["id"] in set(site_ids)]
    if not chosen:
        raise DataValidationError(
            [Issue.coded(staged["file"], None, None, None, Message("data_ticked_row"))], "import"
        )
    rows = []
    for r in chosen:
        rec = store.get(r["row"]["id"])
        old_source = rec.row.get("source", "") if rec is not None else ""
        rows.append({**r["row"], "source": merged_source(r["source"], old_source)})
    store.apply_rows(rows, kind="import", editor=editor, reason=f"import of {staged['file']}",
                     source=staged["file"])  # fmt: skip
    path.unlink(missing_ok=True)
    return len(rows)


# --------------------------------------------------------------------------- data quality


@dataclass(frozen=True)
class Impact:
    """How much a site's location error matters to plans."""

    rec: SiteRecord
    error_m: float
    popularity: float
    showcase: bool
    saved_plans: int

    @property
    def score(self) -> float:
        """Error weighted by use: metres x (popularity + 5 if showcased + saved plans)."""
        return self.error_m * (self.popularity + (5 if self.showcase else 0) + self.saved_plans)


@dataclass(frozen=True)
class QualityReport:
    """The data-quality page's figures."""

    data_version: int
    sites: int
    confidence: dict[str, int]
    impact: list[Impact]
    shared: list[list[SiteRecord]]
    missing: dict[str, list[SiteRecord]] = field(default_factory=dict)


def _saved_plan_counts(limit: int = 2000) -> Counter[str]:
    """In how many of the latest saved itineraries and study tours each site appears."""
    counts: Counter[str] = Counter()
    store = get_store()
    with store._tx() as s:  # noqa: SLF001 - a read-only scan of saved results
        for model in (_Itinerary, _StudyPlan):
            for result in s.scalars(select(model.result).order_by(model.created.desc()).limit(limit)):
                counts.update(plan_site_ids(result or {}))
    return counts


def _float(text: str, default: float = 0.0) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def quality_report(top: int = 25) -> QualityReport:
    """Counts per confidence, the errors that matter most, points shared by several sites, gaps."""
    version, recs = site_store().records()
    showcase: set[str] = set()
    for theme in THEMES:  # the themed routes promotional sites embed (planned once per data version)
        try:
            showcase |= plan_site_ids(showcase_result(theme))
        except TourplanError:
            continue
    saved = _saved_plan_counts()
    impact = [
        Impact(
            r,
            _float(r.row.get("location_error_m", "")),
            _float(r.row.get("popularity", "")),
            r.id in showcase,
            saved[r.id],
        )  # fmt: skip
        for r in recs
    ]
    impact = sorted((i for i in impact if i.error_m > 0), key=lambda i: -i.score)[:top]
    by_point: dict[tuple[str, str], list[SiteRecord]] = defaultdict(list)
    for r in recs:
        by_point[(f"{_float(r.row.get('lat', '')):.4f}", f"{_float(r.row.get('lon', '')):.4f}")].append(r)
    shared = sorted((g for g in by_point.values() if len(g) > 1), key=lambda g: -len(g))
    conf = Counter(r.row.get("confidence", "") for r in recs)
    missing = {
        "translation": [r for r in recs if not r.row.get("name_zh") or not r.row.get("name_en")],
        "hours": [
            r for r in recs if not r.row.get("opening_hours") or _HOURS_ASSUMED.search(r.row.get("note", ""))
        ],
        "tickets": [r for r in recs if _TICKET_GUESSED.search(r.row.get("note", ""))],
    }
    return QualityReport(
        version, len(recs), {c: conf.get(c, 0) for c in CONFIDENCE_LEVELS}, impact, shared, missing
    )
