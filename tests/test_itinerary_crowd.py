"""The crowd forecast on a visitor's plan, navigation links, typed places, honest bad input."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import helpers
import numpy as np
import pytest

from tourplan.errors import RequestValidationError
from tourplan.flow import day_type
from tourplan.flow.forecast import CrowdForecast
from tourplan.itinerary import ItineraryRequest, plan_itinerary
from tourplan.itinerary.crowd import TripCrowd
from tourplan.messages import Message
from tourplan.places import PlaceResolutionError
from tourplan.sights import is_sight

GOLDEN = dt.date(2027, 10, 3)
WEEKDAY = dt.date(2027, 3, 10)


def _trip(sites: Any, ratio: float) -> TripCrowd:
    """A synthetic forecast: every site with a C0 at ``ratio`` all day, except 09:00-10:00 (empty)."""
    slots = 18 * 4
    r = np.full(slots, ratio)
    r[12:16] = 0.0  # 09:00-10:00 with day_start 06:00 and 15-minute slots
    fc = CrowdForecast({s.id: r.copy() for s in sites if s.capacity_instant > 0}, {}, 15, 360)
    return TripCrowd(dict.fromkeys(("weekday", "weekend", "public_holiday", "golden_week"), fc), avoid=True)


def test_every_sight_stop_has_crowd_and_navigation(bundled_sites: Any, bundled_graph: Any) -> None:
    sites, graph = bundled_sites, bundled_graph
    crowd = _trip(sites, 0.85)
    it = plan_itinerary(
        ItineraryRequest(start_date=GOLDEN, interests={"mountain": 1}), sites, graph, crowd=crowd
    )
    d = it.to_dict()
    stops = [s for day in d["days"] for s in day["stops"]]
    assert stops
    for s in stops:
        nav = s["navigation"]
        assert nav["amap"].startswith("https://uri.amap.com/")
        assert nav["baidu"].startswith("https://api.map.baidu.com/")
        if is_sight(sites[s["site_id"]]) and sites[s["site_id"]].capacity_instant > 0:
            c = s["crowd"]
            assert c["at"] == s["start"]
            expected = 0 if "09:00" <= s["start"] < "10:00" else 85
            assert c["pct"] == expected
            assert c["level"] == ("yellow" if expected == 85 else "normal")
    codes = [m["code"] for m in d["warnings"]]
    assert "peak_day" in codes
    assert d["avoid_crowds"] is True
    assert "warning_messages" not in d  # one coded list: each warning with its code, parameters and both sentences
    peak = d["warnings"][codes.index("peak_day")]
    assert peak["zh"].startswith("第1天") and "Golden Week" in peak["en"]
    assert Message.from_dict(peak).render("zh") == peak["zh"]


def test_avoid_crowds_moves_visits_to_quiet_slots(bundled_sites: Any, bundled_graph: Any) -> None:
    sites, graph = bundled_sites, bundled_graph
    req = ItineraryRequest(start_date=GOLDEN, interests={"history": 1}, day_start=8 * 60, lunch=False)
    quiet = plan_itinerary(req, sites, graph, crowd=_trip(sites, 1.0))
    # the only uncrowded hour is 09:00-10:00: the avoided plan uses it
    known = [s for d in quiet.days for s in d.stops if s.crowd is not None]
    assert any(s.start < 10 * 60 and s.end > 9 * 60 for s in known)
    shown = plan_itinerary(
        ItineraryRequest(**{**_fields(req), "avoid_crowds": False}),
        sites,
        graph,
        crowd=TripCrowd(_trip(sites, 1.0).forecasts, avoid=False),
    )
    assert shown.avoid_crowds is False
    seen = [s for d in shown.days for s in d.stops if s.crowd is not None]
    assert sum(s.crowd.pct for s in known) / len(known) < sum(s.crowd.pct for s in seen) / len(seen)  # type: ignore[union-attr]
    assert any(s.crowd is not None and s.crowd.level == "orange" for d in shown.days for s in d.stops)


def _forecast(sites: Any, ratio: Any, *, avoid: bool) -> TripCrowd:
    """A synthetic forecast with ``ratio(site)`` (a 72-slot array from 06:00, 15-minute slots) at every site."""
    fc = CrowdForecast({s.id: ratio(s) for s in sites if s.capacity_instant > 0}, {}, 15, 360)
    return TripCrowd(dict.fromkeys(("weekday", "weekend", "public_holiday", "golden_week"), fc), avoid=avoid)


def _advice(it: Any) -> list[Message]:
    return [m for m in it.warnings if m.code in ("peak_day_quieter", "peak_day_timed")]


def test_a_crowded_visit_gets_a_quieter_choice(bundled_sites: Any, bundled_graph: Any) -> None:
    """The site called very crowded is the fullest planned visit, crowded when the plan is there."""
    sites, graph = bundled_sites, bundled_graph
    req = ItineraryRequest(start_date=GOLDEN, interests={"history": 1}, day_start=8 * 60, lunch=False)
    median = float(np.median([s.popularity for s in sites]))
    # popular sites full all day, the others quiet: a plan that does not avoid crowds visits full ones
    crowd = _forecast(sites, lambda s: np.full(72, 1.0 if s.popularity > median else 0.2), avoid=False)
    it = plan_itinerary(req, sites, graph, crowd=crowd)
    pct = {s.site_id: s.crowd.pct for d in it.days for s in d.stops if s.crowd is not None}
    [m] = _advice(it)
    assert m.code == "peak_day_quieter"
    busiest = next(sid for sid in pct if sites[sid].name_zh == m.params["busiest"].zh)
    assert pct[busiest] == max(pct.values()) >= 80
    [peak] = [w for w in it.warnings if w.code == "peak_day"]
    quiet = sites[peak.params["alternative_id"]]
    assert quiet.name_zh == m.params["alternative"].zh
    assert quiet.id not in pct and quiet.category == sites[busiest].category and quiet.popularity <= median


def test_a_visit_planned_away_from_the_peak_is_named_with_its_peak(bundled_sites: Any, bundled_graph: Any) -> None:
    """Every planned visit quiet, one planned site full at 14:00-15:00: the advice names it and its hour."""
    sites, graph = bundled_sites, bundled_graph
    site = max((s for s in sites if is_sight(s) and s.capacity_instant > 0), key=lambda s: s.popularity)

    def ratio(s: Any) -> Any:
        r = np.zeros(72)
        if s.id == site.id:
            r[32:36] = 1.5  # 14:00-15:00
        return r

    req = ItineraryRequest(start_date=GOLDEN, interests={"history": 1}, must_see=(site.id,), lunch=False)
    it = plan_itinerary(req, sites, graph, crowd=_forecast(sites, ratio, avoid=True))
    visit = next(s for d in it.days for s in d.stops if s.site_id == site.id)
    assert visit.crowd is not None and visit.crowd.pct < 80  # the planner kept the visit away from the peak
    [m] = _advice(it)
    assert m.code == "peak_day_timed"
    assert m.params["site"].zh == site.name_zh
    assert (m.params["peak_at"], m.params["peak_pct"]) == ("14:00", 150)
    assert "14:00" in m.render("zh") and "150%" in m.render("en")
    [peak] = [w for w in it.warnings if w.code == "peak_day"]
    assert Message.from_dict(peak.to_json()) == peak  # a saved plan reads its advice back (nested names included)
    # no crowd anywhere when the plan is there, and no peak elsewhere in the day: no advice at all
    calm = plan_itinerary(req, sites, graph, crowd=_forecast(sites, lambda s: np.full(72, 0.3), avoid=True))
    assert _advice(calm) == []


def _fields(req: ItineraryRequest) -> dict[str, Any]:
    return {f: getattr(req, f) for f in req.__dataclass_fields__}


def test_no_peak_warning_on_a_weekday(bundled_sites: Any, bundled_graph: Any) -> None:
    sites, graph = bundled_sites, bundled_graph
    assert day_type(WEEKDAY) == "weekday"
    it = plan_itinerary(
        ItineraryRequest(start_date=WEEKDAY, interests={"history": 1}), sites, graph, crowd=_trip(sites, 0.9)
    )
    assert not any(m.code.startswith("peak_day") for m in it.warnings)


def test_typed_places_and_coordinates(bundled_sites: Any, bundled_graph: Any) -> None:
    sites, graph = bundled_sites, bundled_graph
    it = plan_itinerary(ItineraryRequest(start_date=WEEKDAY, start="焦作火车站", end="云台山"), sites, graph)
    assert it.days[0].start.site_id == "jiaozuo_station"
    assert it.days[0].end.site_id == "yuntai_mountain"
    it = plan_itinerary(ItineraryRequest(start_date=WEEKDAY, start="35.2,113.2"), sites, graph)
    assert it.days[0].start.site_id is None
    with pytest.raises(PlaceResolutionError) as exc:
        plan_itinerary(ItineraryRequest(start_date=WEEKDAY, start="焦作火车zhan"), sites, graph)
    assert exc.value.field == "start"
    assert "jiaozuo_station" in exc.value.to_dict()["candidates"]


def test_bad_input_names_the_field(bundled_sites: Any, bundled_graph: Any) -> None:
    sites, graph = bundled_sites, bundled_graph
    with pytest.raises(RequestValidationError) as exc:
        ItineraryRequest.from_dict({"date": "2027-01-01"}, today=dt.date(2027, 1, 2))
    assert "date" in exc.value.errors
    assert exc.value.text("date", "zh") == "日期2027-01-01已经过去（今天是2027-01-02），请选择今天或以后的日期。"
    assert "in the past" in exc.value.errors["date"]  # the API's text stays English
    ItineraryRequest.from_dict({"date": "2027-01-02"}, today=dt.date(2027, 1, 2))
    with pytest.raises(RequestValidationError) as exc:
        ItineraryRequest.from_dict({"date": "2027-01-05", "day_start": "12:00", "day_end": "10:00"})
    assert "day_end" in exc.value.errors
    assert exc.value.text("day_end", "zh") == "结束时间（10:00）必须晚于开始时间（12:00）。"
    with pytest.raises(RequestValidationError) as exc:
        plan_itinerary(ItineraryRequest(start_date=WEEKDAY, day_start=600, day_end=610), sites, graph)
    assert "day_end" in exc.value.errors


def test_no_interests_says_highlights(bundled_sites: Any, bundled_graph: Any) -> None:
    sites, graph = bundled_sites, bundled_graph
    it = plan_itinerary(ItineraryRequest(start_date=WEEKDAY), sites, graph)
    d = it.to_dict()
    assert d["interests_default"] == "highlights"
    assert "highlights_default" in [m["code"] for m in d["warnings"]]
    it = plan_itinerary(ItineraryRequest(start_date=WEEKDAY, interests={"history": 1}), sites, graph)
    assert it.to_dict()["interests_default"] is None


# --------------------------------------------------------------------------- warming the forecasts


def _record_warming(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], threading.Event]:
    import tourplan.itinerary.crowd as crowd

    calls: list[Any] = []
    done = threading.Event()

    def record(sites: Any, graph: Any, kinds: Any = ()) -> None:
        calls.append((sites, graph))
        done.set()

    monkeypatch.setattr(crowd, "warm_forecasts", record)
    return calls, done


def test_server_start_warms_the_forecasts_of_its_site_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    calls, done = _record_warming(monkeypatch)
    helpers.make_app(tmp_path / "quiet")  # tests (TESTING) leave it off unless asked
    assert not done.wait(0.5) and calls == []
    app = helpers.make_app(tmp_path / "warm", PLAN_FORECAST_WARM=True)
    assert done.wait(30)
    data = app.extensions["tourplan.data"].current()
    assert calls == [(data.sites, data.graph)]


def test_warmup_computes_the_forecasts(monkeypatch: pytest.MonkeyPatch, bundled_sites: Any) -> None:
    from click.testing import CliRunner

    from tourplan.cli import main

    calls, _ = _record_warming(monkeypatch)
    out = CliRunner().invoke(main, ["warmup"])
    assert out.exit_code == 0, out.output
    assert "crowd forecast: ready" in out.output
    ((sites, graph),) = calls
    assert [s.id for s in sites] == [s.id for s in bundled_sites] and graph.sites is sites


# --------------------------------------------------------------------------- the API, with the real forecast


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return helpers.make_app(tmp_path_factory.mktemp("itin-crowd"), PLAN_TODAY="2026-12-04")


def test_api_golden_week_plan_has_crowd_navigation_and_peak_warning(app: Any) -> None:
    r = app.test_client().post(
        "/api/v1/itineraries", json={"date": GOLDEN.isoformat(), "interests": {"mountain": 1}}
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    result = body.get("result", body)
    stops = [s for d in result["days"] for s in d["stops"]]
    assert stops
    for s in stops:
        assert s["navigation"]["amap"] and s["navigation"]["baidu"]
    sights = [s for s in stops if not s["lunch"]]
    assert sights and all(
        s["crowd"] is not None and s["crowd"]["level"] in ("normal", "yellow", "orange", "red")
        for s in sights
    )
    assert any(m["code"] == "peak_day" for m in result["warnings"])
    assert result["avoid_crowds"] is True


def test_api_past_date_names_date(app: Any) -> None:
    r = app.test_client().post("/api/v1/itineraries", json={"date": "2026-12-03"})
    assert r.status_code in (400, 422)
    assert "date" in r.get_json()["errors"]


def test_api_must_see_by_name(app: Any) -> None:
    c = app.test_client()
    r = c.post("/api/v1/itineraries", json={"date": "2027-03-10", "must_see": ["嘉应观"]})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    result = body.get("result", body)
    assert (
        "jiaying_temple" in [s["site_id"] for d in result["days"] for s in d["stops"]] or result["unplaced"]
    )
    r = c.post("/api/v1/itineraries", json={"date": "2027-03-10", "must_see": ["不存在的地方xyz"]})
    assert r.status_code in (400, 422)
    assert "must_see" in r.get_json()["errors"]
