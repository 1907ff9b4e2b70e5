"""Explanations: why a must-see site or a whole day does not fit, in words."""

from __future__ import annotations

import datetime as dt

import pytest
from planning import MON, SAT, plan

from tourplan.errors import InfeasibleRequestError, RequestValidationError
from tourplan.hours import open_intervals
from tourplan.itinerary import (
    ItineraryRequest,
    plan_itinerary,
)
from tourplan.messages import Name
from tourplan.sun import daylight


def test_winter_sunset_cuts_a_long_hike_that_summer_allows(bundled_sites, bundled_graph):
    # Start at 12:00: 青天河 (5 h, closes 18:30) fits before a June sunset, not a December one.
    kw = dict(
        interests={"mountain": 1}, day_start=12 * 60, day_end=23 * 60, must_see=("qingtianhe",), lunch=False
    )
    summer = plan(bundled_sites, bundled_graph, start_date=dt.date(2026, 6, 20), **kw)
    winter = plan(bundled_sites, bundled_graph, start_date=dt.date(2026, 12, 19), **kw)
    assert "qingtianhe" in summer.site_ids
    assert "qingtianhe" not in winter.site_ids
    why = winter.unplaced["qingtianhe"]
    assert why.code in ("unplaced_sunset", "unplaced_short_sunset")
    assert "sun sets" in why.render("en") and "日落" in why.render("zh")


def test_must_see_that_cannot_fit_is_explained(bundled_sites, bundled_graph):
    # Two half-day mountain areas far apart in one short day: one cannot fit.
    it = plan(
        bundled_sites,
        bundled_graph,
        interests={"mountain": 1},
        day_start=9 * 60,
        day_end=16 * 60,
        must_see=("qingtianhe", "shennong_mountain_ziling"),
    )
    missing = [sid for sid in ("qingtianhe", "shennong_mountain_ziling") if sid not in it.site_ids]
    assert missing
    for sid in missing:
        why = it.unplaced[sid]
        assert bundled_sites[sid].name_zh in why.render("zh")
        assert bundled_sites[sid].name_en in why.render("en")
        notes = [w for w in it.warnings if w.code == "must_see_unplaced" and w.params["why"] == why]
        assert len(notes) == 1
        assert notes[0].render("zh").startswith("必去景点未能安排")


def test_closed_day_is_respected_and_explained(bundled_sites, bundled_graph):
    site = bundled_sites["nsbd_fangzhi_museum"]
    assert "Mo off" in site.opening_hours
    it = plan(bundled_sites, bundled_graph, start_date=MON, interests={"history": 1}, must_see=(site.id,))
    assert site.id not in it.site_ids
    why = it.unplaced[site.id]
    assert why.code == "unplaced_closed"
    assert "closed on 2026-10-05 (Mon)" in why.render("en") and "closed Mon" in why.render("en")
    assert "2026-10-05（周一）不开放" in why.render("zh") and "周一休息" in why.render("zh")
    assert "Mo off" not in why.render("zh")  # opening hours in words, not OSM syntax
    open_day = plan(
        bundled_sites, bundled_graph, start_date=SAT, interests={"history": 1}, must_see=(site.id,)
    )
    assert site.id in open_day.site_ids


def test_too_short_a_day_explains_why(bundled_sites, bundled_graph):
    req = ItineraryRequest(
        start_date=SAT, day_start=9 * 60, day_end=9 * 60 + 15, start="jiaozuo_west_station"
    )
    # a day too short for any visit is bad input on the day_end field (the API answers 400 naming it)
    with pytest.raises(RequestValidationError, match="too short") as exc:
        plan_itinerary(req, bundled_sites, bundled_graph)
    assert set(exc.value.errors) == {"day_end"}
    assert "不够游览任何景点" in exc.value.text("day_end", "zh")
    # long enough for the shortest visit on its own, too short with the travel: infeasible, explained
    req = ItineraryRequest(start_date=SAT, day_start=9 * 60, day_end=9 * 60 + 30, start="jiaozuo_west_station")
    with pytest.raises(InfeasibleRequestError, match="the quickest visit") as refused:
        plan_itinerary(req, bundled_sites, bundled_graph)
    (why,) = refused.value.messages
    assert why.code == "nothing_fits"
    assert why.params["need"] == why.params["go"] + why.params["visit"] + why.params["back"] > 30
    assert "最快的是" in refused.value.text("zh") and "“返回时间”" in refused.value.text("zh")


def test_an_explanation_times_the_visit_as_the_plan_would(bundled_sites, bundled_graph):
    """The time an explanation names is the one the plan's own schedule gives, recomputed here from raw data."""
    it = plan(
        bundled_sites,
        bundled_graph,
        interests={"history": 1},
        day_start=9 * 60,
        day_end=15 * 60,
        must_see=("qingtianhe", "nsbd_fangzhi_museum"),
    )
    why = it.unplaced["qingtianhe"]
    assert why.code in ("unplaced_no_room", "unplaced_back_late"), why
    service, after, day = why.params["minutes"], why.params["after"], why.params["day"] - 1
    hh, mm = why.params["done"].split(":")
    claimed = int(hh) * 60 + int(mm)
    after = after.zh if isinstance(after, Name) else after
    d = it.days[day]
    before = [s for s in d.stops if s.name_zh == after]
    if before:
        here, leave = before[0].site_id, before[0].end
    else:  # inserted first: after the day's start place
        assert after == d.start.name
        here, leave = d.start.key, float(it.request.day_start)
    points = {d.start.key: (d.start.lat, d.start.lon)} if d.start.site_id is None else {}
    mats = bundled_graph.matrices([here, "qingtianhe"], it.request.mode, points=points)
    arrive = leave + float(mats.minutes[0, 1])
    site = bundled_sites["qingtianhe"]
    sunset = daylight(d.date)[1]
    starts = [
        max(arrive, a)
        for a, b in open_intervals(site.opening_hours, d.date)
        if max(arrive, a) + service <= min(b, sunset) + 1
    ]
    start = starts[0] if starts else arrive
    assert abs(start + service - claimed) <= 1, (why, start + service)
