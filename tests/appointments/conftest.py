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

