"""The command line's language: which one (``--lang``, ``TOURPLAN_LANG``, the locale) and its words.

The core says what happened in codes and parameters
(:mod:`tourplan.messages`); the command line renders them, and its own
labels, in Chinese or English.  Its labels are translated in the web app's
catalog (``tourplan/web/translations``, extracted from ``tourplan/cli`` as
well), read here with the standard library's :mod:`gettext` so that a
command does not load Flask or Babel to speak Chinese.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tourplan.messages import LANGS, LIST_SEP
from tourplan.messages import SENTENCE_SEP as CLAUSE_SEP

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CLAUSE_SEP",
    "LANGS",
    "LANG_ENV",
    "LIST_SEP",
    "N_",
    "current_lang",
    "detect_lang",
    "gettext",
    "ngettext",
    "local_time",
    "set_lang",
]

#: Environment variable that picks the language (as ``--lang`` does).
LANG_ENV = "TOURPLAN_LANG"
_META_KEY = "tourplan.lang"
_CATALOGS = Path(__file__).resolve().parent.parent / "web" / "translations"


def detect_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for: ``TOURPLAN_LANG``, else the POSIX locale; English by default.

    The locale variables are read in POSIX order (``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``): the first that is set decides, and a ``zh`` locale gives Chinese.

    Examples
    --------
    >>> detect_lang({"LANG": "zh_CN.UTF-8"}), detect_lang({"LANG": "C.UTF-8"}), detect_lang({})
    ('zh', 'en', 'en')
    >>> detect_lang({"TOURPLAN_LANG": "en", "LC_ALL": "zh_CN.UTF-8"})
    'en'
    """
    env = os.environ if environ is None else environ
    asked = env.get(LANG_ENV, "").strip().lower()
    if asked in LANGS:
        return asked
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_lang(ctx: click.Context, _param: click.Parameter | None, value: str | None) -> str:
    """Click callback of ``--lang``: remember the choice (or the environment's) for the whole run."""
    lang = value if value in LANGS else detect_lang()
    ctx.meta[_META_KEY] = lang
    return lang


def current_lang() -> str:
    """``"zh"`` or ``"en"``: ``--lang`` of this run, else what the environment asks for."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(_META_KEY) in LANGS:
        return str(ctx.meta[_META_KEY])
    return detect_lang()


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation("messages", localedir=_CATALOGS, languages=[lang], fallback=True)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a marker
    """``message`` as it is: marks a label for the catalog where it is translated later (``gettext(label)``)."""
    return message


def gettext(message: str) -> str:
    """``message`` (an English label) in the run's language."""
    return _translations(current_lang()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """:func:`gettext` with a plural form chosen by ``n`` (Chinese has one)."""
    return _translations(current_lang()).ngettext(singular, plural, n)


def local_time(when: dt.datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in China Standard Time (a naive time is read as UTC, as the store keeps it).

    >>> local_time(dt.datetime(2026, 12, 5, 2, 30))
    '2026-12-05 10:30'
    """
    from tourplan.sun import TZ  # here: astral is not needed to print help

    aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return f"{aware.astimezone(TZ):%Y-%m-%d %H:%M}"
