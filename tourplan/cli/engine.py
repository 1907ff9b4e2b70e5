"""The optimizer engine: ``tourplan warmup`` (compile it ahead) and ``tourplan optw`` (benchmark instances)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tourplan.cli._common import handle_errors
from tourplan.cli.lang import N_
from tourplan.cli.lang import gettext as _
from tourplan.cli.options import seed_option

__all__ = ["optw", "warmup"]

#: What ``tourplan warmup`` readies (``tourplan.warmup.warm_up``'s keys), for the catalog.
_PARTS = {"optimizer": N_("optimizer"), "flow": N_("flow"), "crowd forecast": N_("crowd forecast")}


@click.command()
@handle_errors
def warmup() -> None:
    """Compile the optimizer and the flow engine now (cached on disk) rather than on the first request."""
    from tourplan.warmup import warm_up

    for part, seconds in warm_up().items():
        click.echo(_("%(part)s: ready in %(seconds).1f s") % {"part": _(_PARTS.get(part, part)), "seconds": seconds})


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--routes", "-m", default=1, show_default=True, type=click.IntRange(1, 50))
@click.option("--time-limit", default=2.0, show_default=True, type=click.FloatRange(0.01, 3600))
@seed_option
@click.option(
    "--decimals",
    default=None,
    type=click.IntRange(0, 6),
    help="Truncate travel times (default: 2 for pr*, else 1).",
)
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads that search at once (more iterations in the same time on a machine with cores to spare).",
)
@handle_errors
def optw(file: Path, routes: int, time_limit: float, seed: int, decimals: int | None, threads: int) -> None:
    """Solve an OPTW/TOPTW benchmark instance and print the result as JSON."""
    from tourplan.optimize import SolveParams, format_result, read_optw, solve

    name, problem = read_optw(file, routes=routes, decimals=decimals)
    solution = solve(problem, time_limit=time_limit, seed=seed, params=SolveParams(threads=threads))
    click.echo(json.dumps(format_result(name, solution)))
