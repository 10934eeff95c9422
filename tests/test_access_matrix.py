"""Every role × own/other scope × list/detail/export/API, generated from one rule table.

Two districts, A and B, each with a hospital, a clinic paired with it, a pilot, a liaison and an
alliance. Each role holds a membership in district A. The rule: what lies in A is visible to every
role (each through its own path: region, pairing, own clinic, own hospital); nothing in B is, and
out of scope answers 404. Who may *change* an object is narrower and is tested as its own surface.
"""

import io
from dataclasses import dataclass

import openpyxl
import pytest
from django.test import Client

from tests.factories import (
    HospitalFactory,
    InstitutionFactory,
    LiaisonFactory,
    PairingFactory,
    PilotFactory,
    RegionFactory,
    UserFactory,
    user_with_role,
)
from yilian.accounts.models import Membership
from yilian.network.models import Alliance, Region

ROLES = [
    Membership.Role.SUPERVISOR, Membership.Role.COORDINATOR, Membership.Role.CLINIC_STAFF, Membership.Role.DOCTOR,
]


@dataclass
class District:
    region: Region
    hospital: object
    clinic: object
    pairing: object
    pilot: object
    liaison: object
    alliance: object


def _district(city, label):
    region = RegionFactory(name=f"{label}区", parent=city)
    street = RegionFactory(name=f"{label}街道", parent=region, level=Region.Level.SUBDISTRICT)
    hospital = HospitalFactory(name=f"{label}区人民医院", region=region)
    clinic = InstitutionFactory(name=f"{label}社区卫生服务中心", region=street)
    pilot = PilotFactory(name=f"{label}试点社区", region=RegionFactory(
        name=f"{label}社区", parent=street, level=Region.Level.COMMUNITY))
    pilot.serving_institutions.add(clinic)
    pairing = PairingFactory(hospital=hospital, clinic=clinic, end=None)
    pairing.pilots.add(pilot)
    alliance = Alliance.objects.create(name=f"{label}医联体", kind=Alliance.Kind.URBAN_GROUP, lead=hospital)
    alliance.members.add(clinic)
    return District(region, hospital, clinic, pairing, pilot, LiaisonFactory(hospital=hospital, name=f"{label}联络员"),
                    alliance)


@pytest.fixture
def world(db):
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    return {"A": _district(city, "甲"), "B": _district(city, "乙")}


def _member(role, district: District):
    if role == Membership.Role.SUPERVISOR:
        return user_with_role(role, district.region)
    if role == Membership.Role.CLINIC_STAFF:
        return user_with_role(role, district.clinic)
    return user_with_role(role, district.hospital)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# (object attribute, list page, detail page or None, export or None, API list, API detail or None)
SURFACES = {
    "clinic": ("/institutions/", "/institutions/{id}/", "/institutions/export.xlsx",
               "/api/v1/institutions", "/api/v1/institutions/{id}"),
    "pairing": ("/pairings/", "/pairings/{id}/", "/responsibility/export.xlsx",
                "/api/v1/pairings", "/api/v1/pairings/{id}"),
    "pilot": ("/pilots/", "/pilots/{id}/", "/responsibility/export.xlsx", "/api/v1/pilots", "/api/v1/pilots/{id}"),
    "liaison": ("/liaisons/", None, "/liaisons/export.xlsx", "/api/v1/liaisons", None),
    "alliance": ("/alliances/", "/alliances/{id}/", None, "/api/v1/alliances", "/api/v1/alliances/{id}"),
}


def _marker(obj) -> str:
    """Text that appears wherever the object is shown."""
    return getattr(obj, "name", None) or obj.clinic.name


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None)


def _api_ids(response) -> set[int]:
    data = response.json()
    items = data["items"] if isinstance(data, dict) else data
    return {item["id"] for item in items}


SURFACE_NAMES = ("list", "detail", "export", "api_list", "api_detail")
CASES = [
    (role, kind, side, surface)
    for role in ROLES for kind, urls in SURFACES.items() for side in ("A", "B")
    for surface, url in zip(SURFACE_NAMES, urls, strict=True) if url is not None
]


@pytest.mark.parametrize(("role", "kind", "side", "surface"), CASES)
def test_read_access(world, role, kind, side, surface):
    own = world["A"]
    obj = getattr(world[side], kind)
    visible = side == "A"
    list_url, detail_url, export_url, api_list_url, api_detail_url = SURFACES[kind]
    client = _client(_member(role, own))
    if surface == "list":
        response = client.get(list_url)
        assert response.status_code == 200
        assert (_marker(obj) in response.content.decode()) is visible
    elif surface == "detail":
        response = client.get(detail_url.format(id=obj.pk))
        assert response.status_code == (200 if visible else 404)
    elif surface == "export":
        response = client.get(export_url)
        assert response.status_code == 200
        assert (_marker(obj) in _xlsx_text(response.content)) is visible
    elif surface == "api_list":
        response = client.get(api_list_url)
        assert response.status_code == 200
        assert (obj.pk in _api_ids(response)) is visible
    else:
        response = client.get(api_detail_url.format(id=obj.pk))
        assert response.status_code == (200 if visible else 404)


# Who may open the edit page of an object in their own district A (never in B).
MAY_CHANGE = {
    ("clinic", Membership.Role.SUPERVISOR): True,
    ("clinic", Membership.Role.CLINIC_STAFF): True,
    ("hospital", Membership.Role.SUPERVISOR): True,
    ("hospital", Membership.Role.COORDINATOR): True,
    ("pairing", Membership.Role.SUPERVISOR): True,
    ("liaison", Membership.Role.SUPERVISOR): True,
    ("liaison", Membership.Role.COORDINATOR): True,
    ("alliance", Membership.Role.SUPERVISOR): True,
}
EDIT_URLS = {
    "clinic": "/institutions/{id}/edit/", "hospital": "/institutions/{id}/edit/",
    "pairing": "/pairings/{id}/edit/", "liaison": "/liaisons/{id}/edit/", "alliance": "/alliances/{id}/edit/",
}


@pytest.mark.parametrize(("role", "kind", "side"), [
    (role, kind, side) for role in ROLES for kind in EDIT_URLS for side in ("A", "B")
])
def test_change_access(world, role, kind, side):
    obj = getattr(world[side], kind)
    allowed = side == "A" and MAY_CHANGE.get((kind, role), False)
    response = _client(_member(role, world["A"])).get(EDIT_URLS[kind].format(id=obj.pk))
    assert response.status_code == (200 if allowed else 404)


@pytest.mark.parametrize("url", [s[0] for s in SURFACES.values()] + ["/responsibility/", "/api/v1/institutions"])
def test_user_without_membership_sees_nothing(world, url):
    response = _client(UserFactory()).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for district in world.values():
        assert district.clinic.name not in body
        assert district.hospital.name not in body


@pytest.mark.parametrize("url", ["/", "/institutions/", "/responsibility/export.xlsx", "/api/v1/institutions"])
def test_anonymous_is_sent_to_login_or_refused(world, url):
    response = Client().get(url)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]
