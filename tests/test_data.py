"""Loading and validating the site table."""

from __future__ import annotations

import csv
import io
import warnings
from typing import TYPE_CHECKING

import pytest

from tourplan.data import load_edges, load_sites, parse_sites
from tourplan.errors import DataValidationError, LikelyGCJ02Warning
from tourplan.site import CATEGORIES, REQUIRED_COLUMNS, THEMES, Region

if TYPE_CHECKING:
    from pathlib import Path


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def test_small_table_loads(small_sites):
    assert len(small_sites) == 8
    s = small_sites["chenjiagou"]
    assert s.themes == {"taiji", "history", "culture"}
    assert s.study_grades == {"primary", "junior", "senior"}
    assert s.indoor is False
    assert small_sites["yuntai_mountain"].elevation_m == 1308
    assert small_sites["jiaozuo_station"].elevation_m is None


def test_bundled_table_is_valid_and_covers_the_brief(bundled_sites):
    assert len(bundled_sites) >= 45
    cats = {s.category for s in bundled_sites}
    for needed in ("transport", "mountain", "food", "shopping"):
        assert needed in cats
    names = " ".join(s.name_zh for s in bundled_sites)
    for must in (
        "花海广场",
        "云台山",
        "神农山",
        "青天河",
        "峰林峡",
        "青龙峡",
        "缝山",
        "陈家沟",
        "嘉应观",
        "山阳故城",
        "南水北调",
        "河南理工大学",
    ):
        assert must in names, must
    for s in bundled_sites:
        assert s.source
        assert s.confidence in {"high", "medium", "low"}
        assert s.themes <= set(THEMES)
        assert s.category in CATEGORIES
        if s.confidence == "low":
            assert s.location_error_m >= 300, s.id


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("lat", "95.2", "from -90 to 90"),
        ("lat", "abc", "a number"),
        ("lat", "", "a number"),
        ("lon", "nan", "a finite number"),
        ("category", "volcano", "one of transport"),
        ("themes", "mountain;karaoke", "unknown: karaoke"),
        ("opening_hours", "sometimes open", "opening_hours"),
        ("visit_minutes", "-30", "from 0 to"),
        ("visit_minutes", "12.5", "a whole number"),
        ("ticket_cny", "-1", "from 0 to"),
        ("source", "", "a non-empty value"),
        ("confidence", "certain", "high, medium or low"),
        ("indoor", "maybe", "true or false"),
        ("study_grades", "college", "unknown: college"),
        ("id", "Bad Id!", "lower-case letters"),
        ("capacity_daily", "10", "at least capacity_instant"),
        ("popularity", "11", "from 0 to 10"),
        ("location_error_m", "-5", "from 0 to"),
        ("parent_id", "no_such_site", "the id of another row"),
    ],
)
def test_bad_value_names_file_row_column(small_pois, tmp_path, column, value, expected):
    header, rows = _rows(small_pois)
    rows[6][column] = value  # data row 7
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv(header, rows), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_sites(bad)
    probs = [p for p in info.value.problems if p.column == column]
    assert probs, info.value.problems
    p = probs[0]
    assert p.row == 7
    assert p.file == str(bad)
    assert expected in p.expected
    msg = str(info.value)
    assert "row 7" in msg
    assert repr(column) in msg


def test_missing_columns_named(small_pois, tmp_path):
    header, rows = _rows(small_pois)
    header = [h for h in header if h not in ("lat", "source")]
    for r in rows:
        del r["lat"], r["source"]
    f = tmp_path / "cols.csv"
    f.write_text(_csv(header, rows), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_sites(f)
    assert {p.column for p in info.value.problems} == {"lat", "source"}
    assert all(p.row is None for p in info.value.problems)


def test_bom_and_crlf_are_accepted(small_pois, tmp_path):
    text = small_pois.read_text(encoding="utf-8").replace("\n", "\r\n")
    f = tmp_path / "bom.csv"
    f.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert len(load_sites(f)) == 8


def test_wrong_encoding_is_a_clear_error(small_pois, tmp_path):
    f = tmp_path / "gbk.csv"
    f.write_bytes(small_pois.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(DataValidationError, match="UTF-8"):
        load_sites(f)


def test_ragged_row_names_the_row(small_pois, tmp_path):
    lines = small_pois.read_text(encoding="utf-8").splitlines()
    lines[3] += ",extra,fields"
    f = tmp_path / "ragged.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_sites(f)
    assert info.value.problems[0].row == 3


def test_too_many_columns_rejected_quickly():
    header = ",".join(REQUIRED_COLUMNS) + "," + ",".join(f"x{i}" for i in range(10_000))
    with pytest.raises(DataValidationError, match="at most 200 columns"):
        parse_sites(header + "\n")


def test_missing_file():
    with pytest.raises(DataValidationError, match="a readable file"):
        load_sites("/nonexistent/pois.csv")


def test_region_is_configurable(small_pois):
    with pytest.raises(DataValidationError):
        load_sites(small_pois, region=Region(south=35.0, north=35.3, west=113.0, east=113.4))


def test_gcj02_point_gives_a_warning(small_pois, tmp_path):
    from tourplan.coords import wgs84_to_gcj02

    header, rows = _rows(small_pois)
    # A copy of the station read off a GCJ-02 street map.
    lat, lon = wgs84_to_gcj02(float(rows[0]["lat"]), float(rows[0]["lon"]))
    extra = dict(rows[0], id="station_from_gaode", lat=f"{lat:.5f}", lon=f"{lon:.5f}")
    f = tmp_path / "gcj.csv"
    f.write_text(_csv(header, [*rows, extra]), encoding="utf-8")
    with pytest.warns(LikelyGCJ02Warning, match="station_from_gaode"):
        load_sites(f)


def test_clean_table_gives_no_gcj_warning(small_pois):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_sites(small_pois)


def test_edges_load_and_validate(small_sites, small_edges, tmp_path):
    edges = load_edges(small_edges, small_sites)
    assert len(edges) == 1
    assert edges[0].mode == "hike"
    assert edges[0].minutes is None
    bad = tmp_path / "edges.csv"
    bad.write_text("from_id,to_id,mode,minutes,distance_km\nchenjiagou,nowhere,walk,,1\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="edges.csv, row 1, column 'to_id'"):
        load_edges(bad, small_sites)
    bad.write_text("from_id,to_id,mode\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="column 'distance_km'; expected this column in the header"):
        load_edges(bad, small_sites)


def test_hundred_thousand_rows_rejected_with_a_clear_error(small_pois):
    lines = small_pois.read_text(encoding="utf-8").splitlines()
    big = "\n".join([lines[0]] + [lines[1]] * 100_000) + "\n"
    with pytest.raises(DataValidationError, match="at most 20000 rows"):
        parse_sites(big, name="big.csv")


def test_one_row_with_ten_thousand_columns(small_pois):
    lines = small_pois.read_text(encoding="utf-8").splitlines()
    lines[2] += "," * 10_000
    with pytest.raises(DataValidationError) as info:
        parse_sites("\n".join(lines) + "\n", name="wide.csv")
    assert info.value.problems[0].row == 2


# ---------------------------------------------------------------------------
# Visitor text: activity in both languages, aliases, maintainer-only fields


def _with_columns(
    small_pois: Path, extra: dict[str, dict[str, str]], rename: dict[str, str] | None = None
) -> str:
    """The small table with extra columns (``{column: {site id: value}}``) and renamed ones."""
    header, rows = _rows(small_pois)
    rename = rename or {}
    header = [rename.get(c, c) for c in header] + [c for c in extra if c not in header]
    out = []
    for r in rows:
        r = {rename.get(k, k): v for k, v in r.items()}
        for col, values in extra.items():
            r[col] = values.get(r["id"], "")
        out.append(r)
    return _csv(header, out)


def test_bundled_rows_have_both_activity_languages(bundled_sites):
    import re

    for s in bundled_sites:
        assert bool(s.activity) == bool(s.activity_zh), s.id
        if s.activity_zh:
            assert re.search(r"[\u4e00-\u9fff]", s.activity_zh), s.id
            assert not re.search(r"[A-Za-z]{3,}", s.activity_zh), (s.id, s.activity_zh)
            assert s.activity_text("zh") == s.activity_zh
            assert s.activity_text("en") == s.activity


def test_bundled_aliases_resolve_to_one_place(bundled_sites):
    station = bundled_sites["jiaozuo_station"]
    assert "焦作火车站" in station.aliases
    assert "云台山" in bundled_sites["yuntai_mountain"].aliases
    owners: dict[str, str] = {}
    for s in bundled_sites:
        for a in s.aliases:
            assert owners.setdefault(a, s.id) == s.id, a


def test_no_visitor_name_carries_a_data_note(bundled_sites):
    import re

    for s in bundled_sites:
        for text in (s.name_en, s.name_zh, s.activity, s.activity_zh, *s.aliases):
            assert not re.search(r"\brough\b", text, re.IGNORECASE), (s.id, text)
            assert "[CRS" not in text, (s.id, text)


def test_old_activity_column_is_still_read(small_pois, small_sites):
    assert small_sites["chenjiagou"].activity == "Learn taiji basics"
    renamed = parse_sites(_with_columns(small_pois, {}, rename={"activity": "activity_en"}))
    assert renamed["chenjiagou"].activity == small_sites["chenjiagou"].activity


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("activity_zh", "Learn taiji", "Chinese text"),
        ("aliases", "；;·", "a name with letters"),
        ("aliases", "x" * 101, "at most 100 characters"),
        ("aliases", ";".join(f"name{i}" for i in range(21)), "at most 20 aliases"),
    ],
)
def test_bad_visitor_text_is_named(small_pois, column, value, expected):
    text = _with_columns(small_pois, {column: {"jiaozuo_station": value}})
    with pytest.raises(DataValidationError) as info:
        parse_sites(text, name="t.csv")
    probs = [p for p in info.value.problems if p.column == column]
    assert probs and probs[0].row == 1
    assert expected in probs[0].expected
