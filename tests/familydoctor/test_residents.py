"""Resident pages: registration and its bad input, scope (out of scope is 404), search, masking."""

import io
from datetime import date

import openpyxl
import pytest

from tests.familydoctor.conftest import client_for
from tests.familydoctor.factories import ResidentFactory, make_id
from yilian.core.models import AuditEntry
from yilian.familydoctor.models import Household, Resident, ResidentTag, Tag, refresh_age_tags

FULL_ID = make_id(date(1990, 3, 7), 123)  # 张三 of the resident_a fixture
FULL_PHONE = "13812345678"


def _form(world, **overrides):
    data = {"name": "王小明", "id_number": make_id(date(1980, 5, 20), 135), "phone": "13700001234",
            "address": "甲街道幸福路2号", "community": world.community_a1.pk, "clinic": world.clinic_a.pk}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------------ registration


def test_clinic_staff_registers_a_resident_with_derived_fields_and_an_audit_row(world):
    full_width = make_id(date(1980, 5, 20), 135).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client_for(world.staff_a).post("/residents/new/", _form(world, id_number=f" {full_width} "))
    assert response.status_code == 302, response.context["form"].errors
    resident = Resident.objects.get(name="王小明")
    assert resident.id_number == make_id(date(1980, 5, 20), 135)
    assert (resident.sex, resident.birth_date) == ("male", date(1980, 5, 20))
    assert (resident.initials, resident.name_pinyin) == ("wxm", "wangxiaoming")
    entry = AuditEntry.objects.get(action="create")
    assert (entry.user, entry.object_id, entry.object_type) == (world.staff_a, resident.pk, "familydoctor.resident")
    assert resident.id_number not in entry.summary and "5201**********" in entry.summary
    assert entry.region_path == world.clinic_a.region.path


def test_lowercase_x_is_normalised(world):
    number = make_id(date(1949, 12, 31), 2, region="110105")
    assert number.endswith("X")
    client_for(world.staff_a).post("/residents/new/", _form(world, id_number=number.lower()))
    assert Resident.objects.get(name="王小明").id_number == number


@pytest.mark.parametrize(("id_number", "message"), [
    (make_id()[:-1] + ("1" if make_id()[-1] != "1" else "2"), "check digit"),
    (make_id(date(1990, 3, 7))[:10] + "0230" + "1230", "check digit"),
    ("520102199002301232"[:17] + "X", "check digit"),
    (make_id()[:-1], "18 characters"),
    ("52010219900307123?", "digits"),
])
def test_bad_id_numbers_are_refused_saying_why_and_nothing_is_saved(world, id_number, message):
    response = client_for(world.staff_a, "en").post("/residents/new/", _form(world, id_number=id_number))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["id_number"])
    assert not Resident.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_impossible_birth_date_is_named(world):
    from yilian.familydoctor.idnumber import with_check_digit

    response = client_for(world.staff_a, "en").post("/residents/new/", _form(
        world, id_number=with_check_digit("52010219900230123")))  # 30 February, right check digit
    assert "impossible birth date" in str(response.context["form"].errors["id_number"])


def test_two_residents_with_one_id_number_are_refused(world, resident_a):
    response = client_for(world.staff_a, "en").post("/residents/new/", _form(world, id_number=FULL_ID.lower()))
    assert response.status_code == 200
    assert "already registered" in str(response.context["form"].errors["id_number"])
    assert Resident.objects.count() == 1


def test_the_same_id_at_another_clinic_is_refused_without_naming_it(world, resident_b):
    response = client_for(world.staff_a, "en").post("/residents/new/", _form(world, id_number=resident_b.id_number))
    errors = str(response.context["form"].errors)
    assert "already registered" in errors and "乙" not in errors


def test_a_bad_phone_and_a_foreign_community_are_refused(world):
    response = client_for(world.staff_a, "en").post("/residents/new/", _form(
        world, phone="12345", community=world.community_b.pk))
    errors = response.context["form"].errors
    assert "mobile" in str(errors["phone"]) and "community" in errors
    assert not Resident.objects.exists()


def test_supervisors_coordinators_and_doctors_cannot_register(world):
    for user in (world.supervisor_a, world.coordinator_a, world.doctor_a):
        assert client_for(user).get("/residents/new/").status_code == 404
        assert client_for(user).post("/residents/new/", _form(world)).status_code == 404
    assert client_for(world.staff_b).post("/residents/new/", _form(world)).status_code == 200  # clinic A not hers
    assert not Resident.objects.exists()


def test_edit_keeps_blank_numbers_and_never_shows_them(world, resident_a):
    client = client_for(world.staff_a)
    page = client.get(f"/residents/{resident_a.pk}/edit/").content.decode()
    assert FULL_ID not in page and FULL_PHONE not in page
    assert "5201**********" in page
    response = client.post(f"/residents/{resident_a.pk}/edit/", _form(
        world, name="张三", id_number="", phone="", address="新地址"))
    assert response.status_code == 302, response.context["form"].errors
    resident_a.refresh_from_db()
    assert (resident_a.id_number, resident_a.phone, resident_a.address) == (FULL_ID, FULL_PHONE, "新地址")
    update = AuditEntry.objects.get(action="update")
    assert update.summary.endswith(" · address")  # the changed fields only, by name (English msgids in tests)
    assert AuditEntry.objects.filter(action="read", object_id=resident_a.pk).count() == 1  # the edit page read


def test_household_by_head_id_number(world, resident_a):
    client = client_for(world.staff_a)
    client.post("/residents/new/", _form(world, household_head=FULL_ID))
    member = Resident.objects.get(name="王小明")
    household = Household.objects.get()
    assert household.head == resident_a and member.household == household
    resident_a.refresh_from_db()
    assert resident_a.household == household
    page = client.get(f"/residents/households/{household.pk}/").content.decode()
    assert "王小明" in page and "张三" in page and FULL_ID not in page and FULL_PHONE not in page
    assert client_for(world.staff_b).get(f"/residents/households/{household.pk}/").status_code == 404


# ------------------------------------------------------------------------ tags


def test_age_tags_are_derived_and_recomputable_as_of_a_date(world):
    elderly = ResidentFactory(clinic=world.clinic_a, id_number=make_id(date(1950, 6, 1), 1))
    child = ResidentFactory(clinic=world.clinic_a, id_number=make_id(date(2020, 6, 1), 2))
    adult = ResidentFactory(clinic=world.clinic_a, id_number=make_id(date(1961, 6, 2), 3))
    refresh_age_tags(date(2026, 6, 1))
    kinds = lambda r: set(r.tags.values_list("kind", flat=True))  # noqa: E731
    assert kinds(elderly) == {Tag.ELDERLY_65} and kinds(child) == {Tag.CHILDREN_0_6} and kinds(adult) == set()
    assert refresh_age_tags(date(2027, 6, 2)) == (1, 1)  # adult turns 65, the child turns 7
    assert kinds(adult) == {Tag.ELDERLY_65} and kinds(child) == set()
    assert refresh_age_tags(date(2027, 6, 2)) == (0, 0)


def test_recorded_tags_need_a_source_and_fit_the_resident(world, resident_a):
    client = client_for(world.staff_a, "en")
    response = client.post(f"/residents/{resident_a.pk}/tags/new/", {"kind": "hypertension", "source": "",
                                                                     "recorded_on": "2025-01-02"})
    assert "source" in response.context["form"].errors
    response = client.post(f"/residents/{resident_a.pk}/tags/new/", {"kind": "pregnant_postpartum",
                                                                     "source": "产检", "recorded_on": "2025-01-02"})
    assert "woman" in str(response.context["form"].errors)
    response = client.post(f"/residents/{resident_a.pk}/tags/new/", {"kind": "elderly_65", "source": "x",
                                                                     "recorded_on": "2025-01-02"})
    assert response.status_code == 200 and not ResidentTag.objects.exists()
    response = client.post(f"/residents/{resident_a.pk}/tags/new/", {"kind": "hypertension", "source": "门诊诊断",
                                                                     "recorded_on": "2025-01-02"})
    assert response.status_code == 302
    tag = ResidentTag.objects.get()
    assert (tag.kind, tag.source, tag.recorded_by) == ("hypertension", "门诊诊断", world.staff_a)
    assert AuditEntry.objects.filter(action="update", object_id=resident_a.pk).exists()
    client.post(f"/residents/{resident_a.pk}/tags/{tag.pk}/delete/")
    assert not ResidentTag.objects.exists()


# ------------------------------------------------------------------------ scope


@pytest.mark.parametrize("url", ["/residents/{pk}/", "/residents/{pk}/edit/", "/residents/{pk}/reveal/",
                                 "/residents/{pk}/tags/new/"])
def test_clinic_b_cannot_reach_clinic_as_resident(world, resident_a, url):
    assert client_for(world.staff_b).get(url.format(pk=resident_a.pk)).status_code == 404


def test_scope_of_each_role(world, resident_a, resident_b):
    station_resident = ResidentFactory(clinic=world.station_a, name="站点居民")
    expected = {
        "staff_a": {resident_a.pk, station_resident.pk},  # their clinic and the station under it
        "staff_b": {resident_b.pk},
        "supervisor_a": {resident_a.pk, station_resident.pk},
        "supervisor_b": {resident_b.pk},
        "supervisor_city": {resident_a.pk, resident_b.pk, station_resident.pk},
        "coordinator_a": set(),
        "doctor_a": set(),
    }
    for role, pks in expected.items():
        user = getattr(world, role)
        assert set(Resident.objects.for_user(user).values_list("pk", flat=True)) == pks, role
        for resident in (resident_a, resident_b, station_resident):
            status = client_for(user).get(f"/residents/{resident.pk}/").status_code
            assert status == (200 if resident.pk in pks else 404), (role, resident.name)


def test_supervisor_reads_but_does_not_edit(world, resident_a):
    client = client_for(world.supervisor_a)
    assert client.get(f"/residents/{resident_a.pk}/").status_code == 200
    assert client.get(f"/residents/{resident_a.pk}/edit/").status_code == 404
    assert client.post(f"/residents/{resident_a.pk}/tags/new/", {}).status_code == 404


# ------------------------------------------------------------------------ search and masking


@pytest.mark.parametrize("query", ["张三", "张", "zs", "ZS", "zhangsan", "zhang", FULL_ID, FULL_ID.lower(),
                                   " ".join([FULL_ID[:6], FULL_ID[6:]]), FULL_PHONE, "138 1234 5678"])
def test_search_by_name_pinyin_id_or_phone(world, resident_a, query):
    ResidentFactory(clinic=world.clinic_a, name="李四")
    page = client_for(world.staff_a).get("/residents/", {"q": query})
    assert [r.name for r in page.context["page"]] == ["张三"]


def test_partial_id_numbers_find_nothing(world, resident_a):
    page = client_for(world.staff_a).get("/residents/", {"q": FULL_ID[:10]})
    assert list(page.context["page"]) == []


def test_polyphonic_surnames_are_found_by_their_surname_reading(world):
    ResidentFactory(clinic=world.clinic_a, name="单田芳")
    for query in ("stf", "dtf", "shantianfang"):
        page = client_for(world.staff_a).get("/residents/", {"q": query})
        assert [r.name for r in page.context["page"]] == ["单田芳"], query


def test_filters_by_tag_and_community(world, resident_a):
    other = ResidentFactory(clinic=world.clinic_a, community=world.community_a2, name="赵六")
    ResidentTag.objects.create(resident=other, kind=Tag.DIABETES_T2, source="门诊", recorded_on=date(2024, 1, 1))
    client = client_for(world.staff_a)
    assert [r.name for r in client.get("/residents/", {"tag": "diabetes_t2"}).context["page"]] == ["赵六"]
    assert [r.name for r in client.get("/residents/", {"community": world.community_a1.pk}).context["page"]] == ["张三"]
    assert len(client.get("/residents/", {"community": world.community_b.pk}).context["page"]) == 2  # ignored


def test_list_detail_household_and_export_show_masked_numbers_only(world, resident_a):
    ResidentFactory.create_batch(3, clinic=world.clinic_a)
    client = client_for(world.staff_a)
    numbers = [(r.id_number, r.phone) for r in Resident.objects.all()]
    pages = [client.get("/residents/").content.decode(),
             client.get("/residents/", {"q": FULL_ID}, HTTP_HX_REQUEST="true").content.decode(),
             client.get(f"/residents/{resident_a.pk}/").content.decode()]
    for html in pages:
        for id_number, phone in numbers:
            assert id_number not in html and phone not in html
    assert "5201**********" in pages[0] and "138****5678" in pages[2]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/residents/export.xlsx").content))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    for id_number, phone in numbers:
        assert not any(id_number in c or phone in c for c in cells)
    assert any(c == "138****5678" for c in cells)
    exported = AuditEntry.objects.filter(action="export")
    assert exported.count() == 4
    assert {e.object_id for e in exported} == set(Resident.objects.values_list("pk", flat=True))


def test_pagination(world, settings):
    settings.YILIAN_PAGE_SIZE = 5
    ResidentFactory.create_batch(12, clinic=world.clinic_a)
    page = client_for(world.staff_a).get("/residents/", {"page": 3})
    assert len(page.context["page"]) == 2 and page.context["page"].paginator.num_pages == 3


def test_a_resident_list_without_residents_in_scope(world, resident_a):
    response = client_for(world.coordinator_a).get("/residents/")
    assert response.status_code == 200 and list(response.context["page"]) == []


def test_household_page_reads_are_audited_and_edits_go_through_the_service(world, resident_a):
    client = client_for(world.staff_a, "en")
    client.post("/residents/new/", _form(world, household_head=FULL_ID))
    household = Household.objects.get()
    member = Resident.objects.get(name="王小明")
    client.get(f"/residents/households/{household.pk}/")
    assert AuditEntry.objects.filter(action="read").count() == 2  # both members were shown
    response = client.post(f"/residents/households/{household.pk}/edit/", {
        "address": "甲街道3号", "community": world.community_a2.pk, "head": member.pk})
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.address, household.community, household.head) == ("甲街道3号", world.community_a2, member)
    assert AuditEntry.objects.filter(action="update", object_type="familydoctor.household").count() == 1
    response = client.post(f"/residents/households/{household.pk}/edit/", {"address": "x", "head": resident_a.pk + 999})
    assert response.status_code == 200 and "head" in response.context["form"].errors
    assert client_for(world.supervisor_a).get(f"/residents/households/{household.pk}/edit/").status_code == 404


def test_leaving_a_household(world, resident_a):
    client = client_for(world.staff_a)
    client.post("/residents/new/", _form(world, household_head=FULL_ID))
    member = Resident.objects.get(name="王小明")
    response = client.post(f"/residents/{member.pk}/edit/", _form(world, id_number="", leave_household="on"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.household is None
    assert Household.objects.get().head == resident_a


def test_list_and_export_queries_do_not_grow_with_the_page(world, django_assert_max_num_queries):
    residents = ResidentFactory.create_batch(30, clinic=world.clinic_a, community=world.community_a1)
    for r in residents[:10]:
        ResidentTag.objects.create(resident=r, kind=Tag.HYPERTENSION, source="门诊", recorded_on=date(2024, 1, 1))
    client = client_for(world.supervisor_a)
    client.get("/residents/")  # session and scope warm-up
    with django_assert_max_num_queries(16):
        client.get("/residents/")
    with django_assert_max_num_queries(16):
        client.get("/residents/export.xlsx")
