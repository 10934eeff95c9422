"""The telehealth API: multipart study upload (Idempotency-Key, client_key), worklist, report, FHIR,
consultations; scope."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from tests.telehealth.factories import ct, dicom_ecg, make_tele_net, upload
from yilian.telehealth.models import Study

pytestmark = pytest.mark.django_db
BASE = "/api/v1/telehealth"


def fields(net, **overrides):
    return {"resident": net.resident.pk, "modality": "ecg", "urgency": 1, "question": "胸痛", **overrides}


def post_study(client, net, files=None, headers=None, **overrides):
    data = {**fields(net, **overrides), "files": files or [upload("ecg.dcm", dicom_ecg())]}
    return client.post(f"{BASE}/studies", data, **(headers or {}))


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_gateway_posts_a_study_idempotently(client, net):
    client.force_login(net.clinic_user)
    first = post_study(client, net, headers={"HTTP_IDEMPOTENCY_KEY": "gw-1"})
    again = post_study(client, net, headers={"HTTP_IDEMPOTENCY_KEY": "gw-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["centre"] == net.hospital.pk and first.json()["summary"]["ecg"]["sampling_hz"] == 1000
    keyed = [post_study(client, net, client_key="ck-1") for _ in range(2)]
    assert [r.status_code for r in keyed] == [201, 200]
    assert Study.objects.count() == 2


def test_bad_upload_is_422_and_stores_nothing(client, net):
    client.force_login(net.clinic_user)
    response = post_study(client, net, files=[upload("ecg.dcm", ct())])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "files"
    assert "cannot be sent as ECG" in response.json()["detail"]
    assert not Study.objects.exists()


def test_worklist_report_fhir_and_scope(client, net):
    client.force_login(net.clinic_user)
    study_id = post_study(client, net).json()["id"]
    other = make_tele_net("外")
    client.force_login(other.leader)
    assert client.get(f"{BASE}/worklist").json() == []
    assert client.get(f"{BASE}/studies/{study_id}").status_code == 404
    client.force_login(net.leader)
    assert [s["id"] for s in client.get(f"{BASE}/worklist").json()] == [study_id]
    assert client.post(f"{BASE}/studies/{study_id}/claim").json()["status"] == "claimed"
    response = post_json(client, f"{BASE}/studies/{study_id}/report", {
        "findings": "ST 抬高", "conclusion": "急性下壁 STEMI", "critical": True, "recommendation": "green"})
    assert response.status_code == 201 and response.json()["critical"] is True
    assert client.get(f"{BASE}/worklist").json() == []
    client.force_login(net.clinic_user)
    assert client.get(f"{BASE}/studies/{study_id}/report").json()["conclusion"] == "急性下壁 STEMI"
    bundle = client.get(f"{BASE}/studies/{study_id}/fhir").json()
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    assert {"DiagnosticReport", "ImagingStudy", "Observation", "Patient"} <= set(kinds)
    assert kinds["DiagnosticReport"]["code"]["coding"][0]["code"] == "11524-6"
    assert kinds["Observation"]["interpretation"][0]["coding"][0]["code"] == "AA"
    assert kinds["ImagingStudy"]["modality"][0]["code"] == "ECG"


def test_report_needs_a_recommendation(client, net):
    client.force_login(net.clinic_user)
    study_id = post_study(client, net).json()["id"]
    client.force_login(net.leader)
    response = post_json(client, f"{BASE}/studies/{study_id}/report", {
        "findings": "", "conclusion": "x", "critical": False, "recommendation": "maybe"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"findings", "recommendation"}


def test_consultations(client, net):
    client.force_login(net.clinic_user)
    when = (timezone.now() + timedelta(days=1)).isoformat()
    body = {"resident": net.resident.pk, "department": net.cardiology.pk, "requested_for": when,
            "question": "会诊", "client_key": "c-1"}
    first, again = post_json(client, f"{BASE}/consultations", body), post_json(client, f"{BASE}/consultations", body)
    assert (first.status_code, again.status_code) == (201, 200)
    cid = first.json()["id"]
    client.force_login(net.desk_user)
    confirmed = post_json(client, f"{BASE}/consultations/{cid}/confirm", {"slot": when}).json()
    assert confirmed["status"] == "confirmed" and confirmed["meeting_url"].startswith("https://")
    done = post_json(client, f"{BASE}/consultations/{cid}/opinion", {"opinion": "继续观察"}).json()
    assert done["status"] == "done"
    client.force_login(make_tele_net("外").clinic_user)
    assert client.get(f"{BASE}/consultations").json() == []
