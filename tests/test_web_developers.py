"""The developers page (embedding guide + API reference from the OpenAPI document) and map file downloads."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

import helpers
import pytest

from tourplan.web.developers import API_ZH, reference

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return helpers.make_app(
        tmp_path_factory.mktemp("dev"),
        user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD),
        SHOWCASE_DATE="2025-05-10",
        SIMULATION_OVERRIDES=helpers.FAST_SIMULATION,
    )


def _flat_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> set[str]:
    """Every (nested) field name of a request schema, written as the page writes them."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    out: set[str] = set()
    for key, prop in schema.get("properties", {}).items():
        out.add(prefix + key)
        if "$ref" in prop or "properties" in prop:
            out |= _flat_fields(spec, prop, f"{prefix}{key}.")
        elif prop.get("type") == "array" and ("$ref" in prop["items"] or "properties" in prop["items"]):
            out |= _flat_fields(spec, prop["items"], f"{prefix}{key}[].")
    return out


def test_developers_page_documents_every_operation_and_field(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/developers?lang=en").get_data(as_text=True)
    text = html.unescape(page)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                for p in op:  # path parameters, shared by the path's operations
                    assert f"<code>{p['name']}</code>" in text
                continue
            assert f"{method.upper()} {path}" in text
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for name in _flat_fields(spec, body) if body else ():
                assert f"<code>{name}</code>" in text, (method, path, name)
    assert "staff.students_per_teacher" in text and "entries[].share" in text
    # staff operations are marked, public ones are not
    ops = {f"{o.method} {o.path}": o for o in reference(spec)}
    assert ops["POST /api/v1/study-tours"].staff and not ops["POST /api/v1/itineraries"].staff
    assert text.count("staff login</span>") == sum(o.staff for o in ops.values())
    assert 'href="/api/v1/openapi.json"' in page
    # every themed showcase has its embed page and its file
    assert len(re.findall(r'href="/embed/showcase/[a-z]+\.html" download', page)) == 11
    # linked from every page's footer, in both languages
    assert 'href="/developers"' in client.get("/").get_data(as_text=True)
    zh = client.get("/developers?lang=zh").get_data(as_text=True)
    assert "POST /api/v1/itineraries" in html.unescape(zh) and "For developers" not in zh


def test_reference_rules_in_words() -> None:
    spec = {
        "paths": {"/a": {"get": {"parameters": [
            {"in": "query", "name": "n", "schema": {"type": "number", "minimum": 0, "maximum": 1,
                                                     "exclusiveMaximum": True}},
            {"in": "query", "name": "t", "schema": {"type": "string", "pattern": r"^\d{1,2}:\d{2}$",
                                                     "nullable": True}},
            {"in": "query", "name": "k", "schema": {"type": "integer", "minimum": 5}},
        ], "responses": {"200": {"description": "OK"}}}}},
    }  # fmt: skip
    (op,) = reference(spec)
    assert [f.rules for f in op.fields] == ["0 … < 1", "a time HH:MM; may be null", "≥ 5"]
    assert not op.staff
    assert [f.rules_zh for f in op.fields] == ["0 … < 1", "时间 HH:MM；可为 null", "≥ 5"]
    assert [f.type_zh for f in op.fields] == ["数值", "字符串", "整数"]


def test_the_api_reference_reads_in_chinese(client: Any) -> None:
    """Every summary, field description and response text of the OpenAPI document has its Chinese on the page."""
    spec = client.get("/api/v1/openapi.json").get_json()
    shown = {o.summary for o in reference(spec)}
    shown |= {f.description for o in reference(spec) for f in o.fields if f.description}
    shown |= {text for o in reference(spec) for _, text in o.responses}
    assert sorted(shown - set(API_ZH)) == []  # a new English text in the API needs its Chinese in API_ZH
    zh = html.unescape(client.get("/developers?lang=zh").get_data(as_text=True))
    assert "规划并保存一个行程" in zh and "取值之一：<code>relaxed</code>, <code>normal</code>" in zh and "请求体" in zh
    assert 'lang="en"' not in zh.split('id="api"', 1)[1]  # nothing left in English in the reference
    en = html.unescape(client.get("/developers?lang=en").get_data(as_text=True))
    assert "Plan an itinerary and save it" in en and "one of <code>relaxed</code>, <code>normal</code>, <code>active</code>" in en


@pytest.mark.parametrize("theme", ["history", "mountain"])
def test_showcase_map_file(client: Any, theme: str) -> None:
    r = client.get(f"/embed/showcase/{theme}.html?lang=en")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    assert r.headers["Content-Disposition"] == f'attachment; filename="tourplan-{theme}-day.html"'
    body = r.get_data(as_text=True)
    # self-contained: no script or stylesheet is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", body)
    assert not re.search(r"<link[^>]+stylesheet", body)
    assert "L.map(" in body or "L.map (" in body
    assert "Leaflet" in body  # the library itself is inside


def test_itinerary_and_flow_map_files(client: Any, staff: Any, app: Any) -> None:
    saved = client.post("/api/v1/itineraries", json={"date": "2025-05-10", "interests": {"taiji": 1}}).get_json()
    r = client.get(f"/embed/itinerary/{saved['id']}.html")
    assert r.status_code == 200
    assert saved["id"] in r.headers["Content-Disposition"]
    body = r.get_data(as_text=True)
    stop = saved["result"]["days"][0]["stops"][0]
    assert json.dumps(stop["name_zh"])[1:-1] in body  # the popup text, as the map script carries it
    page = client.get(f"/i/{saved['id']}?lang=en").get_data(as_text=True)
    assert f'href="/embed/itinerary/{saved["id"]}.html?lang=en" download' in page  # offered on the trip page
    assert client.get("/embed/itinerary/AAAAAAAAAAAAAAAAAAAAAA.html").status_code == 404
    assert client.get("/embed/showcase/nonsense.html").status_code == 404
    assert client.get("/embed/showcase/history.html?tiles=bing").status_code == 400
    store = app.extensions["tourplan.store"]
    run = store.create_run({"date": "2025-05-10"}, owner_id=None)
    assert client.get(f"/embed/flow/{run.id}.html").status_code == 404  # not finished


def test_map_file_needs_no_login_but_flow_runs_stay_unguessable(tmp_path: Path) -> None:
    c = helpers.make_app(tmp_path).test_client()
    assert c.get("/developers").status_code == 200
    assert c.get("/embed/flow/AAAAAAAAAAAAAAAAAAAAAA.html").status_code == 404
