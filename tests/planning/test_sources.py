"""Reading networks and people from files: the OpenStreetMap extract bundled with pyrosm (offline),
GeoJSON lines, CSV and GeoJSON population, datum conversion, and bad files."""

import json

import numpy as np
import pyrosm
import pytest

from yilian.planning import coords, engine, sources
from yilian.planning.engine import PlanningError


def test_osm_pbf_extract_from_the_pyrosm_wheel():
    edges = sources.read_network(pyrosm.get_data("test_pbf"))  # a small Finnish town, offline
    net = edges.network()
    assert net.node_count > 500 and net.graph.nnz > 1000
    assert 26 < net.lon.mean() < 28 and 60 < net.lat.mean() < 61
    assert np.all(edges.length_m > 0)
    pop = engine.Population(net.lon[::10] + 0.0003, net.lat[::10], np.full(net.lon[::10].size, 5.0))
    cov = engine.coverage(net, pop, net.lon[:1], net.lat[:1])
    assert 0 < cov.covered_share <= 1


def geojson_lines(lines):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": line}}
        for line in lines]}).encode()


def test_geojson_lines_join_at_shared_vertices(tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_bytes(geojson_lines([[[106.70, 26.57], [106.71, 26.57]], [[106.71, 26.57], [106.71, 26.58]],
                                    [[106.75, 26.60], [106.76, 26.60]]]))
    edges = sources.read_network(path)
    assert edges.lon.size == 5 and edges.u.size == 3
    net = edges.network()
    assert net.island_count == 1


def test_gcj02_network_is_converted(tmp_path):
    gcj = coords.wgs84_to_gcj02(np.array([106.70, 106.71]), np.array([26.57, 26.57]))
    path = tmp_path / "amap.geojson"
    path.write_bytes(geojson_lines([[[gcj[0][0], gcj[1][0]], [gcj[0][1], gcj[1][1]]]]))
    edges = sources.read_network(path, datum="gcj02")
    assert np.allclose(sorted(edges.lon), [106.70, 106.71], atol=1e-8)


def test_population_csv_and_geojson_polygons():
    csv_bytes = "lon,lat,people,community\n106.7,26.57,120,新华路社区\n106.71,26.58,80,电力巷社区\n".encode()
    pop = sources.read_population(csv_bytes, "people.csv")
    assert pop.total == 200 and pop.community.tolist() == ["新华路社区", "电力巷社区"]
    square = [[[106.70, 26.57], [106.71, 26.57], [106.71, 26.58], [106.70, 26.58], [106.70, 26.57]]]
    geo = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "西湖路社区", "people": 5000}, "geometry": {"type": "Polygon", "coordinates": square}}]}).encode()
    spread = sources.read_population(geo, "communities.geojson")
    assert spread.total == pytest.approx(5000) and spread.lon.size > 50
    assert spread.lon.min() > 106.70 and spread.lat.max() < 26.58


@pytest.mark.parametrize("raw, name, code", [
    (b"lon,lat,people\n500000,3000000,5\n", "p.csv", "projected_coordinates"),
    (b"x;y\n1;2\n", "p.csv", "bad_population_columns"),
    (b"lon,lat,people\n106.7,26.5,many\n", "p.csv", "bad_population_file"),
    (b"{not json", "p.geojson", "bad_population_file"),
    (b"lon,lat,people\n", "p.csv", "empty_population"),
    (b"whatever", "p.xlsx", "bad_population_format"),
])
def test_bad_population_files_are_named(raw, name, code):
    with pytest.raises(PlanningError) as info:
        sources.read_population(raw, name)
    assert info.value.code == code


def test_bad_network_files_are_named(tmp_path):
    for name, raw, code in [("a.shp", b"x", "bad_network_format"), ("a.geojson", b"{]", "bad_network_file"),
                            ("a.geojson", b'{"type": "FeatureCollection", "features": []}', "empty_network"),
                            ("a.osm.pbf", b"not a pbf at all", "bad_network_file")]:
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(PlanningError) as info:
            sources.read_network(path)
        assert info.value.code == code, name


def test_candidate_points():
    lon, lat, names = sources.read_points("lon,lat,name\n106.7,26.57,旧粮站\n".encode(), "c.csv")
    assert names == ["旧粮站"] and lon.tolist() == [106.7]
    with pytest.raises(PlanningError):
        sources.read_points(b"a,b\n1,2\n", "c.csv")


def test_osm_xml_through_osmnx(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="26.5700" lon="106.7000" version="1"/>
  <node id="2" lat="26.5700" lon="106.7010" version="1"/>
  <node id="3" lat="26.5710" lon="106.7010" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
</osm>""", encoding="utf-8")
    net = sources.read_network(path).network()
    assert net.node_count == 3 and net.graph.nnz == 4  # two streets, both ways
    assert net.graph[0, 1] == pytest.approx(99.45, abs=0.1) and net.graph[1, 2] == pytest.approx(111.2, abs=0.1)
