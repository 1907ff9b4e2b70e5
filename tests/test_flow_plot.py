"""Tests of the occupancy chart (tourplan.flow.plot)."""

from __future__ import annotations

import io

import numpy as np

from tourplan.flow import plot_occupancy


def test_plot_occupancy_draws_the_busiest_sites_against_c0(flow_run) -> None:  # type: ignore[no-untyped-def]
    fig = plot_occupancy(flow_run, k=3)
    names = flow_run.busiest(3)
    assert len(names) == 3
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == [
        f"{sid} (C0 {int(flow_run.capacity_instant[flow_run.index(sid)]):,})" for sid in names
    ]
    for ax, sid in zip(axes, names, strict=True):
        i = flow_run.index(sid)
        peak, mean, queue, *tiers = ax.get_lines()
        np.testing.assert_array_equal(peak.get_xdata(), flow_run.slot_starts / 60.0)
        np.testing.assert_array_equal(peak.get_ydata(), flow_run.peak[i])
        np.testing.assert_array_equal(mean.get_ydata(), flow_run.occupancy[i])
        np.testing.assert_array_equal(queue.get_ydata(), flow_run.queue[i])
        c0 = int(flow_run.capacity_instant[i])
        assert sorted(line.get_ydata()[0] for line in tiers) == ([0.8 * c0, 0.9 * c0, c0] if c0 > 0 else [])
    assert "3,000 visitors" in fig.get_suptitle()
    png = io.BytesIO()
    fig.savefig(png, format="png")
    assert png.getvalue()[:4] == b"\x89PNG"
