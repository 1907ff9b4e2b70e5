"""Site-table uploads: the size cap, the header check, activation, expiry, no server paths.

See :mod:`tourplan.web.staging` and :mod:`tourplan.web.sitedata`.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import helpers
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tourplan.data import parse_sites
from tourplan.errors import DataValidationError
from tourplan.graph import SiteGraph
from tourplan.limits import MAX_SITES
from tourplan.resources import default_edges_path, default_pois_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from table_size import synthetic_table  # noqa: E402

PASSWORD = helpers.STAFF_PASSWORD
make_app = functools.partial(helpers.make_app, user=("staff", PASSWORD))
BUNDLED = default_pois_path().read_bytes()


def _staff(app: Any) -> Any:
    return helpers.login(app.test_client(), "staff", PASSWORD)


def _upload(c: Any, raw: bytes, name: str = "pois.csv", lang: str = "en") -> Any:
    # Encoded in memory: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(raw), filename=name)})
    return c.post(
        f"/staff/data?lang={lang}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _token(page: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', page)
    assert m, page[:2000]
    return m.group(1)


def _live_names(c: Any) -> list[str]:
    return [s["id"] for s in c.get("/api/v1/sites").get_json()["sites"]]


def _without(raw: bytes, site_id: str) -> bytes:
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r for r in rows if r[0] != site_id])
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- the size cap


def _slim(raw: bytes) -> bytes:
    """The table without its long free-text notes (so 4,000 rows stay under the 5 MiB body limit)."""
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows({**r, "note": ""} for r in rows)
    return out.getvalue().encode("utf-8")


def test_a_4000_row_upload_is_refused_quickly_and_changes_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = _staff(app)
    before = _live_names(c)
    raw = _slim(synthetic_table(4000))
    assert len(raw) < app.config["MAX_CONTENT_LENGTH"]  # refused by the site cap, not the body size
    t0 = time.perf_counter()
    r = _upload(c, raw)
    took = time.perf_counter() - t0
    assert r.status_code == 400
    assert took < 5, took
    page = r.get_data(as_text=True)
    assert f"at most {MAX_SITES} sites" in page
    assert "/staff/data/apply" not in page
    assert _live_names(c) == before
    assert not (tmp_path / "pois.csv").exists()
    assert list((tmp_path / "uploads").glob("*.csv")) == []
    zh = _upload(c, raw, lang="zh").get_data(as_text=True)
    assert f"最多 {MAX_SITES} 个景点" in zh


def test_the_cap_is_the_configured_number_of_rows(tmp_path: Path) -> None:
    app = make_app(tmp_path, UPLOAD_MAX_SITES=70)
    c = _staff(app)
    assert _upload(c, synthetic_table(70)).status_code == 200
    r = _upload(c, synthetic_table(71))
    assert r.status_code == 400 and "at most 70 sites" in r.get_data(as_text=True)


def test_quoted_newlines_do_not_change_the_count(tmp_path: Path) -> None:
    app = make_app(tmp_path, UPLOAD_MAX_SITES=61)
    c = _staff(app)
    rows = list(csv.reader(io.StringIO(BUNDLED.decode("utf-8"))))
    note = rows[0].index("note")
    for r in rows[1:]:
        r[note] = "line one\nline two\nline three"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert _upload(c, out.getvalue().encode()).status_code == 200  # 61 sites on 180+ lines


def test_the_default_cap_was_measured() -> None:
    from tourplan.web.config import DefaultConfig

    assert DefaultConfig.UPLOAD_MAX_SITES == MAX_SITES
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "bench/table_size.py" in readme and f"{MAX_SITES} sites" in readme


# --------------------------------------------------------------------------- the header


def _column_bomb(n: int) -> bytes:
    """A header of ``n`` names, each with a quoted newline: one comma per physical line."""
    header = ",".join(f'"c{i}\n"' for i in range(n))
    return (header + "\n" + ",".join("x" for _ in range(n)) + "\n").encode()


def test_a_header_newline_column_bomb_is_refused_quickly(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = _staff(app)
    before = _live_names(c)
    raw = _column_bomb(30_000)
    assert raw.split(b"\n", 1)[0].count(b",") == 0  # the first physical line looks like 1 column
    t0 = time.perf_counter()
    r = _upload(c, raw)
    assert time.perf_counter() - t0 < 5
    assert r.status_code == 400
    assert "30000 columns" in r.get_data(as_text=True) and "at most 200 columns" in r.get_data(as_text=True)
    assert _live_names(c) == before and not (tmp_path / "pois.csv").exists()


@pytest.mark.parametrize("n", [201, 5000])
def test_columns_are_counted_on_the_parsed_header(n: int) -> None:
    with pytest.raises(DataValidationError, match=f"{n} columns"):
        parse_sites(_column_bomb(n), name="bomb.csv")


def test_duplicate_columns_are_found_in_linear_time() -> None:
    header = ",".join(["id"] * 100 + [f"x{i}" for i in range(100)])
    t0 = time.perf_counter()
    with pytest.raises(DataValidationError) as err:
        parse_sites((header + "\n").encode(), name="dupes.csv")
    assert time.perf_counter() - t0 < 1
    assert [(p.column, p.expected) for p in err.value.problems if p.expected == "each column once"] == [
        ("id", "each column once")
    ]
    # a duplicate that pandas would rename to "name_zh.1" is reported too
    text = BUNDLED.decode().splitlines()
    text[0] += ",name_zh"
    rows = [text[0], *(line + "," for line in text[1:])]
    with pytest.raises(DataValidationError, match="each column once"):
        parse_sites("\n".join(rows) + "\n", name="dupes.csv")


# --------------------------------------------------------------------------- activation


def test_the_new_table_is_built_before_it_goes_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    c = _staff(app)
    raw = BUNDLED.decode().replace("焦作站", "焦作火车站", 1).encode()
    token = _token(_upload(c, raw).get_data(as_text=True))
    seen: list[bool] = []
    real = SiteGraph.prepare

    def spy(self: SiteGraph) -> SiteGraph:
        seen.append((tmp_path / "pois.csv").exists())
        return real(self)

    monkeypatch.setattr(SiteGraph, "prepare", spy)
    r = c.post("/staff/data/apply", data={"token": token})
    assert r.status_code == 303
    assert seen == [False]  # built once, before the file was replaced
    data = app.extensions["tourplan.data"].current()
    assert set(data.graph._pairs) == {"walk", "drive", "bus"}  # no visitor builds a shortest path
    assert c.get("/api/v1/sites/jiaozuo_station").get_json()["name_zh"] == "焦作火车站"


def test_a_failed_build_leaves_the_old_table_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    holder = app.extensions["tourplan.data"]
    before = holder.current()

    def crash(self: SiteGraph) -> SiteGraph:
        raise MemoryError("the worker ran out of memory building the graph")

    monkeypatch.setattr(SiteGraph, "prepare", crash)
    with pytest.raises(MemoryError):
        holder.install(BUNDLED.replace("焦作站".encode(), b"X", 1), backup_stamp="t")
    assert holder.current() is before
    assert not (tmp_path / "pois.csv").exists()
    assert list(tmp_path.glob("*.bak")) == [] and list(tmp_path.glob(".pois.csv.*")) == []


def test_another_worker_uses_the_new_table_only_once_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make_app(tmp_path), make_app(tmp_path)  # two worker processes, one database
    holder = second.extensions["tourplan.data"]
    old = holder.current()
    raw = BUNDLED.decode().replace("焦作站", "焦作火车站", 1).encode()
    first.extensions["tourplan.data"].install(raw, backup_stamp="t")
    real = SiteGraph.prepare

    def crash(self: SiteGraph) -> SiteGraph:
        raise MemoryError("the worker ran out of memory building the graph")

    monkeypatch.setattr(SiteGraph, "prepare", crash)
    with pytest.raises(MemoryError):
        holder.current()
    assert holder._data is old  # a failed build leaves the previous table in use
    monkeypatch.setattr(SiteGraph, "prepare", real)
    new = holder.current()
    assert new is not old and new.sites["jiaozuo_station"].name_zh == "焦作火车站"
    assert set(new.graph._pairs) == {"walk", "drive", "bus"}  # complete before it is used


# --------------------------------------------------------------------------- expiry and paths


def test_staged_uploads_expire(tmp_path: Path) -> None:
    app = make_app(tmp_path, UPLOAD_STAGING_TTL=60)
    c = _staff(app)
    token = _token(_upload(c, BUNDLED).get_data(as_text=True))
    staged = tmp_path / "uploads" / f"{token}.csv"
    assert staged.exists()
    old = time.time() - 61
    os.utime(staged, (old, old))
    r = c.post("/staff/data/apply?lang=en", data={"token": token}, follow_redirects=True)
    assert "no longer available" in r.get_data(as_text=True)
    assert not staged.exists() and not (tmp_path / "pois.csv").exists()
    # a new preview clears stages left behind
    token2 = _token(_upload(c, BUNDLED).get_data(as_text=True))
    stale = tmp_path / "uploads" / f"{token2}.csv"
    os.utime(stale, (old, old))
    _upload(c, BUNDLED)
    assert not stale.exists()
    assert len(list((tmp_path / "uploads").glob("*.csv"))) == 1


def test_the_problem_table_names_no_server_path(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = _staff(app)
    r = _upload(c, _without(BUNDLED, "hanyu_tomb_xiguo"))
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert re.search(r"<td[^>]*>edges.csv</td>", page) and "hanyu_tomb_xiguo" in page
    assert str(default_edges_path().parent) not in page
    assert str(Path.cwd()) not in page and "/work/" not in page
