"""Reading a CSV without pandas gives what pandas gives (``tourplan.data._plain_records``)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tourplan.data import _header, _plain_records, load_sites, parse_sites
from tourplan.errors import DataValidationError


def _pandas(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """What the loader read with pandas before the csv module took over regular files."""
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, on_bad_lines="error")
    frame.columns = [str(c).strip() for c in frame.columns]
    return list(frame.columns), frame.to_dict(orient="records")


_CELL = st.lists(st.sampled_from([*"ab 1é,\"\n\t'=-;", "\r\n", "NA", "nan"]), max_size=6).map("".join)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    """Small CSV texts, mostly regular, with quoting, blank lines and stray quotes."""
    width = draw(st.integers(1, 4))
    header = [draw(st.sampled_from([f"c{i}", f" c{i} ", f'"c{i}"'])) for i in range(width)]
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", " ", "a,b,c,d,e", '"x'])))
            continue
        cells = []
        for cell in draw(st.lists(_CELL, min_size=width, max_size=width)):
            quoted = draw(st.booleans())
            cells.append('"' + cell.replace('"', '""') + '"' if quoted else cell.replace(",", ""))
        lines.append(",".join(cells))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))


@given(csv_texts())
def test_plain_reader_agrees_with_pandas(text):
    plain = _plain_records(text, _header(text, "x.csv"))
    if plain is None:
        return  # irregular: the loader hands it to pandas
    assert plain == _pandas(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a,b\n1,2,3\n", "a row wider than the header"),
        ("a,b\n1\n", "a row narrower than the header"),
        ("a,a\n1,2\n", "a repeated column"),
        ("a,\n1,2\n", "a column without a name"),
        ('a,b\n"1,2\n', "a quote left open"),
        ("a\n1\n", "a single column (pandas skips rows of blanks there)"),
    ],
)
def test_irregular_files_go_to_pandas(text, why):
    assert _plain_records(text, _header(text, "x.csv")) is None, why


def test_bundled_table_is_read_without_pandas_and_as_before(monkeypatch):
    """The bundled table is regular; the fallback (forced here) builds the same sites."""
    fast = load_sites()
    monkeypatch.setattr("tourplan.data._plain_records", lambda text, header: None)
    assert load_sites() == fast


def test_a_wide_row_is_still_named_by_its_line():
    from tourplan.resources import default_pois_path

    lines = default_pois_path().read_text(encoding="utf-8").splitlines()
    lines[2] += ",one too many,two too many"
    with pytest.raises(DataValidationError, match=r"fields as in the header \(line 3;"):
        parse_sites("\n".join(lines))
