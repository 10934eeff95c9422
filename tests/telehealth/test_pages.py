"""The pages: send a study, worklist, the study page with its 12-lead sheet, images, downloads,
the report PDF, the monthly view, consultations; scope and audit."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.telehealth.factories import ct, dicom_ecg, make_tele_net, png, study_kwargs, upload
from yilian.core.models import AuditEntry
from yilian.referrals.models import Referral
from yilian.telehealth import services
from yilian.telehealth.models import Study

pytestmark = pytest.mark.django_db


def send(net, **overrides):
    return services.study_create(**study_kwargs(net, **overrides)).obj


def test_send_form_uploads_and_redirects(client, net):
    client.force_login(net.clinic_user)
    page = client.get("/telehealth/new/")
    key = page.context["form"].initial["client_key"]
    data = {"client_key": key, "resident": net.resident.pk, "modality": "ecg", "urgency": 1, "question": "胸痛",
            "files": [upload("ecg.dcm", dicom_ecg())]}
    response = client.post("/telehealth/new/", data)
    study = Study.objects.get()
    assert response.status_code == 302 and response.url == f"/telehealth/studies/{study.pk}/"
    data["files"] = [upload("ecg.dcm", dicom_ecg())]
    client.post("/telehealth/new/", data)  # the retried form: still one study
    assert Study.objects.count() == 1


def test_send_form_shows_content_errors_and_saves_nothing(client, net):
    client.force_login(net.clinic_user)
    response = client.post("/telehealth/new/", {"resident": net.resident.pk, "modality": "ecg", "urgency": 1,
                                                "question": "胸痛", "files": [upload("ecg.pdf", png())]})
    assert response.status_code == 200
    assert "the name says .pdf but the content is a PNG image" in response.content.decode()
    assert not Study.objects.exists()


def test_worklist_orders_by_urgency_then_waiting(client, net):
    now = timezone.now()
    routine = send(net, urgency=3, now=now - timedelta(hours=5))
    old_urgent = send(net, urgency=2, now=now - timedelta(minutes=50))
    new_urgent = send(net, urgency=2, now=now - timedelta(minutes=5))
    emergency = send(net, urgency=1, now=now - timedelta(minutes=1))
    client.force_login(net.leader)
    rows = client.get("/telehealth/worklist/rows/").context["page"].object_list
    assert [s.pk for s in rows] == [emergency.pk, old_urgent.pk, new_urgent.pk, routine.pk]
    page = client.get("/telehealth/worklist/").content.decode()
    assert 'hx-get="/telehealth/worklist/rows/"' in page and 'hx-trigger="every 10s"' in page
    client.force_login(net.clinic_user)
    assert client.get("/telehealth/worklist/").status_code == 404


def test_study_page_draws_the_ecg_and_the_reading_steps(client, net):
    study = send(net)
    client.force_login(net.leader)
    page = client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="ecg-sheet"' in page and 'id="claim"' in page
    assert AuditEntry.objects.filter(object_type="telehealth.study", object_id=study.pk, action="read").exists()
    client.post(f"/telehealth/studies/{study.pk}/claim/")
    assert 'id="sign-report"' in client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    client.post(f"/telehealth/studies/{study.pk}/report/", {
        "findings": "ST 抬高", "conclusion": "急性下壁 STEMI", "critical": "on", "recommendation": "green"})
    study.refresh_from_db()
    assert study.status == "reported" and study.report.critical

    client.force_login(net.clinic_user)
    page = client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    assert 'id="critical-banner"' in page and 'id="send-green-channel"' in page
    response = client.post(f"/telehealth/studies/{study.pk}/green-channel/", {
        "department": net.cardiology.pk, "icd_code": "I21.1", "consent": "on"})
    referral = Referral.objects.get()
    assert response.url == f"/referrals/{referral.pk}/" and referral.icd_code == "I21.1"
    assert 'id="referral-link"' in client.get(f"/telehealth/studies/{study.pk}/").content.decode()


def test_downloads_are_attachments_with_checked_types(client, net):
    study = send(net, modality="imaging", files=[upload("ct.dcm", ct()), upload("photo.png", png())])
    client.force_login(net.clinic_user)
    for row in study.files.all():
        response = client.get(f"/telehealth/studies/{study.pk}/files/{row.pk}/")
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == {"dicom_image": "application/dicom", "png": "image/png"}[row.kind]
    dicom = study.files.get(kind="dicom_image")
    for preset in ("default", "lung", "bone", "nonsense"):
        response = client.get(f"/telehealth/studies/{study.pk}/files/{dicom.pk}/image.png?preset={preset}")
        assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG")
    page = client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    assert "data-preset=\"lung\"" in page and "CT" in page


def test_aecg_download_is_never_xml(client, net):
    from tests.telehealth.factories import aecg

    study = send(net, files=[upload("ecg.xml", aecg())])
    client.force_login(net.leader)
    row = study.files.get()
    response = client.get(f"/telehealth/studies/{study.pk}/files/{row.pk}/")
    assert response["Content-Type"] == "application/octet-stream"


def test_report_pdf_contains_the_sheet(client, net):
    from pypdf import PdfReader

    study = send(net)
    services.report_sign(by=net.leader, study=study, findings="窦性心律", conclusion="正常心电图", critical=False,
                         recommendation="local")
    client.force_login(net.clinic_user)
    response = client.get(f"/telehealth/studies/{study.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    assert "正常心电图" in text and "25 mm/s" in text and "aVR" in text


def test_scope_other_hub_and_clinic_get_404_supervisor_reads_only(client, net):
    study = send(net)
    other = make_tele_net("外")
    for user in (other.clinic_user, other.leader):
        client.force_login(user)
        assert client.get(f"/telehealth/studies/{study.pk}/").status_code == 404
        assert client.post(f"/telehealth/studies/{study.pk}/claim/").status_code == 404
    client.force_login(net.supervisor)
    page = client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    assert 'id="claim"' not in page
    assert net.resident.name not in page  # masked for a supervisor
    assert client.post(f"/telehealth/studies/{study.pk}/claim/").status_code == 404


def test_monthly_view_shows_turnaround_and_critical_outcome(client, net):
    now = timezone.now()
    study = send(net, now=now - timedelta(minutes=30))
    report = services.report_sign(by=net.leader, study=study, findings="ST 抬高", conclusion="STEMI", critical=True,
                                  recommendation="green", now=now - timedelta(minutes=22))
    services.green_channel_referral(by=net.clinic_user, report=report)
    client.force_login(net.supervisor)
    response = client.get(f"/telehealth/stats/?month={timezone.localdate():%Y-%m}")
    emergency = response.context["per_urgency"][0]
    assert emergency["median"] == 8 and emergency["within"] == 100
    page = response.content.decode()
    assert "STEMI" in page and f"/referrals/{report.referral_id}/" in page
    for month in ("9999-12", "2026-13", "x", "-1"):
        assert client.get(f"/telehealth/stats/?month={month}").status_code == 200
    client.force_login(net.clinic_user)
    assert client.get("/telehealth/stats/").status_code == 404


def test_consultation_pages(client, net):
    client.force_login(net.clinic_user)
    form = client.get("/telehealth/consultations/new/").context["form"]
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/telehealth/consultations/new/", {
        "client_key": form.initial["client_key"], "resident": net.resident.pk, "department": net.cardiology.pk,
        "requested_for": when, "question": "心悸"})
    url = response.url
    client.force_login(net.desk_user)
    client.post(f"{url}confirm/", {"slot": when})
    client.post(f"{url}opinion/", {"opinion": "建议动态心电图"})
    client.force_login(net.clinic_user)
    page = client.get(url).content.decode()
    assert 'id="meeting-link"' in page and "建议动态心电图" in page
    record = client.get(f"/telehealth/resident/{net.resident.pk}/").content.decode()
    assert "建议动态心电图" in record


def test_series_viewer_and_header_identifiers_masked_for_supervisors(client, net):
    from yilian.telehealth import intake

    study = send(net, modality="imaging", urgency=3, files=[upload(f"ct{n}.dcm", ct()) for n in range(3)])
    name = str(intake.read_dicom(ct()).PatientName)
    client.force_login(net.leader)
    page = client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    assert 'id="series-index"' in page and 'max="3"' in page and page.count("<li data-url=") == 3
    assert name in page  # the reading centre needs to match the images to the patient
    client.force_login(net.supervisor)
    page = client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    assert 'id="dicom-header"' in page and name not in page and name[0] + "*" in page


def test_clinic_withdraws_from_the_study_page(client, net):
    study = send(net)
    client.force_login(net.clinic_user)
    assert 'id="withdraw-study"' in client.get(f"/telehealth/studies/{study.pk}/").content.decode()
    client.post(f"/telehealth/studies/{study.pk}/claim/", {"cancel": "1"})
    study.refresh_from_db()
    assert study.status == "cancelled"
    client.force_login(net.leader)
    assert client.get("/telehealth/worklist/rows/").context["page"].paginator.count == 0
