"""Shared fixtures of the plan tests (no tests here): a district with two hospitals and three clinics.

H (市甲医院) supports C1 and C2, H2 (市乙医院) supports C3; programme 2026, month, 1–2 days, min 中级;
agreements for the whole of 2026. Doctors: 高主任 (正高) and 初医生 (初级) at H, 乙医生 (副高) at H2.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client

from tests.factories import HospitalFactory, InstitutionFactory, PairingFactory, RegionFactory, user_with_role
from tests.support.factories import AgreementFactory, DoctorFactory, ProgrammeFactory
from yilian.accounts.models import Membership
from yilian.network.models import Region
from yilian.support.models import Title

DEC = "2026-12"
TUESDAY = date(2026, 12, 1)
WEDNESDAY = date(2026, 12, 2)
THURSDAY = date(2026, 12, 3)
SATURDAY = date(2026, 12, 5)


@dataclass
class World:
    district: object
    hospital: object
    hospital2: object
    clinic1: object
    clinic2: object
    clinic3: object
    programme: object
    agreement1: object
    agreement2: object
    agreement3: object
    senior: object
    junior: object
    other: object
    supervisor: object
    coordinator: object
    coordinator2: object
    clinic_staff: object


@pytest.fixture
def world(db):
    district = RegionFactory(name="甲区")
    street = RegionFactory(name="甲街道", parent=district, level=Region.Level.SUBDISTRICT)
    hospital = HospitalFactory(name="市甲医院", short_name="甲医", region=district)
    hospital2 = HospitalFactory(name="市乙医院", short_name="乙医", region=district)
    clinics = [InstitutionFactory(name=f"{n}社区卫生服务中心", region=street) for n in ("新天", "水东", "金仓")]
    programme = ProgrammeFactory(name="千名医师万人次下基层", region=district, year=2026)
    agreements = [
        AgreementFactory(pairing=PairingFactory(hospital=h, clinic=c, end=None), programme=programme)
        for h, c in ((hospital, clinics[0]), (hospital, clinics[1]), (hospital2, clinics[2]))
    ]
    role = Membership.Role
    return World(
        district, hospital, hospital2, *clinics, programme, *agreements,
        senior=DoctorFactory(hospital=hospital, name="高主任", title=Title.SENIOR),
        junior=DoctorFactory(hospital=hospital, name="初医生", title=Title.JUNIOR),
        other=DoctorFactory(hospital=hospital2, name="乙医生", title=Title.ASSOCIATE),
        supervisor=user_with_role(role.SUPERVISOR, district),
        coordinator=user_with_role(role.COORDINATOR, hospital),
        coordinator2=user_with_role(role.COORDINATOR, hospital2),
        clinic_staff=user_with_role(role.CLINIC_STAFF, clinics[0]),
    )


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client
