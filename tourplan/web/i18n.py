"""Languages of the web app: Chinese by default, English on request.

The locale comes from ``?lang=zh|en`` (remembered in a ``lang`` cookie),
then that cookie, then the browser's ``Accept-Language``; Chinese when none
of them says. Message ids in templates and code are English; the Chinese
catalog lives in ``tourplan/web/translations/zh``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import request
from flask_babel import Babel, get_locale, lazy_gettext  # type: ignore[import-untyped, unused-ignore]

from tourplan.messages import LANGS
from tourplan.study.request import STAFF_ROLES

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = [
    "ALERT_BADGE_LABELS",
    "ALERT_LEVEL_LABELS",
    "COMPARE_LABELS",
    "ENTRY_LABELS",
    "EPISODE_STATE_LABELS",
    "CATEGORY_LABELS",
    "CONFIDENCE_LABELS",
    "BUS_COST_SOURCE_LABELS",
    "COST_LABELS",
    "DAY_TYPE_LABELS",
    "FLOW_TOTAL_LABELS",
    "GRADE_LABELS",
    "LANGS",
    "MEASURE_LABELS",
    "MODE_LABELS",
    "PACE_LABELS",
    "PRODUCT_LABELS",
    "STAFF_ROLE_LABELS",
    "THEME_LABELS",
    "current_lang",
    "error_text",
    "init_i18n",
    "lang_url",
]

_COOKIE = "lang"
TRANSLATIONS = Path(__file__).parent / "translations"

_l = lazy_gettext
THEME_LABELS: dict[str, Any] = {
    "mountain": _l("Mountains"),
    "nature": _l("Nature"),
    "history": _l("History"),
    "culture": _l("Culture & arts"),
    "science": _l("Science"),
    "taiji": _l("Taiji"),
    "shopping": _l("Shopping"),
    "food": _l("Food"),
    "family": _l("Family"),
    "red": _l("Revolutionary history"),
    "industry": _l("Industrial heritage"),
}
CATEGORY_LABELS: dict[str, Any] = {
    "transport": _l("Station"),
    "mountain": _l("Mountain area"),
    "park": _l("Park"),
    "museum": _l("Museum"),
    "heritage": _l("Heritage site"),
    "culture": _l("Culture venue"),
    "study_base": _l("Study-tour base"),
    "shopping": _l("Shopping"),
    "food": _l("Food"),
    "hotel": _l("Hotel"),
    "plaza": _l("Square"),
    "other": _l("Other"),
}
#: How sure a site row's point is (``tourplan.site.CONFIDENCE_LEVELS``).
CONFIDENCE_LABELS: dict[str, Any] = {
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}
PACE_LABELS: dict[str, Any] = {
    "relaxed": _l("Relaxed"),
    "normal": _l("Normal"),
    "active": _l("Active"),
}
MODE_LABELS: dict[str, Any] = {
    "drive": _l("Car / taxi"),
    "bus": _l("Bus"),
    "walk": _l("On foot"),
    "mixed": _l("Mixed"),
}
GRADE_LABELS: dict[str, Any] = {
    "primary": _l("Primary school"),
    "junior": _l("Junior middle school"),
    "senior": _l("Senior middle school"),
}
#: The five study-tour product types (研学旅行产品类型); the Chinese term is the stored value.
PRODUCT_LABELS: dict[str, Any] = {
    "知识科普型": _l("Knowledge and science"),
    "自然观赏型": _l("Nature appreciation"),
    "体验考察型": _l("Hands-on field study"),
    "励志拓展型": _l("Inspiration and challenge"),
    "文化康乐型": _l("Culture and recreation"),
}

#: LB/T 034-2014 warning tiers of the visitor-flow alerts, each named three ways: the tier itself,
#: the dashboard's badge (黄色预警 ...) and what an episode of it means for the site.
_TIERS: dict[str, tuple[Any, Any, Any]] = {
    "yellow": (_l("yellow"), _l("yellow alert"), _l("crowded")),
    "orange": (_l("orange"), _l("orange alert"), _l("near capacity")),
    "red": (_l("red"), _l("red alert"), _l("over capacity")),
}
ALERT_LEVEL_LABELS: dict[str, Any] = {tier: names[0] for tier, names in _TIERS.items()}
ALERT_BADGE_LABELS: dict[str, Any] = {tier: names[1] for tier, names in _TIERS.items()}
EPISODE_STATE_LABELS: dict[str, Any] = {tier: names[2] for tier, names in _TIERS.items()}
#: The default entry points of a flow scenario (``flow.DEFAULT_ENTRIES``).
ENTRY_LABELS: dict[str, Any] = {
    "yuntai_car_park": _l("Yuntai Mountain car park"),
    "city_car_parks": _l("City car parks"),
    "qingtianhe_car_park": _l("Qingtianhe car park"),
    "yuntai_hotels": _l("Yuntai Mountain hotels"),
    "jiaozuo_station": _l("Jiaozuo station"),
    "jiaozuo_west_station": _l("Jiaozuo West station"),
    "bus_terminal": _l("Jiaozuo bus terminal"),
}
#: What the countermeasures did (``MeasureOutcome.to_dict()`` keys), as the run page names them.
MEASURE_LABELS: dict[str, Any] = {
    "quota_sites": _l("Sites with timed entry"),
    "capped_sites": _l("Sites with a daily cap"),
    "shifted": _l("Visits moved to a later slot"),
    "shift_minutes": _l("Mean minutes later"),
    "diverted": _l("Visits sent to an alternative site"),
    "skipped": _l("Visits skipped"),
    "turned_away": _l("Visitors turned away"),
    "refused_daily": _l("Refusals at a daily cap"),
    "groups_moved": _l("School groups moved"),
}
#: Rows of the side-by-side comparison (``flow.run_summary`` keys).
COMPARE_LABELS: dict[str, Any] = {
    "alerts": _l("Alert slots"),
    "episodes": _l("Alert episodes"),
    "max_pct": _l("Highest share of capacity (%)"),
    "max_queue": _l("Longest queue (people)"),
    "mean_wait_minutes": _l("Mean wait (minutes)"),
    "max_mean_wait_minutes": _l("Worst mean wait in a slot (minutes)"),
    "balked": _l("Gave up in a queue"),
    "shifted": _l("Visits moved to a later slot"),
    "diverted": _l("Visits sent to an alternative site"),
    "turned_away": _l("Visitors turned away"),
    "finished": _l("Finished their day"),
}
DAY_TYPE_LABELS: dict[str, Any] = {
    "weekday": _l("Weekday"),
    "weekend": _l("Weekend"),
    "public_holiday": _l("Public holiday"),
    "golden_week": _l("Golden week"),
}
#: The totals of a visitor-flow run, as the dashboard names them.
FLOW_TOTAL_LABELS: dict[str, Any] = {
    "date": _l("Date"),
    "day_type": _l("Kind of day"),
    "visitors": _l("Visitors"),
    "finished": _l("Finished their day"),
    "inside_at_end": _l("Still at a site at the end"),
    "turned_away": _l("Visitors turned away"),
    "seed": _l("Random seed"),
}

#: Roles of a study tour's staff (``StudyTourPlan.to_dict()["staff"]`` keys) in English; Chinese pages show ``role_zh``.
STAFF_ROLE_LABELS: dict[str, str] = {role: name.en for role, name in STAFF_ROLES.items()}
#: Lines of a study tour's cost (``StudyTourPlan.to_dict()["costs"]`` keys).
COST_LABELS: dict[str, Any] = {
    "tickets_cny": _l("Tickets"),
    "bus_cny": _l("Bus hire"),
    "total_cny": _l("Total"),
    "bus_cost_per_bus_cny": _l("Per bus and day"),
    "bus_cost_source": _l("Bus cost from"),
}

#: Where a study tour's bus cost comes from (``costs.bus_cost_source``).
BUS_COST_SOURCE_LABELS: dict[str, Any] = {
    "form": _l("typed on the form"),
    "request": _l("given in the request"),
    "config": _l("this server's setting (TOURPLAN_BUS_COST_CNY)"),
    "default": _l("the planner's default, an assumed typical coach hire in Henan (not a quoted price)"),
}


def _select_locale() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(_COOKIE)
    if cookie in LANGS:
        return cookie
    best = request.accept_languages.best_match(LANGS)
    return best or "zh"


def current_lang() -> str:
    """``"zh"`` or ``"en"`` for the current request."""
    loc = get_locale()
    return "en" if loc is not None and loc.language == "en" else "zh"


def error_text(exc: Exception | str, lang: str | None = None) -> str:
    """A planner's error in the page's language (``lang``, default the current one): :func:`tourplan.errors.error_text`."""
    from tourplan.errors import error_text as core_error_text

    return core_error_text(exc, lang or current_lang())


def lang_url(lang: str) -> str:
    """The current URL with ``lang`` set (for the language switch)."""
    args = request.args.to_dict(flat=True)
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


def _remember(response: Response) -> Response:
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(_COOKIE) != asked:
        response.set_cookie(_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _message_text(item: Any) -> str:
    """A saved message (``{"code", "params", ...}``, or older text) in the page's language."""
    from tourplan.messages import text_of

    return text_of(item, current_lang())


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel, the locale switch and template helpers."""
    Babel(app, locale_selector=_select_locale, default_translation_directories=str(TRANSLATIONS))
    app.after_request(_remember)
    app.jinja_env.globals.update(
        current_lang=current_lang,
        message_text=_message_text,
        lang_url=lang_url,
        THEME_LABELS=THEME_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
        CONFIDENCE_LABELS=CONFIDENCE_LABELS,
        PACE_LABELS=PACE_LABELS,
        MODE_LABELS=MODE_LABELS,
        GRADE_LABELS=GRADE_LABELS,
        PRODUCT_LABELS=PRODUCT_LABELS,
        DAY_TYPE_LABELS=DAY_TYPE_LABELS,
        FLOW_TOTAL_LABELS=FLOW_TOTAL_LABELS,
        ALERT_BADGE_LABELS=ALERT_BADGE_LABELS,
        MEASURE_LABELS=MEASURE_LABELS,
        COMPARE_LABELS=COMPARE_LABELS,
        STAFF_ROLE_LABELS=STAFF_ROLE_LABELS,
        COST_LABELS=COST_LABELS,
        BUS_COST_SOURCE_LABELS=BUS_COST_SOURCE_LABELS,
    )
