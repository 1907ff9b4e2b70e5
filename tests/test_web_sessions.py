"""Staff sessions end on the server: logout, password change, removed account (:mod:`tourplan.web.sessions`)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import helpers
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from tourplan.cli import main
from tourplan.store import Store

if TYPE_CHECKING:
    from pathlib import Path

PASSWORD = helpers.STAFF_PASSWORD
make_app = functools.partial(helpers.make_app, user=("staff", PASSWORD))


def _logged_in(app: Any) -> Any:
    return helpers.login(app.test_client(), "staff", PASSWORD)


def _copy(app: Any, client: Any) -> Any:
    """Another browser holding a copy of ``client``'s session cookie (as an attacker would)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def _can_see_staff_pages(client: Any) -> bool:
    r = client.get("/staff/")
    assert r.status_code in (200, 302)
    return bool(r.status_code == 200)


def _logout(client: Any) -> None:
    assert client.post("/staff/logout").status_code == 303


def test_a_copied_cookie_dies_with_the_logout(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    browser = _logged_in(app)
    thief = _copy(app, browser)
    assert _can_see_staff_pages(thief)
    _logout(browser)
    assert not _can_see_staff_pages(browser)
    assert not _can_see_staff_pages(thief)
    r = thief.get("/api/v1/simulations/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code in (401, 404)
    assert thief.post("/api/v1/study-tours", json={}).status_code == 401
    # logging in again works, with a new session
    again = _logged_in(app)
    assert _can_see_staff_pages(again)
    assert not _can_see_staff_pages(thief)


def test_logout_ends_the_other_sessions_of_the_account(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    laptop, phone = _logged_in(app), _logged_in(app)
    _logout(phone)
    assert not _can_see_staff_pages(laptop)


def test_password_change_ends_every_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    browser = _logged_in(app)
    thief = _copy(app, browser)
    monkeypatch.setenv("TOURPLAN_INSTANCE_PATH", str(tmp_path))
    r = CliRunner().invoke(main, ["users", "passwd", "staff", "--password-stdin"], input="new-password-2\n")
    assert r.exit_code == 0, r.output
    assert "every session" in r.output
    assert not _can_see_staff_pages(browser)
    assert not _can_see_staff_pages(thief)
    r = app.test_client().post("/staff/login", data={"username": "staff", "password": PASSWORD})
    assert r.status_code == 401
    assert _can_see_staff_pages(helpers.login(app.test_client(), "staff", "new-password-2"))


def test_removing_an_account_ends_its_sessions_and_keeps_its_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path)
    browser = _logged_in(app)
    store: Store = app.extensions["tourplan.store"]
    owner = store.list_users()[0].id
    plan = store.save_study("kept", {}, {}, owner_id=owner)
    run = store.create_run({"date": "2026-05-12"}, owner_id=owner)
    monkeypatch.setenv("TOURPLAN_INSTANCE_PATH", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(main, ["users", "remove", "staff"], input="n\n")
    assert r.exit_code == 1 and store.list_users()  # declined: nothing removed
    r = runner.invoke(main, ["users", "remove", "staff", "--yes"])
    assert r.exit_code == 0, r.output
    assert store.list_users() == []
    assert not _can_see_staff_pages(browser)
    kept = store.get_study(plan.id)
    assert kept is not None and kept.owner_id is None
    assert store.get_run(run.id).owner_id is None  # type: ignore[union-attr]
    r = runner.invoke(main, ["users", "remove", "staff", "--yes"])
    assert r.exit_code == 2 and "no staff user 'staff'" in r.output


def test_users_passwd_refuses_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOURPLAN_INSTANCE_PATH", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(main, ["users", "passwd", "nobody", "--password-stdin"], input="long-password\n")
    assert r.exit_code == 2 and "no staff user 'nobody'" in r.output
    runner.invoke(main, ["users", "add", "alice", "--password-stdin"], input="long-password\n")
    r = runner.invoke(main, ["users", "passwd", "alice", "--password-stdin"], input="short\n")
    assert r.exit_code == 2 and "at least 8 characters" in r.output
    r = runner.invoke(main, ["users", "passwd", "alice"], input="other-password\nother-password\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["users", "list"])
    assert [line.split("\t")[0] for line in r.output.splitlines()] == ["alice"]


def test_a_session_id_without_epoch_is_refused(tmp_path: Path) -> None:
    """A cookie signed before epochs existed (``_user_id`` = the bare id) logs nobody in."""
    app = make_app(tmp_path)
    c = app.test_client()
    with c.session_transaction() as sess:
        uid = app.extensions["tourplan.store"].list_users()[0].id
        sess["_user_id"] = str(uid)
        sess["_fresh"] = True
    assert not _can_see_staff_pages(c)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database made by the first release: a ``users`` table without ``session_epoch``."""
    url = (
        f"sqlite:///{tmp_path / 'old.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = create_engine(url)
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as c:
        c.execute(
            text(
                f"CREATE TABLE users (id {serial} PRIMARY KEY, username VARCHAR(64) NOT NULL UNIQUE, "
                "password_hash VARCHAR(255) NOT NULL, created TIMESTAMP)"
            )
        )
        c.execute(
            text("INSERT INTO users (username, password_hash, created) VALUES (:u, :h, CURRENT_TIMESTAMP)"),
            {"u": "old", "h": generate_password_hash("old-password", method="scrypt")},
        )
    engine.dispose()
    return url


def test_an_existing_database_gets_the_epoch_column(old_db: str) -> None:
    store = Store(old_db)
    rec = store.check_login("old", "old-password")
    assert rec is not None and rec.session_epoch == 0
    assert store.end_sessions(rec.id) == 1
    assert store.get_user(rec.id).session_epoch == 1  # type: ignore[union-attr]
    store.dispose()
    again = Store(old_db)  # a second start finds the column and leaves it
    assert again.get_user(rec.id).session_epoch == 1  # type: ignore[union-attr]
    again.dispose()
