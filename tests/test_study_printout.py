"""The printable page, the map layers and the study-tour CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from planning import TUESDAY, make

from tourplan.cli import main
from tourplan.study import (
    plan_study_tour,
    render_print_html,
)


def test_print_html_escapes_the_school_name(bundled_sites, bundled_graph):
    req = make(school="<script>alert(1)</script>", students=40, buses=1)
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    page = render_print_html(plan)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "@media print" in page
    assert plan.groups[0].stops[0].name_zh in page


def test_print_html_states_the_share_of_the_best_possible(bundled_sites, bundled_graph):
    plan = plan_study_tour(make(students=120, buses=3), bundled_sites, bundled_graph)
    assert plan.value_share is not None
    page = render_print_html(plan)
    pct = f"{plan.value_share * 100:.0f}%"
    assert f"本方案达到这些团组最佳可能值的 {pct}" in page
    assert f"This plan reaches {pct} of the best possible for these groups" in page
    assert f"{plan.value_upper_bound:.1f}" in page
    assert ("true share is higher" in page) == (not plan.bound_exact)


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_json_text_and_html(runner, tmp_path):
    args = ["study-tour", "--school", "焦作一中", "--grade", "junior", "--students", "80", "--group-size", "40",
            "--buses", "2", "--seats", "53", "--date", TUESDAY, "--themes", "science,history"]  # fmt: skip
    r = runner.invoke(main, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [g["students"] for g in data["groups"]] == [40, 40]
    assert {g["bus"] for g in data["groups"]} == {"B1", "B2"}
    stop = data["groups"][0]["stops"][0]
    assert dt.datetime.strptime(stop["start"], "%H:%M")
    assert {"buses", "sites", "staff", "warnings"} <= set(data)
    page = tmp_path / "plan.html"
    r = runner.invoke(main, ["--lang", "en", *args, "--format", "text", "--html", str(page)])
    assert r.exit_code == 0, r.output
    assert "Bus B1" in r.stdout
    assert "焦作一中" in page.read_text(encoding="utf-8")


def test_cli_infeasible_is_one_line(runner):
    r = runner.invoke(
        main,
        ["--lang", "en", "study-tour", "--school", "X", "--grade", "junior", "--students", "240", "--group-size",
         "40", "--buses", "5", "--seats", "53", "--date", TUESDAY, "--themes", "science,history", "--format", "json"],
    )  # fmt: skip
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Not enough bus seats: 6 groups need 6 buses of 53 seats" in r.stderr
