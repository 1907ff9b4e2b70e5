"""Small inline SVG charts of per-slot series, for pages that load nothing from a CDN.

:func:`svg_chart` draws bars and lines over one time axis with a y axis,
labelled hour ticks, reference rules (e.g. 80 % and 100 % of a capacity)
and a legend.  Every piece of text goes through :func:`html.escape`, and the
browser renders it with its own fonts (CJK labels included), so the chart
needs no font files.  Pure: values in, a string out.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Rule", "Series", "nice_max", "svg_chart"]

_FONT = "system-ui, -apple-system, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"


@dataclass(frozen=True)
class Series:
    """One series of a chart: a value per slot.

    Attributes
    ----------
    label
        Legend text.
    values
        One value per slot (NaN or negative values are drawn as 0).
    color
        CSS colour of the line, or of every bar.
    kind
        ``"bar"`` or ``"line"``.
    bar_colors
        Optional colour per bar (e.g. by warning tier), overriding ``color``.
    """

    label: str
    values: Sequence[float]
    color: str = "#1565c0"
    kind: Literal["bar", "line"] = "line"
    bar_colors: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line at ``value`` with a label (e.g. C0 or its 80 %)."""

    value: float
    label: str
    color: str = "#c62828"


def nice_max(v: float) -> float:
    """A round axis maximum at or above ``v`` (1, 2, 2.5 or 5 times a power of ten).

    Examples
    --------
    >>> [nice_max(x) for x in (0, 7, 143, 1000, 1001, 2600)]
    [1.0, 10.0, 200.0, 1000.0, 2000.0, 5000.0]
    """
    if not v > 0:
        return 1.0
    p = 10.0 ** math.floor(math.log10(v))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if v <= m * p + 1e-9:
            return m * p
    return 10.0 * p  # pragma: no cover - the loop ends at 10 p >= v


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:g}"


def svg_chart(
    series: Sequence[Series],
    *,
    times: Sequence[str],
    title: str,
    unit: str = "",
    rules: Sequence[Rule] = (),
    width: int = 520,
    height: int = 220,
    tick_every: int = 4,
) -> str:
    """Return an inline ``<svg>`` chart of ``series`` over the slots named by ``times``.

    Parameters
    ----------
    series
        Bars and lines; bars of several series share each slot side by side.
    times
        Label of each slot (e.g. ``"10:15"``); every ``tick_every``-th is shown.
    title
        Accessible name of the chart (``aria-label`` and ``<title>``).
    unit
        Text of the y axis (e.g. "people").
    rules
        Horizontal reference lines.
    width, height
        Size of the view box; the SVG scales to its container's width.
    tick_every
        Slots between labelled ticks on the time axis (widened to a multiple
        of it when the labels would overlap).

    Returns
    -------
    str
        An ``<svg class="chart">`` element, text escaped, safe to embed as is.

    Raises
    ------
    ValueError
        Without slots, or when a series has another number of values.

    Examples
    --------
    >>> svg = svg_chart([Series("<b>", [1, 2], kind="bar")], times=["08:00", "08:15"], title="A & B")
    >>> svg.count("<rect class=\\"bar\\""), "&lt;b&gt;" in svg, "A &amp; B" in svg
    (2, True, True)
    """
    n = len(times)
    if n == 0:
        msg = "times must name at least one slot, got none"
        raise ValueError(msg)
    for s in series:
        if len(s.values) != n:
            msg = f"series {s.label!r} must have one value per slot ({n}), got {len(s.values)}"
            raise ValueError(msg)
    vals = [[v if math.isfinite(v) and v > 0 else 0.0 for v in map(float, s.values)] for s in series]
    top_v = max(
        4.0, nice_max(max([max(v, default=0.0) for v in vals] + [r.value for r in rules] + [0.0]) * 1.05)
    )
    left, right, bottom = 46.0, 8.0, 22.0
    legend, row, lx = [], 0, left
    for s in series:  # legend items, wrapped into rows
        w = 22 + 7 * sum(2 if ord(c) > 0x2E80 else 1 for c in s.label)
        if lx + w > width - right and lx > left:
            row, lx = row + 1, left
        legend.append((lx, 6 + 16 * row, s))
        lx += w + 10
    top = 6 + 16 * (row + 1) + 16
    pw, ph = width - left - right, height - top - bottom
    step = pw / n
    tick = max(tick_every, 1)
    tick *= max(1, math.ceil(40.0 / (step * tick)))  # labels ~34 units wide never overlap

    def y(v: float) -> float:
        return top + ph * (1.0 - v / top_v)

    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{_e(title)}" '
        f'font-family="{_e(_FONT)}" font-size="12">',
        f"<title>{_e(title)}</title>",
    ]
    for k in range(5):
        v = top_v * k / 4
        yy = y(v)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e0e0e0"/>')
        out.append(f'<text x="{left - 4}" y="{yy + 4:.1f}" text-anchor="end" fill="#555">{_num(v)}</text>')
    if unit:
        out.append(f'<text x="{left + 2}" y="{top - 5}" fill="#555">{_e(unit)}</text>')
    bars = [k for k, s in enumerate(series) if s.kind == "bar"]
    bw = step * 0.85 / max(len(bars), 1)
    for b, k in enumerate(bars):
        s = series[k]
        for j, v in enumerate(vals[k]):
            if v <= 0:
                continue
            color = s.bar_colors[j] if j < len(s.bar_colors) else s.color
            x = left + j * step + step * 0.075 + b * bw
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y(v):.1f}" width="{max(bw - 0.4, 0.6):.1f}" '
                f'height="{top + ph - y(v):.1f}" fill="{_e(color)}"><title>{_e(times[j])} {_e(s.label)}: '
                f"{_num(v)}</title></rect>"
            )
    for k, s in enumerate(series):
        if s.kind != "line":
            continue
        pts = " ".join(f"{left + (j + 0.5) * step:.1f},{y(v):.1f}" for j, v in enumerate(vals[k]))
        out.append(
            f'<polyline class="line" points="{pts}" fill="none" stroke="{_e(s.color)}" stroke-width="2"/>'
        )
    for r in rules:
        yy = y(r.value)
        out.append(
            f'<line class="rule" x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
            f'stroke="{_e(r.color)}" stroke-dasharray="5 3" stroke-width="1.5"/>'
            f'<text x="{width - right - 2}" y="{yy - 3:.1f}" text-anchor="end" fill="{_e(r.color)}">'
            f"{_e(r.label)}</text>"
        )
    for j in range(0, n, tick):
        x = left + j * step
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#555"/>')
        out.append(
            f'<text x="{x:.1f}" y="{height - 5}" text-anchor="middle" fill="#555">{_e(times[j])}</text>'
        )
    for lx_, ly, s in legend:
        out.append(f'<rect x="{lx_:.1f}" y="{ly}" width="12" height="10" fill="{_e(s.color)}"/>')
        out.append(f'<text x="{lx_ + 16:.1f}" y="{ly + 9}" fill="#222">{_e(s.label)}</text>')
    out.append("</svg>")
    return "".join(out)
