"""The ``tourplan`` command line: a thin layer over the core.

Each command parses its options, calls core functions and formats their
result.  A :class:`~tourplan.errors.TourplanError` (a user's mistake or an
impossible request) becomes one line on stderr and a non-zero exit code,
never a traceback.

One module per group of commands; :data:`COMMANDS` says where each lives,
and the root group imports a command's module only when that command runs
(so ``tourplan plan`` never loads the web app, the store or the simulation):

* :mod:`~tourplan.cli.plan` -- ``plan`` (visitor itineraries)
* :mod:`~tourplan.cli.study` -- ``study-tour``
* :mod:`~tourplan.cli.flow` -- ``simulate`` and ``sweep``
* :mod:`~tourplan.cli.sites` -- ``validate``, ``sites``, ``import-osm``;
  :mod:`~tourplan.cli.sitestore` -- ``sites export|edit|history``
* :mod:`~tourplan.cli.users` -- ``users`` (staff accounts and API tokens)
* :mod:`~tourplan.cli.serve` -- ``serve`` and ``worker``
* :mod:`~tourplan.cli.engine` -- ``warmup`` and ``optw``
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

import click

from tourplan import __version__
from tourplan.cli._common import LazyGroup
from tourplan.cli.lang import LANG_ENV, LANGS, set_lang

__all__ = ["COMMANDS", "main", "run"]

#: Where each top-level command is defined (``module:attribute``).
COMMANDS: dict[str, str] = {
    "plan": "tourplan.cli.plan:plan",
    "study-tour": "tourplan.cli.study:study_tour",
    "simulate": "tourplan.cli.flow:simulate",
    "sweep": "tourplan.cli.flow:sweep",
    "validate": "tourplan.cli.sites:validate",
    "sites": "tourplan.cli.sites:sites_cmd",
    "import-osm": "tourplan.cli.sites:import_osm",
    "users": "tourplan.cli.users:users",
    "serve": "tourplan.cli.serve:serve",
    "worker": "tourplan.cli.serve:worker",
    "warmup": "tourplan.cli.engine:warmup",
    "optw": "tourplan.cli.engine:optw",
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tourplan")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=None,
    callback=set_lang,
    expose_value=False,
    is_eager=True,
    help=f"Language of the output: zh (中文) or en (default: ${LANG_ENV}, else the locale, else en).",
)
def main() -> None:
    """tourplan: itineraries, study tours and visitor flow for Jiefang District, Jiaozuo."""
    warnings.showwarning = _show_warning


def run() -> None:
    """Run the ``tourplan`` program (the console script, ``python -m tourplan.cli``): :func:`main`, then exit.

    Before the interpreter shuts down, :func:`gc.freeze` takes every object
    the command made out of the cyclic collector's sight: shutting down
    otherwise collects them all, which after a plan (numba's compiler state
    and the loaded kernels, about 100,000 objects) took 0.3 s, longer than
    planning. Exit handlers still run and files still close; the objects are
    simply not freed one by one before the process ends. Code that calls
    :func:`main` itself (tests, ``CliRunner``) keeps a normal collector.

    While the command runs, the youngest generation is collected every
    50,000 new objects instead of every 700: loading the compiled engine
    makes about 100,000 objects, none of them garbage, and the default
    threshold spent some 0.05 s of a plan's start scanning them again and
    again (``bench/shell.py``). Cycles are still collected, so a long-running
    ``serve`` or ``worker`` does not grow.
    """
    gc.set_threshold(50_000, 20, 20)
    try:
        main()
    finally:
        gc.freeze()


_python_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Our warnings (say, a coordinate that looks GCJ-02) as one line on stderr, like errors; others as Python prints them."""
    from tourplan.cli.lang import current_lang
    from tourplan.errors import TourplanWarning, error_text

    if issubclass(category, TourplanWarning):
        text = error_text(message, current_lang()) if isinstance(message, Warning) else message
        click.echo(f"tourplan: warning: {text}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)
