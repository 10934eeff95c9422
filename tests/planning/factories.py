"""A district to plan: subdistricts (one without a centre), communities, grassroots facilities with
coordinates, supervisors in and out of scope; and small input files built from a generated city."""

import csv
import io
import json
from dataclasses import dataclass

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import InstitutionFactory, RegionFactory, user_with_role
from yilian.accounts.models import Membership
from yilian.network.models import Institution, Region
from yilian.planning import synthetic

CENTRE = (106.715, 26.568)


@dataclass
class Area:
    city: Region
    district: Region
    other_district: Region
    subdistricts: list
    facilities: list
    supervisor: object
    outsider: object
    clinic_user: object


def make_area() -> Area:
    city = RegionFactory(name="贵阳市", level=Region.Level.CITY)
    district = RegionFactory(name="南明区", level=Region.Level.DISTRICT, parent=city)
    other = RegionFactory(name="乌当区", level=Region.Level.DISTRICT, parent=city)
    subs = [RegionFactory(name=n, level=Region.Level.SUBDISTRICT, parent=district)
            for n in ("新华路街道", "西湖路街道", "花果园街道")]
    for sub in subs:
        for i in (1, 2):
            RegionFactory(name=f"{sub.name[:2]}{i}社区", level=Region.Level.COMMUNITY, parent=sub)
    spots = [(-0.006, -0.004, subs[0], Institution.Kind.COMMUNITY_CENTER),
             (0.008, 0.003, subs[1], Institution.Kind.COMMUNITY_CENTER),
             (0.0, 0.012, subs[2], Institution.Kind.COMMUNITY_STATION)]  # 花果园: a station, no centre
    facilities = [InstitutionFactory(name=f"测试卫生服务点{i}", kind=kind, region=region,
                                     longitude=f"{CENTRE[0] + dx:.6f}", latitude=f"{CENTRE[1] + dy:.6f}")
                  for i, (dx, dy, region, kind) in enumerate(spots)]
    return Area(city=city, district=district, other_district=other, subdistricts=subs, facilities=facilities,
                supervisor=user_with_role(Membership.Role.SUPERVISOR, district),
                outsider=user_with_role(Membership.Role.SUPERVISOR, other),
                clinic_user=user_with_role(Membership.Role.CLINIC_STAFF, facilities[0]))


def small_city(seed=3, nodes=3_600, people=2_000, spacing_m=60):
    return synthetic.city(nodes=nodes, people=people, facilities=0, spacing_m=spacing_m, centre=CENTRE, seed=seed)


def network_geojson(city) -> bytes:
    features = [{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [
        [float(city.node_lon[a]), float(city.node_lat[a])], [float(city.node_lon[b]), float(city.node_lat[b])]]}}
        for a, b in zip(city.edge_u, city.edge_v, strict=True)]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def population_csv(city, shift=(0.0, 0.0)) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["lon", "lat", "people", "community", "subdistrict"])
    for lon, lat, people, block in zip(city.pop_lon, city.pop_lat, city.pop_people, city.community, strict=True):
        writer.writerow([f"{lon + shift[0]:.7f}", f"{lat + shift[1]:.7f}", int(people), f"社区{block % 4}",
                         "新华路街道" if block % 2 else "西湖路街道"])
    return out.getvalue().encode()


def upload(name, content):
    return SimpleUploadedFile(name, content)


def upload_files(city=None, **overrides):
    city = city or small_city()
    files = {"network_file": upload("streets.geojson", network_geojson(city)),
             "population_file": upload("people.csv", population_csv(city))}
    files.update(overrides)
    return {k: v for k, v in files.items() if v is not None}


def candidates_csv(count, seed=1) -> bytes:
    rng = np.random.default_rng(seed)
    rows = ["lon,lat,name"] + [f"{CENTRE[0] + dx:.6f},{CENTRE[1] + dy:.6f},候选{i}"
                               for i, (dx, dy) in enumerate(rng.uniform(-0.012, 0.012, (count, 2)))]
    return ("\n".join(rows) + "\n").encode()
