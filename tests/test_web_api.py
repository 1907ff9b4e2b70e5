"""The JSON API under /api/v1: good and bad requests, one error shape, OpenAPI."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import helpers
import icalendar
import pytest

DAY = "2025-05-10"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return helpers.make_app(
        tmp_path_factory.mktemp("api"),
        user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD),
        SIMULATION_OVERRIDES=helpers.FAST_SIMULATION,
    )


@pytest.fixture(scope="module")
def saved(app: Any) -> dict[str, Any]:
    r = app.test_client().post(
        "/api/v1/itineraries", json={"date": DAY, "interests": {"history": 1, "culture": 0.5}}
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def assert_error(r: Any, status: int, *fields: str) -> dict[str, Any]:
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert {"error", "errors"} <= set(body) <= {"error", "errors", "message", "messages"}
    assert isinstance(body["error"], str)
    assert body["error"]
    for f in fields:
        assert f in body["errors"], body
    if "message" in body:  # a coded error: the same error in both languages
        assert set(body["message"]) == {"zh", "en"}
        assert _HAN.search(body["message"]["zh"]) and not _HAN.search(body["message"]["en"]), body["message"]
    for m in body.get("messages", {}).values():
        assert {"zh", "en"} <= set(m) and _HAN.search(m["zh"]), m
    return body  # type: ignore[no-any-return]


_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("body", "field", "zh"),
    [
        ({}, "date", "date：缺少这个必填字段。"),
        ({"date": "10/05/2025"}, "date", "date：不是有效的日期（YYYY-MM-DD）。"),
        ({"date": DAY, "days": 9}, "days", "days：应在 1 到 4 之间。"),
        ({"date": DAY, "days": "x"}, "days", "days：不是有效的整数。"),
        ({"date": DAY, "colour": "red"}, "colour", "colour：没有这个字段。"),
        ({"date": DAY, "pace": "sprint"}, "pace", "pace：应为以下之一：relaxed, normal, active。"),
        ({"date": DAY, "day_start": "9am"}, "day_start", "day_start：应为 HH:MM 格式的时间。"),
    ],
)
def test_the_schemas_own_errors_come_in_both_languages(
    client: Any, body: dict[str, Any], field: str, zh: str
) -> None:
    """A request the API's schema refuses before the core sees it is explained in Chinese too."""
    r = assert_error(client.post("/api/v1/itineraries", json=body), 400, field)
    assert r["message"]["zh"] == zh
    assert r["messages"][field]["code"].startswith("field_")
    assert r["message"]["en"].startswith(f"{field}: ")


def test_an_unreadable_body_is_explained_in_both_languages(client: Any) -> None:
    r = client.post("/api/v1/itineraries", data="{not json", content_type="application/json")
    body = assert_error(r, 400)
    assert body["message"] == {"zh": "请求体不是有效的 JSON。", "en": "Invalid JSON body."}


@pytest.mark.parametrize(
    ("body", "status", "field", "zh"),
    [
        ({"date": "2020-05-01"}, 400, "date", "过去"),
        ({"date": DAY, "start": "Atlantis"}, 422, None, "Atlantis"),
        ({"date": DAY, "day_start": "18:00", "day_end": "09:00"}, 400, "day_end", "结束"),
    ],
)
def test_errors_of_coded_problems_come_in_both_languages(
    client: Any, body: dict[str, Any], status: int, field: str | None, zh: str
) -> None:
    """The core's codes reach an API client in Chinese and English; ``error``/``errors`` stay English."""
    r = assert_error(client.post("/api/v1/itineraries", json=body), status)
    assert zh in r["message"]["zh"]
    assert not _HAN.search(r["error"])  # the English line, as before
    if field is not None:
        assert r["messages"][field]["code"]
        assert r["messages"][field]["zh"] in r["message"]["zh"]


# --------------------------------------------------------------------------- sites


def test_sites_list_and_filters(client: Any, app: Any) -> None:
    body = client.get("/api/v1/sites").get_json()
    assert body["count"] == len(app.extensions["tourplan.data"].current().sites)
    s = body["sites"][0]
    assert {"id", "name_zh", "name_en", "lat", "lon", "approximate", "url"} <= set(s)
    museums = client.get("/api/v1/sites?category=museum&category=heritage").get_json()
    assert museums["count"] > 0
    assert {x["category"] for x in museums["sites"]} <= {"museum", "heritage"}
    hist = client.get("/api/v1/sites?theme=history&grade=junior").get_json()
    assert all("history" in x["themes"] and "junior" in x["study_grades"] for x in hist["sites"])
    assert client.get("/api/v1/sites?q=zzzz-nothing").get_json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [("grade=university", "grade"), ("category=spaceport", "category.0"), ("colour=red", "colour")],
)
def test_bad_site_filters(client: Any, query: str, field: str) -> None:
    assert_error(client.get(f"/api/v1/sites?{query}"), 400, field)


def test_site_item(client: Any) -> None:
    s = client.get("/api/v1/sites/jiaozuo_station").get_json()
    assert s["name_zh"] == "焦作站"
    assert_error(client.get("/api/v1/sites/nope"), 404, "site_id")


# --------------------------------------------------------------------------- itineraries


def test_post_itinerary(client: Any, saved: dict[str, Any]) -> None:
    assert len(saved["id"]) == 22
    assert saved["url"].endswith(f"/i/{saved['id']}")
    assert saved["result"]["days"][0]["stops"]
    assert saved["request"]["date"] == DAY
    got = client.get(f"/api/v1/itineraries/{saved['id']}")
    assert got.status_code == 200
    assert got.get_json()["result"] == saved["result"]


def test_post_returns_location(client: Any) -> None:
    r = client.post("/api/v1/itineraries", json={"date": DAY, "days": 1, "pace": "relaxed", "mode": "drive"})
    assert r.status_code == 201
    assert r.headers["Location"].endswith(f"/api/v1/itineraries/{r.get_json()['id']}")


def test_time_limit_is_capped_by_the_server(client: Any, app: Any) -> None:
    r = client.post("/api/v1/itineraries", json={"date": DAY, "time_limit": 30})
    assert r.status_code == 201
    assert r.get_json()["result"]["request"]["time_limit"] == app.config["PLAN_TIME_LIMIT"]


@pytest.mark.parametrize("fmt", ["gpx", "ics", "geojson"])
def test_exports(client: Any, saved: dict[str, Any], fmt: str) -> None:
    a = client.get(f"/api/v1/itineraries/{saved['id']}.{fmt}")
    b = client.get(f"/api/v1/itineraries/{saved['id']}/export?format={fmt}")
    assert a.status_code == b.status_code == 200
    assert a.data == b.data
    assert saved["exports"][fmt].endswith(f"/api/v1/itineraries/{saved['id']}.{fmt}")
    n = sum(len(d["stops"]) for d in saved["result"]["days"])
    if fmt == "ics":
        assert len(list(icalendar.Calendar.from_ical(a.data).walk("VEVENT"))) == n
    elif fmt == "geojson":
        assert sum(f["properties"]["kind"] == "stop" for f in json.loads(a.data)["features"]) == n


def test_bad_export_format(client: Any, saved: dict[str, Any]) -> None:
    assert_error(client.get(f"/api/v1/itineraries/{saved['id']}/export?format=kml"), 400, "format")
    assert_error(client.get(f"/api/v1/itineraries/{saved['id']}/export"), 400, "format")
    assert_error(client.get("/api/v1/itineraries/AAAAAAAAAAAAAAAAAAAAAA.gpx"), 404, "id")


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({}, 400, ["date"]),
        ({"date": "10/05/2025"}, 400, ["date"]),
        ({"date": DAY, "days": 9}, 400, ["days"]),
        ({"date": DAY, "colour": "red"}, 400, ["colour"]),
        ({"date": DAY, "interests": {"karaoke": 1}}, 400, ["interests.karaoke.key"]),
        ({"date": DAY, "pace": "sprint"}, 400, ["pace"]),
        ({"date": DAY, "day_start": "9am"}, 400, ["day_start"]),
        ({"date": DAY, "day_start": "18:00", "day_end": "09:00"}, 400, ["day_end"]),
        ({"date": DAY, "must_see": ["atlantis"]}, 400, ["must_see"]),
        ({"date": DAY, "exclude": ["atlantis"], "locked": {"moon": 0}}, 400, ["exclude", "locked"]),
        ({"date": DAY, "locked": {"jiaozuo_museum": 3}}, 400, ["locked"]),
        ({"date": DAY, "start": "Atlantis"}, 422, ["start"]),
        ({"date": DAY, "start": "40.0,116.4"}, 422, ["start"]),
    ],
)
def test_bad_itinerary_requests(client: Any, body: dict[str, Any], status: int, fields: list[str]) -> None:
    assert_error(client.post("/api/v1/itineraries", json=body), status, *fields)


def test_impossible_request_is_422(client: Any) -> None:
    body = {"date": DAY, "day_start": "23:00", "day_end": "23:30", "must_see": ["yuntai_hongshixia"]}
    r = client.post("/api/v1/itineraries", json=body)
    if r.status_code == 201:  # the planner may return an empty day with warnings instead
        result = r.get_json()["result"]
        assert result["warnings"] or result["unplaced"]
    else:
        assert_error(r, 422)


def test_non_json_body(client: Any) -> None:
    r = client.post(
        "/api/v1/itineraries", data="date=2025-05-10", content_type="application/x-www-form-urlencoded"
    )
    assert_error(r, 400, "date")
    r = client.post("/api/v1/itineraries", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.mimetype == "application/json"


def test_unknown_routes_and_methods_are_json(client: Any) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.get("/api/v1/itineraries/AAAAAAAAAAAAAAAAAAAAAA"), 404, "id")
    assert_error(client.get("/api/v1/itineraries/bad"), 404)
    r = client.delete("/api/v1/sites")
    assert_error(r, 405)
    assert "GET" in r.headers["Allow"]


def test_unexpected_failures_are_json_too(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tourplan.web.services import planning

    def boom(_data: Any) -> Any:
        msg = "simulated bug"
        raise RuntimeError(msg)

    monkeypatch.setattr(planning, "plan_and_save", boom)
    body = assert_error(client.post("/api/v1/itineraries", json={"date": DAY}), 500)
    assert "simulated bug" not in body["error"]


def test_openapi_document(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["info"]["title"] == "tourplan API"
    paths = doc["paths"]
    for p in (
        "/api/v1/sites",
        "/api/v1/sites/{site_id}",
        "/api/v1/itineraries",
        "/api/v1/itineraries/{iid}",
        "/api/v1/study-tours",
        "/api/v1/simulations",
        "/api/v1/simulations/{run_id}",
    ):
        assert p in paths, sorted(paths)
    body = paths["/api/v1/itineraries"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("ItineraryRequest")
    assert "date" in doc["components"]["schemas"]["ItineraryRequest"]["required"]
    assert "Error" in doc["components"]["schemas"]


@pytest.mark.parametrize(
    ("schema", "cls", "required"),
    [
        ("ItineraryRequest", "tourplan.itinerary:ItineraryRequest", {"date"}),
        ("StudyTourRequest", "tourplan.study:StudyTourRequest",
         {"school", "grade", "students", "date", "buses", "seats"}),
        ("Scenario", "tourplan.flow:Scenario", {"date"}),
    ],
)  # fmt: skip
def test_request_schemas_document_every_field(client: Any, schema: str, cls: str, required: set[str]) -> None:
    """Each request body lists exactly the fields its core dataclass takes, so the document cannot drift."""
    import dataclasses
    import importlib

    module, name = cls.split(":")
    renamed = {"start_date": "date"}  # the API's name for ItineraryRequest.start_date
    fields = {
        renamed.get(f.name, f.name) for f in dataclasses.fields(getattr(importlib.import_module(module), name)) if f.init
    }
    doc = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][schema]
    documented = set(doc["properties"]) - {"name"}  # a study plan's name is stored beside its request
    assert documented == fields, (documented ^ fields)
    assert set(doc["required"]) == required


# --------------------------------------------------------------------------- staff endpoints


def test_staff_endpoints_need_login(client: Any) -> None:
    assert_error(client.post("/api/v1/study-tours", json={}), 401)
    assert_error(client.get("/api/v1/study-tours/AAAAAAAAAAAAAAAAAAAAAA"), 401)
    assert_error(client.post("/api/v1/simulations", json={"date": DAY}), 401)


STUDY = {
    "name": "Spring outing",
    "school": "焦作一中",
    "grade": "junior",
    "students": 120,
    "groups": 3,
    "buses": 3,
    "seats": 53,
    "date": "2026-05-12",
}


def test_study_tour_round_trip(staff: Any) -> None:
    r = staff.post("/api/v1/study-tours", json=STUDY)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "Spring outing"
    assert len(body["result"]["groups"]) == 3
    assert "name" not in body["request"]
    got = staff.get(f"/api/v1/study-tours/{body['id']}")
    assert got.status_code == 200
    assert got.get_json()["result"] == body["result"]
    assert_error(staff.get("/api/v1/study-tours/AAAAAAAAAAAAAAAAAAAAAA"), 404, "id")


def test_bad_study_tour(staff: Any) -> None:
    assert_error(staff.post("/api/v1/study-tours", json={"name": "x"}), 400, "school", "students", "date")
    assert_error(staff.post("/api/v1/study-tours", json={**STUDY, "grade": "university"}), 400, "grade")


def test_simulation_runs_in_the_background(staff: Any, client: Any) -> None:
    r = staff.post("/api/v1/simulations", json={"date": "2026-05-12", "visitors": 1500})
    assert r.status_code == 202, r.get_json()
    run = r.get_json()
    assert run["status"] in ("queued", "running", "done")
    assert r.headers["Location"] == run["url"]
    deadline = time.monotonic() + 90
    while run["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.3)
        run = staff.get(f"/api/v1/simulations/{run['id']}").get_json()
        assert 0.0 <= run["progress"] <= 1.0
    assert run["status"] == "done", run
    assert run["progress"] == 1.0
    assert run["result"]["sites"]
    assert run["published"] is False
    assert_error(staff.get("/api/v1/simulations/AAAAAAAAAAAAAAAAAAAAAA"), 404, "id")


def test_bad_simulation(staff: Any) -> None:
    assert_error(staff.post("/api/v1/simulations", json={"visitors": -5}), 400, "date")
    assert_error(staff.post("/api/v1/simulations", json={"date": DAY, "weather": "snow"}), 400, "weather")
    # unknown places are refused before a run is queued, not reported as a failed run later
    bad_area = {"date": DAY, "visitors": 100, "area_shares": {"atlantis": 0.2}}
    assert_error(staff.post("/api/v1/simulations", json=bad_area), 400, "area_shares")
    bad_entry = {"date": DAY, "visitors": 100, "entries": [{"name": "gate", "place": "nowhere", "share": 1}]}
    assert_error(staff.post("/api/v1/simulations", json=bad_entry), 400, "entries")
