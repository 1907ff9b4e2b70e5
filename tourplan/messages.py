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

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Mapping
    from dataclasses import Field

__all__ = ["LANGS", "MESSAGES", "Message", "Name", "WithMessage", "render"]

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

    def to_dict(self) -> dict[str, Any]:
        """``{"code": ..., "params": ...}`` with names as ``{"zh", "en"}`` objects (JSON-ready)."""
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()}}


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
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


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
    "lunch_none": (
        "第{day}天（{date}）：这条路线在{earliest}–{latest}之间没有能吃午饭的地方，请自带午餐。",
        "Day {day} ({date}): no food site fits a lunch stop between {earliest} and {latest} "
        "on this route; bring a packed lunch.",
    ),
    "must_see_unplaced": ("必去景点未能安排：{site}（{why}）", "Must-see not placed: {site} ({why})"),
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
}

_LIST_SEP = {"zh": "、", "en": ", "}


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Name):
        return value.text(lang)
    if isinstance(value, Message):
        return render(value, lang)
    if isinstance(value, list | tuple):
        return _LIST_SEP[lang].join(_text(v, lang) for v in value)
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
