"""The coverage engine on small networks whose answers are known by hand, and on generated cities
against a brute-force recomputation (no Django)."""

import numpy as np
import pytest

from yilian.planning import coords, engine, synthetic
from yilian.planning.engine import LocalProjection, Parameters, PlanningError

LON0, LAT0 = 106.70, 26.57
PROJ = LocalProjection(LON0, LAT0)
PARAMS = Parameters(speed_kmh=6.0, threshold_min=10, max_access_m=200)  # 100 m a minute, 1 km


def lonlat(x_m, y_m=0.0):
    """Position x metres east, y north of the origin (inverse of the local projection)."""
    x_m, y_m = np.broadcast_arrays(np.atleast_1d(np.asarray(x_m, float)), np.atleast_1d(np.asarray(y_m, float)))
    lat = LAT0 + np.degrees(y_m / engine.EARTH_RADIUS_M)
    lon = LON0 + np.degrees(x_m / (engine.EARTH_RADIUS_M * np.cos(np.radians(LAT0))))
    return lon, lat


def line_network(count=31, step=100.0, gap_after=None):
    """Nodes every ``step`` metres along a street running east; an optional missing link makes an island."""
    lon, lat = lonlat(np.arange(count) * step)
    u = np.arange(count - 1)
    if gap_after is not None:
        u = u[u != gap_after]
    net = engine.Network.from_edges(lon, lat, u, u + 1)
    net.projection = PROJ  # the median of a line is its middle; pin the origin for exact distances
    net.xy = PROJ.to_xy(lon, lat)
    return net


def test_walking_time_is_network_plus_access_walk():
    net = line_network()
    fac_lon, fac_lat = lonlat([0.0])
    pop_lon, pop_lat = lonlat([500.0, 900.0, 1500.0], [0.0, 50.0, 0.0])
    pop = engine.Population(pop_lon, pop_lat, [10, 20, 30], community=np.array(["a", "a", "b"]))
    cov = engine.coverage(net, pop, fac_lon, fac_lat, PARAMS)
    assert cov.minutes == pytest.approx([5.0, 9.5, 15.0], abs=0.01)
    assert cov.covered.tolist() == [True, True, False]
    assert cov.covered_share == pytest.approx(30 / 60)
    assert cov.shares("community") == {"a": (30.0, 30.0), "b": (30.0, 0.0)}


def test_points_far_from_roads_are_reported_and_not_covered():
    net = line_network()
    pop_lon, pop_lat = lonlat([100.0, 100.0], [0.0, 400.0])  # the second is 400 m off the street
    cov = engine.coverage(net, engine.Population(pop_lon, pop_lat, [5, 7]), *lonlat([0.0]), PARAMS)
    assert cov.far.tolist() == [False, True]
    assert cov.covered.tolist() == [True, False]
    assert cov.summary()["far_people"] == 7


def test_islands_are_reported_and_routed_within():
    net = line_network(gap_after=19)  # nodes 20..30 are cut off
    assert net.island_count == 1 and net.islands[0]["nodes"] == 11
    fac_lon, fac_lat = lonlat([0.0, 2500.0])  # one facility on each part
    pop_lon, pop_lat = lonlat([1930.0, 2070.0, 2900.0])
    cov = engine.coverage(net, engine.Population(pop_lon, pop_lat, [1, 1, 1]), fac_lon, fac_lat, PARAMS)
    # 1930 m is on the main part (19.3 minutes from the first facility) though 430 m from the second
    assert cov.facility.tolist() == [0, 1, 1]
    assert cov.minutes == pytest.approx([19.3, 4.3, 4.0], abs=0.01)
    assert cov.summary()["island_count"] == 1


def test_facility_access_walk_counts_and_far_facility_is_left_out():
    net = line_network()
    fac_lon, fac_lat = lonlat([0.0, 1500.0], [100.0, 900.0])  # 100 m off the street; 900 m off: unusable
    cov = engine.coverage(net, engine.Population(*lonlat([300.0]), [1]), fac_lon, fac_lat, PARAMS)
    assert cov.minutes[0] == pytest.approx(4.0, abs=0.01)
    assert cov.facility_far.tolist() == [False, True]
    assert cov.catchments().tolist() == [1.0, 0.0]


def test_catchment_rule_and_regions_without_centre():
    net = line_network()
    pop = engine.Population(*lonlat([100.0, 2900.0]), [40_000, 120_000], subdistrict=np.array(["s1", "s2"]))
    cov = engine.coverage(net, pop, *lonlat([0.0, 3000.0]), PARAMS)
    assert [row["verdict"] for row in cov.catchment_report()] == ["within", "above"]
    assert engine.regions_without_centre(pop, "subdistrict", ["s1"]) == ["s2"]


def test_uncovered_cells_sum_to_uncovered_people():
    city = synthetic.city(nodes=3_000, people=3_000, facilities=3, seed=4)
    net = engine.Network.from_edges(city.node_lon, city.node_lat, city.edge_u, city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people)
    cov = engine.coverage(net, pop, city.fac_lon, city.fac_lat)
    cells = cov.uncovered_cells(9)
    assert cells and sum(cells.values()) == pytest.approx(pop.total - cov.covered_people)


def _brute_force_minutes(net, pop, fac_lon, fac_lat, params):
    """Single-source Dijkstra per facility, minimum taken by hand: the reference for the multi-source run."""
    from scipy.sparse import csgraph

    nodes, access = net.snap(fac_lon, fac_lat)
    best = np.full(net.node_count, np.inf)
    for node, walk in zip(nodes, access, strict=True):
        if walk <= params.max_access_m:
            best = np.minimum(best, csgraph.dijkstra(net.graph, directed=False, indices=node) + walk)
    point_node, point_access = net.snap(pop.lon, pop.lat)
    metres = np.where(point_access > params.max_access_m, np.inf, best[point_node] + point_access)
    return metres / params.metres_per_minute


@pytest.mark.parametrize("seed", [1, 2])
def test_multi_source_equals_brute_force_on_a_generated_city(seed):
    city = synthetic.city(nodes=4_000, people=2_000, facilities=6, islands=2, seed=seed)
    net = engine.Network.from_edges(city.node_lon, city.node_lat, city.edge_u, city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people)
    params = Parameters()
    cov = engine.coverage(net, pop, city.fac_lon, city.fac_lat, params)
    assert np.allclose(cov.minutes, _brute_force_minutes(net, pop, city.fac_lon, city.fac_lat, params))
    assert net.island_count >= 2


def test_what_if_matches_a_full_recomputation():
    city = synthetic.city(nodes=6_000, people=4_000, facilities=8, seed=3)
    net = engine.Network.from_edges(city.node_lon, city.node_lat, city.edge_u, city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people, community=city.community)
    params = Parameters(threshold_min=10)
    state = engine.WhatIf(net, pop, city.fac_lon, city.fac_lat, params)

    def expected(lon, lat):
        return engine.coverage(net, pop, np.asarray(lon), np.asarray(lat), params)

    assert state.covered_share() == pytest.approx(expected(city.fac_lon, city.fac_lat).covered_share)
    lon, lat = list(city.fac_lon), list(city.fac_lat)
    moved = state.move(2, city.node_lon[100], city.node_lat[100])
    lon[2], lat[2] = city.node_lon[100], city.node_lat[100]
    assert state.covered_share() == pytest.approx(expected(lon, lat).covered_share)
    state.remove(moved)
    del lon[2], lat[2]
    assert state.covered_share() == pytest.approx(expected(lon, lat).covered_share)
    twin = state.copy()
    twin.add(city.node_lon[3000], city.node_lat[3000])
    assert twin.covered_share() == pytest.approx(
        expected([*lon, city.node_lon[3000]], [*lat, city.node_lat[3000]]).covered_share)
    assert state.covered_share() == pytest.approx(expected(lon, lat).covered_share)  # the copy left it alone
    assert state.shares("community") == expected(lon, lat).shares("community")


@pytest.mark.parametrize("lon, lat, code", [
    ([500000.0], [3000000.0], "projected_coordinates"),
    ([np.nan], [26.5], "missing_coordinates"),
])
def test_bad_coordinates_are_named(lon, lat, code):
    with pytest.raises(PlanningError) as info:
        engine.Population(lon, lat, [1])
    assert info.value.code == code


def test_bad_parameters_and_edges():
    with pytest.raises(PlanningError, match="speed"):
        Parameters(speed_kmh=0).validate()
    with pytest.raises(PlanningError) as info:
        engine.Network.from_edges([106.7, 106.71], [26.5, 26.5], [0], [5])
    assert info.value.code == "bad_edges"


def test_parallel_edges_keep_the_shortest():
    lon, lat = lonlat([0.0, 1000.0])
    net = engine.Network.from_edges(lon, lat, [0, 0], [1, 1], [900.0, 400.0])
    assert net.graph[0, 1] == pytest.approx(400.0)


# ---------------------------------------------------------------------------- datums

# Reference values published with wandergis/coordtransform (test/app.js) for (116.404, 39.915).
def test_gcj02_and_bd09_match_the_published_reference_values():
    assert np.allclose(coords.wgs84_to_gcj02(116.404, 39.915), (116.41024449916938, 39.91640428150164), atol=1e-12)
    assert np.allclose(coords.bd09_to_gcj02(116.404, 39.915), (116.39762729119315, 39.90865673957631), atol=1e-12)
    assert np.allclose(coords.gcj02_to_bd09(116.404, 39.915), (116.41036949371029, 39.92133699351021), atol=1e-12)
    # the reference's inverse is one step of approximation (~1 m); ours iterates to below a millimetre
    assert np.allclose(coords.gcj02_to_wgs84(116.404, 39.915), (116.39775550083061, 39.91359571849836), atol=2e-5)


def test_datum_round_trips_and_outside_china():
    lon, lat = np.array([106.713, 121.47, 87.6]), np.array([26.578, 31.23, 43.8])
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert np.allclose(back, (lon, lat), atol=1e-8)  # < 1 mm
    assert np.allclose(coords.to_wgs84(*coords.wgs84_to_bd09(lon, lat), "bd09"), (lon, lat), atol=1e-7)
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris: no offset outside China
    with pytest.raises(ValueError):
        coords.to_wgs84(lon, lat, "utm")


def test_a_random_sequence_of_what_ifs_matches_full_recomputations():
    city = synthetic.city(nodes=4_000, people=3_000, facilities=6, seed=9)
    net = engine.Network.from_edges(city.node_lon, city.node_lat, city.edge_u, city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people, subdistrict=city.subdistrict)
    params = Parameters(threshold_min=8)
    state = engine.WhatIf(net, pop, city.fac_lon, city.fac_lat, params)
    state.shares("subdistrict")  # running sums exist before the changes, so they are updated, not rebuilt
    rng = np.random.default_rng(0)
    for _ in range(12):
        node = int(rng.integers(net.node_count))
        action = rng.choice(["add", "move", "remove"]) if len(state.reach) > 1 else "add"
        if action == "add":
            state.add(float(net.lon[node]), float(net.lat[node]))
        elif action == "move":
            state.move(int(rng.choice(list(state.reach))), float(net.lon[node]), float(net.lat[node]))
        else:
            state.remove(int(rng.choice(list(state.reach))))
        lon, lat = np.array([p for p in state.positions.values()]).T
        full = engine.coverage(net, pop, lon, lat, params)
        assert state.covered.tolist() == full.covered.tolist()
        assert state.covered_share() == pytest.approx(full.covered_share)
        got, want = state.shares("subdistrict"), full.shares("subdistrict")
        assert got.keys() == want.keys() and all(got[k] == pytest.approx(want[k]) for k in want)
