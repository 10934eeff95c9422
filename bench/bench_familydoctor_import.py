"""Benchmark of the family-doctor imports at the size issue 6 names: 100 000 rows under 60 s.

Generates a ``--rows``-row resident sheet (.xlsx: households of three, key-population tags) and a
contract sheet of the same residents, and times each import as the worker runs it
(``services_import.import_job_run``: read the sheet, check every row, write in bulk in one
transaction, progress written to the job), then a second import of the contract sheet (idempotent:
every row unchanged).

The issue names no peer, so each is compared with the target and a BASELINE, the naive import one
writes first: the same sheet read, then row by row through the single-record services
(``services.resident_create`` with its household and ``tag_add`` per tag; ``services_care.contract_sign``
per contract), in one transaction. The baseline runs on ``--baseline-rows`` rows and is extrapolated
linearly to ``--rows`` (it is linear: a fixed number of queries per row).

    .venv/bin/python bench/bench_familydoctor_import.py [--rows 100000 --baseline-rows 2000]
    scripts/pg.sh run .venv/bin/python bench/bench_familydoctor_import.py   # PostgreSQL
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yilian-bench-fdimport-"))
if "DATABASE_URL" not in os.environ:
    os.environ["YILIAN_SQLITE_PATH"] = str(TMP / "bench.sqlite3")
os.environ.update({"DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_DATA_DIR": str(TMP),
                   "YILIAN_MEDIA_ROOT": str(TMP / "media"), "YILIAN_TASK_QUEUE_PATH": str(TMP / "queue.sqlite3")})
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import xlsxwriter  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests.factories import user_with_role  # noqa: E402
from tests.familydoctor.factories import make_care  # noqa: E402
from tests.familydoctor.sheets import HEADERS as RESIDENT_HEADERS  # noqa: E402
from tests.familydoctor.sheets import generated_rows  # noqa: E402
from yilian.accounts.models import Membership  # noqa: E402
from yilian.core.models import AuditEntry  # noqa: E402
from yilian.familydoctor import idnumber, imports, imports_contracts, services, services_care  # noqa: E402
from yilian.familydoctor.models import Contract, ImportJob, Resident  # noqa: E402
from yilian.familydoctor.services_import import import_job_run, pending_path  # noqa: E402
from yilian.network.models import Institution, Region  # noqa: E402

TARGET_S = 60.0
CONTRACT_HEADERS = ["身份证号", "签约团队", "服务包", "签约日期", "签字人"]
TODAY = timezone.localdate()


def xlsx(headers, rows) -> bytes:
    """A sheet as clinics keep it: every cell text (ID numbers must not become numbers)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            sheet.write_string(number, column, value)
    book.close()
    return out.getvalue()


def contract_rows(residents, team, package) -> list[tuple]:
    return [(number, team.name, package.name, TODAY.isoformat(), name) for number, name in residents]


def clinic_with_care(label: str):
    street = Region.objects.create(name=f"基准{label}街道", level=Region.Level.SUBDISTRICT, parent=DISTRICT)
    Region.objects.create(name=f"基准{label}社区", level=Region.Level.COMMUNITY, parent=street)
    clinic = Institution.objects.create(name=f"基准{label}社区卫生服务中心", region=street,
                                        kind=Institution.Kind.COMMUNITY_CENTER, latitude="26.5", longitude="106.7")
    staff = user_with_role(Membership.Role.CLINIC_STAFF, clinic)
    team, basic, _chronic = make_care(clinic, staff)
    return clinic, staff, team, basic


def run_job(user, clinic, kind, content: bytes) -> tuple[float, ImportJob]:
    """The worker's run of a confirmed sheet, timed: read, check, write, progress."""
    job = ImportJob.objects.create(requested_by=user, clinic=clinic, kind=kind, token=f"{user.pk}-{kind}-{time.time()}")
    path = pending_path(job.token, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    started = time.perf_counter()
    import_job_run(job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, (job.message, job.result.get("errors", [])[:3])
    return elapsed, job


# ------------------------------------------------------------------------------ the naive baseline


def naive_residents(user, clinic, content: bytes) -> float:
    """Read the sheet, then one ``resident_create`` (with its household) and one ``tag_add`` per tag a row."""
    community = Region.objects.get(name=f"{clinic.region.name[:-2]}社区")
    started = time.perf_counter()
    attrs, errors, data = imports.read_sheet(content)
    assert not errors
    with transaction.atomic():
        for _line, values in data:
            cells = dict(zip(attrs, values, strict=False))
            info = idnumber.parse(cells["id_number"], today=TODAY)
            resident = services.resident_create(
                by=user, name=cells["name"], id_number=info.number, phone=cells["phone"], address=cells["address"],
                community=community, clinic=clinic, household_head=cells["household_head"] or "")
            for word in filter(None, imports._TAG_SPLIT.split(cells["tags"] or "")):
                services.tag_add(by=user, resident=resident, kind=imports.TAG_WORDS[word], source="Excel",
                                 recorded_on=TODAY)
    return time.perf_counter() - started


def naive_contracts(user, clinic, content: bytes) -> float:
    """Read the sheet, then per row: look the resident, team and packages up and ``contract_sign``."""
    started = time.perf_counter()
    attrs, errors, data = imports_contracts.read_sheet(content)
    assert not errors
    with transaction.atomic():
        for _line, values in data:
            cells = dict(zip(attrs, values, strict=False))
            resident = Resident.objects.get(id_number=idnumber.parse(cells["id_number"], today=TODAY).number)
            team = services_care.Team.objects.get(clinic=clinic, name=cells["team"])
            packages = list(services_care.ServicePackage.objects.filter(clinic=clinic, name__in=[cells["packages"]]))
            services_care.contract_sign(by=user, resident=resident, team=team, packages=packages,
                                        start=dt.date.fromisoformat(cells["start"]), consent=True,
                                        consent_by=cells["consent_by"])
    return time.perf_counter() - started


# ------------------------------------------------------------------------------ main


def main():
    global DISTRICT
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    args = parser.parse_args()
    print(f"environment: CPython {platform.python_version()}, Django {django.get_version()}, "
          f"{connection.vendor}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} at the start")
    call_command("migrate", verbosity=0)
    DISTRICT = Region.objects.create(name="基准区", level=Region.Level.DISTRICT)

    clinic, staff, team, basic = clinic_with_care("甲")
    started = time.perf_counter()
    people = generated_rows(args.rows, community="基准甲社区")
    residents_sheet = xlsx(RESIDENT_HEADERS, people)
    contracts_sheet = xlsx(CONTRACT_HEADERS, contract_rows([(p[1], p[0]) for p in people], team, basic))
    print(f"sheets of {args.rows} rows: residents {len(residents_sheet) / 1e6:.1f} MB, contracts "
          f"{len(contracts_sheet) / 1e6:.1f} MB, built in {time.perf_counter() - started:.0f} s")

    resident_s, job = run_job(staff, clinic, ImportJob.Kind.RESIDENTS, residents_sheet)
    print(f"residents: {resident_s:.1f} s, {job.result}")
    contract_s, job = run_job(staff, clinic, ImportJob.Kind.CONTRACTS, contracts_sheet)
    print(f"contracts: {contract_s:.1f} s, {job.result}")
    again_s, job = run_job(staff, clinic, ImportJob.Kind.CONTRACTS, contracts_sheet)
    assert job.result["new"] == 0 and job.result["unchanged"] == args.rows
    assert Contract.objects.filter(clinic=clinic).count() == args.rows
    audits = AuditEntry.objects.filter(object_type="familydoctor.contract").count()
    print(f"contracts again (all unchanged): {again_s:.1f} s; contract audit rows: {audits}")

    other, other_staff, other_team, other_basic = clinic_with_care("乙")
    sample = generated_rows(args.baseline_rows, community="基准乙社区", start=dt.date(1975, 1, 1))
    naive_resident_s = naive_residents(other_staff, other, xlsx(RESIDENT_HEADERS, sample))
    naive_contract_s = naive_contracts(other_staff, other, xlsx(
        CONTRACT_HEADERS, contract_rows([(p[1], p[0]) for p in sample], other_team, other_basic)))
    scale = args.rows / args.baseline_rows

    print()
    print(f"| import of {args.rows:,} rows ({connection.vendor}) | Yilian (worker) | target | Yilian / target "
          f"| baseline: row by row (×{scale:.0f} of {args.baseline_rows:,}) | baseline / Yilian |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, yilian, naive in (("residents (households, tags)", resident_s, naive_resident_s * scale),
                                 ("contracts", contract_s, naive_contract_s * scale),
                                 ("contracts again (unchanged)", again_s, None)):
        base = f"{naive:.0f} s" if naive is not None else "–"
        ratio = f"{naive / yilian:.1f}" if naive is not None else "–"
        print(f"| {label} | {yilian:.1f} s | {TARGET_S:.0f} s | {yilian / TARGET_S:.2f} | {base} | {ratio} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}; data in {TMP}")


DISTRICT = None

if __name__ == "__main__":
    main()
