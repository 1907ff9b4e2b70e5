"""Site data through the web app, on SQLite and PostgreSQL: the API, tokens, staff pages, data versions."""

from __future__ import annotations

import html
import io
import json
import re
from typing import TYPE_CHECKING, Any

import helpers
import pytest
from click.testing import CliRunner

from tourplan.coords import gcj02_to_wgs84, wgs84_to_gcj02
from tourplan.geodesy import distance_km
from tourplan.siteedit import SiteEdit
from tourplan.sitestore import Editor
from tourplan.tokens import issue_token, revoke_tokens
from tourplan.web.sitedata import plan_site_ids

if TYPE_CHECKING:
    from pathlib import Path

SITE = "jiaying_temple"
TRIP = {"date": "2026-10-03", "interests": {"history": 1}, "must_see": [SITE], "mode": "drive"}


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    over: dict[str, Any] = {}
    if request.param == "postgresql":
        over["DATABASE_URL"] = request.getfixturevalue("pg_url")
    a = helpers.make_app(tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD), **over)
    yield a
    a.extensions["tourplan.store"].dispose()


def _bearer(app: Any) -> dict[str, str]:
    _rec, token = issue_token(app.extensions["tourplan.store"], helpers.STAFF_USER)
    return {"Authorization": f"Bearer {token}"}


def _stop(result: dict[str, Any], site_id: str) -> dict[str, Any]:
    return next(s for d in result["days"] for s in d["stops"] if s["site_id"] == site_id)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(distance_km(a[0], a[1], b[0], b[1])) * 1000


def test_a_gcj02_edit_is_stored_in_wgs84_recorded_and_used_by_new_plans(app: Any) -> None:
    client = app.test_client()
    old_plan = client.post("/api/v1/itineraries", json=TRIP)
    assert old_plan.status_code == 201, old_plan.get_json()
    assert old_plan.get_json()["result"]["data_version"] == 1
    got = client.get(f"/api/v1/sites/{SITE}")
    site = got.get_json()
    assert got.headers["ETag"] == f'"{site["version"]}"'
    truth = (site["lat"] + 0.004, site["lon"] - 0.003)
    shown = wgs84_to_gcj02(*truth)
    body = {"lat": shown[0], "lon": shown[1], "datum": "gcj02", "source": "高德地图 2026-12-04",
            "confidence": "high", "reason": "the main gate"}  # fmt: skip
    r = client.patch(f"/api/v1/sites/{SITE}", json=body, headers={"If-Match": got.headers["ETag"], **_bearer(app)})
    assert r.status_code == 200, r.get_json()
    new = r.get_json()
    assert new["version"] == site["version"] + 1 and new["data_version"] == 2
    assert r.headers["ETag"] == f'"{new["version"]}"'
    assert _metres((new["lat"], new["lon"]), gcj02_to_wgs84(*shown)) < 1.0
    assert new["confidence"] == "high" and new["source"].startswith("高德地图 2026-12-04")
    hist = client.get(f"/api/v1/sites/{SITE}/history", headers=_bearer(app)).get_json()
    (change,) = hist["changes"]
    assert (change["user"], change["kind"], change["reason"]) == (helpers.STAFF_USER, "edit", "the main gate")
    assert {"lat", "lon", "location_error_m", "confidence", "source"} <= set(change["fields"])
    # a new plan uses the new point; the old one says the data changed since
    new_plan = client.post("/api/v1/itineraries", json=TRIP).get_json()
    stop = _stop(new_plan["result"], SITE)
    assert (stop["lat"], stop["lon"]) == (new["lat"], new["lon"])
    assert new_plan["result"]["data_version"] == 2
    old_page = client.get(f"/i/{old_plan.get_json()['id']}?lang=en").get_data(as_text=True)
    assert "The site data has changed since this plan was made" in old_page
    assert SITE in old_page.split("data-changed", 1)[1].split("</div>", 1)[0]
    changed = client.get(f"/api/v1/itineraries/{old_plan.get_json()['id']}").get_json()["data_changed"]
    assert (changed["planned_on"], changed["current"], changed["changes"], changed["sites"]) == (1, 2, 1, [SITE])
    assert client.get(f"/api/v1/itineraries/{new_plan['id']}").get_json()["data_changed"] is None
    new_page = client.get(f"/i/{new_plan['id']}?lang=en").get_data(as_text=True)
    assert "The site data has changed" not in new_page


def test_stale_if_match_is_412_and_bad_latitude_is_422_and_nothing_changes(app: Any) -> None:
    client = app.test_client()
    auth = _bearer(app)
    v = client.get(f"/api/v1/sites/{SITE}").get_json()["version"]
    ok = client.patch(f"/api/v1/sites/{SITE}", json={"visit_minutes": 25, "source": "price board", "confidence": "medium"},
                      headers={"If-Match": str(v), **auth})  # fmt: skip
    assert ok.status_code == 200
    before = client.get(f"/api/v1/sites/{SITE}").get_json()
    stale = client.patch(f"/api/v1/sites/{SITE}", json={"visit_minutes": 40, "source": "x", "confidence": "low"},
                         headers={"If-Match": f'"{v}"', **auth})  # fmt: skip
    assert stale.status_code == 412
    body = stale.get_json()
    assert body["version"] == v + 1
    assert [c["user"] for c in body["changed"]] == [helpers.STAFF_USER]
    assert "visit_minutes" in body["changed"][0]["fields"]
    bad = client.patch(f"/api/v1/sites/{SITE}", json={"lat": 95, "lon": 113.2, "source": "x", "confidence": "high"},
                       headers={"If-Match": str(v + 1), **auth})  # fmt: skip
    assert bad.status_code == 422
    assert "lat" in bad.get_json()["errors"] and "90" in bad.get_json()["errors"]["lat"]
    many = client.patch(f"/api/v1/sites/{SITE}", json={"visit_minutes": "long", "colour": 1, "confidence": "sure"},
                        headers={"If-Match": str(v + 1), **auth})  # fmt: skip
    assert many.status_code == 422
    assert set(many.get_json()["errors"]) == {"visit_minutes", "colour", "confidence", "source"}
    assert client.get(f"/api/v1/sites/{SITE}").get_json() == before
    assert len(client.get(f"/api/v1/sites/{SITE}/history", headers=auth).get_json()["changes"]) == 1
    missing = client.patch(f"/api/v1/sites/{SITE}", json={"visit_minutes": 1, "source": "x", "confidence": "low"},
                           headers=auth)  # fmt: skip
    assert missing.status_code == 400 and "If-Match" in missing.get_json()["errors"]


def test_without_a_session_or_live_token_the_api_is_401(app: Any) -> None:
    client = app.test_client()
    patch = {"visit_minutes": 1, "source": "x", "confidence": "low"}
    assert client.patch(f"/api/v1/sites/{SITE}", json=patch, headers={"If-Match": "1"}).status_code == 401
    assert client.get(f"/api/v1/sites/{SITE}/history").status_code == 401
    bad = {"Authorization": "Bearer tp_not-a-token", "If-Match": "1"}
    assert client.patch(f"/api/v1/sites/{SITE}", json=patch, headers=bad).status_code == 401
    auth = _bearer(app)
    assert client.get(f"/api/v1/sites/{SITE}/history", headers=auth).status_code == 200
    assert revoke_tokens(app.extensions["tourplan.store"], helpers.STAFF_USER) == 1
    assert client.get(f"/api/v1/sites/{SITE}/history", headers=auth).status_code == 401
    # a token is for the API only: it does not open staff pages
    assert client.get("/staff/sites/", headers=_bearer(app)).status_code == 302
    # a staff session works as well
    staff = helpers.login(app.test_client())
    assert staff.get(f"/api/v1/sites/{SITE}/history").status_code == 200


def test_staff_pages_edit_history_revert_and_the_study_notice(app: Any) -> None:
    staff = helpers.login(app.test_client())
    page = staff.get("/staff/sites/?lang=en").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1]
    # worst first: the largest location error heads the list
    assert rows.index('data-site="qingtianhe"') < rows.index('data-site="jiaozuo_station"')
    assert 'data-site="jiaozuo_station"' not in staff.get("/staff/sites/?confidence=low").get_data(as_text=True)
    rec = app.extensions["tourplan.data"].sites.get(SITE)
    form = {"version": str(rec.version), "lat": "35.0012345", "lon": "113.41", "datum": "wgs84", "method": "map",
            "zoom": "18", "change_source": "", "confidence": ""}  # fmt: skip
    r = staff.post(f"/staff/sites/{SITE}/edit?lang=en", data=form)
    assert r.status_code == 400  # a source and a confidence are required
    assert app.extensions["tourplan.data"].sites.get(SITE) == rec
    r = staff.post(f"/staff/sites/{SITE}/edit", data={**form, "change_source": "on-site check", "confidence": "high"})
    assert r.status_code == 303
    after = app.extensions["tourplan.data"].sites.get(SITE)
    assert after.row["lat"] == "35.0012345" and after.row["location_error_m"] == "10"
    hist = staff.get(f"/staff/sites/{SITE}/history?lang=en").get_data(as_text=True)
    assert "on-site check" in hist and helpers.STAFF_USER in hist and "35.0012345" in hist
    (change,) = app.extensions["tourplan.data"].sites.history(SITE)
    assert staff.post(f"/staff/sites/changes/{change.id}/revert").status_code == 303
    assert app.extensions["tourplan.data"].sites.get(SITE).row == rec.row
    assert "Revert" in staff.get(f"/staff/sites/{SITE}/history?lang=en").get_data(as_text=True)
    # pasted GCJ-02 coordinates are shown converted before saving
    conv = staff.get("/staff/sites/convert?lat=35.21&lon=113.25&datum=gcj02").get_json()
    assert _metres((conv["lat"], conv["lon"]), gcj02_to_wgs84(35.21, 113.25)) < 0.05
    # the quality page lists shared points and the counts
    q = staff.get("/staff/sites/quality?lang=en").get_data(as_text=True)
    assert "Points shared by several sites" in q and "yuntai" in q
    impact = q.split("Errors that matter most", 2)[2].split("</table>", 1)[0]
    assert "<td>yes</td>" in impact  # sites of the showcase routes are marked


def test_the_site_list_names_categories_and_confidences_in_the_page_language(app: Any) -> None:
    staff = helpers.login(app.test_client())
    zh = staff.get("/staff/sites/?lang=zh").get_data(as_text=True)
    row = re.search(r'<tr data-site="jiaozuo_station">.*?</tr>', zh, re.S)
    assert row is not None
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    assert cells[1:3] == ["车站", "高"]  # the category and the confidence as words, not codes (transport, high)
    assert 'data-label="类别"' in row.group(0)  # labelled cells: one card per site on a phone
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', zh.split('id="f-confidence"', 1)[1])
    assert dict(options[:3]) == {"high": "高", "medium": "中", "low": "低"}
    en = staff.get("/staff/sites/?lang=en").get_data(as_text=True)
    assert ">Station</td>" in en and ">High</td>" in en


def test_a_gaode_export_is_previewed_and_only_ticked_rows_apply(app: Any) -> None:
    staff = helpers.login(app.test_client())
    sites = app.extensions["tourplan.data"].sites
    a, b = sites.get(SITE), sites.get("qingtianhe")
    pa = wgs84_to_gcj02(float(a.row["lat"]) + 0.002, float(a.row["lon"]))
    pb = wgs84_to_gcj02(float(b.row["lat"]) + 0.05, float(b.row["lon"]))
    export = {"pois": [{"id": "B01", "name": a.row["name_zh"], "location": f"{pa[1]},{pa[0]}"},
                       {"id": "B02", "name": b.row["name_zh"], "location": f"{pb[1]},{pb[0]}"}]}  # fmt: skip
    data = {"file": (io.BytesIO(json.dumps(export, ensure_ascii=False).encode()), "gaode.json"), "datum": ""}
    r = staff.post("/staff/sites/import?lang=en", data=data, content_type="multipart/form-data")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "2 points read, 2 match a site." in page
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    assert sites.data_version() == 1  # a preview changes nothing
    r = staff.post("/staff/sites/import/apply", data={"token": token, "row": ["qingtianhe"]})
    assert r.status_code == 303
    assert sites.get(SITE) == a
    moved = sites.get("qingtianhe")
    assert _metres((float(moved.row["lat"]), float(moved.row["lon"])), gcj02_to_wgs84(*pb)) < 1.0
    assert moved.row["location_error_m"] == "30" and moved.row["confidence"] == "high"
    (change,) = sites.history("qingtianhe")
    assert change.kind == "import" and change.username == helpers.STAFF_USER


def test_an_upload_is_recorded_in_the_history(app: Any) -> None:
    from tourplan.resources import default_pois_path

    staff = helpers.login(app.test_client())
    raw = default_pois_path().read_text("utf-8").replace("Jiaozuo Railway Station", "Jiaozuo Station (main)")
    r = staff.post("/staff/data", data={"file": (io.BytesIO(raw.encode()), "pois.csv")}, content_type="multipart/form-data")
    token = r.get_data(as_text=True).split('name="token" value="', 1)[1].split('"', 1)[0]
    assert staff.post("/staff/data/apply", data={"token": token}).status_code == 303
    (change,) = app.extensions["tourplan.data"].sites.history("jiaozuo_station")
    assert change.kind == "upload" and change.new == {"name_en": "Jiaozuo Station (main)"}
    assert app.extensions["tourplan.data"].current().sites["jiaozuo_station"].name_en == "Jiaozuo Station (main)"


def test_cli_edit_export_and_tokens_use_the_same_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tourplan.cli import main

    monkeypatch.setenv("TOURPLAN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TOURPLAN_SECRET_KEY", "cli-test")
    runner = CliRunner()
    shown = wgs84_to_gcj02(35.01, 113.40)
    r = runner.invoke(main, ["sites", "edit", SITE, "--lat", str(shown[0]), "--lon", str(shown[1]), "--datum", "gcj02",
                             "--source", "高德地图", "--confidence", "high", "--reason", "gate", "--user", "wang"])  # fmt: skip
    assert r.exit_code == 0, r.output
    bad = runner.invoke(main, ["sites", "edit", SITE, "--lat", "95", "--lon", "113", "--source", "x",
                               "--confidence", "high"])  # fmt: skip
    assert bad.exit_code == 2 and "lat:" in bad.output and "nothing was saved" in bad.output
    out = tmp_path / "pois.csv"
    assert runner.invoke(main, ["sites", "export", "-o", str(out)]).exit_code == 0
    from tourplan.data import load_sites

    site = load_sites(out)[SITE]
    assert _metres((site.lat, site.lon), (35.01, 113.40)) < 1.0
    hist = runner.invoke(main, ["sites", "history", SITE])
    assert hist.output.count(" edit by wang ") == 1
    app = helpers.make_app(tmp_path, user=("staff", helpers.STAFF_PASSWORD), SECRET_KEY="cli-test")
    token = runner.invoke(main, ["users", "token", "staff"])
    assert token.exit_code == 0
    secret = token.stdout.strip().splitlines()[0]
    auth = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get(f"/api/v1/sites/{SITE}/history", headers=auth).status_code == 200
    assert runner.invoke(main, ["users", "revoke-token", "staff"]).exit_code == 0
    assert app.test_client().get(f"/api/v1/sites/{SITE}/history", headers=auth).status_code == 401


def test_an_old_study_tour_says_the_data_changed(tmp_path: Path) -> None:
    app = helpers.make_app(tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD))
    staff = helpers.login(app.test_client())
    study = {"name": "春季研学", "school": "焦作一中", "grade": "junior", "students": 80, "groups": 2, "buses": 2,
             "seats": 53, "date": "2026-05-12"}  # fmt: skip
    r = staff.post("/api/v1/study-tours", json=study)
    assert r.status_code == 201, r.get_json()
    plan = r.get_json()
    assert plan["result"]["data_version"] == 1
    page = staff.get(f"/staff/study/{plan['id']}?lang=en").get_data(as_text=True)
    assert "The site data has changed" not in page
    visited = sorted(plan_site_ids(plan["result"]))
    assert visited
    sites = app.extensions["tourplan.data"].sites
    rec = sites.get(visited[0])
    edit = SiteEdit({"visit_minutes": int(rec.row["visit_minutes"]) + 5}, source="price board", confidence="medium")
    sites.edit(visited[0], edit, editor=Editor("wang"), expected_version=rec.version)
    page = staff.get(f"/staff/study/{plan['id']}?lang=en").get_data(as_text=True)
    assert "The site data has changed since this plan was made (data version 1, now 2; 1 change, on " in page
    assert visited[0] in page.split("data-changed", 1)[1].split("</div>", 1)[0]


def test_an_osm_extract_is_previewed_with_distances_and_confidences(app: Any, data_dir: Path) -> None:
    staff = helpers.login(app.test_client())
    sites = app.extensions["tourplan.data"].sites
    raw = (data_dir / "tiny.osm").read_bytes()
    r = staff.post("/staff/sites/import?lang=en", data={"file": (io.BytesIO(raw), "tiny.osm"), "datum": ""},
                   content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    rows = {tr.split('value="', 1)[1].split('"', 1)[0]: tr for tr in page.split("<tr><td><input")[1:]}
    assert set(rows) == {"peoples_park_jiaozuo", "longyuan_lake_park"}
    park = sites.get("peoples_park_jiaozuo")
    moved = float(distance_km(float(park.row["lat"]), float(park.row["lon"]), 35.2531, 113.2262)) * 1000
    assert f"<td>{moved:.0f}</td>" in rows["peoples_park_jiaozuo"]
    assert f"{park.row['confidence'].capitalize()} → High" in rows["peoples_park_jiaozuo"]  # (labels, not codes)
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    assert staff.post("/staff/sites/import/apply", data={"token": token, "row": ["peoples_park_jiaozuo"]}).status_code == 303
    after = sites.get("peoples_park_jiaozuo")
    assert (after.row["lat"], after.row["lon"]) == ("35.2531000", "113.2262000")
    assert after.row["source"].startswith("https://www.openstreetmap.org/node/1001; ")
    assert sites.get("longyuan_lake_park").version == 1  # not ticked, not changed
    again = staff.post("/staff/sites/import/apply", data={"token": token, "row": ["longyuan_lake_park"]})
    assert again.status_code == 303 and sites.get("longyuan_lake_park").version == 1  # a preview applies once
