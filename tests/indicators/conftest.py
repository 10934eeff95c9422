from dataclasses import dataclass

import pytest
from django.utils import translation

from tests.factories import HospitalFactory, InstitutionFactory, PairingFactory, RegionFactory, user_with_role
from yilian.accounts.models import Membership
from yilian.indicators import packs
from yilian.network.models import Institution, Region


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english_pages(client):
    """These tests read English messages (pages, and services called directly); the default is Chinese."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@dataclass
class City:
    city: Region
    districts: list
    clinics: list  # two per district
    hospital: Institution
    supervisor: object
    district_supervisor: object
    coordinator: object
    clinic_staff: object
    outsider: object


def make_city() -> City:
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    districts, clinics = [], []
    for label in ("甲", "乙"):
        district = RegionFactory(name=f"{label}区", parent=city)
        street = RegionFactory(name=f"{label}街道", parent=district, level=Region.Level.SUBDISTRICT)
        districts.append(district)
        clinics += [InstitutionFactory(name=f"{label}{n}社区卫生服务中心", region=street) for n in (1, 2)]
    hospital = HospitalFactory(name="测试市人民医院", region=districts[0])
    PairingFactory(hospital=hospital, clinic=clinics[0], end=None)
    other_city = RegionFactory(name="别的市", level=Region.Level.CITY)
    return City(city=city, districts=districts, clinics=clinics, hospital=hospital,
                supervisor=user_with_role(Membership.Role.SUPERVISOR, city),
                district_supervisor=user_with_role(Membership.Role.SUPERVISOR, districts[0]),
                coordinator=user_with_role(Membership.Role.COORDINATOR, hospital),
                clinic_staff=user_with_role(Membership.Role.CLINIC_STAFF, clinics[0]),
                outsider=user_with_role(Membership.Role.SUPERVISOR, other_city))


@pytest.fixture
def town(db):
    return make_city()


@pytest.fixture
def shipped(db):
    return {p.slug: p for p in packs.load_shipped()}
