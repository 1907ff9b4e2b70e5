"""``/developers``: how to embed our maps and use the JSON API, for the sites that promote the district.

The API reference on that page is built from the app's own OpenAPI document
(the one ``/api/v1/openapi.json`` serves), so it lists exactly the operations,
parameters and request fields the server validates; nothing is written twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, render_template, url_for

from tourplan.site import THEMES
from tourplan.web.i18n import THEME_LABELS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask.typing import ResponseReturnValue

__all__ = ["Field", "Operation", "bp", "reference"]

bp = Blueprint("developers", __name__)

_NESTING = 3  # nested objects shown down to this depth (deeper ones as "object")
_PATTERNS = {r"^\d{1,2}:\d{2}$": "a time HH:MM"}  # regular expressions in words


@dataclass(frozen=True)
class Field:
    """One parameter or request-body field, as the reference shows it."""

    name: str
    where: str  # "path", "query" or "body"
    type: str
    required: bool
    rules: str
    description: str
    example: str


@dataclass(frozen=True)
class Operation:
    """One API operation."""

    method: str
    path: str
    summary: str
    staff: bool
    fields: tuple[Field, ...]
    responses: tuple[tuple[str, str], ...]

    @property
    def anchor(self) -> str:
        """An id for links to this operation."""
        return (self.method + self.path).lower().replace("/", "-").replace("{", "").replace("}", "")


def _resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    out: Any = spec
    for part in ref[2:].split("/"):
        out = out[part]
    return _resolve(spec, out)


def _type(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """A short type name: ``integer``, ``array of string``, ``object (string → number)``."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if kind == "array":
        return "array of " + _type(spec, schema.get("items", {}))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object (string → {_type(spec, schema['additionalProperties'])})"
    if kind is None and "properties" in schema:
        return "object"
    text = str(kind or "any")
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text


def _rules(schema: Mapping[str, Any]) -> str:
    """Constraints in words: ranges, lengths, choices, patterns, null."""
    out: list[str] = []
    lo, hi = schema.get("minimum"), schema.get("maximum")
    lo_open, hi_open = bool(schema.get("exclusiveMinimum")), bool(schema.get("exclusiveMaximum"))
    if lo is not None and hi is not None:
        out.append(f"{'> ' if lo_open else ''}{lo:g} … {'< ' if hi_open else ''}{hi:g}")
    elif lo is not None:
        out.append(f"{'>' if lo_open else '≥'} {lo:g}")
    elif hi is not None:
        out.append(f"{'<' if hi_open else '≤'} {hi:g}")
    if schema.get("minLength") is not None or schema.get("maxLength") is not None:
        out.append(f"length {schema.get('minLength', 0)} … {schema.get('maxLength', '')}".rstrip(" …"))
    if schema.get("maxItems") is not None:
        out.append(f"at most {schema['maxItems']} items")
    if schema.get("enum"):
        out.append("one of " + ", ".join(str(x) for x in schema["enum"]))
    items = schema.get("items")
    if isinstance(items, dict) and items.get("enum"):
        out.append("each one of " + ", ".join(str(x) for x in items["enum"]))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and (extra.get("minimum") is not None or extra.get("maximum") is not None):
        out.append("values " + _rules(extra))
    if schema.get("pattern"):
        out.append(_PATTERNS.get(schema["pattern"], f"pattern {schema['pattern']}"))
    if schema.get("nullable"):
        out.append("may be null")
    return "; ".join(out)


def _body_fields(
    spec: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = "", depth: int = 0
) -> list[Field]:
    schema = _resolve(spec, schema)
    required = set(schema.get("required", ()))
    out: list[Field] = []
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(spec, raw)
        items = _resolve(spec, prop.get("items", {})) if prop.get("type") == "array" else None
        example = prop.get("example", raw.get("example") if isinstance(raw, dict) else None)
        out.append(
            Field(
                name=prefix + name,
                where="body",
                type=_type(spec, raw),
                required=name in required,
                rules=_rules(prop),
                description=str(prop.get("description") or raw.get("description") or ""),
                example="" if example is None else json.dumps(example, ensure_ascii=False),
            )
        )
        if depth < _NESTING:
            if "properties" in prop:
                out.extend(_body_fields(spec, prop, f"{prefix}{name}.", depth + 1))
            elif items is not None and "properties" in items:
                out.extend(_body_fields(spec, items, f"{prefix}{name}[].", depth + 1))
    return out


def reference(spec: Mapping[str, Any]) -> list[Operation]:
    """The operations of an OpenAPI 3 document, with their fields flattened.

    Examples
    --------
    >>> spec = {"paths": {"/x/{id}": {"post": {
    ...     "summary": "Make an x.",
    ...     "parameters": [{"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}],
    ...     "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}}},
    ...     "responses": {"201": {"description": "Created"}, "401": {"description": "Staff login required"}}}}},
    ...     "components": {"schemas": {"X": {"required": ["n"], "properties": {
    ...         "n": {"type": "integer", "minimum": 1, "maximum": 4},
    ...         "s": {"type": "object", "properties": {"k": {"type": "string", "enum": ["a", "b"]}}}}}}}}
    >>> op = reference(spec)[0]
    >>> op.method, op.path, op.staff, [r for r, _ in op.responses]
    ('POST', '/x/{id}', True, ['201', '401'])
    >>> [(f.name, f.where, f.type, f.required, f.rules) for f in op.fields]  # doctest: +NORMALIZE_WHITESPACE
    [('id', 'path', 'string', True, ''), ('n', 'body', 'integer', True, '1 … 4'),
     ('s', 'body', 'object', False, ''), ('s.k', 'body', 'string', False, 'one of a, b')]
    """
    ops: list[Operation] = []
    for path, item in spec.get("paths", {}).items():
        shared = list(item.get("parameters", ()))  # path-level parameters apply to every operation
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            fields = [
                Field(
                    name=str(p["name"]),
                    where=str(p["in"]),
                    type=_type(spec, p.get("schema", {})),
                    required=bool(p.get("required")),
                    rules=_rules(_resolve(spec, p.get("schema", {}))),
                    description=str(p.get("description", "")),
                    example="",
                )
                for p in (_resolve(spec, x) for x in [*shared, *op.get("parameters", ())])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                fields.extend(_body_fields(spec, body))
            responses = tuple(
                (code, str(_resolve(spec, r).get("description", "")))
                for code, r in sorted(op.get("responses", {}).items())
                if code != "default"
            )
            ops.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=str(op.get("summary") or op.get("description") or "").replace("``", ""),
                    staff=any(code == "401" for code, _ in responses),
                    fields=tuple(fields),
                    responses=responses,
                )
            )
    return ops


@bp.get("/developers")
def developers() -> ResponseReturnValue:
    """Embedding guide and API reference."""
    ops = current_app.extensions.get("tourplan.api_reference")
    if ops is None:  # the document is fixed once the app is built: read it once
        ops = current_app.extensions["tourplan.api_reference"] = reference(
            current_app.extensions["tourplan.api"].spec.to_dict()
        )
    return render_template(
        "developers.html",
        operations=ops,
        api_base=url_for("api-docs.openapi_json").rsplit("/", 1)[0] + "/",
        themes=[(t, THEME_LABELS[t]) for t in THEMES],
    )
