"""Factories and valid ID numbers for the family-doctor tests."""

from datetime import date, timedelta

import factory

from tests.factories import InstitutionFactory
from yilian.familydoctor.idnumber import with_check_digit
from yilian.familydoctor.models import Resident


def make_id(birth: date = date(1990, 3, 7), sequence: int = 123, region: str = "520102") -> str:
    """A valid 身份证号: an odd ``sequence`` is a man, an even one a woman."""
    return with_check_digit(f"{region}{birth:%Y%m%d}{sequence % 1000:03d}")


def _nth_id(n: int) -> str:
    return make_id(date(1950, 1, 1) + timedelta(days=(n * 37) % 25000), sequence=n % 1000)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    name = factory.Sequence(lambda n: f"居民{n}")
    id_number = factory.Sequence(_nth_id)
    phone = factory.Sequence(lambda n: f"139{n % 100000000:08d}")
    address = "幸福路1号"
    clinic = factory.SubFactory(InstitutionFactory)


def make_care(clinic, nurse=None, gp_name="王医生"):
    """A team of ``clinic`` (a named GP, ``nurse`` as its nurse), a basic package (65+ every 60 days)
    and a personalised one (hypertension every 7 days)."""
    from yilian.familydoctor.models import ServicePackage, Team, TeamMember, VisitRule

    team = Team.objects.create(clinic=clinic, name=f"{clinic.name}一团队")
    TeamMember.objects.create(team=team, role=TeamMember.Role.GP, name=gp_name)
    if nurse is not None:
        TeamMember.objects.create(team=team, role=TeamMember.Role.NURSE, user=nurse)
    basic = ServicePackage.objects.create(clinic=clinic, name=f"{clinic.name}基础包", kind="basic",
                                          services="健康评估\n血压测量")
    VisitRule.objects.create(package=basic, population="elderly_65", interval_days=60)
    chronic = ServicePackage.objects.create(clinic=clinic, name=f"{clinic.name}慢病包", kind="personalised",
                                            services="上门随访\n用药指导")
    VisitRule.objects.create(package=chronic, population="hypertension", interval_days=7)
    return team, basic, chronic
