"""Flask-WTF forms (every one carries a CSRF token) and their request values.

A form only parses and labels; turning its data into the values the core's
``from_dict`` constructors take happens in the ``to_values`` methods, and the
core does the real validation.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l  # type: ignore[import-untyped, unused-ignore]
from flask_wtf import FlaskForm  # type: ignore[import-untyped, unused-ignore]
from flask_wtf.file import FileAllowed, FileField, FileRequired  # type: ignore[import-untyped, unused-ignore]
from wtforms import (  # type: ignore[import-untyped, unused-ignore]
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError  # type: ignore[import-untyped, unused-ignore]
from wtforms.widgets import CheckboxInput, ListWidget  # type: ignore[import-untyped, unused-ignore]

from tourplan._parse import defaults, fmt_time
from tourplan.itinerary import LIMITS as ITINERARY_LIMITS
from tourplan.itinerary import ItineraryRequest
from tourplan.rules import PASS_THROUGH
from tourplan.site import GRADES, STUDY_PRODUCTS, THEMES
from tourplan.study import DEFAULT_MAX_RIDE, LIMITS, LUNCH_MODES, STUDY_THEMES, StaffRules, StudyTourRequest
from tourplan.study.request import default_bus_cost
from tourplan.web.i18n import (
    DAY_TYPE_LABELS,
    GRADE_LABELS,
    MODE_LABELS,
    PACE_LABELS,
    PRODUCT_LABELS,
    THEME_LABELS,
)

if TYPE_CHECKING:
    from tourplan.site import SiteTable

__all__ = [
    "FlowForm",
    "LoginForm",
    "PlanForm",
    "ReplanForm",
    "StudyForm",
    "UploadForm",
    "place_choices",
    "site_choices",
]

DEFAULT_INTERESTS = ("history", "culture", "mountain")

try:  # WTForms >= 3.3 wants SelectChoice objects; older versions take tuples.
    from wtforms import SelectChoice as _SelectChoice  # type: ignore[import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - WTForms < 3.3
    _SelectChoice = None


def choice(value: str, label: Any = None, optgroup: str | None = None) -> Any:
    """One option of a select, radio or checkbox list (label defaults to the value)."""
    shown = value if label is None else label
    if _SelectChoice is None:  # pragma: no cover
        return (value, shown)
    return _SelectChoice(value, shown, optgroup=optgroup) if optgroup else _SelectChoice(value, shown)


#: Request defaults: the forms show what the planners assume.
_PLAN = defaults(ItineraryRequest)
_STUDY = defaults(StudyTourRequest)
_DAYS = ITINERARY_LIMITS["days"]


def _clock(minutes: int) -> dt.time:
    """Minutes after midnight as a time of day (a form's default)."""
    return dt.time(minutes // 60, minutes % 60)


def _hhmm(value: dt.time | None, default: int) -> str:
    """A form's time as ``HH:MM`` (the request's default when the field is empty)."""
    return value.strftime("%H:%M") if value else fmt_time(default)


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Several checkboxes (friendlier than ``<select multiple>``, and keyboard-usable)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _tomorrow() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=1)


def place_choices(sites: SiteTable, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Start-point choices grouped: stations and hotels (:data:`tourplan.rules.PASS_THROUGH`) first, then sites."""
    first = [(s.id, s.label(lang)) for s in sites if s.category in PASS_THROUGH]
    return {str(_l("Stations and hotels")): first, str(_l("Sites")): site_choices(sites, lang)}


def site_choices(sites: SiteTable, lang: str) -> list[tuple[str, str]]:
    """Sites a visitor can pick as must-see (no stations or hotels)."""
    return sorted(
        ((s.id, s.label(lang)) for s in sites if s.category not in PASS_THROUGH), key=lambda x: x[1]
    )


#: The visitor's crowd choice: steer visits to quieter times always, on peak days only (the planner's default), or never.
CROWD_CHOICES: dict[str, Any] = {
    "auto": _l("Avoid crowds on holidays"),
    "avoid": _l("Avoid crowded times"),
    "show": _l("Only show the expected crowd"),
}
_AVOID = {"avoid": True, "show": False}


class PlanForm(FlaskForm):  # type: ignore[misc]
    """The visitor's planning form; the defaults give a good day in one click."""

    date = DateField(_l("Date"), validators=[InputRequired()], default=_tomorrow)
    days = SelectField(
        _l("Days"),
        choices=[choice(str(n)) for n in range(int(_DAYS.lo), int(_DAYS.hi) + 1)],
        coerce=int,
        default=_PLAN["days"],
    )
    interests = MultiCheckboxField(
        _l("What do you enjoy?"),
        choices=[choice(t, THEME_LABELS[t]) for t in THEMES],
        default=list(DEFAULT_INTERESTS),
    )
    start = SelectField(_l("Start from"), default=_PLAN["start"], validate_choice=False)
    start_text = StringField(
        _l("…or type a place (name or “lat,lon”)"), validators=[Optional(), Length(max=200)]
    )
    end_text = StringField(_l("End at (optional)"), validators=[Optional(), Length(max=200)])
    day_start = TimeField(_l("Leave at"), default=_clock(_PLAN["day_start"]), validators=[InputRequired()])
    day_end = TimeField(_l("Back by"), default=_clock(_PLAN["day_end"]), validators=[InputRequired()])
    pace = RadioField(
        _l("Pace"), choices=[choice(k, v) for k, v in PACE_LABELS.items()], default=_PLAN["pace"]
    )
    mode = SelectField(
        _l("Getting around"), choices=[choice(k, v) for k, v in MODE_LABELS.items()], default=_PLAN["mode"]
    )
    must_see = MultiCheckboxField(_l("Must see"), validate_choice=False)
    lunch = BooleanField(_l("Plan a lunch break"), default=_PLAN["lunch"])
    accessible_only = BooleanField(_l("Step-free sites only"))
    crowds = SelectField(
        _l("Crowds"), choices=[choice(k, v) for k, v in CROWD_CHOICES.items()], default="auto"
    )
    ticket_budget = FloatField(
        _l("Ticket budget (CNY, optional)"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )

    def to_values(self) -> dict[str, Any]:
        """Request values for :meth:`ItineraryRequest.from_dict`."""
        values: dict[str, Any] = {
            "date": self.date.data.isoformat() if self.date.data else None,
            "days": int(self.days.data or _PLAN["days"]),
            "interests": {t: 1.0 for t in (self.interests.data or []) if t in THEMES},
            "start": (self.start_text.data or "").strip() or self.start.data or _PLAN["start"],
            "end": (self.end_text.data or "").strip() or None,
            "day_start": _hhmm(self.day_start.data, _PLAN["day_start"]),
            "day_end": _hhmm(self.day_end.data, _PLAN["day_end"]),
            "pace": self.pace.data or _PLAN["pace"],
            "mode": self.mode.data or _PLAN["mode"],
            "must_see": list(self.must_see.data or []),
            "lunch": bool(self.lunch.data),
            "accessible_only": bool(self.accessible_only.data),
        }
        if self.crowds.data in _AVOID:
            values["avoid_crowds"] = _AVOID[self.crowds.data]
        if self.ticket_budget.data is not None:
            values["ticket_budget"] = float(self.ticket_budget.data)
        return values


class ReplanForm(FlaskForm):  # type: ignore[misc]
    """Lock stops to their day, remove stops and add must-see sites, then plan again."""

    lock = SelectMultipleField(validate_choice=False)
    remove = SelectMultipleField(validate_choice=False)
    add = SelectMultipleField(validate_choice=False)
    #: Plan the same trip again, steering visits to quieter times (locks and removals kept).
    avoid_crowds = BooleanField()

    def locked(self) -> dict[str, int]:
        """``"site_id:day"`` values as ``{site_id: day index}``."""
        out: dict[str, int] = {}
        for v in self.lock.data or []:
            sid, _, day = str(v).rpartition(":")
            if sid and day.isdigit():
                out[sid] = int(day)
        return out


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Staff login."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def _json_object(form: Any, field: Any) -> None:
    del form
    text = (field.data or "").strip()
    if not text:
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(str(_l("Not valid JSON: %(msg)s", msg=exc.msg))) from None
    if not isinstance(value, dict):
        raise ValidationError(str(_l("Expected a JSON object {…}")))


_STAFF = StaffRules()
_MAX_STOPS = _STUDY["max_stops"]
LUNCH_LABELS: dict[str, Any] = {
    "group": _l("Each group at a restaurant (sites share the load)"),
    "together": _l("The whole school at one restaurant"),
    "packed": _l("Packed lunches (no lunch stop)"),
}


def _limit(name: str) -> NumberRange:
    """The form's range check for a request field, read from :data:`tourplan.study.LIMITS`."""
    r = LIMITS[name]
    return NumberRange(r.lo, r.hi)


def _bus_cost_hint() -> Any:
    cost, source = default_bus_cost()
    if source == "config":
        return _l(
            "Empty: %(cny).0f CNY per bus-day, this server's setting (TOURPLAN_BUS_COST_CNY).", cny=cost
        )
    return _l(
        "Empty: %(cny).0f CNY per bus-day, an assumed typical coach hire in Henan (not a quoted price).",
        cny=cost,
    )


class StudyForm(FlaskForm):  # type: ignore[misc]
    """Study-tour planner (研学): a school's groups of one grade band on one day."""

    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=200)])
    school = StringField(_l("School"), validators=[DataRequired(), Length(max=100)])
    date = DateField(_l("Date"), validators=[InputRequired()], default=_tomorrow)
    grade = SelectField(
        _l("Grade band"), choices=[choice(g, GRADE_LABELS[g]) for g in GRADES], default="junior"
    )
    students = IntegerField(
        _l("Students in all"), default=240, validators=[InputRequired(), _limit("students")]
    )
    groups = IntegerField(_l("Groups (classes)"), default=6, validators=[InputRequired(), _limit("groups")])
    buses = IntegerField(_l("Buses"), default=6, validators=[InputRequired(), _limit("buses")])
    seats = IntegerField(_l("Seats per bus"), default=53, validators=[InputRequired(), _limit("seats")])
    start = SelectField(_l("Start from"), default=_STUDY["start"], validate_choice=False)
    day_start = TimeField(_l("Leave at"), default=_clock(_STUDY["day_start"]), validators=[InputRequired()])
    day_end = TimeField(_l("Back by"), default=_clock(_STUDY["day_end"]), validators=[InputRequired()])
    themes = MultiCheckboxField(
        _l("Site themes"), choices=[choice(t, THEME_LABELS[t]) for t in STUDY_THEMES], default=[]
    )
    products = MultiCheckboxField(
        _l("Study product types"),
        choices=[choice(p, PRODUCT_LABELS[p]) for p in STUDY_PRODUCTS],
        default=["知识科普型", "文化康乐型"],
    )
    require = MultiCheckboxField(_l("Required sites"), validate_choice=False)
    lunch = SelectField(
        _l("Lunch"), choices=[choice(m, LUNCH_LABELS[m]) for m in LUNCH_MODES], default=_STUDY["lunch"]
    )
    max_stops = IntegerField(
        _l("Most study stops per group"), default=_MAX_STOPS, validators=[Optional(), _limit("max_stops")]
    )
    max_ride_minutes = IntegerField(
        _l("Longest bus ride (min)"), validators=[Optional(), _limit("max_ride_minutes")]
    )
    max_groups_per_site = IntegerField(
        _l("Most groups at one site"), validators=[Optional(), _limit("max_groups_per_site")]
    )
    boarding_minutes = IntegerField(
        _l("Minutes to board or leave the bus"),
        default=10,
        validators=[Optional(), _limit("boarding_minutes")],
    )
    bus_cost_cny = FloatField(
        _l("Bus cost per bus-day (CNY)"), validators=[Optional(), _limit("bus_cost_cny")]
    )
    students_per_teacher = IntegerField(
        _l("Students per teacher"),
        default=_STAFF.students_per_teacher,
        validators=[Optional(), _limit("staff.students_per_teacher")],
    )
    tutors_per_group = IntegerField(
        _l("Study tutors per group"),
        default=_STAFF.tutors_per_group,
        validators=[Optional(), _limit("staff.tutors_per_group")],
    )
    guides_per_group = IntegerField(
        _l("Guides per group"),
        default=_STAFF.guides_per_group,
        validators=[Optional(), _limit("staff.guides_per_group")],
    )
    safety_officers = IntegerField(
        _l("Safety officers"),
        default=_STAFF.safety_officers,
        validators=[Optional(), _limit("staff.safety_officers")],
    )
    project_leaders = IntegerField(
        _l("Project leaders"),
        default=_STAFF.project_leaders,
        validators=[Optional(), _limit("staff.project_leaders")],
    )
    staff_on_buses = SelectField(
        _l("Safety officers and project leaders"),
        choices=[choice("bus", _l("Ride the buses")), choice("separately", _l("Travel separately (no bus seats)"))],
        default="bus",
    )
    #: Request fields a saved plan has that the form does not show, kept as they were on editing.
    kept = HiddenField(validators=[Optional(), Length(max=20000), _json_object])

    _FIELDS = ("school", "grade", "students", "groups", "buses", "seats", "start", "themes", "products", "require",
               "lunch", "max_stops", "max_ride_minutes", "max_groups_per_site", "boarding_minutes", "bus_cost_cny",
               "staff_on_buses")  # fmt: skip
    DEFAULT_MAX_RIDE = DEFAULT_MAX_RIDE
    #: Form fields that fill the request's ``staff`` object.
    STAFF_FIELDS = (
        "students_per_teacher",
        "tutors_per_group",
        "guides_per_group",
        "safety_officers",
        "project_leaders",
    )

    @property
    def bus_cost_hint(self) -> Any:
        """What an empty bus cost means (the configured or the documented default)."""
        return _bus_cost_hint()

    def to_values(self) -> dict[str, Any]:
        """Request values for ``StudyTourRequest.from_dict``."""
        values: dict[str, Any] = {
            "school": (self.school.data or "").strip(),
            "date": self.date.data.isoformat() if self.date.data else None,
            "grade": self.grade.data,
            "students": int(self.students.data or 1),
            "groups": int(self.groups.data or 1),
            "buses": int(self.buses.data or 1),
            "seats": int(self.seats.data or 1),
            "start": self.start.data or _STUDY["start"],
            "day_start": _hhmm(self.day_start.data, _STUDY["day_start"]),
            "day_end": _hhmm(self.day_end.data, _STUDY["day_end"]),
            "themes": list(self.themes.data or []),
            "products": list(self.products.data or []),
            "require": list(self.require.data or []),
            "lunch": self.lunch.data or _STUDY["lunch"],
            "max_stops": _MAX_STOPS if self.max_stops.data is None else self.max_stops.data,
        }
        for name in ("max_ride_minutes", "max_groups_per_site", "boarding_minutes"):
            if getattr(self, name).data is not None:
                values[name] = getattr(self, name).data
        values["staff_on_buses"] = self.staff_on_buses.data != "separately"
        # never a silent 0: an empty bus cost is the configured (or documented) default, and the plan says which
        if self.bus_cost_cny.data is None:
            values["bus_cost_cny"], values["bus_cost_source"] = default_bus_cost()
        else:
            values["bus_cost_cny"], values["bus_cost_source"] = float(self.bus_cost_cny.data), "form"
        # a field left empty (or not posted) means the standard's default
        staff = {
            name: getattr(_STAFF, name) if getattr(self, name).data is None else getattr(self, name).data
            for name in self.STAFF_FIELDS
        }
        if staff != {name: getattr(_STAFF, name) for name in self.STAFF_FIELDS}:
            values["staff"] = staff
        if (self.kept.data or "").strip():
            kept = json.loads(self.kept.data)
            if isinstance(kept.get("staff"), dict) and "staff" in values:
                kept["staff"] = {**kept["staff"], **values["staff"]}
            values = {**kept, **values}
        return values

    def fill(self, values: dict[str, Any], name: str) -> None:
        """Show a saved request in the form (for editing)."""
        self.name.data = name
        shown = {*self._FIELDS, "date", "day_start", "day_end"}
        if values.get("date"):
            try:
                self.date.data = dt.date.fromisoformat(str(values["date"]))
            except ValueError:
                self.date.data = None
        for key in ("day_start", "day_end"):
            if values.get(key):
                try:
                    getattr(self, key).data = dt.time.fromisoformat(str(values[key]).zfill(5))
                except ValueError:
                    shown.discard(key)
        for key in self._FIELDS:
            if key in values:
                getattr(self, key).data = values[key]
        self.staff_on_buses.data = "bus" if values.get("staff_on_buses", True) else "separately"
        shown.add("bus_cost_source")
        extra = {k: v for k, v in values.items() if k not in shown}
        staff = extra.pop("staff", None)
        if isinstance(staff, dict):
            rest = dict(staff)
            for key in self.STAFF_FIELDS:
                if key in rest:
                    getattr(self, key).data = rest.pop(key)
            if rest:
                extra["staff"] = rest
        elif staff is not None:
            extra["staff"] = staff
        self.kept.data = json.dumps(extra, ensure_ascii=False) if extra else ""

    def options_changed(self) -> bool:
        """Whether any of the folded options differs from its default (then they show unfolded)."""
        return any(
            getattr(self, key).data != getattr(self, key).default
            for key in (
                "lunch",
                "max_stops",
                "max_ride_minutes",
                "max_groups_per_site",
                "boarding_minutes",
                "staff_on_buses",
                *self.STAFF_FIELDS,
            )
        )


_DAY_TYPE_CHOICES: dict[str, Any] = {"": _l("From the date"), **DAY_TYPE_LABELS}


class SiteNumberForm(Form):  # type: ignore[misc]
    """One row of a per-site measure: a site and a whole number (both empty: no row)."""

    site = SelectField(_l("Site"), choices=[], validate_choice=False, default="")
    number = IntegerField(_l("Number"), validators=[Optional(), NumberRange(0, 1_000_000)])

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, then that the row has both a site and a number, or neither."""
        ok = bool(super().validate(extra_validators))
        if ok and bool(self.site.data) != (self.number.data is not None):
            self.number.errors = [*self.number.errors, _l("Give both a site and a number, or leave the row empty.")]
            ok = False
        return ok


#: Empty rows offered for per-site quotas and daily caps on the flow form.
MEASURE_ROWS = 3


class FlowForm(FlaskForm):  # type: ignore[misc]
    """Start a visitor-flow simulation, with countermeasures (timed entry, quotas, daily caps, 错峰)."""

    date = DateField(_l("Date"), validators=[InputRequired()], default=_tomorrow)
    day_type = SelectField(
        _l("Kind of day"), choices=[choice(k, v) for k, v in _DAY_TYPE_CHOICES.items()], default=""
    )
    visitors = IntegerField(
        _l("Visitors that day (empty: typical for the kind of day)"),
        validators=[Optional(), NumberRange(0, 2_000_000)],
    )
    timed_entry = BooleanField(_l("Timed entry at every site (quota per slot from its capacity C0)"))
    quotas = FieldList(FormField(SiteNumberForm), label=_l("Entry quota per slot"), min_entries=MEASURE_ROWS)
    daily_caps = FieldList(
        FormField(SiteNumberForm), label=_l("Daily cap (admissions a day)"), min_entries=MEASURE_ROWS
    )
    group_shift_minutes = IntegerField(
        _l("Move school groups' start (minutes, negative: earlier)"),
        validators=[Optional(), NumberRange(-240, 240)],
    )
    extra = TextAreaField(
        _l("More options (JSON, optional)"), validators=[Optional(), Length(max=20000), _json_object]
    )

    def set_sites(self, choices: list[tuple[str, str]]) -> None:
        """Offer ``choices`` (id, name) in every quota and cap row, after an empty choice."""
        for row in (*self.quotas, *self.daily_caps):
            row.form.site.choices = [("", "—"), *choices]

    def measures(self) -> dict[str, Any]:
        """The countermeasures as ``flow.Measures.from_dict`` reads them (empty when none is set)."""
        out: dict[str, Any] = {}
        if self.timed_entry.data:
            out["timed_entry"] = True
        for name in ("quotas", "daily_caps"):
            rows = {r.form.site.data: int(r.form.number.data) for r in getattr(self, name) if r.form.site.data}
            if rows:
                out[name] = rows
        if self.group_shift_minutes.data:
            out["group_shift_minutes"] = int(self.group_shift_minutes.data)
        return out

    def to_values(self) -> dict[str, Any]:
        """Scenario values for ``flow.Scenario.from_dict``."""
        values: dict[str, Any] = {"date": self.date.data.isoformat() if self.date.data else None}
        if self.day_type.data:
            values["day_type"] = self.day_type.data
        if self.visitors.data is not None:
            values["visitors"] = int(self.visitors.data)
        if (self.extra.data or "").strip():
            values.update(json.loads(self.extra.data))
        measures = self.measures()
        if measures:
            values["measures"] = {**values.get("measures", {}), **measures}
        return values


class UploadForm(FlaskForm):  # type: ignore[misc]
    """Upload a new ``pois.csv``."""

    file = FileField(
        _l("Site table (pois.csv)"), validators=[FileRequired(), FileAllowed(["csv"], _l("A .csv file"))]
    )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A bare form: just the CSRF token (confirm, log out)."""

    token = StringField(validators=[Optional(), Length(max=64)])
