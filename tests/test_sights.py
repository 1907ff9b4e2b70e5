"""The must-see picker's groups and area tickets shown once."""

from __future__ import annotations

import re

import pytest

from tourplan.messages import MESSAGES, Message, Name, render
from tourplan.sights import (
    CATEGORY_NAMES,
    NOT_SIGHTS,
    category_name,
    is_sight,
    sight_groups,
    stop_ticket,
    ticket_lines,
    tickets_total,
)


def test_groups_hold_every_sight_and_nothing_else(bundled_sites):
    groups = sight_groups(bundled_sites)
    listed = [s for g in groups for s in g.sites]
    assert len(listed) == len({s.id for s in listed})
    assert {s.id for s in listed} == {s.id for s in bundled_sites if is_sight(s)}
    for s in listed:
        assert s.category not in NOT_SIGHTS
        assert s.visit_minutes > 0
    names = {s.name_zh for s in listed}
    assert not {"焦作站", "焦作西站", "焦作市人民政府", "云台山天阶酒店（岸上服务区）"} & names
    assert not any("人民政府" in n for n in names)


def test_groups_are_ordered_by_popularity_and_labelled_in_both_languages(bundled_sites):
    groups = sight_groups(bundled_sites, lang="en")
    tops = [g.sites[0].popularity for g in groups]
    assert tops == sorted(tops, reverse=True)
    for g in groups:
        pops = [s.popularity for s in g.sites]
        assert pops == sorted(pops, reverse=True)
        assert all(s.category == g.category for s in g.sites)
        assert g.label("zh") == CATEGORY_NAMES[g.category].zh
        assert g.label("en") == CATEGORY_NAMES[g.category].en
    assert groups[0].category == "mountain"


def test_every_category_has_both_names(bundled_sites):
    from tourplan.site import CATEGORIES

    for c in CATEGORIES:
        n = category_name(c)
        assert n.zh and n.en and n.zh != n.en
    assert category_name("volcano") == Name("volcano", "volcano")


def test_area_ticket_is_shown_once_and_names_the_parts(bundled_sites):
    stops = [
        "jiaozuo_station",
        "yuntai_hongshixia",
        "yuntai_anshang_service_area",
        "yuntai_zhuyufeng",
        "yuntai_tanpuxia",
    ]
    lines = ticket_lines(stops, bundled_sites)
    paid = [line for line in lines if line.price > 0]
    assert len(paid) == 1
    (area,) = paid
    assert (
        area.site_id == "yuntai_mountain" and area.price == bundled_sites["yuntai_mountain"].ticket_cny == 120
    )
    # the service area is a restaurant at the gate (ticket_rule free): not behind the area ticket
    assert area.covers == ("yuntai_hongshixia", "yuntai_zhuyufeng", "yuntai_tanpuxia")
    zh, en = area.render("zh"), area.render("en")
    assert zh.startswith("云台山风景名胜区门票 ¥120，含红石峡、")
    assert "茱萸峰" in zh and "潭瀑峡" in zh and "（" not in zh
    assert en.startswith("Yuntai Mountain scenic area ticket ¥120, covers Red Stone Gorge, ")
    free = [line for line in lines if "free" in line.render("en")]
    assert [line.site_id for line in free] == ["yuntai_anshang_service_area"]
    assert tickets_total(lines).render("zh") == "门票合计 ¥120"


def test_the_same_ticket_whatever_the_order(bundled_sites):
    a = ticket_lines(["yuntai_zhuyufeng", "yuntai_hongshixia"], bundled_sites)
    b = ticket_lines(["yuntai_hongshixia", "yuntai_zhuyufeng"], bundled_sites)
    assert (
        [(x.site_id, x.price) for x in a] == [(y.site_id, y.price) for y in b] == [("yuntai_mountain", 120.0)]
    )


def test_area_itself_as_a_stop_is_one_line(bundled_sites):
    lines = ticket_lines(["yuntai_mountain", "yuntai_hongshixia", "yuntai_mountain"], bundled_sites)
    assert [(x.site_id, x.covers) for x in lines] == [("yuntai_mountain", ("yuntai_hongshixia",))]
    alone = ticket_lines(["yuntai_mountain"], bundled_sites)
    assert alone[0].message.code == "ticket_site"


def test_own_priced_parts_are_paid_on_their_own(bundled_sites):
    lines = ticket_lines(["qinglongxia", "yuntai_hongshixia"], bundled_sites)
    assert [(x.site_id, x.price) for x in lines] == [("qinglongxia", 60.0), ("yuntai_mountain", 120.0)]
    assert lines[0].covers == ()


def test_free_sights_say_free_and_non_sights_say_nothing(bundled_sites):
    lines = ticket_lines(["jiaozuo_station", "chenjiagou", "chenjiagou_taiji_street"], bundled_sites)
    assert [x.message.code for x in lines] == ["ticket_free", "ticket_free"]
    assert lines[0].render("zh") == "陈家沟免费"
    assert ticket_lines(["chenjiagou"], bundled_sites, include_free=False) == []


def test_stop_label_never_says_free_on_a_covered_part(bundled_sites):
    for s in bundled_sites:
        msg = stop_ticket(s, bundled_sites)
        parent = bundled_sites.get(s.parent_id) if s.parent_id else None
        if s.ticket_cny > 0:
            assert msg.code == "ticket_site"
        elif s.ticket_rule == "area_ticket":
            assert parent is not None and parent.ticket_cny > 0
            assert msg.code == "ticket_covered", s.id
            assert "免费" not in msg.render("zh") and "free" not in msg.render("en")
        else:
            assert msg.code == "ticket_free", s.id


def test_ticket_line_json(bundled_sites):
    (line,) = ticket_lines(["yuntai_hongshixia"], bundled_sites)
    d = line.to_dict()
    assert (
        d["site_id"] == "yuntai_mountain" and d["price_cny"] == 120.0 and d["covers"] == ["yuntai_hongshixia"]
    )
    assert d["code"] == "ticket_area"
    assert d["params"]["area"] == {"zh": "云台山风景名胜区", "en": "Yuntai Mountain scenic area"}


def test_every_message_renders_in_both_languages():
    for code, (zh, en) in MESSAGES.items():
        # translated, unless the sentence is one bilingual parameter as it is (a stop's own activity phrase)
        assert zh != en or re.fullmatch(r"\{\w+\}", zh), code
        fields = {f.split("}")[0] for f in zh.split("{")[1:]}
        assert fields == {f.split("}")[0] for f in en.split("{")[1:]}, code
        params = {f: Name("甲", "A") for f in fields}
        assert render(Message(code, params), "zh") and render(Message(code, params), "en")
    with pytest.raises(ValueError, match="message codes"):
        Message("no_such_code")
