"""The command line's help and click's own words in the run's language.

Every help text (a command's docstring, an option's ``help=``) is English in
the code and translated in the web app's catalog, like the CLI's labels.
:func:`localize` sets a command's texts in the run's language when the
command is looked up (:class:`~tourplan.cli._common.LazyGroup`), after the
root group has read ``--lang``, so ``tourplan --lang zh plan --help`` and
``TOURPLAN_LANG=zh tourplan plan --help`` both print Chinese.

Click's own words ("Usage:", "Missing option", "No such option" ...) come
from the standard library's :func:`gettext.gettext` in click's modules;
:func:`click_words` points its default domain at the same catalog for the
run, so they follow the run's language too.  :data:`CLICK_WORDS` marks the
message ids of click's that the catalog translates.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import inspect
import os
from typing import TYPE_CHECKING

import click

from tourplan.cli._width import context_class
from tourplan.cli.lang import _CATALOGS, LANGS, N_, _translations, detect_lang

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["CLICK_PLURALS", "CLICK_WORDS", "argv_lang", "click_words", "help_texts", "localize"]

#: Click's own message ids (its help headings, usage errors and type checks), for the catalog.
CLICK_WORDS: tuple[str, ...] = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("%(prog)s, version %(version)s"), N_("Error: {message}"),
    N_("Try '{command} {option}' for help."), N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"), N_("Missing option"),
    N_("Missing parameter"), N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Missing command."),
    N_("Option {name!r} does not take a value."), N_("default: {default}"), N_("required"),
    N_("env var: {var}"), N_("(dynamic)"), N_("Aborted!"), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("Could not open file {filename!r}: {message}"), N_("Do you want to continue?"),
    N_("Confirm the action without prompting."), N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."), N_("Error: invalid input"),
)  # fmt: skip


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Mark a pair of click's (singular, plural) message ids for the catalog (the extractor reads ``ngettext``)."""
    return singular, plural


#: Click's own message ids that have a plural form.
CLICK_PLURALS: tuple[tuple[str, str], ...] = (
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    ngettext(
        "{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."
    ),
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    ngettext("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."),
    ngettext(
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ),
)

#: Where :func:`localize` keeps a text's English original (the attribute of the command or option).
_ENGLISH = "_tourplan_help_en"


def argv_lang(argv: Sequence[str]) -> str:
    """The language a run asks for: ``--lang`` among the root's options, else the environment's.

    Examples
    --------
    >>> argv_lang(["--lang", "zh", "plan", "--help"]), argv_lang(["--lang=en", "plan"])
    ('zh', 'en')
    """
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.partition("--lang=")[2]
        if value in LANGS:
            return value
    return detect_lang()


@contextlib.contextmanager
def click_words(lang: str) -> Iterator[None]:
    """While it lasts, click's own words are in *lang* (read from the catalog by stdlib :mod:`gettext`).

    Click translates with :func:`gettext.gettext`, which reads the default
    domain's catalog for the languages of ``LANGUAGE`` (then the locale
    variables).  The domain is bound to the web app's catalogs and
    ``LANGUAGE`` set to *lang* for the run, then put back.
    """
    domain = _gettext.textdomain()
    old_dir = _gettext.bindtextdomain(domain)
    old_lang = os.environ.get("LANGUAGE")
    _gettext.bindtextdomain(domain, str(_CATALOGS))
    os.environ["LANGUAGE"] = lang
    try:
        yield
    finally:
        _gettext.bindtextdomain(domain, old_dir)
        if old_lang is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = old_lang


def _english(obj: object, attr: str) -> str | None:
    """The English text of ``obj.attr``, kept the first time it is seen."""
    originals: dict[str, str | None] = obj.__dict__.setdefault(_ENGLISH, {})
    if attr not in originals:
        text = getattr(obj, attr, None)
        originals[attr] = inspect.cleandoc(text).partition("\f")[0] if text else None
    return originals[attr]


def localize(command: click.Command, lang: str) -> click.Command:
    """Set the command's help, and its options', in *lang* (from the English kept at the first call).

    Click's help option is made once per command, in the language of its
    first run; it is set here as well, so that one process may run in both
    languages (tests do).
    """
    tr = _translations(lang)
    for obj, attr in ((command, "help"), (command, "short_help"), (command, "epilog")):
        text = _english(obj, attr)
        if text is not None:
            setattr(obj, attr, tr.gettext(text))
    for param in command.params:
        if isinstance(param, click.Option) and (text := _english(param, "help")) is not None:
            param.help = tr.gettext(text)
    help_option = getattr(command, "_help_option", None)
    if isinstance(help_option, click.Option):
        help_option.help = tr.gettext("Show this message and exit.")
    command.context_class = context_class(lang)  # Chinese help wrapped by display width
    return command


def help_texts(command: click.Command, ctx: click.Context | None = None) -> list[str]:
    """Every English help text of *command* and its subcommands (each once, in order), for the catalog."""
    ctx = ctx or click.Context(command)
    out = [t for t in (_english(command, "help"), _english(command, "short_help")) if t]
    out += [t for p in command.params if isinstance(p, click.Option) and (t := _english(p, "help"))]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                out += help_texts(sub, ctx)
    return list(dict.fromkeys(out))
