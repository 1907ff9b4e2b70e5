"""Site tables: ``tourplan validate``, ``tourplan sites`` (list) and ``tourplan import-osm``.

``sites export|edit|history`` work on the web app's store; they live in
:mod:`tourplan.cli.sitestore` and load only when called.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from tourplan.cli._common import EXIT_INVALID_DATA, LazyGroup, fail, handle_errors
from tourplan.cli.lang import current_lang
from tourplan.cli.lang import gettext as _
from tourplan.cli.options import data_option, format_option, path_option
from tourplan.errors import DataValidationError
from tourplan.site import GRADES

__all__ = ["import_osm", "sites_cmd", "validate"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@path_option("--edges", "edges_path")
@handle_errors
def validate(file: Path | None, edges_path: Path | None) -> None:
    """Check a site table (default: the bundled one) and print every problem."""
    from tourplan.data import load_edges, load_sites
    from tourplan.errors import TourplanWarning, error_text

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TourplanWarning)
        try:
            sites = load_sites(file)
            edges = load_edges(edges_path, sites) if (edges_path or file is None) else ()
        except DataValidationError as exc:
            for p in exc.problems:
                click.echo(p.text(current_lang()), err=True)
            n = len(exc.problems)
            fail(_("%(n)d problem(s) found; nothing was loaded") % {"n": n}, EXIT_INVALID_DATA)
            return
    for w in caught:
        click.echo(_("warning: %(text)s") % {"text": error_text(w.message, current_lang())}, err=True)
    name = file if file is not None else _("bundled data/pois.csv")
    click.echo(_("%(name)s: %(sites)d sites, %(edges)d explicit legs, OK") % {"name": name, "sites": len(sites), "edges": len(edges)})


@click.group(
    "sites",
    cls=LazyGroup,
    invoke_without_command=True,
    lazy={name: f"tourplan.cli.sitestore:sites_{name}" for name in ("export", "edit", "history")},
)
@data_option
@click.option("--category", multiple=True, help="Only this category (repeatable).")
@click.option("--theme", multiple=True, help="Only sites with this theme (repeatable).")
@click.option("--grade", type=click.Choice(GRADES), default=None)
@click.option("--search", "text", default=None, help="Text in the name (zh or en).")
@format_option("text", "json", "csv")
@click.pass_context
@handle_errors
def sites_cmd(
    ctx: click.Context,
    data_path: Path | None,
    edges_path: Path | None,
    category: tuple[str, ...],
    theme: tuple[str, ...],
    grade: str | None,
    text: str | None,
    fmt: str,
) -> None:
    """List sites, optionally filtered ('sites export' and 'sites edit': the web app's table).

    CSV cells that a spreadsheet would run as formulas get a leading '.
    """
    from tourplan.data import load_sites, sites_frame
    from tourplan.export import csv_cell

    del edges_path
    if ctx.invoked_subcommand is not None:
        return
    table = load_sites(data_path).filter(
        category=category or None, theme=theme or None, grade=grade, text=text
    )
    frame = sites_frame(table)
    if fmt == "json":
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(frame.map(csv_cell).to_csv(index=False), nl=False)
    else:
        for s in table:
            approx = " ~" + f"{s.location_error_m / 1000:.1f}km" if s.approximate else ""
            click.echo(
                f"{s.id:32} {s.category:11} {s.lat:9.5f} {s.lon:10.5f}{approx:9} {s.name_zh} / {s.name_en}"
            )
        click.echo(_("%(n)d sites") % {"n": len(table)})


@click.command("import-osm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@path_option("--data", "data_path", help="Site table to merge into (default: the bundled one).")
@click.option(
    "--bbox",
    default="34.8,112.6,35.5,113.7",
    show_default=True,
    help="south,west,north,east in WGS-84 degrees.",
)
@path_option("--output", "-o", help="Write the merged table here (default: print a summary only).")
@handle_errors
def import_osm(file: Path, data_path: Path | None, bbox: str, output: Path | None) -> None:
    """Turn an OpenStreetMap extract (.osm XML or .pbf) into site rows."""
    from tourplan.data import load_sites
    from tourplan.osm import merge_sites, read_osm, write_sites_csv

    try:
        south, west, north, east = (float(x) for x in bbox.split(","))
    except ValueError:
        fail(f"--bbox: expected four numbers south,west,north,east, got {bbox!r}")
        return
    found = read_osm(file, bbox=(south, west, north, east))
    table = load_sites(data_path)
    merged, report = merge_sites(table, found)
    click.echo(
        _("%(found)d OSM features in the box; %(updated)d sites got a better point, %(added)d new sites, "
          "%(unchanged)d matched without change")
        % {"found": len(found), "updated": report.updated, "added": report.added, "unchanged": report.unchanged}
    )
    for line in report.details:
        click.echo(f"  {line}")
    if output is not None:
        write_sites_csv(merged, output)
        click.echo(_("wrote %(n)d sites to %(path)s") % {"n": len(merged), "path": output})
