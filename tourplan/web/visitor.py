"""Public pages: plan a trip, see and share the result, browse the sites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]

from tourplan import maps, views
from tourplan.errors import InfeasibleRequestError, PlaceNotFoundError, RequestValidationError
from tourplan.export import to_geojson, to_gpx, to_ics
from tourplan.site import CATEGORIES, GRADES, THEMES
from tourplan.web.forms import PlanForm, ReplanForm, place_choices, site_choices
from tourplan.web.i18n import current_lang, error_text
from tourplan.web.mapview import map_parts
from tourplan.web.security import csp_nonce
from tourplan.web.services import planning
from tourplan.web.services.data import assets_url, get_store, page_lang, site_data
from tourplan.web.urls import external_url

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from tourplan.store import ItineraryRecord

__all__ = ["bp"]

bp = Blueprint("visitor", __name__)


@bp.app_template_global("hours_text")
def hours_text(spec: str) -> str:
    """Opening hours in words in the page's language (the raw text only if it does not parse)."""
    from tourplan.hours import HoursError, describe_hours

    try:
        return describe_hours(spec, current_lang())
    except HoursError:
        return spec


@bp.app_template_global("site_ticket")
def site_ticket(site: Any) -> str:
    """A site's entry in the page's language: its ticket, the area ticket that covers it, or free."""
    from tourplan.sights import stop_ticket

    return stop_ticket(site, site_data().sites).render(current_lang())


# Fields of ItineraryRequest that the form shows under another name.
_FORM_FIELD = {"start": "start_text", "end": "end_text", "start_date": "date", "interests": "interests"}


def _plan_page(form: PlanForm, problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The planning form with the must-see picker grouped by category and the ready-made routes."""
    from tourplan.sights import sight_groups

    lang = current_lang()
    picked = set(form.must_see.data or [])
    groups = [
        (g.label(page_lang(lang)), [(s.id, s.label(lang), s.id in picked) for s in g.sites])
        for g in sight_groups(site_data().sites, lang=page_lang(lang))
    ]
    return render_template(
        "plan.html", form=form, problem=problem, sight_groups=groups, themes=THEMES
    ), status


def _plan_form(formdata: Any = None) -> PlanForm:
    sd = site_data()
    lang = current_lang()
    form = PlanForm(formdata=formdata) if formdata is not None else PlanForm()
    form.start.choices = place_choices(sd.sites, lang)
    form.must_see.choices = site_choices(sd.sites, lang)
    return form


@bp.get("/")
def index() -> ResponseReturnValue:
    """The planning form (``?must_see=<site id>`` ticks a site, ``?start=`` picks the start)."""
    form = _plan_form()
    known = site_data().sites
    picked = [s for s in request.args.getlist("must_see") if s in known]
    if picked:
        form.must_see.data = picked
    if request.args.get("start") in known:
        form.start.data = request.args["start"]
    return _plan_page(form)


@bp.get("/plan")
def plan_get() -> ResponseReturnValue:
    """``/plan`` typed in or bookmarked: the form lives at ``/`` (its query string kept)."""
    target = url_for("visitor.index")
    query = request.query_string.decode("utf-8", "replace")
    return redirect(f"{target}?{query}" if query else target, code=302)


@bp.post("/plan")
def plan() -> ResponseReturnValue:
    """Plan from the form, save, and go to the shareable result."""
    form = _plan_form(request.form)
    problem: str | None = None
    if form.validate():
        try:
            record = planning.plan_and_save(form.to_values())
        except RequestValidationError as exc:
            for name in exc.errors:
                msg = exc.text(name, current_lang())
                field = getattr(form, _FORM_FIELD.get(name, name), None)
                if field is not None and hasattr(field, "errors"):
                    field.errors = [*list(field.errors), msg]
                else:
                    problem = f"{name}: {msg}"
            problem = problem or _("Please correct the marked fields.")
        except (PlaceNotFoundError, InfeasibleRequestError) as exc:
            problem = error_text(exc)
            field = getattr(form, _FORM_FIELD.get(getattr(exc, "field", ""), ""), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors), problem]
        else:
            return redirect(url_for("visitor.itinerary", iid=record.id), code=303)
    else:
        problem = _("Please correct the marked fields.")
    return _plan_page(form, problem, 400)


#: At most this many type-ahead suggestions.
_SUGGEST_LIMIT = 8


@bp.get("/places/suggest")
def place_suggest() -> ResponseReturnValue:
    """Type-ahead for start, end and must-see: ``?q=`` text -> ``{"q", "suggestions": [{id, label, matched}]}``."""
    from tourplan.places import place_index

    q = (request.args.get("q") or "").strip()[:50]
    index = place_index(site_data().sites)
    found = index.suggest(q, lang=page_lang(current_lang()), limit=_SUGGEST_LIMIT) if q else []
    resp = jsonify({"q": q, "suggestions": [s.to_dict() for s in found]})
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.record_once
def _limit_suggest(state: Any) -> None:
    """Rate-limit the type-ahead per client like the other visitor endpoints (``SUGGEST_RATE_LIMIT``)."""
    limiter = state.app.extensions.get("tourplan.limiter")
    if limiter is None:
        return
    rate = str(state.app.config.get("SUGGEST_RATE_LIMIT", "120 per minute"))
    endpoint = f"{bp.name}.place_suggest"
    state.app.view_functions[endpoint] = limiter.limit(rate)(state.app.view_functions[endpoint])


@bp.get("/routes/<theme>")
def ready_route(theme: str) -> ResponseReturnValue:
    """A ready-made one-day route for a theme: planned once per date and data version, then its trip page."""
    if theme not in THEMES:
        abort(404, description=_("There is no ready-made route for this theme."))
    result = planning.showcase_result(theme)
    ids: dict[tuple[str, str, str], str] = current_app.extensions.setdefault("tourplan.showcase_ids", {})
    key = (theme, planning.showcase_date().isoformat(), site_data().version)
    iid = ids.get(key)
    if iid is None or get_store().get_itinerary(iid) is None:
        date = str(result["days"][0]["date"]) if result.get("days") else ""
        record = get_store().save_itinerary({"date": date, "days": 1, "interests": {theme: 1.0}}, result)
        iid = ids[key] = record.id
    return redirect(url_for("visitor.itinerary", iid=iid), code=302)


def _record(iid: str) -> ItineraryRecord:
    record = get_store().get_itinerary(iid)
    if record is None:
        abort(
            404, description=_("No saved itinerary has this link. Links are kept; check that it is complete.")
        )
    return record


def _trip(record: ItineraryRecord, lang: str) -> dict[str, Any]:
    """What the result and print pages show besides the saved result, in ``lang``."""
    return planning.trip_view(record.result, lang=page_lang(lang))


def _exports(iid: str) -> dict[str, str]:
    return {
        "ics": url_for("visitor.export", iid=iid, fmt="ics"),
        "gpx": url_for("visitor.export", iid=iid, fmt="gpx"),
        "geojson": url_for("visitor.export", iid=iid, fmt="geojson"),
        "print": url_for("visitor.printable", iid=iid),
    }


@bp.get("/i/<id:iid>")
def itinerary(iid: str) -> ResponseReturnValue:
    """A saved itinerary: map, timeline, re-plan, exports, share and embed."""
    record = _record(iid)
    lang = current_lang()
    parts = map_parts(planning.render_itinerary_map(record.result, lang=lang), csp_nonce())
    share = external_url("visitor.itinerary", iid=iid)
    embed_url = external_url("embed.itinerary", iid=iid)
    return render_template(
        "result.html",
        record=record,
        result=record.result,
        map=parts,
        share_url=share,
        exports=_exports(iid),
        embed_snippet=maps.embed_snippet(embed_url, "100%", 480, _("Trip map")),
        map_file=url_for("embed.itinerary_file", iid=iid, lang=lang),
        oembed_url=external_url("embed.oembed", url=share, format="json"),
        replan_form=ReplanForm(),
        locked=record.request.get("locked") or {},
        excluded=record.request.get("exclude") or [],
        sites=site_data().sites,
        addable=_addable(record.result, lang),
        **_trip(record, lang),
    )


def _addable(result: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Sites a visitor may add to a saved trip: the must-see choices not in it yet."""
    planned = {s["site_id"] for d in result.get("days", []) for s in d.get("stops", [])}
    return [(sid, label) for sid, label in site_choices(site_data().sites, lang) if sid not in planned]


@bp.post("/i/<id:iid>/replan")
def replan(iid: str) -> ResponseReturnValue:
    """Plan again with the chosen stops locked or removed and the chosen sites added, or the same trip steered to quieter times."""
    record = _record(iid)
    form = ReplanForm(request.form)
    if not form.validate():
        abort(400, description=_("The form expired; please reload the page and try again."))
    try:
        if form.avoid_crowds.data:  # the same trip, quieter: earlier locks and removals stay
            new = planning.replan(
                record,
                locked=record.request.get("locked") or {},
                exclude=list(record.request.get("exclude") or []),
                avoid_crowds=True,
            )
        else:
            new = planning.replan(
                record,
                locked=form.locked(),
                exclude=list(form.remove.data or []),
                add=[a for a in form.add.data or [] if a],
            )
    except (RequestValidationError, PlaceNotFoundError, InfeasibleRequestError) as exc:
        message = error_text(exc)
        return render_template("error.html", status=422, title=_("Cannot plan this"), message=message), 422
    return redirect(url_for("visitor.itinerary", iid=new.id), code=303)


_EXPORT_TYPES = {
    "gpx": "application/gpx+xml",
    "ics": "text/calendar; charset=utf-8",
    "geojson": "application/geo+json",
}


def export_response(record: ItineraryRecord, fmt: str) -> Response:
    """The itinerary as a GPX, ICS or GeoJSON download."""
    if fmt == "gpx":
        body: str | bytes = to_gpx(record.result, name=f"tourplan {record.id}")
    elif fmt == "ics":
        body = to_ics(
            record.result,
            uid_prefix=record.id,
            url=external_url("visitor.itinerary", iid=record.id),
        )
    elif fmt == "geojson":
        import json

        body = json.dumps(to_geojson(record.result), ensure_ascii=False)
    else:
        abort(404)
    resp = Response(body, mimetype=_EXPORT_TYPES[fmt].split(";")[0])
    resp.headers["Content-Type"] = _EXPORT_TYPES[fmt]
    resp.headers["Content-Disposition"] = f'attachment; filename="tourplan-{record.id}.{fmt}"'
    return resp


@bp.get("/i/<id:iid>.<any(gpx, ics, geojson):fmt>")
def export(iid: str, fmt: str) -> ResponseReturnValue:
    """Download the itinerary."""
    return export_response(_record(iid), fmt)


@bp.get("/i/<id:iid>/print")
def printable(iid: str) -> ResponseReturnValue:
    """A printer-friendly timeline."""
    record = _record(iid)
    lang = current_lang()
    share_url = external_url("visitor.itinerary", iid=iid)
    parts = map_parts(planning.render_itinerary_map(record.result, lang=lang), csp_nonce())
    return render_template(
        "print.html",
        record=record,
        result=record.result,
        share_url=share_url,
        share_qr=planning.qr_svg(share_url, title=_("Scan to open this trip")),
        map=parts,
        sites=site_data().sites,
        **_trip(record, lang),
    )


@bp.get("/sites")
def sites() -> ResponseReturnValue:
    """The site directory with filters."""
    table = site_data().sites
    category = request.args.get("category") or None
    theme = request.args.get("theme") or None
    grade = request.args.get("grade") or None
    q = (request.args.get("q") or "").strip()[:100]
    if category not in (None, *CATEGORIES) or theme not in (None, *THEMES) or grade not in (None, *GRADES):
        abort(400, description=_("Unknown filter value."))
    found = table.filter(category=category, theme=theme, grade=grade, text=q or None)
    return render_template(
        "sites.html",
        sites=found,
        total=len(table),
        filters={"category": category, "theme": theme, "grade": grade, "q": q},
        categories=sorted({s.category for s in table}),
    )


@bp.get("/sites/<site_id>")
def site(site_id: str) -> ResponseReturnValue:
    """One site: facts, map, approximate-location note."""
    table = site_data().sites
    s = table.get(site_id)
    if s is None:
        abort(404, description=_("There is no site with this id."))
    lang = current_lang()
    m = views.site_map(s, lang=page_lang(lang), assets=assets_url())
    parent = table.get(s.parent_id) if s.parent_id else None
    parts_of = [x for x in table if x.parent_id == s.id]
    return render_template("site.html", site=s, map=map_parts(m, csp_nonce()), parent=parent, parts=parts_of)
