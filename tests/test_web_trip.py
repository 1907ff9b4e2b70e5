"""The trip pages a visitor follows: navigation hand-off, print QR code, tickets, crowd colours."""

from __future__ import annotations

import copy
import functools
import html
import re
from typing import Any

import helpers
import pytest
import segno

from tourplan.navigation import site_navigation

DAY = "2025-05-10"
FORM = {**helpers.VISITOR_FORM, "date": DAY, "interests": ["mountain"]}
make_app = functools.partial(helpers.make_app, SHOWCASE_DATE=DAY)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("trip"))


@pytest.fixture(scope="module")
def saved(app: Any) -> str:
    return helpers.plan_through_form(app, FORM)


def _stops(app: Any, iid: str) -> list[dict[str, Any]]:
    rec = app.extensions["tourplan.store"].get_itinerary(iid)
    return [s for d in rec.result["days"] for s in d["stops"]]


@pytest.mark.parametrize("path", ["/i/{iid}", "/i/{iid}/print"])
def test_every_stop_links_to_amap_and_baidu(app: Any, saved: str, path: str) -> None:
    page = app.test_client().get(path.format(iid=saved) + "?lang=zh").get_data(as_text=True)
    amap = [html.unescape(u) for u in re.findall(r'class="nav-amap" href="([^"]+)"', page)]
    baidu = [html.unescape(u) for u in re.findall(r'class="nav-baidu" href="([^"]+)"', page)]
    stops = _stops(app, saved)
    assert len(amap) == len(baidu) == len(stops) >= 2
    sites = app.extensions["tourplan.data"].current().sites
    for s, a, b in zip(stops, amap, baidu, strict=True):
        nav = site_navigation(sites[s["site_id"]], lang="zh")
        assert (a, b) == (nav.amap, nav.baidu)
        assert a.startswith("https://uri.amap.com/") and b.startswith("https://api.map.baidu.com/")


def test_navigation_carried_by_the_plan_is_preferred(app: Any, saved: str) -> None:
    store = app.extensions["tourplan.store"]
    rec = store.get_itinerary(saved)
    result = copy.deepcopy(rec.result)
    first = result["days"][0]["stops"][0]
    first["navigation"] = {
        "amap": "https://uri.amap.com/marker?x=1",
        "baidu": "https://api.map.baidu.com/m?y=2",
    }
    new = store.save_itinerary(rec.request, result)
    page = app.test_client().get(f"/i/{new.id}").get_data(as_text=True)
    assert 'href="https://uri.amap.com/marker?x=1"' in page
    assert 'href="https://api.map.baidu.com/m?y=2"' in page


def test_print_page_has_the_map_and_a_qr_code_of_the_share_link(app: Any, saved: str) -> None:
    page = app.test_client().get(f"/i/{saved}/print").get_data(as_text=True)
    assert "folium-map" in page or "L.map(" in page
    qr = re.search(r'<figure class="qr" id="share-qr">(<svg.*?</svg>)', page, re.S)
    assert qr
    share = f"http://localhost/i/{saved}"
    expected = segno.make(share, error="m").svg_inline(scale=4, title="扫码打开本行程", svgclass="qr")
    assert qr.group(1) == expected
    assert segno.make(share + "x", error="m").svg_inline(scale=4) not in page


def test_area_ticket_is_shown_once_and_no_covered_part_is_free(app: Any, saved: str) -> None:
    stops = _stops(app, saved)
    parts = [s for s in stops if s["site_id"].startswith("yuntai_") and s["site_id"] != "yuntai_mountain"]
    page = app.test_client().get(f"/i/{saved}?lang=zh").get_data(as_text=True)
    if len(parts) >= 2:
        assert page.count("云台山风景名胜区门票 ¥120") == 1
        assert page.count("含在云台山风景名胜区门票内") >= len(parts) - 1
    for s in parts:
        assert f"{s['name_zh']}免费" not in page


def test_crowd_colours_legend_and_peak_warning(app: Any, saved: str) -> None:
    store = app.extensions["tourplan.store"]
    rec = store.get_itinerary(saved)
    client = app.test_client()
    bare = copy.deepcopy(rec.result)  # a plan without a forecast (saved before it, or forecast off)
    for day in bare["days"]:
        for stop in day["stops"]:
            stop.pop("crowd", None)
    bare["warnings"], bare["warning_messages"] = [], []
    plain = client.get(f"/i/{store.save_itinerary(rec.request, bare).id}").get_data(as_text=True)
    assert "crowd-legend" not in plain and "peak-warning" not in plain and "crowd-red" not in plain
    result = copy.deepcopy(bare)  # no forecast but the two below (the saved plan's own depends on its stops)
    stops = result["days"][0]["stops"]
    stops[0]["crowd"] = {"level": "red", "pct": 112}
    stops[1]["crowd"] = {"level": "yellow", "pct": 84}
    result["warnings"] = [
        {"code": "peak_day", "zh": "国庆高峰日：请早到并提前预约。", "en": "Golden Week peak day: go early."}
    ]
    new = store.save_itinerary(rec.request, result)
    zh = client.get(f"/i/{new.id}?lang=zh").get_data(as_text=True)
    assert len(re.findall(r'<li class="stop[^"]*crowd-red', zh)) == 1
    assert len(re.findall(r'<li class="stop[^"]*crowd-yellow', zh)) == 1
    assert 'id="crowd-legend"' in zh and "满员（约为承载量的 112%）" in zh
    assert 'id="peak-warning"' in zh and "国庆高峰日：请早到并提前预约。" in zh
    assert "tp-crowd-red" in zh  # the marker too
    en = client.get(f"/i/{new.id}?lang=en").get_data(as_text=True)
    assert "Golden Week peak day: go early." in en and "full (about 112% of capacity)" in en
    printed = client.get(f"/i/{new.id}/print").get_data(as_text=True)
    assert 'class="stop-row crowd-red"' in printed


# --------------------------------------------------------------------------- the plan form


def test_must_see_picker_is_grouped_by_category_without_non_sights(app: Any) -> None:
    from tourplan.sights import is_sight, sight_groups

    sites = app.extensions["tourplan.data"].current().sites
    page = app.test_client().get("/?lang=zh").get_data(as_text=True)
    picker = page.split('id="must-see"', 1)[1].split("</fieldset>", 1)[0]
    headings = re.findall(r'<h3 class="h-small">([^<]+)</h3>', picker)
    assert headings == [g.label("zh") for g in sight_groups(sites)]
    ids = re.findall(r'name="must_see" value="([^"]+)"', picker)
    assert ids and all(is_sight(sites[i]) for i in ids)
    assert "jiaozuo_station" not in ids
    assert not any(
        sites[i].category in ("transport", "hotel", "other") and not is_sight(sites[i]) for i in ids
    )
    assert 'type="search" class="picker-search"' in picker


def test_place_suggest_endpoint(app: Any) -> None:
    client = app.test_client()
    got = client.get("/places/suggest?q=红石").get_json()
    assert [s["id"] for s in got["suggestions"]] == ["yuntai_hongshixia"]
    alias = client.get("/places/suggest?q=焦作火车").get_json()["suggestions"]
    assert "jiaozuo_station" in [s["id"] for s in alias]
    en = client.get("/places/suggest?q=Red%20Stone&lang=en").get_json()["suggestions"]
    assert [s["id"] for s in en] == ["yuntai_hongshixia"]
    assert en[0]["label"].startswith("Yuntai: Red Stone Gorge")
    assert client.get("/places/suggest?q=").get_json()["suggestions"] == []
    assert client.get("/places/suggest?q=zzzzqqq").get_json()["suggestions"] == []


def test_place_suggest_is_rate_limited(tmp_path: Any) -> None:
    limited = make_app(tmp_path, SUGGEST_RATE_LIMIT="3 per minute", RATELIMIT_ENABLED=True)
    client = limited.test_client()
    codes = [client.get("/places/suggest?q=云台").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


def test_ready_made_routes_open_a_saved_trip(app: Any) -> None:
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/routes/history"' in home
    first = client.get("/routes/history")
    assert first.status_code == 302 and first.headers["Location"].startswith("/i/")
    assert client.get("/routes/history").headers["Location"] == first.headers["Location"]  # planned once
    trip = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'class="nav-amap"' in trip
    assert client.get("/routes/nope").status_code == 404


def test_place_error_with_a_code_is_shown_in_the_page_language(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tourplan.messages import Message
    from tourplan.places import PlaceResolutionError
    from tourplan.web.services import planning

    def refuse(values: Any) -> Any:
        raise PlaceResolutionError(
            Message("place_unknown", {"text": "焦作火车", "candidates": ["焦作站"]}), "start"
        )

    monkeypatch.setattr(planning, "plan_and_save", refuse)
    client = app.test_client()
    zh = client.post("/plan?lang=zh", data={**FORM, "start_text": "焦作火车"}).get_data(as_text=True)
    assert "找不到“焦作火车”。您要找的是不是：焦作站？" in zh
    assert re.search(r'id="start_text-error">找不到“焦作火车”', zh)  # on the field
    en = client.post("/plan?lang=en", data={**FORM, "start_text": "焦作火车"}).get_data(as_text=True)
    assert "No place called “焦作火车”. Did you mean: 焦作站?" in en


def test_the_end_place_is_typed_with_suggestions_like_the_start(app: Any) -> None:
    page = app.test_client().get("/?lang=zh").get_data(as_text=True)
    end = re.search(r'<input[^>]*id="end_text"[^>]*>', page)
    assert end is not None and 'list="end-suggest"' in end.group(0) and 'data-suggest="/places/suggest"' in end.group(0)
    assert '<datalist id="end-suggest">' in page and "结束地点（可选）" in page
    iid = helpers.plan_through_form(app, {**helpers.VISITOR_FORM, "end_text": "焦作西"})  # an alias of 焦作西站
    result = app.extensions["tourplan.store"].get_itinerary(iid).result
    assert result["days"][-1]["end"]["site_id"] == "jiaozuo_west_station"
    assert result["days"][0]["start"]["site_id"] == "jiaozuo_station"
    r = app.test_client().post("/plan?lang=zh", data={**helpers.VISITOR_FORM, "end_text": "不存在的地方"})
    assert r.status_code == 400
    error = re.search(r'id="end_text-error">([^<]+)<', r.get_data(as_text=True))
    assert error is not None and "找不到“不存在的地方”" in html.unescape(error.group(1))


def test_the_totals_name_walking_only_when_there_is_some(app: Any, saved: str) -> None:
    """"0 km on foot" said nothing: the totals line names the walking distance only when the plan walks."""
    rec = app.extensions["tourplan.store"].get_itinerary(saved)
    walk_km = rec.result["totals"]["walk_km"]
    page = app.test_client().get(f"/i/{saved}?lang=en").get_data(as_text=True)
    totals = page.split('<p class="totals">', 1)[1].split("</p>", 1)[0]
    assert ("km on foot" in totals) is (walk_km > 0)
    walked = helpers.plan_through_form(app, {**FORM, "mode": "walk"})
    rec = app.extensions["tourplan.store"].get_itinerary(walked)
    assert rec.result["totals"]["walk_km"] > 0
    zh = app.test_client().get(f"/i/{walked}?lang=zh").get_data(as_text=True)
    assert "步行" in zh.split('<p class="totals">', 1)[1].split("</p>", 1)[0]


# --------------------------------------------------------------------------- crowds: the visitor's choice


def _crowded(result: dict[str, Any]) -> int:
    return sum(
        (s.get("crowd") or {}).get("level") in ("orange", "red") for d in result["days"] for s in d["stops"]
    )


def test_the_form_crowd_choice_reaches_the_plan(app: Any) -> None:
    store = app.extensions["tourplan.store"]

    def planned(date: str, crowds: str | None) -> dict[str, Any]:
        form = {**FORM, "date": date} | ({"crowds": crowds} if crowds else {})
        return dict(store.get_itinerary(helpers.plan_through_form(app, form)).result)

    golden = "2025-10-03"
    assert planned(golden, None)["avoid_crowds"] is True  # auto: a peak day steers
    assert planned(golden, "show")["avoid_crowds"] is False
    assert planned(DAY, None)["avoid_crowds"] is False  # auto: an ordinary Saturday only shows the crowd
    shown, avoided = planned(DAY, "show"), planned(DAY, "avoid")
    assert avoided["avoid_crowds"] is True
    assert _crowded(avoided) <= _crowded(shown)
    r = app.test_client().post("/plan?lang=zh", data={**FORM, "crowds": "sometimes"})
    assert r.status_code == 400 and "客流" in r.get_data(as_text=True)


def test_a_crowded_plan_offers_to_plan_again_avoiding_crowds(app: Any, saved: str) -> None:
    store = app.extensions["tourplan.store"]
    rec = store.get_itinerary(saved)
    client = app.test_client()
    result = copy.deepcopy(rec.result)
    stops = result["days"][0]["stops"]
    assert len(stops) >= 3
    for stop, level, pct in zip(stops, ("red", "orange", "yellow"), (130, 95, 85), strict=False):
        stop["crowd"] = {"level": level, "pct": pct, "at": stop["start"]}
    result["avoid_crowds"] = False
    kept = {"locked": {stops[-1]["site_id"]: 0}, "exclude": ["jiaozuo_museum"]}
    shown = store.save_itinerary({**rec.request, **kept, "avoid_crowds": False}, result)
    zh = client.get(f"/i/{shown.id}?lang=zh").get_data(as_text=True)
    assert 'id="crowd-tip"' in zh and "2 个景点在到达时预计拥挤或满员。" in zh and "避开拥挤时段，重新规划" in zh
    en = client.get(f"/i/{shown.id}?lang=en").get_data(as_text=True)
    assert "2 stops are expected to be crowded or full when you arrive." in en
    r = client.post(f"/i/{shown.id}/replan", data={"avoid_crowds": "y"})
    assert r.status_code == 303
    again = store.get_itinerary(r.headers["Location"].rsplit("/", 1)[1])
    assert again.request["avoid_crowds"] is True and again.result["avoid_crowds"] is True
    # the same trip otherwise: its locks and removals stay
    assert again.request["locked"] == kept["locked"] and again.request["exclude"] == kept["exclude"]
    assert "jiaozuo_museum" not in {s["site_id"] for d in again.result["days"] for s in d["stops"]}
    page = client.get(f"/i/{again.id}?lang=zh").get_data(as_text=True)
    assert 'id="crowd-tip"' not in page
    assert 'id="crowd-avoided"' in page and "已按客流预测尽量把游览安排在人少的时段。" in page
    # a plan with nothing crowded has no tip (the saved one, with its own forecast, is checked above by counting)
    calm = copy.deepcopy(rec.result)
    for d in calm["days"]:
        for s in d["stops"]:
            s["crowd"] = {"level": "normal", "pct": 10, "at": s["start"]}
    calm["avoid_crowds"] = False
    quiet = store.save_itinerary(rec.request, calm)
    assert 'id="crowd-tip"' not in client.get(f"/i/{quiet.id}").get_data(as_text=True)
