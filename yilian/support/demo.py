"""Counterpart-support demo for Guiyang (illustrative): a programme, an agreement per active pairing,
a few doctors per hospital, a dispatch plan for this month and next, and a ledger for the past months.

``load_support_demo()`` runs after the network demo (``load_guiyang``) and is safe to run again:
nothing is duplicated and nothing already planned is moved.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yilian.network.models import Institution, Pairing, Region

from . import calendar
from .models import Agreement, AgreementTarget, Assignment, Doctor, Programme, Title
from .models.visits import Visit
from .services_plan import plan_day

PROGRAMME_NAME = "千名医师万人次下基层"
ILLUSTRATIVE = "示例数据(illustrative)"
# One junior doctor per hospital, so that the minimum-title rule shows in the plan.
TITLES = [Title.SENIOR, Title.ASSOCIATE, Title.INTERMEDIATE, Title.JUNIOR, Title.INTERMEDIATE, Title.ASSOCIATE]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "晓梅", "志强", "丽娟", "海燕", "文斌", "春华", "德明", "秀英", "国平", "雪琴", "永红"]
DEPARTMENTS = {
    Institution.Kind.MATERNAL_CHILD: [("妇产科", "妇科"), ("儿科", "儿童保健"), ("产科", "孕产保健")],
    Institution.Kind.SPECIALIST_HOSPITAL: [("口腔内科", "牙体牙髓"), ("口腔预防科", "儿童口腔"), ("牙周科", "牙周病")],
    Institution.Kind.TCM_HOSPITAL: [("中医内科", "中医"), ("针灸推拿科", "针灸"), ("康复科", "中医康复")],
    Institution.Kind.PUBLIC_HEALTH_CENTER: [("感染科", "传染病"), ("呼吸科", "呼吸内科"), ("结核科", "结核病")],
}
GENERAL = [("心血管内科", "高血压"), ("内分泌科", "糖尿病"), ("全科医学科", "全科"), ("呼吸内科", "慢阻肺"),
           ("儿科", "儿科"), ("中医科", "中医")]
TARGETS = [(AgreementTarget.EXPERT_DAYS, 2, "month"), ("lecture", 1, "quarter"), ("clinic_session", 2, "month")]


def _stable(key: str, below: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % below


def _programme(city: Region, year: int) -> Programme:
    programme, _ = Programme.objects.get_or_create(
        region=city, name=PROGRAMME_NAME, year=year,
        defaults={"min_title": Title.INTERMEDIATE, "period": "month", "min_days": 1, "max_days": 2,
                  "yearly_report_due": date(year, 11, 30),
                  "source": "泉港卫医〔2022〕9号 (rules borrowed for the Guiyang demo; illustrative)"},
    )
    return programme


def _agreement(pairing: Pairing, programme: Programme, today: date) -> Agreement:
    start = max(date(programme.year, 1, 1), pairing.start)
    end = max(date(programme.year, 12, 31), calendar.month_end(calendar.add_months(today, 1)))
    if pairing.end:
        end = min(end, pairing.end)
    clinic = pairing.clinic.name
    agreement, created = Agreement.objects.get_or_create(pairing=pairing, programme=programme, defaults={
        "start": start, "end": end, "status": Agreement.Status.SIGNED, "signed_on": start + timedelta(days=14),
        "baseline_findings": f"{ILLUSTRATIVE}\n{clinic}:慢病患者上转率高;缺少心电图判读和儿科接诊能力;"
                             "全科医生 3 名,其中 1 名取得中级职称。",
        "goals": "常见病、多发病在基层首诊;高血压、糖尿病规范化管理率提高到 70% 以上;培养 2 名骨干。",
        "measures": "每月派出中级以上职称医师坐诊 1–2 天;每季度专题讲座 1 次;教学查房、病例讨论;远程心电会诊。",
        "responsible_persons": f"{pairing.hospital.display_name} 医务科;{clinic} 主任",
        "required_specialties": "全科, 心血管内科, 儿科",
    })
    if created:
        for kind, quantity, per in TARGETS:
            AgreementTarget.objects.create(agreement=agreement, kind=kind, quantity=quantity, per=per)
    return agreement


def _doctors(hospital: Institution, number: int) -> list[Doctor]:
    """4–6 doctors of varied titles; the licence number (520100 + hospital number) keeps reruns idempotent."""
    departments = DEPARTMENTS.get(hospital.kind, GENERAL)
    count = 4 + _stable(hospital.name, 3)
    doctors = []
    for n in range(count):
        department, specialty = departments[n % len(departments)]
        name = SURNAMES[_stable(f"{hospital.name}{n}", len(SURNAMES))] + GIVEN[(number + n * 5) % len(GIVEN)]
        doctor, _ = Doctor.objects.get_or_create(licence_number=f"520100{number:03d}{n:03d}", defaults={
            "hospital": hospital, "name": name, "department": department, "specialty": specialty,
            "title": TITLES[n], "phone": f"1380851{_stable(name + str(number), 10**4):04d}",
        })
        doctors.append(doctor)
    return doctors


def _link_demo_doctor(hospital: Institution, doctors: list[Doctor]):
    """sy1_doctor (created by create_demo_users) is the first doctor of 贵阳市第一人民医院 who may go out."""
    user = get_user_model().objects.filter(username="sy1_doctor").first()
    if user is None or Doctor.objects.filter(user=user).exists():
        return
    doctor = next(d for d in doctors if d.meets(Title.INTERMEDIATE))
    if doctor.user_id is None:
        doctor.user = user
        doctor.save(update_fields=["user"])


def _plan_month(agreements: list[Agreement], doctors: list[Doctor], days: list[date], *, skip_first: bool) -> int:
    """1–2 days per clinic on working days, by doctors of sufficient title, never two places a day.

    With ``skip_first`` the first clinic is left unplanned, so that the month view shows a shortfall
    and the coordinator has something to do.
    """
    if not days:
        return 0
    eligible = [d for d in doctors if d.active]
    made = 0
    for j, agreement in enumerate(agreements):
        if skip_first and j == 0:
            continue
        if Assignment.objects.filter(agreement=agreement, date__range=(days[0], days[-1])).exists():
            continue  # already planned (a rerun, or by hand)
        wanted = 1 + _stable(agreement.pairing.clinic.name + str(days[0]), 2)
        made += _plan_agreement(agreement, eligible, days, wanted, offset=j)
    return made


def _plan_agreement(agreement, doctors, days, wanted: int, *, offset: int) -> int:
    made = 0
    for k in range(len(days)):
        if made == wanted:
            break
        day = days[(offset * 3 + k * 7) % len(days)]
        doctor = doctors[(offset + k) % len(doctors)]
        try:
            plan_day(doctor=doctor, agreement=agreement, day=day, note=ILLUSTRATIVE)
        except ValidationError:
            continue  # a junior doctor, a busy day, a full period: try the next pair
        made += 1
    return made


def _ledger(agreements: list[Agreement], year: int, today: date):
    """Past visits and work for this year's months before today, by the visits area's generator."""
    try:
        from .synthetic import generate_ledger
    except ImportError:
        return
    start, end = date(year, 1, 1), today - timedelta(days=1)
    pairings = [a.pairing_id for a in agreements]
    if end < start or Visit.objects.filter(pairing_id__in=pairings, date__range=(start, end)).exists():
        return
    generate_ledger(agreements, start, end, seed=year, visits_per_clinic_month=2, doctors_per_hospital=3)


@transaction.atomic
def load_support_demo(today: date | None = None) -> dict:
    today = today or timezone.localdate()
    city = Region.objects.get(name="贵阳市", level=Region.Level.CITY)
    programme = _programme(city, today.year)
    pairings = (Pairing.objects.active_on(today).filter(clinic__region__path__startswith=city.path)
                .select_related("hospital", "clinic").order_by("hospital__name", "clinic__name"))
    agreements = [_agreement(p, programme, today) for p in pairings]
    hospitals = sorted({a.pairing.hospital for a in agreements}, key=lambda h: h.name)
    planned = 0
    for number, hospital in enumerate(hospitals, start=1):
        doctors = _doctors(hospital, number)
        if hospital.name == "贵阳市第一人民医院":
            _link_demo_doctor(hospital, doctors)
        own = [a for a in agreements if a.pairing.hospital_id == hospital.pk]
        this_month = calendar.workdays(today, calendar.month_end(today))
        following = calendar.add_months(today, 1)
        next_month = calendar.workdays(following, calendar.month_end(following))
        planned += _plan_month(own, doctors, this_month, skip_first=False)
        planned += _plan_month(own, doctors, next_month, skip_first=True)
    _ledger(agreements, today.year, today)
    return {"programme": programme.pk, "agreements": len(agreements), "doctors": Doctor.objects.count(),
            "assignments": planned}
