"""Benchmark of family doctors at the size issue 6 names (not run by the tests).

Generates (bulk inserts) a city of ``--districts`` districts and ``--clinics`` clinics with
``--residents`` residents (valid 身份证号, key-population tags), ``--contracts`` active contracts and
``--visits`` visit records, runs the visit plan, then times:

1. a resident search (pinyin initials, a full ID number, a phone number) as a clinic's staff,
   target < 200 ms;
2. the coverage view of one district (per clinic: coverage, visits on time, BP control) as its
   supervisor, target < 1 s on PostgreSQL;
3. a team's day list (due today and overdue), target < 200 ms.

Each is compared with the issue's target and a BASELINE, the naive code one writes first
(substring scans for the search; per-clinic, per-population counts and a query per hypertensive
resident for the coverage; loading the team's whole plan and filtering in Python for the day list).

    .venv/bin/python bench/bench_familydoctor.py [--residents 1000000 --contracts 300000 --visits 2000000]
    scripts/pg.sh run .venv/bin/python bench/bench_familydoctor.py   # PostgreSQL
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yilian-bench-fd-"))
if "DATABASE_URL" not in os.environ:
    os.environ["YILIAN_SQLITE_PATH"] = str(TMP / "bench.sqlite3")
os.environ.update({"DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_DATA_DIR": str(TMP),
                   "YILIAN_MEDIA_ROOT": str(TMP / "media"), "YILIAN_TASK_QUEUE_PATH": str(TMP / "queue.sqlite3")})
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from yilian.accounts.models import Membership  # noqa: E402
from yilian.familydoctor import services_care  # noqa: E402
from yilian.familydoctor.coverage import coverage_report, refresh_coverage  # noqa: E402
from yilian.familydoctor.idnumber import with_check_digit  # noqa: E402
from yilian.familydoctor.models import (  # noqa: E402
    Contract,
    PlannedVisit,
    Resident,
    ResidentTag,
    ServicePackage,
    Tag,
    Team,
    TeamMember,
    VisitRecord,
    VisitRule,
    name_keys,
)
from yilian.network.models import Institution, Region  # noqa: E402

TARGETS_MS = {"search": 200, "coverage": 1000, "day": 200}
GIVEN = ["秀英", "建国", "志强", "玉梅", "德明", "淑珍"]
NAMES = [s + g for s in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗" for g in GIVEN]
BATCH = 10_000
TODAY = timezone.localdate()


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def spread(pk: int) -> int:
    """0–99, scattered: tags and contracts must not follow the clinic (pk modulo the clinic count)."""
    return (pk * 2654435761 >> 7) % 100


def _bulk(model, rows):
    model.objects.bulk_create(rows, batch_size=BATCH)


# ---------------------------------------------------------------------------- generator


def build_network(districts: int, clinics: int):
    city = Region.objects.create(name="基准市", level=Region.Level.CITY)
    out = []
    for d in range(districts):
        district = Region.objects.create(name=f"基准{d}区", level=Region.Level.DISTRICT, parent=city)
        for c in range(clinics // districts):
            street = Region.objects.create(name=f"基准{d}-{c}街道", level=Region.Level.SUBDISTRICT, parent=district)
            communities = [Region.objects.create(name=f"基准{d}-{c}-{k}社区", level=Region.Level.COMMUNITY,
                                                 parent=street) for k in range(2)]
            clinic = Institution.objects.create(name=f"基准{d}-{c}社区卫生服务中心",
                                                kind=Institution.Kind.COMMUNITY_CENTER, region=street,
                                                latitude="26.5", longitude="106.7")
            out.append((district, clinic, communities))
    return out


def build_residents(network, residents: int) -> list[tuple[int, int, bool]]:
    keys = {name: name_keys(name) for name in NAMES}
    rows = []
    for i in range(residents):
        district, clinic, communities = network[i % len(network)]
        birth = dt.date(1935, 1, 1) + dt.timedelta(days=i % 32_000)
        seq = (i // 32_000) % 1000
        number = with_check_digit(f"520102{birth:%Y%m%d}{seq:03d}")
        name = NAMES[(i // len(network)) % len(NAMES)]
        rows.append(Resident(name=name, id_number=number, sex="male" if seq % 2 else "female", birth_date=birth,
                             phone=f"13{i:09d}", clinic_id=clinic.pk, community_id=communities[i % 2].pk,
                             name_pinyin=keys[name][0], initials=keys[name][1], address="基准路1号"))
        if len(rows) >= BATCH:
            Resident.objects.bulk_create(rows)
            rows = []
    Resident.objects.bulk_create(rows)
    elderly_before = dt.date(TODAY.year - 65, TODAY.month, min(TODAY.day, 28))
    people = [(pk, clinic_id, birth <= elderly_before)
              for pk, clinic_id, birth in Resident.objects.values_list("pk", "clinic_id", "birth_date").order_by("pk")]
    tags = []
    for pk, _clinic, elderly in people:
        if elderly:
            tags.append(ResidentTag(resident_id=pk, kind=Tag.ELDERLY_65, recorded_on=TODAY))
        if spread(pk) < (25 if elderly else 10):
            tags.append(ResidentTag(resident_id=pk, kind=Tag.HYPERTENSION, source="诊断", recorded_on=TODAY))
        if len(tags) >= BATCH:
            ResidentTag.objects.bulk_create(tags)
            tags = []
    ResidentTag.objects.bulk_create(tags)
    return people


def build_teams(network):
    teams = {}
    for _district, clinic, _c in network:
        team = Team.objects.create(clinic=clinic, name="一团队")
        TeamMember.objects.create(team=team, role=TeamMember.Role.GP, name="全科医生")
        basic = ServicePackage.objects.create(clinic=clinic, name="基础包", kind="basic", services="血压测量")
        VisitRule.objects.create(package=basic, population=Tag.ELDERLY_65, interval_days=60)
        chronic = ServicePackage.objects.create(clinic=clinic, name="慢病包", kind="personalised", services="随访")
        VisitRule.objects.create(package=chronic, population=Tag.HYPERTENSION, interval_days=7)
        teams[clinic.pk] = (team, basic, chronic)
    return teams


def build_contracts(people, teams, contracts: int, visits: int) -> int:
    chosen = [p for p in people if p[2] and spread(p[0] + 1) < 70]
    chosen += [p for p in people if not p[2] and spread(p[0] + 1) < 10]
    chosen = sorted(chosen[:contracts])
    rows, links = [], []
    for n, (pk, clinic_id, _elderly) in enumerate(chosen):
        start = TODAY - dt.timedelta(days=20 + n % 330)
        rows.append(Contract(resident_id=pk, team_id=teams[clinic_id][0].pk, clinic_id=clinic_id, start=start,
                             end=start + dt.timedelta(days=364), consent=True))
    _bulk(Contract, rows)
    through = Contract.packages.through
    ids = Contract.objects.values_list("pk", "resident_id", "clinic_id", "start", "team_id").order_by("pk")
    hypertensive = set(ResidentTag.objects.filter(kind=Tag.HYPERTENSION).values_list("resident_id", flat=True))
    per_contract = max(1, visits // max(1, len(rows)))
    extra = visits - per_contract * len(rows)
    batch, made = [], 0
    for n, (pk, resident_id, clinic_id, start, team_id) in enumerate(ids.iterator(chunk_size=BATCH)):
        _team, basic, chronic = teams[clinic_id]
        links.append(through(contract_id=pk, servicepackage_id=basic.pk))
        if resident_id in hypertensive:
            links.append(through(contract_id=pk, servicepackage_id=chronic.pk))
        span = max(1, (TODAY - start).days - 1)
        for k in range(per_contract + (1 if n < extra else 0)):
            day = start + dt.timedelta(days=(k * 37 + n) % span)
            batch.append(VisitRecord(contract_id=pk, resident_id=resident_id, team_id=team_id, date=day,
                                     mode="home", systolic=120 + (n + k) % 40, diastolic=75 + (n * 3 + k) % 20))
        if len(batch) >= BATCH:
            VisitRecord.objects.bulk_create(batch)
            made += len(batch)
            batch = []
        if len(links) >= BATCH:
            through.objects.bulk_create(links)
            links = []
    VisitRecord.objects.bulk_create(batch)
    through.objects.bulk_create(links)
    return made + len(batch)


# ---------------------------------------------------------------------------- baselines


def naive_search(text):
    return list(Resident.objects.filter(Q(name_pinyin__icontains=text) | Q(initials__icontains=text)
                                        | Q(id_number__icontains=text) | Q(phone__icontains=text))[:50])


def naive_coverage(district: Region):
    rows = []
    for clinic in Institution.objects.filter(region__path__startswith=district.path, kind="community_center"):
        members = Resident.objects.filter(clinic=clinic, tags__kind=Tag.ELDERLY_65).count()
        contracted = Resident.objects.filter(clinic=clinic, tags__kind=Tag.ELDERLY_65,
                                             contracts__status="active").count()
        controlled = 0
        for contract in Contract.objects.filter(clinic=clinic, status="active",
                                                resident__tags__kind=Tag.HYPERTENSION):
            last = VisitRecord.objects.filter(resident_id=contract.resident_id).order_by("-date").first()
            controlled += bool(last and last.systolic < 140 and last.diastolic < 90)
        rows.append((clinic.pk, members, contracted, controlled))
    return rows


def naive_day(team):
    return [p for p in PlannedVisit.objects.filter(team=team).select_related("contract__resident")
            if p.status == "planned" and p.due <= TODAY]


# ---------------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=300_000)
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--districts", type=int, default=4)
    parser.add_argument("--clinics", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-baseline-coverage", action="store_true")
    args = parser.parse_args()

    print(f"environment: CPython {platform.python_version()}, Django {django.get_version()}, "
          f"{connection.vendor}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} at the start")
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    network = build_network(args.districts, args.clinics)
    people = build_residents(network, args.residents)
    teams = build_teams(network)
    made = build_contracts(people, teams, args.contracts, args.visits)
    planned = sum(services_care.generate_visit_plan(clinic, TODAY + dt.timedelta(days=7)) for _d, clinic, _c in network)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - start:.0f} s: {Resident.objects.count()} residents, "
          f"{ResidentTag.objects.count()} tags, {Contract.objects.count()} contracts, {made} visits, "
          f"{planned} planned visits, {len(network)} clinics in {args.districts} districts")

    user_model = get_user_model()
    district, clinic, _communities = network[0]
    staff = user_model.objects.create_user("bench_staff", password="x")
    Membership.objects.create(user=staff, role=Membership.Role.CLINIC_STAFF, institution=clinic)
    supervisor = user_model.objects.create_user("bench_supervisor", password="x")
    Membership.objects.create(user=supervisor, role=Membership.Role.SUPERVISOR, region=district)
    nurse = user_model.objects.create_user("bench_nurse", password="x")
    team = teams[clinic.pk][0]
    TeamMember.objects.create(team=team, role=TeamMember.Role.NURSE, user=nurse)
    sample = Resident.objects.filter(clinic=clinic).order_by("pk")[7]

    def search():
        scoped = Resident.objects.for_user(staff)
        return [list(scoped.search(q)[:50]) for q in ("wjg", sample.id_number, sample.phone)]

    results = []
    ms, found = timed(search, args.runs)
    base, _ = timed(lambda: [naive_search(q) for q in ("wjg", sample.id_number[-8:], sample.phone[-6:])], 1)
    results.append(("resident search ×3 (initials, ID, phone), clinic staff", ms, "search", base,
                    f"{sum(len(f) for f in found)} hits"))
    ms, rows = timed(lambda: coverage_report(supervisor, level="clinic"), args.runs)
    base = None
    if not args.no_baseline_coverage:
        base, _ = timed(lambda: naive_coverage(district), 1)
    results.append((f"coverage of a district ({len(rows)} clinics), supervisor, computed live", ms, "coverage", base,
                    ""))
    started = time.perf_counter()
    refreshed = refresh_coverage()
    refresh_ms = (time.perf_counter() - started) * 1000
    ms, rows = timed(lambda: coverage_report(supervisor, level="clinic"), args.runs)
    results.append((f"coverage of a district ({len(rows)} clinics), supervisor, from the worker's cells", ms,
                    "coverage", base, ""))
    ms, items = timed(lambda: list(services_care.day_list(nurse, TODAY)[:200]), args.runs)
    base, _ = timed(lambda: naive_day(team), 1)
    results.append(("a team's day list (due and overdue)", ms, "day", base, f"{len(items)} visits"))

    print()
    print("| measurement | Yilian | target (issue 6) | Yilian / target | baseline: naive code | baseline / Yilian |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, value, key, baseline, note in results:
        target = TARGETS_MS[key]
        base_text = f"{baseline:.0f} ms" if baseline is not None else "—"
        ratio = f"{baseline / value:.1f}" if baseline is not None else "—"
        print(f"| {label} {note} | {value:.0f} ms | {target} ms | {value / target:.2f} | {base_text} | {ratio} |")
    print(f"\nthe worker's refresh of the coverage cells of all {refreshed} clinics: {refresh_ms:.0f} ms")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}; data in {TMP}")


if __name__ == "__main__":
    main()
