"""The referral API: idempotent create (Idempotency-Key and client_key), steps, scope, FHIR."""

import json

import pytest

from tests.referrals.factories import make_net
from yilian.referrals.models import Referral

pytestmark = [pytest.mark.django_db]
BASE = "/api/v1/referrals"


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def body(net, **overrides):
    return {"resident": net.resident.pk, "department": net.cardiology.pk, "icd_code": "I63.9", "reason": "偏瘫",
            "urgency": 1, "green_channel": None, "consent": True, **overrides}


def test_create_replay_with_idempotency_key(client, net):
    client.force_login(net.clinic_user)
    first = post(client, BASE, body(net), HTTP_IDEMPOTENCY_KEY="abc")
    again = post(client, BASE, body(net), HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Referral.objects.count() == 1


def test_create_replay_with_client_key(client, net):
    client.force_login(net.clinic_user)
    first = post(client, BASE, body(net, client_key="c-1"))
    again = post(client, BASE, body(net, client_key="c-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Referral.objects.count() == 1


def test_bad_input_is_422_and_saves_nothing(client, net):
    client.force_login(net.clinic_user)
    response = post(client, BASE, body(net, consent=False, icd_code="ZZZ"))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"consent", "icd_code"}
    assert not Referral.objects.exists()


def test_steps_and_scope(client, net):
    client.force_login(net.clinic_user)
    referral_id = post(client, BASE, body(net)).json()["id"]
    other = make_net("外")
    client.force_login(other.desk_user)
    assert client.get(f"{BASE}/{referral_id}").status_code == 404
    assert post(client, f"{BASE}/{referral_id}/steps", {"action": "accept", "bed": "1"}).status_code == 404
    client.force_login(net.desk_user)
    assert post(client, f"{BASE}/{referral_id}/steps", {"action": "admit"}).status_code == 422
    response = post(client, f"{BASE}/{referral_id}/steps", {"action": "accept", "bed": "CCU-2"})
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    fhir = client.get(f"{BASE}/{referral_id}/fhir").json()
    assert fhir["resourceType"] == "Bundle"
    task = next(e["resource"] for e in fhir["entry"] if e["resource"]["resourceType"] == "Task")
    assert task["status"] == "accepted"


def test_pending_list(client, net):
    client.force_login(net.clinic_user)
    referral_id = post(client, BASE, body(net)).json()["id"]
    assert [r["id"] for r in client.get(f"{BASE}?tab=sent").json()] == [referral_id]
    client.force_login(net.desk_user)
    assert [r["id"] for r in client.get(f"{BASE}?tab=pending").json()] == [referral_id]
    client.force_login(make_net("外").desk_user)
    assert client.get(f"{BASE}?tab=pending").json() == []
