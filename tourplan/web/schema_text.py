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
from typing import TYPE_CHECKING

from tourplan.messages import LANGS, SENTENCE_SEP, Message, Name

if TYPE_CHECKING:
    from collections.abc import Mapping

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

#: (sentence pattern, code) in the order they are tried; the named groups are the message's parameters.
_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"\Z"), code)
    for pattern, code in (
        (r"Missing data for required field\.", "field_required"),
        (r"Field may not be null\.", "field_null"),
        (r"Unknown field\.", "field_unknown"),
        (r"Not a valid (?P<kind>" + "|".join(_KINDS) + r")\.", "field_type"),
        (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
         "field_range"),
        (r"Must be greater than or equal to (?P<value>\S+)\.", "field_at_least"),
        (r"Must be greater than (?P<value>\S+)\.", "field_above"),
        (r"Must be less than or equal to (?P<value>\S+)\.", "field_at_most"),
        (r"Must be less than (?P<value>\S+)\.", "field_below"),
        (r"Must be one of: (?P<choices>.+)\.", "field_one_of"),
        (r"Shorter than minimum length (?P<min>\d+)\.", "field_min_length"),
        (r"Longer than maximum length (?P<max>\d+)\.", "field_max_length"),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", "field_length"),
        (r"expected a time HH:MM", "field_hhmm"),
        (r"Number too large\.", "field_too_large"),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", "field_not_finite"),
        (r"Invalid (?:value|input|type|input type)\.", "field_invalid"),
        (r"Invalid JSON body\.", "field_json_body"),
    )
)  # fmt: skip


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
    for pattern, code in _TEXTS:
        m = pattern.match(text.strip())
        if m is not None:
            params: dict[str, object] = dict(m.groupdict())
            if "kind" in params:
                params["kind"] = _KINDS[m.group("kind")]
            return Message(code, params)
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
