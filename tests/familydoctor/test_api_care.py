"""The contracts and visits API: scoped, paginated, filtered, masked, audited; recording a visit is
idempotent and bad input is a translated 422 with nothing saved."""

from datetime import date, timedelta

import pytest

from tests.familydoctor.conftest import client_for
from yilian.core.models import AuditEntry
from yilian.familydoctor import services_care
from yilian.familydoctor.models_care import PlannedVisit, VisitRecord

TODAY = date.today()


@pytest.fixture
def signed(world, care):
    """赵老伯 (70, hypertensive) signed 30 days ago to the team, with the plan generated."""
    contract = services_care.contract_sign(by=world.staff_a, resident=care.elder, team=care.team,
                                           packages=[care.basic, care.chronic], start=TODAY - timedelta(days=30),
                                           consent=True, consent_by="本人")[0]
    services_care.generate_visit_plan(world.clinic_a, until=TODAY + timedelta(days=60))
    return contract


def _reads(object_type):
    return AuditEntry.objects.filter(action="read", object_type=object_type).count()


def test_contract_list_is_masked_scoped_filtered_and_audited(world, care, signed):
    response = client_for(world.staff_a).get("/api/v1/contracts")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and care.elder.id_number not in response.content.decode()
    item = body["items"][0]
    assert (item["id"], item["resident"], item["team"], item["status"]) == (signed.pk, care.elder.pk, care.team.pk,
                                                                            "active")
    assert item["resident_id_number_masked"] == care.elder.masked_id and "*" in item["resident_phone_masked"]
    assert {p["id"] for p in item["packages"]} == {care.basic.pk, care.chronic.pk}
    assert _reads("familydoctor.contract") == 1  # one row returned, one read written
    assert client_for(world.supervisor_a).get("/api/v1/contracts").json()["count"] == 1
    for user in (world.staff_b, world.supervisor_b, world.coordinator_a):
        assert client_for(user).get("/api/v1/contracts").json() == {"items": [], "count": 0}
    client = client_for(world.staff_a)
    assert client.get("/api/v1/contracts", {"status": "terminated"}).json()["count"] == 0
    assert client.get("/api/v1/contracts", {"team": care.team.pk, "resident": care.elder.pk}).json()["count"] == 1
    assert client.get("/api/v1/contracts", {"resident": care.elder.pk + 999}).json()["count"] == 0
    assert client.get("/api/v1/contracts", {"status": "nonsense"}).status_code == 422


def test_contract_detail_has_the_history_and_is_audited(world, care, signed):
    response = client_for(world.staff_a).get(f"/api/v1/contracts/{signed.pk}")
    assert response.status_code == 200
    assert [e["kind"] for e in response.json()["events"]] == ["signed"]
    assert _reads("familydoctor.contract") == 1
    assert client_for(world.staff_b).get(f"/api/v1/contracts/{signed.pk}").status_code == 404
    assert _reads("familydoctor.contract") == 1


def test_planned_visits_filter_by_due_range_and_status(world, care, signed):
    client = client_for(care.nurse)
    items = client.get("/api/v1/planned-visits").json()["items"]
    assert items and all(i["contract"] == signed.pk and i["status"] == "planned" for i in items)
    first_due = min(date.fromisoformat(i["due"]) for i in items)
    window = client.get("/api/v1/planned-visits", {"due_from": first_due.isoformat(),
                                                   "due_to": first_due.isoformat()}).json()
    assert window["count"] == sum(1 for i in items if i["due"] == first_due.isoformat())
    assert client.get("/api/v1/planned-visits", {"status": "done"}).json()["count"] == 0
    assert client.get("/api/v1/planned-visits", {"due_from": "0"}).status_code == 422
    assert _reads("familydoctor.plannedvisit") == len(items) + window["count"]
    assert client_for(world.staff_b).get("/api/v1/planned-visits").json()["count"] == 0


def _visit(**overrides):
    return {"contract": overrides.pop("contract"), "date": TODAY.isoformat(), "mode": "home", "systolic": 132,
            "diastolic": 84, "glucose": 6.1, "services": "血压测量", "notes": "", **overrides}


def test_recording_a_visit_is_idempotent(world, care, signed):
    client = client_for(care.nurse)
    headers = {"HTTP_IDEMPOTENCY_KEY": "visit-1"}
    first = client.post("/api/v1/visits", _visit(contract=signed.pk), content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    visit = VisitRecord.objects.get()
    assert first.json()["id"] == visit.pk and first.json()["glucose"] == 6.1
    assert care.elder.id_number not in first.content.decode()
    again = client.post("/api/v1/visits", _visit(contract=signed.pk), content_type="application/json", **headers)
    assert again.status_code == 201 and again.json() == first.json()  # the stored answer, replayed
    other = client.post("/api/v1/visits", _visit(contract=signed.pk, notes="changed"),
                        content_type="application/json", **headers)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    keyed = _visit(contract=signed.pk, client_key="phone-42", date=(TODAY - timedelta(days=1)).isoformat())
    created = client.post("/api/v1/visits", keyed, content_type="application/json")
    replay = client.post("/api/v1/visits", keyed, content_type="application/json")
    assert (created.status_code, replay.status_code) == (201, 200) and created.json()["id"] == replay.json()["id"]
    assert VisitRecord.objects.count() == 2
    assert PlannedVisit.objects.filter(status="done", record=visit).exists()
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.visitrecord").count() == 2


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"systolic": 0, "diastolic": 400}, "systolic", "收缩压 0 mmHg 超出合理范围"),
    ({"date": (TODAY - timedelta(days=40)).isoformat()}, "date", "随访日期早于签约开始日期"),
    ({"systolic": 120, "diastolic": None}, "systolic", "收缩压和舒张压须同时填写"),
    ({"date": (TODAY + timedelta(days=1)).isoformat()}, "date", "日期不能晚于今天"),
    ({"contract": 2**62}, "contract", "请选择有效的选项"),
    ({"mode": "fax"}, "mode", ""),
])
def test_bad_visits_are_a_translated_422_and_nothing_is_saved(world, care, signed, change, field, words):
    payload = _visit(contract=signed.pk) | change
    response = client_for(care.nurse).post("/api/v1/visits", payload, content_type="application/json",
                                           HTTP_IDEMPOTENCY_KEY=f"bad-{field}")
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert not VisitRecord.objects.exists()
    assert not AuditEntry.objects.filter(object_type="familydoctor.visitrecord").exists()


def test_only_the_team_records_visits(world, care, signed):
    payload = _visit(contract=signed.pk)
    assert client_for(world.supervisor_a).post("/api/v1/visits", payload,
                                               content_type="application/json").status_code == 404
    assert client_for(world.staff_b).post("/api/v1/visits", payload,
                                          content_type="application/json").status_code == 422  # not in scope
    assert not VisitRecord.objects.exists()


def test_visit_list_and_detail_are_scoped_filtered_and_audited(world, care, signed):
    client = client_for(care.nurse)
    for days in (0, 10):
        payload = _visit(contract=signed.pk, date=(TODAY - timedelta(days=days)).isoformat())
        assert client.post("/api/v1/visits", payload, content_type="application/json").status_code == 201
    reads = _reads("familydoctor.visitrecord")
    listed = client.get("/api/v1/visits", {"resident": care.elder.pk}).json()
    assert listed["count"] == 2 and listed["items"][0]["date"] == TODAY.isoformat()  # latest first
    since = (TODAY - timedelta(days=5)).isoformat()
    assert client.get("/api/v1/visits", {"date_from": since}).json()["count"] == 1
    assert client.get("/api/v1/visits", {"date_to": since, "team": care.team.pk}).json()["count"] == 1
    assert _reads("familydoctor.visitrecord") == reads + 4
    pk = listed["items"][0]["id"]
    detail = client_for(world.supervisor_a).get(f"/api/v1/visits/{pk}")
    assert detail.status_code == 200 and detail.json()["resident_id_number_masked"] == care.elder.masked_id
    assert _reads("familydoctor.visitrecord") == reads + 5
    assert client_for(world.staff_b).get(f"/api/v1/visits/{pk}").status_code == 404
    assert client_for(world.supervisor_b).get("/api/v1/visits").json()["count"] == 0
