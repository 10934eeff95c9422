"""Import of residents from Excel: preview, row-level errors, all-or-nothing, idempotent on ID number."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.familydoctor.conftest import client_for
from tests.familydoctor.factories import ResidentFactory, make_id
from tests.familydoctor.sheets import generated_rows, workbook
from yilian.core.models import AuditEntry
from yilian.familydoctor.idnumber import with_check_digit
from yilian.familydoctor.imports import import_residents
from yilian.familydoctor.models import Household, Resident, ResidentTag, Tag

TODAY = date(2026, 1, 15)
HEAD = make_id(date(1950, 2, 3), 11)  # 71: elderly
WIFE = make_id(date(1952, 7, 8), 22)
CHILD = make_id(date(2022, 1, 1), 31)  # 4: child 0-6


def _rows():
    return [
        ("王大山", HEAD, "13800000001", "甲街道1号", "甲一社区", HEAD, "高血压、糖尿病"),
        ("李秀英", WIFE.lower(), "138 0000 0002", "甲街道1号", "甲一社区", HEAD, "高血压"),
        ("王小宝", CHILD, "", "甲街道1号", "甲二社区", HEAD, ""),
    ]


def _import(world, content, commit=True, user=None, clinic=None):
    with translation.override("en"):
        return import_residents(user or world.staff_a, clinic or world.clinic_a, content, commit=commit, today=TODAY)


def test_happy_path(world):
    preview = _import(world, workbook(_rows()), commit=False)
    assert preview.ok, preview.errors
    assert (preview.rows, preview.new, preview.households_created, preview.tags_added) == (3, 3, 1, 3)
    assert not Resident.objects.exists()
    assert [p["id_number"] for p in preview.preview] == ["5201**********" + n[-4:] for n in (HEAD, WIFE, CHILD)]

    report = _import(world, workbook(_rows()))
    assert report.ok and (report.new, report.updated, report.unchanged) == (3, 0, 0)
    head, wife, child = (Resident.objects.get(id_number=n) for n in (HEAD, WIFE, CHILD))
    assert (wife.sex, wife.birth_date, wife.phone, wife.community) == ("female", date(1952, 7, 8), "13800000002",
                                                                      world.community_a1)
    assert child.community == world.community_a2 and head.clinic == world.clinic_a
    household = Household.objects.get()
    assert household.head == head and set(household.members.all()) == {head, wife, child}
    assert household.address == "甲街道1号"
    kinds = lambda r: set(r.tags.values_list("kind", flat=True))  # noqa: E731
    assert kinds(head) == {Tag.HYPERTENSION, Tag.DIABETES_T2, Tag.ELDERLY_65}
    assert kinds(wife) == {Tag.HYPERTENSION, Tag.ELDERLY_65}
    assert kinds(child) == {Tag.CHILDREN_0_6}
    tag = head.tags.get(kind=Tag.HYPERTENSION)
    assert (tag.recorded_on, tag.recorded_by, tag.source) == (TODAY, world.staff_a, "Excel import")
    imported = AuditEntry.objects.filter(action="import")
    assert imported.count() == 3 and all(e.region_path == world.clinic_a.region.path for e in imported)
    assert not any(n in e.summary for e in imported for n in (HEAD, WIFE, CHILD))
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.household").count() == 1


def test_english_headers_and_aliases_are_accepted(world):
    content = workbook([("王大山", HEAD, "13800000001")], headers=["Name", "ID number", "手机号"])
    report = _import(world, content)
    assert report.ok, report.errors
    assert Resident.objects.get().phone == "13800000001"


def test_importing_the_same_file_twice_changes_nothing(world):
    _import(world, workbook(_rows()))
    audit_rows = AuditEntry.objects.count()
    again = _import(world, workbook(_rows()))
    assert again.ok and (again.new, again.updated, again.unchanged, again.households_created, again.tags_added) == (
        0, 0, 3, 0, 0)
    assert Resident.objects.count() == 3 and Household.objects.count() == 1 and ResidentTag.objects.count() == 6
    assert AuditEntry.objects.count() == audit_rows


def test_a_changed_row_updates_and_blank_cells_keep_values(world):
    _import(world, workbook(_rows()))
    rows = _rows()
    rows[0] = ("王大山", HEAD, "13999999999", "", "", "", "残疾人")
    report = _import(world, workbook(rows))
    assert (report.new, report.updated, report.unchanged, report.tags_added) == (0, 1, 2, 1)
    head = Resident.objects.get(id_number=HEAD)
    assert (head.phone, head.address, head.community) == ("13999999999", "甲街道1号", world.community_a1)
    assert head.household is not None
    assert AuditEntry.objects.filter(action="import", object_id=head.pk).count() == 2


def _counts():
    return Resident.objects.count(), AuditEntry.objects.count(), Household.objects.count(), ResidentTag.objects.count()


def _errors(world, rows, **kwargs):
    before = _counts()
    report = _import(world, workbook(rows, **kwargs))
    assert not report.ok
    assert _counts() == before  # nothing saved
    return report.errors


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_saved(world):
    rows = _rows() + [
        ("错号", HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1"), "", "", "", "", ""),  # row 5
        ("错日期", with_check_digit("52010219900230123"), "", "", "", "", ""),  # row 6
        ("重复", WIFE, "", "", "", "", ""),  # row 7
        ("", make_id(date(1990, 1, 1), 41), "12345", "", "乙社区", "", "感冒"),  # row 8
        ("男孕", make_id(date(1990, 1, 1), 51), "", "", "", "", "孕产妇"),  # row 9
        ("无户主", make_id(date(1990, 1, 1), 61), "", "", "", make_id(date(1970, 1, 1), 71), ""),  # row 10
        ("数字", 5.201021990030712e17, "", "", "", "", ""),  # row 11
    ]
    errors = _errors(world, rows)
    text = "\n".join(errors)
    assert "Row 5, 身份证号: The ID number's check digit is wrong" in text
    assert "Row 6, 身份证号: The ID number contains an impossible birth date." in text
    assert "Row 7, 身份证号: The same ID number is already on row 3 of this file." in text
    assert "Row 8, 姓名: This field is required." in text
    assert "Row 8, 联系电话:" in text and "Row 8, 社区:" in text and "Row 8, 重点人群: “感冒”" in text
    assert "Row 9, 重点人群: Only a woman" in text
    assert "Row 10, 户主身份证号: The head of household is neither in this file" in text
    assert "Row 11, 身份证号: The cell holds a number" in text
    assert not any(HEAD in e or WIFE in e for e in errors)  # messages never echo an ID number


def test_header_problems(world):
    assert "Missing column “身份证号”." in _errors(world, [("张三",)], headers=["姓名"])
    errors = _errors(world, [("张三", HEAD, 1)], headers=["姓名", "身份证号", "年龄"])
    assert any("Unknown column “年龄”" in e for e in errors)
    with translation.override("en"):
        report = import_residents(world.staff_a, world.clinic_a, b"not a workbook", commit=True)
    assert report.errors == ["The file could not be read as an Excel workbook."]


def test_residents_of_another_clinic_are_not_taken_over(world, resident_b):
    errors = _errors(world, [("李四", resident_b.id_number, "", "", "", "", "")])
    assert errors == ["Row 2, 身份证号: A resident with this ID number is registered with another clinic."]
    resident_b.refresh_from_db()
    assert resident_b.clinic == world.clinic_b


def test_a_head_from_another_clinic_is_refused(world, resident_b):
    errors = _errors(world, [("王大山", HEAD, "", "", "", resident_b.id_number, "")])
    assert errors == ["Row 2, 户主身份证号: The head of household is registered with another clinic."]


def test_an_existing_resident_can_be_the_head(world, resident_a):
    report = _import(world, workbook([("王大山", HEAD, "", "", "", resident_a.id_number, "")]))
    assert report.ok and report.households_created == 1
    resident_a.refresh_from_db()
    assert resident_a.household.head == resident_a
    assert Resident.objects.get(id_number=HEAD).household == resident_a.household


def test_only_clinic_staff_import_into_their_own_clinic(world):
    for user in (world.supervisor_a, world.staff_b, world.coordinator_a):
        report = _import(world, workbook(_rows()), user=user)
        assert report.errors == ["You cannot register residents with this institution."]
        assert client_for(user).get("/residents/import/").status_code == (404 if user != world.staff_b else 200)
    assert not Resident.objects.exists()


def test_upload_preview_confirm_through_the_pages(world, django_capture_on_commit_callbacks):
    client = client_for(world.staff_a)
    upload = SimpleUploadedFile("residents.xlsx", workbook(_rows()))
    response = client.post("/residents/import/", {"clinic": world.clinic_a.pk, "file": upload})
    html = response.content.decode()
    assert 'id="import-preview"' in html and HEAD not in html and "5201**********" in html
    token = response.context["token"]
    assert client_for(world.staff_b).post("/residents/import/", {"token": token, "clinic": world.clinic_b.pk}
                                          ).status_code == 404
    from huey.contrib.djhuey import HUEY

    from yilian.familydoctor.models import ImportJob

    HUEY.immediate = True  # the worker runs inline here
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/residents/import/", {"token": token, "clinic": world.clinic_a.pk})
    finally:
        HUEY.immediate = False
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/residents/import/jobs/{job.pk}/"
    assert Resident.objects.count() == 3
    assert (job.status, job.progress, job.result["new"]) == ("done", 100, 3)
    page = client.get(response.url).content.decode()
    assert 'id="import-result"' in page and "hx-trigger" not in page
    assert client_for(world.staff_b).get(response.url).status_code == 404  # only its requester sees a job
    assert client.post("/residents/import/", {"token": token, "clinic": world.clinic_a.pk}).status_code == 404


def test_page_shows_errors_and_saves_nothing(world):
    client = client_for(world.staff_a)
    rows = _rows() + [("错号", HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1"), "", "", "", "", "")]
    response = client.post("/residents/import/", {"clinic": world.clinic_a.pk,
                                                  "file": SimpleUploadedFile("r.xlsx", workbook(rows))})
    html = response.content.decode()
    assert 'id="import-errors"' in html and "token" not in response.context and not Resident.objects.exists()


def test_template_download(world):
    response = client_for(world.staff_a).get("/residents/import/template.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")


@pytest.mark.parametrize("count", [600])
def test_a_larger_sheet_with_households(world, count, django_assert_max_num_queries):
    content = workbook(generated_rows(count, community="甲一社区"))
    with django_assert_max_num_queries(60):
        report = _import(world, content)
    assert report.ok, report.errors[:5]
    assert (report.new, report.households_created) == (count, count // 3)
    assert Resident.objects.filter(household__isnull=False).count() == count
    again = _import(world, content)
    assert (again.new, again.updated, again.unchanged) == (0, 0, count)


def test_existing_resident_data_from_factories_is_updated_not_duplicated(world):
    existing = ResidentFactory(clinic=world.clinic_a, id_number=HEAD, name="王山", phone="13800000009")
    report = _import(world, workbook(_rows()))
    assert (report.new, report.updated) == (2, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.phone, existing.initials) == ("王大山", "13800000001", "wds")


def test_a_resident_registered_between_check_and_save_aborts_the_import(world):
    from yilian.familydoctor.imports import apply_import, plan_import

    with translation.override("en"):
        plan = plan_import(world.staff_a, world.clinic_a, workbook(_rows()), today=TODAY)
        ResidentFactory(clinic=world.clinic_a, id_number=WIFE)  # someone else was faster
        report = apply_import(plan, today=TODAY)
    assert report.errors == ["The residents changed while the file was being imported; nothing was saved. "
                             "Check the file again."]
    assert Resident.objects.count() == 1 and not Household.objects.exists() and not AuditEntry.objects.exists()


def test_a_queued_job_polls_and_a_failed_one_says_so(world):
    from yilian.familydoctor import services_import
    from yilian.familydoctor.models import ImportJob

    job = ImportJob.objects.create(requested_by=world.staff_a, clinic=world.clinic_a, token=f"{world.staff_a.pk}-x")
    page = client_for(world.staff_a).get(f"/residents/import/jobs/{job.pk}/").content.decode()
    assert "hx-trigger" in page
    services_import.import_job_run(job.pk)  # the sheet is gone: the job fails, nothing is saved
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at and not Resident.objects.exists()
    services_import.import_job_run(job.pk)  # a retry of a finished job is a no-op
    assert ImportJob.objects.get().status == "failed"
