"""Tests of crowd-aware planning (tourplan.flow.forecast)."""

from __future__ import annotations

import datetime as dt
import json
from types import MappingProxyType

import numpy as np
import pytest

from tourplan.flow import CrowdForecast, CrowdQuery

DATE = dt.date(2026, 10, 3)


def _forecast(site: str, busy_until: int, ratio: float = 1.2) -> CrowdForecast:
    slots = np.arange(360, 1440, 15)
    r = np.where(slots < busy_until, ratio, 0.1)
    w = np.where(slots < busy_until, 30.0, 0.0)
    return CrowdForecast({site: r}, {site: w}, 15, 360, DATE)


def test_crowded_morning_moves_the_visit_to_the_afternoon(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    from tourplan.itinerary import ItineraryRequest, plan_itinerary

    req = ItineraryRequest(
        start_date=DATE,
        interests={"red": 1.0, "industry": 1.0},
        start="jiaozuo_station",
        day_start=9 * 60,
        day_end=18 * 60,
        lunch=False,
        exclude=tuple(s.id for s in bundled_sites if s.id not in ("jiaozuo_museum", "jiaozuo_station")),
    )
    plain = plan_itinerary(req, bundled_sites, bundled_graph, seed=0)
    first = {s.site_id: s.start for d in plain.days for s in d.stops}
    assert first["jiaozuo_museum"] < 13 * 60
    crowd = _forecast("jiaozuo_museum", 13 * 60)
    aware = plan_itinerary(req, bundled_sites, bundled_graph, seed=0, crowd=crowd)
    stop = next(s for d in aware.days for s in d.stops if s.site_id == "jiaozuo_museum")
    assert stop.start >= 13 * 60
    assert stop.crowd is not None and stop.crowd.level == "normal"  # quiet at the planned time
    assert crowd.label("jiaozuo_museum", 10 * 60, DATE) == "very busy — queue ~30 min"
    assert crowd.label("jiaozuo_museum", 10 * 60, DATE + dt.timedelta(days=1)) is None


def test_crowded_all_day_is_dropped_for_an_equal_quiet_site(bundled_sites, bundled_graph) -> None:  # type: ignore[no-untyped-def]
    from tourplan.itinerary import ItineraryRequest, plan_itinerary

    # Two museums of equal value for a visitor who only cares for red
    # heritage; the day has room for one of them.
    req = ItineraryRequest(
        start_date=DATE,
        interests={"red": 1.0},
        start="jiaozuo_station",
        day_start=9 * 60,
        day_end=11 * 60 + 40,
        lunch=False,
        exclude=tuple(
            s.id
            for s in bundled_sites
            if s.id not in ("jiaozuo_museum", "nsbd_fangzhi_museum", "jiaozuo_station")
        ),
    )
    plain = plan_itinerary(req, bundled_sites, bundled_graph, seed=0)
    chosen = plain.site_ids
    assert len(chosen) == 1
    other = ({"jiaozuo_museum", "nsbd_fangzhi_museum"} - set(chosen)).pop()
    aware = plan_itinerary(req, bundled_sites, bundled_graph, seed=0, crowd=_forecast(chosen[0], 1440))
    assert aware.site_ids == [other]


def test_forecast_round_trip(flow_run) -> None:  # type: ignore[no-untyped-def]
    f = CrowdForecast.from_result(flow_run)
    g = CrowdForecast.from_dict(json.loads(json.dumps(f.to_dict())))
    assert g.date == DATE
    sid = next(iter(f.ratio))
    assert g.ratio_at(sid, 600) == pytest.approx(f.ratio_at(sid, 600), abs=1e-4)
    assert f.factor(sid, 600, 60) <= 1.0


def test_adjust_returns_new_windows_and_leaves_the_callers_alone() -> None:
    crowd = _forecast("jiaozuo_museum", 13 * 60)  # 120 % of C0 and 30 min queues until 13:00
    nodes = ["jiaozuo_station", "jiaozuo_museum"]
    scores = np.array([0.0, 5.0])
    service = np.array([0.0, 60.0])
    windows = {(0, 0): ((0.0, 1440.0),), (0, 1): ((9 * 60.0, 17 * 60.0),)}
    given = MappingProxyType(windows)  # read-only: an edit in place would raise
    out = crowd.adjust(CrowdQuery(nodes, scores, service, given, [DATE]))
    assert windows == {(0, 0): ((0.0, 1440.0),), (0, 1): ((9 * 60.0, 17 * 60.0),)}
    assert scores.tolist() == [0.0, 5.0]
    assert out.scores is not scores and out.route_windows is not windows
    # Only the museum's visit is cut, to the quiet afternoon, where it keeps its full value.
    assert out.route_windows == {(0, 0): ((0.0, 1440.0),), (0, 1): ((13 * 60.0, 17 * 60.0),)}
    assert out.scores.tolist() == pytest.approx([0.0, 5.0])
    # On a day the forecast is not for, nothing changes.
    other = crowd.adjust(CrowdQuery(nodes, scores, service, given, [DATE + dt.timedelta(days=1)]))
    assert other.route_windows == windows
    assert other.scores.tolist() == [0.0, 5.0]


def test_adjust_lowers_a_site_crowded_all_day() -> None:
    crowd = _forecast("jiaozuo_museum", 1440)
    out = crowd.adjust(
        CrowdQuery(
            ["jiaozuo_museum"], np.array([5.0]), np.array([60.0]), {(0, 0): ((540.0, 1020.0),)}, [DATE]
        )
    )
    # 120 % of C0 loses `strength` (0.6) of the value, and 60 min of visit against 30 min of queue a third more.
    assert out.scores[0] == pytest.approx(5.0 * 0.4 * 60 / 90)
    assert out.route_windows == {(0, 0): ((540.0, 1020.0),)}
