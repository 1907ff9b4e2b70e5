"""Row checks of the site data: one row, a whole table, edges, the GCJ-02 hint."""

from __future__ import annotations

import csv
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from tourplan.coords import wgs84_to_gcj02
from tourplan.errors import DataValidationError
from tourplan.site import Region, SiteTable
from tourplan.sitecheck import check_edge_table, check_site_row, check_site_table, likely_gcj02, site_row

if TYPE_CHECKING:
    from pathlib import Path

JIAOZUO = Region()


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _problems(records: list[dict[str, str]]) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(DataValidationError) as info:
        check_site_table(records, name="t.csv", region=JIAOZUO)
    assert all(p.file == "t.csv" for p in info.value.problems)
    return [(p.row, p.column, p.expected) for p in info.value.problems]


# --------------------------------------------------------------------------- one row


def test_every_bundled_site_survives_the_way_to_a_row_and_back(bundled_sites):
    for s in bundled_sites:
        assert check_site_row(site_row(s), known_ids=bundled_sites.ids) == s


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("lat", "95", "a number from -90 to 90 (WGS-84 degrees)"),
        ("lon", "inf", "a finite number"),
        ("visit_minutes", "12.5", "a whole number"),
        ("capacity_instant", "-1", "a number of at least 0"),
        ("elevation_m", "9001", "a number from -500 to 9000"),
        ("themes", "mountain;karaoke", "unknown: karaoke"),
        ("indoor", "", "true or false"),
        ("accessible", "sometimes", "true or false"),
        ("name_en", "x" * 201, "at most 200 characters"),
        ("parent_id", "jiaozuo_station", "another row's id, not the row's own"),
        ("activity_zh", "Take the train", "Chinese text"),
    ],
)
def test_a_bad_cell_is_named_with_what_was_expected(bundled_sites, column, value, expected):
    row = {**site_row(bundled_sites["jiaozuo_station"]), column: value}
    with pytest.raises(DataValidationError) as info:
        check_site_row(row, name="edit", row_number=4)
    (p,) = info.value.problems
    assert (p.file, p.row, p.column) == ("edit", 4, column)
    assert expected in p.expected


def test_values_are_stripped_and_optional_columns_default(bundled_sites):
    s = bundled_sites["jiaozuo_station"]
    row = {k: f" {v} " for k, v in site_row(s).items() if k not in ("accessible", "trail_km", "aliases")}
    got = check_site_row(row)
    assert got == replace(s, accessible=True, trail_km=None, aliases=())


def test_parent_must_be_a_known_id(bundled_sites):
    row = {**site_row(bundled_sites["jiaozuo_station"]), "parent_id": "nowhere"}
    assert check_site_row(row).parent_id == "nowhere"  # no ids given: not checked
    with pytest.raises(
        DataValidationError, match="column 'parent_id': got 'nowhere'; expected the id of another row"
    ):
        check_site_row(row, known_ids=bundled_sites.ids)


@pytest.mark.parametrize(
    ("cells", "column", "expected"),
    [
        ("ticket_rule=free ticket_cny=30", "ticket_rule", "a rule for a priced site"),
        ("ticket_rule=national_youth_2012 ticket_cny=0", "ticket_rule", "needs a ticket_cny above 0"),
        ("ticket_rule=area_ticket ticket_cny=0 parent_id=", "ticket_rule", "a parent_id for area_ticket"),
        ("ticket_rule=bogus", "ticket_rule", "one of national_youth_2012"),
        ("ticket_rule=free ticket_source=", "ticket_source", "the source of ticket rule free"),
        ("ticket_rule=free ticket_student_cny=5", "ticket_student_cny", "give it only with site_specific"),
        ("ticket_rule= ticket_child_cny=5", "ticket_child_cny", "unless ticket_rule is site_specific"),
        ("ticket_rule=site_specific ticket_cny=40", "ticket_student_cny", "a sourced student or child price"),
        (
            "ticket_rule=site_specific ticket_cny=40 ticket_child_cny=50",
            "ticket_child_cny",
            "at most the adult",
        ),
    ],
)
def test_ticket_rule_must_fit_the_price(bundled_sites, cells, column, expected):
    row = {**site_row(bundled_sites["jiaozuo_station"]), "ticket_source": "a notice"}
    row.update(cell.split("=", 1) for cell in cells.split())
    with pytest.raises(DataValidationError) as info:
        check_site_row(row)
    assert [p.column for p in info.value.problems] == [column]
    assert expected in info.value.problems[0].expected


def test_site_specific_prices_are_kept(bundled_sites):
    cells = {
        "ticket_rule": "site_specific",
        "ticket_cny": "40",
        "ticket_student_cny": "20",
        "ticket_source": "a page",
    }
    s = check_site_row({**site_row(bundled_sites["chenjiagou"]), **cells})
    assert (s.ticket_rule, s.ticket_cny, s.ticket_student_cny, s.ticket_child_cny) == (
        "site_specific",
        40,
        20,
        None,
    )


def test_a_text_too_long_is_reported_alone_or_with_the_rest(bundled_sites):
    row = {**site_row(bundled_sites["jiaozuo_station"]), "note": "n" * 5001}
    with pytest.raises(DataValidationError) as info:
        check_site_row(row)
    assert [p.column for p in info.value.problems] == ["note"]
    # The free texts are read once every other column has passed.
    with pytest.raises(DataValidationError) as info:
        check_site_row({**row, "lat": "x"})
    assert [p.column for p in info.value.problems] == ["lat"]


# --------------------------------------------------------------------------- a table


def test_small_table_passes_with_row_numbers(small_pois, small_sites):
    sites, rows = check_site_table(_records(small_pois), name="t.csv", region=JIAOZUO)
    assert SiteTable(sites) == SiteTable(small_sites.sites)
    assert rows == {s.id: i for i, s in enumerate(small_sites, start=1)}


def test_problems_of_all_rows_come_in_row_order(small_pois):
    recs = _records(small_pois)
    recs[5]["opening_hours"] = "whenever"
    recs[0]["lat"] = "abc"
    recs[2]["category"] = "nope"
    recs[4]["id"] = recs[1]["id"]
    assert [(r, c) for r, c, _ in _problems(recs)] == [
        (1, "lat"),
        (3, "category"),
        (5, "id"),
        (6, "opening_hours"),
    ]
    assert "row 2 has it already" in _problems(recs)[2][2]


def test_swapped_and_far_coordinates(small_pois):
    recs = _records(small_pois)
    recs[1]["lat"], recs[1]["lon"] = recs[1]["lon"], recs[1]["lat"]
    recs[3]["lat"], recs[3]["lon"] = "39.9042", "116.4074"  # Beijing
    by_row = {r: e for r, _, e in _problems(recs)}
    assert "swapped" in by_row[2]
    assert "within Jiaozuo" in by_row[4]


def test_empty_table_is_refused():
    assert _problems([]) == [(None, None, "at least one data row")]


def test_missing_parent_is_named(small_pois):
    recs = _records(small_pois)
    recs[3]["parent_id"] = "no_such_site"
    assert _problems(recs) == [(4, "parent_id", "the id of another row")]


def test_area_ticket_needs_a_parent_that_sells_one(small_pois):
    recs = _records(small_pois)
    part = {"parent_id": "longyuan_lake_park", "ticket_rule": "area_ticket", "ticket_source": "assumed"}
    recs[6].update(part)  # the park is free: nothing admits to its part
    ((row, column, expected),) = _problems(recs)
    assert (row, column) == (7, "ticket_rule")
    assert "the parent longyuan_lake_park (row 6) sells no ticket" in expected
    recs[6]["parent_id"] = "chenjiagou"
    sites, _ = check_site_table(recs, name="t.csv", region=JIAOZUO)
    assert sites[6].ticket_rule == "area_ticket"


def test_alias_taken_by_another_row_is_refused(small_pois):
    recs = _records(small_pois)
    recs[0]["aliases"] = "焦作火车站"
    recs[1]["aliases"] = "焦作站"
    assert _problems(recs) == [(2, "aliases", "a name no other row uses (row 1 (jiaozuo_station) has it)")]


def test_aliases_and_both_activity_columns(small_pois):
    recs = _records(small_pois)
    recs[2].update(aliases="陈家沟村； Chen Village;陈家沟村;陈家沟", activity_zh="学太极拳")
    sites, rows = check_site_table(recs, name="t.csv", region=JIAOZUO)
    s = sites[rows["chenjiagou"] - 1]
    assert s.aliases == ("陈家沟村", "Chen Village")  # repeats and the row's own name dropped
    assert (s.activity, s.activity_zh) == ("Learn taiji basics", "学太极拳")
    recs[2]["activity_en"] = "Something else"
    ((row, column, expected),) = _problems(recs)
    assert (row, column) == (3, "activity")
    assert "activity_en" in expected


# --------------------------------------------------------------------------- edges and GCJ-02


def test_edge_rows_are_checked_against_the_sites(small_sites, small_edges):
    (edge,) = check_edge_table(_records(small_edges), small_sites, name="e.csv")
    assert (edge.mode, edge.minutes, edge.ascent_m, edge.bidirectional) == ("hike", None, 300, True)
    recs = [
        {"from_id": "chenjiagou", "to_id": "nowhere", "mode": "walk", "distance_km": "1"},
        {"from_id": "chenjiagou", "to_id": "chenjiagou", "mode": "teleport", "distance_km": "-2"},
        {"from_id": "chenjiagou", "to_id": "jiaying_temple", "mode": "walk", "distance_km": "0"},
    ]
    with pytest.raises(DataValidationError) as info:
        check_edge_table(recs, small_sites, name="e.csv")
    got = [(p.row, p.column) for p in info.value.problems]
    assert got == [(1, "to_id"), (2, "to_id"), (2, "mode"), (2, "distance_km"), (3, "minutes")]


def test_a_point_read_off_a_gcj02_map_is_flagged(small_sites):
    station = small_sites["jiaozuo_station"]
    lat, lon = wgs84_to_gcj02(station.lat, station.lon)
    copy = replace(station, id="station_from_gaode", lat=lat, lon=lon)
    table = SiteTable((*small_sites.sites, copy))
    assert [(s.id, ref) for s, ref in likely_gcj02(table)] == [("station_from_gaode", "jiaozuo_station")]
    assert likely_gcj02(small_sites) == []
    # A reference point from elsewhere (the gazetteer, say) counts too.
    alone = SiteTable((replace(copy, id="alone"),))
    assert likely_gcj02(alone) == []
    assert [ref for _, ref in likely_gcj02(alone, [(station.lat, station.lon, "seat")])] == ["seat"]
