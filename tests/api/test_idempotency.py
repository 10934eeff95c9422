"""Idempotency-Key: a retried create replays the first answer instead of creating twice."""

import pytest
from django.test import Client

from tests.factories import HospitalFactory, InstitutionFactory, RegionFactory, user_with_role
from yilian.accounts.models import ApiToken, Membership
from yilian.core.models import IdempotentRequest
from yilian.network.models import Pairing

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    district = RegionFactory()
    user = user_with_role(Membership.Role.SUPERVISOR, district)
    _, key = ApiToken.issue(user, "test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {"hospital": HospitalFactory(region=district).pk, "clinic": InstitutionFactory(region=district).pk,
            "start": "2026-01-01"}
    return client, body


def post(client, body, key):
    return client.post("/api/v1/pairings", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_retry_replays_the_first_response(setup):
    client, body = setup
    first = post(client, body, "retry-1")
    second = post(client, body, "retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Pairing.objects.count() == 1


def test_same_key_with_another_body_is_422(setup):
    client, body = setup
    assert post(client, body, "retry-2").status_code == 201
    response = post(client, {**body, "start": "2027-01-01"}, "retry-2")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Pairing.objects.count() == 1


def test_failed_request_keeps_nothing_and_may_be_retried(setup):
    client, body = setup
    bad = post(client, {**body, "end": "2025-01-01"}, "retry-3")
    assert bad.status_code == 422
    assert not IdempotentRequest.objects.exists()
    assert not Pairing.objects.exists()
    assert post(client, body, "retry-3").status_code == 201
    assert Pairing.objects.count() == 1


def test_keys_belong_to_one_user(setup):
    client, body = setup
    assert post(client, body, "shared").status_code == 201
    other = user_with_role(Membership.Role.SUPERVISOR, Pairing.objects.get().clinic.region)
    _, key = ApiToken.issue(other, "test")
    # Another user with the same key is not replayed someone else's answer: the create runs (and
    # here meets the overlap rule), proving the key was not shared.
    response = post(Client(HTTP_AUTHORIZATION=f"Bearer {key}"), body, "shared")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "start"
