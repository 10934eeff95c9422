"""Benchmark of the counterpart-support reports at the size issue 3 names (not run by the tests).

A city of the Guiyang demo's size for a year (18 hospitals, 40 clinics, ~5 000 visits, ~30 000
ledger entries) is generated into a temporary SQLite database, then timed:

1. the city-wide monthly workload report, Excel and PDF, as the worker runs it (target < 5 s),
   in-process and through a real ``manage.py worker`` process (queue → files);
2. the ledger page of a pairing, GET through Django's test client as the hospital's coordinator
   (target < 300 ms, median of several runs).

The issue names no peer for these figures, so each is compared with (a) the issue's target and
(b) a BASELINE: the naive code one writes first (per-clinic, per-kind ORM queries in Python loops;
N+1 loops for the ledger page). Run from the project root:

    .venv/bin/python bench/bench_support_reports.py [--runs 5] [--month 2025-11] [--no-worker]
    scripts/pg.sh run .venv/bin/python bench/bench_support_reports.py   # PostgreSQL (an empty database)
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yilian-bench-"))
if "DATABASE_URL" not in os.environ:
    os.environ["YILIAN_SQLITE_PATH"] = str(TMP / "bench.sqlite3")
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_DATA_DIR": str(TMP), "YILIAN_MEDIA_ROOT": str(TMP / "media"),
    "YILIAN_TASK_QUEUE_PATH": str(TMP / "queue.sqlite3"), "YILIAN_TASKS_IMMEDIATE": "0",
})
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from yilian.accounts.models import Membership  # noqa: E402
from yilian.network.models import Institution, Pairing, Region  # noqa: E402
from yilian.support import reports  # noqa: E402
from yilian.support import services_reports as services  # noqa: E402
from yilian.support.models import Doctor, ReportJob, Title, Visit, WorkItem  # noqa: E402
from yilian.support.reports import KINDS, ClinicReport, DoctorRow, PeriodReport, Tally  # noqa: E402
from yilian.support.synthetic import generate_city  # noqa: E402

TARGET_REPORT_S = 5.0
TARGET_LEDGER_MS = 300.0


# ---------------------------------------------------------------------------- timing helpers


def timed(fn, runs: int) -> tuple[float, object]:
    """Median wall time over ``runs`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def timed_pair(first, second, runs: int) -> tuple[float, float, object]:
    """Medians of two alternated functions (seconds), and the first one's last result."""
    times, result = ([], []), None
    for _ in range(runs):
        for n, fn in enumerate((first, second)):
            start = time.perf_counter()
            value = fn()
            times[n].append(time.perf_counter() - start)
            result = value if n == 0 else result
    return statistics.median(times[0]), statistics.median(times[1]), result


# ---------------------------------------------------------------------------- baselines


def naive_period_report(user, scope, start, end) -> PeriodReport:
    """BASELINE: the monthly figures as first written — a query per clinic, per figure, per kind, per doctor."""
    visible = Visit.objects.for_user(user).filter(scope.q("pairing__"), date__range=(start, end))
    pairings = Pairing.objects.for_user(user).filter(scope.q()).overlapping(start, end)
    clinic_ids = set(pairings.values_list("clinic_id", flat=True)) | set(visible.values_list("pairing__clinic_id",
                                                                                                flat=True))
    clinics, total, all_doctors = [], Tally(), set()
    for clinic in sorted(Institution.objects.filter(pk__in=clinic_ids).select_related("region"),
                         key=lambda c: (c.region.path, c.name)):
        visits = visible.filter(pairing__clinic=clinic)
        tally = _naive_tally(visits)
        tally.presence_days = visits.values("date").distinct().count()
        doctors = []
        for doctor in Doctor.objects.filter(pk__in=visits.values("doctor_id")):
            own = visits.filter(doctor=doctor)
            row = DoctorRow(doctor.pk, doctor.name, doctor.hospital.display_name, doctor.department,
                            str(Title(doctor.title).label), _naive_tally(own))
            row.tally.presence_days = own.count()
            doctors.append(row)
            all_doctors.add(doctor.pk)
        doctors.sort(key=lambda r: (r.hospital, r.name))
        tally.doctors = len(doctors)
        hospitals = sorted({p.hospital.name for p in Pairing.objects.filter(clinic=clinic, pk__in=pairings)}
                           | {v.pairing.hospital.name for v in visits})
        clinics.append(ClinicReport(clinic.pk, clinic.name, hospitals, tally, doctors))
        _add(total, tally)
    total.doctors = len(all_doctors)
    return PeriodReport(start, end, scope.label, clinics, total)


def _naive_tally(visits) -> Tally:
    tally = Tally(visits=visits.count(), confirmed=visits.filter(status=Visit.Status.CONFIRMED).count(),
                  disputed=visits.filter(status=Visit.Status.DISPUTED).count())
    tally.pending = tally.visits - tally.confirmed - tally.disputed
    for kind in KINDS:
        items = WorkItem.objects.filter(visit__in=visits, kind=kind)
        tally.items[kind] = items.count()
        tally.counts[kind] = items.aggregate(total=Sum("count"))["total"] or 0
    return tally


def _add(total: Tally, tally: Tally):
    for name in ("presence_days", "visits", "confirmed", "pending", "disputed"):
        setattr(total, name, getattr(total, name) + getattr(tally, name))
    for kind in KINDS:
        total.items[kind] += tally.items[kind]
        total.counts[kind] += tally.counts[kind]


def naive_ledger_page(pairing, per_page: int = 50) -> int:
    """BASELINE: one page of the pairing's ledger, data only (no template): N+1 loops and a query per kind."""
    visits = Visit.objects.filter(pairing=pairing).order_by("-date")
    cells = visits.count()
    for visit in visits[:per_page]:
        cells += len(visit.doctor.name) + len(str(visit.confirmed_by or ""))
        for item in visit.work_items.all():
            cells += item.count
    for kind in KINDS:
        items = WorkItem.objects.filter(visit__pairing=pairing, kind=kind)
        cells += items.count() + (items.aggregate(total=Sum("count"))["total"] or 0)
    return cells


# ---------------------------------------------------------------------------- measurements


def queued_job(user, region, start, end) -> ReportJob:
    return ReportJob.objects.create(kind=ReportJob.Kind.MONTHLY, requested_by=user, region=region,
                                    period_start=start, period_end=end, language="zh-hans")


def run_in_process(user, region, start, end) -> ReportJob:
    """Exactly what the worker executes for a job: figures, Excel, PDF, files, progress rows."""
    job = queued_job(user, region, start, end)
    services.report_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.message
    return job


def run_through_worker(user, region, month: str, runs: int) -> float | None:
    """Median time from enqueueing to the files being ready, with a real `manage.py worker` process."""
    if connection.vendor == "sqlite":
        connection.close()  # the worker opens the same file
    worker = subprocess.Popen([sys.executable, "manage.py", "worker", "--workers", "1"], cwd=ROOT,
                              env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        times = []
        for n in range(runs + 1):  # the first job warms the worker up (imports, fonts)
            ReportJob.objects.filter(requested_by=user, status__in=["queued", "running"]).delete()
            start = time.perf_counter()
            job = services.report_job_start(by=user, scope_key=f"region:{region.pk}", month=month, language="zh-hans")
            while job.status not in (ReportJob.Status.DONE, ReportJob.Status.FAILED):
                time.sleep(0.05)
                job.refresh_from_db()
                if worker.poll() is not None:
                    return None
            assert job.status == ReportJob.Status.DONE, job.message
            if n:
                times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def ledger_get(client, url, runs: int) -> float:
    for _ in range(2):  # warm-up: templates, translations, connection
        assert client.get(url).status_code == 200
    median, response = timed(lambda: client.get(url), runs)
    assert response.status_code == 200
    return median


# ---------------------------------------------------------------------------- main


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "—"


def environment() -> str:
    db = connection.vendor
    version = sqlite3.sqlite_version if db == "sqlite" else connection.cursor().connection.info.server_version
    import weasyprint

    return (f"{platform.python_implementation()} {platform.python_version()}, Django {django.get_version()}, "
            f"{db} {version}, WeasyPrint {weasyprint.__version__}, {os.cpu_count()} CPU(s), "
            f"load average {os.getloadavg()[0]:.2f} at the start")


def build(year: int):
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    city = generate_city(year, seed=0)
    built = time.perf_counter() - start
    gy = Region.objects.get(name="贵阳市", parent=None)
    supervisor = user_with_role("bench_supervisor", Membership.Role.SUPERVISOR, region=gy)
    busiest = (Visit.objects.values("pairing").annotate(n=Count("id")).order_by("-n").first())["pairing"]
    pairing = Pairing.objects.get(pk=busiest)
    coordinator = user_with_role("bench_coordinator", Membership.Role.COORDINATOR, institution=pairing.hospital)
    return city, built, gy, supervisor, pairing, coordinator


def user_with_role(username: str, role: str, **scope):
    user = get_user_model().objects.create(username=username)
    Membership.objects.create(user=user, role=role, **scope)
    return user


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--month", default="11", help="month of the year to report on (1–12)")
    parser.add_argument("--no-worker", action="store_true", help="skip the run through a real worker process")
    args = parser.parse_args()
    month = f"{args.year}-{int(args.month):02d}"
    print(f"environment: {environment()}")
    city, built, gy, supervisor, pairing, coordinator = build(args.year)
    print(f"built in {built:.1f} s: {city['hospitals']} hospitals, {city['clinics']} clinics, "
          f"{city['agreements']} agreements, {city['doctors']} doctors, {city['visits']} visits, "
          f"{city['work_items']} ledger entries ({args.year}); database and files in {TMP}")
    start, end = services.month_bounds(month)
    scope = services.ReportScope(region=gy)
    runs = args.runs
    with translation.override("zh-hans"):
        figures_s, report = timed(lambda: services.monthly_report(supervisor, scope, start, end), runs)
        naive_figures_s, naive = timed(lambda: naive_period_report(supervisor, scope, start, end), max(1, runs // 2))
        assert naive == report, "the baseline and Yilian disagree on the figures"
        xlsx_s, xlsx = timed(lambda: reports.monthly_xlsx(report, prepared_on=end), runs)
        # alternated, so that the load of a shared machine falls on both alike
        pdf_s, serial_pdf_s, pdf = timed_pair(lambda: reports.monthly_pdf(report, prepared_on=end),
                                              lambda: reports.monthly_pdf(report, prepared_on=end, processes=1), runs)
        job_s, job = timed(lambda: run_in_process(supervisor, gy, start, end), runs)
        naive_job_s = naive_figures_s + xlsx_s + pdf_s  # same writers, the baseline's figures
    worker_s = None if args.no_worker else run_through_worker(supervisor, gy, month, max(1, runs // 2))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(coordinator)
    ledger_url = reverse("pairing-ledger", args=[pairing.pk])
    ledger_s = ledger_get(client, ledger_url, max(runs * 3, 15))
    naive_ledger_s, _ = timed(lambda: naive_ledger_page(pairing), max(runs * 3, 15))
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    visits_in_month = report.total.visits
    print(f"\nmonth {month}: {len(report.clinics)} clinics, {visits_in_month} visits, "
          f"{sum(report.total.items.values())} ledger entries; Excel {len(xlsx) // 1024} KB, "
          f"PDF {len(pdf) // 1024} KB ({pages} pages); ledger page: pairing {pairing} "
          f"({Visit.objects.filter(pairing=pairing).count()} visits in the year), {ledger_url}\n")
    rows = [
        ("city monthly report, Excel + PDF, as the worker runs it (in-process)", job_s, TARGET_REPORT_S, naive_job_s),
        ("  of which: figures (aggregation over the ledger)", figures_s, None, naive_figures_s),
        ("  of which: Excel workbook (41 sheets)", xlsx_s, None, None),
        (f"  of which: PDF (WeasyPrint, {settings.YILIAN_PDF_PROCESSES} processes)", pdf_s, None, None),
        ("  PDF in one process (YILIAN_PDF_PROCESSES=1), for comparison", serial_pdf_s, None, None),
    ]
    if worker_s is not None:
        rows.insert(1, ("city monthly report through a real worker process (enqueue → files)", worker_s,
                        TARGET_REPORT_S, None))
    rows.append(("ledger page of a pairing, GET as coordinator (median)", ledger_s, TARGET_LEDGER_MS / 1000, None))
    rows.append(("  ledger page data, baseline N+1 loops, no template (median)", None, None, naive_ledger_s))
    print("| measurement | Yilian | target (issue 3) | Yilian / target | baseline: naive ORM loops "
          "| baseline / Yilian |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, ours, target, baseline in rows:
        print(f"| {name} | {_fmt(ours)} | {_fmt(target)} | {ratio(ours, target) if ours and target else '—'} "
              f"| {_fmt(baseline)} | {ratio(baseline, ours) if ours and baseline else '—'} |")
    print(f"\nledger page: Yilian GET (middleware + template included) vs baseline data only: "
          f"baseline / Yilian = {ratio(naive_ledger_s, ledger_s)}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
