"""Loading and validating the site table."""

from __future__ import annotations

import csv
import io
import warnings
from typing import TYPE_CHECKING

import pytest

from tourplan.data import (
    CATEGORIES,
    REQUIRED_COLUMNS,
    THEMES,
    Region,
    load_edges,
    load_sites,
    parse_sites,
)
from tourplan.errors import DataValidationError, LikelyGCJ02Warning, UnknownSiteError

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


def test_all_problems_gathered_before_raising(small_pois, tmp_path):
    header, rows = _rows(small_pois)
    rows[0]["lat"] = "abc"
    rows[2]["category"] = "nope"
    rows[5]["opening_hours"] = "whenever"
    f = tmp_path / "three.csv"
    f.write_text(_csv(header, rows), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_sites(f)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (1, "lat"),
        (3, "category"),
        (6, "opening_hours"),
    ]


def test_swapped_and_far_coordinates(small_pois, tmp_path):
    header, rows = _rows(small_pois)
    rows[1]["lat"], rows[1]["lon"] = rows[1]["lon"], rows[1]["lat"]
    rows[3]["lat"], rows[3]["lon"] = "39.9042", "116.4074"  # Beijing
    f = tmp_path / "coords.csv"
    f.write_text(_csv(header, rows), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_sites(f)
    by_row = {p.row: p for p in info.value.problems}
    assert "swapped" in by_row[2].expected
    assert "within Jiaozuo" in by_row[4].expected


def test_duplicate_ids(small_pois, tmp_path):
    header, rows = _rows(small_pois)
    rows[4]["id"] = rows[1]["id"]
    f = tmp_path / "dupe.csv"
    f.write_text(_csv(header, rows), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"row 5, column 'id'.*row 2 has it already"):
        load_sites(f)


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


def test_lookup_by_id_and_name(small_sites):
    assert small_sites.find("陈家沟").id == "chenjiagou"
    assert small_sites.find("chenjiagou").id == "chenjiagou"
    assert small_sites.find("jiaying temple").id == "jiaying_temple"
    assert small_sites.find("云台山").id == "yuntai_mountain"
    with pytest.raises(UnknownSiteError, match="no site matches"):
        small_sites.find("Eiffel Tower")
    with pytest.raises(UnknownSiteError, match="several sites"):
        small_sites.find("Park")
    with pytest.raises(UnknownSiteError):
        small_sites["nope"]


def test_filter(small_sites):
    assert {s.id for s in small_sites.filter(category="park")} == {
        "longyuan_lake_park",
        "peoples_park_jiaozuo",
    }
    assert {s.id for s in small_sites.filter(theme="taiji")} == {"chenjiagou"}
    assert "yuntai_mountain" not in small_sites.filter(grade="primary")


def test_edges_load_and_validate(small_sites, small_edges, tmp_path):
    edges = load_edges(small_edges, small_sites)
    assert len(edges) == 1
    assert edges[0].mode == "hike"
    assert edges[0].minutes is None
    bad = tmp_path / "edges.csv"
    bad.write_text(
        "from_id,to_id,mode,minutes,distance_km\n"
        "chenjiagou,nowhere,walk,,1\n"
        "chenjiagou,chenjiagou,teleport,,-2\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_edges(bad, small_sites)
    got = {(p.row, p.column) for p in info.value.problems}
    assert {(1, "to_id"), (2, "to_id"), (2, "mode"), (2, "distance_km")} <= got


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


def test_activity_en_and_old_activity_must_agree(small_pois):
    text = _with_columns(small_pois, {"activity_en": {"chenjiagou": "Something else"}})
    with pytest.raises(DataValidationError) as info:
        parse_sites(text, name="t.csv")
    (p,) = info.value.problems
    assert (p.row, p.column) == (3, "activity")
    assert "activity_en" in p.expected


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


def test_alias_taken_by_another_row_is_refused(small_pois):
    text = _with_columns(
        small_pois, {"aliases": {"jiaozuo_station": "焦作火车站", "jiaozuo_west_station": "焦作站"}}
    )
    with pytest.raises(DataValidationError) as info:
        parse_sites(text, name="t.csv")
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (2, "aliases", "焦作站")
    assert "row 1 (jiaozuo_station)" in p.expected


def test_aliases_and_chinese_activity_load(small_pois):
    text = _with_columns(
        small_pois,
        {
            "aliases": {"chenjiagou": "陈家沟村； Chen Village;陈家沟村;陈家沟"},
            "activity_zh": {"chenjiagou": "学太极拳"},
        },
    )
    s = parse_sites(text)["chenjiagou"]
    assert s.aliases == ("陈家沟村", "Chen Village")  # repeats and the row's own name dropped
    assert s.activity_text("zh") == "学太极拳"
    assert s.activity_text("en") == s.activity


def test_visitor_fields_leave_out_maintainer_notes(bundled_sites):
    from tourplan.data import MAINTAINER_FIELDS, VISITOR_FIELDS, visitor_fields

    assert not set(MAINTAINER_FIELDS) & set(VISITOR_FIELDS)
    for s in bundled_sites:
        for lang in ("zh", "en"):
            v = visitor_fields(s, lang)
            assert not set(MAINTAINER_FIELDS) & set(v)
            flat = " ".join(str(x) for x in v.values())
            assert s.note[:30] not in flat or not s.note
            assert "Mo-Su" not in v["hours"] and "24/7" not in v["hours"]
    zh = visitor_fields(bundled_sites["jiaozuo_station"], "zh")
    assert (zh["name"], zh["name_other"], zh["hours"]) == (
        "焦作站",
        "Jiaozuo Railway Station",
        "每天 06:00–23:00",
    )
