"""Walking-time coverage of the 15-minute health circle (一刻钟健康医疗圈), without Django.

The engine works on numpy arrays and is usable from any Python program or notebook::

    from yilian.planning import engine, locate, synthetic

    city = synthetic.city(nodes=40_000, people=40_000, facilities=12, seed=1)
    net = engine.Network.from_edges(city.node_lon, city.node_lat, city.edge_u, city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people,
                            community=city.community, subdistrict=city.subdistrict, district=city.district)
    params = engine.Parameters(speed_kmh=4.5, threshold_min=15, max_access_m=500)
    result = engine.coverage(net, pop, city.fac_lon, city.fac_lat, params)
    result.covered_share                       # share of people within 15 minutes
    result.shares("community")                 # {community: (people, covered people)}
    result.uncovered_cells(resolution=9)       # {h3 cell: uncovered people}
    result.catchments()                        # people whose nearest facility is each one
    plan = locate.maximal_covering(net, pop, result, candidates_lon, candidates_lat, k=5, params=params)

Model. The walking network is an undirected graph (``scipy.sparse`` CSR, edge lengths in metres,
node coordinates WGS-84 and projected to local metres). A population point walks straight to its
nearest network node (the *access walk*, found with a k-d tree) and then along the network; a
facility is joined to its nearest node the same way. A point whose access walk is longer than
``max_access_m`` is reported as *far from the roads* and counted as not covered. One multi-source
Dijkstra from all facilities (``scipy.sparse.csgraph.dijkstra(min_only=True)``) gives every node
its nearest facility and the distance to it; walking time = (network + access metres) / speed.

Islands. Disconnected parts of the network are found with ``connected_components`` and reported
(``Network.islands``); routing happens within each part, so people on an island without a
facility are simply not covered.

What-if. :class:`WhatIf` keeps, for every facility, the nodes it reaches within the threshold;
adding, moving or removing one facility re-runs one Dijkstra bounded by the threshold and updates
coverage in milliseconds instead of re-running the whole city.

Errors are :class:`PlanningError` with a ``code`` (stable, for translation by the caller) and
``params`` for the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8


class PlanningError(ValueError):
    """Bad input the planner can fix; ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code: str, message: str = "", **params):
        self.code, self.params = code, params
        super().__init__(message or code)


@dataclass(frozen=True)
class Parameters:
    speed_kmh: float = 4.5          # walking speed of an older resident
    threshold_min: float = 15.0     # the 15-minute circle
    max_access_m: float = 500.0     # farther from any road than this: reported, not covered

    @property
    def metres_per_minute(self) -> float:
        return self.speed_kmh * 1000.0 / 60.0

    @property
    def threshold_m(self) -> float:
        return self.threshold_min * self.metres_per_minute

    def validate(self):
        if not (0.5 <= self.speed_kmh <= 30 and 1 <= self.threshold_min <= 120 and 0 < self.max_access_m <= 10_000):
            raise PlanningError("bad_parameters", "speed 0.5–30 km/h, threshold 1–120 min, access walk 0–10 km")
        return self


# ---------------------------------------------------------------------------- coordinates


def check_lonlat(lon, lat, what: str):
    """WGS-84 degrees or a PlanningError: projected metres or swapped axes are the usual mistakes."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise PlanningError("bad_coordinates", f"{what}: longitude and latitude must be two equal 1-D arrays",
                            what=what)
    if lon.size and (not np.all(np.isfinite(lon)) or not np.all(np.isfinite(lat))):
        raise PlanningError("missing_coordinates", f"{what}: some coordinates are missing", what=what)
    if lon.size and (np.abs(lon).max() > 180 or np.abs(lat).max() > 90):
        raise PlanningError("projected_coordinates",
                            f"{what}: coordinates are not longitude/latitude degrees (projected metres?)", what=what)
    return lon, lat


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around the city's centre: metres, accurate to ~0.1 % within 50 km."""

    lon0: float
    lat0: float

    def to_xy(self, lon, lat) -> np.ndarray:
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        kx = np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(self.lat0))
        ky = np.radians(1.0) * EARTH_RADIUS_M
        return np.column_stack(((lon - self.lon0) * kx, (lat - self.lat0) * ky))


# ---------------------------------------------------------------------------- network


@dataclass
class Network:
    """A prepared walking network: node coordinates, symmetric CSR graph of edge metres, k-d tree."""

    lon: np.ndarray
    lat: np.ndarray
    graph: sparse.csr_matrix
    projection: LocalProjection
    xy: np.ndarray
    edge_u: np.ndarray = field(repr=False)
    edge_v: np.ndarray = field(repr=False)

    @classmethod
    def from_edges(cls, lon, lat, u, v, length_m=None) -> Network:
        """Nodes (WGS-84) and undirected edges between node indices; lengths default to straight lines."""
        lon, lat = check_lonlat(lon, lat, "network")
        if lon.size < 2:
            raise PlanningError("empty_network", "the walking network has fewer than two nodes")
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        if u.size == 0:
            raise PlanningError("empty_network", "the walking network has no edges")
        if u.min() < 0 or v.min() < 0 or max(u.max(), v.max()) >= lon.size:
            raise PlanningError("bad_edges", "an edge refers to a node that does not exist")
        projection = LocalProjection(float(np.median(lon)), float(np.median(lat)))
        xy = projection.to_xy(lon, lat)
        straight = np.hypot(*(xy[u] - xy[v]).T)
        length_m = straight if length_m is None else np.asarray(length_m, dtype=np.float64)
        length_m = np.where(np.isfinite(length_m), length_m, straight)
        length_m = np.maximum(np.asarray(length_m, dtype=np.float64), 0.01)  # csgraph drops zero weights
        keep = u != v
        u, v, length_m = u[keep], v[keep], length_m[keep]
        n = lon.size
        both = (np.concatenate([u, v]), np.concatenate([v, u]))
        graph = sparse.coo_matrix((np.concatenate([length_m, length_m]), both), shape=(n, n)).tocsr()
        if graph.nnz != 2 * u.size:  # parallel edges were summed: keep the shortest instead
            graph = _min_duplicates(u, v, length_m, n)
        graph.indices = graph.indices.astype(np.int32)
        graph.indptr = graph.indptr.astype(np.int32)
        return cls(lon=lon, lat=lat, graph=graph, projection=projection, xy=xy, edge_u=u, edge_v=v)

    @property
    def node_count(self) -> int:
        return self.lon.size

    @cached_property
    def tree(self) -> cKDTree:
        return cKDTree(self.xy, balanced_tree=False, compact_nodes=False)

    @cached_property
    def components(self) -> tuple[int, np.ndarray]:
        return csgraph.connected_components(self.graph, directed=False)

    @cached_property
    def islands(self) -> list[dict]:
        """The parts of the network cut off from the largest one, biggest first (at most 20 listed;
        ``island_count`` has them all): size and one node's position, to point the planner at them."""
        count, labels = self.components
        if count == 1:
            return []
        sizes = np.bincount(labels)
        order = np.argsort(-sizes)[1:21]
        first = np.full(count, -1)
        first[labels[::-1]] = np.arange(labels.size)[::-1]  # first node of each label
        return [{"nodes": int(sizes[k]), "lon": float(self.lon[first[k]]), "lat": float(self.lat[first[k]])}
                for k in order]

    @property
    def island_count(self) -> int:
        return self.components[0] - 1

    def snap(self, lon, lat, what: str = "points", max_m: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point and the straight walk to it in metres (k-d tree, both cores).
        Points farther than ``max_m`` get node 0 and an infinite walk (the bound prunes the search)."""
        lon, lat = check_lonlat(lon, lat, what)
        if lon.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        access_m, node = self.tree.query(self.projection.to_xy(lon, lat), k=1, workers=-1, distance_upper_bound=max_m)
        node = node.astype(np.int64)
        node[node >= self.node_count] = 0
        return node, access_m

    def prepare(self) -> Network:
        """Build the k-d tree and components now (a prepared network answers coverage at once)."""
        _ = self.tree, self.components
        return self


def _min_duplicates(u, v, length_m, n):
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length_m, b, a))
    a, b, length_m = a[order], b[order], length_m[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, length_m = a[first], b[first], length_m[first]
    return sparse.coo_matrix((np.concatenate([length_m, length_m]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                             shape=(n, n)).tocsr()


# ---------------------------------------------------------------------------- population


@dataclass
class Population:
    """People at points (or grid-cell centres), with the community/subdistrict/district they live in."""

    lon: np.ndarray
    lat: np.ndarray
    people: np.ndarray
    community: np.ndarray | None = None
    subdistrict: np.ndarray | None = None
    district: np.ndarray | None = None

    def __post_init__(self):
        self.lon, self.lat = check_lonlat(self.lon, self.lat, "population")
        self.people = np.asarray(self.people, dtype=np.float64)
        if self.people.shape != self.lon.shape or (self.people.size and self.people.min() < 0):
            raise PlanningError("bad_population", "population: one non-negative number of people per point")
        if self.lon.size == 0 or self.people.sum() <= 0:
            raise PlanningError("empty_population", "population: no people")

    @property
    def total(self) -> float:
        return float(self.people.sum())

    def labels(self, level: str) -> np.ndarray | None:
        return getattr(self, level)

    def level_index(self, level: str):
        """(distinct labels, label number of every point) of a level, computed once and kept."""
        cache = self.__dict__.setdefault("_levels", {})
        if level not in cache:
            labels = self.labels(level)
            cache[level] = None if labels is None else np.unique(labels, return_inverse=True)
        return cache[level]

    def sum_by(self, level: str, mask: np.ndarray) -> dict:
        """{label: (people, people where mask)} for a level."""
        index = self.level_index(level)
        if index is None:
            return {}
        keys, inverse = index
        people = np.bincount(inverse, weights=self.people, minlength=keys.size)
        covered = np.bincount(inverse, weights=self.people * mask, minlength=keys.size)
        return {_plain(k): (float(p), float(c)) for k, p, c in zip(keys, people, covered, strict=True)}

    def spatial_order(self) -> np.ndarray:
        """The points sorted by ~500 m squares, kept: a k-d tree answers neighbouring queries from the
        cache, which makes snapping a million people 2–3× faster than in file order."""
        cache = self.__dict__
        if "_order" not in cache:
            cache["_order"] = np.lexsort((np.floor(self.lon / 0.005), np.floor(self.lat / 0.005)))
        return cache["_order"]

    def h3_index(self, resolution: int) -> np.ndarray:
        """The H3 cell (as uint64) of every point, computed once per resolution and kept: indexing the
        people is part of preparing them, like snapping the network is part of preparing it."""
        cache = self.__dict__.setdefault("_h3", {})
        if resolution not in cache:
            from h3.api import basic_int

            cache[resolution] = np.fromiter(
                (basic_int.latlng_to_cell(a, b, resolution) for a, b in zip(self.lat.tolist(), self.lon.tolist(),
                                                                            strict=True)),
                dtype=np.uint64, count=self.lon.size)
        return cache[resolution]


# ---------------------------------------------------------------------------- facilities and Dijkstra


def with_sources(graph: sparse.csr_matrix, nodes: np.ndarray, access_m: np.ndarray) -> sparse.csr_matrix:
    """The graph with one extra node per facility joined (one way) to its snapped node by its access
    walk, so a multi-source Dijkstra from the extra nodes counts the facility's own walk too.
    Appending rows to CSR copies the arrays once (milliseconds), unlike rebuilding the matrix."""
    n, f = graph.shape[0], nodes.size
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.arange(1, f + 1, dtype=graph.indptr.dtype)])
    indices = np.concatenate([graph.indices, nodes.astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, np.maximum(access_m, 0.01)])
    return sparse.csr_matrix((data, indices, indptr), shape=(n + f, n + f))


def nearest_facility(net: Network, fac_nodes: np.ndarray, fac_access_m: np.ndarray, limit: float = np.inf):
    """(distance in metres, facility index) of every node to its nearest facility; -1 when none reachable."""
    n = net.node_count
    if fac_nodes.size == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    graph = with_sources(net.graph, fac_nodes, fac_access_m)
    dist, _pred, sources = csgraph.dijkstra(graph, directed=True, indices=np.arange(n, n + fac_nodes.size),
                                            min_only=True, return_predecessors=True, limit=limit)
    source = np.where(sources >= 0, sources - n, -1)
    return dist[:n], source[:n]


# ---------------------------------------------------------------------------- coverage


@dataclass
class Coverage:
    """Walking time per population point and what follows from it."""

    population: Population
    params: Parameters
    point_node: np.ndarray
    access_m: np.ndarray
    far: np.ndarray                 # access walk longer than max_access_m
    minutes: np.ndarray             # walking time to the nearest facility (inf when unreachable)
    facility: np.ndarray            # index of that facility, -1 when none
    facility_count: int
    facility_far: np.ndarray        # facilities farther than max_access_m from any road
    islands: list
    island_count: int = 0

    @cached_property
    def covered(self) -> np.ndarray:
        return self.minutes <= self.params.threshold_min

    @property
    def covered_people(self) -> float:
        return float(self.population.people[self.covered].sum())

    @property
    def covered_share(self) -> float:
        return self.covered_people / self.population.total

    @property
    def far_people(self) -> float:
        return float(self.population.people[self.far].sum())

    def shares(self, level: str) -> dict:
        """{label: (people, covered people)} for 'community', 'subdistrict' or 'district'."""
        return self.population.sum_by(level, self.covered)

    def catchments(self) -> np.ndarray:
        """People whose nearest facility (any walking time) is each facility."""
        reached = self.facility >= 0
        return np.bincount(self.facility[reached], weights=self.population.people[reached],
                           minlength=self.facility_count)

    def catchment_report(self, low: float = 30_000, high: float = 100_000) -> list[dict]:
        """Each facility's catchment against the rule of one centre per 30 000–100 000 residents."""
        rows = []
        for index, people in enumerate(self.catchments()):
            verdict = "below" if people < low else "above" if people > high else "within"
            rows.append({"facility": index, "people": float(people), "verdict": verdict})
        return rows

    def uncovered_cells(self, resolution: int = 9) -> dict[str, float]:
        """Uncovered people per H3 cell (point-level, so the cells follow where people live)."""
        import h3

        mask = ~self.covered & (self.population.people > 0)
        if not mask.any():
            return {}
        keys, inverse = np.unique(self.population.h3_index(resolution)[mask], return_inverse=True)
        sums = np.bincount(inverse, weights=self.population.people[mask])
        return {h3.int_to_str(int(k)): float(s) for k, s in zip(keys, sums, strict=True)}

    def summary(self) -> dict:
        return {"people": self.population.total, "covered_people": self.covered_people,
                "covered_share": self.covered_share, "far_points": int(self.far.sum()),
                "far_people": self.far_people, "islands": self.islands, "island_count": self.island_count,
                "facilities_far": np.flatnonzero(self.facility_far).tolist()}


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def snap_population(net: Network, pop: Population, max_m: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node and access walk of every person, queried in spatial order, returned in file order;
    beyond ``max_m`` the walk is infinite (far from the roads)."""
    order = pop.spatial_order()
    nodes, access = net.snap(pop.lon[order], pop.lat[order], "population", max_m=max_m)
    point_node, access_m = np.empty_like(nodes), np.empty_like(access)
    point_node[order], access_m[order] = nodes, access
    return point_node, access_m


def coverage(net: Network, pop: Population, fac_lon, fac_lat, params: Parameters = Parameters()) -> Coverage:
    """Walking time from every population point to its nearest facility (see the module docstring)."""
    params.validate()
    fac_nodes, fac_access = net.snap(fac_lon, fac_lat, "facilities")
    facility_far = fac_access > params.max_access_m
    dist, source = nearest_facility(net, fac_nodes[~facility_far], fac_access[~facility_far])
    if facility_far.any():  # indices of the usable facilities back to the caller's numbering
        source = np.where(source >= 0, np.flatnonzero(~facility_far)[np.maximum(source, 0)], -1)
    point_node, access_m = snap_population(net, pop, max_m=params.max_access_m)
    far = access_m > params.max_access_m
    metres = dist[point_node] + access_m
    metres[far] = np.inf
    facility = source[point_node]
    facility[far] = -1
    return Coverage(population=pop, params=params, point_node=point_node, access_m=access_m, far=far,
                    minutes=metres / params.metres_per_minute, facility=facility, facility_count=fac_nodes.size,
                    facility_far=facility_far, islands=net.islands, island_count=net.island_count)


def regions_without_centre(pop: Population, level: str, fac_regions) -> list:
    """Subdistricts (or other level) with people but no facility in them (the 'one centre per
    subdistrict' rule); ``fac_regions`` are the facilities' own region labels."""
    labels = pop.labels(level)
    if labels is None:
        return []
    return sorted(set(map(_plain, np.unique(labels))) - set(map(_plain, np.asarray(fac_regions))), key=str)


# ---------------------------------------------------------------------------- what-if


class WhatIf:
    """Add, move or remove one facility and see coverage at once.

    Keeps each facility's reach within the threshold (nodes, metres) from one bounded Dijkstra per
    facility, and the best distance per node; a change re-runs one bounded Dijkstra (the new site)
    and re-takes the minimum over the remaining facilities only at the nodes the old site reached.
    """

    def __init__(self, net: Network, pop: Population, fac_lon, fac_lat, params: Parameters = Parameters()):
        self.net, self.pop, self.params = net, pop, params.validate()
        self.limit = params.threshold_m
        self.point_node, access = snap_population(net, pop, max_m=params.max_access_m)
        self.point_budget = np.where(access > params.max_access_m, -np.inf, self.limit - access)
        self.reach: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.positions: dict[int, tuple[float, float]] = {}
        self.best = np.full(net.node_count, np.inf)
        self._next_id = 0
        lon, lat = check_lonlat(fac_lon, fac_lat, "facilities")
        nodes, access_m = net.snap(lon, lat, "facilities")
        for start in range(0, nodes.size, 16):  # a batch of bounded runs at a time keeps memory small
            batch = slice(start, start + 16)
            for (lo, la), (reached, metres) in zip(zip(lon[batch], lat[batch], strict=True),
                                                   self._reach_many(nodes[batch], access_m[batch]), strict=True):
                self._store(float(lo), float(la), reached, metres)
        # people by node, so that a change re-checks only the people at the nodes it touched
        self._by_node = np.argsort(self.point_node, kind="stable")
        self._node_start = np.searchsorted(self.point_node[self._by_node], np.arange(net.node_count + 1))
        self._covered = self.best[self.point_node] <= self.point_budget
        self._covered_people = float(pop.people[self._covered].sum())
        self._level_sums: dict[str, tuple] = {}

    def copy(self) -> WhatIf:
        """An independent state sharing the (read-only) network, people and reach arrays."""
        twin = object.__new__(WhatIf)
        twin.__dict__.update(self.__dict__)
        twin.reach, twin.positions, twin.best = dict(self.reach), dict(self.positions), self.best.copy()
        twin._covered = self._covered.copy()
        twin._level_sums = {level: (k, i, p, c.copy()) for level, (k, i, p, c) in self._level_sums.items()}
        return twin

    def _reach_many(self, nodes, access_m):
        """Nodes within the threshold of each facility, and the metres to them (its access walk
        included). A single source needs no virtual node: Dijkstra from its snapped node with the
        limit shortened by the access walk, so the graph is not copied (that copy would cost more
        than the search itself on a city-sized network)."""
        out = [(np.zeros(0, dtype=np.int64), np.zeros(0))] * nodes.size
        usable = np.flatnonzero(access_m <= self.params.max_access_m)
        if not usable.size:
            return out
        budget = self.limit - access_m[usable]
        dist = csgraph.dijkstra(self.net.graph, directed=True, indices=nodes[usable], limit=float(budget.max()))
        dist = np.atleast_2d(dist)
        for row, index in enumerate(usable):
            reached = np.flatnonzero(dist[row] <= budget[row])
            out[index] = (reached, dist[row, reached] + access_m[index])
        return out

    def _store(self, lon, lat, reached, metres) -> int:
        ident = self._next_id
        self._next_id += 1
        self.reach[ident], self.positions[ident] = (reached, metres), (lon, lat)
        if reached.size:
            np.minimum.at(self.best, reached, metres)
            self._refresh(reached)
        return ident

    def _refresh(self, nodes: np.ndarray):
        """Re-check coverage of the people living at ``nodes`` and update the running sums."""
        if not hasattr(self, "_covered"):
            return  # still building: everything is computed once at the end of __init__
        lengths = self._node_start[nodes + 1] - self._node_start[nodes]
        if not lengths.sum():
            return
        offsets = np.repeat(self._node_start[nodes] - (np.cumsum(lengths) - lengths), lengths)
        points = self._by_node[np.arange(lengths.sum()) + offsets]
        now = self.best[self.point_node[points]] <= self.point_budget[points]
        changed = points[now != self._covered[points]]
        if not changed.size:
            return
        self._covered[changed] = ~self._covered[changed]
        delta = np.where(self._covered[changed], self.pop.people[changed], -self.pop.people[changed])
        self._covered_people += float(delta.sum())
        for level, (_keys, inverse, _people, covered) in self._level_sums.items():
            np.add.at(covered, inverse[changed], delta)
            self._level_sums[level] = (_keys, inverse, _people, covered)

    def add(self, lon: float, lat: float) -> int:
        node, access = self.net.snap(np.array([lon]), np.array([lat]), "facility")
        ((reached, metres),) = self._reach_many(node, access)
        return self._store(float(lon), float(lat), reached, metres)

    def remove(self, ident: int):
        reached, _metres = self.reach.pop(ident)
        self.positions.pop(ident)
        if not reached.size:
            return
        self.best[reached] = np.inf
        touched = np.zeros(self.net.node_count, dtype=bool)
        touched[reached] = True
        for other_nodes, other_metres in self.reach.values():
            hit = touched[other_nodes]
            if hit.any():
                np.minimum.at(self.best, other_nodes[hit], other_metres[hit])
        self._refresh(reached)

    def move(self, ident: int, lon: float, lat: float) -> int:
        self.remove(ident)
        return self.add(lon, lat)

    @property
    def covered(self) -> np.ndarray:
        return self._covered

    def covered_share(self) -> float:
        return self._covered_people / self.pop.total

    def shares(self, level: str) -> dict:
        if level not in self._level_sums:
            index = self.pop.level_index(level)
            if index is None:
                return {}
            keys, inverse = index
            people = np.bincount(inverse, weights=self.pop.people, minlength=keys.size)
            covered = np.bincount(inverse, weights=self.pop.people * self._covered, minlength=keys.size)
            self._level_sums[level] = (keys, inverse, people, covered)
        keys, _inverse, people, covered = self._level_sums[level]
        return {_plain(k): (float(p), float(c)) for k, p, c in zip(keys, people, covered, strict=True)}
