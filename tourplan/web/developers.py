"""``/developers``: how to embed our maps and use the JSON API, for the sites that promote the district.

The API reference on that page is built from the app's own OpenAPI document
(the one ``/api/v1/openapi.json`` serves), so it lists exactly the operations,
parameters and request fields the server validates; nothing is written twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, render_template, url_for
from markupsafe import Markup, escape

from tourplan.site import THEMES
from tourplan.web.i18n import THEME_LABELS, current_lang

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask.typing import ResponseReturnValue

__all__ = ["API_ZH", "Field", "Operation", "api_text", "bp", "reference"]

bp = Blueprint("developers", __name__)

_NESTING = 3  # nested objects shown down to this depth (deeper ones as "object")
_PATTERNS = {r"^\d{1,2}:\d{2}$": ("a time HH:MM", "时间 HH:MM")}  # regular expressions in words
#: Type names in Chinese.
_TYPE_ZH = {
    "integer": "整数", "number": "数值", "string": "字符串", "boolean": "布尔值", "object": "对象", "any": "任意",
    "date": "日期", "date-time": "日期时间",
}  # fmt: skip
#: Words of the rules column: English, Chinese.
_RULE_WORDS: tuple[dict[str, str], dict[str, str]] = (
    {"length": "length", "items": "at most {n} items", "one_of": "one of ", "each_one_of": "each one of ",
     "values": "values ", "pattern": "pattern", "null": "may be null", "sep": "; "},
    {"length": "长度", "items": "最多 {n} 项", "one_of": "取值之一：", "each_one_of": "每项取值之一：",
     "values": "值 ", "pattern": "格式", "null": "可为 null", "sep": "；"},
)  # fmt: skip
#: Where a parameter goes, in Chinese.
WHERE_ZH = {"path": "路径", "query": "查询参数", "header": "请求头", "body": "请求体"}


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
    type_zh: str = ""
    rules_zh: str = ""


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


def _type(spec: Mapping[str, Any], schema: Mapping[str, Any], lang: str = "en") -> str:
    """A short type name: ``integer``, ``array of string``, ``object (string → number)`` (or in Chinese)."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    zh = lang == "zh"
    if kind == "array":
        inner = _type(spec, schema.get("items", {}), lang)
        return f"{inner}数组" if zh else "array of " + inner
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner = _type(spec, schema["additionalProperties"], lang)
        return f"对象（字符串 → {inner}）" if zh else f"object (string → {inner})"
    if kind is None and "properties" in schema:
        return _TYPE_ZH["object"] if zh else "object"
    text = str(kind or "any")
    text = _TYPE_ZH.get(text, text) if zh else text
    if schema.get("format"):
        fmt = str(schema["format"])
        text += f"（{_TYPE_ZH.get(fmt, fmt)}）" if zh else f" ({fmt})"
    return text


def _rules(schema: Mapping[str, Any], lang: str = "en") -> str:
    """Constraints in words: ranges, lengths, choices, patterns, null (in English or Chinese)."""
    w = _RULE_WORDS[lang == "zh"]
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
        out.append(f"{w['length']} {schema.get('minLength', 0)} … {schema.get('maxLength', '')}".rstrip(" …"))
    if schema.get("maxItems") is not None:
        out.append(w["items"].format(n=schema["maxItems"]))
    if schema.get("enum"):
        out.append(w["one_of"] + ", ".join(str(x) for x in schema["enum"]))
    items = schema.get("items")
    if isinstance(items, dict) and items.get("enum"):
        out.append(w["each_one_of"] + ", ".join(str(x) for x in items["enum"]))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and (extra.get("minimum") is not None or extra.get("maximum") is not None):
        out.append(w["values"] + _rules(extra, lang))
    if schema.get("pattern"):
        pattern = _PATTERNS.get(schema["pattern"])
        out.append(pattern[lang == "zh"] if pattern else f"{w['pattern']} {schema['pattern']}")
    if schema.get("nullable"):
        out.append(w["null"])
    return w["sep"].join(out)


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
                type_zh=_type(spec, raw, "zh"),
                rules_zh=_rules(prop, "zh"),
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
                    type_zh=_type(spec, p.get("schema", {}), "zh"),
                    rules_zh=_rules(_resolve(spec, p.get("schema", {})), "zh"),
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



#: The OpenAPI document's English summaries, field descriptions and response texts, in Chinese (the
#: document itself stays English; this page shows both). tests/test_web_developers.py checks that every
#: text the page shows has its Chinese here.
API_ZH: dict[str, str] = {
    # operations
    "A saved itinerary.": "一个已保存的行程。",
    "A saved study-tour plan (staff: it names school groups).": "一个已保存的研学方案（工作人员：其中有学校团组的名称）。",
    "Change a site (staff); answers the new version.": "修改一个景点（工作人员）；返回新版本。",
    "Download a saved itinerary (?format=gpx|ics|geojson).": "下载已保存的行程（?format=gpx|ics|geojson）。",
    "Download a saved itinerary as GPX, ICS or GeoJSON.": "以 GPX、ICS 或 GeoJSON 下载已保存的行程。",
    "Every recorded change of a site, newest first (staff).": "一个景点的全部修改记录，最新的在前（工作人员）。",
    "List sites, filtered by category, theme, grade band and text.": "列出景点，可按类别、主题、学段和文字筛选。",
    "One site, with its version (also the ETag).": "一个景点及其版本号（也是 ETag）。",
    "Plan an itinerary and save it; the id is the share link's key.": "规划并保存一个行程；id 即分享链接的标识。",
    "Plan study tours for several groups and save the plan (staff).": "为多个团组规划研学旅行并保存方案（工作人员）。",
    "Start a visitor-flow simulation in the background (staff); poll its URL.":
        "在后台启动一次客流模拟（工作人员）；轮询其地址查看进度。",
    "Status, progress (0-1) and, once done, the result of a run.": "一次模拟的状态、进度（0–1），完成后还有结果。",
    # responses
    "A large tour, planned as a job: poll its URL": "规模较大的研学方案，作为后台任务规划：轮询其地址查看进度",
    "OK": "成功",
    "Created": "已创建",
    "Accepted": "已接受",
    "Bad Request": "请求有误",
    "Not Found": "未找到",
    "Unprocessable Entity": "无法处理",
    "Bad fields, each named; nothing saved": "字段有误（逐一列出）；未保存任何内容",
    "GPX, iCalendar or GeoJSON file": "GPX、iCalendar 或 GeoJSON 文件",
    "If-Match missing or not a version": "缺少 If-Match，或其值不是版本号",
    "Invalid request (errors per field)": "请求无效（按字段列出错误）",
    "Staff login or bearer token required": "需要工作人员登录或令牌（Bearer token）",
    "Staff login required": "需要工作人员登录",
    "Staff login required (a run not published)": "需要工作人员登录（该模拟未公开）",
    "The site changed since that version": "该景点在那个版本之后已被修改",
    "Unknown place or impossible request": "地点未知，或请求无法满足",
    # fields
    "First day, YYYY-MM-DD": "第一天，YYYY-MM-DD",
    "Language of messages": "消息的语言",
    "Map zoom when method is map": "method 为 map 时的地图缩放级别",
    "Optimizer seconds (capped by the server)": "优化器计算秒数（服务器设有上限）",
    "Optimizer seconds per bus (capped by the server)": "每辆车的优化器计算秒数（服务器设有上限）",
    "Optimizer seconds per plan (capped by the server)": "每个方案的优化器计算秒数（服务器设有上限）",
    "Prefer the quieter time slots of the crowd forecast; default: on for peak days":
        "按客流预测优先安排较清静的时段；默认在高峰日开启",
    "Safety stop for the search of the value's upper bound (its budget is in steps)":
        "价值上界搜索的保险时限（其预算按步数计）",
    "Site id, 'lat,lon' (WGS-84) or a place name": "景点 id、“纬度,经度”（WGS-84）或地名",
    "Site id, 'lat,lon' or a place name": "景点 id、“纬度,经度”或地名",
    "Text in a name (zh or en)": "名称中的文字（中文或英文）",
    "The version the change was made on": "修改所基于的版本",
    "Where the new values come from": "新值的来源",
    "Why (shown in the history)": "修改原因（显示在历史记录中）",
    "YYYY-MM-DD": "YYYY-MM-DD",
    "YYYY-MM-DD: day type (overrides the built-in calendar)": "YYYY-MM-DD：日期类型（覆盖内置日历）",
    "area site id: share of the day's visitors whose day includes it": "景区 id：当天行程包含它的游客比例",
    "arrival profile: a named one (car_park, station, ...) or hourly weights":
        "到达曲线：命名曲线（car_park、station 等）或每小时权重",
    "below 1 on a rainy day": "雨天小于 1",
    "default: from the date": "默认：由日期决定",
    "default: the day type's usual count (capped by the server)": "默认：该日期类型的常见人数（服务器设有上限）",
    "entry point names (default: all)": "入口名称（默认：全部）",
    "grade band (小学/初中/高中)": "学段（小学/初中/高中）",
    "move school groups' start times": "错开学校团组的出发时间",
    "of lat/lon": "纬度/经度",
    "per bus and day; omitted: TOURPLAN_BUS_COST_CNY or 1500 (an assumption), see costs.bus_cost_source":
        "每车每天；省略时用 TOURPLAN_BUS_COST_CNY 或 1500（假设值），见 costs.bus_cost_source",
    "quota per slot at every site from its capacity (LB/T 034)": "按各景点承载量（LB/T 034）给出每个时段的限额",
    "relative weight": "相对权重",
    "site id: 0-based day (keep a stop on its day when re-planning)": "景点 id：第几天（从 0 起；重新规划时保留在该天）",
    "site id: entries per day": "景点 id：每天入园人数上限",
    "site id: entries per slot": "景点 id：每个时段入园人数上限",
    "study product types of the standard (知识科普型 ...)": "标准中的研学产品类型（知识科普型等）",
    "theme: weight 0-10": "主题：权重 0–10",
    "years within the band (primary 1-6, junior and senior 1-3)": "学段内的年级（小学 1–6，初中和高中 1–3）",
    "研学导师": "研学导师",
}


_CHOICES = re.compile(r"(each one of |one of |每项取值之一：|取值之一：)([^;；]+)")


def rules_markup(rules: str) -> Markup:
    """A rules text as HTML, its lists of allowed values as code (they are values, not words).

    Examples
    --------
    >>> str(rules_markup("length 1 … 80; one of zh, <en>"))
    'length 1 … 80; one of <code>zh</code>, <code>&lt;en&gt;</code>'
    """
    out, at = Markup(""), 0
    for m in _CHOICES.finditer(rules):
        values = Markup(", ").join(Markup("<code>%s</code>") % v.strip() for v in m.group(2).split(","))
        out += escape(rules[at : m.start(2)]) + values
        at = m.end()
    return out + escape(rules[at:])


def api_text(text: str, lang: str) -> tuple[str, str | None]:
    """The OpenAPI text in the page's language: ``(text, None)``, or the English and ``"en"`` to mark it."""
    if lang == "zh" and text in API_ZH:
        return API_ZH[text], None
    return text, "en" if text else None


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
        api_text=lambda text: api_text(text, current_lang()),
        where_zh=WHERE_ZH,
        rules_markup=rules_markup,
    )
