"""Maximal covering and set covering: the heuristic against brute force and HiGHS's proven optimum."""

from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from yilian.planning import engine, locate, synthetic
from yilian.planning.engine import PlanningError


def random_instance(m=60, n=12, density=0.15, seed=0):
    rng = np.random.default_rng(seed)
    A = sparse.csr_matrix((rng.random((m, n)) < density).astype(float))
    return A, rng.integers(1, 100, m).astype(float)


def brute_force_best(A, w, k):
    return max(locate.objective(sparse.csc_matrix(A), w, c) for c in combinations(range(A.shape[1]), k))


@pytest.mark.parametrize("seed", range(4))
def test_exact_is_optimal_and_bounds_the_heuristic(seed):
    A, w = random_instance(seed=seed)
    best = brute_force_best(A, w, 3)
    exact = locate.exact_mclp(A, w, 3)
    heuristic = locate.greedy_mclp(A, w, 3)
    assert exact.optimal and exact.covered == pytest.approx(best) and exact.bound == pytest.approx(best)
    assert locate.objective(sparse.csc_matrix(A), w, exact.chosen) == pytest.approx(best)
    assert heuristic.covered <= best + 1e-9 and len(heuristic.chosen) == 3
    assert heuristic.covered == pytest.approx(locate.objective(sparse.csc_matrix(A), w, heuristic.chosen))


def test_set_cover_finds_the_fewest_sites():
    A, w = random_instance(m=40, n=10, density=0.2, seed=5)
    target = 0.8 * w[np.diff(A.indptr) > 0].sum()
    answer = locate.set_cover(A, w, target)
    fewest = next(k for k in range(1, 11) if brute_force_best(A, w, k) >= target - 1e-9)
    assert len(answer["exact"]) == fewest and answer["exact_optimal"]
    assert len(answer["greedy"]) >= fewest
    assert locate.objective(sparse.csc_matrix(A), w, answer["exact"]) >= target - 1e-9


def test_bad_k_and_unreachable_target():
    A, w = random_instance()
    with pytest.raises(PlanningError) as info:
        locate.greedy_mclp(A, w, 13)
    assert info.value.code == "k_exceeds_candidates" and info.value.params == {"k": 13, "candidates": 12}
    with pytest.raises(PlanningError) as info:
        locate.set_cover(A, w, w.sum() * 2)
    assert info.value.code == "target_unreachable"


def test_maximal_covering_on_a_network_proposes_sites_that_cover_the_uncovered():
    city = synthetic.city(nodes=5_000, people=4_000, facilities=2, spacing_m=40, seed=8)
    net = engine.Network.from_edges(city.node_lon, city.node_lat, city.edge_u, city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people)
    cov = engine.coverage(net, pop, city.fac_lon, city.fac_lat)
    cand_lon, cand_lat = locate.candidates_from_uncovered(net, cov, count=40)
    answer = locate.maximal_covering(net, cov, cand_lon, cand_lat, k=3, target_share=min(cov.covered_share + 0.1, 1))
    exact = answer["exact"]
    assert exact.optimal and exact.covered >= answer["heuristic"].covered - 1e-6
    after = engine.coverage(net, pop, np.concatenate([city.fac_lon, cand_lon[exact.chosen]]),
                            np.concatenate([city.fac_lat, cand_lat[exact.chosen]]))
    # the plan's count of newly covered people is what a full recomputation finds
    assert after.covered_people - cov.covered_people == pytest.approx(exact.covered)
    assert answer["set_cover"]["exact"]
