"""Tests of the roll-up of a run into sites, slots and parent areas (tourplan.flow.aggregate)."""

from __future__ import annotations

import numpy as np


def test_parent_areas_roll_up_their_parts(flow_run, bundled_sites) -> None:  # type: ignore[no-untyped-def]
    r, log = flow_run, flow_run.log
    areas = r.areas
    y = areas.index("yuntai_mountain")
    members = set(areas.members[y])
    assert areas.members[y][0] == "yuntai_mountain"
    assert members == {"yuntai_mountain"} | {s.id for s in bundled_sites if s.parent_id == "yuntai_mountain"}
    rows = [r.index(m) for m in members]
    # Mean occupancy adds up; the peak of the sum is between the largest part's peak and the sum of peaks.
    np.testing.assert_allclose(areas.occupancy[y], r.occupancy[rows].sum(axis=0))
    assert (areas.peak[y] >= r.peak[rows].max(axis=0)).all()
    assert (areas.peak[y] <= r.peak[rows].sum(axis=0)).all()
    assert areas.daily_visits[y] == r.daily_visits[rows].sum()
    # Distinct visitors, recounted from the log.
    in_area = np.isin(log.site, rows)
    assert areas.visitors[y] == np.unique(log.visitor[in_area & (log.status == 0)]).size
    assert areas.arrived[y] == np.unique(log.visitor[in_area & np.isin(log.status, (0, 2))]).size
    assert areas.visitors[y] <= areas.arrived[y] <= r.visitors
    # Alerts exactly where the area's peak reaches 80 % of the parent's C0.
    ratio = areas.ratio()
    flagged = {(a.site_id, a.slot_start) for a in areas.alerts}
    expect = {
        (aid, int(r.day_start + j * r.slot_minutes))
        for k, aid in enumerate(areas.area_ids)
        for j in np.flatnonzero(ratio[k] >= 0.8 - 1e-9)
    }
    assert flagged == expect
    assert all(a.scope == "area" for a in areas.alerts)
