# flask-smorest is untyped; its decorators are the documented way to declare endpoints.
# mypy: disable-error-code="untyped-decorator"
"""JSON API under ``/api/v1`` (flask-smorest).

marshmallow schemas validate the requests and describe every endpoint in
the OpenAPI document at ``/api/v1/openapi.json``. Errors always look like
``{"error": "...", "errors": {"field": "reason"}}`` (see
:mod:`tourplan.web.errors`). Staff endpoints use the session of a logged-in
staff member; they only accept ``application/json`` bodies, which another
site cannot send without a CORS preflight (which this API never grants), so
they need no CSRF token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_login import current_user  # type: ignore[import-untyped, unused-ignore]
from flask_smorest import Api, Blueprint, abort  # type: ignore[import-untyped, unused-ignore]
from marshmallow import validate as v

from tourplan.flow import DAY_TYPES
from tourplan.graph import MODES
from tourplan.itinerary import LIMITS as ITINERARY_LIMITS
from tourplan.itinerary import PACES
from tourplan.site import CATEGORIES, GRADES, STUDY_PRODUCTS, THEMES
from tourplan.study import LIMITS as STUDY_LIMITS
from tourplan.study import LUNCH_MODES, STUDY_THEMES
from tourplan.study.request import BUS_COST_SOURCES
from tourplan.web.auth import staff_required
from tourplan.web.services import planning, simulations
from tourplan.web.services.data import get_store, jsonable, site_data
from tourplan.web.sitedata import data_changes_json
from tourplan.web.urls import external_url
from tourplan.web.visitor import export_response

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask, Response
    from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped, unused-ignore]

    from tourplan._parse import Range
    from tourplan.site import Site
    from tourplan.store import ItineraryRecord, RunRecord, StudyRecord

__all__ = ["blp", "init_api"]

T = TypeVar("T")

blp = Blueprint(
    "api", __name__, url_prefix="/api/v1", description="Sites, itineraries, study tours and simulations."
)
_HHMM = v.Regexp(r"^\d{1,2}:\d{2}$", error="expected a time HH:MM")
_ID = {"pattern": r"^[A-Za-z0-9_\-]{8,64}$"}


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class _StrictBoolean(ma.fields.Boolean):
    """JSON ``true``/``false`` only (marshmallow's Boolean also takes 0, 1, "yes"...)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            key = "invalid"
            raise self.make_error(key, input=value)
        return value


class ErrorSchema(ma.Schema):
    """Every error response."""

    error = ma.fields.String(metadata={"description": "What went wrong"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": "Reason per field"}
    )
    message = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "The whole error in Chinese and English ({zh, en}), when the core gave it as codes"},
    )
    messages = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(),
        metadata={
            "description": "Per field (or data problem, by number) the coded reason: {code, params, zh, en}"
        },
    )


#: Error responses that several endpoints document (each a reusable flask-smorest decorator).
_INVALID = blp.alt_response(400, schema=ErrorSchema)
_STAFF_ONLY = blp.alt_response(401, schema=ErrorSchema, description="Staff login required")
_UNKNOWN_ID = blp.alt_response(404, schema=ErrorSchema)


class _Api(Api):  # type: ignore[misc]
    """flask-smorest's Api without its app-wide JSON error handler.

    flask-smorest registers a handler for every HTTPException on the whole
    app, which would turn the HTML pages' errors into JSON; our handlers in
    :mod:`tourplan.web.errors` choose JSON or HTML by path instead.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        return None


# --------------------------------------------------------------------------- schemas


class SiteQuerySchema(_Strict):
    category = ma.fields.List(ma.fields.String(validate=v.OneOf(CATEGORIES)))
    theme = ma.fields.List(ma.fields.String(validate=v.OneOf(THEMES)))
    grade = ma.fields.String(validate=v.OneOf(GRADES))
    q = ma.fields.String(validate=v.Length(max=100), metadata={"description": "Text in a name (zh or en)"})
    lang = ma.fields.String(validate=v.OneOf(("zh", "en")), metadata={"description": "Language of messages"})


class SiteSchema(ma.Schema):
    id = ma.fields.String()
    name_zh = ma.fields.String()
    name_en = ma.fields.String()
    category = ma.fields.String()
    themes = ma.fields.List(ma.fields.String())
    lat = ma.fields.Float(metadata={"description": "WGS-84"})
    lon = ma.fields.Float(metadata={"description": "WGS-84"})
    location_error_m = ma.fields.Float()
    approximate = ma.fields.Boolean(metadata={"description": "location_error_m >= 500"})
    elevation_m = ma.fields.Float(allow_none=True)
    opening_hours = ma.fields.String(metadata={"description": "OSM opening_hours syntax"})
    visit_minutes = ma.fields.Integer()
    ticket_cny = ma.fields.Float()
    capacity_instant = ma.fields.Integer()
    capacity_daily = ma.fields.Integer()
    popularity = ma.fields.Float()
    indoor = ma.fields.Boolean()
    accessible = ma.fields.Boolean()
    study_grades = ma.fields.List(ma.fields.String())
    study_products = ma.fields.List(ma.fields.String())
    activity = ma.fields.String()
    parent_id = ma.fields.String(allow_none=True)
    district = ma.fields.String()
    source = ma.fields.String()
    confidence = ma.fields.String()
    url = ma.fields.String()


class SiteListSchema(ma.Schema):
    count = ma.fields.Integer()
    sites = ma.fields.List(ma.fields.Nested(SiteSchema))


def _limit(limits: Mapping[str, Range], name: str) -> v.Range:
    """The API's range check for a request field, read from the core's ``LIMITS`` (itinerary or study)."""
    r = limits[name]
    return v.Range(r.lo, r.hi)


class _TripRequestSchema(_Strict):
    """The fields a visitor's trip and a study tour both take: where the day starts and ends, the sites to leave out."""

    start = ma.fields.String(
        validate=v.Length(1, 200), metadata={"description": "Site id, 'lat,lon' (WGS-84) or a place name"}
    )
    end = ma.fields.String(validate=v.Length(1, 200), allow_none=True)
    exclude_ = ma.fields.List(
        ma.fields.String(validate=v.Length(1, 80)),
        validate=v.Length(max=200),
        data_key="exclude",
        attribute="exclude",
    )


class ItineraryRequestSchema(_TripRequestSchema):
    """The visitor's wishes (``tourplan.itinerary.ItineraryRequest``)."""

    date = ma.fields.Date(required=True, metadata={"description": "First day, YYYY-MM-DD"})
    days = ma.fields.Integer(validate=_limit(ITINERARY_LIMITS, "days"), metadata={"example": 1})
    interests = ma.fields.Dict(
        keys=ma.fields.String(validate=v.OneOf(THEMES)),
        values=ma.fields.Float(validate=_limit(ITINERARY_LIMITS, "interests")),
        metadata={"description": "theme: weight 0-10", "example": {"history": 1, "mountain": 0.5}},
    )
    day_start = ma.fields.String(validate=_HHMM, metadata={"example": "08:30"})
    day_end = ma.fields.String(validate=_HHMM, metadata={"example": "18:00"})
    hotel = ma.fields.String(validate=v.Length(1, 200), allow_none=True)
    pace = ma.fields.String(validate=v.OneOf(tuple(PACES)))
    mode = ma.fields.String(validate=v.OneOf(tuple(MODES)))
    must_see = ma.fields.List(ma.fields.String(validate=v.Length(1, 80)), validate=v.Length(max=40))
    ticket_budget = ma.fields.Float(allow_none=True, validate=v.Range(0, 100000))
    accessible_only = _StrictBoolean()
    lunch = _StrictBoolean()
    walk_max_km = ma.fields.Float(validate=_limit(ITINERARY_LIMITS, "walk_max_km"))
    locked = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(validate=v.Range(0, ITINERARY_LIMITS["days"].hi - 1)),
        metadata={"description": "site id: 0-based day (keep a stop on its day when re-planning)"},
    )  # fmt: skip
    time_limit = ma.fields.Float(
        validate=_limit(ITINERARY_LIMITS, "time_limit"),
        metadata={"description": "Optimizer seconds (capped by the server)"},
    )
    avoid_crowds = _StrictBoolean(
        allow_none=True,
        metadata={"description": "Prefer the quieter time slots of the crowd forecast; default: on for peak days"},
    )


class _RecordSchema(ma.Schema):
    """What every saved record the API returns carries: its id, its link and when it was made."""

    id = ma.fields.String()
    url = ma.fields.String()
    created = ma.fields.DateTime()


class ItinerarySchema(_RecordSchema):
    url = ma.fields.String(metadata={"description": "Share link (HTML page)"})
    api_url = ma.fields.String()
    embed_url = ma.fields.String()
    exports = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    request = ma.fields.Dict()
    result = ma.fields.Dict(
        metadata={
            "description": "Itinerary.to_dict(): days, stops, legs, totals, warnings and unplaced (site id -> why); "
            "each warning and reason is {code, params, zh, en}: a message code with its parameters and the "
            "sentence in Chinese and English"
        }
    )
    data_changed = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "Site data changed since the plan (planned_on, current, changes, last_change, "
                  "sites of the plan that changed); null when it did not"},
    )  # fmt: skip


class ExportQuerySchema(_Strict):
    format = ma.fields.String(required=True, validate=v.OneOf(("gpx", "ics", "geojson")))


class StaffRulesSchema(_Strict):
    """Staffing rules (``tourplan.study.StaffRules``); each field defaults as documented there."""

    students_per_teacher = ma.fields.Integer(
        strict=True, validate=_limit(STUDY_LIMITS, "staff.students_per_teacher"), metadata={"example": 20}
    )
    tutors_per_group = ma.fields.Integer(
        strict=True,
        validate=_limit(STUDY_LIMITS, "staff.tutors_per_group"),
        metadata={"description": "研学导师"},
    )
    guides_per_group = ma.fields.Integer(strict=True, validate=_limit(STUDY_LIMITS, "staff.guides_per_group"))
    safety_officers = ma.fields.Integer(strict=True, validate=_limit(STUDY_LIMITS, "staff.safety_officers"))
    project_leaders = ma.fields.Integer(strict=True, validate=_limit(STUDY_LIMITS, "staff.project_leaders"))


class PublicLoadSchema(_Strict):
    """Expected public visitors per site and time slot (``tourplan.study.PublicLoad``)."""

    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Float(validate=v.Range(0, 1e7))),
        required=True,
        metadata={"description": "site id: visitors present in each slot, slot 0 starting at day_start"},
    )
    slot_minutes = ma.fields.Integer(strict=True, validate=v.Range(1, 24 * 60))
    day_start = ma.fields.String(validate=_HHMM, metadata={"example": "06:00"})


class StudyTourRequestSchema(_TripRequestSchema):
    """A study tour (``tourplan.study.StudyTourRequest``) plus the plan's name.

    Give ``group_size`` (students per group, default 40) or ``groups`` (how
    many); the planner checks every value again and names each bad field.
    """

    name = ma.fields.String(validate=v.Length(1, 200), load_default="study tour")
    school = ma.fields.String(
        required=True, validate=v.Length(1, 200), metadata={"example": "焦作市第一中学"}
    )
    grade = ma.fields.String(
        required=True, validate=v.OneOf(GRADES), metadata={"description": "grade band (小学/初中/高中)"}
    )
    grade_years = ma.fields.List(
        ma.fields.Integer(strict=True, validate=v.Range(1, 6)),
        validate=v.Length(max=6),
        metadata={"description": "years within the band (primary 1-6, junior and senior 1-3)"},
    )
    students = ma.fields.Integer(
        strict=True, required=True, validate=_limit(STUDY_LIMITS, "students"), metadata={"example": 240}
    )
    date = ma.fields.Date(required=True, metadata={"description": "YYYY-MM-DD"})
    buses = ma.fields.Integer(
        strict=True, required=True, validate=_limit(STUDY_LIMITS, "buses"), metadata={"example": 6}
    )
    seats = ma.fields.Integer(
        strict=True, required=True, validate=_limit(STUDY_LIMITS, "seats"), metadata={"example": 53}
    )
    group_size = ma.fields.Integer(strict=True, allow_none=True, validate=_limit(STUDY_LIMITS, "group_size"))
    groups = ma.fields.Integer(strict=True, allow_none=True, validate=_limit(STUDY_LIMITS, "groups"))
    day_start = ma.fields.String(validate=_HHMM, metadata={"example": "08:30"})
    day_end = ma.fields.String(validate=_HHMM, metadata={"example": "17:00"})
    themes = ma.fields.List(ma.fields.String(validate=v.OneOf(STUDY_THEMES)), validate=v.Length(max=20))
    products = ma.fields.List(
        ma.fields.String(validate=v.OneOf(STUDY_PRODUCTS)),
        validate=v.Length(max=10),
        metadata={"description": "study product types of the standard (知识科普型 ...)"},
    )
    require = ma.fields.List(ma.fields.String(validate=v.Length(1, 80)), validate=v.Length(max=40))
    lunch = ma.fields.String(validate=v.OneOf(LUNCH_MODES))
    lunch_site = ma.fields.String(validate=v.Length(1, 200), allow_none=True)
    max_ride_minutes = ma.fields.Integer(
        strict=True, allow_none=True, validate=_limit(STUDY_LIMITS, "max_ride_minutes")
    )
    staff = ma.fields.Nested(StaffRulesSchema)
    staff_on_buses = _StrictBoolean()
    max_stops = ma.fields.Integer(strict=True, validate=_limit(STUDY_LIMITS, "max_stops"))
    boarding_minutes = ma.fields.Integer(strict=True, validate=_limit(STUDY_LIMITS, "boarding_minutes"))
    max_groups_per_site = ma.fields.Integer(
        strict=True, allow_none=True, validate=_limit(STUDY_LIMITS, "max_groups_per_site")
    )
    student_ticket_factor = ma.fields.Float(validate=_limit(STUDY_LIMITS, "student_ticket_factor"))
    bus_cost_cny = ma.fields.Float(
        validate=_limit(STUDY_LIMITS, "bus_cost_cny"),
        metadata={
            "description": "per bus and day; omitted: TOURPLAN_BUS_COST_CNY or 1500 (an assumption), see costs.bus_cost_source"
        },
    )
    bus_cost_source = ma.fields.String(validate=v.OneOf(BUS_COST_SOURCES))
    public_load = ma.fields.Nested(PublicLoadSchema, allow_none=True)
    time_limit = ma.fields.Float(
        validate=_limit(STUDY_LIMITS, "time_limit"),
        metadata={"description": "Optimizer seconds per bus (capped by the server)"},
    )
    improve_rounds = ma.fields.Integer(strict=True, validate=_limit(STUDY_LIMITS, "improve_rounds"))
    bound_seconds = ma.fields.Float(
        validate=_limit(STUDY_LIMITS, "bound_seconds"),
        metadata={"description": "Safety stop for the search of the value's upper bound (its budget is in steps)"},
    )


class StudyTourSchema(_RecordSchema):
    name = ma.fields.String()
    updated = ma.fields.DateTime()
    request = ma.fields.Dict()
    result = ma.fields.Dict()


class EntryPointSchema(_Strict):
    """Where visitors arrive (``tourplan.flow.EntryPoint``)."""

    name = ma.fields.String(required=True, validate=v.Length(1, 80))
    place = ma.fields.String(
        required=True,
        validate=v.Length(1, 200),
        metadata={"description": "Site id, 'lat,lon' or a place name"},
    )
    share = ma.fields.Float(
        required=True, validate=v.Range(0, 1e6), metadata={"description": "relative weight"}
    )
    profile = ma.fields.Raw(
        metadata={"description": "arrival profile: a named one (car_park, station, ...) or hourly weights"}
    )
    mode = ma.fields.String(validate=v.OneOf(tuple(MODES)))


class SegmentSchema(_Strict):
    """A visitor segment (``tourplan.flow.Segment``)."""

    name = ma.fields.String(required=True, validate=v.Length(1, 80))
    share = ma.fields.Float(
        required=True, validate=v.Range(0, 1e6), metadata={"description": "relative weight"}
    )
    interests = ma.fields.Dict(
        keys=ma.fields.String(validate=v.OneOf(THEMES)), values=ma.fields.Float(validate=v.Range(0, 10))
    )
    pace = ma.fields.String(validate=v.OneOf(tuple(PACES)))
    mode = ma.fields.String(validate=v.OneOf(tuple(MODES)), allow_none=True)
    group_size = ma.fields.Integer(strict=True, validate=v.Range(1, 500))
    entries = ma.fields.List(ma.fields.String(), metadata={"description": "entry point names (default: all)"})
    day_end = ma.fields.String(validate=_HHMM, metadata={"example": "18:30"})


class FixedArrivalSchema(_Strict):
    """A booked group that occupies a site from ``start`` to ``end`` (``tourplan.flow.FixedArrival``)."""

    site_id = ma.fields.String(required=True, validate=v.Length(1, 80))
    start = ma.fields.String(required=True, validate=_HHMM, metadata={"example": "09:30"})
    end = ma.fields.String(required=True, validate=_HHMM, metadata={"example": "11:00"})
    count = ma.fields.Integer(strict=True, required=True, validate=v.Range(1, 100_000))


class MeasuresSchema(_Strict):
    """Countermeasures on a peak day (``tourplan.flow.Measures``): timed entry, quotas, daily caps, 错峰."""

    timed_entry = ma.fields.Boolean(
        metadata={"description": "quota per slot at every site from its capacity (LB/T 034)"}
    )
    quotas = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(strict=True, validate=v.Range(0, 1_000_000)),
        metadata={"description": "site id: entries per slot"},
    )  # fmt: skip
    daily_caps = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(strict=True, validate=v.Range(0, 10_000_000)),
        metadata={"description": "site id: entries per day"},
    )  # fmt: skip
    group_shift_minutes = ma.fields.Integer(
        strict=True, validate=v.Range(-240, 240), metadata={"description": "move school groups' start times"}
    )


class ScenarioSchema(_Strict):
    """A visitor-flow scenario (``tourplan.flow.Scenario``); the simulation checks every value again."""

    date = ma.fields.Date(required=True, metadata={"description": "YYYY-MM-DD"})
    day_type = ma.fields.String(
        validate=v.OneOf(DAY_TYPES), allow_none=True, metadata={"description": "default: from the date"}
    )
    visitors = ma.fields.Integer(
        strict=True,
        allow_none=True,
        validate=v.Range(0, 20_000_000),
        metadata={
            "description": "default: the day type's usual count (capped by the server)",
            "example": 20000,
        },
    )
    entries = ma.fields.List(ma.fields.Nested(EntryPointSchema), validate=v.Length(max=50))
    segments = ma.fields.List(ma.fields.Nested(SegmentSchema), validate=v.Length(max=50))
    fixed_arrivals = ma.fields.List(ma.fields.Nested(FixedArrivalSchema), validate=v.Length(max=500))
    outdoor_factor = ma.fields.Float(
        validate=v.Range(0, 2), metadata={"description": "below 1 on a rainy day"}
    )
    slot_minutes = ma.fields.Integer(strict=True, validate=v.OneOf((5, 10, 15, 20, 30, 60)))
    day_start = ma.fields.String(validate=_HHMM, metadata={"example": "06:00"})
    day_end = ma.fields.String(validate=_HHMM, metadata={"example": "24:00"})
    patience_minutes = ma.fields.Float(validate=v.Range(0, 24 * 60))
    skip_probability = ma.fields.Float(validate=v.Range(0, 1, max_inclusive=False))
    dwell_cv = ma.fields.Float(validate=v.Range(0, 2))
    bucket_minutes = ma.fields.Integer(strict=True, validate=v.Range(15, 600))
    plan_time_limit = ma.fields.Float(
        validate=v.Range(0.01, 60),
        metadata={"description": "Optimizer seconds per plan (capped by the server)"},
    )
    min_plan_share = ma.fields.Float(validate=v.Range(0, 0.5, max_inclusive=False))
    plan_variants = ma.fields.Integer(strict=True, validate=v.Range(1, 64))
    variant_share = ma.fields.Float(validate=v.Range(0, 1, min_inclusive=False))
    interest_cv = ma.fields.Float(validate=v.Range(0, 2))
    must_see_share = ma.fields.Float(validate=v.Range(0, 1))
    area_shares = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Float(validate=v.Range(0, 1)),
        metadata={"description": "area site id: share of the day's visitors whose day includes it"},
    )  # fmt: skip
    holidays = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(validate=v.OneOf(DAY_TYPES)),
        metadata={"description": "YYYY-MM-DD: day type (overrides the built-in calendar)"},
    )  # fmt: skip
    measures = ma.fields.Nested(MeasuresSchema)


class RunSchema(_RecordSchema):
    status = ma.fields.String(metadata={"description": "queued, running, done or failed"})
    progress = ma.fields.Float(metadata={"description": "0 to 1"})
    error = ma.fields.String(allow_none=True)
    updated = ma.fields.DateTime()
    published = ma.fields.Boolean(metadata={"description": "published for embedding: readable without login"})
    result = ma.fields.Dict(allow_none=True)


# --------------------------------------------------------------------------- helpers


#: Site attributes the API shows, in order (the set-valued ones sorted into lists).
#: The attributes of a site the API gives: :class:`SiteSchema`'s fields but the link.
_SITE_FIELDS = tuple(name for name in SiteSchema().fields if name != "url")
_SITE_SETS = ("themes", "study_grades", "study_products")


def _fields(obj: Any, *names: str) -> dict[str, Any]:
    """``{name: obj.name}`` for each of ``names``, in that order."""
    return {name: getattr(obj, name) for name in names}


def _found(rec: T | None, message: str, field: str, error: str) -> T:
    """``rec``, or a 404 with ``message`` and ``{field: error}`` when it is ``None``."""
    if rec is None:
        abort(404, message=message, errors={field: error})
    return rec  # type: ignore[return-value]


def _site(s: Site) -> dict[str, Any]:
    out = _fields(s, *_SITE_FIELDS)
    for name in _SITE_SETS:
        out[name] = sorted(out[name])
    out["url"] = external_url("visitor.site", site_id=s.id)
    return out


def _itinerary(rec: ItineraryRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "url": external_url("visitor.itinerary", iid=rec.id),
        "api_url": external_url("api.Itinerary", iid=rec.id),
        "embed_url": external_url("embed.itinerary", iid=rec.id),
        "exports": {
            fmt: external_url("api.itinerary_export_suffix", iid=rec.id, fmt=fmt)
            for fmt in ("gpx", "ics", "geojson")
        },
        **_fields(rec, "created", "request", "result"),
        "data_changed": data_changes_json(rec.result),  # tourplan.web.sitedata
    }


def _study(rec: StudyRecord) -> dict[str, Any]:
    return {
        **_fields(rec, "id", "name"),
        "url": external_url("staff.study", plan_id=rec.id),
        **_fields(rec, "created", "updated", "request", "result"),
    }


def _run(rec: RunRecord) -> dict[str, Any]:
    return {
        **_fields(rec, "id", "status", "progress", "error", "created", "updated"),
        "url": external_url("api.Simulation", run_id=rec.id),
        "published": rec.published,
        "result": rec.result if rec.status == "done" else None,
    }


def _get_itinerary(iid: str) -> ItineraryRecord:
    rec = get_store().get_itinerary(iid)
    return _found(rec, "no saved itinerary has this id", "id", f"unknown id {iid!r}")


# --------------------------------------------------------------------------- sites


@blp.route("/sites")
class Sites(MethodView):
    @blp.arguments(SiteQuerySchema, location="query", unknown=ma.RAISE)
    @blp.response(200, SiteListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List sites, filtered by category, theme, grade band and text."""
        table = site_data().sites.filter(
            category=args.get("category") or None,
            theme=args.get("theme") or None,
            grade=args.get("grade"),
            text=args.get("q") or None,
        )
        return {"count": len(table), "sites": [_site(s) for s in table]}


# GET/PATCH /sites/<site_id> and its history: tourplan.web.sites_api (site data in the store)


# --------------------------------------------------------------------------- itineraries


@blp.route("/itineraries")
class Itineraries(MethodView):
    @blp.arguments(ItineraryRequestSchema)
    @blp.response(201, ItinerarySchema)
    @blp.alt_response(400, schema=ErrorSchema, description="Invalid request (errors per field)")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown place or impossible request")
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Plan an itinerary and save it; the id is the share link's key."""
        rec = planning.plan_and_save(args)
        body = _itinerary(rec)
        return body, 201, {"Location": body["api_url"]}


@blp.route("/itineraries/<id:iid>", endpoint="Itinerary")
class ItineraryItem(MethodView):
    @blp.response(200, ItinerarySchema)
    @_UNKNOWN_ID
    def get(self, iid: str) -> dict[str, Any]:
        """A saved itinerary."""
        return _itinerary(_get_itinerary(iid))


@blp.route("/itineraries/<id:iid>.<any(gpx, ics, geojson):fmt>", endpoint="itinerary_export_suffix")
@blp.doc(responses={"200": {"description": "GPX, iCalendar or GeoJSON file"}})
def itinerary_export_suffix(iid: str, fmt: str) -> Any:
    """Download a saved itinerary as GPX, ICS or GeoJSON."""
    return export_response(_get_itinerary(iid), fmt)


@blp.route("/itineraries/<id:iid>/export", endpoint="itinerary_export")
@blp.arguments(ExportQuerySchema, location="query", unknown=ma.RAISE)
@blp.doc(responses={"200": {"description": "GPX, iCalendar or GeoJSON file"}})
def itinerary_export(args: dict[str, Any], iid: str) -> Any:
    """Download a saved itinerary (``?format=gpx|ics|geojson``)."""
    return export_response(_get_itinerary(iid), args["format"])


# --------------------------------------------------------------------------- study tours


@blp.route("/study-tours")
class StudyTours(MethodView):
    decorators = [staff_required]

    @blp.arguments(StudyTourRequestSchema)
    @blp.response(201, StudyTourSchema)
    @blp.alt_response(202, schema=RunSchema, description="A large tour, planned as a job: poll its URL")
    @_INVALID
    @_STAFF_ONLY
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any] | Response, int, dict[str, str]]:
        """Plan study tours for several groups and save the plan (staff).

        A tour larger than ``STUDY_QUEUE_WORK`` groups x sites is planned as
        a job instead: 202 with the run, whose result, once done, names the
        saved plan (``plan_id``).
        """
        values = dict(args)
        name = str(values.pop("name", "study tour"))
        run = planning.queue_large_study(values, name=name, owner_id=int(current_user.id))
        if run is not None:
            body = _run(run)  # not the 201 schema's shape: sent as it is
            return jsonify(body), 202, {"Location": body["url"]}
        result = planning.plan_study(values)
        rec = get_store().save_study(name, jsonable(values), result, owner_id=int(current_user.id))
        return _study(rec), 201, {}


@blp.route("/study-tours/<id:plan_id>", endpoint="StudyTour")
class StudyTourItem(MethodView):
    decorators = [staff_required]

    @blp.response(200, StudyTourSchema)
    @_STAFF_ONLY
    @_UNKNOWN_ID
    def get(self, plan_id: str) -> dict[str, Any]:
        """A saved study-tour plan (staff: it names school groups)."""
        rec = get_store().get_study(plan_id)
        return _study(_found(rec, "no study-tour plan has this id", "id", f"unknown id {plan_id!r}"))


# --------------------------------------------------------------------------- simulations


@blp.route("/simulations")
class Simulations(MethodView):
    decorators = [staff_required]

    @blp.arguments(ScenarioSchema)
    @blp.response(202, RunSchema)
    @_INVALID
    @_STAFF_ONLY
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Start a visitor-flow simulation in the background (staff); poll its URL."""
        rec = simulations.start_simulation(args, owner_id=int(current_user.id))
        body = _run(rec)
        return body, 202, {"Location": body["url"]}


@blp.route("/simulations/<id:run_id>", endpoint="Simulation")
class SimulationItem(MethodView):
    @blp.response(200, RunSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Staff login required (a run not published)")
    @_UNKNOWN_ID
    def get(self, run_id: str) -> dict[str, Any]:
        """Status, progress (0-1) and, once done, the result of a run.

        Staff see every run; anyone else only a run published for embedding
        (an unpublished or unknown id gets the same 401).
        """
        rec = get_store().get_run(run_id)
        if not current_user.is_authenticated and (rec is None or not rec.published):
            abort(401, message="staff login required: this simulation run is not published for embedding")
        return _run(_found(rec, "no simulation run has this id", "id", f"unknown id {run_id!r}"))


def init_api(app: Flask, csrf: CSRFProtect) -> _Api:
    """Register the API blueprint and its OpenAPI document."""
    from tourplan.web import sites_api

    api = _Api(app)
    csrf.exempt(blp)
    csrf.exempt(sites_api.blp)
    api.register_blueprint(blp)
    api.register_blueprint(sites_api.blp)
    return api
