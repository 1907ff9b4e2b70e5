"""The API schema's own error texts as message codes, so an API client can show them in Chinese too.

webargs and marshmallow check a request against the API's schemas before it
reaches the core, and say what is wrong in English sentences from a fixed
set ("Not a valid integer.", "Must be one of: relaxed, normal, active.").
:func:`schema_message` reads such a sentence back into a
:class:`~tourplan.messages.Message` (a ``field_*`` code and its parameters),
which renders in both languages like the core's own errors. A sentence it
does not know gives ``None``: the error keeps its English text only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from tourplan.messages import LANGS, SENTENCE_SEP, Message, Name

__all__ = ["schema_message", "schema_messages", "schema_text"]

#: marshmallow's type names ("Not a valid {kind}.") in both languages.
_KINDS: dict[str, Name] = {
    "integer": Name("整数", "integer"),
    "number": Name("数字", "number"),
    "string": Name("文本", "string"),
    "boolean": Name("布尔值（true 或 false）", "boolean"),
    "date": Name("日期（YYYY-MM-DD）", "date"),
    "datetime": Name("日期时间", "datetime"),
    "time": Name("时间", "time"),
    "list": Name("列表", "list"),
    "mapping type": Name("对象（键值对）", "mapping type"),
    "tuple": Name("元组", "tuple"),
}

_Params = Callable[[re.Match[str]], dict[str, object]]


def _groups(m: re.Match[str]) -> dict[str, object]:
    return dict(m.groupdict())


def _kind(m: re.Match[str]) -> dict[str, object]:
    return {"kind": _KINDS[m.group("kind")]}


#: (sentence pattern, code, parameters) in the order they are tried.
_TEXTS: tuple[tuple[re.Pattern[str], str, _Params], ...] = tuple(
    (re.compile(pattern + r"\Z"), code, params)
    for pattern, code, params in (
        (r"Missing data for required field\.", "field_required", _groups),
        (r"Field may not be null\.", "field_null", _groups),
        (r"Unknown field\.", "field_unknown", _groups),
        (r"Not a valid (?P<kind>" + "|".join(_KINDS) + r")\.", "field_type", _kind),
        (
            r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
            "field_range",
            _groups,
        ),
        (r"Must be greater than or equal to (?P<value>\S+)\.", "field_at_least", _groups),
        (r"Must be greater than (?P<value>\S+)\.", "field_above", _groups),
        (r"Must be less than or equal to (?P<value>\S+)\.", "field_at_most", _groups),
        (r"Must be less than (?P<value>\S+)\.", "field_below", _groups),
        (r"Must be one of: (?P<choices>.+)\.", "field_one_of", _groups),
        (r"Shorter than minimum length (?P<min>\d+)\.", "field_min_length", _groups),
        (r"Longer than maximum length (?P<max>\d+)\.", "field_max_length", _groups),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", "field_length", _groups),
        (r"expected a time HH:MM", "field_hhmm", _groups),
        (r"Number too large\.", "field_too_large", _groups),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", "field_not_finite", _groups),
        (r"Invalid (?:value|input|type|input type)\.", "field_invalid", _groups),
        (r"Invalid JSON body\.", "field_json_body", _groups),
    )
)


def schema_message(text: str) -> Message | None:
    """The message code of one schema error sentence, or None for a sentence this module does not know.

    Examples
    --------
    >>> schema_message("Must be one of: relaxed, normal, active.").render("zh")
    '应为以下之一：relaxed, normal, active。'
    >>> schema_message("Not a valid date.").render("zh")
    '不是有效的日期（YYYY-MM-DD）。'
    >>> schema_message("Something else.") is None
    True
    """
    for pattern, code, params in _TEXTS:
        m = pattern.match(text.strip())
        if m is not None:
            return Message(code, params(m))
    return None


def schema_messages(errors: Mapping[str, str]) -> dict[str, Message]:
    """Each field's schema error as a message, for the fields whose sentence is known."""
    out: dict[str, Message] = {}
    for field, text in errors.items():
        message = schema_message(text)
        if message is not None:
            out[field] = message
    return out


def schema_text(errors: Mapping[str, str]) -> dict[str, str] | None:
    """The whole error, field by field, in each language (``{zh, en}``); None unless every sentence is known.

    Examples
    --------
    >>> schema_text({"days": "Not a valid integer."})["zh"]
    'days：不是有效的整数。'
    """
    coded = schema_messages(errors)
    if not coded or len(coded) != len(errors):
        return None
    return {
        lang: SENTENCE_SEP[lang].join(
            m.render(lang)
            if field == "_"  # (the request as a whole)
            else Message("field_problem", {"field": field, "text": m.render(lang)}).render(lang)
            for field, m in coded.items()
        )
        for lang in LANGS
    }
