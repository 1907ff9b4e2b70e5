"""Importing sites from an OpenStreetMap extract."""

from __future__ import annotations

import pytest

from tourplan.data import load_sites
from tourplan.errors import DataValidationError
from tourplan.osm import merge_sites, read_osm, write_sites_csv


@pytest.fixture(scope="module")
def feats(data_dir):
    return read_osm(data_dir / "tiny.osm")


def test_reads_named_features_in_the_box(feats):
    names = {f.name for f in feats}
    assert names == {"焦作市人民公园", "测试博物馆", "龙源湖公园", "Test Noodles"}
    park = next(f for f in feats if f.name == "龙源湖公园")
    assert park.osm_type == "way"
    assert park.lat == pytest.approx(35.2025, abs=1e-3)
    assert park.source == "https://www.openstreetmap.org/way/3001"
    assert park.extent_m > 500


def test_merge_replaces_placeholders_and_adds_new(small_sites, feats, tmp_path):
    merged, report = merge_sites(small_sites, feats)
    park = merged["peoples_park_jiaozuo"]  # was a community point, ±1000 m
    assert (park.lat, park.lon) == (35.2531, 113.2262)
    assert park.location_error_m == 30
    assert park.source.startswith("https://www.openstreetmap.org/node/1001")
    assert park.confidence == "high"
    # 龙源湖 matched, but a way's centroid (±~350 m) beats ±500 m only narrowly
    assert report.updated >= 1
    new = [s for s in merged if s.id.startswith("osm_")]
    assert {s.name_zh or s.name_en for s in new} == {"测试博物馆", "Test Noodles"}
    museum = next(s for s in new if s.name_zh == "测试博物馆")
    assert museum.category == "museum"
    assert museum.opening_hours == "Tu-Su 09:00-17:00"
    noodles = next(s for s in new if s.name_en == "Test Noodles")
    assert noodles.opening_hours == ""  # invalid OSM hours are dropped, not copied
    out = tmp_path / "merged.csv"
    write_sites_csv(merged, out)
    again = load_sites(out)
    assert len(again) == len(merged)


def test_not_an_osm_file(tmp_path):
    f = tmp_path / "x.osm"
    f.write_text("this is not xml", encoding="utf-8")
    with pytest.raises(DataValidationError, match="OSM XML or PBF"):
        read_osm(f)


def test_written_table_keeps_the_visitor_text(bundled_sites, tmp_path):
    out = tmp_path / "pois.csv"
    write_sites_csv(bundled_sites, out)
    again = load_sites(out)
    for s in bundled_sites:
        t = again[s.id]
        assert (t.aliases, t.activity, t.activity_zh) == (s.aliases, s.activity, s.activity_zh), s.id
