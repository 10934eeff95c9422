"""Benchmark of the indicator dashboard at the size issue 7 names (not run by the tests).

Builds a city of ``--districts`` districts and ``--institutions`` institutions with a year of data:
dispatched-doctor visits (``yilian.support.synthetic.generate_ledger``), residents with key-population
tags and family-doctor contracts, green-channel referrals, pilot communities, the public-health ledgers
and survey answers; loads every shipped pack and times, for the city's supervisor:

1. the dashboard page of the city (all packs' indicators) over HTTP, from the snapshot — target < 1 s;
2. the same figures computed live for the request (every indicator's definition run against the data,
   then summed for the region): the naive approach the snapshot replaces;
3. one indicator's page (trend, district and institution breakdowns, map);
4. the full snapshot refresh (the job) and the refresh after one ledger write (what makes a change
   visible within a minute).

    .venv/bin/python bench/bench_indicators.py
    scripts/pg.sh run .venv/bin/python bench/bench_indicators.py   # PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yilian-bench-ind-"))
if "DATABASE_URL" not in os.environ:
    os.environ["YILIAN_SQLITE_PATH"] = str(TMP / "bench.sqlite3")
os.environ.update({"DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_DATA_DIR": str(TMP),
                   "YILIAN_MEDIA_ROOT": str(TMP / "media"), "YILIAN_TASK_QUEUE_PATH": str(TMP / "queue.sqlite3")})
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from yilian.accounts.models import Membership  # noqa: E402
from yilian.familydoctor.idnumber import with_check_digit  # noqa: E402
from yilian.familydoctor.models import Contract, Resident, ResidentTag, Tag, Team, name_keys  # noqa: E402
from yilian.indicators import engine, packs, selectors, services  # noqa: E402
from yilian.indicators.models import Indicator, Response, Survey  # noqa: E402
from yilian.indicators.models_ledgers import (  # noqa: E402
    ChildCarePlaces,
    HealthCabin,
    HealthEducationActivity,
    StaffTraining,
    TcmManagement,
)
from yilian.network.models import Institution, Pairing, PilotCommunity, Region  # noqa: E402
from yilian.referrals.models import GreenChannelType, Referral  # noqa: E402
from yilian.support.models import Agreement, Programme  # noqa: E402
from yilian.support.synthetic import generate_ledger  # noqa: E402

TODAY = timezone.localdate()
START = TODAY - timedelta(days=365)
KINDS = [Institution.Kind.COMMUNITY_CENTER, Institution.Kind.TOWNSHIP_CENTER, Institution.Kind.COMMUNITY_STATION,
         Institution.Kind.VILLAGE_CLINIC]


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


# ------------------------------------------------------------------------------------------ generator


def build_network(districts: int, institutions: int, rng):
    city = Region.objects.create(name="基准市", level=Region.Level.CITY)
    hospitals, clinics, communities = [], [], []
    per_district = institutions // districts
    for d in range(districts):
        district = Region.objects.create(name=f"基准{d}区", level=Region.Level.DISTRICT, parent=city)
        streets = [Region.objects.create(name=f"基准{d}-{s}街道", level=Region.Level.SUBDISTRICT, parent=district)
                   for s in range(5)]
        for s, street in enumerate(streets):
            for k in range(4):
                communities.append(Region.objects.create(name=f"基准{d}-{s}-{k}社区", level=Region.Level.COMMUNITY,
                                                         parent=street))
        for h in range(2):
            hospitals.append(Institution.objects.create(name=f"基准{d}区第{h}医院", region=district,
                                                        kind=Institution.Kind.SECONDARY_HOSPITAL))
        rows = []
        for c in range(per_district - 2):
            standard = rng.choice(["none", "none", "basic", "recommended"])
            rows.append(Institution(name=f"基准{d}-{c}卫生机构", kind=KINDS[c % 4], region=streets[c % 5],
                                    latitude=f"{26 + rng.random():.6f}", longitude=f"{106 + rng.random():.6f}",
                                    standard=standard, standard_year=None if standard == "none" else 2024,
                                    search_key=f"jz{d}{c}"))
        clinics += Institution.objects.bulk_create(rows)
    for n, community in enumerate(communities):
        pilot = PilotCommunity.objects.create(name=community.name, region=community, year_entered=2021,
                                              status="built" if n % 3 else "building")
        pilot.serving_institutions.add(clinics[n % len(clinics)])
    return city, hospitals, clinics, communities


def build_support(city, hospitals, clinics, rng) -> dict:
    programme = Programme.objects.create(region=city, name="基准对口支援", year=TODAY.year)
    pairings = Pairing.objects.bulk_create([
        Pairing(hospital=hospitals[(i // 48) * 2 % len(hospitals)], clinic=c, start=START)
        for i, c in enumerate(clinics) if c.kind in KINDS[:2]])
    agreements = Agreement.objects.bulk_create([
        Agreement(pairing=p, programme=programme, start=START, end=TODAY, status=Agreement.Status.SIGNED)
        for p in pairings])
    return generate_ledger(agreements, START, TODAY - timedelta(days=1), visits_per_clinic_month=2,
                           items_per_visit=1, doctors_per_hospital=8)


def build_family(clinics, people_per_clinic: int) -> int:
    user = get_user_model().objects.create_user("bench_fd")
    residents, n = [], 0
    for clinic in clinics:
        for _k in range(people_per_clinic):
            birth = date(1940, 1, 1) + timedelta(days=(n * 37) % 30000)
            number = with_check_digit(f"520102{birth:%Y%m%d}{n % 1000:03d}")
            name = "王秀英"
            pinyin, initials = name_keys(name)
            residents.append(Resident(name=name, id_number=number, sex="female", birth_date=birth, clinic=clinic,
                                      name_pinyin=pinyin, initials=initials, phone=f"13{n:09d}"))
            n += 1
    Resident.objects.bulk_create(residents, batch_size=5000)
    people = list(Resident.objects.values_list("pk", "clinic_id"))
    ResidentTag.objects.bulk_create([ResidentTag(resident_id=pk, kind=Tag.HYPERTENSION, recorded_on=TODAY)
                                     for pk, _c in people if pk % 3 == 0], batch_size=5000)
    teams = {c.pk: Team.objects.create(clinic=c, name="一团队") for c in clinics}
    Contract.objects.bulk_create([
        Contract(resident_id=pk, team=teams[c], clinic_id=c, start=START + timedelta(days=30),
                 end=TODAY + timedelta(days=30), consent=True)
        for pk, c in people if pk % 5 < 4], batch_size=5000)
    hub = Institution.objects.filter(kind=Institution.Kind.SECONDARY_HOSPITAL).first()
    chest = GreenChannelType.objects.create(hub=hub, kind="chest_pain")
    referrals = []
    for i, (pk, clinic_id) in enumerate(people[:2000]):
        sent = timezone.make_aware(datetime.combine(START + timedelta(days=i % 360), datetime.min.time()))
        minutes = 30 + (i * 7) % 50
        referrals.append(Referral(resident_id=pk, from_institution_id=clinic_id, to_institution=hub, icd_code="I21.9",
                                  green_channel=chest, created_by=user, created_at=sent, status="admitted",
                                  admitted_at=sent + timedelta(minutes=minutes), admission_minutes=minutes))
    Referral.objects.bulk_create(referrals, batch_size=2000)
    return len(people)


def build_ledgers(clinics, communities, rng) -> int:
    rows = []
    for clinic in clinics:
        for m in range(12):
            day = START + timedelta(days=30 * m + rng.randrange(20))
            rows.append(HealthEducationActivity(institution=clinic, date=day, kind="lecture", topic="讲座",
                                                attendance=rng.randrange(10, 60)))
            rows.append(HealthEducationActivity(institution=clinic, date=day, kind="leaflet", topic="资料",
                                                material=f"资料{m}", quantity=100))
            rows.append(HealthEducationActivity(institution=clinic, date=day, kind="video", topic="影像",
                                                material=f"影像{m % 6}"))
            for board in ("一号栏", "二号栏"):
                rows.append(HealthEducationActivity(institution=clinic, date=day, kind="board", topic="更新",
                                                    material=board))
    HealthEducationActivity.objects.bulk_create(rows, batch_size=5000)
    TcmManagement.objects.bulk_create([
        TcmManagement(institution=c, as_of=TODAY - timedelta(days=3), group=g, eligible=500,
                      managed=rng.randrange(200, 450))
        for c in clinics for g in ("elderly_65", "child_0_36m")])
    ChildCarePlaces.objects.bulk_create([
        ChildCarePlaces(institution=clinics[n % len(clinics)], community=r, as_of=TODAY - timedelta(days=9),
                        population=8000, places=rng.randrange(5, 40), facilities=rng.randrange(0, 2),
                        in_pilot=n % 2 == 0)
        for n, r in enumerate(communities)])
    HealthCabin.objects.bulk_create([HealthCabin(institution=c, name=f"小屋{c.pk}", opened_on=START, manager="管理员",
                                                 team="团队") for c in clinics[::2]])
    StaffTraining.objects.bulk_create([
        StaffTraining(institution=c, person=f"医生{c.pk}-{k}", kind="further_study", host="市医院",
                      start=START - timedelta(days=300 * k), end=START - timedelta(days=300 * k - 100))
        for c in clinics for k in range(3)])
    return len(rows)


def build_survey(city, clinics, answers: int, rng) -> int:
    survey = services.survey_create_default(region=city)
    overall = survey.questions.get(is_overall=True)
    Response.objects.bulk_create([
        Response(survey=survey, institution=clinics[n % len(clinics)], period_key="bench", phone_hash=f"{n:064d}",
                 answers={str(overall.pk): 5}, satisfied=rng.random() < 0.85) for n in range(answers)],
        batch_size=5000)
    return answers


# ------------------------------------------------------------------------------------------ measurements


def live_dashboard(region: Region, indicators) -> list:
    """The naive approach: run every indicator's definition for this request and sum it for the region."""
    institution_paths = dict(Institution.objects.values_list("pk", "region__path"))
    region_paths = dict(Region.objects.values_list("pk", "path"))
    lines = []
    for indicator in indicators:
        numerator = denominator = 0.0
        has_den = False
        for row in engine.rows_for(indicator, TODAY) if engine.has_source(indicator) else []:
            path = institution_paths.get(row.institution_id) if row.institution_id else region_paths.get(row.region_id)
            if path and path.startswith(region.path):
                numerator += row.numerator
                if row.denominator is not None:
                    denominator += row.denominator
                    has_den = True
        value = engine.value_of(indicator, numerator, denominator if has_den else None)
        lines.append((indicator, value, engine.judge(indicator, value, TODAY, list(indicator.targets.all()))))
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--institutions", type=int, default=500)
    parser.add_argument("--people-per-clinic", type=int, default=40)
    parser.add_argument("--answers", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)

    print(f"environment: CPython {platform.python_version()}, Django {django.get_version()}, "
          f"{connection.vendor}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} at the start")
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with transaction.atomic():
        city, hospitals, clinics, communities = build_network(args.districts, args.institutions, rng)
    support = build_support(city, hospitals, clinics, rng)
    with transaction.atomic():
        residents = build_family(clinics, args.people_per_clinic)
        ledger_rows = build_ledgers(clinics, communities, rng)
        answers = build_survey(city, clinics, args.answers, rng)
    loaded = packs.load_shipped()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - start:.0f} s: {Institution.objects.count()} institutions in "
          f"{args.districts} districts, {support['visits']} visits, {residents} residents, "
          f"{Contract.objects.count()} contracts, {Referral.objects.count()} referrals, {ledger_rows} "
          f"health-education entries, {answers} survey answers, {len(loaded)} packs with "
          f"{Indicator.objects.count()} indicators")

    refresh_ms, rows = timed(lambda: engine.refresh(today=TODAY), 1)
    supervisor = get_user_model().objects.create_user("bench_supervisor")
    Membership.objects.create(user=supervisor, role=Membership.Role.SUPERVISOR, region=city)
    client = Client()
    client.force_login(supervisor)
    indicators = list(selectors.indicators_with_targets())

    def page():
        response = client.get(f"/indicators/?region={city.pk}")
        assert response.status_code == 200
        return response

    page()  # warm the template cache
    page_ms, _ = timed(page, args.runs)
    select_ms, _ = timed(lambda: selectors.dashboard(city, TODAY, indicators), args.runs)
    live_ms, _ = timed(lambda: live_dashboard(city, indicators), max(1, args.runs // 2))
    satisfaction = Indicator.objects.get(code="basic-standard")
    detail_ms, _ = timed(lambda: client.get(f"/indicators/{satisfaction.pk}/?region={city.pk}"), args.runs)

    writes = iter(clinics)

    def write_and_refresh():
        with transaction.atomic():
            TcmManagement.objects.create(institution=next(writes), as_of=TODAY, group="elderly_65", eligible=500,
                                         managed=rng.randrange(100, 500))
        return engine.refresh(engine.indicators_reading("indicators.tcmmanagement"), trend=False)

    write_ms, _ = timed(write_and_refresh, 3)
    survey = Survey.objects.get()

    print()
    print("| measurement (city: all packs, "
          f"{args.districts} districts, {Institution.objects.count()} institutions, a year of data) "
          "| Yilian (snapshot) | naive: computed live per request | naive / Yilian | target |")
    print("|---|---:|---:|---:|---:|")
    print(f"| dashboard page of the city over HTTP ({len(indicators)} indicators) | {page_ms:.0f} ms | "
          f"{page_ms - select_ms + live_ms:.0f} ms | {(page_ms - select_ms + live_ms) / page_ms:.1f} | 1000 ms |")
    print(f"| the dashboard's figures alone | {select_ms:.0f} ms | {live_ms:.0f} ms | {live_ms / select_ms:.0f} | — |")
    print(f"| one indicator's page (trend, breakdowns, map) | {detail_ms:.0f} ms | — | — | 1000 ms |")
    print(f"| a ledger write until the dashboard shows it (refresh of the affected indicators) | {write_ms:.0f} ms "
          f"| — | — | 60 000 ms |")
    print(f"| full snapshot refresh (the job; {rows} rows incl. 6 month-ends) | {refresh_ms:.0f} ms | — | — | — |")
    print(f"\nsurvey {survey.pk}: {survey.responses.count()} answers; load average at the end: "
          f"{os.getloadavg()[0]:.2f}; data in {TMP}")


if __name__ == "__main__":
    main()
