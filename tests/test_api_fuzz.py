"""Fuzz the JSON API from its own OpenAPI document (schemathesis, in-process WSGI).

Every operation of ``/api/v1/openapi.json`` gets schema-valid and schema-invalid
requests (schemathesis' positive and negative modes; examples, coverage and
fuzzing phases) from a logged-in staff client, so staff operations are
exercised too (their 401 is checked in tests/test_web_api.py). Checks:

* schemathesis' own: no 5xx, documented status codes and content types,
  responses conform to their schemas, invalid data is rejected, valid data
  is accepted or refused only with a documented 400/404/422;
* ours: every 4xx is JSON ``{"error": str, "errors": {field: reason}}``, and a
  400 names at least one field.

The app plans with a tiny ``PLAN_TIME_LIMIT``, simulations are validated and
recorded but not run (their background executor is a stub), and rate limits
are off. ``MAX_EXAMPLES`` per operation keeps the total over 1,000 cases.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

import helpers  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

if TYPE_CHECKING:
    from pathlib import Path

PASSWORD = "correct horse battery"
MAX_EXAMPLES = 110
#: Flask-Login's "strong" session protection logs a session out when the
#: client's address or User-Agent changes, and schemathesis' WSGI calls have
#: no REMOTE_ADDR: the login and every fuzz case send the same two headers.
HEADERS = {"User-Agent": "tourplan-fuzz", "X-Forwarded-For": "192.0.2.7"}
#: Operations seen and cases run, per operation (filled by the tests below).
CASES: dict[str, int] = {}
#: Response status codes seen, per operation.
STATUSES: dict[str, set[int]] = {}
_LOCK = threading.Lock()


class _NoRun:
    """Job-runner stub: the fuzz test checks requests, not simulations."""

    def submit(self, *args: Any, **kwargs: Any) -> None:
        del args, kwargs

    def cancel(self, *args: Any, **kwargs: Any) -> bool:
        del args, kwargs
        return False

    def health(self) -> dict[str, Any]:
        return {"runner": "stub"}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    instance: Path = tmp_path_factory.mktemp("fuzz")
    app = helpers.make_app(
        instance,
        user=("staff", PASSWORD),
        SECRET_KEY="fuzz-secret",
        PLAN_TIME_LIMIT=0.01,
        SHOWCASE_DATE="2025-05-10",
        SIMULATION_MAX_VISITORS=5_000,
        SIMULATION_OVERRIDES=helpers.FAST_SIMULATION,
        PLAN_TODAY="2000-01-01",  # any date the planner supports (2000-2099) may be fuzzed, not only future ones
    )
    app.extensions["tourplan.runner"] = _NoRun()
    return app


@pytest.fixture(scope="module")
def staff_cookie(fuzz_app: Any) -> dict[str, str]:
    c = fuzz_app.test_client()
    c.environ_base["HTTP_USER_AGENT"] = HEADERS["User-Agent"]
    c.environ_base["HTTP_X_FORWARDED_FOR"] = HEADERS["X-Forwarded-For"]
    helpers.login(c, "staff", PASSWORD)
    assert c.get("/api/v1/study-tours/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404  # logged in: not 401
    cookie = c.get_cookie("session")
    assert cookie is not None
    return {"session": cookie.value}


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
    )
    # Schema-valid requests may still be refused for what a schema cannot say:
    # an unknown site id (400, naming the field), a place that cannot be found
    # or an impossible day (422), an unknown id in the path (404).
    schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "400", "401", "404", "422"]
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


def _json_errors(response: Any, case: Any) -> None:
    status = response.status_code
    if not 400 <= status < 500:
        return
    where = f"{case.method} {case.formatted_path} -> {status}"
    headers = {k.lower(): v for k, v in response.headers.items()}
    ctype = headers.get("content-type", [""])
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    assert ctype.startswith("application/json"), f"{where}: {ctype!r}"
    body = response.json()
    assert isinstance(body, dict), where
    assert isinstance(body.get("error"), str) and body["error"], f"{where}: {body}"
    assert isinstance(body.get("errors"), dict), f"{where}: {body}"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in body["errors"].items()), body
    if status == 400:
        assert body["errors"], f"{where}: a validation error must name the field: {body}"


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    max_examples=MAX_EXAMPLES,
)
def test_api_conforms(case: Any, staff_cookie: dict[str, str]) -> None:
    with _LOCK:
        key = f"{case.method} {case.path}"
        CASES[key] = CASES.get(key, 0) + 1
    response = case.call_and_validate(cookies=staff_cookie, headers=HEADERS)
    with _LOCK:
        STATUSES.setdefault(key, set()).add(response.status_code)
    _json_errors(response, case)


def test_fuzz_covered_every_operation_with_enough_cases(api_schema: Any) -> None:
    ops = {f"{op.method.upper()} {op.path}" for op in (r.ok() for r in api_schema.get_all_operations())}
    if not CASES:
        pytest.skip("the fuzz tests did not run in this session (deselected)")
    missing = ops - set(CASES)
    assert not missing, missing
    total = sum(CASES.values())
    documented = {k: v for k, v in CASES.items() if k in ops}
    print(  # noqa: T201
        f"schemathesis: {total} cases ({sum(documented.values())} on the {len(ops)} documented operations,"
        f" {total - sum(documented.values())} unsupported-method probes): {documented}"
    )
    assert sum(documented.values()) >= 1000, CASES
    # the staff operations really ran logged in, and schema-valid bodies were accepted
    for op in ("POST /api/v1/itineraries", "POST /api/v1/study-tours", "POST /api/v1/simulations"):
        codes = STATUSES.get(op, set())
        assert 401 not in codes, (op, codes)
        assert any(200 <= c < 300 for c in codes), (op, codes)
