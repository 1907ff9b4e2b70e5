"""The command line's help and click's usage errors in the run's language."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from tourplan.cli import main
from tourplan.cli._help import CLICK_PLURALS, CLICK_WORDS, help_texts
from tourplan.cli.lang import _CATALOGS

_CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    with open(_CATALOGS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale="zh")


def _english_help(name: str) -> list[str]:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    return help_texts(command)


def test_every_help_text_and_click_word_is_translated(catalog) -> None:  # type: ignore[no-untyped-def]
    texts = help_texts(main)
    assert len(texts) > 90  # every command's docstring and option help
    missing = [t for t in (*texts, *CLICK_WORDS) if catalog.get(t) is None or not catalog[t].string]
    assert missing == []
    for singular, plural in CLICK_PLURALS:
        entry = catalog.get(singular)
        assert entry is not None and entry.id == (singular, plural) and entry.string[0], singular
        # click formats the one Chinese form with the singular's and the plural's fields alike
        fields = set(re.findall(r"\{(\w+)", singular + plural))
        assert set(re.findall(r"\{(\w+)", entry.string[0])) <= fields


@pytest.mark.parametrize(
    ("args", "env", "command"),
    [(["--lang", "zh", "plan", "--help"], {"TOURPLAN_LANG": "en"}, "plan"),
     (["study-tour", "--help"], {"TOURPLAN_LANG": "zh"}, "study-tour"),
     (["sites", "edit", "--help"], {"TOURPLAN_LANG": "zh"}, "sites")],
)  # fmt: skip
def test_help_in_chinese(args: list[str], env: dict[str, str], command: str) -> None:
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("用法:") and "\n选项:\n" in out and "显示此帮助并退出。" in out
    english = [t for t in _english_help(command) if t.split("\n")[0] in out]
    assert english == []
    assert "Usage:" not in out and "Options:" not in out and "Show this message" not in out
    described = [
        line.split("  ")[-1] for line in out.splitlines() if line.startswith("  ") and "   " in line.strip()
    ]
    assert described and [d for d in described if not (_CJK.search(d) or d.startswith("["))] == []


def test_help_in_english_is_unchanged() -> None:
    runner = CliRunner()
    runner.invoke(main, ["--lang", "zh", "plan", "--help"])  # a Chinese run first, in the same process
    r = runner.invoke(main, ["plan", "--help"], env={"TOURPLAN_LANG": "en"})
    assert r.exit_code == 0
    assert r.stdout.startswith("Usage:") and "\nOptions:\n" in r.stdout
    assert "Plan a visitor itinerary (one to four days)." in r.stdout
    assert "Show this message and exit." in r.stdout and not _CJK.search(r.stdout.replace("中文", ""))
    root = runner.invoke(main, ["--help"], env={"TOURPLAN_LANG": "en"}).stdout
    assert "Commands:" in root and "Plan a visitor itinerary" in root


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [(["plan", "--bogus"], "错误：没有选项 '--bogus'。", "Error: No such option '--bogus'."),
     (["plan", "--days", "9"], "错误：'--days' 的值无效：9 不在范围 1<=x<=4 内。",
      "Error: Invalid value for '--days': 9 is not in the range 1<=x<=4."),
     (["plan", "--pace", "fast"], "'fast' 不是可选的值，可选：'relaxed', 'normal', 'active'。",
      "'fast' is not one of 'relaxed', 'normal', 'active'."),
     (["study-tour"], "错误：缺少选项 '--school'", "Error: Missing option '--school'")],
)  # fmt: skip
def test_usage_errors_in_the_run_language(args: list[str], zh: str, en: str) -> None:
    runner = CliRunner()
    r_zh = runner.invoke(main, ["--lang", "zh", *args])
    r_en = runner.invoke(main, args, env={"TOURPLAN_LANG": "en"})
    assert r_zh.exit_code == r_en.exit_code == 2
    assert zh in r_zh.stderr and "用法:" in r_zh.stderr and "查看帮助" in r_zh.stderr
    assert "Error" not in r_zh.stderr and "Usage" not in r_zh.stderr
    assert en in r_en.stderr


def test_the_language_is_put_back_after_a_run() -> None:
    import gettext
    import os

    before = (os.environ.get("LANGUAGE"), gettext.bindtextdomain(gettext.textdomain()))
    CliRunner().invoke(main, ["--lang", "zh", "plan", "--bogus"])
    assert (os.environ.get("LANGUAGE"), gettext.bindtextdomain(gettext.textdomain())) == before


def test_a_chinese_environment_as_a_program() -> None:
    """``python -m tourplan.cli`` with TOURPLAN_LANG=zh: help and a usage error in Chinese."""
    env = {"TOURPLAN_LANG": "zh", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "tourplan.cli", "validate", "--nope"], capture_output=True,
                       text=True, env=env, check=False)  # fmt: skip
    assert r.returncode == 2 and "错误：没有选项 '--nope'。" in r.stderr


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the tree, nested groups' commands included."""
    ctx = click.Context(group)
    paths: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
    return paths


def test_every_commands_help_is_chinese_and_fits_the_terminal() -> None:
    """Each command's help in Chinese, wrapped by display width: no line runs past an 80-column terminal."""
    from tourplan.cli._width import display_width

    paths = _command_paths(main)
    assert ("users", "add") in paths and ("sites", "edit") in paths
    for path in paths:
        r = CliRunner().invoke(main, ["--lang", "zh", *path, "--help"], env={"COLUMNS": "80"})
        assert r.exit_code == 0, (path, r.output)
        lines = r.stdout.splitlines()
        summary = lines[2]  # the command's first help line, after the usage line and a blank one
        assert _CJK.search(summary), (path, summary)
        too_wide = [line for line in lines if display_width(line) > 80]
        assert too_wide == [], (path, too_wide)
