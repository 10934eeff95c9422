"""Coverage and performance: grouped counts per community, clinic and district, lowest first."""

from datetime import date, timedelta

from django.utils import timezone

from tests.familydoctor.factories import ResidentFactory, make_id
from yilian.familydoctor import services_care as care_services
from yilian.familydoctor.coverage import coverage_report
from yilian.familydoctor.models import CoverageTarget, refresh_age_tags

TODAY = timezone.localdate()


def _elder(world, n, clinic, community):
    return ResidentFactory(name=f"老人{n}", id_number=make_id(date(TODAY.year - 80, 3, 1), 400 + n), clinic=clinic,
                           community=community)


def _setup(world, care):
    _elder(world, 1, world.clinic_a, world.community_a2)
    _elder(world, 2, world.clinic_b, world.community_b)
    refresh_age_tags()
    contract = care_services.contract_sign(by=care.nurse, resident=care.elder, team=care.team,
                                           packages=[care.basic, care.chronic], start=TODAY - timedelta(days=3),
                                           consent=True)[0]
    care_services.generate_visit_plan(world.clinic_a, TODAY)
    return contract


def test_coverage_per_clinic_community_and_district(world, care):
    contract = _setup(world, care)
    clinics = coverage_report(world.supervisor_city, level="clinic")
    assert [(r.name, r.coverage("elderly_65")) for r in clinics] == [
        ("乙社区卫生服务中心", 0.0), ("甲社区卫生服务中心", 50.0)]
    communities = {r.name: r.coverage("elderly_65") for r in coverage_report(world.supervisor_city, level="community")}
    assert communities == {"乙社区": 0.0, "甲二社区": 0.0, "甲一社区": 100.0}
    districts = coverage_report(world.supervisor_city, level="district")
    assert [(r.name, r.coverage("elderly_65")) for r in districts] == [("乙区", 0.0), ("甲区", 50.0)]
    a = districts[1]
    assert (a.hypertensive, a.controlled, a.controlled_share) == (1, 0, 0.0)  # no visit yet
    assert (a.due, a.on_time) == (0, 0)  # the first visits fall due after today

    care_services.visit_record(by=care.nurse, contract=contract, date=TODAY, mode="home", systolic=130,
                               diastolic=85)
    a = coverage_report(world.supervisor_a, level="district")[0]
    assert (a.name, a.hypertensive, a.controlled) == ("甲区", 1, 1)


def test_supervisor_sees_only_their_region_and_targets_are_configurable(world, care):
    _setup(world, care)
    assert [r.name for r in coverage_report(world.supervisor_b, level="clinic")] == ["乙社区卫生服务中心"]
    assert coverage_report(world.staff_b, level="clinic")[0].name == "乙社区卫生服务中心"
    from yilian.familydoctor.coverage import targets

    assert targets()["elderly_65"] == 85
    CoverageTarget.objects.create(population="elderly_65", percent=90)
    assert targets()["elderly_65"] == 90


def test_on_time_share_counts_planned_visits_due(world, care):
    contract = _setup(world, care)
    from yilian.familydoctor.models import PlannedVisit

    PlannedVisit.objects.create(contract=contract, team=care.team, rule=care.basic.rules.get(),
                                due=TODAY - timedelta(days=1))
    care_services.visit_record(by=care.nurse, contract=contract, date=TODAY, mode="phone")
    row = coverage_report(world.supervisor_a, level="clinic")[0]
    assert (row.due, row.on_time, row.on_time_share) == (1, 0, 0.0)


def test_clinics_in_scope_follow_the_resident_scope(world, resident_a, resident_b):
    from tests.familydoctor.factories import ResidentFactory
    from yilian.familydoctor.coverage import clinics_in_scope
    from yilian.familydoctor.models import Resident

    ResidentFactory(clinic=world.station_a)
    for user in (world.staff_a, world.staff_b, world.supervisor_a, world.supervisor_b, world.supervisor_city,
                 world.coordinator_a, world.doctor_a):
        expected = set(Resident.objects.for_user(user).values_list("clinic_id", flat=True))
        assert expected <= set(clinics_in_scope(user).values_list("pk", flat=True))
        assert not Resident.objects.exclude(pk__in=Resident.objects.for_user(user).values("pk")).filter(
            clinic__in=clinics_in_scope(user)).exists(), user
