"""Demo data for remote reading: 新天社区卫生服务中心 sends studies to its hub (贵阳市第一人民医院):
an open emergency DICOM 12-lead ECG (pydicom's bundled ``waveform_ecg.dcm``), an urgent HL7 aECG,
a reported CT and a consultation. The hub gets a cardiology department, a chest-pain green channel
and a duty roster if it has none. Deterministic and safe to run again (``load_telehealth_demo()``)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from yilian.familydoctor.models import Resident
from yilian.network.models import Institution
from yilian.referrals.models import Department, DutyShift, GreenChannelType

from . import ecg, intake, services
from .models import Consultation, Report, Study

CLINIC = "新天社区卫生服务中心"
CLINIC_LOGIN, EXPERT_LOGIN, LEADER_LOGIN = "xintian_staff", "sy1_doctor", "sy1_coordinator"


def bundled_file(name: str) -> bytes:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)  # bundled with pydicom: no download
    with open(path, "rb") as handle:
        return handle.read()


def _hub_setup(hub, expert, leader, now):
    Department.objects.get_or_create(hospital=hub, name="心内科")
    GreenChannelType.objects.get_or_create(hub=hub, kind=GreenChannelType.Kind.CHEST_PAIN)
    if not DutyShift.objects.filter(hub=hub, end__gt=now).exists():
        start = now - timedelta(hours=1)
        DutyShift.objects.create(hub=hub, user=expert, role=DutyShift.Role.DESK, start=start,
                                 end=start + timedelta(days=30))
        DutyShift.objects.create(hub=hub, user=leader, role=DutyShift.Role.LEADER, start=start,
                                 end=start + timedelta(days=30))


@transaction.atomic
def load_telehealth_demo() -> str:
    users = get_user_model().objects.in_bulk([CLINIC_LOGIN, EXPERT_LOGIN, LEADER_LOGIN], field_name="username")
    clinic = Institution.objects.filter(name=CLINIC).first()
    if clinic is None or len(users) < 3 or Study.objects.filter(clinic=clinic).exists():
        return "skipped"
    hub = services.default_centre(clinic)
    residents = list(Resident.objects.filter(clinic=clinic).order_by("pk")[:4])
    if hub is None or len(residents) < 4:
        return "skipped"
    staff, expert = users[CLINIC_LOGIN], users[EXPERT_LOGIN]
    now = timezone.now()
    _hub_setup(hub, expert, users[LEADER_LOGIN], now)
    dicom_ecg = bundled_file("waveform_ecg.dcm")
    services.study_create(by=staff, resident=residents[0], modality=Study.Modality.ECG, urgency=1,
                          question="胸痛 40 分钟，大汗，既往高血压", files=[SimpleUploadedFile("ecg.dcm", dicom_ecg)],
                          client_key="demo-th-1")
    aecg = ecg.aecg_xml(ecg.from_dicom(intake.read_dicom(dicom_ecg)))
    services.study_create(by=staff, resident=residents[1], modality=Study.Modality.ECG, urgency=2,
                          question="心悸 2 天", files=[SimpleUploadedFile("ecg.xml", aecg)], client_key="demo-th-2",
                          now=now - timedelta(minutes=20))
    ct = services.study_create(by=staff, resident=residents[2], modality=Study.Modality.IMAGING, urgency=3,
                               question="咳嗽 3 周，排除肺部占位", files=[SimpleUploadedFile("ct.dcm", bundled_file(
                                   "CT_small.dcm"))], client_key="demo-th-3", now=now - timedelta(hours=5)).obj
    services.study_claim(by=expert, study=ct, now=now - timedelta(hours=4))
    services.report_sign(by=expert, study=Study.objects.get(pk=ct.pk), findings="所见层面肺野清晰，未见明确占位。",
                         conclusion="未见明显异常", critical=False, recommendation=Report.Recommendation.LOCAL,
                         now=now - timedelta(hours=3, minutes=40))
    department = Department.objects.get(hospital=hub, name="心内科")
    services.consultation_request(by=staff, resident=residents[1], department=department,
                                  requested_for=now + timedelta(days=1), question="反复心悸，是否需要调整用药？",
                                  client_key="demo-th-c1")
    return f"{Study.objects.filter(clinic=clinic).count()} studies, " \
           f"{Consultation.objects.filter(clinic=clinic).count()} consultation"
