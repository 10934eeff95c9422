"""Contract import from Excel: preview, row-level errors, all or nothing, idempotent, scoped."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.familydoctor.conftest import client_for
from tests.familydoctor.factories import ResidentFactory, make_id
from tests.familydoctor.sheets import workbook
from yilian.core.models import AuditEntry
from yilian.familydoctor.imports_contracts import import_contracts
from yilian.familydoctor.models_care import Contract, ContractEvent

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


def test_pages_upload_preview_confirm(world, care, people):
    client = client_for(world.staff_a, "en")
    assert "/residents/contracts/import/" in client.get("/residents/contracts/").content.decode()
    template = client.get("/residents/contracts/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    upload = SimpleUploadedFile("c.xlsx", workbook(_rows(care, people), HEADERS))
    page = client.post("/residents/contracts/import/", {"clinic": world.clinic_a.pk, "file": upload})
    assert page.status_code == 200 and page.context["report"].ok and not Contract.objects.exists()
    token = page.context["token"]
    done = client.post("/residents/contracts/import/", {"token": token, "clinic": world.clinic_a.pk})
    assert done.status_code == 302 and Contract.objects.count() == 4
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
