"""What every command module shares: lazy loading, error handling, output, the site data.

Kept free of the core's heavy imports (pandas, numba, flask...): every
``tourplan`` command loads this module, and a command imports only what it
uses, inside its own body.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tourplan.cli._help import argv_lang, click_words, localize
from tourplan.cli._width import context_class
from tourplan.cli.lang import N_, current_lang
from tourplan.cli.lang import gettext as _
from tourplan.errors import DataValidationError, TourplanError, error_text

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from tourplan.graph import SiteGraph
    from tourplan.site import SiteTable

F = TypeVar("F", bound="Callable[..., Any]")

EXIT_USER_ERROR = 2
EXIT_INVALID_DATA = 1


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when they are used, their help in the run's language.

    ``lazy`` maps a command's name to ``"module:attribute"``; ``tourplan
    plan`` then imports the plan command's module and nothing of the
    simulation, the web app or the store (``--help`` of the group imports
    them all, to list them).
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted (as click lists them)."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module the first time."""
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command):  # pragma: no cover - a wrong table entry
                msg = f"{self.lazy[cmd_name]} is not a click command"
                raise TypeError(msg)
            self.add_command(command, cmd_name)
        found = super().get_command(ctx, cmd_name)
        return None if found is None else localize(found, current_lang())

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The group's help in the run's language (its subcommands' are set as they are looked up)."""
        localize(self, current_lang())
        super().format_help(ctx, formatter)

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        """Run the group as a program, click's own words (usage, errors) in the run's language."""
        lang = argv_lang(sys.argv[1:] if args is None else args)
        self.context_class = context_class(lang)  # (the group's own help: its subcommands' are set by localize)
        with click_words(lang):
            return super().main(args, *rest, **kwargs)


def fail(message: str, code: int = EXIT_USER_ERROR) -> None:
    """Write ``tourplan: error: MESSAGE`` on stderr and exit with ``code``."""
    click.echo(f"tourplan: error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn tourplan's own errors into one line on stderr and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataValidationError as exc:
            fail(error_text(exc, current_lang()), EXIT_INVALID_DATA)
        except TourplanError as exc:
            fail(error_text(exc, current_lang()))
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        return None

    return wrapper  # type: ignore[return-value]


def echo_result(result: Any, fmt: str, text: Callable[[Any], str], indent: int | None = 1) -> None:
    """Print ``result`` as JSON (its ``to_dict()``) when ``fmt`` is json, else as ``text(result)``."""
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=indent))
    else:
        click.echo(text(result))


def write_html(path: Path, html: str, what: str) -> None:
    """Write an HTML page and say so on stderr."""
    path.write_text(html, encoding="utf-8")
    click.echo(_("%(what)s written to %(path)s") % {"what": _(what), "path": path}, err=True)


def load(data_path: Path | None, edges_path: Path | None) -> tuple[SiteTable, SiteGraph]:
    """The site table and its graph: the bundled ones, or those of ``--data``/``--edges``."""
    from tourplan.data import load_edges, load_sites
    from tourplan.graph import SiteGraph

    sites = load_sites(data_path)
    edges = load_edges(edges_path, sites) if (edges_path or data_path is None) else ()
    return sites, SiteGraph(sites, edges)


def web_extension(name: str) -> Any:
    """The web app's extension ``name`` (its store, its site data), configured as ``tourplan serve`` is.

    The app reads its instance folder and ``TOURPLAN_*`` environment; a fresh
    store is seeded from the configured or bundled site table.
    """
    from tourplan.web import create_app

    return create_app().extensions[name]


def write_map(path: Path | None, view: str, *args: Any) -> None:
    """With ``--map PATH``: draw the result's map with ``tourplan.views.<view>(*args)`` and write it as a page."""
    if path is None:
        return
    from tourplan import views
    from tourplan.maps import to_standalone_html

    write_html(path, to_standalone_html(getattr(views, view)(*args)), N_("map"))
