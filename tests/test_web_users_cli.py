"""``tourplan users add|list``: staff accounts for the web app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from click.testing import CliRunner

from tourplan.cli import main
from tourplan.store import Store

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_users_add_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOURPLAN_INSTANCE_PATH", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(main, ["users", "add", "alice", "--password-stdin"], input="long-password\n")
    assert r.exit_code == 0, r.output
    assert "alice" in r.output
    r = runner.invoke(main, ["users", "add", "bob"], input="another-pass\nanother-pass\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["users", "list"])
    assert [line.split("\t")[0] for line in r.output.splitlines()] == ["alice", "bob"]
    store = Store(f"sqlite:///{tmp_path / 'tourplan.sqlite'}")
    assert store.check_login("alice", "long-password") is not None
    store.dispose()


def test_users_add_refuses_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOURPLAN_INSTANCE_PATH", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(main, ["users", "add", "alice", "--password-stdin"], input="short\n")
    assert r.exit_code == 2
    assert "at least 8 characters" in r.output
    runner.invoke(main, ["users", "add", "alice", "--password-stdin"], input="long-password\n")
    r = runner.invoke(main, ["users", "add", "alice", "--password-stdin"], input="long-password\n")
    assert r.exit_code == 2
    assert "already taken" in r.output
