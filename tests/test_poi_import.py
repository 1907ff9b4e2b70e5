"""Gaode/Baidu POI exports (tourplan.poi_import): datums, formats, bad records, matching."""

from __future__ import annotations

import json

import pytest

from tourplan.coords import wgs84_to_bd09, wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.geodesy import distance_km
from tourplan.poi_import import match_points, read_poi_export

TRUTH = (35.2301, 113.2412)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(distance_km(a[0], a[1], b[0], b[1])) * 1000


def test_baidu_json_is_bd09_and_gaode_csv_gcj02() -> None:
    b = wgs84_to_bd09(*TRUTH)
    baidu = {"results": [{"uid": "u1", "name": "焦作市人民公园", "location": {"lat": b[0], "lng": b[1]}}]}
    (p,) = read_poi_export(json.dumps(baidu).encode(), name="baidu.json")
    assert _metres((p.lat, p.lon), TRUTH) < 0.05
    assert p.source == "baidu u1 (baidu.json, bd09)"
    g = wgs84_to_gcj02(*TRUTH)
    csv_text = f"名称,经度,纬度,地址\n龙源湖公园,{g[1]},{g[0]},解放区\n"
    (q,) = read_poi_export(csv_text.encode("utf-8-sig"), name="gaode.csv")
    assert _metres((q.lat, q.lon), TRUTH) < 0.05
    # an explicit datum wins over the guess
    (w,) = read_poi_export(f"name,lon,lat\nx,{TRUTH[1]},{TRUTH[0]}\n".encode(), datum="wgs84")
    assert (w.lat, w.lon) == TRUTH


def test_every_bad_record_is_named() -> None:
    raw = b"name,lon,lat\n,113.2,35.2\nok,east,35.2\nfine,113.2,35.2\n"
    with pytest.raises(DataValidationError) as info:
        read_poi_export(raw, name="bad.csv")
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "name"), (2, "location")]
    with pytest.raises(DataValidationError, match="a 'pois' or 'results' list"):
        read_poi_export(b'{"data": []}')


def test_matching_by_name_exact_then_partial(bundled_sites) -> None:  # type: ignore[no-untyped-def]
    pts = read_poi_export("name,lon,lat\n焦作市人民公园,113.2262,35.2531\n龙源湖公园南门广场,113.25,35.20\n无关,113,35\n".encode(),
                          datum="wgs84")  # fmt: skip
    found = {m.site_id: m for m in match_points(bundled_sites, pts)}
    assert set(found) == {"peoples_park_jiaozuo", "longyuan_lake_park"}
    assert found["peoples_park_jiaozuo"].exact and found["peoples_park_jiaozuo"].new_confidence == "high"
    assert not found["longyuan_lake_park"].exact and found["longyuan_lake_park"].new_confidence == "medium"
    site = bundled_sites["peoples_park_jiaozuo"]
    assert found["peoples_park_jiaozuo"].moved_m == pytest.approx(_metres((site.lat, site.lon), (35.2531, 113.2262)))
