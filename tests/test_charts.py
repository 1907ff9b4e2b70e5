"""Tests of tourplan.charts: inline SVG charts with escaped text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tourplan.charts import Rule, Series, nice_max, svg_chart

SVG = "{http://www.w3.org/2000/svg}"


def _bars(svg: str) -> list[tuple[float, float]]:
    root = ET.fromstring(svg)
    return [
        (float(r.get("y", 0)), float(r.get("height", 0)))
        for r in root.iter(f"{SVG}rect")
        if r.get("class") == "bar"
    ]


def test_chart_is_well_formed_and_escapes_every_text() -> None:
    evil = '</text><script>alert("x")</script>&'
    svg = svg_chart(
        [Series(evil, [1, 2, 3], kind="bar", bar_colors=["#000", '"red', "#111"])],
        times=["08:00", evil, "08:30"], title=evil, unit=evil, rules=[Rule(2, evil)],
    )  # fmt: skip
    root = ET.fromstring(svg)  # parses: nothing broke out of its element
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg
    assert root.get("aria-label") == evil


def test_bar_heights_follow_the_values_and_rules_sit_at_their_value() -> None:
    svg = svg_chart(
        [Series("people", [0, 50, 100, 150], kind="bar")], times=["a", "b", "c", "d"], title="t",
        rules=[Rule(100, "C0")], height=220,
    )  # fmt: skip
    bars = _bars(svg)
    assert len(bars) == 3  # zero draws no bar
    heights = [h for _y, h in bars]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.2)
    assert heights[2] == pytest.approx(3 * heights[0], abs=0.2)
    rule_y = float(re.search(r'class="rule"[^>]*y1="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    y_c, _h = bars[1]  # the 100-people bar's top is the rule's line
    assert rule_y == pytest.approx(y_c, abs=0.2)


def test_lines_have_a_point_per_slot_and_cjk_labels_stay_text() -> None:
    svg = svg_chart(
        [Series("焦作站", [3, 4, 5, 6, 7])], times=[f"0{i}:00" for i in range(5)], title="各入口到达人数"
    )
    pts = re.search(r'<polyline class="line" points="([^"]+)"', svg).group(1).split()  # type: ignore[union-attr]
    assert len(pts) == 5
    assert ">焦作站</text>" in svg and "<title>各入口到达人数</title>" in svg


@pytest.mark.parametrize(
    ("series", "times", "match"),
    [([], [], "at least one slot"), ([Series("a", [1.0])], ["x", "y"], "one value per slot")],
)
def test_bad_input(series: list[Series], times: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        svg_chart(series, times=times, title="t")


@pytest.mark.parametrize("v", [0.3, 1, 7, 99, 101, 143, 999, 1001, 26_000])
def test_nice_max_is_round_and_covers_the_value(v: float) -> None:
    m = nice_max(v)
    assert m >= v
    assert m <= 2.5 * v or v < 1
    assert float(f"{m:.1e}".split("e")[0]) in (1.0, 2.0, 2.5, 5.0)
