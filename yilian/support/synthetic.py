"""Synthetic, deterministic ledgers (illustrative data) for demos, tests and the benchmark.

``generate_ledger`` fills past months with checked-out or confirmed visits on working days and
the work logged during them; ``generate_city`` builds a city of the Guiyang demo's size for a year
(18 hospitals, ~40 clinics, ~5 000 visits, ~30 000 ledger entries). The same seed gives the same
rows. Rows are written with bulk_create: no change history is recorded for made-up data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from yilian.network.models import Pairing, Region

from .models import Agreement, Doctor, Programme, Title, Visit, WorkItem

Kind = WorkItem.Kind

# How often each kind of work is logged, and the usual range of its count.
KIND_WEIGHTS = {
    Kind.CLINIC_SESSION: 30, Kind.TEACHING_ROUND: 12, Kind.CASE_DISCUSSION: 10, Kind.LECTURE: 8,
    Kind.PROCEDURE: 6, Kind.FREE_CLINIC: 4, Kind.HEALTH_TALK: 8, Kind.REMOTE_GUIDANCE: 6,
    Kind.REFERRAL: 9, Kind.APPRENTICE: 7,
}
COUNT_RANGES = {
    Kind.CLINIC_SESSION: (6, 40), Kind.TEACHING_ROUND: (3, 12), Kind.CASE_DISCUSSION: (3, 10),
    Kind.LECTURE: (10, 60), Kind.PROCEDURE: (1, 5), Kind.FREE_CLINIC: (20, 120), Kind.HEALTH_TALK: (15, 80),
    Kind.REMOTE_GUIDANCE: (1, 6), Kind.REFERRAL: (1, 4), Kind.APPRENTICE: (1, 3),
}
TOPICS = {
    Kind.CLINIC_SESSION: ["高血压专家门诊", "糖尿病专家门诊", "慢阻肺随访门诊", "儿科专家门诊", "中医专家门诊"],
    Kind.TEACHING_ROUND: ["病房教学查房", "慢病管理查房"],
    Kind.CASE_DISCUSSION: ["疑难病例讨论", "转诊病例讨论"],
    Kind.LECTURE: ["高血压规范化管理", "心电图判读", "合理用药", "急救技能培训"],
    Kind.PROCEDURE: ["清创缝合", "关节腔注射", "胃镜检查"],
    Kind.FREE_CLINIC: ["社区义诊"],
    Kind.HEALTH_TALK: ["健康教育讲座:慢病防治", "健康教育讲座:合理膳食"],
    Kind.REMOTE_GUIDANCE: ["远程心电会诊", "远程影像指导"],
    Kind.REFERRAL: ["上转住院", "下转康复"],
    Kind.APPRENTICE: ["师带徒"],
}
DEPARTMENTS = [("心内科", "心血管内科"), ("内分泌科", "内分泌"), ("呼吸科", "呼吸内科"), ("儿科", "儿科"),
               ("中医科", "中医"), ("全科医学科", "全科"), ("骨科", "骨科"), ("妇产科", "妇产科")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"
SENIOR_TITLES = [Title.INTERMEDIATE, Title.INTERMEDIATE, Title.ASSOCIATE, Title.ASSOCIATE, Title.SENIOR]


def workdays(start: date, end: date) -> list[date]:
    """Working days of [start, end]: the official calendar of the plan module (one query), or
    chinesecalendar alone, or Monday–Friday for a year it does not cover."""
    try:
        from yilian.support.calendar import days
    except ImportError:
        return [d for d in _dates(start, end) if _fallback_is_workday(d)]
    return [info.day for info in days(start, end) if info.workday]


def _dates(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def _fallback_is_workday(day: date) -> bool:
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the library does not cover
        return day.weekday() < 5


def months(start: date, end: date):
    """(first day, last day) of each month overlapping [start, end], clipped to it."""
    day = start.replace(day=1)
    while day <= end:
        following = (day + timedelta(days=32)).replace(day=1)
        yield max(day, start), min(following - timedelta(days=1), end)
        day = following


def _aware(day: date, hour: int, minute: int):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _sample_count(rng: random.Random, mean: float, minimum: int = 0) -> int:
    """An integer with the given mean: the floor, plus one with the fractional part's chance."""
    whole = int(mean)
    return max(minimum, whole + (rng.random() < mean - whole))


def ensure_doctors(hospital, *, count: int, min_title: str = Title.INTERMEDIATE, seed: int = 0) -> list[Doctor]:
    """At least ``count`` active doctors of the hospital at or above ``min_title``; made up if missing."""
    rng = random.Random(f"{seed}-{hospital.pk}")
    doctors = [d for d in Doctor.objects.filter(hospital=hospital, active=True).order_by("pk") if d.meets(min_title)]
    new = []
    for n in range(len(doctors), count):
        department, specialty = rng.choice(DEPARTMENTS)
        title = rng.choice([t for t in SENIOR_TITLES if Title.rank(t) >= Title.rank(min_title)] or [Title.SENIOR])
        new.append(Doctor(
            hospital=hospital, name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            department=department, specialty=specialty, title=title,
            licence_number=f"SYN{hospital.pk:05d}{n:05d}", phone=f"139{rng.randrange(10**8):08d}",
        ))
    return doctors + Doctor.objects.bulk_create(new)


@dataclass
class _Ledger:
    rng: random.Random
    busy: set  # (doctor_id, date): a doctor is in one place a day
    visits: list
    items: list  # (visit index, WorkItem) until the visits have their keys


def _visit(ledger: _Ledger, pairing, doctor, day, confirmed_share: float) -> Visit:
    rng = ledger.rng
    check_in = _aware(day, 8, rng.randrange(0, 60))
    check_out = _aware(day, 15 + rng.randrange(0, 3), rng.randrange(0, 60))
    confirmed = rng.random() < confirmed_share
    return Visit(
        pairing=pairing, doctor=doctor, date=day, check_in_at=check_in, check_out_at=check_out,
        status=Visit.Status.CONFIRMED if confirmed else Visit.Status.CHECKED_OUT,
        confirmed_at=check_out + timedelta(hours=rng.randrange(1, 30)) if confirmed else None,
    )


def _work_items(ledger: _Ledger, mean_items: float) -> list[WorkItem]:
    rng = ledger.rng
    kinds = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=_sample_count(rng, mean_items, 1))
    return [WorkItem(kind=kind, count=rng.randint(*COUNT_RANGES[kind]), topic=rng.choice(TOPICS[kind]))
            for kind in kinds]


def _fill_month(ledger, agreement, doctors, days, per_month, items_per_visit, confirmed_share):
    rng = ledger.rng
    wanted = min(_sample_count(rng, per_month), len(days))
    for day in sorted(rng.sample(days, wanted)):
        free = [d for d in doctors if (d.pk, day) not in ledger.busy]
        if not free:
            continue
        doctor = rng.choice(free)
        ledger.busy.add((doctor.pk, day))
        ledger.visits.append(_visit(ledger, agreement.pairing, doctor, day, confirmed_share))
        index = len(ledger.visits) - 1
        ledger.items.extend((index, item) for item in _work_items(ledger, items_per_visit))


@transaction.atomic
def generate_ledger(agreements, start: date, end: date, *, seed: int = 0, visits_per_clinic_month: float = 4,
                    items_per_visit: float = 3, confirmed_share: float = 0.85, doctors_per_hospital: int = 6) -> dict:
    """Past visits (checked out or confirmed, on working days) and their work items for each agreement.

    ``visits_per_clinic_month`` and ``items_per_visit`` are means: fractions are drawn at random,
    so 8.3 visits a month gives 8 or 9. Doctors are the hospital's own (made up when it has too few).
    """
    if hasattr(agreements, "select_related"):
        agreements = agreements.select_related("pairing__hospital", "programme")
    agreements = sorted(agreements, key=lambda a: a.pk)
    ledger = _Ledger(random.Random(seed), set(), [], [])
    hospitals = {a.pairing.hospital_id: a.pairing.hospital for a in agreements}
    doctors = {
        pk: ensure_doctors(h, count=doctors_per_hospital, seed=seed,
                           min_title=min((a.programme.min_title for a in agreements if a.pairing.hospital_id == pk),
                                         key=Title.rank))
        for pk, h in sorted(hospitals.items())
    }
    ledger.busy = set(Visit.objects.filter(date__range=(start, end), doctor__hospital_id__in=hospitals)
                      .values_list("doctor_id", "date"))
    for first, last in months(start, end):
        days = workdays(first, last)
        for agreement in agreements:
            open_days = [d for d in days if agreement.start <= d <= agreement.end
                         and agreement.pairing.is_active_on(d)]
            if open_days:
                _fill_month(ledger, agreement, doctors[agreement.pairing.hospital_id], open_days,
                            visits_per_clinic_month, items_per_visit, confirmed_share)
    visits = Visit.objects.bulk_create(ledger.visits, batch_size=1000)
    for index, item in ledger.items:
        item.visit = visits[index]
    WorkItem.objects.bulk_create([item for _, item in ledger.items], batch_size=2000)
    return {"doctors": sum(len(d) for d in doctors.values()), "visits": len(visits), "work_items": len(ledger.items)}


@transaction.atomic
def city_programme(year: int, *, name: str = "三感社区结对帮扶") -> tuple[Programme, list[Agreement]]:
    """The Guiyang network (annex 1) with a programme for ``year`` and a signed agreement per pairing."""
    from yilian.network.demo_loader import load_guiyang

    load_guiyang()
    city = Region.objects.get(level=Region.Level.CITY, parent=None, name="贵阳市")
    programme, _ = Programme.objects.get_or_create(
        region=city, name=name, year=year,
        defaults={"yearly_report_due": date(year, 11, 30), "source": "筑卫健发〔2021〕19号 (illustrative)"},
    )
    first, last = date(year, 1, 1), date(year, 12, 31)
    agreements = []
    for pairing in Pairing.all_rows.filter(clinic__region__path__startswith=city.path).overlapping(first, last) \
            .select_related("hospital", "clinic").order_by("pk"):
        agreement, _ = Agreement.objects.get_or_create(
            pairing=pairing, programme=programme,
            defaults={"start": max(first, pairing.start), "end": min(last, pairing.end or last),
                      "status": Agreement.Status.SIGNED, "signed_on": max(first, pairing.start),
                      "goals": "提升常见病、多发病诊疗能力(示例)", "required_specialties": "全科"},
        )
        agreements.append(agreement)
    return programme, agreements


def generate_city(year: int = 2025, *, seed: int = 0, visits: int = 5000, work_items: int = 30000,
                  doctors_per_hospital: int = 12) -> dict:
    """A city of the Guiyang demo's size for a year: ~``visits`` visits and ~``work_items`` ledger entries."""
    programme, agreements = city_programme(year)
    per_month = visits / (len(agreements) * 12)
    counts = generate_ledger(agreements, date(year, 1, 1), date(year, 12, 31), seed=seed,
                             visits_per_clinic_month=per_month, items_per_visit=work_items / visits,
                             doctors_per_hospital=doctors_per_hospital)
    hospitals = {a.pairing.hospital_id for a in agreements}
    clinics = {a.pairing.clinic_id for a in agreements}
    return {"programme": programme, "agreements": len(agreements), "hospitals": len(hospitals),
            "clinics": len(clinics), **counts}
