"""Visitor itineraries on the bundled data, each checked independently."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tourplan.cli import main
from tourplan.data import THEMES
from tourplan.errors import InfeasibleRequestError, PlaceNotFoundError, RequestValidationError
from tourplan.itinerary import ItineraryRequest, check_itinerary, parse_interests, plan_itinerary, resolve_place
from tourplan.sun import daylight

SAT = dt.date(2026, 10, 3)  # a Saturday in Golden Week
MON = dt.date(2026, 10, 5)


def plan(sites, graph, **kw):
    kw.setdefault("start_date", SAT)
    kw.setdefault("time_limit", 0.2)
    req = ItineraryRequest(**kw)
    it = plan_itinerary(req, sites, graph, seed=kw.pop("seed", 0) if "seed" in kw else 0)
    problems = check_itinerary(it, sites, graph)
    assert problems == [], problems
    return it


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


def test_winter_sunset_cuts_a_long_hike_that_summer_allows(bundled_sites, bundled_graph):
    # Start at 12:00: 青天河 (5 h, closes 18:30) fits before a June sunset, not a December one.
    kw = dict(
        interests={"mountain": 1}, day_start=12 * 60, day_end=23 * 60, must_see=("qingtianhe",), lunch=False
    )
    summer = plan(bundled_sites, bundled_graph, start_date=dt.date(2026, 6, 20), **kw)
    winter = plan(bundled_sites, bundled_graph, start_date=dt.date(2026, 12, 19), **kw)
    assert "qingtianhe" in summer.site_ids
    assert "qingtianhe" not in winter.site_ids
    assert "sun sets" in winter.unplaced["qingtianhe"]


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
        assert bundled_sites[sid].name_zh in why
        assert any(w.startswith("Must-see not placed") for w in it.warnings)


def test_must_see_is_visited_when_it_fits(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, interests={"shopping": 1}, must_see=("jiaying_temple",))
    assert "jiaying_temple" in it.site_ids


def test_closed_day_is_respected_and_explained(bundled_sites, bundled_graph):
    site = bundled_sites["nsbd_fangzhi_museum"]
    assert "Mo off" in site.opening_hours
    it = plan(bundled_sites, bundled_graph, start_date=MON, interests={"history": 1}, must_see=(site.id,))
    assert site.id not in it.site_ids
    assert "closed on 2026-10-05" in it.unplaced[site.id]
    open_day = plan(
        bundled_sites, bundled_graph, start_date=SAT, interests={"history": 1}, must_see=(site.id,)
    )
    assert site.id in open_day.site_ids


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


def test_start_by_free_text(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, start="焦作西站", interests={"history": 1})
    assert it.days[0].start.site_id == "jiaozuo_west_station"
    it2 = plan(bundled_sites, bundled_graph, start="Jiaozuo Railway Station", interests={"history": 1})
    assert it2.days[0].start.site_id == "jiaozuo_station"


def test_unknown_place_offline_explains(bundled_sites, bundled_graph):
    with pytest.raises(PlaceNotFoundError, match="no geocoder is configured"):
        plan_itinerary(
            ItineraryRequest(start_date=SAT, start="Hotel Nowhere 123"), bundled_sites, bundled_graph
        )


def test_geocoder_is_used_when_configured(bundled_sites):
    class FakeGeocoder:
        def geocode(self, query):
            class Loc:
                latitude, longitude = 35.24, 113.22

            assert "焦作" in query
            return Loc()

    p = resolve_place("Some Hotel", bundled_sites, geocoder=FakeGeocoder())
    assert (p.lat, p.lon) == (35.24, 113.22) and p.site_id is None


def test_too_short_a_day_explains_why(bundled_sites, bundled_graph):
    req = ItineraryRequest(
        start_date=SAT, day_start=9 * 60, day_end=9 * 60 + 15, start="jiaozuo_west_station"
    )
    with pytest.raises(InfeasibleRequestError, match="too short"):
        plan_itinerary(req, bundled_sites, bundled_graph)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"date": "2026-10-03", "days": 9}, "days"),
        ({"date": "2026-10-03", "interests": {"karaoke": 1}}, "interests"),
        ({"date": "2026-10-03", "pace": "sprint"}, "pace"),
        ({"date": "2026-10-03", "mode": "rocket"}, "mode"),
        ({"date": "2026-10-03", "day_start": "25:00"}, "day_start"),
        ({"date": "2026-10-03", "day_start": "18:00", "day_end": "09:00"}, "day_end"),
        ({"date": "2026-10-03", "ticket_budget": -5}, "ticket_budget"),
        ({"date": "2026-10-03", "surprise": 1}, "surprise"),
        ({}, "date"),
    ],
)
def test_bad_requests_name_the_field(data, field):
    with pytest.raises(RequestValidationError) as info:
        ItineraryRequest.from_dict(data)
    assert field in info.value.errors


def test_parse_interests():
    assert parse_interests("mountain=1,history=0.5") == {"mountain": 1.0, "history": 0.5}
    assert parse_interests("taiji") == {"taiji": 1.0}
    with pytest.raises(RequestValidationError):
        parse_interests("mountain=lots")


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
    r = runner.invoke(main, [*args, "--format", "text", "--map", str(m)])
    assert r.exit_code == 0, r.stderr
    assert "Day 1" in r.output and "back at" in r.output
    html = m.read_text(encoding="utf-8")
    name = day["stops"][0]["name_zh"]
    assert "leaflet" in html.lower()
    assert name in html or json.dumps(name)[1:-1] in html


def test_cli_plan_bad_input_is_one_line():
    r = CliRunner().invoke(main, ["plan", "--date", "2026-02-30"])
    assert r.exit_code == 2
    assert r.stderr.startswith("tourplan: error: invalid request: date:")
    r = CliRunner().invoke(main, ["plan", "--date", "2026-10-03", "--start", "Nowhere Hotel"])
    assert r.exit_code == 2 and "could not find" in r.stderr


def test_trail_sites_take_at_least_the_hike_and_count_their_climb(bundled_sites, bundled_graph):
    from dataclasses import replace

    from tourplan.data import SiteTable
    from tourplan.graph import SiteGraph, hiking_minutes
    from tourplan.itinerary import visit_minutes

    peak = replace(bundled_sites["yuntai_zhuyufeng"], trail_km=6.0, trail_ascent_m=700.0)
    assert visit_minutes(peak) == pytest.approx(1.25 * hiking_minutes(6.0, 700.0, 700.0))
    assert visit_minutes(peak) > peak.visit_minutes
    table = SiteTable(tuple(peak if s.id == peak.id else s for s in bundled_sites))
    graph = SiteGraph(table)
    # 700 m of climbing is over the relaxed limit (400 m) but within the active one (1500 m).
    relaxed = plan(table, graph, interests={"mountain": 1}, pace="relaxed", must_see=(peak.id,))
    assert peak.id not in relaxed.site_ids
    assert "more than the relaxed pace allows" in relaxed.unplaced[peak.id]
    active = plan(table, graph, interests={"mountain": 1}, pace="active", must_see=(peak.id,))
    assert peak.id in active.site_ids
    day = active.days[0]
    assert day.ascent_m >= 700


def test_day_credit_is_a_property_of_the_set_of_stops(bundled_sites):
    import itertools
    from types import SimpleNamespace

    from tourplan.itinerary.model import _day_credit
    from tourplan.rules import DECAY

    museums = [s for s in bundled_sites if s.category == "museum"][:3]
    other = next(s for s in bundled_sites if s.category == "mountain")
    sites = [None, *museums, other]  # node 0 is the start point
    scores = [0.0, 1.0, 3.0, 2.0, 5.0]
    model = SimpleNamespace(sites=sites, scores=scores, lunch_nodes=frozenset())
    want = {2: 3.0, 3: 2.0 * DECAY, 1: 1.0 * DECAY**2, 4: 5.0}
    for order in itertools.permutations([1, 2, 3, 4]):
        assert _day_credit(model, list(order)) == pytest.approx(want)
    lunch = SimpleNamespace(sites=sites, scores=scores, lunch_nodes=frozenset({2}))
    assert _day_credit(lunch, [1, 2, 3]) == pytest.approx({3: 2.0, 1: 1.0 * DECAY})
