"""Tests of tourplan.views: one adapter per result, the same view from a result and from its saved form."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import helpers
import pytest
from click.testing import CliRunner
from map_samples import js_strings

from tourplan import views
from tourplan.cli import main
from tourplan.errors import DataValidationError
from tourplan.flow import Scenario, simulate
from tourplan.itinerary import ItineraryRequest, fmt_time, plan_itinerary
from tourplan.maps import render_html
from tourplan.study import StudyTourRequest, plan_study_tour

if TYPE_CHECKING:
    from pathlib import Path

TUESDAY = "2026-05-12"
STUDY_ARGS = ["study-tour", "--school", "<b>焦作一中</b>", "--grade", "junior", "--students", "120",
              "--group-size", "20", "--buses", "3", "--seats", "53", "--date", TUESDAY,
              "--themes", "science,history", "--seed", "3"]  # fmt: skip


def _saved(result: Any) -> Any:
    """A result as the web saves it and loads it back: its to_dict() through JSON."""
    return json.loads(json.dumps(result.to_dict(), ensure_ascii=False))


# --------------------------------------------------------------------------- map probes


def _layers(page: str) -> list[str]:
    """Names in the layer control (overlays), in order."""
    return [json.loads(s) for s in re.findall(r'^\s*("(?:[^"\\]|\\.)*") : feature_group_', page, re.M)]


def _markers(page: str) -> list[tuple[float, float]]:
    found = re.findall(r"L\.marker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", page)
    return [(float(a), float(b)) for a, b in found]


def _lines(page: str) -> list[list[list[float]]]:
    lines: list[list[list[float]]] = [
        json.loads(x) for x in re.findall(r"L\.polyline\(\s*(\[\[.*?\]\])", page, re.S)
    ]
    return lines


def _drawn(page: str) -> dict[str, Any]:
    return {
        "layers": _layers(page),
        "markers": _markers(page),
        "popups": js_strings(page, "bindPopup"),
        "tooltips": js_strings(page, "bindTooltip"),
        "lines": _lines(page),
    }


# --------------------------------------------------------------------------- study tours


def test_study_map_is_the_same_through_the_cli_and_the_web(tmp_path: Path) -> None:
    """The CLI's --map file and the web page of the same plan, saved and loaded back, draw one map."""
    map_file = tmp_path / "study.html"
    r = CliRunner().invoke(main, [*STUDY_ARGS, "--format", "json", "--map", str(map_file)])
    assert r.exit_code == 0, r.output + r.stderr
    plan = json.loads(r.stdout)
    cli = _drawn(map_file.read_text(encoding="utf-8"))

    app = helpers.make_app(tmp_path / "instance", user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD))
    store = app.extensions["tourplan.store"]
    record = store.save_study(
        "CLI plan", {"school": plan["school"], "students": plan["students"]}, plan, owner_id=None
    )
    staff = helpers.login(app.test_client())
    r = staff.get(f"/staff/study/{record.id}?lang=zh")
    assert r.status_code == 200
    web = _drawn(r.get_data(as_text=True))

    assert web == cli
    # and it is the plan: a layer per group, its stops, its bus from the start through the stops to the end
    groups = plan["groups"]
    assert len(groups) == 6
    assert cli["layers"] == [f"{g['label']} {g['id']} · {g['bus']} ({g['students']})" for g in groups]
    start, end = (plan["start"]["lat"], plan["start"]["lon"]), (plan["end"]["lat"], plan["end"]["lon"])
    assert cli["lines"] == [
        [list(start), *([s["lat"], s["lon"]] for s in g["stops"]), list(end)] for g in groups
    ]
    stops = {(s["lat"], s["lon"]) for g in groups for s in g["stops"]}
    assert set(cli["markers"]) == stops
    assert all(any(s["learn"] in p for p in cli["popups"]) for g in groups for s in g["stops"] if s["learn"])


def test_study_layers_from_plan_and_from_saved_form(bundled_sites: Any, bundled_graph: Any) -> None:
    req = StudyTourRequest.from_dict(
        {
            "school": "<script>alert(1)</script>",
            "grade": "junior",
            "students": 40,
            "buses": 1,
            "seats": 53,
            "date": TUESDAY,
            "themes": "history",
        }  # fmt: skip
    )
    plan = plan_study_tour(req, bundled_sites, bundled_graph)
    layers = views.study_layers(plan)
    assert layers == views.study_layers(_saved(plan))
    assert len(layers) == len(plan.groups) == 1
    g, layer = plan.groups[0], layers[0]
    assert [s.order for s in layer.stops] == list(range(1, len(g.stops) + 1))
    assert [(s.point.name_zh, s.activity) for s in layer.stops] == [(s.name_zh, s.learn) for s in g.stops]
    assert layer.bus_path is not None
    assert layer.bus_path[0] == (plan.start.lat, plan.start.lon)
    assert layer.bus_path[-1] == (plan.end.lat, plan.end.lon)
    page = render_html(views.study_map(plan))
    assert "<script>alert(1)</script>" not in page
    assert "L.map(" in page


def test_a_saved_study_plan_without_coordinates_is_refused(bundled_sites: Any, bundled_graph: Any) -> None:
    req = StudyTourRequest.from_dict(
        {"school": "一中", "grade": "junior", "students": 40, "buses": 1, "seats": 53, "date": TUESDAY}
    )
    saved = _saved(plan_study_tour(req, bundled_sites, bundled_graph))
    for stop in saved["groups"][0]["stops"]:
        del stop["lat"]
    with pytest.raises(DataValidationError, match="a study-tour plan.*KeyError: 'lat'"):
        views.study_layers(saved)
    with pytest.raises(DataValidationError, match="study-tour plan"):
        views.study_layers({"groups": [{"stops": []}]})


# --------------------------------------------------------------------------- itineraries


@pytest.fixture(scope="module")
def itinerary(bundled_sites: Any, bundled_graph: Any) -> Any:
    req = ItineraryRequest.from_dict(
        {
            "date": "2026-10-03",
            "days": 2,
            "interests": {"history": 1.0, "mountain": 0.5},
            "start": "jiaozuo_station",
            "time_limit": 0.2,
        }  # fmt: skip
    )
    return plan_itinerary(req, bundled_sites, bundled_graph, seed=1)


def test_itinerary_days_from_plan_and_from_saved_form(itinerary: Any, bundled_sites: Any) -> None:
    days = views.itinerary_days(itinerary, bundled_sites)
    assert days == views.itinerary_days(_saved(itinerary), bundled_sites)
    assert [d.label for d in days] == [
        f"第{k}天 Day {k} · {d.date.isoformat()}" for k, d in enumerate(itinerary.days, start=1)
    ]
    en = views.itinerary_days(itinerary, bundled_sites, lang="en")
    assert en[1].label == f"Day 2 · {itinerary.days[1].date.isoformat()}"
    station = bundled_sites["jiaozuo_station"]
    for day, planned in zip(days, itinerary.days, strict=True):
        assert day.start == views.site_point(station)  # a start that is a site keeps its names and error
        assert [s.point.name_zh for s in day.stops] == [s.name_zh for s in planned.stops]
        assert [(s.arrive, s.leave) for s in day.stops] == [
            (fmt_time(s.arrive), fmt_time(s.end)) for s in planned.stops
        ]


def test_a_place_that_is_not_a_site_keeps_its_own_name(bundled_sites: Any) -> None:
    point = views.place_point(
        {"key": "x", "name": "家 home", "lat": 35.2, "lon": 113.2, "site_id": None}, bundled_sites
    )
    assert (point.lat, point.lon, point.name_zh, point.name_en) == (35.2, 113.2, "家 home", "家 home")


def test_itinerary_form_is_checked(itinerary: Any, bundled_sites: Any) -> None:
    saved = _saved(itinerary)
    del saved["days"][0]["start"]
    with pytest.raises(DataValidationError, match="an itinerary.*KeyError: 'start'"):
        views.itinerary_days(saved, bundled_sites)
    with pytest.raises(DataValidationError, match="an itinerary"):
        views.itinerary_days({"schedules": []}, bundled_sites)


# --------------------------------------------------------------------------- visitor flow


@pytest.fixture(scope="module")
def flow_result(bundled_sites: Any, bundled_graph: Any) -> Any:
    scenario = Scenario.from_dict({"date": "2026-10-03", "visitors": 3000, **helpers.FAST_SIMULATION})
    return simulate(scenario, bundled_sites, bundled_graph, seed=5)


def test_flow_view_from_result_and_from_saved_form(flow_result: Any, bundled_sites: Any) -> None:
    view = views.flow_view(flow_result, bundled_sites)
    assert view == views.flow_view(_saved(flow_result), bundled_sites)
    assert view.slot_minutes == flow_result.slot_minutes
    assert view.day_start == flow_result.day_start
    assert view.sites
    for s in view.sites:
        i = flow_result.index(s.site.id)
        assert s.occupancy == pytest.approx(flow_result.occupancy[i], abs=0.5)  # whole people in to_dict()
        # the peak is of the people at the site (inside plus queueing), the figure the alerts take
        assert s.load == tuple(int(x) for x in flow_result.load[i])
        assert s.peak == max(s.load) >= max(s.occupancy) - 0.5
        assert s.ratio == pytest.approx(s.peak / max(s.site.capacity_instant, 1))
        assert max(s.pct) == 100 * s.peak // max(s.capacity_instant, 1)
    slot_alerts = [a for a in view.alerts if isinstance(a, views.SlotAlert)]
    assert [(a.site_id, a.level) for a in slot_alerts] == [(a.site_id, a.level) for a in flow_result.alerts]
    first_slot = next(
        (k for k, a in enumerate(view.alerts) if isinstance(a, views.SlotAlert)), len(view.alerts)
    )
    assert all(isinstance(a, views.DailyAlert) for a in view.alerts[:first_slot])  # daily alerts come first
    assert view.totals == {k: flow_result.to_dict()[k] for k in views.FLOW_TOTALS}
    assert view.busiest[0].ratio == max(s.ratio for s in view.sites)


def test_flow_view_episodes_and_busiest_follow_the_result(flow_result: Any, bundled_sites: Any) -> None:
    data = _saved(flow_result)
    view = views.flow_view(data, bundled_sites)
    expected = [(e["site_id"], e["start"], e["level"]) for e in data["episodes"] + data["area_episodes"]]
    assert sorted((e.site_id, e.start, e.level) for e in view.episodes) == sorted(expected)
    scores = [e.score for e in view.episodes]
    assert scores == sorted(scores, reverse=True)  # severity x duration, worst first
    assert [b.peak_pct for b in view.ranked] == [b["peak_pct"] for b in data["busiest"]]
    assert view.entries and set(view.entries) == set(data["entries"])
    assert view.timezone == "Asia/Shanghai"
    assert view.measures == {} and view.comparison is None  # no measures in this run
    top = view.site(None)
    assert top is not None
    if view.episodes:
        assert top.site.id == next(e.site_id for e in view.episodes if e.site_id in {s.site.id for s in view.sites})
    assert view.site(view.sites[-1].site.id) is view.sites[-1]


def test_flow_view_of_a_hot_day_ranks_by_severity_and_duration(bundled_sites: Any) -> None:
    def ep(site: str, level: str, start: str, end: str, minutes: int, pct: int, score: int) -> dict[str, Any]:
        return {"site_id": site, "scope": "site", "level": level, "start": start, "end": end,
                "duration_minutes": minutes, "peak_pct": pct, "peak": pct * 10, "peak_at": start,
                "capacity_instant": 1000, "max_queue": 40, "score": score}  # fmt: skip

    data = {
        "slot_minutes": 15, "day_start": "08:00", "sites": {}, "alerts": [], "daily_alerts": [],
        "episodes": [ep("jiaozuo_museum", "orange", "09:00", "10:00", 60, 95, 120),
                     ep("jiaozuo_museum", "red", "10:15", "14:30", 255, 143, 765)],
        "area_episodes": [ep("yuntai_mountain", "yellow", "11:00", "12:00", 60, 85, 60)],
        "measures": {"active": True, "shifted": 12, "turned_away": 3},
    }  # fmt: skip
    view = views.flow_view(data, bundled_sites)
    assert [(e.site_id, e.level, e.peak_pct) for e in view.episodes] == [
        ("jiaozuo_museum", "red", 143), ("jiaozuo_museum", "orange", 95), ("yuntai_mountain", "yellow", 85)
    ]
    assert view.episodes[0].name("zh") == "焦作市博物馆" and view.episodes[0].name("en") == "Jiaozuo Museum"
    assert view.measures["shifted"] == 12


def test_flow_map_draws_every_site_of_the_view(flow_result: Any, bundled_sites: Any) -> None:
    view = views.flow_view(flow_result, bundled_sites)
    page = render_html(views.flow_map(view, lang="en"))
    data = re.search(r"var d = (\{.*?\});\n", page, re.S)
    assert data is not None
    drawn = json.loads(data.group(1))
    assert len(drawn["sites"]) == len(view.sites)
    assert len(drawn["times"]) == len(view.sites[0].occupancy)


def test_map_is_red_exactly_where_an_alert_is_red(bundled_sites: Any, bundled_graph: Any) -> None:
    scenario = Scenario.from_dict({"date": "2026-10-03", "visitors": 20000, **helpers.FAST_SIMULATION})
    data = _saved(simulate(scenario, bundled_sites, bundled_graph, seed=5))
    view = views.flow_view(data, bundled_sites)
    page = render_html(views.flow_map(view, lang="zh"))
    drawn = json.loads(re.search(r"var d = (\{.*?\});\n", page, re.S).group(1))  # type: ignore[union-attr]
    levels = ("normal", "yellow", "orange", "red")
    on_map = {
        (s.site.id, view.slot_time(j), levels[int(c)])
        for s, d in zip(view.sites, drawn["sites"], strict=True)
        for j, c in enumerate(d["tiers"])
        if c != "0"
    }
    alerted = {(a["site_id"], a["slot_start"], a["level"]) for a in data["alerts"] if a["site_id"] in data["sites"]}
    assert any(level == "red" for _s, _t, level in alerted)  # the day is hot enough to test it
    assert on_map == alerted


def test_flow_form_is_checked(bundled_sites: Any) -> None:
    with pytest.raises(DataValidationError, match="a flow result.*KeyError: 'daily_alerts'"):
        views.flow_view({"slot_minutes": 15, "day_start": "08:00", "sites": {}, "alerts": []}, bundled_sites)
    # the keys the web once guessed at are not read
    guessed = {"slot_minutes": 15, "day_start": 480, "occupancy": {"jiaozuo_museum": [1.0]}, "alerts": []}
    with pytest.raises(DataValidationError, match="a flow result"):
        views.flow_view(guessed, bundled_sites)


def test_crowd_tiers_are_the_flow_alert_tiers() -> None:
    from tourplan.flow.result import ALERT_LEVELS

    assert views.CROWD_TIERS == ALERT_LEVELS


@pytest.mark.parametrize(
    ("crowd", "level"),
    [
        ({"pct": 79.9}, "normal"),
        ({"pct": 80}, "yellow"),
        ({"pct": 90}, "orange"),
        ({"pct": 100}, "red"),
        ({"ratio": 0.95}, "orange"),
        ({"level": "red"}, "red"),
        ({"level": "green"}, "normal"),
        ({"level": "mystery"}, None),
        (None, None),
        ("拥挤 busy", None),
    ],
)
def test_crowd_level(crowd: object, level: str | None) -> None:
    assert views.crowd_level(crowd) == level


def test_stop_views_prefer_the_plan_navigation_and_render_in_the_language(bundled_sites: Any) -> None:
    sites = bundled_sites
    stop = {
        "site_id": "yuntai_hongshixia",
        "name_zh": "云台山·红石峡",
        "name_en": "Red Stone Gorge",
        "lat": 35.43,
        "lon": 113.35,
        "location_error_m": 3000.0,
        "activity": "x",
    }
    data = {
        "days": [{"stops": [stop, {**stop, "navigation": {"amap": "https://a/", "baidu": "https://b/"}}]}]
    }
    zh, en = views.stop_views(data, sites, lang="zh")[0], views.stop_views(data, sites, lang="en")[0]
    site = sites["yuntai_hongshixia"]
    assert zh[0].navigation["amap"].startswith("https://uri.amap.com/search")  # approximate: a name search
    assert zh[1].navigation == {"amap": "https://a/", "baidu": "https://b/"}
    assert (zh[0].activity, en[0].activity) == (site.activity_text("zh"), site.activity_text("en"))
    assert zh[0].ticket == "含在云台山风景名胜区门票内" and "free" not in en[0].ticket
    assert zh[0].approximate and zh[0].crowd is None and zh[0].crowd_level is None
