"""The command line."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tourplan.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_validate_good_file(runner, small_pois):
    r = runner.invoke(main, ["validate", str(small_pois)])
    assert r.exit_code == 0, r.output
    assert "8 sites" in r.output
    assert "OK" in r.output


def test_validate_bad_latitude_in_row_7(runner, small_pois, tmp_path):
    with small_pois.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    lat = rows[0].index("lat")
    rows[7][lat] = "135.9"  # data row 7 (line 8)
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    r = runner.invoke(main, ["validate", str(bad)])
    assert r.exit_code == 1
    assert "row 7, column 'lat'" in r.stderr
    assert "Traceback" not in r.output + r.stderr


def test_validate_missing_file_is_one_line(runner):
    r = runner.invoke(main, ["validate", "/no/such/file.csv"])
    assert r.exit_code != 0
    assert "Traceback" not in r.stderr
    assert "a readable file" in r.stderr


def test_sites_filter_and_formats(runner, small_pois):
    r = runner.invoke(main, ["sites", "--data", str(small_pois), "--category", "park"])
    assert r.exit_code == 0, r.output
    assert "longyuan_lake_park" in r.output
    assert "chenjiagou" not in r.output
    r = runner.invoke(
        main, ["sites", "--data", str(small_pois), "--theme", "taiji", "--format", "json"]
    )
    data = json.loads(r.output)
    assert [d["id"] for d in data] == ["chenjiagou"]
    r = runner.invoke(main, ["sites", "--data", str(small_pois), "--format", "csv"])
    assert r.output.splitlines()[0].startswith("id,")


def test_sites_with_bad_data_exits_nonzero(runner, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("id,name\n1,2\n", encoding="utf-8")
    r = runner.invoke(main, ["sites", "--data", str(f)])
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("tourplan: error:")


def test_import_osm_writes_a_valid_table(runner, small_pois, data_dir, tmp_path):
    out = tmp_path / "merged.csv"
    r = runner.invoke(
        main, ["import-osm", str(data_dir / "tiny.osm"), "--data", str(small_pois), "-o", str(out)]
    )
    assert r.exit_code == 0, r.output + r.stderr
    assert "4 OSM features" in r.output
    r2 = runner.invoke(main, ["validate", str(out)])
    assert r2.exit_code == 0, r2.stderr


def test_import_osm_bad_bbox(runner, data_dir):
    r = runner.invoke(main, ["import-osm", str(data_dir / "tiny.osm"), "--bbox", "1,2,3"])
    assert r.exit_code == 2
    assert "--bbox" in r.stderr


def test_console_script_runs():
    r = subprocess.run(
        [sys.executable, "-m", "tourplan.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0
    assert "tourplan" in r.stdout


def test_data_warnings_are_one_line_each(small_pois, tmp_path):
    """A command that loads a table with a suspicious point says so in one line, not Python's warning dump."""
    import io

    from tourplan.coords import wgs84_to_gcj02

    rows = list(csv.DictReader(io.StringIO(small_pois.read_text(encoding="utf-8"))))
    lat, lon = wgs84_to_gcj02(float(rows[0]["lat"]), float(rows[0]["lon"]))
    rows.append(dict(rows[0], id="station_from_gaode", lat=f"{lat:.5f}", lon=f"{lon:.5f}"))
    f = tmp_path / "gcj.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out = subprocess.run(
        [sys.executable, "-m", "tourplan.cli", "sites", "--data", str(f), "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert lines, "expected a warning about station_from_gaode"
    assert all(x.startswith("tourplan: warning: ") for x in lines), lines
    assert "station_from_gaode" in out.stderr and "Warning:" not in out.stderr and ".py:" not in out.stderr


def test_cli_simulate_json_csv_plot(runner, tmp_path):
    out = runner.invoke(
        main,
        [
            "simulate",
            "--date",
            "2026-10-03",
            "--visitors",
            "2000",
            "--seed",
            "3",
            "--format",
            "json",
            "--csv",
            str(tmp_path / "csv"),
            "--plot",
            str(tmp_path / "flow.png"),
        ],  # fmt: skip
    )
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["slot_minutes"] == 15
    assert d["visitors"] == 2000
    assert d["finished"] <= 2000
    assert all({"occupancy", "queue", "capacity_instant"} <= set(v) for v in d["sites"].values())
    assert (tmp_path / "csv" / "slots.csv").read_text().startswith("site,slot_start,arrivals,occupancy")
    assert (tmp_path / "csv" / "daily.csv").exists()
    assert (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_simulate_bad_date(runner):
    out = runner.invoke(main, ["simulate", "--date", "2026-02-30"])
    assert out.exit_code == 2
    assert "date" in out.output


# The target: on 3 Oct 2027 with 100,000 visitors, timed entry keeps every site within its C0,
# every visitor is accounted for, and the same command without it shows the episodes it removed.
PEAK_DAY = ["simulate", "--date", "2027-10-03", "--visitors", "100000", "--seed", "3", "--format", "json"]


def test_cli_simulate_timed_entry_on_a_peak_day(runner):
    out = runner.invoke(main, [*PEAK_DAY, "--timed-entry", "--compare"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["measures"]["active"] and d["measures"]["quota_sites"] > 40
    assert d["finished"] + d["inside_at_end"] + d["turned_away"] == d["visitors"] == 100_000
    for sid, row in d["sites"].items():
        c0 = row["capacity_instant"]
        if c0 > 0:
            assert max(row["load"]) <= c0, sid
            assert max(row["pct"]) <= 100, sid
    assert all(e["level"] != "red" and e["peak_pct"] <= 100 for e in d["episodes"])
    # Parent areas are gated as a whole too (陈家沟's parts hold more than the village's C0 of 1,200).
    assert all(max(a["load"]) <= a["capacity_instant"] for a in d["areas"].values())
    assert not [e for e in d["area_episodes"] if e["level"] == "red"]
    plain = runner.invoke(main, PEAK_DAY)
    assert plain.exit_code == 0, plain.output
    p = json.loads(plain.output)
    assert p["measures"]["active"] is False and p["finished"] + p["inside_at_end"] == 100_000
    red = [e for e in p["episodes"] if e["level"] == "red"]
    assert red and max(e["peak_pct"] for e in red) > 100
    assert max(p["areas"]["chenjiagou"]["pct"]) > 100
    # The comparison's planned side is exactly this run; each red episode is gone with timed entry.
    c = d["comparison"]
    assert [{k: e[k] for k in p["episodes"][0]} for e in c["episodes"]] == p["episodes"]
    assert c["planned"]["episodes"]["red"] == len(red) and c["measured"]["episodes"]["red"] == 0
    assert all(e["removed"] and e["after_pct"] <= 100 for e in c["episodes"] if e["level"] == "red")
    assert c["measured"]["max_queue"] == 0 < c["planned"]["max_queue"]


@pytest.mark.parametrize("option", ["--quota", "--daily-cap"])
def test_cli_simulate_bad_site_numbers(runner, option):
    out = runner.invoke(main, ["simulate", "--date", "2026-10-03", option, "jiaozuo_museum:40"])
    assert out.exit_code == 2
    assert option in out.output and "SITE=N" in out.output
    out = runner.invoke(main, ["simulate", "--date", "2026-10-03", "--visitors", "10", option, "atlantis=4"])
    assert out.exit_code != 0 and "atlantis" in out.output


# The command line's language: --lang, TOURPLAN_LANG, the locale.

_PLAN = ["plan", "--interests", "mountain=1,history=0.5", "--date", "2027-10-03", "--start", "jiaozuo_station"]
_STUDY = ["study-tour", "--school", "焦作一中", "--grade", "junior", "--students", "80", "--group-size", "40",
          "--buses", "2", "--seats", "53", "--date", "2027-05-11"]  # fmt: skip
#: The English words of the text formats, which a Chinese run must not print.
_ENGLISH_LABELS = ("Day ", "leave ", "back at", "Score ", "Warning", " min,", "Bus ", "Staff", "Costs", "students")


def _text(runner, args, env=None):
    r = runner.invoke(main, args, env=env)
    assert r.exit_code == 0, r.output + r.stderr
    return r.stdout


def test_plan_text_in_chinese_and_english(runner):
    zh = _text(runner, ["--lang", "zh", *_PLAN])
    en = _text(runner, ["--lang", "en", *_PLAN])
    assert "第1天" in zh and "出发" in zh and "回到" in zh and "得分" in zh
    assert [w for w in _ENGLISH_LABELS if w in zh] == []
    assert "Day 1" in en and "leave " in en and "back at" in en
    # Golden Week: the crowd forecast and the peak-day warning, in the run's language
    assert "预计客流" in zh and "黄金周" in zh
    assert "Expected crowd" in en or "expected crowd" in en
    assert "Golden Week" in en
    # each stop's activity in the run's language: the Chinese text has no English sentence of the sites' phrases
    data = json.loads(_text(runner, [*_PLAN, "--format", "json"]))
    for stop in data["days"][0]["stops"]:
        activity = stop["activity"]
        assert activity["zh"] and activity["en"]
        assert activity["zh"] in zh
        assert activity["en"] in en and activity["en"] not in zh


def test_plan_text_suggests_avoiding_crowds_when_stops_are_full(runner):
    """A plan that only shows the crowd and has crowded or full stops names how many and the option to steer."""
    weekend = ["plan", "--date", "2026-12-06", "--start", "jiaozuo_station"]
    zh = _text(runner, ["--lang", "zh", *weekend, "--no-avoid-crowds"])
    crowded = len(re.findall(r"预计客流：(?:拥挤|满员)（", zh))  # orange and red stops ("较拥挤" is yellow)
    assert crowded > 0  # (this December Sunday's highlights plan meets full sites around Yuntai)
    assert f"提示：{crowded} 个景点在到达时预计拥挤或满员；加 --avoid-crowds 重新规划" in zh
    en = _text(runner, ["--lang", "en", *weekend, "--no-avoid-crowds"])
    n = len(re.findall(r"expected crowd: (?:crowded|full) \(", en, re.I))
    assert re.search(rf"Tip: {n} stops? (?:is|are) expected to be crowded or full.*--avoid-crowds", en)
    steered = _text(runner, ["--lang", "zh", *weekend, "--avoid-crowds"])
    assert "--avoid-crowds" not in steered  # already steered: nothing to suggest


def test_study_tour_text_in_chinese(runner):
    zh = _text(runner, ["--lang", "zh", *_STUDY])
    en = _text(runner, ["--lang", "en", *_STUDY])
    assert "车辆 B1" in zh and "工作人员" in zh and "费用" in zh and "带队教师" in zh
    assert [w for w in _ENGLISH_LABELS if w in zh] == []
    assert "Bus B1" in en and "Accompanying teachers" in en and "带队教师" not in en


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"TOURPLAN_LANG": "zh", "LC_ALL": "C"}, "zh"), ({"LC_ALL": "zh_CN.UTF-8", "TOURPLAN_LANG": None}, "zh"),
     ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8", "TOURPLAN_LANG": None}, "en")],
)  # fmt: skip
def test_language_from_the_environment(runner, env, expected):
    out = _text(runner, _PLAN, env=env)
    assert ("第1天" in out) == (expected == "zh")
    assert ("Day 1" in out) == (expected == "en")


def test_errors_in_the_run_language(runner):
    args = ["plan", "--date", "2027-05-12", "--start", "不存在的地方"]
    zh = runner.invoke(main, ["--lang", "zh", *args])
    en = runner.invoke(main, ["--lang", "en", *args])
    assert zh.exit_code == en.exit_code == 2
    assert zh.stderr.startswith("tourplan: error: ") and "不存在的地方" in zh.stderr
    assert "找不到" in zh.stderr and "Traceback" not in zh.stderr
    assert "找不到" not in en.stderr and "不存在的地方" in en.stderr


def test_simulation_text_in_chinese(runner):
    args = ["simulate", "--date", "2027-10-03", "--visitors", "5000", "--seed", "1", "--timed-entry", "--compare"]
    zh = _text(runner, ["--lang", "zh", *args])
    en = _text(runner, ["--lang", "en", *args])
    assert "黄金周" in zh and "游客 5,000 人" in zh and "措施缓解的预警段" in zh and "按原计划" in zh
    for words in ("visitors", "finished", "peak ", "episodes", "measures", "queue", "as planned", "turned away"):
        assert words not in zh, words
    assert "5,000 visitors" in en and "as planned" in en and "with measures" in en
    # sites by name in the run's language, not by id
    assert "jiaozuo" not in zh.lower()


def test_every_command_line_label_is_in_the_chinese_catalog():
    """The labels the CLI passes to gettext are all translated (the catalog is the web app's)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from tourplan.cli.lang import _CATALOGS

    root = _CATALOGS.parent.parent / "cli"
    labels = {msg for _file, _line, msg, _comments, _context in extract_from_dir(str(root)) if isinstance(msg, str)}
    assert len(labels) > 30  # the plan, study-tour and simulate texts
    with open(_CATALOGS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="zh")
    missing = sorted(m for m in labels if catalog.get(m) is None or not catalog[m].string)
    assert missing == []


def test_site_edit_history_in_china_standard_time(runner, tmp_path):
    """``sites edit`` then ``sites history`` on a fresh store: the change is listed with its time in UTC+8."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    env = {"TOURPLAN_INSTANCE_PATH": str(tmp_path / "instance")}
    edit = ["sites", "edit", "jiaozuo_station", "--set", "note=Gate moved", "--source", "site visit",
            "--confidence", "high", "--reason", "the gate", "--user", "wang"]  # fmt: skip
    r = runner.invoke(main, edit, env=env)
    assert r.exit_code == 0, r.output + r.stderr
    before = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    out = _text(runner, ["sites", "history", "jiaozuo_station"], env=env)
    line = next(x for x in out.splitlines() if "the gate" in x)
    assert "(China Standard Time) edit by wang (the gate)" in line
    stamp = dt.datetime.strptime(line.split()[1] + " " + line.split()[2], "%Y-%m-%d %H:%M")
    assert abs(stamp.replace(tzinfo=ZoneInfo("Asia/Shanghai")) - before) < dt.timedelta(minutes=5)
    zh = _text(runner, ["--lang", "zh", "sites", "history", "jiaozuo_station"], env=env)
    assert "（北京时间）wang 修改（the gate）" in zh


@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_plan_totals_name_walking_only_when_the_plan_walks(runner, mode):
    args = ["plan", "--date", "2027-05-12", "--interests", "mountain=1", "--mode", mode]
    walk_km = json.loads(_text(runner, [*args, "--format", "json"]))["totals"]["walk_km"]
    zh = _text(runner, ["--lang", "zh", *args])
    en = _text(runner, ["--lang", "en", *args])
    totals_zh = next(line for line in zh.splitlines() if line.startswith("得分"))
    assert ("步行" in totals_zh) is (round(walk_km, 1) > 0)
    totals_en = next(line for line in en.splitlines() if line.startswith("Score "))
    assert ("on foot" in totals_en) is (round(walk_km, 1) > 0)
    assert (mode == "walk") is (walk_km > 0)  # both cases are met


def test_optw_solves_a_benchmark_file_on_two_threads(runner):
    from pathlib import Path

    from tourplan.optimize import check_solution, read_optw

    grid = Path(__file__).parent / "data" / "optw" / "grid30.txt"
    _, problem = read_optw(grid, routes=2)
    res = runner.invoke(main, ["optw", str(grid), "-m", "2", "--time-limit", "0.2", "--threads", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert check_solution(problem, out["routes"]) == []
    assert out["score"] == sum(problem.scores[i] for r in out["routes"] for i in r) > 0
    bad = runner.invoke(main, ["optw", str(grid), "--threads", "0"])
    assert bad.exit_code == 2 and "--threads" in bad.output
