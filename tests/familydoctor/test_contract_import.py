"""Contract import from Excel: preview, row-level errors, all or nothing, idempotent, scoped."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.familydoctor.conftest import client_for
from tests.familydoctor.factories import ResidentFactory, make_id
from tests.familydoctor.sheets import workbook
from yilian.core.models import AuditEntry
from yilian.familydoctor.imports_contracts import apply_contracts, import_contracts, plan_contracts
from yilian.familydoctor.models_care import Contract, ContractEvent, ImportJob
from yilian.familydoctor.services_import import import_job_run
from yilian.familydoctor.services_import import pending_path as _pending_path

HEADERS = ["身份证号", "签约团队", "服务包", "签约日期", "签字人"]
EN_HEADERS = ["ID number", "team", "packages", "start", "consent by"]


def _rows(care, residents, start=None):
    start = start or date.today()
    return [(r.id_number, care.team.name, f"{care.basic.name},{care.chronic.name}", start.isoformat(), r.name)
            for r in residents]


def _import(user, clinic, rows, headers=HEADERS, commit=True):
    with translation.override("en"):
        return import_contracts(user, clinic, workbook(rows, headers), commit=commit)


@pytest.fixture
def people(world, care):
    return [care.elder] + [ResidentFactory(id_number=make_id(date(1970, 1, 1) + timedelta(days=n), 400 + n),
                                           clinic=world.clinic_a, community=world.community_a1) for n in range(3)]


def test_happy_path_creates_contracts_events_and_audit(world, care, people):
    preview = _import(world.staff_a, world.clinic_a, _rows(care, people), commit=False)
    assert preview.ok and preview.new == 4 and not Contract.objects.exists()
    report = _import(world.staff_a, world.clinic_a, _rows(care, people), headers=EN_HEADERS)
    assert report.ok, report.errors
    assert report.new == 4
    contracts = Contract.objects.filter(status="active")
    assert contracts.count() == 4
    assert all(c.consent and c.consent_by and c.team_id == care.team.pk for c in contracts)
    assert set(contracts.first().packages.values_list("pk", flat=True)) == {care.basic.pk, care.chronic.pk}
    assert ContractEvent.objects.filter(kind="signed").count() == 4
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.contract").count() == 4


def test_second_import_is_a_no_op(world, care, people):
    assert _import(world.staff_a, world.clinic_a, _rows(care, people)).ok
    audits = AuditEntry.objects.count()
    report = _import(world.staff_a, world.clinic_a, _rows(care, people))
    assert report.ok and report.new == 0 and report.unchanged == 4
    assert Contract.objects.count() == 4 and AuditEntry.objects.count() == audits


@pytest.mark.parametrize(("mutate", "column", "words"), [
    (lambda r, c: (make_id(date(1960, 5, 5), 901), *r[1:]), "身份证号", "No resident"),
    (lambda r, c: (r[0][:-1] + ("0" if r[0][-1] != "0" else "1"), *r[1:]), "身份证号", ""),
    (lambda r, c: (r[0], "没有的团队", *r[2:]), "签约团队", "not a team"),
    (lambda r, c: (*r[:2], f"{c.basic.name},不存在包", *r[3:]), "服务包", "not a service package"),
    (lambda r, c: (*r[:2], c.chronic.name, *r[3:]), "服务包", "basic package"),
    (lambda r, c: (*r[:3], (date.today() + timedelta(days=200)).isoformat(), r[4]), "签约日期", "past year"),
    (lambda r, c: (*r[:3], "not a date", r[4]), "签约日期", "Enter a date"),
    (lambda r, c: (*r[:4], ""), "签字人", "consent"),
])
def test_bad_row_names_row_and_column_and_saves_nothing(world, care, people, mutate, column, words):
    rows = _rows(care, people)
    rows[2] = mutate(rows[2], care)
    report = _import(world.staff_a, world.clinic_a, rows)
    assert not report.ok
    assert any(e.startswith(f"Row 4, {column}:") and words in e for e in report.errors), report.errors
    assert not Contract.objects.exists() and not ContractEvent.objects.exists()
    assert not AuditEntry.objects.filter(object_type="familydoctor.contract").exists()


def test_full_width_and_lowercase_id_is_normalised(world, care, people):
    rows = _rows(care, people[:1])
    full = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch.lower() for ch in rows[0][0])
    assert _import(world.staff_a, world.clinic_a, [(full, *rows[0][1:])]).ok
    assert Contract.objects.get().resident == care.elder


def test_other_active_contract_is_refused(world, care, people):
    assert _import(world.staff_a, world.clinic_a, _rows(care, people[:1])).ok
    report = _import(world.staff_a, world.clinic_a, _rows(care, people[:1], start=date.today() - timedelta(days=3)))
    assert not report.ok and "Row 2, 身份证号:" in report.errors[0] and "active contract" in report.errors[0]
    assert Contract.objects.count() == 1


def test_unknown_and_missing_columns(world, care, people):
    report = _import(world.staff_a, world.clinic_a, [r[:4] + ("x",) for r in _rows(care, people)],
                     headers=["身份证号", "签约团队", "服务包", "签约日期", "备注"])
    assert any("Unknown column “备注”" in e for e in report.errors)
    assert any("Missing column “签字人”" in e for e in report.errors)
    assert not Contract.objects.exists()


def test_resident_of_another_clinic_is_refused(world, care, people, resident_b):
    rows = _rows(care, people) + _rows(care, [resident_b])
    report = _import(world.staff_a, world.clinic_a, rows)
    assert any(e.startswith("Row 6, 身份证号:") and "another clinic" in e for e in report.errors), report.errors
    assert not Contract.objects.exists()


@pytest.fixture
def worker():
    """The worker runs the queued task inline (Huey's immediate mode), as test_import does."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = False


def test_pages_upload_preview_confirm(world, care, people, worker, django_capture_on_commit_callbacks):
    client = client_for(world.staff_a, "en")
    assert "/residents/contracts/import/" in client.get("/residents/contracts/").content.decode()
    template = client.get("/residents/contracts/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    upload = SimpleUploadedFile("c.xlsx", workbook(_rows(care, people), HEADERS))
    page = client.post("/residents/contracts/import/", {"clinic": world.clinic_a.pk, "file": upload})
    assert page.status_code == 200 and page.context["report"].ok and not Contract.objects.exists()
    token = page.context["token"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/residents/contracts/import/", {"token": token, "clinic": world.clinic_a.pk})
    job = ImportJob.objects.get()
    assert done.status_code == 302 and done.url == f"/residents/import/jobs/{job.pk}/"
    assert (job.kind, job.status, job.progress, job.result["new"]) == ("contracts", "done", 100, 4)
    assert Contract.objects.count() == 4 and not _pending_path(token, ImportJob.Kind.CONTRACTS).exists()
    result = client.get(done.url).content.decode()
    assert 'id="import-result"' in result and "4 contracts signed" in result and "hx-trigger" not in result
    assert client.post("/residents/contracts/import/", {"token": token, "clinic": world.clinic_a.pk}
                       ).status_code == 404  # the sheet is gone once the job ran
    bad = SimpleUploadedFile("c.xlsx", workbook([(*r[:4], "") for r in _rows(care, people)], HEADERS))
    page = client.post("/residents/contracts/import/", {"clinic": world.clinic_a.pk, "file": bad})
    assert "Row 2, 签字人" in page.content.decode() and "token" not in page.context


def test_other_clinic_user_gets_404(world, care, people):
    client = client_for(world.staff_b, "en")
    upload = SimpleUploadedFile("c.xlsx", workbook(_rows(care, people), HEADERS))
    page = client.post("/residents/contracts/import/", {"clinic": world.clinic_a.pk, "file": upload})
    assert page.status_code == 200 and "clinic" in page.context["form"].errors  # clinic A is not offered
    client = client_for(world.supervisor_a, "en")
    assert client.get("/residents/contracts/import/").status_code == 404
    page = client_for(world.staff_a).get("/residents/contracts/import/")
    assert page.status_code == 200
    token_client = client_for(world.staff_b, "en")
    assert token_client.post("/residents/contracts/import/",
                             {"token": f"{world.staff_a.pk}-abc", "clinic": world.clinic_a.pk}).status_code == 404
    assert not Contract.objects.exists()


def test_a_contract_signed_between_check_and_save_aborts_the_import(world, care, people):
    from yilian.familydoctor import services_care

    with translation.override("en"):
        rows, report = plan_contracts(world.staff_a, world.clinic_a, workbook(_rows(care, people), HEADERS))
        services_care.contract_sign(by=world.staff_a, resident=people[2], team=care.team, packages=[care.basic],
                                    start=date.today(), consent=True, consent_by="本人")  # someone was faster
        audits = AuditEntry.objects.count()
        apply_contracts(world.staff_a, rows, report)
    assert report.errors == ["A resident of the file was signed while it was being imported; nothing was saved. "
                             "Check the file again."]
    assert Contract.objects.count() == 1 and ContractEvent.objects.count() == 1
    assert AuditEntry.objects.count() == audits


def test_the_worker_job_reports_row_errors_in_the_sites_language(world, care, people):
    """The worker's run, on a sheet with an error: the job fails with the row-level error, nothing saved."""
    rows = _rows(care, people)
    rows[1] = (rows[1][0], "没有的团队", *rows[1][2:])
    job = ImportJob.objects.create(requested_by=world.staff_a, clinic=world.clinic_a, kind=ImportJob.Kind.CONTRACTS,
                                   token=f"{world.staff_a.pk}-bad")
    path = _pending_path(job.token, job.kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook(rows, HEADERS))
    import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.progress == 100 and not path.exists()
    assert job.result["errors"] == ["第 3 行，签约团队：“没有的团队”不是本机构的家庭医生团队。"]  # the site's language
    assert not Contract.objects.exists() and not ContractEvent.objects.exists()
    page = client_for(world.staff_a).get(f"/residents/import/jobs/{job.pk}/").content.decode()
    assert 'id="import-errors"' in page and "没有的团队" in page


def test_a_larger_sheet_is_written_in_few_queries(world, care, django_assert_max_num_queries):
    from tests.familydoctor.sheets import generated_rows
    from yilian.familydoctor.imports import import_residents
    from yilian.familydoctor.models import Resident

    count = 2500  # more than one batch
    assert import_residents(world.staff_a, world.clinic_a, workbook(generated_rows(count, community="甲一社区")),
                            commit=True).ok
    numbers = list(Resident.objects.filter(clinic=world.clinic_a).values_list("id_number", flat=True))
    sheet = workbook([(n, care.team.name, care.basic.name, date.today().isoformat(), "本人") for n in numbers],
                     HEADERS)
    seen = []
    with django_assert_max_num_queries(200):  # row by row would be ~10 000; SQLite splits bulk inserts more
        report = import_contracts(world.staff_a, world.clinic_a, sheet, commit=True,
                                  progress=lambda done, total, phase="check": seen.append((phase, done, total)))
    assert report.ok and report.new == len(numbers)
    assert ("save", len(numbers), len(numbers)) in seen and seen[0][0] == "check"
    assert Contract.objects.filter(status="active").count() == len(numbers)
    assert ContractEvent.objects.count() == len(numbers)
    assert Contract.packages.through.objects.count() == len(numbers)
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.contract").count() == len(numbers)
    entry = AuditEntry.objects.filter(object_type="familydoctor.contract").first()
    assert entry.region_path == world.clinic_a.region.path and entry.user == world.staff_a
    assert "*" in entry.summary  # the resident's ID number is masked in the audit summary
