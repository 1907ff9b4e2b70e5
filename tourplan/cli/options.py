"""Options the commands share: data files, seed, output format, day hours, ranges from the core.

Each is a decorator factory over :func:`click.option`; ranges and defaults
come from the core's request types, so the command line offers what the
planners accept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tourplan._parse import Range

F = TypeVar("F", bound="Callable[..., Any]")

__all__ = ["data_option", "day_hours_options", "format_option", "limit", "path_option", "seed_option"]


def path_option(
    *param_decls: str, help: str | None = None, exists: bool = False, folder: bool = False
) -> Callable[[F], F]:
    """An optional path option (default ``None``): a file, or with ``folder`` a directory."""
    if folder:
        kind = click.Path(exists=exists, file_okay=False, path_type=Path)
    else:
        kind = click.Path(exists=exists, dir_okay=False, path_type=Path)
    return click.option(*param_decls, type=kind, default=None, help=help)


def data_option(func: F) -> F:
    """Add ``--data`` and ``--edges`` (another site table and legs)."""
    func = path_option(
        "--edges", "edges_path", help="Explicit legs CSV (default: the bundled data/edges.csv)."
    )(func)
    return path_option(
        "--data", "data_path", help="Site table CSV to use instead of the bundled data/pois.csv."
    )(func)


def seed_option(func: F) -> F:
    """Add ``--seed`` (the random seed, default 0)."""
    return click.option("--seed", default=0, show_default=True, type=int)(func)


def format_option(*choices: str, show_default: bool | None = None) -> Callable[[F], F]:
    """``--format`` (into ``fmt``) among ``choices``, default ``text``."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default="text", show_default=show_default
    )


def day_hours_options(default: Mapping[str, Any]) -> Callable[[F], F]:
    """``--start-time`` and ``--end-time`` of the day, defaults from the request's ``day_start``/``day_end``."""
    from tourplan._parse import fmt_time

    def decorate(func: F) -> F:
        func = click.option("--end-time", default=fmt_time(default["day_end"]), show_default=True)(func)
        return click.option("--start-time", default=fmt_time(default["day_start"]), show_default=True)(func)

    return decorate


def limit(limits: Mapping[str, Range], name: str) -> click.IntRange | click.FloatRange:
    """The click range of request field ``name``, read from the core's ``LIMITS`` table.

    Examples
    --------
    >>> from tourplan._parse import Range
    >>> limit({"days": Range(1, 4, integer=True)}, "days")
    <IntRange 1<=x<=4>
    """
    r = limits[name]
    if r.integer:
        return click.IntRange(int(r.lo), int(r.hi))
    return click.FloatRange(r.lo, r.hi)
