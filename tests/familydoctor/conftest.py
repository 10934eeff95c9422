"""Two districts with a clinic each, users of every role, and a few residents.

City
├── 甲区 (district A)  ── 甲街道 ── 甲一社区, 甲二社区;  甲社区卫生服务中心 (clinic A) with 甲一服务站 under it
└── 乙区 (district B)  ── 乙街道 ── 乙社区;            乙社区卫生服务中心 (clinic B)
"""

import os
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from tests.factories import HospitalFactory, InstitutionFactory, RegionFactory, user_with_role
from tests.familydoctor.factories import ResidentFactory, make_id
from yilian.accounts.models import Membership
from yilian.network.models import Institution, Region

Role = Membership.Role

# No example database in the working tree (.hypothesis/), and no per-example deadline: the CI
# machines are shared and slow, and these properties are about correctness, not speed.
# YILIAN_HYPOTHESIS=thorough runs 20 times as many examples.
hypothesis_settings.register_profile("yilian", database=None, deadline=None)
hypothesis_settings.register_profile("thorough", database=None, deadline=None, max_examples=2000)
hypothesis_settings.load_profile(os.environ.get("YILIAN_HYPOTHESIS", "yilian"))


@dataclass
class World:
    city: Region
    district_a: Region
    district_b: Region
    community_a1: Region
    community_a2: Region
    community_b: Region
    clinic_a: Institution
    station_a: Institution
    clinic_b: Institution
    hospital_a: Institution
    staff_a: object
    staff_b: object
    supervisor_a: object
    supervisor_b: object
    supervisor_city: object
    coordinator_a: object
    doctor_a: object


@pytest.fixture
def world(db):
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    district_a = RegionFactory(name="甲区", parent=city)
    district_b = RegionFactory(name="乙区", parent=city)
    street_a = RegionFactory(name="甲街道", parent=district_a, level=Region.Level.SUBDISTRICT)
    street_b = RegionFactory(name="乙街道", parent=district_b, level=Region.Level.SUBDISTRICT)
    community_a1 = RegionFactory(name="甲一社区", parent=street_a, level=Region.Level.COMMUNITY)
    community_a2 = RegionFactory(name="甲二社区", parent=street_a, level=Region.Level.COMMUNITY)
    community_b = RegionFactory(name="乙社区", parent=street_b, level=Region.Level.COMMUNITY)
    clinic_a = InstitutionFactory(name="甲社区卫生服务中心", region=street_a)
    station_a = InstitutionFactory(name="甲一社区卫生服务站", region=community_a1, parent=clinic_a,
                                   kind=Institution.Kind.COMMUNITY_STATION)
    clinic_b = InstitutionFactory(name="乙社区卫生服务中心", region=street_b)
    hospital_a = HospitalFactory(name="甲区人民医院", region=district_a)
    return World(
        city=city, district_a=district_a, district_b=district_b, community_a1=community_a1,
        community_a2=community_a2, community_b=community_b, clinic_a=clinic_a, station_a=station_a,
        clinic_b=clinic_b, hospital_a=hospital_a,
        staff_a=user_with_role(Role.CLINIC_STAFF, clinic_a),
        staff_b=user_with_role(Role.CLINIC_STAFF, clinic_b),
        supervisor_a=user_with_role(Role.SUPERVISOR, district_a),
        supervisor_b=user_with_role(Role.SUPERVISOR, district_b),
        supervisor_city=user_with_role(Role.SUPERVISOR, city),
        coordinator_a=user_with_role(Role.COORDINATOR, hospital_a),
        doctor_a=user_with_role(Role.DOCTOR, hospital_a),
    )


@pytest.fixture
def resident_a(world):
    """张三 of clinic A, with a phone: 13812345678, ID 520102199003071236 (male)."""
    return ResidentFactory(name="张三", id_number=make_id(date(1990, 3, 7), 123), phone="13812345678",
                           clinic=world.clinic_a, community=world.community_a1)


@pytest.fixture
def resident_b(world):
    return ResidentFactory(name="李四", id_number=make_id(date(1985, 6, 1), 246), phone="13900001111",
                           clinic=world.clinic_b, community=world.community_b)


def client_for(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


# The Playwright harness of tests/browser (fixtures and the hook that fails a test on console errors
# or CSP violations), for the browser tests of this directory.


@dataclass
class Care:
    team: object
    basic: object
    chronic: object
    nurse: object
    elder: object  # 70 years old, hypertensive, of clinic A


@pytest.fixture
def care(world):
    from tests.familydoctor.factories import make_care
    from yilian.familydoctor.models import ResidentTag, refresh_age_tags

    nurse = user_with_role(Role.CLINIC_STAFF, world.clinic_a)
    team, basic, chronic = make_care(world.clinic_a, nurse)
    today = date.today()
    elder = ResidentFactory(name="赵老伯", id_number=make_id(date(today.year - 70, 1, 15), 311),
                            clinic=world.clinic_a, community=world.community_a1)
    ResidentTag.objects.create(resident=elder, kind="hypertension", source="诊断", recorded_on=today)
    refresh_age_tags()
    return Care(team=team, basic=basic, chronic=chronic, nurse=nurse, elder=elder)
