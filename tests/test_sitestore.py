"""The site table in the store (tourplan.sitestore), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

from tourplan.coords import gcj02_to_wgs84, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from tourplan.data import load_sites, parse_sites
from tourplan.errors import DataValidationError, RequestValidationError
from tourplan.geodesy import distance_km
from tourplan.resources import default_pois_path
from tourplan.siteedit import SiteEdit, StaleVersionError
from tourplan.sitestore import Editor, SiteStore, read_rows
from tourplan.store import Store

SITE = "jiaying_temple"
WANG, LI = Editor("wang", 1), Editor("li", 2)


@pytest.fixture(params=["sqlite", "postgresql"])
def sites(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    url = f"sqlite:///{tmp_path / 's.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(url)
    s = SiteStore(store)
    assert s.seed(read_rows(default_pois_path()))
    yield s
    store.dispose()


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(distance_km(a[0], a[1], b[0], b[1])) * 1000


def test_seed_once_and_export_reproduces_the_bundled_table(sites: SiteStore) -> None:
    assert sites.data_version() == 1
    assert not sites.seed(read_rows(default_pois_path()))  # a second worker's seed does nothing
    version, table = sites.table()
    assert version == 1
    assert tuple(table) == tuple(load_sites())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = parse_sites(sites.export_csv())
    assert tuple(again) == tuple(load_sites())


@pytest.mark.parametrize(("datum", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_an_edit_in_another_datum_is_stored_as_wgs84(sites: SiteStore, datum: str, forward: Any) -> None:
    before = sites.get(SITE)
    assert before is not None
    truth = (float(before.row["lat"]) + 0.003, float(before.row["lon"]) + 0.002)
    shown = forward(*truth)
    edit = SiteEdit({"lat": shown[0], "lon": shown[1]}, source="高德地图 2026-12-04", confidence="high",
                    reason="the gate", datum=datum, method="map", zoom=18)  # fmt: skip
    rec = sites.edit(SITE, edit, editor=WANG, expected_version=before.version)
    stored = (float(rec.row["lat"]), float(rec.row["lon"]))
    assert _metres(stored, to_wgs84(*shown, datum)) < 1.0
    assert _metres(stored, truth) < 1.0
    assert rec.version == before.version + 1
    assert rec.row["confidence"] == "high"
    assert rec.row["location_error_m"] == "10"  # a map pick at zoom 18
    assert rec.row["source"].startswith("高德地图 2026-12-04; ")
    (change,) = sites.history(SITE)
    assert (change.kind, change.username, change.reason) == ("edit", "wang", "the gate")
    assert change.old is not None and change.old["lat"] == before.row["lat"]
    assert change.new is not None and change.new["lat"] == rec.row["lat"]
    assert 300 < (change.moved_m or 0) < 500
    assert sites.data_version() == 2


def test_stale_version_is_refused_with_what_changed(sites: SiteStore) -> None:
    v = sites.get(SITE).version  # type: ignore[union-attr]
    first = SiteEdit({"visit_minutes": 20}, source="price list 2026", confidence="medium")
    sites.edit(SITE, first, editor=WANG, expected_version=v)
    second = SiteEdit({"visit_minutes": 75}, source="visit", confidence="medium")
    with pytest.raises(StaleVersionError, match="wang changed") as info:
        sites.edit(SITE, second, editor=LI, expected_version=v)
    assert [c.username for c in info.value.changes] == ["wang"]
    assert "visit_minutes" in info.value.changes[0].fields
    assert sites.get(SITE).row["visit_minutes"] != "75"  # type: ignore[union-attr]
    assert sites.data_version() == 2  # the refused edit did not move the version


def test_bad_fields_are_named_and_nothing_is_saved(sites: SiteStore) -> None:
    before = sites.get(SITE)
    edit = SiteEdit({"lat": 95, "visit_minutes": "long", "colour": "red", "indoor": "maybe"}, source="",
                    confidence="certain")  # fmt: skip
    with pytest.raises(RequestValidationError) as info:
        sites.edit(SITE, edit, editor=WANG, expected_version=before.version)  # type: ignore[union-attr]
    assert set(info.value.errors) == {"lat", "visit_minutes", "colour", "indoor", "source", "confidence"}
    assert "from -90 to 90" in info.value.errors["lat"]
    assert sites.get(SITE) == before
    assert sites.history(SITE) == []
    assert sites.data_version() == 1


def test_only_one_of_two_concurrent_edits_from_one_version_wins(sites: SiteStore) -> None:
    v = sites.get(SITE).version  # type: ignore[union-attr]
    outcomes: list[str] = []

    def edit(k: int) -> None:
        e = SiteEdit({"visit_minutes": 10 + k}, source=f"s{k}", confidence="medium")
        try:
            sites.edit(SITE, e, editor=Editor(f"u{k}"), expected_version=v)
            outcomes.append("ok")
        except StaleVersionError:
            outcomes.append("stale")

    threads = [threading.Thread(target=edit, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "stale", "stale", "stale"]
    assert sites.get(SITE).version == v + 1  # type: ignore[union-attr]
    assert sites.data_version() == 2


def test_revert_restores_the_previous_values(sites: SiteStore) -> None:
    before = sites.get(SITE)
    assert before is not None
    moved = {"lat": float(before.row["lat"]) + 0.01, "lon": float(before.row["lon"]) - 0.01, "visit_minutes": 15}
    edit = SiteEdit(moved, source="survey", confidence="high")
    sites.edit(SITE, edit, editor=WANG, expected_version=before.version)
    (change,) = sites.history(SITE)
    undo = sites.revert(change.id, editor=LI, reason="wrong gate")
    after = sites.get(SITE)
    assert after is not None and after.row == before.row
    assert after.version == before.version + 2
    assert (undo.kind, undo.reverts, undo.username) == ("revert", change.id, "li")
    assert [c.kind for c in sites.history(SITE)] == ["revert", "edit"]
    with pytest.raises(RequestValidationError, match="already has the values"):
        sites.revert(change.id, editor=LI)


def test_upload_adds_changes_and_removes_and_each_can_be_reverted(sites: SiteStore) -> None:
    rows = read_rows(default_pois_path())
    keep = [r for r in rows if r["id"] not in ("jiaozuo_west_station",)]
    keep[0] = {**keep[0], "popularity": "5"}
    new = {**rows[1], "id": "new_gate", "name_zh": "新门", "name_en": "New gate"}
    v = sites.apply_rows([*keep, new], kind="upload", editor=WANG, reason="upload", source="pois.csv",
                         remove_missing=True)  # fmt: skip
    assert v == 2 == sites.data_version()
    _, table = sites.table()
    assert "jiaozuo_west_station" not in table and "new_gate" in table
    changes = {c.site_id: c for c in sites.changes_since(1)}
    assert set(changes) == {"jiaozuo_west_station", "new_gate", keep[0]["id"]}
    assert changes["jiaozuo_west_station"].new is None and changes["new_gate"].old is None
    sites.revert(changes["jiaozuo_west_station"].id, editor=LI)
    sites.revert(changes["new_gate"].id, editor=LI)
    _, table = sites.table()
    assert "jiaozuo_west_station" in table and "new_gate" not in table
    assert sites.data_version() == 4
    # nothing changes: no version, no history
    assert sites.apply_rows(read_rows(default_pois_path())[2:3], kind="import", editor=WANG, reason="",
                            source="x") == 4  # fmt: skip


def test_a_bad_upload_row_changes_nothing(sites: SiteStore) -> None:
    rows = read_rows(default_pois_path())
    rows[3] = {**rows[3], "lat": "north"}
    with pytest.raises(DataValidationError, match="lat"):
        sites.apply_rows(rows, kind="upload", editor=WANG, reason="", source="x", remove_missing=True)
    assert sites.data_version() == 1
    assert sites.history() == []


def test_gcj02_to_wgs84_roundtrip_agrees_to_a_millimetre() -> None:
    for lat, lon in [(35.2, 113.2), (35.45, 113.4), (34.9, 112.7)]:
        assert _metres(gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon)), (lat, lon)) < 1e-3
        assert _metres(to_wgs84(*wgs84_to_bd09(lat, lon), "bd09"), (lat, lon)) < 1e-3
