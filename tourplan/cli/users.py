"""``tourplan users``: staff accounts of the web app and their API tokens."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypeVar

import click

from tourplan.cli._common import fail, handle_errors, web_extension

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


@click.group("users")
def users() -> None:
    """Staff accounts of the web app (same configuration as ``tourplan serve``)."""


def _password_option(func: F) -> F:
    return click.option(
        "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
    )(func)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _no_such_user(name: str) -> None:
    fail(f"users passwd: no staff user {name!r} (see 'tourplan users list')")


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
    click.echo(f"added staff user {rec.username!r}")


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
    click.echo(f"password of staff user {name!r} changed; every session of that account has ended")


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
        fail(f"users remove: no staff user {name!r} (see 'tourplan users list')")
        return
    click.echo(f"removed staff user {name!r}")


@users.command("list")
@handle_errors
def users_list() -> None:
    """List staff accounts: name and when each was created."""
    for u in _store().list_users():
        click.echo(f"{u.username}\t{u.created:%Y-%m-%d %H:%M} UTC")


# --------------------------------------------------------------------------- API tokens


@users.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Print a new API bearer token for staff account NAME (stored hashed; shown once)."""
    from tourplan.tokens import issue_token

    try:
        rec, token = issue_token(_store(), name)
    except KeyError:
        fail(f"no staff account named {name!r}")
        return
    click.echo(token)
    click.echo(f"token #{rec.id} for {rec.username}; send it as 'Authorization: Bearer <token>'", err=True)


@users.command("revoke-token")
@click.argument("which")
def users_revoke_token(which: str) -> None:
    """Revoke every token of account WHICH, or the token with id (or prefix) WHICH."""
    from tourplan.tokens import revoke_tokens

    n = revoke_tokens(_store(), which)
    if n == 0:
        fail(f"no live token matches {which!r}")
    click.echo(f"revoked {n} token{'s' if n != 1 else ''}")


@users.command("tokens")
def users_tokens() -> None:
    """List API tokens (id, account, first characters, created, last used, revoked)."""
    from tourplan.tokens import list_tokens

    for t in list_tokens(_store()):
        used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never"
        state = f"revoked {t.revoked:%Y-%m-%d %H:%M}" if t.revoked else "live"
        click.echo(
            f"#{t.id}\t{t.username}\t{t.prefix}…\t{t.created:%Y-%m-%d %H:%M} UTC\tused {used}\t{state}"
        )
