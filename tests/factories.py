"""factory_boy factories for the alliance network and accounts."""

from datetime import date

import factory
from django.contrib.auth import get_user_model

from yilian.accounts.models import Membership
from yilian.network.models import Institution, Liaison, Pairing, PilotCommunity, Region

PASSWORD = "correct-horse-battery-9"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"测试区{n}")
    level = Region.Level.DISTRICT
    parent = None


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试社区卫生服务中心{n}")
    kind = Institution.Kind.COMMUNITY_CENTER
    region = factory.SubFactory(RegionFactory)
    latitude = factory.Sequence(lambda n: f"{26 + (n % 100) / 1000:.6f}")
    longitude = factory.Sequence(lambda n: f"{106 + (n % 100) / 1000:.6f}")


class HospitalFactory(InstitutionFactory):
    name = factory.Sequence(lambda n: f"测试人民医院{n}")
    kind = Institution.Kind.SECONDARY_HOSPITAL


class PilotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PilotCommunity

    name = factory.Sequence(lambda n: f"测试试点社区{n}")
    region = factory.SubFactory(RegionFactory, level=Region.Level.COMMUNITY)
    year_entered = 2021


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    hospital = factory.SubFactory(HospitalFactory)
    clinic = factory.SubFactory(InstitutionFactory)
    start = date(2021, 3, 1)
    end = date(2025, 12, 31)


class LiaisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Liaison

    hospital = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"联络员{n}")
    phone = "0851-88888888"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(role: str, scope) -> object:
    """A user holding one membership: ``scope`` is a Region for supervisors, else an Institution."""
    user = UserFactory()
    key = "region" if role == Membership.Role.SUPERVISOR else "institution"
    Membership.objects.create(user=user, role=role, **{key: scope})
    return user
