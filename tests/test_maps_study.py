"""Tests of tourplan.maps.study: study-tour maps rendered to HTML and inspected."""

from __future__ import annotations

import pytest
from map_samples import MUSEUM, PARK, flat, js_strings, marker_locations

from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.maps import MapStop, StudyGroupLayer, render_html, render_study_map


def test_study_map_layer_per_group_with_schedule() -> None:
    g1 = StudyGroupLayer(
        "初二(3)班",
        [
            MapStop(MUSEUM, 1, "08:30", "10:00", "博物馆研学"),
            MapStop(PARK, 2, "10:20", "11:00", "写生"),
            MapStop(MUSEUM, 3, "14:00", "15:00", "总结汇报"),
        ],
        bus_path=[(35.2164, 113.2355), (35.22, 113.245), (35.2250, 113.2520)],
    )
    g2 = StudyGroupLayer("初二(4)班", [MapStop(PARK, 1, "08:30", "09:30")], color="#123abc")
    page = render_html(render_study_map([g1, g2], lang="zh"))
    assert page.count("L.featureGroup(") == 2
    assert page.count("L.marker(") == 3  # museum twice for g1 shares one marker
    assert "\\u003e1,3\\u003c/div" in page
    assert page.count("L.polyline(") == 1  # g2 has one stop: no line
    assert "#123abc" in page
    museum = next(p for p in js_strings(page, "bindPopup") if "博物馆研学" in p)
    assert "总结汇报" in museum
    assert "08:30–10:00" in museum
    assert "初二(3)班" in museum
    assert "dashArray" in page


def test_study_map_rejects_empty() -> None:
    with pytest.raises(DataValidationError, match="at least one group"):
        render_study_map([StudyGroupLayer("g", [])])


def test_gaode_converts_study_markers() -> None:
    study = StudyGroupLayer("g", [MapStop(MUSEUM, 1)], bus_path=[(35.2, 113.2), (35.21, 113.23)])
    page = render_html(render_study_map([study], tiles="gaode"))
    assert flat(marker_locations(page)) == pytest.approx(list(wgs84_to_gcj02(MUSEUM.lat, MUSEUM.lon)))
