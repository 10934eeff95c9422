"""Read endpoints: everything through the user's scope; out of scope is 404."""

import pytest
from django.test import Client

from tests.factories import (
    HospitalFactory,
    InstitutionFactory,
    PairingFactory,
    RegionFactory,
    user_with_role,
)
from yilian.accounts.models import ApiToken, Membership
from yilian.network.models import Institution, Pairing, Region


def bearer_client(user):
    _, key = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def coordinator_of(name):
    return bearer_client(user_with_role(Membership.Role.COORDINATOR, Institution.objects.get(name=name)))


def all_items(client, path):
    body = client.get(path + ("&" if "?" in path else "?") + "limit=200").json()
    assert body["count"] == len(body["items"])
    return body["items"]


def test_coordinator_sees_own_pairings_only(guiyang):
    sy1 = Institution.objects.get(name="贵阳市第一人民医院")
    client = coordinator_of(sy1.name)

    pairings = all_items(client, "/api/v1/pairings")
    expected = set(Pairing.objects.filter(hospital=sy1).values_list("pk", flat=True))
    assert expected  # the demo pairs 市一医 with clinics of 乌当区
    assert {p["id"] for p in pairings} == expected
    assert {p["hospital_name"] for p in pairings} == {"贵阳市第一人民医院"}


def test_out_of_scope_detail_is_404_not_403(guiyang):
    client = coordinator_of("贵阳市第一人民医院")
    other = Pairing.objects.filter(hospital__name="贵阳市第二人民医院").first()
    own = Pairing.objects.filter(hospital__name="贵阳市第一人民医院").first()

    assert client.get(f"/api/v1/pairings/{own.pk}").status_code == 200
    response = client.get(f"/api/v1/pairings/{other.pk}")
    assert response.status_code == 404
    assert response.json()["detail"]
    assert client.get("/api/v1/pairings/999999").status_code == 404
    assert client.get("/api/v1/pairings/abc").json() == response.json()  # JSON, not the HTML 404 page
    assert client.get(f"/api/v1/institutions/{other.clinic_id}").status_code == 404


def test_pairing_detail_lists_pilots(guiyang):
    client = coordinator_of("贵阳市第一人民医院")
    pairing = Pairing.objects.filter(hospital__name="贵阳市第一人民医院", clinic__name="新天社区卫生服务中心").get()
    body = client.get(f"/api/v1/pairings/{pairing.pk}").json()
    assert sorted(body["pilot_ids"]) == sorted(pairing.pilots.values_list("pk", flat=True))
    assert len(body["pilot_ids"]) == 2  # 新光社区 and 金江苑社区 are both served by 新天


def test_pairing_filters(guiyang):
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, Region.objects.get(name="贵阳市")))
    wudang = Region.objects.get(name="乌当区")
    in_wudang = all_items(client, f"/api/v1/pairings?district={wudang.pk}")
    assert in_wudang
    assert set(p["id"] for p in in_wudang) == set(
        Pairing.objects.filter(clinic__region__path__startswith=wudang.path).values_list("pk", flat=True)
    )
    assert all_items(client, "/api/v1/pairings?active_on=2020-01-01") == []  # before the programme began
    assert len(all_items(client, "/api/v1/pairings?active_on=2023-06-01")) == Pairing.objects.count()
    sy1 = Institution.objects.get(name="贵阳市第一人民医院")
    assert {p["hospital_id"] for p in all_items(client, f"/api/v1/pairings?hospital={sy1.pk}")} == {sy1.pk}


def test_district_supervisor_does_not_see_other_districts(guiyang):
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, Region.objects.get(name="乌当区")))
    baiyun = Region.objects.get(name="白云区")
    assert all_items(client, f"/api/v1/institutions?region={baiyun.pk}") == []
    assert client.get(f"/api/v1/regions/{baiyun.pk}").status_code == 404


@pytest.mark.django_db
def test_institution_search_and_filters():
    district = RegionFactory(name="甲区")
    community = RegionFactory(name="乙社区", level=Region.Level.COMMUNITY, parent=district)
    centre = InstitutionFactory(name="新天社区卫生服务中心", short_name="新天", region=community)
    hospital = HospitalFactory(name="甲区人民医院", region=district)
    InstitutionFactory(region=RegionFactory())  # another district, out of scope
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, district))

    assert [i["id"] for i in all_items(client, "/api/v1/institutions?q=新天")] == [centre.pk]
    assert [i["id"] for i in all_items(client, "/api/v1/institutions?kind=secondary_hospital")] == [hospital.pk]
    in_district = {i["id"] for i in all_items(client, f"/api/v1/institutions?region={district.pk}")}
    assert in_district == {centre.pk, hospital.pk}  # the subtree, nothing else
    assert [i["id"] for i in all_items(client, f"/api/v1/institutions?region={community.pk}")] == [centre.pk]


@pytest.mark.django_db
def test_regions_filter_by_level_and_parent():
    district = RegionFactory(name="丙区")
    sub = RegionFactory(name="丁街道", level=Region.Level.SUBDISTRICT, parent=district)
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, district))
    assert [r["id"] for r in all_items(client, f"/api/v1/regions?parent={district.pk}")] == [sub.pk]
    assert [r["id"] for r in all_items(client, "/api/v1/regions?level=district")] == [district.pk]


@pytest.mark.django_db
def test_liaisons_filtered_by_hospital_and_scope():
    from tests.factories import LiaisonFactory

    district = RegionFactory()
    own = LiaisonFactory(hospital=HospitalFactory(region=district))
    LiaisonFactory(hospital=HospitalFactory(region=district))
    other = LiaisonFactory()  # a hospital of another district
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, district))
    assert len(all_items(client, "/api/v1/liaisons")) == 2
    assert [x["id"] for x in all_items(client, f"/api/v1/liaisons?hospital={own.hospital_id}")] == [own.pk]
    assert client.get(f"/api/v1/liaisons/{other.pk}").status_code == 404


@pytest.mark.django_db
def test_page_size_is_capped():
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, RegionFactory()))
    response = client.get("/api/v1/institutions", {"limit": 1000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_list_queries_do_not_grow_with_rows(guiyang, django_assert_max_num_queries):
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, Region.objects.get(name="贵阳市")))
    assert Pairing.objects.count() > 30
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/pairings", {"limit": 200}).json()["items"]) == Pairing.objects.count()


@pytest.mark.django_db
def test_pilots_and_alliances_respect_scope():
    from tests.factories import PilotFactory
    from yilian.network.models import Alliance

    district = RegionFactory()
    clinic = InstitutionFactory(region=district)
    pilot = PilotFactory(region=RegionFactory(level=Region.Level.COMMUNITY, parent=district))
    pilot.serving_institutions.add(clinic, InstitutionFactory())  # the second one is out of scope
    alliance = Alliance.objects.create(name="测试医联体", kind="urban_group", lead=HospitalFactory(region=district))
    alliance.members.add(clinic)
    PairingFactory()  # elsewhere
    client = bearer_client(user_with_role(Membership.Role.SUPERVISOR, district))

    assert [p["id"] for p in all_items(client, f"/api/v1/pilots?district={district.pk}")] == [pilot.pk]
    assert client.get(f"/api/v1/pilots/{pilot.pk}").json()["serving_institution_ids"] == [clinic.pk]
    assert client.get(f"/api/v1/alliances/{alliance.pk}").json()["member_ids"] == [clinic.pk]
    assert [a["id"] for a in all_items(client, "/api/v1/alliances")] == [alliance.pk]
