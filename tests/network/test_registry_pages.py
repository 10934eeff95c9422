"""Registry pages: bad input is refused with a message naming the field and nothing is saved;
every change is in the object's history; the responsibility table filters and scopes."""

import io
from datetime import date

import openpyxl
import pytest
from django.test import Client

from tests.factories import HospitalFactory, InstitutionFactory, PairingFactory, RegionFactory, user_with_role
from yilian.accounts.demo_users import create_demo_users
from yilian.accounts.models import Membership
from yilian.network.models import Institution, Pairing, Region


@pytest.fixture
def district(db):
    return RegionFactory(name="甲区")


@pytest.fixture
def supervisor(district):
    return user_with_role(Membership.Role.SUPERVISOR, district)


def _client(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _institution_form(district, **overrides):
    data = {"name": "新建社区卫生服务中心", "kind": Institution.Kind.COMMUNITY_CENTER, "region": district.pk,
            "latitude": "26.6", "longitude": "106.7", "standard": Institution.Standard.NONE}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_supervisor_creates_an_institution_and_history_shows_who(supervisor, district):
    client = _client(supervisor)
    response = client.post("/institutions/new/", _institution_form(district))
    assert response.status_code == 302
    institution = Institution.objects.get(name="新建社区卫生服务中心")
    client.post(f"/institutions/{institution.pk}/edit/", _institution_form(district, population_served="45000"))
    institution.refresh_from_db()
    assert institution.population_served == 45000
    record = institution.history.latest()
    assert record.history_user == supervisor
    page = client.get(f"/institutions/{institution.pk}/").content.decode()
    assert 'id="history"' in page
    assert supervisor.username in page
    assert "45000" in page


@pytest.mark.parametrize(("overrides", "field"), [
    ({"latitude": "95"}, "latitude"),
    ({"longitude": "200"}, "longitude"),
    ({"latitude": "26.6", "longitude": None}, "longitude"),
    ({"standard": Institution.Standard.BASIC}, "standard_year"),
])
def test_invalid_institution_is_refused_and_nothing_saved(supervisor, district, overrides, field):
    response = _client(supervisor).post("/institutions/new/", _institution_form(district, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not Institution.objects.filter(name="新建社区卫生服务中心").exists()


def test_error_messages_follow_the_users_language(supervisor, district):
    bad = _institution_form(district, latitude="95")
    zh = _client(supervisor, "zh-hans").post("/institutions/new/", bad).context["form"].errors["latitude"][0]
    en = _client(supervisor, "en").post("/institutions/new/", bad).context["form"].errors["latitude"][0]
    assert "54" in zh and "54" in en
    assert zh != en


@pytest.fixture
def pairing_parts(district):
    street = RegionFactory(name="甲街道", parent=district, level=Region.Level.SUBDISTRICT)
    return HospitalFactory(region=district), InstitutionFactory(region=street)


def _pairing_form(hospital, clinic, **overrides):
    data = {"hospital": hospital.pk, "clinic": clinic.pk, "start": "2026-01-01", "end": "2026-12-31"}
    data.update(overrides)
    return data


def test_supervisor_creates_a_pairing(supervisor, pairing_parts):
    hospital, clinic = pairing_parts
    response = _client(supervisor).post("/pairings/new/", _pairing_form(hospital, clinic))
    assert response.status_code == 302
    assert Pairing.objects.get().history.latest().history_user == supervisor


@pytest.mark.parametrize("case", ["not_a_hospital", "duplicate_period", "ends_before_start"])
def test_bad_pairings_are_refused(supervisor, pairing_parts, district, case):
    hospital, clinic = pairing_parts
    if case == "not_a_hospital":
        other_clinic = InstitutionFactory(region=district)
        data, field = _pairing_form(other_clinic, clinic), "hospital"
    elif case == "duplicate_period":
        PairingFactory(hospital=hospital, clinic=clinic, start=date(2025, 6, 1), end=None)
        data, field = _pairing_form(hospital, clinic), None
    else:
        data, field = _pairing_form(hospital, clinic, start="2026-12-31", end="2026-01-01"), "end"
    before = Pairing.objects.count()
    response = _client(supervisor).post("/pairings/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors.get(field) if field else errors, errors
    assert Pairing.objects.count() == before


def _workbook(headers, rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "institutions.xlsx"
    return out


def test_import_previews_then_saves_all_rows(supervisor, district):
    client = _client(supervisor)
    rows = [["一号社区卫生服务中心", "社区卫生服务中心", "甲区", 26.6, 106.7],
            ["二号卫生服务站", "community_station", "甲区", 26.61, 106.71]]
    upload = _workbook(["名称", "类别", "所在区域", "纬度", "经度"], rows)
    preview = client.post("/institutions/import/", {"file": upload})
    assert preview.status_code == 200
    token = preview.context["token"]
    assert not Institution.objects.filter(name__in=["一号社区卫生服务中心", "二号卫生服务站"]).exists()
    assert client.post("/institutions/import/", {"token": token}).status_code == 302
    assert Institution.objects.filter(name__in=["一号社区卫生服务中心", "二号卫生服务站"]).count() == 2


@pytest.mark.parametrize(("headers", "rows", "expected"), [
    (["名称", "类型", "所在区域"], [["x", "社区卫生服务中心", "甲区"]], "类型"),
    (["名称", "类别", "所在区域", "纬度", "经度"], [["好", "社区卫生服务中心", "甲区", 26, 106],
                                             ["坏", "社区卫生服务中心", "甲区", 95, 106]], "3"),
    (["名称", "类别", "所在区域"], [["外区的", "社区卫生服务中心", "乙区"]], "乙区"),
])
def test_import_with_errors_names_column_and_row_and_saves_nothing(supervisor, district, headers, rows, expected):
    RegionFactory(name="乙区")  # exists, but outside the supervisor's region
    before = Institution.objects.count()
    response = _client(supervisor).post("/institutions/import/", {"file": _workbook(headers, rows)})
    report = response.context["report"]
    assert report.errors
    assert any(expected in error for error in report.errors), report.errors
    assert "token" not in response.context
    assert Institution.objects.count() == before


def test_coordinator_table_shows_only_their_pairings(guiyang):
    create_demo_users()
    from django.contrib.auth import get_user_model

    coordinator = get_user_model().objects.get(username="sy1_coordinator")
    client = _client(coordinator)
    page = client.get("/responsibility/")
    pilots = {row.pilot.name for block in page.context["blocks"] for row in block.rows}
    assert pilots == {"乌当区新光路街道新光社区", "乌当区观溪路街道金江苑社区", "乌当区龙广路街道新云社区",
                      "乌当区高新路街道春天社区"}
    hospitals = {h.short_name for block in page.context["blocks"] for row in block.rows for h in row.hospitals}
    assert hospitals == {"市一医"}


def test_supervisor_filters_table_by_district_and_hospital(guiyang):
    create_demo_users()
    from django.contrib.auth import get_user_model

    client = _client(get_user_model().objects.get(username="gy_supervisor"))
    baiyun = Region.objects.get(name="白云区")
    by_district = client.get(f"/responsibility/?district={baiyun.pk}").context["blocks"]
    assert [b.name for b in by_district] == ["白云区"]
    assert len(by_district[0].rows) == 5
    sy2 = Institution.objects.get(short_name="市二医")
    by_hospital = client.get(f"/responsibility/?hospital={sy2.pk}").context["blocks"]
    assert {b.name for b in by_hospital} == {"白云区", "观山湖区"}
    assert sum(len(b.rows) for b in by_hospital) == 5
    htmx = client.get(f"/responsibility/?district={baiyun.pk}", HTTP_HX_REQUEST="true")
    assert "<html" not in htmx.content.decode()


def test_unpaired_pilot_is_shown_as_unpaired(guiyang):
    create_demo_users()
    from django.contrib.auth import get_user_model

    Pairing.objects.filter(hospital__short_name="省妇幼保健院").update(end=date(2022, 1, 1))
    client = _client(get_user_model().objects.get(username="gy_supervisor"))
    blocks = client.get("/responsibility/?unpaired=1").context["blocks"]
    assert [row.pilot.name for b in blocks for row in b.rows] == ["云岩区盐务街街道金仓社区"]


def test_supervisor_adds_a_pilot_community(supervisor, district):
    street = RegionFactory(name="甲街道", parent=district, level=Region.Level.SUBDISTRICT)
    community = RegionFactory(name="甲社区", parent=street, level=Region.Level.COMMUNITY)
    clinic = InstitutionFactory(region=street)
    data = {"name": "甲区甲街道甲社区", "programme": "三感社区", "region": community.pk, "year_entered": "2022",
            "status": "building", "serving_institutions": [clinic.pk]}
    response = _client(supervisor).post("/pilots/new/", data)
    assert response.status_code == 302
    from yilian.network.models import PilotCommunity

    pilot = PilotCommunity.objects.get(name="甲区甲街道甲社区")
    assert list(pilot.serving_institutions.all()) == [clinic]
    bad = _client(supervisor).post("/pilots/new/", {**data, "name": "另一个", "year_entered": "1800"})
    assert bad.context["form"].errors.get("year_entered")
    assert not PilotCommunity.objects.filter(name="另一个").exists()


def test_language_switch_turns_the_ui_to_english_and_back(supervisor):
    client = _client(supervisor)
    assert 'lang="zh-hans"' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Responsibility table" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-hans"' in client.get("/").content.decode()


def test_demo_alliances_group_each_hospital_with_the_clinics_it_supports(guiyang):
    from yilian.network.models import Alliance

    alliance = Alliance.objects.get(name="市一医医联体")
    assert alliance.kind == Alliance.Kind.URBAN_GROUP
    members = {m.name for m in alliance.members.all()}
    assert members == {"新天社区卫生服务中心", "龙广社区卫生服务中心", "高新社区卫生服务中心"}
    assert Alliance.objects.get(name="开阳县人民医院医联体").kind == Alliance.Kind.COUNTY_COMMUNITY


def test_history_of_a_pairing_shows_pilot_changes_readably(supervisor, pairing_parts, district):
    from tests.factories import PilotFactory

    hospital, clinic = pairing_parts
    client = _client(supervisor)
    client.post("/pairings/new/", _pairing_form(hospital, clinic))
    pairing = Pairing.objects.get()
    pilot = PilotFactory(region=RegionFactory(name="甲社区", parent=district, level=Region.Level.COMMUNITY))
    pilot.serving_institutions.add(clinic)
    response = client.post(f"/pairings/{pairing.pk}/edit/", {**_pairing_form(hospital, clinic), "pilots": [pilot.pk]})
    assert response.status_code == 302
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "{&#x27;pairing&#x27;" not in page and "{'pairing'" not in page
    history = page[page.index('id="history"'):]
    assert "→ 1</li>" in history, history[:1500]


def test_liaison_changes_are_visible_on_its_edit_page(supervisor, district):
    from tests.factories import LiaisonFactory

    liaison = LiaisonFactory(hospital=HospitalFactory(region=district), name="王联络")
    client = _client(supervisor)
    data = {"hospital": liaison.hospital_id, "name": "王联络", "department": "医务科", "phone": "0851-1234567"}
    assert client.post(f"/liaisons/{liaison.pk}/edit/", data).status_code == 302
    page = client.get(f"/liaisons/{liaison.pk}/edit/").content.decode()
    history = page[page.index('id="history"'):]
    assert supervisor.username in history and "医务科" in history
