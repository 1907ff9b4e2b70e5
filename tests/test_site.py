"""The site record types: Region, Site, SiteTable lookup, fold_name, visitor fields."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tourplan.errors import UnknownSiteError
from tourplan.site import (
    MAINTAINER_FIELDS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SITE_COLUMNS,
    VISITOR_FIELDS,
    Region,
    Site,
    SiteTable,
    fold_name,
    visitor_fields,
)


@pytest.mark.parametrize(
    ("south", "north", "west", "east"),
    [(35.0, 34.0, 112.0, 113.0), (34.0, 35.0, 113.0, 112.0), (34.0, 34.0, 112.0, 113.0)],
)
def test_region_refuses_inverted_bounds(south, north, west, east):
    with pytest.raises(ValueError, match="south < north and west < east"):
        Region(south=south, north=north, west=west, east=east)


def test_region_contains_its_edges_only():
    box = Region(south=35.0, north=35.3, west=113.0, east=113.4)
    assert box.contains(35.0, 113.4)
    assert not box.contains(35.31, 113.2)
    assert not box.contains(35.2, 112.99)


def test_columns_are_the_site_fields():
    fields = set(Site.__dataclass_fields__)
    columns = {"activity" if c == "activity_en" else c for c in SITE_COLUMNS}
    assert columns == fields
    assert set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) == set(SITE_COLUMNS)
    assert not set(REQUIRED_COLUMNS) & set(OPTIONAL_COLUMNS)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ｊｉａｏｚｕｏ Station", "jiaozuo station"),
        ("云台山·红石峡", "云台山 红石峡"),
        ("Chen's (Village)", "chens village"),
    ],
)
def test_fold_name_ignores_width_case_and_separators(a, b):
    assert fold_name(a) == fold_name(b)


def test_lookup_by_id_and_name(small_sites):
    assert small_sites.find("陈家沟").id == "chenjiagou"
    assert small_sites.find("chenjiagou").id == "chenjiagou"
    assert small_sites.find("jiaying temple").id == "jiaying_temple"
    assert small_sites.find("云台山").id == "yuntai_mountain"
    with pytest.raises(UnknownSiteError, match="no site matches"):
        small_sites.find("Eiffel Tower")
    with pytest.raises(UnknownSiteError, match="several sites"):
        small_sites.find("Park")
    with pytest.raises(UnknownSiteError, match="empty place name"):
        small_sites.find("  ")
    with pytest.raises(UnknownSiteError):
        small_sites["nope"]


def test_table_refuses_a_repeated_id(small_sites):
    first = small_sites[0]
    with pytest.raises(ValueError, match=f"duplicate site id '{first.id}'"):
        SiteTable((first, replace(first, name_zh="别名")))


def test_table_is_a_sequence_in_file_order(small_sites):
    assert small_sites.ids == tuple(s.id for s in small_sites)
    assert small_sites[0] is small_sites[small_sites.ids[0]]
    assert small_sites[0] in small_sites
    assert small_sites.ids[-1] in small_sites
    assert "nope" not in small_sites
    assert small_sites.get("nope") is None


def test_filter(small_sites):
    assert {s.id for s in small_sites.filter(category="park")} == {
        "longyuan_lake_park",
        "peoples_park_jiaozuo",
    }
    assert {s.id for s in small_sites.filter(theme="taiji")} == {"chenjiagou"}
    assert "yuntai_mountain" not in small_sites.filter(grade="primary")
    assert small_sites.filter(text="陈家沟").ids == ("chenjiagou",)


def test_labels_fall_back_to_the_other_language(small_sites):
    s = small_sites["chenjiagou"]
    only_en = replace(s, name_zh="")
    assert only_en.label("zh") == only_en.name == s.name_en
    assert replace(s, name_en="").label("en") == s.name_zh
    assert replace(s, activity_zh="").activity_text("zh") == s.activity


def test_visitor_fields_leave_out_maintainer_notes(bundled_sites):
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
