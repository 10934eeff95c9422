"""Referral demo data on the Guiyang network (illustrative): departments and green channels of the
hospitals, today's duty roster of 市一医, and referrals from 新天 at every stage — one waiting at the
desk, one accepted, and a chest-pain case that went up through the green channel and came back down
with a follow-up task. Safe to run twice: the referrals carry client keys."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from yilian.familydoctor.models import Resident
from yilian.network.models import Institution

from . import services
from .models import Department, DutyShift, GreenChannelType

DEPARTMENTS = ["心内科", "神经内科", "急诊科", "产科", "新生儿科", "康复医学科"]
HUB = "贵阳市第一人民医院"
CLINIC = "新天社区卫生服务中心"


def load_referrals_demo() -> dict:
    hospitals = [h for h in Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS)
                 if h.pairings_given.exists()]
    for hospital in hospitals:
        for name in DEPARTMENTS:
            Department.objects.get_or_create(hospital=hospital, name=name)
    hub = Institution.objects.filter(name=HUB).first()
    clinic = Institution.objects.filter(name=CLINIC).first()
    if hub is None or clinic is None:
        return {"departments": Department.objects.count(), "referrals": 0}
    for kind in GreenChannelType.Kind.values:
        GreenChannelType.objects.get_or_create(hub=hub, kind=kind, defaults={
            "escalate_after_minutes": 5 if kind in ("chest_pain", "stroke") else 10})
    users = get_user_model().objects.in_bulk(["sy1_coordinator", "sy1_doctor", "xintian_staff"], field_name="username")
    _roster(hub, users["sy1_coordinator"], users["sy1_doctor"])
    made = _referrals(hub, clinic, users["xintian_staff"], users["sy1_coordinator"])
    return {"departments": Department.objects.count(), "green_channels": GreenChannelType.objects.count(),
            "referrals": made}


def _roster(hub, desk, leader):
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    for user, role in ((desk, DutyShift.Role.DESK), (leader, DutyShift.Role.LEADER)):
        if not DutyShift.objects.filter(hub=hub, user=user, role=role, end__gt=timezone.now()).exists():
            DutyShift.objects.create(hub=hub, user=user, role=role, start=start, end=start + timedelta(days=7))


def _referrals(hub, clinic, staff, desk) -> int:
    residents = list(Resident.objects.filter(clinic=clinic).order_by("pk")[:3])
    if len(residents) < 3:
        return 0
    cardiology = Department.objects.get(hospital=hub, name="心内科")
    now = timezone.now()

    def send(key, resident, hours_ago, **kwargs):
        return services.referral_create(by=staff, resident=resident, hospital=hub, department=cardiology,
                                        consent=True, client_key=f"demo-{key}", now=now - timedelta(hours=hours_ago),
                                        **kwargs)

    waiting = send("waiting", residents[0], 2, reason="血压控制不佳，调整用药后仍超过 160/100", icd_code="I10",
                   diagnosis="", urgency=1)
    accepted = send("accepted", residents[1], 20, reason="反复胸闷，心电图 ST 段压低", icd_code="I20.9",
                    diagnosis="", urgency=2)
    chest = send("chest-pain", residents[2], 72, reason="突发胸痛 40 分钟，心电图提示急性下壁心梗", icd_code="I21.1",
                 diagnosis="", urgency=3,
                 green_channel=GreenChannelType.objects.get(hub=hub, kind=GreenChannelType.Kind.CHEST_PAIN))
    if not (waiting.created or accepted.created or chest.created):
        return 0
    services.referral_advance(by=desk, referral=accepted.obj, action="accept", now=now - timedelta(hours=19),
                              appointment_at=now + timedelta(days=1))
    up = chest.obj
    for action, minutes in (("accept", 3), ("arrive", 38), ("admit", 52)):
        services.referral_advance(by=desk, referral=up, action=action, now=now - timedelta(hours=72) + timedelta(
            minutes=minutes), bed="CCU-3" if action == "accept" else "")
    down = services.referral_refer_down(by=desk, referral=up, now=now - timedelta(hours=4),
                                        discharge_summary="PCI 术后第 3 天，病情稳定",
                                        medication="阿司匹林 100 mg qd；替格瑞洛 90 mg bid；阿托伐他汀 20 mg qn",
                                        follow_up_instructions="社区随访血压、心率，两周后心内科门诊复查")
    services.down_referral_accept(by=staff, referral=down, now=now - timedelta(hours=1))
    return 4
