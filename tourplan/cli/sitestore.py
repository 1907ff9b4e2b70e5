"""``tourplan sites export|edit|history``: the site table in the web app's store.

They work on the web app's store (same configuration as ``tourplan serve``:
the instance folder and ``TOURPLAN_*`` environment), through the same code
as the API: :meth:`tourplan.sitestore.SiteStore.edit` for an edit, so the
checks, the datum conversion, the history and the data version are the
same. The ``sites`` group of :mod:`tourplan.cli.sites` loads them when called.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click

from tourplan.cli._common import fail, web_extension
from tourplan.cli.lang import N_, current_lang, local_time
from tourplan.cli.lang import gettext as _
from tourplan.coords import DATUMS
from tourplan.errors import RequestValidationError, error_text
from tourplan.site import CONFIDENCE_LEVELS
from tourplan.siteedit import LOCATION_METHODS, SiteEdit, StaleVersionError
from tourplan.sitestore import Editor, SiteStore

__all__ = ["sites_edit", "sites_export", "sites_history"]


def _sites() -> SiteStore:
    """The site store of the web app (seeding it from the configured or bundled table when fresh)."""
    sites: SiteStore = web_extension("tourplan.data").sites
    return sites


@click.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (default: standard output).")  # fmt: skip
def sites_export(output: Path | None) -> None:
    """Write the current site table of the web app's store as pois.csv."""
    text = _sites().export_csv()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(_("wrote %(n)d sites to %(path)s") % {"n": text.count(chr(10)) - 1, "path": output}, err=True)


@click.command("edit")
@click.argument("site_id")
@click.option("--lat", type=str, default=None, help="New latitude (in --datum).")
@click.option("--lon", type=str, default=None, help="New longitude (in --datum).")
@click.option(
    "--datum",
    type=click.Choice(DATUMS),
    default="wgs84",
    show_default=True,
    help="Datum of --lat/--lon: gcj02 for Gaode/Tencent, bd09 for Baidu; stored as WGS-84.",
)
@click.option(
    "--method",
    type=click.Choice(LOCATION_METHODS),
    default=None,
    help="How the point was found (sets location_error_m; default paste).",
)
@click.option("--set", "sets", multiple=True, metavar="COLUMN=VALUE", help="Any other column (repeatable).")
@click.option("--source", required=True, help="Where the new values come from.")
@click.option("--confidence", required=True, type=click.Choice(CONFIDENCE_LEVELS))
@click.option("--reason", default="", help="Why (shown in the history).")
@click.option(
    "--version",
    "expected",
    type=int,
    default=None,
    help="Refuse unless the site is still at this version (as If-Match).",
)
@click.option("--user", default=None, help="Name recorded in the history (default cli:<login>).")
# fmt: skip
def sites_edit(
    site_id: str,
    lat: str | None,
    lon: str | None,
    datum: str,
    method: str | None,
    sets: tuple[str, ...],
    source: str,
    confidence: str,
    reason: str,
    expected: int | None,
    user: str | None,
) -> None:
    """Change site SITE_ID in the web app's store, as PATCH /api/v1/sites/<id> does."""
    changes: dict[str, Any] = {}
    for item in sets:
        key, eq, value = item.partition("=")
        if not eq:
            fail(_("--set: expected COLUMN=VALUE, got %(item)s") % {"item": repr(item)})
        changes[key.strip()] = value
    if lat is not None:
        changes["lat"] = lat
    if lon is not None:
        changes["lon"] = lon
    edit = SiteEdit(changes, source=source, confidence=confidence, reason=reason, datum=datum, method=method)
    who = Editor(user or f"cli:{getpass.getuser()}")
    store = _sites()
    try:
        rec = store.edit(site_id, edit, editor=who, expected_version=expected)
    except StaleVersionError as exc:
        fail(error_text(exc, current_lang()))
        return
    except RequestValidationError as exc:
        said = "; ".join(f"{k}: {exc.text(k, current_lang())}" for k in exc.errors)
        fail(_("%(problems)s (nothing was saved)") % {"problems": said})
        return
    except KeyError as exc:
        fail(str(exc))
        return
    click.echo(
        _("%(id)s: version %(v)d, %(point)s ±%(err)s m (WGS-84), confidence %(c)s; data version %(dv)d")
        % {"id": rec.id, "v": rec.version, "point": f"{rec.row['lat']},{rec.row['lon']}",
           "err": rec.row["location_error_m"], "c": rec.row["confidence"], "dv": store.data_version()}
    )  # fmt: skip


#: The kinds of change (``tourplan.sitestore.CHANGE_KINDS``), for the catalog.
_KINDS = {"edit": N_("edit"), "upload": N_("upload"), "import": N_("import"), "revert": N_("revert")}


@click.command("history")
@click.argument("site_id")
def sites_history(site_id: str) -> None:
    """The recorded changes of site SITE_ID, newest first."""
    for c in _sites().history(site_id):
        vals = ", ".join(
            f"{k}: {(c.old or {}).get(k, '')!r} -> {(c.new or {}).get(k, '')!r}" for k in c.fields
        )
        click.echo(
            _("#%(id)s %(at)s (China Standard Time) %(kind)s by %(user)s (%(reason)s): %(values)s")
            % {"id": c.id, "at": local_time(c.at), "kind": _(_KINDS.get(c.kind, c.kind)), "user": c.username,
               "reason": c.reason or "-", "values": vals}
        )  # fmt: skip
