"""The site data's problems in Chinese and English: the codes, the staff data page, the site API, ``validate``."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import TYPE_CHECKING, Any

import helpers
import pytest
from click.testing import CliRunner

from tourplan.cli import main
from tourplan.data import load_edges, load_sites, parse_sites
from tourplan.errors import DataValidationError, Issue
from tourplan.messages import MESSAGES, Message
from tourplan.resources import default_pois_path
from tourplan.tokens import issue_token

if TYPE_CHECKING:
    from pathlib import Path

#: The message codes of data problems: where a problem is, each file, row and cell check, a site edit's fields.
DATA_CODES = sorted(c for c in MESSAGES if c.startswith(("issue_", "data_", "edit_")))
_CJK = re.compile(r"[\u3400-\u9fff]")
#: English words of the problems' wording; a Chinese rendering has none of them.
_ENGLISH = re.compile(
    r"\b(row|column|got|expected|problems?|number|one of|at least|at most|a name|the id|another|"
    r"unique|readable|header|latitude|empty|text|site)\b"
)


def _rows() -> tuple[list[str], list[dict[str, str]]]:
    with default_pois_path().open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or ()), list(reader)


def _csv(fields: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def bad_table() -> bytes:
    """The bundled table with a bad number, a bad category and an alias that names another row."""
    fields, rows = _rows()
    rows[2]["lat"] = "95"
    rows[3]["category"] = "zoo"
    rows[4]["visit_minutes"] = "long"
    rows[5]["aliases"] = rows[6]["name_zh"]
    return _csv(fields, rows)


def _problems(raw: bytes, name: str = "pois.csv") -> list[Issue]:
    with pytest.raises(DataValidationError) as info:
        parse_sites(raw, name=name)
    return info.value.problems


@pytest.mark.parametrize("code", DATA_CODES)
def test_every_data_problem_code_has_both_languages(code: str) -> None:
    zh, en = MESSAGES[code]
    assert zh and en
    words = re.sub(r"\{[^}]*\}", "", zh)
    assert _CJK.search(words) or not words.strip(" ()（）：；，"), zh  # only placeholders, else Chinese words
    assert set(re.findall(r"\{(\w+)", zh)) == set(re.findall(r"\{(\w+)", en))
    assert not _ENGLISH.search(words), zh


def test_the_problems_of_a_table_in_both_languages(bad_table: bytes) -> None:
    problems = _problems(bad_table)
    by_column = {p.column: p for p in problems}
    assert {"lat", "category", "visit_minutes", "aliases"} <= set(by_column)
    lat = by_column["lat"]
    assert lat.text("zh") == "pois.csv，第 3 行，列 'lat'：值为 '95'；应为：-90 到 90 之间的数字（WGS-84 度）"
    assert (
        str(lat)
        == lat.text("en")
        == ("pois.csv, row 3, column 'lat': got '95'; expected a number from -90 to 90 (WGS-84 degrees)")
    )
    assert by_column["category"].expected_text("zh").startswith("transport、mountain、")
    assert "第 7 行" in by_column["aliases"].expected_text("zh")
    for p in problems:
        assert p.message is not None and p.expected == p.message.render("en")
        assert not _ENGLISH.search(p.text("zh")), p.text("zh")
    exc = DataValidationError(problems)
    assert str(exc).startswith(f"{len(problems)} problems in site data: pois.csv, row 3")
    assert exc.text("zh").startswith(f"景点数据中有 {len(problems)} 个问题：pois.csv，第 3 行")


def test_missing_column_and_unreadable_bytes(tmp_path: Path) -> None:
    fields, rows = _rows()
    (missing,) = _problems(_csv([f for f in fields if f != "source"], rows))
    assert (missing.row, missing.column) == (None, "source")
    assert missing.text("zh") == "pois.csv，列 'source'；应为：表头中有这一列（现在缺少）"
    (utf8,) = _problems(b"id,name\n\xff\n")
    assert utf8.value == "byte 0xff at offset 8" and utf8.value_text("zh") == "偏移 8 处的字节 0xff"


def test_validate_prints_every_problem_in_the_run_language(bad_table: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(bad_table)
    problems = _problems(bad_table, str(bad))
    runner = CliRunner()
    zh = runner.invoke(main, ["--lang", "zh", "validate", str(bad)])
    en = runner.invoke(main, ["--lang", "en", "validate", str(bad)])
    assert zh.exit_code == en.exit_code == 1
    assert zh.stderr.splitlines()[:-1] == [p.text("zh") for p in problems]
    assert en.stderr.splitlines()[:-1] == [str(p) for p in problems]
    assert "第 3 行，列 'lat'" in zh.stderr and "未载入任何数据" in zh.stderr
    assert not _ENGLISH.search(zh.stderr.replace(str(bad), "")), zh.stderr


def test_validate_a_bad_edge_row_in_chinese(tmp_path: Path) -> None:
    edges = tmp_path / "edges.csv"
    edges.write_text(
        "from_id,to_id,mode,minutes,distance_km,ascent_m,descent_m,bidirectional,kind,source,note\n"
        "jiaozuo_station,atlantis,boat,5,2,,,true,road,survey,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_edges(edges, load_sites())
    assert {p.column for p in info.value.problems} == {"to_id", "mode"}
    r = CliRunner().invoke(
        main, ["--lang", "zh", "validate", str(default_pois_path()), "--edges", str(edges)]
    )
    assert r.exit_code == 1
    assert "第 1 行，列 'to_id'：值为 'atlantis'；应为：景点表中某个景点的 id" in r.stderr
    assert "第 1 行，列 'mode'：值为 'boat'；应为：" in r.stderr
    assert not _ENGLISH.search(r.stderr.replace(str(edges), "")), r.stderr


def test_a_missing_file_in_chinese() -> None:
    r = CliRunner().invoke(main, ["--lang", "zh", "validate", "/no/such/file.csv"])
    assert r.exit_code == 1
    assert "/no/such/file.csv；应为：可以读取的文件" in r.stderr


def _problem_cells(page: str) -> list[list[str]]:
    table = page.split('<table class="problems', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_data_page_shows_problems_in_the_page_language(
    tmp_path: Path, bad_table: bytes, lang: str
) -> None:
    app = helpers.make_app(tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD))
    c = helpers.login(app.test_client())
    r = c.post(f"/staff/data?lang={lang}", data={"file": (io.BytesIO(bad_table), "pois.csv")},
               content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 400
    cells = _problem_cells(r.get_data(as_text=True))
    problems = _problems(bad_table)
    assert cells == [
        [p.file, str(p.row), p.column or "–", p.value_text(lang) or "", p.expected_text(lang)]
        for p in problems
    ]
    if lang == "zh":
        assert not [c[4] for c in cells if _ENGLISH.search(c[4])]


def test_site_edit_api_errors_carry_both_languages(tmp_path: Path) -> None:
    app = helpers.make_app(tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD))
    _rec, token = issue_token(app.extensions["tourplan.store"], helpers.STAFF_USER)
    c = app.test_client()
    site = "jiaying_temple"
    v = c.get(f"/api/v1/sites/{site}").get_json()["version"]
    r = c.patch(f"/api/v1/sites/{site}", json={"lat": 95, "lon": 113.2, "category": "zoo", "confidence": "sure"},
                headers={"If-Match": str(v), "Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 422
    body: dict[str, Any] = r.get_json()
    assert set(body["messages"]) == set(body["errors"]) == {"lat", "category", "confidence", "source"}
    for field, said in body["messages"].items():
        assert said["en"] == body["errors"][field]
        assert Message.from_dict(said).render("zh") == said["zh"]
        assert not _ENGLISH.search(said["zh"]), said["zh"]
    assert body["messages"]["lat"]["zh"] == "应为：-90 到 90 之间的数字（WGS-84 度），实际为 '95'"
    assert body["errors"]["lat"] == "expected a number from -90 to 90 (WGS-84 degrees), got '95'"
    assert body["messages"]["confidence"]["zh"] == "应为：high、medium 或 low，实际为 'sure'"
