"""``tourplan sites export|edit|history`` and ``tourplan users token|revoke-token|tokens``.

They work on the web app's store (same configuration as ``tourplan serve``:
the instance folder and ``TOURPLAN_*`` environment), through the same code
as the API: :meth:`tourplan.sitestore.SiteStore.edit` for an edit, so the
checks, the datum conversion, the history and the data version are the
same. Registered on :mod:`tourplan.cli`'s groups by :func:`register`.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tourplan.coords import DATUMS
from tourplan.errors import RequestValidationError
from tourplan.site import CONFIDENCE_LEVELS
from tourplan.sitestore import LOCATION_METHODS, Editor, SiteEdit, SiteStore, StaleVersionError

if TYPE_CHECKING:
    from tourplan.store import Store

__all__ = ["register"]


def _app_store() -> Store:
    """The web app's store, as configured (seeding its site table on a fresh database)."""
    from tourplan.web import create_app

    app = create_app()
    store: Store = app.extensions["tourplan.store"]
    return store


def _sites() -> SiteStore:
    from tourplan.web import create_app

    app = create_app()  # seeds a fresh store from the configured or bundled table
    sites: SiteStore = app.extensions["tourplan.data"].sites
    return sites


def _fail(message: str) -> None:
    click.echo(f"tourplan: error: {message}", err=True)
    sys.exit(2)


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
        click.echo(f"wrote {text.count(chr(10)) - 1} sites to {output}", err=True)


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
            _fail(f"--set: expected COLUMN=VALUE, got {item!r}")
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
        _fail(str(exc))
        return
    except RequestValidationError as exc:
        _fail("; ".join(f"{k}: {v}" for k, v in exc.errors.items()) + " (nothing was saved)")
        return
    except KeyError as exc:
        _fail(str(exc))
        return
    click.echo(
        f"{rec.id}: version {rec.version}, {rec.row['lat']},{rec.row['lon']} ±{rec.row['location_error_m']} m "
        f"(WGS-84), confidence {rec.row['confidence']}; data version {store.data_version()}"
    )


@click.command("history")
@click.argument("site_id")
def sites_history(site_id: str) -> None:
    """The recorded changes of site SITE_ID, newest first."""
    for c in _sites().history(site_id):
        vals = ", ".join(
            f"{k}: {(c.old or {}).get(k, '')!r} -> {(c.new or {}).get(k, '')!r}" for k in c.fields
        )
        click.echo(f"#{c.id} {c.at:%Y-%m-%d %H:%M} UTC {c.kind} by {c.username} ({c.reason or '-'}): {vals}")


@click.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Print a new API bearer token for staff account NAME (stored hashed; shown once)."""
    from tourplan.tokens import issue_token

    try:
        rec, token = issue_token(_app_store(), name)
    except KeyError:
        _fail(f"no staff account named {name!r}")
        return
    click.echo(token)
    click.echo(f"token #{rec.id} for {rec.username}; send it as 'Authorization: Bearer <token>'", err=True)


@click.command("revoke-token")
@click.argument("which")
def users_revoke_token(which: str) -> None:
    """Revoke every token of account WHICH, or the token with id (or prefix) WHICH."""
    from tourplan.tokens import revoke_tokens

    n = revoke_tokens(_app_store(), which)
    if n == 0:
        _fail(f"no live token matches {which!r}")
    click.echo(f"revoked {n} token{'s' if n != 1 else ''}")


@click.command("tokens")
def users_tokens() -> None:
    """List API tokens (id, account, first characters, created, last used, revoked)."""
    from tourplan.tokens import list_tokens

    for t in list_tokens(_app_store()):
        used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never"
        state = f"revoked {t.revoked:%Y-%m-%d %H:%M}" if t.revoked else "live"
        click.echo(
            f"#{t.id}\t{t.username}\t{t.prefix}…\t{t.created:%Y-%m-%d %H:%M} UTC\tused {used}\t{state}"
        )


def register(sites: click.Group, users: click.Group) -> None:
    """Add the commands to ``tourplan sites`` and ``tourplan users``."""
    for cmd in (sites_export, sites_edit, sites_history):
        sites.add_command(cmd)
    for cmd in (users_token, users_revoke_token, users_tokens):
        users.add_command(cmd)
