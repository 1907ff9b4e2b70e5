"""The SQLAlchemy store: users, saved plans, simulation runs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text

from tourplan.store import Store, new_id


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """An empty database: a SQLite file, and a database on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):  # type: ignore[no-untyped-def]
    s = Store(db_url)
    yield s
    s.dispose()


def test_new_id_is_unguessable_and_url_safe() -> None:
    ids = {new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_\-]{22}", i) for i in ids)


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with store.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
    store.dispose()


def test_users_hash_and_check(store: Store) -> None:
    u = store.add_user("alice", "correct horse")
    assert store.check_login("alice", "correct horse") == u
    assert store.check_login("alice", "wrong password") is None
    assert store.check_login("nobody", "correct horse") is None
    assert store.get_user(u.id) == u
    assert [x.username for x in store.list_users()] == ["alice"]
    with store.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM users")).scalar()
    assert stored.startswith("scrypt:")
    assert "correct horse" not in stored
    store.set_password("alice", "battery staple")
    changed = store.check_login("alice", "battery staple")
    assert changed is not None and (changed.id, changed.username) == (u.id, u.username)
    assert changed.session_epoch == u.session_epoch + 1  # the change ends every session
    with pytest.raises(KeyError):
        store.set_password("bob", "long enough")


@pytest.mark.parametrize(
    ("name", "password", "match"),
    [("", "long enough", "username"), ("a b", "long enough", "username"), ("bob", "short", "password")],
)
def test_bad_users_are_refused(store: Store, name: str, password: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        store.add_user(name, password)


def test_duplicate_user(store: Store) -> None:
    store.add_user("alice", "long enough")
    with pytest.raises(ValueError, match="already taken"):
        store.add_user("alice", "long enough 2")


def test_itineraries_survive_a_restart(db_url: str) -> None:
    url = db_url
    a = Store(url)
    rec = a.save_itinerary({"date": "2025-05-10"}, {"days": [{"stops": []}], "totals": {"stops": 0}})
    a.dispose()
    b = Store(url)
    got = b.get_itinerary(rec.id)
    assert got is not None
    assert got.result == rec.result
    assert got.request == {"date": "2025-05-10"}
    assert got.created.tzinfo is not None
    assert b.get_itinerary("nope") is None
    assert b.count_itineraries() == 1
    b.dispose()


def test_study_plans_are_editable(store: Store) -> None:
    u = store.add_user("alice", "long enough")
    rec = store.save_study("Spring", {"groups": 6}, {"groups": []}, owner_id=u.id)
    upd = store.update_study(rec.id, name="Spring 2", request={"groups": 4}, result={"groups": [1]})
    assert upd.name == "Spring 2"
    assert upd.updated >= rec.updated
    assert store.get_study(rec.id) == upd
    assert [s.id for s in store.list_studies()] == [rec.id]
    with pytest.raises(KeyError):
        store.update_study("missing", name="x", request={}, result={})


def test_runs_progress_and_status(store: Store) -> None:
    run = store.create_run({"date": "2025-05-10"}, owner_id=None)
    assert (run.status, run.progress, run.result) == ("queued", 0.0, None)
    store.update_run(run.id, status="running", progress=1.7)
    assert store.get_run(run.id).progress == 1.0  # type: ignore[union-attr]
    store.update_run(run.id, status="done", result={"sites": {}})
    got = store.get_run(run.id)
    assert got is not None
    assert (got.status, got.result) == ("done", {"sites": {}})
    with pytest.raises(ValueError, match="status"):
        store.update_run(run.id, status="exploded")
    with pytest.raises(KeyError):
        store.update_run("missing", progress=0.5)
    assert [r.id for r in store.list_runs()] == [run.id]


def test_runs_are_published_and_withdrawn(store: Store) -> None:
    run = store.create_run({"date": "2025-05-10"}, owner_id=None)
    assert run.published is False
    shown = store.publish_run(run.id)
    assert shown.published is True
    assert shown.updated == run.updated  # publishing is no progress report
    assert store.get_run(run.id) == shown
    assert store.publish_run(run.id, published=False).published is False
    with pytest.raises(KeyError, match="missing"):
        store.publish_run("missing")
    assert store.get_run("missing") is None
    assert store.get_study("missing") is None

def test_stale_runs_are_failed(store: Store) -> None:
    old = store.create_run({}, owner_id=None)
    store.update_run(old.id, status="running")
    assert store.fail_stale_runs("stopped", older_than=dt.timedelta(hours=1)) == 0
    assert store.fail_stale_runs("stopped", older_than=dt.timedelta(0)) == 1
    got = store.get_run(old.id)
    assert got is not None
    assert (got.status, got.error) == ("failed", "stopped")
