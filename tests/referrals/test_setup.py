"""A hub coordinator sets up departments and green channels in Yilian, not in the admin site."""

import pytest
from django.urls import reverse

from tests.referrals.factories import make_net
from yilian.referrals.models import Department, GreenChannelType

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(db):
    return make_net()


def _post(client, **data):
    return client.post(reverse("referral-setup"), data, HTTP_ACCEPT_LANGUAGE="en")


def test_hub_adds_a_department_and_a_green_channel(client, net):
    client.force_login(net.desk_user)
    assert _post(client, form="department", hub=net.hospital.pk, name="神经内科").status_code == 302
    assert Department.objects.filter(hospital=net.hospital, name="神经内科", takes_referrals=True).exists()
    response = _post(client, form="channel", hub=net.hospital.pk, kind="stroke", escalate_after_minutes=3,
                     active="on")
    assert response.status_code == 302
    _post(client, form="channel", hub=net.hospital.pk, kind="stroke", escalate_after_minutes=7)  # changed, not doubled
    stroke = GreenChannelType.objects.get(hub=net.hospital, kind="stroke")
    assert (stroke.escalate_after_minutes, stroke.active) == (7, False)
    page = client.get(reverse("referral-setup")).content.decode()
    assert "神经内科" in page and 'id="channels"' in page


def test_bad_input_is_refused_and_changes_nothing(client, net):
    client.force_login(net.desk_user)
    before = Department.objects.count()
    twice = _post(client, form="department", hub=net.hospital.pk, name=net.cardiology.name)
    assert twice.status_code == 200 and "already exists" in twice.content.decode()
    zero = _post(client, form="channel", hub=net.hospital.pk, kind="trauma", escalate_after_minutes=0)
    assert zero.status_code == 200 and not GreenChannelType.objects.filter(kind="trauma").exists()
    assert Department.objects.count() == before


def test_a_department_can_stop_taking_referrals(client, net):
    client.force_login(net.desk_user)
    _post(client, form="toggle", department=net.cardiology.pk)
    net.cardiology.refresh_from_db()
    assert not net.cardiology.takes_referrals


def test_clinics_and_other_hubs_cannot_change_a_hub(client, net):
    client.force_login(net.clinic_user)
    assert client.get(reverse("referral-setup")).status_code == 404
    assert _post(client, form="toggle", department=net.cardiology.pk).status_code == 404
    net.cardiology.refresh_from_db()
    assert net.cardiology.takes_referrals
