"""The itinerary model: visit lengths, climbs and the day's diminishing value."""

from __future__ import annotations

import pytest
from planning import plan


def test_trail_sites_take_at_least_the_hike_and_count_their_climb(bundled_sites, bundled_graph):
    from dataclasses import replace

    from tourplan.graph import SiteGraph, hiking_minutes
    from tourplan.itinerary import visit_minutes
    from tourplan.site import SiteTable

    peak = replace(bundled_sites["yuntai_zhuyufeng"], trail_km=6.0, trail_ascent_m=700.0)
    assert visit_minutes(peak) == pytest.approx(1.25 * hiking_minutes(6.0, 700.0, 700.0))
    assert visit_minutes(peak) > peak.visit_minutes
    table = SiteTable(tuple(peak if s.id == peak.id else s for s in bundled_sites))
    graph = SiteGraph(table)
    # 700 m of climbing is over the relaxed limit (400 m) but within the active one (1500 m).
    relaxed = plan(table, graph, interests={"mountain": 1}, pace="relaxed", must_see=(peak.id,))
    assert peak.id not in relaxed.site_ids
    why = relaxed.unplaced[peak.id]
    assert why.code == "unplaced_too_steep" and why.params["limit"] == 400
    assert "“Relaxed” pace" in why.render("en") and "“节奏”改为“紧凑”" in why.render("zh")
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
