"""Ticket rules per site and visitor type (tourplan.tickets, data columns ticket_*)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from tourplan.data import load_sites, parse_sites
from tourplan.errors import DataValidationError
from tourplan.resources import default_pois_path
from tourplan.site import TICKET_RULES
from tourplan.tickets import (
    FARE_REASONS,
    TICKET_RULE_NAMES,
    VISITOR_NAMES,
    VISITORS,
    fare,
    group_tickets,
    group_tickets_total,
    rule_name,
    ticket_payer,
    ticket_rule,
    visitor_price,
)

if TYPE_CHECKING:
    from pathlib import Path

#: Share of the adult price each visitor type pays under each rule, written
#: out from the notices (domain.md) independently of the code.
SHARE: dict[str, dict[str, float]] = {
    "national_youth_2012": {
        "adult": 1, "student": 0.5, "minor": 0.5, "child": 0, "teacher": 1, "senior": 1, "school_group": 0.5,
    },
    "henan_public_scenic_2020": {
        "adult": 1, "student": 0.5, "minor": 0.5, "child": 0, "teacher": 1, "senior": 0, "school_group": 0.5,
    },
    "patriotic_base_free_school": {
        "adult": 1, "student": 0.5, "minor": 0.5, "child": 0, "teacher": 1, "senior": 1, "school_group": 0,
    },
    "free_public_museum_2008": dict.fromkeys(VISITORS, 0.0),
    "free": dict.fromkeys(VISITORS, 0.0),
}  # fmt: skip


def _raw_rows() -> list[dict[str, str]]:
    """The bundled table read with the csv module, not the loader."""
    text = default_pois_path().read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _expected(row: dict[str, str], by_id: dict[str, dict[str, str]], visitor: str) -> float:
    """What one visitor pays to enter the row's site, from the raw columns."""
    if row["ticket_rule"] == "area_ticket":
        row = by_id[row["parent_id"]]
    return float(row["ticket_cny"]) * SHARE[row["ticket_rule"]][visitor]


# ---------------------------------------------------------------------------
# The bundled table


def test_every_bundled_row_names_a_rule_and_its_source(bundled_sites):
    rows = _raw_rows()
    assert len(rows) == len(bundled_sites)
    for r in rows:
        assert r["ticket_rule"] in TICKET_RULES, r["id"]
        assert len(r["ticket_source"]) > 10, r["id"]
        assert (float(r["ticket_cny"]) > 0) == (
            r["ticket_rule"]
            in {"national_youth_2012", "henan_public_scenic_2020", "patriotic_base_free_school"}
        ), r["id"]
        # the national rule applied without a site-specific source says so
        if r["ticket_rule"] in {"national_youth_2012", "henan_public_scenic_2020"}:
            assert "national rule assumed" in r["ticket_source"], r["id"]
        if r["ticket_rule"] == "free_public_museum_2008":
            assert "中宣发〔2008〕2号" in r["ticket_source"], r["id"]
    loaded = Counter(s.ticket_rule for s in bundled_sites)
    assert loaded == Counter(r["ticket_rule"] for r in rows)


@pytest.mark.parametrize("rule", [r for r in TICKET_RULES if r != "site_specific"])
def test_recount_each_rule_over_the_bundled_table(bundled_sites, rule):
    rows = _raw_rows()
    by_id = {r["id"]: r for r in rows}
    mine = [r for r in rows if r["ticket_rule"] == rule]
    assert mine, f"no bundled row has rule {rule}"
    for r in mine:
        site = bundled_sites[r["id"]]
        for visitor in VISITORS:
            f = fare(site, bundled_sites, visitor)
            assert f.price_cny == pytest.approx(_expected(r, by_id, visitor)), (r["id"], visitor)
            if rule == "area_ticket":
                assert f.payer_id == r["parent_id"] and f.message.code == "ticket_covered"
                assert "免费" not in f.render("zh") and "free" not in f.render("en")
            elif float(r["ticket_cny"]) > 0:
                assert f.payer_id == r["id"] and f.rule == rule
            else:
                assert f.payer_id is None and f.message.code == "ticket_free"


def test_a_group_visiting_every_site_pays_the_recounted_sum(bundled_sites):
    rows = _raw_rows()
    by_id = {r["id"]: r for r in rows}
    students, teachers, seniors = 45, 4, 2
    lines = group_tickets(
        [s.id for s in bundled_sites], bundled_sites, students=students, teachers=teachers, seniors=seniors
    )
    payers = {r["parent_id"] if r["ticket_rule"] == "area_ticket" else r["id"] for r in rows}
    payers = {p for p in payers if float(by_id[p]["ticket_cny"]) > 0}
    assert {line.site_id for line in lines} == payers
    assert len(lines) == len(payers)  # each ticket once
    expected = sum(
        students * _expected(by_id[p], by_id, "school_group")
        + teachers * _expected(by_id[p], by_id, "teacher")
        + seniors * _expected(by_id[p], by_id, "senior")
        for p in payers
    )
    assert sum(line.total_cny for line in lines) == pytest.approx(expected)
    assert group_tickets_total(lines).render("en") == f"Tickets in total ¥{expected:g}"
    for line in lines:
        assert by_id[line.site_id]["category"] != "food"
        assert line.rule == by_id[line.site_id]["ticket_rule"]
        for part in line.covers:
            assert by_id[part]["parent_id"] == line.site_id and by_id[part]["ticket_rule"] == "area_ticket"


# ---------------------------------------------------------------------------
# Areas, restaurants and patriotic-education bases


def test_parts_under_an_area_ticket_cost_nothing_extra(bundled_sites):
    day = ["yuntai_anshang_service_area", "yuntai_hongshixia", "yuntai_zhuyufeng", "yuntai_mountain"]
    (line,) = group_tickets(day, bundled_sites, students=30, teachers=3)
    area = bundled_sites["yuntai_mountain"]
    assert line.site_id == "yuntai_mountain"
    assert line.covers == ("yuntai_hongshixia", "yuntai_zhuyufeng")
    assert line.total_cny == 30 * area.ticket_cny / 2 + 3 * area.ticket_cny
    alone = group_tickets(["yuntai_mountain"], bundled_sites, students=30, teachers=3)
    assert alone[0].total_cny == line.total_cny  # the parts add nothing
    assert "含红石峡、茱萸峰" in line.render("zh")
    assert "covers Red Stone Gorge, Zhuyu Peak" in line.render("en")
    part = fare(bundled_sites["yuntai_hongshixia"], bundled_sites, "child")
    assert part.price_cny == 0 and part.reason == "child_free"  # the child goes free by the rule,
    assert part.message.code == "ticket_covered"  # but the stop is labelled as covered, not free


def test_lunch_restaurant_never_carries_the_ticket(bundled_sites):
    # 青天河's restaurant is inside the area: the area's line pays for it
    (line,) = group_tickets(["qingtianhe_tianjingguan_dining"], bundled_sites, students=20, teachers=2)
    assert line.site_id == "qingtianhe" and line.covers == ("qingtianhe_tianjingguan_dining",)
    # 云台山's gate restaurant needs no ticket at all
    assert group_tickets(["yuntai_anshang_service_area"], bundled_sites, students=20) == []
    assert ticket_payer(bundled_sites["yuntai_anshang_service_area"], bundled_sites) is None


def test_patriotic_education_base_is_free_for_a_school_group(bundled_sites):
    temple = bundled_sites["jiaying_temple"]
    assert temple.ticket_rule == "patriotic_base_free_school" and temple.ticket_cny == 55
    (school,) = group_tickets(["jiaying_temple"], bundled_sites, students=40, teachers=4)
    assert [(i.visitor, i.count, i.unit_cny) for i in school.items] == [
        ("school_group", 40, 0.0),
        ("teacher", 4, 55.0),
    ]
    assert school.total_cny == 4 * 55
    (family,) = group_tickets(["jiaying_temple"], bundled_sites, students=2, adults=2, school_visit=False)
    assert family.total_cny == 2 * 27.5 + 2 * 55
    # the same site under the plain national rule: school groups pay half
    plain = replace(temple, ticket_rule="national_youth_2012")
    assert visitor_price(plain, "school_group") == (27.5, "youth_half")


def test_henan_rule_frees_seniors_only_where_it_applies(bundled_sites):
    assert visitor_price(bundled_sites["yuntai_mountain"], "senior") == (0.0, "senior_free_henan")
    assert visitor_price(bundled_sites["jiaozuo_film_city"], "senior") == (60.0, "senior_no_source")


def test_site_specific_prices_replace_the_national_ones_only_when_kinder(small_pois):
    text = small_pois.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    extra = ["ticket_rule", "ticket_student_cny", "ticket_child_cny", "ticket_source"]
    for r in rows:
        r.update(dict.fromkeys(extra, ""))
    temple = next(r for r in rows if r["id"] == "jiaying_temple")
    temple.update(
        ticket_rule="site_specific", ticket_student_cny="20", ticket_child_cny="10", ticket_source="x"
    )
    table = parse_sites(_csv(rows, extra))
    site = table["jiaying_temple"]
    assert visitor_price(site, "student") == (20.0, "site_price")
    assert visitor_price(site, "school_group") == (20.0, "site_price")
    assert visitor_price(site, "minor") == (27.5, "youth_half")  # no sourced price for minors
    assert visitor_price(site, "child") == (0.0, "child_free")  # the national rule is a floor
    assert visitor_price(site, "adult") == (55.0, "full")
    # a table without the ticket columns: rules inferred, the national rule assumed
    old = load_sites(small_pois)
    assert ticket_rule(old["jiaying_temple"], old) == "national_youth_2012"
    assert ticket_rule(old["longyuan_lake_park"], old) == "free"


def test_names_in_both_languages():
    for table in (TICKET_RULE_NAMES, VISITOR_NAMES, FARE_REASONS):
        for key, name in table.items():
            assert name.zh and name.en and name.zh != name.en, key
    assert set(TICKET_RULE_NAMES) == set(TICKET_RULES)
    assert set(VISITOR_NAMES) == set(VISITORS)
    with pytest.raises(ValueError, match="code must be one of"):
        rule_name("half_price")


def test_json_carries_the_rule_code_and_names(bundled_sites):
    (line,) = group_tickets(["yuntai_tanpuxia"], bundled_sites, students=10, teachers=1)
    d = line.to_dict()
    assert d["site_id"] == "yuntai_mountain" and d["rule"] == "henan_public_scenic_2020"
    assert d["rule_name"]["zh"] == TICKET_RULE_NAMES["henan_public_scenic_2020"].zh
    assert d["total_cny"] == 10 * 60 + 120 and d["covers"] == ["yuntai_tanpuxia"]
    assert d["code"] == "ticket_group_area"
    f = fare(bundled_sites["jiaying_temple"], bundled_sites, "school_group").to_dict()
    assert (f["price_cny"], f["reason"], f["code"]) == (0.0, "school_group_free", "ticket_fare")


def test_bad_arguments_are_named(bundled_sites):
    with pytest.raises(ValueError, match="visitor must be one of"):
        visitor_price(bundled_sites["jiaying_temple"], "pensioner")
    with pytest.raises(ValueError, match="rule must be one of"):
        visitor_price(bundled_sites["jiaying_temple"], "adult", "half")
    with pytest.raises(ValueError, match="0 or more"):
        group_tickets(["jiaying_temple"], bundled_sites, students=-1)
    assert group_tickets(["jiaying_temple"], bundled_sites, students=0) == []


# ---------------------------------------------------------------------------
# Loader errors


def _csv(rows: list[dict[str, str]], extra: list[str]) -> str:
    header = [c for c in rows[0] if c not in extra] + extra
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def _table(small_pois: Path, changes: dict[str, dict[str, str]]) -> str:
    """The small table with the ticket columns, every row valid, then *changes* by id."""
    rows = list(csv.DictReader(io.StringIO(small_pois.read_text(encoding="utf-8"))))
    extra = ["ticket_rule", "ticket_student_cny", "ticket_child_cny", "ticket_source"]
    for r in rows:
        rule = "national_youth_2012" if float(r["ticket_cny"]) > 0 else "free"
        r.update(ticket_rule=rule, ticket_student_cny="", ticket_child_cny="", ticket_source="test: assumed")
        r.update(changes.get(r["id"], {}))
    return _csv(rows, extra)


def test_small_table_with_ticket_columns_loads(small_pois):
    table = parse_sites(_table(small_pois, {}))
    assert table["yuntai_mountain"].ticket_rule == "national_youth_2012"
    assert table["yuntai_mountain"].ticket_source == "test: assumed"


@pytest.mark.parametrize(
    ("changes", "row", "column", "expected"),
    [
        ({"jiaying_temple": {"ticket_rule": "half_price"}}, 5, "ticket_rule", "one of national_youth_2012"),
        ({"jiaying_temple": {"ticket_source": ""}}, 5, "ticket_source", "the source of ticket rule"),
        ({"jiaying_temple": {"ticket_rule": "free"}}, 5, "ticket_rule", "a rule for a priced site"),
        ({"longyuan_lake_park": {"ticket_rule": "national_youth_2012"}}, 6, "ticket_rule", "above 0"),
        ({"jiaying_temple": {"ticket_student_cny": "20"}}, 5, "ticket_student_cny", "an empty cell: rule"),
        (
            {"longyuan_lake_park": {"ticket_child_cny": "5", "ticket_rule": ""}},
            6,
            "ticket_child_cny",
            "unless",
        ),
        ({"jiaying_temple": {"ticket_rule": "site_specific"}}, 5, "ticket_student_cny", "a sourced student"),
        (
            {"jiaying_temple": {"ticket_rule": "site_specific", "ticket_student_cny": "60"}},
            5,
            "ticket_student_cny",
            "at most the adult ticket_cny (55)",
        ),
        ({"jiaying_temple": {"ticket_child_cny": "abc"}}, 5, "ticket_child_cny", "a number"),
        (
            {"longyuan_lake_park": {"ticket_rule": "area_ticket"}},
            6,
            "ticket_rule",
            "a parent_id for area_ticket",
        ),
        (
            {"shanyang_ancient_city": {"ticket_rule": "area_ticket", "parent_id": "peoples_park_jiaozuo"}},
            8,
            "ticket_rule",
            "the parent peoples_park_jiaozuo (row 7) sells no ticket",
        ),
    ],
)
def test_bad_ticket_columns_name_file_row_column(small_pois, changes, row, column, expected):
    with pytest.raises(DataValidationError) as info:
        parse_sites(_table(small_pois, changes), name="tickets.csv")
    probs = [p for p in info.value.problems if p.column == column]
    assert probs, info.value.problems
    assert probs[0].row == row and probs[0].file == "tickets.csv"
    assert expected in probs[0].expected
    assert f"row {row}" in str(info.value) and repr(column) in str(info.value)


def test_a_part_under_a_priced_parent_loads(small_pois):
    changes = {"longyuan_lake_park": {"ticket_rule": "area_ticket", "parent_id": "yuntai_mountain"}}
    table = parse_sites(_table(small_pois, changes))
    part = table["longyuan_lake_park"]
    assert ticket_payer(part, table) is table["yuntai_mountain"]
    (line,) = group_tickets([part], table, students=1)
    assert line.site_id == "yuntai_mountain" and line.covers == ("longyuan_lake_park",)
