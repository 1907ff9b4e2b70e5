"""Visitor-facing messages as codes and parameters, rendered in Chinese or English.

The core says *what* happened as a :class:`Message` (a code such as
``"place_unknown"`` and its parameters); :func:`render` turns it into a
sentence in the visitor's language.  Web views and the CLI call
:func:`render` with the language they serve, so a message is written once,
in both languages, next to its code.

Parameters are plain values.  A parameter that names a place may be a
:class:`Name` (both languages); :func:`render` picks the right one.  A list
or tuple parameter is joined with the language's list separator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from tourplan.input_messages import INPUT_MESSAGES

if TYPE_CHECKING:
    from dataclasses import Field

__all__ = [
    "CROWD_TIERS", "LANGS", "LIST_SEP", "MESSAGES", "SENTENCE_SEP", "Message", "Name", "WithMessage",
    "crowd_level", "crowd_text", "render", "text_of",
]  # fmt: skip

#: Languages a message can be rendered in.
LANGS: tuple[str, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Name:
    """A name in both languages (a site, an area, a category)."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The name in *lang*, falling back to the other one."""
        return (self.en or self.zh) if lang == "en" else (self.zh or self.en)


@dataclass(frozen=True, slots=True)
class Message:
    """A code from :data:`MESSAGES` and the values its sentence needs."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            msg = f"code must be one of the message codes in tourplan.messages.MESSAGES, got {self.code!r}"
            raise ValueError(msg)

    def render(self, lang: str = "zh") -> str:
        """The sentence in *lang* (see :func:`render`)."""
        return render(self, lang)

    def __str__(self) -> str:
        """The English sentence (logs, and the English command line)."""
        return render(self, "en")

    def to_dict(self) -> dict[str, Any]:
        """``{"code": ..., "params": ...}`` with names as ``{"zh", "en"}`` objects (JSON-ready)."""
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()}}

    def to_json(self) -> dict[str, Any]:
        """:meth:`to_dict` plus the sentence in both languages (``zh``, ``en``): a saved result's form.

        Examples
        --------
        >>> Message("place_empty").to_json()
        {'code': 'place_empty', 'params': {}, 'zh': '请输入一个地点。', 'en': 'Please enter a place.'}
        """
        return {**self.to_dict(), "zh": render(self, "zh"), "en": render(self, "en")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """A message from its :meth:`to_dict` (or :meth:`to_json`) form.

        ``{"zh", "en"}`` objects become :class:`Name`, nested ``{"code",
        "params"}`` objects messages again.

        Raises
        ------
        ValueError
            When ``data`` has no known ``code``.

        Examples
        --------
        >>> m = Message("must_see_unplaced", {"site": Name("嘉应观", "Jiaying Temple"),
        ...                                   "why": Message("place_empty")})
        >>> Message.from_dict(m.to_json()) == m
        True
        """
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            msg = f"params must be an object, got {params!r}"
            raise ValueError(msg)
        return cls(str(data.get("code")), {str(k): _typed(v) for k, v in params.items()})


class WithMessage:
    """A base for result dataclasses that carry their visitor line as ``message``.

    :meth:`render` gives the line in Chinese or English; :meth:`to_dict`
    gives the fields of :meth:`fields_dict` followed by the message's code and
    parameters.  ``fields_dict`` is every dataclass field but ``message``, as
    it is; a class whose JSON names or shapes its fields otherwise overrides it.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    message: Message

    def render(self, lang: str = "zh") -> str:
        """The line in Chinese or English."""
        return self.message.render(lang)

    def fields_dict(self) -> dict[str, object]:
        """The fields but ``message``, for :meth:`to_dict`."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "message"}

    def to_dict(self) -> dict[str, object]:
        """The fields and the message as code and parameters (JSON-ready)."""
        return {**self.fields_dict(), **self.message.to_dict()}


def _plain(value: Any) -> Any:
    if isinstance(value, Name):
        return {"zh": value.zh, "en": value.en}
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _typed(value: Any) -> Any:
    """The inverse of :func:`_plain`: names and nested messages from their JSON form."""
    if isinstance(value, Mapping):
        if set(value) == {"zh", "en"}:
            return Name(str(value["zh"]), str(value["en"]))
        if value.get("code") in MESSAGES:
            return Message.from_dict(value)
        return {str(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_typed(v) for v in value]
    return value


def text_of(item: Any, lang: str = "zh") -> str:
    """A saved message (or older plain text) as a sentence in *lang*.

    A ``{"code", "params"}`` mapping is rendered; a mapping with ready
    ``zh``/``en`` or ``text`` keys gives that text; a string is shown as it
    is (results saved before their messages were coded).

    Examples
    --------
    >>> text_of({"code": "ticket_covered", "params": {"area": {"zh": "云台山", "en": "Yuntai"}}}, "en")
    'included in the Yuntai ticket'
    >>> text_of({"zh": "高峰日", "en": "Peak day"}), text_of("plain")
    ('高峰日', 'plain')
    """
    if isinstance(item, Message):
        return render(item, lang)
    if not isinstance(item, Mapping):
        return str(item)
    if isinstance(item.get(lang), str):
        return str(item[lang])
    if item.get("code") in MESSAGES:
        try:
            return render(Message.from_dict(item), lang)
        except (KeyError, IndexError, ValueError):
            pass
    for key in ("text", "message", "zh" if lang == "en" else "en"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return str(item.get("code") or "")


#: Every message: code -> (Chinese, English) templates in ``str.format`` syntax.
MESSAGES: dict[str, tuple[str, str]] = {
    # places.py
    "place_empty": ("请输入一个地点。", "Please enter a place."),
    "place_unknown": (
        "找不到“{text}”。您要找的是不是：{candidates}？",
        "No place called “{text}”. Did you mean: {candidates}?",
    ),
    "place_unknown_no_hint": (
        "找不到“{text}”，请输入景点、车站或酒店的名称。",
        "No place called “{text}”; type the name of a site, station or hotel.",
    ),
    "place_ambiguous": (
        "“{text}”可能指几个地点：{candidates}。请选一个。",
        "“{text}” could mean several places: {candidates}. Please pick one.",
    ),
    "place_not_a_sight": (
        "“{name}”是{category}，不是游览景点。",
        "“{name}” is a {category}, not a sight to visit.",
    ),
    # sights.py
    "ticket_area": ("{area}门票 ¥{price}，含{parts}", "{area} ticket ¥{price}, covers {parts}"),
    "ticket_site": ("{site}门票 ¥{price}", "{site} ticket ¥{price}"),
    "ticket_free": ("{site}免费", "{site}: free entry"),
    "ticket_covered": ("含在{area}门票内", "included in the {area} ticket"),
    "tickets_total": ("门票合计 ¥{price}", "Tickets in total ¥{price}"),
    # tickets.py
    "ticket_fare": ("{site} {visitor}票 ¥{price}（{reason}）", "{site} {visitor} ticket ¥{price} ({reason})"),
    "ticket_group": (
        "{site}门票 ¥{total}：{items}。规则：{rule}",
        "{site} tickets ¥{total}: {items}. Rule: {rule}",
    ),
    "ticket_group_area": (
        "{site}门票 ¥{total}：{items}，含{parts}。规则：{rule}",
        "{site} tickets ¥{total}: {items}; covers {parts}. Rule: {rule}",
    ),
    # itinerary/
    "peak_day": (
        "第{day}天（{date}）是{kind}，景区人多：请尽早出发，错开高峰。",
        "Day {day} ({date}) is a {kind}: expect crowds; set off early to stay ahead of the peak.",
    ),
    "peak_day_book": ("请提前预约：{sites}。", "Book ahead: {sites}."),
    "peak_day_quieter": (
        "{busiest}预计很拥挤；较清静的选择：{alternative}。",
        "{busiest} is expected to be very crowded; a quieter choice: {alternative}.",
    ),
    "peak_day_timed": (
        "{site}在{peak_at}前后最拥挤（约为承载量的{peak_pct}%）；行程安排{visit_at}到达，避开了高峰，请按时出发。",
        "{site} is fullest around {peak_at} (about {peak_pct}% of capacity); the plan arrives at {visit_at}, "
        "away from the peak, so keep to the times.",
    ),
    "lunch_none": (
        "第{day}天（{date}）：这条路线在{earliest}–{latest}之间没有能吃午饭的地方，请自带午餐。",
        "Day {day} ({date}): no food site fits a lunch stop between {earliest} and {latest} "
        "on this route; bring a packed lunch.",
    ),
    "must_see_unplaced": ("必去景点未能安排：{why}", "Must-see not placed: {why}"),
    # itinerary/plan.py: what a visitor does at a stop (the site's own phrase, or lunch there)
    "stop_activity": ("{activity}", "{activity}"),
    "stop_lunch_only": ("午餐", "Lunch"),
    "stop_lunch_inside": ("{activity}；在景区内午餐", "{activity}; lunch inside the scenic area"),
    "stop_lunch_inside_only": ("在景区内午餐", "Lunch inside the scenic area"),
    # itinerary/explain.py: why a must-see site is not in the plan, or nothing fits
    "unplaced_left_out": (
        "{site}因行程的其他设置（所属景区或排除的景点）未被安排",
        "{site} was left out by the plan's other settings (its parent area or an excluded site)",
    ),
    "unplaced_too_steep": (
        "{site}需要爬升约 {ascent} 米，超过“节奏”为“{pace}”时一天允许的 {limit} 米；请把“节奏”改为“{active}”",
        "{site} climbs about {ascent} m, more than the {limit} m a day allowed at the “{pace}” pace; "
        "set “Pace” to “{active}”",
    ),
    "unplaced_over_budget": (
        "{site}门票 ¥{price}，超过“门票预算”¥{budget}",
        "{site} costs ¥{price}, more than the “Ticket budget” of ¥{budget}",
    ),
    "unplaced_closed": (
        "{site}在 {date}（{weekday}）不开放；开放时间：{hours}",
        "{site} is closed on {date} ({weekday}); opening hours: {hours}",
    ),
    "unplaced_short": (
        "{site}需要游览 {minutes} 分钟，但 {date} 在您的行程时间 {start}–{end} 内只开放 {open}",
        "{site} needs {minutes} min but on {date} it is open only {open} within your day {start}–{end}",
    ),
    "unplaced_short_sunset": (
        "{site}需要游览 {minutes} 分钟，但 {date} 在您的行程时间 {start}–{end} 内只开放 {open}，且 {sunset} 日落",
        "{site} needs {minutes} min but on {date} it is open only {open} and the sun sets at {sunset}, "
        "within your day {start}–{end}",
    ),
    "unplaced_sunset": (
        "{close} 日落（游览{site} {minutes} 分钟，最晚 {last} 开始）；第{day}天从{after}过去要到 {arrive} 才能到达",
        "the sun sets at {close} (the last start for a {minutes}-minute visit to {site} is {last}); "
        "reaching it after {after} on day {day} takes until {arrive}",
    ),
    "unplaced_closes": (
        "{site} {close} 关门（游览 {minutes} 分钟，最晚 {last} 开始）；第{day}天从{after}过去要到 {arrive} 才能到达",
        "{site} closes at {close} (the last start for a {minutes}-minute visit is {last}); "
        "reaching it after {after} on day {day} takes until {arrive}",
    ),
    "unplaced_back_late": (
        "{site}需游览 {minutes} 分钟；第{day}天在{after}之后游览，{done} 结束，返回要到 {back}，晚于返回时间 {end}",
        "{site} takes {minutes} min; visiting it after {after} on day {day} ends at {done} and getting back "
        "takes until {back}, after the day ends at {end}",
    ),
    "unplaced_no_room": (
        "{site}需游览 {minutes} 分钟；第{day}天在{after}之后游览，{done} 结束，当天其余行程就没有时间了",
        "{site} takes {minutes} min; visiting it after {after} on day {day} ends at {done}, "
        "which leaves no time for the rest of the day's plan",
    ),
    "unplaced_not_a_sight": ("{site}是{category}，不是游览景点", "{site} is a {category}, not a place to visit"),
    "unplaced_not_accessible": (
        "{site}有陡峭的步道或台阶，而您选了“只选无障碍景点”",
        "{site} has steep trails or stairs, and “Step-free sites only” is ticked",
    ),
    "unplaced_no_day": ("{site}在行程的任何一天都无法游览", "{site} cannot be visited on any day of the trip"),
    "reasons": ("{reasons}。", "{reasons}."),
    "nothing_fits": (
        "从 {start} 到 {end} 共 {budget} 分钟，不够游览任何景点：最快的是{site}（去程 {go} 分钟、游览 {visit} 分钟、"
        "返程 {back} 分钟），共需 {need} 分钟。请提早“出发时间”或推迟“返回时间”。",
        "The {budget} min from {start} to {end} are too short to visit anything: the quickest visit, {site} "
        "({go} min there, {visit} min visit, {back} min back), needs {need} min. Set an earlier “Leave at” "
        "or a later “Back by”.",
    ),
    "nothing_open": (
        "{date} 在 {start}–{end} 之间，按所选设置没有开放的景点。",
        "No site is open within your day ({start}–{end}) on {date} with the chosen settings.",
    ),
    "unknown_sites": ("未知的景点：{ids}", "unknown site id(s): {ids}"),
    "tickets_over_budget": (
        "因为必去景点，门票合计 ¥{price}，超出预算 ¥{budget}。",
        "Tickets come to {price} CNY, over the budget of {budget} CNY, because of must-see sites.",
    ),
    "highlights_default": (
        "未选择兴趣，行程按精选景点（最受欢迎的景点）安排。",
        "No interests chosen: the plan shows the highlights (the most popular sights).",
    ),
    "date_past": ("日期{date}已经过去（今天是{today}），请选择今天或以后的日期。",
                  "{date} is in the past (today is {today}); pick today or a later date."),
    "date_range": ("请选择{first}至{last}之间的日期。", "Pick a date from {first} to {last}."),
    "day_end_before_start": (
        "结束时间（{end}）必须晚于开始时间（{start}）。",
        "The day must end ({end}) after it starts ({start}).",
    ),
    "window_too_short": (
        "从{start}到{end}只有{minutes}分钟，不够游览任何景点（最短需要{needed}分钟）。",
        "{start} to {end} is only {minutes} minutes, too short for any visit (the shortest needs {needed}).",
    ),
    # study/capacity.py: a refusal in the staff form's own terms (its field labels)
    "study_bus_seats": (
        "车辆座位不够：{why}。可以这样改（任选其一）：{fixes}。",
        "Not enough bus seats: {why}. To fix it (any one of): {fixes}.",
    ),
    "study_seats_group_too_big": (
        "一个团组连同带队人员有 {people} 人，但每车只有 {seats} 座（每个团组须同乘一车）",
        "a group with its staff is {people} people but a bus has {seats} seats (a group rides one bus)",
    ),
    "study_seats_need_buses": (
        "{groups} 个团组需要 {need} 辆 {seats} 座的车（每个团组须同乘一车），表单中只有 {given} 辆",
        "{groups} groups need {need} buses of {seats} seats (a group rides one bus); the form gives {given}",
    ),
    "study_seats_no_staff_seat": (
        "学生连同全部随行人员共 {total} 人，车上只有 {hold} 个座位（每个团组须同乘一车）",
        "the students with all their staff are {total} people; the buses hold {hold} (a group rides one bus)",
    ),
    "study_fix_more_buses": (
        "把“车辆数”增加 {n} 辆（每车 {seats} 座）",
        "raise “Buses” by {n} ({seats} seats each)",
    ),
    "study_fix_more_buses_regroup": (
        "把“车辆数”增加 {n} 辆，并把“团组（班级）数”设为 {groups}（每车一组）",
        "raise “Buses” by {n} and set “Groups (classes)” to {groups} (one group per bus)",
    ),
    "study_fix_groups": (
        "把“团组（班级）数”设为 {n}（每组 {size} 名学生）",
        "set “Groups (classes)” to {n} ({size} students each)",
    ),
    "study_fix_groups_staff_apart": (
        "把“团组（班级）数”设为 {n}（每组 {size} 名学生），并把“安全员和项目负责人”设为“另行前往”",
        "set “Groups (classes)” to {n} ({size} students each) and “Safety officers and project leaders” to "
        "“Travel separately”",
    ),
    "study_fix_bigger_buses": ("增加“车辆数”或“每车座位数”", "raise “Buses” or “Seats per bus”"),
    # study/diagnose.py, study/model.py, study/plan.py: refusals name the fix by the staff form's field labels
    "study_refused": ("无法安排这次研学：{reasons}。", "Cannot plan the study tour: {reasons}."),
    "study_open_on": ("（{date} {weekday}开放）", " (open on {date}, {weekday})"),
    "study_required_closed": (
        "必去景点{site}在 {date}（{weekday}）不开放（开放时间：{hours}）；可以改“日期”{next}",
        "required site {site} is closed on {date} ({weekday}; opening hours: {hours}); fix: another “Date”{next}",
    ),
    "study_required_short": (
        "必去景点{site}需要 {minutes} 分钟，但 {date} 只开放 {open}（户外山岳 {sunset} 日落），行程为 {start}–{end}；"
        "可以提早“出发时间”、推迟“返回时间”或改“日期”",
        "required site {site} needs {minutes} min but on {date} it is open {open} (sunset {sunset} for outdoor "
        "mountains) and the day is {start}–{end}; fix: an earlier “Leave at”, a later “Back by” or another “Date”",
    ),
    "study_required_far": (
        "必去景点{site}距{place}乘车 {ride} 分钟，超过{band}单程乘车上限 {limit} 分钟（本规划的规则，并非规定）；"
        "可以换“出发地点”、把它从“必去景点”中去掉，或提高“单程乘车最长（分钟）”",
        "required site {site} is a {ride}-min bus ride from {place}, over the {limit}-min limit for {band} "
        "(a planning rule, not a fact); fix: another “Start from”, drop it from “Required sites”, or raise "
        "“Longest bus ride (min)”",
    ),
    "study_required_no_time": (
        "必去景点{site}在 {start}–{end} 内无法完成到达、游览（{minutes} 分钟）和离开；可以提早“出发时间”或推迟“返回时间”",
        "required site {site} cannot be reached, visited ({minutes} min) and left within the day {start}–{end}; "
        "fix: an earlier “Leave at” or a later “Back by”",
    ),
    "study_required_small": (
        "必去景点{site}同时只能容纳 {capacity} 人，而一个乘车团组有 {people} 人；可以调大“团组（班级）数”，"
        "使每组不超过 {fit} 名学生",
        "required site {site} holds {capacity} visitors at once but a bus group is {people} people; fix: raise "
        "“Groups (classes)” so that a group has at most {fit} students",
    ),
    "study_required_crowded": (
        "必去景点{site}同时容纳 {capacity} 人，{date} 的预计游客只留下至多 {room} 个位置，少于一个乘车团组的 {people} 人；"
        "可以改“日期”",
        "required site {site} holds {capacity} at once and the expected public leaves at most {room} places on "
        "{date}, fewer than a bus group of {people}; fix: another “Date”",
    ),
    "study_no_lunch_site": (
        "{date} 没有在午餐时间（{earliest}–{latest}）营业的餐饮点；可以把“午餐”设为“自带午餐（不安排午餐点）”",
        "no food site is open for lunch ({earliest}–{latest}) on {date}; fix: set “Lunch” to "
        "“Packed lunches (no lunch stop)”",
    ),
    "study_lunch_too_small": (
        "没有能让全校同时用餐的餐饮点：午餐时间最宽敞的营业餐饮点只有 {best} 个位置（扣除预计游客），全校共 {total} 人；"
        "可以把“午餐”设为“各组分别在餐厅用餐（按容量分配）”，或减少“学生总数”",
        "no lunch site seats the whole school: the roomiest open food site has {best} places at lunch time (minus "
        "the expected public), the school is {total} people; fix: set “Lunch” to “Each group at a restaurant (sites "
        "share the load)”, or fewer “Students in all”",
    ),
    "study_with_lunch": ("，另有午餐（{earliest}–{latest}）", " together with the lunch stop ({earliest}–{latest})"),
    "study_fix_packed": ("、把“午餐”设为“自带午餐（不安排午餐点）”", ", “Lunch” set to “Packed lunches (no lunch stop)”"),
    "study_required_alone": (
        "必去景点{site}乘车去程 {go} 分钟、返程 {back} 分钟（每段另加上下车 {boarding} 分钟），游览 {minutes} 分钟{lunch}，"
        "即使只有一辆车也排不进 {start}–{end}；可以推迟“返回时间”、提早“出发时间”{packed}，或把它从“必去景点”中去掉",
        "the required site {site}, {go} min by bus there and {back} min back (plus {boarding} min boarding per leg) "
        "with a {minutes}-min visit{lunch}, does not fit into the day {start}–{end} even for a bus alone; fix: a later "
        "“Back by”, an earlier “Leave at”{packed}, or drop it from “Required sites”",
    ),
    "study_public_load": ("，预计游客最多 {people} 人", ", expected public up to {people}"),
    "study_required_shared": (
        "{date} 只有 {ok}/{all} 个乘车团组能游览必去景点{site}：它同时容纳 {capacity} 人{public}，即每次约 {at_once} 个 "
        "{people} 人的团组，每组游览 {minutes} 分钟，时段 {windows}；可以减少“学生总数”、改“日期”、推迟“返回时间”，"
        "或把它从“必去景点”中去掉",
        "only {ok} of {all} bus groups can visit the required site {site} on {date}: it holds {capacity} visitors "
        "at once{public}, i.e. about {at_once} bus group(s) of {people} at a time, for {minutes} min each, within "
        "{windows}; fix: fewer “Students in all”, another “Date”, a later “Back by”, or drop it from “Required sites”",
    ),
    "study_none_suitable": (
        "景点表中没有适合{band}的景点（除去排除的景点）；可以减少排除的景点或“必去景点”",
        "no site in the table is suitable for {band} with these exclusions; fix: fewer exclusions or "
        "“Required sites”",
    ),
    "study_none_close": (
        "所有合适的景点距{place}乘车都超过 {limit} 分钟（{band}单程乘车上限，本规划的规则）；可以换更近的“出发地点”"
        "或提高“单程乘车最长（分钟）”",
        "every suitable site is more than {limit} min by bus from {place} (the ride limit for {band}, a planning "
        "rule); fix: a closer “Start from” or a higher “Longest bus ride (min)”",
    ),
    "study_none_open": (
        "{date} 在 {start}–{end} 之间，乘车范围内没有开放时间足够的合适景点；可以改“日期”，或提早“出发时间”、推迟“返回时间”",
        "no suitable site within reach is open long enough on {date} between {start} and {end}; fix: another "
        "“Date”, an earlier “Leave at” or a later “Back by”",
    ),
    "study_none_room": (
        "场馆容量：{date} 的 {n} 个开放的合适景点，扣除预计游客后都容纳不下一个 {people} 人的乘车团组；"
        "可以调大“团组（班级）数”（团组更小）、减少“学生总数”或改“日期”",
        "site capacity: none of the {n} suitable open sites has room for a bus group of {people} people on {date} "
        "(capacity at once minus the expected public); fix: a higher “Groups (classes)” (smaller groups), fewer "
        "“Students in all”, or another “Date”",
    ),
    "study_all_full": (
        "场馆容量：其他团组排好后，{n} 个有空位的合适景点在这个乘车团组（{people} 人）可用的每个时段都已满；"
        "可以减少“学生总数”、推迟“返回时间”或改“日期”",
        "site capacity: the {n} suitable open sites with room are full in every slot this bus group ({people} "
        "people) could use once the other groups are placed; fix: fewer “Students in all”, a later “Back by”, "
        "or another “Date”",
    ),
    "study_lunch_site_excluded": ("午餐地点{site}同时被排除", "the lunch site {site} is also excluded"),
    "study_lunch_site_not_food": (
        "午餐地点{site}不是餐饮点（开放时间：{hours}）", "the lunch site {site} is not a food site (opening hours: {hours})"
    ),
    "study_lunch_site_closed": (
        "午餐地点{site}在 {date} 午餐时间不营业（开放时间：{hours}）",
        "the lunch site {site} is not open for lunch on {date} (opening hours: {hours})",
    ),
    # study warnings
    "study_grade_unusual": (
        "教育部等 2016 年意见（教基一〔2016〕8号）指出，研学旅行一般安排在{band}{first}–{last}年级；本次为 {years} 年级。",
        "The 2016 MoE opinion (教基一〔2016〕8号) says study trips are usually made in {band} grades {first}–{last}; "
        "this request has grade(s) {years}.",
    ),
    "study_required_unsuited": (
        "必去景点{site}在景点表中未标注适合{band}。",
        "required site {site} is not listed as suitable for {band} in the site table.",
    ),
    "study_bus_no_stop": ("{bus}号车（{groups}）没有可去的站点：{why}", "Bus {bus} ({groups}) has no stop: {why}"),
    "study_bus_no_lunch": (
        "{bus}号车（{groups}）：这条路线在 {earliest}–{latest} 之间排不进午餐（必去景点、场馆空闲时段和返回时间都不留余地），"
        "请自带午餐。",
        "Bus {bus} ({groups}): no lunch stop fits between {earliest} and {latest} on this route (required sites, the "
        "free times of the sites and the end of the day leave no room); bring packed lunches.",
    ),
    "study_buses_unused": ("{buses} 辆车中有 {unused} 辆用不上。", "{unused} of {buses} buses are not needed."),
    # study rules (what the plan applied)
    "study_rule_ride": ("单程乘车最长 {limit} 分钟（{band}）", "Longest bus ride {limit} min for {band}"),
    "study_rule_ride_default": (
        "单程乘车最长 {limit} 分钟（{band}）：本规划按学段的默认值（小学 60、初中 90、高中 120 分钟），是规则而非规定",
        "Longest bus ride {limit} min for {band}: this planner's default per grade band (60/90/120 min), "
        "a rule, not a fact",
    ),
    "study_rule_capacity": (
        "容量：任一 {slot} 分钟时段内，场馆人数不超过其瞬时承载量（LB/T 034-2014 的 C0，来自景点表）；"
        "团组游览覆盖的每个时段都计入；等候在车上进行",
        "Capacity: in no {slot}-minute slot may a site hold more than its capacity at once (LB/T 034-2014 C0, "
        "from the site table); a group counts for every slot its visit overlaps; waiting happens on the bus",
    ),
    "study_rule_coach": (
        "车程：路网中的汽车行驶时间向上取整到分钟，每段另加 {boarding} 分钟上下车（规则）",
        "Coach legs: the road network's driving times rounded up to the minute, plus {boarding} min to "
        "board and leave the bus (a rule)",
    ),
    "study_rule_seats": (
        "座位：一辆车只载整组；座位计学生、带队教师、研学导师、导游和随行工作人员",
        "Bus seats: a bus carries whole groups; seats count students, teachers, study tutors, guides and "
        "floating staff",
    ),
    "study_rule_tickets": (
        "门票：按各景点的票价规则和游客类型计算，学生按学校集体参观，带队教师、研学导师、导游和其他工作人员按其规则"
        "（无国家优惠时全价）；景区门票含其下属景点，每张门票只记在它所入的景点一行；餐费未计入。本方案用到的规则：{rules}",
        "Tickets: by each site's ticket rule and visitor type, students as an organised school visit, teachers, "
        "study tutors, guides and other staff at their rule's price (full price where no national concession "
        "applies); an area ticket covers its parts, and each ticket sits on the row of the site it admits to; "
        "meals are not priced. Rules used in this plan: {rules}",
    ),
    "study_rule_no_tickets": (
        "门票：本方案的站点都无需购票（各景点的票价规则见景点表）；餐费未计入",
        "Tickets: no stop of this plan sells a ticket (see each site's ticket rule in the site table); "
        "meals are not priced",
    ),
    "study_rule_staffing": (
        "人员配置：LB/T 054 的人数常被引用，但未与标准原文核对",
        "Staffing: LB/T 054 numbers are commonly quoted, not verified against the standard's text",
    ),
    "bus_cost_form": ("每车每天 ¥{cny}，由表单填写", "¥{cny} per bus and day, typed on the form"),
    "bus_cost_request": ("每车每天 ¥{cny}，由请求给出", "¥{cny} per bus and day, given in the request"),
    "bus_cost_config": (
        "每车每天 ¥{cny}，本服务器的设置（TOURPLAN_BUS_COST_CNY），不是报价",
        "¥{cny} per bus and day, this server's setting (TOURPLAN_BUS_COST_CNY), not a quote",
    ),
    "bus_cost_default": (
        "每车每天 ¥{cny}，是假设值：河南省内 45–55 座大巴含司机、油费和过路费的日租常见报价约 1200–2000 元，"
        "并无官方价格；请在“每车每天车费（元）”填写实际报价，或由服务器设置 TOURPLAN_BUS_COST_CNY",
        "¥{cny} per bus and day, an assumption: a day's hire of a 45–55 seat coach with driver, fuel and tolls in "
        "Henan is commonly quoted at 1,200–2,000 CNY, with no official tariff; type the real quote in “Bus cost "
        "per bus-day (CNY)”, or set TOURPLAN_BUS_COST_CNY on the server",
    ),
    # study staff lines, bus run sheets, lunch
    "study_staff_teachers": (
        "每 {n} 名学生配 1 名带队教师，按组向上取整（{source}）",
        "one accompanying teacher per {n} students, rounded up per group ({source})",
    ),
    "study_staff_representative": (
        "学校（主办方）至少指定 1 名代表，可由带队教师兼任（{source}）",
        "the school (organiser) names at least one representative; may be one of the teachers ({source})",
    ),
    "study_staff_tutors": ("每组 {n} 名研学导师（{source}）", "{n} study tutor(s) per group ({source})"),
    "study_staff_guides": ("每组 {n} 名导游（{source}）", "{n} guide(s) per group ({source})"),
    "study_staff_safety": (
        "活动至少配 1 名安全员；本方案 {n} 名（{source}）",
        "at least one safety officer for the activity; {n} planned ({source})",
    ),
    "study_staff_leaders": (
        "承办方为活动配项目负责人；本方案 {n} 名（{source}）",
        "the contractor's project leader for the activity; {n} planned ({source})",
    ),
    "study_staff_source": (
        "LB/T 054-2016（现为 LB/T 054-2025），常被引用但未经核实：是规则而非事实",
        "LB/T 054-2016 (now LB/T 054-2025), commonly quoted, unverified: a rule, not a fact",
    ),
    "study_run_depart": ("出发", "depart"),
    "study_run_arrive": ("到达下车", "arrive, drop off"),
    "study_run_arrive_wait": ("到达下车；{time} 开始参观", "arrive, drop off; visit starts {time}"),
    "study_run_pickup": ("上车出发", "pick up, depart"),
    "study_run_after_lunch": ("午餐后出发", "after lunch, depart"),
    "study_run_back": ("返回", "arrive back"),
    "study_group": ("第{n}组", "Group {n}"),
    **INPUT_MESSAGES,  # input problems: data files, site edits, API fields (tourplan/input_messages.py)
}

LIST_SEP = {"zh": "、", "en": ", "}
#: Between sentences (a list of messages).
SENTENCE_SEP = {"zh": "；", "en": "; "}


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Name):
        return value.text(lang)
    if isinstance(value, Message):
        return render(value, lang)
    if isinstance(value, list | tuple):
        sep = SENTENCE_SEP if value and all(isinstance(v, Message) for v in value) else LIST_SEP
        return sep[lang].join(_text(v, lang) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(message: Message, lang: str = "zh") -> str:
    """A message as a sentence in Chinese (``"zh"``) or English (anything else).

    Examples
    --------
    >>> m = Message("ticket_site", {"site": Name("嘉应观", "Jiaying Temple"), "price": 55.0})
    >>> render(m), render(m, "en")
    ('嘉应观门票 ¥55', 'Jiaying Temple ticket ¥55')
    >>> render(Message("place_ambiguous", {"text": "焦作", "candidates": ["焦作站", "焦作西站"]}), "en")
    '“焦作” could mean several places: 焦作站, 焦作西站. Please pick one.'
    """
    lang = "zh" if lang == "zh" else "en"
    template = MESSAGES[message.code][0 if lang == "zh" else 1]
    return template.format(**{k: _text(v, lang) for k, v in message.params.items()})


# The expected crowd at a stop, in words (pages, prints, exports and the command line).

#: Crowd tiers as a share of a site's instantaneous capacity C0, highest first: the
#: LB/T 034-2014 warning levels the flow alerts use (``tourplan.flow.result.ALERT_LEVELS``).
CROWD_TIERS: tuple[tuple[float, str], ...] = ((1.0, "red"), (0.9, "orange"), (0.8, "yellow"))
_CROWD_WORDS: dict[str, tuple[str, str]] = {
    "normal": ("人不多", "not crowded"),
    "yellow": ("较拥挤", "busy"),
    "orange": ("拥挤", "crowded"),
    "red": ("满员", "full"),
}
_LEVEL_ALIASES = {"green": "normal", "low": "normal", "ok": "normal", "busy": "yellow", "full": "red"}


def _pct(crowd: Mapping[str, Any]) -> float | None:
    for key in ("pct", "percent"):
        value = crowd.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    ratio = crowd.get("ratio")
    if isinstance(ratio, int | float) and not isinstance(ratio, bool):
        return 100.0 * float(ratio)
    return None


def crowd_level(crowd: Any) -> str | None:
    """The warning tier of a stop's ``crowd`` entry: ``normal``, ``yellow``, ``orange``, ``red`` or None.

    The share of capacity (``pct``, in per cent) decides when the entry has
    one; otherwise its ``level``. Anything that is not a mapping (no
    forecast, an old plan's text label) has no tier.

    Examples
    --------
    >>> crowd_level({"level": "orange", "pct": 79}), crowd_level({"pct": 100}), crowd_level({"level": "yellow"})
    ('normal', 'red', 'yellow')
    >>> crowd_level(None), crowd_level("busy")
    (None, None)
    """
    if not isinstance(crowd, Mapping):
        return None
    pct = _pct(crowd)
    if pct is not None:
        return next((name for share, name in CROWD_TIERS if pct >= 100 * share), "normal")
    level = str(crowd.get("level") or "").lower()
    level = _LEVEL_ALIASES.get(level, level)
    return level if level in _CROWD_WORDS else None


def crowd_text(crowd: Any, lang: str = "zh") -> str | None:
    """A stop's expected crowding in words, with the share of capacity when known.

    Examples
    --------
    >>> crowd_text({"level": "orange", "pct": 93}), crowd_text({"level": "orange", "pct": 93}, "en")
    ('拥挤（约为承载量的 93%）', 'crowded (about 93% of capacity)')
    >>> crowd_text(None) is None
    True
    """
    if crowd is None or crowd == "":
        return None
    if not isinstance(crowd, Mapping):
        return str(crowd)
    level = crowd_level(crowd)
    if level is None:
        return None
    zh, en = _CROWD_WORDS[level]
    pct = _pct(crowd)
    if pct is None:
        return en if lang == "en" else zh
    if lang == "en":
        return f"{en} (about {pct:.0f}% of capacity)"
    return f"{zh}（约为承载量的 {pct:.0f}%）"
