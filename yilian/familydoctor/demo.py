"""Demo data for family doctors at 新天社区卫生服务中心: residents (valid generated 身份证号),
households, a team with the demo login ``xintian_staff`` as its nurse, two packages, contracts,
a few past visits and the visit plan, so that the day page and the coverage view have something
to show. Deterministic and safe to run again (``load_familydoctor_demo()``)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yilian.network.models import Institution, Region

from .idnumber import with_check_digit
from .models import Household, Resident, ResidentTag, Tag, community_area, refresh_age_tags
from .models_care import (
    Contract,
    ContractEvent,
    ServicePackage,
    Team,
    TeamMember,
    VisitRecord,
    VisitRule,
    one_year_from,
)
from .services_care import generate_visit_plan

CLINIC = "新天社区卫生服务中心"
NURSE_LOGIN = "xintian_staff"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂兰", "建国", "志强", "玉梅", "德明", "淑珍", "国华", "凤英", "永福", "丽娟", "海燕"]
RESIDENTS = 48


def _id_number(n: int, today: dt.date) -> str:
    """Residents 0–29 are 65 to 88 years old, the rest 20 to 60; odd ``n`` is a man."""
    age = 65 + (n * 7) % 24 if n < 30 else 20 + (n * 11) % 41
    birth = dt.date(today.year - age - 1, 1 + n % 12, 1 + (n * 5) % 28)
    return with_check_digit(f"520102{birth:%Y%m%d}{(500 + n * 2 + n % 2) % 1000:03d}")


def _team(clinic: Institution) -> tuple[Team, ServicePackage, ServicePackage]:
    team, _ = Team.objects.get_or_create(clinic=clinic, name="新天家庭医生一团队")
    if not team.members.exists():
        nurse = get_user_model().objects.filter(username=NURSE_LOGIN).first()
        TeamMember.objects.bulk_create([
            TeamMember(team=team, role=TeamMember.Role.GP, name="周全科"),
            TeamMember(team=team, role=TeamMember.Role.NURSE, user=nurse, name="" if nurse else "陈护士"),
            TeamMember(team=team, role=TeamMember.Role.PUBLIC_HEALTH, name="吴公卫"),
            TeamMember(team=team, role=TeamMember.Role.RETIRED, name="退休的郭医生"),
        ])
    basic, created = ServicePackage.objects.get_or_create(
        clinic=clinic, name="基础服务包", defaults={"kind": ServicePackage.Kind.BASIC,
                                                    "services": "健康评估\n血压测量\n健康教育"})
    if created:
        VisitRule.objects.create(package=basic, population=Tag.ELDERLY_65, interval_days=60,
                                 description="65岁以上老年人每2个月")
    chronic, created = ServicePackage.objects.get_or_create(
        clinic=clinic, name="慢病老人个性化包", defaults={"kind": ServicePackage.Kind.PERSONALISED,
                                                          "services": "上门随访\n用药指导\n送药上门\n康复指导"})
    if created:
        VisitRule.objects.create(package=chronic, population=Tag.HYPERTENSION, interval_days=7,
                                 description="慢病老人每周巡诊")
    return team, basic, chronic


def _residents(clinic: Institution, today: dt.date) -> list[Resident]:
    area = community_area(clinic)
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, path__startswith=area.path)
                       .order_by("path")[:3])
    residents = []
    for n in range(RESIDENTS):
        number = _id_number(n, today)
        community = communities[n % len(communities)] if communities else None
        resident = Resident.objects.filter(id_number=number).first()
        if resident is None:
            resident = Resident(name=SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)], id_number=number,
                                phone=f"139{85000000 + n:08d}", address=f"新天大道{10 + n // 2}号",
                                community=community, clinic=clinic)
            resident.save()
        residents.append(resident)
    for first in range(0, 20, 2):  # elderly couples share a household
        a, b = residents[first], residents[first + 1]
        if a.household_id is None:
            household = Household.objects.create(clinic=clinic, address=a.address, community=a.community, head=a)
            Resident.objects.filter(pk__in=[a.pk, b.pk]).update(household=household)
    for n, resident in enumerate(residents[:30]):
        if n % 3 == 0:
            ResidentTag.objects.get_or_create(resident=resident, kind=Tag.HYPERTENSION, defaults={
                "source": "门诊诊断", "recorded_on": today - dt.timedelta(days=400)})
        if n % 10 == 4:
            ResidentTag.objects.get_or_create(resident=resident, kind=Tag.DISABLED, defaults={
                "source": "残联名单", "recorded_on": today - dt.timedelta(days=200)})
    refresh_age_tags(today, Resident.objects.filter(clinic=clinic))
    return residents


def _contracts(residents, team, basic, chronic, today: dt.date) -> int:
    signed = 0
    hypertensive = set(ResidentTag.objects.filter(resident__in=residents, kind=Tag.HYPERTENSION)
                       .values_list("resident_id", flat=True))
    for n, resident in enumerate(residents):
        if n % 5 == 4 or n >= 36 or Contract.objects.filter(resident=resident, status="active").exists():
            continue  # about three elderly in four under contract, a few younger residents too
        start = today - dt.timedelta(days=10 + (n * 13) % 200)
        contract = Contract.objects.create(resident=resident, team=team, clinic_id=team.clinic_id, start=start,
                                           end=one_year_from(start), consent=True, consent_by="本人",
                                           household_id=resident.household_id)
        contract.packages.set([basic, chronic] if resident.pk in hypertensive else [basic])
        ContractEvent.objects.create(contract=contract, kind=ContractEvent.Kind.SIGNED, on=start)
        signed += 1
        if resident.pk in hypertensive and n % 2 == 0:
            day = max(start, today - dt.timedelta(days=3 + n % 5))
            VisitRecord.objects.get_or_create(client_key=f"demo-{resident.id_number}", defaults={
                "contract": contract, "resident": resident, "team": team, "date": day,
                "mode": VisitRecord.Mode.HOME, "systolic": 128 + (n * 7) % 30, "diastolic": 78 + (n * 3) % 16,
                "services": "血压测量\n用药指导", "notes": "病情稳定"})
    return signed


@transaction.atomic
def load_familydoctor_demo(today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    clinic = Institution.objects.filter(name=CLINIC).first()
    if clinic is None:
        return {"residents": 0}
    team, basic, chronic = _team(clinic)
    residents = _residents(clinic, today)
    signed = _contracts(residents, team, basic, chronic, today)
    planned = generate_visit_plan(clinic, today + dt.timedelta(days=30), today=today)
    return {"residents": len(residents), "contracts": signed, "planned_visits": planned}
