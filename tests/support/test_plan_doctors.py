"""Doctors: list/search/filter, create/edit with an optional login, and the roster import from Excel
(row-level errors naming row and column, all or nothing, a second import changes nothing)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import user_with_role
from tests.support import test_plan_fixtures
from tests.support.factories import DoctorFactory
from tests.support.test_plan_fixtures import client_for
from yilian.accounts.models import Membership
from yilian.support import imports_doctors
from yilian.support.models import Doctor, Title

world = test_plan_fixtures.world  # the shared fixture

HEADER = ["姓名", "科室", "专业", "职称", "执业证书编码", "电话"]
ROWS = [
    ["李医生", "心血管内科", "高血压", "副高", "110520000000101", 13800000001],
    ["王医生", "儿科", "儿童保健", "中级", "110520000000102", "13800000002"],
    ["赵医生", "全科医学科", "全科", "主任医师", 110520000000103, ""],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _xlsx(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(world, content, hospital=None):
    """Upload, then confirm when the preview has no error. Returns the last response."""
    client = client_for(world.coordinator, "en")
    hospital = hospital or world.hospital
    response = client.post("/support/doctors/import/", {
        "hospital": hospital.pk, "file": SimpleUploadedFile("roster.xlsx", content)})
    if response.status_code == 200 and response.context.get("token"):
        return client.post("/support/doctors/import/", {"token": response.context["token"]})
    return response


def _errors(response) -> list[str]:
    return response.context["report"].errors


def test_roster_import_then_reimport_changes_nothing(world):
    before = Doctor.objects.count()
    response = _import(world, _xlsx(ROWS))
    assert response.status_code == 302
    imported = Doctor.objects.filter(hospital=world.hospital, licence_number__startswith="1105200000001")
    assert {(d.name, d.title, d.phone) for d in imported} == {
        ("李医生", Title.ASSOCIATE, "13800000001"), ("王医生", Title.INTERMEDIATE, "13800000002"),
        ("赵医生", Title.SENIOR, "")}
    assert Doctor.objects.get(name="赵医生").licence_number == "110520000000103"
    assert Doctor.objects.get(name="李医生").history.latest().history_user == world.coordinator
    stamps = {d.pk: d.history.count() for d in imported}
    preview = client_for(world.coordinator).post("/support/doctors/import/", {
        "hospital": world.hospital.pk, "file": SimpleUploadedFile("roster.xlsx", _xlsx(ROWS))})
    assert (preview.context["report"].new, preview.context["report"].unchanged) == (0, 3)
    _import(world, _xlsx(ROWS))
    assert Doctor.objects.count() == before + 3
    assert {d.pk: d.history.count() for d in imported} == stamps


def test_reimport_updates_a_changed_row(world):
    _import(world, _xlsx(ROWS))
    changed = [row[:] for row in ROWS]
    changed[1][3] = "副高"
    _import(world, _xlsx(changed))
    assert Doctor.objects.get(licence_number="110520000000102").title == Title.ASSOCIATE


def test_bad_title_names_row_and_column(world):
    rows = [ROWS[0], ["王医生", "儿科", "儿童保健", "专家", "110520000000102", ""]]
    response = _import(world, _xlsx(rows))
    assert any(e.startswith("Row 3, 职称") and "专家" in e for e in _errors(response)), _errors(response)
    assert not Doctor.objects.filter(licence_number__startswith="1105200000001").exists()


def test_duplicate_licence_in_the_file(world):
    rows = [ROWS[0], ROWS[1], ["钱医生", "儿科", "儿科", "中级", "110520000000101", ""]]
    errors = _errors(_import(world, _xlsx(rows)))
    assert any(e.startswith("Row 4, 执业证书编码") and "row 2" in e for e in errors), errors
    assert not Doctor.objects.filter(licence_number__startswith="1105200000001").exists()


def test_licence_of_another_hospitals_doctor(world):
    rows = [ROWS[0], ["冒名", "儿科", "儿科", "中级", world.other.licence_number, ""]]
    errors = _errors(_import(world, _xlsx(rows)))
    assert any(e.startswith("Row 3, 执业证书编码") for e in errors), errors
    assert not Doctor.objects.filter(name__in=["李医生", "冒名"]).exists()
    world.other.refresh_from_db()
    assert world.other.hospital == world.hospital2


@pytest.mark.parametrize(("header", "expected"), [
    (["姓名", "科室", "专业", "职称", "执业证书编码", "邮箱"], "邮箱"),
    (["姓名", "科室", "专业", "职称", "电话"], "执业证书编码"),
])
def test_wrong_columns(world, header, expected):
    errors = _errors(_import(world, _xlsx([["甲", "乙", "丙", "中级", "1"]], header=header)))
    assert any(expected in e for e in errors), errors
    assert not Doctor.objects.filter(name="甲").exists()


def test_english_headers_and_missing_value(world):
    header = ["Name", "Department", "Specialty", "Title", "Licence number", "Phone"]
    errors = _errors(_import(world, _xlsx([["", "儿科", "儿科", "junior", "110520000000199", ""]], header=header)))
    assert any(e.startswith("Row 2, 姓名") for e in errors), errors
    response = _import(world, _xlsx([["孙医生", "儿科", "儿科", "junior", "110520000000199", ""]], header=header))
    assert response.status_code == 302
    assert Doctor.objects.get(licence_number="110520000000199").title == Title.JUNIOR


def test_not_a_workbook(world):
    errors = _errors(_import(world, b"not a workbook"))
    assert errors and not Doctor.objects.filter(licence_number__startswith="1105200000001").exists()


def test_import_is_scoped_to_hospitals_the_user_manages(world):
    response = _import(world, _xlsx(ROWS), hospital=world.hospital2)
    assert response.status_code == 200 and response.context["form"].errors["hospital"]
    assert client_for(world.clinic_staff).get("/support/doctors/import/").status_code == 404
    assert not Doctor.objects.filter(hospital=world.hospital2, name="李医生").exists()


def test_template_reads_back_as_an_empty_valid_roster(world):
    content = client_for(world.coordinator).get("/support/doctors/import/template.xlsx").content
    dataset, errors = imports_doctors.read_workbook(content)
    assert not errors and len(dataset) == 0


def test_doctor_list_search_and_filter(world):
    DoctorFactory(hospital=world.hospital, name="钱多多", department="儿科", specialty="儿童哮喘", title=Title.JUNIOR)
    client = client_for(world.coordinator)
    names = lambda url: [d.name for d in client.get(url).context["page"].object_list]  # noqa: E731
    assert set(names("/support/doctors/")) == {"高主任", "初医生", "钱多多"}
    assert names("/support/doctors/?q=哮喘") == ["钱多多"]
    assert names("/support/doctors/?q=儿科") == ["钱多多"]
    assert set(names("/support/doctors/?title=junior")) == {"初医生", "钱多多"}
    assert client.get(f"/support/doctors/{world.other.pk}/").status_code == 404
    assert client_for(world.supervisor).get(f"/support/doctors/{world.other.pk}/").status_code == 200


def test_doctor_create_edit_and_login_link(world):
    client = client_for(world.coordinator, "en")
    data = {"hospital": world.hospital.pk, "name": "新医生", "department": "儿科", "specialty": "儿科",
            "title": "intermediate", "licence_number": "110520000000777", "phone": "", "active": "on"}
    assert client.post("/support/doctors/new/", data).status_code == 302
    doctor = Doctor.objects.get(name="新医生")
    duplicate = client.post("/support/doctors/new/", {**data, "name": "重复"})
    assert duplicate.status_code == 200 and duplicate.context["form"].errors["licence_number"]
    login = user_with_role(Membership.Role.DOCTOR, world.hospital)
    stranger = user_with_role(Membership.Role.DOCTOR, world.hospital2)
    refused = client.post(f"/support/doctors/{doctor.pk}/edit/", {**data, "user": stranger.pk})
    assert refused.status_code == 200 and refused.context["form"].errors["user"]
    assert client.post(f"/support/doctors/{doctor.pk}/edit/", {**data, "user": login.pk}).status_code == 302
    doctor.refresh_from_db()
    assert doctor.user == login
    other_hospital = client.post("/support/doctors/new/", {**data, "hospital": world.hospital2.pk,
                                                          "licence_number": "110520000000778"})
    assert other_hospital.status_code == 200 and not Doctor.objects.filter(licence_number="110520000000778").exists()
    assert client.get(f"/support/doctors/{world.other.pk}/edit/").status_code == 404


def test_import_token_cannot_name_another_file(world):
    client = client_for(world.coordinator)
    for token in (f"{world.coordinator.pk}-{world.hospital.pk}-../../secret", "1-1-" + "0" * 32):
        assert client.post("/support/doctors/import/", {"token": token}).status_code == 404
