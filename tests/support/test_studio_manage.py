"""The clinic's side of the expert studio: the day's booking list (masked phones), arrivals, and opening
and cancelling sessions on the days the expert is planned at the clinic."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import InstitutionFactory, PairingFactory, user_with_role
from tests.support.factories import (
    AgreementFactory,
    AssignmentFactory,
    BookingFactory,
    ExpertSessionFactory,
    clinic_staff_of,
    doctor_with_login,
)
from yilian.accounts.models import Membership
from yilian.support.models import Booking, ExpertSession


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def agreement(db, today):
    return AgreementFactory(start=today - timedelta(days=30), end=today + timedelta(days=300))


@pytest.fixture
def clinic(agreement):
    return agreement.pairing.clinic


@pytest.fixture
def expert(agreement):
    return doctor_with_login(hospital=agreement.pairing.hospital, name="陈主任")


@pytest.fixture
def staff(clinic):
    return clinic_staff_of(clinic)


@pytest.fixture
def todays_session(clinic, expert, today):
    session = ExpertSessionFactory(clinic=clinic, doctor=expert, date=today, capacity=5)
    BookingFactory(session=session, name="张三", phone="13812345678", reason="高血压复诊")
    BookingFactory(session=session, name="李四", phone="13987654321", reason="糖尿病")
    return session


def test_clinic_staff_see_the_days_bookings_with_masked_phones(staff, todays_session):
    page = _client(staff).get("/studio/manage/").content.decode()
    assert "张三" in page and "高血压复诊" in page
    assert "138****5678" in page and "139****4321" in page
    assert "13812345678" not in page and "13987654321" not in page


def test_staff_mark_arrived_and_no_show(staff, todays_session):
    first, second = todays_session.bookings.order_by("pk")
    client = _client(staff)
    client.post(f"/studio/manage/bookings/{first.pk}/mark/", {"status": "arrived"})
    client.post(f"/studio/manage/bookings/{second.pk}/mark/", {"status": "no_show"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Booking.Status.ARRIVED, Booking.Status.NO_SHOW)
    assert first.history.latest().history_user == staff


def test_the_expert_sees_and_marks_their_own_list(expert, todays_session):
    client = _client(expert.user)
    assert "138****5678" in client.get("/studio/manage/").content.decode()
    booking = todays_session.bookings.first()
    client.post(f"/studio/manage/bookings/{booking.pk}/mark/", {"status": "arrived"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ARRIVED


def test_arrivals_wait_for_the_day(staff, clinic, expert, today):
    session = ExpertSessionFactory(clinic=clinic, doctor=expert, date=today + timedelta(days=2))
    booking = BookingFactory(session=session)
    response = _client(staff).post(f"/studio/manage/bookings/{booking.pk}/mark/", {"status": "arrived"}, follow=True)
    assert "from the day of the session" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_staff_of_another_clinic_see_nothing_and_get_404(todays_session):
    outsider = clinic_staff_of(InstitutionFactory())
    # a clinic paired with the same hospital still does not see this clinic's residents
    PairingFactory(hospital=todays_session.doctor.hospital, clinic=outsider.memberships.get().institution, end=None)
    client = _client(outsider)
    assert "张三" not in client.get("/studio/manage/").content.decode()
    booking = todays_session.bookings.first()
    assert client.post(f"/studio/manage/bookings/{booking.pk}/mark/", {"status": "arrived"}).status_code == 404
    assert client.post(f"/studio/manage/sessions/{todays_session.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_the_booking_list_needs_a_login(todays_session):
    assert Client().get("/studio/manage/").status_code == 302


# ---------------------------------------------------------------------------- opening sessions


def _open(user, clinic, expert, day, **extra):
    data = {"clinic": clinic.pk, "doctor": expert.pk, "date": day.isoformat(), "starts": "09:00", "ends": "11:30",
            "capacity": "10"}
    data.update(extra)
    return _client(user).post("/studio/manage/sessions/new/", data)


def test_staff_open_a_session_on_the_planned_day(staff, clinic, expert, agreement, today):
    planned = AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=4))
    form = _client(staff).get(f"/studio/manage/sessions/new/?assignment={planned.pk}")
    assert form.context["form"].initial["date"] == planned.date
    assert _open(staff, clinic, expert, planned.date).status_code == 302
    session = ExpertSession.objects.get()
    assert session.assignment == planned and session.capacity == 10


def test_a_day_off_the_plan_is_refused(staff, clinic, expert, agreement, today):
    AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=4))
    response = _open(staff, clinic, expert, today + timedelta(days=5))
    assert response.status_code == 200
    assert "must be on one of these days" in response.context["form"].errors["date"][0]
    assert not ExpertSession.objects.exists()


def test_without_a_plan_any_coming_day_will_do(staff, clinic, expert, today):
    assert _open(staff, clinic, expert, today + timedelta(days=6)).status_code == 302
    assert ExpertSession.objects.get().assignment is None


def test_a_day_planned_at_another_clinic_is_refused(staff, clinic, expert, today):
    elsewhere = AgreementFactory(pairing=PairingFactory(hospital=expert.hospital, end=None),
                                 start=today - timedelta(days=1), end=today + timedelta(days=100))
    AssignmentFactory(agreement=elsewhere, doctor=expert, date=today + timedelta(days=4))
    response = _open(staff, clinic, expert, today + timedelta(days=4))
    assert "is planned at" in response.context["form"].errors["date"][0]
    assert not ExpertSession.objects.exists()


@pytest.mark.parametrize(("extra", "field"), [
    ({"capacity": "0"}, "capacity"),
    ({"capacity": "-2"}, "capacity"),
    ({"ends": "08:00"}, "ends"),
    ({"date": "2020-01-01"}, "date"),
    ({"starts": "25:00"}, "starts"),
])
def test_bad_sessions_are_refused(staff, clinic, expert, today, extra, field):
    response = _open(staff, clinic, expert, today + timedelta(days=3), **extra)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not ExpertSession.objects.exists()


def test_overlapping_sessions_of_one_expert_are_refused(staff, clinic, expert, today):
    _open(staff, clinic, expert, today + timedelta(days=3))
    response = _open(staff, clinic, expert, today + timedelta(days=3), starts="10:00", ends="12:00")
    assert "already has a session" in response.context["form"].errors["starts"][0]
    assert ExpertSession.objects.count() == 1


def test_a_doctor_of_an_unpaired_hospital_is_refused(staff, clinic, today):
    stranger = doctor_with_login()
    response = _open(staff, clinic, stranger, today + timedelta(days=3))
    assert response.context["form"].errors["doctor"]
    assert not ExpertSession.objects.exists()


def test_the_coordinator_may_open_sessions_the_doctor_may_not(clinic, expert, agreement, today):
    coordinator = user_with_role(Membership.Role.COORDINATOR, agreement.pairing.hospital)
    assert _open(coordinator, clinic, expert, today + timedelta(days=3)).status_code == 302
    assert _client(expert.user).get("/studio/manage/sessions/new/").status_code == 404
    assert ExpertSession.objects.count() == 1


def test_cancelling_a_session_cancels_its_bookings(staff, todays_session):
    response = _client(staff).post(f"/studio/manage/sessions/{todays_session.pk}/cancel/", follow=True)
    assert "with 2 booking(s)" in response.content.decode()
    todays_session.refresh_from_db()
    assert todays_session.cancelled
    assert set(todays_session.bookings.values_list("status", flat=True)) == {Booking.Status.CANCELLED}


def test_demo_sessions_follow_the_plan_once(agreement, expert, today):
    from yilian.support.services_studio import demo_open_sessions

    planned = AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=2))
    AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=40))
    assert demo_open_sessions(today) == 1
    assert demo_open_sessions(today) == 0
    assert ExpertSession.objects.get().assignment == planned
