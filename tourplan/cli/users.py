"""``tourplan users``: staff accounts of the web app and their API tokens."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypeVar

import click

from tourplan.cli._common import LazyGroup, fail, handle_errors, web_extension
from tourplan.cli.lang import gettext as _
from tourplan.cli.lang import local_time

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from tourplan.store import Store

F = TypeVar("F", bound="Callable[..., Any]")

__all__ = ["users"]


def _store() -> Store:
    """The web app's store, as configured (instance folder, ``TOURPLAN_*`` env)."""
    store: Store = web_extension("tourplan.store")
    return store


@click.group("users", cls=LazyGroup)  # (a LazyGroup: its commands' help in the run's language)
def users() -> None:
    """Staff accounts of the web app (same configuration as 'tourplan serve')."""


def _password_option(func: F) -> F:
    return click.option(
        "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
    )(func)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _no_such_user(name: str) -> None:
    fail(_("users passwd: no staff user %(name)r (see 'tourplan users list')") % {"name": name})


@users.command("add")
@click.argument("name")
@_password_option
@handle_errors
def users_add(name: str, password_stdin: bool) -> None:
    """Create staff account NAME; prompts for the password unless --password-stdin."""
    password = _read_password(password_stdin)
    try:
        rec = _store().add_user(name, password)
    except ValueError as exc:
        fail(str(exc))
        return
    click.echo(_("added staff user %(name)r") % {"name": rec.username})


@users.command("passwd")
@click.argument("name")
@_password_option
@handle_errors
def users_passwd(name: str, password_stdin: bool) -> None:
    """Set the password of staff account NAME; every session of that account ends."""
    store = _store()
    if name not in {u.username for u in store.list_users()}:
        _no_such_user(name)
        return
    password = _read_password(password_stdin)
    try:
        store.set_password(name, password)
    except ValueError as exc:
        fail(str(exc))
        return
    except KeyError:
        _no_such_user(name)
        return
    click.echo(_("password of staff user %(name)r changed; every session of that account has ended") % {"name": name})


@users.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def users_remove(name: str, yes: bool) -> None:
    """Delete staff account NAME (its saved plans and runs stay); its sessions end."""
    if not yes:
        click.confirm(f"Remove staff user {name!r}?", abort=True)
    try:
        _store().remove_user(name)
    except KeyError:
        fail(_("users remove: no staff user %(name)r (see 'tourplan users list')") % {"name": name})
        return
    click.echo(_("removed staff user %(name)r") % {"name": name})


@users.command("list")
@handle_errors
def users_list() -> None:
    """List staff accounts: name and when each was created."""
    for u in _store().list_users():
        click.echo(f"{u.username}\t{local_time(u.created)}")


# --------------------------------------------------------------------------- API tokens


@users.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Print a new API bearer token for staff account NAME (stored hashed; shown once)."""
    from tourplan.tokens import issue_token

    try:
        rec, token = issue_token(_store(), name)
    except KeyError:
        fail(_("no staff account named %(name)r") % {"name": name})
        return
    click.echo(token)
    click.echo(
        _("token #%(id)s for %(name)s; send it as 'Authorization: Bearer <token>'") % {"id": rec.id, "name": rec.username},
        err=True,
    )


@users.command("revoke-token")
@click.argument("which")
def users_revoke_token(which: str) -> None:
    """Revoke every token of account WHICH, or the token with id (or prefix) WHICH."""
    from tourplan.tokens import revoke_tokens

    n = revoke_tokens(_store(), which)
    if n == 0:
        fail(_("no live token matches %(which)r") % {"which": which})
    click.echo(_("revoked %(n)d token(s)") % {"n": n})


@users.command("tokens")
def users_tokens() -> None:
    """List API tokens (id, account, first characters, created, last used, revoked)."""
    from tourplan.tokens import list_tokens

    for t in list_tokens(_store()):
        used = local_time(t.last_used) if t.last_used else _("never")
        state = _("revoked %(at)s") % {"at": local_time(t.revoked)} if t.revoked else _("live")
        click.echo(f"#{t.id}\t{t.username}\t{t.prefix}…\t{local_time(t.created)}\t{_('used %(at)s') % {'at': used}}\t{state}")
