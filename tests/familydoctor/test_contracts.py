"""Teams, contracts and the visit plan through the services: rules, bad input, idempotence, audit."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from tests.familydoctor.factories import ResidentFactory, make_care, make_id
from yilian.core.models import AuditEntry
from yilian.familydoctor import services_care as care_services
from yilian.familydoctor.models import Contract, PlannedVisit, TeamMember, VisitRecord

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _sign(care, by=None, resident=None, **kwargs):
    data = {"packages": [care.basic, care.chronic], "start": TODAY - timedelta(days=30), "consent": True,
            "consent_by": "本人"}
    data.update(kwargs)
    return care_services.contract_sign(by=by or care.nurse, resident=resident or care.elder, team=care.team,
                                       **data)[0]


def _messages(exc):
    return " ".join(exc.value.messages)


def test_team_needs_a_gp_and_is_audited(world):
    with pytest.raises(ValidationError, match="general practitioner"):
        care_services.team_create(by=world.staff_a, clinic=world.clinic_a, name="一团队",
                                  members=[{"role": "nurse", "name": "李护士"}])
    team = care_services.team_create(by=world.staff_a, clinic=world.clinic_a, name="一团队", members=[
        {"role": "gp", "name": "王医生"}, {"role": "nurse", "user": world.staff_a},
        {"role": "retired", "name": "退休的刘医生"}])
    assert sorted(team.members.values_list("role", flat=True)) == ["gp", "nurse", "retired"]
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.team").count() == 1
    with pytest.raises(Http404):
        care_services.team_create(by=world.staff_b, clinic=world.clinic_a, name="x", members=[])


def test_signing_records_history_and_audit(care):
    contract = _sign(care)
    assert contract.status == "active" and contract.clinic == care.team.clinic
    assert contract.end == date(contract.start.year + 1, contract.start.month, contract.start.day) - timedelta(1)
    assert list(contract.events.values_list("kind", flat=True)) == ["signed"]
    entry = AuditEntry.objects.get(action="create", object_type="familydoctor.contract")
    assert entry.object_id == contract.pk and care.elder.id_number not in entry.summary


@pytest.mark.parametrize(("change", "message"), [
    ({"consent": False}, "consent"),
    ({"packages": []}, "basic package"),
    ({"start": TODAY + timedelta(days=400)}, "start date"),
    ({"start": None}, "start date"),
])
def test_bad_contracts_are_refused_and_nothing_saved(care, change, message):
    with pytest.raises(ValidationError) as exc:
        _sign(care, **change)
    assert message in _messages(exc)
    assert not Contract.objects.exists() and not AuditEntry.objects.filter(object_type="familydoctor.contract")


def test_two_active_contracts_are_refused(care):
    _sign(care)
    with pytest.raises(ValidationError) as exc:
        _sign(care)
    assert "already has an active contract" in _messages(exc)
    assert Contract.objects.count() == 1


def test_a_package_of_another_clinic_is_refused(world, care):
    _team, other_basic, _chronic = make_care(world.clinic_b)
    with pytest.raises(ValidationError, match="another clinic"):
        _sign(care, packages=[other_basic])


def test_other_clinic_cannot_sign_renew_or_terminate(world, care):
    with pytest.raises(Http404):
        _sign(care, by=world.staff_b)
    contract = _sign(care)
    with pytest.raises(Http404):
        care_services.contract_terminate(by=world.staff_b, contract=contract, reason="搬家了")
    with pytest.raises(Http404):
        care_services.contract_renew(by=world.staff_b, contract=contract, consent=True)
    with pytest.raises(Http404):
        care_services.contract_read(by=world.staff_b, pk=contract.pk)


def test_household_signs_all_members_or_none(world, care):
    from yilian.familydoctor.models import Household

    household = Household.objects.create(clinic=world.clinic_a, head=care.elder)
    spouse = ResidentFactory(name="钱阿姨", id_number=make_id(date(1956, 2, 2), 312), clinic=world.clinic_a,
                             household=household)
    care.elder.household = household
    care.elder.save()
    contracts = care_services.contract_sign(by=care.nurse, resident=care.elder, team=care.team,
                                            packages=[care.basic], start=TODAY, consent=True, whole_household=True)
    assert {c.resident_id for c in contracts} == {care.elder.pk, spouse.pk}
    assert all(c.household_id == household.pk for c in contracts)


def test_renew_and_terminate_keep_a_history(world, care):
    contract = _sign(care)
    care_services.generate_visit_plan(world.clinic_a, TODAY)
    new = care_services.contract_renew(by=care.nurse, contract=contract, consent=True, reason="续签")
    contract.refresh_from_db()
    assert contract.status == "renewed" and new.previous == contract and new.start == TODAY
    with pytest.raises(ValidationError, match="active"):
        care_services.contract_renew(by=care.nurse, contract=contract, consent=True)
    assert _visit(care, new).created  # the team goes on visiting under the renewal
    with pytest.raises(ValidationError, match="no longer active"):
        _visit(care, contract)
    with pytest.raises(ValidationError, match="reason"):
        care_services.contract_terminate(by=care.nurse, contract=new, reason=" ")
    assert PlannedVisit.objects.filter(contract=new, status="planned").count() == 2  # moved, then rolled on
    ended = care_services.contract_terminate(by=care.nurse, contract=new, reason="迁出本辖区", on=new.start)
    assert not PlannedVisit.objects.filter(status="planned").exists()
    assert ended.status == "terminated" and ended.end_reason == "迁出本辖区"
    assert list(ended.events.values_list("kind", flat=True)) == ["signed", "terminated"]
    assert AuditEntry.objects.filter(object_type="familydoctor.contract", action="update",
                                     reason="迁出本辖区").exists()


# ------------------------------------------------------------------------------ plan and visits


def test_plan_is_generated_once_per_rule(world, care):
    contract = _sign(care)
    young = ResidentFactory(name="孙青年", id_number=make_id(date(1995, 1, 1), 313), clinic=world.clinic_a)
    _sign(care, resident=young, packages=[care.basic])
    created = care_services.generate_visit_plan(world.clinic_a, TODAY + timedelta(days=60))
    assert created == 2  # the elder: 65+ and hypertension; the young resident matches no rule
    assert care_services.generate_visit_plan(world.clinic_a, TODAY + timedelta(days=60)) == 0
    assert set(PlannedVisit.objects.values_list("contract_id", "rule__population")) == {
        (contract.pk, "elderly_65"), (contract.pk, "hypertension")}
    assert list(care_services.day_list(care.nurse, TODAY)) == list(PlannedVisit.objects.order_by("due", "pk"))
    assert not care_services.day_list(world.staff_b, TODAY).exists()


def _visit(care, contract, **kwargs):
    data = {"date": TODAY, "mode": "home", "systolic": 150, "diastolic": 95, "services": "血压测量"}
    data.update(kwargs)
    return care_services.visit_record(by=care.nurse, contract=contract, **data)


def test_recording_completes_the_plan_and_rolls_it_forward(world, care):
    contract = _sign(care)
    care_services.generate_visit_plan(world.clinic_a, TODAY)
    result = _visit(care, contract, client_key="k-1")
    assert result.created
    done = PlannedVisit.objects.filter(status="done")
    assert done.count() == 2 and not any(p.on_time for p in done)  # both were due weeks ago
    assert sorted(PlannedVisit.objects.filter(status="planned").values_list("due", flat=True)) == [
        TODAY + timedelta(days=7), TODAY + timedelta(days=60)]
    again = _visit(care, contract, client_key="k-1")
    assert not again.created and again.obj == result.obj and VisitRecord.objects.count() == 1
    assert AuditEntry.objects.filter(action="create", object_type="familydoctor.visitrecord").count() == 1
    assert care_services.generate_visit_plan(world.clinic_a, TODAY + timedelta(days=90)) == 0


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"systolic": 0, "diastolic": 400}, "systolic", "not plausible"),
    ({"systolic": 120, "diastolic": 400}, "diastolic", "not plausible"),
    ({"systolic": 80, "diastolic": 95}, "diastolic", "below the systolic"),
    ({"systolic": 150, "diastolic": None}, "systolic", "both"),
    ({"glucose": 80}, "glucose", "not plausible"),
    ({"date": TODAY - timedelta(days=31)}, "date", "before the contract starts"),
    ({"date": TODAY + timedelta(days=1)}, "date", "future"),
])
def test_bad_visits_are_refused_and_nothing_saved(care, change, field, message):
    contract = _sign(care)
    with pytest.raises(ValidationError) as exc:
        _visit(care, contract, **change)
    assert message in " ".join(exc.value.message_dict[field])
    assert not VisitRecord.objects.exists()


def test_only_the_team_records_visits(world, care):
    contract = _sign(care)
    with pytest.raises(Http404):
        care_services.visit_record(
            by=world.staff_b, contract=contract, date=TODAY, mode="home")
    outsider_nurse = TeamMember.objects.create(team=make_care(world.clinic_b)[0], role="nurse", user=world.doctor_a)
    with pytest.raises(Http404):
        care_services.visit_record(by=outsider_nurse.user, contract=contract, date=TODAY, mode="home")


def test_the_worker_plans_every_clinics_visits_each_night(world, care):
    from yilian.ops.tasks import plan_family_doctor_visits_nightly

    contract = _sign(care)
    assert plan_family_doctor_visits_nightly.call_local() >= 1
    assert plan_family_doctor_visits_nightly.call_local() == 0  # a second night adds nothing twice
    assert PlannedVisit.objects.filter(contract=contract, status="planned").exists()
