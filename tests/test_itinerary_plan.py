"""Planning itineraries: each request gives a feasible plan (re-checked independently) that honours it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from planning import plan

from tourplan.cli import main
from tourplan.errors import InfeasibleRequestError
from tourplan.itinerary import (
    ItineraryRequest,
    check_itinerary,
    plan_itinerary,
)
from tourplan.site import THEMES
from tourplan.sun import daylight


@pytest.mark.parametrize("theme", THEMES)
def test_each_interest_gives_a_feasible_day_that_matches_it(bundled_sites, bundled_graph, theme):
    it = plan(bundled_sites, bundled_graph, interests={theme: 1.0})
    stops = it.days[0].stops
    assert stops, "an ordinary day plans some stops"
    themed = [s for s in stops if theme in bundled_sites[s.site_id].themes]
    assert themed, f"no {theme} site in {[s.site_id for s in stops]}"


@pytest.mark.parametrize("mode", ["walk", "drive", "bus", "mixed"])
def test_each_mode(bundled_sites, bundled_graph, mode):
    it = plan(bundled_sites, bundled_graph, interests={"history": 1, "culture": 1}, mode=mode)
    assert it.days[0].stops
    for leg in it.days[0].legs:
        assert leg.mode in ({"walk", "bus"} if mode == "mixed" else {mode})
        if mode == "mixed" and leg.mode == "walk":
            assert leg.km <= 1.5 + 1e-9


def test_walking_day_stays_near_the_start(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"mountain": 1, "history": 1}, mode="walk")
    # 云台山 is ~25 km away: not a walking day trip.
    assert not any(s.site_id.startswith("yuntai") for s in it.days[0].stops)


def test_lunch_stop_in_the_lunch_window(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"history": 1})
    lunches = [s for s in it.days[0].stops if s.is_lunch]
    assert len(lunches) == 1
    assert 11 * 60 + 30 <= lunches[0].start <= 13 * 60
    assert bundled_sites[lunches[0].site_id].category == "food"


def test_no_lunch_when_not_asked(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"history": 1}, lunch=False)
    assert not any(s.is_lunch for s in it.days[0].stops)


@pytest.mark.parametrize(("day", "later"), [(dt.date(2026, 12, 21), False), (dt.date(2026, 6, 21), True)])
def test_mountain_day_ends_by_sunset(bundled_sites, bundled_graph, day, later):
    it = plan(
        bundled_sites,
        bundled_graph,
        start_date=day,
        interests={"mountain": 1},
        day_start=7 * 60,
        day_end=21 * 60,
        pace="active",
    )
    sunset = daylight(day)[1]
    mountain = [s for s in it.days[0].stops if bundled_sites[s.site_id].category == "mountain"]
    assert mountain
    last_end = max(s.end for s in mountain)
    assert last_end <= sunset
    if later:
        assert sunset > 19 * 60
    else:
        assert sunset < 17 * 60 + 30


def test_multi_day_balanced_hotel_nights_no_repeats(bundled_sites, bundled_graph):
    it = plan(
        bundled_sites,
        bundled_graph,
        days=3,
        interests={"mountain": 1, "history": 1, "taiji": 1},
        start="jiaozuo_station",
        end="jiaozuo_west_station",
        hotel="35.2400,113.2200",
    )
    assert len(it.days) == 3
    ids = it.site_ids
    assert len(ids) == len(set(ids))
    assert it.days[0].start.site_id == "jiaozuo_station"
    assert it.days[0].end.key == it.days[1].start.key == "hotel_point"
    assert it.days[2].end.site_id == "jiaozuo_west_station"
    counts = [len([s for s in d.stops if not s.is_lunch]) for d in it.days]
    assert min(counts) >= 2, counts


def test_must_see_is_visited_when_it_fits(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"shopping": 1}, must_see=("jiaying_temple",))
    assert "jiaying_temple" in it.site_ids


def test_excluded_never_visited(bundled_sites, bundled_graph):
    base = plan(bundled_sites, bundled_graph, interests={"mountain": 1})
    first = base.days[0].stops[0].site_id
    again = plan(bundled_sites, bundled_graph, interests={"mountain": 1}, exclude=(first,))
    assert first not in again.site_ids


def test_locking_a_stop_keeps_it_on_its_day(bundled_sites, bundled_graph):
    base = plan(bundled_sites, bundled_graph, days=2, interests={"history": 1, "nature": 1})
    keep = base.days[1].stops[0].site_id
    drop = base.days[0].stops[0].site_id
    again = plan(
        bundled_sites,
        bundled_graph,
        days=2,
        interests={"history": 1, "nature": 1},
        locked={keep: 1},
        exclude=(drop,),
    )
    assert keep in [s.site_id for s in again.days[1].stops]
    assert drop not in again.site_ids


def test_ticket_budget(bundled_sites, bundled_graph):
    free = plan(bundled_sites, bundled_graph, interests={"mountain": 1}, ticket_budget=0)
    assert free.tickets_cny == 0
    paid = plan(bundled_sites, bundled_graph, interests={"mountain": 1})
    assert paid.tickets_cny > 0


def test_parent_ticket_charged_once_per_day(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"mountain": 1}, pace="active", day_start=7 * 60)
    parts = [s for s in it.days[0].stops if bundled_sites[s.site_id].parent_id == "yuntai_mountain"]
    if len(parts) >= 2:
        paid = [s.ticket_cny for s in parts if s.ticket_cny]
        assert paid.count(bundled_sites["yuntai_mountain"].ticket_cny) <= 1


def test_accessible_only(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"mountain": 1, "nature": 1}, accessible_only=True)
    assert all(bundled_sites[s.site_id].accessible for s in it.days[0].stops)


def test_pace_changes_stop_count(bundled_sites, bundled_graph):
    relaxed = plan(bundled_sites, bundled_graph, interests={"history": 1, "culture": 1}, pace="relaxed")
    active = plan(bundled_sites, bundled_graph, interests={"history": 1, "culture": 1}, pace="active")
    assert len(relaxed.days[0].stops) < len(active.days[0].stops)
    assert len([s for s in relaxed.days[0].stops if not s.is_lunch]) <= 4


def test_same_seed_same_plan(bundled_sites, bundled_graph):
    a = plan(bundled_sites, bundled_graph, days=2, interests={"nature": 1})
    b = plan(bundled_sites, bundled_graph, days=2, interests={"nature": 1})
    assert a.to_dict() == b.to_dict()


@settings(max_examples=12, deadline=None)
@given(
    weights=st.dictionaries(st.sampled_from(THEMES), st.floats(0.1, 3.0), min_size=1, max_size=4),
    days=st.integers(1, 3),
    pace=st.sampled_from(["relaxed", "normal", "active"]),
    mode=st.sampled_from(["walk", "drive", "bus", "mixed"]),
    start_h=st.integers(7, 11),
    length_h=st.integers(4, 11),
    offset=st.integers(0, 364),
)
def test_property_every_plan_is_feasible(
    bundled_sites, bundled_graph, weights, days, pace, mode, start_h, length_h, offset
):
    day = dt.date(2026, 1, 1) + dt.timedelta(days=offset)
    req = ItineraryRequest(
        start_date=day,
        days=days,
        interests=weights,
        pace=pace,
        mode=mode,
        day_start=start_h * 60,
        day_end=min(23 * 60, (start_h + length_h) * 60),
        time_limit=0.1,
    )
    try:
        it = plan_itinerary(req, bundled_sites, bundled_graph)
    except InfeasibleRequestError:
        return
    assert check_itinerary(it, bundled_sites, bundled_graph) == []


def test_cli_plan_json_and_text(tmp_path):
    runner = CliRunner()
    args = ["plan", "--interests", "mountain=1,history=0.5", "--date", "2026-10-03", "--days", "1",
            "--start", "jiaozuo_station", "--mode", "drive"]  # fmt: skip
    r = runner.invoke(main, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output + r.stderr
    data = json.loads(r.output)
    day = data["days"][0]
    assert day["date"] == "2026-10-03"
    assert {"site_id", "arrive", "start", "end"} <= set(day["stops"][0])
    assert data["score"] > 0 and isinstance(data["warnings"], list)
    m = tmp_path / "route.html"
    r = runner.invoke(main, ["--lang", "en", *args, "--format", "text", "--map", str(m)])
    assert r.exit_code == 0, r.stderr
    assert "Day 1" in r.output and "back at" in r.output
    html = m.read_text(encoding="utf-8")
    name = day["stops"][0]["name_zh"]
    assert "leaflet" in html.lower()
    assert name in html or json.dumps(name)[1:-1] in html


def test_cli_plan_bad_input_is_one_line():
    r = CliRunner().invoke(main, ["--lang", "en", "plan", "--date", "2026-02-30"])
    assert r.exit_code == 2
    assert r.stderr.startswith("tourplan: error: date:")
    r = CliRunner().invoke(main, ["--lang", "en", "plan", "--date", "2026-10-03", "--start", "Nowhere Hotel"])
    assert r.exit_code == 2 and "No place called “Nowhere Hotel”" in r.stderr and "Did you mean" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_must_see_that_is_also_the_start_is_visited(bundled_sites, bundled_graph):
    # The start place and the site are different nodes of the problem (it used to require the route's start).
    it = plan(bundled_sites, bundled_graph, start="chenjiagou", must_see=("chenjiagou",))
    assert "chenjiagou" in it.site_ids
    assert it.days[0].start.site_id == "chenjiagou"
