"""Turn errors into responses: JSON under ``/api`` and for oEmbed, HTML elsewhere.

API errors always have the shape ``{"error": message, "errors": {field: reason}}``
in English; an error the core gives as codes also has ``message`` (``{zh, en}``:
the whole error in Chinese and English) and, per field or per data problem,
``messages`` (``{code, params, zh, en}``). The status is 4xx: webargs/flask-smorest validation failures (422) become 400
with one reason per field; :class:`~tourplan.errors.RequestValidationError`
400; an unknown place or an impossible request 422 (the request is well
formed but cannot be planned); an unknown id or route 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from flask import abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from tourplan.errors import (
    DataValidationError,
    InfeasibleRequestError,
    PlaceNotFoundError,
    RequestValidationError,
    TourplanError,
)
from tourplan.errors import error_text as text_in
from tourplan.limits import BudgetExceededError
from tourplan.messages import LANGS, MESSAGES, Message
from tourplan.web.schema_text import schema_messages, schema_text

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

__all__ = ["api_error", "flatten_errors", "found", "init_errors", "wants_json"]

T = TypeVar("T")

log = logging.getLogger(__name__)
_FIELD = re.compile(r"^([a-z_]+): ")


def found(record: T | None) -> T:
    """``record``, or a 404 answer when it is None (a record looked up by an id from the URL)."""
    if record is None:
        abort(404)
    return record


def wants_json() -> bool:
    """Whether the current request gets JSON errors (the API and oEmbed)."""
    p = request.path
    return p == "/api" or p.startswith("/api/") or p == "/oembed"


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, str]:
    """``{"json": {"days": ["Not a valid integer."]}}`` -> ``{"days": "Not a valid integer."}``.

    Examples
    --------
    >>> flatten_errors({"json": {"interests": {"x": {"key": ["bad"]}}, "days": ["no", "really"]}})
    {'interests.x.key': 'bad', 'days': 'no; really'}
    """
    out: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for k, v in messages.items():
            key = str(k)
            if not prefix and key in (
                "json",
                "query",
                "form",
                "files",
                "path",
                "view_args",
                "headers",
                "cookies",
            ):
                out.update(flatten_errors(v, ""))
            else:
                out.update(flatten_errors(v, f"{prefix}.{key}" if prefix else key))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_"] = "; ".join(messages)
        else:
            for i, m in enumerate(messages):
                out.update(flatten_errors(m, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "_"] = str(messages)
    return out


def api_error(
    status: int,
    message: str,
    errors: Mapping[str, str] | None = None,
    exc: Exception | None = None,
    *,
    coded: tuple[Mapping[str, str] | None, Mapping[str, Message]] | None = None,
) -> ResponseReturnValue:
    """A JSON error response in the API's one shape.

    With *exc*, a coded error is also given as ``message`` (``{zh, en}``),
    and a request's field problems or a data file's problems that are coded
    as ``messages``: field (or problem number) -> ``{code, params, zh, en}``,
    the problem in Chinese and English. ``coded`` gives them directly
    (``message`` or None, and ``messages``), for errors found before the core.
    """
    body: dict[str, Any] = {"error": message, "errors": dict(errors or {})}
    if coded is not None:
        if coded[0] is not None:
            body["message"] = dict(coded[0])
        if coded[1]:
            body["messages"] = {k: m.to_json() for k, m in coded[1].items()}
    if exc is not None:
        texts = {lang: text_in(exc, lang) for lang in LANGS}
        if texts["zh"] != texts["en"]:  # coded: the core's codes rendered in both languages
            body["message"] = texts
    if isinstance(exc, RequestValidationError) and exc.messages:
        body["messages"] = {k: m.to_json() for k, m in exc.messages.items()}
    elif isinstance(exc, DataValidationError):
        body["messages"] = {
            str(i): {**(p.message.to_dict() if p.message else {}), "zh": p.text("zh"), "en": p.text("en")}
            for i, p in enumerate(exc.problems)
        }
    resp = jsonify(body)
    resp.status_code = status
    return resp


def _page(status: int, message: str | None = None) -> ResponseReturnValue:
    """The error page: the status and its name in the page's language, and what went wrong (default: what the status means)."""
    from tourplan.web.i18n import current_lang

    lang = current_lang()
    name = _status_text(status, "", lang)
    title = f"{status} {name}" if name else str(status)
    if message is None:
        message = _status_text(status, "_text", lang)
    return render_template("error.html", status=status, title=title, message=message), status


def _status_text(status: int, suffix: str, lang: str) -> str:
    """An HTTP status's name (``suffix=""``) or its plain meaning (``"_text"``) in *lang*; "" for a status without one."""
    code = f"http_{status}{suffix}"
    return Message(code).render(lang) if code in MESSAGES else ""


def _default_reason(exc: HTTPException) -> bool:
    """Whether the view gave no reason of its own (werkzeug's English sentence for the status)."""
    return not exc.description or exc.description == type(exc).description


def _http(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    # (flask-limiter's 429 gives its limit, "10 per 1 minute", as the reason: the status's meaning says more)
    plain = (_default_reason(exc) or status == 429) and bool(_status_text(status, "_text", "en"))
    if wants_json():
        data = getattr(exc, "data", None) or {}
        errors = flatten_errors(data.get("errors") or data.get("messages") or {})
        if status == 422:  # webargs: the request did not match the schema
            coded = (schema_text(errors), schema_messages(errors))
            return api_error(400, "invalid request", errors, coded=coded)
        message = str(data.get("message") or exc.description or exc.name)
        whole = schema_text(errors)
        if whole is None and plain and not errors and not data.get("message"):
            whole = {lang: _status_text(status, "_text", lang) for lang in LANGS}
        resp = api_error(status, message, errors, coded=(whole, schema_messages(errors)))
        if status == 405 and exc.get_response().headers.get("Allow"):
            resp.headers["Allow"] = exc.get_response().headers["Allow"]  # type: ignore[union-attr]
        return resp
    return _page(status, None if plain else exc.description or "")


def _field_of(message: str, default: str) -> str:
    m = _FIELD.match(message)
    return m.group(1) if m else default


def _tourplan(exc: TourplanError) -> ResponseReturnValue:
    from tourplan.web.services.data import FeatureUnavailableError

    if isinstance(exc, RequestValidationError):
        status, errors = 400, exc.errors
    elif isinstance(exc, DataValidationError):
        status, errors = 400, {str(i): str(p) for i, p in enumerate(exc.problems)}
    elif isinstance(exc, PlaceNotFoundError):
        status, errors = 422, {_field_of(str(exc), "start"): str(exc)}
    elif isinstance(exc, InfeasibleRequestError | BudgetExceededError):
        status, errors = 422, {}
    elif isinstance(exc, FeatureUnavailableError):
        status, errors = 503, {}
    else:
        status, errors = 400, {}
    if wants_json():
        return api_error(status, str(exc), errors, exc)
    from tourplan.web.i18n import error_text

    return _page(status, error_text(exc))


def _unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s", request.path)
    if wants_json():
        texts = {lang: _status_text(500, "_text", lang) for lang in LANGS}
        return api_error(500, "internal error; it has been logged", coded=(texts, {}))
    return _page(500)


def init_errors(app: Flask) -> None:
    """Register the handlers on the app (they cover every blueprint)."""
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(TourplanError, _tourplan)
    app.register_error_handler(Exception, _unexpected)
