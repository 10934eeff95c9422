"""Demo: the shipped packs, a satisfaction survey with answers, and a year of public-health ledgers for
the Guiyang demo network (illustrative figures, deterministic), then the snapshot."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yilian.network.models import Institution, PilotCommunity, Region

from . import engine, packs, services
from .models import Response, Survey
from .models_ledgers import ChildCarePlaces, HealthCabin, HealthEducationActivity, StaffTraining, TcmManagement

LEAFLETS = ["高血压防治", "糖尿病饮食", "合理膳食", "控烟限酒", "老年人防跌倒", "儿童预防接种", "心理健康",
            "中医养生", "传染病防控", "慢阻肺康复", "口腔保健", "妇女保健", "用药安全", "运动处方"]
VIDEOS = ["心肺复苏", "中医八段锦", "手卫生", "高血压自我管理", "婴幼儿喂养", "急救常识", "食品安全"]


def _stable(key: str, below: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % below


def _grassroots():
    return list(Institution.objects.filter(kind__in=Institution.GRASSROOTS_KINDS).order_by("pk"))


def _standards(clinics, year: int):
    """Illustrative 优质服务基层行 results: some clinics at basic, a few at recommended."""
    for clinic in clinics:
        roll = _stable(f"standard{clinic.pk}", 10)
        standard = "recommended" if roll == 0 else "basic" if roll < 5 else "none"
        Institution.objects.filter(pk=clinic.pk).update(standard=standard,
                                                        standard_year=year if standard != "none" else None)


def _education(clinic, today: date) -> list:
    rows, skip = [], _stable(f"edu{clinic.pk}", 4) == 0  # a quarter of the clinics miss months
    for month in range(1, today.month + 1):
        day = min(date(today.year, month, 10 + _stable(f"{clinic.pk}{month}", 10)), today)
        if not (skip and month % 3 == 0):
            rows.append(HealthEducationActivity(institution=clinic, date=day, kind="lecture", topic="健康讲座",
                                                attendance=20 + _stable(f"a{clinic.pk}{month}", 40)))
        rows.append(HealthEducationActivity(institution=clinic, date=day, kind="leaflet", topic="宣传资料",
                                            material=LEAFLETS[(month - 1) % len(LEAFLETS)], quantity=200))
        if month % 2 == 0:
            rows.append(HealthEducationActivity(institution=clinic, date=day, kind="video", topic="健康教育影像",
                                                material=VIDEOS[(month // 2 - 1) % len(VIDEOS)]))
        for board in ("门诊大厅宣传栏", "候诊区宣传栏")[: 1 if skip else 2]:
            rows.append(HealthEducationActivity(institution=clinic, date=day, kind="board", topic="更新宣传栏",
                                                material=board))
    return rows


def _tcm(clinic, today: date) -> list:
    elderly = 300 + _stable(f"e{clinic.pk}", 900)
    children = 60 + _stable(f"c{clinic.pk}", 200)
    return [TcmManagement(institution=clinic, as_of=today, group="elderly_65", eligible=elderly,
                          managed=elderly * (55 + _stable(f"te{clinic.pk}", 30)) // 100),
            TcmManagement(institution=clinic, as_of=today, group="child_0_36m", eligible=children,
                          managed=children * (60 + _stable(f"tc{clinic.pk}", 30)) // 100)]


def _childcare(today: date) -> list:
    rows = []
    for pilot in PilotCommunity.objects.select_related("region").prefetch_related("serving_institutions"):
        clinic = pilot.serving_institutions.first()
        if clinic is None:
            continue
        population = 5000 + _stable(f"p{pilot.pk}", 10000)
        places = population * (1 + _stable(f"pl{pilot.pk}", 4)) // 1000
        rows.append(ChildCarePlaces(institution=clinic, community=pilot.region, as_of=today - timedelta(days=20),
                                    population=population, places=places, facilities=_stable(f"f{pilot.pk}", 3),
                                    in_pilot=True))
    return rows


def _cabins_and_training(clinic, today: date) -> list:
    rows = []
    if clinic.kind == Institution.Kind.COMMUNITY_CENTER:
        complete = _stable(f"cab{clinic.pk}", 3) != 0
        rows.append(HealthCabin(institution=clinic, name=f"{clinic.display_name}健康小屋", host="社区居委会",
                                opened_on=today - timedelta(days=200), manager="健康管理员" if complete else "",
                                team="家庭医生团队" if complete else ""))
    for n in range(3):
        studied = _stable(f"tr{clinic.pk}{n}", 3) != 0
        start = today - timedelta(days=400 + 300 * n)
        rows.append(StaffTraining(institution=clinic, person=f"医生{clinic.pk}-{n + 1}",
                                  kind="further_study" if studied else "other", host="贵阳市第一人民医院",
                                  start=start, end=start + timedelta(days=120 if studied else 10)))
    return rows


def _survey(clinics, today: date) -> Survey:
    city = Region.objects.filter(level=Region.Level.CITY).order_by("pk").first()
    survey = Survey.objects.filter(region=city).first() or services.survey_create_default(region=city)
    if Response.objects.filter(survey=survey).exists():
        return survey
    overall = survey.questions.get(is_overall=True)
    others = list(survey.questions.exclude(pk=overall.pk))
    for n, clinic in enumerate(clinics[:20]):
        for k in range(3):
            rating = 5 - _stable(f"s{clinic.pk}{k}", 3) if (n + k) % 5 else 3
            answers = {f"q{overall.pk}": str(rating)}
            for q in others:
                answers[f"q{q.pk}"] = {"rating": "4", "yes_no": "yes", "text": ""}[q.kind]
            services.survey_answer(survey=survey, institution=clinic, phone=f"1390000{n:02d}{k:02d}",
                                   answers=answers, today=today)
    return survey


def load_indicators_demo(today: date | None = None) -> dict:
    today = today or timezone.localdate()
    loaded = packs.load_shipped()
    clinics = _grassroots()
    with transaction.atomic():
        if not HealthEducationActivity.objects.exists():
            _standards(clinics, today.year)
            HealthEducationActivity.objects.bulk_create([r for c in clinics for r in _education(c, today)])
            TcmManagement.objects.bulk_create([r for c in clinics for r in _tcm(c, today)])
            ChildCarePlaces.objects.bulk_create(_childcare(today))
            rows = [r for c in clinics for r in _cabins_and_training(c, today)]
            HealthCabin.objects.bulk_create([r for r in rows if isinstance(r, HealthCabin)])
            StaffTraining.objects.bulk_create([r for r in rows if isinstance(r, StaffTraining)])
    survey = _survey(clinics, today)
    snapshot = engine.refresh(today=today)
    return {"packs": len(loaded), "indicators": sum(p.indicators.count() for p in loaded),
            "survey_answers": survey.responses.count(), "snapshot_rows": snapshot}
