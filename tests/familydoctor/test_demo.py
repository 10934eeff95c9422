"""The family-doctor demo: valid residents, a team, contracts and a plan; safe to run twice."""

from tests.factories import InstitutionFactory, RegionFactory, UserFactory
from yilian.accounts.models import Membership
from yilian.familydoctor import services_care
from yilian.familydoctor.coverage import coverage_report
from yilian.familydoctor.demo import load_familydoctor_demo
from yilian.familydoctor.idnumber import is_valid
from yilian.familydoctor.models import Contract, PlannedVisit, Resident, VisitRecord
from yilian.network.models import Region


def test_demo_is_idempotent_and_shows_a_plan_and_coverage(db):
    district = RegionFactory(name="云岩区", level=Region.Level.DISTRICT)
    street = RegionFactory(name="新天街道", parent=district, level=Region.Level.SUBDISTRICT)
    RegionFactory(name="新天一社区", parent=street, level=Region.Level.COMMUNITY)
    clinic = InstitutionFactory(name="新天社区卫生服务中心", region=street)
    staff = UserFactory(username="xintian_staff")
    Membership.objects.create(user=staff, role=Membership.Role.CLINIC_STAFF, institution=clinic)

    first = load_familydoctor_demo()
    counts = (Resident.objects.count(), Contract.objects.count(), PlannedVisit.objects.count(),
              VisitRecord.objects.count())
    assert first["residents"] == 48 and first["contracts"] > 20 and first["planned_visits"] > 10
    assert all(is_valid(n) for n in Resident.objects.values_list("id_number", flat=True))
    load_familydoctor_demo()
    assert counts == (Resident.objects.count(), Contract.objects.count(), PlannedVisit.objects.count(),
                      VisitRecord.objects.count())
    assert services_care.day_list(staff, services_care.timezone.localdate()).exists()
    row = coverage_report(staff, level="clinic")[0]
    assert 50 < row.coverage("elderly_65") < 100 and row.hypertensive > 0
