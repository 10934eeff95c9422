"""受援单位日常考核 / 支援单位平时督查: the clinic confirms or disputes visits; the hospital and the region
watch them; nobody else sees them (404)."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import HospitalFactory, InstitutionFactory, PairingFactory, RegionFactory, user_with_role
from tests.support.factories import VisitFactory, WorkItemFactory, clinic_staff_of, doctor_with_login
from yilian.accounts.models import Membership
from yilian.support.models import Visit


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def district(db):
    return RegionFactory(name="甲区")


@pytest.fixture
def pairing(district):
    return PairingFactory(hospital=HospitalFactory(region=district), clinic=InstitutionFactory(region=district),
                          end=None)


@pytest.fixture
def doctor(pairing):
    return doctor_with_login(hospital=pairing.hospital, name="王医生")


@pytest.fixture
def visit(pairing, doctor):
    visit = VisitFactory(pairing=pairing, doctor=doctor, date=date(2026, 11, 20))
    WorkItemFactory(visit=visit, count=12)
    return visit


@pytest.fixture
def staff(pairing):
    return clinic_staff_of(pairing.clinic)


def _review(user, visit, decision, comment=""):
    return _client(user).post(f"/support/visits/{visit.pk}/review/", {"decision": decision, "comment": comment})


def test_clinic_staff_confirm_a_visit(staff, visit):
    page = _client(staff).get(f"/support/visits/{visit.pk}/").content.decode()
    assert 'id="review-form"' in page
    assert _review(staff, visit, "confirmed").status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CONFIRMED
    assert visit.confirmed_by == staff and visit.confirmed_at is not None
    assert visit.history.latest().history_user == staff


def test_a_dispute_needs_a_comment(staff, visit):
    response = _review(staff, visit, "disputed")
    assert response.status_code == 200
    assert response.context["review_form"].errors["comment"]
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_OUT
    _review(staff, visit, "disputed", "下午未到岗")
    visit.refresh_from_db()
    assert (visit.status, visit.clinic_comment) == (Visit.Status.DISPUTED, "下午未到岗")
    # after the doctor explains, the clinic may still confirm
    _review(staff, visit, "confirmed")
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CONFIRMED


def test_a_confirmed_visit_is_not_reviewed_again(staff, visit):
    _review(staff, visit, "confirmed")
    response = _client(staff).post(f"/support/visits/{visit.pk}/review/", {"decision": "disputed", "comment": "改"},
                                   follow=True)
    assert "already confirmed" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CONFIRMED


def test_an_open_visit_of_today_waits_for_check_out(staff, pairing, doctor):
    today = timezone.localdate()
    visit = VisitFactory(pairing=pairing, doctor=doctor, date=today, check_out_at=None,
                         check_in_at=timezone.now() - timedelta(hours=1), status=Visit.Status.CHECKED_IN)
    response = _client(staff).post(f"/support/visits/{visit.pk}/review/", {"decision": "confirmed"}, follow=True)
    assert "after check-out" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_IN


def test_a_doctor_cannot_confirm_their_own_visit(doctor, visit):
    assert _review(doctor.user, visit, "confirmed").status_code == 404
    page = _client(doctor.user).get(f"/support/visits/{visit.pk}/").content.decode()
    assert 'id="review-form"' not in page
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_OUT


def test_a_doctor_who_is_also_clinic_staff_still_cannot(doctor, visit, pairing):
    Membership.objects.create(user=doctor.user, role=Membership.Role.CLINIC_STAFF, institution=pairing.clinic)
    response = _client(doctor.user).post(f"/support/visits/{visit.pk}/review/", {"decision": "confirmed"},
                                         follow=True)
    assert "You cannot confirm your own visit." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_OUT


def test_staff_of_another_clinic_get_404(visit, district):
    outsider = clinic_staff_of(InstitutionFactory(region=district))
    client = _client(outsider)
    assert client.get(f"/support/visits/{visit.pk}/").status_code == 404
    assert _review(outsider, visit, "confirmed").status_code == 404
    assert client.get(f"/support/pairings/{visit.pairing_id}/ledger/").status_code == 404
    assert f'data-visit="{visit.pk}"' not in client.get("/support/visits/").content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_OUT


def test_the_hospital_watches_but_does_not_confirm(visit, pairing):
    coordinator = user_with_role(Membership.Role.COORDINATOR, pairing.hospital)
    client = _client(coordinator)
    assert f'data-visit="{visit.pk}"' in client.get("/support/visits/").content.decode()
    assert client.get(f"/support/visits/{visit.pk}/").status_code == 200
    assert _review(coordinator, visit, "confirmed").status_code == 404
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_OUT


def test_a_supervisor_sees_the_region_and_not_beyond(visit, district):
    inside = user_with_role(Membership.Role.SUPERVISOR, district)
    outside = user_with_role(Membership.Role.SUPERVISOR, RegionFactory(name="乙区"))
    assert f'data-visit="{visit.pk}"' in _client(inside).get("/support/visits/").content.decode()
    assert f'data-visit="{visit.pk}"' not in _client(outside).get("/support/visits/").content.decode()
    assert _client(outside).get(f"/support/visits/{visit.pk}/").status_code == 404


def test_the_clinic_filters_its_visits_by_month_and_status(staff, pairing, doctor, visit):
    october = VisitFactory(pairing=pairing, doctor=doctor, date=date(2026, 10, 14))
    confirmed = VisitFactory(pairing=pairing, doctor=doctor, date=date(2026, 11, 3), status=Visit.Status.CONFIRMED)
    client = _client(staff)

    def listed(query):
        return {v.pk for v in client.get(f"/support/visits/?{query}").context["page"]}

    assert listed("") == {visit.pk, october.pk, confirmed.pk}
    assert listed("month=2026-11") == {visit.pk, confirmed.pk}
    assert listed("month=2026-11&status=checked_out") == {visit.pk}
    assert listed("month=2026-13") == {visit.pk, october.pk, confirmed.pk}  # a bad month is ignored
    page = client.get("/support/visits/").content.decode()
    assert "2 visits to review" in page
