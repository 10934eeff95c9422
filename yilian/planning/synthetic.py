"""A synthetic city for tests, the demo and the benchmark: a road-like walking network (a jittered
street grid with missing links, a few islands if asked), people clustered around it and facilities.

Communities are ~1.5 km squares, subdistricts ~6 km squares, districts ~20 km squares of the grid,
labelled by integers (the demo replaces them with real names).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import EARTH_RADIUS_M


@dataclass
class City:
    node_lon: np.ndarray
    node_lat: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    pop_lon: np.ndarray
    pop_lat: np.ndarray
    pop_people: np.ndarray
    community: np.ndarray
    subdistrict: np.ndarray
    district: np.ndarray
    fac_lon: np.ndarray
    fac_lat: np.ndarray


def city(nodes: int = 1_000_000, people: int = 1_000_000, facilities: int = 300, *, spacing_m: float = 60.0,
         centre=(106.63, 26.65), drop_share: float = 0.12, islands: int = 0, people_per_point: float = 8.0,
         seed: int = 0) -> City:
    """A √nodes × √nodes street grid around ``centre`` (lon, lat) with ``spacing_m`` between crossings."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(nodes)))
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    x = (col - side / 2) * spacing_m + rng.normal(0, spacing_m * 0.15, n)
    y = (row - side / 2) * spacing_m + rng.normal(0, spacing_m * 0.15, n)
    lon, lat = _to_lonlat(x, y, centre)
    ids = np.arange(n).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(u.size) >= drop_share
    degree = np.bincount(u[keep], minlength=n) + np.bincount(v[keep], minlength=n)
    keep |= (degree[u] == 0) | (degree[v] == 0)  # no crossing loses all its streets
    u, v = u[keep], v[keep]
    if islands:  # cut a few square blocks loose from the rest (a river, a walled compound)
        u, v = _cut_islands(u, v, row, col, side, islands, rng)
    pop_x, pop_y = _people_around(x, y, people, spacing_m, rng)
    pop_lon, pop_lat = _to_lonlat(pop_x, pop_y, centre)
    weights = rng.gamma(2.0, people_per_point / 2.0, people).round()
    fac = rng.choice(n, size=facilities, replace=False)
    jitter = rng.normal(0, 20, (2, facilities))
    fac_lon, fac_lat = _to_lonlat(x[fac] + jitter[0], y[fac] + jitter[1], centre)
    half = side * spacing_m / 2
    return City(node_lon=lon, node_lat=lat, edge_u=u, edge_v=v, pop_lon=pop_lon, pop_lat=pop_lat, pop_people=weights,
                community=_block(pop_x, pop_y, half, 1500), subdistrict=_block(pop_x, pop_y, half, 6000),
                district=_block(pop_x, pop_y, half, 20000), fac_lon=fac_lon, fac_lat=fac_lat)


def _to_lonlat(x, y, centre):
    lon0, lat0 = centre
    lat = lat0 + np.degrees(y / EARTH_RADIUS_M)
    lon = lon0 + np.degrees(x / (EARTH_RADIUS_M * np.cos(np.radians(lat0))))
    return lon, lat


def _people_around(x, y, count, spacing_m, rng):
    """Denser towards a few centres, as people live: pick nodes with a radial weight, jitter off the road."""
    r = np.hypot(x - x.mean(), y - y.mean())
    weight = np.exp(-r / max(r.max() / 2.5, 1.0)) + 0.15
    base = rng.choice(x.size, size=count, p=weight / weight.sum())
    return (x[base] + rng.normal(0, spacing_m * 0.4, count), y[base] + rng.normal(0, spacing_m * 0.4, count))


def _block(x, y, half, size_m):
    cols = int(np.ceil(2 * half / size_m)) + 1
    return (np.floor((y + half) / size_m) * cols + np.floor((x + half) / size_m)).astype(np.int64)


def _cut_islands(u, v, row, col, side, count, rng):
    inside = np.zeros(row.size, dtype=bool)
    for _ in range(count):
        r0, c0 = rng.integers(2, max(side - 8, 3), 2)
        inside |= (row >= r0) & (row < r0 + 5) & (col >= c0) & (col < c0 + 5)
    crossing = inside[u] != inside[v]
    return u[~crossing], v[~crossing]
