"""Write endpoints: thin shells over the services; bad input is 422 with the field, nothing saved."""

import pytest
from django.test import Client

from tests.factories import (
    HospitalFactory,
    InstitutionFactory,
    LiaisonFactory,
    PairingFactory,
    PilotFactory,
    RegionFactory,
    user_with_role,
)
from yilian.accounts.models import ApiToken, Membership
from yilian.network.models import Institution, Liaison, Pairing, Region

pytestmark = pytest.mark.django_db


def bearer_client(user, **headers):
    _, key = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", **headers)


@pytest.fixture
def district():
    return RegionFactory(name="测试区")


@pytest.fixture
def hospital(district):
    return HospitalFactory(region=district)


@pytest.fixture
def clinic(district):
    return InstitutionFactory(region=district)


@pytest.fixture
def supervisor(district):
    return bearer_client(user_with_role(Membership.Role.SUPERVISOR, district))


def post(client, path, data, **headers):
    return client.post(path, data, content_type="application/json", **headers)


def patch(client, path, data, **headers):
    return client.patch(path, data, content_type="application/json", **headers)


def field_errors(response):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    return {e["field"]: e["message"] for e in body["errors"]}


def pairing_body(hospital, clinic, **extra):
    return {"hospital": hospital.pk, "clinic": clinic.pk, "start": "2026-01-01", "end": "2026-12-31", **extra}


def test_create_pairing(supervisor, hospital, clinic, district):
    pilot = PilotFactory(region=RegionFactory(level=Region.Level.COMMUNITY, parent=district))
    response = post(supervisor, "/api/v1/pairings", pairing_body(hospital, clinic, pilots=[pilot.pk]))
    assert response.status_code == 201, response.content
    pairing = Pairing.objects.get()
    assert (pairing.hospital, pairing.clinic, str(pairing.end)) == (hospital, clinic, "2026-12-31")
    assert list(pairing.pilots.all()) == [pilot]
    assert response.json()["id"] == pairing.pk
    assert response.json()["pilot_ids"] == [pilot.pk]
    assert pairing.history.first().history_user.memberships.get().region == district


def test_hospital_that_is_not_a_hospital(supervisor, clinic, district):
    not_a_hospital = InstitutionFactory(region=district)
    errors = field_errors(post(supervisor, "/api/v1/pairings", pairing_body(not_a_hospital, clinic)))
    assert "hospital" in errors
    assert not Pairing.objects.exists()


def test_overlapping_pairing_for_the_same_period(supervisor, hospital, clinic):
    PairingFactory(hospital=hospital, clinic=clinic)  # 2021-03-01 … 2025-12-31
    body = pairing_body(hospital, clinic, start="2025-06-01", end=None)
    errors = field_errors(post(supervisor, "/api/v1/pairings", body))
    assert "start" in errors
    assert Pairing.objects.count() == 1


def test_end_before_start(supervisor, hospital, clinic):
    body = pairing_body(hospital, clinic, start="2026-06-01", end="2026-01-01")
    errors = field_errors(post(supervisor, "/api/v1/pairings", body))
    assert list(errors) == ["end"]
    assert not Pairing.objects.exists()


def test_ids_out_of_scope_read_as_missing(supervisor, clinic):
    elsewhere = HospitalFactory()  # another district: this supervisor cannot see it
    for hospital_id in (elsewhere.pk, 999999):
        body = {**pairing_body(clinic, clinic), "hospital": hospital_id}
        errors = field_errors(post(supervisor, "/api/v1/pairings", body))
        assert list(errors) == ["hospital"]
    assert not Pairing.objects.exists()


def test_bad_pilot_id_saves_nothing(supervisor, hospital, clinic):
    errors = field_errors(post(supervisor, "/api/v1/pairings", pairing_body(hospital, clinic, pilots=[999999])))
    assert list(errors) == ["pilots"]
    assert not Pairing.objects.exists()


def test_malformed_payload_is_422_with_field(supervisor, hospital, clinic):
    errors = field_errors(post(supervisor, "/api/v1/pairings", pairing_body(hospital, clinic, start="not a date")))
    assert list(errors) == ["start"]


def test_coordinator_may_not_create_or_change_pairings(hospital, clinic):
    coordinator = bearer_client(user_with_role(Membership.Role.COORDINATOR, hospital))
    pairing = PairingFactory(hospital=hospital, clinic=clinic)
    # visible to the coordinator, but only the commission changes pairings: 404, not 403
    assert coordinator.get(f"/api/v1/pairings/{pairing.pk}").status_code == 200
    response = patch(coordinator, f"/api/v1/pairings/{pairing.pk}", {"end": "2030-12-31"})
    assert response.status_code == 404
    pairing.refresh_from_db()
    assert str(pairing.end) == "2025-12-31"


def test_update_pairing(supervisor, hospital, clinic):
    pairing = PairingFactory(hospital=hospital, clinic=clinic)
    response = patch(supervisor, f"/api/v1/pairings/{pairing.pk}", {"end": "2027-12-31", "department": "医务科"})
    assert response.status_code == 200, response.content
    pairing.refresh_from_db()
    assert (str(pairing.end), pairing.department, str(pairing.start)) == ("2027-12-31", "医务科", "2021-03-01")

    errors = field_errors(patch(supervisor, f"/api/v1/pairings/{pairing.pk}", {"end": "2020-01-01"}))
    assert list(errors) == ["end"]
    pairing.refresh_from_db()
    assert str(pairing.end) == "2027-12-31"


def test_invalid_coordinates_in_chinese_by_default_and_english_on_request(supervisor, district):
    body = {"name": "测试卫生院", "kind": "township_center", "region": district.pk, "latitude": 95, "longitude": 106.5}
    chinese = field_errors(post(supervisor, "/api/v1/institutions", body))
    english = field_errors(post(supervisor, "/api/v1/institutions", body, HTTP_ACCEPT_LANGUAGE="en"))
    assert "确保该值小于或等于" in chinese["latitude"]  # Django's own translation
    assert english["latitude"].startswith("Ensure this value is less than or equal to")
    assert not Institution.objects.filter(name="测试卫生院").exists()


def test_our_own_messages_follow_the_language(supervisor, hospital, clinic):
    body = pairing_body(hospital, clinic, start="2026-06-01", end="2026-01-01")
    chinese = field_errors(post(supervisor, "/api/v1/pairings", body))["end"]
    english = field_errors(post(supervisor, "/api/v1/pairings", body, HTTP_ACCEPT_LANGUAGE="en"))["end"]
    assert english == "The period ends before it starts."
    assert chinese  # translated once the catalogue has it; never empty


def test_create_and_update_institution(supervisor, district, hospital):
    body = {"name": "测试社区卫生服务站", "kind": "community_station", "region": district.pk, "parent": hospital.pk,
            "latitude": "26.5", "longitude": "106.7"}
    response = post(supervisor, "/api/v1/institutions", body)
    assert response.status_code == 201, response.content
    station = Institution.objects.get(name="测试社区卫生服务站")
    assert (station.parent, station.region, str(station.latitude)) == (hospital, district, "26.500000")

    response = patch(supervisor, f"/api/v1/institutions/{station.pk}", {"standard": "basic", "standard_year": 2024})
    assert response.status_code == 200, response.content
    station.refresh_from_db()
    assert (station.standard, station.standard_year) == ("basic", 2024)

    errors = field_errors(patch(supervisor, f"/api/v1/institutions/{station.pk}", {"standard_year": None}))
    assert list(errors) == ["standard_year"]


def test_institution_of_another_region_cannot_be_changed(supervisor):
    elsewhere = InstitutionFactory()
    response = patch(supervisor, f"/api/v1/institutions/{elsewhere.pk}", {"phone": "110"})
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.phone == ""


def test_liaison_create_update_delete(hospital, district):
    client = bearer_client(user_with_role(Membership.Role.COORDINATOR, hospital))
    response = post(client, "/api/v1/liaisons", {"hospital": hospital.pk, "name": "王医生", "phone": "0851-1234567"})
    assert response.status_code == 201, response.content
    liaison = Liaison.objects.get()
    assert (liaison.hospital, liaison.name) == (hospital, "王医生")

    assert patch(client, f"/api/v1/liaisons/{liaison.pk}", {"department": "医务科"}).status_code == 200
    liaison.refresh_from_db()
    assert liaison.department == "医务科"

    assert client.delete(f"/api/v1/liaisons/{liaison.pk}").status_code == 204
    assert not Liaison.objects.exists()


def test_liaison_of_another_hospital_is_404(hospital):
    client = bearer_client(user_with_role(Membership.Role.COORDINATOR, hospital))
    other = LiaisonFactory()
    assert client.delete(f"/api/v1/liaisons/{other.pk}").status_code == 404
    assert patch(client, f"/api/v1/liaisons/{other.pk}", {"name": "x"}).status_code == 404
    errors = field_errors(post(client, "/api/v1/liaisons", {"hospital": other.hospital_id, "name": "x", "phone": "1"}))
    assert list(errors) == ["hospital"]
    assert Liaison.objects.count() == 1
