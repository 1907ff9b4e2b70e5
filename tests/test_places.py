"""Resolving what a visitor types to a site, type-ahead, and the start and end points of a day."""

from __future__ import annotations

import pytest
from planning import SAT, plan

from tourplan.errors import PlaceNotFoundError
from tourplan.itinerary import ItineraryRequest, plan_itinerary, resolve_place
from tourplan.places import PlaceIndex, PlaceResolutionError, normalize, resolve_place_name, suggest
from tourplan.sights import NOT_SIGHTS


@pytest.fixture(scope="module")
def index(bundled_sites):  # type: ignore[no-untyped-def]
    return PlaceIndex(bundled_sites)


@pytest.mark.parametrize(
    ("text", "site_id"),
    [
        ("焦作火车站", "jiaozuo_station"),
        ("焦作站", "jiaozuo_station"),
        ("jiaozuo_station", "jiaozuo_station"),
        ("Jiaozuo Railway Station", "jiaozuo_station"),
        ("jiaozuo train station", "jiaozuo_station"),
        ("ＪＩＡＯＺＵＯ　ＳＴＡＴＩＯＮ", "jiaozuo_station"),
        ("焦作西高铁站", "jiaozuo_west_station"),
        ("云台山", "yuntai_mountain"),
        ("云台山景区", "yuntai_mountain"),
        (" yuntaishan ", "yuntai_mountain"),
        ("红石峡", "yuntai_hongshixia"),
        ("温盘峪", "yuntai_hongshixia"),
        ("韩园", "hanyu_tomb_xiguo"),
        ("天阶酒店", "yuntai_tianjie_hotel"),
        ("Yuntaishan Tianjie Hotel", "yuntai_tianjie_hotel"),
        ("黄河龙王庙", "jiaying_temple"),
        ("缝山针公园", "fengshan_mine_park"),
        ("people's park", "peoples_park_jiaozuo"),
        ("陈家沟太极拳祖祠", "chenjiagou_taiji_ancestral_hall"),
    ],
)
def test_names_aliases_and_variants_resolve(index, text, site_id):
    assert index.resolve(text).id == site_id


def test_every_name_and_alias_of_the_table_resolves_to_its_own_site(index, bundled_sites):
    for s in bundled_sites:
        for text in (s.id, s.name_zh, s.name_en, *s.aliases):
            assert index.resolve(text).id == s.id, text


@pytest.mark.parametrize(
    ("typo", "wanted"),
    [
        ("云台杉", "yuntai_mountain"),
        ("chenjiagu", "chenjiagou"),
        ("Jiaozuo Musuem", "jiaozuo_museum"),
        ("红石侠", "yuntai_hongshixia"),
    ],
)
def test_a_typo_is_refused_with_the_right_suggestion(index, typo, wanted):
    with pytest.raises(PlaceResolutionError) as info:
        index.resolve(typo, field="end")
    err = info.value
    assert err.code == "place_unknown"
    assert err.field == "end"
    assert wanted in [s.id for s in err.candidates[:3]]
    assert isinstance(err, PlaceNotFoundError)
    zh, en = err.message.render("zh"), err.message.render("en")
    wanted_site = next(s for s in err.candidates if s.id == wanted)
    assert typo in zh and "您要找的是不是" in zh and wanted_site.name_zh in zh
    assert "Did you mean" in en and wanted_site.name_en in en
    d = err.to_dict()
    assert d["field"] == "end" and d["code"] == "place_unknown" and wanted in d["candidates"]


def test_nothing_close_gives_the_no_hint_message(index):
    with pytest.raises(PlaceResolutionError) as info:
        index.resolve("Eiffel Tower zzzz")
    assert info.value.code == "place_unknown_no_hint"
    assert info.value.candidates == ()
    assert "site, station or hotel" in info.value.message.render("en")


def test_blank_text(index):
    with pytest.raises(PlaceResolutionError) as info:
        index.resolve("   ")
    assert info.value.code == "place_empty"
    assert info.value.message.render("zh") == "请输入一个地点。"


def test_ambiguous_text_lists_the_candidates(index):
    with pytest.raises(PlaceResolutionError) as info:
        index.resolve("陈家沟太极")
    err = info.value
    assert err.code == "place_ambiguous"
    ids = {s.id for s in err.candidates}
    assert {"chenjiagou_taiji_ancestral_hall", "chenjiagou_taiji_street"} <= ids
    assert "请选一个" in err.message.render("zh")


def test_must_see_accepts_only_sights(index):
    sights = {c for c in {s.category for s in index.sites} if c not in NOT_SIGHTS}
    assert index.resolve("红石峡", field="must_see", allowed=sights).id == "yuntai_hongshixia"
    with pytest.raises(PlaceResolutionError) as info:
        index.resolve("焦作火车站", field="must_see", allowed=sights)
    assert info.value.code == "place_not_a_sight"
    assert info.value.message.render("zh") == "“焦作站”是车站，不是游览景点。"
    assert info.value.message.render("en") == "“Jiaozuo Railway Station” is a station, not a sight to visit."


def test_normalize_is_idempotent(bundled_sites):
    for s in bundled_sites:
        for text in (s.name_zh, s.name_en, *s.aliases):
            assert normalize(normalize(text)) == normalize(text)


def test_suggest_prefix_first_then_popularity(bundled_sites):
    got = suggest("云台", bundled_sites, lang="zh", limit=5)
    assert len(got) == 5
    assert got[0].site_id == "yuntai_mountain"
    pops = [bundled_sites[s.site_id].popularity for s in got]
    assert pops == sorted(pops, reverse=True)
    assert all(s.label == bundled_sites[s.site_id].name_zh for s in got)
    en = suggest("red stone", bundled_sites, lang="en")
    assert [s.site_id for s in en] == ["yuntai_hongshixia"]
    assert en[0].label == bundled_sites["yuntai_hongshixia"].name_en
    assert en[0].to_dict()["id"] == "yuntai_hongshixia"


def test_suggest_limits_and_filters(bundled_sites):
    assert suggest("", bundled_sites) == []
    assert suggest("焦作", bundled_sites, limit=0) == []
    assert len(suggest("焦作", bundled_sites, limit=3)) == 3
    only = suggest("焦作", bundled_sites, allowed={"transport"}, limit=10)
    assert only and all(bundled_sites[s.site_id].category == "transport" for s in only)
    hotels = suggest("酒店", bundled_sites)
    assert [s.site_id for s in hotels] == ["yuntai_tianjie_hotel"]


def test_one_off_helper_matches_the_index(bundled_sites):
    assert resolve_place_name("焦作火车站", bundled_sites).id == "jiaozuo_station"


def test_start_by_free_text(bundled_sites, bundled_graph):
    it = plan(bundled_sites, bundled_graph, start="焦作西站", interests={"history": 1})
    assert it.days[0].start.site_id == "jiaozuo_west_station"
    it2 = plan(bundled_sites, bundled_graph, start="Jiaozuo Railway Station", interests={"history": 1})
    assert it2.days[0].start.site_id == "jiaozuo_station"


def test_unknown_place_offline_explains(bundled_sites, bundled_graph):
    with pytest.raises(PlaceNotFoundError, match="could not find .*type the name of a site, station or hotel"):
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
