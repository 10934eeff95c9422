"""Sending, claiming and signing studies; the critical alert and the green-channel referral;
escalation; consultations."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from tests.telehealth.factories import ct, make_tele_net, study_kwargs, upload
from yilian.core.models import AuditEntry
from yilian.notices.models import Notice
from yilian.referrals.models import Referral
from yilian.telehealth import services
from yilian.telehealth.models import Consultation, Report, Study

pytestmark = pytest.mark.django_db


def sign(net, study, critical=True, **kwargs):
    return services.report_sign(by=net.leader, study=study, findings="II、III、aVF ST 段抬高 0.3 mV",
                                conclusion="急性下壁 STEMI", critical=critical, recommendation="green", **kwargs)


def test_study_goes_to_the_alliance_hub_and_alerts_the_desk(net):
    study = services.study_create(**study_kwargs(net)).obj
    assert study.centre == net.hospital and study.status == "sent"
    assert study.due_at - study.sent_at == timedelta(minutes=10)
    assert study.summary["ecg"]["leads"][-1] == "V6" and study.files.get().kind == "dicom_ecg"
    assert Notice.objects.filter(recipient=net.desk_user, kind="telehealth.study").count() == 1
    assert AuditEntry.objects.filter(object_type="telehealth.study", action="create").count() == 1


def test_no_alliance_no_pairing_means_no_centre(net):
    net.hospital.alliances_led.all().delete()
    with pytest.raises(ValidationError) as caught:
        services.study_create(**study_kwargs(net))
    assert "centre" in caught.value.message_dict


def test_create_is_idempotent_by_client_key(net):
    first = services.study_create(**study_kwargs(net, client_key="k1"))
    again = services.study_create(**study_kwargs(net, client_key="k1"))
    assert first.created and not again.created and first.obj.pk == again.obj.pk
    assert Study.objects.count() == 1


def test_clinic_cannot_send_for_another_clinics_resident(net):
    other = make_tele_net("外")
    with pytest.raises(Http404):
        services.study_create(**study_kwargs(net, resident=other.resident))


def test_claim_once_and_only_by_the_centre(net):
    study = services.study_create(**study_kwargs(net)).obj
    with pytest.raises(Http404):
        services.study_claim(by=net.clinic_user, study=study)
    services.study_claim(by=net.leader, study=study)
    with pytest.raises(ValidationError):
        services.study_claim(by=net.desk_user, study=study)
    with pytest.raises(ValidationError, match="is reading this study"):
        services.report_sign(by=net.desk_user, study=Study.objects.get(pk=study.pk), findings="x", conclusion="y",
                             critical=False, recommendation="local")


def test_critical_report_alerts_the_clinic_and_offers_the_green_channel(net):
    study = services.study_create(**study_kwargs(net)).obj
    services.study_claim(by=net.leader, study=study)
    report = sign(net, Study.objects.get(pk=study.pk), now=study.sent_at + timedelta(minutes=7))
    study.refresh_from_db()
    assert study.status == "reported" and study.turnaround_minutes == 7
    notice = Notice.objects.get(recipient=net.clinic_user, kind="telehealth.critical")
    assert "STEMI" in notice.text and notice.url == f"/telehealth/studies/{study.pk}/"
    with pytest.raises(ValidationError, match="already reported"):
        sign(net, study)

    defaults = services.green_channel_defaults(report)
    assert defaults["department"] == net.cardiology and defaults["green_channel"] == net.chest_pain
    with pytest.raises(Http404):
        services.green_channel_referral(by=net.leader, report=report)
    result = services.green_channel_referral(by=net.clinic_user, report=report)
    referral = result.obj
    assert referral.green_channel == net.chest_pain and referral.urgency == Referral.Urgency.EMERGENCY
    assert referral.to_institution == net.hospital and referral.icd_code == "I21.9"
    assert "STEMI" in referral.diagnosis
    again = services.green_channel_referral(by=net.clinic_user, report=Report.objects.get(pk=report.pk))
    assert not again.created and Referral.objects.count() == 1


def test_non_critical_report_is_a_quiet_notice(net):
    study = services.study_create(**study_kwargs(net, urgency=3)).obj
    sign(net, study, critical=False)
    assert not Notice.objects.filter(kind="telehealth.critical").exists()
    assert Notice.objects.get(kind="telehealth.report").essential is False


def test_escalation_at_80_percent_of_target_once(net):
    now = timezone.now()
    study = services.study_create(**study_kwargs(net, now=now)).obj  # emergency: 10 min
    routine = services.study_create(**study_kwargs(net, urgency=3, now=now, files=[
        upload("ct.dcm", ct())], modality="imaging")).obj
    assert services.escalate_studies(now + timedelta(minutes=7)) == 0
    assert services.escalate_studies(now + timedelta(minutes=8)) == 1
    call_command("escalate_studies", now=(now + timedelta(minutes=9)).isoformat())
    assert Notice.objects.filter(kind="telehealth.escalation").count() == 1
    notice = Notice.objects.get(kind="telehealth.escalation")
    assert notice.recipient == net.leader and str(study.pk) in notice.text
    assert Study.objects.get(pk=routine.pk).escalated_at is None


def test_targets_are_configurable(net, settings):
    settings.YILIAN_TELEHEALTH_TARGET_MINUTES = {1: 5}
    study = services.study_create(**study_kwargs(net)).obj
    assert study.due_at - study.sent_at == timedelta(minutes=5)


def test_consultation_request_confirm_opinion(net, settings):
    settings.YILIAN_MEETING_URL_TEMPLATE = "https://video.gy.example/room/{room}?c={id}"
    study = services.study_create(**study_kwargs(net)).obj
    now = timezone.now()
    row = services.consultation_request(by=net.clinic_user, resident=net.resident, department=net.cardiology,
                                        requested_for=now + timedelta(hours=2), question="用药调整",
                                        studies=[study]).obj
    assert row.hospital == net.hospital and list(row.studies.all()) == [study]
    with pytest.raises(ValidationError):
        services.consultation_opinion(by=net.leader, consultation=row, opinion="x")
    with pytest.raises(Http404):
        services.consultation_confirm(by=net.clinic_user, consultation=row, slot=now + timedelta(hours=3))
    services.consultation_confirm(by=net.desk_user, consultation=row, slot=now + timedelta(hours=3))
    assert row.meeting_url.startswith("https://video.gy.example/room/") and row.meeting_url.endswith(f"?c={row.pk}")
    services.consultation_opinion(by=net.leader, consultation=row, opinion="继续阿司匹林，两周后复查")
    assert Consultation.objects.get(pk=row.pk).status == "done"
    assert Notice.objects.filter(recipient=net.clinic_user, kind="telehealth.consultation").count() == 2


def test_consultation_bad_input(net):
    with pytest.raises(ValidationError) as caught:
        services.consultation_request(by=net.clinic_user, resident=net.resident, department=net.cardiology,
                                      requested_for=timezone.now() - timedelta(days=1), question=" ")
    assert set(caught.value.message_dict) == {"requested_for", "question"}
    assert not Consultation.objects.exists()


def test_the_telemedicine_network_hub_reads_first(net):
    from tests.factories import HospitalFactory
    from yilian.network.models import Alliance

    tele_hub = HospitalFactory(region=net.region, name="远程心电中心医院")
    network = Alliance.objects.create(name="远程心电网", kind=Alliance.Kind.TELEMEDICINE, lead=tele_hub)
    network.members.add(net.clinic)
    assert services.default_centre(net.clinic) == tele_hub
    network.delete()
    assert services.default_centre(net.clinic) == net.hospital


def test_clinic_withdraws_a_waiting_study_only(net):
    study = services.study_create(**study_kwargs(net)).obj
    with pytest.raises(Http404):
        services.study_cancel(by=net.leader, study=study)
    services.study_cancel(by=net.clinic_user, study=study)
    assert Study.objects.get(pk=study.pk).status == "cancelled"
    with pytest.raises(ValidationError, match="still waiting"):
        services.study_cancel(by=net.clinic_user, study=study)
    assert services.escalate_studies(timezone.now() + timedelta(hours=1)) == 0  # a withdrawn study is not late
