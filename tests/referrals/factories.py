"""Factories and a small network for the referral tests: a township clinic, its hub, a resident."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import HospitalFactory, InstitutionFactory, RegionFactory, user_with_role
from tests.familydoctor.factories import ResidentFactory
from yilian.accounts.models import Membership
from yilian.network.models import Institution
from yilian.referrals.models import Department, DutyShift, GreenChannelType

PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 20


def upload(name="ecg.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@dataclass
class Net:
    region: object
    clinic: Institution
    hospital: Institution
    cardiology: Department
    closed_department: Department
    chest_pain: GreenChannelType
    resident: object
    clinic_user: object
    desk_user: object
    leader: object
    supervisor: object


def make_net(prefix="") -> Net:
    region = RegionFactory()
    clinic = InstitutionFactory(region=region, kind=Institution.Kind.TOWNSHIP_CENTER, name=f"{prefix}城关镇卫生院")
    hospital = HospitalFactory(region=region, name=f"{prefix}县人民医院")
    cardiology = Department.objects.create(hospital=hospital, name="心内科")
    closed = Department.objects.create(hospital=hospital, name="整形外科", takes_referrals=False)
    chest_pain = GreenChannelType.objects.create(hub=hospital, kind=GreenChannelType.Kind.CHEST_PAIN)
    desk = user_with_role(Membership.Role.COORDINATOR, hospital)
    leader = user_with_role(Membership.Role.DOCTOR, hospital)
    now = timezone.now()
    DutyShift.objects.create(hub=hospital, user=desk, role=DutyShift.Role.DESK, start=now - timedelta(days=1),
                             end=now + timedelta(days=1))
    DutyShift.objects.create(hub=hospital, user=leader, role=DutyShift.Role.LEADER, start=now - timedelta(days=1),
                             end=now + timedelta(days=1))
    return Net(region=region, clinic=clinic, hospital=hospital, cardiology=cardiology, closed_department=closed,
               chest_pain=chest_pain, resident=ResidentFactory(clinic=clinic),
               clinic_user=user_with_role(Membership.Role.CLINIC_STAFF, clinic), desk_user=desk, leader=leader,
               supervisor=user_with_role(Membership.Role.SUPERVISOR, region))


def referral_kwargs(net: Net, **overrides):
    kwargs = {"by": net.clinic_user, "resident": net.resident, "hospital": net.hospital,
              "department": net.cardiology, "reason": "胸痛2小时", "icd_code": "I21.0", "diagnosis": "",
              "urgency": 3, "consent": True}
    kwargs.update(overrides)
    return kwargs
