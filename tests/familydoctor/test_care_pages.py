"""Team, contract, visit-day and coverage pages through HTTP: messages, scope (404), audit."""

import io
from datetime import timedelta

import openpyxl
from django.utils import timezone

from tests.familydoctor.conftest import client_for
from yilian.core.models import AuditEntry
from yilian.familydoctor import services_care as care_services
from yilian.familydoctor.models import Contract, PlannedVisit, Team, VisitRecord

TODAY = timezone.localdate()


def _sign(care):
    return care_services.contract_sign(by=care.nurse, resident=care.elder, team=care.team,
                                       packages=[care.basic, care.chronic], start=TODAY - timedelta(days=7),
                                       consent=True)[0]


def test_clinic_staff_creates_a_team_and_a_package(world):
    client = client_for(world.staff_a, "en")
    response = client.post("/residents/teams/new/", {"clinic": world.clinic_a.pk, "name": "一团队", "role_0": "nurse",
                                                     "person_0": "李护士"})
    assert "general practitioner" in response.content.decode() and not Team.objects.exists()
    response = client.post("/residents/teams/new/", {"clinic": world.clinic_a.pk, "name": "一团队", "role_0": "gp",
                                                     "person_0": "王医生", "role_1": "nurse",
                                                     "user_1": world.staff_a.pk})
    assert response.status_code == 302
    response = client.post("/residents/packages/new/", {
        "clinic": world.clinic_a.pk, "name": "基础包", "kind": "basic", "services": "血压测量\n健康评估",
        "population_0": "elderly_65", "interval_0": 60})
    assert response.status_code == 302
    page = client.get("/residents/teams/").content.decode()
    assert "王医生" in page and "基础包" in page and "every 60 days" in page
    assert client_for(world.staff_b).get("/residents/teams/new/").status_code == 200  # their own clinic
    assert client_for(world.staff_b).post("/residents/teams/new/", {
        "clinic": world.clinic_a.pk, "name": "x", "role_0": "gp", "person_0": "x"}).status_code == 200
    assert Team.objects.count() == 1


def test_signing_through_the_page(world, care):
    client = client_for(world.staff_a, "en")
    url = f"/residents/{care.elder.pk}/contract/"
    form = {"team": care.team.pk, "packages": [care.basic.pk], "start": TODAY.isoformat(), "consent_by": "本人"}
    page = client.get(url).content.decode()
    assert care.basic.name in page and care.team.name in page
    response = client.post(url, form)
    assert "Record the resident&#x27;s consent" in response.content.decode() and not Contract.objects.exists()
    response = client.post(url, {**form, "consent": "on"})
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert f"/residents/contracts/{contract.pk}/" in client.get(f"/residents/{care.elder.pk}/").content.decode()
    response = client.post(url, {**form, "consent": "on"})
    assert "already has an active contract" in response.content.decode()
    assert Contract.objects.count() == 1
    assert client_for(world.staff_b).get(url).status_code == 404


def test_contract_detail_is_audited_and_out_of_scope_is_404(world, care):
    contract = _sign(care)
    url = f"/residents/contracts/{contract.pk}/"
    assert client_for(world.staff_b).get(url).status_code == 404
    assert client_for(world.supervisor_b).get(url).status_code == 404
    staff_page = client_for(world.staff_a, "en").get(url).content.decode()
    assert 'id="renew-form"' in staff_page and 'id="terminate-form"' in staff_page
    response = client_for(world.supervisor_a).get(url)
    assert 'id="renew-form"' not in response.content.decode()
    assert response.status_code == 200 and care.elder.id_number not in response.content.decode()
    assert AuditEntry.objects.filter(action="read", object_type="familydoctor.contract",
                                     user=world.supervisor_a, object_id=contract.pk).exists()
    assert "contracts" in client_for(world.staff_a).get("/residents/contracts/").content.decode()


def test_renew_and_terminate_pages(world, care):
    contract = _sign(care)
    client = client_for(world.staff_a, "en")
    assert client_for(world.staff_b).post(f"/residents/contracts/{contract.pk}/terminate/",
                                          {"reason": "搬走了"}).status_code == 404
    response = client.post(f"/residents/contracts/{contract.pk}/terminate/", {"reason": ""}, follow=True)
    assert "State the reason" in response.content.decode()
    response = client.post(f"/residents/contracts/{contract.pk}/renew/", {"consent": "on"})
    new = Contract.objects.get(status="active")
    assert response.url == f"/residents/contracts/{new.pk}/"
    client.post(f"/residents/contracts/{new.pk}/terminate/", {"reason": "迁出本辖区"})
    new.refresh_from_db()
    assert new.status == "terminated"


def test_nurse_day_list_and_recording_a_visit(world, care):
    contract = _sign(care)
    client = client_for(care.nurse, "en")
    client.post("/residents/visits/plan/")
    planned = PlannedVisit.objects.get(rule__population="hypertension")
    assert planned.due == TODAY
    page = client.get("/residents/visits/today/").content.decode()
    assert "赵老伯" in page and f"?planned={planned.pk}" in page
    assert "赵老伯" not in client_for(world.staff_b).get("/residents/visits/today/").content.decode()

    url = f"/residents/contracts/{contract.pk}/visit/?planned={planned.pk}"
    form = client.get(url).context["form"]
    key = form.initial["client_key"]
    bad = client.post(url, {"client_key": key, "date": TODAY.isoformat(), "mode": "home", "systolic": 0,
                            "diastolic": 400})
    assert "not plausible" in bad.content.decode() and not VisitRecord.objects.exists()
    data = {"client_key": key, "date": TODAY.isoformat(), "mode": "home", "systolic": 150, "diastolic": 95,
            "services": ["血压测量"], "notes": "头晕减轻"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the phone sent it twice
    assert VisitRecord.objects.count() == 1
    planned.refresh_from_db()
    assert planned.status == "done"
    day = client.get("/residents/visits/today/").content.decode()
    assert "赵老伯" not in day.split('id="day-list"')[1]
    assert client_for(world.staff_b).get(url).status_code == 404
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.visitrecord").count() == 1


def test_coverage_page_and_export(world, care):
    contract = _sign(care)
    care_services.visit_record(by=care.nurse, contract=contract, date=TODAY, mode="home", systolic=150,
                               diastolic=95)
    client = client_for(world.supervisor_city, "en")
    page = client.get("/residents/coverage/?level=district&population=elderly_65").content.decode()
    assert "甲区" in page and "100.0 %" in page and "0.0 % (0/1)" in page
    response = client.get("/residents/coverage/export.xlsx?level=clinic")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "甲社区卫生服务中心" in values


def test_roles_without_a_clinic_see_nothing_unless_they_join_a_team(world, care):
    from yilian.familydoctor.models import TeamMember

    contract = _sign(care)
    for user in (world.coordinator_a, world.doctor_a, world.staff_b, world.supervisor_b):
        assert client_for(user).get(f"/residents/contracts/{contract.pk}/").status_code == 404
        assert client_for(user).get(f"/residents/contracts/{contract.pk}/visit/").status_code == 404
    TeamMember.objects.create(team=care.team, role="specialist", user=world.doctor_a)  # a hospital specialist
    client = client_for(world.doctor_a)
    assert client.get(f"/residents/contracts/{contract.pk}/").status_code == 200
    response = client.get(f"/residents/contracts/{contract.pk}/visit/")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="read", user=world.doctor_a, object_type="familydoctor.resident",
                                     object_id=care.elder.pk).exists()
    assert client.post("/residents/visits/plan/").status_code == 404  # planning is the clinic's
