"""The residents API: masked answers, audited reads, reveal with a reason, 404 out of scope."""


from tests.familydoctor.conftest import client_for
from tests.familydoctor.test_residents import FULL_ID, FULL_PHONE
from yilian.core.models import AuditEntry


def test_list_is_masked_and_scoped(world, resident_a, resident_b):
    response = client_for(world.staff_a).get("/api/v1/residents", {"q": "zs"})
    assert response.status_code == 200
    body = response.content.decode()
    assert FULL_ID not in body and FULL_PHONE not in body
    items = response.json()["items"]
    assert [(i["name"], i["id_number_masked"], i["phone_masked"]) for i in items] == [
        ("张三", "5201**********1236", "138****5678")]
    assert client_for(world.coordinator_a).get("/api/v1/residents").json()["items"] == []


def test_detail_is_audited_and_404_out_of_scope(world, resident_a):
    response = client_for(world.staff_a).get(f"/api/v1/residents/{resident_a.pk}")
    assert response.status_code == 200 and FULL_ID not in response.content.decode()
    assert AuditEntry.objects.filter(action="read", object_id=resident_a.pk).count() == 1
    assert client_for(world.staff_b).get(f"/api/v1/residents/{resident_a.pk}").status_code == 404
    assert AuditEntry.objects.count() == 1


def test_reveal_needs_a_reason(world, resident_a):
    client = client_for(world.staff_a)
    url = f"/api/v1/residents/{resident_a.pk}/reveal"
    response = client.post(url, {"field": "phone", "reason": "ab"}, content_type="application/json")
    assert response.status_code == 422 and FULL_PHONE not in response.content.decode()
    response = client.post(url, {"field": "phone", "reason": "电话随访"}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"field": "phone", "value": FULL_PHONE}
    assert AuditEntry.objects.get(action="reveal").reason == "电话随访"
