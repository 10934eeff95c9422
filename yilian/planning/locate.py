"""Where to put the next clinics: maximal covering (MCLP) and set covering, without Django.

Both work on a 0/1 *coverage matrix* ``A`` (demand points × candidate sites, ``scipy.sparse``):
``A[i, j]`` is 1 when candidate j is within the walking threshold of demand point i. Demand already
covered by the existing facilities is left out, so the objective counts the people newly covered.

* :func:`greedy_mclp` — greedy (one sparse mat-vec per pick) then 1-swap local search; fast and
  usually optimal or within a hair of it.
* :func:`exact_mclp` — the textbook MILP (max Σ wᵢyᵢ, yᵢ ≤ Σ aᵢⱼxⱼ, Σ xⱼ = k) solved by HiGHS through
  ``scipy.optimize.milp``; returns the proven bound, so the heuristic's gap to the optimum is known.
  Demand points with the same set of covering candidates are merged first (same constraint).
* :func:`set_cover` — the fewest sites reaching a target share (greedy, then exact).
* :func:`maximal_covering` — the whole step from a :class:`~yilian.planning.engine.Coverage`:
  candidate coverage by bounded Dijkstra, heuristic, exact solve, gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

from .engine import Coverage, Network, Parameters, PlanningError, check_lonlat, with_sources


@dataclass
class Plan:
    chosen: list[int]                 # candidate indices
    covered: float                    # people newly covered by the chosen sites
    method: str
    seconds: float
    bound: float | None = None        # proven upper bound on what k sites can cover (exact solve)
    optimal: bool = False
    extra: dict = field(default_factory=dict)

    def gap_points(self, total_people: float) -> float | None:
        """Distance from the proven bound in percentage points of all people."""
        return None if self.bound is None else 100.0 * max(self.bound - self.covered, 0.0) / total_people


def _check_k(k: int, candidates: int):
    if k < 1:
        raise PlanningError("bad_k", "k must be at least 1")
    if k > candidates:
        raise PlanningError("k_exceeds_candidates", f"k = {k} but only {candidates} candidate sites", k=k,
                            candidates=candidates)


def objective(A: sparse.csc_matrix, w: np.ndarray, chosen) -> float:
    if not len(chosen):
        return 0.0
    hit = np.asarray(A[:, list(chosen)].sum(axis=1)).ravel() > 0
    return float(w[hit].sum())


def greedy_mclp(A, w, k: int, *, local_search: bool = True, time_limit: float = 2.0) -> Plan:
    """Greedy picks by marginal people covered, then best-improvement 1-swaps until none helps."""
    started = time.perf_counter()
    A = sparse.csc_matrix(A, dtype=np.float64)
    AT = A.T.tocsr()
    m, n = A.shape
    _check_k(k, n)
    w = np.asarray(w, dtype=np.float64)
    count = np.zeros(m)
    chosen: list[int] = []
    for _ in range(k):
        gains = AT @ (w * (count == 0))
        gains[chosen] = -1.0
        best = int(gains.argmax())
        chosen.append(best)  # even a zero gain: a plan of exactly k sites
        count[A.indices[A.indptr[best]:A.indptr[best + 1]]] += 1
    swaps = 0
    while local_search and time.perf_counter() - started < time_limit:
        move = _best_swap(A, AT, w, count, chosen)
        if move is None:
            break
        out, into = move
        chosen[chosen.index(out)] = into
        count[A.indices[A.indptr[out]:A.indptr[out + 1]]] -= 1
        count[A.indices[A.indptr[into]:A.indptr[into + 1]]] += 1
        swaps += 1
    return Plan(chosen=chosen, covered=float(w[count > 0].sum()), method="greedy+swap",
                seconds=time.perf_counter() - started, extra={"swaps": swaps})


def _best_swap(A, AT, w, count, chosen):
    best, best_delta = None, 1e-9
    taken = np.zeros(A.shape[1], dtype=bool)
    taken[chosen] = True
    for out in chosen:
        rows = A.indices[A.indptr[out]:A.indptr[out + 1]]
        alone = rows[count[rows] == 1]
        loss = w[alone].sum()
        open_after = (count == 0).astype(np.float64)
        open_after[alone] = 1.0
        gains = AT @ (w * open_after)
        gains[taken] = -1.0
        into = int(gains.argmax())
        if gains[into] - loss > best_delta:
            best, best_delta = (out, into), gains[into] - loss
    return best


def merge_identical_rows(A: sparse.csr_matrix, w: np.ndarray):
    """Demand points covered by exactly the same candidates are one constraint: sum their people."""
    A = sparse.csr_matrix(A)
    A.sort_indices()
    keys = [A.indices[A.indptr[i]:A.indptr[i + 1]].tobytes() for i in range(A.shape[0])]
    _uniq, first, inverse = np.unique(np.array(keys, dtype=object), return_index=True, return_inverse=True)
    merged_w = np.bincount(inverse, weights=w)
    return A[first], merged_w


def exact_mclp(A, w, k: int, *, time_limit: float = 60.0, mip_rel_gap: float = 1e-6) -> Plan:
    """The MCLP as a MILP solved by HiGHS; ``bound`` is the proven upper bound."""
    started = time.perf_counter()
    A = sparse.csr_matrix(A, dtype=np.float64)
    m0, n = A.shape
    _check_k(k, n)
    coverable = np.diff(A.indptr) > 0
    A, w = merge_identical_rows(A[coverable], np.asarray(w, dtype=np.float64)[coverable])
    m = A.shape[0]
    # variables: x (n binaries) then y (m continuous in [0, 1]); minimise -w·y
    c = np.concatenate([np.zeros(n), -w])
    link = sparse.hstack([-A, sparse.identity(m, format="csr")], format="csr")  # y_i - Σ a_ij x_j ≤ 0
    budget = sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
    constraints = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(budget, k, k)]
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    result = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap, "disp": False})
    if result.x is None:
        raise PlanningError("solver_failed", f"HiGHS found no solution: {result.message}")
    chosen = [int(j) for j in np.flatnonzero(result.x[:n] > 0.5)]
    bound = -float(result.mip_dual_bound) if getattr(result, "mip_dual_bound", None) is not None else None
    return Plan(chosen=chosen, covered=-float(result.fun), method="HiGHS", seconds=time.perf_counter() - started,
                bound=bound, optimal=result.status == 0,
                extra={"rows": m, "rows_before_merge": int(m0), "mip_gap": float(getattr(result, "mip_gap", 0) or 0)})


def set_cover(A, w, target_people: float, *, exact: bool = True, time_limit: float = 60.0) -> dict:
    """The fewest candidates covering at least ``target_people`` (greedy count, and the exact minimum)."""
    A = sparse.csc_matrix(A, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    reachable = float(w[np.diff(sparse.csr_matrix(A).indptr) > 0].sum())
    if target_people > reachable + 1e-6:
        raise PlanningError("target_unreachable", "even every candidate together does not reach the target",
                            reachable=reachable)
    AT, count, chosen = A.T.tocsr(), np.zeros(A.shape[0]), []
    while w[count > 0].sum() < target_people - 1e-6:
        gains = AT @ (w * (count == 0))
        best = int(gains.argmax())
        chosen.append(best)
        count[A.indices[A.indptr[best]:A.indptr[best + 1]]] += 1
    answer = {"greedy": chosen, "greedy_covered": float(w[count > 0].sum()), "exact": None}
    if exact and target_people > 0:
        answer.update(_exact_set_cover(A, w, target_people, len(chosen), time_limit))
        if answer["exact"] is None and answer["exact_optimal"]:
            answer["exact"] = chosen  # no smaller k reaches the target: the greedy count is the minimum
    return answer


def _exact_set_cover(A, w, target, upper, time_limit):
    """Binary search on k with exact MCLPs: k is enough when a plan reaches the target, proven too few
    when HiGHS's bound stays below it. Each MCLP solves in about a second where one set-covering MILP
    with a people target can stall for minutes."""
    deadline = time.perf_counter() + time_limit
    low, high, best = 1, upper, None
    while low < high and time.perf_counter() < deadline:
        k = (low + high) // 2
        plan = exact_mclp(A, w, k, time_limit=max(deadline - time.perf_counter(), 1.0))
        if plan.covered >= target - 1e-6:
            high, best = k, plan
        elif plan.optimal or (plan.bound is not None and plan.bound < target - 1e-6):
            low = k + 1
        else:
            break
    proven = low == high
    if best is None or len(best.chosen) > high:
        return {"exact": None, "exact_optimal": proven and best is None and high == upper}
    return {"exact": best.chosen, "exact_optimal": proven}


# ---------------------------------------------------------------------------- from a coverage result


def candidate_reach(net: Network, cand_lon, cand_lat, params: Parameters, batch: int = 32):
    """Bounded Dijkstra (threshold) from every candidate: a sparse nodes × candidates matrix of metres
    (stored +1 so that a distance of zero is not lost), and which candidates are too far from the roads."""
    lon, lat = check_lonlat(cand_lon, cand_lat, "candidates")
    nodes, access = net.snap(lon, lat, "candidates")
    usable = access <= params.max_access_m
    n = net.node_count
    rows, cols, vals = [], [], []
    for start in range(0, lon.size, batch):
        idx = np.arange(start, min(start + batch, lon.size))
        idx = idx[usable[idx]]
        if not idx.size:
            continue
        graph = with_sources(net.graph, nodes[idx], access[idx])
        dist = csgraph.dijkstra(graph, directed=True, indices=np.arange(n, n + idx.size), limit=params.threshold_m)
        r, node = np.nonzero(np.isfinite(dist[:, :n]))
        rows.append(node)
        cols.append(idx[r])
        vals.append(dist[r, node] + 1.0)
    if not rows:
        return sparse.csr_matrix((n, lon.size)), ~usable
    reach = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, lon.size))
    return reach, ~usable


def demand_matrix(reach: sparse.csr_matrix, demand_node, demand_budget_m) -> sparse.csr_matrix:
    """A[i, j] = 1 when candidate j's walk to demand i's node plus i's access walk is within the threshold."""
    rows = reach[demand_node]
    rows = sparse.csr_matrix(rows)
    budget = np.repeat(np.asarray(demand_budget_m, dtype=float), np.diff(rows.indptr))
    ok = (rows.data - 1.0) <= budget
    rows.data = ok.astype(np.float64)
    rows.eliminate_zeros()
    return rows


def candidates_from_uncovered(net: Network, cov: Coverage, count: int = 200, resolution: int = 8):
    """Network nodes at the heart of the H3 cells with the most uncovered people (no candidate list given)."""
    import h3

    cells = cov.uncovered_cells(resolution)
    ranked = sorted(cells.items(), key=lambda kv: -kv[1])[:count]
    if not ranked:
        return np.zeros(0), np.zeros(0)
    lat, lon = np.array([h3.cell_to_latlng(c) for c, _ in ranked]).T
    nodes, _ = net.snap(lon, lat, "candidates")
    nodes = np.unique(nodes)
    return net.lon[nodes], net.lat[nodes]


def maximal_covering(net: Network, cov: Coverage, cand_lon, cand_lat, k: int, *, exact: bool = True,
                     time_limit: float = 30.0, target_share: float | None = None) -> dict:
    """Propose k new sites among the candidates for the people ``cov`` leaves uncovered."""
    params = cov.params
    lon, lat = check_lonlat(cand_lon, cand_lat, "candidates")
    _check_k(k, lon.size)
    reach, cand_far = candidate_reach(net, lon, lat, params)
    demand = np.flatnonzero(~cov.covered & ~cov.far & (cov.population.people > 0))
    A = demand_matrix(reach, cov.point_node[demand], params.threshold_m - cov.access_m[demand])
    w = cov.population.people[demand]
    heuristic = greedy_mclp(A, w, k)
    answer = {"heuristic": heuristic, "exact": None, "candidates_far": np.flatnonzero(cand_far).tolist(),
              "demand_points": int(demand.size), "uncovered_people": float(w.sum())}
    if exact:
        answer["exact"] = exact_mclp(A, w, k, time_limit=time_limit)
    if target_share is not None:
        needed = target_share * cov.population.total - cov.covered_people
        answer["set_cover"] = set_cover(A, w, max(needed, 0.0), exact=exact, time_limit=time_limit) \
            if needed > 0 else {"greedy": [], "exact": []}
    return answer
