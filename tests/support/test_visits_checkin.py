"""The doctor's day through HTTP: check-in, check-out and the work log; every rule refuses with a clear
message and saves nothing; a retried form (same client_key) is recorded once."""

import uuid
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import PairingFactory, UserFactory
from tests.support.factories import (
    AgreementFactory,
    AssignmentFactory,
    VisitFactory,
    WorkItemFactory,
    doctor_with_login,
)
from yilian.support.models import Title, Visit, WorkItem


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _key():
    return uuid.uuid4().hex


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def agreement(db, today):
    return AgreementFactory(start=today - timedelta(days=60), end=today + timedelta(days=300))


@pytest.fixture
def doctor(agreement):
    return doctor_with_login(hospital=agreement.pairing.hospital, name="李医生")


@pytest.fixture
def assignment(agreement, doctor, today):
    return AssignmentFactory(agreement=agreement, doctor=doctor, date=today)


@pytest.fixture
def client(doctor):
    return _client(doctor.user)


def _check_in(client, target, **extra):
    data = {"target": target, "latitude": "26.601234", "longitude": "106.712345", "client_key": _key()}
    data.update(extra)
    return client.post("/support/today/check-in/", data)


def _errors(response):
    return response.content.decode()


# ------------------------------------------------------------------------------- check-in


def test_doctor_checks_in_on_the_planned_day(client, assignment, doctor):
    page = client.get("/support/today/")
    assert page.status_code == 200
    assert f'value="a{assignment.pk}"' in page.content.decode()
    response = _check_in(client, f"a{assignment.pk}")
    assert response.status_code == 302
    visit = Visit.objects.get(doctor=doctor)
    assert visit.assignment == assignment
    assert visit.pairing == assignment.agreement.pairing
    assert visit.status == Visit.Status.CHECKED_IN
    assert str(visit.check_in_latitude) == "26.601234"
    assert visit.history.latest().history_user == doctor.user
    page = client.get("/support/today/").content.decode()
    assert 'id="check-out"' in page and "Checked in at" in page


def test_check_in_without_location_is_fine(client, assignment):
    assert _check_in(client, f"a{assignment.pk}", latitude="", longitude="").status_code == 302
    assert Visit.objects.get().check_in_latitude is None


def test_retried_check_in_is_recorded_once(client, assignment):
    data = {"target": f"a{assignment.pk}", "latitude": "", "longitude": "", "client_key": _key()}
    first = client.post("/support/today/check-in/", data)
    second = client.post("/support/today/check-in/", data, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain[-1][0] == "/support/today/"
    assert Visit.objects.count() == 1
    assert "Checked in at" in second.content.decode()


def test_second_check_in_is_refused_with_the_first_time(client, assignment):
    """A stale page (opened before the first check-in) posts again with a new key."""
    _check_in(client, f"a{assignment.pk}")
    visit = Visit.objects.get()
    response = _check_in(client, f"p{assignment.agreement.pairing_id}", latitude="", longitude="")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    local = timezone.localtime(visit.check_in_at).strftime("%H:%M")
    assert f"You already checked in at {assignment.agreement.pairing.clinic.display_name} at {local}." in page
    assert Visit.objects.count() == 1


def test_second_check_in_through_the_service(doctor, agreement, today):
    from yilian.support import services_visits

    first = services_visits.visit_check_in(by=doctor.user, pairing=agreement.pairing, client_key=_key())
    with pytest.raises(Exception) as exc:
        services_visits.visit_check_in(by=doctor.user, pairing=agreement.pairing, client_key=_key())
    local = timezone.localtime(first.obj.check_in_at).strftime("%H:%M")
    assert local in str(exc.value) and agreement.pairing.clinic.display_name in str(exc.value)
    assert Visit.objects.count() == 1


def test_title_below_the_programme_minimum_is_refused(client, assignment, doctor):
    doctor.title = Title.JUNIOR
    doctor.save()
    response = _check_in(client, f"a{assignment.pk}")
    assert response.status_code == 200
    assert "below the minimum" in response.context["checkin_form"].errors["target"][0]
    assert not Visit.objects.exists()


def test_programme_minimum_applies_to_unplanned_visits_too(client, agreement, doctor):
    programme = agreement.programme
    programme.min_title = Title.SENIOR
    programme.save()
    response = _check_in(client, f"p{agreement.pairing_id}")
    assert "below the minimum" in response.context["checkin_form"].errors["target"][0]
    assert not Visit.objects.exists()


def test_unplanned_visit_through_an_active_pairing(client, agreement, doctor):
    page = client.get("/support/today/").content.decode()
    assert f'value="p{agreement.pairing_id}"' in page
    assert _check_in(client, f"p{agreement.pairing_id}").status_code == 302
    visit = Visit.objects.get()
    assert visit.assignment is None and visit.pairing == agreement.pairing


def test_unplanned_visit_links_the_plan_of_the_day(doctor, assignment):
    from yilian.support import services_visits

    result = services_visits.visit_check_in(by=doctor.user, pairing=assignment.agreement.pairing)
    assert result.obj.assignment == assignment


def test_check_in_elsewhere_than_planned_is_refused(client, assignment, doctor):
    other = PairingFactory(hospital=doctor.hospital, end=None)
    response = _check_in(client, f"p{other.pk}")
    assert response.status_code == 200
    assert "planned at" in response.context["checkin_form"].errors["target"][0]
    assert not Visit.objects.exists()


def test_check_in_when_already_at_another_clinic_is_refused(doctor, agreement, today):
    from django.core.exceptions import ValidationError

    from yilian.support import services_visits

    other = PairingFactory(hospital=doctor.hospital, end=None)
    VisitFactory(doctor=doctor, pairing=other, date=today, status=Visit.Status.CHECKED_IN, check_out_at=None)
    with pytest.raises(ValidationError, match="already recorded at"):
        services_visits.visit_check_in(by=doctor.user, pairing=agreement.pairing)
    assert Visit.objects.count() == 1


def test_a_pairing_of_another_hospital_is_not_offered(client, doctor, agreement):
    foreign = PairingFactory(end=None)
    response = _check_in(client, f"p{foreign.pk}")
    assert response.status_code == 200
    assert response.context["checkin_form"].errors["target"]
    assert not Visit.objects.exists()


def test_an_ended_pairing_is_not_offered(client, doctor, today):
    ended = PairingFactory(hospital=doctor.hospital, end=today - timedelta(days=1))
    assert f'value="p{ended.pk}"' not in client.get("/support/today/").content.decode()
    assert _check_in(client, f"p{ended.pk}").status_code == 200
    assert not Visit.objects.exists()


def test_another_doctors_assignment_is_not_offered(client, agreement, today, doctor):
    colleague = doctor_with_login(hospital=doctor.hospital)
    theirs = AssignmentFactory(agreement=agreement, doctor=colleague, date=today)
    assert _check_in(client, f"a{theirs.pk}").status_code == 200
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("lat", "lon"), [("200", "106.7"), ("26.6", "-300"), ("abc", "106.7")])
def test_a_bad_location_is_refused(client, assignment, lat, lon):
    response = _check_in(client, f"a{assignment.pk}", latitude=lat, longitude=lon)
    assert response.status_code == 200
    assert response.context["checkin_form"].errors
    assert not Visit.objects.exists()


def test_a_login_without_doctor_record(db):
    client = _client(UserFactory())
    page = client.get("/support/today/")
    assert page.status_code == 200
    assert "not linked to a doctor" in page.content.decode()
    assert client.post("/support/today/check-in/", {"target": "p1"}).status_code == 404


def test_today_page_requires_login(db):
    response = Client().get("/support/today/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ------------------------------------------------------------------------------ check-out


@pytest.fixture
def visit(client, assignment):
    _check_in(client, f"a{assignment.pk}")
    return Visit.objects.get()


def test_check_out_and_a_retried_check_out(client, visit):
    response = client.post(f"/support/visits/{visit.pk}/check-out/", {"latitude": "26.6", "longitude": "106.7"},
                           follow=True)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_OUT
    assert visit.check_out_at >= visit.check_in_at
    assert "Checked out at" in response.content.decode()
    first_out = visit.check_out_at
    again = client.post(f"/support/visits/{visit.pk}/check-out/", {}, follow=True)
    visit.refresh_from_db()
    assert visit.check_out_at == first_out
    assert "Already checked out at" in again.content.decode()


def test_check_out_before_check_in_is_refused(doctor, today):
    later = timezone.now() + timedelta(hours=2)
    visit = VisitFactory(doctor=doctor, pairing=PairingFactory(hospital=doctor.hospital, end=None), date=today,
                         check_in_at=later, check_out_at=None, status=Visit.Status.CHECKED_IN)
    response = _client(doctor.user).post(f"/support/visits/{visit.pk}/check-out/", {}, follow=True)
    assert "before you checked in" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_IN and visit.check_out_at is None


def test_check_out_of_a_visit_on_another_day_is_refused(doctor, today):
    visit = VisitFactory(doctor=doctor, pairing=PairingFactory(hospital=doctor.hospital, end=None),
                         date=today - timedelta(days=3), check_out_at=None, status=Visit.Status.CHECKED_IN)
    response = _client(doctor.user).post(f"/support/visits/{visit.pk}/check-out/", {}, follow=True)
    assert "only possible on the day" in response.content.decode()
    visit.refresh_from_db()
    assert visit.check_out_at is None


def test_another_doctor_cannot_check_out_my_visit(visit, doctor):
    colleague = doctor_with_login(hospital=doctor.hospital)
    assert _client(colleague.user).post(f"/support/visits/{visit.pk}/check-out/", {}).status_code == 404
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_IN


# ----------------------------------------------------------------------------- work items


def _log(client, visit, **data):
    body = {"kind": WorkItem.Kind.CLINIC_SESSION, "count": "12", "topic": "高血压", "client_key": _key()}
    body.update(data)
    return client.post(f"/support/visits/{visit.pk}/work/", body)


def test_log_work_and_a_retried_entry_is_recorded_once(client, visit):
    body = {"kind": WorkItem.Kind.LECTURE, "count": "30", "topic": "糖尿病饮食", "client_key": _key()}
    assert client.post(f"/support/visits/{visit.pk}/work/", body).status_code == 302
    assert client.post(f"/support/visits/{visit.pk}/work/", body).status_code == 302
    item = WorkItem.objects.get()
    assert (item.kind, item.count, item.topic) == (WorkItem.Kind.LECTURE, 30, "糖尿病饮食")
    assert item.history.latest().history_user == visit.doctor.user


@pytest.mark.parametrize(("count", "message"), [
    ("-3", "greater than or equal to 1"),
    ("0", "greater than or equal to 1"),
    ("5000", "check the number"),
    ("twelve", "whole number"),
    ("", "required"),
])
def test_a_bad_count_is_refused(client, visit, count, message):
    response = _log(client, visit, count=count)
    assert response.status_code == 200
    assert message in response.context["work_form"].errors["count"][0]
    assert not WorkItem.objects.exists()


def test_an_unknown_kind_is_refused(client, visit):
    response = _log(client, visit, kind="karaoke")
    assert response.status_code == 200
    assert response.context["work_form"].errors["kind"]
    assert not WorkItem.objects.exists()


def test_work_on_a_confirmed_visit_is_refused(client, visit):
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.CONFIRMED)
    response = client.post(f"/support/visits/{visit.pk}/work/", {
        "kind": WorkItem.Kind.CLINIC_SESSION, "count": "12", "client_key": _key(), "back": "visit"}, follow=True)
    assert "confirmed this visit" in response.content.decode()
    assert not WorkItem.objects.exists()


def test_work_may_be_logged_after_check_out_and_deleted(client, visit):
    client.post(f"/support/visits/{visit.pk}/check-out/", {})
    assert _log(client, visit).status_code == 302
    item = WorkItem.objects.get()
    assert client.post(f"/support/work/{item.pk}/delete/").status_code == 302
    assert not WorkItem.objects.exists()


def test_deleting_work_of_a_confirmed_visit_is_refused(client, visit):
    item = WorkItemFactory(visit=visit)
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.CONFIRMED)
    client.post(f"/support/work/{item.pk}/delete/")
    assert WorkItem.objects.filter(pk=item.pk).exists()


def test_another_doctor_cannot_log_on_my_visit(visit, doctor):
    colleague = doctor_with_login(hospital=doctor.hospital)
    assert _log(_client(colleague.user), visit).status_code == 404
    assert not WorkItem.objects.exists()


def test_a_client_key_of_another_visit_is_not_replayed(client, visit, doctor, today):
    key = _key()
    _log(client, visit, client_key=key)
    older = VisitFactory(doctor=doctor, pairing=visit.pairing, date=today - timedelta(days=7))
    response = _log(client, older, client_key=key, back="visit")
    assert response.status_code == 200
    assert WorkItem.objects.count() == 1


def test_the_day_page_lists_the_work_and_past_open_visits(client, visit, doctor, today):
    WorkItemFactory(visit=visit, kind=WorkItem.Kind.LECTURE, count=30, topic="慢病管理")
    VisitFactory(doctor=doctor, pairing=visit.pairing, date=today - timedelta(days=2), check_out_at=None,
                 status=Visit.Status.CHECKED_IN,
                 check_in_at=timezone.make_aware(datetime.combine(today - timedelta(days=2), time(8))))
    page = client.get("/support/today/").content.decode()
    assert "慢病管理" in page and "never checked out" in page
