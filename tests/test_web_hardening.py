"""Hardening: rate limits, session cookies, CORS, and limits on time and size per request."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

import helpers
import pytest

if TYPE_CHECKING:
    from pathlib import Path

DAY = "2025-05-10"
PASSWORD = "correct horse battery"
ORIGIN = "https://other.example"
IID = "AAAAAAAAAAAAAAAAAAAAAA"


make_app = functools.partial(
    helpers.make_app,
    user=("staff", PASSWORD),
    SHOWCASE_DATE=DAY,
    SIMULATION_OVERRIDES=helpers.FAST_SIMULATION,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("hardening"))


@pytest.fixture(scope="module")
def staff_login() -> tuple[str, str]:
    return "staff", PASSWORD


def _json_error(r: Any, status: int, *fields: str) -> dict[str, Any]:
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/json"
    body: dict[str, Any] = r.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], dict)
    for f in fields:
        assert f in body["errors"], body
    return body


# --------------------------------------------------------------------------- rate limits


def test_default_limits_are_configured() -> None:
    from tourplan.web.config import DefaultConfig

    assert DefaultConfig.RATELIMIT_ENABLED is True
    assert DefaultConfig.RATELIMIT_STORAGE_URI == "memory://"
    assert DefaultConfig.LOGIN_RATE_LIMIT == "5 per minute;20 per hour"
    assert DefaultConfig.PLAN_RATE_LIMIT == "30 per minute"


def test_login_is_rate_limited_per_ip(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute;10 per hour")
    c = app.test_client()
    for _ in range(3):
        assert (
            c.post("/staff/login", data={"username": "staff", "password": "wrong-wrong"}).status_code == 401
        )
    # the 4th try is refused before the password is even checked, right or wrong
    r = c.post("/staff/login", data={"username": "staff", "password": PASSWORD})
    assert r.status_code == 429
    assert r.mimetype == "text/html"
    assert int(r.headers["Retry-After"]) > 0
    page = r.get_data(as_text=True)
    assert "429 请求过于频繁" in page and "请稍后再试" in page  # (the page's language: Chinese by default)
    assert "Set-Cookie" not in r.headers
    # reading the form is not limited; another address has its own budget
    assert c.get("/staff/login").status_code == 200
    other = app.test_client()
    r = other.post(
        "/staff/login",
        data={"username": "staff", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert r.status_code == 303


def test_login_limit_comes_before_the_csrf_check(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    c = app.test_client()
    assert [c.post("/staff/login", data={}).status_code for _ in range(3)] == [400, 400, 429]


def test_planning_limit_is_shared_by_the_form_and_the_api(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, PLAN_RATE_LIMIT="3 per minute")
    c = app.test_client()
    assert c.post("/api/v1/itineraries", json={"days": 9}).status_code == 400
    assert c.post("/plan", data={}).status_code == 400
    assert c.post("/api/v1/itineraries", json={"days": 9}).status_code == 400
    body = _json_error(c.post("/api/v1/itineraries", json={"date": DAY}), 429)
    assert "too many requests" in body["error"]
    assert body["message"] == {"zh": "请求过于频繁，请稍后再试。", "en": "Too many requests; please try again later."}
    r = c.post("/plan", data={})
    assert r.status_code == 429
    assert r.mimetype == "text/html"
    assert "Retry-After" in r.headers
    # reading is never limited
    assert all(c.get("/api/v1/sites").status_code == 200 for _ in range(5))
    assert c.get("/").status_code == 200


def test_the_limit_follows_the_client_address_behind_a_proxy(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, PLAN_RATE_LIMIT="1 per minute", PROXY_FIX=1)
    c = app.test_client()

    def post(ip: str) -> int:
        r = c.post("/api/v1/itineraries", json={"days": 9}, headers={"X-Forwarded-For": ip})
        return int(r.status_code)

    assert [post("198.51.100.1"), post("198.51.100.1"), post("198.51.100.2")] == [400, 429, 400]


def test_rate_limits_can_be_turned_off(client: Any) -> None:
    statuses = {
        client.post("/staff/login", data={"username": "x", "password": "y"}).status_code for _ in range(8)
    }
    assert statuses == {401}


# --------------------------------------------------------------------------- session cookie


def _session_cookie(r: Any) -> str:
    cookies = [v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    assert len(cookies) == 1, r.headers
    return str(cookies[0])


def test_session_cookie_flags(client: Any) -> None:
    r = client.post("/staff/login", data={"username": "staff", "password": PASSWORD})
    assert r.status_code == 303
    cookie = _session_cookie(r)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-HTTP development default
    assert "Strict-Transport-Security" not in r.headers


def test_session_cookie_secure_behind_an_https_proxy(tmp_path: Path) -> None:
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True, PROXY_FIX=1)
    c = app.test_client()
    r = c.post(
        "/staff/login",
        data={"username": "staff", "password": PASSWORD},
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "tour.example",
            "X-Forwarded-For": "203.0.113.5",
        },
    )
    assert r.status_code == 303
    cookie = _session_cookie(r)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    # links the app builds use the scheme and host the proxy reports
    r = c.get(
        "/api/v1/sites/jiaozuo_station",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tour.example"},
    )
    assert r.get_json()["url"] == "https://tour.example/sites/jiaozuo_station"


# --------------------------------------------------------------------------- CORS


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sites"),
        ("GET", "/api/v1/sites?theme=history"),
        ("GET", "/api/v1/sites/jiaozuo_station"),
        ("GET", f"/api/v1/itineraries/{IID}"),
        ("GET", f"/api/v1/itineraries/{IID}.gpx"),
        ("GET", f"/api/v1/itineraries/{IID}/export?format=ics"),
        ("POST", "/api/v1/itineraries"),
    ],
)
def test_cors_on_the_public_api(client: Any, method: str, path: str) -> None:
    r = client.open(path, method=method, json={} if method == "POST" else None, headers={"Origin": ORIGIN})
    assert r.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_cors_preflight_for_planning(client: Any) -> None:
    r = client.options(
        "/api/v1/itineraries",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in r.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/sites"),
        ("POST", "/plan"),
        ("GET", "/staff/login"),
        ("POST", "/staff/login"),
        ("GET", "/staff/"),
        ("POST", "/api/v1/study-tours"),
        ("OPTIONS", "/api/v1/study-tours"),
        ("POST", "/api/v1/simulations"),
        ("OPTIONS", "/api/v1/simulations"),
        ("GET", f"/api/v1/study-tours/{IID}"),
        ("GET", f"/embed/itinerary/{IID}"),
        ("GET", "/oembed?url=http://localhost/i/x"),
    ],
)
def test_no_cors_on_pages_and_staff_endpoints(staff: Any, method: str, path: str) -> None:
    headers = {"Origin": ORIGIN}
    if method == "OPTIONS":
        headers |= {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type"}
    r = staff.open(path, method=method, json={} if method == "POST" else None, headers=headers)
    assert not any(k.lower().startswith("access-control-") for k, _ in r.headers.items()), dict(r.headers)


def test_cors_origins_can_be_listed(tmp_path: Path) -> None:
    app = make_app(tmp_path, CORS_ORIGINS="https://partner.example https://b.example:8443")
    c = app.test_client()
    ok = c.get("/api/v1/sites", headers={"Origin": "https://partner.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    assert "Origin" in ok.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in c.get("/api/v1/sites", headers={"Origin": ORIGIN}).headers


@pytest.mark.parametrize("bad", ["https://a.example/path", "https://*.example", "javascript:alert(1)"])
def test_bad_cors_origins_fail_at_start(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        make_app(tmp_path, CORS_ORIGINS=[bad])


# --------------------------------------------------------------------------- time and size per request


def _record_time_limits(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[float]:
    """Wrap the planner ``module.name`` so every request's ``time_limit`` is recorded."""
    seen: list[float] = []
    real = getattr(module, name)

    def spy(req: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(req.time_limit)
        return real(req, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def test_request_time_limit_is_capped(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tourplan.web.services import planning

    seen = _record_time_limits(monkeypatch, planning, "plan_itinerary")
    r = client.post("/api/v1/itineraries", json={"date": DAY, "time_limit": 60})
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/v1/itineraries", json={"date": DAY})
    assert r.status_code == 201, r.get_json()
    assert len(seen) == 2
    assert all(t <= app.config["PLAN_TIME_LIMIT"] for t in seen), seen
    _json_error(client.post("/api/v1/itineraries", json={"date": DAY, "time_limit": 3600}), 400, "time_limit")


def test_study_time_limit_is_capped(app: Any, staff: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tourplan import study
    seen = _record_time_limits(monkeypatch, study, "plan_study_tour")
    body = {"name": "x", "school": "一中", "grade": "junior", "students": 40, "groups": 1, "buses": 1,
            "seats": 53, "date": "2026-05-12", "time_limit": 30}  # fmt: skip
    r = staff.post("/api/v1/study-tours", json=body)
    assert r.status_code == 201, r.get_json()
    assert seen == [app.config["PLAN_TIME_LIMIT"]]


def test_simulation_size_is_capped(tmp_path: Path) -> None:
    app = make_app(tmp_path, SIMULATION_MAX_VISITORS=50_000)
    c = helpers.login(app.test_client(), "staff", PASSWORD)
    body = _json_error(c.post("/api/v1/simulations", json={"date": DAY, "visitors": 50_001}), 400, "visitors")
    assert "50,000" in body["errors"]["visitors"]
    # no count given: the day type's default counts (golden week: ~210,000)
    body = _json_error(c.post("/api/v1/simulations", json={"date": "2025-10-02"}), 400, "visitors")
    assert "golden_week" in body["errors"]["visitors"]
    page = c.post("/staff/flow", data={"date": DAY, "visitors": "60000", "day_type": "", "extra": ""})
    assert page.status_code == 400
    assert "50,000" in page.get_data(as_text=True)


def test_study_size_is_capped(tmp_path: Path) -> None:
    app = make_app(tmp_path, STUDY_MAX_GROUPS=8)
    c = helpers.login(app.test_client(), "staff", PASSWORD)
    body = {"school": "一中", "grade": "junior", "students": 360, "buses": 9, "seats": 53, "date": "2026-05-12"}
    err = _json_error(c.post("/api/v1/study-tours", json=body), 400, "group_size", "buses")
    assert "at most 8" in err["errors"]["group_size"] and "got 9" in err["errors"]["group_size"]
    _json_error(c.post("/api/v1/study-tours", json={**body, "groups": 9, "buses": 8}), 400, "groups")
    r = c.post("/api/v1/study-tours", json={**body, "students": 320, "buses": 8})
    assert r.status_code == 201, r.get_json()
    assert len(r.get_json()["result"]["groups"]) == 8


def test_simulation_planner_time_is_capped(app: Any) -> None:
    from tourplan import flow
    from tourplan.web.services import simulations

    with app.test_request_context():
        scenario = flow.Scenario.from_dict({"date": DAY, "visitors": 100, "plan_time_limit": 30})
        bounded = simulations._bounded_scenario(flow, scenario)
    assert bounded.plan_time_limit == app.config["PLAN_TIME_LIMIT"]
    assert dataclasses.replace(bounded, plan_time_limit=30) == scenario


def test_json_body_size_is_limited_on_the_api(app: Any, client: Any) -> None:
    cap = app.config["API_MAX_CONTENT_LENGTH"]
    big = {"date": DAY, "start": "x" * (cap + 10)}
    _json_error(client.post("/api/v1/itineraries", json=big), 413)
    # the same size is fine for an HTML form field (MAX_FORM_MEMORY_SIZE applies there)
    assert cap < app.config["MAX_CONTENT_LENGTH"]


def test_json_body_without_length_is_limited_too(app: Any, client: Any) -> None:
    import io

    cap = app.config["API_MAX_CONTENT_LENGTH"]
    data = b'{"date": "' + b"x" * (cap + 10) + b'"}'
    r = client.post(
        "/api/v1/itineraries",
        input_stream=io.BytesIO(data),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets for chunked bodies
    )
    _json_error(r, 413)


def test_upload_size_and_rows_are_limited(tmp_path: Path) -> None:
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=200_000)
    c = helpers.login(app.test_client(), "staff", PASSWORD)

    def upload(raw: bytes) -> Any:
        import io

        return c.post(
            "/staff/data", data={"file": (io.BytesIO(raw), "pois.csv")}, content_type="multipart/form-data"
        )

    r = upload(b"id,name_zh\n" + b"a,b\n" * 60_000)
    assert r.status_code == 413
    assert r.mimetype == "text/html"
    r = upload(b"id\n" + b"a\n" * 20_001)
    assert r.status_code == 400
    cap = app.config["UPLOAD_MAX_SITES"]
    assert f"最多 {cap} 个景点" in r.get_data(as_text=True)  # the site cap comes before the line count
    r = upload(b",".join(f"c{i}".encode() for i in range(201)) + b"\n")
    assert r.status_code == 400
    assert "不超过 200 列" in r.get_data(as_text=True)  # the problem in the page's language (zh by default)


# --------------------------------------------------------------------------- found by tests/test_api_fuzz.py


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": DAY, "lunch": 0}, "lunch"),
        ({"date": DAY, "accessible_only": "yes"}, "accessible_only"),
        ({"date": "0001-01-01"}, "date"),  # was a 500: astral overflows
        ({"date": "9999-12-31"}, "date"),
    ],
)
def test_api_rejects_what_the_fuzzer_found(client: Any, body: dict[str, Any], field: str) -> None:
    _json_error(client.post("/api/v1/itineraries", json=body), 400, field)


def test_study_date_out_of_range_is_a_field_error(staff: Any) -> None:
    body = {"name": "x", "school": "一中", "grade": "junior", "students": 40, "groups": 1, "buses": 1,
            "seats": 53, "date": "0001-01-01"}  # fmt: skip
    _json_error(staff.post("/api/v1/study-tours", json=body), 400, "date")
