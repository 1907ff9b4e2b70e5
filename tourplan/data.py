"""The site data files: reading ``pois.csv`` and ``edges.csv``.

``data/pois.csv`` holds one row per site (see ``data/README.md`` for the
columns).  :func:`load_sites` reads it, has every row checked
(:mod:`tourplan.sitecheck`), gathers every problem and raises one
:class:`~tourplan.errors.DataValidationError` naming file, row, column, the
bad value and what was expected.  A file that passes becomes a
:class:`~tourplan.site.SiteTable` of frozen :class:`~tourplan.site.Site`
records.  :func:`load_edges` does the same for the explicit legs.

Row numbers in messages are data rows counted from 1 (the header is not a
row); the matching line number of the file is given as well.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tourplan.errors import DataValidationError, Issue, LikelyGCJ02Warning
from tourplan.messages import Message
from tourplan.site import REQUIRED_COLUMNS, Region, SiteTable
from tourplan.sitecheck import check_edge_table, check_site_table, likely_gcj02

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pandas as pd

    from tourplan.site import Edge, Site

__all__ = [
    "load_edges",
    "load_sites",
    "parse_sites",
    "sites_frame",
]

_MAX_ROWS = 20_000
_MAX_COLUMNS = 200
_EDGE_REQUIRED = ("from_id", "to_id", "mode", "distance_km")


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
            [
                Issue.coded(
                    str(path), None, None, None, Message("data_readable", {"error": exc.strerror or exc})
                )
            ]
        ) from None


def _read_table(raw: bytes, name: str, required: Sequence[str]) -> list[dict[str, Any]]:
    """Decode and parse CSV bytes into records of strings (keyed by column), or raise once."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [
                Issue.coded(
                    name,
                    None,
                    None,
                    Message("data_value_byte", {"byte": f"0x{raw[exc.start]:02x}", "offset": exc.start}),
                    Message("data_utf8"),
                )
            ]
        ) from None
    if not text.strip():
        raise DataValidationError([Issue.coded(name, None, None, None, Message("data_csv_header"))])
    header = _header(text, name)
    header_fields = len(header)
    if header_fields > _MAX_COLUMNS:
        raise DataValidationError(
            [
                Issue.coded(
                    name,
                    None,
                    None,
                    Message("data_value_columns", {"n": header_fields}),
                    Message("data_max_columns", {"n": _MAX_COLUMNS}),
                )
            ]
        )
    counts = Counter(h.strip() for h in header)  # O(columns): the header is bounded above
    dupes = sorted(c for c, k in counts.items() if k > 1)
    lines = text.splitlines()
    if len(lines) - 1 > _MAX_ROWS:
        raise DataValidationError(
            [
                Issue.coded(
                    name,
                    None,
                    None,
                    Message("data_value_lines", {"n": len(lines) - 1}),
                    Message("data_max_rows", {"n": _MAX_ROWS}),
                )
            ]
        )
    columns, records = _plain_records(text, header) or _pandas_records(text, name, header_fields)
    problems = [
        Issue.coded(name, None, col, None, Message("data_missing_column"))
        for col in required
        if col not in columns
    ]
    problems += [Issue.coded(name, None, c, None, Message("data_column_once")) for c in dupes]
    if problems:
        raise DataValidationError(problems)
    return records


def _plain_records(text: str, header: list[str]) -> tuple[list[str], list[dict[str, Any]]] | None:
    r"""The records of a regular CSV, read without pandas; None for any other file.

    Regular: at least two unique, non-empty column names and every row as
    wide as the header.  For such a file the csv module reads what pandas
    reads, and loading pandas would cost a third of a second at each
    command's start; anything else goes to :func:`_pandas_records`, whose
    messages the problems quote.

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
            problem = Issue.coded(
                name,
                line - 1,
                None,
                Message("data_value_fields", {"n": int(m.group(2))}),
                Message("data_fields", {"n": header_fields, "line": line}),
            )
        else:
            problem = Issue.coded(name, None, None, None, Message("data_csv", {"error": str(exc).strip()}))
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
        raise DataValidationError(
            [Issue.coded(name, None, None, None, Message("data_csv", {"error": exc}))]
        ) from None


def parse_sites(
    raw: bytes | str,
    *,
    name: str = "<upload>",
    region: Region | None = None,
) -> SiteTable:
    """Validate CSV content (bytes or text) and build a :class:`SiteTable`.

    Used by :func:`load_sites` and by uploads, which have no file on disk.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    records = _read_table(data, name, REQUIRED_COLUMNS)
    sites, rows = check_site_table(records, name=name, region=region or Region())
    table = SiteTable(sites, source=name)
    for s, ref in likely_gcj02(table, _gazetteer_points()):
        point = f"{s.lat:.5f},{s.lon:.5f}"
        said = Message("data_gcj02", {"file": name, "row": rows[s.id], "id": s.id, "point": point, "ref": ref})
        warnings.warn(LikelyGCJ02Warning(message=said), stacklevel=2)
    return table


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
    return check_edge_table(_read_table(_read_bytes(path), str(path), _EDGE_REQUIRED), sites, name=str(path))
