"""Reading the city from files, without Django: walking networks from OpenStreetMap extracts
(``.osm.pbf`` through pyrosm, ``.osm`` XML through osmnx) or GeoJSON lines; population from CSV or
GeoJSON points (lon, lat, people), or from community totals spread over their polygons.

Every reader returns plain arrays; every problem is a :class:`~yilian.planning.engine.PlanningError`
with a code the caller can translate.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .coords import to_wgs84
from .engine import Network, PlanningError, Population, check_lonlat


@dataclass
class Edges:
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray | None = None

    def network(self) -> Network:
        return Network.from_edges(self.lon, self.lat, self.u, self.v, self.length_m)


def read_network(path, datum: str = "wgs84") -> Edges:
    """The walking network in ``path``, by its suffix: .osm.pbf, .osm, .geojson/.json."""
    name = str(path).lower()
    if name.endswith(".osm.pbf") or name.endswith(".pbf"):
        edges = _from_pbf(path)
    elif name.endswith(".osm"):
        edges = _from_osm_xml(path)
    elif name.endswith((".geojson", ".json")):
        edges = _from_geojson_lines(Path(path).read_bytes())
    else:
        raise PlanningError("bad_network_format", "the network must be .osm.pbf, .osm or GeoJSON lines")
    edges.lon, edges.lat = to_wgs84(edges.lon, edges.lat, datum)
    check_lonlat(edges.lon, edges.lat, "network")
    return edges


def _from_pbf(path) -> Edges:
    import pyrosm

    try:
        nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)
    except Exception as exc:  # pyrosm raises plain errors (and sometimes segfault-free garbage) on bad files
        raise PlanningError("bad_network_file", f"not a readable OpenStreetMap extract: {exc}") from exc
    if nodes is None or edges is None or not len(edges):
        raise PlanningError("empty_network", "no walkable ways in the extract")
    return _from_osm_frames(nodes["id"].to_numpy(), nodes["lon"].to_numpy(), nodes["lat"].to_numpy(),
                            edges["u"].to_numpy(), edges["v"].to_numpy(), edges["length"].to_numpy())


def _from_osm_xml(path) -> Edges:
    import osmnx

    try:
        graph = osmnx.graph_from_xml(str(path), simplify=False, retain_all=True)
    except Exception as exc:
        raise PlanningError("bad_network_file", f"not a readable OpenStreetMap file: {exc}") from exc
    ids = np.fromiter(graph.nodes, dtype=np.int64)
    lon = np.array([graph.nodes[i]["x"] for i in ids])
    lat = np.array([graph.nodes[i]["y"] for i in ids])
    u, v, length = zip(*((a, b, d.get("length", np.nan)) for a, b, d in graph.edges(data=True)), strict=True)
    return _from_osm_frames(ids, lon, lat, np.array(u), np.array(v), np.array(length, dtype=float))


def _from_osm_frames(ids, lon, lat, u, v, length) -> Edges:
    order = np.argsort(ids)
    pos_u, pos_v = np.searchsorted(ids[order], u), np.searchsorted(ids[order], v)
    pos_u, pos_v = np.minimum(pos_u, ids.size - 1), np.minimum(pos_v, ids.size - 1)
    known = (ids[order][pos_u] == u) & (ids[order][pos_v] == v)
    length = np.asarray(length, dtype=float)[known]
    return Edges(lon=np.asarray(lon, float)[order], lat=np.asarray(lat, float)[order], u=pos_u[known],
                 v=pos_v[known], length_m=np.where(np.isfinite(length), length, np.nan) if length.size else None)


def _from_geojson_lines(raw: bytes) -> Edges:
    """LineString / MultiLineString features; shared vertices (same coordinates to 1e-7°) join up."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlanningError("bad_network_file", "the network file is not valid GeoJSON") from exc
    lines = []
    for feature in data.get("features", []) if isinstance(data, dict) else []:
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") == "LineString":
            lines.append(geometry.get("coordinates") or [])
        elif geometry.get("type") == "MultiLineString":
            lines.extend(geometry.get("coordinates") or [])
    if not lines:
        raise PlanningError("empty_network", "the GeoJSON has no LineString features")
    try:
        points = np.array([pt[:2] for line in lines for pt in line], dtype=float)
    except (TypeError, ValueError, IndexError) as exc:
        raise PlanningError("bad_network_file", "a line has malformed coordinates") from exc
    keys = np.round(points * 1e7).astype(np.int64)
    _uniq, first, node = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    sizes = np.array([len(line) for line in lines])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = np.ones(points.shape[0], dtype=bool)
    within[starts] = False  # no segment from the last vertex of one line to the first of the next
    seg_end = np.flatnonzero(within)
    return Edges(lon=points[first, 0], lat=points[first, 1], u=node[seg_end - 1], v=node[seg_end])


def edges_to_arrays(net: Network) -> dict:
    return {"node_lon": net.lon, "node_lat": net.lat, "edge_u": net.edge_u, "edge_v": net.edge_v}


# ---------------------------------------------------------------------------- population


_LON = ("lon", "lng", "longitude", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")
_PEOPLE = ("people", "population", "pop", "count", "人口")
_COMMUNITY = ("community", "社区")
_SUBDISTRICT = ("subdistrict", "street", "街道")


def read_population(path_or_bytes, name: str = "", datum: str = "wgs84") -> Population:
    """Points with people from CSV (columns lon, lat, people[, community, subdistrict]) or GeoJSON
    (Point features with a people property, or Polygon features with a people total spread inside)."""
    raw = Path(path_or_bytes).read_bytes() if not isinstance(path_or_bytes, bytes) else path_or_bytes
    name = (name or str(path_or_bytes)).lower()
    if name.endswith(".csv"):
        columns = _csv_columns(raw)
    elif name.endswith((".geojson", ".json")):
        columns = _geojson_points(raw)
    else:
        raise PlanningError("bad_population_format", "population must be CSV or GeoJSON")
    lon, lat = to_wgs84(columns["lon"], columns["lat"], datum)
    return Population(lon, lat, columns["people"], community=columns.get("community"),
                      subdistrict=columns.get("subdistrict"))


def _pick(header, names):
    lowered = [h.strip().lower() for h in header]
    for candidate in names:
        if candidate in lowered:
            return lowered.index(candidate)
    return None


def _csv_columns(raw: bytes) -> dict:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanningError("bad_population_file", "the CSV is not UTF-8 text") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise PlanningError("empty_population", "the CSV has no rows")
    header, body = rows[0], [r for r in rows[1:] if any(cell.strip() for cell in r)]
    lon_i, lat_i, people_i = _pick(header, _LON), _pick(header, _LAT), _pick(header, _PEOPLE)
    if None in (lon_i, lat_i, people_i):
        raise PlanningError("bad_population_columns", "the CSV needs columns lon, lat and people")
    try:
        out = {"lon": np.array([float(r[lon_i]) for r in body]), "lat": np.array([float(r[lat_i]) for r in body]),
               "people": np.array([float(r[people_i]) for r in body])}
    except (ValueError, IndexError) as exc:
        raise PlanningError("bad_population_file", f"a row has a non-numeric lon, lat or people: {exc}") from exc
    for key, names in (("community", _COMMUNITY), ("subdistrict", _SUBDISTRICT)):
        index = _pick(header, names)
        if index is not None:
            out[key] = np.array([r[index].strip() if index < len(r) else "" for r in body])
    return out


def _geojson_points(raw: bytes) -> dict:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlanningError("bad_population_file", "the population file is not valid GeoJSON") from exc
    lon, lat, people, community = [], [], [], []
    for feature in data.get("features", []) if isinstance(data, dict) else []:
        props = (feature or {}).get("properties") or {}
        geometry = (feature or {}).get("geometry") or {}
        count = next((props[k] for k in _PEOPLE if k in props), None)
        try:
            count = float(count)
        except (TypeError, ValueError) as exc:
            raise PlanningError("bad_population_file", "every feature needs a numeric people property") from exc
        label = str(next((props[k] for k in _COMMUNITY + ("name",) if k in props), ""))
        if geometry.get("type") == "Point":
            x, y = geometry["coordinates"][:2]
            lon.append(x), lat.append(y), people.append(count), community.append(label)
        elif geometry.get("type") in ("Polygon", "MultiPolygon"):
            for x, y, share in _spread(geometry, count):
                lon.append(x), lat.append(y), people.append(share), community.append(label)
    if not lon:
        raise PlanningError("empty_population", "the GeoJSON has no Point or Polygon features")
    return {"lon": np.array(lon, float), "lat": np.array(lat, float), "people": np.array(people),
            "community": np.array(community)}


def _spread(geometry, total: float, per_point: float = 50.0):
    """A community's total over its polygon: points on a regular grid inside, equal shares."""
    from shapely import contains_xy
    from shapely.geometry import shape

    polygon = shape(geometry)
    if polygon.is_empty:
        return []
    count = int(min(max(total / per_point, 1), 2000))
    minx, miny, maxx, maxy = polygon.bounds
    step = max(np.sqrt((maxx - minx) * (maxy - miny) / count), 1e-6)
    gx, gy = np.meshgrid(np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step))
    inside = contains_xy(polygon, gx.ravel(), gy.ravel())
    xs, ys = gx.ravel()[inside], gy.ravel()[inside]
    if not xs.size:
        centre = polygon.representative_point()
        xs, ys = np.array([centre.x]), np.array([centre.y])
    return [(float(x), float(y), total / xs.size) for x, y in zip(xs, ys, strict=True)]


def read_points(raw: bytes, name: str, datum: str = "wgs84") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Candidate sites or facilities: CSV (lon, lat[, name]) or GeoJSON points."""
    name = name.lower()
    if name.endswith(".csv"):
        try:
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        except UnicodeDecodeError as exc:
            raise PlanningError("bad_points_file", "the CSV is not UTF-8 text") from exc
        if len(rows) < 2:
            raise PlanningError("bad_points_file", "the CSV has no rows")
        lon_i, lat_i, name_i = _pick(rows[0], _LON), _pick(rows[0], _LAT), _pick(rows[0], ("name", "名称"))
        if lon_i is None or lat_i is None:
            raise PlanningError("bad_points_file", "the CSV needs columns lon and lat")
        body = [r for r in rows[1:] if any(c.strip() for c in r)]
        try:
            lon = np.array([float(r[lon_i]) for r in body])
            lat = np.array([float(r[lat_i]) for r in body])
        except (ValueError, IndexError) as exc:
            raise PlanningError("bad_points_file", "a row has a non-numeric lon or lat") from exc
        names = [r[name_i] if name_i is not None and name_i < len(r) else "" for r in body]
    elif name.endswith((".geojson", ".json")):
        try:
            features = json.loads(raw).get("features", [])
            pts = [(f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][1],
                    str((f.get("properties") or {}).get("name", ""))) for f in features
                   if (f.get("geometry") or {}).get("type") == "Point"]
        except (ValueError, AttributeError, KeyError, TypeError, IndexError) as exc:
            raise PlanningError("bad_points_file", "the points file is not valid GeoJSON") from exc
        lon, lat = np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float)
        names = [p[2] for p in pts]
    else:
        raise PlanningError("bad_points_file", "points must be CSV or GeoJSON")
    lon, lat = to_wgs84(lon, lat, datum)
    check_lonlat(lon, lat, "candidates")
    return lon, lat, names
