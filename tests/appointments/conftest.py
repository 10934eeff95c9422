from datetime import time, timedelta

import pytest
from django.utils import timezone

from tests.factories import InstitutionFactory, user_with_role
from yilian.accounts.models import Membership
from yilian.appointments.models import Session, SessionType


@pytest.fixture
def clinic(db):
    return InstitutionFactory(name="新天社区卫生服务中心")


@pytest.fixture
def staff(clinic):
    return user_with_role(Membership.Role.CLINIC_STAFF, clinic)


@pytest.fixture
def slot(clinic):
    """A general-clinic slot three days ahead with two places."""
    return make_slot(clinic, days=3, capacity=2)


def make_slot(clinic, *, days=3, capacity=2, **kwargs):
    fields = {"session_type": SessionType.GENERAL, "starts": time(9, 0), "ends": time(9, 30), **kwargs}
    return Session.objects.create(clinic=clinic, date=timezone.localdate() + timedelta(days=days),
                                  capacity=capacity, **fields)


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings, tmp_path):
    """The rate limits count in a cache of this test's own (the file cache Yilian uses by default)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
