"""The site graph: default legs, explicit legs, matrices."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from geopy.distance import geodesic

from tourplan.data import load_edges
from tourplan.errors import UnknownSiteError
from tourplan.graph import DEFAULT_MODES, ModeParams, SiteGraph, hiking_minutes
from tourplan.site import Edge


@pytest.fixture(scope="module")
def graph(small_sites, small_edges):
    return SiteGraph(small_sites, load_edges(small_edges, small_sites))


def test_default_leg_is_geodesic_times_circuity(small_sites):
    g = SiteGraph(small_sites)
    a, b = small_sites["jiaozuo_station"], small_sites["chenjiagou"]
    straight = geodesic((a.lat, a.lon), (b.lat, b.lon)).km
    leg = g.leg(a.id, b.id, "drive")
    p = DEFAULT_MODES["drive"]
    # precise points (100 m and 300 m errors): the error barely matters
    expected = math.hypot(straight, 0.65 * math.hypot(0.1, 0.3))
    assert leg.km == pytest.approx(expected * p.circuity)
    assert leg.km == pytest.approx(straight * p.circuity, rel=1e-3)
    assert leg.minutes == pytest.approx(p.minutes(expected * p.circuity))
    assert leg.kinds == ("default",)


def test_stand_in_points_are_not_zero_apart(small_sites):
    # Two sites placed at one town point with 2 km errors are not 0 km apart.
    park = small_sites["peoples_park_jiaozuo"]
    twin = replace(park, id="twin_park", location_error_m=2000.0)
    park2 = replace(park, location_error_m=2000.0)
    from tourplan.site import SiteTable

    table = SiteTable((park2, twin, small_sites["jiaozuo_station"]))
    leg = SiteGraph(table).leg(park2.id, twin.id, "walk")
    assert leg.km == pytest.approx(0.65 * math.hypot(2.0, 2.0) * DEFAULT_MODES["walk"].circuity)
    # parts of one area share a point on purpose: a short in-area hop
    part = replace(park, id="park_part", parent_id=park.id, location_error_m=2000.0)
    table2 = SiteTable((park2, part))
    hop = SiteGraph(table2).leg(park2.id, part.id, "walk")
    assert hop.km == pytest.approx(0.3 * 2.0 * DEFAULT_MODES["walk"].circuity)


def test_trail_edge_overrides_the_geodesic_leg(small_sites, small_edges, graph):
    plain = SiteGraph(small_sites)
    a, b = "peoples_park_jiaozuo", "shanyang_ancient_city"
    before = plain.leg(a, b, "walk")
    after = graph.leg(a, b, "walk")
    assert after.kinds == ("hike",)
    assert after.km == pytest.approx(6.0)
    assert after.ascent_m == pytest.approx(300)
    assert after.minutes == pytest.approx(hiking_minutes(6.0, 300, 0))
    assert after.km != pytest.approx(before.km)
    # the trail is walked the other way with the climb turned into descent
    back = graph.leg(b, a, "walk")
    assert back.ascent_m == 0
    assert back.descent_m == pytest.approx(300)


def test_explicit_leg_is_used_on_the_way_through(small_sites):
    # A fast shuttle between two far sites makes a detour through them quicker.
    fast = Edge("jiaozuo_station", "yuntai_mountain", "shuttle", minutes=5.0, distance_km=30.0)
    g = SiteGraph(small_sites, [fast])
    leg = g.leg("peoples_park_jiaozuo", "yuntai_mountain", "drive")
    assert leg.via == ("peoples_park_jiaozuo", "jiaozuo_station", "yuntai_mountain")
    assert leg.kinds == ("default", "shuttle")
    direct = SiteGraph(small_sites).leg("peoples_park_jiaozuo", "yuntai_mountain", "drive")
    assert leg.minutes < direct.minutes


@pytest.mark.parametrize("mode", ["drive", "bus", "walk", "mixed"])
def test_matrices_triangle_inequality(graph, small_sites, mode):
    m = graph.matrices(small_sites.ids, mode)
    t = m.minutes
    n = len(small_sites)
    assert t.shape == (n, n)
    assert np.all(np.diag(t) == 0)
    if mode == "mixed":
        return  # mixing two modes' shortest paths is not a metric
    for i, j, k in itertools.product(range(n), repeat=3):
        assert t[i, j] <= t[i, k] + t[k, j] + 1e-9


def test_drive_matrix_is_symmetric_without_explicit_legs(small_sites):
    m = SiteGraph(small_sites).matrices(small_sites.ids, "drive")
    assert np.allclose(m.minutes, m.minutes.T)
    assert np.allclose(m.km, m.km.T)


def test_walk_is_not_symmetric_uphill(small_sites):
    # 云台山 has an elevation; the others do not, so no climb is counted.
    g = SiteGraph(small_sites)
    up = g.leg("chenjiagou", "yuntai_mountain", "walk")
    assert up.ascent_m == 0  # chenjiagou has no elevation in the fixture
    assert up.minutes == pytest.approx(g.leg("yuntai_mountain", "chenjiagou", "walk").minutes)


def test_subset_and_points(graph):
    ids = ["chenjiagou", "hotel", "jiaozuo_station"]
    m = graph.matrices(ids, "drive", points={"hotel": (35.2300, 113.2300)})
    assert m.ids == tuple(ids)
    # the hotel is ~800 m from the station: a short hop
    assert m.minutes[1, 2] < 10
    full = graph.matrices(["chenjiagou", "jiaozuo_station"], "drive")
    assert m.minutes[0, 2] == pytest.approx(full.minutes[0, 1])
    # going via the station is never worse than the hotel's own direct legs
    assert m.minutes[1, 0] <= m.minutes[1, 2] + m.minutes[2, 0] + 1e-9


@pytest.mark.parametrize("mode", ["walk", "drive", "mixed"])
def test_matrices_follow_the_order_of_ids(graph, small_sites, mode):
    points = {"hotel": (35.2300, 113.2300), "inn": (35.2100, 113.2500)}
    ids = ["inn", *small_sites.ids, "hotel"]
    m = graph.matrices(ids, mode, points=points)
    order = [ids[i] for i in (3, 0, len(ids) - 1, 1, 2, *range(4, len(ids) - 1))]
    p = graph.matrices(order, mode, points=points)
    perm = [ids.index(x) for x in order]
    for name in ("minutes", "km", "ascent_m", "walk_km"):
        np.testing.assert_array_equal(getattr(p, name), getattr(m, name)[np.ix_(perm, perm)])
    assert np.all(np.diag(m.minutes) == 0)
    # between two points: never slower than through any site
    a, b = 0, len(ids) - 1
    assert m.minutes[a, b] <= min(m.minutes[a, k] + m.minutes[k, b] for k in range(1, b)) + 1e-9


def test_point_distances_are_cached_but_callers_cannot_spoil_them(graph):
    points = {"hotel": (35.2300, 113.2300)}
    first = graph.matrices(["hotel", "chenjiagou"], "drive", points=points)
    keep = first.minutes.copy()
    first.minutes[:] = -1.0  # a caller scribbling on its copy
    again = graph.matrices(["hotel", "chenjiagou"], "drive", points=points)
    np.testing.assert_array_equal(again.minutes, keep)


def test_mixed_walks_short_legs(graph):
    m = graph.matrices(
        ["jiaozuo_station", "hotel"],
        "mixed",
        points={"hotel": (35.2240, 113.2300)},
        walk_max_km=1.5,
    )
    w = graph.matrices(["jiaozuo_station", "hotel"], "walk", points={"hotel": (35.2240, 113.2300)})
    assert m.minutes[0, 1] == pytest.approx(w.minutes[0, 1])
    far = graph.matrices(["jiaozuo_station", "yuntai_mountain"], "mixed")
    bus = graph.matrices(["jiaozuo_station", "yuntai_mountain"], "bus")
    assert far.minutes[0, 1] == pytest.approx(bus.minutes[0, 1])


def test_unknown_site_and_mode(graph):
    with pytest.raises(UnknownSiteError):
        graph.leg("nowhere", "chenjiagou", "drive")
    with pytest.raises(ValueError, match="unknown transport mode"):
        graph.leg("jiaozuo_station", "chenjiagou", "rocket")


@pytest.mark.parametrize(
    ("km", "up", "down", "expected"),
    [(5.0, 0.0, 0.0, 60.0), (5.0, 600.0, 0.0, 120.0), (0.0, 300.0, 0.0, 30.0)],
)
def test_naismith(km, up, down, expected):
    assert hiking_minutes(km, up, down) == pytest.approx(expected)


def test_langmuir_steep_descent_costs_time():
    gentle = hiking_minutes(3.0, 0, 300)  # ~5.7 degrees
    steep = hiking_minutes(1.0, 0, 300)  # ~31 degrees
    assert gentle < hiking_minutes(3.0)
    assert steep > hiking_minutes(1.0)


def test_mode_params_validate():
    with pytest.raises(ValueError, match="circuity"):
        ModeParams(circuity=0.5, speed_kmh=4, fast_speed_kmh=4)


def test_bundled_graph_builds(bundled_graph, bundled_sites):
    m = bundled_graph.matrices(bundled_sites.ids[:10], "drive")
    assert np.isfinite(m.minutes).all()


def test_matrices_are_in_c_order(graph, small_sites):
    m = graph.matrices(["hotel", *small_sites.ids[::-1]], "drive", points={"hotel": (35.2300, 113.2300)})
    for name in ("minutes", "km", "ascent_m", "walk_km"):
        assert getattr(m, name).flags["C_CONTIGUOUS"], name


def test_vectorised_geodesic_matches_geopy() -> None:
    """The site matrix uses Vincenty's formula with numpy; geopy's Karney algorithm is the reference."""
    from tourplan.data import load_sites
    from tourplan.geodesy import distance_km, distance_matrix_km

    pts = [(s.lat, s.lon) for s in load_sites()]
    m = distance_matrix_km(pts)
    ref = np.array([[geodesic(a, b).km for b in pts] for a in pts])
    assert np.abs(m - ref).max() < 1e-6  # a millimetre
    assert np.array_equal(m, m.T) and not np.diag(m).any()
    rng = np.random.default_rng(7)
    a = np.column_stack([rng.uniform(-89, 89, 300), rng.uniform(-180, 180, 300)])
    b = np.column_stack([rng.uniform(-89, 89, 300), rng.uniform(-180, 180, 300)])
    got = distance_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    want = [geodesic(p, q).km for p, q in zip(a, b, strict=True)]
    assert np.abs(got - want).max() < 1e-6
    # nearly antipodal points, where Vincenty's iteration fails, fall back to geopy
    for q in [(0.5, 179.7), (0.0, 180.0), (-0.2, -179.9)]:
        assert float(distance_km(0.0, 0.0, *q)) == pytest.approx(geodesic((0.0, 0.0), q).km, abs=1e-6)
    assert distance_matrix_km([]).shape == (0, 0)
